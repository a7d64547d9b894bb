//! What an approver sees of a request: the customer, who asks and why, the amount and the
//! agent's facts, each figure once and formatted for the reader ([`Reader`]), the deadline in
//! their time zone; and, once closed, who decided, when and with what comment. The approval
//! pages and emails render these rows; the rules stay in [`super::Approval`].

use super::{Approval, ApprovalStatus, Reader};
use crate::money::Money;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// An approval request as the page shows it, with the approver the link was issued to.
#[derive(Clone, Debug, Serialize)]
pub struct ApprovalView {
    pub approval: Approval,
    pub approver: String,
}

/// The customer a request is about: its id and, when the agent knows it, its name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    /// The account id (`A00042`).
    pub id: String,
    /// The customer's name (`Boreal Aero`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Customer {
    pub fn new(id: &str, name: Option<&str>) -> Self {
        Self {
            id: id.into(),
            name: name
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(Into::into),
        }
    }

    /// `Boreal Aero (A00042)`, or the id alone.
    pub fn label(&self) -> String {
        match &self.name {
            Some(n) => format!("{n} ({})", self.id),
            None => self.id.clone(),
        }
    }
}

/// A fact's value: an amount (formatted for the reader) or text as the agent wrote it. Text
/// facts are stored as plain strings, so records written before amounts were typed still read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Fact {
    Money(Money),
    /// An amount that changes (a budget in effect and proposed), with a note: `USD 10,000.00
    /// → USD 16,000.00 (return 2.12)`.
    Change {
        from: Money,
        to: Money,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// An instant, shown in the reader's time zone: `{"at": "2026-03-04T09:00:00Z"}`.
    Time {
        at: DateTime<Utc>,
    },
    Text(String),
}

impl Fact {
    fn show(&self, r: &Reader) -> String {
        match self {
            Fact::Money(m) => r.money(m),
            Fact::Change { from, to, note } => {
                let change = format!("{} → {}", r.money(from), r.money(to));
                match note {
                    Some(n) => format!("{change} ({n})"),
                    None => change,
                }
            }
            Fact::Time { at } => r.instant(*at),
            Fact::Text(t) => t.clone(),
        }
    }
}

impl From<DateTime<Utc>> for Fact {
    fn from(at: DateTime<Utc>) -> Self {
        Fact::Time { at }
    }
}

impl From<Money> for Fact {
    fn from(m: Money) -> Self {
        Fact::Money(m)
    }
}

impl From<&Money> for Fact {
    fn from(m: &Money) -> Self {
        Fact::Money(m.clone())
    }
}

impl From<String> for Fact {
    fn from(t: String) -> Self {
        Fact::Text(t)
    }
}

impl From<&str> for Fact {
    fn from(t: &str) -> Self {
        Fact::Text(t.into())
    }
}

impl From<&String> for Fact {
    fn from(t: &String) -> Self {
        Fact::Text(t.clone())
    }
}

/// How a closed request ended, for the page that refuses its link: the outcome, who decided,
/// when and with what comment, and how the link's holder reads times.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Closed {
    pub status: ApprovalStatus,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub comment: Option<String>,
    pub reader: Reader,
}

impl std::fmt::Display for Closed {
    /// The outcome's word: `approved`, `rejected`, `expired`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(status_word(self.status))
    }
}

fn status_word(s: ApprovalStatus) -> &'static str {
    match s {
        ApprovalStatus::Pending => "pending",
        ApprovalStatus::Approved => "approved",
        ApprovalStatus::Rejected => "rejected",
        ApprovalStatus::Expired => "expired",
    }
}

impl Closed {
    /// The rows saying how it ended: `Decided by`, `Decided on`, `Comment`.
    pub fn rows(&self) -> Vec<Row> {
        let mut rows = Vec::new();
        if let Some(by) = &self.decided_by {
            rows.push(Row::new("Decided by", by));
        }
        if let Some(at) = self.decided_at {
            let label = if self.status == ApprovalStatus::Expired {
                "Expired on"
            } else {
                "Decided on"
            };
            rows.push(Row::new(label, &self.reader.instant(at)));
        }
        if let Some(c) = self.comment.as_deref().filter(|c| !c.trim().is_empty()) {
            rows.push(Row::new("Comment", c));
        }
        rows
    }

    /// The outcome alone, for a page that lists who, when and the comment as [`Closed::rows`]:
    /// `This request was approved.`, `This request expired: nobody decided in time.`
    pub fn outcome(&self) -> String {
        match self.status {
            ApprovalStatus::Expired => "This request expired: nobody decided in time.".into(),
            _ => format!("This request was {self}."),
        }
    }

    /// One sentence: `This request was approved by cro@x on Mar 4, 2026, …, with the comment
    /// “fine”.`
    pub fn sentence(&self) -> String {
        let mut s = match self.status {
            ApprovalStatus::Expired => "This request expired".to_string(),
            _ => format!("This request was {self}"),
        };
        if let Some(by) = &self.decided_by {
            s.push_str(&format!(" by {by}"));
        }
        if let Some(at) = self.decided_at {
            s.push_str(&format!(" on {}", self.reader.instant(at)));
        }
        match self.comment.as_deref().filter(|c| !c.trim().is_empty()) {
            Some(c) => s.push_str(&format!(", with the comment “{c}”.")),
            None if self.status == ApprovalStatus::Expired => {
                s.push_str(": nobody decided in time.")
            }
            None => s.push_str(", without a comment."),
        }
        s
    }
}

/// One line of the request's table: a label and its value, as text (the page escapes it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub label: String,
    pub value: String,
}

impl Row {
    pub fn new(label: &str, value: &str) -> Self {
        Self {
            label: label.into(),
            value: value.into(),
        }
    }
}

/// Labels of the rows after the facts; a fact under one of them would read as one of those.
const TAIL: &[&str] = &[
    "Approved so far by",
    "Comment so far",
    "Decide by",
    "Decided by",
    "Decided on",
    "Expired on",
    "Comment",
];

impl Approval {
    /// How the request ended, for `reader_of`'s page; `None` while pending.
    pub fn closed_for(&self, reader_of: &str) -> Closed {
        Closed {
            status: self.status,
            decided_by: self.decided_by.clone(),
            decided_at: self.decided_at,
            comment: self.comment.clone(),
            reader: self.reader_for(reader_of),
        }
    }

    /// The request as `reader` reads it: what it is for, the customer, who asks and why, the
    /// rule that asks for approval, the amount, then the agent's facts that say something
    /// new (a fact repeating one of these is left out: each figure once), then the deadline
    /// while pending, or how it ended.
    pub fn rows(&self, reader: &Reader) -> Vec<Row> {
        let d = &self.draft;
        let mut rows = vec![Row::new("For", &format!("{} ({})", d.subject, d.kind))];
        if let Some(c) = &d.customer {
            rows.push(Row::new("Customer", &c.label()));
        }
        rows.push(Row::new("Requested by", &d.requester));
        if let Some(r) = d
            .requester_reason
            .as_deref()
            .filter(|r| !r.trim().is_empty())
        {
            rows.push(Row::new("Requester's reason", r));
        }
        rows.push(Row::new("Why approval is needed", &d.reason));
        if let Some(m) = &d.amount {
            rows.push(Row::new("Amount", &reader.money(m)));
        }
        let shown_text: Vec<&str> = [Some(d.subject.as_str()), Some(d.requester.as_str())]
            .into_iter()
            .chain([Some(d.reason.as_str()), d.requester_reason.as_deref()])
            .chain(
                d.customer
                    .iter()
                    .flat_map(|c| [Some(c.id.as_str()), c.name.as_deref()]),
            )
            .flatten()
            .map(str::trim)
            .collect();
        for (label, fact) in &d.facts {
            let label_shown = rows
                .iter()
                .map(|r| r.label.as_str())
                .chain(TAIL.iter().copied())
                .any(|h| h.eq_ignore_ascii_case(label.trim()));
            let repeated = label_shown
                || match fact {
                    Fact::Money(m) => d.amount.as_ref() == Some(m),
                    Fact::Text(t) => shown_text.contains(&t.trim()),
                    Fact::Change { .. } | Fact::Time { .. } => false,
                };
            if !repeated {
                rows.push(Row::new(label, &fact.show(reader)));
            }
        }
        match self.status {
            ApprovalStatus::Pending => {
                // Above the two-person amount: who approved already, and what they said.
                if !self.approved_by.is_empty() {
                    rows.push(Row::new("Approved so far by", &self.approved_by.join(", ")));
                }
                if let Some(c) = self.comment.as_deref().filter(|c| !c.trim().is_empty()) {
                    rows.push(Row::new("Comment so far", c));
                }
                rows.push(Row::new("Decide by", &reader.instant(self.step_deadline)))
            }
            _ => rows.extend(
                Closed {
                    reader: reader.clone(),
                    ..self.closed_for("")
                }
                .rows(),
            ),
        }
        rows
    }
}

#[cfg(test)]
mod tests;
