//! Scoring with the configured rules, or with the learned model once it has learned from
//! enough outcomes; won and lost deals that name their lead teach the model (the model itself
//! is in `learning`).

use crate::learning::{self, LogisticModel};
use crate::scoring::{LeadFacts, LeadScore};
use crate::{LeadGeneration, LeadRecord, lead_pk};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::{InteractionKind, LeadCreated};
use ascent_core::context::Ctx;
use ascent_core::ports::Condition;
use chrono::{DateTime, Utc};
use serde_json::json;

/// Where the learned model lives (performance domain).
pub const MODEL_PK: &str = "model#lead-score";

impl LeadGeneration {
    /// Scores with the rules, or with the learned model once it has learned enough.
    pub(crate) async fn score(
        &self,
        ctx: &mut Ctx<'_>,
        lead: &LeadCreated,
        interactions: &[(InteractionKind, DateTime<Utc>)],
        at: DateTime<Utc>,
    ) -> Result<(LeadScore, String), AgentError> {
        let mut score = self.config.scoring.score(
            &LeadFacts {
                company_size: lead.company_size,
                industry: &lead.industry,
                role: &lead.role,
                interactions,
            },
            at,
        );
        let learned: Option<LogisticModel> =
            ctx.get_as(Domain::Performance, MODEL_PK, "current").await?;
        match learned.filter(|m| m.outcomes >= self.config.learn_after_outcomes) {
            Some(m) => {
                let x = self.features(lead, score.intent);
                score.score = (m.predict(&x) * 100.0).round().clamp(0.0, 100.0) as u8;
                score.grade = self.config.scoring.grade(score.score);
                let weights: Vec<String> = m
                    .explain()
                    .iter()
                    .map(|(n, w)| format!("{n} {w:+}"))
                    .collect();
                score.reasons.push(format!(
                    "learned from {} outcomes: {}",
                    m.outcomes,
                    weights.join(", ")
                ));
                Ok((score, m.name()))
            }
            None => Ok((score, self.config.scoring.name.clone())),
        }
    }

    pub(crate) fn features(&self, lead: &LeadCreated, intent: u8) -> [f64; 4] {
        learning::features(
            self.config.scoring.size_points(lead.company_size),
            self.config.scoring.industry_points(&lead.industry),
            self.config.scoring.role_points(&lead.role),
            intent,
        )
    }

    /// Learns from a deal outcome that names its lead; a won deal keeps the lead's records
    /// ([`Ctx::keep`]).
    pub(crate) async fn on_outcome(
        &self,
        ctx: &mut Ctx<'_>,
        lead_id: Option<&str>,
        won: bool,
    ) -> Result<(), AgentError> {
        let Some(lead_id) = lead_id else {
            return Ok(()); // a deal without a lead teaches nothing about leads
        };
        let Some(record) = ctx
            .get_as::<LeadRecord>(Domain::Customer, &lead_pk(lead_id), "profile")
            .await?
        else {
            return Ok(()); // a lead from before this system, or flagged and never scored
        };
        if won {
            // A converted lead is kept while the customer relationship lasts: its records and
            // its address's claim leave the `unconverted_leads_days` clock.
            ctx.keep(Domain::Customer, &lead_pk(lead_id)).await?;
            ctx.keep(Domain::Customer, &crate::email_pk(&record.email))
                .await?;
        }
        if ctx
            .get(Domain::Customer, &lead_pk(lead_id), "outcome")
            .await?
            .is_some()
        {
            return Ok(()); // its outcome was learned already
        }
        let next = ascent_core::learning::learn_outcome(
            ctx,
            Domain::Performance,
            MODEL_PK,
            learning::prior,
            &self.features(&record.lead, record.score.intent),
            won,
        )
        .await?;
        ctx.put_record(
            Domain::Customer,
            &lead_pk(lead_id),
            "outcome",
            &json!({"won": won, "learned_into": next.name()}),
            None,
            Condition::NotExists,
        )
    }
}
