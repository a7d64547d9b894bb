//! Assigning routed leads: each qualified lead (`LeadRouted`) goes to a rep of its territory
//! by weighted round robin on capacity (the rotation in `assignment`), is recorded once, and is
//! announced (`LeadAssigned`).

use crate::{NAME, SalesDirector, assignment};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::{ExceptionRaised, LeadAssigned, LeadRouted, Severity};
use ascent_core::context::Ctx;
use ascent_core::ports::{Condition, Mail};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Who a lead went to (`assignment#<lead id>` / `assignment`, customer domain).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LeadAssignment {
    pub rep: String,
    pub territory: String,
    /// When the lead was routed (the event's time, not when it was processed).
    pub assigned_at: DateTime<Utc>,
}

impl SalesDirector {
    pub(crate) async fn on_routed(
        &self,
        ctx: &mut Ctx<'_>,
        l: &LeadRouted,
    ) -> Result<(), AgentError> {
        let key = format!("assignment#{}", l.lead_id);
        if ctx
            .get(Domain::Customer, &key, "assignment")
            .await?
            .is_some()
        {
            return Ok(());
        }
        // The quarter and time the lead was routed, however late that is handled.
        let routed_at = ctx.cause().time;
        let quarter = self.config.quarter(routed_at);
        let rotation_pk = format!("rotation#{}#{quarter}", l.team);
        let rotation: Option<BTreeMap<String, u32>> = ctx
            .get_as(Domain::Performance, &rotation_pk, "counts")
            .await?;
        let version_condition = match &rotation {
            Some(_) => Condition::Exists,
            None => Condition::NotExists,
        };
        let mut counts = rotation.unwrap_or_default();
        let rep = match assignment::pick(&self.config.reps, &l.team, &counts) {
            Some(r) => r.email.clone(),
            None => {
                ctx.emit(ExceptionRaised {
                    agent: NAME.into(),
                    subject: l.lead_id.clone(),
                    reason: format!(
                        "no rep with capacity in territory {}: lead given to {}",
                        l.team, self.config.fallback_rep
                    ),
                    severity: Severity::Medium,
                })?;
                self.config.fallback_rep.clone()
            }
        };
        *counts.entry(rep.clone()).or_default() += 1;
        ctx.put_record(
            Domain::Performance,
            &rotation_pk,
            "counts",
            &counts,
            None,
            version_condition,
        )?;
        ctx.put_record(
            Domain::Customer,
            &key,
            "assignment",
            &LeadAssignment {
                rep: rep.clone(),
                territory: l.team.clone(),
                assigned_at: routed_at,
            },
            None,
            Condition::NotExists,
        )?;
        ctx.send_mail(Mail {
            to: rep.clone(),
            subject: format!(
                "New {} lead {} (score {})",
                format!("{:?}", l.grade).to_lowercase(),
                l.lead_id,
                l.score
            ),
            text: format!(
                "Lead {} in {} is yours: score {} ({:?}). Outreach starts its sequence now.\n",
                l.lead_id, l.team, l.score, l.grade
            ),
            html: None,
            ..Default::default()
        })?;
        ctx.emit(LeadAssigned {
            lead_id: l.lead_id.clone(),
            rep,
            territory: l.team.clone(),
            score: l.score,
        })
    }
}
