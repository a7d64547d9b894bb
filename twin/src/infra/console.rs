//! The operator console in the template: a function of its own behind its Function URL
//! (the console signs operators in itself: `[console]`'s accounts, sessions in DynamoDB),
//! with a role that may read what its pages show and do what its admins do, and no more:
//! read every table; decide approvals as the approval API does; keep its sessions and failed
//! sign-ins under `console#` in the idempotency table; add audit items; read the queues and
//! move dead letters back; pause and resume the agents' event source mappings; put
//! `ErasureRequested` on the bus (docs/console.md, "On AWS").

use super::{get_att, logical, own_logs, read_link_key, reference, role, sub, table_id};
use ascent_core::agent::{AgentDecl, Domain};
use serde_json::{Map, Value, json};

/// The console's timeout: a page that reads the tables (business search, KPIs) fits in it.
pub const TIMEOUT_SECONDS: u32 = 60;
/// Argon2 (the sign-in's password check) is CPU bound; Lambda's CPU grows with memory.
pub const MEMORY_MB: u32 = 512;

fn queue_arns(decls: &[AgentDecl], errors: bool) -> Vec<Value> {
    decls
        .iter()
        .map(|d| {
            let suffix = if errors { "ErrorQueue" } else { "Queue" };
            get_att(&format!("{}{suffix}", logical(d.name)), "Arn")
        })
        .collect()
}

/// The console's role, function, URL and logs.
pub fn resources(r: &mut Map<String, Value>, decls: &[AgentDecl]) {
    r.insert("ConsoleLogGroup".into(), json!({
        "Type": "AWS::Logs::LogGroup",
        "Properties": {"LogGroupName": sub("/aws/lambda/ascent-${Stage}-operator-console"), "RetentionInDays": 30}
    }));
    let tables: Vec<Value> = Domain::ALL
        .iter()
        .map(|d| get_att(&table_id(*d), "Arn"))
        .collect();
    let mut error_queues = queue_arns(decls, true);
    error_queues.extend([
        get_att("ApprovalRequestsErrorQueue", "Arn"),
        get_att("PrivacyErrorQueue", "Arn"),
        get_att("UndeliveredEventsQueue", "Arn"),
    ]);
    let mut queues = queue_arns(decls, false);
    queues.extend([
        get_att("ApprovalRequestsQueue", "Arn"),
        get_att("PrivacyQueue", "Arn"),
    ]);
    let functions: Vec<Value> = decls
        .iter()
        .map(|d| {
            sub(&format!(
                "arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:${{AWS::AccountId}}:function:ascent-${{Stage}}-{}",
                d.name
            ))
        })
        .collect();
    r.insert("ConsoleRole".into(), role("operator-console", "lambda.amazonaws.com", vec![
        own_logs("operator-console"),
        json!({"Sid": "ReadTables", "Effect": "Allow",
               "Action": ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"], "Resource": tables}),
        json!({"Sid": "DecideApprovals", "Effect": "Allow", "Action": ["dynamodb:PutItem"],
               "Resource": get_att(&table_id(Domain::Approvals), "Arn")}),
        json!({"Sid": "ResumeWorkflow", "Effect": "Allow", "Action": ["states:SendTaskSuccess"],
               "Resource": reference("ApprovalStateMachine")}),
        json!({"Sid": "Sessions", "Effect": "Allow",
               "Action": ["dynamodb:PutItem", "dynamodb:DeleteItem"],
               "Resource": get_att(&table_id(Domain::Idempotency), "Arn"),
               "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["console#*"]}}}),
        json!({"Sid": "AuditActions", "Effect": "Allow", "Action": ["dynamodb:PutItem"],
               "Resource": get_att(&table_id(Domain::Audit), "Arn"),
               "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["audit#*"]}}}),
        json!({"Sid": "ReadQueues", "Effect": "Allow",
               "Action": ["sqs:GetQueueUrl", "sqs:GetQueueAttributes"],
               "Resource": queues.iter().chain(&error_queues).cloned().collect::<Vec<_>>()}),
        json!({"Sid": "DeadLetters", "Effect": "Allow",
               "Action": ["sqs:ReceiveMessage", "sqs:ChangeMessageVisibility", "sqs:DeleteMessage"],
               "Resource": error_queues}),
        json!({"Sid": "Redrive", "Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": queues}),
        // Listing event source mappings takes no resource: `*` is the only one it allows.
        json!({"Sid": "ListMappings", "Effect": "Allow",
               "Action": ["lambda:ListEventSourceMappings"], "Resource": "*"}),
        json!({"Sid": "PauseAgents", "Effect": "Allow",
               "Action": ["lambda:UpdateEventSourceMapping"],
               "Resource": sub("arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:event-source-mapping:*"),
               "Condition": {"ArnLike": {"lambda:FunctionArn": functions}}}),
        json!({"Sid": "ReadQueueMetrics", "Effect": "Allow",
               "Action": ["cloudwatch:GetMetricData"], "Resource": "*"}),
        json!({"Sid": "RequestErasures", "Effect": "Allow", "Action": ["events:PutEvents"],
               "Resource": get_att("EventBus", "Arn"),
               "Condition": {"StringEquals": {"events:source": ["ascent.privacy"],
                                              "events:detail-type": ["ErasureRequested"]}}}),
        read_link_key(),
        super::settings::read_statement(),
    ]));
    r.insert("ConsoleFunction".into(), json!({
        "Type": "AWS::Serverless::Function",
        "DependsOn": ["ConsoleLogGroup"],
        "Metadata": {"BuildMethod": "rust-cargolambda", "BuildProperties": {"Binary": "operator-console"}},
        "Properties": {
            "FunctionName": sub("ascent-${Stage}-operator-console"),
            "Description": "The operator console: approvals, agents, queues, audit, business state, dashboard, privacy",
            "CodeUri": "..",
            "Role": get_att("ConsoleRole", "Arn"),
            "Timeout": TIMEOUT_SECONDS,
            "MemorySize": MEMORY_MB,
            "FunctionUrlConfig": {"AuthType": "NONE"},
            "Environment": {"Variables": {
                "ASCENT_EVENT_BUS": reference("EventBus"),
                "ASCENT_TABLE_PREFIX": sub("ascent-${Stage}-"),
                "ASCENT_QUEUE_PREFIX": sub("ascent-${Stage}-"),
                "ASCENT_CONFIG_PARAMETER": sub(super::settings::CONFIG_PATH),
                "ASCENT_LINK_KEY_PARAMETER": reference("LinkKeyParameterName"),
                "RUST_LOG": "info"
            }}
        }
    }));
}
