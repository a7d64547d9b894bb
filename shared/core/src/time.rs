//! Reading instants written by this system, fast: the stores and records hold RFC 3339 text
//! in UTC as chrono writes it (`2026-03-02T09:00:00Z`, `2026-03-02T09:00:00.123+00:00`), and
//! reading it back is on hot paths (the audit chain's verification, scoring's interaction
//! history). [`parse_utc`] reads that canonical shape with a few byte checks and hands anything
//! else (another offset, lower-case separators, leap seconds) to chrono's full parser, so it
//! accepts exactly what `str::parse::<DateTime<Utc>>` accepts and gives the same instant
//! (a proptest holds the two together).

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |n, c| {
        c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
    })
}

/// The canonical UTC shape, or `None` to let chrono decide.
fn canonical(s: &str) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(
        digits(&b[0..4])? as i32,
        digits(&b[5..7])?,
        digits(&b[8..10])?,
    )?;
    let (h, m, sec) = (
        digits(&b[11..13])?,
        digits(&b[14..16])?,
        digits(&b[17..19])?,
    );
    let mut rest = &b[19..];
    let mut nanos = 0u32;
    if rest.first() == Some(&b'.') {
        let n = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 || n > 9 {
            return None;
        }
        nanos = digits(&rest[1..=n])? * 10u32.pow(9 - n as u32);
        rest = &rest[1 + n..];
    }
    if rest != b"Z" && rest != b"+00:00" {
        return None;
    }
    // Leap seconds (60) go to chrono.
    let time = NaiveTime::from_hms_nano_opt(h, m, sec, nanos).filter(|_| sec < 60)?;
    Some(date.and_time(time).and_utc())
}

/// Parses an RFC 3339 instant as `str::parse::<DateTime<Utc>>` does, quickly for the shape
/// this system writes.
pub fn parse_utc(s: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    match canonical(s) {
        Some(t) => Ok(t),
        None => s.parse(),
    }
}

/// `#[serde(deserialize_with = "ascent_core::time::deserialize")]` for a `DateTime<Utc>` field
/// on a hot path: the same values as chrono's own deserialisation, read with [`parse_utc`].
pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    struct Visitor;
    impl serde::de::Visitor<'_> for Visitor {
        type Value = DateTime<Utc>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an RFC 3339 date and time")
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Self::Value, E> {
            parse_utc(s).map_err(E::custom)
        }
    }
    d.deserialize_str(Visitor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_shapes_this_system_writes_are_read_without_chrono() {
        for (text, want) in [
            ("2026-03-02T09:00:00Z", "2026-03-02T09:00:00Z"),
            ("2026-03-02T09:00:00+00:00", "2026-03-02T09:00:00Z"),
            ("2026-03-02T09:00:00.5Z", "2026-03-02T09:00:00.500Z"),
            (
                "2026-03-02T09:00:00.123456789+00:00",
                "2026-03-02T09:00:00.123456789Z",
            ),
        ] {
            let fast = canonical(text).unwrap_or_else(|| panic!("{text} takes the fast path"));
            assert_eq!(fast, want.parse::<DateTime<Utc>>().unwrap(), "{text}");
        }
    }

    #[test]
    fn other_shapes_go_to_chrono_with_the_same_answer() {
        for text in [
            "2026-03-02T10:00:00+01:00",
            "2026-03-02t09:00:00z",
            "2026-03-02 09:00:00Z",
            "2026-02-30T09:00:00Z",
            "2026-03-02T09:00:60Z",
            "2026-03-02T09:00:00.Z",
            "2026-03-02T09:00:00.1234567891Z",
            "not a date",
            "",
        ] {
            assert_eq!(
                parse_utc(text).ok(),
                text.parse::<DateTime<Utc>>().ok(),
                "{text}"
            );
        }
    }

    #[test]
    fn serde_reads_what_chrono_writes() {
        #[derive(serde::Deserialize)]
        struct At {
            #[serde(deserialize_with = "deserialize")]
            at: DateTime<Utc>,
        }
        let t: DateTime<Utc> = "2026-03-02T09:00:00.25Z".parse().unwrap();
        let json = serde_json::json!({ "at": t }).to_string();
        let read: At = serde_json::from_str(&json).unwrap();
        assert_eq!(read.at, t);
        assert!(serde_json::from_str::<At>(r#"{"at": "yesterday"}"#).is_err());
    }

    proptest! {
        /// Any instant, written as chrono writes it (seconds, millis, nanos; Z or +00:00), reads
        /// back the same through both parsers.
        #[test]
        fn agrees_with_chrono(secs in 0i64..4_102_444_800, nanos in 0u32..1_000_000_000, form in 0u8..4) {
            let t = DateTime::from_timestamp(secs, nanos).unwrap();
            let text = match form {
                0 => t.to_rfc3339(),
                1 => t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                2 => t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                _ => t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, false),
            };
            prop_assert_eq!(parse_utc(&text).ok(), text.parse::<DateTime<Utc>>().ok());
        }

        /// Any string: the same answer as chrono.
        #[test]
        fn agrees_with_chrono_on_anything(text in "[0-9T:.Z+ -]{0,40}") {
            prop_assert_eq!(parse_utc(&text).ok(), text.parse::<DateTime<Utc>>().ok());
        }
    }
}
