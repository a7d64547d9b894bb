//! Continuous learning of the lead score: a logistic regression over the rule model's
//! components (company size, industry and role points, intent), refit online — one gradient
//! step per won or lost deal that came from a lead. Every update is a new version; a score
//! names the version that produced it (`logit-v12`). Until `min_outcomes` outcomes are
//! learned, the rule model scores (it is the prior the regression starts from).

use serde::{Deserialize, Serialize};

/// Feature names, in weight order (the first weight is the intercept).
pub const FEATURES: [&str; 5] = ["intercept", "size", "industry", "role", "intent"];

/// A version of the learned model (`model#lead-score` / `current` and `v<NNNNNN>`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogisticModel {
    pub version: u32,
    pub weights: [f64; 5],
    /// Outcomes learned so far.
    pub outcomes: u32,
    pub learning_rate: f64,
    /// L2 shrinkage towards zero per step (not on the intercept).
    pub l2: f64,
}

impl Default for LogisticModel {
    /// Starts near the rule model: probability rises with every component, ~0.5 at a score
    /// of 60 of 100.
    fn default() -> Self {
        Self {
            version: 0,
            weights: [-3.0, 1.2, 1.2, 1.0, 2.0],
            outcomes: 0,
            learning_rate: 0.3,
            l2: 0.001,
        }
    }
}

/// The regression's inputs from the rule model's component points (0–100 each).
pub fn features(size: u8, industry: u8, role: u8, intent: u8) -> [f64; 5] {
    [
        1.0,
        size as f64 / 100.0,
        industry as f64 / 100.0,
        role as f64 / 100.0,
        intent as f64 / 100.0,
    ]
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

impl LogisticModel {
    pub fn name(&self) -> String {
        format!("logit-v{}", self.version)
    }

    /// Probability of a win.
    pub fn predict(&self, x: &[f64; 5]) -> f64 {
        sigmoid(self.weights.iter().zip(x).map(|(w, x)| w * x).sum())
    }

    /// One stochastic gradient step on an outcome; returns the next version.
    pub fn learn(&self, x: &[f64; 5], won: bool) -> LogisticModel {
        let y = if won { 1.0 } else { 0.0 };
        let error = y - self.predict(x);
        let mut next = self.clone();
        for (i, w) in next.weights.iter_mut().enumerate() {
            let shrink = if i == 0 { 0.0 } else { self.l2 * *w };
            *w += self.learning_rate * (error * x[i] - shrink);
        }
        next.version += 1;
        next.outcomes += 1;
        next
    }

    /// The weights with their feature names, strongest first (for explanations).
    pub fn explain(&self) -> Vec<(String, f64)> {
        let mut v: Vec<(String, f64)> = FEATURES
            .iter()
            .zip(self.weights)
            .skip(1)
            .map(|(n, w)| (n.to_string(), (w * 100.0).round() / 100.0))
            .collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prior_ranks_like_the_rules() {
        let m = LogisticModel::default();
        let strong = m.predict(&features(100, 100, 100, 66));
        let weak = m.predict(&features(10, 30, 5, 0));
        assert!(strong > 0.75 && weak < 0.1, "{strong} {weak}");
    }

    #[test]
    fn outcomes_move_the_weights_and_each_step_is_a_version() {
        // A market where only company size matters: big companies buy, small ones never.
        let mut m = LogisticModel::default();
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
        assert_eq!(
            LogisticModel::default().learn(&x, true),
            LogisticModel::default().learn(&x, true)
        );
    }
}
