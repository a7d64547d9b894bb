//! The audit table's tamper evidence on AWS: a hash chain over the day partitions
//! (`audit#<date>`), made after each day ends and checkable offline.
//!
//! Sealing ([`seal`], run by schedule-tick): each day not yet sealed, once an hour has passed
//! since it ended, is read in sort-key order in pages of at most [`Sealing::page_items`]
//! items; each page is put as an item `seal#<date>` / `page#<n>` holding every item's sort
//! key and digest, chained to the page before (the first to the previous day's seal); when
//! the day is read to its end, its seal `seal` / `<date>` (items, pages, the last page's hash,
//! chained to the previous day's seal) is put. A run puts at most [`Sealing::pages_per_run`]
//! pages and the next run goes on from the last page put, so no run depends on how much was
//! audited. Every put is one conditional put (`attribute_not_exists`): two runs at once make
//! the same pages, and the one that comes second stops.
//!
//! The agents write only today's partition (and may only put items under `audit#`), the
//! sealer only yesterday's and older (under `seal`), so concurrent functions never contend.
//!
//! Verifying ([`verify`], `ascent aws audit verify`): every seal in order, each page of each
//! sealed day, and the items the table holds now, compared page by page; the first broken day
//! is reported with the item edited, deleted or added. Days after the last seal are listed as
//! unsealed.

use ascent_core::agent::Domain;
use ascent_core::audit::seal::{
    DaySeal, Difference, Page, first_difference, item_digest, sealable_until,
};
use ascent_core::audit::{AuditEntry, GENESIS};
use ascent_core::ports::{Condition, DataLake, Item, LakeError, Query, SortKey, Write};
use chrono::{DateTime, Duration, NaiveDate, Utc};

/// The partition holding every day's seal (sort key: the date).
pub const SEALS_PK: &str = "seal";
/// How far back the first seal run looks for the first audited day.
pub const LOOKBACK_DAYS: i64 = 370;

/// The partition of a day's audit items.
pub fn day_pk(day: NaiveDate) -> String {
    format!("audit#{day}")
}

/// An audit entry written by a platform function (the privacy desk, the console) as an item of
/// its day's partition, sorted by time: `tag` makes its sort key unique, `cause` says what
/// caused it when something did. The agents' hosts write theirs with the writes they audit.
pub fn entry_item(entry: &AuditEntry, tag: &str, cause: Option<&str>) -> Item {
    let mut data = serde_json::json!({
        "at": entry.at,
        "actor": entry.actor,
        "action": entry.action,
        "domain": entry.domain,
        "item": entry.item,
        "correlation_id": entry.correlation_id,
        "detail": entry.detail,
    });
    if let Some(cause) = cause {
        data["cause"] = cause.into();
    }
    Item::new(
        day_pk(entry.at.date_naive()),
        format!(
            "{}#{tag}",
            entry
                .at
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
        ),
        data,
    )
}

/// The partition of a day's pages.
pub fn pages_pk(day: NaiveDate) -> String {
    format!("seal#{day}")
}

/// The sort key of a day's page `n`.
pub fn page_sk(n: u32) -> String {
    format!("page#{n:06}")
}

/// How much one run reads.
#[derive(Clone, Copy, Debug)]
pub struct Sealing {
    /// Items per page (a page item holds each one's sort key and digest: 500 is about 70 KB,
    /// well within DynamoDB's 400 KB item and 1 MB query page).
    pub page_items: usize,
    /// Pages a run puts at most (200 pages: 100,000 items).
    pub pages_per_run: usize,
}

impl Default for Sealing {
    fn default() -> Self {
        Sealing {
            page_items: 500,
            pages_per_run: 200,
        }
    }
}

/// What one run sealed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SealRun {
    /// Days sealed, with their seal.
    pub sealed: Vec<DaySeal>,
    /// Pages put.
    pub pages: usize,
    /// The day left part-way (the run's pages were spent, or another run was sealing it).
    pub unfinished: Option<NaiveDate>,
}

impl std::fmt::Display for SealRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} day(s) sealed, {} page(s)",
            self.sealed.len(),
            self.pages
        )?;
        if let Some(last) = self.sealed.last() {
            write!(f, "; last seal {} {}", last.day, last.hash)?;
        }
        if let Some(day) = self.unfinished {
            write!(f, "; {day} continues next run")?;
        }
        Ok(())
    }
}

fn parse<T: serde::de::DeserializeOwned>(item: &Item) -> Result<T, LakeError> {
    serde_json::from_value(item.data.clone())
        .map_err(|e| LakeError::Corrupt(format!("{}/{}: {e}", item.pk, item.sk)))
}

fn put(pk: String, sk: String, data: &impl serde::Serialize) -> Write {
    Write::Put {
        domain: Domain::Audit,
        item: Item::new(pk, sk, serde_json::to_value(data).expect("seals serialise")),
        condition: Condition::NotExists,
    }
}

/// Every seal, oldest first.
async fn seals(lake: &dyn DataLake) -> Result<Vec<DaySeal>, LakeError> {
    let items = lake.query(Domain::Audit, &Query::table(SEALS_PK)).await?;
    items.iter().map(parse).collect()
}

/// The latest seal.
async fn last_seal(lake: &dyn DataLake) -> Result<Option<DaySeal>, LakeError> {
    let q = Query::table(SEALS_PK).descending().limit(1);
    let items = lake.query(Domain::Audit, &q).await?;
    items.first().map(parse).transpose()
}

/// Whether `day` has an audit item.
async fn has_items(lake: &dyn DataLake, day: NaiveDate) -> Result<bool, LakeError> {
    let q = Query::table(day_pk(day)).limit(1);
    Ok(!lake.query(Domain::Audit, &q).await?.is_empty())
}

/// Days from `from` to `to` that hold audit items.
async fn audited_days(
    lake: &dyn DataLake,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<NaiveDate>, LakeError> {
    let mut out = Vec::new();
    let mut day = from;
    while day <= to {
        if has_items(lake, day).await? {
            out.push(day);
        }
        day += Duration::days(1);
    }
    Ok(out)
}

/// The day's items after `after` (all from its start for `None`), at most `limit`, as
/// `[sort key, digest]`; with `upto`, only up to that sort key.
async fn read_items(
    lake: &dyn DataLake,
    day: NaiveDate,
    after: Option<&str>,
    upto: Option<&str>,
    limit: Option<usize>,
) -> Result<Vec<(String, String)>, LakeError> {
    let mut q = Query::table(day_pk(day));
    q.sort = match (after, upto) {
        (Some(a), Some(b)) => Some(SortKey::Between(a.into(), b.into())),
        (Some(a), None) => Some(SortKey::AtLeast(a.into())),
        (None, Some(b)) => Some(SortKey::AtMost(b.into())),
        (None, None) => None,
    };
    // One more than asked: the first may be `after` itself.
    q.limit = limit.map(|l| l + 1);
    let items = lake.query(Domain::Audit, &q).await?;
    let mut out: Vec<(String, String)> = items
        .iter()
        .filter(|i| after.is_none_or(|a| i.sk.as_str() > a))
        .map(|i| (i.sk.clone(), item_digest(i)))
        .collect();
    if let Some(l) = limit {
        out.truncate(l);
    }
    Ok(out)
}

/// The last page put for `day`.
async fn last_page(lake: &dyn DataLake, day: NaiveDate) -> Result<Option<Page>, LakeError> {
    let q = Query::table(pages_pk(day))
        .sort(SortKey::BeginsWith("page#".into()))
        .descending()
        .limit(1);
    let items = lake.query(Domain::Audit, &q).await?;
    items.first().map(parse).transpose()
}

/// Puts `w`; `false` when it was there already (another run put it).
async fn put_new(lake: &dyn DataLake, w: Write) -> Result<bool, LakeError> {
    match lake.transact(std::slice::from_ref(&w)).await {
        Ok(()) => Ok(true),
        Err(LakeError::ConditionFailed { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Seals what may be sealed at `now`, within the run's bounds (see the module).
pub async fn seal(
    lake: &dyn DataLake,
    now: DateTime<Utc>,
    bounds: Sealing,
) -> Result<SealRun, LakeError> {
    let until = sealable_until(now);
    let mut run = SealRun::default();
    let (mut day, mut prev) = match last_seal(lake).await? {
        Some(s) => (s.day + Duration::days(1), s.hash),
        None => {
            let from = until - Duration::days(LOOKBACK_DAYS);
            match audited_days(lake, from, until).await?.first() {
                Some(first) => (*first, GENESIS.to_string()),
                None => return Ok(run),
            }
        }
    };
    while day <= until {
        let mut page = last_page(lake, day).await?;
        loop {
            if run.pages >= bounds.pages_per_run {
                run.unfinished = Some(day);
                return Ok(run);
            }
            let after = page.as_ref().and_then(|p| p.last_key().map(str::to_string));
            let items =
                read_items(lake, day, after.as_deref(), None, Some(bounds.page_items)).await?;
            let full = items.len() == bounds.page_items;
            if !items.is_empty() {
                let (number, link, total) = match &page {
                    Some(p) => (p.number + 1, p.hash.clone(), p.total),
                    None => (1, prev.clone(), 0),
                };
                let total = total + items.len() as u64;
                let next = Page::new(day, number, &link, items, total);
                if !put_new(lake, put(pages_pk(day), page_sk(number), &next)).await? {
                    run.unfinished = Some(day);
                    return Ok(run);
                }
                run.pages += 1;
                page = Some(next);
            }
            if !full {
                break;
            }
        }
        let (items, pages, last) = match &page {
            Some(p) => (p.total, p.number, p.hash.clone()),
            None => (0, 0, prev.clone()),
        };
        let sealed = DaySeal::new(day, items, pages, &prev, &last);
        if !put_new(lake, put(SEALS_PK.into(), day.to_string(), &sealed)).await? {
            run.unfinished = Some(day);
            return Ok(run);
        }
        prev = sealed.hash.clone();
        run.sealed.push(sealed);
        day += Duration::days(1);
    }
    Ok(run)
}

/// [`seal`] on the stack's audit table (`ASCENT_TABLE_PREFIX`), with the default bounds:
/// what schedule-tick runs.
pub async fn seal_stack(
    config: &aws_config::SdkConfig,
    now: DateTime<Utc>,
) -> Result<SealRun, LakeError> {
    let lake = crate::dynamo::DynamoLake::new(
        aws_sdk_dynamodb::Client::new(config),
        crate::dynamo::Tables::from_env(),
    );
    seal(&lake, now, Sealing::default()).await
}

/// Where the chain is broken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broken {
    pub day: NaiveDate,
    pub reason: String,
}

/// What [`verify`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verified {
    /// Sealed days whose items match their seals, in order.
    pub days: u64,
    /// Their items.
    pub items: u64,
    /// The first broken day (nothing after it is checked).
    pub broken: Option<Broken>,
    /// Days with audit items and no seal yet.
    pub unsealed: Vec<NaiveDate>,
}

impl std::fmt::Display for Verified {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.broken {
            Some(b) => writeln!(f, "audit trail broken on {}: {}", b.day, b.reason)?,
            None => writeln!(
                f,
                "audit trail intact: {} sealed day(s), {} item(s) verified",
                self.days, self.items
            )?,
        }
        for day in &self.unsealed {
            writeln!(f, "unsealed: {day}")?;
        }
        Ok(())
    }
}

/// Checks one sealed day's pages against the table; its first problem.
async fn check_day(lake: &dyn DataLake, seal: &DaySeal) -> Result<Option<String>, LakeError> {
    let mut link = seal.prev.clone();
    let mut after: Option<String> = None;
    let mut total = 0u64;
    for n in 1..=seal.pages {
        let Some(item) = lake
            .get(Domain::Audit, &pages_pk(seal.day), &page_sk(n))
            .await?
        else {
            return Ok(Some(format!("page {n} of the seal is missing")));
        };
        let page: Page = parse(&item)?;
        if page.number != n || page.day != seal.day || page.prev != link || !page.intact() {
            return Ok(Some(format!("page {n} of the seal was altered")));
        }
        let upto = page.last_key().unwrap_or_default().to_string();
        let found = read_items(lake, seal.day, after.as_deref(), Some(&upto), None).await?;
        if let Some(d) = first_difference(&page.items, &found) {
            return Ok(Some(d.to_string()));
        }
        total += page.items.len() as u64;
        link = page.hash.clone();
        after = Some(upto);
    }
    if link != seal.last_page || total != seal.items {
        return Ok(Some("the seal does not match its pages".into()));
    }
    let rest = read_items(lake, seal.day, after.as_deref(), None, Some(1)).await?;
    if let Some((k, _)) = rest.first() {
        return Ok(Some(Difference::Added(k.clone()).to_string()));
    }
    Ok(None)
}

/// Recomputes every sealed day's chain against the table at `now` (see the module).
pub async fn verify(lake: &dyn DataLake, now: DateTime<Utc>) -> Result<Verified, LakeError> {
    let mut out = Verified::default();
    let mut prev = GENESIS.to_string();
    let mut expected: Option<NaiveDate> = None;
    let all = seals(lake).await?;
    for seal in &all {
        let broken = |reason: String| Broken {
            day: seal.day,
            reason,
        };
        if let Some(day) = expected.filter(|d| *d != seal.day) {
            out.broken = Some(Broken {
                day,
                reason: "the day's seal is missing (deleted)".into(),
            });
            return Ok(out);
        }
        if seal.prev != prev || !seal.intact() {
            out.broken = Some(broken(
                "the seal was altered or a seal before it removed".into(),
            ));
            return Ok(out);
        }
        if let Some(reason) = check_day(lake, seal).await? {
            out.broken = Some(broken(reason));
            return Ok(out);
        }
        out.days += 1;
        out.items += seal.items;
        prev = seal.hash.clone();
        expected = Some(seal.day + Duration::days(1));
    }
    let today = now.date_naive();
    let from = match all.last() {
        Some(s) => s.day + Duration::days(1),
        None => today - Duration::days(LOOKBACK_DAYS),
    };
    out.unsealed = audited_days(lake, from, today).await?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_as_days_and_pages_do() {
        let day: NaiveDate = "2026-12-05".parse().unwrap();
        assert_eq!(day_pk(day), "audit#2026-12-05");
        assert_eq!(pages_pk(day), "seal#2026-12-05");
        assert!(page_sk(9) < page_sk(10));
        let run = SealRun {
            unfinished: Some(day),
            ..SealRun::default()
        };
        assert_eq!(
            run.to_string(),
            "0 day(s) sealed, 0 page(s); 2026-12-05 continues next run"
        );
    }
}
