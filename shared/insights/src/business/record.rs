//! One business record as a page: an invoice, a deal (pipeline deal and proposal) or a
//! customer (billing profile and portfolio account), its fields in the order people read
//! them, and the records it names.

use super::{
    Names, customer_hit, deal_hit, deals_matching, invoice_hit, invoices_matching, names,
    portfolio, tier_word, today, word,
};
use crate::lake::{LakeReader, get_as};
use ascent_console::OpsError;
use ascent_console::insights::{BusinessHit, BusinessRecord, RecordKind};
use ascent_console::layout::money;
use ascent_core::agent::Domain;
use ascent_core::records::{PROPOSAL_SK, Proposal, deal_pk};
use billing::{BillingProfile, Invoice, InvoiceStatus};
use customer_success_director::ACCOUNTS;
use sales_director::PipelineDeal;

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

async fn invoice_record(lake: &dyn LakeReader, id: &str) -> Result<BusinessRecord, OpsError> {
    let i: Invoice = get_as(lake, Domain::Financial, &format!("invoice#{id}"), "invoice")
        .await?
        .ok_or_else(|| not_found(RecordKind::Invoice, id))?;
    let names = names(lake).await?;
    let day = today(lake);
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
        portfolio(lake, &i.account_id).await?.as_ref(),
    )];
    if let Some(deal) = &i.deal_id
        && let Some(d) = get_as::<PipelineDeal>(
            lake,
            Domain::Customer,
            &format!("pipeline#{deal}"),
            "pipeline",
        )
        .await?
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

/// A deal's fields from its pipeline record: owner, territory, stage and its history.
fn pipeline_fields(d: &PipelineDeal, fields: &mut Vec<(String, String)>) {
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
}

/// A deal's fields from Closing's proposal.
fn proposal_fields(p: &Proposal, fields: &mut Vec<(String, String)>) {
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

async fn deal_record(lake: &dyn LakeReader, id: &str) -> Result<BusinessRecord, OpsError> {
    let pipeline: Option<PipelineDeal> = get_as(
        lake,
        Domain::Customer,
        &format!("pipeline#{id}"),
        "pipeline",
    )
    .await?;
    let proposal: Option<Proposal> =
        get_as(lake, Domain::Customer, &deal_pk(id), PROPOSAL_SK).await?;
    if pipeline.is_none() && proposal.is_none() {
        return Err(not_found(RecordKind::Deal, id));
    }
    let names: Names = names(lake).await?;
    let account = pipeline
        .as_ref()
        .map(|d| d.account_id.clone())
        .or_else(|| proposal.as_ref().map(|p| p.account_id.clone()))
        .unwrap_or_default();
    let mut fields = vec![("Account".to_string(), account.clone())];
    let hit = match &pipeline {
        Some(d) => {
            pipeline_fields(d, &mut fields);
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
        proposal_fields(p, &mut fields);
    }
    let day = today(lake);
    let mut related = vec![customer_hit(
        &account,
        &names,
        portfolio(lake, &account).await?.as_ref(),
    )];
    related.extend(
        invoices_matching(lake, "", &[], Some(id))
            .await?
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

async fn customer_record(lake: &dyn LakeReader, id: &str) -> Result<BusinessRecord, OpsError> {
    let profile: Option<BillingProfile> = get_as(
        lake,
        Domain::Financial,
        &format!("account#{id}"),
        "billing-profile",
    )
    .await?;
    let account = portfolio(lake, id).await?;
    if profile.is_none() && account.is_none() {
        return Err(not_found(RecordKind::Customer, id));
    }
    let names = names(lake).await?;
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
    let day = today(lake);
    let mut related: Vec<BusinessHit> = deals_matching(lake, "", &accounts)
        .await?
        .iter()
        .map(|d| deal_hit(d, &names))
        .collect();
    related.extend(
        invoices_matching(lake, "", &accounts, None)
            .await?
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

/// One record in full; [`OpsError::NotFound`] when the lake has none of that kind and id.
pub async fn record(
    lake: &dyn LakeReader,
    kind: RecordKind,
    id: &str,
) -> Result<BusinessRecord, OpsError> {
    match kind {
        RecordKind::Invoice => invoice_record(lake, id).await,
        RecordKind::Deal => deal_record(lake, id).await,
        RecordKind::Customer => customer_record(lake, id).await,
    }
}
