//! Contracts from accepted proposals: drafted from the proposal and the requested terms;
//! standard terms are issued at once (`ContractIssued`), deviations wait for Legal's approval
//! (rejected, the owner is told and nothing is issued).

use crate::{Closing, NAME};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::approval::{self, ApprovalDraft, Customer, Fact};
use ascent_core::catalog::{
    ApprovalDecided, ApprovalOutcome, ContractIssued, ContractTerms, ProposalAccepted,
};
use ascent_core::context::Ctx;
use ascent_core::money::Money;
use ascent_core::ports::{Condition, Mail};
use ascent_core::records::{PROPOSAL_SK, Proposal, ProposalStatus, deal_pk};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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

impl Closing {
    pub(crate) async fn on_accepted(
        &self,
        ctx: &mut Ctx<'_>,
        a: &ProposalAccepted,
    ) -> Result<(), AgentError> {
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
        // The deal is the subject and the account the customer; the deviations are the
        // reason, each on its own row as well.
        let mut facts = BTreeMap::new();
        facts.insert("Contract value".into(), Fact::from(&p.total));
        facts.insert("Signed by".into(), a.accepted_by.clone().into());
        for (i, d) in deviations.iter().enumerate() {
            facts.insert(format!("Deviation {}", i + 1), d.into());
        }
        ctx.request_approval(ApprovalDraft {
            kind: "contract_terms".into(),
            subject: a.deal_id.clone(),
            summary: format!(
                "{} non-standard term(s) in the contract for deal {}",
                deviations.len(),
                a.deal_id
            ),
            amount: None,
            requester: p.owner.clone(),
            approver_role: self.config.legal_role.clone(),
            first_approver: None,
            reason: deviations.join("; "),
            requester_reason: None,
            customer: Some(Customer::new(&p.account_id, None)),
            facts,
        })?;
        c.approval_id = Some(approval_id);
        self.save_contract(ctx, &c)
    }

    pub(crate) fn save_contract(&self, ctx: &mut Ctx<'_>, c: &Contract) -> Result<(), AgentError> {
        ctx.put_record(
            Domain::Customer,
            &deal_pk(&c.deal_id),
            "contract",
            c,
            None,
            Condition::Always,
        )
    }

    pub(crate) fn issue(&self, ctx: &mut Ctx<'_>, mut c: Contract) -> Result<(), AgentError> {
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

    pub(crate) async fn on_legal_decision(
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
}
