//! # Lead Generation agent
//!
//! Listens to `LeadCreated` and `InteractionRecorded`. For a new lead it deduplicates by
//! normalised email and by person at the same company domain, scores fit and intent, stores
//! the lead in the customer domain, emits `LeadScored`, and hands hot leads to the sales
//! team of their territory with `LeadRouted`. Interactions are kept in the interaction
//! domain; one arriving for a known lead re-scores it.
//!
//! A lead missing what scoring needs (company size, industry, role, company) is flagged
//! (`LeadFlagged`) for a person instead of being scored on guesses. Won and lost deals that
//! name their lead teach the score ([`learning`]): once enough outcomes are in, the learned
//! logistic model scores, and every score names the model version that produced it.

pub mod dedupe;
pub mod learning;
pub mod scoring;
mod settings;

pub use settings::{LeadConfig, Routing};

use ascent_core::agent::{
    Agent, AgentDecl, AgentError, Department, Domain, QueueClass, Subscription, owns,
};
use ascent_core::catalog::{
    InteractionKind, InteractionRecorded, LeadCreated, LeadDuplicateDetected, LeadFlagged,
    LeadGrade, LeadRouted, LeadScored, Payload,
};
use ascent_core::context::Ctx;
use ascent_core::event::Event;
use ascent_core::ports::{Condition, Item, Query, SortKey};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use learning::LogisticModel;
use scoring::{LeadFacts, LeadScore};
use serde::{Deserialize, Serialize};
use serde_json::json;

pub const NAME: &str = "lead-generation";

/// The agent's declaration: the one source of truth for its rules, queue and permissions.
pub fn declaration() -> AgentDecl {
    AgentDecl {
        name: NAME,
        department: Department::Sales,
        queue: QueueClass::Priority,
        subscriptions: vec![
            Subscription {
                name: "lead-created",
                pattern: json!({"detail-type": ["LeadCreated"]}),
            },
            Subscription {
                name: "interaction-recorded",
                pattern: json!({"detail-type": ["InteractionRecorded"]}),
            },
            Subscription {
                name: "deal-outcomes",
                pattern: json!({"detail-type": ["DealClosedWon", "DealClosedLost"]}),
            },
        ],
        reads: vec![Domain::Customer, Domain::Interaction, Domain::Performance],
        owns: vec![
            owns(Domain::Customer, "lead#"),
            owns(Domain::Customer, "email#"),
            owns(Domain::Customer, "person#"),
            owns(Domain::Customer, "company#"),
            owns(Domain::Interaction, "contact#"),
            owns(Domain::Performance, "model#lead-score"),
        ],
        emits: vec![
            "LeadScored",
            "LeadDuplicateDetected",
            "LeadRouted",
            "LeadFlagged",
        ],
        requests_approvals: false,
        sends_mail: false,
        writes_text: false,
    }
}

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

/// The Lead Generation agent.
pub struct LeadGeneration {
    decl: AgentDecl,
    config: LeadConfig,
}

/// Where the learned model lives (performance domain).
pub const MODEL_PK: &str = "model#lead-score";

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

/// What scoring reads of a stored interaction (an `InteractionRecorded`): its kind and when.
#[derive(Deserialize)]
struct Seen {
    kind: InteractionKind,
    #[serde(deserialize_with = "ascent_core::time::deserialize")]
    occurred_at: DateTime<Utc>,
}

/// What the duplicate checks read of an address's or a person's owner record: whose lead.
#[derive(Deserialize)]
struct Owner {
    #[serde(default)]
    lead_id: String,
}

fn lead_pk(id: &str) -> String {
    format!("lead#{id}")
}
fn email_pk(email: &str) -> String {
    format!("email#{email}")
}
fn contact_pk(email: &str) -> String {
    format!("contact#{email}")
}

impl LeadGeneration {
    /// Sets how many outcomes the learned model needs before it scores.
    pub fn learning_after(mut self, outcomes: u32) -> Self {
        self.config.learn_after_outcomes = outcomes;
        self
    }

    /// Scores with the rules, or with the learned model once it has learned enough.
    async fn score(
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

    fn features(&self, lead: &LeadCreated, intent: u8) -> [f64; 4] {
        learning::features(
            self.config.scoring.size_points(lead.company_size),
            self.config.scoring.industry_points(&lead.industry),
            self.config.scoring.role_points(&lead.role),
            intent,
        )
    }

    /// Learns from a deal outcome that names its lead.
    async fn on_outcome(
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

    pub fn new(config: LeadConfig) -> Self {
        Self {
            decl: declaration(),
            config,
        }
    }

    async fn interactions(
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

    async fn on_lead(
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
    async fn save_and_announce(
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

    async fn on_interaction(
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

#[async_trait]
impl Agent for LeadGeneration {
    fn declaration(&self) -> &AgentDecl {
        &self.decl
    }

    async fn handle(&self, event: &Event, ctx: &mut Ctx<'_>) -> Result<(), AgentError> {
        match event.payload() {
            Payload::LeadCreated(l) => self.on_lead(ctx, l, event.time).await,
            Payload::InteractionRecorded(i) => self.on_interaction(ctx, i).await,
            Payload::DealClosedWon(d) => self.on_outcome(ctx, d.lead_id.as_deref(), true).await,
            Payload::DealClosedLost(d) => self.on_outcome(ctx, d.lead_id.as_deref(), false).await,
            other => Err(AgentError::unhandled(NAME, other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ascent_embedded::testkit::TestTwin;
    use std::sync::Arc;

    fn t0() -> DateTime<Utc> {
        "2026-03-02T09:00:00Z".parse().unwrap()
    }

    fn twin() -> TestTwin {
        TestTwin::new(vec![Arc::new(LeadGeneration::default())], t0())
    }

    fn lead(id: &str, email: &str, name: &str) -> LeadCreated {
        LeadCreated {
            lead_id: id.into(),
            email: email.into(),
            full_name: name.into(),
            company: "Boreal Aero".into(),
            company_size: 2_000,
            industry: "Aerospace".into(),
            role: "VP Engineering".into(),
            country: Some("DE".into()),
            channel: "web".into(),
            phone: None,
            time_zone: None,
        }
    }

    fn interaction(
        email: &str,
        kind: InteractionKind,
        at: DateTime<Utc>,
        id: &str,
    ) -> InteractionRecorded {
        InteractionRecorded {
            interaction_id: id.into(),
            email: email.into(),
            kind,
            occurred_at: at,
            text: None,
        }
    }

    fn scored(t: &TestTwin) -> Vec<LeadScored> {
        t.emitted("LeadScored")
            .into_iter()
            .map(|e| match e.payload() {
                Payload::LeadScored(s) => s.clone(),
                _ => unreachable!(),
            })
            .collect()
    }

    #[test]
    fn scores_a_new_lead_with_prior_intent_and_routes_it_when_hot() {
        let t = twin();
        t.emit(
            "ascent.web",
            interaction(
                "ana@boreal.aero",
                InteractionKind::DemoRequested,
                t0() - Duration::days(1),
                "i1",
            ),
        );
        t.emit(
            "ascent.web",
            interaction(
                "ANA@boreal.aero",
                InteractionKind::PricingPageVisit,
                t0() - Duration::days(3),
                "i2",
            ),
        );
        t.emit("ascent.crm", lead("L1", "Ana@Boreal.aero", "Ana Ruiz"));
        let s = scored(&t);
        assert_eq!(s.len(), 1);
        assert_eq!(
            (s[0].score, s[0].grade, s[0].model.as_str()),
            (86, LeadGrade::Hot, "rules-v1")
        );
        let routed = t.emitted("LeadRouted");
        let Payload::LeadRouted(r) = routed[0].payload() else {
            panic!()
        };
        assert_eq!(r.team, "sales-emea");
        let rec = t.get(Domain::Customer, "lead#L1", "profile").unwrap();
        assert_eq!(rec["email"], "ana@boreal.aero");
        assert_eq!(rec["routed_to"], "sales-emea");
    }

    #[test]
    fn duplicates_by_email_and_by_person_at_domain_are_flagged_not_scored() {
        let t = twin();
        t.emit("ascent.crm", lead("L1", "ana@boreal.aero", "Ana Ruiz"));
        t.emit(
            "ascent.crm",
            lead("L2", "ANA+events@boreal.aero", "A. Ruiz"),
        );
        t.emit("ascent.crm", lead("L3", "a.ruiz@boreal.aero", "Ana  Ruiz"));
        // Same name at a free-mail domain is not a duplicate (a small company: plausible).
        let mut l4 = lead("L4", "ana.ruiz@gmail.com", "Ana Ruiz");
        l4.company_size = 12;
        t.emit("ascent.crm", l4);
        let dups: Vec<(String, String)> = t
            .emitted("LeadDuplicateDetected")
            .iter()
            .map(|e| match e.payload() {
                Payload::LeadDuplicateDetected(d) => (d.lead_id.clone(), d.matched_on.clone()),
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(
            dups,
            vec![
                ("L2".into(), "email".into()),
                ("L3".into(), "name_and_domain".into())
            ]
        );
        assert_eq!(
            scored(&t)
                .iter()
                .map(|s| s.lead_id.as_str())
                .collect::<Vec<_>>(),
            vec!["L1", "L4"]
        );
    }

    #[test]
    fn redelivery_of_the_same_lead_is_not_a_duplicate_and_scores_once() {
        let t = twin();
        let e = t.emit("ascent.crm", lead("L1", "ana@boreal.aero", "Ana Ruiz"));
        t.runtime.ingest(&[e]).unwrap();
        t.drain();
        assert_eq!(scored(&t).len(), 1);
        assert!(t.emitted("LeadDuplicateDetected").is_empty());
    }

    #[test]
    fn later_intent_rescores_and_routes_once() {
        let t = twin();
        t.emit("ascent.crm", lead("L1", "ana@boreal.aero", "Ana Ruiz"));
        assert_eq!(scored(&t)[0].grade, LeadGrade::Warm);
        t.clock.advance(Duration::days(1));
        t.emit(
            "ascent.web",
            interaction(
                "ana@boreal.aero",
                InteractionKind::DemoRequested,
                t0() + Duration::days(1),
                "i1",
            ),
        );
        t.emit(
            "ascent.web",
            interaction(
                "ana@boreal.aero",
                InteractionKind::WebsiteVisit,
                t0() + Duration::days(1),
                "i2",
            ),
        );
        let s = scored(&t);
        assert_eq!(s.len(), 3);
        assert_eq!(s[1].grade, LeadGrade::Hot);
        assert_eq!(t.emitted("LeadRouted").len(), 1, "routed once");
    }

    #[test]
    fn unusable_email_is_dead_lettered_with_the_reason() {
        let t = twin();
        t.emit("ascent.crm", lead("L9", "ana@localhost", "Ana"));
        let dl = t.runtime.dead_letters().unwrap();
        assert_eq!(dl.len(), 1);
        assert_eq!(
            dl[0].reason,
            "undeliverable event: field `detail.payload.email`: not an RFC 5322 address (a domain of one label)"
        );
    }

    #[test]
    fn territories() {
        let routing = LeadConfig::default().routing;
        assert_eq!(routing.territory(None), "sales-americas");
        assert_eq!(routing.territory(Some("us")), "sales-americas");
        assert_eq!(routing.territory(Some("JP")), "sales-apac");
        assert_eq!(routing.territory(Some("FR")), "sales-emea");
    }

    #[test]
    fn incomplete_leads_are_flagged_not_scored() {
        let t = twin();
        let mut l = lead("L1", "ana@gmail.com", "Ana Ruiz");
        l.industry = "n/a".into();
        l.company_size = 0;
        t.emit("ascent.crm", l);
        assert!(scored(&t).is_empty());
        let Payload::LeadFlagged(f) = t.emitted("LeadFlagged")[0].payload().clone() else {
            unreachable!()
        };
        assert_eq!(
            f.problems,
            ["company size missing (0 employees)", "industry missing"]
        );
        let mut big = lead("L2", "bo@gmail.com", "Bo Lind");
        big.company_size = 5_000;
        t.emit("ascent.crm", big);
        let Payload::LeadFlagged(f) = t.emitted("LeadFlagged")[1].payload().clone() else {
            unreachable!()
        };
        assert!(f.problems[0].starts_with("personal address (gmail.com)"));
    }

    #[test]
    fn outcomes_teach_the_score_and_scores_name_the_model_version() {
        let t = TestTwin::new(
            vec![Arc::new(LeadGeneration::default().learning_after(30))],
            t0(),
        );
        // History: small aerospace companies never buy; large ones always do.
        for i in 0..30 {
            let big = i % 2 == 0;
            let mut l = lead(
                &format!("H{i}"),
                &format!("p{i}@co{i}.example"),
                &format!("P {i}"),
            );
            l.company_size = if big { 2_000 } else { 20 };
            t.emit("ascent.crm", l);
            let deal = format!("D{i}");
            if big {
                t.emit(
                    "ascent.crm",
                    ascent_core::catalog::DealClosedWon {
                        deal_id: deal,
                        account_id: format!("A{i}"),
                        owner: "ava.rep@ascent-xr.example".into(),
                        amount: ascent_core::money::Money::usd(1_000_000),
                        proposal_id: None,
                        reason: None,
                        lead_id: Some(format!("H{i}")),
                    },
                );
            } else {
                t.emit(
                    "ascent.crm",
                    ascent_core::catalog::DealClosedLost {
                        deal_id: deal,
                        account_id: format!("A{i}"),
                        owner: "ava.rep@ascent-xr.example".into(),
                        reason: "budget".into(),
                        lead_id: Some(format!("H{i}")),
                    },
                );
            }
        }
        // Learned once each, even when the CRM repeats itself.
        t.emit(
            "ascent.crm",
            ascent_core::catalog::DealClosedLost {
                deal_id: "D1".into(),
                account_id: "A1".into(),
                owner: "ava.rep@ascent-xr.example".into(),
                reason: "budget".into(),
                lead_id: Some("H1".into()),
            },
        );
        let m: LogisticModel =
            serde_json::from_value(t.get(Domain::Performance, MODEL_PK, "current").unwrap())
                .unwrap();
        assert_eq!((m.version, m.outcomes), (30, 30));
        assert!(t.get(Domain::Performance, MODEL_PK, "v000017").is_some());
        // Before the 30th outcome the rules scored; now the learned model does.
        let before = scored(&t);
        assert!(before.iter().all(|s| s.model == "rules-v1"));
        let mut small = lead("N1", "new@small.example", "New Small");
        small.company_size = 20;
        t.emit("ascent.crm", small);
        t.emit("ascent.crm", lead("N2", "new@big.example", "New Big"));
        let after = scored(&t);
        let (s_small, s_big) = (&after[after.len() - 2], &after[after.len() - 1]);
        assert_eq!(s_small.model, "logit-v30");
        assert!(
            s_big.score > s_small.score + 20,
            "{} vs {}",
            s_big.score,
            s_small.score
        );
        assert!(
            s_big
                .reasons
                .last()
                .unwrap()
                .starts_with("learned from 30 outcomes")
        );
    }
}
