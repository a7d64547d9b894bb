//! Lambda entry point of the operator console (`ascent_console_aws`): its ports built at init
//! (a missing setting is reported by name), then every request of the Function URL.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    ascent_console_aws::run().await
}
