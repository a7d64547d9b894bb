//! Case studies from won deals: a customer's first won deal (`DealClosedWon`) and its consent
//! to be named (`CaseStudyConsentGiven`) are kept as they come, in either order
//! (`case-study#<account>` / `case`); once both are there, a case-study draft is written through
//! the text writer from `[content_marketing.case_studies]`, held in its channel's next free slot
//! and mailed to marketing, once per account. Without the consent nothing is drafted; when it
//! is withdrawn (`CaseStudyConsentWithdrawn`) the case study leaves the calendar, is never
//! scheduled, and marketing is told; a new consent drafts it again.

use crate::{ContentMarketing, Piece, PieceState, required, text};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::{CaseStudyConsentGiven, CaseStudyConsentWithdrawn, DealClosedWon};
use ascent_core::context::Ctx;
use ascent_core::ports::{Condition, Mail};
use ascent_core::writer::Brief;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The customer's agreement to be named.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Consent {
    pub company: String,
    pub contact_name: String,
    pub contact_email: String,
    pub quote: Option<String>,
    pub given_on: NaiveDate,
}

/// The won deal a case study tells.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WonDeal {
    pub deal_id: String,
    /// Why they chose us, when the rep recorded it.
    pub reason: Option<String>,
}

/// What is known about one account's case study.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CaseFile {
    pub consent: Option<Consent>,
    pub deal: Option<WonDeal>,
    /// The case study's piece, once drafted.
    pub piece_id: Option<String>,
    /// When the consent was last withdrawn (cleared by a new consent).
    #[serde(default)]
    pub withdrawn_on: Option<NaiveDate>,
    pub version: u32,
}

/// Whether a case study is drafted now: both the consent and a won deal, and none drafted yet.
pub fn ready(f: &CaseFile) -> bool {
    f.consent.is_some() && f.deal.is_some() && f.piece_id.is_none()
}

/// The facts a case-study template may use.
pub fn facts(c: &Consent, d: &WonDeal, publish_on: Option<NaiveDate>) -> BTreeMap<String, String> {
    let or = |v: Option<&str>, missing: &str| v.map_or(missing.to_string(), str::to_string);
    [
        ("company", c.company.clone()),
        ("contact_name", c.contact_name.clone()),
        (
            "reason",
            or(d.reason.as_deref(), "(to ask in the interview)"),
        ),
        (
            "quote",
            or(c.quote.as_deref(), "(to collect in the interview)"),
        ),
        (
            "publish_on",
            or(
                publish_on.map(|d| d.to_string()).as_deref(),
                "(no free slot yet)",
            ),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fn pk(account: &str) -> String {
    format!("case-study#{account}")
}

impl ContentMarketing {
    async fn case_file(&self, ctx: &mut Ctx<'_>, account: &str) -> Result<CaseFile, AgentError> {
        Ok(ctx
            .get_as(Domain::Customer, &pk(account), "case")
            .await?
            .unwrap_or_default())
    }

    pub(crate) async fn on_deal_won(
        &self,
        ctx: &mut Ctx<'_>,
        d: &DealClosedWon,
        today: NaiveDate,
    ) -> Result<(), AgentError> {
        let account = required("account_id", &d.account_id)?;
        let deal_id = required("deal_id", &d.deal_id)?;
        let mut f = self.case_file(ctx, account).await?;
        if f.deal.is_some() {
            return Ok(()); // the first won deal tells the story
        }
        f.deal = Some(WonDeal {
            deal_id: deal_id.to_string(),
            reason: d.reason.clone().filter(|r| !r.trim().is_empty()),
        });
        self.record_case(ctx, account, f, today).await
    }

    pub(crate) async fn on_consent(
        &self,
        ctx: &mut Ctx<'_>,
        c: &CaseStudyConsentGiven,
        today: NaiveDate,
    ) -> Result<(), AgentError> {
        let account = required("account_id", &c.account_id)?;
        let company = required("company", &c.company)?;
        let contact = required("contact_name", &c.contact_name)?;
        ascent_core::contact::check_email(&c.contact_email).map_err(|e| {
            // The rule, never the value: reasons are logged and kept with dead letters.
            AgentError::Invalid(format!("contact_email: {e}"))
        })?;
        let mut f = self.case_file(ctx, account).await?;
        if f.piece_id.is_some() && f.withdrawn_on.is_none() {
            return Ok(()); // drafted already
        }
        // A new consent after a withdrawal drafts the case study again.
        f.piece_id = None;
        f.withdrawn_on = None;
        f.consent = Some(Consent {
            company: company.to_string(),
            contact_name: contact.to_string(),
            contact_email: c.contact_email.trim().to_string(),
            quote: c.quote.clone().filter(|q| !q.trim().is_empty()),
            given_on: c.given_on,
        });
        self.record_case(ctx, account, f, today).await
    }

    pub(crate) async fn on_withdrawn(
        &self,
        ctx: &mut Ctx<'_>,
        w: &CaseStudyConsentWithdrawn,
    ) -> Result<(), AgentError> {
        let account = required("account_id", &w.account_id)?;
        let mut f = self.case_file(ctx, account).await?;
        if f.consent.is_none() && f.withdrawn_on.is_some() {
            return Ok(()); // withdrawn already
        }
        let company = f.consent.take().map_or(account.to_string(), |c| c.company);
        f.withdrawn_on = Some(w.withdrawn_on);
        if let Some(id) = &f.piece_id
            && let Some(mut p) = self.piece(ctx, id).await?
            && p.state != PieceState::Withdrawn
        {
            let freed = p.slot.take();
            if let Some(day) = freed {
                ctx.delete(
                    Domain::Knowledge,
                    &crate::calendar_pk(&p.channel),
                    &day.to_string(),
                )?;
            }
            p.state = PieceState::Withdrawn;
            let slot = freed.map_or(String::new(), |d| {
                format!(" Its {} slot on {d} is free again.", p.channel)
            });
            ctx.send_mail(Mail {
                to: self.config.marketing.clone(),
                subject: format!("Case study withdrawn: {}", p.title),
                text: format!(
                    "{company} withdrew its consent to be named on {}: do not publish {} \
                     (\"{}\").{slot}\n",
                    w.withdrawn_on, p.piece_id, p.title
                ),
                html: None,
                headers: vec![],
                attachments: vec![],
            })?;
            self.save_piece(ctx, p)?;
        }
        let previous = (f.version > 0).then_some(f.version);
        f.version += 1;
        ctx.put_record(
            Domain::Customer,
            &pk(account),
            "case",
            &f,
            None,
            Condition::version(previous),
        )
    }

    /// Saves the case file, drafting the case study first when it is [`ready`].
    async fn record_case(
        &self,
        ctx: &mut Ctx<'_>,
        account: &str,
        mut f: CaseFile,
        today: NaiveDate,
    ) -> Result<(), AgentError> {
        if ready(&f) {
            let (Some(consent), Some(deal)) = (&f.consent, &f.deal) else {
                unreachable!("ready checks both")
            };
            let piece_id = format!("case-study-{}", text::words(account).join("-"));
            self.draft_case_study(ctx, &piece_id, consent, deal, today)
                .await?;
            f.piece_id = Some(piece_id);
        }
        let previous = (f.version > 0).then_some(f.version);
        f.version += 1;
        ctx.put_record(
            Domain::Customer,
            &pk(account),
            "case",
            &f,
            None,
            Condition::version(previous),
        )
    }

    async fn draft_case_study(
        &self,
        ctx: &mut Ctx<'_>,
        piece_id: &str,
        consent: &Consent,
        deal: &WonDeal,
        today: NaiveDate,
    ) -> Result<(), AgentError> {
        let s = &self.config.case_studies;
        let keyword = format!("{} case study", consent.company);
        let brief = |publish_on| Brief {
            purpose: "case study".into(),
            subject_template: s.title.clone(),
            body_template: s.body.clone(),
            facts: facts(consent, deal, publish_on),
        };
        let title = self.write(&brief(None)).await?.subject;
        // Drafted before and withdrawn: the same piece, one version on.
        let version = self.piece(ctx, piece_id).await?.map_or(0, |p| p.version);
        let mut p = Piece {
            piece_id: piece_id.to_string(),
            channel: s.channel.clone(),
            title,
            topic: text::topic(&keyword),
            keywords: vec![keyword],
            state: PieceState::Briefed,
            slot: None,
            author: None,
            draft_fingerprint: None,
            failures: Vec::new(),
            views: 0,
            clicks: 0,
            shares: 0,
            version,
        };
        p.slot = self
            .place(ctx, &p, today, self.config.brief_lead_days)
            .await?;
        let draft = self.write(&brief(p.slot)).await?;
        if p.slot.is_none() {
            p.state = PieceState::Unplaced;
            self.tell_unplaced(ctx, &p)?;
        }
        ctx.send_mail(Mail {
            to: self.config.marketing.clone(),
            subject: format!("Case study draft: {}", p.title),
            text: format!(
                "Piece id: {piece_id} (submit the final draft under this id)\n\
                 Deal {}; {} agreed to be named on {} ({}, {}).\n\n{}\n(written by {})\n",
                deal.deal_id,
                consent.company,
                consent.given_on,
                consent.contact_name,
                consent.contact_email,
                draft.body,
                draft.written_by
            ),
            html: None,
            headers: vec![],
            attachments: vec![],
        })?;
        self.save_piece(ctx, p)
    }
}
