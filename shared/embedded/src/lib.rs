//! Embedded adapters of the Ascent ports and the local twin's runtime: a SQLite store
//! (data lake, queues, dead letters, audit chain, outbox), the queue worker with SQS semantics,
//! the approval flow and the `.eml` outbox. No network and nothing but `cargo` needed.

pub mod store;

pub use store::Store;
