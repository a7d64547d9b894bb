//! Proposals: a deal reaching the proposal stage is priced from the price book with the
//! discount the rep asks for; a discount above the threshold waits for the approver (approved,
//! it goes out as asked; rejected or expired, re-priced at the threshold); sending is
//! `ProposalSent`, the mail to the deal owner and the shared record Billing invoices from.

use crate::{Closing, NAME};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::approval::{self, ApprovalDraft, Customer, Fact};
use ascent_core::catalog::{ApprovalDecided, ApprovalOutcome, DealStageChanged, ProposalSent};
use ascent_core::context::Ctx;
use ascent_core::money::Money;
use ascent_core::ports::{Condition, Mail};
use ascent_core::records::{PROPOSAL_SK, Proposal, ProposalStatus, deal_pk};
use chrono::{Duration, NaiveDate};
use std::collections::BTreeMap;

/// The last day a proposal sent on `sent_on` can be accepted.
pub fn valid_until(sent_on: NaiveDate, validity_days: i64) -> NaiveDate {
    sent_on + Duration::days(validity_days)
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

impl Closing {
    pub(crate) async fn on_proposal_stage(
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
            // The deal is the subject, the discount the amount, the account the customer: the
            // facts add only what the page does not show otherwise.
            let mut facts = BTreeMap::new();
            facts.insert("List subtotal".into(), Fact::from(&proposal.subtotal));
            facts.insert(
                "Requested discount".into(),
                format!("{}%", d.requested_discount_pct).into(),
            );
            facts.insert("Total after discount".into(), Fact::from(&proposal.total));
            facts.insert(
                "Threshold".into(),
                format!("{}%", self.config.discount_threshold_pct).into(),
            );
            ctx.request_approval(ApprovalDraft {
                kind: "discount".into(),
                subject: d.deal_id.clone(),
                summary: format!(
                    "{}% discount on deal {}",
                    d.requested_discount_pct, d.deal_id
                ),
                amount: Some(proposal.discount.clone()),
                requester: d.owner.clone(),
                approver_role: self.config.approver_role.clone(),
                first_approver: None,
                reason: format!(
                    "discount above the {}% threshold",
                    self.config.discount_threshold_pct
                ),
                requester_reason: d.discount_reason.clone(),
                customer: Some(Customer::new(&d.account_id, d.account_name.as_deref())),
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

    pub(crate) async fn on_decision(
        &self,
        ctx: &mut Ctx<'_>,
        a: &ApprovalDecided,
    ) -> Result<(), AgentError> {
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

    pub(crate) fn send(&self, ctx: &mut Ctx<'_>, mut p: Proposal) -> Result<(), AgentError> {
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
