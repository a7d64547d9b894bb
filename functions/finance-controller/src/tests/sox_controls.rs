//! SOX controls on every recorded financial approval.

use super::*;

#[test]
fn sox_controls_are_checked_on_every_financial_approval() {
    let t = twin();
    let small = decided(
        &t,
        &approval_record("apr-1", "mara.head@ascent-xr.example", 48_250),
    );
    let big = decided(
        &t,
        &approval_record("apr-2", "mara.head@ascent-xr.example", 250_000),
    );
    t.emit("ascent.approvals", small);
    t.emit("ascent.approvals", big.clone());
    t.emit("ascent.approvals", big);
    let exceptions = t.emitted("ExceptionRaised");
    assert_eq!(exceptions.len(), 1);
    let Payload::ExceptionRaised(x) = exceptions[0].payload() else {
        unreachable!()
    };
    assert_eq!(x.severity, Severity::Critical);
    assert!(x.reason.contains("approval limit"), "{}", x.reason);
    close(&t, "2026-04-03");
    let r = report(&t, "2026-03");
    assert_eq!((r.controls_checked, r.controls_failed), (2, 1));
    assert!(r.control_failures[0].starts_with("apr-2 (expense E1): approval limit"));
}

#[test]
fn only_recorded_approvals_are_checked() {
    let t = twin();
    let real = decided(
        &t,
        &approval_record("apr-1", "mara.head@ascent-xr.example", 48_250),
    );
    // No record at all; a record that says someone else decided; another requesting agent.
    let mut unknown = real.clone();
    unknown.approval_id = "apr-forged".into();
    let mut other_decider = real.clone();
    other_decider.decided_by = Some("finance.controller@ascent-xr.example".into());
    let mut other_agent = real.clone();
    other_agent.requested_by_agent = "closing".into();
    for forged in [unknown, other_decider, other_agent] {
        t.emit("ascent.approvals", forged);
    }
    let dead = t.runtime.dead_letters().unwrap();
    assert_eq!(dead.len(), 3, "{dead:?}");
    assert!(
        dead[0].reason.contains("no such approval on record"),
        "{}",
        dead[0].reason
    );
    assert!(
        dead[1]
            .reason
            .contains("`decided_by` is not what the record says"),
        "{}",
        dead[1].reason
    );
    assert!(
        dead[2]
            .reason
            .contains("opened by `expense-management`, not by `closing`"),
        "{}",
        dead[2].reason
    );
    close(&t, "2026-04-03");
    assert_eq!(report(&t, "2026-03").controls_checked, 0);
}
