//! Human approval: the request, its rules (chain of approvers, deadlines, escalation, expiry,
//! no self-approval), and signed single-use links. One definition used by the local twin and,
//! on AWS, by the notifier and approval API around Step Functions. Agents act on a decision
//! only once its record confirms it ([`confirmed`]).

mod confirm;
mod inbox;
mod locale;
mod mail;
mod view;

pub use confirm::{Unconfirmed, check_decision, confirmed, confirmed_for_review, record_key};
pub use locale::{LOCALES, LocaleFormat, Reader, Readers, locale_format, locale_tags};
pub use mail::{approval_mail, expired_mail};
pub use view::{ApprovalView, Closed, Customer, Fact, Row};

use crate::catalog::{ApprovalDecided, ApprovalOutcome, ApprovalRequested};
use crate::money::Money;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use uuid::Uuid;

/// What an agent asks for; the runtime turns it into an [`Approval`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ApprovalDraft {
    /// discount, expense, contract_terms, …
    pub kind: String,
    /// Entity the decision is about (deal id, expense id).
    pub subject: String,
    /// One line saying what is asked.
    pub summary: String,
    pub amount: Option<Money>,
    /// Email of the person on whose behalf the agent asks.
    pub requester: String,
    /// Role whose approver chain decides (`sales-director`).
    pub approver_role: String,
    /// A person asked before the role's chain (the submitter's manager); the role's chain
    /// is then the escalation path.
    #[serde(default)]
    pub first_approver: Option<String>,
    /// Why the approval is needed: the rule that asks for it (`discount above the 15%
    /// threshold`).
    pub reason: String,
    /// The requester's own reason, in their words (the rep's justification of a discount,
    /// the purpose of an expense, why a credit is owed), when they gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requester_reason: Option<String>,
    /// The customer the decision is about, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<Customer>,
    /// Further facts shown on the approval page (label → value). A fact repeating the
    /// subject, customer, amount or a reason is shown once, with those.
    pub facts: BTreeMap<String, Fact>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalStatus {
    Pending,
    Approved,
    Rejected,
    Expired,
}

/// A person's decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Reject,
}

impl Decision {
    pub fn parse(s: &str) -> Option<Decision> {
        match s {
            "approve" => Some(Decision::Approve),
            "reject" => Some(Decision::Reject),
            _ => None,
        }
    }
}

/// A stored approval request and its state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Approval {
    pub id: String,
    pub draft: ApprovalDraft,
    /// Agent that asked.
    pub agent: String,
    /// Approvers in escalation order (requester already removed).
    pub chain: Vec<String>,
    /// Index into `chain` of who decides now.
    pub step: u32,
    pub step_deadline: DateTime<Utc>,
    pub status: ApprovalStatus,
    pub created_at: DateTime<Utc>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub comment: Option<String>,
    pub correlation_id: Uuid,
    /// Distinct approvals needed (2 above the policy's two-person amount).
    #[serde(default = "one")]
    pub required_approvals: u32,
    /// Who approved so far, in order.
    #[serde(default)]
    pub approved_by: Vec<String>,
    /// How each person of `chain` reads amounts and times (same order; no address is kept
    /// twice), as configured when the request was opened; a request stored before has none
    /// and is read as [`Reader::default`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub readers: Vec<Reader>,
}

fn one() -> u32 {
    1
}

/// What a recorded decision did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecisionOutcome {
    /// Approved, rejected, or expired for want of another approver.
    Closed,
    /// Approved once; a second, distinct approver must approve too (segregation of duties).
    NeedsAnother { next: String },
}

/// Why an approval could not be opened or decided.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ApprovalError {
    #[error("no approver chain is configured for role `{0}`")]
    UnknownRole(String),
    #[error("nobody but the requester `{0}` could approve this; configure another approver")]
    NoEligibleApprover(String),
    #[error(
        "this request needs {required} distinct approvers besides the requester, but the chain has {available}"
    )]
    NotEnoughApprovers { required: u32, available: u32 },
    #[error("`{0}` already approved this request; a second approver must be someone else")]
    AlreadyApprovedBy(String),
    #[error("this request was already {0}")]
    AlreadyClosed(Closed),
    #[error("this link belongs to an earlier approver; the request has moved on")]
    Superseded,
    #[error("`{0}` is not the approver of this request")]
    NotTheApprover(String),
    #[error("the requester may never approve their own request")]
    SelfApproval,
    #[error("the deadline for this decision has passed")]
    PastDeadline,
    #[error(
        "nobody in the chain of `{role}` (nor its escalation) has authority for a {kind} of {amount}; configure [[approvals.authority]]"
    )]
    NoAuthority {
        role: String,
        kind: String,
        amount: String,
    },
    #[error("the amount cannot be valued in the base currency: {0}")]
    Unvalued(String),
}

/// Approver chains per role and the time each approver has: `[approvals]` of `ascent.toml`
/// ([`crate::config::platform::Approvals::policy`]).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ApprovalPolicy {
    /// role → approvers in escalation order.
    pub chains: BTreeMap<String, Vec<String>>,
    /// Time each approver has before escalation, in hours.
    pub step_timeout_hours: i64,
    /// Above this amount (minor units, any currency) two distinct approvers must approve
    /// (SOX segregation of duties); `None` never requires two.
    #[serde(default)]
    pub two_person_above_minor: Option<i64>,
    /// The delegation-of-authority matrix: who may approve how much of each kind (base minor
    /// units). Empty: everyone in a chain may approve any amount.
    #[serde(default)]
    pub authority: Vec<crate::config::platform::Authority>,
    /// The limit of an approver the matrix does not list (a line manager); `None`: no limit.
    #[serde(default)]
    pub manager_limit_minor: Option<i64>,
    /// Kind → the role whose chain is added when the requested chain lacks authority.
    #[serde(default)]
    pub escalation: BTreeMap<String, String>,
    /// Values foreign amounts in the base currency for the limits; `None`: amounts are taken
    /// as they are.
    #[serde(default)]
    pub fx: Option<crate::money::FxRates>,
    /// How each approver reads amounts and times (`[approvals] locale`, `time_zone`,
    /// `[[approvals.people]]`).
    #[serde(default)]
    pub readers: Readers,
}

/// The shipped `[approvals]` and `[currency]` of `ascent.toml`.
impl Default for ApprovalPolicy {
    fn default() -> Self {
        crate::config::platform::HostSettings::from_file(&crate::config::ConfigFile::shipped())
            .expect("the shipped host settings are valid")
            .policy()
    }
}

/// What happened when an approval's deadline was checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeadlineOutcome {
    NotDue,
    Escalated { to: String },
    Expired,
}

/// A stable approval id from the event that caused it and its position among its drafts.
pub fn approval_id(cause_event_id: Uuid, agent: &str, seq: usize) -> String {
    let mut h = Sha256::new();
    h.update(cause_event_id.as_bytes());
    h.update(agent.as_bytes());
    h.update((seq as u64).to_be_bytes());
    format!("apr-{}", &hex::encode(h.finalize())[..20])
}

impl ApprovalPolicy {
    pub fn step_timeout(&self) -> Duration {
        Duration::hours(self.step_timeout_hours)
    }

    /// Opens a request: resolves the chain without the requester, sets the first deadline.
    pub fn open(
        &self,
        id: String,
        agent: &str,
        draft: ApprovalDraft,
        correlation_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Approval, ApprovalError> {
        let mut chain: Vec<String> = Vec::new();
        let role_chain = self
            .chains
            .get(&draft.approver_role)
            .ok_or_else(|| ApprovalError::UnknownRole(draft.approver_role.clone()))?;
        for a in draft.first_approver.iter().chain(role_chain) {
            if !same_person(a, &draft.requester) && !chain.iter().any(|c| same_person(c, a)) {
                chain.push(a.clone());
            }
        }
        if chain.is_empty() {
            return Err(ApprovalError::NoEligibleApprover(draft.requester.clone()));
        }
        let base = self.base_amount(&draft)?;
        let required = match (&base, self.two_person_above_minor) {
            (Some(m), Some(limit)) if m.amount_minor > limit => 2,
            _ => 1,
        };
        // Delegation of authority, before any effect: approvers whose limit for this kind
        // does not cover the amount are skipped; when too few are left, the kind's
        // escalation role (the higher authority) is added.
        if let Some(amount) = &base {
            let covers = |a: &String| self.may_approve(a, &draft.kind, amount.amount_minor);
            chain.retain(covers);
            if (chain.len() as u32) < required
                && let Some(higher) = self
                    .escalation
                    .get(&draft.kind)
                    .and_then(|role| self.chains.get(role))
            {
                for a in higher {
                    if covers(a)
                        && !same_person(a, &draft.requester)
                        && !chain.iter().any(|c| same_person(c, a))
                    {
                        chain.push(a.clone());
                    }
                }
            }
            if chain.is_empty() {
                return Err(ApprovalError::NoAuthority {
                    role: draft.approver_role.clone(),
                    kind: draft.kind.clone(),
                    amount: amount.to_string(),
                });
            }
        }
        if (chain.len() as u32) < required {
            return Err(ApprovalError::NotEnoughApprovers {
                required,
                available: chain.len() as u32,
            });
        }
        let readers = chain.iter().map(|p| self.readers.of(p)).collect();
        Ok(Approval {
            id,
            draft,
            agent: agent.to_string(),
            chain,
            step: 0,
            step_deadline: now + self.step_timeout(),
            status: ApprovalStatus::Pending,
            created_at: now,
            decided_by: None,
            decided_at: None,
            comment: None,
            correlation_id,
            required_approvals: required,
            approved_by: Vec::new(),
            readers,
        })
    }
}

impl ApprovalPolicy {
    /// The draft's amount in the base currency (as it is without `fx`), `None` without one.
    fn base_amount(&self, draft: &ApprovalDraft) -> Result<Option<Money>, ApprovalError> {
        match (&draft.amount, &self.fx) {
            (None, _) => Ok(None),
            (Some(m), None) => Ok(Some(m.clone())),
            (Some(m), Some(fx)) => fx.to_base(m).map(Some).map_err(ApprovalError::Unvalued),
        }
    }

    /// The limit of `person` for decisions of `kind` (base minor units); `None`: no limit.
    pub fn limit_of(&self, person: &str, kind: &str) -> Option<i64> {
        match self
            .authority
            .iter()
            .find(|a| same_person(&a.person, person))
        {
            Some(a) => a.limit_for(kind),
            None if self.authority.is_empty() => None,
            None => self.manager_limit_minor,
        }
    }

    /// Whether `person` has authority for a decision of `kind` on `amount` (base minor units).
    pub fn may_approve(&self, person: &str, kind: &str, amount: i64) -> bool {
        self.limit_of(person, kind)
            .is_none_or(|limit| amount <= limit)
    }
}

fn same_person(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

impl Approval {
    pub fn approver(&self) -> &str {
        &self.chain[self.step as usize]
    }

    /// How `person` (one of the chain) reads amounts and times.
    pub fn reader_for(&self, person: &str) -> Reader {
        self.chain
            .iter()
            .position(|p| same_person(p, person))
            .and_then(|i| self.readers.get(i))
            .cloned()
            .unwrap_or_default()
    }

    pub fn status_word(&self) -> &'static str {
        match self.status {
            ApprovalStatus::Pending => "pending",
            ApprovalStatus::Approved => "approved",
            ApprovalStatus::Rejected => "rejected",
            ApprovalStatus::Expired => "expired",
        }
    }

    /// Checks that `approver` (from a verified link for `step`) may decide now.
    pub fn check_decider(
        &self,
        approver: &str,
        step: u32,
        now: DateTime<Utc>,
    ) -> Result<(), ApprovalError> {
        if self.status != ApprovalStatus::Pending {
            return Err(ApprovalError::AlreadyClosed(self.closed_for(approver)));
        }
        if same_person(approver, &self.draft.requester) {
            return Err(ApprovalError::SelfApproval);
        }
        if let Some(p) = self.approved_by.iter().find(|p| same_person(p, approver)) {
            return Err(ApprovalError::AlreadyApprovedBy(p.clone()));
        }
        if step != self.step {
            return Err(ApprovalError::Superseded);
        }
        if !same_person(approver, self.approver()) {
            return Err(ApprovalError::NotTheApprover(approver.into()));
        }
        if now > self.step_deadline {
            return Err(ApprovalError::PastDeadline);
        }
        Ok(())
    }

    /// Records a decision after [`Approval::check_decider`] rules. A rejection closes the
    /// request; an approval closes it once `required_approvals` distinct people approved,
    /// otherwise the next approver of the chain gets `step_timeout` to decide too.
    pub fn decide(
        &mut self,
        approver: &str,
        step: u32,
        decision: Decision,
        comment: Option<String>,
        now: DateTime<Utc>,
        step_timeout: Duration,
    ) -> Result<DecisionOutcome, ApprovalError> {
        self.check_decider(approver, step, now)?;
        // Where two people decide, each comment names its author.
        if let Some(c) = comment.filter(|c| !c.trim().is_empty()) {
            self.comment = Some(match self.comment.take() {
                Some(earlier) => format!("{earlier}\n{approver}: {c}"),
                None if self.required_approvals > 1 => format!("{approver}: {c}"),
                None => c,
            });
        }
        if decision == Decision::Reject {
            self.status = ApprovalStatus::Rejected;
            self.decided_by = Some(approver.to_string());
            self.decided_at = Some(now);
            return Ok(DecisionOutcome::Closed);
        }
        self.approved_by.push(approver.to_string());
        if self.approved_by.len() as u32 >= self.required_approvals {
            self.status = ApprovalStatus::Approved;
            self.decided_by = Some(self.approved_by.join(", "));
            self.decided_at = Some(now);
            return Ok(DecisionOutcome::Closed);
        }
        if (self.step as usize) + 1 < self.chain.len() {
            self.step += 1;
            self.step_deadline = now + step_timeout;
            return Ok(DecisionOutcome::NeedsAnother {
                next: self.approver().to_string(),
            });
        }
        // Escalations used up the chain: nobody is left to give the second approval.
        self.status = ApprovalStatus::Expired;
        self.decided_at = Some(now);
        Ok(DecisionOutcome::Closed)
    }

    /// Escalates to the next approver or expires when the deadline has passed.
    pub fn on_deadline(&mut self, now: DateTime<Utc>, policy: &ApprovalPolicy) -> DeadlineOutcome {
        if self.status != ApprovalStatus::Pending || now <= self.step_deadline {
            return DeadlineOutcome::NotDue;
        }
        if (self.step as usize) + 1 < self.chain.len() {
            self.step += 1;
            self.step_deadline = now + policy.step_timeout();
            DeadlineOutcome::Escalated {
                to: self.approver().to_string(),
            }
        } else {
            self.status = ApprovalStatus::Expired;
            self.decided_at = Some(now);
            DeadlineOutcome::Expired
        }
    }

    pub fn requested_event(&self) -> ApprovalRequested {
        ApprovalRequested {
            approval_id: self.id.clone(),
            kind: self.draft.kind.clone(),
            subject: self.draft.subject.clone(),
            summary: self.draft.summary.clone(),
            amount: self.draft.amount.clone(),
            requester: self.draft.requester.clone(),
            approver: self.approver().to_string(),
            step: self.step,
            deadline: self.step_deadline,
        }
    }

    /// The decision event; `None` while pending.
    pub fn decided_event(&self) -> Option<ApprovalDecided> {
        let outcome = match self.status {
            ApprovalStatus::Pending => return None,
            ApprovalStatus::Approved => ApprovalOutcome::Approved,
            ApprovalStatus::Rejected => ApprovalOutcome::Rejected,
            ApprovalStatus::Expired => ApprovalOutcome::Expired,
        };
        Some(ApprovalDecided {
            approval_id: self.id.clone(),
            kind: self.draft.kind.clone(),
            subject: self.draft.subject.clone(),
            requested_by_agent: self.agent.clone(),
            amount: self.draft.amount.clone(),
            outcome,
            decided_by: self.decided_by.clone(),
            comment: self.comment.clone(),
            requester: self.draft.requester.clone(),
        })
    }
}

/// What a verified link says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkClaims {
    pub approval_id: String,
    pub approver: String,
    pub step: u32,
    pub expires_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("this link is not valid (it was altered or not issued by Ascent)")]
    Forged,
    #[error("this link has expired")]
    Expired,
}

/// Signs and verifies approval links: `id|approver|step|expiry` with HMAC-SHA256.
/// The link carries no Step Functions task token and nothing secret.
#[derive(Clone)]
pub struct LinkSigner {
    key: Vec<u8>,
}

impl std::fmt::Debug for LinkSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkSigner(..)")
    }
}

type HmacSha256 = Hmac<Sha256>;

/// A link's text field with `%` and the separator `|` escaped (`%25`, `%7C`): an approver's
/// address may hold `|` (RFC 5322 allows it), and its link must still work.
fn escape(field: &str) -> std::borrow::Cow<'_, str> {
    if field.contains(['%', '|']) {
        field.replace('%', "%25").replace('|', "%7C").into()
    } else {
        field.into()
    }
}

/// The inverse of [`escape`]; any other `%` sequence is not one the signer wrote.
fn unescape(field: &str) -> Result<String, LinkError> {
    let mut out = String::with_capacity(field.len());
    let mut rest = field;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        match rest.get(i..i + 3) {
            Some("%25") => out.push('%'),
            Some("%7C") => out.push('|'),
            _ => return Err(LinkError::Forged),
        }
        rest = &rest[i + 3..];
    }
    out.push_str(rest);
    Ok(out)
}

impl LinkSigner {
    /// The key should be at least 32 random bytes (from config, SSM or Secrets Manager).
    pub fn new(key: &[u8]) -> Self {
        Self { key: key.to_vec() }
    }

    fn mac(&self, message: &[u8]) -> HmacSha256 {
        let mut mac =
            <HmacSha256 as KeyInit>::new_from_slice(&self.key).expect("HMAC takes any key");
        mac.update(message);
        mac
    }

    pub fn sign(&self, c: &LinkClaims) -> String {
        let body = format!(
            "{}|{}|{}|{}",
            escape(&c.approval_id),
            escape(&c.approver),
            c.step,
            c.expires_at
        );
        let tag = self.mac(body.as_bytes()).finalize().into_bytes();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(body.as_bytes()),
            URL_SAFE_NO_PAD.encode(tag)
        )
    }

    /// Verifies the signature first (constant time), then expiry.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<LinkClaims, LinkError> {
        let (body_b64, tag_b64) = token.split_once('.').ok_or(LinkError::Forged)?;
        let body = URL_SAFE_NO_PAD
            .decode(body_b64)
            .map_err(|_| LinkError::Forged)?;
        let tag = URL_SAFE_NO_PAD
            .decode(tag_b64)
            .map_err(|_| LinkError::Forged)?;
        self.mac(&body)
            .verify_slice(&tag)
            .map_err(|_| LinkError::Forged)?;
        let body = String::from_utf8(body).map_err(|_| LinkError::Forged)?;
        // `id|approver|step|expires`, the two text fields escaped (an address may hold `|`).
        let parts: Vec<&str> = body.split('|').collect();
        let [id, approver, step, exp] = parts[..] else {
            return Err(LinkError::Forged);
        };
        let (id, approver) = (unescape(id)?, unescape(approver)?);
        let claims = LinkClaims {
            approval_id: id,
            approver,
            step: step.parse().map_err(|_| LinkError::Forged)?,
            expires_at: exp.parse().map_err(|_| LinkError::Forged)?,
        };
        if now.timestamp() > claims.expires_at {
            return Err(LinkError::Expired);
        }
        Ok(claims)
    }

    /// The signed token for the current approver of `a`, valid until its step deadline.
    pub fn token_for(&self, a: &Approval) -> String {
        self.sign(&LinkClaims {
            approval_id: a.id.clone(),
            approver: a.approver().to_string(),
            step: a.step,
            expires_at: a.step_deadline.timestamp(),
        })
    }
}

/// Why an approval page or decision was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DeskError {
    #[error(transparent)]
    Link(#[from] LinkError),
    #[error("no approval request `{0}`")]
    NotFound(String),
    #[error(transparent)]
    Rule(#[from] ApprovalError),
    #[error("internal error: {0}")]
    Internal(String),
}

/// Where approval pages get requests and send decisions: the twin's runtime locally,
/// DynamoDB + Step Functions on AWS. Showing never changes anything; deciding is the POST.
#[async_trait::async_trait]
pub trait ApprovalDesk: Send + Sync {
    async fn show(&self, id: &str, token: &str) -> Result<ApprovalView, DeskError>;
    async fn decide(
        &self,
        id: &str,
        token: &str,
        decision: Decision,
        comment: Option<String>,
    ) -> Result<ApprovalView, DeskError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(requester: &str) -> ApprovalDraft {
        ApprovalDraft {
            kind: "discount".into(),
            subject: "deal-1".into(),
            summary: "20% discount on deal-1".into(),
            amount: Some(Money::usd(100_000)),
            requester: requester.into(),
            approver_role: "sales-director".into(),
            first_approver: None,
            reason: "competitive".into(),
            ..Default::default()
        }
    }

    fn t0() -> DateTime<Utc> {
        "2026-03-02T09:00:00Z".parse().unwrap()
    }

    /// Issue 22: discounts always went to the Sales Director whatever the amount (19 of 103
    /// approved decisions exceeded the director's 25,000.00 limit, and the proposal had gone
    /// out); now an approval goes first to someone whose authority covers it.
    #[test]
    fn an_approval_goes_first_to_an_approver_whose_limit_covers_it() {
        let p = ApprovalPolicy::default();
        let open = |minor: i64, currency: &str| {
            let mut d = draft("rep@x");
            d.amount = Some(Money::new(minor, currency));
            p.open("a".into(), "closing", d, Uuid::nil(), t0())
        };
        // Within the director's 25,000.00: the director first, the CRO above.
        let within = open(2_500_000, "USD").unwrap();
        assert_eq!(within.approver(), "sales.director@ascent-xr.example");
        // A 30,000.00 discount is above it: the CRO (no limit) first, the director skipped.
        let above = open(3_000_000, "USD").unwrap();
        assert_eq!(above.chain, ["cro@ascent-xr.example"]);
        // EUR 24,000.00 is USD 25,920.00 at 1.08: above the director's limit too.
        let eur = open(2_400_000, "EUR").unwrap();
        assert_eq!(eur.approver(), "cro@ascent-xr.example");
        // 60,000.00 needs two people with authority: the CRO, then the CFO (discount's
        // escalation role is the finance chain; the controller's 50,000.00 does not cover it).
        let big = open(6_000_000, "USD").unwrap();
        assert_eq!(big.required_approvals, 2);
        assert_eq!(
            big.chain,
            ["cro@ascent-xr.example", "cfo@ascent-xr.example"]
        );
    }

    #[test]
    fn limits_can_differ_by_kind_and_nobody_with_authority_is_a_clear_error() {
        let mut p = ApprovalPolicy::default();
        // The controller may approve credit notes up to 10,000.00 only (50,000.00 otherwise).
        let fc = p
            .authority
            .iter_mut()
            .find(|a| a.person == "finance.controller@ascent-xr.example")
            .unwrap();
        fc.limits_minor.insert("credit_note".into(), 1_000_000);
        let mut credit = draft("billing@x");
        credit.kind = "credit_note".into();
        credit.approver_role = "finance-controller".into();
        credit.amount = Some(Money::usd(2_000_000));
        let a = p
            .open("c".into(), "billing", credit.clone(), Uuid::nil(), t0())
            .unwrap();
        assert_eq!(a.chain, ["cfo@ascent-xr.example"]);
        credit.kind = "refund".into();
        let a = p
            .open("r".into(), "billing", credit.clone(), Uuid::nil(), t0())
            .unwrap();
        assert_eq!(a.approver(), "finance.controller@ascent-xr.example");
        // Nobody in the chain covers it and no escalation: refused, saying why.
        p.authority
            .iter_mut()
            .for_each(|a| a.limit_minor = Some(100));
        assert_eq!(
            p.open("x".into(), "billing", credit, Uuid::nil(), t0())
                .unwrap_err()
                .to_string(),
            "nobody in the chain of `finance-controller` (nor its escalation) has authority for a refund of 20000.00 USD; configure [[approvals.authority]]"
        );
    }

    #[test]
    fn requester_is_removed_from_chain_and_cannot_decide() {
        let p = ApprovalPolicy::default();
        let a = p
            .open(
                "a1".into(),
                "closing",
                draft("Sales.Director@ascent-xr.example"),
                Uuid::nil(),
                t0(),
            )
            .unwrap();
        assert_eq!(a.chain, vec!["cro@ascent-xr.example".to_string()]);
        let mut a = p
            .open("a2".into(), "closing", draft("rep@x"), Uuid::nil(), t0())
            .unwrap();
        assert_eq!(
            a.decide(
                "rep@x",
                0,
                Decision::Approve,
                None,
                t0(),
                Duration::hours(48)
            ),
            Err(ApprovalError::SelfApproval)
        );
        assert_eq!(
            a.decide(
                "intruder@x",
                0,
                Decision::Approve,
                None,
                t0(),
                Duration::hours(48)
            ),
            Err(ApprovalError::NotTheApprover("intruder@x".into()))
        );
        a.decide(
            "sales.director@ascent-xr.example",
            0,
            Decision::Approve,
            Some("ok".into()),
            t0(),
            Duration::hours(48),
        )
        .unwrap();
        assert_eq!(a.status, ApprovalStatus::Approved);
        assert_eq!(
            a.decide(
                "sales.director@ascent-xr.example",
                0,
                Decision::Reject,
                None,
                t0(),
                Duration::hours(48)
            ),
            Err(ApprovalError::AlreadyClosed(
                a.closed_for("sales.director@ascent-xr.example")
            ))
        );
    }

    #[test]
    fn above_the_two_person_amount_two_distinct_approvers_must_approve() {
        // Segregation of duties alone: a policy without an authority matrix.
        let mut p = ApprovalPolicy::default();
        p.authority.clear();
        p.escalation.clear();
        let mut big = draft("rep@x");
        big.amount = Some(Money::usd(6_000_000));
        let mut a = p
            .open("a".into(), "closing", big.clone(), Uuid::nil(), t0())
            .unwrap();
        assert_eq!(a.required_approvals, 2);
        let h = Duration::hours(48);
        let first = a.decide(
            "sales.director@ascent-xr.example",
            0,
            Decision::Approve,
            Some("fine".into()),
            t0(),
            h,
        );
        assert_eq!(
            first,
            Ok(DecisionOutcome::NeedsAnother {
                next: "cro@ascent-xr.example".into()
            })
        );
        assert_eq!(a.status, ApprovalStatus::Pending);
        // The first approver cannot approve a second time, even with the new step.
        assert_eq!(
            a.check_decider("sales.director@ascent-xr.example", 1, t0()),
            Err(ApprovalError::AlreadyApprovedBy(
                "sales.director@ascent-xr.example".into()
            ))
        );
        assert_eq!(
            a.decide("cro@ascent-xr.example", 1, Decision::Approve, None, t0(), h),
            Ok(DecisionOutcome::Closed)
        );
        assert_eq!(a.status, ApprovalStatus::Approved);
        assert_eq!(
            a.decided_by.as_deref(),
            Some("sales.director@ascent-xr.example, cro@ascent-xr.example")
        );
        // Two people decide: the comment names its author.
        assert_eq!(
            a.comment.as_deref(),
            Some("sales.director@ascent-xr.example: fine")
        );
        // With the director as requester only the CRO is left: not enough for two.
        big.requester = "sales.director@ascent-xr.example".into();
        assert_eq!(
            p.open("b".into(), "closing", big, Uuid::nil(), t0())
                .unwrap_err(),
            ApprovalError::NotEnoughApprovers {
                required: 2,
                available: 1
            }
        );
        // Below the amount one approval is enough.
        let small = p
            .open("c".into(), "closing", draft("rep@x"), Uuid::nil(), t0())
            .unwrap();
        assert_eq!(small.required_approvals, 1);
    }

    #[test]
    fn escalates_then_expires() {
        let p = ApprovalPolicy::default();
        let mut a = p
            .open("a".into(), "closing", draft("rep@x"), Uuid::nil(), t0())
            .unwrap();
        assert_eq!(
            a.on_deadline(t0() + Duration::hours(47), &p),
            DeadlineOutcome::NotDue
        );
        assert_eq!(
            a.on_deadline(t0() + Duration::hours(49), &p),
            DeadlineOutcome::Escalated {
                to: "cro@ascent-xr.example".into()
            }
        );
        // The first approver's link is now superseded.
        assert_eq!(
            a.check_decider(
                "sales.director@ascent-xr.example",
                0,
                t0() + Duration::hours(50)
            ),
            Err(ApprovalError::Superseded)
        );
        assert_eq!(
            a.on_deadline(t0() + Duration::hours(98), &p),
            DeadlineOutcome::Expired
        );
        assert_eq!(a.decided_event().unwrap().outcome, ApprovalOutcome::Expired);
    }

    #[test]
    fn unknown_role_and_no_eligible_approver() {
        let mut p = ApprovalPolicy::default();
        let mut d = draft("rep@x");
        d.approver_role = "pope".into();
        assert!(matches!(
            p.open("a".into(), "x", d, Uuid::nil(), t0()),
            Err(ApprovalError::UnknownRole(_))
        ));
        p.chains.insert("solo".into(), vec!["rep@x".into()]);
        let mut d = draft("rep@x");
        d.approver_role = "solo".into();
        assert!(matches!(
            p.open("a".into(), "x", d, Uuid::nil(), t0()),
            Err(ApprovalError::NoEligibleApprover(_))
        ));
    }

    #[test]
    fn links_verify_and_reject_forgery_and_expiry() {
        let s = LinkSigner::new(b"0123456789abcdef0123456789abcdef");
        let claims = LinkClaims {
            approval_id: "apr-1".into(),
            approver: "boss@x".into(),
            step: 0,
            expires_at: t0().timestamp() + 60,
        };
        let token = s.sign(&claims);
        assert_eq!(s.verify(&token, t0()).unwrap(), claims);
        assert_eq!(
            s.verify(&token, t0() + Duration::seconds(61)),
            Err(LinkError::Expired)
        );
        // Altered body, other key, garbage.
        let forged_body = URL_SAFE_NO_PAD.encode("apr-1|me@x|0|99999999999");
        let tag = token.split_once('.').unwrap().1;
        assert_eq!(
            s.verify(&format!("{forged_body}.{tag}"), t0()),
            Err(LinkError::Forged)
        );
        let other = LinkSigner::new(b"another key another key another k");
        assert_eq!(other.verify(&token, t0()), Err(LinkError::Forged));
        assert_eq!(s.verify("garbage", t0()), Err(LinkError::Forged));
    }

    #[test]
    fn ids_are_stable() {
        let e = Uuid::new_v4();
        assert_eq!(approval_id(e, "closing", 0), approval_id(e, "closing", 0));
        assert_ne!(approval_id(e, "closing", 0), approval_id(e, "closing", 1));
    }
}

/// Fuzzing of the link verifier as property tests (fixed budget and seed, run by `cargo
/// test`): it accepts exactly the tokens the signer made, for the claims it signed, and refuses
/// every alteration, another key's tokens and garbage, without panicking.
#[cfg(test)]
mod link_properties {
    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, RngSeed};

    fn budget() -> Config {
        let mut config = Config::default();
        if std::env::var_os("PROPTEST_CASES").is_none() {
            config.cases = 256;
        }
        if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
            config.rng_seed = RngSeed::Fixed(18);
        }
        config.failure_persistence = None;
        config
    }

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn now() -> DateTime<Utc> {
        "2026-03-02T09:00:00Z".parse().unwrap()
    }

    /// Claims as the desk makes them: ids and addresses without `|` (the separator).
    fn claims() -> impl Strategy<Value = LinkClaims> {
        (
            "[a-zA-Z0-9._:-]{1,40}",
            "[a-zA-Z0-9._+@-]{1,40}",
            any::<u32>(),
            0i64..4_000_000_000,
        )
            .prop_map(|(approval_id, approver, step, expires_at)| LinkClaims {
                approval_id,
                approver,
                step,
                expires_at,
            })
    }

    /// Characters a token is made of, and a few it never contains.
    const TOKEN_CHARS: &[u8] =
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ %";

    #[derive(Clone, Debug)]
    enum Edit {
        Replace { at: usize, with: u8 },
        Insert { at: usize, with: u8 },
        Delete { at: usize },
        Truncate { at: usize },
        SwapParts,
    }

    fn edit() -> impl Strategy<Value = Edit> {
        let c = proptest::sample::select(TOKEN_CHARS.to_vec());
        prop_oneof![
            (any::<usize>(), c.clone()).prop_map(|(at, with)| Edit::Replace { at, with }),
            (any::<usize>(), c).prop_map(|(at, with)| Edit::Insert { at, with }),
            any::<usize>().prop_map(|at| Edit::Delete { at }),
            any::<usize>().prop_map(|at| Edit::Truncate { at }),
            Just(Edit::SwapParts),
        ]
    }

    fn altered(token: &str, edits: &[Edit]) -> String {
        let mut t = token.as_bytes().to_vec();
        for e in edits {
            let n = t.len().max(1);
            match *e {
                Edit::Replace { at, with } => {
                    if !t.is_empty() {
                        t[at % n] = with;
                    }
                }
                Edit::Insert { at, with } => t.insert(at % (t.len() + 1), with),
                Edit::Delete { at } => {
                    if !t.is_empty() {
                        t.remove(at % n);
                    }
                }
                Edit::Truncate { at } => t.truncate(at % n),
                Edit::SwapParts => {
                    let s = String::from_utf8(t.clone()).unwrap();
                    if let Some((a, b)) = s.split_once('.') {
                        t = format!("{b}.{a}").into_bytes();
                    }
                }
            }
        }
        String::from_utf8(t).expect("ASCII edits of an ASCII token")
    }

    proptest! {
        #![proptest_config(budget())]

        /// A signed token verifies as exactly its claims until it expires, then as expired;
        /// another key never verifies it.
        #[test]
        fn signed_tokens_verify_as_their_claims(c in claims(), before in 0i64..1_000_000) {
            let signer = LinkSigner::new(KEY);
            let token = signer.sign(&c);
            let at = DateTime::from_timestamp(c.expires_at - before, 0).unwrap();
            prop_assert_eq!(signer.verify(&token, at), Ok(c.clone()));
            let late = DateTime::from_timestamp(c.expires_at + 1 + before, 0).unwrap();
            prop_assert_eq!(signer.verify(&token, late), Err(LinkError::Expired));
            let other = LinkSigner::new(b"another key another key another k");
            prop_assert_eq!(other.verify(&token, at), Err(LinkError::Forged));
        }

        /// Every alteration of a token (a character changed, added or removed, cut short, its
        /// parts swapped) is refused as forged: never accepted, not even as "expired".
        #[test]
        fn altered_tokens_are_forged(
            c in claims(),
            edits in proptest::collection::vec(edit(), 1..4),
        ) {
            let signer = LinkSigner::new(KEY);
            let token = signer.sign(&c);
            let bad = altered(&token, &edits);
            prop_assume!(bad != token);
            prop_assert_eq!(signer.verify(&bad, now()), Err(LinkError::Forged), "{}", bad);
        }

        /// A token for other claims never verifies as these, and the verifier only ever returns
        /// claims whose token is the one it was given.
        #[test]
        fn a_token_speaks_only_for_its_own_claims(a in claims(), b in claims()) {
            prop_assume!(a != b);
            let signer = LinkSigner::new(KEY);
            let (ta, tb) = (signer.sign(&a), signer.sign(&b));
            prop_assert_ne!(&ta, &tb);
            for t in [&ta, &tb] {
                if let Ok(claims) = signer.verify(t, now()) {
                    prop_assert_eq!(&signer.sign(&claims), t);
                }
            }
        }

        /// Arbitrary text, and tokens made of a real body with a made-up tag: no panic, and
        /// nothing accepted.
        #[test]
        fn garbage_is_refused(
            text in ".{0,200}",
            body in "[a-zA-Z0-9|.@-]{0,80}",
            tag in proptest::collection::vec(any::<u8>(), 0..40),
        ) {
            let signer = LinkSigner::new(KEY);
            prop_assert!(signer.verify(&text, now()).is_err());
            let forged = format!(
                "{}.{}",
                URL_SAFE_NO_PAD.encode(body.as_bytes()),
                URL_SAFE_NO_PAD.encode(&tag)
            );
            prop_assert_eq!(signer.verify(&forged, now()), Err(LinkError::Forged));
        }

        /// Claims holding the separator `|` cannot be read back: the verifier refuses their
        /// token rather than read other claims out of it.
        #[test]
        fn claims_with_the_separator_verify_as_themselves(
            c in claims(),
            id_bar in any::<bool>(),
            at in any::<usize>(),
        ) {
            let mut c = c;
            let field = if id_bar { &mut c.approval_id } else { &mut c.approver };
            let at = at % (field.len() + 1);
            field.insert(at, '|');
            let signer = LinkSigner::new(KEY);
            let verdict = signer.verify(&signer.sign(&c), now());
            let expected = if now().timestamp() > c.expires_at {
                Err(LinkError::Expired)
            } else {
                Ok(c.clone())
            };
            prop_assert_eq!(verdict, expected);
        }
    }
}
