//! Lambda entry point of the approval API: GET shows a request, POST decides it; the same
//! function serves the unsubscribe page of commercial email. The link key and the
//! configuration are read at init; a missing one is reported to the Runtime API's
//! `/init/error` by name and the function does not start.

use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    ascent_aws::lambda::init_logging();
    let desk: Arc<dyn ascent_core::approval::ApprovalDesk> =
        match ascent_aws::lambda::approval_desk_from_env().await {
            Ok(desk) => Arc::new(desk),
            Err(e) => ascent_aws::lambda::fail_init(e).await,
        };
    let company = match ascent_aws::lambda::company_from_env().await {
        Ok(company) => company,
        Err(e) => ascent_aws::lambda::fail_init(e).await,
    };
    let unsubscribes = Arc::new(ascent_aws::lambda::unsubscribe_desk_from_env().await);
    lambda_http::run(
        ascent_web::approval_router(desk)
            .merge(ascent_web::unsubscribe_router(unsubscribes, &company.name)),
    )
    .await
}
