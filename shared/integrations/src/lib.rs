//! The outbound side of the integration points, shared by every adapter.
//!
//! - [`http`]: one HTTP exchange with an external system — credentials, retries with a
//!   doubling backoff, `429` with `Retry-After`, idempotency keys — and the error an adapter
//!   reports ([`IntegrationError`], transient or final).
//! - [`outbox`]: the changes an agent owes an external system, queued in the same commit as the
//!   business record, sent by bounded runs, and kept with their reason when they fail.
//!
//! The adapters themselves live beside the agent that uses them (the CRM connectors in
//! `crm-management`, the ledger's QuickBooks Online adapter in `finance-controller` …), each
//! behind that agent's own port, so agent logic never names an HTTP type.

pub mod http;
pub mod outbox;

pub use http::{Answer, Auth, Body, Http, IntegrationError, Request, RetryPolicy, wait_asked};
pub use outbox::{Attempted, Drained, Outbox, Pending};
