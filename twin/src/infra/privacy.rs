//! The privacy desk in the template: `ErasureRequested` on the bus goes by its own rule to
//! the privacy queue (with its dead-letter queue), whose function scans the domain tables and
//! the dead-letter queues for the subject (docs/privacy.md). It may read and rewrite the
//! business and approval tables, add audit items (never change one), remember erased
//! subjects' pseudonyms under `privacy#erased` in the idempotency table (where every agent's
//! host looks them up), and replace dead letters that name the subject.

use super::{
    MAX_RECEIVE_COUNT, alarms, get_att, logical, own_logs, reference, role, sub, table_id,
};
use ascent_core::agent::{AgentDecl, Domain};
use ascent_core::privacy::erasure::SEARCHED;
use serde_json::{Map, Value, json};

/// The privacy desk's timeout: a scan of every table fits in it (docs/privacy.md's bound).
pub const TIMEOUT_SECONDS: u32 = 900;

/// The queues whose messages may name a person: every agent's dead-letter queue, the
/// platform's, and the events no rule could deliver.
fn dead_letter_queues(decls: &[AgentDecl]) -> Vec<Value> {
    decls
        .iter()
        .map(|d| format!("{}ErrorQueue", logical(d.name)))
        .chain([
            "ApprovalRequestsErrorQueue".into(),
            "PrivacyErrorQueue".into(),
            "UndeliveredEventsQueue".into(),
        ])
        .map(|q| get_att(&q, "Arn"))
        .collect()
}

/// The privacy desk's queue, rule, role and function.
pub fn resources(r: &mut Map<String, Value>, decls: &[AgentDecl]) {
    r.insert("PrivacyErrorQueue".into(), json!({
        "Type": "AWS::SQS::Queue",
        "Properties": {"QueueName": sub("ascent-${Stage}-privacy-errors"), "MessageRetentionPeriod": 1_209_600, "SqsManagedSseEnabled": true}
    }));
    r.insert("PrivacyQueue".into(), json!({
        "Type": "AWS::SQS::Queue",
        "Properties": {
            "QueueName": sub("ascent-${Stage}-privacy"),
            "VisibilityTimeout": TIMEOUT_SECONDS * 6,
            "SqsManagedSseEnabled": true,
            "RedrivePolicy": {"deadLetterTargetArn": get_att("PrivacyErrorQueue", "Arn"), "maxReceiveCount": MAX_RECEIVE_COUNT}
        }
    }));
    r.insert(
        "PrivacyErasureRequestedRule".into(),
        json!({
            "Type": "AWS::Events::Rule",
            "Properties": {
                "Description": "privacy/erasure-requested",
                "EventBusName": reference("EventBus"),
                "EventPattern": {"source": ["ascent.privacy"], "detail-type": ["ErasureRequested"]},
                "State": "ENABLED",
                "Targets": [{
                    "Id": "queue",
                    "Arn": get_att("PrivacyQueue", "Arn"),
                    "DeadLetterConfig": {"Arn": get_att("UndeliveredEventsQueue", "Arn")},
                    "RetryPolicy": {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86_400}
                }]
            }
        }),
    );
    r.insert("PrivacyQueuePolicy".into(), json!({
        "Type": "AWS::SQS::QueuePolicy",
        "Properties": {
            "Queues": [reference("PrivacyQueue")],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Sid": "RulesDeliver", "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": get_att("PrivacyQueue", "Arn"),
                "Condition": {"ArnEquals": {"aws:SourceArn": [get_att("PrivacyErasureRequestedRule", "Arn")]}}
            }]}
        }
    }));
    r.insert("PrivacyLogGroup".into(), json!({
        "Type": "AWS::Logs::LogGroup",
        "Properties": {"LogGroupName": sub("/aws/lambda/ascent-${Stage}-privacy"), "RetentionInDays": 30}
    }));
    let searched: Vec<Value> = SEARCHED
        .iter()
        .map(|d| get_att(&table_id(*d), "Arn"))
        .collect();
    r.insert("PrivacyRole".into(), role("privacy", "lambda.amazonaws.com", vec![
        own_logs("privacy"),
        json!({"Sid": "OwnQueue", "Effect": "Allow",
               "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"],
               "Resource": get_att("PrivacyQueue", "Arn")}),
        json!({"Sid": "EraseRecords", "Effect": "Allow",
               "Action": ["dynamodb:Scan", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"],
               "Resource": searched}),
        json!({"Sid": "RememberErasedSubjects", "Effect": "Allow", "Action": ["dynamodb:PutItem"],
               "Resource": get_att(&table_id(Domain::Idempotency), "Arn"),
               "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["privacy#erased"]}}}),
        json!({"Sid": "AuditErasures", "Effect": "Allow", "Action": ["dynamodb:PutItem"],
               "Resource": get_att(&table_id(Domain::Audit), "Arn"),
               "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["audit#*"]}}}),
        json!({"Sid": "ReplaceDeadLetters", "Effect": "Allow",
               "Action": ["sqs:GetQueueUrl", "sqs:ReceiveMessage", "sqs:SendMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"],
               "Resource": dead_letter_queues(decls)}),
        json!({"Sid": "ReadPrivacyKey", "Effect": "Allow", "Action": ["ssm:GetParameter"],
               "Resource": sub(&format!("arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter${{{}}}", super::audit_trail::PARAMETER))}),
    ]));
    r.insert("PrivacyFunction".into(), json!({
        "Type": "AWS::Serverless::Function",
        "DependsOn": ["PrivacyLogGroup"],
        "Metadata": {"BuildMethod": "rust-cargolambda", "BuildProperties": {"Binary": "privacy"}},
        "Properties": {
            "FunctionName": sub("ascent-${Stage}-privacy"),
            "Description": "The privacy desk: carries out ErasureRequested over every table and dead-letter queue",
            "CodeUri": "..",
            "Role": get_att("PrivacyRole", "Arn"),
            "Timeout": TIMEOUT_SECONDS,
            "Environment": {"Variables": {
                "ASCENT_TABLE_PREFIX": sub("ascent-${Stage}-"),
                "ASCENT_QUEUE_PREFIX": sub("ascent-${Stage}-"),
                "ASCENT_PRIVACY_KEY_PARAMETER": reference(super::audit_trail::PARAMETER),
                "RUST_LOG": "info"
            }},
            "Events": {"Requests": {"Type": "SQS", "Properties": {
                "Queue": get_att("PrivacyQueue", "Arn"), "BatchSize": 1,
                "FunctionResponseTypes": ["ReportBatchItemFailures"]}}}
        }
    }));
    alarms(
        r,
        "Privacy",
        "privacy",
        "PrivacyErrorQueue",
        "PrivacyFunction",
    );
}
