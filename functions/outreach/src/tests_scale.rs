//! Bulk work never depends on its size (issue 19): due steps handed out in pages that fit
//! AWS's limits, each step taken by its own message.

use super::*;

/// Bulk work never depends on its size (issue 19): the largest page the settings allow,
/// MAX_DUE_PER_TICK `OutreachStepDue` events of one run, fits AWS's limits on one message's
/// commit (1,000, the bound before, did not: 452,000 bytes of pending events).
#[test]
fn the_largest_page_of_due_steps_fits_aws_limits() {
    let due = at("2026-03-02T09:00:00Z");
    let effects = ascent_core::Effects {
        emitted: (0..MAX_DUE_PER_TICK)
            .map(|i| {
                Event::new(
                    NAME,
                    ascent_core::Actor::system(NAME),
                    due,
                    OutreachStepDue {
                        lead_id: format!("lead-{i:06}-0000-0000-0000-000000000000"),
                        step: 3,
                        due_at: due,
                    },
                )
            })
            .collect(),
        ..Default::default()
    };
    assert_eq!(ascent_core::limits::check(&effects), Ok(()));
}

/// Bulk work never depends on its size (issue 19): 1,000 enrollments due at once are handed
/// out `max_due_per_tick` a run (the rest the next day), each step taken by its own message
/// within AWS's limits; every lead runs through the whole sequence, each step exactly once.
#[test]
fn a_thousand_due_enrollments_all_run_their_sequence_once_within_aws_limits() {
    use ascent_core::ports::{IndexKey, Item};
    let start = at("2026-03-02T06:00:00Z");
    let t = TestTwin::new(vec![Arc::new(Outreach::default())], start);
    let config = OutreachConfig::default();
    for i in 0..1000 {
        let id = format!("L{i:04}");
        let email = format!("p{i:04}@boreal.example");
        let contact = Contact {
            lead_id: id.clone(),
            email: email.clone(),
            full_name: "Ana Ruiz".into(),
            company: "Boreal Aero".into(),
            industry: "Aerospace".into(),
            role: "VP Engineering".into(),
            country: Some("DE".into()),
            phone: None,
            time_zone: None,
            channel: Some("web".into()),
        };
        t.put(
            Domain::Customer,
            Item::new(
                contact_pk(&email),
                "contact",
                serde_json::to_value(&contact).unwrap(),
            ),
        );
        let e = Enrollment {
            lead_id: id.clone(),
            email,
            rep: DARIO.into(),
            sequence: config.sequence.name.clone(),
            next_step: 1,
            next_due: start,
            steps_taken: 0,
            state: EnrollmentState::Active,
            unsubscribe_token: format!("{i:032x}"),
            version: 0,
        };
        let mut item = Item::new(
            enrollment_pk(&id),
            "enrollment",
            serde_json::to_value(&e).unwrap(),
        );
        item.gsi1 = Some(IndexKey {
            pk: DUE.into(),
            sk: format!("{}#{id}", stamp(start)),
        });
        t.put(Domain::Customer, item);
    }
    let per_run = config.max_due_per_tick;
    t.tick("daily", start);
    assert_eq!(
        t.emitted("OutreachStepDue").len(),
        per_run,
        "one page a run"
    );
    for day in 1..40 {
        t.tick("daily", start + Duration::days(day));
    }
    assert!(
        t.runtime.dead_letters().unwrap().is_empty(),
        "{:?}",
        t.runtime.dead_letters()
    );
    let mut taken = BTreeMap::new();
    for s in steps(&t) {
        *taken.entry((s.lead_id, s.step)).or_insert(0) += 1;
    }
    let n = config.sequence.steps.len();
    assert_eq!(taken.len(), 1000 * n, "every step of every lead");
    assert!(taken.values().all(|c| *c == 1), "each step once");
    let done = stops(&t);
    assert_eq!(done.len(), 1000);
    assert!(
        done.iter()
            .all(|s| s.reason == OutreachStopReason::Completed)
    );
}
