//! The figures a report can carry, and what each business event counts towards them.
//!
//! A figure is a daily count (leads, tickets opened) or a daily sum of money in the base
//! currency, converted at the rate of the day it is counted on (`[currency]`). Each counted
//! event is known by a business key (the lead, the invoice, the ticket), so the same fact
//! delivered twice under two event ids is counted once. Which figures each department's report
//! carries is configuration (`[reporting.departments.*] figures`); what an event means is here.

use ascent_core::catalog::{DealStage, Payload};
use ascent_core::money::{FxRates, Money};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A figure of the reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Figure {
    /// New leads (`LeadCreated`).
    Leads,
    /// Deals that entered the pipeline (their first `DealStageChanged`, into an open stage).
    DealsOpened,
    /// The value of those deals (their amount, when the CRM gave one).
    PipelineAdded,
    /// Deals won (`DealClosedWon`).
    DealsWon,
    /// The value of the deals won.
    RevenueWon,
    /// Deals lost (`DealClosedLost`).
    DealsLost,
    /// Marketing spend booked (`MarketingSpendRecorded`).
    MarketingSpend,
    /// Invoices issued (`InvoiceIssued`).
    InvoicesIssued,
    /// Their totals.
    Invoiced,
    /// Invoices paid in full (`InvoicePaid`).
    InvoicesPaid,
    /// What those invoices came to.
    PaymentsCollected,
    /// Invoices that became overdue (their first `DunningStepTaken`).
    InvoicesOverdue,
    /// New customers (`CustomerSignedUp`).
    Signups,
    /// Support tickets opened (`TicketOpened`).
    TicketsOpened,
    /// Support tickets resolved (`TicketResolved`).
    TicketsResolved,
    /// Support SLA deadlines missed (`SlaBreached`).
    SlaBreaches,
    /// Accounts renewed (`AccountRenewed`).
    Renewals,
    /// Accounts churned (`AccountChurned`).
    Churned,
    /// Exceptions agents raised for a person (`ExceptionRaised`).
    Exceptions,
}

impl Figure {
    /// Every figure, in the order reports list them.
    pub const ALL: [Figure; 19] = [
        Figure::Leads,
        Figure::DealsOpened,
        Figure::PipelineAdded,
        Figure::DealsWon,
        Figure::RevenueWon,
        Figure::DealsLost,
        Figure::MarketingSpend,
        Figure::InvoicesIssued,
        Figure::Invoiced,
        Figure::InvoicesPaid,
        Figure::PaymentsCollected,
        Figure::InvoicesOverdue,
        Figure::Signups,
        Figure::TicketsOpened,
        Figure::TicketsResolved,
        Figure::SlaBreaches,
        Figure::Renewals,
        Figure::Churned,
        Figure::Exceptions,
    ];

    /// Its name in the configuration, the CSV and `ThresholdCrossed` (`revenue_won`).
    pub fn key(self) -> &'static str {
        match self {
            Figure::Leads => "leads",
            Figure::DealsOpened => "deals_opened",
            Figure::PipelineAdded => "pipeline_added",
            Figure::DealsWon => "deals_won",
            Figure::RevenueWon => "revenue_won",
            Figure::DealsLost => "deals_lost",
            Figure::MarketingSpend => "marketing_spend",
            Figure::InvoicesIssued => "invoices_issued",
            Figure::Invoiced => "invoiced",
            Figure::InvoicesPaid => "invoices_paid",
            Figure::PaymentsCollected => "payments_collected",
            Figure::InvoicesOverdue => "invoices_overdue",
            Figure::Signups => "signups",
            Figure::TicketsOpened => "tickets_opened",
            Figure::TicketsResolved => "tickets_resolved",
            Figure::SlaBreaches => "sla_breaches",
            Figure::Renewals => "renewals",
            Figure::Churned => "churned",
            Figure::Exceptions => "exceptions",
        }
    }

    /// Its name for people (`Revenue won`).
    pub fn label(self) -> &'static str {
        match self {
            Figure::Leads => "Leads",
            Figure::DealsOpened => "Deals opened",
            Figure::PipelineAdded => "Pipeline added",
            Figure::DealsWon => "Deals won",
            Figure::RevenueWon => "Revenue won",
            Figure::DealsLost => "Deals lost",
            Figure::MarketingSpend => "Marketing spend",
            Figure::InvoicesIssued => "Invoices issued",
            Figure::Invoiced => "Invoiced",
            Figure::InvoicesPaid => "Invoices paid",
            Figure::PaymentsCollected => "Payments collected",
            Figure::InvoicesOverdue => "Invoices overdue",
            Figure::Signups => "Sign-ups",
            Figure::TicketsOpened => "Tickets opened",
            Figure::TicketsResolved => "Tickets resolved",
            Figure::SlaBreaches => "SLA breaches",
            Figure::Renewals => "Renewals",
            Figure::Churned => "Churned accounts",
            Figure::Exceptions => "Exceptions raised",
        }
    }

    /// Whether it sums money (minor units of the base currency) rather than counting.
    pub fn is_money(self) -> bool {
        matches!(
            self,
            Figure::PipelineAdded
                | Figure::RevenueWon
                | Figure::MarketingSpend
                | Figure::Invoiced
                | Figure::PaymentsCollected
        )
    }

    /// A value of this figure for people: a count, or an amount of `base` (`12500.00`).
    pub fn show(self, value: i64, base: &str) -> String {
        if self.is_money() {
            Money::new(value, base).to_decimal_string()
        } else {
            value.to_string()
        }
    }

    /// A value of this figure as a plain number (money in major units), for charts and z-scores.
    pub fn number(self, value: i64, base: &str) -> f64 {
        if self.is_money() {
            value as f64 / 10f64.powi(i32::from(Money::new(0, base).exponent()))
        } else {
            value as f64
        }
    }
}

/// What one event counts: under which business key, towards which figures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counted {
    /// The kind of fact (`invoice-issued`): with the key, what is counted once.
    pub kind: &'static str,
    /// The business key (`INV-2026-0042`).
    pub key: String,
    /// Each figure and what it adds (1, or minor units of the base currency).
    pub adds: Vec<(Figure, i64)>,
}

/// Why an event cannot be counted: the field at fault and the problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadField {
    pub field: String,
    pub problem: String,
}

impl std::fmt::Display for BadField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "field `detail.payload.{}`: {}", self.field, self.problem)
    }
}

/// `m` in the base currency on `day`, refused naming `field` when negative or not accepted.
fn base(fx: &FxRates, m: &Money, day: NaiveDate, field: &str) -> Result<i64, BadField> {
    if m.amount_minor < 0 {
        return Err(BadField {
            field: format!("{field}.amount_minor"),
            problem: format!("{} is negative", m.amount_minor),
        });
    }
    fx.to_base_on(m, day)
        .map(|b| b.amount_minor)
        .map_err(|e| BadField {
            field: format!("{field}.currency"),
            problem: e.to_string(),
        })
}

fn one(kind: &'static str, key: impl Into<String>, adds: Vec<(Figure, i64)>) -> Counted {
    Counted {
        kind,
        key: key.into(),
        adds,
    }
}

/// What `payload` counts on `day` (`None`: nothing, such as a deal moving between stages);
/// `event_id` keys facts without a business id of their own (an exception raised).
pub fn counted(
    payload: &Payload,
    day: NaiveDate,
    event_id: &str,
    fx: &FxRates,
) -> Result<Option<Counted>, BadField> {
    use Figure as F;
    let c = match payload {
        Payload::LeadCreated(l) => one("lead", &l.lead_id, vec![(F::Leads, 1)]),
        Payload::DealStageChanged(d) => {
            let closed = matches!(d.to_stage, DealStage::ClosedWon | DealStage::ClosedLost);
            if d.from_stage.is_some() || closed {
                return Ok(None);
            }
            let mut adds = vec![(F::DealsOpened, 1)];
            if let Some(amount) = &d.amount {
                adds.push((F::PipelineAdded, base(fx, amount, day, "amount")?));
            }
            one("deal-opened", &d.deal_id, adds)
        }
        Payload::DealClosedWon(d) => one(
            "deal-won",
            &d.deal_id,
            vec![
                (F::DealsWon, 1),
                (F::RevenueWon, base(fx, &d.amount, day, "amount")?),
            ],
        ),
        Payload::DealClosedLost(d) => one("deal-lost", &d.deal_id, vec![(F::DealsLost, 1)]),
        Payload::MarketingSpendRecorded(s) => one(
            "spend",
            &s.spend_id,
            vec![(F::MarketingSpend, base(fx, &s.amount, day, "amount")?)],
        ),
        Payload::InvoiceIssued(i) => one(
            "invoice-issued",
            &i.invoice_id,
            vec![
                (F::InvoicesIssued, 1),
                (F::Invoiced, base(fx, &i.total, day, "total")?),
            ],
        ),
        Payload::InvoicePaid(p) => one(
            "invoice-paid",
            &p.invoice_id,
            vec![
                (F::InvoicesPaid, 1),
                (F::PaymentsCollected, base(fx, &p.total, day, "total")?),
            ],
        ),
        // Every dunning step of an invoice shares its key: it becomes overdue once.
        Payload::DunningStepTaken(d) => one(
            "invoice-overdue",
            &d.invoice_id,
            vec![(F::InvoicesOverdue, 1)],
        ),
        Payload::CustomerSignedUp(c) => one("signup", &c.account_id, vec![(F::Signups, 1)]),
        Payload::TicketOpened(t) => one("ticket-opened", &t.ticket_id, vec![(F::TicketsOpened, 1)]),
        Payload::TicketResolved(t) => one(
            "ticket-resolved",
            &t.ticket_id,
            vec![(F::TicketsResolved, 1)],
        ),
        Payload::SlaBreached(s) => one(
            "sla-breach",
            format!("{}#{:?}", s.ticket_id, s.timer),
            vec![(F::SlaBreaches, 1)],
        ),
        Payload::AccountRenewed(r) => one(
            "renewal",
            format!("{}#{}", r.account_id, r.renewed_on),
            vec![(F::Renewals, 1)],
        ),
        Payload::AccountChurned(c) => one(
            "churn",
            format!("{}#{}", c.account_id, c.churned_on),
            vec![(F::Churned, 1)],
        ),
        Payload::ExceptionRaised(_) => one("exception", event_id, vec![(F::Exceptions, 1)]),
        _ => return Ok(None),
    };
    if c.key.trim().is_empty() {
        return Err(BadField {
            field: key_field(c.kind).into(),
            problem: "is empty".into(),
        });
    }
    Ok(Some(c))
}

/// The payload field that holds the business key of a kind of fact.
fn key_field(kind: &str) -> &'static str {
    match kind {
        "lead" => "lead_id",
        "deal-opened" | "deal-won" | "deal-lost" => "deal_id",
        "spend" => "spend_id",
        "invoice-issued" | "invoice-paid" | "invoice-overdue" => "invoice_id",
        "signup" | "renewal" | "churn" => "account_id",
        "ticket-opened" | "ticket-resolved" | "sla-breach" => "ticket_id",
        _ => "id",
    }
}

#[cfg(test)]
#[path = "figures_tests.rs"]
mod tests;
