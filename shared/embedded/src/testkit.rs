//! A twin in memory with a hand-moved clock, for agent tests and whole-flow tests.

use crate::{Runtime, Store, TwinConfig};
use ascent_core::agent::{Agent, Domain};
use ascent_core::approval::{ApprovalView, Decision, DeskError};
use ascent_core::catalog::EventPayload;
use ascent_core::event::{Actor, Event};
use ascent_core::ports::{Clock, DataLake, ManualClock};
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// The privacy key of every [`TestTwin`]: fixed, so a test on AWS's host can be given the same
/// one and the two homes' pseudonyms compare.
pub fn test_privacy_key() -> ascent_core::privacy::PrivacyKey {
    ascent_core::privacy::PrivacyKey::new([7u8; 32]).expect("32 bytes")
}

/// An in-memory twin with a manual clock.
pub struct TestTwin {
    pub runtime: Runtime,
    pub clock: ManualClock,
}

impl TestTwin {
    pub fn new(agents: Vec<Arc<dyn Agent>>, start: DateTime<Utc>) -> Self {
        Self::with_config(agents, start, TwinConfig::default())
    }

    pub fn with_config(
        agents: Vec<Arc<dyn Agent>>,
        start: DateTime<Utc>,
        config: TwinConfig,
    ) -> Self {
        let clock = ManualClock::new(start);
        let store = Arc::new(
            Store::in_memory(Arc::new(clock.clone()))
                .expect("in-memory store")
                .with_privacy_key(test_privacy_key()),
        );
        let runtime = Runtime::new(store, agents, config).expect("valid agent declarations");
        Self { runtime, clock }
    }

    /// A twin whose store is a file (`twin.db`) in `folder`, as `ascent up` keeps it: for
    /// tests that look at the file itself (what erasure leaves in it).
    pub fn in_folder(
        agents: Vec<Arc<dyn Agent>>,
        start: DateTime<Utc>,
        folder: &std::path::Path,
    ) -> Self {
        let clock = ManualClock::new(start);
        let store = Store::open(&folder.join("twin.db"), Arc::new(clock.clone()))
            .expect("a store in the folder");
        let runtime = Runtime::new(Arc::new(store), agents, TwinConfig::default())
            .expect("valid agent declarations");
        Self { runtime, clock }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Emits a business event from `source` at the current time and drains all queues.
    pub fn emit<P: EventPayload>(&self, source: &str, payload: P) -> Event {
        let e = Event::new(source, Actor::system(source), self.now(), payload);
        self.runtime
            .ingest(std::slice::from_ref(&e))
            .expect("ingest");
        self.drain();
        e
    }

    /// Moves the clock to `at`, fires `schedule` (`daily`, `hourly`) for that time and drains.
    pub fn tick(&self, schedule: &str, at: DateTime<Utc>) {
        self.clock.set(at);
        self.runtime
            .schedule_tick(schedule, at)
            .expect("schedule tick");
        self.drain();
    }

    /// Processes every queue until idle, moving the clock through retry backoffs.
    pub fn drain(&self) -> usize {
        futures::executor::block_on(self.runtime.drain(|t| self.clock.set(t))).expect("drain")
    }

    pub fn get(&self, domain: Domain, pk: &str, sk: &str) -> Option<serde_json::Value> {
        futures::executor::block_on(self.runtime.store().get(domain, pk, sk))
            .expect("get")
            .map(|i| i.data)
    }

    /// The items of one partition (a table query), in sort-key order.
    pub fn query(&self, domain: Domain, pk: &str) -> Vec<serde_json::Value> {
        futures::executor::block_on(
            self.runtime
                .store()
                .query(domain, &ascent_core::ports::Query::table(pk)),
        )
        .expect("query")
        .into_iter()
        .map(|i| i.data)
        .collect()
    }

    /// The items of one `gsi1` partition, in index sort-key order.
    pub fn query_index(&self, domain: Domain, pk: &str) -> Vec<serde_json::Value> {
        futures::executor::block_on(
            self.runtime
                .store()
                .query(domain, &ascent_core::ports::Query::gsi1(pk)),
        )
        .expect("query")
        .into_iter()
        .map(|i| i.data)
        .collect()
    }

    /// Writes an item straight into the data lake (a record another component keeps, such as
    /// an approval record of the workflow on AWS).
    pub fn put(&self, domain: Domain, item: ascent_core::ports::Item) {
        futures::executor::block_on(self.runtime.store().transact(&[
            ascent_core::ports::Write::Put {
                domain,
                item,
                condition: ascent_core::ports::Condition::Always,
            },
        ]))
        .expect("put");
    }

    /// Payloads of archived events of one type, oldest first.
    pub fn emitted(&self, detail_type: &str) -> Vec<Event> {
        self.runtime.archived(detail_type).expect("archive")
    }

    /// Decides the latest approval emailed to `approver` through its link, as the approval
    /// page's POST would, then drains the queues.
    pub fn decide_from_mail(
        &self,
        approver: &str,
        decision: Decision,
        comment: Option<&str>,
    ) -> Result<ApprovalView, DeskError> {
        let mail = self
            .runtime
            .mails()
            .expect("outbox")
            .into_iter()
            .rev()
            .find(|m| {
                m.to.eq_ignore_ascii_case(approver) && m.subject.starts_with("Approval needed")
            })
            .unwrap_or_else(|| panic!("no approval email to {approver}"));
        let url = mail
            .text
            .lines()
            .find_map(|l| l.strip_prefix("Approve: "))
            .expect("approval link in the email");
        let id = url
            .split("/approvals/")
            .nth(1)
            .and_then(|r| r.split('?').next())
            .expect("approval id in the link");
        let token = url
            .split("t=")
            .nth(1)
            .and_then(|r| r.split('&').next())
            .expect("token in the link");
        let view =
            self.runtime
                .decide_approval(id, token, decision, comment.map(str::to_string))?;
        self.drain();
        Ok(view)
    }
}
