//! Domain core of the Ascent agents ecosystem.
//!
//! Events and their catalog, the agent contract (declaration + handler), ports (data lake,
//! event bus, mailer, clock, text writer), communication compliance (suppression list, call
//! consent and hours), the handler context that buffers effects, the producers of each event
//! type and the sources reserved for the platform, routing with EventBridge pattern semantics,
//! access policy, approval rules and links, and the audit chain.
//! Nothing here names an AWS SDK type or a storage engine.

pub mod agent;
pub mod approval;
pub mod audit;
pub mod catalog;
pub mod compliance;
pub mod config;
pub mod contact;
pub mod context;
pub mod docs;
pub mod engine;
pub mod event;
pub mod json;
pub mod learning;
pub mod limits;
pub mod mime;
pub mod money;
pub mod policy;
pub mod ports;
pub mod privacy;
pub mod producers;
pub mod queues;
pub mod records;
pub mod redact;
pub mod retention;
pub mod routing;
pub mod time;
pub mod writer;

pub use agent::{Agent, AgentDecl, AgentError, Department, Domain, QueueClass, Subscription};
pub use context::{Ctx, Effects};
pub use event::{Actor, Event, EventError};
pub use money::Money;
