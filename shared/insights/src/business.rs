//! Business state for the console: customers (Billing's billing profile and the Customer
//! Success Director's portfolio account), deals (the Sales Director's pipeline deal and
//! Closing's proposal) and invoices (Billing's invoice), found by id or customer name
//! ([`search`]), and each as a page of fields ([`record`]). Statuses are decided by pure
//! functions ([`invoice_status`]).

use crate::lake::{LakeReader, get_as, scan_as};
use ascent_console::OpsError;
use ascent_console::insights::{BusinessHit, RecordKind};
use ascent_console::layout::money;
use ascent_core::agent::Domain;
use billing::{BillingProfile, Invoice, InvoiceStatus};
use chrono::NaiveDate;
use customer_success_director::{ACCOUNTS, PortfolioAccount};
use sales_director::PipelineDeal;
use serde::Serialize;
use std::collections::BTreeMap;

mod record;
pub use record::record;

/// Records of each kind a search returns at most.
pub const PER_KIND: usize = 50;
/// Billing profiles read to name customers at most.
const PROFILES: usize = 100_000;
/// Invoices or pipeline deals looked through for a search at most.
const RECORDS: usize = 100_000;

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

/// The day the home's clock stands on (UTC): "today" for days overdue.
fn today(lake: &dyn LakeReader) -> NaiveDate {
    lake.now().date_naive()
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

async fn names(lake: &dyn LakeReader) -> Result<Names, OpsError> {
    Ok(scan_as::<BillingProfile>(
        lake,
        Domain::Financial,
        "account#",
        Some("billing-profile"),
        None,
        PROFILES,
    )
    .await?
    .into_iter()
    .map(|(_, _, p)| (p.account_id, p.company))
    .collect())
}

async fn portfolio(lake: &dyn LakeReader, id: &str) -> Result<Option<PortfolioAccount>, OpsError> {
    get_as(lake, Domain::Customer, ACCOUNTS, id).await
}

/// Whether a record keyed `pk` of `account` is found by `text` (part of its key, any case;
/// empty finds nothing) or by its account being one of `accounts`.
fn found_by(pk: &str, account: &str, text: &str, accounts: &[&String]) -> bool {
    (!text.is_empty() && pk.to_lowercase().contains(&text.to_lowercase()))
        || accounts.iter().any(|a| a.as_str() == account)
}

/// Invoices (`invoice#…`) whose key contains `text`, whose account is one of `accounts` or
/// whose deal is `deal`; latest due first, at most [`PER_KIND`].
async fn invoices_matching(
    lake: &dyn LakeReader,
    text: &str,
    accounts: &[&String],
    deal: Option<&str>,
) -> Result<Vec<Invoice>, OpsError> {
    let all = scan_as::<Invoice>(
        lake,
        Domain::Financial,
        "invoice#",
        Some("invoice"),
        None,
        RECORDS,
    )
    .await?;
    let mut found: Vec<Invoice> = all
        .into_iter()
        .filter(|(pk, _, i)| {
            found_by(pk, &i.account_id, text, accounts)
                || deal.is_some_and(|d| !d.is_empty() && i.deal_id.as_deref() == Some(d))
        })
        .map(|(_, _, i)| i)
        .collect();
    found.sort_by_key(|i| std::cmp::Reverse(i.due_on));
    found.truncate(PER_KIND);
    Ok(found)
}

/// Pipeline deals (`pipeline#…`) whose key contains `text` or whose account is one of
/// `accounts`; by key, at most [`PER_KIND`].
async fn deals_matching(
    lake: &dyn LakeReader,
    text: &str,
    accounts: &[&String],
) -> Result<Vec<PipelineDeal>, OpsError> {
    let all = scan_as::<PipelineDeal>(
        lake,
        Domain::Customer,
        "pipeline#",
        Some("pipeline"),
        None,
        RECORDS,
    )
    .await?;
    Ok(all
        .into_iter()
        .filter(|(pk, _, d)| found_by(pk, &d.account_id, text, accounts))
        .map(|(_, _, d)| d)
        .take(PER_KIND)
        .collect())
}

/// Customers, deals and invoices whose id or customer's name contains `text` (any case).
pub async fn search(lake: &dyn LakeReader, text: &str) -> Result<Vec<BusinessHit>, OpsError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(vec![]);
    }
    let needle = text.to_lowercase();
    let names = names(lake).await?;
    let accounts: Vec<&String> = names
        .iter()
        .filter(|(id, company)| {
            id.to_lowercase().contains(&needle) || company.to_lowercase().contains(&needle)
        })
        .map(|(id, _)| id)
        .take(PER_KIND)
        .collect();
    let day = today(lake);
    let mut hits = Vec::new();
    for id in &accounts {
        hits.push(customer_hit(
            id,
            &names,
            portfolio(lake, id).await?.as_ref(),
        ));
    }
    // An account in the portfolio without a billing profile is found by its id.
    if accounts.is_empty()
        && let Some(a) = portfolio(lake, text).await?
    {
        hits.push(customer_hit(&a.account_id, &names, Some(&a)));
    }
    hits.extend(
        deals_matching(lake, text, &accounts)
            .await?
            .iter()
            .map(|d| deal_hit(d, &names)),
    );
    hits.extend(
        invoices_matching(lake, text, &accounts, None)
            .await?
            .iter()
            .map(|i| invoice_hit(i, &names, day)),
    );
    Ok(hits)
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

    #[test]
    fn a_record_is_found_by_part_of_its_key_in_any_case_or_by_its_account() {
        let a1 = "A1".to_string();
        assert!(found_by("invoice#INV-7", "A9", "inv-7", &[]));
        assert!(found_by("invoice#INV-7", "A1", "", &[&a1]));
        assert!(!found_by("invoice#INV-7", "A9", "", &[&a1]));
        assert!(!found_by("invoice#INV-7", "A9", "INV-8", &[]));
    }
}
