//! Who may produce each event type, and the sources only the platform may use.
//!
//! Every detail-type has declared producers, each known by its EventBridge `source`:
//!
//! - **external systems** (the CRM `ascent.crm`, the web site `ascent.web`, the payment
//!   processor `ascent.payments`, the support desk `ascent.support`, …) produce the business
//!   events the catalog ([`crate::catalog`]) gives them, each under its own source;
//! - **agents** produce the events their declaration lists in `emits`, under
//!   `ascent.agent.<name>` ([`AgentDecl::source`]);
//! - **the platform** produces approvals (`ascent.approvals`), schedule ticks
//!   (`ascent.scheduler`) and system events (`ascent.system`); no agent may declare them,
//!   except system events an agent reports itself (a threshold crossed).
//!
//! The sources of agents and of the platform are *reserved*: no outside producer may use them.
//! [`Producers::admit`] is the check every ingestion from outside makes (the twin's
//! `POST /events`); [`Producers::authenticate`] adds the matching `source` condition to a
//! subscription's pattern, so that the twin's router and the EventBridge rules of the template
//! deliver an event only from a producer of its detail-type.

use crate::agent::AgentDecl;
use crate::catalog::{CATALOG, CatalogEntry};
use crate::event::{Event, EventError};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// Prefix of every agent's source (`ascent.agent.closing`); the bare prefix is reserved too.
pub const AGENT_SOURCE_PREFIX: &str = "ascent.agent";
/// The approval workflow: `ApprovalRequested`, `ApprovalDecided`.
pub const APPROVALS_SOURCE: &str = "ascent.approvals";
/// The scheduler: `ScheduleTick`.
pub const SCHEDULER_SOURCE: &str = "ascent.scheduler";
/// The platform's own system events.
pub const SYSTEM_SOURCE: &str = "ascent.system";
/// Sources of the platform (besides the agents').
pub const PLATFORM_SOURCES: [&str; 3] = [APPROVALS_SOURCE, SCHEDULER_SOURCE, SYSTEM_SOURCE];

/// Whether only the platform (an agent, the approval workflow, the scheduler) may use `source`.
pub fn is_reserved(source: &str) -> bool {
    source == AGENT_SOURCE_PREFIX
        || source
            .strip_prefix(AGENT_SOURCE_PREFIX)
            .is_some_and(|rest| rest.starts_with('.'))
        || PLATFORM_SOURCES.contains(&source)
}

/// Whether the catalog gives `entry` to the platform alone: no agent may declare emitting it.
fn platform_only(entry: &CatalogEntry) -> bool {
    entry.default_source == APPROVALS_SOURCE || entry.default_source == SCHEDULER_SOURCE
}

/// A declaration that breaks the producer rules.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DeclarationError {
    #[error("agent `{agent}` declares emitting `{detail_type}`, which is not in the event catalog")]
    UnknownType { agent: String, detail_type: String },
    #[error(
        "agent `{agent}` declares emitting `{detail_type}`, which only the platform (`{platform}`) produces"
    )]
    PlatformType {
        agent: String,
        detail_type: String,
        platform: String,
    },
}

/// Why an event from outside was refused: its source may not send it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotTheProducer {
    #[error(
        "{}; source `{sender}` may not send it",
        comes_from(detail_type, producers)
    )]
    Other {
        detail_type: String,
        sender: String,
        producers: Vec<String>,
    },
    #[error(
        "source `{sender}` is reserved for the platform (agents, approvals, the scheduler): no outside producer may use it"
    )]
    Reserved { sender: String },
}

fn comes_from(detail_type: &str, producers: &[String]) -> String {
    let named: Vec<String> = producers.iter().map(|p| format!("`{p}`")).collect();
    match named.as_slice() {
        [] => format!("`{detail_type}` comes only from inside the platform"),
        [one] => format!("`{detail_type}` comes only from {one}"),
        [init @ .., last] => format!(
            "`{detail_type}` comes only from {} or {last}",
            init.join(", ")
        ),
    }
}

impl From<NotTheProducer> for EventError {
    fn from(e: NotTheProducer) -> Self {
        EventError::Invalid {
            field: "source".into(),
            problem: e.to_string(),
        }
    }
}

/// The producers of every detail-type, for one set of agent declarations.
#[derive(Clone, Debug)]
pub struct Producers {
    /// detail-type → its producers' sources (sorted).
    by_type: BTreeMap<&'static str, Vec<String>>,
}

impl Producers {
    /// The producers of every catalog type with these agents: an agent-produced type comes from
    /// the agents declaring it (from the agent the catalog names when none of `decls` does);
    /// an external one from its catalog sources (and any agent declaring it); a platform one
    /// from the platform alone.
    pub fn new<'a>(
        decls: impl IntoIterator<Item = &'a AgentDecl>,
    ) -> Result<Self, DeclarationError> {
        let mut emitters: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for d in decls {
            for t in &d.emits {
                let entry =
                    crate::catalog::entry(t).ok_or_else(|| DeclarationError::UnknownType {
                        agent: d.name.into(),
                        detail_type: t.to_string(),
                    })?;
                if platform_only(entry) {
                    return Err(DeclarationError::PlatformType {
                        agent: d.name.into(),
                        detail_type: t.to_string(),
                        platform: entry.default_source.into(),
                    });
                }
                emitters.entry(t).or_default().push(d.source());
            }
        }
        let mut by_type = BTreeMap::new();
        for entry in CATALOG {
            let declared = emitters.remove(entry.detail_type).unwrap_or_default();
            let catalog =
                std::iter::once(entry.default_source).chain(entry.other_sources.iter().copied());
            let mut sources: Vec<String> = if !is_reserved(entry.default_source) {
                // External: its systems' sources, and any agent that produces it too.
                catalog.map(str::to_string).chain(declared).collect()
            } else if platform_only(entry) {
                vec![entry.default_source.to_string()]
            } else if !declared.is_empty() {
                declared
            } else if entry.default_source == AGENT_SOURCE_PREFIX {
                // An agent event no agent declares: nobody produces it.
                vec![]
            } else {
                catalog.map(str::to_string).collect()
            };
            sources.sort();
            sources.dedup();
            by_type.insert(entry.detail_type, sources);
        }
        Ok(Self { by_type })
    }

    /// The sources that produce `detail_type` (empty for a type nobody produces or outside the
    /// catalog).
    pub fn sources(&self, detail_type: &str) -> &[String] {
        self.by_type
            .get(detail_type)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// Whether `source` produces `detail_type`.
    pub fn produces(&self, source: &str, detail_type: &str) -> bool {
        self.sources(detail_type).iter().any(|s| s == source)
    }

    /// The detail-types `source` produces, in catalog order.
    pub fn types_of(&self, source: &str) -> Vec<&'static str> {
        CATALOG
            .iter()
            .map(|e| e.detail_type)
            .filter(|t| self.produces(source, t))
            .collect()
    }

    /// The outside producers: every source that produces something and is not reserved, sorted.
    pub fn external_sources(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .by_type
            .values()
            .flatten()
            .map(String::as_str)
            .filter(|s| !is_reserved(s))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The check of an event from outside the platform: its source is not reserved and is a
    /// declared producer of its detail-type.
    pub fn check_external(&self, source: &str, detail_type: &str) -> Result<(), NotTheProducer> {
        if is_reserved(source) {
            return Err(NotTheProducer::Reserved {
                sender: source.into(),
            });
        }
        if self.produces(source, detail_type) {
            return Ok(());
        }
        Err(NotTheProducer::Other {
            detail_type: detail_type.into(),
            sender: source.into(),
            producers: self.sources(detail_type).to_vec(),
        })
    }

    /// [`Producers::check_external`] for a parsed event; the refusal names the field `source`
    /// and the rule.
    pub fn admit(&self, event: Event) -> Result<Event, EventError> {
        self.check_external(&event.source, event.detail_type())?;
        Ok(event)
    }

    /// `pattern` with a `source` condition: each alternative matches only the producers of the
    /// detail-types it names (split by producers where they differ, so that no source matches
    /// a type it does not produce). Every alternative must name its detail-types as plain
    /// strings of the catalog; a `source` it names already must be producers of them.
    pub fn authenticate(&self, pattern: &Value) -> Result<Value, String> {
        let mut out = Vec::new();
        for alt in top_level_alternatives(pattern)? {
            out.extend(self.authenticate_one(alt)?);
        }
        Ok(match out.len() {
            1 => Value::Object(out.pop().expect("one")),
            _ => json!({ "$or": out }),
        })
    }

    fn authenticate_one(&self, alt: Map<String, Value>) -> Result<Vec<Map<String, Value>>, String> {
        let types = plain_strings(alt.get("detail-type")).ok_or(
            "name the detail-types as plain strings (`\"detail-type\": [\"LeadCreated\"]`), so that \
             the producers' sources can be added",
        )?;
        let named_sources = match alt.get("source") {
            None => None,
            Some(v) => Some(
                plain_strings(Some(v)).ok_or("`source` must list plain strings (the producers)")?,
            ),
        };
        // Detail-types grouped by their producers, in the order named.
        let mut groups: Vec<(Vec<String>, Vec<String>)> = Vec::new();
        for t in types {
            if crate::catalog::entry(&t).is_none() {
                return Err(format!("`{t}` is not in the event catalog"));
            }
            let mut sources = self.sources(&t).to_vec();
            if let Some(named) = &named_sources {
                for s in named {
                    if !sources.contains(s) {
                        return Err(format!("source `{s}` does not produce `{t}`"));
                    }
                }
                sources.retain(|s| named.contains(s));
            }
            if sources.is_empty() {
                return Err(format!("nobody produces `{t}`"));
            }
            match groups.iter_mut().find(|(s, _)| *s == sources) {
                Some((_, ts)) => ts.push(t),
                None => groups.push((sources, vec![t])),
            }
        }
        Ok(groups
            .into_iter()
            .map(|(sources, types)| {
                let mut m = Map::new();
                m.insert("detail-type".into(), json!(types));
                m.insert("source".into(), json!(sources));
                for (k, v) in &alt {
                    if k != "detail-type" && k != "source" {
                        m.insert(k.clone(), v.clone());
                    }
                }
                m
            })
            .collect())
    }
}

/// The alternatives of a pattern's top-level `$or` (each merged with the fields beside it), or
/// the pattern itself. Nested `$or`s (inside `detail`) stay as they are.
fn top_level_alternatives(pattern: &Value) -> Result<Vec<Map<String, Value>>, String> {
    let Value::Object(m) = pattern else {
        return Err("a pattern must be a JSON object".into());
    };
    let Some(or) = m.get("$or") else {
        return Ok(vec![m.clone()]);
    };
    let mut rest = m.clone();
    rest.remove("$or");
    let mut out = Vec::new();
    for alt in or.as_array().ok_or("`$or` must be an array")? {
        let Value::Object(a) = alt else {
            return Err("`$or` alternatives must be objects".into());
        };
        let mut merged = rest.clone();
        for (k, v) in a {
            if merged.insert(k.clone(), v.clone()).is_some() {
                return Err(format!("`{k}` is both beside and inside a top-level `$or`"));
            }
        }
        out.extend(top_level_alternatives(&Value::Object(merged))?);
    }
    Ok(out)
}

fn plain_strings(v: Option<&Value>) -> Option<Vec<String>> {
    v?.as_array()?
        .iter()
        .map(|x| x.as_str().map(str::to_string))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::{Department, Domain, QueueClass, Subscription};
    use crate::catalog::{ApprovalDecided, ApprovalOutcome};
    use crate::event::Actor;
    use chrono::Utc;

    fn decl(name: &'static str, emits: Vec<&'static str>, pattern: Value) -> AgentDecl {
        AgentDecl {
            name,
            department: Department::Sales,
            queue: QueueClass::Priority,
            subscriptions: vec![Subscription { name: "s", pattern }],
            reads: vec![Domain::Customer],
            owns: vec![],
            emits,
            requests_approvals: false,
            sends_mail: false,
            writes_text: false,
        }
    }

    fn producers() -> Producers {
        let a = decl(
            "closing",
            vec!["ProposalSent", "ExceptionRaised"],
            json!({}),
        );
        let b = decl(
            "billing",
            vec!["InvoiceIssued", "ExceptionRaised"],
            json!({}),
        );
        Producers::new([&a, &b]).unwrap()
    }

    #[test]
    fn reserved_sources_are_the_agents_and_the_platforms() {
        for s in [
            "ascent.agent",
            "ascent.agent.closing",
            "ascent.agent.nobody-yet",
            "ascent.approvals",
            "ascent.scheduler",
            "ascent.system",
        ] {
            assert!(is_reserved(s), "{s}");
        }
        for s in [
            "ascent.crm",
            "ascent.web",
            "ascent.payments",
            "ascent.agents",
            "ascent.agentx",
        ] {
            assert!(!is_reserved(s), "{s}");
        }
    }

    #[test]
    fn every_type_has_its_declared_producers() {
        let p = producers();
        assert_eq!(p.sources("LeadCreated"), ["ascent.crm"]);
        assert_eq!(
            p.sources("ContactPreferenceChanged"),
            ["ascent.crm", "ascent.web"]
        );
        assert_eq!(p.sources("ApprovalDecided"), ["ascent.approvals"]);
        assert_eq!(p.sources("ScheduleTick"), ["ascent.scheduler"]);
        assert_eq!(p.sources("ProposalSent"), ["ascent.agent.closing"]);
        // Declared by two agents: from both, and from nobody else.
        assert_eq!(
            p.sources("ExceptionRaised"),
            ["ascent.agent.billing", "ascent.agent.closing"]
        );
        // No agent here declares it: the agent the catalog names.
        assert_eq!(p.sources("LeadScored"), ["ascent.agent.lead-generation"]);
        // An agent event nobody declares has no producer at all.
        assert!(p.sources("TaskCompleted").is_empty());
        assert!(p.sources("NoSuchType").is_empty());
        // What closing declares, and what the catalog gives it that no agent here declares.
        assert_eq!(
            p.types_of("ascent.agent.closing"),
            ["ProposalSent", "ContractIssued", "ExceptionRaised"]
        );
        let external = p.external_sources();
        assert!(external.contains(&"ascent.crm") && external.contains(&"ascent.payments"));
        assert!(external.iter().all(|s| !is_reserved(s)));
    }

    #[test]
    fn no_agent_may_declare_a_platform_event_or_an_unknown_one() {
        let forger = decl("closing", vec!["ApprovalDecided"], json!({}));
        assert_eq!(
            Producers::new([&forger]).unwrap_err().to_string(),
            "agent `closing` declares emitting `ApprovalDecided`, which only the platform (`ascent.approvals`) produces"
        );
        let ticker = decl("billing", vec!["ScheduleTick"], json!({}));
        assert!(matches!(
            Producers::new([&ticker]),
            Err(DeclarationError::PlatformType { .. })
        ));
        let typo = decl("billing", vec!["InvoiceIsued"], json!({}));
        assert!(matches!(
            Producers::new([&typo]),
            Err(DeclarationError::UnknownType { .. })
        ));
    }

    fn decided() -> Event {
        Event::new(
            "ascent.crm",
            Actor::human("mallory@attacker.example"),
            Utc::now(),
            ApprovalDecided {
                approval_id: "apr-1".into(),
                kind: "discount".into(),
                subject: "D1".into(),
                requested_by_agent: "closing".into(),
                amount: None,
                outcome: ApprovalOutcome::Approved,
                decided_by: Some("mallory@attacker.example".into()),
                comment: None,
                requester: "rep@x.example".into(),
            },
        )
    }

    #[test]
    fn outside_producers_send_only_their_own_types_under_their_own_source() {
        let p = producers();
        assert!(p.check_external("ascent.crm", "LeadCreated").is_ok());
        assert!(
            p.check_external("ascent.web", "ContactPreferenceChanged")
                .is_ok()
        );
        // The attack of issue 18.
        let err = p.admit(decided()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "field `source`: `ApprovalDecided` comes only from `ascent.approvals`; source `ascent.crm` may not send it"
        );
        // Another system's type.
        assert_eq!(
            p.check_external("ascent.web", "PaymentReceived")
                .unwrap_err()
                .to_string(),
            "`PaymentReceived` comes only from `ascent.payments`; source `ascent.web` may not send it"
        );
        assert_eq!(
            p.check_external("ascent.crm", "ExceptionRaised")
                .unwrap_err()
                .to_string(),
            "`ExceptionRaised` comes only from `ascent.agent.billing` or `ascent.agent.closing`; source `ascent.crm` may not send it"
        );
        // A reserved source, even for a type it produces: never from outside.
        for (source, t) in [
            ("ascent.approvals", "ApprovalDecided"),
            ("ascent.agent.closing", "ProposalSent"),
            ("ascent.scheduler", "ScheduleTick"),
            ("ascent.agent", "TaskCompleted"),
            ("ascent.system", "DataSyncCompleted"),
        ] {
            let err = p.check_external(source, t).unwrap_err();
            assert_eq!(
                err,
                NotTheProducer::Reserved {
                    sender: source.into()
                }
            );
        }
        assert_eq!(
            p.check_external("ascent.crm", "TaskCompleted")
                .unwrap_err()
                .to_string(),
            "`TaskCompleted` comes only from inside the platform; source `ascent.crm` may not send it"
        );
    }

    #[test]
    fn patterns_get_the_source_of_each_detail_types_producers() {
        let p = producers();
        assert_eq!(
            p.authenticate(&json!({"detail-type": ["ApprovalDecided"], "detail": {"payload": {"kind": ["discount"]}}}))
                .unwrap(),
            json!({"detail-type": ["ApprovalDecided"], "source": ["ascent.approvals"], "detail": {"payload": {"kind": ["discount"]}}})
        );
        // Types of different producers: one alternative per producer set.
        assert_eq!(
            p.authenticate(&json!({"detail-type": ["InvoiceIssued", "PaymentReceived", "ExceptionRaised", "PaymentFailed"]}))
                .unwrap(),
            json!({"$or": [
                {"detail-type": ["InvoiceIssued"], "source": ["ascent.agent.billing"]},
                {"detail-type": ["PaymentReceived", "PaymentFailed"], "source": ["ascent.payments"]},
                {"detail-type": ["ExceptionRaised"], "source": ["ascent.agent.billing", "ascent.agent.closing"]}
            ]})
        );
        // A top-level `$or` is authenticated alternative by alternative; nested ones stay.
        assert_eq!(
            p.authenticate(&json!({"$or": [
                {"detail-type": ["ProposalSent"], "detail": {"$or": [{"a": [1]}, {"b": [2]}]}},
                {"detail-type": ["LeadCreated"]}
            ]}))
            .unwrap(),
            json!({"$or": [
                {"detail-type": ["ProposalSent"], "source": ["ascent.agent.closing"], "detail": {"$or": [{"a": [1]}, {"b": [2]}]}},
                {"detail-type": ["LeadCreated"], "source": ["ascent.crm"]}
            ]})
        );
        // A source already named narrows the producers; it may not add one.
        assert_eq!(
            p.authenticate(
                &json!({"source": ["ascent.agent.billing"], "detail-type": ["ExceptionRaised"]})
            )
            .unwrap(),
            json!({"detail-type": ["ExceptionRaised"], "source": ["ascent.agent.billing"]})
        );
        for (bad, why) in [
            (
                json!({"source": ["ascent.crm"], "detail-type": ["ApprovalDecided"]}),
                "source `ascent.crm` does not produce `ApprovalDecided`",
            ),
            (json!({"detail": {"x": [1]}}), "name the detail-types"),
            (
                json!({"detail-type": [{"prefix": "Lead"}]}),
                "name the detail-types",
            ),
            (
                json!({"detail-type": ["NoSuchType"]}),
                "`NoSuchType` is not in the event catalog",
            ),
            (
                json!({"detail-type": ["TaskCompleted"]}),
                "nobody produces `TaskCompleted`",
            ),
        ] {
            let err = p.authenticate(&bad).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }
}
