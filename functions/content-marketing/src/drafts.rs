//! A submitted draft: checked ([`crate::gate`]), then scheduled on its piece's slot (or the
//! channel's next free one) with `ContentScheduled` and a note to the author, or returned to
//! the author by mail with every reason it failed. The same draft sent twice is gated once.

use crate::{ContentMarketing, Piece, PieceState, calendar_pk, gate, required, text};
use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::{ContentDraftSubmitted, ContentScheduled};
use ascent_core::context::Ctx;
use ascent_core::ports::Mail;
use chrono::NaiveDate;
use std::fmt::Write as _;

/// FNV-1a of the draft's parts: the same draft sent again has the same fingerprint.
pub fn fingerprint(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain([0u8]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// The mail returning a draft to its author.
pub fn returned_text(p: &Piece, review: &gate::Review) -> String {
    let mut t = format!(
        "Your draft \"{}\" ({}, {}) did not pass the quality gate:\n\n",
        p.title, p.piece_id, p.channel
    );
    for f in &review.failures {
        let _ = writeln!(t, "- {f}");
    }
    let ease = review
        .reading_ease
        .map_or("n/a".to_string(), |e| format!("{e:.1}"));
    let _ = write!(
        t,
        "\nMeasured: {} words, Flesch reading ease {ease}, keyword density {:.2}%.\n\
         Please revise it and submit it again.\n",
        review.words, review.density_pct
    );
    t
}

impl ContentMarketing {
    pub(crate) async fn on_draft(
        &self,
        ctx: &mut Ctx<'_>,
        d: &ContentDraftSubmitted,
        today: NaiveDate,
    ) -> Result<(), AgentError> {
        let piece_id = required("piece_id", &d.piece_id)?;
        let title = required("title", &d.title)?;
        required("body", &d.body)?;
        let channel = d.channel.trim();
        if !self.config.channels.contains_key(channel) {
            let known: Vec<&str> = self.config.channels.keys().map(String::as_str).collect();
            return Err(AgentError::Invalid(format!(
                "channel: `{channel}` is not a channel of [content_marketing.channels] (known: {})",
                known.join(", ")
            )));
        }
        let keywords: Vec<String> = d
            .keywords
            .iter()
            .map(|k| k.trim().to_string())
            .filter(|k| !k.is_empty())
            .collect();
        let Some(keyword) = keywords.first().cloned() else {
            return Err(AgentError::Invalid("keywords: no target keyword".into()));
        };
        let topic = text::topic(&keyword);
        if topic.is_empty() {
            return Err(AgentError::Invalid(format!(
                "keywords[0]: `{keyword}` has no word to target"
            )));
        }
        ascent_core::contact::check_email(&d.author)
            .map_err(|e| AgentError::Invalid(format!("author: {e}")))?;
        let fp = fingerprint(&[channel, title, &d.body, &keywords.join("\n")]);
        let existing = self.piece(ctx, piece_id).await?;
        if let Some(p) = &existing {
            if p.state == PieceState::Withdrawn {
                // The customer withdrew its consent: nothing of it is scheduled.
                return ctx.send_mail(Mail {
                    to: d.author.trim().to_string(),
                    subject: format!("Draft not scheduled: {title}"),
                    text: format!(
                        "\"{title}\" ({piece_id}) is a case study whose customer withdrew its \
                         consent to be named: it is not published.\n"
                    ),
                    html: None,
                    headers: vec![],
                    attachments: vec![],
                });
            }
            if p.draft_fingerprint == Some(fp) {
                return Ok(()); // the same draft again
            }
            if p.channel != channel {
                return Err(AgentError::Invalid(format!(
                    "channel: piece {piece_id} is planned for `{}`, not `{channel}`",
                    p.channel
                )));
            }
        }
        let mut p = existing.unwrap_or_else(|| Piece {
            piece_id: piece_id.to_string(),
            channel: channel.to_string(),
            title: String::new(),
            keywords: Vec::new(),
            topic: Vec::new(),
            state: PieceState::Briefed,
            slot: None,
            author: None,
            draft_fingerprint: None,
            failures: Vec::new(),
            views: 0,
            clicks: 0,
            shares: 0,
            version: 0,
        });
        let before = p.clone();
        p.title = title.to_string();
        p.keywords = keywords;
        p.topic = topic;
        p.author = Some(d.author.trim().to_string());
        p.draft_fingerprint = Some(fp);
        let rules = &self.config.channels[channel];
        let draft = gate::Draft {
            title,
            body: &d.body,
            keyword: &keyword,
        };
        let review = gate::review(draft, rules, &self.config.gate);
        if !review.passed() {
            let mut text = returned_text(&p, &review);
            if let (PieceState::Scheduled, Some(day)) = (before.state, before.slot) {
                // A failing revision of a scheduled piece: the version that passed stays.
                let _ = writeln!(text, "The version scheduled for {day} stays scheduled.");
                p.title = before.title;
                p.keywords = before.keywords;
                p.topic = before.topic;
            } else {
                p.state = PieceState::Returned;
            }
            p.failures = review.failures.iter().map(ToString::to_string).collect();
            ctx.send_mail(Mail {
                to: d.author.trim().to_string(),
                subject: format!("Draft returned: {title}"),
                text,
                html: None,
                headers: vec![],
                attachments: vec![],
            })?;
            return self.save_piece(ctx, p);
        }
        p.failures.clear();
        match self
            .place(ctx, &p, today, self.config.draft_lead_days)
            .await?
        {
            Some(day) => {
                p.slot = Some(day);
                p.state = PieceState::Scheduled;
                ctx.emit(ContentScheduled {
                    piece_id: p.piece_id.clone(),
                    channel: p.channel.clone(),
                    title: p.title.clone(),
                    publish_on: day,
                    keywords: p.keywords.clone(),
                })?;
                ctx.send_mail(Mail {
                    to: d.author.trim().to_string(),
                    subject: format!("Draft scheduled: {title} on {day}"),
                    text: format!(
                        "Your draft \"{title}\" ({}) passed the quality gate and is scheduled \
                         for {} on {day}.\n",
                        p.piece_id, p.channel
                    ),
                    html: None,
                    headers: vec![],
                    attachments: vec![],
                })?;
            }
            None => {
                if let Some(old) = p.slot.take() {
                    ctx.delete(
                        Domain::Knowledge,
                        &calendar_pk(&p.channel),
                        &old.to_string(),
                    )?;
                }
                p.state = PieceState::Unplaced;
                self.tell_unplaced(ctx, &p)?;
            }
        }
        self.save_piece(ctx, p)
    }

    /// Tells marketing a piece found no free slot within the horizon.
    pub(crate) fn tell_unplaced(&self, ctx: &mut Ctx<'_>, p: &Piece) -> Result<(), AgentError> {
        ctx.send_mail(Mail {
            to: self.config.marketing.clone(),
            subject: format!("No free {} slot for {}", p.channel, p.piece_id),
            text: format!(
                "\"{}\" ({}) found no free {} slot in the next {} days without a topic clash \
                 (pieces on near-identical topics at least {} days apart). Add a slot to the \
                 cadence or move a piece; its next draft is placed again.\n",
                p.title,
                p.piece_id,
                p.channel,
                self.config.horizon_days,
                self.config.topic_clash_days
            ),
            html: None,
            headers: vec![],
            attachments: vec![],
        })
    }
}
