//! # Reporting agent
//!
//! Counts the business as it happens into its own daily counters, one record per department
//! and day ([`report::DayCounts`]): leads, deals opened, won and lost with their value,
//! marketing spend, invoices issued, paid and overdue with their amounts, sign-ups, tickets
//! opened and resolved, SLA breaches, renewals, churn, exceptions ([`figures`]). Each fact is
//! counted once by its business key (the same invoice sent twice under two event ids counts
//! once), on its day in the company's time zone, money in the base currency at the rate of
//! that day.
//!
//! The daily run hands each report due that day to itself as a `ReportDue` (daily; weekly on
//! the configured weekday; monthly on the first business day), so each report is one bounded
//! unit of work: it reads its period's counters and the trailing window's before them (at
//! most 31 + 90 records, one query), never the events themselves. The report ([`report`]) is
//! rendered as HTML with a server-side SVG chart per figure and as CSV ([`render`], [`svg`]),
//! stored (`reporting#report#<department>`, one record per report) and mailed to the
//! department with the CSV attached. Each day of the period whose value is an anomaly against
//! the window before it (robust z-score, [`anomaly`]) is flagged in the report and raised as
//! `ThresholdCrossed` once per figure and day, however many reports flag it.

pub mod anomaly;
pub mod figures;
pub mod render;
pub mod report;
pub mod schedule;
mod settings;
pub mod svg;

pub use settings::{
    AnomalySettings, DEPARTMENTS, DepartmentReport, MAX_RAISED_PER_REPORT, ReportingConfig,
};

use ascent_core::agent::{
    Agent, AgentDecl, AgentError, Department, Domain, QueueClass, Subscription, owns,
};
use ascent_core::catalog::{
    Direction, Payload, ReportCadence, ReportDue, ScheduleTick, ThresholdCrossed,
};
use ascent_core::context::Ctx;
use ascent_core::event::Event;
use ascent_core::ports::{Condition, Item, Mail, MailAttachment, Query, SortKey};
use ascent_core::privacy::{Personal, Retention};
use async_trait::async_trait;
use chrono::{Duration, NaiveDate};
use report::{DayCounts, Report};
use serde::{Deserialize, Serialize};
use serde_json::json;

pub const NAME: &str = "reporting";

/// The business events Reporting counts.
pub const COUNTED: [&str; 15] = [
    "LeadCreated",
    "DealStageChanged",
    "DealClosedWon",
    "DealClosedLost",
    "MarketingSpendRecorded",
    "InvoiceIssued",
    "InvoicePaid",
    "DunningStepTaken",
    "CustomerSignedUp",
    "TicketOpened",
    "TicketResolved",
    "SlaBreached",
    "AccountRenewed",
    "AccountChurned",
    "ExceptionRaised",
];

pub fn declaration() -> AgentDecl {
    AgentDecl {
        name: NAME,
        department: Department::Operations,
        queue: QueueClass::Batch,
        subscriptions: vec![
            Subscription {
                name: "business-facts",
                pattern: json!({"detail-type": COUNTED}),
            },
            Subscription {
                name: "daily-run",
                pattern: json!({"detail-type": ["ScheduleTick"], "detail": {"payload": {"schedule": ["daily"]}}}),
            },
            Subscription {
                name: "reports-due",
                pattern: json!({"detail-type": ["ReportDue"]}),
            },
        ],
        reads: vec![Domain::Performance],
        owns: vec![
            owns(Domain::Performance, "reporting#"),
            // A counted fact's marker is keyed by the fact's id: a lead's is the person's.
            owns(Domain::Performance, "reporting-seen#").holding(Personal::deleted(
                &[],
                &[],
                "Count each business fact (a lead, a deal, an invoice) once in the daily figures",
                Retention::Agent("reporting.remember_days"),
            )),
        ],
        emits: vec!["ReportDue", "ThresholdCrossed"],
        requests_approvals: false,
        sends_mail: true,
        writes_text: false,
    }
}

/// Partition of a department's daily counters (sort key: the day).
pub fn counts_pk(department: &str) -> String {
    format!("reporting#counts#{department}")
}

/// Partition of a department's reports (sort key: [`report_sk`]).
pub fn reports_pk(department: &str) -> String {
    format!("reporting#report#{department}")
}

/// `weekly#2026-03-02`.
pub fn report_sk(cadence: ReportCadence, from: NaiveDate) -> String {
    let c = match cadence {
        ReportCadence::Daily => "daily",
        ReportCadence::Weekly => "weekly",
        ReportCadence::Monthly => "monthly",
    };
    format!("{c}#{from}")
}

/// Marker of a counted fact (kept `remember_days`).
fn seen_pk(kind: &str, key: &str) -> String {
    format!("reporting-seen#{kind}#{key}")
}

/// Markers of the anomalies raised for a figure (sort key: the day).
pub fn raised_pk(figure: figures::Figure) -> String {
    format!("reporting#raised#{}", figure.key())
}

/// A report as stored: the figures, and what was mailed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredReport {
    pub report: Report,
    pub html: String,
    /// Whether the HTML has its charts (left out only to stay within `max_html_bytes`).
    pub charts: bool,
    pub csv: String,
    pub sent_to: String,
}

pub struct Reporting {
    decl: AgentDecl,
    config: ReportingConfig,
}

impl Reporting {
    fn marker(&self, ctx: &Ctx<'_>, pk: String, sk: &str, data: serde_json::Value) -> Item {
        let until = ctx.now() + Duration::days(i64::from(self.config.remember_days));
        Item::new(pk, sk, data).expiring_at(until.timestamp())
    }

    /// Counts one business fact into the daily counters of every department that reports it.
    async fn count(&self, ctx: &mut Ctx<'_>, event: &Event) -> Result<(), AgentError> {
        let c = &self.config;
        let day = event.time.with_timezone(&c.time_zone).date_naive();
        let payload = event.payload();
        let Some(fact) = figures::counted(payload, day, &event.id, &c.fx)
            .map_err(|e| AgentError::Invalid(e.to_string()))?
        else {
            return match payload {
                Payload::DealStageChanged(_) => Ok(()), // a move between stages: nothing new
                other => Err(AgentError::unhandled(NAME, other)),
            };
        };
        let reporting: Vec<(&String, &DepartmentReport)> = c
            .departments
            .iter()
            .filter(|(_, d)| fact.adds.iter().any(|(f, _)| d.figures.contains(f)))
            .collect();
        if reporting.is_empty() {
            return Ok(());
        }
        let seen = seen_pk(fact.kind, &fact.key);
        if ctx.get(Domain::Performance, &seen, "seen").await?.is_some() {
            return Ok(()); // counted before, under another event id
        }
        let marker = self.marker(ctx, seen, "seen", json!({"day": day, "event_id": event.id}));
        ctx.put(Domain::Performance, marker, Condition::NotExists)?;
        for (name, d) in reporting {
            let (pk, sk) = (counts_pk(name), day.to_string());
            let current: Option<DayCounts> = ctx.get_as(Domain::Performance, &pk, &sk).await?;
            let previous = current.as_ref().map(|x| x.version);
            let mut counts = current.unwrap_or_else(|| DayCounts {
                department: name.clone(),
                day,
                version: 0,
                figures: Default::default(),
            });
            for (f, v) in &fact.adds {
                if d.figures.contains(f) {
                    *counts.figures.entry(*f).or_insert(0) += v;
                }
            }
            counts.version += 1;
            ctx.put_record(
                Domain::Performance,
                &pk,
                &sk,
                &counts,
                None,
                Condition::version(previous),
            )?;
        }
        Ok(())
    }

    /// The daily run: one `ReportDue` per report due today (at most three per department).
    fn on_daily(&self, ctx: &mut Ctx<'_>, t: &ScheduleTick) -> Result<(), AgentError> {
        let today = t.at.with_timezone(&self.config.time_zone).date_naive();
        for due in schedule::due(&self.config, today) {
            ctx.emit(due)?;
        }
        Ok(())
    }

    /// Builds, stores and mails one report, and raises its anomalies not raised before.
    async fn on_report_due(&self, ctx: &mut Ctx<'_>, r: &ReportDue) -> Result<(), AgentError> {
        let c = &self.config;
        let invalid = |field: &str, problem: String| {
            AgentError::Invalid(format!("field `detail.payload.{field}`: {problem}"))
        };
        let Some(department) = c.departments.get(&r.department) else {
            let known: Vec<&str> = c.departments.keys().map(String::as_str).collect();
            return Err(invalid(
                "department",
                format!(
                    "`{}` gets no report (configured: {})",
                    r.department,
                    known.join(", ")
                ),
            ));
        };
        if r.to < r.from {
            return Err(invalid(
                "to",
                format!("{} is before `from` ({})", r.to, r.from),
            ));
        }
        if (r.to - r.from).num_days() > 30 {
            return Err(invalid(
                "from",
                format!(
                    "{} to {} is more than the 31 days a report covers",
                    r.from, r.to
                ),
            ));
        }
        let (pk, sk) = (reports_pk(&r.department), report_sk(r.cadence, r.from));
        if ctx.get(Domain::Performance, &pk, &sk).await?.is_some() {
            return Ok(()); // made and mailed already
        }
        let first = report::first_day_read(r.from, &c.anomalies);
        let days = (r.to - first).num_days() as usize + 1;
        let query = Query::table(counts_pk(&r.department))
            .sort(SortKey::Between(first.to_string(), r.to.to_string()))
            .limit(days);
        let counts: Vec<DayCounts> = ctx.query_as(Domain::Performance, &query).await?;
        let report = report::build(
            &r.department,
            department,
            r.cadence,
            (r.from, r.to),
            &counts,
            &c.anomalies,
            &c.base_currency,
        );
        let (html, charts) = render::html(&report, &c.company, c.max_html_bytes);
        let csv = render::csv(&report);
        ctx.send_mail(Mail {
            to: department.to.clone(),
            subject: render::title(&report),
            text: render::text(&report, &c.company),
            html: Some(html.clone()),
            attachments: vec![MailAttachment {
                file_name: render::csv_file_name(&report),
                content_type: "text/csv; charset=UTF-8".into(),
                content: csv.clone(),
            }],
            ..Default::default()
        })?;
        for a in report::to_raise(&report, MAX_RAISED_PER_REPORT) {
            let (apk, ask) = (raised_pk(a.figure), a.day.to_string());
            if ctx.get(Domain::Performance, &apk, &ask).await?.is_some() {
                continue; // raised by an earlier report
            }
            let marker = self.marker(ctx, apk, &ask, json!({"z": a.z, "value": a.value}));
            ctx.put(Domain::Performance, marker, Condition::NotExists)?;
            let threshold = c.anomalies.threshold;
            ctx.emit(ThresholdCrossed {
                metric: format!("kpi.{}.{}.robust_z", a.figure.key(), a.day),
                value: (a.z * 100.0).round() / 100.0,
                threshold: if a.z > 0.0 { threshold } else { -threshold },
                direction: if a.z > 0.0 {
                    Direction::Above
                } else {
                    Direction::Below
                },
            })?;
        }
        let stored = StoredReport {
            report,
            html,
            charts,
            csv,
            sent_to: department.to.clone(),
        };
        ctx.put_record(
            Domain::Performance,
            &pk,
            &sk,
            &stored,
            None,
            Condition::NotExists,
        )
    }
}

#[async_trait]
impl Agent for Reporting {
    fn declaration(&self) -> &AgentDecl {
        &self.decl
    }

    async fn handle(&self, event: &Event, ctx: &mut Ctx<'_>) -> Result<(), AgentError> {
        match event.payload() {
            Payload::ScheduleTick(t) => self.on_daily(ctx, t),
            Payload::ReportDue(r) => self.on_report_due(ctx, r).await,
            _ => self.count(ctx, event).await,
        }
    }
}

#[cfg(test)]
mod docs_tests;
#[cfg(test)]
mod tests;
