//! Forecasts with bands: exact on an exact series, coverage near the nominal one on a series
//! with known noise, and too little history said rather than forecast.

use super::*;
use crate::holt_winters::Smoothing;

const WEEK: [f64; 7] = [-30.0, 5.0, 10.0, 12.0, 15.0, 8.0, -20.0];

fn method(weights: Weights, origins: usize) -> Method {
    Method {
        season_days: 7,
        horizon_days: 7,
        backtest_origins: origins,
        min_backtest_origins: 8,
        coverages: vec![0.8, 0.95],
        weights,
    }
}

fn fixed() -> Weights {
    Weights::Fixed(Smoothing {
        alpha: 0.2,
        beta: 0.05,
        gamma: 0.2,
    })
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// SplitMix64 and Box-Muller: standard normal draws, the same for a seed on every machine.
struct Noise(u64);

impl Noise {
    fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform().max(1e-300), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

#[test]
fn an_exact_series_is_forecast_exactly_with_zero_width_bands() {
    // 42 days to Sunday 2026-03-01; the forecast starts Monday 2026-03-02.
    let y: Vec<f64> = (0..42)
        .map(|t| 500.0 + 4.0 * t as f64 + WEEK[t % 7])
        .collect();
    let f = forecast(
        OperationsSeries::Tickets,
        "tickets",
        &y,
        d("2026-03-02"),
        &method(Weights::Grid(vec![0.1, 0.5]), 28),
    );
    assert_eq!(f.note, None);
    assert_eq!(f.history_days, 42);
    // 7 + 8 + … : the last 7 days are t = 35..=41; the 7 before t = 28..=34.
    let week = |a: usize| (a..a + 7).map(|t| y[t]).sum::<f64>();
    assert_eq!((f.last_7_days, f.previous_7_days), (week(35), week(28)));
    assert_eq!(f.trend_per_day, Some(4.0));
    // 42 days: origins 14..=35, 22 of the 28 wanted.
    assert_eq!(f.backtest_origins, 22);
    assert_eq!(f.points.len(), 7);
    for (h, p) in f.points.iter().enumerate() {
        let t = 42 + h;
        assert_eq!(p.day, d("2026-03-02") + Duration::days(h as i64));
        assert_eq!(p.value, 500.0 + 4.0 * t as f64 + WEEK[t % 7]);
        assert_eq!(p.bands.len(), 2);
        for b in &p.bands {
            assert_eq!((b.lower, b.upper), (p.value, p.value), "{b:?}");
        }
    }
}

#[test]
fn too_little_history_is_said_not_forecast() {
    let y = [3.0; 13];
    let f = forecast(
        OperationsSeries::Tickets,
        "tickets",
        &y,
        d("2026-03-02"),
        &method(fixed(), 28),
    );
    assert!(f.points.is_empty());
    assert_eq!(f.smoothing, None);
    assert_eq!(
        f.note.as_deref(),
        Some("13 days of history; a forecast needs 14 (two seasons)")
    );
    assert_eq!((f.last_7_days, f.previous_7_days), (21.0, 18.0));
}

#[test]
fn a_forecast_without_enough_origins_has_no_bands_and_says_why() {
    // 20 days: a forecast, but 8 origins 7 days ahead need 14 + 7 + 8 − 1 = 28 days.
    let y: Vec<f64> = (0..20).map(|t| 50.0 + WEEK[t % 7]).collect();
    let f = forecast(
        OperationsSeries::Revenue,
        "USD",
        &y,
        d("2026-03-02"),
        &method(fixed(), 28),
    );
    assert_eq!(f.points.len(), 7);
    assert!(f.points.iter().all(|p| p.bands.is_empty()));
    assert_eq!(f.backtest_origins, 0);
    assert_eq!(
        f.note.as_deref(),
        Some(
            "no error bands yet: back-testing 8 origins 7 days ahead needs 28 days of \
             history, 8 more"
        )
    );
}

#[test]
fn values_and_bands_never_go_below_zero() {
    // A series falling towards zero: the forecast would go negative.
    let y: Vec<f64> = (0..40)
        .map(|t| (80.0 - 2.5 * t as f64 + WEEK[t % 7] / 10.0).max(0.0))
        .collect();
    let f = forecast(
        OperationsSeries::Pipeline,
        "USD",
        &y,
        d("2026-03-02"),
        &method(fixed(), 10),
    );
    for p in &f.points {
        assert!(p.value >= 0.0, "{p:?}");
        assert!(p.bands.iter().all(|b| b.lower >= 0.0 && b.upper >= 0.0));
    }
}

/// The bands hold about the share of actual values they are meant to: over 300 series of a
/// trend, a weekly pattern and normal noise (σ = 10), the next 7 days fall inside the 80% band
/// about 80% of the time and inside the 95% band about 95% of the time. (Quantiles of 60
/// back-tested errors: expected coverage a little under nominal, (60 − 1) × c / (60 + 1).)
#[test]
fn back_tested_bands_cover_about_their_nominal_share() {
    let m = method(fixed(), 60);
    let n = 14 + 7 + 60 - 1;
    let mut noise = Noise(2026);
    let (mut inside, mut checks) = ([0usize; 2], 0usize);
    for trial in 0..300 {
        let level = 100.0 + trial as f64;
        let y: Vec<f64> = (0..n + 7)
            .map(|t| level + 0.8 * t as f64 + WEEK[t % 7] + 10.0 * noise.normal())
            .collect();
        let f = forecast(
            OperationsSeries::Tickets,
            "tickets",
            &y[..n],
            d("2026-03-02"),
            &m,
        );
        assert_eq!(f.backtest_origins, 60);
        for (h, p) in f.points.iter().enumerate() {
            let actual = y[n + h];
            for (i, b) in p.bands.iter().enumerate() {
                inside[i] += usize::from(b.lower <= actual && actual <= b.upper);
            }
            checks += 1;
        }
    }
    let share = |i: usize| inside[i] as f64 / checks as f64;
    eprintln!(
        "coverage of the 80% band {:.3}, of the 95% band {:.3}",
        share(0),
        share(1)
    );
    assert!((0.75..=0.85).contains(&share(0)), "80% band: {}", share(0));
    assert!((0.91..=0.98).contains(&share(1)), "95% band: {}", share(1));
}
