//! The audit table on AWS as the console reads and writes it: one item per record in the day's
//! partition (`audit#<date>`, sorted by time, sealed each day by schedule-tick), the console's
//! own actions put beside the agents' writes, searches and a flow's timeline read day by day
//! (latest first), and the seals verified as `ascent aws audit verify` does.
//!
//! DynamoDB has no index on an audit record's actor or flow: a search reads the days it
//! covers, latest first, and stops as soon as it has the records the page shows; a timeline
//! reads the last [`TIMELINE_DAYS`] days.

use crate::operations::internal;
use ascent_console::OpsError;
use ascent_console::insights::{AuditQuery, AuditRow, ChainStatus};
use ascent_core::agent::Domain;
use ascent_core::audit::AuditEntry;
use ascent_core::ports::{DataLake, Item, Query};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Deserialize;
use std::collections::BTreeMap;

/// How far back a flow's timeline, and a search without a start, look.
pub const TIMELINE_DAYS: i64 = 31;
/// Records read at most (today's, then yesterday's, latest first) for the agents' last
/// activity.
pub const ACTIVITY_READ: usize = 2_000;

/// A console action as an item of the day's audit partition (the console's role may only put
/// items there, as the agents' may).
pub fn audit_item(entry: &AuditEntry) -> Item {
    ascent_aws::audit_seal::entry_item(
        entry,
        &format!("console#{}", uuid::Uuid::new_v4().simple()),
        None,
    )
}

/// An audit item's data, as the hosts, the privacy desk and the console write it.
#[derive(Debug, Deserialize)]
struct Stored {
    at: DateTime<Utc>,
    actor: String,
    action: String,
    #[serde(default)]
    domain: String,
    #[serde(default)]
    item: String,
    #[serde(default)]
    correlation_id: Option<String>,
    #[serde(default)]
    detail: Option<String>,
    #[serde(default)]
    cause: Option<String>,
}

/// An audit item as the audit page shows it; `seq` is its place in the answer.
pub fn row(item: &Item, seq: u64) -> Option<AuditRow> {
    let s: Stored = serde_json::from_value(item.data.clone()).ok()?;
    let detail = match (s.detail, s.cause) {
        (Some(d), _) => d,
        (None, Some(cause)) => format!("on {cause}"),
        (None, None) => String::new(),
    };
    Some(AuditRow {
        seq,
        at: s.at,
        actor: s.actor,
        action: s.action,
        domain: s.domain,
        item: s.item,
        correlation_id: s.correlation_id,
        detail,
    })
}

/// Whether `r` is one `q` asks for (its time bounds aside).
pub fn matches(q: &AuditQuery, r: &AuditRow) -> bool {
    q.agent
        .as_deref()
        .is_none_or(|a| r.actor.eq_ignore_ascii_case(a.trim()))
        && q.item
            .as_deref()
            .is_none_or(|i| r.item.to_lowercase().contains(&i.trim().to_lowercase()))
        && q.correlation_id
            .as_deref()
            .is_none_or(|c| r.correlation_id.as_deref() == Some(c.trim()))
        && q.from.is_none_or(|f| r.at >= f)
        && q.to.is_none_or(|t| r.at < t)
}

/// One day's audit items, latest first (at most `limit`, when given).
async fn day(
    lake: &dyn DataLake,
    day: NaiveDate,
    limit: Option<usize>,
) -> Result<Vec<Item>, OpsError> {
    let mut q = Query::table(format!("audit#{day}"));
    q.descending = true;
    q.limit = limit;
    lake.query(Domain::Audit, &q).await.map_err(internal)
}

/// The days `q` covers, latest first.
fn days(q: &AuditQuery, now: DateTime<Utc>) -> Vec<NaiveDate> {
    let last =
        q.to.map_or(now, |t| t - Duration::microseconds(1))
            .date_naive();
    let first = q
        .from
        .map_or(now - Duration::days(TIMELINE_DAYS), |f| f)
        .date_naive();
    let mut out = Vec::new();
    let mut d = last;
    while d >= first {
        out.push(d);
        d = d.pred_opt().expect("a date after year 1");
    }
    out
}

/// The records `q` asks for, latest first.
pub async fn search(
    lake: &dyn DataLake,
    q: &AuditQuery,
    now: DateTime<Utc>,
) -> Result<Vec<AuditRow>, OpsError> {
    let limit = q.limit.max(1);
    let mut out = Vec::new();
    for d in days(q, now) {
        for item in day(lake, d, None).await? {
            if let Some(r) = row(&item, out.len() as u64 + 1).filter(|r| matches(q, r)) {
                out.push(r);
                if out.len() == limit {
                    return Ok(out);
                }
            }
        }
    }
    Ok(out)
}

/// Every record of one flow in the last [`TIMELINE_DAYS`] days, in time order.
pub async fn timeline(
    lake: &dyn DataLake,
    correlation_id: &str,
    now: DateTime<Utc>,
) -> Result<Vec<AuditRow>, OpsError> {
    let q = AuditQuery {
        correlation_id: Some(correlation_id.to_string()),
        limit: usize::MAX,
        ..AuditQuery::default()
    };
    let mut rows = search(lake, &q, now).await?;
    rows.sort_by_key(|r| r.at);
    for (i, r) in rows.iter_mut().enumerate() {
        r.seq = i as u64 + 1;
    }
    Ok(rows)
}

/// The seals checked against the table, as the audit page says it.
pub async fn verify(lake: &dyn DataLake, now: DateTime<Utc>) -> Result<ChainStatus, OpsError> {
    let v = ascent_aws::audit_seal::verify(lake, now)
        .await
        .map_err(internal)?;
    Ok(match v.broken {
        Some(b) => ChainStatus::Broken(format!("on {}: {}", b.day, b.reason)),
        None => ChainStatus::Sealed {
            days: v.days,
            items: v.items,
            unsealed: v.unsealed,
        },
    })
}

/// Each actor's latest record among the last [`ACTIVITY_READ`] (today's, then yesterday's).
pub async fn latest_activity(
    lake: &dyn DataLake,
    now: DateTime<Utc>,
) -> Result<BTreeMap<String, DateTime<Utc>>, OpsError> {
    let mut out: BTreeMap<String, DateTime<Utc>> = BTreeMap::new();
    let mut left = ACTIVITY_READ;
    for d in [now.date_naive(), (now - Duration::days(1)).date_naive()] {
        let items = day(lake, d, Some(left)).await?;
        left = left.saturating_sub(items.len());
        for r in items.iter().filter_map(|i| row(i, 0)) {
            let at = out.entry(r.actor).or_insert(r.at);
            *at = (*at).max(r.at);
        }
        if left == 0 {
            break;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn entry() -> AuditEntry {
        AuditEntry {
            at: at("2026-12-06T09:30:00Z"),
            actor: "coo@ascent-xr.example".into(),
            action: "agent.paused".into(),
            domain: "console".into(),
            item: "agent#billing".into(),
            correlation_id: None,
            detail: "1 event source mapping(s)".into(),
        }
    }

    #[test]
    fn a_console_action_joins_its_days_partition_and_reads_back_as_it_was() {
        let item = audit_item(&entry());
        assert_eq!(item.pk, "audit#2026-12-06");
        assert!(item.sk.starts_with("2026-12-06T09:30:00.000000Z#console#"));
        let r = row(&item, 7).unwrap();
        assert_eq!(
            (r.seq, r.actor.as_str(), r.action.as_str(), r.item.as_str()),
            (7, "coo@ascent-xr.example", "agent.paused", "agent#billing")
        );
        assert_eq!(r.detail, "1 event source mapping(s)");
        assert_ne!(
            audit_item(&entry()).sk,
            item.sk,
            "two actions never collide"
        );
    }

    #[test]
    fn an_agents_write_reads_with_its_cause_as_detail() {
        let item = Item::new(
            "audit#2026-12-06",
            "x",
            json!({"at": "2026-12-06T10:00:00Z", "actor": "billing", "action": "put",
                   "domain": "finance", "item": "invoice#INV-1/invoice",
                   "correlation_id": "c-1", "cause": "PaymentReceived"}),
        );
        let r = row(&item, 1).unwrap();
        assert_eq!(r.detail, "on PaymentReceived");
        let q = |agent: Option<&str>, item: Option<&str>, flow: Option<&str>| AuditQuery {
            agent: agent.map(str::to_string),
            item: item.map(str::to_string),
            correlation_id: flow.map(str::to_string),
            limit: 10,
            ..AuditQuery::default()
        };
        assert!(matches(&q(Some("Billing"), Some("INV-1"), Some("c-1")), &r));
        assert!(!matches(&q(Some("closing"), None, None), &r));
        assert!(!matches(&q(None, Some("INV-2"), None), &r));
        assert!(!matches(&q(None, None, Some("c-2")), &r));
    }

    #[test]
    fn a_search_covers_its_days_latest_first_and_by_default_the_last_month() {
        let q = AuditQuery {
            from: Some(at("2026-12-04T12:00:00Z")),
            to: Some(at("2026-12-06T00:00:00Z")),
            limit: 10,
            ..AuditQuery::default()
        };
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(
            days(&q, at("2026-12-06T09:00:00Z")),
            vec![d("2026-12-05"), d("2026-12-04")]
        );
        let all = days(&AuditQuery::default(), at("2026-12-06T09:00:00Z"));
        assert_eq!(all.len(), TIMELINE_DAYS as usize + 1);
        assert_eq!(all[0], d("2026-12-06"));
    }
}
