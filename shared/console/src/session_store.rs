//! Where the console keeps its sessions and the failed sign-ins of each address: the
//! [`SessionStore`] port, so that a home of many short-lived instances (AWS Lambda) keeps them
//! in a shared store (DynamoDB) while the twin keeps them in process memory
//! ([`MemorySessionStore`], the default; its sessions end when the twin stops).
//!
//! A store never sees a cookie token: sessions are kept under [`session_key`], the token's
//! SHA-256 digest, so a leaked table opens no session. Whether a session is still live is
//! decided by [`crate::Sessions`], not the store: a store may hand back an expired session
//! (DynamoDB deletes expired items lazily) and is told to remove it.

use crate::access::Session;
use crate::port::OpsError;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// The key a session is kept under: the SHA-256 digest of its cookie token, in lower-case hex.
pub fn session_key(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The console's sessions and failed sign-ins, kept by the home.
#[async_trait::async_trait]
pub trait SessionStore: Send + Sync {
    /// Keeps `session` under `key` (a [`session_key`]) until it expires.
    async fn put(&self, key: &str, session: &Session) -> Result<(), OpsError>;
    /// The session kept under `key`, expired or not.
    async fn get(&self, key: &str) -> Result<Option<Session>, OpsError>;
    /// Forgets the session under `key`; nothing there is no error.
    async fn remove(&self, key: &str) -> Result<(), OpsError>;
    /// Failed sign-ins of `email` (lower-cased) kept that happened after `since`.
    async fn failures(
        &self,
        email: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<DateTime<Utc>>, OpsError>;
    /// Counts one failed sign-in of `email` (lower-cased) at `at`; kept at least until
    /// `keep_until`.
    async fn failed(
        &self,
        email: &str,
        at: DateTime<Utc>,
        keep_until: DateTime<Utc>,
    ) -> Result<(), OpsError>;
    /// Forgets the failed sign-ins of `email` (lower-cased).
    async fn forget_failures(&self, email: &str) -> Result<(), OpsError>;
    /// Forgets the sessions expired and the failures no longer kept by `now`. A store whose
    /// entries expire by themselves (DynamoDB's time to live) has nothing to do.
    async fn forget_expired(&self, _now: DateTime<Utc>) -> Result<(), OpsError> {
        Ok(())
    }
}

/// A failed sign-in and until when it is kept.
#[derive(Clone, Copy, Debug)]
struct Failure {
    at: DateTime<Utc>,
    keep_until: DateTime<Utc>,
}

/// Sessions and failures in this process's memory: the twin's store, and the default.
#[derive(Debug, Default)]
pub struct MemorySessionStore {
    sessions: parking_lot::Mutex<HashMap<String, Session>>,
    failures: parking_lot::Mutex<HashMap<String, Vec<Failure>>>,
}

impl MemorySessionStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Drops the failures no longer kept at `now`, and the addresses left with none.
    fn prune_failures(failures: &mut HashMap<String, Vec<Failure>>, now: DateTime<Utc>) {
        failures.retain(|_, list| {
            list.retain(|f| f.keep_until > now);
            !list.is_empty()
        });
    }
}

#[async_trait::async_trait]
impl SessionStore for MemorySessionStore {
    async fn put(&self, key: &str, session: &Session) -> Result<(), OpsError> {
        self.sessions
            .lock()
            .insert(key.to_string(), session.clone());
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Session>, OpsError> {
        Ok(self.sessions.lock().get(key).cloned())
    }

    async fn remove(&self, key: &str) -> Result<(), OpsError> {
        self.sessions.lock().remove(key);
        Ok(())
    }

    async fn failures(
        &self,
        email: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<DateTime<Utc>>, OpsError> {
        Ok(self
            .failures
            .lock()
            .get(email)
            .map(|list| list.iter().map(|f| f.at).filter(|at| *at > since).collect())
            .unwrap_or_default())
    }

    async fn failed(
        &self,
        email: &str,
        at: DateTime<Utc>,
        keep_until: DateTime<Utc>,
    ) -> Result<(), OpsError> {
        let mut failures = self.failures.lock();
        // Guessing over many addresses does not grow the map past what is still kept.
        Self::prune_failures(&mut failures, at);
        failures
            .entry(email.to_string())
            .or_default()
            .push(Failure { at, keep_until });
        Ok(())
    }

    async fn forget_failures(&self, email: &str) -> Result<(), OpsError> {
        self.failures.lock().remove(email);
        Ok(())
    }

    async fn forget_expired(&self, now: DateTime<Utc>) -> Result<(), OpsError> {
        self.sessions.lock().retain(|_, s| s.is_live(now));
        Self::prune_failures(&mut self.failures.lock(), now);
        Ok(())
    }
}

/// What any [`SessionStore`] must do, checked against `store` (empty to begin with): the
/// memory store's tests run it, and so can a home's adapter against its emulator. The first
/// broken promise, said.
pub async fn check_store(store: &dyn SessionStore) -> Result<(), String> {
    use crate::access::{Operator, Role};
    let at = |minutes: i64| {
        DateTime::from_timestamp(1_800_000_000, 0).expect("a time")
            + chrono::Duration::minutes(minutes)
    };
    let fail = |what: &str, e: OpsError| format!("{what}: {e}");
    let session = Session {
        operator: Operator {
            email: "ops@x.example".into(),
            role: Role::Admin,
        },
        csrf: "c".repeat(64),
        expires_at: at(30),
    };
    let key = session_key("token");
    if store.get(&key).await.map_err(|e| fail("get", e))?.is_some() {
        return Err("a session no one put is found".into());
    }
    store
        .put(&key, &session)
        .await
        .map_err(|e| fail("put", e))?;
    match store.get(&key).await.map_err(|e| fail("get", e))? {
        Some(s) if s == session => {}
        other => return Err(format!("put {session:?}, got {other:?}")),
    }
    if store
        .get(&session_key("other"))
        .await
        .map_err(|e| fail("get", e))?
        .is_some()
    {
        return Err("another key finds the session".into());
    }
    store.remove(&key).await.map_err(|e| fail("remove", e))?;
    store
        .remove(&key)
        .await
        .map_err(|e| fail("remove twice", e))?;
    if store.get(&key).await.map_err(|e| fail("get", e))?.is_some() {
        return Err("a removed session is found".into());
    }
    for m in [0, 5, 10] {
        store
            .failed("ana@x.example", at(m), at(m + 15))
            .await
            .map_err(|e| fail("failed", e))?;
    }
    let mut since = store
        .failures("ana@x.example", at(0))
        .await
        .map_err(|e| fail("failures", e))?;
    since.sort();
    if since != [at(5), at(10)] {
        return Err(format!("failures after {}: {since:?}", at(0)));
    }
    if !store
        .failures("bo@x.example", at(-60))
        .await
        .map_err(|e| fail("failures", e))?
        .is_empty()
    {
        return Err("another address has ana's failures".into());
    }
    store
        .forget_failures("ana@x.example")
        .await
        .map_err(|e| fail("forget_failures", e))?;
    let left = store
        .failures("ana@x.example", at(-60))
        .await
        .map_err(|e| fail("failures", e))?;
    if !left.is_empty() {
        return Err(format!("forgotten failures are back: {left:?}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{Operator, Role};
    use chrono::Duration;

    fn t(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap() + Duration::minutes(minutes)
    }

    #[test]
    fn a_session_is_kept_under_the_sha256_of_its_token() {
        assert_eq!(
            session_key("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_ne!(session_key("abd"), session_key("abc"));
    }

    #[tokio::test]
    async fn the_memory_store_keeps_the_store_s_promises() {
        check_store(&MemorySessionStore::new()).await.unwrap();
    }

    #[tokio::test]
    async fn the_memory_store_forgets_what_expired() {
        let store = MemorySessionStore::new();
        let session = |expires_at| Session {
            operator: Operator {
                email: "ops@x.example".into(),
                role: Role::Viewer,
            },
            csrf: "c".into(),
            expires_at,
        };
        store.put("old", &session(t(10))).await.unwrap();
        store.put("new", &session(t(40))).await.unwrap();
        store.failed("ana", t(0), t(15)).await.unwrap();
        store.failed("bo", t(9), t(24)).await.unwrap();
        store.forget_expired(t(20)).await.unwrap();
        assert!(store.get("old").await.unwrap().is_none());
        assert!(store.get("new").await.unwrap().is_some());
        assert!(store.failures("ana", t(-60)).await.unwrap().is_empty());
        assert_eq!(store.failures("bo", t(-60)).await.unwrap(), [t(9)]);
        // A failure counted later drops those no longer kept, of any address.
        store.failed("cy", t(30), t(45)).await.unwrap();
        assert!(store.failures.lock().get("bo").is_none());
    }
}
