//! The console's sessions and failed sign-ins on AWS, in the idempotency table under
//! `console#` (the console's role may write only there): a session under
//! `console#session#<digest of its token>`, a failed sign-in under
//! `console#sign-in#<digest of the address>`, one item per failure sorted by time. Each item
//! expires by DynamoDB's time to live when the session ends or the failure stops counting, so
//! any instance of the function finds what another wrote, and nothing is kept longer.

use crate::operations::internal;
use ascent_console::session_store::{SessionStore, session_key};
use ascent_console::{OpsError, Session};
use ascent_core::agent::Domain;
use ascent_core::ports::{Condition, DataLake, Item, Query, SortKey, Write};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::json;
use std::sync::Arc;

/// The partition of a session kept under `key` (already a digest).
pub fn session_pk(key: &str) -> String {
    format!("console#session#{key}")
}

/// The partition of the failed sign-ins of `email` (lower-cased): its digest, not the address.
pub fn failures_pk(email: &str) -> String {
    format!("console#sign-in#{}", session_key(email))
}

fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Sessions in DynamoDB.
pub struct DynamoSessionStore {
    pub lake: Arc<dyn DataLake>,
}

impl DynamoSessionStore {
    async fn write(&self, writes: Vec<Write>) -> Result<(), OpsError> {
        for chunk in writes.chunks(25) {
            self.lake.transact(chunk).await.map_err(internal)?;
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl SessionStore for DynamoSessionStore {
    async fn put(&self, key: &str, session: &Session) -> Result<(), OpsError> {
        let item = Item::new(session_pk(key), "session", json!(session))
            .expiring_at(session.expires_at.timestamp());
        self.write(vec![Write::Put {
            domain: Domain::Idempotency,
            item,
            condition: Condition::Always,
        }])
        .await
    }

    async fn get(&self, key: &str) -> Result<Option<Session>, OpsError> {
        match self
            .lake
            .get(Domain::Idempotency, &session_pk(key), "session")
            .await
            .map_err(internal)?
        {
            Some(item) => item.parse().map(Some).map_err(internal),
            None => Ok(None),
        }
    }

    async fn remove(&self, key: &str) -> Result<(), OpsError> {
        self.write(vec![Write::Delete {
            domain: Domain::Idempotency,
            pk: session_pk(key),
            sk: "session".into(),
            condition: Condition::Always,
        }])
        .await
    }

    async fn failures(
        &self,
        email: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<DateTime<Utc>>, OpsError> {
        let mut q = Query::table(failures_pk(email));
        q.sort = Some(SortKey::AtLeast(time(since)));
        let items = self
            .lake
            .query(Domain::Idempotency, &q)
            .await
            .map_err(internal)?;
        Ok(items
            .iter()
            .filter_map(|i| i.data["at"].as_str())
            .filter_map(|at| DateTime::parse_from_rfc3339(at).ok())
            .map(|at| at.with_timezone(&Utc))
            .filter(|at| *at > since)
            .collect())
    }

    async fn failed(
        &self,
        email: &str,
        at: DateTime<Utc>,
        keep_until: DateTime<Utc>,
    ) -> Result<(), OpsError> {
        let item = Item::new(
            failures_pk(email),
            format!("{}#{}", time(at), uuid::Uuid::new_v4().simple()),
            json!({"at": time(at)}),
        )
        .expiring_at(keep_until.timestamp());
        self.write(vec![Write::Put {
            domain: Domain::Idempotency,
            item,
            condition: Condition::Always,
        }])
        .await
    }

    async fn forget_failures(&self, email: &str) -> Result<(), OpsError> {
        let items = self
            .lake
            .query(Domain::Idempotency, &Query::table(failures_pk(email)))
            .await
            .map_err(internal)?;
        self.write(
            items
                .into_iter()
                .map(|i| Write::Delete {
                    domain: Domain::Idempotency,
                    pk: i.pk,
                    sk: i.sk,
                    condition: Condition::Always,
                })
                .collect(),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_hold_digests_never_a_token_or_an_address() {
        let key = session_key("a-cookie-token");
        assert_eq!(session_pk(&key), format!("console#session#{key}"));
        let pk = failures_pk("ops@x.example");
        assert!(
            pk.starts_with("console#sign-in#") && !pk.contains("ops@"),
            "{pk}"
        );
        assert_eq!(pk, failures_pk("ops@x.example"), "stable");
    }
}
