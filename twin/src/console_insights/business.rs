//! Business state for the console: customers (Billing's billing profile and the Customer
//! Success Director's portfolio account), deals (the Sales Director's pipeline deal and
//! Closing's proposal) and invoices (Billing's invoice), found by id or customer name, and
//! each as a page of fields. Statuses are decided by pure functions ([`invoice_status`]).

use super::{get, internal, scan, today};
use ascent_console::OpsError;
use ascent_console::insights::{BusinessHit, BusinessRecord, RecordKind};
use ascent_console::layout::money;
use ascent_core::agent::Domain;
use ascent_core::records::{PROPOSAL_SK, Proposal, deal_pk};
use ascent_embedded::Runtime;
use billing::{BillingProfile, Invoice, InvoiceStatus};
use chrono::NaiveDate;
use customer_success_director::{ACCOUNTS, PortfolioAccount};
use sales_director::PipelineDeal;
use serde::Serialize;
use std::collections::BTreeMap;

/// Records of each kind a search returns at most.
pub const PER_KIND: usize = 50;
/// Billing profiles read to name customers at most.
const PROFILES: usize = 100_000;

/// A value's serde name for people: `closed_won` → `closed won`.
pub fn word<T: Serialize>(t: &T) -> String {
    serde_json::to_value(t)
        .ok()
        .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
        .unwrap_or_default()
}

/// Where an invoice stands on `today`: `paid`; otherwise `overdue N days` past its due date,
/// or `open` / `partially paid` (due today or later).
pub fn invoice_status(i: &Invoice, today: NaiveDate) -> String {
    match i.status {
        InvoiceStatus::Paid => "paid".into(),
        _ if i.due_on < today => {
            let days = (today - i.due_on).num_days();
            format!("overdue {days} day{}", if days == 1 { "" } else { "s" })
        }
        InvoiceStatus::PartiallyPaid => "partially paid".into(),
        InvoiceStatus::Open => "open".into(),
    }
}

fn invoice_hit(i: &Invoice, names: &Names, today: NaiveDate) -> BusinessHit {
    BusinessHit {
        kind: RecordKind::Invoice,
        id: i.invoice_id.clone(),
        name: names.get(&i.account_id).cloned(),
        status: invoice_status(i, today),
        summary: format!(
            "{} due {}, {} outstanding",
            money(&i.total),
            i.due_on,
            money(&i.outstanding())
        ),
    }
}

fn deal_hit(d: &PipelineDeal, names: &Names) -> BusinessHit {
    BusinessHit {
        kind: RecordKind::Deal,
        id: d.deal_id.clone(),
        name: names.get(&d.account_id).cloned(),
        status: word(&d.stage),
        summary: match &d.amount_base {
            Some(a) => format!("{} · {}", money(a), d.territory),
            None => d.territory.clone(),
        },
    }
}

fn tier_word(a: &PortfolioAccount) -> String {
    if a.churned {
        return "churned".into();
    }
    match (&a.tier, a.health) {
        (Some(t), Some(h)) => format!("{} ({h})", word(t)),
        (Some(t), None) => word(t),
        _ => "not scored yet".into(),
    }
}

fn customer_hit(id: &str, names: &Names, account: Option<&PortfolioAccount>) -> BusinessHit {
    BusinessHit {
        kind: RecordKind::Customer,
        id: id.to_string(),
        name: names.get(id).cloned(),
        status: account
            .map(tier_word)
            .unwrap_or_else(|| "no portfolio record".into()),
        summary: account
            .map(|a| {
                let arr = a
                    .arr
                    .as_ref()
                    .map(|m| format!(", ARR {}", money(m)))
                    .unwrap_or_default();
                format!("{} plan, {} seats{arr}", a.plan, a.seats)
            })
            .unwrap_or_default(),
    }
}

/// Account id → company, from Billing's billing profiles.
type Names = BTreeMap<String, String>;

fn names(rt: &Runtime) -> Result<Names, OpsError> {
    Ok(scan::<BillingProfile>(
        rt,
        Domain::Financial,
        "account#",
        Some("billing-profile"),
        None,
        PROFILES,
    )?
    .into_iter()
    .map(|(_, _, p)| (p.account_id, p.company))
    .collect())
}

fn portfolio(rt: &Runtime, id: &str) -> Result<Option<PortfolioAccount>, OpsError> {
    get(rt, Domain::Customer, ACCOUNTS, id)
}

/// Invoices (`invoice#…`) whose id contains `text` or whose account is one of `accounts`.
fn invoices_matching(
    rt: &Runtime,
    text: &str,
    accounts: &[&String],
    deal: Option<&str>,
) -> Result<Vec<Invoice>, OpsError> {
    let sql = format!(
        "SELECT data FROM items WHERE domain = 'financial' AND pk LIKE 'invoice#%' AND sk = 'invoice' \
         AND ((?1 <> '' AND instr(lower(pk), lower(?1)) > 0) \
           OR json_extract(data, '$.account_id') IN (SELECT value FROM json_each(?2)) \
           OR (?3 <> '' AND json_extract(data, '$.deal_id') = ?3)) \
         ORDER BY json_extract(data, '$.due_on') DESC LIMIT {PER_KIND}"
    );
    let accounts = serde_json::to_string(accounts).map_err(internal)?;
    matching(rt, &sql, [text, &accounts, deal.unwrap_or("")])
}

/// Pipeline deals (`pipeline#…`) whose id contains `text` or whose account is one of
/// `accounts`.
fn deals_matching(
    rt: &Runtime,
    text: &str,
    accounts: &[&String],
) -> Result<Vec<PipelineDeal>, OpsError> {
    let sql = format!(
        "SELECT data FROM items WHERE domain = 'customer' AND pk LIKE 'pipeline#%' AND sk = 'pipeline' \
         AND ((?1 <> '' AND instr(lower(pk), lower(?1)) > 0) \
           OR json_extract(data, '$.account_id') IN (SELECT value FROM json_each(?2))) AND ?3 = '' \
         ORDER BY pk LIMIT {PER_KIND}"
    );
    let accounts = serde_json::to_string(accounts).map_err(internal)?;
    // ?3 is always empty: both searches take the same three parameters.
    matching(rt, &sql, [text, &accounts, ""])
}

fn matching<T: serde::de::DeserializeOwned>(
    rt: &Runtime,
    sql: &str,
    params: [&str; 3],
) -> Result<Vec<T>, OpsError> {
    let rows: Vec<String> = rt
        .store()
        .read(|c| {
            let mut st = c.prepare(sql)?;
            let rows = st.query_map(params, |r| r.get(0))?;
            rows.collect()
        })
        .map_err(internal)?;
    Ok(rows
        .iter()
        .filter_map(|d| serde_json::from_str(d).ok())
        .collect())
}

/// Customers, deals and invoices whose id or customer's name contains `text` (any case).
pub fn search(rt: &Runtime, text: &str) -> Result<Vec<BusinessHit>, OpsError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(vec![]);
    }
    let needle = text.to_lowercase();
    let names = names(rt)?;
    let accounts: Vec<&String> = names
        .iter()
        .filter(|(id, company)| {
            id.to_lowercase().contains(&needle) || company.to_lowercase().contains(&needle)
        })
        .map(|(id, _)| id)
        .take(PER_KIND)
        .collect();
    let day = today(rt);
    let mut hits = Vec::new();
    for id in &accounts {
        hits.push(customer_hit(id, &names, portfolio(rt, id)?.as_ref()));
    }
    // An account in the portfolio without a billing profile is found by its id.
    if accounts.is_empty()
        && let Some(a) = portfolio(rt, text)?
    {
        hits.push(customer_hit(&a.account_id, &names, Some(&a)));
    }
    hits.extend(
        deals_matching(rt, text, &accounts)?
            .iter()
            .map(|d| deal_hit(d, &names)),
    );
    hits.extend(
        invoices_matching(rt, text, &accounts, None)?
            .iter()
            .map(|i| invoice_hit(i, &names, day)),
    );
    Ok(hits)
}

fn not_found(kind: RecordKind, id: &str) -> OpsError {
    OpsError::NotFound(format!("{} {id}", kind.label().to_lowercase()))
}

fn lines(lines: &[ascent_core::catalog::PricedLine]) -> String {
    lines
        .iter()
        .map(|l| format!("{} × {} ({})", l.quantity, l.description, money(&l.amount)))
        .collect::<Vec<_>>()
        .join("; ")
}

fn invoice_record(rt: &Runtime, id: &str) -> Result<BusinessRecord, OpsError> {
    let i: Invoice = get(rt, Domain::Financial, &format!("invoice#{id}"), "invoice")?
        .ok_or_else(|| not_found(RecordKind::Invoice, id))?;
    let names = names(rt)?;
    let day = today(rt);
    let mut fields = vec![
        ("Total".to_string(), money(&i.total)),
        ("Paid".into(), money(&i.paid)),
        (
            "Credited".into(),
            money(&ascent_core::money::Money::new(
                i.credited_minor,
                &i.total.currency,
            )),
        ),
        ("Outstanding".into(), money(&i.outstanding())),
        ("Issued".into(), i.issued_on.to_string()),
        ("Due".into(), i.due_on.to_string()),
        (
            "Payment terms".into(),
            format!("{} days", i.payment_terms_days),
        ),
    ];
    if i.status != InvoiceStatus::Paid && i.due_on < day {
        fields.push((
            "Days overdue".into(),
            (day - i.due_on).num_days().to_string(),
        ));
    }
    fields.push(("Subtotal".into(), money(&i.subtotal)));
    fields.push(("Tax".into(), money(&i.tax)));
    fields.push(("Lines".into(), lines(&i.lines)));
    fields.push(("Dunning step".into(), i.dunning_step.to_string()));
    if !i.reminders_sent.is_empty() {
        let days: Vec<String> = i.reminders_sent.iter().map(|d| d.to_string()).collect();
        fields.push(("Reminders sent".into(), days.join(", ")));
    }
    let mut related = vec![customer_hit(
        &i.account_id,
        &names,
        portfolio(rt, &i.account_id)?.as_ref(),
    )];
    if let Some(deal) = &i.deal_id
        && let Some(d) = get::<PipelineDeal>(
            rt,
            Domain::Customer,
            &format!("pipeline#{deal}"),
            "pipeline",
        )?
    {
        related.push(deal_hit(&d, &names));
    }
    Ok(BusinessRecord {
        hit: invoice_hit(&i, &names, day),
        fields,
        related,
        source: format!("billing (financial domain, invoice#{id} / invoice)"),
    })
}

fn deal_record(rt: &Runtime, id: &str) -> Result<BusinessRecord, OpsError> {
    let pipeline: Option<PipelineDeal> =
        get(rt, Domain::Customer, &format!("pipeline#{id}"), "pipeline")?;
    let proposal: Option<Proposal> = get(rt, Domain::Customer, &deal_pk(id), PROPOSAL_SK)?;
    if pipeline.is_none() && proposal.is_none() {
        return Err(not_found(RecordKind::Deal, id));
    }
    let names = names(rt)?;
    let account = pipeline
        .as_ref()
        .map(|d| d.account_id.clone())
        .or_else(|| proposal.as_ref().map(|p| p.account_id.clone()))
        .unwrap_or_default();
    let mut fields = vec![("Account".to_string(), account.clone())];
    let hit = match &pipeline {
        Some(d) => {
            fields.push(("Owner".into(), d.owner.clone()));
            fields.push(("Territory".into(), d.territory.clone()));
            fields.push(("Stage".into(), word(&d.stage)));
            if let Some(a) = &d.amount_base {
                fields.push(("Amount".into(), money(a)));
            }
            if let Some(c) = d.expected_close {
                fields.push(("Expected close".into(), c.to_string()));
            }
            fields.push((
                "Last activity".into(),
                ascent_console::layout::when(d.last_activity),
            ));
            let history: Vec<String> = d
                .history
                .iter()
                .map(|v| format!("{} ({})", word(&v.stage), v.entered_at.date_naive()))
                .collect();
            fields.push(("Stage history".into(), history.join(" → ")));
            deal_hit(d, &names)
        }
        None => BusinessHit {
            kind: RecordKind::Deal,
            id: id.to_string(),
            name: names.get(&account).cloned(),
            status: "proposal only".into(),
            summary: String::new(),
        },
    };
    if let Some(p) = &proposal {
        fields.push((
            "Proposal".into(),
            format!("{} ({})", p.proposal_id, word(&p.status)),
        ));
        fields.push(("Proposal total".into(), money(&p.total)));
        fields.push((
            "Discount".into(),
            format!("{}% ({})", p.discount_pct, money(&p.discount)),
        ));
        fields.push(("Valid until".into(), p.valid_until.to_string()));
        fields.push(("Proposal lines".into(), lines(&p.lines)));
        if let Some(n) = &p.note {
            fields.push(("Note".into(), n.clone()));
        }
    }
    let day = today(rt);
    let mut related = vec![customer_hit(
        &account,
        &names,
        portfolio(rt, &account)?.as_ref(),
    )];
    related.extend(
        invoices_matching(rt, "", &[], Some(id))?
            .iter()
            .map(|i| invoice_hit(i, &names, day)),
    );
    Ok(BusinessRecord {
        hit,
        fields,
        related,
        source: format!(
            "sales-director (customer domain, pipeline#{id}) and closing ({} / {PROPOSAL_SK})",
            deal_pk(id)
        ),
    })
}

fn customer_record(rt: &Runtime, id: &str) -> Result<BusinessRecord, OpsError> {
    let profile: Option<BillingProfile> = get(
        rt,
        Domain::Financial,
        &format!("account#{id}"),
        "billing-profile",
    )?;
    let account = portfolio(rt, id)?;
    if profile.is_none() && account.is_none() {
        return Err(not_found(RecordKind::Customer, id));
    }
    let names = names(rt)?;
    let mut fields = Vec::new();
    if let Some(p) = &profile {
        fields.push(("Company".to_string(), p.company.clone()));
        fields.push(("Tax region".into(), p.tax_region.clone()));
        fields.push(("Currency".into(), p.currency.clone()));
        fields.push((
            "Payment terms".into(),
            format!("{} days", p.payment_terms_days),
        ));
    }
    if let Some(a) = &account {
        fields.push(("Plan".into(), a.plan.clone()));
        fields.push((
            "Seats".into(),
            format!("{} ({} in use)", a.seats, a.seats_in_use),
        ));
        fields.push(("Health".into(), tier_word(a)));
        if let Some(arr) = &a.arr {
            fields.push(("ARR".into(), money(arr)));
        }
        if let Some(r) = a.renews_on {
            fields.push(("Renews on".into(), r.to_string()));
        }
    }
    let owned = id.to_string();
    let accounts = [&owned];
    let day = today(rt);
    let mut related: Vec<BusinessHit> = deals_matching(rt, "", &accounts)?
        .iter()
        .map(|d| deal_hit(d, &names))
        .collect();
    related.extend(
        invoices_matching(rt, "", &accounts, None)?
            .iter()
            .map(|i| invoice_hit(i, &names, day)),
    );
    Ok(BusinessRecord {
        hit: customer_hit(id, &names, account.as_ref()),
        fields,
        related,
        source: format!(
            "billing (financial domain, account#{id} / billing-profile) and \
             customer-success-director ({ACCOUNTS} / {id})"
        ),
    })
}

/// One record in full.
pub fn record(rt: &Runtime, kind: RecordKind, id: &str) -> Result<BusinessRecord, OpsError> {
    match kind {
        RecordKind::Invoice => invoice_record(rt, id),
        RecordKind::Deal => deal_record(rt, id),
        RecordKind::Customer => customer_record(rt, id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ascent_core::money::Money;

    fn invoice(status: InvoiceStatus, due: &str) -> Invoice {
        Invoice {
            invoice_id: "inv-1".into(),
            account_id: "A1".into(),
            deal_id: None,
            lines: vec![],
            subtotal: Money::usd(100),
            tax_rate_bp: 0,
            tax: Money::usd(0),
            total: Money::usd(100),
            paid: Money::usd(0),
            status,
            issued_on: "2026-03-01".parse().unwrap(),
            due_on: due.parse().unwrap(),
            payment_terms_days: 30,
            billing_email: None,
            credited_minor: 0,
            dunning_step: 0,
            reminders_sent: vec![],
            version: 1,
        }
    }

    #[test]
    fn an_invoice_is_paid_open_or_overdue_by_its_days_past_due() {
        let today: NaiveDate = "2026-04-10".parse().unwrap();
        assert_eq!(
            invoice_status(&invoice(InvoiceStatus::Paid, "2026-03-01"), today),
            "paid"
        );
        assert_eq!(
            invoice_status(&invoice(InvoiceStatus::Open, "2026-03-31"), today),
            "overdue 10 days"
        );
        assert_eq!(
            invoice_status(&invoice(InvoiceStatus::PartiallyPaid, "2026-04-09"), today),
            "overdue 1 day"
        );
        assert_eq!(
            invoice_status(&invoice(InvoiceStatus::Open, "2026-04-10"), today),
            "open"
        );
        assert_eq!(
            invoice_status(&invoice(InvoiceStatus::PartiallyPaid, "2026-05-01"), today),
            "partially paid"
        );
    }
}
