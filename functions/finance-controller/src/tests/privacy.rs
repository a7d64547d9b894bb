//! The personal data the declaration names is the data the agent really writes: invoices, a
//! payment, an employee's expense and two recorded approvals go through the twin and the
//! month is closed, and every record under a prefix is checked against its declaration (a
//! renamed field, or a new field holding an address or phone number, fails here).

use super::*;
use crate::ledger::Export;
use ascent_core::privacy::declared;
use ascent_integrations::Pending;
use serde_json::Value;

#[test]
fn the_declared_personal_data_is_what_the_records_hold() {
    let t = twin();
    let src = "ascent.agent.billing";
    t.emit(src, invoice("inv-1", 1_000_000, 72_500, "2026-03-02"));
    t.emit(
        "ascent.payments",
        payment("P1", "inv-1", 1_072_500, "2026-03-25T10:00:00Z"),
    );
    t.emit(
        "ascent.agent.expense-management",
        expense("E1", "marketing", 45_000, "2026-03-10"),
    );
    for (id, amount) in [("apr-1", 48_250), ("apr-2", 250_000)] {
        let d = decided(
            &t,
            &approval_record(id, "mara.head@ascent-xr.example", amount),
        );
        t.emit("ascent.approvals", d);
    }
    close(&t, "2026-04-03");
    let f = Domain::Financial;
    let journal = t.query(f, "journal#2026-03");
    assert_eq!(journal.len(), 3, "{journal:#?}");
    check("journal#", &journal);
    check("controls#", &t.query(f, "controls#2026-03"));
    check("close-report#", &t.query(f, "close-report#2026-03"));
    let queued: Vec<Value> = journal
        .iter()
        .map(|e| {
            let entry: JournalEntry = serde_json::from_value(e.clone()).unwrap();
            serde_json::to_value(Pending {
                id: format!("ascent-je-{}", entry.entry_no),
                item: Export { entry, resent: 0 },
                queued_at: t.now(),
                attempts: 1,
                last_error: Some("QuickBooks busy".into()),
                last_attempt_at: Some(t.now()),
            })
            .unwrap()
        })
        .collect();
    check(crate::ledger::PREFIX, &queued);
    check_none("period#", &t.query(f, "period#2026-03"));
    check_none("posted#", &t.query(f, "posted#expense#E1"));
    check_none("ar#", &t.query(f, "ar#A1"));
    assert_eq!(
        personal_prefixes(),
        [
            "journal#",
            "controls#",
            "close-report#",
            crate::ledger::PREFIX
        ]
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
