//! The operator console's home on AWS: the same pages as the twin's (`ascent-console`), served
//! by a function of their own behind its Function URL, over ports implemented on the stack:
//!
//! - [`operations`]: approvals (the approvals table, decided through Step Functions as the
//!   email links are), agents (queues, CloudWatch, event source mappings: pause and resume),
//!   queues and dead letters ([`dead_letters`]), every change audited ([`audit`]);
//! - [`insights`]: the audit trail (day partitions and their seals), business records and
//!   KPIs (`ascent-insights` over [`reader`]'s prefix reads of the tables);
//! - [`privacy`]: a person's export, and their erasure requested on the bus;
//! - [`sessions`]: sessions and failed sign-ins in DynamoDB, as instances come and go.
//!
//! Operators are the stack's Cognito user pool's ([`cognito`]), signed in through the console's
//! own form. [`home_from_env`] builds it all from the function's environment.

pub mod audit;
pub mod cognito;
pub mod dead_letters;
pub mod home;
pub mod insights;
pub mod operations;
pub mod privacy;
pub mod reader;
pub mod sessions;

pub use home::{home_from_env, run};
