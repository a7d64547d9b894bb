//! The operator console in the template: a function of its own behind its Function URL
//! (operators sign in with Amazon Cognito: the `ConsoleUserPool`'s email and password, TOTP if
//! they turned it on, their role from its groups; sessions in DynamoDB), with a role that may read what its pages show and do what its admins do, and no more:
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

/// The console's roles, strongest first: Cognito group name, its precedence and what it may do.
pub const GROUPS: [(&str, &str, u32, &str); 3] = [
    (
        "ConsoleAdminGroup",
        "admin",
        1,
        "Console admins: everything approvers do, plus pausing agents, redriving dead letters and privacy requests",
    ),
    (
        "ConsoleApproverGroup",
        "approver",
        2,
        "Console approvers: everything viewers see, plus deciding approvals",
    ),
    (
        "ConsoleViewerGroup",
        "viewer",
        3,
        "Console viewers: every page, no action",
    ),
];

/// The operators' user pool (sign-in by email, created by an admin only, TOTP optional), its
/// client for `USER_PASSWORD_AUTH` without a secret, and one group per role.
fn user_pool(r: &mut Map<String, Value>) {
    r.insert("ConsoleUserPool".into(), json!({
        "Type": "AWS::Cognito::UserPool",
        // The operators outlive a replaced or deleted stack, as the tables do.
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            "UserPoolName": sub("ascent-${Stage}-console"),
            "UsernameAttributes": ["email"],
            "AutoVerifiedAttributes": ["email"],
            "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": true},
            "Policies": {"PasswordPolicy": {
                "MinimumLength": 12,
                "RequireLowercase": true,
                "RequireUppercase": true,
                "RequireNumbers": true,
                "RequireSymbols": true,
                "TemporaryPasswordValidityDays": 7
            }},
            "MfaConfiguration": "OPTIONAL",
            "EnabledMfas": ["SOFTWARE_TOKEN_MFA"],
            "AccountRecoverySetting": {"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]},
            "DeletionProtection": "ACTIVE"
        }
    }));
    r.insert("ConsoleUserPoolClient".into(), json!({
        "Type": "AWS::Cognito::UserPoolClient",
        "Properties": {
            "ClientName": sub("ascent-${Stage}-console"),
            "UserPoolId": reference("ConsoleUserPool"),
            "GenerateSecret": false,
            "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            "PreventUserExistenceErrors": "ENABLED",
            "EnableTokenRevocation": true,
            "IdTokenValidity": 1,
            "AccessTokenValidity": 1,
            "RefreshTokenValidity": 12,
            "TokenValidityUnits": {"IdToken": "hours", "AccessToken": "hours", "RefreshToken": "hours"}
        }
    }));
    for (id, name, precedence, description) in GROUPS {
        r.insert(
            id.into(),
            json!({
                "Type": "AWS::Cognito::UserPoolGroup",
                "Properties": {
                    "UserPoolId": reference("ConsoleUserPool"),
                    "GroupName": name,
                    "Description": description,
                    "Precedence": precedence
                }
            }),
        );
    }
}

/// The console's user pool, role, function, URL and logs.
pub fn resources(r: &mut Map<String, Value>, decls: &[AgentDecl]) {
    user_pool(r);
    r.insert("OperatorConsoleLogGroup".into(), json!({
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
    r.insert("OperatorConsoleRole".into(), role("operator-console", "lambda.amazonaws.com", vec![
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
    r.insert("OperatorConsoleFunction".into(), json!({
        "Type": "AWS::Serverless::Function",
        "DependsOn": ["OperatorConsoleLogGroup"],
        "Metadata": {"BuildMethod": "rust-cargolambda", "BuildProperties": {"Binary": "operator-console"}},
        "Properties": {
            "FunctionName": sub("ascent-${Stage}-operator-console"),
            "Description": "The operator console: approvals, agents, queues, audit, business state, dashboard, privacy",
            "CodeUri": "..",
            "Role": get_att("OperatorConsoleRole", "Arn"),
            "Timeout": TIMEOUT_SECONDS,
            "MemorySize": MEMORY_MB,
            "FunctionUrlConfig": {"AuthType": "NONE"},
            "Environment": {"Variables": {
                "ASCENT_EVENT_BUS": reference("EventBus"),
                "ASCENT_TABLE_PREFIX": sub("ascent-${Stage}-"),
                "ASCENT_QUEUE_PREFIX": sub("ascent-${Stage}-"),
                "ASCENT_CONFIG_PARAMETER": sub(super::settings::CONFIG_PATH),
                "ASCENT_LINK_KEY_PARAMETER": reference("LinkKeyParameterName"),
                "ASCENT_CONSOLE_USER_POOL_ID": reference("ConsoleUserPool"),
                "ASCENT_CONSOLE_CLIENT_ID": reference("ConsoleUserPoolClient"),
                "RUST_LOG": "info"
            }}
        }
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn console() -> Map<String, Value> {
        let mut r = Map::new();
        resources(&mut r, &crate::agents::declarations());
        r
    }

    #[test]
    fn the_pool_signs_in_by_email_and_only_admins_create_operators() {
        let p = &console()["ConsoleUserPool"]["Properties"];
        assert_eq!(p["UsernameAttributes"], json!(["email"]));
        assert_eq!(p["AutoVerifiedAttributes"], json!(["email"]));
        assert_eq!(p["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"], true);
        let policy = &p["Policies"]["PasswordPolicy"];
        assert_eq!(policy["MinimumLength"], 12);
        for class in ["Lowercase", "Uppercase", "Numbers", "Symbols"] {
            assert_eq!(policy[format!("Require{class}")], true, "{class}");
        }
        assert_eq!(p["DeletionProtection"], "ACTIVE");
        // Advanced security is a paid add-on: not turned on.
        assert!(p.get("UserPoolAddOns").is_none());
    }

    #[test]
    fn mfa_is_optional_and_by_totp_only() {
        let p = &console()["ConsoleUserPool"]["Properties"];
        assert_eq!(p["MfaConfiguration"], "OPTIONAL");
        assert_eq!(p["EnabledMfas"], json!(["SOFTWARE_TOKEN_MFA"]));
    }

    #[test]
    fn the_client_has_no_secret_and_only_password_and_refresh_flows() {
        let p = &console()["ConsoleUserPoolClient"]["Properties"];
        assert_eq!(p["UserPoolId"], reference("ConsoleUserPool"));
        assert_eq!(p["GenerateSecret"], false);
        assert_eq!(
            p["ExplicitAuthFlows"],
            json!(["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
        );
        assert_eq!(p["PreventUserExistenceErrors"], "ENABLED");
        assert_eq!(p["IdTokenValidity"], 1);
        assert_eq!(p["AccessTokenValidity"], 1);
        assert_eq!(p["TokenValidityUnits"]["IdToken"], "hours");
        assert_eq!(p["TokenValidityUnits"]["AccessToken"], "hours");
    }

    #[test]
    fn one_group_per_role_strongest_first() {
        let r = console();
        let groups: Vec<(String, u64)> = r
            .values()
            .filter(|v| v["Type"] == "AWS::Cognito::UserPoolGroup")
            .map(|g| {
                let p = &g["Properties"];
                assert_eq!(p["UserPoolId"], reference("ConsoleUserPool"));
                assert!(p["Description"].as_str().is_some_and(|d| !d.is_empty()));
                (
                    p["GroupName"].as_str().unwrap().to_string(),
                    p["Precedence"].as_u64().unwrap(),
                )
            })
            .collect();
        let mut groups = groups;
        groups.sort_by_key(|g| g.1);
        assert_eq!(
            groups,
            [
                ("admin".into(), 1),
                ("approver".into(), 2),
                ("viewer".into(), 3)
            ]
        );
        for id in [
            "ConsoleViewerGroup",
            "ConsoleApproverGroup",
            "ConsoleAdminGroup",
        ] {
            assert!(r.contains_key(id), "{id}");
        }
    }

    #[test]
    fn the_function_is_told_the_pool_and_client_and_needs_no_cognito_permission() {
        let r = console();
        let env = &r["OperatorConsoleFunction"]["Properties"]["Environment"]["Variables"];
        assert_eq!(
            env["ASCENT_CONSOLE_USER_POOL_ID"],
            reference("ConsoleUserPool")
        );
        assert_eq!(
            env["ASCENT_CONSOLE_CLIENT_ID"],
            reference("ConsoleUserPoolClient")
        );
        let role = r["OperatorConsoleRole"].to_string();
        assert!(
            !role.contains("cognito"),
            "InitiateAuth needs no permission"
        );
    }

    #[test]
    fn deploying_says_how_to_add_an_operator_to_each_group() {
        let deploying = include_str!("../../../docs/deploying.md");
        assert!(deploying.contains("ConsoleUserPoolId"));
        assert!(deploying.contains("admin-create-user"));
        let groups = deploying
            .lines()
            .find(|l| l.contains("admin-add-user-to-group"))
            .expect("docs/deploying.md adds an operator to a group");
        for (_, name, _, _) in GROUPS {
            assert!(groups.contains(name), "{name}");
        }
    }
}
