//! Honest error bands by rolling-origin back-testing.
//!
//! From each of the last `origins` origins `o` (the model fitted on the first `o` days only,
//! its weights chosen on those days too) the next `horizon` days are forecast and compared with
//! what happened: horizon `h` collects one error `actual − forecast` per origin. The band of a
//! forecast `h` days ahead at coverage `c` is the forecast plus the empirical `(1 − c) / 2` and
//! `(1 + c) / 2` quantiles of those errors (linear interpolation between order statistics).
//! Origins are the latest ones whose whole horizon is already observed, so every horizon has
//! the same number of errors; an origin needs two seasons before it to fit.

use crate::holt_winters::{ForecastError, Weights};

/// The errors of each horizon (`errors[h - 1]`), one per origin, in origin order.
#[derive(Clone, Debug, PartialEq)]
pub struct Backtest {
    pub origins: usize,
    pub errors: Vec<Vec<f64>>,
}

/// How many origins `n` observations allow for `horizon` days with seasons of `m`, at most
/// `wanted`.
pub fn origins_available(n: usize, m: usize, horizon: usize, wanted: usize) -> usize {
    // Origins o with 2m <= o and o + horizon <= n.
    n.saturating_sub(horizon)
        .saturating_add(1)
        .saturating_sub(2 * m)
        .min(wanted)
}

/// Back-tests `y` from the last `wanted` possible origins (fewer when the history is short).
pub fn backtest(
    y: &[f64],
    m: usize,
    horizon: usize,
    wanted: usize,
    weights: &Weights,
) -> Result<Backtest, ForecastError> {
    let k = origins_available(y.len(), m, horizon, wanted);
    let mut errors = vec![Vec::with_capacity(k); horizon];
    if k == 0 {
        return Ok(Backtest { origins: 0, errors });
    }
    let last = y.len() - horizon;
    for o in (last + 1 - k)..=last {
        let f = weights.fit(&y[..o], m)?;
        for (h, forecast) in f.forecast(horizon).into_iter().enumerate() {
            errors[h].push(y[o + h] - forecast);
        }
    }
    Ok(Backtest { origins: k, errors })
}

/// The `q` quantile (0..=1) of `xs` by linear interpolation between order statistics
/// (Hyndman and Fan's type 7, the default of R and NumPy); `None` for no values.
pub fn quantile(xs: &[f64], q: f64) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    let mut s = xs.to_vec();
    s.sort_by(f64::total_cmp);
    let pos = (s.len() - 1) as f64 * q.clamp(0.0, 1.0);
    let (lo, frac) = (pos.floor() as usize, pos - pos.floor());
    let hi = (lo + 1).min(s.len() - 1);
    Some(s[lo] + frac * (s[hi] - s[lo]))
}

/// The band's offsets `(below, above)` around a forecast at `coverage` from a horizon's errors.
pub fn band(errors: &[f64], coverage: f64) -> Option<(f64, f64)> {
    let tail = (1.0 - coverage) / 2.0;
    Some((quantile(errors, tail)?, quantile(errors, 1.0 - tail)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::holt_winters::Smoothing;

    #[test]
    fn quantiles_interpolate_between_order_statistics() {
        let e = [5.0, -1.0, 2.0, -3.0, 0.0]; // sorted: −3, −1, 0, 2, 5
        // 10%: position 0.4 → −3 + 0.4 × 2 = −2.2; 90%: position 3.6 → 2 + 0.6 × 3 = 3.8.
        let (lo, hi) = band(&e, 0.8).unwrap();
        assert!(
            (lo + 2.2).abs() < 1e-12 && (hi - 3.8).abs() < 1e-12,
            "{lo} {hi}"
        );
        assert_eq!(quantile(&e, 0.5), Some(0.0));
        assert_eq!(quantile(&e, 0.0), Some(-3.0));
        assert_eq!(quantile(&e, 1.0), Some(5.0));
        assert_eq!(quantile(&[], 0.5), None);
        assert_eq!(band(&[], 0.95), None);
    }

    #[test]
    fn origins_need_two_seasons_before_them_and_the_horizon_after() {
        // 30 days, weekly season, 7 days ahead: origins 14..=23, i.e. 10.
        assert_eq!(origins_available(30, 7, 7, 28), 10);
        assert_eq!(origins_available(30, 7, 7, 4), 4);
        assert_eq!(origins_available(20, 7, 7, 28), 0);
        assert_eq!(origins_available(21, 7, 7, 28), 1);
        assert_eq!(origins_available(3, 7, 7, 28), 0);
    }

    /// Given a hand-sized series (8 observations, season 2, horizon 2) the latest two origins
    /// whose horizon is observed are 5 and 6, and the errors are those of the fits on the
    /// first 5 and the first 6 observations.
    #[test]
    fn the_errors_come_from_fits_on_the_data_before_each_origin() {
        let y = [10.0, 20.0, 14.0, 24.0, 16.0, 28.0, 19.0, 31.0];
        let w = Weights::Fixed(Smoothing {
            alpha: 0.5,
            beta: 0.5,
            gamma: 0.5,
        });
        let b = backtest(&y, 2, 2, 2, &w).unwrap();
        assert_eq!(b.origins, 2);
        // Origin 6 (the hand example of holt_winters): 20.625 and 31.375 for 19 and 31.
        assert_eq!((b.errors[0][1], b.errors[1][1]), (-1.625, -0.375));
        // Origin 5: after t=4 the state is l 21, b 1.5, s0 −4.5, s1 4, so the forecasts are
        // 21 + 1.5 + 4 = 26.5 and 21 + 3 − 4.5 = 19.5, for 28 and 19.
        assert_eq!(w.fit(&y[..5], 2).unwrap().forecast(2), [26.5, 19.5]);
        assert_eq!((b.errors[0][0], b.errors[1][0]), (1.5, -0.5));
        assert_eq!(b.errors[1].len(), 2);
        // Too short: no origin, no error.
        let none = backtest(&y[..4], 2, 2, 5, &w).unwrap();
        assert_eq!(none.origins, 0);
        assert!(none.errors.iter().all(Vec::is_empty));
    }
}
