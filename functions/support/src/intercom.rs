//! The Intercom adapter: conversations over REST, API version 2.11 (`Intercom-Version: 2.11`),
//! `Authorization: Bearer <access token>`.
//!
//! One change: the triage's priority and category into the conversation's attributes
//! (`PUT /conversations/{id}` with `custom_attributes`; the names are settings, since
//! Intercom's own `priority` flag cannot be set through its API), the note as an admin's note
//! (`POST /conversations/{id}/reply` with `{"message_type": "note", "type": "admin",
//! "admin_id", "body"}`), and a merged duplicate closed (`POST /conversations/{id}/parts` with
//! `{"message_type": "close", "type": "admin", "admin_id"}`).
//!
//! Intercom has no idempotency keys. Setting attributes is safe to repeat, and a closed
//! conversation is not closed again; the note is made safe to repeat by its marker: the
//! conversation (`GET /conversations/{id}`, its parts) is read first, and a note is posted
//! only when no part carries the change's marker. The note's post is never repeated blindly:
//! it is sent once per attempt, and after a failed attempt (an answer lost in a timeout or a
//! server error, the note perhaps posted) the conversation is read again before the next.
//! Errors read `{"type": "error.list", "errors": [{"code", "message"}]}`. Intercom's `429`
//! carries `X-RateLimit-Reset` as a Unix time, not `Retry-After`: it is waited out by the
//! doubling backoff.

use crate::desk::{Desk, DeskUpdate, HelpDesk, IntegrationError, RetryPolicy, marker, note_text};
use crate::desk_settings::IntercomEndpoint;
use ascent_integrations::{Answer, Http, Request};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::time::Duration;

pub const API_VERSION: &str = "2.11";

pub struct Intercom {
    endpoint: IntercomEndpoint,
    /// Reads and repeatable writes, retried as the policy says.
    http: Http,
    /// The note's post: one request an attempt.
    once: Http,
    policy: RetryPolicy,
    token: String,
    sleep: Arc<dyn Fn(Duration) + Send + Sync>,
}

/// An Intercom refusal: the first error's code and message.
pub fn refusal(a: &Answer) -> IntegrationError {
    let e = &a.body["errors"][0];
    match (e["code"].as_str(), e["message"].as_str()) {
        (Some(code), Some(message)) => IntegrationError::Refused {
            status: a.status,
            message: format!("{code}: {message}"),
        },
        _ => a.refusal(),
    }
}

impl Intercom {
    pub fn new(endpoint: &IntercomEndpoint, token: &str, policy: RetryPolicy) -> Self {
        let once = RetryPolicy {
            max_attempts: 1,
            ..policy
        };
        Self {
            endpoint: IntercomEndpoint {
                base_url: endpoint.base_url.trim_end_matches('/').into(),
                ..endpoint.clone()
            },
            http: Http::bearer(token, policy),
            once: Http::bearer(token, once),
            policy,
            token: token.to_string(),
            sleep: Arc::new(std::thread::sleep),
        }
    }

    /// The same adapter pausing through `sleep` (tests record the pauses instead of waiting).
    pub fn with_sleep(mut self, sleep: Arc<dyn Fn(Duration) + Send + Sync>) -> Self {
        self.http = Http::bearer(&self.token, self.policy).with_sleep(sleep.clone());
        self.sleep = sleep;
        self
    }

    fn url(&self, path: &str) -> String {
        format!("{}/conversations/{path}", self.endpoint.base_url)
    }

    fn versioned(req: Request) -> Request {
        req.header("Intercom-Version", API_VERSION)
            .header("Accept", "application/json")
    }

    fn ok(&self, req: Request) -> Result<Value, IntegrationError> {
        let a = self.http.send(&Self::versioned(req))?;
        if a.is_success() {
            Ok(a.body)
        } else {
            Err(refusal(&a))
        }
    }

    /// The conversation: whether a part carries `marker`, and whether it is closed.
    fn look(&self, id: &str, marker: &str) -> Result<(bool, bool), IntegrationError> {
        let c = self.ok(Request::get(self.url(id)))?;
        let parts = c["conversation_parts"]["conversation_parts"]
            .as_array()
            .ok_or_else(|| {
                IntegrationError::BadAnswer(format!("conversation {id} without parts"))
            })?;
        let noted = parts
            .iter()
            .any(|p| p["body"].as_str().is_some_and(|b| b.contains(marker)));
        Ok((noted, c["state"].as_str() == Some("closed")))
    }

    /// Posts the note once an attempt, reading the conversation again after a failed one.
    fn note(&self, id: &str, mark: &str, body: Value) -> Result<(), IntegrationError> {
        let req = Self::versioned(Request::post(self.url(&format!("{id}/reply"))).json(body));
        let mut pause = self.policy.backoff;
        let attempts = self.policy.max_attempts.max(1);
        for n in 1..=attempts {
            match self.once.send(&req) {
                Ok(a) if a.is_success() => return Ok(()),
                Ok(a) => return Err(refusal(&a)),
                Err(e) if e.is_transient() && n < attempts => {
                    (self.sleep)(pause);
                    pause *= 2;
                    if self.look(id, mark)?.0 {
                        return Ok(()); // it landed; its answer was lost
                    }
                }
                Err(e) => return Err(e),
            }
        }
        unreachable!("the last attempt returns")
    }
}

/// The attributes a change sets (none: nothing to set).
pub fn attributes(endpoint: &IntercomEndpoint, u: &DeskUpdate) -> Option<Value> {
    let mut a = Map::new();
    if let Some(p) = u.priority {
        a.insert(
            endpoint.priority_attribute.clone(),
            crate::desk::priority_name(p).into(),
        );
    }
    if let Some(c) = &u.category {
        a.insert(endpoint.category_attribute.clone(), c.clone().into());
    }
    (!a.is_empty()).then(|| json!({ "custom_attributes": a }))
}

/// The note's text as Intercom takes it (HTML).
pub fn note_html(change_id: &str, u: &DeskUpdate) -> String {
    note_text(&u.note, change_id)
        .split("\n\n")
        .map(|p| {
            let escaped = p
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('\n', "<br>");
            format!("<p>{escaped}</p>")
        })
        .collect()
}

impl HelpDesk for Intercom {
    fn desk(&self) -> Desk {
        Desk::Intercom
    }

    fn apply(&self, change_id: &str, u: &DeskUpdate) -> Result<(), IntegrationError> {
        let id = &u.remote_id;
        let mark = marker(change_id);
        let (noted, closed) = self.look(id, &mark)?;
        if let Some(body) = attributes(&self.endpoint, u) {
            self.ok(Request::new("PUT", self.url(id)).json(body))?;
        }
        if !noted {
            let admin = &self.endpoint.admin_id;
            let body = json!({"message_type": "note", "type": "admin", "admin_id": admin,
                "body": note_html(change_id, u)});
            self.note(id, &mark, body)?;
        }
        if u.solve && !closed {
            let admin = &self.endpoint.admin_id;
            self.ok(Request::post(self.url(&format!("{id}/parts")))
                .json(json!({"message_type": "close", "type": "admin", "admin_id": admin})))?;
        }
        Ok(())
    }
}
