//! The Expensify adapter of the expense-reports port: the Integration Server's report status
//! updater.
//!
//! One `POST` to the Integration Server endpoint (`[expenses.expensify] base_url`) with the
//! form field `requestJobDescription` holding the job as JSON: `{"type": "update",
//! "credentials": {"partnerUserID", "partnerUserSecret"}, "inputSettings": {"type":
//! "reportStatus", "status": "REIMBURSED", "filters": {"reportIDList": "R1,R2"}}}`. The
//! credentials travel in the job (from `ASCENT_EXPENSIFY_PARTNER_USER_ID` and
//! `ASCENT_EXPENSIFY_PARTNER_USER_SECRET`), not in a header. Expensify answers HTTP 200 even
//! when the job failed: its `responseCode` says (200 done; 429 rate limited, 5xx its trouble:
//! tried again on a later run; any other a refusal, with `responseMessage`). A done job lists
//! the reports it marked (`reportIDs`) and those it skipped with the reason
//! (`skippedReports`). Marking a status is idempotent, so no key is needed.

use crate::expense_reports::{ExpenseReports, IntegrationError, Marked, ReportsReimbursed};
use ascent_integrations::{Answer, Auth, Http, Request, RetryPolicy};
use serde_json::{Value, json};

/// The Integration Server with one partner's credentials.
pub struct Expensify {
    url: String,
    partner_user_id: String,
    partner_user_secret: String,
    http: Http,
}

impl Expensify {
    pub fn new(
        url: &str,
        partner_user_id: &str,
        partner_user_secret: &str,
        policy: RetryPolicy,
    ) -> Self {
        Self::with_http(
            url,
            partner_user_id,
            partner_user_secret,
            Http::new(Auth::None, policy),
        )
    }

    /// The adapter over a prepared exchange (tests pause through `Http::with_sleep`).
    pub fn with_http(
        url: &str,
        partner_user_id: &str,
        partner_user_secret: &str,
        http: Http,
    ) -> Self {
        Self {
            url: url.to_string(),
            partner_user_id: partner_user_id.to_string(),
            partner_user_secret: partner_user_secret.to_string(),
            http,
        }
    }

    /// The job marking `reports` reimbursed.
    pub fn job(&self, reports: &ReportsReimbursed) -> Value {
        json!({
            "type": "update",
            "credentials": {
                "partnerUserID": self.partner_user_id,
                "partnerUserSecret": self.partner_user_secret,
            },
            "inputSettings": {
                "type": "reportStatus",
                "status": "REIMBURSED",
                "filters": {"reportIDList": reports.report_ids.join(",")},
            },
        })
    }
}

/// The outcome of a job answered with HTTP 200: its `responseCode` decides.
pub fn read_answer(body: &Value) -> Result<Marked, IntegrationError> {
    let code = body["responseCode"].as_u64().unwrap_or(0);
    let message = || {
        body["responseMessage"]
            .as_str()
            .unwrap_or("no responseMessage")
            .to_string()
    };
    match code {
        200 => {}
        429 => return Err(IntegrationError::RateLimited { wait_seconds: 60 }),
        500..=599 => {
            return Err(IntegrationError::Unavailable {
                attempts: 1,
                last: format!("responseCode {code}: {}", message()),
            });
        }
        0 => {
            return Err(IntegrationError::BadAnswer(format!(
                "no responseCode: {body}"
            )));
        }
        _ => {
            return Err(IntegrationError::Refused {
                status: code as u16,
                message: message(),
            });
        }
    }
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let skipped = body["skippedReports"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|s| {
                    (
                        s["reportID"].as_str().unwrap_or_default().to_string(),
                        s["reason"].as_str().unwrap_or("skipped").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Marked {
        reimbursed: strings(&body["reportIDs"]),
        skipped,
    })
}

impl ExpenseReports for Expensify {
    fn system(&self) -> &str {
        "expensify"
    }

    fn mark_reimbursed(&self, reports: &ReportsReimbursed) -> Result<Marked, IntegrationError> {
        let job = self.job(reports).to_string();
        let req = Request::post(&self.url).form([("requestJobDescription", job)]);
        let answer: Answer = self.http.send(&req)?;
        if !answer.is_success() {
            return Err(answer.refusal());
        }
        read_answer(&answer.body)
    }
}

#[cfg(test)]
#[path = "expensify_tests.rs"]
mod tests;
