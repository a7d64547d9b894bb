//! A quarter of marketing (1 April to 30 June 2026) through the twin with every agent and the
//! shipped `ascent.toml`: five campaigns planned in the Marketing Orchestrator and launched,
//! their spend booked every Friday; three leads touched by webinars, search, ads and email
//! become won deals (and an expansion deal without a lead); Marketing Analytics credits them
//! under its five models and measures every Monday; the Orchestrator's first reallocation
//! waits for the Finance Controller, who approves it by the emailed link; a campaign over its
//! target cost per acquisition is alerted until it is paused, and spends nothing more; two
//! newsletters go out, with a hard bounce, a soft bounce, an unsubscribe by the link and an
//! opt-out entered by hand in between; resends are counted once; social mentions open a
//! ticket for an unhappy customer and spike; the rank tracker's drops are alerted. Every
//! figure is worked out by hand in the comments (the checks, with their arithmetic, are in
//! `marketing/checks.rs` and `marketing/channels.rs`). A second test
//! (`marketing/deliverability.rs`) pauses a newsletter over its bounce rate: it sends nothing
//! more until it is resumed.

#[path = "marketing/script.rs"]
mod script;

#[path = "marketing/checks.rs"]
mod checks;

#[path = "marketing/channels.rs"]
mod channels;

#[path = "marketing/deliverability.rs"]
mod deliverability;

use ascent_core::catalog::{BounceKind, CampaignPaused, EmailBounced, MarketingChannel::*};
use ascent_embedded::testkit::TestTwin;
use chrono::{Datelike, Duration, Weekday};
use script::*;

/// Halden Energy's buyer (lead L101), Kestrel Aviation's (L102), Lumen Grid's (L103).
const INES: &str = "ines.ward@halden-energy.example";
const PRIYA: &str = "priya.nair@kestrel-aviation.example";
const TOMAS: &str = "tomas.berg@lumen-grid.example";

#[test]
fn a_quarter_of_marketing_comes_out_as_computed_by_hand() {
    // ---- March, before the quarter: the campaigns are planned and Ines's journey starts.
    // The twin's schedules start with the quarter (no Monday report before 6 April).
    let t = TestTwin::new(ascent::agents::all(), at("2026-03-17T09:00:00Z"));
    for (id, channel, weekly, goal, target) in CAMPAIGNS {
        t.emit("ascent.crm", planned(id, channel, weekly, goal, target));
    }
    t.emit(
        "ascent.crm",
        lead("L101", INES, "Ines Ward", "Halden Energy"),
    );
    // An earlier webinar (no campaign of this quarter) and an organic search visit.
    emit_at_touch(&t, "ga-101-1", INES, Webinar, None, "2026-03-18T09:00:00Z");
    emit_at_touch(&t, "ga-101-2", INES, Search, None, "2026-03-25T09:00:00Z");
    t.clock.set(at("2026-03-31T12:00:00Z"));

    let mut d = day("2026-04-01");
    while d <= day("2026-07-01") {
        until(&t, d);
        if d.weekday() == Weekday::Fri {
            // C-LINKEDIN is paused on 11 May: finance books nothing more for it.
            book_week(&t, d, |id| id != "C-LINKEDIN" || d < day("2026-05-11"));
        }
        channels::seo_day(&t, d);
        story(&t, &d.to_string());
        d += Duration::days(1);
    }

    checks::attribution(&t);
    checks::reallocations(&t);
    checks::campaigns(&t);
    channels::email(&t);
    channels::social(&t);
    channels::seo(&t);
    // No lead was hot (no intent before its deal): no outreach, so no outreach email touches.
    assert!(t.emitted("OutreachStepTaken").is_empty());
    assert!(
        t.runtime.dead_letters().unwrap().is_empty(),
        "{:?}",
        t.runtime.dead_letters().unwrap()
    );
    t.runtime.store().verify_audit().unwrap();
}

fn emit_at_touch(
    t: &TestTwin,
    id: &str,
    email: &str,
    channel: ascent_core::catalog::MarketingChannel,
    campaign: Option<&str>,
    when: &str,
) {
    t.clock.set(at(when));
    touch(t, id, email, channel, campaign, when);
}

/// What happens on `date` (the clock at 09:00, after the day's 06:00 runs).
fn story(t: &TestTwin, date: &str) {
    match date {
        "2026-04-01" => {
            for (id, channel, weekly, _, _) in CAMPAIGNS {
                t.emit("ascent.marketing", launched(id, channel, weekly));
            }
            for (a, company, plan, seats, region) in CUSTOMERS {
                t.emit("ascent.platform", signup(a, company, plan, seats, region));
            }
            touch(
                t,
                "ga-101-3",
                INES,
                Paid,
                Some("C-SEARCHADS"),
                "2026-04-01T09:00:00Z",
            );
        }
        "2026-04-02" => {
            // Halden Energy signs (its billing contact met no marketing: the deal counts it).
            t.clock.set(at("2026-04-02T14:00:00Z"));
            t.emit(
                "ascent.platform",
                signup("A101", "Halden Energy", "enterprise", 50, "US-TX"),
            );
            t.emit("ascent.crm", won("D-101", "A101", 3_000_000, Some("L101")));
        }
        "2026-04-03" => {
            // Resends, each counted once (the figures checked below would double otherwise):
            // the CRM sends D-101's win again, the web analytics Ines's ad click, and finance
            // today's C-WEB booking (booked at 09:00 by `book_week`).
            t.emit("ascent.crm", won("D-101", "A101", 3_000_000, Some("L101")));
            touch(
                t,
                "ga-101-3",
                INES,
                Paid,
                Some("C-SEARCHADS"),
                "2026-04-01T09:00:00Z",
            );
            book_week(t, day(date), |id| id == "C-WEB");
        }
        "2026-04-06" => checks::approval_of_the_first_plan(t),
        "2026-04-08" => {
            t.emit(
                "ascent.crm",
                lead("L102", PRIYA, "Priya Nair", "Kestrel Aviation"),
            );
        }
        "2026-04-09" => {
            touch(
                t,
                "ga-102-1",
                PRIYA,
                Paid,
                Some("C-LINKEDIN"),
                "2026-04-09T09:00:00Z",
            );
        }
        "2026-04-14" => {
            let spring = newsletter(
                "EM-SPRING",
                "Spring at Ascent XR for {company}",
                "2026-04-15T14:00:00Z",
            );
            t.emit("ascent.crm", spring);
        }
        "2026-04-15" => {
            t.tick("hourly", at("2026-04-15T14:00:00Z"));
            channels::spring_newsletter_sent(t);
            // Cobalt Mining's address no longer exists; Brightline's mailbox is full.
            t.clock.set(at("2026-04-15T16:00:00Z"));
            for (a, bounce, why) in [
                ("C03", BounceKind::Hard, "550 5.1.1 user unknown"),
                ("C02", BounceKind::Soft, "452 4.2.2 mailbox full"),
            ] {
                let b = EmailBounced {
                    email: billing(a),
                    bounce,
                    diagnostic: why.into(),
                };
                t.emit("ascent.mail", b);
            }
        }
        "2026-04-16" => {
            touch(
                t,
                "ga-102-2",
                PRIYA,
                Webinar,
                Some("C-WEB"),
                "2026-04-16T09:00:00Z",
            );
            // Ember Labs presses the unsubscribe button of its spring newsletter.
            t.clock.set(at("2026-04-16T10:00:00Z"));
            let mail = mails(t, "Spring at Ascent XR for Ember Labs").remove(0);
            assert_eq!(unsubscribe_by_link(t, &mail), billing("C05"));
        }
        "2026-04-20" => {
            t.clock.set(at("2026-04-20T10:00:00Z"));
            t.emit("ascent.crm", withdrawn_by_hand(&billing("C07")));
        }
        "2026-04-23" => {
            t.clock.set(at("2026-04-23T14:00:00Z"));
            t.emit(
                "ascent.platform",
                signup("A102", "Kestrel Aviation", "team", 25, "US-CA"),
            );
            t.emit("ascent.crm", won("D-102", "A102", 1_800_000, Some("L102")));
        }
        "2026-04-30" => {
            t.emit(
                "ascent.crm",
                lead("L103", TOMAS, "Tomas Berg", "Lumen Grid"),
            );
            touch(t, "ga-103-1", TOMAS, Search, None, "2026-04-30T09:00:00Z");
        }
        "2026-05-06" => channels::mentions_of_may(t),
        "2026-05-07" => {
            touch(t, "ga-103-2", TOMAS, Email, None, "2026-05-07T09:00:00Z");
            t.clock.set(at("2026-05-07T12:00:00Z"));
            let text = "I love the new headset but the app crashes and support is not helpful";
            let m = mention("m-mixed", Some(&billing("C06")), text, t.now());
            t.emit("ascent.social", m);
        }
        "2026-05-11" => {
            // After the Monday measure (06:00) that alerted it a third time.
            t.clock.set(at("2026-05-11T10:00:00Z"));
            let paused = CampaignPaused {
                campaign_id: "C-LINKEDIN".into(),
                reason: "creative refresh: cost per customer far over target".into(),
            };
            t.emit("ascent.crm", paused);
        }
        "2026-05-14" => {
            touch(
                t,
                "ga-103-3",
                TOMAS,
                Paid,
                Some("C-SEARCHADS"),
                "2026-05-14T09:00:00Z",
            );
        }
        "2026-05-21" => {
            touch(
                t,
                "ga-103-4",
                TOMAS,
                Webinar,
                Some("C-WEB"),
                "2026-05-21T09:00:00Z",
            );
            t.clock.set(at("2026-05-21T14:00:00Z"));
            t.emit(
                "ascent.platform",
                signup("A103", "Lumen Grid", "enterprise", 30, "US-WA"),
            );
            t.emit("ascent.crm", won("D-103", "A103", 2_400_000, Some("L103")));
        }
        "2026-06-02" => {
            let june = newsletter("EM-JUNE", "June news for {company}", "2026-06-03T14:00:00Z");
            t.emit("ascent.crm", june);
        }
        "2026-06-03" => {
            t.tick("hourly", at("2026-06-03T14:00:00Z"));
        }
        "2026-06-09" => channels::mention_spike(t),
        "2026-06-10" => {
            // Aurora Rail buys more seats: a deal of no lead, so of no channel.
            t.clock.set(at("2026-06-10T14:00:00Z"));
            t.emit("ascent.crm", won("D-105", "C01", 500_000, None));
        }
        _ => {}
    }
}
