//! Events this process published, kept parsed until each of their deliveries has been
//! received, so that a handler's input is not serialised to the archive and parsed back.
//!
//! The archive (`events`) stays the source of truth: a delivery whose event is not here (the
//! twin restarted, the event came from a redrive, the cache was full) is read from the archive
//! and parsed. Entries are keyed by archive position, which SQLite may hand out again after a
//! rollback, so the whole cache is dropped whenever the store reports a rollback since the
//! entries were added.

use ascent_core::event::Event;
use std::collections::HashMap;
use std::sync::Arc;

/// At most this many events are held (about 1 KB each); beyond it deliveries read the archive.
const CAPACITY: usize = 50_000;

#[derive(Default)]
pub(crate) struct ParsedEvents {
    /// Archive position → the event and how many of its deliveries are still to be received.
    events: HashMap<i64, (Arc<Event>, usize)>,
    /// The store's rollback count when the entries were added.
    rollbacks: u64,
}

impl ParsedEvents {
    fn validate(&mut self, rollbacks: u64) {
        if self.rollbacks != rollbacks {
            self.events.clear();
            self.rollbacks = rollbacks;
        }
    }

    /// Remembers `event`, archived at `seq` with `deliveries` deliveries enqueued.
    pub(crate) fn insert(&mut self, seq: i64, event: &Event, deliveries: usize, rollbacks: u64) {
        self.validate(rollbacks);
        if deliveries > 0 && self.events.len() < CAPACITY {
            self.events
                .insert(seq, (Arc::new(event.clone()), deliveries));
        }
    }

    /// The event archived at `seq`, if held; counts one delivery received.
    pub(crate) fn take(&mut self, seq: i64, event_id: &str, rollbacks: u64) -> Option<Arc<Event>> {
        self.validate(rollbacks);
        let (event, left) = self.events.get_mut(&seq)?;
        if event.detail.event_id.to_string() != event_id {
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
        cache.insert(7, &e, 2, 0);
        assert_eq!(*cache.take(7, &id, 0).unwrap(), e);
        assert!(cache.take(7, &id, 0).is_some());
        assert!(cache.take(7, &id, 0).is_none(), "both deliveries received");
    }

    #[test]
    fn a_rollback_or_another_event_at_the_position_is_never_served() {
        let mut cache = ParsedEvents::default();
        let (a, b) = (tick(6), tick(7));
        cache.insert(7, &a, 1, 0);
        // The position was rolled back and reused by another event.
        assert!(cache.take(7, &a.detail.event_id.to_string(), 1).is_none());
        cache.insert(8, &a, 1, 1);
        assert!(cache.take(8, &b.detail.event_id.to_string(), 1).is_none());
        assert!(cache.take(8, &a.detail.event_id.to_string(), 1).is_none());
    }
}
