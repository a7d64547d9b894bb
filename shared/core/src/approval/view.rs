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

/// Labels of the rows every request has; a fact under one of them is already shown.
const HEAD: &[&str] = &[
    "For",
    "Customer",
    "Account",
    "Requested by",
    "Requester's reason",
    "Reason",
    "Why approval is needed",
    "Amount",
    "Decide by",
    "Decided by",
    "Decided on",
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
            let repeated = HEAD.iter().any(|h| h.eq_ignore_ascii_case(label.trim()))
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
mod tests {
    use super::*;
    use crate::approval::{ApprovalDraft, ApprovalPolicy, Decision};
    use chrono::Duration;
    use uuid::Uuid;

    fn t0() -> DateTime<Utc> {
        "2026-03-02T09:00:00Z".parse().unwrap()
    }

    /// The closing agent's discount request as it was before issue 27: the deal and the
    /// discount amount in the facts as well as in the subject and amount.
    fn discount() -> Approval {
        let facts = [
            ("Deal", Fact::from("D00042")),
            ("Account", "A00042".into()),
            ("Discount amount", Money::usd(1_060_000).into()),
            ("List subtotal", Money::usd(5_300_000).into()),
            ("Reason", "discount above the 15% threshold".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let draft = ApprovalDraft {
            kind: "discount".into(),
            subject: "D00042".into(),
            summary: "20% discount on deal D00042".into(),
            amount: Some(Money::usd(1_060_000)),
            requester: "rep@ascent-xr.example".into(),
            approver_role: "sales-director".into(),
            reason: "discount above the 15% threshold".into(),
            requester_reason: Some("multi-year commitment, competitor at 25% off".into()),
            customer: Some(Customer::new("A00042", Some("Boreal Aero"))),
            facts,
            ..Default::default()
        };
        ApprovalPolicy::default()
            .open("apr-1".into(), "closing", draft, Uuid::nil(), t0())
            .unwrap()
    }

    fn rows(a: &Approval, r: &Reader) -> Vec<(String, String)> {
        a.rows(r).into_iter().map(|r| (r.label, r.value)).collect()
    }

    #[test]
    fn each_figure_once_with_the_customer_and_both_reasons() {
        let a = discount();
        let us = Reader::new("en-US", "America/Los_Angeles");
        let got = rows(&a, &us);
        let want: Vec<(String, String)> = [
            ("For", "D00042 (discount)"),
            ("Customer", "Boreal Aero (A00042)"),
            ("Requested by", "rep@ascent-xr.example"),
            (
                "Requester's reason",
                "multi-year commitment, competitor at 25% off",
            ),
            ("Why approval is needed", "discount above the 15% threshold"),
            ("Amount", "USD\u{a0}10,600.00"),
            ("List subtotal", "USD\u{a0}53,000.00"),
            (
                "Decide by",
                "Mar 4, 2026, 1:00 AM PST (America/Los_Angeles)",
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(got, want);
        let de = rows(&a, &Reader::new("de-DE", "Europe/Berlin"));
        assert!(de.contains(&("Amount".into(), "10.600,00\u{a0}USD".into())));
        assert!(de.contains(&(
            "Decide by".into(),
            "04.03.2026, 10:00 CET (Europe/Berlin)".into()
        )));
    }

    #[test]
    fn closed_rows_say_who_when_and_the_comment() {
        let mut a = discount();
        let at = t0() + Duration::hours(3);
        a.decide(
            "sales.director@ascent-xr.example",
            0,
            Decision::Approve,
            Some("strategic logo".into()),
            at,
            Duration::hours(48),
        )
        .unwrap();
        let got = rows(&a, &Reader::new("en-GB", "Europe/London"));
        assert_eq!(
            got[got.len() - 3..],
            [
                (
                    "Decided by".to_string(),
                    "sales.director@ascent-xr.example".to_string()
                ),
                (
                    "Decided on".into(),
                    "2 Mar 2026, 12:00 GMT (Europe/London)".into()
                ),
                ("Comment".into(), "strategic logo".into()),
            ]
        );
        assert!(!got.iter().any(|(k, _)| k == "Decide by"));
        let expired = Closed {
            status: ApprovalStatus::Expired,
            decided_by: None,
            decided_at: Some(at),
            comment: None,
            reader: Reader::new("de-DE", "Europe/Berlin"),
        };
        assert_eq!(
            expired.sentence(),
            "This request expired on 02.03.2026, 13:00 CET (Europe/Berlin): nobody decided in time."
        );
        assert_eq!(expired.rows()[0].label, "Expired on");
        assert_eq!(
            expired.outcome(),
            "This request expired: nobody decided in time."
        );
        let closed = a.closed_for("cro@ascent-xr.example");
        assert_eq!(closed.to_string(), "approved");
        assert_eq!(closed.outcome(), "This request was approved.");
        assert_eq!(
            closed.sentence(),
            "This request was approved by sales.director@ascent-xr.example on Mar 2, 2026, \
             4:00 AM PST (America/Los_Angeles), with the comment “strategic logo”."
        );
    }

    /// The readers are kept per person of the chain, without their addresses; a request
    /// stored before them reads in US English and UTC, which its times name.
    #[test]
    fn readers_follow_the_chain_and_older_records_read_in_utc() {
        let a = discount();
        let json = serde_json::to_value(&a).unwrap();
        let us = serde_json::json!({"locale": "en-US", "time_zone": "America/Los_Angeles"});
        assert_eq!(a.chain.len(), 2);
        assert_eq!(json["readers"], serde_json::json!([us, us]));
        assert_eq!(
            a.reader_for("Sales.Director@ascent-xr.example ").time_zone,
            "America/Los_Angeles"
        );
        assert_eq!(a.reader_for("someone@else.example"), Reader::default());
        let mut older = json;
        older.as_object_mut().unwrap().remove("readers");
        let older: Approval = serde_json::from_value(older).unwrap();
        let deadline = rows(&older, &older.reader_for(older.approver()))
            .pop()
            .unwrap();
        assert_eq!(
            deadline,
            ("Decide by".into(), "Mar 4, 2026, 9:00 AM UTC (UTC)".into())
        );
    }

    #[test]
    fn text_facts_read_as_before_and_amounts_as_money() {
        let json = r#"{"Credit":{"amount_minor":250000,"currency":"EUR"},"Deal":"D1","Paid":{"from":{"amount_minor":1000000,"currency":"USD"},"to":{"amount_minor":1600000,"currency":"USD"},"note":"return 2.12"}}"#;
        let facts: std::collections::BTreeMap<String, Fact> = serde_json::from_str(json).unwrap();
        assert_eq!(facts["Deal"], Fact::Text("D1".into()));
        assert_eq!(facts["Credit"], Fact::Money(Money::new(250_000, "EUR")));
        assert_eq!(serde_json::to_string(&facts).unwrap(), json);
        let de = Reader::new("de-DE", "UTC");
        assert_eq!(facts["Credit"].show(&de), "2.500,00\u{a0}EUR");
        let at: Fact = serde_json::from_str(r#"{"at":"2026-03-30T21:30:00Z"}"#).unwrap();
        assert_eq!(
            at,
            Fact::from(t0() + Duration::days(28) + Duration::minutes(750))
        );
        assert_eq!(
            at.show(&Reader::new("de-DE", "Europe/Berlin")),
            "30.03.2026, 23:30 CEST (Europe/Berlin)"
        );
        assert_eq!(
            facts["Paid"].show(&de),
            "10.000,00\u{a0}USD → 16.000,00\u{a0}USD (return 2.12)"
        );
    }
}
