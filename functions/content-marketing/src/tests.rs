//! Content Marketing through an in-memory twin: briefs from gaps placed without topic clashes,
//! drafts gated then scheduled or returned, case studies only with consent, engagement and the
//! weekly report, and bad input dead-lettered naming the field.

use super::*;
use ascent_core::catalog::{
    CaseStudyConsentGiven, ContentDraftSubmitted, ContentEngagementObserved, ContentGapFound,
    DealClosedWon,
};
use ascent_core::money::Money;
use ascent_core::ports::Mail;
use ascent_embedded::testkit::TestTwin;
use chrono::{DateTime, Utc};

#[path = "tests_cases.rs"]
mod cases;

pub(crate) fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

pub(crate) fn twin(start: &str) -> TestTwin {
    TestTwin::new(vec![Arc::new(ContentMarketing::default())], at(start))
}

pub(crate) const CONTENT: &str = "content@ascent-xr.example";
pub(crate) const NINA: &str = "nina.writer@ascent-xr.example";

pub(crate) fn gap(t: &TestTwin, keyword: &str, score: u32) {
    t.emit(
        "ascent.agent.seo",
        ContentGapFound {
            keyword: keyword.into(),
            search_volume: 1900,
            difficulty: 35,
            competitor: "rivalxr.example".into(),
            competitor_rank: 3,
            our_rank: None,
            score,
        },
    );
}

pub(crate) fn mails(t: &TestTwin, to: &str) -> Vec<Mail> {
    t.runtime
        .mails()
        .unwrap()
        .into_iter()
        .filter(|m| m.to == to)
        .collect()
}

pub(crate) fn piece(t: &TestTwin, id: &str) -> Piece {
    serde_json::from_value(
        t.get(Domain::Knowledge, &piece_pk(id), "piece")
            .expect("the piece"),
    )
    .unwrap()
}

pub(crate) fn scheduled(t: &TestTwin) -> Vec<(String, NaiveDate)> {
    t.emitted("ContentScheduled")
        .iter()
        .map(|e| match e.payload() {
            Payload::ContentScheduled(s) => (s.piece_id.clone(), s.publish_on),
            _ => unreachable!(),
        })
        .collect()
}

pub(crate) fn dead_letters(t: &TestTwin) -> Vec<String> {
    t.runtime
        .dead_letters()
        .unwrap()
        .into_iter()
        .map(|d| d.reason)
        .collect()
}

pub(crate) fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

const INTRO: &str = "VR safety training lets your crews practise the jobs that are too risky to \
rehearse on the floor. A headset puts them in front of a leaking valve, a fire in the paint shop \
or a fall from a ladder. They make their mistakes there, where no one gets hurt.";

const POOL: [&str; 5] = [
    "Most safety courses are slides and a quiz. People click through them and forget them by \
the next shift. When a real alarm goes off, they have to think about what to do. That pause is \
where accidents happen. Practice in a headset turns the steps into habits, so the hands know \
the way before the head does.",
    "Start with the jobs that hurt people most often in your plant. Your incident log will tell \
you which ones they are. Pick one or two, not ten. Build each scene with the person who trains \
it today, and ask them what new staff get wrong. Those mistakes are what the scene should test.",
    "Keep each session short. Ten to fifteen minutes is enough for one task. Let people try it \
twice: once to learn it and once to show they can do it. Record how long they take and which \
steps they miss. Share the results with their team lead the same day.",
    "Plan the roll-out like any other change. Tell the crews why you are doing it and what it \
will feel like. Have a spare headset ready and a quiet room to use it in. Clean the headsets \
between users. Ask for feedback after the first week and fix what people complain about.",
    "Measure what matters to the plant, not only to the course. Look at near misses, first aid \
cases and the time a new hire needs before they work alone. Compare the crews that trained in \
VR with those that did not. Give it a quarter before you judge it.",
];

/// A plain-English blog post on VR safety training of some 900 words.
pub(crate) fn blog_post() -> String {
    let mut body = format!("# VR safety training that crews remember\n\n{INTRO}\n");
    let sections = [
        ("Why slides are not enough", [0, 1, 2]),
        ("How to start", [1, 2, 3]),
        ("Rolling it out", [3, 4, 0]),
        ("What to measure", [4, 0, 1]),
        ("Next steps", [2, 3, 4]),
    ];
    for (heading, paragraphs) in sections {
        body.push_str(&format!("\n## {heading}\n"));
        for p in paragraphs {
            body.push_str(&format!("\n{}\n", POOL[p]));
        }
    }
    body.push_str(
        "\nVR safety training is a tool, not a fix on its own. Use it for the risky jobs, keep \
         the sessions short and watch the numbers.\n",
    );
    body
}

pub(crate) fn draft(t: &TestTwin, id: &str, channel: &str, title: &str, body: &str) {
    t.emit(
        "ascent.cms",
        ContentDraftSubmitted {
            piece_id: id.into(),
            channel: channel.into(),
            title: title.into(),
            body: body.into(),
            keywords: vec!["vr safety training".into(), "safety drills".into()],
            author: NINA.into(),
        },
    );
}

#[test]
fn content_gaps_become_briefs_in_free_slots_without_topic_clashes() {
    // Given Monday 2 March: briefs are placed from 16 March (14 days' lead) on the blog's
    // Tuesdays and Thursdays.
    let t = twin("2026-03-02T09:00:00Z");
    // When SEO reports a gap on "vr safety training",
    gap(&t, "vr safety training", 136);
    // then its brief takes Tuesday 17 March and goes to marketing.
    let p = piece(&t, "brief-vr-safety-training");
    assert_eq!(p.slot, Some(d("2026-03-17")));
    assert_eq!(p.state, PieceState::Briefed);
    assert_eq!(p.title, "vr safety training: a practical guide");
    let m = &mails(&t, CONTENT)[0];
    assert_eq!(
        m.subject,
        "Content brief: vr safety training: a practical guide"
    );
    for line in [
        "Piece id: brief-vr-safety-training",
        "Target keyword: vr safety training",
        "Related terms: none yet",
        "Audience: training and operations leaders in aviation, energy and manufacturing",
        "Length: about 1500 words",
        "Publish on: 2026-03-17",
        "Why: 1900 searches a month; rivalxr.example ranks 3 for it, we do not rank.",
        "3. How to get started with vr safety training",
        "(written by template)",
    ] {
        assert!(m.text.contains(line), "{line}\n{}", m.text);
    }
    // A near-identical topic waits 21 days after it: Tuesday 7 April (not Thursday 19 March),
    gap(&t, "safety trainings in vr", 90);
    let near = piece(&t, "brief-safety-trainings-in-vr");
    assert_eq!(near.slot, Some(d("2026-04-07")));
    assert_eq!(
        near.keywords,
        ["safety trainings in vr", "vr safety training"]
    );
    // while another topic takes the free Thursday, its related terms the earlier gaps that
    // share a stemmed term with it, most recent first.
    gap(&t, "xr maintenance training", 70);
    let other = piece(&t, "brief-xr-maintenance-training");
    assert_eq!(other.slot, Some(d("2026-03-19")));
    assert_eq!(
        other.keywords,
        [
            "xr maintenance training",
            "safety trainings in vr",
            "vr safety training"
        ]
    );
    // A gap sent again makes no second brief; one scored below 50 makes none.
    gap(&t, "vr safety training", 136);
    gap(&t, "vr headset hygiene", 20);
    assert_eq!(mails(&t, CONTENT).len(), 3);
    assert!(
        t.get(
            Domain::Knowledge,
            &piece_pk("brief-vr-headset-hygiene"),
            "piece"
        )
        .is_none()
    );
    let calendar: Vec<Slot> = t
        .query(Domain::Knowledge, &calendar_pk("blog"))
        .into_iter()
        .map(|v| serde_json::from_value(v).unwrap())
        .collect();
    let days: Vec<NaiveDate> = calendar.iter().map(|s| s.day).collect();
    assert_eq!(days, [d("2026-03-17"), d("2026-03-19"), d("2026-04-07")]);
    assert!(dead_letters(&t).is_empty(), "{:?}", dead_letters(&t));
}

#[test]
fn a_passing_draft_keeps_its_brief_s_slot_and_is_scheduled_once() {
    let t = twin("2026-03-02T09:00:00Z");
    gap(&t, "vr safety training", 136);
    // When the writer's draft of the brief arrives on 9 March and passes the gate,
    t.clock.set(at("2026-03-09T10:00:00Z"));
    let body = blog_post();
    let title = "VR safety training that crews remember";
    draft(&t, "brief-vr-safety-training", "blog", title, &body);
    // then it is scheduled on the brief's slot and its author is told.
    assert_eq!(
        scheduled(&t),
        [("brief-vr-safety-training".to_string(), d("2026-03-17"))]
    );
    let p = piece(&t, "brief-vr-safety-training");
    assert_eq!((p.state, p.title.as_str()), (PieceState::Scheduled, title));
    assert_eq!(p.author.as_deref(), Some(NINA));
    let m = mails(&t, NINA);
    assert_eq!(
        m[0].subject,
        format!("Draft scheduled: {title} on 2026-03-17")
    );
    // The same draft sent again is not scheduled twice.
    draft(&t, "brief-vr-safety-training", "blog", title, &body);
    assert_eq!(scheduled(&t).len(), 1);
    // A draft without a brief takes the blog's next free slot from 11 March (2 days' lead)
    // that clashes with nothing: not Thursday 12 March (5 days from the brief on the same
    // topic) but Tuesday 7 April, 21 days after it.
    draft(&t, "post-vr-drills", "blog", title, &body);
    assert_eq!(
        scheduled(&t)[1],
        ("post-vr-drills".to_string(), d("2026-04-07"))
    );
    assert!(dead_letters(&t).is_empty(), "{:?}", dead_letters(&t));
}

#[test]
fn a_failing_draft_goes_back_to_its_author_with_every_reason() {
    let t = twin("2026-03-02T09:00:00Z");
    gap(&t, "vr safety training", 136);
    let body = "# Headsets\n\nOur guaranteed headsets are the best in the world.\n";
    draft(&t, "brief-vr-safety-training", "blog", "New headsets", body);
    assert!(scheduled(&t).is_empty());
    let p = piece(&t, "brief-vr-safety-training");
    assert_eq!(p.state, PieceState::Returned);
    // The slot stays held for the revised draft.
    assert_eq!(p.slot, Some(d("2026-03-17")));
    let m = &mails(&t, NINA)[0];
    assert_eq!(m.subject, "Draft returned: New headsets");
    for reason in [
        "- the title does not contain the keyword \"vr safety training\"",
        "- the first paragraph does not contain the keyword \"vr safety training\"",
        "- keyword density 0.00% is outside 0.5% to 2.5% of the words",
        "- 1 heading(s), at least 2 needed",
        "- 9 words, at least 800",
        "- banned claim \"guaranteed\"",
        "- banned claim \"best in the world\"",
    ] {
        assert!(m.text.contains(reason), "{reason}\n{}", m.text);
    }
    assert_eq!(p.failures.len(), 7, "{:?}", p.failures);
    // The revised draft passes and keeps the slot.
    let title = "VR safety training that crews remember";
    draft(&t, "brief-vr-safety-training", "blog", title, &blog_post());
    assert_eq!(
        scheduled(&t),
        [("brief-vr-safety-training".to_string(), d("2026-03-17"))]
    );
    assert!(piece(&t, "brief-vr-safety-training").failures.is_empty());
    // A later revision with a banned claim goes back too, and the scheduled version stays.
    let risky = blog_post().replace("where no one gets hurt.", "where it is 100% safe.");
    draft(
        &t,
        "brief-vr-safety-training",
        "blog",
        "Risk-free VR",
        &risky,
    );
    assert_eq!(scheduled(&t).len(), 1);
    let p = piece(&t, "brief-vr-safety-training");
    assert_eq!((p.state, p.title.as_str()), (PieceState::Scheduled, title));
    assert_eq!(p.slot, Some(d("2026-03-17")));
    let back = mails(&t, NINA).pop().unwrap();
    assert_eq!(back.subject, "Draft returned: Risk-free VR");
    for line in [
        "- the title does not contain the keyword \"vr safety training\"",
        "- banned claim \"100% safe\"",
        "- banned claim \"risk-free\"",
        "The version scheduled for 2026-03-17 stays scheduled.",
    ] {
        assert!(back.text.contains(line), "{line}\n{}", back.text);
    }
}

#[test]
fn won_deals_become_case_studies_only_with_consent() {
    let t = twin("2026-03-02T09:00:00Z");
    let won = |account: &str, deal: &str| DealClosedWon {
        deal_id: deal.into(),
        account_id: account.into(),
        owner: "ava.rep@ascent-xr.example".into(),
        amount: Money::usd(4_240_000),
        proposal_id: None,
        reason: Some("technicians train on engines they cannot take apart".into()),
        lead_id: None,
    };
    let consent = |account: &str, company: &str| CaseStudyConsentGiven {
        account_id: account.into(),
        company: company.into(),
        contact_name: "Maya Lindqvist".into(),
        contact_email: "maya@customer.example".into(),
        quote: None,
        given_on: d("2026-03-02"),
    };
    // Given a won deal whose customer never agreed to be named: nothing is drafted.
    t.emit("ascent.crm", won("A1", "D1"));
    assert!(mails(&t, CONTENT).is_empty());
    assert!(
        t.get(Domain::Knowledge, &piece_pk("case-study-a1"), "piece")
            .is_none()
    );
    // A won deal, then the customer's consent: the case study is drafted into the case-study
    // channel's first Thursday from 16 March in a fourth week, 19 March.
    t.emit("ascent.crm", won("A2", "D2"));
    t.emit("ascent.crm", consent("A2", "Boreal Aero"));
    let p = piece(&t, "case-study-a2");
    assert_eq!(
        (p.channel.as_str(), p.slot),
        ("case_study", Some(d("2026-03-19")))
    );
    let m = &mails(&t, CONTENT)[0];
    assert_eq!(
        m.subject,
        "Case study draft: How Boreal Aero trains with Ascent XR"
    );
    for line in [
        "Deal D2; Boreal Aero agreed to be named on 2026-03-02 (Maya Lindqvist",
        "Why they chose Ascent XR: technicians train on engines they cannot take apart",
        "Quote: (to collect in the interview)",
        "Publish on: 2026-03-19",
    ] {
        assert!(m.text.contains(line), "{line}\n{}", m.text);
    }
    // Consent first, then the deal: drafted too, on the next slot four weeks on; a second won
    // deal or consent drafts nothing more.
    t.emit("ascent.crm", consent("A3", "Nordic Wind"));
    assert_eq!(mails(&t, CONTENT).len(), 1);
    t.emit("ascent.crm", won("A3", "D3"));
    assert_eq!(piece(&t, "case-study-a3").slot, Some(d("2026-04-16")));
    t.emit("ascent.crm", won("A3", "D4"));
    t.emit("ascent.crm", consent("A2", "Boreal Aero"));
    assert_eq!(mails(&t, CONTENT).len(), 2);
    assert!(dead_letters(&t).is_empty(), "{:?}", dead_letters(&t));
}

/// A writer that is down (Bedrock throttled): the template writes instead, and says so.
struct Down;

#[async_trait]
impl TextWriter for Down {
    async fn write(&self, _: &Brief) -> Result<Draft, ascent_core::writer::WriterError> {
        Err(ascent_core::writer::WriterError::Unavailable(
            "throttled".into(),
        ))
    }
}

/// A writer that words the title its own way, as Bedrock would.
struct Editor;

#[async_trait]
impl TextWriter for Editor {
    async fn write(&self, b: &Brief) -> Result<Draft, ascent_core::writer::WriterError> {
        let d = TemplateWriter.write(b).await?;
        Ok(Draft {
            subject: format!("A guide to {}", b.facts["keyword"]),
            body: d.body,
            written_by: "bedrock:test".into(),
        })
    }
}

#[test]
fn briefs_are_written_through_the_writer_and_a_failing_one_gives_way_to_the_template() {
    for (writer, title, by) in [
        (
            Arc::new(Down) as Arc<dyn TextWriter>,
            "vr safety training: a practical guide",
            "(written by template (writer failed: text writer unavailable: throttled))",
        ),
        (
            Arc::new(Editor),
            "A guide to vr safety training",
            "(written by bedrock:test)",
        ),
    ] {
        let agent = ContentMarketing::new(ContentConfig::default(), writer);
        let t = TestTwin::new(vec![Arc::new(agent)], at("2026-03-02T09:00:00Z"));
        gap(&t, "vr safety training", 136);
        let p = piece(&t, "brief-vr-safety-training");
        assert_eq!(p.title, title);
        let m = &mails(&t, CONTENT)[0];
        assert_eq!(m.subject, format!("Content brief: {title}"));
        assert!(m.text.contains(by), "{by}\n{}", m.text);
        // The brief's facts stay the agent's: the slot and the outline.
        assert!(m.text.contains("Publish on: 2026-03-17"), "{}", m.text);
        assert!(m.text.contains("5. Next steps"), "{}", m.text);
    }
}
