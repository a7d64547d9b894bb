//! Each page's body as a pure function of what the port returned and who looks at it.

pub mod agents;
pub mod approvals;
pub mod audit;
pub mod business;
pub mod dashboard;
pub mod queues;
pub mod sign_in;
