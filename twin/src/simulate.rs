//! `ascent simulate`: runs a synthetic company through every agent on a fresh SQLite data lake
//! with a simulated clock, acting as the CRM, the customers and the approvers, then reports.

mod marketing;

pub use marketing::MarketingReport;

use crate::config::AscentConfig;
use crate::synthetic::Company;
use anyhow::Context;
use ascent_core::approval::Decision;
use ascent_core::catalog::{Payload, ScheduleTick};
use ascent_core::ports::{Clock, ManualClock};
use ascent_embedded::store::StoreOptions;
use ascent_embedded::{Runtime, Store, TwinConfig};
use chrono::{DateTime, Duration, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

pub struct SimulationOptions {
    pub days: u32,
    pub seed: u64,
    pub leads_per_day: u32,
    /// The simulation's database goes to `<data_dir>/simulate-<seed>.db` (replaced each run).
    pub data_dir: PathBuf,
    pub progress: bool,
    /// The business settings the company runs under (`ascent simulate --config FILE`).
    pub config: Arc<AscentConfig>,
}

/// What a simulation did.
#[derive(Debug, Serialize)]
pub struct SimulationReport {
    pub days: u32,
    pub seed: u64,
    pub business_events: u64,
    pub bus_events: u64,
    pub deliveries: u64,
    pub per_agent: Vec<(String, u64, u64, u64)>,
    pub approvals_requested: u64,
    pub approvals_approved: u64,
    pub approvals_rejected: u64,
    pub approvals_expired: u64,
    pub approvals_pending: u64,
    pub invoices_issued: u64,
    pub invoices_paid: u64,
    pub dunning_steps: u64,
    /// Marketing Analytics' weekly measured returns per channel (`ChannelReturnsMeasured`).
    pub channel_return_reports: u64,
    pub marketing: MarketingReport,
    pub dead_letters: u64,
    pub audit_records: u64,
    pub audit_intact: bool,
    pub wall_seconds: f64,
    pub database: String,
}

impl SimulationReport {
    pub fn events_per_second(&self) -> f64 {
        self.bus_events as f64 / self.wall_seconds.max(1e-9)
    }
    pub fn deliveries_per_second(&self) -> f64 {
        self.deliveries as f64 / self.wall_seconds.max(1e-9)
    }
}

impl fmt::Display for SimulationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Simulated {} days (seed {}), data lake {}",
            self.days, self.seed, self.database
        )?;
        writeln!(
            f,
            "  business events ingested   {:>10}",
            self.business_events
        )?;
        writeln!(f, "  events on the bus (all)    {:>10}", self.bus_events)?;
        writeln!(f, "  agent deliveries handled   {:>10}", self.deliveries)?;
        writeln!(f, "  per agent (handled / duplicates / failures):")?;
        for (a, h, d, x) in &self.per_agent {
            writeln!(f, "    {a:<18} {h:>8} / {d} / {x}")?;
        }
        writeln!(
            f,
            "  approvals: {} requested, {} approved, {} rejected, {} expired, {} pending",
            self.approvals_requested,
            self.approvals_approved,
            self.approvals_rejected,
            self.approvals_expired,
            self.approvals_pending
        )?;
        writeln!(
            f,
            "  invoices: {} issued, {} paid; {} dunning steps",
            self.invoices_issued, self.invoices_paid, self.dunning_steps
        )?;
        writeln!(
            f,
            "  marketing: {} weekly channel-return reports",
            self.channel_return_reports
        )?;
        write!(f, "{}", self.marketing)?;
        writeln!(f, "  dead letters               {:>10}", self.dead_letters)?;
        writeln!(
            f,
            "  audit records              {:>10} ({})",
            self.audit_records,
            if self.audit_intact {
                "chain intact"
            } else {
                "CHAIN BROKEN"
            }
        )?;
        writeln!(
            f,
            "  wall time                  {:>10.2} s",
            self.wall_seconds
        )?;
        writeln!(
            f,
            "  throughput                 {:>10.0} events/s ({:.0} deliveries/s)",
            self.events_per_second(),
            self.deliveries_per_second()
        )
    }
}

/// The first day of every simulation (a Monday).
pub fn start_date() -> DateTime<Utc> {
    "2026-01-05T00:00:00Z".parse().expect("valid date")
}

/// Runs the simulation.
pub fn run(o: &SimulationOptions) -> anyhow::Result<SimulationReport> {
    std::fs::create_dir_all(&o.data_dir)?;
    let db = o.data_dir.join(format!("simulate-{}.db", o.seed));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let clock = ManualClock::new(start_date());
    // A throwaway database that answers nobody outside: no commit needs to reach the device.
    let options = StoreOptions {
        synced_commits: false,
        ..StoreOptions::default()
    };
    let store = Store::open_with(&db, Arc::new(clock.clone()), options)
        .context("opening the simulation database")?;
    let config = TwinConfig {
        link_key: format!("simulation-{}-link-key-0123456789abcdef", o.seed).into_bytes(),
        outbox_dir: None,
        approvals: o.config.host.policy(),
        mail_from: o.config.host.mail.from.clone(),
        retention: o.config.host.retention.clone(),
        ..TwinConfig::default()
    };
    let agents = o.config.agents(&config.base_url);
    let rt = Runtime::new(Arc::new(store), agents, config)?;
    let mut company = Company::new(o.seed, start_date(), o.leads_per_day);
    let bar = if o.progress {
        let b = ProgressBar::new(o.days as u64);
        b.set_style(
            ProgressStyle::with_template("{spinner} day {pos}/{len} {wide_bar} {msg} [{elapsed}]")
                .expect("valid template"),
        );
        b
    } else {
        ProgressBar::hidden()
    };
    let started = Instant::now();
    let (mut archive_seen, mut mails_seen) = (0i64, 0i64);
    let mut business_events = 0u64;
    let rt_runtime = tokio::runtime::Builder::new_current_thread().build()?;
    // Queue observations at each window end the clock passes (`[schedule]
    // queue_observation_minutes`): the clock is moved to each, the queues observed and drained.
    let minutes = o.config.schedule.queue_observation_minutes;
    let mut observed = start_date();
    for day in 0..o.days {
        let events = company.events_for(day);
        business_events += events.len() as u64;
        // The day's business events, handled at 18:00, published and handled in one go (the
        // HTTP endpoint and `ascent emit` go through `Runtime::ingest`, which commits first).
        let evening = start_date() + Duration::days(day as i64) + Duration::hours(18);
        observed =
            rt_runtime
                .block_on(rt.observe_queues_until(observed, evening, minutes, |t| clock.set(t)))?;
        clock.set(evening);
        rt_runtime.block_on(rt.ingest_and_drain(&events, |t| clock.set(t)))?;

        // The CRM, the customers and the approvers react to what the agents did (read from
        // the archive since the last look: an index range, not a scan).
        let archive_head = rt.archive_head()?;
        let reacted_to = ["ProposalSent", "InvoiceIssued", "EmailCampaignPaused"];
        for (_, e) in rt.archived_after_any(&reacted_to, archive_seen)? {
            match e.payload() {
                Payload::ProposalSent(p) => company.on_proposal(p, day),
                Payload::InvoiceIssued(i) => company.on_invoice(i, day),
                Payload::EmailCampaignPaused(p) => {
                    company.on_email_campaign_paused(&p.campaign_id, day)
                }
                _ => {}
            }
        }
        archive_seen = archive_head;
        for (seq, mail) in rt.mails_after(mails_seen)? {
            mails_seen = seq;
            // A marketing email (it carries the one-click unsubscribe): the customer answers.
            if mail.headers.iter().any(|h| h.name == "List-Unsubscribe") {
                company.on_marketing_mail(&mail.to, day);
                continue;
            }
            let Some(url) = mail.text.lines().find_map(|l| l.strip_prefix("Approve: ")) else {
                continue;
            };
            let id = url
                .split("/approvals/")
                .nth(1)
                .and_then(|s| s.split('?').next())
                .unwrap_or_default();
            let token = url
                .split("t=")
                .nth(1)
                .and_then(|s| s.split('&').next())
                .unwrap_or_default();
            if let Some(approve) = company.approver_choice() {
                let decision = if approve {
                    Decision::Approve
                } else {
                    Decision::Reject
                };
                // A decision can fail only if the request moved on meanwhile: fine here.
                let _ = rt.decide_approval(id, token, decision, None);
            }
        }
        rt_runtime.block_on(rt.drain(|t| clock.set(t)))?;

        // Night: approval timers, then the daily schedule at 06:00.
        let next = start_date() + Duration::days(day as i64 + 1);
        observed = rt_runtime.block_on(rt.observe_queues_until(
            observed,
            next + Duration::hours(6),
            minutes,
            |t| clock.set(t),
        ))?;
        clock.set(next + Duration::hours(6));
        rt.tick_approvals()?;
        rt.schedule_tick("daily", clock.now())?;
        rt_runtime.block_on(rt.drain(|t| clock.set(t)))?;
        // The hourly schedule (health scoring, the receivables check) and the SLA check's
        // (every `[schedule] sla_check_minutes`) through the day, in one batch in time order.
        let every = i64::from(o.config.schedule.sla_check_minutes);
        let hourly: Vec<_> = (6 * 60..24 * 60)
            .step_by(every as usize)
            .flat_map(|minute| {
                let at = next + Duration::minutes(minute);
                let sla = ScheduleTick::event("sla", at);
                if minute % 60 == 0 {
                    vec![ScheduleTick::event("hourly", at), sla]
                } else {
                    vec![sla]
                }
            })
            .collect();
        rt_runtime.block_on(rt.ingest_and_drain(&hourly, |t| clock.set(t)))?;
        if day % 7 == 6 {
            rt.sweep_retention()?;
        }
        bar.inc(1);
    }
    let wall = started.elapsed().as_secs_f64();
    bar.finish_and_clear();

    let status = rt.status()?;
    let count = |t: &str| rt.archived_after(t, 0).map(|v| v.len() as u64);
    let decided = rt.archived_after("ApprovalDecided", 0)?;
    let outcome = |o: ascent_core::catalog::ApprovalOutcome| {
        decided
            .iter()
            .filter(|(_, e)| matches!(e.payload(), Payload::ApprovalDecided(d) if d.outcome == o))
            .count() as u64
    };
    let requested: u64 = rt.store().read(|c| {
        c.query_row(
            "SELECT COUNT(*) FROM items WHERE domain = 'approvals'",
            [],
            |r| r.get::<_, i64>(0),
        )
    })? as u64;
    use ascent_core::catalog::ApprovalOutcome as O;
    Ok(SimulationReport {
        days: o.days,
        seed: o.seed,
        business_events,
        bus_events: status.events_archived,
        deliveries: status.agents.iter().map(|a| a.handled + a.duplicates).sum(),
        per_agent: status
            .agents
            .iter()
            .map(|a| (a.agent.clone(), a.handled, a.duplicates, a.failures))
            .collect(),
        approvals_requested: requested,
        approvals_approved: outcome(O::Approved),
        approvals_rejected: outcome(O::Rejected),
        approvals_expired: outcome(O::Expired),
        approvals_pending: status.pending_approvals.len() as u64,
        invoices_issued: count("InvoiceIssued")?,
        invoices_paid: count("InvoicePaid")?,
        dunning_steps: count("DunningStepTaken")?,
        channel_return_reports: count("ChannelReturnsMeasured")?,
        marketing: MarketingReport::of(&rt)?,
        dead_letters: status.dead_letters,
        audit_records: status.audit_records,
        audit_intact: rt.store().verify_audit().is_ok(),
        wall_seconds: wall,
        database: db.display().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_simulation_runs_clean_and_is_reproducible() {
        let dir = tempfile::tempdir().unwrap();
        let opts = |seed| SimulationOptions {
            days: 40,
            seed,
            leads_per_day: 60,
            data_dir: dir.path().to_path_buf(),
            progress: false,
            config: Arc::new(AscentConfig::shipped()),
        };
        let a = run(&opts(3)).unwrap();
        assert!(a.business_events > 1_000);
        assert!(a.invoices_issued > 0, "{a}");
        assert!(a.invoices_paid > 0, "{a}");
        assert!(a.approvals_requested > 0, "{a}");
        // Touches and spend reach Marketing Analytics, which reports weekly.
        assert!(a.channel_return_reports >= 5, "{a}");
        let m = &a.marketing;
        // Campaigns of four weeks from days 0 and 28, one per budgeted channel: 2 × 7; the
        // first seven end on day 27 (and some are paused and resumed meanwhile).
        assert_eq!(m.campaigns_planned, 14, "{a}");
        assert!(m.campaigns_ended >= 7 && m.campaigns_paused > 0, "{a}");
        // Each weekly plan follows a measure. The first two weeks return nothing on any channel,
        // so the allocation in effect is kept; from the third, budget moves toward the best
        // returns, a channel rising by no more than the 5,000.00 that needs no approval here
        // (a reallocation with its approval: tests/marketing.rs).
        assert!(m.reallocations >= 4, "{a}");
        // Email campaigns on the Wednesdays from day 14 (days 16, 23, 30, 37), all sent by the
        // end; a customer who unsubscribed or bounced hard is left out of the next one.
        assert_eq!(m.email_campaigns, 4, "{a}");
        assert_eq!(m.email_campaigns_completed, 4, "{a}");
        assert!(m.emails_sent > 0 && m.emails_suppressed > 0, "{a}");
        assert!(m.bounces > 0 && m.unsubscribes > 0, "{a}");
        // Mentions every day; negative ones by customers become Support's tickets.
        assert!(m.mentions > 100 && m.mention_tickets > 0, "{a}");
        // The 8 tracked keywords on each of the 6 Mondays (days 0, 7, …, 35): 48.
        assert_eq!(m.rank_observations, 48, "{a}");
        assert!(m.content_gaps > 0, "{a}");
        // Social drafts on Mondays, Wednesdays and Fridays (18 in 40 days); those with a
        // banned claim are returned, the rest scheduled.
        assert_eq!(m.drafts, 18, "{a}");
        assert!(
            m.pieces_scheduled > 0 && m.pieces_scheduled < m.drafts,
            "{a}"
        );
        // Nothing refused, nothing failing, the audit chain whole.
        assert_eq!(a.dead_letters, 0, "{a}");
        assert!(
            a.per_agent.iter().all(|(_, _, _, failures)| *failures == 0),
            "{a}"
        );
        assert!(a.audit_intact);
        let b = run(&opts(3)).unwrap();
        let figures = |r: &SimulationReport| {
            (
                r.business_events,
                r.bus_events,
                r.deliveries,
                r.invoices_issued,
                r.invoices_paid,
                r.marketing.emails_sent,
                r.marketing.mention_tickets,
                r.marketing.reallocations_approved,
            )
        };
        assert_eq!(figures(&a), figures(&b));
    }
}
