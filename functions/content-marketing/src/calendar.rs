//! The content calendar: each channel publishes on its cadence's days (`Tue` and `Thu` every
//! week, `Wed` every other week), one piece a slot, and two pieces of a channel on the same or
//! a near-identical topic (stemmed keyword sets sharing at least the configured percent) are
//! never closer than the configured days. A piece takes the first free slot that clashes with
//! nothing, from its earliest day up to the horizon.

use crate::text;
use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// When a channel publishes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cadence {
    pub days: Vec<Weekday>,
    /// Weeks are counted from Monday 1970-01-05: with 2, the even ones.
    pub every_weeks: u32,
}

impl Cadence {
    pub fn has_slot(&self, day: NaiveDate) -> bool {
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 5).expect("a date");
        let week = (day - epoch).num_days().div_euclid(7);
        self.days.contains(&day.weekday()) && week.rem_euclid(i64::from(self.every_weeks)) == 0
    }
}

/// A slot taken in a channel's calendar (`content#calendar#<channel>` / the day).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Slot {
    pub day: NaiveDate,
    pub piece_id: String,
    pub title: String,
    /// The piece's topic: its target keyword's stemmed terms.
    pub topic: Vec<String>,
}

/// The topic-clash rule.
#[derive(Clone, Copy, Debug)]
pub struct Clash {
    pub days: u32,
    pub similarity_pct: u32,
}

impl Clash {
    /// Whether a piece on `topic` on `day` clashes with the slot `s`.
    pub fn with(&self, topic: &[String], day: NaiveDate, s: &Slot) -> bool {
        (day - s.day).num_days().abs() < i64::from(self.days)
            && text::similarity_pct(topic, &s.topic) >= self.similarity_pct
    }
}

/// The first day from `from` to `to` (both included) with a slot of `cadence` that no other
/// piece holds and whose topic clashes with none of `taken`; `piece_id`'s own slot counts as
/// free (a piece moved is not in its own way).
pub fn next_free(
    cadence: &Cadence,
    from: NaiveDate,
    to: NaiveDate,
    taken: &[Slot],
    piece_id: &str,
    topic: &[String],
    clash: Clash,
) -> Option<NaiveDate> {
    let others: Vec<&Slot> = taken.iter().filter(|s| s.piece_id != piece_id).collect();
    let mut day = from;
    while day <= to {
        if cadence.has_slot(day)
            && !others
                .iter()
                .any(|s| s.day == day || clash.with(topic, day, s))
        {
            return Some(day);
        }
        day += Duration::days(1);
    }
    None
}

/// Whether `piece_id` may keep its slot on `day`: not before `from`, and clashing with no
/// other piece.
pub fn may_keep(
    day: NaiveDate,
    from: NaiveDate,
    taken: &[Slot],
    piece_id: &str,
    topic: &[String],
    clash: Clash,
) -> bool {
    day >= from
        && !taken
            .iter()
            .filter(|s| s.piece_id != piece_id)
            .any(|s| s.day == day || clash.with(topic, day, s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn blog() -> Cadence {
        Cadence {
            days: vec![Weekday::Tue, Weekday::Thu],
            every_weeks: 1,
        }
    }

    fn slot(day: &str, id: &str, keyword: &str) -> Slot {
        Slot {
            day: d(day),
            piece_id: id.into(),
            title: keyword.into(),
            topic: text::topic(keyword),
        }
    }

    const CLASH: Clash = Clash {
        days: 21,
        similarity_pct: 60,
    };

    #[test]
    fn cadences_open_their_days_every_nth_week() {
        // 2026-03-03 is a Tuesday.
        assert!(blog().has_slot(d("2026-03-03")));
        assert!(blog().has_slot(d("2026-03-05")));
        assert!(!blog().has_slot(d("2026-03-04")));
        let fortnightly = Cadence {
            days: vec![Weekday::Wed],
            every_weeks: 2,
        };
        // 1970-01-05 + 2930 weeks = 2026-03-02: an even week; the next is odd.
        assert!(fortnightly.has_slot(d("2026-03-04")));
        assert!(!fortnightly.has_slot(d("2026-03-11")));
        assert!(fortnightly.has_slot(d("2026-03-18")));
    }

    #[test]
    fn a_piece_takes_the_first_free_slot_that_clashes_with_nothing() {
        // Given Tuesday 3 March taken by a pricing piece and Thursday 5 March by a piece on
        // "VR safety training",
        let taken = [
            slot("2026-03-03", "p1", "headset pricing"),
            slot("2026-03-05", "p2", "VR safety training"),
        ];
        // a piece on another topic takes Tuesday 10 March (the first free slot),
        let other = text::topic("XR maintenance checklists");
        let first = next_free(
            &blog(),
            d("2026-03-02"),
            d("2026-05-31"),
            &taken,
            "p3",
            &other,
            CLASH,
        );
        assert_eq!(first, Some(d("2026-03-10")));
        // while one on "safety trainings in VR" waits until 21 days after 5 March have passed:
        // 26 March (Thursday) is exactly 21 days later, the first slot that far.
        let same = text::topic("safety trainings in VR");
        let later = next_free(
            &blog(),
            d("2026-03-02"),
            d("2026-05-31"),
            &taken,
            "p3",
            &same,
            CLASH,
        );
        assert_eq!(later, Some(d("2026-03-26")));
        // A half-similar topic (50% < 60%) is no clash.
        let half = text::topic("VR maintenance training");
        let near = next_free(
            &blog(),
            d("2026-03-02"),
            d("2026-05-31"),
            &taken,
            "p3",
            &half,
            CLASH,
        );
        assert_eq!(near, Some(d("2026-03-10")));
    }

    #[test]
    fn a_full_calendar_has_no_slot_and_a_piece_is_not_in_its_own_way() {
        let taken = [
            slot("2026-03-03", "p1", "headset pricing"),
            slot("2026-03-05", "p2", "VR safety training"),
        ];
        let topic = text::topic("XR onboarding");
        assert_eq!(
            next_free(
                &blog(),
                d("2026-03-02"),
                d("2026-03-06"),
                &taken,
                "p3",
                &topic,
                CLASH
            ),
            None
        );
        let own = text::topic("VR safety training");
        assert_eq!(
            next_free(
                &blog(),
                d("2026-03-02"),
                d("2026-03-06"),
                &taken,
                "p2",
                &own,
                CLASH
            ),
            Some(d("2026-03-05"))
        );
        assert!(may_keep(
            d("2026-03-05"),
            d("2026-03-02"),
            &taken,
            "p2",
            &own,
            CLASH
        ));
        // Not once its day is before the earliest.
        assert!(!may_keep(
            d("2026-03-05"),
            d("2026-03-06"),
            &taken,
            "p2",
            &own,
            CLASH
        ));
    }
}
