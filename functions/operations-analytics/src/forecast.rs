//! One series' forecast for the report: its last two weeks, the Holt-Winters fit on its whole
//! (capped) history, the next `horizon_days` days, and for each day a band per configured
//! coverage from the back-tested errors of that horizon ([`crate::backtest`]). Values and bands
//! never go below zero (no negative revenue, pipeline or tickets). Too little history (fewer
//! than two seasons) is said in the note, not forecast; too little to back-test gives the
//! forecast without bands, with a note saying how much more history they need.

use crate::backtest::{self, origins_available};
use crate::holt_winters::Weights;
use crate::series;
use ascent_core::catalog::{
    ForecastBand, ForecastPoint, ForecastSmoothing, OperationsSeries, SeriesForecast,
};
use chrono::{Duration, NaiveDate};

/// How forecasts are made (from `[operations_analytics]`).
#[derive(Clone, Debug, PartialEq)]
pub struct Method {
    /// Periods in a season: 7 days.
    pub season_days: usize,
    pub horizon_days: usize,
    /// Origins back-tested (the latest whose horizon is observed).
    pub backtest_origins: usize,
    /// Fewer origins than this give no bands.
    pub min_backtest_origins: usize,
    /// Band coverages, ascending (0.8, 0.95).
    pub coverages: Vec<f64>,
    pub weights: Weights,
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The forecast of `values` (one per day, the last one yesterday) from `as_of` on.
pub fn forecast(
    s: OperationsSeries,
    unit: &str,
    values: &[f64],
    as_of: NaiveDate,
    method: &Method,
) -> SeriesForecast {
    let (last, previous) = series::weeks(values, series::is_stock(s));
    let mut out = SeriesForecast {
        series: s,
        unit: unit.to_string(),
        history_days: values.len() as u32,
        last_7_days: round2(last),
        previous_7_days: round2(previous),
        trend_per_day: None,
        smoothing: None,
        backtest_origins: 0,
        points: Vec::new(),
        note: None,
    };
    let m = method.season_days;
    let fit = match method.weights.fit(values, m) {
        Ok(f) => f,
        Err(e) => {
            out.note = Some(e.to_string());
            return out;
        }
    };
    out.trend_per_day = Some(round2(fit.trend));
    out.smoothing = Some(ForecastSmoothing {
        alpha: fit.smoothing.alpha,
        beta: fit.smoothing.beta,
        gamma: fit.smoothing.gamma,
    });
    let h = method.horizon_days;
    let k = origins_available(values.len(), m, h, method.backtest_origins);
    let errors = if k >= method.min_backtest_origins {
        backtest::backtest(values, m, h, k, &method.weights)
            .ok()
            .map(|b| b.errors)
    } else {
        None
    };
    match &errors {
        Some(_) => out.backtest_origins = k as u32,
        None => {
            // Origins need 2 seasons before them and the horizon after: n = 2m + h + k − 1.
            let needs = 2 * m + h + method.min_backtest_origins - 1;
            out.note = Some(format!(
                "no error bands yet: back-testing {} origins {h} days ahead needs {needs} days \
                 of history, {} more",
                method.min_backtest_origins,
                needs - values.len()
            ));
        }
    }
    out.points = fit
        .forecast(h)
        .into_iter()
        .enumerate()
        .map(|(i, f)| ForecastPoint {
            day: as_of + Duration::days(i as i64),
            value: round2(f.max(0.0)),
            bands: errors
                .as_ref()
                .map(|e| {
                    method
                        .coverages
                        .iter()
                        .filter_map(|&c| {
                            let (lo, hi) = backtest::band(&e[i], c)?;
                            Some(ForecastBand {
                                coverage: c,
                                lower: round2((f + lo).max(0.0)),
                                upper: round2((f + hi).max(0.0)),
                            })
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect();
    out
}

#[cfg(test)]
#[path = "forecast_tests.rs"]
mod tests;
