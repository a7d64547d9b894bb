//! Interactions: each one kept in the interaction domain under its contact; one arriving for
//! a known lead re-scores it with the interactions of the intent window.

use crate::intake::Owner;
use crate::{LeadGeneration, LeadRecord, contact_pk, dedupe, email_pk, lead_pk};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::{InteractionKind, InteractionRecorded};
use ascent_core::context::Ctx;
use ascent_core::ports::{Condition, Query, SortKey};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

/// What scoring reads of a stored interaction (an `InteractionRecorded`): its kind and when.
#[derive(Deserialize)]
struct Seen {
    kind: InteractionKind,
    #[serde(deserialize_with = "ascent_core::time::deserialize")]
    occurred_at: DateTime<Utc>,
}

impl LeadGeneration {
    pub(crate) async fn interactions(
        &self,
        ctx: &mut Ctx<'_>,
        email: &str,
        at: DateTime<Utc>,
    ) -> Result<Vec<(InteractionKind, DateTime<Utc>)>, AgentError> {
        let from = at - Duration::days(self.config.scoring.intent_window_days);
        let q = Query::table(contact_pk(email)).sort(SortKey::Between(
            format!("interaction#{}", from.to_rfc3339()),
            format!("interaction#{}~", at.to_rfc3339()),
        ));
        Ok(ctx
            .query_as::<Seen>(Domain::Interaction, &q)
            .await?
            .into_iter()
            .map(|r| (r.kind, r.occurred_at))
            .collect())
    }

    pub(crate) async fn on_interaction(
        &self,
        ctx: &mut Ctx<'_>,
        i: &InteractionRecorded,
    ) -> Result<(), AgentError> {
        let email = dedupe::normalise_email(&i.email).ok_or_else(|| {
            AgentError::Invalid(format!(
                "interaction {}: field `email` is not a usable address",
                i.interaction_id
            ))
        })?;
        ctx.put_record(
            Domain::Interaction,
            &contact_pk(&email),
            &format!(
                "interaction#{}#{}",
                i.occurred_at.to_rfc3339(),
                i.interaction_id
            ),
            i,
            None,
            Condition::Always,
        )?;
        let Some(owner) = ctx
            .get_as::<Owner>(Domain::Customer, &email_pk(&email), "lead")
            .await?
        else {
            return Ok(()); // not a lead (yet): the interaction counts when it becomes one
        };
        let lead_id = owner.lead_id;
        let Some(mut record) = ctx
            .get_as::<LeadRecord>(Domain::Customer, &lead_pk(&lead_id), "profile")
            .await?
        else {
            return Ok(());
        };
        let at = i.occurred_at.max(record.created_at);
        let mut interactions = self.interactions(ctx, &email, at).await?;
        // The interaction just written is not committed yet: count it here.
        interactions.push((i.kind, i.occurred_at));
        let previous = record.score.clone();
        let lead = record.lead.clone();
        (record.score, record.model) = self.score(ctx, &lead, &interactions, at).await?;
        self.save_and_announce(ctx, record, Some(&previous)).await
    }
}
