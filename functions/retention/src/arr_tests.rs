//! ARR and term decisions, without I/O.

use super::*;
use ascent_core::catalog::LineRevenue;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn line(
    sku: &str,
    minor: i64,
    rec: Option<Recognition>,
    period: Option<(&str, &str)>,
) -> PricedLine {
    PricedLine {
        sku: sku.into(),
        description: sku.into(),
        quantity: 1,
        unit_price: Money::usd(minor),
        amount: Money::usd(minor),
        revenue: rec.map(|recognition| LineRevenue {
            recognition,
            service_start: period.map(|p| d(p.0)),
            service_end: period.map(|p| d(p.1)),
        }),
        tax: None,
    }
}

fn invoice(id: &str, lines: Vec<PricedLine>) -> InvoiceIssued {
    let subtotal: i64 = lines.iter().map(|l| l.amount.amount_minor).sum();
    InvoiceIssued {
        invoice_id: id.into(),
        account_id: "A1".into(),
        deal_id: None,
        lines,
        subtotal: Money::usd(subtotal),
        tax: Money::usd(0),
        total: Money::usd(subtotal),
        issued_on: d("2026-01-05"),
        due_on: d("2026-02-04"),
        payment_terms_days: 30,
        reverse_charge_note: None,
        seller_vat_id: None,
        customer_vat_id: None,
        tax_exemption_id: None,
    }
}

#[test]
fn one_time_lines_never_count_and_recurring_lines_are_annualised() {
    // Given a 24-month invoice: seats 96,000.00 (ratable, 2026-01-05 ..= 2028-01-04),
    // onboarding 15,000.00 (on delivery), a training day 2,000.00 (point in time) and a
    // legacy line 1,000.00 without recognition
    let inv = invoice(
        "I1",
        vec![
            line(
                "SEATS",
                9_600_000,
                Some(Recognition::Ratable),
                Some(("2026-01-05", "2028-01-04")),
            ),
            line("ONBOARD", 1_500_000, Some(Recognition::OnDelivery), None),
            line("TRAIN", 200_000, Some(Recognition::PointInTime), None),
            line("OLD", 100_000, None, None),
        ],
    );
    // When its recurring part is taken
    let r = recurring_of(&inv).unwrap();
    // Then only the seats count, annualised: 96,000 × 12 / 24 = 48,000.00 (not the
    // 113,000 + 1,000 subtotal, which the review found counted as ARR)
    assert_eq!(r.lines.len(), 1);
    assert_eq!(r.lines[0].annual, Money::usd(4_800_000));
    assert_eq!(arr_on(&[r], None, d("2026-06-01")), [Money::usd(4_800_000)]);
    // An invoice of one-time lines only has no recurring part.
    let services = invoice(
        "I2",
        vec![line(
            "ONBOARD",
            1_500_000,
            Some(Recognition::OnDelivery),
            None,
        )],
    );
    assert_eq!(recurring_of(&services), None);
}

#[test]
fn service_months_and_annualising() {
    assert_eq!(service_months(d("2026-01-05"), d("2028-01-04")), 24);
    assert_eq!(service_months(d("2026-01-01"), d("2026-12-31")), 12);
    assert_eq!(service_months(d("2026-03-01"), d("2029-02-28")), 36);
    assert_eq!(service_months(d("2026-01-31"), d("2026-02-27")), 1);
    // 36 months of 108,000.00: 108,000 × 12 / 36 = 36,000.00.
    assert_eq!(
        annualise(&Money::usd(10_800_000), 36),
        Money::usd(3_600_000)
    );
    // A ratable line without a service period is a 12-month term from the invoice date.
    let l = recurring_line(
        &line("SEATS", 1_200_000, Some(Recognition::Ratable), None),
        d("2026-01-05"),
    )
    .unwrap();
    assert_eq!(
        (l.service_start, l.service_end),
        (d("2026-01-05"), d("2027-01-04"))
    );
    assert_eq!(l.annual, Money::usd(1_200_000));
}

#[test]
fn expansions_add_renewal_invoices_take_over_and_credit_notes_reduce() {
    // Given 12 months of seats at 12,000.00 from 2026-01-01
    let base = recurring_of(&invoice(
        "I1",
        vec![line(
            "SEATS",
            1_200_000,
            Some(Recognition::Ratable),
            Some(("2026-01-01", "2026-12-31")),
        )],
    ))
    .unwrap();
    // and an expansion of 6,000.00 for the 6 remaining months from 2026-07-01 (12,000 a year)
    let mut expansion = recurring_of(&invoice(
        "I2",
        vec![line(
            "SEATS",
            600_000,
            Some(Recognition::Ratable),
            Some(("2026-07-01", "2026-12-31")),
        )],
    ))
    .unwrap();
    // and the renewal invoice of 2027: 30,000.00
    let renewal = recurring_of(&invoice(
        "I3",
        vec![line(
            "SEATS",
            3_000_000,
            Some(Recognition::Ratable),
            Some(("2027-01-01", "2027-12-31")),
        )],
    ))
    .unwrap();
    let all = [base.clone(), expansion.clone(), renewal.clone()];
    // Then ARR is 12,000 before the expansion, 12,000 + 6,000 × 12 / 6 = 24,000 after it,
    // and 30,000 once the renewal's term starts (not 12,000 + 12,000 + 30,000)
    assert_eq!(arr_on(&all, None, d("2026-03-01")), [Money::usd(1_200_000)]);
    assert_eq!(arr_on(&all, None, d("2026-08-01")), [Money::usd(2_400_000)]);
    assert_eq!(arr_on(&all, None, d("2027-02-01")), [Money::usd(3_000_000)]);
    // When half the expansion's subtotal is credited (3,000 of 6,000, tax apart)
    expansion.credit(321_000, Some(300_000));
    // Then its 12,000 a year is halved: 12,000 + 6,000 = 18,000
    let all = [base, expansion, renewal];
    assert_eq!(arr_on(&all, None, d("2026-08-01")), [Money::usd(1_800_000)]);
}

#[test]
fn a_credit_note_without_a_tax_split_is_apportioned_by_subtotal_over_total() {
    // An invoice of 10,000.00 + 725.00 tax = 10,725.00, a credit of 2,145.00:
    // 2,145 × 10,000 / 10,725 = 2,000.00 of subtotal; ARR 10,000 × 8,000 / 10,000 = 8,000.
    let mut r = recurring_of(&invoice(
        "I1",
        vec![line(
            "SEATS",
            1_000_000,
            Some(Recognition::Ratable),
            Some(("2026-01-01", "2026-12-31")),
        )],
    ))
    .unwrap();
    r.total_minor = 1_072_500;
    r.credit(214_500, None);
    assert_eq!(r.credited_minor, 200_000);
    assert_eq!(arr_on(&[r], None, d("2026-05-01")), [Money::usd(800_000)]);
}

#[test]
fn arr_is_kept_per_currency() {
    let mut eur = line(
        "SEATS",
        1_200_000,
        Some(Recognition::Ratable),
        Some(("2026-01-01", "2026-12-31")),
    );
    eur.amount = Money::new(1_200_000, "EUR");
    let usd = line(
        "SEATS",
        500_000,
        Some(Recognition::Ratable),
        Some(("2026-01-01", "2026-12-31")),
    );
    let a = recurring_of(&invoice("I1", vec![eur])).unwrap();
    let b = recurring_of(&invoice("I2", vec![usd])).unwrap();
    // EUR 12,000 and USD 5,000: two amounts, never 17,000 "USD".
    assert_eq!(
        arr_on(&[a, b], None, d("2026-05-01")),
        [Money::new(1_200_000, "EUR"), Money::usd(500_000)]
    );
}

#[test]
fn a_renewal_s_arr_counts_while_no_invoice_covers_its_term() {
    let renewal = RenewalArr {
        arr: Money::usd(5_000_000),
        from: d("2027-01-01"),
        to: d("2027-12-31"),
    };
    assert_eq!(
        arr_on(&[], Some(&renewal), d("2027-03-01")),
        [Money::usd(5_000_000)]
    );
    assert_eq!(arr_on(&[], Some(&renewal), d("2028-01-01")), []);
}

#[test]
fn the_term_sets_the_renewal_date_and_auto_renewal_rolls_it() {
    // A 24-month contract of 2026-01-10 renews on 2028-01-10, a 36-month one on 2029-01-10.
    let t24 = Term {
        start: d("2026-01-10"),
        months: 24,
        auto_renew: false,
    };
    let t36 = Term { months: 36, ..t24 };
    assert_eq!(t24.renews_on(d("2026-06-01")), d("2028-01-10"));
    assert_eq!(t36.renews_on(d("2026-06-01")), d("2029-01-10"));
    // Past its end, a contract without auto-renewal keeps its end date; one with it rolls to
    // the next term's end: 2026-01-10 + 48 months.
    assert_eq!(t24.renews_on(d("2028-03-01")), d("2028-01-10"));
    let auto = Term {
        auto_renew: true,
        ..t24
    };
    assert_eq!(auto.renews_on(d("2028-03-01")), d("2030-01-10"));
    assert_eq!(auto.renews_on(d("2028-01-10")), d("2028-01-10"));
}
