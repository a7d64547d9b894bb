//! Service levels as pure decisions: the four measured processes, a process instance's clock
//! (started by one event, stopped by another, correlated by an id), what a start, an end or
//! the SLA check does to it, and a day's figures per process (count, median and p90 by the
//! nearest-rank method, breaches).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// A measured process: what starts its clock and what stops it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Process {
    /// `LeadCreated` → the lead's first `OutreachStepTaken` (by `lead_id`).
    LeadResponse,
    /// `TicketOpened` (its `created_at`) → `TicketResponded` (its `responded_at`), by
    /// `ticket_id`.
    TicketFirstResponse,
    /// `DealClosedWon` → the deal's `InvoiceIssued` (by `deal_id`).
    InvoiceIssue,
    /// The first `ApprovalRequested` → `ApprovalDecided` (by `approval_id`).
    ApprovalTurnaround,
}

impl Process {
    pub const ALL: [Process; 4] = [
        Process::LeadResponse,
        Process::TicketFirstResponse,
        Process::InvoiceIssue,
        Process::ApprovalTurnaround,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Process::LeadResponse => "lead_response",
            Process::TicketFirstResponse => "ticket_first_response",
            Process::InvoiceIssue => "invoice_issue",
            Process::ApprovalTurnaround => "approval_turnaround",
        }
    }

    /// How a person reads it.
    pub fn label(self) -> &'static str {
        match self {
            Process::LeadResponse => "lead response",
            Process::TicketFirstResponse => "ticket first response",
            Process::InvoiceIssue => "invoice issue",
            Process::ApprovalTurnaround => "approval turnaround",
        }
    }
}

/// One process instance's clock (a ticket's first response, a lead's first touch, …).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Clock {
    pub process: Process,
    /// The correlating id (ticket, lead, deal, approval).
    pub subject: String,
    /// When the process started; `None` while only its end is known (delivered first).
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    /// `started_at` + the target.
    pub due_at: Option<DateTime<Utc>>,
    /// Counted as a breach (by the SLA check, or by a late end).
    pub breached: bool,
    pub version: u32,
}

/// What an event or the check does to a clock.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Nothing changes (a repeated start or end).
    Unchanged,
    /// The clock runs (or waits for its start): store it, due by `due_at` when started.
    Pending(Clock),
    /// Start and end are both known: `duration` counts on the day of the end; `late_breach`
    /// when it missed its target and no check had counted the breach yet (counted on the day
    /// it fell due).
    Completed {
        clock: Clock,
        duration: Duration,
        late_breach: bool,
    },
    /// Past due with no end: a breach, escalated once.
    Breached(Clock),
}

fn new_clock(process: Process, subject: &str) -> Clock {
    Clock {
        process,
        subject: subject.to_string(),
        started_at: None,
        ended_at: None,
        due_at: None,
        breached: false,
        version: 0,
    }
}

fn complete(mut clock: Clock, start: DateTime<Utc>, end: DateTime<Utc>, target: Duration) -> Step {
    let duration = (end - start).max(Duration::zero());
    let late_breach = duration > target && !clock.breached;
    clock.breached |= duration > target;
    clock.started_at = Some(start);
    clock.ended_at = Some(end);
    clock.due_at = Some(start + target);
    Step::Completed {
        clock,
        duration,
        late_breach,
    }
}

/// A start at `at`: the first start counts (a repeated or escalated request changes nothing).
pub fn start(
    clock: Option<Clock>,
    process: Process,
    subject: &str,
    at: DateTime<Utc>,
    target: Duration,
) -> Step {
    let clock = clock.unwrap_or_else(|| new_clock(process, subject));
    if clock.started_at.is_some() {
        return Step::Unchanged;
    }
    match clock.ended_at {
        Some(end) => complete(clock, at, end, target),
        None => Step::Pending(Clock {
            started_at: Some(at),
            due_at: Some(at + target),
            ..clock
        }),
    }
}

/// An end at `at`: the first end counts.
pub fn end(
    clock: Option<Clock>,
    process: Process,
    subject: &str,
    at: DateTime<Utc>,
    target: Duration,
) -> Step {
    let clock = clock.unwrap_or_else(|| new_clock(process, subject));
    if clock.ended_at.is_some() {
        return Step::Unchanged;
    }
    match clock.started_at {
        Some(start) => complete(clock, start, at, target),
        None => Step::Pending(Clock {
            ended_at: Some(at),
            ..clock
        }),
    }
}

/// The SLA check at `now`: a started clock with no end past its due time is a breach, once.
pub fn check(clock: Clock, now: DateTime<Utc>) -> Step {
    match (clock.started_at, clock.ended_at, clock.due_at) {
        (Some(_), None, Some(due)) if due <= now && !clock.breached => Step::Breached(Clock {
            breached: true,
            ..clock
        }),
        _ => Step::Unchanged,
    }
}

/// A process's figures for one day.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DayFigures {
    pub day: Option<NaiveDate>,
    /// Instances completed that day.
    pub count: u64,
    /// Their durations in seconds (the first `samples_per_day`), for the median and p90.
    pub durations_s: Vec<i64>,
    /// Instances whose deadline fell that day and that missed it.
    pub breaches: u64,
    /// [`DayFigures::median_s`] as of the last completion, kept for readers of the record.
    #[serde(default)]
    pub median_seconds: Option<i64>,
    /// [`DayFigures::p90_s`] as of the last completion.
    #[serde(default)]
    pub p90_seconds: Option<i64>,
    pub version: u32,
}

impl DayFigures {
    /// Counts one completion, keeping its duration while fewer than `samples` are kept.
    pub fn record(&mut self, duration: Duration, samples: usize) {
        self.count += 1;
        if self.durations_s.len() < samples {
            self.durations_s.push(duration.num_seconds());
        }
        self.median_seconds = self.median_s();
        self.p90_seconds = self.p90_s();
    }

    /// The median duration in seconds (nearest rank: the ⌈n/2⌉-th smallest).
    pub fn median_s(&self) -> Option<i64> {
        percentile(&self.durations_s, 50)
    }

    /// The 90th percentile in seconds (nearest rank: the ⌈0.9·n⌉-th smallest).
    pub fn p90_s(&self) -> Option<i64> {
        percentile(&self.durations_s, 90)
    }
}

/// The `p`-th percentile of `values` by the nearest-rank method: the smallest value with at
/// least `p`% of the values at or below it.
pub fn percentile(values: &[i64], p: u32) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let n = sorted.len() as u64;
    let rank = (u64::from(p) * n).div_ceil(100).max(1);
    Some(sorted[(rank - 1) as usize])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }
    const P: Process = Process::TicketFirstResponse;

    #[test]
    fn a_start_then_an_end_within_target_completes_without_breach() {
        let hour = Duration::minutes(60);
        let Step::Pending(c) = start(None, P, "T-1", at("2026-03-02T09:00:00Z"), hour) else {
            panic!("a new start runs")
        };
        assert_eq!(c.due_at, Some(at("2026-03-02T10:00:00Z")));
        // The same start again changes nothing.
        assert_eq!(
            start(Some(c.clone()), P, "T-1", at("2026-03-02T09:05:00Z"), hour),
            Step::Unchanged
        );
        let Step::Completed {
            clock,
            duration,
            late_breach,
        } = end(Some(c), P, "T-1", at("2026-03-02T09:42:00Z"), hour)
        else {
            panic!("completes")
        };
        assert_eq!(duration, Duration::minutes(42));
        assert!(!late_breach && !clock.breached);
        assert_eq!(
            end(Some(clock), P, "T-1", at("2026-03-02T11:00:00Z"), hour),
            Step::Unchanged
        );
    }

    #[test]
    fn an_end_delivered_before_its_start_waits_for_it_and_a_late_one_is_a_breach() {
        let hour = Duration::minutes(60);
        let Step::Pending(c) = end(None, P, "T-2", at("2026-03-02T10:15:00Z"), hour) else {
            panic!("an end alone waits")
        };
        assert_eq!(c.due_at, None, "not due: never checked");
        let Step::Completed {
            duration,
            late_breach,
            clock,
        } = start(Some(c), P, "T-2", at("2026-03-02T09:00:00Z"), hour)
        else {
            panic!("completes")
        };
        assert_eq!(duration, Duration::minutes(75));
        assert!(late_breach && clock.breached);
    }

    #[test]
    fn the_check_flags_an_overdue_clock_once_and_its_late_end_is_not_counted_again() {
        let hour = Duration::minutes(60);
        let Step::Pending(c) = start(None, P, "T-3", at("2026-03-02T09:00:00Z"), hour) else {
            panic!()
        };
        assert_eq!(
            check(c.clone(), at("2026-03-02T09:59:59Z")),
            Step::Unchanged
        );
        let Step::Breached(b) = check(c, at("2026-03-02T10:00:00Z")) else {
            panic!("due at 10:00 and not answered")
        };
        assert_eq!(
            check(b.clone(), at("2026-03-02T10:05:00Z")),
            Step::Unchanged
        );
        let Step::Completed {
            duration,
            late_breach,
            ..
        } = end(Some(b), P, "T-3", at("2026-03-02T10:20:00Z"), hour)
        else {
            panic!()
        };
        assert_eq!(duration, Duration::minutes(80));
        assert!(!late_breach, "the check counted it already");
    }

    #[test]
    fn median_and_p90_by_nearest_rank() {
        // Ten first responses, in minutes: 5 7 9 12 15 18 20 25 40 90.
        let mins = [20, 5, 90, 12, 7, 40, 15, 9, 25, 18];
        let mut d = DayFigures::default();
        for m in mins {
            d.record(Duration::minutes(m), 100);
        }
        assert_eq!(d.count, 10);
        // Median: the 5th smallest (⌈10/2⌉ = 5) is 15 min; p90: the 9th (⌈9.0⌉) is 40 min.
        assert_eq!(d.median_s(), Some(15 * 60));
        assert_eq!(d.p90_s(), Some(40 * 60));
        assert_eq!((d.median_seconds, d.p90_seconds), (Some(900), Some(2400)));
        // Eleven values: median the 6th, p90 the 10th (⌈9.9⌉).
        d.record(Duration::minutes(100), 100);
        assert_eq!(d.median_s(), Some(18 * 60));
        assert_eq!(d.p90_s(), Some(90 * 60));
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile(&[7], 90), Some(7));
    }

    #[test]
    fn durations_beyond_the_sample_limit_are_counted_only() {
        let mut d = DayFigures::default();
        for m in [10, 20, 30] {
            d.record(Duration::minutes(m), 2);
        }
        assert_eq!(d.count, 3);
        assert_eq!(d.durations_s, [600, 1200]);
    }
}
