//! Anomalies of a KPI: the robust (modified) z-score of a day's value against the trailing
//! window of days before it.
//!
//! Iglewicz and Hoaglin (1993), *How to Detect and Handle Outliers* (ASQC Basic References in
//! Quality Control, vol. 16): `M = 0.6745 × (x − median) / MAD`, where MAD is the median of the
//! absolute deviations from the median; they recommend labelling `|M| > 3.5` a potential
//! outlier (the shipped `anomaly_threshold`). The median and MAD are not dragged by the very
//! outliers they look for, as a mean and standard deviation are.
//!
//! When more than half the window holds one value the MAD is 0 and the formula divides by
//! zero; then the mean absolute deviation stands in for it: `M = (x − median) / (1.253314 ×
//! MeanAD)` (1.253314 = √(π/2), the ratio of a normal's σ to its mean absolute deviation, as
//! IBM SPSS's modified z-score does). A window of one value throughout has no spread at all:
//! no score, so nothing is flagged (a quiet KPI that moves once is not measured against
//! nothing).

/// `0.6745`: the 0.75 quantile of the standard normal, so that `MAD / 0.6745` estimates σ.
pub const MAD_SCALE: f64 = 0.6745;
/// `√(π/2)`: σ of a normal over its mean absolute deviation.
pub const MEAN_AD_SCALE: f64 = 1.253_314;

/// The median of `xs` (the mean of the middle two for an even count); `None` when empty.
pub fn median(xs: &[f64]) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// The robust z-score of `x` against `window` with the centre it was measured from; `None`
/// for an empty window or one without any spread.
pub fn robust_z(x: f64, window: &[f64]) -> Option<Scored> {
    let med = median(window)?;
    let deviations: Vec<f64> = window.iter().map(|w| (w - med).abs()).collect();
    let mad = median(&deviations)?;
    let z = if mad > 0.0 {
        MAD_SCALE * (x - med) / mad
    } else {
        let mean_ad = deviations.iter().sum::<f64>() / deviations.len() as f64;
        if mean_ad <= 0.0 {
            return None;
        }
        (x - med) / (MEAN_AD_SCALE * mean_ad)
    };
    Some(Scored { median: med, z })
}

/// A value's robust z-score and the window's median.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scored {
    pub median: f64,
    pub z: f64,
}

impl Scored {
    /// Whether it is an anomaly at `threshold` (either side: a collapse as much as a spike).
    pub fn is_anomaly(&self, threshold: f64) -> bool {
        self.z.abs() > threshold
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn a_spike_in_a_steady_week_scores_far_above_3_5() {
        // Window sorted 9 10 10 11 12 12 13: median 11; deviations 0 1 1 1 1 1 2: MAD 1.
        let week = [10.0, 12.0, 11.0, 13.0, 9.0, 10.0, 12.0];
        let s = robust_z(30.0, &week).unwrap();
        assert_eq!(s.median, 11.0);
        // 0.6745 × (30 − 11) / 1 = 12.8155
        assert!((s.z - 12.8155).abs() < 1e-9, "{}", s.z);
        assert!(s.is_anomaly(3.5));
        // 12 is 0.6745 × 1 / 1 = 0.6745: ordinary.
        let s = robust_z(12.0, &week).unwrap();
        assert!((s.z - 0.6745).abs() < 1e-9);
        assert!(!s.is_anomaly(3.5));
    }

    #[test]
    fn a_collapse_scores_below_minus_the_threshold() {
        let week = [10.0, 12.0, 11.0, 13.0, 9.0, 10.0, 12.0];
        let s = robust_z(4.0, &week).unwrap();
        // 0.6745 × (4 − 11) / 1 = −4.7215
        assert!((s.z + 4.7215).abs() < 1e-9, "{}", s.z);
        assert!(s.is_anomaly(3.5));
    }

    #[test]
    fn one_outlier_in_the_window_does_not_hide_the_next() {
        // A mean and standard deviation would be dragged by the 40; the median and MAD are not.
        let window = [10.0, 11.0, 9.0, 40.0, 10.0, 11.0, 9.0];
        // Sorted 9 9 10 10 11 11 40: median 10; deviations 0 0 1 1 1 1 30: MAD 1.
        let s = robust_z(16.0, &window).unwrap();
        assert!((s.z - 0.6745 * 6.0).abs() < 1e-9);
        assert!(s.is_anomaly(3.5));
    }

    #[test]
    fn a_mad_of_zero_falls_back_to_the_mean_absolute_deviation() {
        // Six quiet days and one churn: median 0, MAD 0, mean absolute deviation 1/7.
        let window = [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0];
        let s = robust_z(3.0, &window).unwrap();
        // 3 / (1.253314 × 1/7) = 21 / 1.253314 = 16.755...
        assert!((s.z - 21.0 / 1.253_314).abs() < 1e-9, "{}", s.z);
        let s = robust_z(0.0, &window).unwrap();
        assert_eq!(s.z, 0.0);
    }

    #[test]
    fn a_window_without_any_spread_scores_nothing() {
        assert_eq!(robust_z(5.0, &[2.0; 14]), None);
        assert_eq!(robust_z(5.0, &[]), None);
    }
}
