//! Events this process published, kept parsed until each of their deliveries has been
//! received, so that a handler's input is not serialised to the archive and parsed back.
//!
//! The archive (`events`) stays the source of truth: a delivery whose event is not here (the
//! twin restarted, the event came from a redrive, the cache was full) is read from the archive
//! and parsed. Entries are keyed by archive position, which SQLite may hand out again after a
//! rollback, so the runtime holds this in a [`crate::store::SinceRollback`].

use ascent_core::event::Event;
use foldhash::HashMap;
use std::sync::Arc;
use uuid::Uuid;

/// At most this many events are held (about 1 KB each); beyond it deliveries read the archive.
const CAPACITY: usize = 50_000;

#[derive(Default)]
pub(crate) struct ParsedEvents {
    /// Archive position → the event and how many of its deliveries are still to be received.
    events: HashMap<i64, (Arc<Event>, usize)>,
}

impl ParsedEvents {
    /// Remembers `event`, archived at `seq` with `deliveries` deliveries enqueued.
    pub(crate) fn insert(&mut self, seq: i64, event: &Event, deliveries: usize) {
        if deliveries > 0 && self.events.len() < CAPACITY {
            self.events
                .insert(seq, (Arc::new(event.clone()), deliveries));
        }
    }

    /// The event archived at `seq`, if held; counts one delivery received.
    pub(crate) fn take(&mut self, seq: i64, event_id: &str) -> Option<Arc<Event>> {
        let (event, left) = self.events.get_mut(&seq)?;
        if Uuid::parse_str(event_id).ok() != Some(event.detail.event_id) {
            self.events.remove(&seq);
            return None;
        }
        let event = event.clone();
        *left -= 1;
        if *left == 0 {
            self.events.remove(&seq);
        }
        Some(event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SinceRollback;
    use ascent_core::catalog::ScheduleTick;

    fn tick(hour: u32) -> Event {
        let at = format!("2026-03-02T{hour:02}:00:00Z").parse().unwrap();
        ScheduleTick::event("hourly", at)
    }

    #[test]
    fn an_event_is_held_until_its_last_delivery_is_received() {
        let mut cache = ParsedEvents::default();
        let e = tick(6);
        let id = e.detail.event_id.to_string();
        cache.insert(7, &e, 2);
        assert_eq!(*cache.take(7, &id).unwrap(), e);
        assert!(cache.take(7, &id).is_some());
        assert!(cache.take(7, &id).is_none(), "both deliveries received");
    }

    #[test]
    fn a_rollback_or_another_event_at_the_position_is_never_served() {
        let mut cache = SinceRollback::<ParsedEvents>::default();
        let (a, b) = (tick(6), tick(7));
        cache.current(0).insert(7, &a, 1);
        // The position was rolled back and reused by another event.
        assert!(
            cache
                .current(1)
                .take(7, &a.detail.event_id.to_string())
                .is_none()
        );
        cache.current(1).insert(8, &a, 1);
        assert!(
            cache
                .current(1)
                .take(8, &b.detail.event_id.to_string())
                .is_none()
        );
        assert!(
            cache
                .current(1)
                .take(8, &a.detail.event_id.to_string())
                .is_none()
        );
    }
}
