//! Ticket triage: priority from the customer's tier, keywords and sentiment; category from
//! keywords; the team a category goes to. Every decision carries its reason.

use ascent_core::catalog::TicketPriority;
use std::collections::BTreeSet;

/// The outcome of triage before SLA deadlines and suggestions are added.
#[derive(Clone, Debug, PartialEq)]
pub struct Triage {
    pub priority: TicketPriority,
    pub category: &'static str,
    pub team: &'static str,
    pub sentiment: i32,
    pub reasons: Vec<String>,
}

const URGENT: [&str; 8] = [
    "outage",
    "is down",
    "production down",
    "all users",
    "data loss",
    "security",
    "cannot log in",
    "can't log in",
];
const HIGH: [&str; 6] = [
    "not working",
    "error",
    "fails",
    "broken",
    "crash",
    "stopped",
];
const LOW: [&str; 4] = ["feature request", "how do i", "wondering", "question"];

const NEGATIVE: [&str; 10] = [
    "angry",
    "frustrated",
    "unacceptable",
    "terrible",
    "worst",
    "again",
    "still",
    "disappointed",
    "cancel",
    "useless",
];
const POSITIVE: [&str; 6] = [
    "thanks",
    "thank you",
    "great",
    "love",
    "appreciate",
    "happy",
];

const CATEGORIES: [(&str, &[&str]); 5] = [
    (
        "billing",
        &["invoice", "charge", "refund", "payment", "billing", "vat"],
    ),
    (
        "hardware",
        &["headset", "controller", "pair", "battery", "device", "lens"],
    ),
    (
        "access",
        &[
            "login", "log in", "password", "sso", "sign in", "locked", "invite",
        ],
    ),
    (
        "performance",
        &["slow", "lag", "latency", "fps", "freez", "stutter"],
    ),
    (
        "bug",
        &["error", "crash", "bug", "broken", "fails", "exception"],
    ),
];

/// Every team [`team_of`] names; each needs addresses in `[support.teams]`.
pub const TEAMS: [&str; 4] = [
    "support-billing",
    "support-hardware",
    "support-technical",
    "support-success",
];

/// The team a category goes to.
pub fn team_of(category: &str) -> &'static str {
    match category {
        "billing" => "support-billing",
        "hardware" => "support-hardware",
        "access" | "performance" | "bug" => "support-technical",
        _ => "support-success",
    }
}

fn count(text: &str, words: &[&str]) -> Vec<String> {
    words
        .iter()
        .filter(|w| text.contains(*w))
        .map(|w| w.to_string())
        .collect()
}

/// −100..100 from a small lexicon: each negative word −20, each positive +20.
pub fn sentiment(text: &str) -> i32 {
    let t = text.to_lowercase();
    let neg = count(&t, &NEGATIVE).len() as i32;
    let pos = count(&t, &POSITIVE).len() as i32;
    ((pos - neg) * 20).clamp(-100, 100)
}

fn raise(p: TicketPriority) -> TicketPriority {
    match p {
        TicketPriority::Low => TicketPriority::Normal,
        TicketPriority::Normal => TicketPriority::High,
        _ => TicketPriority::Urgent,
    }
}

/// Triage of a ticket's text for a customer on `plan` (`None`: not known to Support).
/// `boosted_plan` is the customer's plan when that plan raises the priority.
pub fn triage(subject: &str, body: &str, boosted_plan: Option<&str>) -> Triage {
    let text = format!("{subject}\n{body}").to_lowercase();
    let mut reasons = Vec::new();
    let (mut priority, hits) = if let words @ [_, ..] = &count(&text, &URGENT)[..] {
        (TicketPriority::Urgent, words.to_vec())
    } else if let words @ [_, ..] = &count(&text, &HIGH)[..] {
        (TicketPriority::High, words.to_vec())
    } else if let words @ [_, ..] = &count(&text, &LOW)[..] {
        (TicketPriority::Low, words.to_vec())
    } else {
        (TicketPriority::Normal, vec![])
    };
    if !hits.is_empty() {
        reasons.push(format!("{priority:?} by keywords: {}", hits.join(", ")).to_lowercase());
    }
    let mood = sentiment(&text);
    if mood <= -40 && priority != TicketPriority::Urgent {
        priority = raise(priority);
        reasons.push(format!("raised: negative sentiment ({mood})"));
    }
    if let Some(plan) = boosted_plan
        && priority != TicketPriority::Urgent
    {
        priority = raise(priority);
        reasons.push(format!("raised: {plan} customer"));
    }
    let (category, words) = CATEGORIES
        .iter()
        .map(|(c, words)| (*c, count(&text, words)))
        .max_by_key(|(_, hits)| hits.len())
        .filter(|(_, hits)| !hits.is_empty())
        .unwrap_or(("how_to", vec![]));
    reasons.push(if words.is_empty() {
        "category how_to: no product keywords".into()
    } else {
        format!("category {category}: {}", words.join(", "))
    });
    Triage {
        priority,
        category,
        team: team_of(category),
        sentiment: mood,
        reasons,
    }
}

/// Words a duplicate check compares: lower-case, 3+ letters, common words left out.
pub fn topic_words(text: &str) -> BTreeSet<String> {
    const STOP: [&str; 24] = [
        "the", "and", "for", "our", "with", "since", "this", "that", "not", "does", "have", "are",
        "was", "you", "your", "from", "after", "but", "can", "all", "any", "when", "what", "hello",
    ];
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() >= 3 && !STOP.contains(w))
        .map(str::to_string)
        .collect()
}

/// Jaccard similarity of two word sets.
pub fn similarity(a: &BTreeSet<String>, b: &BTreeSet<String>) -> f64 {
    let union = a.union(b).count();
    if union == 0 {
        return 0.0;
    }
    a.intersection(b).count() as f64 / union as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outages_are_urgent_and_anger_or_enterprise_raise_the_priority() {
        let t = triage(
            "Studio is down for all users",
            "Production down since 9:00",
            None,
        );
        assert_eq!(t.priority, TicketPriority::Urgent);
        let t = triage(
            "Headset does not pair",
            "The controller fails to pair.",
            None,
        );
        assert_eq!(
            (t.priority, t.category, t.team),
            (TicketPriority::High, "hardware", "support-hardware")
        );
        let t = triage("Question about exports", "How do I export a scene?", None);
        assert_eq!((t.priority, t.category), (TicketPriority::Low, "how_to"));
        let angry = triage(
            "Invoice wrong AGAIN",
            "This is unacceptable, I am frustrated and still waiting.",
            None,
        );
        assert_eq!(angry.category, "billing");
        assert!(angry.sentiment <= -60);
        assert_eq!(angry.priority, TicketPriority::High, "{:?}", angry.reasons);
        let vip = triage(
            "Question about exports",
            "How do I export?",
            Some("enterprise"),
        );
        assert_eq!(vip.priority, TicketPriority::Normal);
        assert!(
            vip.reasons
                .iter()
                .any(|r| r == "raised: enterprise customer")
        );
    }

    #[test]
    fn duplicates_are_found_by_overlapping_words() {
        let a = topic_words("Headset does not pair with the studio");
        let b =
            topic_words("Headsets not pairing with Studio since the update - headset pair fails");
        let c = topic_words("Invoice VAT number missing");
        assert!(similarity(&a, &b) >= 0.3, "{}", similarity(&a, &b));
        assert_eq!(similarity(&a, &c), 0.0);
    }
}
