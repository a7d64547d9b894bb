//! The operator console's business records and KPIs, written once for every home: the
//! Business state pages ([`business`]: customers, deals and invoices found by id or customer
//! name, each as a page) and the Dashboard ([`kpis`]), read as the agents wrote them through
//! their own public types, over the [`LakeReader`] port each home implements (the twin over its
//! SQLite store, AWS over DynamoDB). A home's `ascent_console::Insights` calls these; the audit
//! pages and the cost KPI stay with each home (they read the home's own audit trail and bill).

pub mod business;
pub mod contract;
pub mod kpis;
pub mod lake;
pub mod memory;

pub use lake::{Item, LakeReader, get_as, scan_as, scan_matches};
pub use memory::MemoryLake;
