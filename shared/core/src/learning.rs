//! Continuous learning shared by the agents that score (leads, account health): a logistic
//! regression refit online, one gradient step per observed outcome. Every step is a new
//! version, so a score can always say which model produced it (`logit-v12`).

use serde::{Deserialize, Serialize};

/// A version of a learned model. `weights[0]` is the intercept; `features` names the rest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Logistic {
    pub version: u32,
    pub features: Vec<String>,
    pub weights: Vec<f64>,
    /// Outcomes learned so far.
    pub outcomes: u32,
    pub learning_rate: f64,
    /// L2 shrinkage towards zero per step (not on the intercept).
    pub l2: f64,
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

impl Logistic {
    /// A model starting from a prior: `intercept` and one weight per named feature.
    pub fn prior(intercept: f64, features: &[(&str, f64)]) -> Self {
        Self {
            version: 0,
            features: features.iter().map(|(n, _)| n.to_string()).collect(),
            weights: std::iter::once(intercept)
                .chain(features.iter().map(|(_, w)| *w))
                .collect(),
            outcomes: 0,
            learning_rate: 0.3,
            l2: 0.001,
        }
    }

    pub fn name(&self) -> String {
        format!("logit-v{}", self.version)
    }

    fn z(&self, x: &[f64]) -> f64 {
        self.weights[0]
            + self
                .weights
                .iter()
                .skip(1)
                .zip(x)
                .map(|(w, x)| w * x)
                .sum::<f64>()
    }

    /// Probability of the positive outcome for features `x` (without the intercept's 1).
    pub fn predict(&self, x: &[f64]) -> f64 {
        sigmoid(self.z(x))
    }

    /// One stochastic gradient step on an outcome; returns the next version.
    pub fn learn(&self, x: &[f64], positive: bool) -> Logistic {
        let y = if positive { 1.0 } else { 0.0 };
        let error = y - self.predict(x);
        let mut next = self.clone();
        next.weights[0] += self.learning_rate * error;
        for (i, w) in next.weights.iter_mut().enumerate().skip(1) {
            let xi = x.get(i - 1).copied().unwrap_or(0.0);
            *w += self.learning_rate * (error * xi - self.l2 * *w);
        }
        next.version += 1;
        next.outcomes += 1;
        next
    }

    /// The weights with their feature names, strongest first (for explanations).
    pub fn explain(&self) -> Vec<(String, f64)> {
        let mut v: Vec<(String, f64)> = self
            .features
            .iter()
            .zip(self.weights.iter().skip(1))
            .map(|(n, w)| (n.clone(), (w * 100.0).round() / 100.0))
            .collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1));
        v
    }
}

/// Learns one outcome into the model kept at `pk` in `domain` (`current`, plus every version
/// at `v<NNNNNN>`), starting from `prior` the first time; returns the new version. The write of
/// `current` is conditional on the version read, so two outcomes learned at once never lose
/// one (the loser is retried).
pub async fn learn_outcome(
    ctx: &mut crate::context::Ctx<'_>,
    domain: crate::agent::Domain,
    pk: &str,
    prior: impl FnOnce() -> Logistic,
    x: &[f64],
    positive: bool,
) -> Result<Logistic, crate::agent::AgentError> {
    use crate::ports::Condition;
    let current: Option<Logistic> = ctx.get_as(domain, pk, "current").await?;
    let condition = Condition::version(current.as_ref().map(|m| m.version));
    let next = current.unwrap_or_else(prior).learn(x, positive);
    ctx.put_record(domain, pk, "current", &next, None, condition)?;
    ctx.put_record(
        domain,
        pk,
        &format!("v{:06}", next.version),
        &next,
        None,
        Condition::NotExists,
    )?;
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_move_the_weights_and_each_step_is_a_version() {
        let mut m = Logistic::prior(0.0, &[("a", 0.0), ("b", 0.0)]);
        for i in 0..300 {
            let positive = i % 2 == 0;
            let x = [if positive { 1.0 } else { 0.1 }, 0.5];
            m = m.learn(&x, positive);
        }
        assert_eq!((m.version, m.outcomes), (300, 300));
        assert_eq!(m.explain()[0].0, "a");
        assert!(m.predict(&[1.0, 0.5]) > 0.8 && m.predict(&[0.1, 0.5]) < 0.2);
        assert_eq!(
            m.clone().learn(&[1.0, 0.5], true),
            m.learn(&[1.0, 0.5], true)
        );
    }
}
