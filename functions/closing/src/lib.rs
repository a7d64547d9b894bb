//! # Closing agent
//!
//! When a deal reaches the proposal stage, prices its lines from the price book (volume
//! tiers) and applies the discount the rep asks for. A discount above the threshold (default
//! 15%) needs the Sales Director's approval: the proposal waits, and the approval flow asks
//! the director by email. Approved → the proposal goes out as asked; rejected or expired →
//! it is re-priced at the threshold and goes out. Sending is `ProposalSent` plus an email to
//! the deal owner; the proposal is kept in the customer domain for Billing.

pub mod price_book;

use ascent_core::agent::{
    Agent, AgentDecl, AgentError, Department, Domain, QueueClass, Subscription,
};
use ascent_core::approval::{self, ApprovalDraft};
use ascent_core::catalog::{
    ApprovalDecided, ApprovalOutcome, DealStage, DealStageChanged, Payload, PricedLine,
    ProposalSent,
};
use ascent_core::context::Ctx;
use ascent_core::event::Event;
use ascent_core::money::Money;
use ascent_core::ports::{Condition, Mail};
use async_trait::async_trait;
use chrono::{Duration, NaiveDate};
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
                    "detail": {"payload": {"requested_by_agent": [NAME], "kind": ["discount"]}}
                }),
            },
        ],
        reads: vec![Domain::Customer],
        writes: vec![Domain::Customer],
        emits: vec!["ProposalSent"],
        requests_approvals: true,
        sends_mail: true,
    }
}

/// Closing settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ClosingConfig {
    pub price_book: PriceBook,
    /// Discounts above this percentage need approval.
    pub discount_threshold_pct: f64,
    /// Role whose approver chain decides discounts.
    pub approver_role: String,
    pub validity_days: i64,
}

impl Default for ClosingConfig {
    fn default() -> Self {
        Self {
            price_book: PriceBook::default(),
            discount_threshold_pct: 15.0,
            approver_role: "sales-director".into(),
            validity_days: 30,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProposalStatus {
    AwaitingApproval,
    Sent,
}

/// A proposal as stored in the customer domain (`deal#<id>` / `proposal`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Proposal {
    pub proposal_id: String,
    pub deal_id: String,
    pub account_id: String,
    pub owner: String,
    pub lines: Vec<PricedLine>,
    pub subtotal: Money,
    pub requested_discount_pct: f64,
    pub discount_pct: f64,
    pub discount: Money,
    pub total: Money,
    pub status: ProposalStatus,
    pub approval_id: Option<String>,
    pub valid_until: NaiveDate,
    /// Why the final discount differs from the requested one, if it does.
    pub note: Option<String>,
}

impl Proposal {
    fn priced(mut self, pct: f64) -> Self {
        let bp = (pct * 100.0).round() as i64;
        self.discount_pct = pct;
        self.discount = self.subtotal.percent_bp(bp);
        self.total = Money::new(
            self.subtotal.amount_minor - self.discount.amount_minor,
            &self.subtotal.currency,
        );
        self
    }
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

fn deal_pk(deal_id: &str) -> String {
    format!("deal#{deal_id}")
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
            valid_until: (ctx.now() + Duration::days(self.config.validity_days)).date_naive(),
            note: None,
        }
        .priced(d.requested_discount_pct);

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
                "proposal",
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
            .get_as::<Proposal>(Domain::Customer, &deal_pk(&a.subject), "proposal")
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
                    ..proposal.priced(threshold)
                }
            }
        };
        self.send(ctx, proposal)
    }

    fn send(&self, ctx: &mut Ctx<'_>, mut p: Proposal) -> Result<(), AgentError> {
        p.status = ProposalStatus::Sent;
        ctx.put_record(
            Domain::Customer,
            &deal_pk(&p.deal_id),
            "proposal",
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
            Payload::ApprovalDecided(a) => self.on_decision(ctx, a).await,
            other => Err(AgentError::Invalid(format!(
                "{NAME} does not handle {}",
                other.detail_type()
            ))),
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
}
