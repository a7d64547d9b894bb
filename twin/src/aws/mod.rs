//! `ascent aws …`: a local stack made from the generated template (`local-stack`), and the
//! operator's view of a deployed stack (`status`, `dlq list|redrive`, `audit verify`, `privacy export|erase`), through the AWS SDK
//! (`AWS_ENDPOINT_URL` honoured).

pub mod audit;
pub mod local_stack;
pub mod ops;
pub mod privacy;

pub use local_stack::{LocalStack, Outcome};
