//! Lambda entry point of the approval notifier (the approval-requests queue's consumer).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    ascent_aws::lambda::run_approval_notifier().await
}
