//! Failure rates per agent: a tally per day (`dlq#day#<date>`: per agent, dead letters by
//! class, redrives and discards), and the daily report over the configured window — mailed
//! to operations and kept as `dlq#report#<date>`.

use crate::ProcessAutomationConfig;
use crate::classify::FailureClass;
use crate::letters::{self, Letter};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::context::Ctx;
use ascent_core::ports::{Condition, Mail};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Waiting interventions listed in a report at most (the count is always whole).
const LISTED_WAITING: usize = 20;

/// One agent's day.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AgentDay {
    pub transient: u32,
    pub permanent: u32,
    pub poison: u32,
    pub redriven: u32,
    pub discarded: u32,
}

impl AgentDay {
    pub fn failed(&mut self, class: FailureClass) {
        match class {
            FailureClass::Transient => self.transient += 1,
            FailureClass::Permanent => self.permanent += 1,
            FailureClass::Poison => self.poison += 1,
        }
    }
    /// Dead letters of the day, every class.
    pub fn dead_lettered(&self) -> u32 {
        self.transient + self.permanent + self.poison
    }
}

/// The tally of one day, per agent.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Tally {
    pub date: Option<NaiveDate>,
    pub agents: BTreeMap<String, AgentDay>,
    pub version: u32,
}

impl Tally {
    pub fn entry(&mut self, agent: &str) -> &mut AgentDay {
        self.agents.entry(agent.to_string()).or_default()
    }
}

fn day_pk(day: NaiveDate) -> String {
    format!("dlq#day#{day}")
}

/// Applies `change` to the tally of `day` (created on first use).
pub async fn count(
    ctx: &mut Ctx<'_>,
    day: NaiveDate,
    change: impl FnOnce(&mut Tally),
) -> Result<(), AgentError> {
    let stored: Option<Tally> = ctx
        .get_as(Domain::Performance, &day_pk(day), "tally")
        .await?;
    let previous = stored.as_ref().map(|t| t.version);
    let mut t = stored.unwrap_or_default();
    t.date = Some(day);
    change(&mut t);
    t.version = previous.map_or(1, |v| v + 1);
    ctx.put_record(
        Domain::Performance,
        &day_pk(day),
        "tally",
        &t,
        None,
        Condition::version(previous),
    )
}

/// One agent's line of the report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AgentRate {
    pub agent: String,
    /// The report's day.
    pub day: AgentDay,
    /// Dead letters over the window.
    pub window_dead_letters: u32,
    /// Dead letters per day over the window.
    pub per_day: f64,
}

/// Failure rates per agent on `day`, over `window` days ending with it, from the tallies
/// found (days without one had no dead letter). Agents by dead letters over the window, most
/// first, then by name.
pub fn rates(day: NaiveDate, window: u32, tallies: &[Tally]) -> Vec<AgentRate> {
    let first = day - Duration::days(i64::from(window) - 1);
    let mut out: BTreeMap<&str, AgentRate> = BTreeMap::new();
    for t in tallies {
        let Some(d) = t.date.filter(|d| (first..=day).contains(d)) else {
            continue;
        };
        for (agent, a) in &t.agents {
            let r = out.entry(agent).or_insert_with(|| AgentRate {
                agent: agent.clone(),
                day: AgentDay::default(),
                window_dead_letters: 0,
                per_day: 0.0,
            });
            r.window_dead_letters += a.dead_lettered();
            if d == day {
                r.day = a.clone();
            }
        }
    }
    let mut out: Vec<AgentRate> = out
        .into_values()
        .map(|mut r| {
            r.per_day = f64::from(r.window_dead_letters) / f64::from(window);
            r
        })
        .collect();
    out.sort_by(|a, b| {
        b.window_dead_letters
            .cmp(&a.window_dead_letters)
            .then_with(|| a.agent.cmp(&b.agent))
    });
    out
}

/// The kept report of a day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DailyReport {
    pub date: NaiveDate,
    pub window_days: u32,
    pub agents: Vec<AgentRate>,
    /// Interventions waiting for a person (the first ones listed, oldest first).
    pub waiting: Vec<String>,
    /// Whether more are waiting than listed.
    pub more_waiting: bool,
}

impl DailyReport {
    pub fn dead_letters(&self) -> u32 {
        self.agents.iter().map(|a| a.day.dead_lettered()).sum()
    }

    /// The mail's subject and text.
    pub fn render(&self) -> (String, String) {
        let with_any = self
            .agents
            .iter()
            .filter(|a| a.day.dead_lettered() > 0)
            .count();
        let subject = format!(
            "Dead letters on {}: {} across {} agent(s)",
            self.date,
            self.dead_letters(),
            with_any
        );
        let mut text = format!(
            "Failures per agent on {} (rate: dead letters per day over the last {} days)\n\n",
            self.date, self.window_days
        );
        let _ = writeln!(
            text,
            "{:<28} {:>5} {:>9} {:>9} {:>6} {:>8} {:>9} {:>8}",
            "agent", "dead", "transient", "permanent", "poison", "redriven", "discarded", "per day"
        );
        for a in &self.agents {
            let d = &a.day;
            let _ = writeln!(
                text,
                "{:<28} {:>5} {:>9} {:>9} {:>6} {:>8} {:>9} {:>8.2}",
                a.agent,
                d.dead_lettered(),
                d.transient,
                d.permanent,
                d.poison,
                d.redriven,
                d.discarded,
                a.per_day
            );
        }
        if self.agents.is_empty() {
            text.push_str("(no dead letters in the window)\n");
        }
        let _ = write!(
            text,
            "\nWaiting for a decision: {}{}\n",
            self.waiting.len(),
            if self.more_waiting { "+" } else { "" }
        );
        for w in &self.waiting {
            let _ = writeln!(text, "  {w}");
        }
        (subject, text)
    }
}

fn waiting_line(l: &Letter) -> String {
    let last = l.last();
    format!(
        "{} {} {} since {}: {}",
        l.agent,
        l.detail_type,
        l.event_id,
        last.map_or(l.first_received_at, |f| f.at).to_rfc3339(),
        last.map_or("", |f| f.reason.as_str())
    )
}

/// The daily run at `at`: the report of the day before, once.
pub async fn daily(
    c: &ProcessAutomationConfig,
    ctx: &mut Ctx<'_>,
    at: DateTime<Utc>,
) -> Result<(), AgentError> {
    let day = at.date_naive() - Duration::days(1);
    let pk = format!("dlq#report#{day}");
    if ctx.get(Domain::Performance, &pk, "report").await?.is_some() {
        return Ok(()); // reported already
    }
    let mut tallies = Vec::new();
    for back in 0..c.rate_window_days {
        let d = day - Duration::days(i64::from(back));
        if let Some(t) = ctx
            .get_as::<Tally>(Domain::Performance, &day_pk(d), "tally")
            .await?
        {
            tallies.push(t);
        }
    }
    let mut waiting = letters::awaiting(ctx, LISTED_WAITING + 1).await?;
    let more_waiting = waiting.len() > LISTED_WAITING;
    waiting.truncate(LISTED_WAITING);
    let report = DailyReport {
        date: day,
        window_days: c.rate_window_days,
        agents: rates(day, c.rate_window_days, &tallies),
        waiting: waiting.iter().map(waiting_line).collect(),
        more_waiting,
    };
    let (subject, text) = report.render();
    ctx.put_record(
        Domain::Performance,
        &pk,
        "report",
        &report,
        None,
        Condition::NotExists,
    )?;
    ctx.send_mail(Mail {
        to: c.operations_email.clone(),
        subject,
        text,
        ..Mail::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn tally(day: &str, rows: &[(&str, u32, u32, u32, u32)]) -> Tally {
        let mut t = Tally {
            date: Some(d(day)),
            ..Tally::default()
        };
        for (agent, tr, pe, po, re) in rows {
            let a = t.entry(agent);
            (a.transient, a.permanent, a.poison, a.redriven) = (*tr, *pe, *po, *re);
        }
        t
    }

    #[test]
    fn given_a_week_of_tallies_when_rated_then_each_agent_has_its_day_and_its_average() {
        let tallies = [
            tally(
                "2026-03-02",
                &[("billing", 2, 1, 0, 2), ("support", 1, 0, 0, 1)],
            ),
            tally("2026-02-27", &[("billing", 3, 0, 1, 3)]),
            tally("2026-02-24", &[("support", 4, 0, 0, 4)]),
            // Outside the 7-day window (2026-02-24 .. 2026-03-02): not counted.
            tally("2026-02-23", &[("billing", 50, 0, 0, 0)]),
        ];
        let r = rates(d("2026-03-02"), 7, &tallies);
        let names: Vec<&str> = r.iter().map(|a| a.agent.as_str()).collect();
        assert_eq!(names, ["billing", "support"]);
        // Billing: 3 today + 4 on the 27th = 7 over 7 days = 1.00 a day.
        assert_eq!(r[0].day.dead_lettered(), 3);
        assert_eq!(r[0].window_dead_letters, 7);
        assert!((r[0].per_day - 1.0).abs() < 1e-9);
        // Support: 1 today + 4 on the 24th = 5 / 7 = 0.714….
        assert_eq!(r[1].window_dead_letters, 5);
        assert!((r[1].per_day - 5.0 / 7.0).abs() < 1e-9);
    }

    #[test]
    fn given_a_report_when_rendered_then_the_subject_counts_and_the_table_shows_rates() {
        let r = DailyReport {
            date: d("2026-03-02"),
            window_days: 7,
            agents: rates(
                d("2026-03-02"),
                7,
                &[
                    tally("2026-03-02", &[("billing", 2, 1, 0, 2)]),
                    tally("2026-03-01", &[("seo", 1, 0, 0, 1)]),
                ],
            ),
            waiting: vec![
                "billing DealWon e1 since 2026-03-02T09:00:00+00:00: invalid input".into(),
            ],
            more_waiting: false,
        };
        let (subject, text) = r.render();
        assert_eq!(subject, "Dead letters on 2026-03-02: 3 across 1 agent(s)");
        // Billing 3 today (2 transient, 1 permanent), 3/7 = 0.43 a day; SEO none today.
        assert!(text.contains("billing                          3         2         1      0        2         0     0.43"), "{text}");
        assert!(text.contains("seo                              0         0         0      0        0         0     0.14"), "{text}");
        assert!(
            text.contains("Waiting for a decision: 1\n  billing DealWon e1"),
            "{text}"
        );
    }
}
