//! How an invoice line's revenue is earned, as a pure decision: ratable lines get their service
//! period from the contract's term (ASC 606-10-55-18 / IFRS 15.35: a subscription is earned over
//! the period it is provided), and the discount line carries the recognition of the lines it
//! discounts, so the Finance Controller spreads it with them (ASC 606-10-32-36: a discount is
//! allocated proportionately to all performance obligations).

use ascent_core::catalog::{LineRevenue, PricedLine};
use chrono::{Days, Months, NaiveDate};

/// `start` + `term_months` − 1 day: the last day of service of a term starting on `start`.
pub fn service_end(start: NaiveDate, term_months: u32) -> Option<NaiveDate> {
    start
        .checked_add_months(Months::new(term_months))?
        .checked_sub_days(Days::new(1))
}

/// Sets the service period of the ratable lines (from `start`, for `term_months` when the
/// contract is known) and gives a line without recognition (the discount) the recognition and
/// period of the other lines when they all share one; when they differ the discount keeps
/// none and is allocated proportionately by the ledger.
pub fn earn(lines: &mut [PricedLine], start: NaiveDate, term_months: Option<u32>) {
    for line in lines.iter_mut() {
        if let Some(r) = &mut line.revenue
            && r.recognition == ascent_core::catalog::Recognition::Ratable
            && let Some(term) = term_months
        {
            r.service_start = Some(start);
            r.service_end = service_end(start, term);
        }
    }
    let earned: Vec<LineRevenue> = lines.iter().filter_map(|l| l.revenue.clone()).collect();
    let shared = earned
        .first()
        .filter(|first| earned.iter().all(|r| r == *first))
        .cloned();
    if let Some(shared) = shared {
        for line in lines.iter_mut().filter(|l| l.revenue.is_none()) {
            line.revenue = Some(shared.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ascent_core::catalog::Recognition;
    use ascent_core::money::Money;

    fn line(sku: &str, amount: i64, recognition: Option<Recognition>) -> PricedLine {
        PricedLine {
            sku: sku.into(),
            description: sku.into(),
            quantity: 1,
            unit_price: Money::usd(amount),
            amount: Money::usd(amount),
            revenue: recognition.map(|recognition| LineRevenue {
                recognition,
                service_start: None,
                service_end: None,
            }),
            tax: None,
        }
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_ratable_line_is_earned_over_the_contract_term() {
        // 12 months from 2026-03-02 end on 2027-03-01 (03-02 + 12 months − 1 day);
        // 24 months from 2026-01-31 end on 2028-01-30; 1 month from 2026-01-31 → 02-28 − 1 = 02-27
        assert_eq!(service_end(d("2026-03-02"), 12), Some(d("2027-03-01")));
        assert_eq!(service_end(d("2026-01-31"), 24), Some(d("2028-01-30")));
        assert_eq!(service_end(d("2026-01-31"), 1), Some(d("2026-02-27")));
        let mut lines = vec![
            line("SEATS", 1_000_000, Some(Recognition::Ratable)),
            line("DISCOUNT", -100_000, None),
        ];
        earn(&mut lines, d("2026-03-02"), Some(12));
        let seats = lines[0].revenue.clone().unwrap();
        assert_eq!(
            (seats.service_start, seats.service_end),
            (Some(d("2026-03-02")), Some(d("2027-03-01")))
        );
        // The discount is earned as the seats are: over the same period
        assert_eq!(lines[1].revenue, Some(seats));
    }

    #[test]
    fn a_discount_over_mixed_lines_is_left_to_proportional_allocation() {
        let mut lines = vec![
            line("SEATS", 1_000_000, Some(Recognition::Ratable)),
            line("ONBOARDING", 200_000, Some(Recognition::OnDelivery)),
            line("DISCOUNT", -120_000, None),
        ];
        earn(&mut lines, d("2026-03-02"), None);
        // Without a known term a ratable line gets no invented period
        assert_eq!(lines[0].revenue.clone().unwrap().service_end, None);
        assert_eq!(lines[1].revenue.clone().unwrap().service_start, None);
        assert_eq!(lines[2].revenue, None);
    }
}
