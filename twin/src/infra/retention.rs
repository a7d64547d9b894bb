//! Retention on AWS: the dead-letter queues keep a message `[data_retention] dead_letters_days`
//! (their `MessageRetentionPeriod`; SQS allows at most 14 days, which the setting's validation
//! says), and DynamoDB's TTL on `expires_at` (every domain table's `TimeToLiveSpecification`)
//! removes what the engine gave an expiry from the agents' declarations.

use ascent_core::retention::DataRetention;
use serde_json::{Map, Value, json};

/// Whether a resource is a dead-letter queue: an agent's `-errors` queue, the approval
/// requests' one, or the rules' `undelivered-events` queue.
fn is_dead_letter_queue(resource: &Value) -> bool {
    resource["Type"] == "AWS::SQS::Queue"
        && resource["Properties"]["QueueName"]["Fn::Sub"]
            .as_str()
            .is_some_and(|n| n.ends_with("-errors") || n.ends_with("-undelivered-events"))
}

/// Sets every dead-letter queue's `MessageRetentionPeriod` from the settings.
pub fn apply(r: &mut Map<String, Value>, settings: &DataRetention) {
    for resource in r.values_mut() {
        if is_dead_letter_queue(resource) {
            resource["Properties"]["MessageRetentionPeriod"] =
                json!(settings.dead_letter_seconds());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ascent_core::agent::Domain;
    use ascent_core::config::ConfigFile;

    fn template(dead_letters_days: u32) -> Value {
        let text = ConfigFile::shipped().text().replace(
            "dead_letters_days = 14",
            &format!("dead_letters_days = {dead_letters_days}"),
        );
        let config = ConfigFile::parse("x.toml", text).unwrap();
        super::super::template_with(&crate::agents::declarations(), &config).unwrap()
    }

    #[test]
    fn every_dead_letter_queue_keeps_a_message_the_setting_s_days() {
        for days in [14, 3] {
            let t = template(days);
            let queues: Vec<_> = t["Resources"]
                .as_object()
                .unwrap()
                .iter()
                .filter(|(_, r)| is_dead_letter_queue(r))
                .collect();
            // One per agent, the approval requests', the privacy desk's and the undelivered
            // events'.
            assert_eq!(queues.len(), crate::agents::declarations().len() + 3);
            for (id, q) in queues {
                assert_eq!(
                    q["Properties"]["MessageRetentionPeriod"],
                    json!(days * 86_400),
                    "{id}"
                );
            }
        }
    }

    #[test]
    fn every_domain_table_lets_dynamodb_s_ttl_remove_expired_items() {
        let t = template(14);
        let tables: Vec<_> = t["Resources"]
            .as_object()
            .unwrap()
            .values()
            .filter(|r| r["Type"] == "AWS::DynamoDB::Table")
            .collect();
        assert!(tables.len() >= Domain::ALL.len());
        for table in tables {
            assert_eq!(
                table["Properties"]["TimeToLiveSpecification"],
                json!({"AttributeName": "expires_at", "Enabled": true}),
                "{}",
                table["Properties"]["TableName"]
            );
        }
    }
}
