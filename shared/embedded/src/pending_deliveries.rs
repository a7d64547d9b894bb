//! Deliveries published inside the worker's open unit of work and not yet written to the
//! queue table.
//!
//! Most events an agent emits are received by the next agent within the same unit of work
//! (a unit runs until the queues are empty or about 2,000 messages were handled). Writing such
//! a delivery to `queue_messages` and deleting it a few milliseconds later, inside the same
//! transaction, leaves the database exactly as if neither had happened, so the worker keeps
//! them here instead: they are received from memory, and whatever is left when the unit ends
//! is written just before it commits (so a unit that commits has lost nothing, and one that
//! rolls back takes the events that caused them with it). A delivery that fails is written
//! then, with its receive count and backoff, like any other.
//!
//! Only the worker defers, and only while a unit it opened is open ([`PendingDeliveries::open`]);
//! ingestion, approval decisions and every other writer enqueue directly.

use ascent_core::agent::QueueClass;
use foldhash::HashMap;
use std::collections::VecDeque;

/// One delivery not yet in `queue_messages`.
#[derive(Clone, Debug)]
pub(crate) struct PendingDelivery {
    /// Publication order within the unit (also the order they are written in).
    pub order: u64,
    pub agent: &'static str,
    pub class: QueueClass,
    pub event_id: String,
    pub detail_type: String,
    pub event_seq: i64,
    /// Unix milliseconds.
    pub enqueued_at: i64,
}

#[derive(Default)]
pub(crate) struct PendingDeliveries {
    open: bool,
    next: u64,
    by_agent: HashMap<&'static str, VecDeque<PendingDelivery>>,
}

impl PendingDeliveries {
    /// Starts deferring (the worker opened a unit of work that will call [`Self::close`]).
    pub(crate) fn open(&mut self) {
        self.by_agent.clear();
        self.open = true;
    }

    /// Stops deferring; returns what is left, in publication order, for writing.
    pub(crate) fn close(&mut self) -> Vec<PendingDelivery> {
        self.open = false;
        let mut left: Vec<_> = self.by_agent.drain().flat_map(|(_, q)| q).collect();
        left.sort_by_key(|d| d.order);
        left
    }

    /// Whether deliveries published now may be deferred.
    pub(crate) fn is_open(&self) -> bool {
        self.open
    }

    /// Defers one delivery.
    pub(crate) fn push(
        &mut self,
        agent: &'static str,
        class: QueueClass,
        event_id: &str,
        detail_type: &str,
        event_seq: i64,
        enqueued_at: i64,
    ) {
        debug_assert!(self.open);
        let order = self.next;
        self.next += 1;
        self.by_agent
            .entry(agent)
            .or_default()
            .push_back(PendingDelivery {
                order,
                agent,
                class,
                event_id: event_id.to_string(),
                detail_type: detail_type.to_string(),
                event_seq,
                enqueued_at,
            });
    }

    /// Whether `agent` has deferred deliveries.
    pub(crate) fn has(&self, agent: &str) -> bool {
        self.by_agent.get(agent).is_some_and(|q| !q.is_empty())
    }

    /// Takes up to `n` of `agent`'s deliveries, oldest first.
    pub(crate) fn take(&mut self, agent: &str, n: usize) -> Vec<PendingDelivery> {
        match self.by_agent.get_mut(agent) {
            Some(q) => {
                let n = n.min(q.len());
                q.drain(..n).collect()
            }
            None => Vec::new(),
        }
    }

    /// The position to come back to if what is published from now on is undone.
    pub(crate) fn mark(&self) -> u64 {
        self.next
    }

    /// Forgets what was published since `mark` (its savepoint rolled back).
    pub(crate) fn undo_since(&mut self, mark: u64) {
        for q in self.by_agent.values_mut() {
            while q.back().is_some_and(|d| d.order >= mark) {
                q.pop_back();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending() -> PendingDeliveries {
        let mut p = PendingDeliveries::default();
        p.open();
        p
    }

    fn push(p: &mut PendingDeliveries, agent: &'static str, seq: i64) {
        p.push(agent, QueueClass::Priority, "e", "T", seq, 0);
    }

    #[test]
    fn deliveries_are_taken_per_agent_oldest_first() {
        let mut p = pending();
        push(&mut p, "a", 1);
        push(&mut p, "b", 2);
        push(&mut p, "a", 3);
        assert!(p.has("a") && p.has("b") && !p.has("c"));
        let a: Vec<_> = p.take("a", 10).iter().map(|d| d.event_seq).collect();
        assert_eq!(a, [1, 3]);
        assert!(!p.has("a"));
        assert_eq!(p.take("b", 0).len(), 0);
        assert!(p.has("b"));
    }

    #[test]
    fn closing_returns_what_is_left_in_publication_order() {
        let mut p = pending();
        for (agent, seq) in [("b", 1), ("a", 2), ("b", 3), ("c", 4)] {
            push(&mut p, agent, seq);
        }
        p.take("b", 1);
        let left: Vec<_> = p.close().iter().map(|d| d.event_seq).collect();
        assert_eq!(left, [2, 3, 4]);
        assert!(!p.is_open());
    }

    #[test]
    fn undo_forgets_only_what_was_published_after_the_mark() {
        let mut p = pending();
        push(&mut p, "a", 1);
        let mark = p.mark();
        push(&mut p, "a", 2);
        push(&mut p, "b", 3);
        p.undo_since(mark);
        let left: Vec<_> = p.close().iter().map(|d| d.event_seq).collect();
        assert_eq!(left, [1]);
    }

    #[test]
    fn opening_starts_empty() {
        let mut p = pending();
        push(&mut p, "a", 1);
        p.open();
        assert!(!p.has("a"));
    }
}
