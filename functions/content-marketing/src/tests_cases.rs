//! Engagement and the weekly content report; a withdrawn case-study consent; bad input
//! dead-lettered naming the field.

use super::*;
use crate::performance::{DAYS_PK, WeeklyReport};

fn observed(t: &TestTwin, piece: &str, on: &str, views: u32, clicks: u32, shares: u32) {
    t.emit(
        "ascent.web",
        ContentEngagementObserved {
            piece_id: piece.into(),
            views,
            clicks,
            shares,
            observed_on: d(on),
        },
    );
}

#[test]
fn engagement_is_tallied_per_day_and_reported_weekly_on_monday() {
    // Given the brief's post scheduled for Tuesday 17 March,
    let t = twin("2026-03-02T09:00:00Z");
    gap(&t, "vr safety training", 136);
    t.clock.set(at("2026-03-09T10:00:00Z"));
    let title = "VR safety training that crews remember";
    draft(&t, "brief-vr-safety-training", "blog", title, &blog_post());
    // when the web analytics count its days (the 17th counted again, corrected), and a page
    // published before the calendar (`legacy-roi-guide`) on the 15th and the 18th,
    let post = "brief-vr-safety-training";
    t.clock.set(at("2026-03-18T08:00:00Z"));
    observed(&t, post, "2026-03-17", 400, 20, 3);
    observed(&t, "legacy-roi-guide", "2026-03-15", 50, 2, 0);
    t.clock.set(at("2026-03-19T08:00:00Z"));
    observed(&t, post, "2026-03-18", 600, 30, 2);
    observed(&t, post, "2026-03-17", 500, 25, 3);
    observed(&t, post, "2026-03-17", 500, 25, 3);
    observed(&t, "legacy-roi-guide", "2026-03-18", 300, 6, 0);
    t.clock.set(at("2026-03-23T05:00:00Z"));
    observed(&t, post, "2026-03-22", 100, 1, 0);
    // then the piece's totals replace the corrected day: 500 + 600 + 100 views,
    let p = piece(&t, post);
    assert_eq!((p.views, p.clicks, p.shares), (1200, 56, 5));
    // and Monday 23 March's report covers 16 to 22 March (the 15th is outside).
    t.tick("daily", at("2026-03-23T06:00:00Z"));
    let m = mails(&t, CONTENT);
    let report = m.last().unwrap();
    assert_eq!(report.subject, "Content report, week of 2026-03-16");
    for line in [
        "All pieces (2): 1500 views, 62 clicks (4.1% of views), 5 shares",
        "  blog: 1200 views, 56 clicks (4.7% of views), 5 shares",
        "  unplanned: 300 views, 6 clicks (2.0% of views), 0 shares",
        "  1. \"VR safety training that crews remember\" (brief-vr-safety-training, blog): \
         1200 views, 56 clicks (4.7% of views), 5 shares",
        "  2. \"legacy-roi-guide\" (legacy-roi-guide, unplanned): 300 views",
    ] {
        assert!(report.text.contains(line), "{line}\n{}", report.text);
    }
    let kept: WeeklyReport = serde_json::from_value(
        t.get(Domain::Performance, "content#report#2026-03-23", "report")
            .expect("the report is kept"),
    )
    .unwrap();
    assert_eq!(kept.total.views, 1500);
    assert_eq!(kept.pieces, 2);
    // Once a week: the same day again and Tuesday send nothing more.
    let before = mails(&t, CONTENT).len();
    t.tick("daily", at("2026-03-23T18:00:00Z"));
    t.tick("daily", at("2026-03-24T06:00:00Z"));
    assert_eq!(mails(&t, CONTENT).len(), before);
    assert_eq!(t.query(Domain::Performance, DAYS_PK).len(), 4);
    assert!(dead_letters(&t).is_empty(), "{:?}", dead_letters(&t));
}

#[test]
fn bad_input_is_dead_lettered_naming_the_field() {
    let t = twin("2026-03-02T09:00:00Z");
    let body = blog_post();
    draft(&t, "p1", "podcast", "VR safety training", &body);
    t.emit(
        "ascent.cms",
        ContentDraftSubmitted {
            piece_id: "p2".into(),
            channel: "blog".into(),
            title: "VR safety training".into(),
            body: body.clone(),
            keywords: vec!["vr safety training".into()],
            author: "nina at ascent".into(),
        },
    );
    t.emit(
        "ascent.cms",
        ContentDraftSubmitted {
            piece_id: "p3".into(),
            channel: "blog".into(),
            title: "VR safety training".into(),
            body,
            keywords: vec![" ".into()],
            author: NINA.into(),
        },
    );
    gap(&t, "  ", 300);
    t.emit(
        "ascent.crm",
        CaseStudyConsentGiven {
            account_id: "A9".into(),
            company: "Boreal Aero".into(),
            contact_name: "Maya Lindqvist".into(),
            contact_email: "maya".into(),
            quote: None,
            given_on: d("2026-03-01"),
        },
    );
    t.emit(
        "ascent.web",
        ContentEngagementObserved {
            piece_id: "p1".into(),
            views: 10,
            clicks: 1,
            shares: 0,
            observed_on: d("2026-03-03"),
        },
    );
    let reasons = dead_letters(&t);
    assert_eq!(reasons.len(), 6, "{reasons:?}");
    for (reason, field) in reasons.iter().zip([
        "channel: `podcast` is not a channel of [content_marketing.channels]",
        "author: not an RFC 5322 address",
        "keywords: no target keyword",
        "keyword: is empty",
        "contact_email: not an RFC 5322 address",
        "observed_on: 2026-03-03 is after the day it was reported (2026-03-02)",
    ]) {
        assert!(reason.contains(field), "{field} in {reason}");
        // Reasons are logged: the refused addresses are not in them.
        assert!(
            !reason.contains("nina at") && !reason.contains("`maya`"),
            "{reason}"
        );
    }
    assert!(t.query(Domain::Knowledge, &calendar_pk("blog")).is_empty());
    assert!(t.get(Domain::Knowledge, &piece_pk("p2"), "piece").is_none());
    assert!(mails(&t, CONTENT).is_empty() && mails(&t, NINA).is_empty());
}

#[test]
fn a_withdrawn_consent_takes_the_case_study_off_the_calendar_until_given_again() {
    // Given Boreal Aero's case study drafted for Thursday 19 March,
    let t = twin("2026-03-02T09:00:00Z");
    t.emit(
        "ascent.crm",
        DealClosedWon {
            deal_id: "D2".into(),
            account_id: "A2".into(),
            owner: "ava.rep@ascent-xr.example".into(),
            amount: Money::usd(4_240_000),
            proposal_id: None,
            reason: None,
            lead_id: None,
        },
    );
    let consent = CaseStudyConsentGiven {
        account_id: "A2".into(),
        company: "Boreal Aero".into(),
        contact_name: "Maya Lindqvist".into(),
        contact_email: "maya@customer.example".into(),
        quote: Some("Our technicians train on engines we could never take apart.".into()),
        given_on: d("2026-03-02"),
    };
    t.emit("ascent.crm", consent.clone());
    assert_eq!(piece(&t, "case-study-a2").slot, Some(d("2026-03-19")));
    // when the customer withdraws its consent on 5 March,
    t.clock.set(at("2026-03-05T09:00:00Z"));
    let withdrawn = ascent_core::catalog::CaseStudyConsentWithdrawn {
        account_id: "A2".into(),
        withdrawn_on: d("2026-03-05"),
    };
    t.emit("ascent.crm", withdrawn.clone());
    // then the piece leaves the calendar and marketing is told not to publish it,
    let p = piece(&t, "case-study-a2");
    assert_eq!((p.state, p.slot), (PieceState::Withdrawn, None));
    assert!(
        t.query(Domain::Knowledge, &calendar_pk("case_study"))
            .is_empty()
    );
    let m = mails(&t, CONTENT).pop().unwrap();
    assert_eq!(
        m.subject,
        "Case study withdrawn: How Boreal Aero trains with Ascent XR"
    );
    assert!(
        m.text.contains(
            "Boreal Aero withdrew its consent to be named on 2026-03-05: do not publish \
             case-study-a2"
        ) && m
            .text
            .contains("Its case_study slot on 2026-03-19 is free again."),
        "{}",
        m.text
    );
    // its final draft is not scheduled, and a repeated withdrawal tells nobody again.
    t.emit(
        "ascent.cms",
        ContentDraftSubmitted {
            piece_id: "case-study-a2".into(),
            channel: "case_study".into(),
            title: "How Boreal Aero trains with Ascent XR".into(),
            body: blog_post(),
            keywords: vec!["boreal aero case study".into()],
            author: NINA.into(),
        },
    );
    assert!(scheduled(&t).is_empty());
    assert_eq!(
        mails(&t, NINA)[0].subject,
        "Draft not scheduled: How Boreal Aero trains with Ascent XR"
    );
    t.emit("ascent.crm", withdrawn);
    assert_eq!(mails(&t, CONTENT).len(), 2);
    // A new consent on 10 March drafts it again, from 24 March: Thursday 16 April.
    t.clock.set(at("2026-03-10T09:00:00Z"));
    t.emit("ascent.crm", consent);
    let p = piece(&t, "case-study-a2");
    assert_eq!(
        (p.state, p.slot),
        (PieceState::Briefed, Some(d("2026-04-16")))
    );
    assert_eq!(mails(&t, CONTENT).len(), 3);
    assert!(dead_letters(&t).is_empty(), "{:?}", dead_letters(&t));
}
