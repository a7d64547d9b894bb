//! Who may use the console and do what: operators' roles, Argon2 password checks, server-side
//! sessions that expire, and the synchronizer token every form carries (CSRF). Decisions are
//! plain functions of their inputs (the time included), tested without a server.

use crate::settings::ConsoleSettings;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use subtle::ConstantTimeEq;

/// What an operator may do; each role may do what the ones below it may.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Sees every page; changes nothing.
    Viewer,
    /// Decides approvals that name them, besides seeing.
    Approver,
    /// Pauses and resumes agents and redrives dead letters, besides the approver's rights.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Approver => "approver",
            Role::Admin => "admin",
        }
    }
}

/// A signed-in operator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Operator {
    pub email: String,
    pub role: Role,
}

/// Why a request was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    #[error("unknown operator or wrong password")]
    BadCredentials,
    #[error(
        "the form is out of date or was not sent by this console; reload the page and try again"
    )]
    BadCsrf,
    #[error("the {have} role may not {action}; it takes the {need} role")]
    Forbidden {
        have: &'static str,
        need: &'static str,
        action: &'static str,
    },
    #[error("the password could not be hashed: {0}")]
    Hash(String),
}

/// Refuses `action` unless `operator`'s role is at least `need`.
pub fn require(operator: &Operator, need: Role, action: &'static str) -> Result<(), AccessError> {
    if operator.role >= need {
        Ok(())
    } else {
        Err(AccessError::Forbidden {
            have: operator.role.as_str(),
            need: need.as_str(),
            action,
        })
    }
}

/// An Argon2id PHC string for `password` with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, AccessError> {
    let salt = SaltString::encode_b64(uuid::Uuid::new_v4().as_bytes())
        .map_err(|e| AccessError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AccessError::Hash(e.to_string()))
}

/// Reads a PHC string; the configuration refuses one that does not read.
pub fn parse_hash(phc: &str) -> Result<PasswordHash<'_>, AccessError> {
    PasswordHash::new(phc).map_err(|e| AccessError::Hash(e.to_string()))
}

/// Whether `password` matches the PHC string `phc` (any Argon2 variant and parameters).
pub fn verify_password(password: &str, phc: &str) -> bool {
    parse_hash(phc).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A hash nobody's password matches, checked for an unknown address so that a wrong address
/// takes as long as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password(&uuid::Uuid::new_v4().to_string()).unwrap_or_default())
}

/// The operator `email` signs in as, when `password` is theirs.
pub fn sign_in(
    settings: &ConsoleSettings,
    email: &str,
    password: &str,
) -> Result<Operator, AccessError> {
    match settings.operator(email) {
        Some(account) if verify_password(password, &account.password_hash) => Ok(Operator {
            email: account.email.clone(),
            role: account.role,
        }),
        Some(_) => Err(AccessError::BadCredentials),
        None => {
            let _ = verify_password(password, decoy_hash());
            Err(AccessError::BadCredentials)
        }
    }
}

/// A signed-in operator's session: who, the form token, and when it ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub operator: Operator,
    /// The synchronizer token every form of this session carries.
    pub csrf: String,
    pub expires_at: DateTime<Utc>,
}

impl Session {
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        now < self.expires_at
    }

    /// Refuses a form whose token is not this session's (compared in constant time).
    pub fn check_csrf(&self, submitted: &str) -> Result<(), AccessError> {
        if bool::from(self.csrf.as_bytes().ct_eq(submitted.as_bytes())) {
            Ok(())
        } else {
            Err(AccessError::BadCsrf)
        }
    }
}

/// A random token of 244 bits, as 64 hex characters.
pub fn random_token() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// The sessions of this process, by cookie token. The twin's sessions end when it stops
/// (operators sign in again).
#[derive(Debug)]
pub struct Sessions {
    lifetime: Duration,
    open: parking_lot::Mutex<HashMap<String, Session>>,
    /// Recent failed sign-ins per address (lower-cased), for the lockout.
    failures: parking_lot::Mutex<HashMap<String, Vec<DateTime<Utc>>>>,
}

impl Sessions {
    pub fn new(lifetime: Duration) -> Self {
        Self {
            lifetime,
            open: parking_lot::Mutex::new(HashMap::new()),
            failures: parking_lot::Mutex::new(HashMap::new()),
        }
    }

    /// Until when `email` may not try to sign in: `max` failures within `lockout` lock it out
    /// for `lockout` after the last one (no password is checked meanwhile, right or wrong).
    pub fn locked_until(
        &self,
        email: &str,
        now: DateTime<Utc>,
        max: u32,
        lockout: Duration,
    ) -> Option<DateTime<Utc>> {
        let mut failures = self.failures.lock();
        let key = email.trim().to_ascii_lowercase();
        let recent = failures.get_mut(&key)?;
        recent.retain(|at| *at + lockout > now);
        if recent.is_empty() {
            failures.remove(&key);
            return None;
        }
        (recent.len() >= max as usize).then(|| *recent.iter().max().expect("not empty") + lockout)
    }

    /// Counts a failed sign-in of `email`.
    pub fn failed(&self, email: &str, now: DateTime<Utc>) {
        let key = email.trim().to_ascii_lowercase();
        self.failures.lock().entry(key).or_default().push(now);
    }

    /// A sign-in of `email` succeeded: its failures are forgotten.
    pub fn succeeded(&self, email: &str) {
        self.failures
            .lock()
            .remove(&email.trim().to_ascii_lowercase());
    }

    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// Opens a session for `operator`; its cookie token and the session.
    pub fn open(&self, operator: Operator, now: DateTime<Utc>) -> (String, Session) {
        let token = random_token();
        let session = Session {
            operator,
            csrf: random_token(),
            expires_at: now + self.lifetime,
        };
        let mut open = self.open.lock();
        open.retain(|_, s| s.is_live(now));
        open.insert(token.clone(), session.clone());
        (token, session)
    }

    /// The live session of `token`; an expired one is forgotten.
    pub fn get(&self, token: &str, now: DateTime<Utc>) -> Option<Session> {
        let mut open = self.open.lock();
        match open.get(token) {
            Some(s) if s.is_live(now) => Some(s.clone()),
            Some(_) => {
                open.remove(token);
                None
            }
            None => None,
        }
    }

    pub fn close(&self, token: &str) -> Option<Session> {
        self.open.lock().remove(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::OperatorAccount;

    fn t(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap() + Duration::minutes(minutes)
    }

    fn settings() -> ConsoleSettings {
        ConsoleSettings {
            session_minutes: 30,
            operators: vec![OperatorAccount {
                email: "ops@x.example".into(),
                role: Role::Approver,
                password_hash: hash_password("correct horse").unwrap(),
            }],
            ..ConsoleSettings::default()
        }
    }

    #[test]
    fn a_password_matches_its_own_hash_only() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("correct horse ", &h));
        assert!(!verify_password("correct horse", "not a hash"));
        assert_ne!(h, hash_password("correct horse").unwrap(), "salted");
    }

    #[test]
    fn sign_in_needs_a_known_address_and_its_password() {
        let s = settings();
        let op = sign_in(&s, "OPS@x.example", "correct horse").unwrap();
        assert_eq!(op.role, Role::Approver);
        assert_eq!(op.email, "ops@x.example");
        assert_eq!(
            sign_in(&s, "ops@x.example", "wrong"),
            Err(AccessError::BadCredentials)
        );
        assert_eq!(
            sign_in(&s, "who@x.example", "correct horse"),
            Err(AccessError::BadCredentials)
        );
    }

    #[test]
    fn a_session_lasts_its_lifetime_then_is_gone() {
        let sessions = Sessions::new(Duration::minutes(30));
        let op = Operator {
            email: "ops@x.example".into(),
            role: Role::Viewer,
        };
        let (token, s) = sessions.open(op, t(0));
        assert_eq!(s.expires_at, t(30));
        assert!(sessions.get(&token, t(29)).is_some());
        assert!(sessions.get(&token, t(30)).is_none());
        // Forgotten once seen expired.
        assert!(sessions.get(&token, t(0)).is_none());
        assert!(sessions.get("forged", t(0)).is_none());
    }

    #[test]
    fn a_closed_session_is_refused() {
        let sessions = Sessions::new(Duration::minutes(30));
        let op = Operator {
            email: "ops@x.example".into(),
            role: Role::Viewer,
        };
        let (token, _) = sessions.open(op, t(0));
        assert!(sessions.close(&token).is_some());
        assert!(sessions.get(&token, t(1)).is_none());
    }

    #[test]
    fn a_form_without_the_session_s_token_is_refused() {
        let sessions = Sessions::new(Duration::minutes(30));
        let op = Operator {
            email: "ops@x.example".into(),
            role: Role::Viewer,
        };
        let (_, s) = sessions.open(op.clone(), t(0));
        let (_, other) = sessions.open(op, t(0));
        assert_eq!(s.check_csrf(&s.csrf), Ok(()));
        assert_eq!(s.check_csrf(&other.csrf), Err(AccessError::BadCsrf));
        assert_eq!(s.check_csrf(""), Err(AccessError::BadCsrf));
    }

    #[test]
    fn roles_are_ordered_viewer_approver_admin() {
        let as_role = |role| Operator {
            email: "o@x.example".into(),
            role,
        };
        assert!(require(&as_role(Role::Viewer), Role::Approver, "decide").is_err());
        assert!(require(&as_role(Role::Approver), Role::Approver, "decide").is_ok());
        assert!(require(&as_role(Role::Approver), Role::Admin, "pause").is_err());
        assert!(require(&as_role(Role::Admin), Role::Approver, "decide").is_ok());
        assert_eq!(
            require(&as_role(Role::Viewer), Role::Admin, "redrive dead letters")
                .unwrap_err()
                .to_string(),
            "the viewer role may not redrive dead letters; it takes the admin role"
        );
    }

    #[test]
    fn an_address_is_locked_out_after_too_many_failures_and_freed_later() {
        let sessions = Sessions::new(Duration::minutes(60));
        let lockout = Duration::minutes(15);
        for m in 0..4 {
            sessions.failed("Ana@X.example", t(m));
            assert_eq!(
                sessions.locked_until("ana@x.example", t(m), 5, lockout),
                None
            );
        }
        sessions.failed("ana@x.example", t(4));
        assert_eq!(
            sessions.locked_until("ana@x.example", t(5), 5, lockout),
            Some(t(19))
        );
        assert_eq!(
            sessions.locked_until("bo@x.example", t(5), 5, lockout),
            None
        );
        // Failures older than the lockout no longer count.
        assert_eq!(
            sessions.locked_until("ana@x.example", t(19), 5, lockout),
            None
        );
        // A success forgets them.
        for m in 20..25 {
            sessions.failed("ana@x.example", t(m));
        }
        assert!(
            sessions
                .locked_until("ana@x.example", t(25), 5, lockout)
                .is_some()
        );
        sessions.succeeded("ANA@x.example");
        assert_eq!(
            sessions.locked_until("ana@x.example", t(25), 5, lockout),
            None
        );
    }
}
