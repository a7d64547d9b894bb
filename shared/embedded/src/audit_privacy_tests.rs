//! The audit chain holds no personal data in the clear: a write keyed by an address is
//! audited under the address's pseudonym, the chain still verifies, and a forged edit is still
//! caught.

use crate::Store;
use crate::key_file::PRIVACY_KEY_FILE;
use ascent_core::agent::Domain;
use ascent_core::audit::AuditEntry;
use ascent_core::ports::{Clock, Condition, Item, ManualClock, Write};
use std::sync::Arc;

/// Every text column of every audit row, joined.
fn audit_text(s: &Store) -> String {
    s.read(|c| {
        let mut st = c.prepare(
            "SELECT at || actor || action || domain || item || COALESCE(correlation_id, '') \
             || detail || prev_hash || hash FROM audit ORDER BY seq",
        )?;
        let rows = st.query_map([], |r| r.get::<_, String>(0))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
    })
    .unwrap()
    .join("\n")
}

#[test]
fn a_write_keyed_by_an_address_is_audited_under_its_pseudonym() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("twin").join("twin.db");
    let clock = Arc::new(ManualClock::new("2026-12-06T10:00:00Z".parse().unwrap()));
    let s = Store::open(&path, clock.clone()).unwrap();
    assert!(path.with_file_name(PRIVACY_KEY_FILE).is_file());
    let (pk, sk) = ("suppression#ana@x.example", "entry");
    s.write_tx(|tx| -> rusqlite::Result<()> {
        tx.apply(Write::Put {
            domain: Domain::Customer,
            item: Item::new(pk, sk, serde_json::json!({"reason": "unsubscribed"})),
            condition: Condition::Always,
        })
        .unwrap();
        tx.audit(AuditEntry {
            at: clock.now(),
            actor: "email-marketing".into(),
            action: "put".into(),
            domain: "customer".into(),
            item: format!("{pk}/{sk}"),
            correlation_id: None,
            detail: "ContactPreferenceChanged for Ana@X.example".into(),
        })
    })
    .unwrap();
    let text = audit_text(&s);
    assert!(!text.to_lowercase().contains("ana@x.example"), "{text}");
    let pseudonym = s.privacy_key().pseudonym("ana@x.example");
    assert!(
        text.contains(&format!("suppression#{pseudonym}/entry")),
        "{text}"
    );
    assert_eq!(s.verify_audit(), Ok(1));
    drop(s);
    // Reopened, the same key: the same person keeps the same pseudonym.
    let s = Store::open(&path, clock).unwrap();
    assert_eq!(s.privacy_key().pseudonym("ana@x.example"), pseudonym);
    assert_eq!(s.verify_audit(), Ok(1));
    // A forged edit behind the trigger's back is still caught.
    s.read(|c| {
        c.execute_batch(
            "DROP TRIGGER audit_no_update; UPDATE audit SET actor = 'operator' WHERE seq = 1;",
        )
    })
    .unwrap();
    assert!(s.verify_audit().unwrap_err().contains("record 1"));
}
