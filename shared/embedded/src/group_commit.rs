//! Group commit for ingestion: each accepted request must be on the device before it is
//! acknowledged, and a sync costs milliseconds, so requests that arrive while one commit is
//! being synced wait and are stored together by the next one — one transaction and one sync
//! for all of them. One thread commits; request handlers hand their events over and await the
//! outcome without blocking their own threads.

use crate::runtime::{IngestReport, Runtime};
use ascent_core::event::Event;
use futures::channel::oneshot;
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;

/// At most this many requests share one commit (10 events each at most: 2,560 events).
const MAX_GROUP: usize = 256;

/// Why a request's events were not stored (none of them was).
#[derive(Clone, Debug, thiserror::Error)]
#[error("{message}")]
pub struct IngestFailure {
    pub message: String,
    /// The storage failed (full disk, I/O error): the same request may succeed later.
    pub storage_fault: bool,
}

struct Request {
    events: Vec<Event>,
    reply: oneshot::Sender<Result<IngestReport, IngestFailure>>,
}

/// The committing thread and the way to it.
pub struct GroupCommit {
    requests: Option<mpsc::Sender<Request>>,
    thread: Option<JoinHandle<()>>,
}

impl GroupCommit {
    /// Starts the committing thread for `rt`.
    pub fn start(rt: Arc<Runtime>) -> std::io::Result<Self> {
        let (requests, queue) = mpsc::channel::<Request>();
        let thread = std::thread::Builder::new()
            .name("ascent-ingest".into())
            .spawn(move || {
                while let Ok(first) = queue.recv() {
                    let mut group = vec![first];
                    while group.len() < MAX_GROUP {
                        match queue.try_recv() {
                            Ok(r) => group.push(r),
                            Err(_) => break,
                        }
                    }
                    commit(&rt, group);
                }
            })?;
        Ok(Self {
            requests: Some(requests),
            thread: Some(thread),
        })
    }

    /// Stores `events` (all or none) with whatever else is waiting, and says how it went once
    /// the commit is on the device.
    pub async fn ingest(&self, events: Vec<Event>) -> Result<IngestReport, IngestFailure> {
        let (reply, outcome) = oneshot::channel();
        let stopped = || IngestFailure {
            message: "the twin is stopping".into(),
            storage_fault: false,
        };
        self.requests
            .as_ref()
            .ok_or_else(stopped)?
            .send(Request { events, reply })
            .map_err(|_| stopped())?;
        outcome.await.map_err(|_| stopped())?
    }
}

fn commit(rt: &Runtime, group: Vec<Request>) {
    let batches: Vec<&[Event]> = group.iter().map(|r| r.events.as_slice()).collect();
    match rt.ingest_batches(&batches) {
        Ok(reports) => {
            for (r, report) in group.into_iter().zip(reports) {
                let _ = r.reply.send(Ok(report));
            }
        }
        Err(e) => {
            let failure = IngestFailure {
                message: e.to_string(),
                storage_fault: e.is_storage_fault(),
            };
            for r in group {
                let _ = r.reply.send(Err(failure.clone()));
            }
        }
    }
}

impl Drop for GroupCommit {
    fn drop(&mut self) {
        drop(self.requests.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Store, TwinConfig};
    use ascent_core::catalog::LeadCreated;
    use ascent_core::event::Actor;
    use ascent_core::ports::ManualClock;

    fn lead(id: usize) -> Event {
        Event::new(
            "ascent.crm",
            Actor::system("crm"),
            "2026-03-02T09:00:00Z".parse().unwrap(),
            LeadCreated {
                lead_id: format!("L{id}"),
                email: format!("l{id}@example.com"),
                full_name: "A B".into(),
                company: "Example".into(),
                company_size: 10,
                industry: "retail".into(),
                role: "CTO".into(),
                country: None,
                channel: "web".into(),
                phone: None,
                time_zone: None,
            },
        )
    }

    #[test]
    fn concurrent_requests_are_each_stored_and_acknowledged_with_their_own_report() {
        let dir = tempfile::tempdir().unwrap();
        let clock = ManualClock::new("2026-03-02T09:00:00Z".parse().unwrap());
        let store = Store::open(&dir.path().join("twin.db"), Arc::new(clock)).unwrap();
        let rt = Arc::new(Runtime::new(Arc::new(store), vec![], TwinConfig::default()).unwrap());
        let group = Arc::new(GroupCommit::start(rt.clone()).unwrap());
        let handles: Vec<_> = (0..8)
            .map(|t| {
                let group = group.clone();
                std::thread::spawn(move || {
                    (0..25)
                        .map(|i| {
                            let events = vec![lead(t * 100 + i), lead(t * 100 + i + 50)];
                            futures::executor::block_on(group.ingest(events))
                                .unwrap()
                                .accepted
                        })
                        .sum::<usize>()
                })
            })
            .collect();
        let acknowledged: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(acknowledged, 400);
        assert_eq!(rt.archived("LeadCreated").unwrap().len(), 400);
    }
}
