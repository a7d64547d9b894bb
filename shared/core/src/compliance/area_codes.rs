//! Where a North American number rings: the country, state or province and time zones of its
//! area code (NANP, `+1 NPA NXX XXXX`), from `data/nanp_area_codes.tsv` (libphonenumber's
//! data). The call rules read it to keep to the stricter of the number's zone and the lead's
//! stated one, and to apply the rules of the state the number belongs to.

use chrono_tz::Tz;
use std::collections::HashMap;
use std::sync::OnceLock;

/// What an area code says about the numbers in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AreaCode {
    /// ISO 3166 alpha-2 (`US`, `CA`, `PR`, `JM`, ...).
    pub country: String,
    /// USPS state or Canadian province code (`FL`, `ON`); `None` outside the US and Canada.
    pub subdivision: Option<String>,
    /// Every zone the area code spans (Florida's 850: Central and Eastern).
    pub zones: Vec<Tz>,
}

const TABLE: &str = include_str!("../../data/nanp_area_codes.tsv");

fn table() -> &'static HashMap<String, AreaCode> {
    static TABLE_MAP: OnceLock<HashMap<String, AreaCode>> = OnceLock::new();
    TABLE_MAP.get_or_init(|| {
        TABLE
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                let zones = f[3]
                    .split(',')
                    .map(|z| z.parse::<Tz>().expect("the table's zones are IANA names"))
                    .collect();
                let subdivision = (f[2] != "-").then(|| f[2].to_string());
                (
                    f[0].to_string(),
                    AreaCode {
                        country: f[1].to_string(),
                        subdivision,
                        zones,
                    },
                )
            })
            .collect()
    })
}

/// The area code of a North American number in E.164 (`+1` and ten digits), if it has one.
pub fn area_code_of(e164: &str) -> Option<&'static str> {
    let digits = e164.strip_prefix("+1")?;
    if digits.len() != 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    table().get_key_value(&digits[..3]).map(|(k, _)| k.as_str())
}

/// What the area code of a North American number says about it (`None` for other numbers
/// and unassigned area codes).
pub fn lookup(e164: &str) -> Option<&'static AreaCode> {
    area_code_of(e164).and_then(|npa| table().get(npa))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zones(n: &str) -> Vec<String> {
        lookup(n)
            .unwrap()
            .zones
            .iter()
            .map(|z| z.name().to_string())
            .collect()
    }

    #[test]
    fn every_row_parses_and_the_table_covers_the_us_and_canada() {
        let t = table();
        assert!(t.len() > 400, "{}", t.len());
        let us = t.values().filter(|a| a.country == "US").count();
        let ca = t.values().filter(|a| a.country == "CA").count();
        assert!(us > 300 && ca > 40, "{us} {ca}");
        assert!(
            t.values()
                .filter(|a| a.country == "US" || a.country == "CA")
                .all(|a| a.subdivision.is_some())
        );
    }

    #[test]
    fn numbers_ring_where_their_area_code_is() {
        // The cases: a New York (718) number, a Tampa (813) number.
        assert_eq!(zones("+17185550100"), ["America/New_York"]);
        let tampa = lookup("+18135550100").unwrap();
        assert_eq!(tampa.subdivision.as_deref(), Some("FL"));
        assert_eq!(zones("+18135550100"), ["America/New_York"]);
        // Florida's panhandle spans two zones; Oklahoma and Maryland are one each.
        assert_eq!(
            zones("+18505550100"),
            ["America/Chicago", "America/New_York"]
        );
        assert_eq!(
            lookup("+14055550100").unwrap().subdivision.as_deref(),
            Some("OK")
        );
        assert_eq!(
            lookup("+13015550100").unwrap().subdivision.as_deref(),
            Some("MD")
        );
        let toronto = lookup("+14165550100").unwrap();
        assert_eq!(
            (toronto.country.as_str(), toronto.subdivision.as_deref()),
            ("CA", Some("ON"))
        );
        assert_eq!(lookup("+17875550100").unwrap().country, "PR");
    }

    #[test]
    fn other_numbers_have_no_area_code() {
        assert_eq!(lookup("+4930901820"), None);
        assert_eq!(lookup("+1212555010"), None); // nine digits
        assert_eq!(lookup("+19995550100"), None); // unassigned
        assert_eq!(area_code_of("+17185550100"), Some("718"));
    }
}
