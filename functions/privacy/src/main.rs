//! Lambda entry point of the privacy desk (the privacy queue's consumer).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    privacy::run().await
}
