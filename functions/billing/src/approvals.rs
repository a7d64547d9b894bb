//! Approval of large credit notes before any effect (SOX: segregation of duties — whoever asks
//! for a credit does not grant it): a credit note above `[billing]
//! credit_approval_above_minor` (valued in the base currency with `[currency]`) waits, as a
//! [`PendingCredit`] under its invoice, for the configured role's decision; only an approved
//! decision issues it, a rejected or expired one changes nothing.

use crate::Invoice;
use ascent_core::approval::{ApprovalDraft, Customer, Fact};
use ascent_core::catalog::CreditNoteRequested;
use ascent_core::money::Money;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The approval kind of a credit note.
pub const CREDIT_NOTE: &str = "credit_note";

/// Sort key, under `invoice#<id>`, of a credit note waiting for its approval.
pub fn pending_sk(request_id: &str) -> String {
    format!("credit-pending#{request_id}")
}

/// The approval's subject: the invoice and the request, so the decision finds the request.
pub fn subject(invoice_id: &str, request_id: &str) -> String {
    format!("{invoice_id}/{request_id}")
}

/// The invoice and request ids of a subject made by [`subject`].
pub fn parse_subject(subject: &str) -> Option<(&str, &str)> {
    subject.split_once('/')
}

/// Whether a credit of `amount_base_minor` (base currency) needs approval: strictly above the
/// configured amount.
pub fn needs_approval(amount_base_minor: i64, above_minor: i64) -> bool {
    amount_base_minor > above_minor
}

/// A credit note waiting for its approval.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PendingCredit {
    pub request: CreditNoteRequested,
    pub approval_id: String,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
}

/// The approval request of a credit note: the requester's reason is theirs, the rule is the
/// configured amount; the credit is the amount, the invoice's account the customer.
pub fn draft(
    c: &CreditNoteRequested,
    inv: &Invoice,
    customer: Customer,
    amount_base: &Money,
    above: &Money,
    approver_role: &str,
) -> ApprovalDraft {
    let mut facts = BTreeMap::new();
    facts.insert("Invoice".into(), inv.invoice_id.clone().into());
    facts.insert("Invoice total".into(), Fact::from(&inv.total));
    if amount_base != &c.amount {
        facts.insert("Credit in base currency".into(), Fact::from(amount_base));
    }
    ApprovalDraft {
        kind: CREDIT_NOTE.into(),
        subject: subject(&inv.invoice_id, &c.request_id),
        summary: format!("credit note on invoice {}", inv.invoice_id),
        amount: Some(c.amount.clone()),
        requester: c.requested_by.clone(),
        approver_role: approver_role.into(),
        first_approver: None,
        reason: format!("credit above {above}"),
        requester_reason: Some(c.reason.clone()),
        customer: Some(customer),
        facts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_credit_strictly_above_the_amount_needs_approval() {
        // Threshold 25,000.00: 25,000.00 passes, 25,000.01 waits.
        assert!(!needs_approval(2_500_000, 2_500_000));
        assert!(needs_approval(2_500_001, 2_500_000));
    }

    #[test]
    fn the_subject_carries_invoice_and_request() {
        assert_eq!(subject("inv-D1", "CR-1"), "inv-D1/CR-1");
        assert_eq!(parse_subject("inv-D1/CR-1"), Some(("inv-D1", "CR-1")));
    }
}
