//! `ascent aws audit verify`: the deployed audit table's hash chain recomputed offline
//! ([`ascent_aws::audit_seal::verify`]): every sealed day against the items the table holds
//! now, the first broken day with the item edited, deleted or added, and the days not sealed
//! yet.

use ascent_aws::audit_seal::{self, Verified};
use ascent_aws::dynamo::{DynamoLake, Tables};

/// Verifies the audit trail of the stack `stage` (tables `ascent-<stage>-…`).
pub async fn verify(ddb: aws_sdk_dynamodb::Client, stage: &str) -> anyhow::Result<Verified> {
    let lake = DynamoLake::new(
        ddb,
        Tables {
            prefix: format!("ascent-{stage}-"),
        },
    );
    Ok(audit_seal::verify(&lake, chrono::Utc::now()).await?)
}
