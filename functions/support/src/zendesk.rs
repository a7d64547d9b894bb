//! The Zendesk adapter: Support API v2 tickets over REST, Basic `email/token:<api token>`.
//!
//! One change is one ticket update, `PUT /api/v2/tickets/{id}.json` with `{"ticket":
//! {"priority", "additional_tags", "status", "comment": {"body", "public": false}}}`
//! (`additional_tags` adds the category and team without removing the tags agents set).
//! Zendesk's `Idempotency-Key` covers ticket creation only, and Support creates no tickets at
//! Zendesk; an update is made safe to repeat instead: the note carries the change's marker,
//! and the update is a safe one (`safe_update` with the ticket's `updated_at` as
//! `updated_stamp`). Before updating, the latest comments
//! (`GET /api/v2/tickets/{id}/comments.json?sort_order=desc`) are searched for the marker: found,
//! the change was applied already (an earlier answer was lost) and nothing is sent. An update
//! whose first attempt landed but whose answer was lost is answered `409` (`UpdateConflict`) on
//! the retry, since the ticket changed; the adapter then looks for the marker again. Errors
//! read `{"error", "description"}` or `{"error": {"title", "message"}}`.

use crate::desk::{Desk, DeskUpdate, HelpDesk, IntegrationError, RetryPolicy, marker, note_text};
use crate::desk_settings::ZendeskEndpoint;
use ascent_integrations::{Answer, Auth, Http, Request};
use serde_json::{Map, Value, json};

pub struct Zendesk {
    base_url: String,
    auth: Auth,
    http: Http,
}

/// A Zendesk refusal: `error` and `description`, or the `error` object's title and message.
pub fn refusal(a: &Answer) -> IntegrationError {
    let b = &a.body;
    let message = match (&b["error"], b["description"].as_str()) {
        (Value::String(e), Some(d)) => format!("{e}: {d}"),
        (Value::Object(e), _) => match (e.get("title"), e.get("message")) {
            (Some(Value::String(t)), Some(Value::String(m))) => format!("{t}: {m}"),
            _ => return a.refusal(),
        },
        _ => return a.refusal(),
    };
    IntegrationError::Refused {
        status: a.status,
        message,
    }
}

impl Zendesk {
    pub fn new(endpoint: &ZendeskEndpoint, api_token: &str, policy: RetryPolicy) -> Self {
        let auth = Auth::Basic {
            user: format!("{}/token", endpoint.email),
            password: api_token.to_string(),
        };
        Self {
            base_url: endpoint.base_url.trim_end_matches('/').into(),
            http: Http::new(auth.clone(), policy),
            auth,
        }
    }

    /// The same adapter pausing through `sleep` (tests record the pauses instead of waiting).
    pub fn with_sleep(
        mut self,
        sleep: std::sync::Arc<dyn Fn(std::time::Duration) + Send + Sync>,
    ) -> Self {
        self.http = Http::new(self.auth.clone(), self.http.policy()).with_sleep(sleep);
        self
    }

    fn ticket_url(&self, id: &str) -> String {
        format!("{}/api/v2/tickets/{id}.json", self.base_url)
    }

    fn ok(&self, req: &Request) -> Result<Value, IntegrationError> {
        let a = self.http.send(req)?;
        if a.is_success() {
            Ok(a.body)
        } else {
            Err(refusal(&a))
        }
    }

    /// Whether the ticket's latest comments carry `marker`.
    fn has_comment(&self, id: &str, marker: &str) -> Result<bool, IntegrationError> {
        let url = format!("{}/api/v2/tickets/{id}/comments.json", self.base_url);
        let body = self.ok(&Request::get(url).query("sort_order", "desc"))?;
        let comments = body["comments"]
            .as_array()
            .ok_or_else(|| IntegrationError::BadAnswer("comments without `comments`".into()))?;
        Ok(comments.iter().any(|c| {
            ["body", "plain_body", "html_body"]
                .iter()
                .any(|k| c[*k].as_str().is_some_and(|b| b.contains(marker)))
        }))
    }

    /// The ticket's `updated_at`, the stamp a safe update names.
    fn stamp(&self, id: &str) -> Result<String, IntegrationError> {
        let body = self.ok(&Request::get(self.ticket_url(id)))?;
        body["ticket"]["updated_at"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| IntegrationError::BadAnswer(format!("ticket {id} without updated_at")))
    }
}

/// The update's body, made safe against `updated_stamp`.
pub fn ticket_body(change_id: &str, u: &DeskUpdate, updated_stamp: &str) -> Value {
    let mut t = Map::new();
    if let Some(p) = u.priority {
        t.insert("priority".into(), crate::desk::priority_name(p).into());
    }
    let tags: Vec<&String> = u.category.iter().chain(u.team.iter()).collect();
    if !tags.is_empty() {
        t.insert("additional_tags".into(), json!(tags));
    }
    if u.solve {
        t.insert("status".into(), "solved".into());
    }
    t.insert(
        "comment".into(),
        json!({"body": note_text(&u.note, change_id), "public": false}),
    );
    t.insert("safe_update".into(), true.into());
    t.insert("updated_stamp".into(), updated_stamp.into());
    json!({ "ticket": t })
}

impl HelpDesk for Zendesk {
    fn desk(&self) -> Desk {
        Desk::Zendesk
    }

    fn apply(&self, change_id: &str, u: &DeskUpdate) -> Result<(), IntegrationError> {
        let id = &u.remote_id;
        let mark = marker(change_id);
        let rounds = self.http.policy().max_attempts.max(1);
        for _ in 0..rounds {
            if self.has_comment(id, &mark)? {
                return Ok(()); // applied before: its answer was lost
            }
            let stamp = self.stamp(id)?;
            let req =
                Request::new("PUT", self.ticket_url(id)).json(ticket_body(change_id, u, &stamp));
            let a = self.http.send(&req)?;
            if a.is_success() {
                return Ok(());
            }
            if a.status != 409 {
                return Err(refusal(&a));
            }
            // Changed since the stamp: by this change (look again) or by someone else.
        }
        Err(IntegrationError::Unavailable {
            attempts: rounds,
            last: format!("ticket {id} changed under every update (409 UpdateConflict)"),
        })
    }
}
