//! The personal data the declaration names is the data the agent really writes: an account
//! signs up, is invoiced, pays too much, fails a payment, is credited and asks for a refund
//! through the twin, and every record under a prefix is checked against its declaration (a
//! renamed field, or a new field holding an address or phone number, fails here).

use super::*;
use crate::gateway::CardRefund;
use ascent_core::catalog::{PaymentFailed, RefundRequested};
use ascent_core::privacy::declared;
use ascent_integrations::Pending;
use serde_json::Value;

#[test]
fn the_declared_personal_data_is_what_the_records_hold() {
    let t = twin();
    t.emit("ascent.platform", signup("A1", "US-OR", 30));
    t.emit("ascent.crm", won("D1", "A1", 1_000_000, None));
    t.emit(
        "ascent.payments",
        PaymentFailed {
            payment_id: "P0".into(),
            invoice_id: "inv-D1".into(),
            amount: Money::usd(1_000_000),
            reason: "card declined".into(),
        },
    );
    t.emit("ascent.payments", pay("P1", "inv-D1", 1_100_000)); // 1,000.00 too much
    t.emit("ascent.crm", credit("C1", "inv-D1", 10_000));
    t.emit(
        "ascent.crm",
        RefundRequested {
            request_id: "R1".into(),
            invoice_id: "inv-D1".into(),
            amount: Money::usd(10_000),
            reason: "headsets arrived late".into(),
            requested_by: "sam.support@ascent-xr.example".into(),
        },
    );
    t.tick("daily", t0() + Duration::days(1));
    let f = Domain::Financial;
    let dead = t.runtime.dead_letters().unwrap();
    assert!(dead.is_empty(), "{dead:#?}");
    let invoices = t.query(f, "invoice#inv-D1");
    assert!(invoices.len() >= 5, "{invoices:#?}");
    check("invoice#", &invoices);
    let accounts = t.query(f, "account#A1");
    assert_eq!(
        accounts.len(),
        2,
        "the profile and a credit balance: {accounts:#?}"
    );
    check("account#", &accounts);
    check_none(AR_AGEING_PK, &t.query(f, AR_AGEING_PK));
    let queued = Pending {
        id: "R1".into(),
        item: CardRefund {
            request_id: "R1".into(),
            invoice_id: "inv-D1".into(),
            payment_intent: "pi_123".into(),
            amount: Money::usd(10_000),
            reason: "headsets arrived late".into(),
            resent: 0,
        },
        queued_at: t0(),
        attempts: 0,
        last_error: None,
        last_attempt_at: None,
    };
    check(
        refund_sync::OUTBOX_PREFIX,
        &[serde_json::to_value(queued).unwrap()],
    );
    assert_eq!(
        personal_prefixes(),
        ["invoice#", "account#", refund_sync::OUTBOX_PREFIX]
    );
}

// ---- the declaration's checks (`ascent_core::privacy::declared`)

fn check(prefix: &str, records: &[Value]) {
    declared::check_records(&declaration(), prefix, records)
}

fn check_none(prefix: &str, records: &[Value]) {
    declared::check_no_personal_data(&declaration(), prefix, records)
}

fn personal_prefixes() -> Vec<&'static str> {
    declared::personal_prefixes(&declaration())
}
