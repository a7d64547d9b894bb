//! # Closing agent
//!
//! When a deal reaches the proposal stage, prices its lines from the price book (volume
//! tiers) and applies the discount the rep asks for. A discount above the threshold (default
//! 15%) needs the Sales Director's approval: the proposal waits, and the approval flow asks
//! the director by email. Approved → the proposal goes out as asked; rejected or expired →
//! it is re-priced at the threshold and goes out. Sending is `ProposalSent` plus an email to
//! the deal owner; the proposal is kept in the customer domain for Billing, as the shared record
//! [`ascent_core::records::Proposal`].
//!
//! When the prospect accepts (`ProposalAccepted`), drafts the contract from the proposal and
//! the requested terms: standard terms ([`contract::StandardTerms`]) are issued at once
//! (`ContractIssued`); non-standard ones (long payment terms, short or long term, higher
//! liability cap, other governing law, custom clauses) wait for Legal's approval. Objections
//! a rep logs (`ObjectionLogged`) are kept on the deal; when the deal is won or lost the
//! outcome is recorded with its reason (normalised to the configured categories) and the
//! objections raised, and tallied per quarter for win/loss analysis.
//!
//! A decision (`ApprovalDecided`) is acted on only when the approval record says so
//! ([`approval::confirmed`]): a forged or replayed one is dead-lettered with the reason.

pub mod contract;
pub mod price_book;
mod settings;

use ascent_core::agent::{
    Agent, AgentDecl, AgentError, Department, Domain, QueueClass, Subscription, owns,
};
use ascent_core::approval::{self, ApprovalDraft};
use ascent_core::catalog::{
    ApprovalDecided, ApprovalOutcome, ContractIssued, ContractTerms, DealClosedLost, DealClosedWon,
    DealStage, DealStageChanged, ObjectionLogged, Payload, ProposalAccepted, ProposalSent,
};
use ascent_core::context::Ctx;
use ascent_core::event::Event;
use ascent_core::money::Money;
use ascent_core::ports::{Condition, Mail, Query, SortKey};
use ascent_core::records::{PROPOSAL_SK, Proposal, ProposalStatus, deal_pk};
use async_trait::async_trait;
use chrono::{Duration, NaiveDate};
use contract::StandardTerms;
use price_book::PriceBook;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;

pub const NAME: &str = "closing";

pub fn declaration() -> AgentDecl {
    AgentDecl {
        name: NAME,
        department: Department::Sales,
        queue: QueueClass::Priority,
        subscriptions: vec![
            Subscription {
                name: "deal-reached-proposal",
                pattern: json!({
                    "detail-type": ["DealStageChanged"],
                    "detail": {"payload": {"to_stage": ["proposal"]}}
                }),
            },
            Subscription {
                name: "discount-decided",
                pattern: json!({
                    "detail-type": ["ApprovalDecided"],
                    "detail": {"payload": {"requested_by_agent": [NAME], "kind": ["discount", "contract_terms"]}}
                }),
            },
            Subscription {
                name: "proposal-accepted",
                pattern: json!({"detail-type": ["ProposalAccepted"]}),
            },
            Subscription {
                name: "objections-and-outcomes",
                pattern: json!({"detail-type": ["ObjectionLogged", "DealClosedWon", "DealClosedLost"]}),
            },
        ],
        // Approvals: a decision is acted on only once its record confirms it.
        reads: vec![Domain::Customer, Domain::Performance, Domain::Approvals],
        owns: vec![
            owns(Domain::Customer, "deal#"),
            owns(Domain::Performance, "win-loss#"),
        ],
        emits: vec!["ProposalSent", "ContractIssued"],
        requests_approvals: true,
        sends_mail: true,
        writes_text: false,
    }
}

/// Closing's settings: `[closing]` of `ascent.toml` (see `settings`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClosingConfig {
    pub price_book: PriceBook,
    /// Discounts above this percentage need approval.
    pub discount_threshold_pct: f64,
    /// Role whose approver chain decides discounts.
    #[serde(rename = "discount_approver_role")]
    pub approver_role: String,
    #[serde(rename = "proposal_validity_days")]
    pub validity_days: i64,
    /// What sales may sign without Legal.
    pub standard_terms: StandardTerms,
    /// Role whose approver chain decides non-standard contract terms.
    pub legal_role: String,
    /// Categories win and loss reasons are normalised to (anything else is `other`).
    pub outcome_reasons: Vec<String>,
}

/// Prices `p` at a discount of `pct` percent of its subtotal.
fn priced(mut p: Proposal, pct: f64) -> Proposal {
    let bp = (pct * 100.0).round() as i64;
    p.discount_pct = pct;
    p.discount = p.subtotal.percent_bp(bp);
    p.total = Money::new(
        p.subtotal.amount_minor - p.discount.amount_minor,
        &p.subtotal.currency,
    );
    p
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContractStatus {
    AwaitingLegal,
    Issued,
    RejectedByLegal,
}

/// A contract (`deal#<id>` / `contract`, customer domain).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Contract {
    pub contract_id: String,
    pub deal_id: String,
    pub account_id: String,
    pub proposal_id: String,
    pub owner: String,
    pub accepted_by: String,
    pub total: Money,
    pub terms: ContractTerms,
    pub deviations: Vec<String>,
    pub status: ContractStatus,
    pub approval_id: Option<String>,
    pub note: Option<String>,
}

/// How a deal ended (`deal#<id>` / `outcome`, customer domain).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DealOutcome {
    pub deal_id: String,
    pub won: bool,
    /// Normalised category.
    pub reason: String,
    /// As the rep wrote it.
    pub reason_text: Option<String>,
    /// Objection categories raised during the deal.
    pub objections: Vec<String>,
}

/// Win/loss tallies of a quarter (`win-loss#<YYYY-Qn>` / `tally`, performance domain).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WinLossTally {
    pub won: BTreeMap<String, u32>,
    pub lost: BTreeMap<String, u32>,
    /// Objection categories seen in lost deals.
    pub objections_in_lost: BTreeMap<String, u32>,
    pub objections_in_won: BTreeMap<String, u32>,
    pub version: u64,
}

pub struct Closing {
    decl: AgentDecl,
    config: ClosingConfig,
}

impl Default for Closing {
    fn default() -> Self {
        Self::new(ClosingConfig::default())
    }
}

/// The last day a proposal sent on `sent_on` can be accepted.
pub fn valid_until(sent_on: NaiveDate, validity_days: i64) -> NaiveDate {
    sent_on + Duration::days(validity_days)
}

/// `YYYY-Qn` of `day`.
pub fn quarter_of(day: NaiveDate) -> String {
    use chrono::Datelike;
    format!("{}-Q{}", day.year(), (day.month() - 1) / 3 + 1)
}

impl Closing {
    pub fn new(config: ClosingConfig) -> Self {
        Self {
            decl: declaration(),
            config,
        }
    }

    async fn on_proposal_stage(
        &self,
        ctx: &mut Ctx<'_>,
        d: &DealStageChanged,
    ) -> Result<(), AgentError> {
        let lines = self
            .config
            .price_book
            .price(&d.lines, &d.currency)
            .map_err(|e| AgentError::Invalid(format!("deal {}: {e}", d.deal_id)))?;
        let subtotal = lines.iter().fold(Money::zero(&d.currency), |acc, l| {
            Money::new(acc.amount_minor + l.amount.amount_minor, &d.currency)
        });
        let cause = ctx.cause().detail.event_id;
        let proposal = Proposal {
            proposal_id: format!("prop-{}-{}", d.deal_id, &cause.simple().to_string()[..8]),
            deal_id: d.deal_id.clone(),
            account_id: d.account_id.clone(),
            owner: d.owner.clone(),
            lines,
            subtotal: subtotal.clone(),
            requested_discount_pct: d.requested_discount_pct,
            discount_pct: 0.0,
            discount: Money::zero(&d.currency),
            total: subtotal,
            status: ProposalStatus::AwaitingApproval,
            approval_id: None,
            // From when the deal reached the proposal stage, however late that is handled.
            valid_until: valid_until(ctx.cause().time.date_naive(), self.config.validity_days),
            note: None,
        };
        let proposal = priced(proposal, d.requested_discount_pct);

        if d.requested_discount_pct > self.config.discount_threshold_pct {
            let approval_id = approval::approval_id(cause, NAME, 0);
            let mut facts = BTreeMap::new();
            facts.insert("Deal".into(), d.deal_id.clone());
            facts.insert("Account".into(), d.account_id.clone());
            facts.insert("List subtotal".into(), proposal.subtotal.to_string());
            facts.insert(
                "Requested discount".into(),
                format!("{}%", d.requested_discount_pct),
            );
            facts.insert("Discount amount".into(), proposal.discount.to_string());
            facts.insert("Total after discount".into(), proposal.total.to_string());
            facts.insert(
                "Threshold".into(),
                format!("{}%", self.config.discount_threshold_pct),
            );
            ctx.request_approval(ApprovalDraft {
                kind: "discount".into(),
                subject: d.deal_id.clone(),
                summary: format!(
                    "{}% discount on deal {} ({} off {})",
                    d.requested_discount_pct, d.deal_id, proposal.discount, proposal.subtotal
                ),
                amount: Some(proposal.discount.clone()),
                requester: d.owner.clone(),
                approver_role: self.config.approver_role.clone(),
                first_approver: None,
                reason: format!(
                    "discount above the {}% threshold",
                    self.config.discount_threshold_pct
                ),
                facts,
            })?;
            let waiting = Proposal {
                approval_id: Some(approval_id),
                ..proposal
            };
            ctx.put_record(
                Domain::Customer,
                &deal_pk(&d.deal_id),
                PROPOSAL_SK,
                &waiting,
                None,
                Condition::Always,
            )
        } else {
            self.send(ctx, proposal)
        }
    }

    async fn on_decision(&self, ctx: &mut Ctx<'_>, a: &ApprovalDecided) -> Result<(), AgentError> {
        let Some(proposal) = ctx
            .get_as::<Proposal>(Domain::Customer, &deal_pk(&a.subject), PROPOSAL_SK)
            .await?
        else {
            return Err(AgentError::Invalid(format!(
                "no proposal for deal {}",
                a.subject
            )));
        };
        if proposal.status != ProposalStatus::AwaitingApproval
            || proposal.approval_id.as_deref() != Some(a.approval_id.as_str())
        {
            return Ok(()); // a decision about an earlier proposal of this deal: nothing to do
        }
        let proposal = match a.outcome {
            ApprovalOutcome::Approved => proposal,
            ApprovalOutcome::Rejected | ApprovalOutcome::Expired => {
                let threshold = self.config.discount_threshold_pct;
                let why = match a.outcome {
                    ApprovalOutcome::Rejected => "rejected",
                    _ => "not decided in time",
                };
                Proposal {
                    note: Some(format!(
                        "requested {}% discount {why}; re-priced at the {threshold}% threshold",
                        proposal.requested_discount_pct
                    )),
                    ..priced(proposal, threshold)
                }
            }
        };
        self.send(ctx, proposal)
    }

    async fn on_accepted(&self, ctx: &mut Ctx<'_>, a: &ProposalAccepted) -> Result<(), AgentError> {
        let pk = deal_pk(&a.deal_id);
        if ctx.get(Domain::Customer, &pk, "contract").await?.is_some() {
            return Ok(()); // accepted twice: one contract
        }
        let p: Proposal = ctx
            .get_as(Domain::Customer, &pk, PROPOSAL_SK)
            .await?
            .ok_or_else(|| AgentError::Invalid(format!("deal {} has no proposal", a.deal_id)))?;
        if p.proposal_id != a.proposal_id || p.status != ProposalStatus::Sent {
            return Err(AgentError::Invalid(format!(
                "proposal {} is not the one sent on deal {} ({})",
                a.proposal_id, a.deal_id, p.proposal_id
            )));
        }
        // Accepted in time if the prospect accepted by then, whenever that is delivered.
        if ctx.cause().time.date_naive() > p.valid_until {
            return Err(AgentError::Invalid(format!(
                "proposal {} expired on {}; send a new one",
                p.proposal_id, p.valid_until
            )));
        }
        let deviations = self.config.standard_terms.deviations(&a.terms);
        let mut c = Contract {
            contract_id: format!("ctr-{}", a.deal_id),
            deal_id: a.deal_id.clone(),
            account_id: p.account_id.clone(),
            proposal_id: p.proposal_id.clone(),
            owner: p.owner.clone(),
            accepted_by: a.accepted_by.clone(),
            total: p.total.clone(),
            terms: a.terms.clone(),
            deviations: deviations.clone(),
            status: ContractStatus::AwaitingLegal,
            approval_id: None,
            note: None,
        };
        if deviations.is_empty() {
            return self.issue(ctx, c);
        }
        let approval_id = approval::approval_id(ctx.cause().detail.event_id, NAME, 0);
        let mut facts = BTreeMap::new();
        facts.insert("Deal".into(), a.deal_id.clone());
        facts.insert("Account".into(), p.account_id.clone());
        facts.insert("Contract value".into(), p.total.to_string());
        facts.insert("Signed by".into(), a.accepted_by.clone());
        for (i, d) in deviations.iter().enumerate() {
            facts.insert(format!("Deviation {}", i + 1), d.clone());
        }
        ctx.request_approval(ApprovalDraft {
            kind: "contract_terms".into(),
            subject: a.deal_id.clone(),
            summary: format!(
                "{} non-standard term(s) in the {} contract for deal {}",
                deviations.len(),
                p.total,
                a.deal_id
            ),
            amount: None,
            requester: p.owner.clone(),
            approver_role: self.config.legal_role.clone(),
            first_approver: None,
            reason: deviations.join("; "),
            facts,
        })?;
        c.approval_id = Some(approval_id);
        self.save_contract(ctx, &c)
    }

    fn save_contract(&self, ctx: &mut Ctx<'_>, c: &Contract) -> Result<(), AgentError> {
        ctx.put_record(
            Domain::Customer,
            &deal_pk(&c.deal_id),
            "contract",
            c,
            None,
            Condition::Always,
        )
    }

    fn issue(&self, ctx: &mut Ctx<'_>, mut c: Contract) -> Result<(), AgentError> {
        c.status = ContractStatus::Issued;
        ctx.emit(ContractIssued {
            contract_id: c.contract_id.clone(),
            deal_id: c.deal_id.clone(),
            account_id: c.account_id.clone(),
            proposal_id: c.proposal_id.clone(),
            total: c.total.clone(),
            terms: c.terms.clone(),
            deviations: c.deviations.clone(),
            legal_approval_id: c.approval_id.clone(),
        })?;
        ctx.send_mail(Mail {
            to: c.owner.clone(),
            subject: format!("Contract {} ready for countersignature", c.contract_id),
            text: format!(
                "Deal {} ({}), signed by {}: {} over {} months, net {} days, governing law {}.
{}",
                c.deal_id,
                c.account_id,
                c.accepted_by,
                c.total,
                c.terms.term_months,
                c.terms.payment_terms_days,
                c.terms.governing_law,
                if c.deviations.is_empty() {
                    "Standard terms.".to_string()
                } else {
                    format!("Approved deviations:\n- {}", c.deviations.join("\n- "))
                }
            ),
            html: None,
            ..Default::default()
        })?;
        self.save_contract(ctx, &c)
    }

    async fn on_legal_decision(
        &self,
        ctx: &mut Ctx<'_>,
        a: &ApprovalDecided,
    ) -> Result<(), AgentError> {
        let Some(mut c) = ctx
            .get_as::<Contract>(Domain::Customer, &deal_pk(&a.subject), "contract")
            .await?
        else {
            return Err(AgentError::Invalid(format!(
                "no contract for deal {}",
                a.subject
            )));
        };
        if c.status != ContractStatus::AwaitingLegal
            || c.approval_id.as_deref() != Some(a.approval_id.as_str())
        {
            return Ok(());
        }
        if a.outcome == ApprovalOutcome::Approved {
            return self.issue(ctx, c);
        }
        c.status = ContractStatus::RejectedByLegal;
        c.note = Some(match a.outcome {
            ApprovalOutcome::Rejected => format!(
                "rejected by {}{}",
                a.decided_by.as_deref().unwrap_or("legal"),
                a.comment
                    .as_deref()
                    .map(|x| format!(": {x}"))
                    .unwrap_or_default()
            ),
            _ => "legal did not decide in time".into(),
        });
        ctx.send_mail(Mail {
            to: c.owner.clone(),
            subject: format!("Contract terms for deal {} not approved", c.deal_id),
            text: format!(
                "Legal {}. Renegotiate these terms or offer the standard contract:\n- {}\n",
                c.note.as_deref().unwrap_or(""),
                c.deviations.join("\n- ")
            ),
            html: None,
            ..Default::default()
        })?;
        self.save_contract(ctx, &c)
    }

    fn on_objection(&self, ctx: &mut Ctx<'_>, o: &ObjectionLogged) -> Result<(), AgentError> {
        ctx.put_record(
            Domain::Customer,
            &deal_pk(&o.deal_id),
            &format!("objection#{}", o.objection_id),
            o,
            None,
            Condition::Always,
        )
    }

    fn normalise(&self, reason: Option<&str>) -> String {
        let Some(r) = reason else {
            return "unstated".into();
        };
        let key = r.trim().to_lowercase().replace([' ', '-'], "_");
        self.config
            .outcome_reasons
            .iter()
            .find(|c| {
                key == **c || key.starts_with(&format!("{c}_")) || key.starts_with(&format!("{c}:"))
            })
            .cloned()
            .unwrap_or_else(|| "other".into())
    }

    async fn on_outcome(
        &self,
        ctx: &mut Ctx<'_>,
        deal_id: &str,
        won: bool,
        reason: Option<&str>,
    ) -> Result<(), AgentError> {
        let pk = deal_pk(deal_id);
        if ctx.get(Domain::Customer, &pk, "outcome").await?.is_some() {
            return Ok(());
        }
        let mut objections: Vec<String> = ctx
            .query(
                Domain::Customer,
                &Query::table(&pk).sort(SortKey::BeginsWith("objection#".into())),
            )
            .await?
            .iter()
            .map(|i| i.parse::<ObjectionLogged>().map(|o| o.category))
            .collect::<Result<_, _>>()?;
        objections.sort();
        objections.dedup();
        let outcome = DealOutcome {
            deal_id: deal_id.into(),
            won,
            reason: self.normalise(reason),
            reason_text: reason.map(str::to_string),
            objections: objections.clone(),
        };
        ctx.put_record(
            Domain::Customer,
            &pk,
            "outcome",
            &outcome,
            None,
            Condition::NotExists,
        )?;
        // The quarter the deal was closed in, not the one it is processed in.
        let qpk = format!("win-loss#{}", quarter_of(ctx.cause().time.date_naive()));
        let mut tally: WinLossTally = ctx
            .get_as(Domain::Performance, &qpk, "tally")
            .await?
            .unwrap_or_default();
        let condition = if tally.version == 0 {
            Condition::NotExists
        } else {
            Condition::version(Some(tally.version))
        };
        let (reasons, seen) = if won {
            (&mut tally.won, &mut tally.objections_in_won)
        } else {
            (&mut tally.lost, &mut tally.objections_in_lost)
        };
        *reasons.entry(outcome.reason.clone()).or_default() += 1;
        for o in objections {
            *seen.entry(o).or_default() += 1;
        }
        tally.version += 1;
        ctx.put_record(Domain::Performance, &qpk, "tally", &tally, None, condition)
    }

    fn send(&self, ctx: &mut Ctx<'_>, mut p: Proposal) -> Result<(), AgentError> {
        p.status = ProposalStatus::Sent;
        // Valid from when it goes out (the stage change, or the approval's decision), so the
        // wait for an approval never eats the customer's time to accept.
        p.valid_until = valid_until(ctx.cause().time.date_naive(), self.config.validity_days);
        ctx.put_record(
            Domain::Customer,
            &deal_pk(&p.deal_id),
            PROPOSAL_SK,
            &p,
            None,
            Condition::Always,
        )?;
        ctx.emit(ProposalSent {
            proposal_id: p.proposal_id.clone(),
            deal_id: p.deal_id.clone(),
            account_id: p.account_id.clone(),
            lines: p.lines.clone(),
            subtotal: p.subtotal.clone(),
            discount_pct: p.discount_pct,
            discount: p.discount.clone(),
            total: p.total.clone(),
            approval_id: p.approval_id.clone(),
            valid_until: p.valid_until,
        })?;
        let lines: String = p
            .lines
            .iter()
            .map(|l| {
                format!(
                    "  {} × {} @ {} = {}\n",
                    l.quantity, l.description, l.unit_price, l.amount
                )
            })
            .collect();
        ctx.send_mail(Mail {
            to: p.owner.clone(),
            subject: format!("Proposal {} for deal {} is out", p.proposal_id, p.deal_id),
            text: format!(
                "{lines}\nSubtotal: {}\nDiscount: {}% ({})\nTotal: {}\nValid until: {}\n{}",
                p.subtotal,
                p.discount_pct,
                p.discount,
                p.total,
                p.valid_until,
                p.note.as_deref().unwrap_or("")
            ),
            html: None,
            ..Default::default()
        })
    }
}

#[async_trait]
impl Agent for Closing {
    fn declaration(&self) -> &AgentDecl {
        &self.decl
    }

    async fn handle(&self, event: &Event, ctx: &mut Ctx<'_>) -> Result<(), AgentError> {
        match event.payload() {
            Payload::DealStageChanged(d) if d.to_stage == DealStage::Proposal => {
                self.on_proposal_stage(ctx, d).await
            }
            Payload::ApprovalDecided(a) => {
                // Only what the approval record says (a forged or early event is refused).
                approval::confirmed(ctx, a).await?;
                if a.kind == "contract_terms" {
                    self.on_legal_decision(ctx, a).await
                } else {
                    self.on_decision(ctx, a).await
                }
            }
            Payload::ProposalAccepted(a) => self.on_accepted(ctx, a).await,
            Payload::ObjectionLogged(o) => self.on_objection(ctx, o),
            Payload::DealClosedWon(DealClosedWon {
                deal_id, reason, ..
            }) => self.on_outcome(ctx, deal_id, true, reason.as_deref()).await,
            Payload::DealClosedLost(DealClosedLost {
                deal_id, reason, ..
            }) => self.on_outcome(ctx, deal_id, false, Some(reason)).await,
            other => Err(AgentError::unhandled(NAME, other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ascent_core::approval::Decision;
    use ascent_core::catalog::DealLine;
    use ascent_embedded::testkit::TestTwin;
    use chrono::{DateTime, Utc};
    use std::sync::Arc;

    fn t0() -> DateTime<Utc> {
        "2026-03-02T09:00:00Z".parse().unwrap()
    }

    fn twin() -> TestTwin {
        TestTwin::new(vec![Arc::new(Closing::default())], t0())
    }

    fn deal(id: &str, discount: f64) -> DealStageChanged {
        DealStageChanged {
            deal_id: id.into(),
            account_id: "acct-1".into(),
            owner: "rep@ascent-xr.example".into(),
            from_stage: Some(DealStage::Demo),
            to_stage: DealStage::Proposal,
            lines: vec![
                DealLine {
                    sku: "XR-STUDIO-SEAT".into(),
                    quantity: 50,
                },
                DealLine {
                    sku: "ONBOARDING".into(),
                    quantity: 1,
                },
            ],
            requested_discount_pct: discount,
            currency: "USD".into(),
            amount: None,
            expected_close: None,
        }
    }

    fn sent(t: &TestTwin) -> Vec<ProposalSent> {
        t.emitted("ProposalSent")
            .iter()
            .map(|e| match e.payload() {
                Payload::ProposalSent(p) => p.clone(),
                _ => unreachable!(),
            })
            .collect()
    }

    /// Approves or rejects through the twin's approval desk, using the emailed link.
    fn decide(t: &TestTwin, decision: Decision) {
        t.decide_from_mail("sales.director@ascent-xr.example", decision, None)
            .unwrap();
    }

    #[test]
    fn within_threshold_goes_out_at_once() {
        let t = twin();
        t.emit("ascent.crm", deal("D1", 10.0));
        let s = sent(&t);
        // 50 seats at tier 2 (960.00) = 48,000.00 + onboarding 5,000.00 = 53,000.00; 10% off.
        assert_eq!(s[0].subtotal, Money::usd(5_300_000));
        assert_eq!(s[0].discount, Money::usd(530_000));
        assert_eq!(s[0].total, Money::usd(4_770_000));
        assert_eq!(s[0].approval_id, None);
        assert!(t.runtime.status().unwrap().pending_approvals.is_empty());
        assert!(t.runtime.mails().unwrap()[0].to == "rep@ascent-xr.example");
    }

    #[test]
    fn above_threshold_waits_for_the_director_then_goes_out_as_asked() {
        let t = twin();
        t.emit("ascent.crm", deal("D2", 20.0));
        assert!(sent(&t).is_empty());
        let pending = t.runtime.status().unwrap().pending_approvals;
        assert_eq!(pending[0].approver, "sales.director@ascent-xr.example");
        assert_eq!(pending[0].subject, "D2");
        decide(&t, Decision::Approve);
        let s = sent(&t);
        assert_eq!(s[0].discount_pct, 20.0);
        assert_eq!(s[0].total, Money::usd(4_240_000));
        assert_eq!(s[0].approval_id.as_deref(), Some(pending[0].id.as_str()));
    }

    /// Issue 22: a discount above the director's limit went to the director anyway (19 of 103
    /// approved decisions exceeded it, with the proposal already out).
    #[test]
    fn a_discount_above_the_directors_limit_goes_to_the_cro_first_and_nothing_goes_out_before() {
        let t = twin();
        // 53,000.00 list at 50% off: a discount of 26,500.00, above the director's 25,000.00.
        t.emit("ascent.crm", deal("D9", 50.0));
        let pending = t.runtime.status().unwrap().pending_approvals;
        assert_eq!(pending[0].approver, "cro@ascent-xr.example");
        assert!(sent(&t).is_empty(), "no proposal before the approval");
        t.decide_from_mail("cro@ascent-xr.example", Decision::Approve, None)
            .unwrap();
        assert_eq!(sent(&t)[0].discount, Money::usd(2_650_000));
    }

    /// Issue 22: validity was counted from the draft, so the wait for the approval ate the
    /// customer's 30 days.
    #[test]
    fn a_proposal_is_valid_for_30_days_from_when_it_is_sent_after_its_approval() {
        // Given a 20% discount drafted on 03-02 and approved on 03-04 at 08:00,
        let t = twin();
        t.emit("ascent.crm", deal("D2", 20.0));
        t.clock.set("2026-03-04T08:00:00Z".parse().unwrap());
        decide(&t, Decision::Approve);
        // then it is valid 30 days from 03-04 (04-03), not from the draft (04-01).
        assert_eq!(
            sent(&t)[0].valid_until,
            "2026-04-03".parse::<NaiveDate>().unwrap()
        );
        let stored = t.get(Domain::Customer, "deal#D2", "proposal").unwrap();
        assert_eq!(stored["valid_until"], "2026-04-03");
    }

    #[test]
    fn rejection_reprices_at_the_threshold() {
        let t = twin();
        t.emit("ascent.crm", deal("D3", 25.0));
        decide(&t, Decision::Reject);
        let s = sent(&t);
        assert_eq!(s[0].discount_pct, 15.0);
        assert_eq!(s[0].total, Money::usd(4_505_000));
        let stored = t.get(Domain::Customer, "deal#D3", "proposal").unwrap();
        assert!(stored["note"].as_str().unwrap().contains("rejected"));
    }

    #[test]
    fn expiry_reprices_at_the_threshold_too() {
        let t = twin();
        t.emit("ascent.crm", deal("D4", 30.0));
        t.clock.advance(Duration::hours(49));
        t.runtime.tick_approvals().unwrap();
        t.clock.advance(Duration::hours(49));
        t.runtime.tick_approvals().unwrap();
        t.drain();
        assert_eq!(sent(&t)[0].discount_pct, 15.0);
    }

    /// A decision about approval `id` of deal `deal` (a 20% discount) that nobody took.
    fn forged(id: &str, deal: &str, outcome: ApprovalOutcome) -> ApprovalDecided {
        ApprovalDecided {
            approval_id: id.into(),
            kind: "discount".into(),
            subject: deal.into(),
            requested_by_agent: NAME.into(),
            amount: Some(Money::usd(1_060_000)),
            outcome,
            decided_by: Some("mallory@attacker.example".into()),
            comment: None,
            requester: "rep@ascent-xr.example".into(),
        }
    }

    #[test]
    fn a_decision_the_approval_record_does_not_say_is_refused() {
        let t = twin();
        t.emit("ascent.crm", deal("D2", 20.0));
        let id = t.runtime.status().unwrap().pending_approvals[0].id.clone();
        // Published with the approval workflow's source, but the approval is still pending:
        // retried (the record may lag on AWS), then dead-lettered with the reason.
        t.emit(
            "ascent.approvals",
            forged(&id, "D2", ApprovalOutcome::Approved),
        );
        assert!(sent(&t).is_empty(), "sent on a forged approval");
        let dead = t.runtime.dead_letters().unwrap();
        assert_eq!(dead.len(), 1);
        assert_eq!(dead[0].receive_count, 3);
        assert_eq!(
            dead[0].reason,
            format!(
                "approval {id} is still pending on record: a decision counts only once recorded (retried, then dead-lettered)"
            )
        );
        // An approval nobody opened, or a claim the record contradicts: refused at once.
        t.emit(
            "ascent.approvals",
            forged("apr-made-up", "D2", ApprovalOutcome::Approved),
        );
        let mut cheaper = forged(&id, "D2", ApprovalOutcome::Approved);
        cheaper.amount = Some(Money::usd(1));
        t.emit("ascent.approvals", cheaper);
        let dead = t.runtime.dead_letters().unwrap();
        assert_eq!(dead.len(), 3);
        assert_eq!((dead[1].receive_count, dead[2].receive_count), (1, 1));
        assert!(
            dead[1].reason.contains("no such approval on record"),
            "{}",
            dead[1].reason
        );
        assert_eq!(
            dead[2].reason,
            format!(
                "invalid input: approval {id}: `amount` is not what the record says; the decision is refused"
            )
        );
        // The director's real decision decides.
        decide(&t, Decision::Reject);
        let s = sent(&t);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].discount_pct, 15.0);
        // Replayed afterwards with another outcome: refused at once, nothing sent again.
        t.emit(
            "ascent.approvals",
            forged(&id, "D2", ApprovalOutcome::Approved),
        );
        let dead = t.runtime.dead_letters().unwrap();
        assert_eq!(dead.len(), 4);
        assert!(
            dead[3]
                .reason
                .contains("the event says approved, the record says rejected")
        );
        assert_eq!(sent(&t).len(), 1);
        // Every refusal is in the audit trail.
        let audit = t.runtime.store().audit_records().unwrap();
        assert_eq!(
            audit
                .iter()
                .filter(|r| r.entry.action == "dead-lettered")
                .count(),
            4
        );
    }

    #[test]
    fn a_rep_who_is_also_the_director_cannot_approve_their_own_discount() {
        let t = twin();
        let mut d = deal("D5", 20.0);
        d.owner = "sales.director@ascent-xr.example".into();
        t.emit("ascent.crm", d);
        let pending = t.runtime.status().unwrap().pending_approvals;
        assert_eq!(pending[0].approver, "cro@ascent-xr.example");
    }

    #[test]
    fn unknown_sku_is_dead_lettered_with_the_sku_named() {
        let t = twin();
        let mut d = deal("D6", 0.0);
        d.lines[0].sku = "XR-HOLODECK".into();
        t.emit("ascent.crm", d);
        let dl = t.runtime.dead_letters().unwrap();
        assert_eq!(
            dl[0].reason,
            "invalid input: deal D6: SKU `XR-HOLODECK` is not in the price book"
        );
    }

    #[test]
    fn other_stages_are_not_routed_here() {
        let t = twin();
        let mut d = deal("D7", 0.0);
        d.to_stage = DealStage::Negotiation;
        t.emit("ascent.crm", d);
        assert_eq!(t.runtime.status().unwrap().events_unrouted, 1);
    }

    fn terms(payment_days: u32, clauses: &[&str]) -> ContractTerms {
        ContractTerms {
            payment_terms_days: payment_days,
            term_months: 24,
            auto_renew: true,
            liability_cap_multiple: 1.0,
            governing_law: "US-DE".into(),
            custom_clauses: clauses.iter().map(|c| c.to_string()).collect(),
        }
    }

    fn accept(t: &TestTwin, terms: ContractTerms) {
        let p = &sent(t)[0];
        t.emit(
            "ascent.crm",
            ProposalAccepted {
                proposal_id: p.proposal_id.clone(),
                deal_id: p.deal_id.clone(),
                accepted_by: "cfo@boreal.aero".into(),
                terms,
            },
        );
    }

    fn contracts(t: &TestTwin) -> Vec<ContractIssued> {
        t.emitted("ContractIssued")
            .iter()
            .map(|e| match e.payload() {
                Payload::ContractIssued(c) => c.clone(),
                _ => unreachable!(),
            })
            .collect()
    }

    #[test]
    fn standard_terms_are_contracted_at_once() {
        let t = twin();
        t.emit("ascent.crm", deal("D1", 10.0));
        accept(&t, terms(30, &[]));
        accept(&t, terms(30, &[])); // signed twice: one contract
        let c = contracts(&t);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].total, Money::usd(4_770_000));
        assert!(c[0].deviations.is_empty());
        assert!(t.runtime.status().unwrap().pending_approvals.is_empty());
    }

    #[test]
    fn non_standard_terms_wait_for_legal() {
        let t = twin();
        t.emit("ascent.crm", deal("D1", 10.0));
        accept(&t, terms(60, &["Source code escrow"]));
        assert!(contracts(&t).is_empty());
        let pending = t.runtime.status().unwrap().pending_approvals;
        assert_eq!(pending[0].approver, "legal.counsel@ascent-xr.example");
        t.decide_from_mail("legal.counsel@ascent-xr.example", Decision::Approve, None)
            .unwrap();
        let c = contracts(&t);
        assert_eq!(
            c[0].deviations,
            [
                "payment terms 60 days (standard at most 45)",
                "custom clause: Source code escrow"
            ]
        );
        assert!(c[0].legal_approval_id.is_some());
    }

    #[test]
    fn legal_rejection_tells_the_owner_and_issues_nothing() {
        let t = twin();
        t.emit("ascent.crm", deal("D1", 10.0));
        accept(&t, terms(90, &[]));
        t.decide_from_mail(
            "legal.counsel@ascent-xr.example",
            Decision::Reject,
            Some("net 90 is off the table"),
        )
        .unwrap();
        assert!(contracts(&t).is_empty());
        let c: Contract =
            serde_json::from_value(t.get(Domain::Customer, "deal#D1", "contract").unwrap())
                .unwrap();
        assert_eq!(c.status, ContractStatus::RejectedByLegal);
        let mails = t.runtime.mails().unwrap();
        assert!(
            mails
                .iter()
                .any(|m| m.subject == "Contract terms for deal D1 not approved"
                    && m.text.contains("net 90 is off the table"))
        );
    }

    #[test]
    fn accepting_an_unknown_or_expired_proposal_is_refused() {
        let t = twin();
        t.emit("ascent.crm", deal("D1", 10.0));
        t.emit(
            "ascent.crm",
            ProposalAccepted {
                proposal_id: "prop-forged".into(),
                deal_id: "D1".into(),
                accepted_by: "cfo@boreal.aero".into(),
                terms: terms(30, &[]),
            },
        );
        t.clock.advance(chrono::Duration::days(31));
        accept(&t, terms(30, &[]));
        let dead = t.runtime.dead_letters().unwrap();
        assert_eq!(dead.len(), 2);
        assert!(dead[0].reason.contains("is not the one sent"));
        assert!(dead[1].reason.contains("expired on"));
    }

    /// Ingests `payload` as an event that happened at `time` and drains (a late delivery
    /// when `time` is before the twin's clock).
    fn deliver<P: ascent_core::catalog::EventPayload>(
        t: &TestTwin,
        time: DateTime<Utc>,
        payload: P,
    ) {
        let e = Event::new(
            "ascent.crm",
            ascent_core::event::Actor::system("ascent.crm"),
            time,
            payload,
        );
        t.runtime.ingest(&[e]).unwrap();
        t.drain();
    }

    #[test]
    fn a_proposal_priced_late_is_valid_from_when_the_deal_reached_the_proposal_stage() {
        // Given a deal that reached the proposal stage on 03-02, delivered ten days late
        let t = twin();
        t.clock.set("2026-03-12T09:00:00Z".parse().unwrap());
        // When Closing prices it
        deliver(&t, t0(), deal("D1", 10.0));
        // Then the proposal is valid 30 days from 03-02, not from the day it was processed
        assert_eq!(
            sent(&t)[0].valid_until,
            "2026-04-01".parse::<NaiveDate>().unwrap()
        );
    }

    #[test]
    fn an_acceptance_within_validity_delivered_after_it_still_counts() {
        // Given a proposal valid until 04-01, accepted on 03-31
        let t = twin();
        t.emit("ascent.crm", deal("D1", 10.0));
        let p = sent(&t)[0].clone();
        // When the acceptance is delivered on 04-03
        t.clock.set("2026-04-03T09:00:00Z".parse().unwrap());
        deliver(
            &t,
            "2026-03-31T16:00:00Z".parse().unwrap(),
            ProposalAccepted {
                proposal_id: p.proposal_id,
                deal_id: p.deal_id,
                accepted_by: "cfo@boreal.aero".into(),
                terms: terms(30, &[]),
            },
        );
        // Then the contract is issued: the prospect accepted in time
        assert!(t.runtime.dead_letters().unwrap().is_empty());
        assert_eq!(t.emitted("ContractIssued").len(), 1);
    }

    #[test]
    fn a_deal_won_in_march_and_delivered_in_april_counts_in_the_first_quarter() {
        // Given a deal won on 03-31, delivered on 04-02
        let t = twin();
        t.clock.set("2026-04-02T09:00:00Z".parse().unwrap());
        deliver(
            &t,
            "2026-03-31T17:00:00Z".parse().unwrap(),
            DealClosedWon {
                deal_id: "D9".into(),
                account_id: "A9".into(),
                owner: "rep@ascent-xr.example".into(),
                amount: Money::usd(100_000),
                proposal_id: None,
                reason: Some("product fit".into()),
                lead_id: None,
            },
        );
        // Then it is tallied in 2026-Q1
        assert!(
            t.get(Domain::Performance, "win-loss#2026-Q2", "tally")
                .is_none()
        );
        assert!(
            t.get(Domain::Performance, "win-loss#2026-Q1", "tally")
                .is_some()
        );
    }

    #[test]
    fn outcomes_record_reasons_and_objections_per_quarter() {
        let t = twin();
        let objection = |id: &str, deal: &str, category: &str| ObjectionLogged {
            objection_id: id.into(),
            deal_id: deal.into(),
            category: category.into(),
            note: "…".into(),
            logged_by: "rep@ascent-xr.example".into(),
        };
        t.emit("ascent.crm", objection("O1", "D1", "price"));
        t.emit("ascent.crm", objection("O2", "D1", "security"));
        t.emit("ascent.crm", objection("O3", "D2", "price"));
        let lost = |deal: &str, reason: &str| DealClosedLost {
            deal_id: deal.into(),
            account_id: "A1".into(),
            owner: "rep@ascent-xr.example".into(),
            reason: reason.into(),
            lead_id: None,
        };
        t.emit(
            "ascent.crm",
            lost("D1", "Price: went with cheaper headsets"),
        );
        t.emit("ascent.crm", lost("D1", "price")); // reported twice
        t.emit(
            "ascent.crm",
            DealClosedWon {
                deal_id: "D2".into(),
                account_id: "A2".into(),
                owner: "rep@ascent-xr.example".into(),
                amount: Money::usd(100_000),
                proposal_id: None,
                reason: Some("product fit".into()),
                lead_id: None,
            },
        );
        t.emit("ascent.crm", lost("D3", "CEO left"));
        let tally: WinLossTally = serde_json::from_value(
            t.get(Domain::Performance, "win-loss#2026-Q1", "tally")
                .unwrap(),
        )
        .unwrap();
        assert_eq!(tally.lost["price"], 1);
        assert_eq!(tally.lost["other"], 1);
        assert_eq!(tally.won["product_fit"], 1);
        assert_eq!(tally.objections_in_lost["security"], 1);
        assert_eq!(tally.objections_in_won["price"], 1);
        let o: DealOutcome =
            serde_json::from_value(t.get(Domain::Customer, "deal#D1", "outcome").unwrap()).unwrap();
        assert_eq!(o.objections, ["price", "security"]);
        assert_eq!(
            o.reason_text.as_deref(),
            Some("Price: went with cheaper headsets")
        );
    }
}
