//! The settings of the health score: `[retention.health]` of `ascent.toml` (how the five
//! components are scored and weighted, [`HealthSettings`]) and `[retention.model]` (where the
//! learned model starts, [`ModelStart`]), each checked with the key named.

use ascent_core::catalog::TicketPriority;
use ascent_core::config::{Invalid, check_in_range};
use ascent_core::learning::Logistic;
use serde::{Deserialize, Serialize};

/// `[retention.model]`: where the learned model (a logistic regression over the components on
/// 0–1) starts before it learns from renewals and churns.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelStart {
    pub intercept: f64,
    /// One weight per component (any sign; not shares).
    pub weights: Weights,
}

impl ModelStart {
    /// Every figure finite; paths start at `at` (e.g. `model`).
    pub fn check(&self, at: &str) -> Result<(), Invalid> {
        let named = std::iter::once(("intercept".to_string(), self.intercept)).chain(
            self.weights
                .all()
                .into_iter()
                .map(|(n, w)| (format!("weights.{n}"), w)),
        );
        for (name, v) in named {
            if !v.is_finite() || v.abs() > 1_000.0 {
                return Err(Invalid::new(
                    format!("{at}.{name}"),
                    format!("{v} is not a weight (a finite number within ±1000)"),
                ));
            }
        }
        Ok(())
    }

    /// The model before its first outcome.
    pub fn prior(&self) -> Logistic {
        Logistic::prior(self.intercept, &self.weights.all())
    }
}

/// `[retention.health]`: how the components are scored and weighted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthSettings {
    /// Share of each component in the default score.
    pub weights: Weights,
    /// Usage is compared over the last this many days against as many before; tickets count
    /// over the last this many days.
    pub window_days: u32,
    /// Days of sessions and tickets kept per account.
    pub history_days: u32,
    /// A usage ratio (recent / before) at or below this scores 0; 1 or more scores 100.
    pub usage_ratio_floor: f64,
    /// An account younger than this without usage or activity yet is new …
    pub new_account_days: u32,
    /// … and scores this for usage trend and engagement.
    pub new_account_points: u8,
    /// Points each ticket of the window takes off 100, by priority.
    pub ticket_penalty: TicketPenalty,
    /// NPS points of an account that has not answered.
    pub no_nps_points: u8,
    /// Engagement points by days since last activity: the first band the idle days are
    /// within; beyond the last, 0.
    pub engagement: Vec<EngagementBand>,
}

/// Share of each component in the default score.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    pub usage_trend: f64,
    pub tickets: f64,
    pub nps: f64,
    pub payments: f64,
    pub engagement: f64,
}

impl Weights {
    pub(crate) fn of(&self, name: &str) -> f64 {
        match name {
            "usage_trend" => self.usage_trend,
            "tickets" => self.tickets,
            "nps" => self.nps,
            "payments" => self.payments,
            "engagement" => self.engagement,
            _ => 0.0,
        }
    }

    pub(crate) fn all(&self) -> [(&'static str, f64); 5] {
        [
            ("usage_trend", self.usage_trend),
            ("tickets", self.tickets),
            ("nps", self.nps),
            ("payments", self.payments),
            ("engagement", self.engagement),
        ]
    }
}

/// Points a ticket takes off, by priority.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketPenalty {
    pub urgent: u8,
    pub high: u8,
    pub normal: u8,
    pub low: u8,
}

impl TicketPenalty {
    pub(crate) fn of(&self, p: TicketPriority) -> f64 {
        f64::from(match p {
            TicketPriority::Urgent => self.urgent,
            TicketPriority::High => self.high,
            TicketPriority::Normal => self.normal,
            TicketPriority::Low => self.low,
        })
    }
}

/// Activity within `within_days` days scores `points`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngagementBand {
    pub within_days: u32,
    pub points: u8,
}

impl HealthSettings {
    /// The rules of `[retention.health]`; paths start at `at` (e.g. `health`).
    pub fn check(&self, at: &str) -> Result<(), Invalid> {
        let w = self.weights.all();
        for (name, v) in w {
            if !(v.is_finite() && v >= 0.0) {
                return Err(Invalid::new(
                    format!("{at}.weights.{name}"),
                    format!("{v} is not a share (0 … 1)"),
                ));
            }
        }
        let sum: f64 = w.iter().map(|(_, v)| v).sum();
        if (sum - 1.0).abs() > 1e-9 {
            return Err(Invalid::new(
                format!("{at}.weights"),
                format!("the shares add up to {sum}, not 1"),
            ));
        }
        check_in_range(&format!("{at}.window_days"), self.window_days, 1, 365)?;
        check_in_range(
            &format!("{at}.history_days"),
            self.history_days,
            2 * self.window_days,
            3650,
        )?;
        if !(self.usage_ratio_floor.is_finite() && (0.0..1.0).contains(&self.usage_ratio_floor)) {
            return Err(Invalid::new(
                format!("{at}.usage_ratio_floor"),
                format!("{} is outside 0 … <1", self.usage_ratio_floor),
            ));
        }
        check_in_range(
            &format!("{at}.new_account_days"),
            self.new_account_days,
            0,
            3650,
        )?;
        check_in_range(
            &format!("{at}.new_account_points"),
            self.new_account_points,
            0,
            100,
        )?;
        let p = self.ticket_penalty;
        for (name, v) in [
            ("urgent", p.urgent),
            ("high", p.high),
            ("normal", p.normal),
            ("low", p.low),
        ] {
            check_in_range(&format!("{at}.ticket_penalty.{name}"), v, 0, 100)?;
        }
        check_in_range(&format!("{at}.no_nps_points"), self.no_nps_points, 0, 100)?;
        for (i, b) in self.engagement.iter().enumerate() {
            let path = format!("{at}.engagement[{i}]");
            if i > 0 && b.within_days <= self.engagement[i - 1].within_days {
                return Err(Invalid::new(
                    format!("{path}.within_days"),
                    format!(
                        "{} is not above the band before ({})",
                        b.within_days,
                        self.engagement[i - 1].within_days
                    ),
                ));
            }
            check_in_range(&format!("{path}.points"), b.points, 0, 100)?;
        }
        Ok(())
    }
}
