//! Who may use the console and do what: operators' roles, Argon2 password checks, sessions
//! that expire (kept by the home's [`SessionStore`]), the lockout after failed sign-ins, and
//! the synchronizer token every form carries (CSRF). Decisions are plain functions of their
//! inputs (the time included), tested without a server.

use crate::port::OpsError;
use crate::session_store::{MemorySessionStore, SessionStore, session_key};
use crate::settings::ConsoleSettings;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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

/// The console's sessions and sign-in lockout over the home's [`SessionStore`]: opening,
/// finding and closing a session by its cookie token (the store sees only its digest,
/// [`session_key`]), and counting failed sign-ins. Whether a session is live and whether an
/// address is locked out is decided here, the same for every store.
pub struct Sessions {
    lifetime: Duration,
    store: Arc<dyn SessionStore>,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions")
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

/// The key failures of `email` are counted under.
fn address_key(email: &str) -> String {
    email.trim().to_ascii_lowercase()
}

impl Sessions {
    /// Sessions kept in this process's memory (the twin's: they end when it stops).
    pub fn new(lifetime: Duration) -> Self {
        Self::with_store(lifetime, Arc::new(MemorySessionStore::new()))
    }

    /// Sessions kept by `store`.
    pub fn with_store(lifetime: Duration, store: Arc<dyn SessionStore>) -> Self {
        Self { lifetime, store }
    }

    /// Until when `email` may not try to sign in: `max` failures within `lockout` lock it out
    /// for `lockout` after the last one (no password is checked meanwhile, right or wrong).
    pub async fn locked_until(
        &self,
        email: &str,
        now: DateTime<Utc>,
        max: u32,
        lockout: Duration,
    ) -> Result<Option<DateTime<Utc>>, OpsError> {
        let recent = self
            .store
            .failures(&address_key(email), now - lockout)
            .await?;
        Ok(lockout_end(&recent, max, lockout))
    }

    /// Counts a failed sign-in of `email`, kept for `lockout`.
    pub async fn failed(
        &self,
        email: &str,
        now: DateTime<Utc>,
        lockout: Duration,
    ) -> Result<(), OpsError> {
        self.store
            .failed(&address_key(email), now, now + lockout)
            .await
    }

    /// A sign-in of `email` succeeded: its failures are forgotten.
    pub async fn succeeded(&self, email: &str) -> Result<(), OpsError> {
        self.store.forget_failures(&address_key(email)).await
    }

    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// Opens a session for `operator`; its cookie token and the session.
    pub async fn open(
        &self,
        operator: Operator,
        now: DateTime<Utc>,
    ) -> Result<(String, Session), OpsError> {
        let token = random_token();
        let session = Session {
            operator,
            csrf: random_token(),
            expires_at: now + self.lifetime,
        };
        self.store.forget_expired(now).await?;
        self.store.put(&session_key(&token), &session).await?;
        Ok((token, session))
    }

    /// The live session of `token`; an expired one is forgotten.
    pub async fn get(&self, token: &str, now: DateTime<Utc>) -> Result<Option<Session>, OpsError> {
        if token.is_empty() {
            return Ok(None);
        }
        let key = session_key(token);
        match self.store.get(&key).await? {
            Some(s) if s.is_live(now) => Ok(Some(s)),
            Some(_) => {
                self.store.remove(&key).await?;
                Ok(None)
            }
            None => Ok(None),
        }
    }

    /// Ends the session of `token`.
    pub async fn close(&self, token: &str) -> Result<(), OpsError> {
        self.store.remove(&session_key(token)).await
    }
}

/// When the lockout of an address with failed sign-ins `recent` (those within `lockout`) ends:
/// `None` below `max` of them.
fn lockout_end(recent: &[DateTime<Utc>], max: u32, lockout: Duration) -> Option<DateTime<Utc>> {
    let last = recent.iter().max()?;
    (recent.len() >= max as usize).then(|| *last + lockout)
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

    fn viewer() -> Operator {
        Operator {
            email: "ops@x.example".into(),
            role: Role::Viewer,
        }
    }

    #[tokio::test]
    async fn a_session_lasts_its_lifetime_then_is_gone() {
        let sessions = Sessions::new(Duration::minutes(30));
        let (token, s) = sessions.open(viewer(), t(0)).await.unwrap();
        assert_eq!(s.expires_at, t(30));
        assert_eq!(sessions.get(&token, t(29)).await.unwrap(), Some(s));
        assert_eq!(sessions.get(&token, t(30)).await.unwrap(), None);
        // Forgotten once seen expired.
        assert_eq!(sessions.get(&token, t(0)).await.unwrap(), None);
        assert_eq!(sessions.get("forged", t(0)).await.unwrap(), None);
        assert_eq!(sessions.get("", t(0)).await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_closed_session_is_refused() {
        let sessions = Sessions::new(Duration::minutes(30));
        let (token, _) = sessions.open(viewer(), t(0)).await.unwrap();
        let (other, _) = sessions.open(viewer(), t(0)).await.unwrap();
        sessions.close(&token).await.unwrap();
        assert_eq!(sessions.get(&token, t(1)).await.unwrap(), None);
        assert!(sessions.get(&other, t(1)).await.unwrap().is_some());
    }

    /// A store that says which keys it was given, over the memory store.
    #[derive(Default)]
    struct Recording {
        keys: parking_lot::Mutex<Vec<String>>,
        inner: MemorySessionStore,
    }

    #[async_trait::async_trait]
    impl SessionStore for Recording {
        async fn put(&self, key: &str, session: &Session) -> Result<(), OpsError> {
            self.keys.lock().push(key.to_string());
            self.inner.put(key, session).await
        }
        async fn get(&self, key: &str) -> Result<Option<Session>, OpsError> {
            self.keys.lock().push(key.to_string());
            self.inner.get(key).await
        }
        async fn remove(&self, key: &str) -> Result<(), OpsError> {
            self.keys.lock().push(key.to_string());
            self.inner.remove(key).await
        }
        async fn failures(
            &self,
            email: &str,
            since: DateTime<Utc>,
        ) -> Result<Vec<DateTime<Utc>>, OpsError> {
            self.inner.failures(email, since).await
        }
        async fn failed(
            &self,
            email: &str,
            at: DateTime<Utc>,
            keep_until: DateTime<Utc>,
        ) -> Result<(), OpsError> {
            self.inner.failed(email, at, keep_until).await
        }
        async fn forget_failures(&self, email: &str) -> Result<(), OpsError> {
            self.inner.forget_failures(email).await
        }
    }

    #[tokio::test]
    async fn the_store_never_sees_the_cookie_token() {
        let store = Arc::new(Recording::default());
        let sessions = Sessions::with_store(Duration::minutes(30), store.clone());
        let (token, s) = sessions.open(viewer(), t(0)).await.unwrap();
        assert_eq!(sessions.get(&token, t(1)).await.unwrap(), Some(s.clone()));
        sessions.close(&token).await.unwrap();
        assert_eq!(sessions.get(&token, t(2)).await.unwrap(), None);
        let keys = store.keys.lock().clone();
        assert_eq!(keys.len(), 4, "{keys:?}");
        for key in &keys {
            assert_eq!(key, &session_key(&token));
            assert!(!key.contains(&token), "{key}");
        }
        // Nor does what it keeps: the session holds its form token, not the cookie's.
        assert_ne!(s.csrf, token);
    }

    #[tokio::test]
    async fn a_form_without_the_session_s_token_is_refused() {
        let sessions = Sessions::new(Duration::minutes(30));
        let (_, s) = sessions.open(viewer(), t(0)).await.unwrap();
        let (_, other) = sessions.open(viewer(), t(0)).await.unwrap();
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

    #[tokio::test]
    async fn an_address_is_locked_out_after_too_many_failures_and_freed_later() {
        let sessions = Sessions::new(Duration::minutes(60));
        let lockout = Duration::minutes(15);
        let locked = |email: &'static str, at| sessions.locked_until(email, at, 5, lockout);
        for m in 0..4 {
            sessions
                .failed("Ana@X.example", t(m), lockout)
                .await
                .unwrap();
            assert_eq!(locked("ana@x.example", t(m)).await.unwrap(), None);
        }
        sessions
            .failed(" ana@x.example", t(4), lockout)
            .await
            .unwrap();
        assert_eq!(locked("ana@x.example", t(5)).await.unwrap(), Some(t(19)));
        assert_eq!(locked("bo@x.example", t(5)).await.unwrap(), None);
        // Failures older than the lockout no longer count.
        assert_eq!(locked("ana@x.example", t(19)).await.unwrap(), None);
        // A success forgets them.
        for m in 20..25 {
            sessions
                .failed("ana@x.example", t(m), lockout)
                .await
                .unwrap();
        }
        assert!(locked("ana@x.example", t(25)).await.unwrap().is_some());
        sessions.succeeded("ANA@x.example").await.unwrap();
        assert_eq!(locked("ana@x.example", t(25)).await.unwrap(), None);
    }

    #[test]
    fn a_lockout_lasts_its_length_after_the_last_of_max_failures() {
        let lockout = Duration::minutes(15);
        assert_eq!(lockout_end(&[], 0, lockout), None);
        assert_eq!(lockout_end(&[t(3), t(1)], 3, lockout), None);
        assert_eq!(lockout_end(&[t(3), t(7), t(1)], 3, lockout), Some(t(22)));
    }
}
