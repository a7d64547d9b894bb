//! Continuous learning of the lead score: a logistic regression over the rule model's
//! components (company size, industry and role points, intent), refit online — one gradient
//! step per won or lost deal that came from a lead. Every update is a new version; a score
//! names the version that produced it (`logit-v12`). Until `min_outcomes` outcomes are
//! learned, the rule model scores (it is the prior the regression starts from).

/// A version of the learned model (`model#lead-score` / `current` and `v<NNNNNN>`).
pub type LogisticModel = ascent_core::learning::Logistic;

/// Starts near the rule model: probability rises with every component, ~0.5 at a score of 60
/// of 100.
pub fn prior() -> LogisticModel {
    LogisticModel::prior(
        -3.0,
        &[
            ("size", 1.2),
            ("industry", 1.2),
            ("role", 1.0),
            ("intent", 2.0),
        ],
    )
}

/// The regression's inputs from the rule model's component points (0–100 each).
pub fn features(size: u8, industry: u8, role: u8, intent: u8) -> [f64; 4] {
    [
        size as f64 / 100.0,
        industry as f64 / 100.0,
        role as f64 / 100.0,
        intent as f64 / 100.0,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prior_ranks_like_the_rules() {
        let m = prior();
        let strong = m.predict(&features(100, 100, 100, 66));
        let weak = m.predict(&features(10, 30, 5, 0));
        assert!(strong > 0.75 && weak < 0.1, "{strong} {weak}");
    }

    #[test]
    fn outcomes_move_the_weights_and_each_step_is_a_version() {
        // A market where only company size matters: big companies buy, small ones never.
        let mut m = prior();
        for i in 0..400 {
            let big = i % 2 == 0;
            let industry = if i % 3 == 0 { 100 } else { 30 };
            let x = features(if big { 100 } else { 20 }, industry, 60, 30);
            m = m.learn(&x, big);
        }
        assert_eq!(m.version, 400);
        assert_eq!(m.name(), "logit-v400");
        assert_eq!(m.explain()[0].0, "size");
        let big = m.predict(&features(100, 30, 60, 30));
        let small = m.predict(&features(20, 100, 60, 30));
        assert!(big > 0.8 && small < 0.2, "{big} {small}");
    }

    #[test]
    fn learning_is_deterministic() {
        let x = features(85, 90, 80, 40);
        assert_eq!(prior().learn(&x, true), prior().learn(&x, true));
    }
}
