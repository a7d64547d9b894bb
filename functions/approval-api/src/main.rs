//! Lambda entry point of the approval API: GET shows a request, POST decides it; the same
//! function serves the unsubscribe page of commercial email.

use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    ascent_aws::lambda::init_logging();
    let desk: Arc<dyn ascent_core::approval::ApprovalDesk> =
        Arc::new(ascent_aws::lambda::approval_desk_from_env().await?);
    let unsubscribes = Arc::new(ascent_aws::lambda::unsubscribe_desk_from_env().await);
    lambda_http::run(
        ascent_web::approval_router(desk).merge(ascent_web::unsubscribe_router(unsubscribes)),
    )
    .await
}
