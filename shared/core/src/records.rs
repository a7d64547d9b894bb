//! Stored records that one agent writes and another reads, each defined once here.
//!
//! Data another agent needs travels in events, or through one of these records: the writer
//! serialises the type below and every reader deserialises the same type, so a renamed field
//! or status is a compile error in both, never a silent change of behaviour in the reader.
//! Each record names its owner (the only agent that writes it, see its `owns` prefixes),
//! its key and its readers; the key is built by the functions here, on both sides.

use crate::catalog::PricedLine;
use crate::money::Money;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Partition key of a deal's records in the customer domain (`deal#<id>`, owned by Closing).
pub fn deal_pk(deal_id: &str) -> String {
    format!("deal#{deal_id}")
}

/// Sort key of a deal's proposal under [`deal_pk`].
pub const PROPOSAL_SK: &str = "proposal";

/// Where a proposal stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProposalStatus {
    /// The discount waits for its approver; the proposal has not gone out.
    AwaitingApproval,
    /// Gone out to the prospect (`ProposalSent`): the terms a won deal is invoiced on.
    Sent,
}

/// A deal's latest proposal.
///
/// - Owner: Closing, the only writer (customer domain, prefix `deal#`).
/// - Key: [`deal_pk`]`(deal_id)` / [`PROPOSAL_SK`].
/// - Readers: Billing, which invoices a won deal from the proposal it names when that
///   proposal was [`ProposalStatus::Sent`] (lines, discount, total).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Proposal {
    pub proposal_id: String,
    pub deal_id: String,
    pub account_id: String,
    pub owner: String,
    pub lines: Vec<PricedLine>,
    pub subtotal: Money,
    pub requested_discount_pct: f64,
    pub discount_pct: f64,
    pub discount: Money,
    pub total: Money,
    pub status: ProposalStatus,
    pub approval_id: Option<String>,
    pub valid_until: NaiveDate,
    /// Why the final discount differs from the requested one, if it does.
    pub note: Option<String>,
}

/// Partition key of Billing's daily AR ageing snapshots (financial domain, owned by Billing).
pub const AR_AGEING_PK: &str = "report#ar-ageing";

/// Sort key of the snapshot as of `day` under [`AR_AGEING_PK`]: the ISO date, so snapshots
/// sort by day.
pub fn ar_ageing_sk(day: NaiveDate) -> String {
    day.to_string()
}

/// Outstanding amounts of one currency by days past due (minor units): not yet due, then
/// 1–30, 31–60, 61–90 and over 90 days past the due date (the ageing practitioners read:
/// AICPA audit guide, QuickBooks' "A/R Aging Summary").
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgeingBuckets {
    /// Not yet due (due today or later).
    #[serde(default)]
    pub current: i64,
    #[serde(default)]
    pub past_due_1_30: i64,
    #[serde(default)]
    pub past_due_31_60: i64,
    #[serde(default)]
    pub past_due_61_90: i64,
    #[serde(default)]
    pub past_due_over_90: i64,
    pub invoices: u32,
}

/// The accounts-receivable ageing on a day: what is still owed, by days past its due date,
/// per currency.
///
/// - Owner: Billing, the only writer, once per daily run (financial domain).
/// - Key: [`AR_AGEING_PK`] / [`ar_ageing_sk`]`(as_of)`.
/// - Readers: Finance Controller, which puts the snapshot as of the first day after a month
///   into that month's close report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArAgeing {
    pub as_of: NaiveDate,
    /// Currency → buckets (minor units).
    pub by_currency: BTreeMap<String, AgeingBuckets>,
}

impl ArAgeing {
    /// Total outstanding in one currency.
    pub fn total(&self, currency: &str) -> Money {
        let b = self.by_currency.get(currency).cloned().unwrap_or_default();
        Money::new(
            b.current + b.past_due_1_30 + b.past_due_31_60 + b.past_due_61_90 + b.past_due_over_90,
            currency,
        )
    }
}

/// `gsi1` partition of Billing's unpaid invoices, sorted by `<due date>#<invoice id>`.
pub const OPEN_INVOICES: &str = "invoices#open";

/// What another agent reads of one of Billing's unpaid invoices: whose it is and what is
/// still owed on it.
///
/// - Owner: Billing, the only writer (financial domain, prefix `invoice#`; its invoice record
///   carries more, and a test in Billing holds the two to the same outstanding amount).
/// - Key: `invoice#<id>` / `invoice`, listed while unpaid under `gsi1` [`OPEN_INVOICES`].
/// - Readers: the Finance Controller's daily receivables reconciliation (the subledger side).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpenInvoice {
    pub invoice_id: String,
    pub account_id: String,
    pub total: Money,
    /// Payments applied to it, in its currency.
    pub paid: Money,
    /// Credit notes against it, in minor units of its currency.
    #[serde(default)]
    pub credited_minor: i64,
}

impl OpenInvoice {
    /// Still owed: total less payments and credit notes.
    pub fn outstanding(&self) -> Money {
        Money::new(
            self.total.amount_minor - self.paid.amount_minor - self.credited_minor,
            &self.total.currency,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_the_owners_prefixes() {
        // Given the owners' declared prefixes (Closing `deal#`, Billing `report#ar-ageing`)
        // When the keys are built
        // Then they fall under them, and snapshots sort by day
        assert_eq!(deal_pk("D1"), "deal#D1");
        assert!(AR_AGEING_PK.starts_with("report#ar-ageing"));
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert!(ar_ageing_sk(d("2026-03-31")) < ar_ageing_sk(d("2026-04-01")));
    }

    #[test]
    fn a_proposal_status_is_stored_in_snake_case() {
        // Given a sent proposal's status
        // When it is stored
        // Then it reads as the writer and every reader spell it
        let sent = serde_json::to_value(ProposalStatus::Sent).unwrap();
        assert_eq!(sent, "sent");
        let waiting = serde_json::to_value(ProposalStatus::AwaitingApproval).unwrap();
        assert_eq!(waiting, "awaiting_approval");
    }

    #[test]
    fn the_ageing_total_sums_the_buckets() {
        // Given a snapshot with all five buckets in USD
        let mut by_currency = BTreeMap::new();
        by_currency.insert(
            "USD".to_string(),
            AgeingBuckets {
                current: 50_000,
                past_due_1_30: 1,
                past_due_31_60: 20,
                past_due_61_90: 300,
                past_due_over_90: 4_000,
                invoices: 5,
            },
        );
        let a = ArAgeing {
            as_of: "2026-04-01".parse().unwrap(),
            by_currency,
        };
        // When totalled; Then every bucket counts, and a currency not owed is zero
        assert_eq!(a.total("USD"), Money::usd(54_321));
        assert_eq!(a.total("EUR"), Money::new(0, "EUR"));
    }
}
