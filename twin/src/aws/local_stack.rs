//! Creates on an endpoint (moto) what the generated template declares: tables (with gsi1 and
//! TTL), queues with their error queues and redrive, the bus with the rules targeting the
//! queues, the configuration's SSM parameters, a generated approval-link key and the SES
//! identity of `[mail] from`, the console's Cognito user pool with its client and groups
//! ([`cognito`]); on request, the state machines from their ASL files
//! ([`LocalStack::definitions`]). Idempotent: what exists is left as it is. IAM, log groups,
//! alarms and schedules are not created (an emulator ignores IAM; nothing local needs the rest).

use anyhow::{Context, anyhow};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;

mod cognito;

pub const ACCOUNT: &str = "123456789012";

/// What one run did to one resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Existed,
}

/// One SQS event source of a function: the function's logical id, the queue (URL, ARN) and
/// the batch size (what an event source mapping needs).
#[derive(Clone, Debug)]
pub struct SqsSource {
    pub function: String,
    pub queue_url: String,
    pub queue_arn: String,
    pub batch_size: usize,
}

/// The template with its intrinsic functions resolved for one stage and region.
pub struct LocalStack {
    pub template: Value,
    pub stage: String,
    pub region: String,
    pub endpoint: String,
    /// Queue logical id → (URL, ARN), once created or found.
    pub queues: BTreeMap<String, (String, String)>,
    /// State machine logical id → ARN, once created or found.
    pub state_machines: BTreeMap<String, String>,
    /// Cognito user pool or client logical id → its id, once created or found.
    pub cognito: BTreeMap<String, String>,
    /// (kind, name, outcome) of every resource touched, in order.
    pub report: Vec<(String, String, Outcome)>,
    /// Option: the longest visibility timeout a new queue gets (the template's 6 × the
    /// function timeout holds a failed message back for minutes; tests want seconds).
    pub max_visibility_seconds: Option<u32>,
    /// Option: the directory the state machines' `DefinitionUri`s are relative to (`infra/`);
    /// with it, [`LocalStack::create`] creates them too (Step Functions on the endpoint).
    pub definitions: Option<PathBuf>,
    /// Option (on by default): generate the approval-link key parameter if it is missing (the
    /// one-time set-up); off, the stack is as a deployment before that set-up.
    pub link_key: bool,
    /// Option (on by default): generate the privacy key parameter (the audit trail's
    /// pseudonyms, docs/privacy.md) if it is missing, the same one-time set-up.
    pub privacy_key: bool,
}

impl LocalStack {
    pub fn new(template: Value, stage: &str, region: &str, endpoint: &str) -> LocalStack {
        LocalStack {
            template,
            stage: stage.into(),
            region: region.into(),
            endpoint: endpoint.into(),
            queues: BTreeMap::new(),
            state_machines: BTreeMap::new(),
            cognito: BTreeMap::new(),
            report: Vec::new(),
            max_visibility_seconds: None,
            definitions: None,
            link_key: true,
            privacy_key: true,
        }
    }

    fn resources(&self) -> Map<String, Value> {
        self.template["Resources"]
            .as_object()
            .cloned()
            .unwrap_or_default()
    }

    pub fn of_type(&self, ty: &str) -> Vec<(String, Value)> {
        self.resources()
            .into_iter()
            .filter(|(_, r)| r["Type"] == ty)
            .collect()
    }

    /// A template parameter's value: the stage, or its `Default`.
    pub fn parameter(&self, name: &str) -> String {
        if name == "Stage" {
            return self.stage.clone();
        }
        self.template["Parameters"][name]["Default"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// `Ref` of a parameter, pseudo parameter or resource.
    pub fn reference(&self, name: &str) -> String {
        match name {
            "AWS::Region" => return self.region.clone(),
            "AWS::AccountId" => return ACCOUNT.into(),
            "AWS::Partition" => return "aws".into(),
            "AWS::URLSuffix" => return "amazonaws.com".into(),
            "AWS::StackName" => return format!("ascent-{}", self.stage),
            _ => {}
        }
        if self.template["Parameters"].get(name).is_some() {
            return self.parameter(name);
        }
        let resources = self.resources();
        let Some(r) = resources.get(name) else {
            return format!("<{name}>");
        };
        let p = &r["Properties"];
        match r["Type"].as_str().unwrap_or_default() {
            "AWS::SQS::Queue" => self
                .queues
                .get(name)
                .map(|q| q.0.clone())
                .unwrap_or_else(|| self.queue_url_guess(&self.string(&p["QueueName"]))),
            "AWS::Serverless::StateMachine" => {
                self.state_machines.get(name).cloned().unwrap_or_else(|| {
                    format!(
                        "arn:aws:states:{}:{ACCOUNT}:stateMachine:{}",
                        self.region,
                        self.string(&p["Name"])
                    )
                })
            }
            "AWS::Events::EventBus" => self.string(&p["Name"]),
            "AWS::DynamoDB::Table" => self.string(&p["TableName"]),
            "AWS::Serverless::Function" => self.string(&p["FunctionName"]),
            "AWS::SSM::Parameter" => self.string(&p["Name"]),
            "AWS::Cognito::UserPool" | "AWS::Cognito::UserPoolClient" => self
                .cognito
                .get(name)
                .cloned()
                .unwrap_or_else(|| format!("<{name}>")),
            _ => name.to_string(),
        }
    }

    fn queue_url_guess(&self, name: &str) -> String {
        format!("{}/{ACCOUNT}/{name}", self.endpoint.trim_end_matches('/'))
    }

    fn attribute(&self, name: &str, attribute: &str) -> String {
        if let Some(function) = name.strip_suffix("Url")
            && attribute == "FunctionUrl"
        {
            let fname = self.reference(function);
            return format!("https://{fname}.lambda-url.{}.on.aws/", self.region);
        }
        let resources = self.resources();
        let Some(r) = resources.get(name) else {
            return format!("<{name}.{attribute}>");
        };
        let p = &r["Properties"];
        let region = &self.region;
        match (r["Type"].as_str().unwrap_or_default(), attribute) {
            ("AWS::SQS::Queue", "Arn") => self
                .queues
                .get(name)
                .map(|q| q.1.clone())
                .unwrap_or_else(|| {
                    format!(
                        "arn:aws:sqs:{region}:{ACCOUNT}:{}",
                        self.string(&p["QueueName"])
                    )
                }),
            ("AWS::SQS::Queue", "QueueName") => self.string(&p["QueueName"]),
            ("AWS::Events::EventBus", "Arn") => format!(
                "arn:aws:events:{region}:{ACCOUNT}:event-bus/{}",
                self.string(&p["Name"])
            ),
            ("AWS::DynamoDB::Table", "Arn") => format!(
                "arn:aws:dynamodb:{region}:{ACCOUNT}:table/{}",
                self.string(&p["TableName"])
            ),
            ("AWS::Serverless::Function", "Arn") => format!(
                "arn:aws:lambda:{region}:{ACCOUNT}:function:{}",
                self.string(&p["FunctionName"])
            ),
            ("AWS::IAM::Role", "Arn") => format!("arn:aws:iam::{ACCOUNT}:role/{name}"),
            (_, a) => format!("<{name}.{a}>"),
        }
    }

    /// A value with its intrinsic functions resolved.
    pub fn resolve(&self, v: &Value) -> Value {
        match v {
            Value::Object(o) if o.len() == 1 && o.contains_key("Ref") => {
                json!(self.reference(o["Ref"].as_str().unwrap_or_default()))
            }
            Value::Object(o) if o.len() == 1 && o.contains_key("Fn::GetAtt") => {
                let a = &o["Fn::GetAtt"];
                json!(self.attribute(
                    a[0].as_str().unwrap_or_default(),
                    a[1].as_str().unwrap_or_default()
                ))
            }
            Value::Object(o) if o.len() == 1 && o.contains_key("Fn::Sub") => {
                let (text, vars) = match &o["Fn::Sub"] {
                    Value::String(s) => (s.clone(), Map::new()),
                    Value::Array(a) => (
                        a[0].as_str().unwrap_or_default().to_string(),
                        a[1].as_object().cloned().unwrap_or_default(),
                    ),
                    _ => (String::new(), Map::new()),
                };
                json!(self.substitute(&text, &vars))
            }
            Value::Object(o) if o.len() == 1 && o.contains_key("Fn::If") => {
                // Conditions are not evaluated: the "true" branch is what a default deploy has.
                self.resolve(&o["Fn::If"][1])
            }
            Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, v)| (k.clone(), self.resolve(v)))
                    .collect(),
            ),
            Value::Array(a) => Value::Array(a.iter().map(|v| self.resolve(v)).collect()),
            other => other.clone(),
        }
    }

    fn substitute(&self, text: &str, vars: &Map<String, Value>) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let Some(end) = rest[start..].find('}').map(|e| e + start) else {
                break;
            };
            let name = &rest[start + 2..end];
            let value = if let Some(v) = vars.get(name) {
                self.string(v)
            } else if let Some((r, a)) = name.split_once('.') {
                self.attribute(r, a)
            } else {
                self.reference(name)
            };
            out.push_str(&value);
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        out
    }

    pub fn string(&self, v: &Value) -> String {
        match self.resolve(v) {
            Value::String(s) => s,
            other => other.to_string(),
        }
    }

    fn note(&mut self, kind: &str, name: &str, outcome: Outcome) {
        self.report.push((kind.into(), name.into(), outcome));
    }

    /// Creates everything the template declares that does not exist yet; `mail_from` is the
    /// SES identity to create (`[mail] from`).
    pub async fn create(
        &mut self,
        config: &aws_config::SdkConfig,
        mail_from: &str,
    ) -> anyhow::Result<()> {
        let ddb = aws_sdk_dynamodb::Client::new(config);
        let sqs = aws_sdk_sqs::Client::new(config);
        let eb = aws_sdk_eventbridge::Client::new(config);
        let ssm = aws_sdk_ssm::Client::new(config);
        let ses = aws_sdk_sesv2::Client::new(config);
        for (_, r) in self.of_type("AWS::DynamoDB::Table") {
            let p = r["Properties"].clone();
            let name = self.string(&p["TableName"]);
            if ddb.describe_table().table_name(&name).send().await.is_ok() {
                self.note("table", &name, Outcome::Existed);
                continue;
            }
            self.create_table(&ddb, &name, &p)
                .await
                .with_context(|| format!("creating table {name}"))?;
            self.note("table", &name, Outcome::Created);
        }
        for (_, r) in self.of_type("AWS::Events::EventBus") {
            let name = self.string(&r["Properties"]["Name"]);
            if eb.describe_event_bus().name(&name).send().await.is_ok() {
                self.note("event bus", &name, Outcome::Existed);
                continue;
            }
            eb.create_event_bus()
                .name(&name)
                .send()
                .await
                .with_context(|| format!("creating event bus {name}"))?;
            self.note("event bus", &name, Outcome::Created);
        }
        // Error queues first: the others' redrive policies name them.
        let mut queues = self.of_type("AWS::SQS::Queue");
        queues.sort_by_key(|(_, r)| r["Properties"].get("RedrivePolicy").is_some());
        for (logical, r) in queues {
            let p = &r["Properties"];
            let name = self.string(&p["QueueName"]);
            let url = match sqs.get_queue_url().queue_name(&name).send().await {
                Ok(found) => {
                    self.note("queue", &name, Outcome::Existed);
                    found.queue_url.unwrap_or_default()
                }
                Err(_) => {
                    let mut req = sqs.create_queue().queue_name(&name);
                    for (key, attribute) in [
                        ("VisibilityTimeout", QueueAttributeName::VisibilityTimeout),
                        (
                            "MessageRetentionPeriod",
                            QueueAttributeName::MessageRetentionPeriod,
                        ),
                    ] {
                        if let Some(v) = p.get(key) {
                            let mut value = self.string(v);
                            if key == "VisibilityTimeout"
                                && let (Some(max), Ok(seconds)) =
                                    (self.max_visibility_seconds, value.parse::<u32>())
                            {
                                value = seconds.min(max).to_string();
                            }
                            req = req.attributes(attribute, value);
                        }
                    }
                    if let Some(v) = p.get("RedrivePolicy") {
                        let v = self.resolve(v);
                        req = req.attributes(
                            QueueAttributeName::RedrivePolicy,
                            json!({"deadLetterTargetArn": v["deadLetterTargetArn"],
                                   "maxReceiveCount": v["maxReceiveCount"].to_string()})
                            .to_string(),
                        );
                    }
                    let url = req
                        .send()
                        .await
                        .with_context(|| format!("creating queue {name}"))?
                        .queue_url
                        .unwrap_or_default();
                    self.note("queue", &name, Outcome::Created);
                    url
                }
            };
            let arn = sqs
                .get_queue_attributes()
                .queue_url(&url)
                .attribute_names(QueueAttributeName::QueueArn)
                .send()
                .await
                .with_context(|| format!("reading queue {name}"))?
                .attributes
                .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
                .ok_or_else(|| anyhow!("queue {name} has no ARN"))?;
            self.queues.insert(logical, (url, arn));
        }
        if let Some(dir) = self.definitions.clone() {
            self.create_state_machines(config, &dir).await?;
        }
        for (logical, r) in self.of_type("AWS::Events::Rule") {
            let p = &r["Properties"];
            let rule = p["Name"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| logical.clone());
            let bus = self.string(&p["EventBusName"]);
            let pattern = self.resolve(&p["EventPattern"]).to_string();
            let existing = eb
                .describe_rule()
                .name(&rule)
                .event_bus_name(&bus)
                .send()
                .await
                .ok();
            let same = existing
                .as_ref()
                .and_then(|e| e.event_pattern.as_deref())
                .and_then(|s| serde_json::from_str::<Value>(s).ok())
                == serde_json::from_str::<Value>(&pattern).ok();
            if same {
                self.note("rule", &rule, Outcome::Existed);
                continue;
            }
            eb.put_rule()
                .name(&rule)
                .event_bus_name(&bus)
                .event_pattern(&pattern)
                .send()
                .await
                .with_context(|| format!("creating rule {rule}"))?;
            for t in p["Targets"].as_array().into_iter().flatten() {
                eb.put_targets()
                    .rule(&rule)
                    .event_bus_name(&bus)
                    .targets(
                        aws_sdk_eventbridge::types::Target::builder()
                            .id(t["Id"].as_str().unwrap_or("target"))
                            .arn(self.string(&t["Arn"]))
                            .build()?,
                    )
                    .send()
                    .await
                    .with_context(|| format!("targeting rule {rule}"))?;
            }
            self.note("rule", &rule, Outcome::Created);
        }
        let mut parameters: Vec<(String, String)> = self
            .of_type("AWS::SSM::Parameter")
            .into_iter()
            .map(|(_, r)| {
                let p = self.resolve(&r["Properties"]);
                (
                    p["Name"].as_str().unwrap_or_default().to_string(),
                    p["Value"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        // The one-time set-up: the approval-link key (the Stripe secret stays absent: that
        // desk is off).
        let random_key = || {
            let mut key = [0u8; 32];
            for chunk in key.chunks_mut(16) {
                chunk.copy_from_slice(uuid::Uuid::new_v4().as_bytes());
            }
            key.iter().map(|b| format!("{b:02x}")).collect::<String>()
        };
        if self.link_key {
            parameters.push((self.parameter("LinkKeyParameterName"), random_key()));
        }
        if self.privacy_key {
            parameters.push((self.parameter("PrivacyKeyParameterName"), random_key()));
        }
        for (name, value) in parameters {
            if name.is_empty() {
                continue;
            }
            if ssm.get_parameter().name(&name).send().await.is_ok() {
                self.note("parameter", &name, Outcome::Existed);
                continue;
            }
            ssm.put_parameter()
                .name(&name)
                .value(value)
                .r#type(aws_sdk_ssm::types::ParameterType::String)
                .send()
                .await
                .with_context(|| format!("putting parameter {name}"))?;
            self.note("parameter", &name, Outcome::Created);
        }
        if !mail_from.is_empty() {
            if ses
                .get_email_identity()
                .email_identity(mail_from)
                .send()
                .await
                .is_ok()
            {
                self.note("SES identity", mail_from, Outcome::Existed);
            } else {
                ses.create_email_identity()
                    .email_identity(mail_from)
                    .send()
                    .await
                    .with_context(|| format!("creating SES identity {mail_from}"))?;
                self.note("SES identity", mail_from, Outcome::Created);
            }
        }
        self.create_cognito(config).await
    }

    /// Creates each state machine from its ASL file under `dir`, its `DefinitionSubstitutions`
    /// resolved (after the queues: they name them).
    async fn create_state_machines(
        &mut self,
        config: &aws_config::SdkConfig,
        dir: &std::path::Path,
    ) -> anyhow::Result<()> {
        let sfn = aws_sdk_sfn::Client::new(config);
        let existing = sfn
            .list_state_machines()
            .send()
            .await
            .context("listing state machines")?
            .state_machines;
        for (logical, r) in self.of_type("AWS::Serverless::StateMachine") {
            let p = &r["Properties"];
            let name = self.string(&p["Name"]);
            if let Some(found) = existing.iter().find(|m| m.name == name) {
                self.state_machines
                    .insert(logical, found.state_machine_arn.clone());
                self.note("state machine", &name, Outcome::Existed);
                continue;
            }
            let path = dir.join(p["DefinitionUri"].as_str().unwrap_or_default());
            let mut asl = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            for (k, v) in p["DefinitionSubstitutions"]
                .as_object()
                .into_iter()
                .flatten()
            {
                asl = asl.replace(&format!("${{{k}}}"), &self.string(v));
            }
            let arn = sfn
                .create_state_machine()
                .name(&name)
                .definition(asl)
                .role_arn(self.string(&p["Role"]))
                .send()
                .await
                .with_context(|| format!("creating state machine {name}"))?
                .state_machine_arn;
            self.state_machines.insert(logical, arn);
            self.note("state machine", &name, Outcome::Created);
        }
        Ok(())
    }

    async fn create_table(
        &self,
        ddb: &aws_sdk_dynamodb::Client,
        name: &str,
        p: &Value,
    ) -> anyhow::Result<()> {
        let attr = |a: &Value| {
            AttributeDefinition::builder()
                .attribute_name(a["AttributeName"].as_str().unwrap_or_default())
                .attribute_type(ScalarAttributeType::from(
                    a["AttributeType"].as_str().unwrap_or("S"),
                ))
                .build()
        };
        let keys = |k: &Value| -> Result<Vec<KeySchemaElement>, _> {
            k.as_array()
                .into_iter()
                .flatten()
                .map(|e| {
                    KeySchemaElement::builder()
                        .attribute_name(e["AttributeName"].as_str().unwrap_or_default())
                        .key_type(KeyType::from(e["KeyType"].as_str().unwrap_or("HASH")))
                        .build()
                })
                .collect()
        };
        let mut req = ddb
            .create_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest)
            .set_attribute_definitions(Some(
                p["AttributeDefinitions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(attr)
                    .collect::<Result<_, _>>()?,
            ))
            .set_key_schema(Some(keys(&p["KeySchema"])?));
        for g in p["GlobalSecondaryIndexes"].as_array().into_iter().flatten() {
            req = req.global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(g["IndexName"].as_str().unwrap_or_default())
                    .set_key_schema(Some(keys(&g["KeySchema"])?))
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::from(
                                g["Projection"]["ProjectionType"].as_str().unwrap_or("ALL"),
                            ))
                            .build(),
                    )
                    .build()?,
            );
        }
        req.send().await?;
        if let Some(attribute) = p["TimeToLiveSpecification"]["AttributeName"].as_str() {
            ddb.update_time_to_live()
                .table_name(name)
                .time_to_live_specification(
                    TimeToLiveSpecification::builder()
                        .attribute_name(attribute)
                        .enabled(true)
                        .build()?,
                )
                .send()
                .await?;
        }
        Ok(())
    }

    /// Function logical ids and names, in the template's order.
    pub fn functions(&self) -> Vec<(String, String)> {
        self.of_type("AWS::Serverless::Function")
            .into_iter()
            .map(|(logical, r)| {
                let name = self.string(&r["Properties"]["FunctionName"]);
                (logical, name)
            })
            .collect()
    }

    /// The binary of a function (its logical id): `Metadata.BuildProperties.Binary`.
    pub fn binary(&self, function: &str) -> Option<String> {
        self.template["Resources"][function]["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .map(str::to_string)
    }

    /// Every function fed by an SQS queue (its `Events` of type `SQS`), once the queues exist.
    pub fn sqs_sources(&self) -> Vec<SqsSource> {
        let mut out = Vec::new();
        for (function, r) in self.of_type("AWS::Serverless::Function") {
            let events = r["Properties"]["Events"].as_object().cloned();
            for e in events.into_iter().flat_map(|o| o.into_values()) {
                if e["Type"] != "SQS" {
                    continue;
                }
                let queue = e["Properties"]["Queue"]["Fn::GetAtt"][0]
                    .as_str()
                    .unwrap_or_default();
                let Some((url, arn)) = self.queues.get(queue).cloned() else {
                    continue;
                };
                out.push(SqsSource {
                    function: function.clone(),
                    queue_url: url,
                    queue_arn: arn,
                    batch_size: e["Properties"]["BatchSize"].as_u64().unwrap_or(10) as usize,
                });
            }
        }
        out
    }

    /// The template's Environment of `function` (logical id, function name or binary, e.g.
    /// `billing`), resolved, plus the endpoint, region and credentials Lambda would give.
    pub fn environment(&self, function: &str) -> Option<Vec<(String, String)>> {
        let resources = self.resources();
        let (_, r) = resources.iter().find(|(logical, r)| {
            r["Type"] == "AWS::Serverless::Function"
                && (logical.as_str() == function
                    || self.string(&r["Properties"]["FunctionName"]) == function
                    || r["Metadata"]["BuildProperties"]["Binary"] == function
                    || self
                        .string(&r["Properties"]["FunctionName"])
                        .ends_with(&format!("-{function}")))
        })?;
        let vars = self.resolve(&r["Properties"]["Environment"]["Variables"]);
        let mut env: Vec<(String, String)> = vec![
            ("AWS_ENDPOINT_URL".into(), self.endpoint.clone()),
            ("AWS_REGION".into(), self.region.clone()),
            ("AWS_ACCESS_KEY_ID".into(), "testing".into()),
            ("AWS_SECRET_ACCESS_KEY".into(), "testing".into()),
        ];
        env.extend(vars.as_object().into_iter().flatten().map(|(k, v)| {
            (
                k.clone(),
                v.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string()),
            )
        }));
        Some(env)
    }
}

/// `export K='V'` lines.
pub fn export_lines(env: &[(String, String)]) -> String {
    env.iter()
        .map(|(k, v)| format!("export {k}='{}'\n", v.replace('\'', "'\\''")))
        .collect()
}
