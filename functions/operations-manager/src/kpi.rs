//! KPI monitoring as pure decisions: the day's counts and the running gauges the agent keeps
//! from the events, each KPI's value, where it stands against its bounds, and when a move is a
//! crossing (raised once: from within its bounds, or from the other side, to outside them).

use crate::settings::{Bounds, KpiBounds};
use ascent_core::catalog::Direction;
use serde::{Deserialize, Serialize};

/// A monitored KPI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kpi {
    DailyLeads,
    WinRate,
    OpenTickets,
    OverdueInvoices,
}

impl Kpi {
    pub const ALL: [Kpi; 4] = [
        Kpi::DailyLeads,
        Kpi::WinRate,
        Kpi::OpenTickets,
        Kpi::OverdueInvoices,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kpi::DailyLeads => "daily_leads",
            Kpi::WinRate => "win_rate",
            Kpi::OpenTickets => "open_tickets",
            Kpi::OverdueInvoices => "overdue_invoices",
        }
    }

    pub fn bounds(self, b: &KpiBounds) -> Bounds {
        match self {
            Kpi::DailyLeads => b.daily_leads,
            Kpi::WinRate => b.win_rate,
            Kpi::OpenTickets => b.open_tickets,
            Kpi::OverdueInvoices => b.overdue_invoices,
        }
    }
}

/// Leads created and deals closed on one day.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DayCounts {
    pub leads: u64,
    pub won: u64,
    pub lost: u64,
    pub version: u32,
}

/// What is open now: tickets not yet resolved, invoices in dunning not yet paid.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Gauges {
    pub open_tickets: u64,
    pub overdue_invoices: u64,
    pub version: u32,
}

/// Where a value stands against its bounds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    #[default]
    Within,
    Below,
    Above,
}

/// Each KPI's value for a day: `None` when there is nothing to measure (no deal closed).
pub fn values(day: &DayCounts, gauges: &Gauges) -> Vec<(Kpi, Option<f64>)> {
    let closed = day.won + day.lost;
    vec![
        (Kpi::DailyLeads, Some(day.leads as f64)),
        (
            Kpi::WinRate,
            (closed > 0).then(|| day.won as f64 / closed as f64),
        ),
        (Kpi::OpenTickets, Some(gauges.open_tickets as f64)),
        (Kpi::OverdueInvoices, Some(gauges.overdue_invoices as f64)),
    ]
}

/// Where `value` stands: below `min`, above `max`, or within (the bounds themselves are within).
pub fn standing(value: f64, b: Bounds) -> Standing {
    if b.min.is_some_and(|m| value < m) {
        Standing::Below
    } else if b.max.is_some_and(|m| value > m) {
        Standing::Above
    } else {
        Standing::Within
    }
}

/// A crossing to raise: a move to outside the bounds from anywhere else; staying outside, or
/// coming back within, raises nothing.
pub fn crossing(before: Standing, now: Standing, b: Bounds) -> Option<(Direction, f64)> {
    if now == before {
        return None;
    }
    match now {
        Standing::Within => None,
        Standing::Below => b.min.map(|m| (Direction::Below, m)),
        Standing::Above => b.max.map(|m| (Direction::Above, m)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_of_a_day() {
        let day = DayCounts {
            leads: 42,
            won: 3,
            lost: 9,
            version: 7,
        };
        let g = Gauges {
            open_tickets: 17,
            overdue_invoices: 4,
            version: 1,
        };
        let v = values(&day, &g);
        // 3 won of 12 closed: 0.25.
        assert_eq!(
            v,
            [
                (Kpi::DailyLeads, Some(42.0)),
                (Kpi::WinRate, Some(0.25)),
                (Kpi::OpenTickets, Some(17.0)),
                (Kpi::OverdueInvoices, Some(4.0)),
            ]
        );
        // No deal closed: no win rate (not 0%).
        assert_eq!(values(&DayCounts::default(), &g)[1], (Kpi::WinRate, None));
    }

    #[test]
    fn a_crossing_is_raised_once_per_move_outside() {
        let b = Bounds {
            min: Some(5.0),
            max: Some(150.0),
        };
        assert_eq!(standing(5.0, b), Standing::Within);
        assert_eq!(standing(4.0, b), Standing::Below);
        assert_eq!(standing(150.0, b), Standing::Within);
        assert_eq!(standing(151.0, b), Standing::Above);
        let within = Standing::Within;
        assert_eq!(
            crossing(within, Standing::Above, b),
            Some((Direction::Above, 150.0))
        );
        // Still above the next day: nothing new.
        assert_eq!(crossing(Standing::Above, Standing::Above, b), None);
        assert_eq!(crossing(Standing::Above, within, b), None);
        // Straight from above to below is a new crossing.
        assert_eq!(
            crossing(Standing::Above, Standing::Below, b),
            Some((Direction::Below, 5.0))
        );
    }
}
