//! How a person reads amounts and times: their locale (digit grouping, decimal mark, where the
//! currency goes, the order of a date) and their IANA time zone. The approval pages and emails
//! format every figure and deadline for the approver reading them; the settings are
//! `[approvals] locale`, `time_zone` and `[[approvals.people]]` of `ascent.toml`.

use crate::money::Money;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A person's locale and time zone, as configured.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reader {
    /// A locale of [`LOCALES`] (`en-US`, `de-DE`, …).
    pub locale: String,
    /// IANA time zone (`Europe/Berlin`).
    pub time_zone: String,
}

/// Until the configuration says otherwise: US English, UTC (named on every time shown).
impl Default for Reader {
    fn default() -> Self {
        Self {
            locale: "en-US".into(),
            time_zone: "UTC".into(),
        }
    }
}

/// How each person reads amounts and times: a default and the people who read them otherwise
/// (`[approvals] locale`, `time_zone` and `[[approvals.people]]`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Readers {
    pub default: Reader,
    /// Lower-case address → reader.
    #[serde(default)]
    pub people: std::collections::BTreeMap<String, Reader>,
}

impl Readers {
    /// How `person` reads amounts and times.
    pub fn of(&self, person: &str) -> Reader {
        self.people
            .get(&person.trim().to_ascii_lowercase())
            .unwrap_or(&self.default)
            .clone()
    }
}

/// The order and words of a date and time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DateStyle {
    /// `Mar 4, 2026, 1:00 AM`
    MonthFirst,
    /// `4 Mar 2026, 09:00`
    DayFirst,
    /// `04.03.2026, 10:00`
    Dotted,
    /// `04/03/2026 10:00`
    Slashed,
    /// `04-03-2026 10:00`
    Dashed,
    /// `2026-03-04 10:00`
    Iso,
    /// `2026/03/04 10:00`
    YearSlashed,
}

/// How one locale writes numbers, money and dates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocaleFormat {
    pub tag: &'static str,
    group: &'static str,
    decimal: char,
    /// `USD 1,234.00` rather than `1.234,00 USD`.
    currency_first: bool,
    dates: DateStyle,
}

const fn locale(
    tag: &'static str,
    group: &'static str,
    decimal: char,
    currency_first: bool,
    dates: DateStyle,
) -> LocaleFormat {
    LocaleFormat {
        tag,
        group,
        decimal,
        currency_first,
        dates,
    }
}

/// Narrow no-break space: the French and Swedish thousands separator.
const NNBSP: &str = "\u{202f}";

/// The locales the pages can write (CLDR's conventions for each, with the ISO currency code).
pub const LOCALES: &[LocaleFormat] = &[
    locale("en-US", ",", '.', true, DateStyle::MonthFirst),
    locale("en-CA", ",", '.', true, DateStyle::MonthFirst),
    locale("en-GB", ",", '.', true, DateStyle::DayFirst),
    locale("en-IE", ",", '.', true, DateStyle::DayFirst),
    locale("en-AU", ",", '.', true, DateStyle::DayFirst),
    locale("en-NZ", ",", '.', true, DateStyle::DayFirst),
    locale("de-DE", ".", ',', false, DateStyle::Dotted),
    locale("de-AT", ".", ',', false, DateStyle::Dotted),
    locale("de-CH", "’", '.', true, DateStyle::Dotted),
    locale("fr-FR", NNBSP, ',', false, DateStyle::Slashed),
    locale("fr-BE", NNBSP, ',', false, DateStyle::Slashed),
    locale("fr-CA", "\u{a0}", ',', false, DateStyle::Iso),
    locale("es-ES", ".", ',', false, DateStyle::Slashed),
    locale("es-MX", ",", '.', true, DateStyle::Slashed),
    locale("it-IT", ".", ',', false, DateStyle::Slashed),
    locale("nl-NL", ".", ',', true, DateStyle::Dashed),
    locale("pt-BR", ".", ',', true, DateStyle::Slashed),
    locale("pt-PT", NNBSP, ',', false, DateStyle::Slashed),
    locale("sv-SE", NNBSP, ',', false, DateStyle::Iso),
    locale("ja-JP", ",", '.', true, DateStyle::YearSlashed),
];

/// The format of `tag` (case-insensitive, `_` taken for `-`); `None`: not one of [`LOCALES`].
pub fn locale_format(tag: &str) -> Option<&'static LocaleFormat> {
    let tag = tag.trim().replace('_', "-");
    LOCALES.iter().find(|l| l.tag.eq_ignore_ascii_case(&tag))
}

/// The tags of [`LOCALES`], for error messages.
pub fn locale_tags() -> String {
    LOCALES.iter().map(|l| l.tag).collect::<Vec<_>>().join(", ")
}

impl Reader {
    pub fn new(locale: &str, time_zone: &str) -> Self {
        Self {
            locale: locale.into(),
            time_zone: time_zone.into(),
        }
    }

    /// The locale's format (US English when the tag is not known: validated with the file).
    fn format(&self) -> &'static LocaleFormat {
        locale_format(&self.locale).unwrap_or(&LOCALES[0])
    }

    fn zone(&self) -> chrono_tz::Tz {
        self.time_zone.parse().unwrap_or(chrono_tz::UTC)
    }

    /// `minor` units of `exponent` decimals, grouped: `1,234,567.89` (en-US), `1.234.567,89`
    /// (de-DE).
    pub fn number(&self, minor: i64, exponent: u8) -> String {
        let f = self.format();
        let abs = minor.unsigned_abs();
        let unit = 10u64.pow(exponent as u32);
        let whole = (abs / unit).to_string();
        let mut out = String::with_capacity(whole.len() + 8);
        if minor < 0 {
            out.push('-');
        }
        for (i, digit) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i).is_multiple_of(3) {
                out.push_str(f.group);
            }
            out.push(digit);
        }
        if exponent > 0 {
            out.push(f.decimal);
            out.push_str(&format!(
                "{:0width$}",
                abs % unit,
                width = exponent as usize
            ));
        }
        out
    }

    /// An amount with its currency code where the locale writes it, as many decimals as the
    /// currency has: `USD 1,234,567.89` (en-US), `1.234.567,89 EUR` (de-DE), `JPY 1,000,000`.
    pub fn money(&self, m: &Money) -> String {
        let n = self.number(m.amount_minor, m.exponent());
        if self.format().currency_first {
            format!("{}\u{a0}{n}", m.currency)
        } else {
            format!("{n}\u{a0}{}", m.currency)
        }
    }

    /// An instant in the reader's time zone, with the zone's abbreviation and name:
    /// `Mar 4, 2026, 1:00 AM PST (America/Los_Angeles)`, `04.03.2026, 10:00 CET
    /// (Europe/Berlin)`.
    pub fn instant(&self, at: DateTime<Utc>) -> String {
        let zone = self.zone();
        let local = at.with_timezone(&zone);
        let pattern = match self.format().dates {
            DateStyle::MonthFirst => "%b %-d, %Y, %-I:%M %p",
            DateStyle::DayFirst => "%-d %b %Y, %H:%M",
            DateStyle::Dotted => "%d.%m.%Y, %H:%M",
            DateStyle::Slashed => "%d/%m/%Y %H:%M",
            DateStyle::Dashed => "%d-%m-%Y %H:%M",
            DateStyle::Iso => "%Y-%m-%d %H:%M",
            DateStyle::YearSlashed => "%Y/%m/%d %H:%M",
        };
        format!(
            "{} {} ({})",
            local.format(pattern),
            local.format("%Z"),
            zone
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn amounts_are_grouped_for_the_locale_with_the_currency() {
        let m = Money::usd(123_456_789);
        assert_eq!(
            Reader::new("en-US", "UTC").money(&m),
            "USD\u{a0}1,234,567.89"
        );
        assert_eq!(
            Reader::new("de-DE", "UTC").money(&m),
            "1.234.567,89\u{a0}USD"
        );
        assert_eq!(
            Reader::new("en-GB", "UTC").money(&Money::new(123_456_789, "GBP")),
            "GBP\u{a0}1,234,567.89"
        );
        assert_eq!(
            Reader::new("fr-FR", "UTC").money(&Money::new(123_456_789, "EUR")),
            "1\u{202f}234\u{202f}567,89\u{a0}EUR"
        );
        assert_eq!(
            Reader::new("de-CH", "UTC").money(&Money::new(123_456_789, "CHF")),
            "CHF\u{a0}1’234’567.89"
        );
    }

    #[test]
    fn small_negative_and_decimal_less_amounts() {
        let us = Reader::default();
        assert_eq!(us.money(&Money::usd(5)), "USD\u{a0}0.05");
        assert_eq!(us.money(&Money::usd(99_999)), "USD\u{a0}999.99");
        assert_eq!(us.money(&Money::usd(100_000)), "USD\u{a0}1,000.00");
        assert_eq!(us.money(&Money::usd(-123_456)), "USD\u{a0}-1,234.56");
        // The yen has no minor unit, the dinar three.
        assert_eq!(
            us.money(&Money::new(1_000_000, "JPY")),
            "JPY\u{a0}1,000,000"
        );
        assert_eq!(
            Reader::new("de-DE", "UTC").money(&Money::new(1_234_567, "KWD")),
            "1.234,567\u{a0}KWD"
        );
    }

    #[test]
    fn an_unknown_locale_is_refused_by_name_and_read_as_us_english() {
        assert!(locale_format("de_de").is_some());
        assert!(locale_format("xx-YY").is_none());
        assert!(locale_tags().starts_with("en-US, en-CA, en-GB"));
        assert_eq!(
            Reader::new("xx-YY", "UTC").money(&Money::usd(100_000)),
            "USD\u{a0}1,000.00"
        );
    }

    /// 2026: the US moves to daylight time on 8 March, Europe on 29 March.
    #[test]
    fn times_are_in_the_readers_zone_across_daylight_saving() {
        let la = Reader::new("en-US", "America/Los_Angeles");
        assert_eq!(
            la.instant(at("2026-03-04T09:00:00Z")),
            "Mar 4, 2026, 1:00 AM PST (America/Los_Angeles)"
        );
        assert_eq!(
            la.instant(at("2026-03-10T21:30:00Z")),
            "Mar 10, 2026, 2:30 PM PDT (America/Los_Angeles)"
        );
        let berlin = Reader::new("de-DE", "Europe/Berlin");
        assert_eq!(
            berlin.instant(at("2026-03-10T21:30:00Z")),
            "10.03.2026, 22:30 CET (Europe/Berlin)"
        );
        assert_eq!(
            berlin.instant(at("2026-03-30T21:30:00Z")),
            "30.03.2026, 23:30 CEST (Europe/Berlin)"
        );
        // The day changes with the zone: 23:30 UTC on 31 March is 1 April in London.
        let london = Reader::new("en-GB", "Europe/London");
        assert_eq!(
            london.instant(at("2026-03-31T23:30:00Z")),
            "1 Apr 2026, 00:30 BST (Europe/London)"
        );
        assert_eq!(
            Reader::default().instant(at("2026-03-31T23:30:00Z")),
            "Mar 31, 2026, 11:30 PM UTC (UTC)"
        );
    }
}
