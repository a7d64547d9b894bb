//! The console's second port, read-only: what the Audit, Business state and Dashboard pages
//! read, implemented by each home (the twin over its SQLite store and the agents' records).
//! Nothing here changes anything; every page it feeds is open to viewers.

use crate::port::OpsError;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;

/// What the audit page searches by; every field left empty matches everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// The actor: an agent's name, `approvals`, an operator's address.
    pub agent: Option<String>,
    /// Part of the record's item key (`invoice#INV-1`, `deal#D1/proposal`).
    pub item: Option<String>,
    pub correlation_id: Option<String>,
    /// From this instant (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// Before this instant.
    pub to: Option<DateTime<Utc>>,
    /// At most this many records, latest first.
    pub limit: usize,
}

/// One audit record as the pages show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditRow {
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub domain: String,
    pub item: String,
    pub correlation_id: Option<String>,
    pub detail: String,
}

/// The audit chain's verification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum ChainStatus {
    /// Every record checked: this many, each hashed with its predecessor.
    Verified(u64),
    /// Where and why it breaks.
    Broken(String),
    /// Sealed day by day (AWS): the days whose items match their seals and those items, and
    /// the days with audit records not sealed yet (a day is sealed an hour after it ends).
    Sealed {
        days: u64,
        items: u64,
        unsealed: Vec<chrono::NaiveDate>,
    },
}

/// The kinds of business records the console finds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum RecordKind {
    Customer,
    Deal,
    Invoice,
}

impl RecordKind {
    /// Its name in paths (`/console/business/invoice/INV-1`).
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Customer => "customer",
            RecordKind::Deal => "deal",
            RecordKind::Invoice => "invoice",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [RecordKind::Customer, RecordKind::Deal, RecordKind::Invoice]
            .into_iter()
            .find(|k| k.as_str() == s)
    }

    /// Its name for people.
    pub fn label(self) -> &'static str {
        match self {
            RecordKind::Customer => "Customer",
            RecordKind::Deal => "Deal",
            RecordKind::Invoice => "Invoice",
        }
    }
}

/// One record found by a search: enough to pick it from a list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BusinessHit {
    pub kind: RecordKind,
    pub id: String,
    /// The customer's name (a company), when known.
    pub name: Option<String>,
    /// Where it stands: `paid`, `overdue 12 days`, `negotiation`, `healthy`, ….
    pub status: String,
    /// One line more: an amount, a due date, a plan.
    pub summary: String,
}

/// One record in full: its fields as people read them, and the records it links to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BusinessRecord {
    pub hit: BusinessHit,
    /// Label and value, in the order to show them.
    pub fields: Vec<(String, String)>,
    /// Records it names (a deal's invoices, a customer's deals and invoices).
    pub related: Vec<BusinessHit>,
    /// The agent that keeps it and where (`billing: financial invoice#INV-1`).
    pub source: String,
}

/// The days a dashboard covers, both ends included.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// The `days` days ending on `today`.
    pub fn last(days: i64, today: NaiveDate) -> Self {
        Period {
            from: today - Duration::days(days.max(1) - 1),
            to: today,
        }
    }

    /// Each day of the period, in order.
    pub fn days(&self) -> Vec<NaiveDate> {
        self.from
            .iter_days()
            .take_while(|d| *d <= self.to)
            .collect()
    }
}

/// One bar or one day of a chart.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Point {
    /// The day (`2026-03-02`) or category (`paid search`).
    pub label: String,
    /// The value as a plain number (money in major units).
    pub value: f64,
    /// The value as people read it (`12,500.00 USD`, `42`, `93.5%`).
    pub shown: String,
}

/// One KPI: a headline figure and its chart, or why there is nothing to show yet.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Kpi {
    /// A stable id for pages and tests (`revenue-invoiced`).
    pub key: String,
    pub title: String,
    /// The figure over the period, as people read it (`45,000.00 USD`), when there is one.
    pub headline: Option<String>,
    /// One point per day (a series) or per category (channels, tiers, buckets).
    pub points: Vec<Point>,
    /// Where it comes from: the agent and its record.
    pub source: String,
    /// Said instead of the chart when there is no data: why, and what will fill it.
    pub no_data: Option<String>,
}

impl Kpi {
    /// A KPI with no data yet, saying why.
    pub fn empty(key: &str, title: &str, source: &str, why: &str) -> Self {
        Kpi {
            key: key.into(),
            title: title.into(),
            headline: None,
            points: vec![],
            source: source.into(),
            no_data: Some(why.into()),
        }
    }
}

/// What the console reads for its audit, business and dashboard pages, in one home.
#[async_trait::async_trait]
pub trait Insights: Send + Sync {
    /// Audit records matching `q`, latest first.
    async fn audit_search(&self, q: &AuditQuery) -> Result<Vec<AuditRow>, OpsError>;
    /// Every audit record of one business flow, across agents, in time order.
    async fn timeline(&self, correlation_id: &str) -> Result<Vec<AuditRow>, OpsError>;
    /// Verifies the whole audit chain.
    async fn verify(&self) -> Result<ChainStatus, OpsError>;
    /// Customers, deals and invoices whose id or customer name contains `text`.
    async fn business_search(&self, text: &str) -> Result<Vec<BusinessHit>, OpsError>;
    /// One record in full.
    async fn business_record(&self, kind: RecordKind, id: &str)
    -> Result<BusinessRecord, OpsError>;
    /// The KPIs over `period`, in the order the dashboard shows them.
    async fn kpis(&self, period: Period) -> Result<Vec<Kpi>, OpsError>;
}
