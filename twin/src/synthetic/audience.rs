//! What the marketing team hears from outside, in the synthetic company: email campaigns the
//! CRM schedules to the customers' segments and the customers' answers to the emails (a few
//! bounces, unsubscribes and clicks), social mentions (a few negative ones by customers, a
//! burst now and then), the rank tracker's weekly positions of the tracked keywords, a
//! competitor's keywords, and short social drafts from the CMS (one in eight with a banned
//! claim, for the quality gate to return).

use super::{Company, FIRST, LAST, at};
use ascent_core::catalog::{
    BounceKind, CompetitorKeyword, CompetitorKeywordsObserved, ContactPreference,
    ContactPreferenceChanged, ContentDraftSubmitted, EmailBounced, EmailCampaignResumed,
    EmailCampaignScheduled, EmailClicked, EmailVariant, KeywordRankObserved, MentionObserved,
};

/// The rank tracker's keywords: (keyword, searches a month, difficulty, our first rank).
const KEYWORDS: &[(&str, u32, u32, Option<u32>)] = &[
    ("xr maintenance training", 2_400, 42, Some(7)),
    ("vr safety training", 1_900, 35, Some(14)),
    ("virtual reality training software", 5_400, 61, Some(23)),
    ("xr training platform", 1_300, 48, Some(4)),
    ("aviation vr training", 880, 30, None),
    ("immersive learning roi", 590, 25, Some(31)),
    ("ar work instructions", 1_600, 44, Some(11)),
    ("vr onboarding", 720, 28, Some(9)),
];

/// A competitor's page of keywords: (keyword, its rank, volume, difficulty).
const COMPETITOR: &[(&str, u32, u32, u32)] = &[
    ("vr safety training", 3, 1_900, 35),
    ("vr forklift training", 2, 2_900, 38),
    ("xr welding simulator", 5, 1_100, 40),
    ("hololens training apps", 8, 700, 45),
    ("xr maintenance training", 6, 2_400, 42),
    ("mixed reality field service", 4, 450, 33),
    ("vr fire drill", 12, 300, 20),
    ("ar assembly guidance", 9, 150, 30),
];

/// Topics of the social posts, one after the other (no two alike within the clash window).
const POST_TOPICS: &[&str] = &[
    "xr maintenance training",
    "vr safety training",
    "aviation vr training",
    "immersive learning roi",
    "ar work instructions",
    "vr onboarding",
    "headset fleet management",
    "welding simulator drills",
    "remote expert support",
    "energy plant walkthroughs",
];

const PLATFORMS: &[&str] = &["linkedin", "mastodon", "x"];
const POSITIVE: &[&str] = &[
    "Love the new Ascent XR training modules, great work",
    "Impressive demo of Ascent XR at the expo, easy to follow",
    "Our crew finished the VR safety course, really helpful, thanks",
];
const NEUTRAL: &[&str] = &[
    "Anyone tried Ascent XR for maintenance training?",
    "Ascent XR is hiring again in Denver",
    "Reading the Ascent XR case study on aviation training",
];
/// Each scores under −2 with the shipped lexicon (−5, −6, −5).
pub(super) const NEGATIVE: &[&str] = &[
    "Ascent XR app crashes again, terrible experience",
    "Headset firmware broken again and the support portal is useless",
    "Disappointed by the slow sync in Ascent XR, bad update",
];

/// A customer account's billing address, as its sign-up gave it.
pub(super) fn billing_email(account: &str) -> String {
    format!("ap@{}.example", account.to_lowercase())
}

impl Company {
    /// The tracked keywords' positions of the week, observed on `day` (a Monday).
    pub(super) fn rank_observations(&mut self, day: u32) {
        if self.mkt.ranks.is_empty() {
            self.mkt.ranks = KEYWORDS.iter().map(|k| k.3).collect();
        }
        for (i, &(keyword, volume, difficulty, _)) in KEYWORDS.iter().enumerate() {
            let rank = match self.mkt.ranks[i] {
                // A drop of ten places or more now and then (SEO's alert), else a small move.
                Some(r) if self.mkt.rng.chance(0.06) => Some((r + 10).min(100)),
                Some(_) if self.mkt.rng.chance(0.03) => None,
                Some(r) => Some((r as i64 + self.mkt.rng.range(-2, 2)).clamp(1, 100) as u32),
                None if self.mkt.rng.chance(0.3) => Some(self.mkt.rng.range(40, 90) as u32),
                None => None,
            };
            self.mkt.ranks[i] = rank;
            let observed = KeywordRankObserved {
                keyword: keyword.into(),
                url: rank
                    .map(|_| format!("https://ascent-xr.example/{}", keyword.replace(' ', "-"))),
                rank,
                search_volume: volume,
                difficulty,
                observed_on: at(self.start, day, 0).date_naive(),
            };
            self.schedule_at(day, 9 * 60 + i as i64, "ascent.seo", observed);
        }
    }

    /// A competitor's keywords, observed once (SEO finds the gaps, Content writes the briefs).
    pub(super) fn competitor_keywords(&mut self, day: u32) {
        let observed = CompetitorKeywordsObserved {
            competitor: "rivalxr.example".into(),
            observed_on: at(self.start, day, 0).date_naive(),
            keywords: COMPETITOR
                .iter()
                .map(
                    |&(keyword, rank, search_volume, difficulty)| CompetitorKeyword {
                        keyword: keyword.into(),
                        rank,
                        search_volume,
                        difficulty,
                    },
                )
                .collect(),
        };
        self.schedule_at(day, 10 * 60, "ascent.seo", observed);
    }

    /// The week's email campaign (Wednesdays from the third week, when there are customers):
    /// a newsletter to every customer and a campaign to the US enterprise customers in turn,
    /// one in three an A/B test of two subjects; sent from the next morning.
    pub(super) fn email_campaign(&mut self, day: u32) {
        if day < 14 || self.accounts.is_empty() {
            return;
        }
        let n = self.mkt.email_campaigns;
        self.mkt.email_campaigns += 1;
        let segment = if n.is_multiple_of(2) {
            "all-customers"
        } else {
            "enterprise-us"
        };
        let body = "Hello {company} team,\n\nThis month: faster headset pairing and three new \
                    safety modules for your crews.\n";
        let mut variants = vec![EmailVariant {
            name: "A".into(),
            subject: "What's new for {company}".into(),
            body: body.into(),
        }];
        if n % 3 == 2 {
            variants.push(EmailVariant {
                name: "B".into(),
                subject: "{company}: three new safety modules".into(),
                body: body.into(),
            });
        }
        let scheduled = EmailCampaignScheduled {
            campaign_id: format!("EM-{day:03}"),
            name: format!("Week {} {segment}", day / 7 + 1),
            segment: segment.into(),
            send_at: at(self.start, day + 1, 10 * 60),
            variants,
        };
        let minute = self.mkt.rng.range(9 * 60, 12 * 60);
        self.schedule_at(day, minute, "ascent.crm", scheduled);
    }

    /// A customer's answer to a marketing email it was sent (`today` or before): 2.5% bounce
    /// hard, 1.5% soft, 3% unsubscribe, 10% click; the next day. Mail to anyone else (a lead
    /// in Outreach's sequence) is left alone.
    pub fn on_marketing_mail(&mut self, to: &str, today: u32) {
        if !self.mkt.customers.contains(to) {
            return;
        }
        let day = today + 1;
        let minute = self.mkt.rng.range(8 * 60, 18 * 60);
        let email = to.to_string();
        match self.mkt.rng.below(1_000) {
            0..25 => self.bounce(day, minute, email, BounceKind::Hard),
            25..40 => self.bounce(day, minute, email, BounceKind::Soft),
            40..70 => {
                let changed = ContactPreferenceChanged {
                    email,
                    change: ContactPreference::Unsubscribed,
                    phone: None,
                    evidence: "unsubscribe link of a marketing email".into(),
                    consent: None,
                };
                self.schedule_at(day, minute, "ascent.web", changed);
            }
            70..170 => {
                let clicked = EmailClicked {
                    email,
                    url: "https://ascent-xr.example/news".into(),
                    clicked_at: at(self.start, day, minute),
                };
                self.schedule_at(day, minute, "ascent.mail", clicked);
            }
            _ => {}
        }
    }

    fn bounce(&mut self, day: u32, minute: i64, email: String, bounce: BounceKind) {
        let diagnostic = match bounce {
            BounceKind::Hard => "550 5.1.1 user unknown",
            _ => "452 4.2.2 mailbox full",
        };
        let bounced = EmailBounced {
            email,
            bounce,
            diagnostic: diagnostic.into(),
        };
        self.schedule_at(day, minute, "ascent.mail", bounced);
    }

    /// Deliverability paused an email campaign: the CRM cleans the list and resumes it the
    /// next morning.
    pub fn on_email_campaign_paused(&mut self, campaign_id: &str, today: u32) {
        let resumed = EmailCampaignResumed {
            campaign_id: campaign_id.to_string(),
            resumed_by: "deliverability@ascent-xr.example".into(),
            note: "bounced addresses removed from the list".into(),
        };
        self.schedule_at(today + 1, 9 * 60, "ascent.crm", resumed);
    }

    /// The day's mentions: two to five on a weekday (none or one at weekends), a fifth of them
    /// negative and half of those by a customer; on one weekday in twenty a burst of twelve
    /// in an hour (a spike for Social Media).
    pub(super) fn mentions(&mut self, day: u32, weekend: bool) {
        let n = if weekend {
            self.mkt.rng.range(0, 1)
        } else {
            self.mkt.rng.range(2, 5)
        };
        for _ in 0..n {
            let minute = self.mkt.rng.range(8 * 60, 18 * 60);
            let roll = self.mkt.rng.below(10);
            let (text, negative) = match roll {
                0..5 => (*self.mkt.rng.pick(POSITIVE), false),
                5..8 => (*self.mkt.rng.pick(NEUTRAL), false),
                _ => (*self.mkt.rng.pick(NEGATIVE), true),
            };
            let by_customer = negative && !self.accounts.is_empty() && self.mkt.rng.chance(0.5);
            let author_email = by_customer.then(|| {
                let i = self.mkt.rng.below(self.accounts.len() as u64) as usize;
                billing_email(&self.accounts[i])
            });
            self.mention(day, minute, text, author_email);
        }
        if !weekend && self.mkt.rng.chance(0.05) {
            for k in 0..12 {
                let minute = 15 * 60 + k * 4;
                self.mention(
                    day,
                    minute,
                    "Ascent XR just announced hand tracking for every headset",
                    None,
                );
            }
        }
    }

    /// One mention posted at `minute`, reported by the listening service five minutes later.
    fn mention(&mut self, day: u32, minute: i64, text: &str, author_email: Option<String>) {
        self.mkt.next_mention += 1;
        let id = self.mkt.next_mention;
        let platform = *self.mkt.rng.pick(PLATFORMS);
        let author = format!("{} {}", self.mkt.rng.pick(FIRST), self.mkt.rng.pick(LAST));
        let observed = MentionObserved {
            mention_id: format!("{platform}-{id}"),
            platform: platform.into(),
            author,
            author_email,
            text: text.into(),
            posted_at: at(self.start, day, minute),
            url: format!("https://social.example/{platform}/{id}"),
        };
        self.schedule_at(day, minute + 5, "ascent.social", observed);
    }

    /// A short social post's draft from the CMS, on the next topic; one in eight makes a
    /// claim the gate bans.
    pub(super) fn draft(&mut self, day: u32, channel: &str) {
        self.mkt.next_draft += 1;
        let n = self.mkt.next_draft;
        let topic = POST_TOPICS[n as usize % POST_TOPICS.len()];
        let claim = if self.mkt.rng.chance(0.125) {
            " Results guaranteed."
        } else {
            ""
        };
        let draft = ContentDraftSubmitted {
            piece_id: format!("post-{n}"),
            channel: channel.into(),
            title: format!("Why crews like {topic}"),
            body: format!(
                "Crews learn {topic} fast with a headset on. They try each step, make \
                 mistakes and try again.{claim}\n\nOur customers cut their time to work by a \
                 third. See a short demo with your own team this week."
            ),
            keywords: vec![topic.into()],
            author: "writer@ascent-xr.example".into(),
        };
        let minute = self.mkt.rng.range(9 * 60, 17 * 60);
        self.schedule_at(day, minute, "ascent.cms", draft);
    }
}
