//! `infra/template.yaml` (AWS SAM) from the agents' declarations: one source of truth for
//! rules, queues, tables and IAM. `ascent infra` prints it; a test proves the committed file
//! is what the declarations produce, and that every role grants only what its agent declares.
//!
//! Each EventBridge rule's pattern is the twin router's ([`Router::new`]): the declared pattern
//! with the `source` condition of its detail-types' producers. Every role may put events only
//! under its own source and only the types that source produces; each outside producer (the
//! CRM, the web site, the payment processor, …) gets a managed policy allowing exactly that,
//! to attach to the role or user of the system it runs on. The business settings
//! (`ascent.toml`) go in as SSM parameters every function reads ([`settings`]).

mod audit_trail;
mod concurrency;
mod console;
mod observation;
mod privacy;
mod retention;
mod settings;

use ascent_core::agent::{AgentDecl, Domain, QueueClass};
use ascent_core::config::platform::Schedule;
use ascent_core::config::{ConfigError, ConfigFile};
use ascent_core::producers::Producers;
use ascent_core::routing::Router;
use serde_json::{Map, Value, json};

/// Receives before SQS dead-letters a message (the twin uses the same).
pub const MAX_RECEIVE_COUNT: u32 = 3;
/// Function timeout; queue visibility is six times it, as AWS recommends.
pub const FUNCTION_TIMEOUT_SECONDS: u32 = 30;

/// `lead-generation` → `LeadGeneration` (CloudFormation logical ids).
pub fn logical(name: &str) -> String {
    name.split(['-', '_'])
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn sub(s: &str) -> Value {
    json!({"Fn::Sub": s})
}
fn get_att(resource: &str, attr: &str) -> Value {
    json!({"Fn::GetAtt": [resource, attr]})
}
fn reference(name: &str) -> Value {
    json!({"Ref": name})
}

fn table_id(d: Domain) -> String {
    format!("{}Table", logical(d.as_str()))
}

fn table(d: Domain) -> Value {
    let attr = |n: &str| json!({"AttributeName": n, "AttributeType": "S"});
    json!({
        "Type": "AWS::DynamoDB::Table",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            "TableName": sub(&format!("ascent-${{Stage}}-{}", d.as_str())),
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [attr("pk"), attr("sk"), attr("gsi1pk"), attr("gsi1sk")],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "GlobalSecondaryIndexes": [{
                "IndexName": "gsi1",
                "KeySchema": [{"AttributeName": "gsi1pk", "KeyType": "HASH"}, {"AttributeName": "gsi1sk", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "ALL"}
            }],
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": true},
            "SSESpecification": {"SSEEnabled": true},
            "TimeToLiveSpecification": {"AttributeName": "expires_at", "Enabled": true}
        }
    })
}

/// Writes to each domain the agent writes, limited to the partition keys under its own
/// prefixes (`dynamodb:LeadingKeys`), and to its own idempotency records (partition key: its
/// name; the host's failure records, `failure#<event id>`, sit beside them under the same key).
fn write_statements(d: &AgentDecl) -> Vec<Value> {
    let actions = json!([
        "dynamodb:PutItem",
        "dynamodb:DeleteItem",
        "dynamodb:UpdateItem",
        "dynamodb:BatchWriteItem"
    ]);
    let mut out: Vec<Value> = d
        .writes()
        .into_iter()
        .map(|domain| {
            let keys: Vec<String> = d.prefixes(domain).iter().map(|p| format!("{p}*")).collect();
            json!({"Sid": format!("WriteOwnKeys{}", logical(domain.as_str())), "Effect": "Allow",
                   "Action": actions,
                   "Resource": get_att(&table_id(domain), "Arn"),
                   "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": keys}}})
        })
        .collect();
    out.push(
        json!({"Sid": "WriteOwnIdempotency", "Effect": "Allow", "Action": actions,
        "Resource": get_att(&table_id(Domain::Idempotency), "Arn"),
        "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [d.name]}}}),
    );
    out
}

/// The IAM statements an agent's declaration allows, and nothing more.
pub fn statements(d: &AgentDecl) -> Vec<Value> {
    let id = logical(d.name);
    let mut reads: Vec<Domain> = d.reads.iter().copied().chain(d.writes()).collect();
    reads.push(Domain::Idempotency);
    reads.sort();
    reads.dedup();
    let mut read_resources = Vec::new();
    for t in &reads {
        read_resources.push(get_att(&table_id(*t), "Arn"));
        read_resources.push(sub(&format!("${{{}.Arn}}/index/gsi1", table_id(*t))));
    }
    let mut out = vec![
        own_logs(d.name),
        json!({"Sid": "OwnQueue", "Effect": "Allow",
               "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"],
               "Resource": get_att(&format!("{id}Queue"), "Arn")}),
        json!({"Sid": "OwnDeadLetterQueue", "Effect": "Allow", "Action": ["sqs:SendMessage"],
               "Resource": get_att(&format!("{id}ErrorQueue"), "Arn")}),
        json!({"Sid": "ReadDeclaredDomains", "Effect": "Allow",
               "Action": ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:ConditionCheckItem"],
               "Resource": read_resources}),
    ];
    out.extend(write_statements(d));
    out.push(
        json!({"Sid": "AppendAudit", "Effect": "Allow", "Action": ["dynamodb:PutItem"],
        "Resource": get_att(&table_id(Domain::Audit), "Arn"),
        "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["audit#*"]}}}),
    );
    out.push(settings::read_statement());
    if !d.emits.is_empty() {
        out.push(json!({"Sid": "EmitDeclaredEvents", "Effect": "Allow", "Action": ["events:PutEvents"],
            "Resource": get_att("EventBus", "Arn"),
            "Condition": {"StringEquals": {"events:source": [d.source()], "events:detail-type": d.emits}}}));
    }
    // The host announces the agent's dead letters (`MessageDeadLettered`, a system event).
    out.push(
        json!({"Sid": "AnnounceDeadLetters", "Effect": "Allow", "Action": ["events:PutEvents"],
        "Resource": get_att("EventBus", "Arn"),
        "Condition": {"StringEquals": {"events:source": [ascent_core::producers::SYSTEM_SOURCE],
                                       "events:detail-type": ["MessageDeadLettered"]}}}),
    );
    if d.handles_dead_letters() {
        out.extend(redrive_statements());
    }
    if d.sends_mail {
        out.push(send_mail());
    }
    if d.writes_text {
        out.push(json!({"Sid": "WriteWithBedrock", "Effect": "Allow",
            "Action": ["bedrock:InvokeModel"],
            "Resource": sub("arn:${AWS::Partition}:bedrock:${AWS::Region}::foundation-model/${BedrockModelId}")}));
    }
    if d.requests_approvals {
        out.push(
            json!({"Sid": "StartApprovals", "Effect": "Allow", "Action": ["states:StartExecution"],
            "Resource": reference("ApprovalStateMachine")}),
        );
    }
    out
}

/// What the agent that handles dead letters may do with the agents' queues: take a letter from
/// an agent's dead-letter queue and send it back to that agent's queue. The queues, every
/// agent's by name, are filled in by [`grant_redrive`].
fn redrive_statements() -> Vec<Value> {
    vec![
        json!({"Sid": "TakeDeadLetters", "Effect": "Allow",
               "Action": ["sqs:GetQueueUrl", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"],
               "Resource": []}),
        json!({"Sid": "RedriveDeadLetters", "Effect": "Allow",
               "Action": ["sqs:GetQueueUrl", "sqs:SendMessage"],
               "Resource": []}),
    ]
}

/// Points the redrive statements at every agent's dead-letter queue and queue.
fn grant_redrive(resources: &mut Map<String, Value>, decls: &[AgentDecl]) {
    let queues = |suffix: &str| -> Value {
        decls
            .iter()
            .map(|d| get_att(&format!("{}{suffix}", logical(d.name)), "Arn"))
            .collect()
    };
    let (errors, queues) = (queues("ErrorQueue"), queues("Queue"));
    let statements = resources
        .values_mut()
        .filter_map(|r| r.pointer_mut("/Properties/Policies"))
        .filter_map(Value::as_array_mut)
        .flatten()
        .filter_map(|p| p.pointer_mut("/PolicyDocument/Statement"))
        .filter_map(Value::as_array_mut)
        .flatten();
    for statement in statements {
        if statement["Sid"] == "TakeDeadLetters" {
            statement["Resource"] = errors.clone();
        } else if statement["Sid"] == "RedriveDeadLetters" {
            statement["Resource"] = queues.clone();
        }
    }
}

/// `ses:SendEmail` as the sender; its resources (the sender's SES identities) are filled in
/// from `[mail] from` by [`grant_sender`].
fn send_mail() -> Value {
    json!({"Sid": "SendMail", "Effect": "Allow", "Action": ["ses:SendEmail"], "Resource": []})
}

/// The SES identities a mail from `from` is authorised against: the address and its domain.
/// SES checks the identity the operator verified — the address itself, or else its domain —
/// so the roles name both, and verifying either (as docs/deploying.md says) lets them send.
pub fn sender_identities(from: &str) -> Vec<Value> {
    let domain = from.rsplit('@').next().unwrap_or(from);
    [from, domain]
        .iter()
        .map(|identity| {
            sub(&format!(
                "arn:${{AWS::Partition}}:ses:${{AWS::Region}}:${{AWS::AccountId}}:identity/{identity}"
            ))
        })
        .collect()
}

/// Points every `SendMail` statement of the template's roles at the sender's identities.
fn grant_sender(resources: &mut Map<String, Value>, from: &str) {
    let policies = resources
        .values_mut()
        .filter_map(|r| r.pointer_mut("/Properties/Policies"))
        .filter_map(Value::as_array_mut)
        .flatten();
    for policy in policies {
        let Some(statements) = policy
            .pointer_mut("/PolicyDocument/Statement")
            .and_then(Value::as_array_mut)
        else {
            continue;
        };
        for statement in statements.iter_mut().filter(|s| s["Sid"] == "SendMail") {
            statement["Resource"] = Value::Array(sender_identities(from));
        }
    }
}

fn own_logs(function: &str) -> Value {
    json!({"Sid": "OwnLogs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": sub(&format!("arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:/aws/lambda/ascent-${{Stage}}-{function}:*"))})
}

fn read_link_key() -> Value {
    json!({"Sid": "ReadLinkKey", "Effect": "Allow", "Action": ["ssm:GetParameter"],
        "Resource": sub("arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${LinkKeyParameterName}")})
}

fn role(name: &str, principal: &str, statements: Vec<Value>) -> Value {
    json!({
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": principal}, "Action": "sts:AssumeRole"}]},
            "Policies": [{"PolicyName": name, "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}]
        }
    })
}

fn alarms(r: &mut Map<String, Value>, id: &str, name: &str, error_queue: &str, function: &str) {
    r.insert(format!("{id}DeadLettersAlarm"), json!({
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmDescription": format!("{name}: messages in the dead-letter queue (list and redrive them)"),
            "Namespace": "AWS/SQS", "MetricName": "ApproximateNumberOfMessagesVisible",
            "Dimensions": [{"Name": "QueueName", "Value": get_att(error_queue, "QueueName")}],
            "Statistic": "Maximum", "Period": 300, "EvaluationPeriods": 1, "Threshold": 0,
            "ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "notBreaching"
        }
    }));
    r.insert(
        format!("{id}ErrorsAlarm"),
        json!({
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "AlarmDescription": format!("{name}: function errors"),
                "Namespace": "AWS/Lambda", "MetricName": "Errors",
                "Dimensions": [{"Name": "FunctionName", "Value": reference(function)}],
                "Statistic": "Sum", "Period": 300, "EvaluationPeriods": 1, "Threshold": 0,
                "ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "notBreaching"
            }
        }),
    );
}

/// The approval workflow: state machine, requests queue, notifier and API.
fn approval_resources(r: &mut Map<String, Value>) {
    let approvals_table = get_att(&table_id(Domain::Approvals), "Arn");
    r.insert("ApprovalRequestsErrorQueue".into(), json!({
        "Type": "AWS::SQS::Queue",
        "Properties": {"QueueName": sub("ascent-${Stage}-approval-requests-errors"), "MessageRetentionPeriod": 1_209_600, "SqsManagedSseEnabled": true}
    }));
    r.insert("ApprovalRequestsQueue".into(), json!({
        "Type": "AWS::SQS::Queue",
        "Properties": {
            "QueueName": sub("ascent-${Stage}-approval-requests"),
            "VisibilityTimeout": FUNCTION_TIMEOUT_SECONDS * 6,
            "SqsManagedSseEnabled": true,
            "RedrivePolicy": {"deadLetterTargetArn": get_att("ApprovalRequestsErrorQueue", "Arn"), "maxReceiveCount": MAX_RECEIVE_COUNT}
        }
    }));
    r.insert("ApprovalStateMachineRole".into(), role("approval-state-machine", "states.amazonaws.com", vec![
        json!({"Sid": "HandOverTaskTokens", "Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": get_att("ApprovalRequestsQueue", "Arn")}),
        json!({"Sid": "AnnounceDecisions", "Effect": "Allow", "Action": ["events:PutEvents"], "Resource": get_att("EventBus", "Arn"),
               "Condition": {"StringEquals": {"events:source": ["ascent.approvals"], "events:detail-type": ["ApprovalDecided"]}}}),
    ]));
    r.insert(
        "ApprovalStateMachine".into(),
        json!({
            "Type": "AWS::Serverless::StateMachine",
            "Properties": {
                "Name": sub("ascent-${Stage}-approval"),
                "Type": "STANDARD",
                "DefinitionUri": "statemachines/approval.asl.json",
                "DefinitionSubstitutions": {
                    "ApprovalRequestsQueueUrl": reference("ApprovalRequestsQueue"),
                    "EventBusName": reference("EventBus")
                },
                "Role": get_att("ApprovalStateMachineRole", "Arn")
            }
        }),
    );
    for (id, name) in [
        ("ApprovalNotifier", "approval-notifier"),
        ("ApprovalApi", "approval-api"),
    ] {
        r.insert(format!("{id}LogGroup"), json!({
            "Type": "AWS::Logs::LogGroup",
            "Properties": {"LogGroupName": sub(&format!("/aws/lambda/ascent-${{Stage}}-{name}")), "RetentionInDays": 30}
        }));
    }
    r.insert("ApprovalNotifierRole".into(), role("approval-notifier", "lambda.amazonaws.com", vec![
        own_logs("approval-notifier"),
        json!({"Sid": "OwnQueue", "Effect": "Allow",
               "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"],
               "Resource": get_att("ApprovalRequestsQueue", "Arn")}),
        json!({"Sid": "ApprovalRecords", "Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem"], "Resource": approvals_table.clone()}),
        send_mail(),
        read_link_key(),
        settings::read_statement(),
    ]));
    r.insert("ApprovalNotifierFunction".into(), json!({
        "Type": "AWS::Serverless::Function",
        "DependsOn": ["ApprovalNotifierLogGroup"],
        "Metadata": {"BuildMethod": "rust-cargolambda", "BuildProperties": {"Binary": "approval-notifier"}},
        "Properties": {
            "FunctionName": sub("ascent-${Stage}-approval-notifier"),
            "Description": "Emails signed approval links; keeps task tokens in DynamoDB",
            "CodeUri": "..",
            "Role": get_att("ApprovalNotifierRole", "Arn"),
            "Environment": {"Variables": {
                "ASCENT_EVENT_BUS": reference("EventBus"),
                "ASCENT_TABLE_PREFIX": sub("ascent-${Stage}-"),
                "ASCENT_CONFIG_PARAMETER": sub(settings::CONFIG_PATH),
                "ASCENT_LINK_KEY_PARAMETER": reference("LinkKeyParameterName"),
                "ASCENT_APPROVAL_BASE_URL": get_att("ApprovalApiFunctionUrl", "FunctionUrl"),
                "RUST_LOG": "info"
            }},
            "Events": {"Requests": {"Type": "SQS", "Properties": {
                "Queue": get_att("ApprovalRequestsQueue", "Arn"), "BatchSize": 10,
                "FunctionResponseTypes": ["ReportBatchItemFailures"]}}}
        }
    }));
    r.insert("ApprovalApiRole".into(), role("approval-api", "lambda.amazonaws.com", vec![
        own_logs("approval-api"),
        json!({"Sid": "ApprovalRecords", "Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem"], "Resource": approvals_table}),
        json!({"Sid": "UnsubscribeLinks", "Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": get_att(&table_id(Domain::Customer), "Arn")}),
        json!({"Sid": "AnnounceOptOuts", "Effect": "Allow", "Action": ["events:PutEvents"], "Resource": get_att("EventBus", "Arn"),
               "Condition": {"StringEquals": {"events:source": ["ascent.web"], "events:detail-type": ["ContactPreferenceChanged"]}}}),
        json!({"Sid": "ResumeWorkflow", "Effect": "Allow", "Action": ["states:SendTaskSuccess"], "Resource": reference("ApprovalStateMachine")}),
        read_link_key(),
        settings::read_statement(),
    ]));
    r.insert("ApprovalApiFunction".into(), json!({
        "Type": "AWS::Serverless::Function",
        "DependsOn": ["ApprovalApiLogGroup"],
        "Metadata": {"BuildMethod": "rust-cargolambda", "BuildProperties": {"Binary": "approval-api"}},
        "Properties": {
            "FunctionName": sub("ascent-${Stage}-approval-api"),
            "Description": "Approval pages: GET shows a request, POST decides it",
            "CodeUri": "..",
            "Role": get_att("ApprovalApiRole", "Arn"),
            "FunctionUrlConfig": {"AuthType": "NONE"},
            "Environment": {"Variables": {
                "ASCENT_EVENT_BUS": reference("EventBus"),
                "ASCENT_TABLE_PREFIX": sub("ascent-${Stage}-"),
                "ASCENT_CONFIG_PARAMETER": sub(settings::CONFIG_PATH),
                "ASCENT_LINK_KEY_PARAMETER": reference("LinkKeyParameterName"),
                "RUST_LOG": "info"
            }}
        }
    }));
    webhook_resources(r);
    schedule_resources(r);
    alarms(
        r,
        "ApprovalNotifier",
        "approval-notifier",
        "ApprovalRequestsErrorQueue",
        "ApprovalNotifierFunction",
    );
    r.insert("ApprovalStateMachineFailuresAlarm".into(), json!({
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmDescription": "approval workflow: failed executions",
            "Namespace": "AWS/States", "MetricName": "ExecutionsFailed",
            "Dimensions": [{"Name": "StateMachineArn", "Value": reference("ApprovalStateMachine")}],
            "Statistic": "Sum", "Period": 300, "EvaluationPeriods": 1, "Threshold": 0,
            "ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "notBreaching"
        }
    }));
}

/// The daily schedule: EventBridge Scheduler invokes `schedule-tick` at `[schedule] daily_at`
/// (06:00 UTC shipped; [`set_daily_schedule`]), which puts the `ScheduleTick` on the bus (the
/// agents' daily rules match it).
fn schedule_resources(r: &mut Map<String, Value>) {
    r.insert("ScheduleTickLogGroup".into(), json!({
        "Type": "AWS::Logs::LogGroup",
        "Properties": {"LogGroupName": sub("/aws/lambda/ascent-${Stage}-schedule-tick"), "RetentionInDays": 30}
    }));
    r.insert("ScheduleTickRole".into(), role("schedule-tick", "lambda.amazonaws.com", vec![
        own_logs("schedule-tick"),
        json!({"Sid": "PutTicks", "Effect": "Allow", "Action": ["events:PutEvents"], "Resource": get_att("EventBus", "Arn"),
               "Condition": {"StringEquals": {"events:source": ["ascent.scheduler"], "events:detail-type": ["ScheduleTick"]}}}),
    ]));
    r.insert("ScheduleTickFunction".into(), json!({
        "Type": "AWS::Serverless::Function",
        "DependsOn": ["ScheduleTickLogGroup"],
        "Metadata": {"BuildMethod": "rust-cargolambda", "BuildProperties": {"Binary": "schedule-tick"}},
        "Properties": {
            "FunctionName": sub("ascent-${Stage}-schedule-tick"),
            "Description": "Puts the daily ScheduleTick on the bus (invoked by EventBridge Scheduler)",
            "CodeUri": "..",
            "Role": get_att("ScheduleTickRole", "Arn"),
            "Environment": {"Variables": {"ASCENT_EVENT_BUS": reference("EventBus"), "RUST_LOG": "info"}}
        }
    }));
    r.insert("SchedulerRole".into(), role("scheduler", "scheduler.amazonaws.com", vec![
        json!({"Sid": "InvokeScheduleTick", "Effect": "Allow", "Action": ["lambda:InvokeFunction"],
               "Resource": get_att("ScheduleTickFunction", "Arn")}),
    ]));
    // The schedules: each invokes schedule-tick with its name; the expressions that come from
    // `[schedule]` are set by set_daily_schedule.
    r.insert(
        "HourlySchedule".into(),
        schedule(
            "hourly",
            "The agents' hourly run (support SLA timers)",
            json!("cron(0 * * * ? *)"),
            (10, 1800),
        ),
    );
    r.insert(
        "SlaSchedule".into(),
        schedule(
            "sla",
            "The SLA check (support's deadlines and warnings)",
            Value::Null,
            (3, 300),
        ),
    );
    r.insert(
        "DailySchedule".into(),
        schedule(
            "daily",
            "The agents' daily run (dunning, reminders, outreach steps, reimbursements, month close)",
            Value::Null,
            (10, 3600),
        ),
    );
}

/// The webhook ingest: a Function URL taking verified Stripe deliveries onto the bus.
fn webhook_resources(r: &mut Map<String, Value>) {
    r.insert("WebhookIngestLogGroup".into(), json!({
        "Type": "AWS::Logs::LogGroup",
        "Properties": {"LogGroupName": sub("/aws/lambda/ascent-${Stage}-webhook-ingest"), "RetentionInDays": 30}
    }));
    r.insert("WebhookIngestRole".into(), role("webhook-ingest", "lambda.amazonaws.com", vec![
        own_logs("webhook-ingest"),
        json!({"Sid": "PutPaymentEvents", "Effect": "Allow", "Action": ["events:PutEvents"], "Resource": get_att("EventBus", "Arn"),
               "Condition": {"StringEquals": {"events:source": ["ascent.payments"],
                             "events:detail-type": ["PaymentReceived", "PaymentFailed", "PaymentRefunded"]}}}),
        json!({"Sid": "PutTickets", "Effect": "Allow", "Action": ["events:PutEvents"], "Resource": get_att("EventBus", "Arn"),
               "Condition": {"StringEquals": {"events:source": ["ascent.support"], "events:detail-type": ["TicketOpened"]}}}),
        json!({"Sid": "PutContactUpdates", "Effect": "Allow", "Action": ["events:PutEvents"], "Resource": get_att("EventBus", "Arn"),
               "Condition": {"StringEquals": {"events:source": ["ascent.crm"], "events:detail-type": ["ContactUpdated"]}}}),
        json!({"Sid": "ReadWebhookSecrets", "Effect": "Allow", "Action": ["ssm:GetParameter"],
               "Resource": [
                   sub("arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${StripeSecretParameterName}"),
                   sub("arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${ZendeskSecretParameterName}"),
                   sub("arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${IntercomSecretParameterName}"),
                   sub("arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${HubSpotSecretParameterName}"),
                   sub("arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${SalesforceSecretParameterName}")
               ]}),
    ]));
    r.insert("WebhookIngestFunction".into(), json!({
        "Type": "AWS::Serverless::Function",
        "DependsOn": ["WebhookIngestLogGroup"],
        "Metadata": {"BuildMethod": "rust-cargolambda", "BuildProperties": {"Binary": "webhook-ingest"}},
        "Properties": {
            "FunctionName": sub("ascent-${Stage}-webhook-ingest"),
            "Description": "Verified webhooks (Stripe-Signature) to business events on the bus",
            "CodeUri": "..",
            "Role": get_att("WebhookIngestRole", "Arn"),
            "FunctionUrlConfig": {"AuthType": "NONE"},
            "Environment": {"Variables": {
                "ASCENT_EVENT_BUS": reference("EventBus"),
                "ASCENT_STRIPE_SECRET_PARAMETER": reference("StripeSecretParameterName"),
                "ASCENT_ZENDESK_SECRET_PARAMETER": reference("ZendeskSecretParameterName"),
                "ASCENT_INTERCOM_SECRET_PARAMETER": reference("IntercomSecretParameterName"),
                "ASCENT_HUBSPOT_SECRET_PARAMETER": reference("HubSpotSecretParameterName"),
                "ASCENT_SALESFORCE_SECRET_PARAMETER": reference("SalesforceSecretParameterName"),
                "RUST_LOG": "info"
            }}
        }
    }));
    r.insert("WebhookIngestErrorsAlarm".into(), json!({
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmDescription": "webhook-ingest: function errors",
            "Namespace": "AWS/Lambda", "MetricName": "Errors",
            "Dimensions": [{"Name": "FunctionName", "Value": reference("WebhookIngestFunction")}],
            "Statistic": "Sum", "Period": 300, "EvaluationPeriods": 1, "Threshold": 0,
            "ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "notBreaching"
        }
    }));
}

fn agent_environment(d: &AgentDecl) -> Value {
    let mut env = json!({
        // A message that can never succeed goes to the dead-letter queue at once.
        "ASCENT_DEAD_LETTER_QUEUE_URL": reference(&format!("{}ErrorQueue", logical(d.name))),
        "ASCENT_EVENT_BUS": reference("EventBus"),
        "ASCENT_TABLE_PREFIX": sub("ascent-${Stage}-"),
        // A failure at this receive is the last: the host announces the dead letter.
        "ASCENT_MAX_RECEIVE_COUNT": MAX_RECEIVE_COUNT.to_string(),
        "RUST_LOG": "info"
    });
    if d.handles_dead_letters() {
        env["ASCENT_QUEUE_PREFIX"] = sub("ascent-${Stage}-");
    }
    let (config_var, config_path) = settings::environment();
    env[config_var] = config_path;
    if d.requests_approvals {
        env["ASCENT_APPROVAL_STATE_MACHINE_ARN"] = reference("ApprovalStateMachine");
    }
    if d.writes_text {
        env["ASCENT_TEXT_WRITER"] = reference("TextWriter");
        env["ASCENT_BEDROCK_MODEL_ID"] = reference("BedrockModelId");
    }
    if d.sends_mail {
        // Commercial email carries an unsubscribe link (CAN-SPAM); the approval API serves
        // the unsubscribe page (unless `[links] unsubscribe_url` names another).
        env["ASCENT_UNSUBSCRIBE_URL"] = sub("${ApprovalApiFunctionUrl.FunctionUrl}unsubscribe");
    }
    env
}

fn agent_resources(d: &AgentDecl, router: &Router, r: &mut Map<String, Value>) {
    let id = logical(d.name);
    let (batch_size, window) = match d.queue {
        QueueClass::Priority => (10, 0),
        QueueClass::Batch => (100, 30),
    };
    r.insert(
        format!("{id}ErrorQueue"),
        json!({
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": sub(&format!("ascent-${{Stage}}-{}-errors", d.name)),
                "MessageRetentionPeriod": 1_209_600,
                "SqsManagedSseEnabled": true
            }
        }),
    );
    r.insert(format!("{id}Queue"), json!({
        "Type": "AWS::SQS::Queue",
        "Properties": {
            "QueueName": sub(&format!("ascent-${{Stage}}-{}-{}", d.name, d.queue.as_str())),
            "VisibilityTimeout": FUNCTION_TIMEOUT_SECONDS * 6,
            "MessageRetentionPeriod": 345_600,
            "SqsManagedSseEnabled": true,
            "RedrivePolicy": {"deadLetterTargetArn": get_att(&format!("{id}ErrorQueue"), "Arn"), "maxReceiveCount": MAX_RECEIVE_COUNT}
        }
    }));
    let mut rule_arns = Vec::new();
    for s in &d.subscriptions {
        let rule = format!("{id}{}Rule", logical(s.name));
        let pattern = &router
            .rules()
            .iter()
            .find(|x| x.agent == d.name && x.subscription == s.name)
            .expect("the router has every subscription")
            .pattern;
        rule_arns.push(get_att(&rule, "Arn"));
        r.insert(rule, json!({
            "Type": "AWS::Events::Rule",
            "Properties": {
                "Description": format!("{}/{}", d.name, s.name),
                "EventBusName": reference("EventBus"),
                "EventPattern": pattern,
                "State": "ENABLED",
                "Targets": [{
                    "Id": "queue",
                    "Arn": get_att(&format!("{id}Queue"), "Arn"),
                    "DeadLetterConfig": {"Arn": get_att("UndeliveredEventsQueue", "Arn")},
                    "RetryPolicy": {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86_400}
                }]
            }
        }));
    }
    r.insert(
        format!("{id}QueuePolicy"),
        json!({
            "Type": "AWS::SQS::QueuePolicy",
            "Properties": {
                "Queues": [reference(&format!("{id}Queue"))],
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Sid": "RulesDeliver", "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": get_att(&format!("{id}Queue"), "Arn"),
                    "Condition": {"ArnEquals": {"aws:SourceArn": rule_arns}}
                }]}
            }
        }),
    );
    r.insert(format!("{id}LogGroup"), json!({
        "Type": "AWS::Logs::LogGroup",
        "Properties": {"LogGroupName": sub(&format!("/aws/lambda/ascent-${{Stage}}-{}", d.name)), "RetentionInDays": 30}
    }));
    r.insert(format!("{id}Role"), json!({
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
            "Policies": [{"PolicyName": d.name, "PolicyDocument": {"Version": "2012-10-17", "Statement": statements(d)}}]
        }
    }));
    r.insert(
        format!("{id}Function"),
        json!({
            "Type": "AWS::Serverless::Function",
            "DependsOn": [format!("{id}LogGroup")],
            "Metadata": {"BuildMethod": "rust-cargolambda", "BuildProperties": {"Binary": d.name}},
            "Properties": {
                "FunctionName": sub(&format!("ascent-${{Stage}}-{}", d.name)),
                "Description": format!("{} agent ({} queue)", d.name, d.queue.as_str()),
                "CodeUri": "..",
                "Role": get_att(&format!("{id}Role"), "Arn"),
            "Environment": {"Variables": agent_environment(d)},
                "Events": {"Queue": {"Type": "SQS", "Properties": {
                    "Queue": get_att(&format!("{id}Queue"), "Arn"),
                    "BatchSize": batch_size,
                    "MaximumBatchingWindowInSeconds": window,
                    "FunctionResponseTypes": ["ReportBatchItemFailures"]
                }}}
            }
        }),
    );
    alarms(
        r,
        &id,
        d.name,
        &format!("{id}ErrorQueue"),
        &format!("{id}Function"),
    );
}

/// `ascent.crm` → `CrmProducerPolicy`.
pub fn producer_policy_id(source: &str) -> String {
    let name = source.strip_prefix("ascent.").unwrap_or(source);
    format!("{}ProducerPolicy", logical(&name.replace('.', "-")))
}

/// One managed policy per outside producer: `events:PutEvents` on the bus under its own
/// source, for the detail-types it produces and nothing else. Attach it to the role or user a
/// business system puts events with; the agents' rules deliver nothing else from it anyway.
fn producer_policies(
    producers: &Producers,
    r: &mut Map<String, Value>,
    outputs: &mut Map<String, Value>,
) {
    for source in producers.external_sources() {
        let id = producer_policy_id(source);
        let name = source
            .strip_prefix("ascent.")
            .unwrap_or(source)
            .replace('.', "-");
        r.insert(id.clone(), json!({
            "Type": "AWS::IAM::ManagedPolicy",
            "Properties": {
                "ManagedPolicyName": sub(&format!("ascent-${{Stage}}-producer-{name}")),
                "Description": format!("Lets the system that is {source} put its own events on the Ascent bus, and only those"),
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Sid": "PutOwnEvents", "Effect": "Allow", "Action": ["events:PutEvents"],
                    "Resource": get_att("EventBus", "Arn"),
                    "Condition": {"StringEquals": {
                        "events:source": [source],
                        "events:detail-type": producers.types_of(source)
                    }}
                }]}
            }
        }));
        outputs.insert(
            format!("{id}Arn"),
            json!({"Description": format!("Managed policy for the producer {source}: attach it to that system's role or user"),
                   "Value": reference(&id)}),
        );
    }
}

/// An EventBridge Scheduler schedule invoking schedule-tick with `{"schedule": name}`;
/// `retry`: (attempts, maximum event age in seconds).
fn schedule(name: &str, description: &str, expression: Value, retry: (u32, u32)) -> Value {
    json!({
        "Type": "AWS::Scheduler::Schedule",
        "Properties": {
            "Name": sub(&format!("ascent-${{Stage}}-{name}")),
            "Description": description,
            "ScheduleExpression": expression,
            "ScheduleExpressionTimezone": "UTC",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "Target": {
                "Arn": get_att("ScheduleTickFunction", "Arn"),
                "RoleArn": get_att("SchedulerRole", "Arn"),
                "Input": format!("{{\"schedule\": \"{name}\", \"at\": \"<aws.scheduler.scheduled-time>\"}}"),
                "RetryPolicy": {"MaximumRetryAttempts": retry.0, "MaximumEventAgeInSeconds": retry.1}
            }
        }
    })
}

/// Points the daily schedule's cron at `[schedule] daily_at` and the SLA check's at
/// `sla_check_minutes` (deploy-time settings: a change needs the template regenerated and
/// deployed).
fn set_daily_schedule(r: &mut Map<String, Value>, schedule: &Schedule) {
    if let Some(expression) = r
        .get_mut("DailySchedule")
        .and_then(|d| d.pointer_mut("/Properties/ScheduleExpression"))
    {
        *expression = Value::String(schedule.daily_cron());
    }
    if let Some(expression) = r
        .get_mut("SlaSchedule")
        .and_then(|d| d.pointer_mut("/Properties/ScheduleExpression"))
    {
        *expression = Value::String(schedule.sla_cron());
    }
}

/// The whole SAM template.
/// The template with the shipped settings (`ascent.toml`).
pub fn template(decls: &[AgentDecl]) -> Value {
    template_with(decls, &ConfigFile::shipped()).expect("the shipped ascent.toml fits SSM")
}

/// The template deploying the settings of `config` as SSM parameters.
pub fn template_with(decls: &[AgentDecl], config: &ConfigFile) -> Result<Value, ConfigError> {
    // The twin's routing: the rules' patterns with their producers' sources.
    let router = Router::new(decls).expect("the agents' declarations are valid");
    let mut r = Map::new();
    r.insert(
        "EventBus".into(),
        json!({"Type": "AWS::Events::EventBus", "Properties": {"Name": sub("ascent-${Stage}")}}),
    );
    r.insert("UndeliveredEventsQueue".into(), json!({
        "Type": "AWS::SQS::Queue",
        "Properties": {"QueueName": sub("ascent-${Stage}-undelivered-events"), "MessageRetentionPeriod": 1_209_600, "SqsManagedSseEnabled": true}
    }));
    let rule_arns: Vec<Value> = decls
        .iter()
        .flat_map(|d| {
            d.subscriptions.iter().map(move |s| {
                get_att(
                    &format!("{}{}Rule", logical(d.name), logical(s.name)),
                    "Arn",
                )
            })
        })
        .collect();
    r.insert("UndeliveredEventsQueuePolicy".into(), json!({
        "Type": "AWS::SQS::QueuePolicy",
        "Properties": {
            "Queues": [reference("UndeliveredEventsQueue")],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Sid": "RulesDeadLetter", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage", "Resource": get_att("UndeliveredEventsQueue", "Arn"),
                "Condition": {"ArnEquals": {"aws:SourceArn": rule_arns}}}]}
        }
    }));
    for d in Domain::ALL {
        r.insert(table_id(d), table(d));
    }
    for d in decls {
        agent_resources(d, &router, &mut r);
    }
    approval_resources(&mut r);
    privacy::resources(&mut r, decls);
    console::resources(&mut r, decls);
    let host = ascent_core::config::platform::HostSettings::from_file(config)?;
    retention::apply(&mut r, &host.retention);
    grant_sender(&mut r, &host.mail.from);
    grant_redrive(&mut r, decls);
    settings::parameters(config, &mut r)?;
    concurrency::apply(config, &mut r)?;
    let schedule_settings: Schedule = config.section("schedule")?;
    set_daily_schedule(&mut r, &schedule_settings);
    observation::apply(&mut r, decls, &schedule_settings);
    audit_trail::apply(&mut r, decls);
    let mut outputs = match json!({
        "EventBusName": {"Description": "Put business events here", "Value": reference("EventBus")},
        "EventBusArn": {"Value": get_att("EventBus", "Arn")},
        "ApprovalApiUrl": {"Description": "Where approval links point", "Value": get_att("ApprovalApiFunctionUrl", "FunctionUrl")},
        "ConsoleUrl": {"Description": "The operator console (append console)", "Value": get_att("OperatorConsoleFunctionUrl", "FunctionUrl")},
        "ConsoleUserPoolId": {"Description": "Add the console's operators here", "Value": reference("ConsoleUserPool")},
        "StripeWebhookUrl": {"Description": "Stripe endpoint URL (append webhooks/stripe)", "Value": get_att("WebhookIngestFunctionUrl", "FunctionUrl")}
    }) {
        Value::Object(m) => m,
        _ => unreachable!(),
    };
    producer_policies(router.producers(), &mut r, &mut outputs);
    Ok(json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Description": "Ascent agents: event bus, rules from each agent's declaration, priority/batch queues with dead-letter queues, DynamoDB data lake, one least-privilege role per function. Generated by `ascent infra` from the agents' declarations; do not edit by hand.",
        "Parameters": {
            "Stage": {"Type": "String", "Default": "prod", "AllowedPattern": "^[a-z0-9-]+$",
                      "Description": "Suffix of every name (prod, staging, …)"},
            "LinkKeyParameterName": {"Type": "String", "Default": "/ascent/approval-link-key",
                           "AllowedPattern": "^/[A-Za-z0-9/_.-]+$",
                           "Description": "SSM SecureString holding the HMAC key of approval links (32+ characters)"},
            (audit_trail::PARAMETER): audit_trail::parameter(),
            "StripeSecretParameterName": {"Type": "String", "Default": "/ascent/stripe-webhook-secret",
                           "AllowedPattern": "^/[A-Za-z0-9/_.-]+$",
                           "Description": "SSM SecureString holding the Stripe endpoint's signing secret (whsec_...)"},
            "ZendeskSecretParameterName": {"Type": "String", "Default": "/ascent/zendesk-webhook-secret",
                           "AllowedPattern": "^/[A-Za-z0-9/_.-]+$",
                           "Description": "SSM SecureString holding the Zendesk webhook signing secret"},
            "IntercomSecretParameterName": {"Type": "String", "Default": "/ascent/intercom-client-secret",
                           "AllowedPattern": "^/[A-Za-z0-9/_.-]+$",
                           "Description": "SSM SecureString holding the Intercom app's client secret"},
            "HubSpotSecretParameterName": {"Type": "String", "Default": "/ascent/hubspot-client-secret",
                           "AllowedPattern": "^/[A-Za-z0-9/_.-]+$",
                           "Description": "SSM SecureString holding the HubSpot app's client secret (webhook signature v3)"},
            "SalesforceSecretParameterName": {"Type": "String", "Default": "/ascent/salesforce-webhook-secret",
                           "AllowedPattern": "^/[A-Za-z0-9/_.-]+$",
                           "Description": "SSM SecureString holding the secret Salesforce's contact callouts are signed with"},
            "Architecture": {"Type": "String", "Default": "arm64", "AllowedValues": ["arm64", "x86_64"],
                           "Description": "Processor of every function (sam build cross-compiles for it with cargo-lambda)"},
            "TextWriter": {"Type": "String", "Default": "template", "AllowedValues": ["template", "bedrock"],
                           "Description": "What writes outreach text: the templates, or a Bedrock model"},
            "BedrockModelId": {"Type": "String", "Default": "amazon.nova-lite-v1:0",
                           "Description": "Bedrock model for the text writer (when TextWriter is bedrock)"}
        },
        "Globals": {"Function": {
            "Runtime": "provided.al2023",
            "Architectures": [reference("Architecture")],
            "Handler": "bootstrap",
            "MemorySize": 256,
            "Timeout": FUNCTION_TIMEOUT_SECONDS
        }},
        "Resources": r,
        "Outputs": outputs
    }))
}

/// Renders JSON as block YAML (strings double-quoted with JSON escapes, valid YAML).
pub fn to_yaml(v: &Value) -> String {
    fn key(k: &str) -> String {
        if !k.is_empty()
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            k.to_string()
        } else {
            Value::from(k).to_string()
        }
    }
    fn scalar(v: &Value) -> Option<String> {
        match v {
            Value::Object(m) if m.is_empty() => Some("{}".into()),
            Value::Array(a) if a.is_empty() => Some("[]".into()),
            Value::Object(_) | Value::Array(_) => None,
            other => Some(other.to_string()),
        }
    }
    fn write(v: &Value, indent: usize, out: &mut String) {
        let pad = " ".repeat(indent);
        match v {
            Value::Object(m) => {
                for (k, val) in m {
                    match scalar(val) {
                        Some(s) => out.push_str(&format!("{pad}{}: {s}\n", key(k))),
                        None => {
                            out.push_str(&format!("{pad}{}:\n", key(k)));
                            write(val, indent + 2, out);
                        }
                    }
                }
            }
            Value::Array(a) => {
                for item in a {
                    match scalar(item) {
                        Some(s) => out.push_str(&format!("{pad}- {s}\n")),
                        None => {
                            let mut inner = String::new();
                            write(item, indent + 2, &mut inner);
                            // First line joins the dash.
                            let trimmed = inner.trim_start_matches(' ');
                            out.push_str(&format!("{pad}- {trimmed}"));
                        }
                    }
                }
            }
            other => out.push_str(&format!("{pad}{other}\n")),
        }
    }
    let mut out = String::from(
        "# Generated by `cargo run -p ascent -- infra > infra/template.yaml` from the agents'\n# declarations (one source of truth). A test fails when this file is stale.\n",
    );
    write(v, 0, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generated() -> Value {
        template(&crate::agents::declarations())
    }

    #[test]
    fn committed_template_is_what_the_declarations_produce() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra/template.yaml");
        let want = to_yaml(&generated());
        if std::env::var("ASCENT_UPDATE_INFRA").is_ok_and(|v| v == "1") {
            std::fs::write(&path, &want).unwrap();
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "infra/template.yaml is stale: run `cargo run -p ascent -- infra > infra/template.yaml` \
             (or ASCENT_UPDATE_INFRA=1 cargo test -p ascent infra)"
        );
    }

    fn walk<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
        out.push(v);
        match v {
            Value::Object(m) => m.values().for_each(|x| walk(x, out)),
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }

    fn strings(v: &Value) -> Vec<String> {
        let mut all = Vec::new();
        walk(v, &mut all);
        all.into_iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect()
    }

    #[test]
    fn every_role_grants_only_what_its_agent_declares() {
        let t = generated();
        for d in crate::agents::declarations() {
            let role = &t["Resources"][format!("{}Role", logical(d.name))];
            let stmts = role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
                .as_array()
                .unwrap();
            for s in stmts {
                // No wildcard action, no wildcard resource; the only `*` allowed is the
                // log-stream part of the function's own log group.
                for a in strings(&s["Action"]) {
                    assert!(!a.contains('*'), "{}: wildcard action {a}", d.name);
                }
                for r in strings(&s["Resource"]) {
                    let own_logs =
                        r.ends_with(&format!("/aws/lambda/ascent-${{Stage}}-{}:*", d.name));
                    assert!(
                        !r.contains('*') || own_logs,
                        "{}: wildcard resource {r}",
                        d.name
                    );
                }
            }
            // Tables: exactly the declared domains (+ idempotency), never another.
            let granted: Vec<String> = stmts
                .iter()
                .flat_map(|s| {
                    let mut v = Vec::new();
                    walk(&s["Resource"], &mut v);
                    v.into_iter()
                        .filter_map(|x| x["Fn::GetAtt"][0].as_str().map(str::to_string))
                        .collect::<Vec<_>>()
                })
                .filter(|r| r.ends_with("Table"))
                .collect();
            // The audit table: append only (PutItem), for every agent.
            let audit = stmts.iter().find(|s| s["Sid"] == "AppendAudit").unwrap();
            assert_eq!(audit["Action"], json!(["dynamodb:PutItem"]));
            for domain in Domain::ALL {
                let declared =
                    d.may_read(domain) || domain == Domain::Idempotency || domain == Domain::Audit;
                let has = granted.contains(&table_id(domain));
                assert_eq!(
                    has,
                    declared,
                    "{}: table {} granted={has} declared={declared}",
                    d.name,
                    domain.as_str()
                );
            }
            // Writes: each written domain once, only under the agent's own key prefixes.
            for domain in Domain::BUSINESS {
                let sid = format!("WriteOwnKeys{}", logical(domain.as_str()));
                let statement = stmts.iter().find(|s| s["Sid"] == sid.as_str());
                assert_eq!(
                    statement.is_some(),
                    d.may_write(domain),
                    "{}: write on {}",
                    d.name,
                    domain.as_str()
                );
                if let Some(s) = statement {
                    assert_eq!(s["Resource"], get_att(&table_id(domain), "Arn"));
                    let keys: Vec<String> =
                        d.prefixes(domain).iter().map(|p| format!("{p}*")).collect();
                    assert_eq!(
                        s["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"],
                        json!(keys),
                        "{}: leading keys of {}",
                        d.name,
                        domain.as_str()
                    );
                }
            }
            let idem = stmts
                .iter()
                .find(|s| s["Sid"] == "WriteOwnIdempotency")
                .unwrap();
            assert_eq!(
                idem["Condition"]["ForAllValues:StringEquals"]["dynamodb:LeadingKeys"],
                json!([d.name])
            );
            // Events: only its own source and declared detail-types.
            if let Some(emit) = stmts.iter().find(|s| s["Sid"] == "EmitDeclaredEvents") {
                let cond = &emit["Condition"]["StringEquals"];
                assert_eq!(cond["events:source"][0], d.source());
                assert_eq!(cond["events:detail-type"], json!(d.emits));
            }
        }
    }

    #[test]
    fn every_agent_may_send_to_its_own_dead_letter_queue_only_and_is_told_where_it_is() {
        let t = generated();
        for d in crate::agents::declarations() {
            let id = logical(d.name);
            let f = &t["Resources"][format!("{id}Function")]["Properties"];
            assert_eq!(
                f["Environment"]["Variables"]["ASCENT_DEAD_LETTER_QUEUE_URL"],
                json!({"Ref": format!("{id}ErrorQueue")}),
                "{}",
                d.name
            );
            let stmts =
                t["Resources"][format!("{id}Role")]["Properties"]["Policies"][0]["PolicyDocument"]
                    ["Statement"]
                    .as_array()
                    .unwrap();
            // Besides the redrive of the agent that handles dead letters (tested below).
            let sends: Vec<&Value> = stmts
                .iter()
                .filter(|s| strings(&s["Action"]).iter().any(|a| a == "sqs:SendMessage"))
                .filter(|s| s["Sid"] != "RedriveDeadLetters")
                .collect();
            assert_eq!(sends.len(), 1, "{}: {sends:?}", d.name);
            assert_eq!(
                sends[0]["Resource"],
                json!({"Fn::GetAtt": [format!("{id}ErrorQueue"), "Arn"]}),
                "{}",
                d.name
            );
        }
    }

    /// Every agent's host announces its dead letters; only the agent that handles them may take
    /// them from the dead-letter queues and send them back, and is told where the queues are.
    #[test]
    fn dead_letters_are_announced_by_every_agent_and_redriven_by_one() {
        let t = generated();
        let mut redrivers = Vec::new();
        for d in crate::agents::declarations() {
            let id = logical(d.name);
            let f = &t["Resources"][format!("{id}Function")]["Properties"];
            let env = &f["Environment"]["Variables"];
            assert_eq!(
                env["ASCENT_MAX_RECEIVE_COUNT"],
                json!(MAX_RECEIVE_COUNT.to_string())
            );
            let stmts =
                t["Resources"][format!("{id}Role")]["Properties"]["Policies"][0]["PolicyDocument"]
                    ["Statement"]
                    .as_array()
                    .unwrap();
            let sid = |name: &str| stmts.iter().find(|s| s["Sid"] == name);
            let announce = sid("AnnounceDeadLetters").expect("announces");
            assert_eq!(
                announce["Condition"]["StringEquals"]["events:detail-type"],
                json!(["MessageDeadLettered"])
            );
            if sid("RedriveDeadLetters").is_some() {
                assert!(sid("TakeDeadLetters").is_some());
                assert_eq!(env["ASCENT_QUEUE_PREFIX"], sub("ascent-${Stage}-"));
                redrivers.push(d.name);
            } else {
                assert!(env.get("ASCENT_QUEUE_PREFIX").is_none(), "{}", d.name);
                assert!(sid("TakeDeadLetters").is_none(), "{}", d.name);
            }
        }
        assert_eq!(redrivers, ["process-automation"]);
    }

    /// What docs/deploying.md tells the operator to verify in SES — the sender address, or its
    /// domain — is what every sending role is granted: both identities of `[mail] from`.
    #[test]
    fn every_sending_role_may_send_as_the_verified_address_or_its_domain() {
        let text = ConfigFile::shipped()
            .text()
            .replace("agents@ascent-xr.example", "billing@acme.example");
        assert!(
            text.contains("billing@acme.example"),
            "the shipped [mail] from moved"
        );
        let config = ConfigFile::parse("acme.toml", text).unwrap();
        let t = template_with(&crate::agents::declarations(), &config).unwrap();
        let mut senders = Vec::new();
        for (id, resource) in t["Resources"].as_object().unwrap() {
            let Some(policies) = resource["Properties"]["Policies"].as_array() else {
                continue;
            };
            for statement in policies
                .iter()
                .flat_map(|p| p["PolicyDocument"]["Statement"].as_array().unwrap())
                .filter(|s| s["Action"].to_string().contains("ses:"))
            {
                assert_eq!(statement["Action"], json!(["ses:SendEmail"]), "{id}");
                assert_eq!(
                    statement["Resource"],
                    json!([
                        sub(
                            "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/billing@acme.example"
                        ),
                        sub(
                            "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/acme.example"
                        ),
                    ]),
                    "{id}"
                );
                senders.push(id.clone());
            }
        }
        assert!(
            senders.contains(&"ApprovalNotifierRole".to_string()),
            "{senders:?}"
        );
        assert!(senders.contains(&"BillingRole".to_string()), "{senders:?}");
        let deploying = include_str!("../../docs/deploying.md");
        assert!(
            deploying.contains("verify the sender address (or its whole domain) in SES"),
            "docs/deploying.md says what to verify"
        );
    }

    #[test]
    fn no_role_in_the_template_has_a_wildcard() {
        let t = generated();
        for (name, r) in t["Resources"].as_object().unwrap() {
            if r["Type"] != "AWS::IAM::Role" {
                continue;
            }
            for s in r["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
                .as_array()
                .unwrap()
            {
                for a in strings(&s["Action"]) {
                    assert!(!a.contains('*'), "{name}: wildcard action {a}");
                }
                // CloudWatch's GetMetricData and Lambda's ListEventSourceMappings take no
                // resource: `*` is the only one they allow.
                let takes_no_resource = s["Action"] == json!(["cloudwatch:GetMetricData"])
                    || s["Action"] == json!(["lambda:ListEventSourceMappings"]);
                // A mapping's id is made at deploy time: any mapping, of the named functions.
                let mappings_of_named_functions = s["Action"]
                    == json!(["lambda:UpdateEventSourceMapping"])
                    && s["Condition"]["ArnLike"]["lambda:FunctionArn"]
                        .as_array()
                        .is_some_and(|f| {
                            !f.is_empty() && !f.iter().any(|f| f.to_string().contains("function:*"))
                        });
                for res in strings(&s["Resource"]) {
                    let own_log_streams = res.contains(":log-group:/aws/lambda/ascent-${Stage}-")
                        && res.ends_with(":*");
                    assert!(
                        !res.contains('*')
                            || own_log_streams
                            || (takes_no_resource && res == "*")
                            || (mappings_of_named_functions
                                && res.ends_with(":event-source-mapping:*")),
                        "{name}: wildcard resource {res}"
                    );
                }
            }
        }
        // Only agents that declare approvals may start them.
        for d in crate::agents::declarations() {
            let role = t["Resources"][format!("{}Role", logical(d.name))].to_string();
            assert_eq!(
                role.contains("states:StartExecution"),
                d.requests_approvals,
                "{}",
                d.name
            );
        }
    }

    #[test]
    fn one_rule_per_subscription_with_the_declared_pattern_and_queue_class() {
        let t = generated();
        let decls = crate::agents::declarations();
        let producers = Producers::new(&decls).unwrap();
        for d in &decls {
            for s in &d.subscriptions {
                let rule = &t["Resources"][format!("{}{}Rule", logical(d.name), logical(s.name))];
                // The declared pattern with its producers' sources, as the twin routes it.
                assert_eq!(
                    rule["Properties"]["EventPattern"],
                    producers.authenticate(&s.pattern).unwrap()
                );
                assert_eq!(
                    rule["Properties"]["Targets"][0]["Arn"]["Fn::GetAtt"][0],
                    format!("{}Queue", logical(d.name))
                );
            }
            let f = &t["Resources"][format!("{}Function", logical(d.name))];
            let mapping = &f["Properties"]["Events"]["Queue"]["Properties"];
            assert_eq!(
                mapping["FunctionResponseTypes"][0],
                "ReportBatchItemFailures"
            );
            assert_eq!(
                mapping["BatchSize"],
                if d.queue == QueueClass::Priority {
                    10
                } else {
                    100
                }
            );
            assert_eq!(f["Metadata"]["BuildMethod"], "rust-cargolambda");
            let q = &t["Resources"][format!("{}Queue", logical(d.name))]["Properties"];
            assert_eq!(q["RedrivePolicy"]["maxReceiveCount"], MAX_RECEIVE_COUNT);
            assert_eq!(q["SqsManagedSseEnabled"], true);
        }
    }

    /// The top-level alternatives of a rule's pattern.
    fn alternatives(pattern: &Value) -> Vec<&Value> {
        match pattern.get("$or") {
            Some(Value::Array(alts)) => alts.iter().collect(),
            _ => vec![pattern],
        }
    }

    fn plain(v: &Value) -> Vec<String> {
        v.as_array()
            .unwrap_or_else(|| panic!("not a list: {v}"))
            .iter()
            .map(|x| {
                x.as_str()
                    .unwrap_or_else(|| panic!("not a name: {x}"))
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn every_rule_delivers_only_from_the_producers_of_its_detail_types() {
        let t = generated();
        let decls = crate::agents::declarations();
        let producers = Producers::new(&decls).unwrap();
        let mut rules = 0;
        for (name, r) in t["Resources"].as_object().unwrap() {
            if r["Type"] != "AWS::Events::Rule" {
                continue;
            }
            rules += 1;
            for alt in alternatives(&r["Properties"]["EventPattern"]) {
                let sources = plain(&alt["source"]);
                assert!(!sources.is_empty(), "{name}: no source condition");
                for ty in plain(&alt["detail-type"]) {
                    for s in &sources {
                        assert!(
                            producers.produces(s, &ty),
                            "{name}: {s} does not produce {ty}"
                        );
                    }
                    // Approvals are decided by the approval workflow alone.
                    if ty == "ApprovalDecided" {
                        assert_eq!(sources, ["ascent.approvals"], "{name}");
                    }
                }
            }
        }
        // One per subscription, and the privacy desk's.
        assert_eq!(
            rules,
            decls.iter().map(|d| d.subscriptions.len()).sum::<usize>() + 1
        );
    }

    #[test]
    fn the_twin_routes_with_the_template_rules_and_never_from_a_forger() {
        let t = generated();
        let decls = crate::agents::declarations();
        let router = Router::new(&decls).unwrap();
        for rule in router.rules() {
            let id = format!("{}{}Rule", logical(rule.agent), logical(rule.subscription));
            assert_eq!(
                t["Resources"][id]["Properties"]["EventPattern"],
                rule.pattern
            );
        }
        // The attack of issue 18: an ApprovalDecided from the CRM reaches no agent.
        let sample =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../events/ApprovalDecided.json");
        let mut event: Value =
            serde_json::from_str(&std::fs::read_to_string(sample).unwrap()).unwrap();
        let delivered = |e: &Value| {
            router
                .route(e.to_string().as_bytes())
                .iter()
                .map(|r| r.agent)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            delivered(&event),
            ["closing", "finance-controller", "operations-manager"]
        );
        for forger in [
            "ascent.crm",
            "ascent.web",
            "ascent.agent.closing",
            "ascent.approval",
        ] {
            event["source"] = json!(forger);
            assert!(delivered(&event).is_empty(), "{forger}");
            assert!(
                router
                    .route_typed(forger, "ApprovalDecided", event.to_string().as_bytes())
                    .is_empty(),
                "{forger}"
            );
        }
    }

    /// The sources a role may put events under, whatever it is; and which of them are reserved
    /// for the platform yet its own.
    fn put_events_statements(t: &Value) -> Vec<(String, &Value)> {
        let mut out = Vec::new();
        for (name, r) in t["Resources"].as_object().unwrap() {
            let docs: Vec<&Value> = match r["Type"].as_str() {
                Some("AWS::IAM::Role") => r["Properties"]["Policies"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| &p["PolicyDocument"])
                    .collect(),
                Some("AWS::IAM::ManagedPolicy") => vec![&r["Properties"]["PolicyDocument"]],
                _ => continue,
            };
            for doc in docs {
                for s in doc["Statement"].as_array().unwrap() {
                    if strings(&s["Action"])
                        .iter()
                        .any(|a| a.starts_with("events:"))
                    {
                        out.push((name.clone(), s));
                    }
                }
            }
        }
        out
    }

    #[test]
    fn every_role_puts_only_its_own_source_and_the_types_that_source_produces() {
        let t = generated();
        let decls = crate::agents::declarations();
        let producers = Producers::new(&decls).unwrap();
        // The reserved sources each platform role owns; an agent's role owns its agent's.
        let mut own: std::collections::BTreeMap<String, Vec<String>> = [
            ("ApprovalStateMachineRole", "ascent.approvals"),
            ("ScheduleTickRole", "ascent.scheduler"),
        ]
        .into_iter()
        .map(|(role, source)| (role.to_string(), vec![source.to_string()]))
        .collect();
        // The schedule function puts the platform's queue observations too.
        if let Some(o) = own.get_mut("ScheduleTickRole") {
            o.push(ascent_core::producers::SYSTEM_SOURCE.to_string());
        }
        // An agent's role puts its own source, and its dead letters' notices (the host's).
        for d in &decls {
            own.insert(
                format!("{}Role", logical(d.name)),
                vec![
                    d.source(),
                    ascent_core::producers::SYSTEM_SOURCE.to_string(),
                ],
            );
        }
        let statements = put_events_statements(&t);
        assert!(statements.len() > decls.len(), "{}", statements.len());
        for (name, s) in statements {
            assert_eq!(s["Action"], json!(["events:PutEvents"]), "{name}");
            assert_eq!(s["Resource"], get_att("EventBus", "Arn"), "{name}");
            let cond = &s["Condition"]["StringEquals"];
            assert_eq!(
                s["Condition"].as_object().unwrap().len(),
                1,
                "{name}: conditions other than StringEquals"
            );
            // One source per statement, so that the detail-types are that source's.
            let sources = plain(&cond["events:source"]);
            assert_eq!(sources.len(), 1, "{name}: {sources:?}");
            let source = &sources[0];
            let types = plain(&cond["events:detail-type"]);
            assert!(!types.is_empty(), "{name}");
            for ty in &types {
                assert!(
                    producers.produces(source, ty),
                    "{name}: {source} may put {ty}, which it does not produce"
                );
            }
            if ascent_core::producers::is_reserved(source) {
                assert!(
                    own.get(&name).is_some_and(|o| o.contains(source)),
                    "{name}: may put the reserved source {source}, not its own"
                );
            }
            if let Some(mine) = own.get(&name) {
                assert!(mine.contains(source), "{name}: puts {source}, not its own");
            }
        }
        // Every agent that emits may put exactly what it declares.
        for d in &decls {
            let role = format!("{}Role", logical(d.name));
            let emit = put_events_statements(&t)
                .into_iter()
                .filter(|(n, s)| *n == role && s["Sid"] != "AnnounceDeadLetters")
                .map(|(_, s)| s.clone())
                .collect::<Vec<_>>();
            assert_eq!(emit.len(), usize::from(!d.emits.is_empty()), "{role}");
            if let Some(s) = emit.first() {
                assert_eq!(
                    s["Condition"]["StringEquals"]["events:detail-type"],
                    json!(d.emits)
                );
            }
        }
    }

    #[test]
    fn each_outside_producer_has_a_policy_for_exactly_its_own_events() {
        let t = generated();
        let producers = Producers::new(&crate::agents::declarations()).unwrap();
        let external = producers.external_sources();
        for s in [
            "ascent.crm",
            "ascent.web",
            "ascent.payments",
            "ascent.support",
        ] {
            assert!(external.contains(&s), "{s}");
        }
        let policies: Vec<&String> = t["Resources"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, r)| r["Type"] == "AWS::IAM::ManagedPolicy")
            .map(|(id, _)| id)
            .collect();
        assert_eq!(policies.len(), external.len());
        for source in external {
            let id = producer_policy_id(source);
            let p = &t["Resources"][&id]["Properties"];
            let stmts = p["PolicyDocument"]["Statement"].as_array().unwrap();
            assert_eq!(stmts.len(), 1, "{id}");
            let cond = &stmts[0]["Condition"]["StringEquals"];
            assert_eq!(cond["events:source"], json!([source]), "{id}");
            assert_eq!(
                cond["events:detail-type"],
                json!(producers.types_of(source)),
                "{id}"
            );
            assert_eq!(t["Outputs"][format!("{id}Arn")]["Value"], reference(&id));
        }
        assert_eq!(producer_policy_id("ascent.crm"), "CrmProducerPolicy");
        let crm =
            &t["Resources"]["CrmProducerPolicy"]["Properties"]["PolicyDocument"]["Statement"][0];
        let types = plain(&crm["Condition"]["StringEquals"]["events:detail-type"]);
        assert!(types.contains(&"LeadCreated".to_string()));
        assert!(!types.contains(&"ApprovalDecided".to_string()));
    }

    #[test]
    fn the_catalog_and_the_declarations_agree_on_who_produces_what() {
        let decls = crate::agents::declarations();
        let producers = Producers::new(&decls).unwrap();
        for e in ascent_core::catalog::CATALOG {
            let sources = producers.sources(e.detail_type);
            // The agent the catalog names declares emitting it (no fallback in production).
            if let Some(agent) = e.default_source.strip_prefix("ascent.agent.") {
                let d = decls.iter().find(|d| d.name == agent).unwrap();
                assert!(
                    d.emits.contains(&e.detail_type),
                    "{agent}: {}",
                    e.detail_type
                );
                assert!(sources.contains(&d.source()), "{}", e.detail_type);
            }
            // An outside system's type comes from that system.
            if !ascent_core::producers::is_reserved(e.default_source) {
                assert!(
                    sources.iter().any(|s| s == e.default_source),
                    "{}",
                    e.detail_type
                );
            }
        }
        // Agents declare only what an agent may produce.
        for d in &decls {
            for t in &d.emits {
                assert!(producers.produces(&d.source(), t), "{}: {t}", d.name);
            }
        }
    }

    #[test]
    fn agents_acting_on_approvals_may_read_the_approval_records() {
        let t = generated();
        for d in crate::agents::declarations() {
            let acts_on_decisions = d
                .subscriptions
                .iter()
                .any(|s| s.pattern.to_string().contains("\"ApprovalDecided\""));
            if !acts_on_decisions {
                continue;
            }
            assert!(d.may_read(Domain::Approvals), "{}", d.name);
            assert!(!d.may_write(Domain::Approvals), "{}", d.name);
            let role = &t["Resources"][format!("{}Role", logical(d.name))];
            let reads = role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["Sid"] == "ReadDeclaredDomains")
                .unwrap();
            assert!(
                reads["Resource"]
                    .as_array()
                    .unwrap()
                    .contains(&get_att(&table_id(Domain::Approvals), "Arn")),
                "{}",
                d.name
            );
        }
    }

    #[test]
    fn the_daily_schedule_is_the_configured_time_and_a_bad_one_is_refused() {
        let decls = crate::agents::declarations();
        let cron =
            |t: &Value| t["Resources"]["DailySchedule"]["Properties"]["ScheduleExpression"].clone();
        assert_eq!(cron(&template(&decls)), "cron(0 6 * * ? *)");
        let with = |at: &str| {
            let text = ConfigFile::shipped()
                .text()
                .replace("daily_at = \"06:00\"", &format!("daily_at = \"{at}\""));
            template_with(&decls, &ConfigFile::parse("x.toml", text).unwrap())
        };
        assert_eq!(cron(&with("04:30").unwrap()), "cron(30 4 * * ? *)");
        let e = with("4.30").unwrap_err();
        assert_eq!(e.path, "schedule.daily_at");
        assert!(e.line.is_some());
    }

    #[test]
    fn yaml_rendering() {
        let v = json!({"A": {"B": [1, {"c": "x:y", "d": []}], "Fn::Sub": "s"}, "e": "q\"uote"});
        assert_eq!(
            to_yaml(&v).lines().skip(2).collect::<Vec<_>>().join("\n"),
            "A:\n  B:\n    - 1\n    - c: \"x:y\"\n      d: []\n  \"Fn::Sub\": \"s\"\ne: \"q\\\"uote\""
        );
    }
}
