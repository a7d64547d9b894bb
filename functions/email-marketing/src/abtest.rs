//! A/B tests: each recipient's variant fixed by a hash of the campaign and the address (the
//! same on every retry), and the decision by a two-proportion z-test of the response rates
//! (opens or clicks) at the configured significance, once each variant has the configured
//! minimum of sends; otherwise, or without a significant difference, the rest of the segment
//! gets the first variant.

use ascent_core::catalog::{AbTestOutcome, AbVariantResult};
use sha2::{Digest, Sha256};

/// The variant (0 or 1) of a recipient in a campaign's test: half of the addresses each,
/// fixed by the campaign and the address.
pub fn variant_of(campaign_id: &str, email: &str) -> usize {
    let digest = Sha256::digest(format!("ab|{campaign_id}|{email}"));
    (digest[0] & 1) as usize
}

/// The test's rules (`[email_marketing.ab_test]`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AbRules {
    /// Two-sided significance level (0.05: 95% confidence).
    pub significance: f64,
    /// Sends each variant needs before the test can be decided on its merits.
    pub min_sample_per_variant: u32,
}

/// A decided test.
#[derive(Clone, Debug, PartialEq)]
pub struct AbDecision {
    pub outcome: AbTestOutcome,
    /// Index of the variant the rest get.
    pub rest_get: usize,
    pub z: Option<f64>,
    pub p_value: Option<f64>,
}

/// Decides a test of two variants from their sends and responses.
pub fn decide(results: &[AbVariantResult; 2], rules: AbRules) -> AbDecision {
    let [a, b] = results;
    if a.sent < rules.min_sample_per_variant || b.sent < rules.min_sample_per_variant {
        return AbDecision {
            outcome: AbTestOutcome::TooSmall,
            rest_get: 0,
            z: None,
            p_value: None,
        };
    }
    let z = z_statistic(a.responded, a.sent, b.responded, b.sent);
    let p = two_sided_p(z);
    let (outcome, rest_get) = if p < rules.significance {
        (AbTestOutcome::Winner, if z > 0.0 { 0 } else { 1 })
    } else {
        (AbTestOutcome::NoDifference, 0)
    };
    AbDecision {
        outcome,
        rest_get,
        z: Some(z),
        p_value: Some(p),
    }
}

/// The pooled two-proportion z statistic of `x1/n1` against `x2/n2` (0 when both rates are
/// 0 or 1: no variance, no evidence).
pub fn z_statistic(x1: u32, n1: u32, x2: u32, n2: u32) -> f64 {
    let (x1, n1, x2, n2) = (x1 as f64, n1 as f64, x2 as f64, n2 as f64);
    let pooled = (x1 + x2) / (n1 + n2);
    let se = (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)).sqrt();
    if se == 0.0 || !se.is_finite() {
        return 0.0;
    }
    (x1 / n1 - x2 / n2) / se
}

/// The two-sided p-value of a standard normal statistic: `erfc(|z| / √2)`.
pub fn two_sided_p(z: f64) -> f64 {
    erfc(z.abs() / std::f64::consts::SQRT_2)
}

/// The complementary error function (Numerical Recipes' Chebyshev fit, relative error below
/// 1.2e-7 everywhere).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(variant: &str, sent: u32, responded: u32) -> AbVariantResult {
        AbVariantResult {
            variant: variant.into(),
            sent,
            responded,
        }
    }

    const RULES: AbRules = AbRules {
        significance: 0.05,
        min_sample_per_variant: 500,
    };

    #[test]
    fn the_normal_tail_is_right_at_known_points() {
        assert!((two_sided_p(1.959_964) - 0.05).abs() < 1e-6);
        assert!((two_sided_p(-2.575_829) - 0.01).abs() < 1e-6);
        assert!((two_sided_p(0.0) - 1.0).abs() < 1e-6);
    }

    #[test]
    fn a_clear_winner_gets_the_rest_of_the_segment() {
        // 25% against 20% opens of 1,000 each: pooled 22.5%, se = √(.225 × .775 × 2/1000)
        // = 0.018675, z = 0.05 / 0.018675 = 2.677, p = 0.0074 < 0.05.
        let d = decide(&[result("A", 1000, 250), result("B", 1000, 200)], RULES);
        assert_eq!((d.outcome, d.rest_get), (AbTestOutcome::Winner, 0));
        assert!((d.z.unwrap() - 2.6774).abs() < 1e-3, "{d:?}");
        assert!((d.p_value.unwrap() - 0.00742).abs() < 1e-4, "{d:?}");
        // The same figures the other way round: B wins.
        let d = decide(&[result("A", 1000, 200), result("B", 1000, 250)], RULES);
        assert_eq!((d.outcome, d.rest_get), (AbTestOutcome::Winner, 1));
    }

    #[test]
    fn no_significant_difference_sends_the_first_variant() {
        // 21% against 20%: pooled 20.5%, se = 0.018054, z = 0.554, p = 0.580.
        let d = decide(&[result("A", 1000, 210), result("B", 1000, 200)], RULES);
        assert_eq!((d.outcome, d.rest_get), (AbTestOutcome::NoDifference, 0));
        assert!((d.z.unwrap() - 0.5539).abs() < 1e-3, "{d:?}");
        assert!((d.p_value.unwrap() - 0.5797).abs() < 1e-3, "{d:?}");
        // The first case's 5 points at a stricter level (p 0.0074 > 0.005): no winner.
        let strict = AbRules {
            significance: 0.005,
            ..RULES
        };
        let d = decide(&[result("A", 1000, 250), result("B", 1000, 200)], strict);
        assert_eq!(d.outcome, AbTestOutcome::NoDifference);
    }

    #[test]
    fn too_small_a_sample_is_not_judged_however_large_the_gap() {
        // 50% against 10% is a huge gap, but B has 499 sends of the 500 needed.
        let d = decide(&[result("A", 800, 400), result("B", 499, 50)], RULES);
        assert_eq!(d.outcome, AbTestOutcome::TooSmall);
        assert_eq!((d.rest_get, d.z, d.p_value), (0, None, None));
    }

    #[test]
    fn variants_split_addresses_about_evenly_and_never_change() {
        let ones: usize = (0..4000)
            .map(|i| variant_of("EM-1", &format!("user{i}@x.example")))
            .sum();
        assert!((1850..=2150).contains(&ones), "{ones}");
        assert_eq!(
            variant_of("EM-1", "a@x.example"),
            variant_of("EM-1", "a@x.example")
        );
        // Nothing to compare: no variance.
        assert_eq!(z_statistic(0, 100, 0, 100), 0.0);
    }
}
