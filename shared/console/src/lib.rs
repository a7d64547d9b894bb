//! The operator console: one set of server-rendered pages (approvals inbox, agents, queues)
//! for human oversight, served by the local twin at `/console` and, on AWS, by a function of
//! its own, over the [`Operations`] port each home implements.
//!
//! Operators sign in ([`sign_in`]) through the home's [`Authenticator`] (the twin: accounts of
//! `[console]` in ascent.toml, [`settings`]; AWS: its Cognito user pool), roles
//! viewer < approver < admin, sessions that expire (kept by the home's [`SessionStore`]: the
//! twin's in memory, AWS's in DynamoDB), a synchronizer token on every form, every action
//! audited by the home. Approvers deciding from an email link need none of this: those
//! pages are `ascent-web`'s, at `/approvals/…`.
//!
//! Adding a page: its body as a pure function in [`pages`], its handler in `routes`, its route
//! in [`router`], its line in [`layout::NAV`].

pub mod access;
mod insight_routes;
pub mod insights;
pub mod layout;
pub mod pages;
pub mod port;
pub mod privacy;
mod routes;
pub mod session_store;
pub mod settings;
pub mod sign_in;

pub use access::{Operator, Role, Session, Sessions};
pub use insights::{Insights, RecordKind};
pub use port::{AgentRow, ConsoleAction, DeadLetterRow, Inbox, Operations, OpsError, QueueRow};
pub use routes::{SESSION_COOKIE, SignedIn};
pub use session_store::{MemorySessionStore, SessionStore, session_key};
pub use settings::{ConsoleSettings, OperatorAccount};
pub use sign_in::{Authenticator, ConfiguredAccounts, SignInError, Verdict};

use axum::Router;
use axum::routing::{get, post};
use std::sync::Arc;

/// Everything the console's handlers share.
pub struct Console {
    pub ops: Arc<dyn Operations>,
    pub settings: ConsoleSettings,
    pub sessions: Sessions,
    /// Cookies marked `Secure` (served over HTTPS).
    pub secure_cookies: bool,
    /// What the audit, business and dashboard pages read; `None`: the home has none yet.
    pub insights: Option<Arc<dyn Insights>>,
    /// A person's export and erasure (admins); `None`: the home has no privacy desk.
    pub privacy: Option<Arc<dyn privacy::PrivacyDesk>>,
    /// Who the operators are: by default the accounts of `settings`.
    pub authenticator: Arc<dyn Authenticator>,
}

impl Console {
    pub fn new(ops: Arc<dyn Operations>, settings: ConsoleSettings, secure_cookies: bool) -> Self {
        let lifetime = chrono::Duration::minutes(settings.session_minutes);
        Self {
            ops,
            authenticator: Arc::new(ConfiguredAccounts {
                settings: settings.clone(),
            }),
            settings,
            sessions: Sessions::new(lifetime),
            secure_cookies,
            insights: None,
            privacy: None,
        }
    }

    /// The console signing operators in through `authenticator` (a directory of the home's)
    /// instead of `[console]`'s accounts.
    pub fn with_authenticator(mut self, authenticator: Arc<dyn Authenticator>) -> Self {
        self.authenticator = authenticator;
        self
    }

    /// The console handling privacy requests through `desk`.
    pub fn with_privacy(mut self, desk: Arc<dyn privacy::PrivacyDesk>) -> Self {
        self.privacy = Some(desk);
        self
    }

    /// The console keeping its sessions and failed sign-ins in `store` (a home of many
    /// instances shares one) instead of this process's memory.
    pub fn with_sessions(mut self, store: Arc<dyn SessionStore>) -> Self {
        self.sessions = Sessions::with_store(self.sessions.lifetime(), store);
        self
    }

    /// The console reading the audit trail, business state and KPIs through `insights`.
    pub fn with_insights(mut self, insights: Arc<dyn Insights>) -> Self {
        self.insights = Some(insights);
        self
    }
}

/// The console's routes, every one under `/console`.
pub fn router(console: Arc<Console>) -> Router {
    use routes::*;
    Router::new()
        .route("/console", get(home))
        .route("/console/", get(home))
        .route(
            "/console/sign-in",
            get(sign_in::sign_in_page).post(sign_in::sign_in),
        )
        .route("/console/sign-in/code", post(sign_in::sign_in_code))
        .route("/console/sign-out", post(sign_out))
        .route("/console/approvals", get(approvals))
        .route("/console/approvals/{id}", post(decide))
        .route("/console/agents", get(agents))
        .route("/console/agents/{agent}/pause", post(pause))
        .route("/console/agents/{agent}/resume", post(resume))
        .route("/console/queues", get(queues))
        .route("/console/queues/redrive", post(redrive))
        .merge(insight_routes::routes())
        .merge(privacy::routes())
        .route("/console/{*rest}", get(not_found))
        .with_state(console)
}

#[cfg(test)]
mod tests;
