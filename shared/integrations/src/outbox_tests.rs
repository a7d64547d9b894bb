//! The outbox over the embedded store: queued, sent, kept, held and released.

use super::*;
use ascent_core::agent::{AgentDecl, Department, QueueClass, owns};
use ascent_core::catalog::ScheduleTick;
use ascent_core::event::{Actor, Event};
use ascent_core::ports::{DataLake, ManualClock};
use ascent_embedded::store::Store;
use std::sync::Arc;

fn t0() -> DateTime<Utc> {
    "2026-12-05T09:00:00Z".parse().unwrap()
}

fn decl() -> AgentDecl {
    AgentDecl {
        name: "finance-controller",
        department: Department::Finance,
        queue: QueueClass::Batch,
        subscriptions: vec![],
        reads: vec![Domain::Financial],
        owns: vec![owns(Domain::Financial, "ledger#")],
        emits: vec![],
        requests_approvals: false,
        sends_mail: false,
        writes_text: false,
    }
}

fn tick() -> Event {
    Event::new(
        "ascent.scheduler",
        Actor::system("scheduler"),
        t0(),
        ScheduleTick {
            schedule: "hourly".into(),
            at: t0(),
        },
    )
}

fn store() -> Store {
    Store::in_memory(Arc::new(ManualClock::new(t0()))).unwrap()
}

fn outbox() -> Outbox {
    Outbox::new(Domain::Financial, "ledger#", "quickbooks")
}

/// Runs `f` in a context and commits what it buffered.
async fn within<T>(lake: &Store, f: impl AsyncFnOnce(&mut Ctx<'_>) -> Result<T, AgentError>) -> T {
    let d = decl();
    let cause = tick();
    let mut ctx = Ctx::new(&d, lake, &cause, t0());
    let out = f(&mut ctx).await.unwrap();
    lake.transact(&ctx.into_effects().writes).await.unwrap();
    out
}

fn refused() -> IntegrationError {
    IntegrationError::Refused {
        status: 400,
        message: "Account 4000 is inactive".into(),
    }
}

fn down() -> IntegrationError {
    IntegrationError::Unavailable {
        attempts: 4,
        last: "status 503".into(),
    }
}

#[tokio::test]
async fn a_drain_sends_in_id_order_keeps_the_transient_and_holds_the_refused() {
    let lake = store();
    let ob = outbox();
    within(&lake, async |ctx| {
        for id in ["je-0003", "je-0001", "je-0002", "je-0004"] {
            ob.queue(ctx, id, format!("entry {id}"))?;
        }
        Ok(())
    })
    .await;
    // A page of 3: the first sent, the second down, the third refused; one more waits.
    let drained = within(&lake, async |ctx| {
        ob.drain(ctx, None, 3, |id, item: &String| match id {
            "je-0001" => Ok(format!("qbo:{item}")),
            "je-0002" => Err(down()),
            _ => Err(refused()),
        })
        .await
    })
    .await;
    assert_eq!(
        drained
            .attempted
            .iter()
            .map(|a| a.pending.id.as_str())
            .collect::<Vec<_>>(),
        ["je-0001", "je-0002", "je-0003"]
    );
    assert_eq!((drained.sent(), drained.kept(), drained.held()), (1, 1, 1));
    assert!(drained.more);
    assert_eq!(drained.last_id(), Some("je-0003"));

    // The next page starts after je-0003: only je-0004.
    let (waiting, more) = within(&lake, async |ctx| {
        ob.waiting::<String>(ctx, Some("je-0003"), 3).await
    })
    .await;
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].id, "je-0004");
    assert!(!more);

    // Queued: je-0002 (with its reason and attempt) and je-0004; held: je-0003.
    let (waiting, _) = within(&lake, async |ctx| ob.waiting::<String>(ctx, None, 10).await).await;
    let ids: Vec<_> = waiting.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["je-0002", "je-0004"]);
    assert_eq!(waiting[0].attempts, 1);
    assert_eq!(
        waiting[0].last_error.as_deref(),
        Some("unavailable after 4 attempts: status 503")
    );
    assert_eq!(waiting[0].last_attempt_at, Some(t0()));
    let held = within(&lake, async |ctx| ob.held::<String>(ctx, 10).await).await;
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].id, "je-0003");
    assert_eq!(
        held[0].last_error.as_deref(),
        Some("refused (400): Account 4000 is inactive")
    );
    assert_eq!(within(&lake, async |ctx| ob.queued(ctx).await).await, 2);
}

#[tokio::test]
async fn a_held_change_released_after_the_fix_is_sent_by_the_next_run() {
    let lake = store();
    let ob = outbox();
    within(&lake, async |ctx| ob.queue(ctx, "je-0007", 7u32)).await;
    within(&lake, async |ctx| {
        ob.drain(ctx, None, 5, |_, _: &u32| Err::<(), _>(refused()))
            .await
    })
    .await;
    // Runs do not retry it.
    let again = within(&lake, async |ctx| {
        ob.drain(ctx, None, 5, |_, _: &u32| Ok(())).await
    })
    .await;
    assert!(again.attempted.is_empty());
    // Released, it is queued again (its attempt count kept, its old reason cleared) and sent.
    assert!(within(&lake, async |ctx| ob.release::<u32>(ctx, "je-0007").await).await);
    assert!(!within(&lake, async |ctx| ob.release::<u32>(ctx, "je-0007").await).await);
    let (waiting, _) = within(&lake, async |ctx| ob.waiting::<u32>(ctx, None, 5).await).await;
    assert_eq!(
        (waiting[0].attempts, waiting[0].last_error.clone()),
        (1, None)
    );
    let sent = within(&lake, async |ctx| {
        ob.drain(ctx, None, 5, |id, n: &u32| Ok(format!("{id}={n}")))
            .await
    })
    .await;
    assert_eq!(sent.sent(), 1);
    assert_eq!(sent.attempted[0].result.as_deref(), Ok("je-0007=7"));
    assert_eq!(within(&lake, async |ctx| ob.queued(ctx).await).await, 0);
    assert!(
        within(&lake, async |ctx| ob.held::<u32>(ctx, 5).await)
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn a_dropped_change_is_gone_and_queued_counts_this_message_s_own_writes() {
    let lake = store();
    let ob = outbox();
    within(&lake, async |ctx| ob.queue(ctx, "je-0009", 9u32)).await;
    within(&lake, async |ctx| {
        ob.drain(ctx, None, 5, |_, _: &u32| Err::<(), _>(refused()))
            .await
    })
    .await;
    assert!(within(&lake, async |ctx| ob.drop_held(ctx, "je-0009").await).await);
    assert!(!within(&lake, async |ctx| ob.drop_held(ctx, "je-0009").await).await);
    // Two queued in this message, none committed yet: counted as two.
    let n = within(&lake, async |ctx| {
        ob.queue(ctx, "je-0010", 10u32)?;
        ob.queue(ctx, "je-0011", 11u32)?;
        ob.queued(ctx).await
    })
    .await;
    assert_eq!(n, 2);
}
