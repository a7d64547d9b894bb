//! Approvals on AWS around the state machine `infra/statemachines/approval.asl.json`:
//!
//! - [`ApprovalNotifier`] consumes the approval-requests queue: for an `ask` it stores the
//!   request and the task token (the token never leaves DynamoDB) and emails the approver a
//!   signed, expiring link; for `expired` it tells the requester.
//! - [`StepFunctionsDesk`] is the approval API's [`ApprovalDesk`]: the same core rules as the
//!   twin (link signature and expiry, single use, bound to approver and step, no
//!   self-approval), then SendTaskSuccess resumes the workflow, then the decision is recorded.

use ascent_core::agent::Domain;
use ascent_core::approval::{
    self, Approval, ApprovalDesk, ApprovalError, ApprovalStatus, ApprovalView, Decision,
    DecisionOutcome, DeskError, LinkError, LinkSigner,
};
use ascent_core::ports::{Condition, DataLake, Item, LakeError, Mailer, Write};
use ascent_core::retention::{self, DataRetention};
use async_trait::async_trait;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use chrono::{Duration, Utc};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

/// A message on the approval-requests queue (written by the state machine).
#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ApprovalMessage {
    Ask {
        approval_id: String,
        step: u32,
        approver: String,
        timeout_seconds: i64,
        approval: Box<Approval>,
        task_token: String,
    },
    Expired {
        approval_id: String,
        approval: Box<Approval>,
    },
}

fn record_pk(id: &str) -> String {
    format!("approval#{id}")
}

/// The stored request; once decided or expired it goes `approvals_days` later
/// ([`retention::approval_expiry`], as in the twin).
fn record_item(id: &str, a: &Approval, settings: &DataRetention) -> Item {
    let item = Item::new(record_pk(id), "approval", json!(a));
    match retention::approval_expiry(a, settings) {
        Some(at) => item.expiring_at(at),
        None => item,
    }
}

fn task_sk(step: u32) -> String {
    format!("task#{step}")
}

async fn load(lake: &dyn DataLake, id: &str) -> Result<Approval, DeskError> {
    lake.get(Domain::Approvals, &record_pk(id), "approval")
        .await
        .map_err(|e| DeskError::Internal(e.to_string()))?
        .ok_or_else(|| DeskError::NotFound(id.to_string()))?
        .parse()
        .map_err(|e: LakeError| DeskError::Internal(e.to_string()))
}

/// Emails approvers and requesters for the state machine.
pub struct ApprovalNotifier {
    pub lake: Arc<dyn DataLake>,
    pub mailer: Arc<dyn Mailer>,
    pub signer: LinkSigner,
    /// Base URL of the approval API (links point at `<base>/approvals/<id>`).
    pub base_url: String,
    pub mail_from: String,
    /// `[data_retention]`: an expired request goes `approvals_days` after its deadline.
    pub retention: DataRetention,
}

impl ApprovalNotifier {
    pub async fn handle(&self, message: ApprovalMessage) -> Result<(), String> {
        let now = Utc::now();
        match message {
            ApprovalMessage::Ask {
                approval_id,
                step,
                approver,
                timeout_seconds,
                approval,
                task_token,
            } => {
                // The stored record knows earlier approvals of this request; the execution's
                // input does not.
                let mut a = match self
                    .lake
                    .get(Domain::Approvals, &record_pk(&approval_id), "approval")
                    .await
                {
                    Ok(Some(item)) => item.parse::<Approval>().unwrap_or(*approval),
                    Ok(None) => *approval,
                    Err(e) => return Err(e.to_string()),
                };
                a.step = step;
                a.step_deadline = now + Duration::seconds(timeout_seconds);
                if a.approver() != approver {
                    return Err(format!(
                        "approval {approval_id}: step {step} is not {approver}'s"
                    ));
                }
                let record = Write::Put {
                    domain: Domain::Approvals,
                    item: Item::new(record_pk(&approval_id), "approval", json!(a)),
                    condition: Condition::Always,
                };
                let token = Write::Put {
                    domain: Domain::Approvals,
                    item: Item::new(
                        record_pk(&approval_id),
                        task_sk(step),
                        json!({"task_token": task_token}),
                    )
                    .expiring_at((now + Duration::days(30)).timestamp()),
                    condition: Condition::Always,
                };
                self.lake
                    .transact(&[record, token])
                    .await
                    .map_err(|e| e.to_string())?;
                let link_token = self.signer.token_for(&a);
                let mut mail = approval::approval_mail(&a, &link_token, &self.base_url);
                if step > 0 {
                    mail.subject = format!("Escalated to you: {}", mail.subject);
                }
                self.mailer
                    .send(&self.mail_from, &mail)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(())
            }
            ApprovalMessage::Expired {
                approval_id,
                approval,
            } => {
                let mut a = *approval;
                a.status = ApprovalStatus::Expired;
                a.decided_at = Some(now);
                self.lake
                    .transact(&[Write::Put {
                        domain: Domain::Approvals,
                        item: record_item(&approval_id, &a, &self.retention),
                        condition: Condition::Always,
                    }])
                    .await
                    .map_err(|e| e.to_string())?;
                let mail = approval::expired_mail(&a);
                self.mailer
                    .send(&self.mail_from, &mail)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(())
            }
        }
    }

    /// SQS entry point with partial batch failures.
    pub async fn handle_sqs(&self, batch: SqsEvent) -> SqsBatchResponse {
        let mut response = SqsBatchResponse::default();
        for record in batch.records {
            let id = record.message_id.clone().unwrap_or_default();
            let result = match serde_json::from_str::<ApprovalMessage>(
                record.body.as_deref().unwrap_or_default(),
            ) {
                Ok(m) => self.handle(m).await,
                Err(e) => Err(format!("not an approval message: {e}")),
            };
            if let Err(e) = result {
                tracing::error!(message_id = id, error = %e, "approval notification failed");
                response.add_failure(id);
            }
        }
        response
    }
}

/// Resumes the workflow's waiting task (Step Functions on AWS).
#[async_trait]
pub trait TaskResumer: Send + Sync {
    /// `Ok(false)` when the task no longer waits (timed out, already resumed).
    async fn succeed(&self, task_token: &str, output: serde_json::Value) -> Result<bool, String>;
}

pub struct StepFunctionsTasks {
    pub client: aws_sdk_sfn::Client,
}

#[async_trait]
impl TaskResumer for StepFunctionsTasks {
    async fn succeed(&self, task_token: &str, output: serde_json::Value) -> Result<bool, String> {
        use aws_sdk_sfn::operation::send_task_success::SendTaskSuccessError as E;
        match self
            .client
            .send_task_success()
            .task_token(task_token)
            .output(output.to_string())
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) => match e.as_service_error() {
                Some(E::TaskTimedOut(_))
                | Some(E::TaskDoesNotExist(_))
                | Some(E::InvalidToken(_)) => Ok(false),
                _ => Err(aws_sdk_sfn::error::DisplayErrorContext(e).to_string()),
            },
        }
    }
}

/// The approval API's desk on AWS.
pub struct StepFunctionsDesk {
    pub lake: Arc<dyn DataLake>,
    pub tasks: Arc<dyn TaskResumer>,
    pub signer: LinkSigner,
    /// Time the second approver gets (the state machine's step timeout).
    pub step_timeout: Duration,
    /// `[data_retention]`: a decided request goes `approvals_days` after its decision.
    pub retention: DataRetention,
}

#[async_trait]
impl ApprovalDesk for StepFunctionsDesk {
    async fn show(&self, id: &str, token: &str) -> Result<ApprovalView, DeskError> {
        let now = Utc::now();
        let claims = self.signer.verify(token, now)?;
        if claims.approval_id != id {
            return Err(LinkError::Forged.into());
        }
        let a = load(self.lake.as_ref(), id).await?;
        a.check_decider(&claims.approver, claims.step, now)?;
        Ok(ApprovalView {
            approval: a,
            approver: claims.approver,
        })
    }

    async fn decide(
        &self,
        id: &str,
        token: &str,
        decision: Decision,
        comment: Option<String>,
    ) -> Result<ApprovalView, DeskError> {
        let now = Utc::now();
        let claims = self.signer.verify(token, now)?;
        if claims.approval_id != id {
            return Err(LinkError::Forged.into());
        }
        let a = self
            .decide_as(id, &claims.approver, Some(claims.step), decision, comment)
            .await?;
        Ok(ApprovalView {
            approval: a,
            approver: claims.approver,
        })
    }
}

impl StepFunctionsDesk {
    /// `person` decides request `id` at `step` (an email link's step), or at its current
    /// step (`None`: signed in to the console): the rules of [`Approval::decide`]; the waiting
    /// task resumed first, then the request recorded. Used by the links and the console alike.
    pub async fn decide_as(
        &self,
        id: &str,
        person: &str,
        step: Option<u32>,
        decision: Decision,
        comment: Option<String>,
    ) -> Result<Approval, DeskError> {
        let now = Utc::now();
        let mut a = load(self.lake.as_ref(), id).await?;
        let step = step.unwrap_or(a.step);
        let outcome = a.decide(person, step, decision, comment, now, self.step_timeout)?;
        let task = self
            .lake
            .get(Domain::Approvals, &record_pk(id), &task_sk(step))
            .await
            .map_err(|e| DeskError::Internal(e.to_string()))?
            .and_then(|i| i.data["task_token"].as_str().map(str::to_string))
            .ok_or_else(|| DeskError::Internal(format!("no task waiting for {id} step {step}")))?;
        let word = match (outcome, a.status) {
            (DecisionOutcome::NeedsAnother { .. }, _) => "needs_another",
            (_, ApprovalStatus::Approved) => "approved",
            (_, ApprovalStatus::Rejected) => "rejected",
            _ => "expired",
        };
        let output = json!({"outcome": word, "decided_by": a.decided_by, "comment": a.comment});
        // Resume first: if the workflow no longer waits, nothing is recorded as decided.
        if !self
            .tasks
            .succeed(&task, output)
            .await
            .map_err(DeskError::Internal)?
        {
            return Err(ApprovalError::PastDeadline.into());
        }
        self.lake
            .transact(&[Write::Put {
                domain: Domain::Approvals,
                item: record_item(id, &a, &self.retention),
                condition: Condition::Always,
            }])
            .await
            .map_err(|e| DeskError::Internal(e.to_string()))?;
        Ok(a)
    }
}

/// The link key: `ASCENT_LINK_KEY`, or the SSM SecureString named by `ASCENT_LINK_KEY_PARAMETER`.
pub async fn link_key(config: &aws_config::SdkConfig) -> Result<Vec<u8>, String> {
    secret(config, "ASCENT_LINK_KEY", "ASCENT_LINK_KEY_PARAMETER", 32)
        .await
        .map(String::into_bytes)
}

/// A secret from the environment variable `value_var` (local runs), or else from the SSM
/// SecureString named by `parameter_var`; refused when shorter than `min_len`.
pub async fn secret(
    config: &aws_config::SdkConfig,
    value_var: &str,
    parameter_var: &str,
    min_len: usize,
) -> Result<String, String> {
    if let Ok(k) = std::env::var(value_var) {
        return Ok(k);
    }
    let name = std::env::var(parameter_var)
        .map_err(|_| format!("set {parameter_var} (an SSM SecureString) or {value_var}"))?;
    let out = aws_sdk_ssm::Client::new(config)
        .get_parameter()
        .name(&name)
        .with_decryption(true)
        .send()
        .await
        .map_err(|e| aws_sdk_ssm::error::DisplayErrorContext(e).to_string())?;
    let value = out.parameter.and_then(|p| p.value).unwrap_or_default();
    if value.len() < min_len {
        return Err(format!(
            "the secret in {name} must be at least {min_len} characters"
        ));
    }
    Ok(value)
}
