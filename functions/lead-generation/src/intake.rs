//! New leads: deduplicated by normalised email and by person at the same company domain,
//! flagged for a person when scoring lacks what it needs, otherwise scored, stored with the
//! addresses claimed, announced (`LeadScored`) and, when hot, handed to the sales team of
//! their territory (`LeadRouted`).

use crate::scoring::LeadScore;
use crate::{LeadConfig, LeadGeneration, dedupe};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::{
    LeadCreated, LeadDuplicateDetected, LeadFlagged, LeadGrade, LeadRouted, LeadScored,
};
use ascent_core::context::Ctx;
use ascent_core::ports::{Condition, Item};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// A lead as stored in the customer domain (`lead#<id>` / `profile`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LeadRecord {
    pub lead: LeadCreated,
    pub email: String,
    pub domain: Option<String>,
    pub score: LeadScore,
    pub model: String,
    pub routed_to: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// What makes a lead unscorable, one entry per problem.
pub fn lead_problems(l: &LeadCreated, config: &LeadConfig) -> Vec<String> {
    let blank = |s: &str| {
        let t = s.trim().to_ascii_lowercase();
        t.is_empty() || ["unknown", "n/a", "na", "-", "none", "?"].contains(&t.as_str())
    };
    let mut p = Vec::new();
    if l.company_size == 0 {
        p.push("company size missing (0 employees)".to_string());
    }
    if blank(&l.industry) {
        p.push("industry missing".into());
    }
    if blank(&l.role) {
        p.push("role missing".into());
    }
    if blank(&l.company) {
        p.push("company missing".into());
    }
    let domain = l
        .email
        .rsplit('@')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    if config.personal_mail_domains.contains(&domain)
        && l.company_size >= config.personal_mail_min_company_size
    {
        p.push(format!(
            "personal address ({domain}) for a {}-employee company: confirm the person",
            l.company_size
        ));
    }
    p
}

/// What the duplicate checks read of an address's or a person's owner record: whose lead.
#[derive(Deserialize)]
pub(crate) struct Owner {
    #[serde(default)]
    pub(crate) lead_id: String,
}

pub(crate) fn lead_pk(id: &str) -> String {
    format!("lead#{id}")
}
pub(crate) fn email_pk(email: &str) -> String {
    format!("email#{email}")
}
pub(crate) fn contact_pk(email: &str) -> String {
    format!("contact#{email}")
}

impl LeadGeneration {
    pub(crate) async fn on_lead(
        &self,
        ctx: &mut Ctx<'_>,
        lead: &LeadCreated,
        at: DateTime<Utc>,
    ) -> Result<(), AgentError> {
        let email = dedupe::normalise_email(&lead.email).ok_or_else(|| {
            AgentError::Invalid(format!(
                "lead {}: field `email` is not a usable address",
                lead.lead_id
            ))
        })?;
        let domain = dedupe::company_domain(&email).map(str::to_string);

        // Duplicate by email.
        if let Some(owner) = ctx
            .get_as::<Owner>(Domain::Customer, &email_pk(&email), "lead")
            .await?
        {
            let existing = owner.lead_id;
            if existing != lead.lead_id {
                return ctx.emit(LeadDuplicateDetected {
                    lead_id: lead.lead_id.clone(),
                    duplicate_of: existing,
                    matched_on: "email".into(),
                });
            }
        }
        // Duplicate by the same person at the same company domain (other address).
        let person = domain
            .as_ref()
            .map(|d| (format!("person#{d}"), dedupe::person_key(&lead.full_name)));
        if let Some((pk, sk)) = &person
            && let Some(owner) = ctx.get_as::<Owner>(Domain::Customer, pk, sk).await?
        {
            let existing = owner.lead_id;
            if existing != lead.lead_id {
                return ctx.emit(LeadDuplicateDetected {
                    lead_id: lead.lead_id.clone(),
                    duplicate_of: existing,
                    matched_on: "name_and_domain".into(),
                });
            }
        }

        let problems = lead_problems(lead, &self.config);
        if !problems.is_empty() {
            ctx.put_record(
                Domain::Customer,
                &lead_pk(&lead.lead_id),
                "flagged",
                &json!({"lead": lead, "problems": problems, "flagged_at": at}),
                None,
                Condition::Always,
            )?;
            return ctx.emit(LeadFlagged {
                lead_id: lead.lead_id.clone(),
                problems,
            });
        }
        let interactions = self.interactions(ctx, &email, at).await?;
        let (score, model) = self.score(ctx, lead, &interactions, at).await?;
        // Index items are claimed with a condition: two leads racing for one email cannot both win.
        let claim = |lead_id: &str| json!({"lead_id": lead_id});
        ctx.put(
            Domain::Customer,
            Item::new(email_pk(&email), "lead", claim(&lead.lead_id)),
            Condition::Always,
        )?;
        if let Some((pk, sk)) = person {
            ctx.put(
                Domain::Customer,
                Item::new(pk, sk, claim(&lead.lead_id)),
                Condition::Always,
            )?;
        }
        let record = LeadRecord {
            lead: lead.clone(),
            email,
            domain,
            score: score.clone(),
            model,
            routed_to: None,
            created_at: at,
        };
        self.save_and_announce(ctx, record, None).await
    }

    /// Stores the record, emits `LeadScored` and, for a newly hot lead, `LeadRouted`.
    pub(crate) async fn save_and_announce(
        &self,
        ctx: &mut Ctx<'_>,
        mut record: LeadRecord,
        previous: Option<&LeadScore>,
    ) -> Result<(), AgentError> {
        let lead_id = record.lead.lead_id.clone();
        let changed = previous.is_none_or(|p| p.score != record.score.score);
        let route = record.score.grade == LeadGrade::Hot && record.routed_to.is_none();
        if route {
            record.routed_to = Some(
                self.config
                    .routing
                    .territory(record.lead.country.as_deref())
                    .to_string(),
            );
        }
        let index = record
            .domain
            .as_ref()
            .map(|d| (format!("company#{d}"), lead_pk(&lead_id)));
        ctx.put_record(
            Domain::Customer,
            &lead_pk(&lead_id),
            "profile",
            &record,
            index,
            Condition::Always,
        )?;
        if changed {
            ctx.emit(LeadScored {
                lead_id: lead_id.clone(),
                score: record.score.score,
                fit: record.score.fit,
                intent: record.score.intent,
                grade: record.score.grade,
                model: record.model.clone(),
                reasons: record.score.reasons.clone(),
            })?;
        }
        if route {
            ctx.emit(LeadRouted {
                lead_id,
                team: record.routed_to.clone().unwrap_or_default(),
                score: record.score.score,
                grade: record.score.grade,
            })?;
        }
        Ok(())
    }
}
