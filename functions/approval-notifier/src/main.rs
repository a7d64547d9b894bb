//! Lambda entry point of the approval notifier (the approval-requests queue's consumer). The
//! link key, the approval API's URL and the configuration are read at init; a missing one is
//! reported to the Runtime API's `/init/error` by name.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    ascent_aws::lambda::run_approval_notifier().await
}
