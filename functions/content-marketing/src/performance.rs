//! Each piece's performance: a `ContentEngagementObserved` is that piece's total for its day,
//! kept in the day's tally (`content#days` / the day; a repeat replaces it) and added to the
//! piece's running totals by the difference. On `weekly_report_day`'s daily run the report
//! sums the seven days before (one query of at most seven items, whatever the number of
//! pieces), mails marketing the totals, per channel and the most viewed pieces, and keeps it
//! (`content#report#<day>`), once.

use crate::{ContentMarketing, required};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::{ContentEngagementObserved, ScheduleTick};
use ascent_core::context::Ctx;
use ascent_core::ports::{Condition, Mail, Query, SortKey};
use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Partition of the day tallies, sorted by day.
pub const DAYS_PK: &str = "content#days";

/// Pieces one day's tally holds (each ~150 bytes: far below DynamoDB's 400 KB item).
pub const MAX_PIECES_A_DAY: usize = 2_000;

/// Views, clicks and shares.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub views: u64,
    pub clicks: u64,
    pub shares: u64,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.views += o.views;
        self.clicks += o.clicks;
        self.shares += o.shares;
    }

    /// Clicks in percent of views (one decimal), `None` without views.
    pub fn click_rate_pct(&self) -> Option<f64> {
        (self.views > 0).then(|| (self.clicks as f64 * 1000.0 / self.views as f64).round() / 10.0)
    }
}

/// One piece's counts on a day, with what the report names it by.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PieceDay {
    pub title: String,
    pub channel: String,
    #[serde(flatten)]
    pub counts: Counts,
}

/// Every piece's engagement on one day.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DayTally {
    pub day: Option<NaiveDate>,
    pub pieces: BTreeMap<String, PieceDay>,
    pub version: u32,
}

/// A piece's line in the report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PieceLine {
    pub piece_id: String,
    pub title: String,
    pub channel: String,
    #[serde(flatten)]
    pub counts: Counts,
}

/// The weekly content report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WeeklyReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub total: Counts,
    /// Pieces with engagement in the week.
    pub pieces: usize,
    pub channels: BTreeMap<String, Counts>,
    /// The most viewed, then most clicked, then by id; at most `report_top_pieces`.
    pub top: Vec<PieceLine>,
}

/// Sums the day tallies of `from..=to` into the report.
pub fn summarise(days: &[DayTally], from: NaiveDate, to: NaiveDate, top: usize) -> WeeklyReport {
    let mut by_piece: BTreeMap<&str, PieceLine> = BTreeMap::new();
    for d in days
        .iter()
        .filter(|d| d.day.is_some_and(|x| from <= x && x <= to))
    {
        for (id, p) in &d.pieces {
            by_piece
                .entry(id)
                .or_insert_with(|| PieceLine {
                    piece_id: id.clone(),
                    title: p.title.clone(),
                    channel: p.channel.clone(),
                    counts: Counts::default(),
                })
                .counts
                .add(&p.counts);
        }
    }
    let mut total = Counts::default();
    let mut channels: BTreeMap<String, Counts> = BTreeMap::new();
    for l in by_piece.values() {
        total.add(&l.counts);
        channels
            .entry(l.channel.clone())
            .or_default()
            .add(&l.counts);
    }
    let pieces = by_piece.len();
    let mut lines: Vec<PieceLine> = by_piece.into_values().collect();
    lines.sort_by(|a, b| {
        (b.counts.views, b.counts.clicks)
            .cmp(&(a.counts.views, a.counts.clicks))
            .then(a.piece_id.cmp(&b.piece_id))
    });
    lines.truncate(top);
    WeeklyReport {
        from,
        to,
        total,
        pieces,
        channels,
        top: lines,
    }
}

fn counts_text(c: &Counts) -> String {
    let rate = c
        .click_rate_pct()
        .map_or("n/a".to_string(), |r| format!("{r:.1}%"));
    format!(
        "{} views, {} clicks ({rate} of views), {} shares",
        c.views, c.clicks, c.shares
    )
}

/// The report's mail text.
pub fn report_text(r: &WeeklyReport) -> String {
    let mut t = format!("Content report, {} to {}\n\n", r.from, r.to);
    let _ = writeln!(t, "All pieces ({}): {}", r.pieces, counts_text(&r.total));
    if r.pieces == 0 {
        let _ = writeln!(t, "No engagement was observed this week.");
        return t;
    }
    let _ = writeln!(t, "\nBy channel:");
    for (ch, c) in &r.channels {
        let _ = writeln!(t, "  {ch}: {}", counts_text(c));
    }
    let _ = writeln!(t, "\nMost viewed:");
    for (i, l) in r.top.iter().enumerate() {
        let _ = writeln!(
            t,
            "  {}. \"{}\" ({}, {}): {}",
            i + 1,
            l.title,
            l.piece_id,
            l.channel,
            counts_text(&l.counts)
        );
    }
    t
}

impl ContentMarketing {
    pub(crate) async fn on_engagement(
        &self,
        ctx: &mut Ctx<'_>,
        e: &ContentEngagementObserved,
        today: NaiveDate,
    ) -> Result<(), AgentError> {
        let piece_id = required("piece_id", &e.piece_id)?;
        if e.observed_on > today {
            return Err(AgentError::Invalid(format!(
                "observed_on: {} is after the day it was reported ({today})",
                e.observed_on
            )));
        }
        let new = Counts {
            views: u64::from(e.views),
            clicks: u64::from(e.clicks),
            shares: u64::from(e.shares),
        };
        let day = e.observed_on.to_string();
        let mut tally: DayTally = ctx
            .get_as(Domain::Performance, DAYS_PK, &day)
            .await?
            .unwrap_or_default();
        let old = tally.pieces.get(piece_id).map(|p| p.counts);
        if old == Some(new) {
            return Ok(()); // the same count again
        }
        if old.is_none() && tally.pieces.len() >= MAX_PIECES_A_DAY {
            return Err(AgentError::Invalid(format!(
                "piece_id: {day} already tallies {MAX_PIECES_A_DAY} pieces"
            )));
        }
        let mut piece = self.piece(ctx, piece_id).await?;
        let (title, channel) = piece.as_ref().map_or_else(
            || (piece_id.to_string(), "unplanned".to_string()),
            |p| (p.title.clone(), p.channel.clone()),
        );
        if let Some(p) = piece.as_mut() {
            let old = old.unwrap_or_default();
            let moved = |total: u64, was: u64, now: u64| (total + now).saturating_sub(was);
            p.views = moved(p.views, old.views, new.views);
            p.clicks = moved(p.clicks, old.clicks, new.clicks);
            p.shares = moved(p.shares, old.shares, new.shares);
        }
        tally.pieces.insert(
            piece_id.to_string(),
            PieceDay {
                title,
                channel,
                counts: new,
            },
        );
        tally.day = Some(e.observed_on);
        let previous = (tally.version > 0).then_some(tally.version);
        tally.version += 1;
        ctx.put_record(
            Domain::Performance,
            DAYS_PK,
            &day,
            &tally,
            None,
            Condition::version(previous),
        )?;
        match piece {
            Some(p) => self.save_piece(ctx, p),
            None => Ok(()),
        }
    }

    pub(crate) async fn on_daily(
        &self,
        ctx: &mut Ctx<'_>,
        t: &ScheduleTick,
    ) -> Result<(), AgentError> {
        let today = t.at.date_naive();
        if today.weekday() != self.config.weekly_report_day {
            return Ok(());
        }
        let pk = format!("content#report#{today}");
        if ctx.get(Domain::Performance, &pk, "report").await?.is_some() {
            return Ok(());
        }
        let (from, to) = (today - Duration::days(7), today - Duration::days(1));
        let q = Query::table(DAYS_PK)
            .sort(SortKey::Between(from.to_string(), to.to_string()))
            .limit(7);
        let days: Vec<DayTally> = ctx.query_as(Domain::Performance, &q).await?;
        let report = summarise(&days, from, to, self.config.report_top_pieces);
        ctx.send_mail(Mail {
            to: self.config.marketing.clone(),
            subject: format!("Content report, week of {from}"),
            text: report_text(&report),
            html: None,
            headers: vec![],
            attachments: vec![],
        })?;
        ctx.put_record(
            Domain::Performance,
            &pk,
            "report",
            &report,
            None,
            Condition::NotExists,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn tally(day: &str, pieces: &[(&str, &str, u64, u64, u64)]) -> DayTally {
        DayTally {
            day: Some(d(day)),
            pieces: pieces
                .iter()
                .map(|(id, ch, v, c, s)| {
                    let p = PieceDay {
                        title: format!("Title {id}"),
                        channel: ch.to_string(),
                        counts: Counts {
                            views: *v,
                            clicks: *c,
                            shares: *s,
                        },
                    };
                    (id.to_string(), p)
                })
                .collect(),
            version: 1,
        }
    }

    #[test]
    fn a_week_sums_per_piece_and_channel_most_viewed_first() {
        let days = [
            tally("2026-05-03", &[("p0", "blog", 999, 99, 9)]), // before the week
            tally(
                "2026-05-04",
                &[("p1", "blog", 400, 20, 3), ("p2", "social", 900, 9, 30)],
            ),
            tally(
                "2026-05-06",
                &[("p1", "blog", 600, 30, 2), ("p3", "blog", 1000, 80, 1)],
            ),
        ];
        let r = summarise(&days, d("2026-05-04"), d("2026-05-10"), 2);
        // p1: 1000 views, 50 clicks, 5 shares; p2: 900, 9, 30; p3: 1000, 80, 1.
        assert_eq!(r.pieces, 3);
        assert_eq!(
            r.total,
            Counts {
                views: 2900,
                clicks: 139,
                shares: 36
            }
        );
        assert_eq!(r.channels["blog"].views, 2000);
        assert_eq!(r.channels["social"].clicks, 9);
        // Equal views: more clicks first (p3 before p1); p2 is cut by top = 2.
        let ids: Vec<&str> = r.top.iter().map(|l| l.piece_id.as_str()).collect();
        assert_eq!(ids, ["p3", "p1"]);
        // 139 / 2900 = 4.79% -> 4.8; p3 80 / 1000 = 8.0%.
        assert_eq!(r.total.click_rate_pct(), Some(4.8));
        assert_eq!(r.top[0].counts.click_rate_pct(), Some(8.0));
        let text = report_text(&r);
        assert!(text.contains("All pieces (3): 2900 views, 139 clicks (4.8% of views), 36 shares"));
        assert!(text.contains("1. \"Title p3\" (p3, blog): 1000 views, 80 clicks (8.0% of views)"));
    }

    #[test]
    fn an_empty_week_says_so() {
        let r = summarise(&[], d("2026-05-04"), d("2026-05-10"), 5);
        assert_eq!(r.total, Counts::default());
        assert_eq!(r.total.click_rate_pct(), None);
        assert!(report_text(&r).contains("No engagement was observed this week."));
    }
}
