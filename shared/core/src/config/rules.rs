//! Checks shared by the sections of `ascent.toml`: each returns the message of a refusal,
//! which the caller turns into an [`Invalid`](super::Invalid) naming the key.

use super::Invalid;
use chrono::{NaiveTime, Weekday};

/// An email address (`local@domain.tld`), by [`crate::contact::check_email`].
pub fn check_email(path: &str, address: &str) -> Result<(), Invalid> {
    crate::contact::check_email(address)
        .map_err(|e| Invalid::new(path, format!("`{address}` is {e}")))
}

/// An ISO 4217 code: three upper-case letters.
pub fn check_currency(path: &str, code: &str) -> Result<(), Invalid> {
    crate::Money::new(0, code)
        .check()
        .map_err(|e| Invalid::new(path, e))
}

/// An IANA time zone name (`Europe/Berlin`).
pub fn check_time_zone(path: &str, zone: &str) -> Result<(), Invalid> {
    zone.parse::<chrono_tz::Tz>()
        .map(|_| ())
        .map_err(|_| Invalid::new(path, format!("`{zone}` is not an IANA time zone")))
}

/// A time of day written `HH:MM`.
pub fn parse_hhmm(path: &str, time: &str) -> Result<NaiveTime, Invalid> {
    NaiveTime::parse_from_str(time, "%H:%M")
        .map_err(|_| Invalid::new(path, format!("`{time}` is not a time of day written HH:MM")))
}

/// A time of day written `HH:MM`.
pub fn check_hhmm(path: &str, time: &str) -> Result<(), Invalid> {
    parse_hhmm(path, time).map(|_| ())
}

/// A weekday written `Mon` … `Sun`.
pub fn check_weekday(path: &str, day: &str) -> Result<Weekday, Invalid> {
    day.parse::<Weekday>()
        .map_err(|_| Invalid::new(path, format!("`{day}` is not a weekday (Mon … Sun)")))
}

/// An amount or count that may not be negative.
pub fn check_non_negative<N: PartialOrd + Default + std::fmt::Display>(
    path: &str,
    value: N,
) -> Result<(), Invalid> {
    if value < N::default() {
        return Err(Invalid::new(path, format!("{value} is negative")));
    }
    Ok(())
}

/// A value within `low..=high`.
pub fn check_in_range<N: PartialOrd + std::fmt::Display>(
    path: &str,
    value: N,
    low: N,
    high: N,
) -> Result<(), Invalid> {
    if value < low || value > high {
        return Err(Invalid::new(
            path,
            format!("{value} is outside {low} … {high}"),
        ));
    }
    Ok(())
}
