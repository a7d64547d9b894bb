//! Embedded adapters of the Ascent ports and the local twin's runtime: a SQLite store
//! (data lake, queues, dead letters, audit chain, outbox), the queue worker with SQS semantics,
//! the approval flow and the `.eml` outbox. No network and nothing but `cargo` needed.

mod activity;
#[cfg(test)]
mod audit_privacy_tests;
mod checkpoint;
pub mod dead_letters;
pub mod faults;
pub mod group_commit;
mod health;
pub mod key_file;
pub mod outbox;
mod parsed_events;
mod pending_deliveries;
pub mod privacy;
pub mod runtime;
pub mod store;
pub mod sweep;
pub mod testkit;

pub use group_commit::{GroupCommit, IngestFailure};
pub use runtime::{Runtime, StorageFault, TwinConfig, TwinError};
pub use store::Store;
