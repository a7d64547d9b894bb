//! Briefs from SEO's content gaps: a gap (`ContentGapFound`) scored at least
//! `briefs.min_score` becomes a brief — title, target keyword, related terms (earlier gaps'
//! keywords sharing a stemmed term with it), audience, outline and length — written through
//! the text writer, held in the brief channel's next free slot and mailed to marketing. Its
//! piece id (`brief-<keyword>`) is the one the writer's draft comes back under; a gap sent again
//! makes no second brief.

use crate::{ContentMarketing, Piece, PieceState, required, text};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::ContentGapFound;
use ascent_core::context::Ctx;
use ascent_core::ports::{Condition, Mail};
use ascent_core::writer::Brief;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The gap keywords remembered for related terms (`content#keywords` / `recent`).
pub const KEYWORDS_PK: &str = "content#keywords";

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Remembered {
    /// Oldest first.
    pub keywords: Vec<String>,
    pub version: u32,
}

/// A keyword as an id: lower-case letters and digits, single dashes.
pub fn slug(keyword: &str) -> String {
    text::words(keyword).join("-")
}

/// Up to `n` remembered keywords sharing a stemmed term with `keyword` (not the keyword
/// itself), most recent first.
pub fn related_terms(keyword: &str, remembered: &[String], n: usize) -> Vec<String> {
    let topic = text::topic(keyword);
    remembered
        .iter()
        .rev()
        .filter(|k| k.as_str() != keyword)
        .filter(|k| text::topic(k).iter().any(|t| topic.contains(t)))
        .take(n)
        .cloned()
        .collect()
}

/// `{` and `}` of a fact written into a template, kept literal.
fn literal(s: &str) -> String {
    s.replace('{', "{{").replace('}', "}}")
}

/// The brief the text writer gets: the title template, and a body template of the target
/// keyword, related terms, audience, length, publishing day and outline.
pub fn brief_for(
    gap: &ContentGapFound,
    related: &[String],
    publish_on: Option<NaiveDate>,
    settings: &crate::settings::BriefSettings,
    piece_id: &str,
) -> Brief {
    let mut body = String::new();
    let _ = writeln!(
        body,
        "Piece id: {piece_id} (submit the draft under this id)"
    );
    let _ = writeln!(body, "Target keyword: {{keyword}}");
    let related = if related.is_empty() {
        "none yet".to_string()
    } else {
        related.join(", ")
    };
    let _ = writeln!(body, "Related terms: {}", literal(&related));
    let _ = writeln!(body, "Audience: {{audience}}");
    let _ = writeln!(body, "Length: about {} words", settings.words);
    let when = publish_on.map_or("no free slot yet".to_string(), |d| d.to_string());
    let _ = writeln!(body, "Publish on: {when}");
    let _ = writeln!(
        body,
        "Why: {} searches a month; {} ranks {} for it, we {}.",
        gap.search_volume,
        literal(&gap.competitor),
        gap.competitor_rank,
        gap.our_rank
            .map_or("do not rank".to_string(), |r| format!("rank {r}"))
    );
    let _ = writeln!(body, "\nOutline:");
    for (i, section) in settings.outline.iter().enumerate() {
        let _ = writeln!(body, "{}. {section}", i + 1);
    }
    let facts: BTreeMap<String, String> = [
        ("keyword", gap.keyword.trim()),
        ("audience", settings.audience.as_str()),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    Brief {
        purpose: "content brief".into(),
        subject_template: settings.title.clone(),
        body_template: body,
        facts,
    }
}

impl ContentMarketing {
    pub(crate) async fn on_gap(
        &self,
        ctx: &mut Ctx<'_>,
        gap: &ContentGapFound,
        today: NaiveDate,
    ) -> Result<(), AgentError> {
        let keyword = required("keyword", &gap.keyword)?;
        let topic = text::topic(keyword);
        if topic.is_empty() {
            return Err(AgentError::Invalid(format!(
                "keyword: `{keyword}` has no word to target"
            )));
        }
        let settings = &self.config.briefs;
        if gap.score < settings.min_score {
            return Ok(());
        }
        let piece_id = format!("brief-{}", slug(keyword));
        if self.piece(ctx, &piece_id).await?.is_some() {
            return Ok(()); // briefed before
        }
        let mut remembered: Remembered = ctx
            .get_as(Domain::Knowledge, KEYWORDS_PK, "recent")
            .await?
            .unwrap_or_default();
        let related = related_terms(keyword, &remembered.keywords, settings.related_terms);
        let mut p = Piece {
            piece_id: piece_id.clone(),
            channel: settings.channel.clone(),
            title: keyword.to_string(),
            keywords: std::iter::once(keyword.to_string())
                .chain(related.iter().cloned())
                .collect(),
            topic,
            state: PieceState::Briefed,
            slot: None,
            author: None,
            draft_fingerprint: None,
            failures: Vec::new(),
            views: 0,
            clicks: 0,
            shares: 0,
            version: 0,
        };
        // The title first (the slot keeps it), then the brief with the slot's day.
        let title = self
            .write(&brief_for(gap, &related, None, settings, &piece_id))
            .await?;
        p.title = title.subject;
        p.slot = self
            .place(ctx, &p, today, self.config.brief_lead_days)
            .await?;
        let brief = self
            .write(&brief_for(gap, &related, p.slot, settings, &piece_id))
            .await?;
        if p.slot.is_none() {
            p.state = PieceState::Unplaced;
            self.tell_unplaced(ctx, &p)?;
        }
        ctx.send_mail(Mail {
            to: self.config.marketing.clone(),
            subject: format!("Content brief: {}", p.title),
            text: format!("{}\n(written by {})\n", brief.body, brief.written_by),
            html: None,
            headers: vec![],
            attachments: vec![],
        })?;
        self.save_piece(ctx, p)?;
        let previous = (remembered.version > 0).then_some(remembered.version);
        remembered.keywords.push(keyword.to_string());
        let excess = remembered
            .keywords
            .len()
            .saturating_sub(settings.keywords_kept);
        remembered.keywords.drain(..excess);
        remembered.version += 1;
        ctx.put_record(
            Domain::Knowledge,
            KEYWORDS_PK,
            "recent",
            &remembered,
            None,
            Condition::version(previous),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(ks: &[&str]) -> Vec<String> {
        ks.iter().map(|k| k.to_string()).collect()
    }

    #[test]
    fn related_terms_share_a_stem_most_recent_first() {
        let remembered = kept(&[
            "vr training roi",
            "headset pricing",
            "safety drills in vr",
            "vr safety training",
            "xr maintenance trainings",
        ]);
        assert_eq!(
            related_terms("vr safety training", &remembered, 5),
            [
                "xr maintenance trainings",
                "safety drills in vr",
                "vr training roi"
            ]
        );
        assert_eq!(
            related_terms("vr safety training", &remembered, 2),
            ["xr maintenance trainings", "safety drills in vr"]
        );
        assert!(related_terms("crm integration", &remembered, 5).is_empty());
    }

    #[test]
    fn slugs_are_lower_case_words_joined_by_dashes() {
        assert_eq!(
            slug("  VR Safety-Training 2026 "),
            "vr-safety-training-2026"
        );
    }
}
