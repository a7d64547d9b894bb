//! Starts the approval state machine (`infra/statemachines/approval.asl.json`) for an opened
//! approval request. The execution is named after the approval id: a retry cannot start a
//! second workflow for the same request.

use crate::host::ApprovalStarter;
use ascent_core::approval::Approval;
use async_trait::async_trait;
use aws_sdk_sfn::Client;

#[derive(Clone, Debug)]
pub struct StepFunctionsApprovals {
    client: Client,
    state_machine_arn: String,
    step_timeout_seconds: i64,
}

impl StepFunctionsApprovals {
    pub fn new(
        client: Client,
        state_machine_arn: impl Into<String>,
        step_timeout_seconds: i64,
    ) -> Self {
        Self {
            client,
            state_machine_arn: state_machine_arn.into(),
            step_timeout_seconds,
        }
    }

    /// The execution input: the request, its approver chain and each approver's time.
    pub fn input(&self, a: &Approval) -> serde_json::Value {
        serde_json::json!({
            "approval_id": a.id,
            "approval": a,
            "approvers": a.chain,
            "step_timeout_seconds": self.step_timeout_seconds,
        })
    }
}

#[async_trait]
impl ApprovalStarter for StepFunctionsApprovals {
    async fn start(&self, a: &Approval) -> Result<(), String> {
        let result = self
            .client
            .start_execution()
            .state_machine_arn(&self.state_machine_arn)
            .name(&a.id)
            .input(self.input(a).to_string())
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) => {
                use aws_sdk_sfn::operation::start_execution::StartExecutionError;
                // Already started by an earlier attempt of the same event: that is the goal.
                if matches!(
                    e.as_service_error(),
                    Some(StartExecutionError::ExecutionAlreadyExists(_))
                ) {
                    Ok(())
                } else {
                    Err(aws_sdk_sfn::error::DisplayErrorContext(e).to_string())
                }
            }
        }
    }
}
