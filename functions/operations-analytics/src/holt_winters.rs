//! Holt-Winters additive exponential smoothing: a level, a trend and a season of `m` periods
//! (a week of days for the daily series), each updated by its own smoothing weight.
//!
//! For observation `y_t` with the state of `t - 1`:
//!
//! ```text
//! one-step forecast   ŷ_t = l + b + s_(t-m)
//! level               l_t = α (y_t − s_(t-m)) + (1 − α)(l + b)
//! trend               b_t = β (l_t − l) + (1 − β) b
//! season              s_t = γ (y_t − l_t) + (1 − γ) s_(t-m)
//! forecast h ahead    ŷ_(T+h) = l_T + h b_T + s_(T-m+1+((h-1) mod m))
//! ```
//!
//! The state starts from the first two seasons: the trend is the difference of their means per
//! period, the level is the first season's mean carried to its last period, and each seasonal
//! term is the first season's value less that line. A series that is exactly a linear trend
//! plus a repeating pattern is then forecast exactly, whatever the weights. The weights are
//! either given or fitted by a grid search minimising the sum of squared one-step errors over
//! every observation after the first season ([`fit_best`]).

use serde::{Deserialize, Serialize};

/// Why a series cannot be forecast.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ForecastError {
    /// Fewer than two seasons of observations: no trend or season can be told apart.
    #[error("{days} days of history; a forecast needs {needs} (two seasons)")]
    TooLittleHistory { days: usize, needs: usize },
    /// A season shorter than two periods, or no weights to choose from.
    #[error("{0}")]
    Method(String),
}

/// The three smoothing weights, each in (0, 1].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Smoothing {
    /// Level.
    pub alpha: f64,
    /// Trend.
    pub beta: f64,
    /// Season.
    pub gamma: f64,
}

/// The state after the last observation, and how well the one-step forecasts did.
#[derive(Clone, Debug, PartialEq)]
pub struct Fit {
    pub smoothing: Smoothing,
    pub level: f64,
    /// Change of the level per period.
    pub trend: f64,
    /// The seasonal terms of the last `m` periods, oldest first: `season[0]` applies to the
    /// period after the last observation.
    pub season: Vec<f64>,
    /// Sum of squared one-step errors after the first season.
    pub sse: f64,
}

impl Fit {
    /// The forecasts of the next `horizon` periods.
    pub fn forecast(&self, horizon: usize) -> Vec<f64> {
        let m = self.season.len();
        (1..=horizon)
            .map(|h| self.level + h as f64 * self.trend + self.season[(h - 1) % m])
            .collect()
    }
}

fn check(y: &[f64], m: usize) -> Result<(), ForecastError> {
    if m < 2 {
        return Err(ForecastError::Method(format!(
            "a season of {m} periods: at least 2"
        )));
    }
    if y.len() < 2 * m {
        return Err(ForecastError::TooLittleHistory {
            days: y.len(),
            needs: 2 * m,
        });
    }
    Ok(())
}

/// Fits the model to `y` with season length `m` and the weights `w`.
pub fn fit(y: &[f64], m: usize, w: Smoothing) -> Result<Fit, ForecastError> {
    check(y, m)?;
    let mean = |s: &[f64]| s.iter().sum::<f64>() / s.len() as f64;
    let (first, second) = (mean(&y[..m]), mean(&y[m..2 * m]));
    let mut trend = (second - first) / m as f64;
    let centre = (m as f64 - 1.0) / 2.0;
    // The first season's line, at its last period.
    let mut level = first + trend * centre;
    // season[i]: the term for period t with t mod m == i, kept in a ring.
    let mut season: Vec<f64> = (0..m)
        .map(|i| y[i] - (first + trend * (i as f64 - centre)))
        .collect();
    let mut sse = 0.0;
    for (t, &obs) in y.iter().enumerate().skip(m) {
        let i = t % m;
        let e = obs - (level + trend + season[i]);
        sse += e * e;
        let previous = level;
        level = w.alpha * (obs - season[i]) + (1.0 - w.alpha) * (level + trend);
        trend = w.beta * (level - previous) + (1.0 - w.beta) * trend;
        season[i] = w.gamma * (obs - level) + (1.0 - w.gamma) * season[i];
    }
    // Rotate so season[0] is the term of the period after the last observation.
    let next = y.len() % m;
    season.rotate_left(next);
    Ok(Fit {
        smoothing: w,
        level,
        trend,
        season,
        sse,
    })
}

/// Fits with every combination of `grid` for the three weights and keeps the smallest
/// one-step SSE (the first in grid order on a tie).
pub fn fit_best(y: &[f64], m: usize, grid: &[f64]) -> Result<Fit, ForecastError> {
    check(y, m)?;
    let mut best: Option<Fit> = None;
    for &alpha in grid {
        for &beta in grid {
            for &gamma in grid {
                let f = fit(y, m, Smoothing { alpha, beta, gamma })?;
                if best.as_ref().is_none_or(|b| f.sse < b.sse) {
                    best = Some(f);
                }
            }
        }
    }
    best.ok_or_else(|| ForecastError::Method("no smoothing weights to choose from".into()))
}

/// How the weights are chosen: given in the configuration, or fitted over a grid.
#[derive(Clone, Debug, PartialEq)]
pub enum Weights {
    Fixed(Smoothing),
    Grid(Vec<f64>),
}

impl Weights {
    pub fn fit(&self, y: &[f64], m: usize) -> Result<Fit, ForecastError> {
        match self {
            Weights::Fixed(w) => fit(y, m, *w),
            Weights::Grid(g) => fit_best(y, m, g),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HALF: Smoothing = Smoothing {
        alpha: 0.5,
        beta: 0.5,
        gamma: 0.5,
    };

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    /// Given six observations with a season of two and every weight 0.5, the state, the
    /// one-step errors and the forecasts are those worked out by hand (docs/operations.md).
    #[test]
    fn a_hand_computed_example() {
        let y = [10.0, 20.0, 14.0, 24.0, 16.0, 28.0];
        // Seasons' means 15 and 19: trend (19 − 15) / 2 = 2; level 15 + 2 × 0.5 = 16;
        // season 10 − 14 = −4 and 20 − 16 = 4.
        // t=2: ŷ 16+2−4 = 14, e 0;  l 0.5(14+4)+0.5(18) = 18, b 2,    s0 −4
        // t=3: ŷ 18+2+4 = 24, e 0;  l 0.5(24−4)+0.5(20) = 20, b 2,    s1 4
        // t=4: ŷ 20+2−4 = 18, e −2; l 0.5(16+4)+0.5(22) = 21, b 1.5,  s0 −4.5
        // t=5: ŷ 21+1.5+4 = 26.5, e 1.5; l 0.5(28−4)+0.5(22.5) = 23.25, b 1.875, s1 4.375
        let f = fit(&y, 2, HALF).unwrap();
        assert!(close(f.level, 23.25), "{f:?}");
        assert!(close(f.trend, 1.875), "{f:?}");
        assert_eq!(f.season, [-4.5, 4.375]);
        assert!(close(f.sse, 6.25), "{f:?}");
        // 23.25 + 1.875 − 4.5; 23.25 + 3.75 + 4.375; 23.25 + 5.625 − 4.5
        assert_eq!(f.forecast(3), [20.625, 31.375, 24.375]);
    }

    /// A linear trend plus a weekly pattern is forecast exactly from any weights, and its
    /// one-step errors are all zero.
    #[test]
    fn a_pure_weekly_pattern_on_a_trend_is_forecast_exactly() {
        let pattern = [-30.0, 5.0, 10.0, 12.0, 15.0, 8.0, -20.0];
        let y: Vec<f64> = (0..35)
            .map(|t| 200.0 + 3.5 * t as f64 + pattern[t % 7])
            .collect();
        for w in [
            HALF,
            Smoothing {
                alpha: 0.1,
                beta: 0.9,
                gamma: 0.3,
            },
        ] {
            let f = fit(&y, 7, w).unwrap();
            assert!(f.sse < 1e-12, "{}", f.sse);
            for (h, v) in f.forecast(10).into_iter().enumerate() {
                let t = 35 + h;
                let truth = 200.0 + 3.5 * t as f64 + pattern[t % 7];
                assert!((v - truth).abs() < 1e-9, "h={} {v} vs {truth}", h + 1);
            }
        }
    }

    #[test]
    fn fewer_than_two_seasons_are_not_forecast() {
        let e = fit(&[5.0; 13], 7, HALF).unwrap_err();
        assert_eq!(
            e,
            ForecastError::TooLittleHistory {
                days: 13,
                needs: 14
            }
        );
        assert_eq!(
            e.to_string(),
            "13 days of history; a forecast needs 14 (two seasons)"
        );
        assert!(fit(&[5.0; 14], 7, HALF).is_ok());
        assert!(matches!(
            fit(&[1.0; 10], 1, HALF),
            Err(ForecastError::Method(_))
        ));
        assert!(matches!(
            fit_best(&[1.0; 10], 2, &[]),
            Err(ForecastError::Method(_))
        ));
    }

    /// The grid search keeps the weights with the smallest one-step SSE: on the hand example
    /// every combination of {0.5, 1.0} is tried, and the chosen one beats the others.
    #[test]
    fn the_grid_search_keeps_the_smallest_one_step_error() {
        let y = [10.0, 20.0, 14.0, 24.0, 16.0, 28.0, 19.0, 31.0];
        let grid = [0.5, 1.0];
        let best = fit_best(&y, 2, &grid).unwrap();
        for a in grid {
            for b in grid {
                for g in grid {
                    let w = Smoothing {
                        alpha: a,
                        beta: b,
                        gamma: g,
                    };
                    assert!(best.sse <= fit(&y, 2, w).unwrap().sse);
                }
            }
        }
        // Weights from the configuration are used as they are.
        let fixed = Weights::Fixed(HALF).fit(&y, 2).unwrap();
        assert_eq!(fixed.smoothing, HALF);
        assert_eq!(Weights::Grid(grid.to_vec()).fit(&y, 2).unwrap(), best);
    }
}
