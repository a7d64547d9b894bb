//! Keyed pseudonyms: a person's identifier (an address, a phone number) replaced by an HMAC of
//! it under a key kept outside the data, so the same person always maps to the same pseudonym
//! (an erased address still matches the suppression list) but the pseudonym cannot be turned
//! back, nor recomputed from a guessed address, without the key.

use crate::compliance::{normalise_email, normalise_phone};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// What every pseudonym starts with: `p~` and 24 hex digits (96 bits of the HMAC); an
/// address's pseudonym is an address at [`ERASED_DOMAIN`] and a phone number's a number under
/// [`ERASED_COUNTRY_CODE`], so a record or an event that must hold an address or a number
/// still does, and nothing can ever reach it.
pub const PSEUDONYM_PREFIX: &str = "p~";
/// The domain of pseudonymised addresses: `.invalid` never resolves (RFC 2606 §2).
pub const ERASED_DOMAIN: &str = "erased.invalid";
/// The country code of pseudonymised phone numbers: +999 is a spare code, assigned to no
/// country or service (ITU-T E.164 list of assigned country codes).
pub const ERASED_COUNTRY_CODE: &str = "+999";

/// The key pseudonyms are made with. Keep it outside the store it protects (the twin: a file
/// of its data directory; AWS: a SecureString parameter).
#[derive(Clone)]
pub struct PrivacyKey(Vec<u8>);

impl std::fmt::Debug for PrivacyKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrivacyKey(..)")
    }
}

impl PrivacyKey {
    /// A key of at least 16 bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Option<Self> {
        let bytes = bytes.into();
        (bytes.len() >= 16).then_some(PrivacyKey(bytes))
    }

    /// The pseudonym of `identifier`, normalised first (an address lower-cased and trimmed, a
    /// phone number to `+` and digits), so every spelling of one identifier maps to one
    /// pseudonym.
    pub fn pseudonym(&self, identifier: &str) -> String {
        let normal = normalise(identifier);
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0)
            .expect("HMAC takes a key of any length");
        mac.update(normal.as_bytes());
        let digest = mac.finalize().into_bytes();
        if normal.contains('@') {
            format!(
                "{PSEUDONYM_PREFIX}{}@{ERASED_DOMAIN}",
                hex::encode(&digest[..12])
            )
        } else if is_phone(&normal) {
            let n = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
            format!("{ERASED_COUNTRY_CODE}{:012}", n % 1_000_000_000_000)
        } else {
            format!("{PSEUDONYM_PREFIX}{}", hex::encode(&digest[..12]))
        }
    }
}

/// One spelling per identifier: addresses lower-cased, phone numbers `+` and digits.
fn normalise(identifier: &str) -> String {
    if identifier.contains('@') {
        normalise_email(identifier)
    } else if is_phone(&normalise_phone(identifier))
        && identifier
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c))
    {
        normalise_phone(identifier)
    } else {
        identifier.trim().to_string()
    }
}

/// Whether `s` is a pseudonym.
pub fn is_pseudonym(s: &str) -> bool {
    let s = s.trim();
    let hex = s
        .strip_suffix(ERASED_DOMAIN)
        .and_then(|a| a.strip_suffix('@'))
        .unwrap_or(s);
    hex.strip_prefix(PSEUDONYM_PREFIX)
        .is_some_and(|h| h.len() == 24 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        || s.strip_prefix(ERASED_COUNTRY_CODE)
            .is_some_and(|d| d.len() == 12 && d.bytes().all(|b| b.is_ascii_digit()))
}

/// A phone number as keys hold it: `+` and 7 to 15 digits (E.164), or the same digits bare.
fn is_phone(s: &str) -> bool {
    let digits = s.strip_prefix('+').unwrap_or(s);
    s.starts_with('+')
        && (7..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Whether one segment of a key is a person's identifier: an email address or an E.164 phone
/// number (the identifiers agents key per-person records by).
pub fn looks_personal(segment: &str) -> bool {
    !is_pseudonym(segment)
        && (is_phone(segment)
            || segment
                .split_once('@')
                .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.')))
}

/// `key` (`suppression#ana@x.example`, `lead#L1/email#ana@x.example`) with every segment that
/// [`looks_personal`] replaced by its pseudonym; segments are separated by `#` and `/`.
pub fn pseudonymise_key(key: &str, with: &PrivacyKey) -> String {
    let mut out = String::with_capacity(key.len());
    let mut segment = String::new();
    let flush = |segment: &mut String, out: &mut String| {
        if looks_personal(segment) {
            out.push_str(&with.pseudonym(segment));
        } else {
            out.push_str(segment);
        }
        segment.clear();
    };
    for c in key.chars() {
        if c == '#' || c == '/' {
            flush(&mut segment, &mut out);
            out.push(c);
        } else {
            segment.push(c);
        }
    }
    flush(&mut segment, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> PrivacyKey {
        PrivacyKey::new(*b"0123456789abcdef0123456789abcdef").unwrap()
    }

    #[test]
    fn one_person_one_pseudonym_whatever_the_spelling() {
        let k = key();
        assert_eq!(
            k.pseudonym(" Ana@Boreal.AERO "),
            k.pseudonym("ana@boreal.aero")
        );
        assert_eq!(
            k.pseudonym("+1 (415) 555-0100"),
            k.pseudonym("+14155550100")
        );
        assert_ne!(
            k.pseudonym("ana@boreal.aero"),
            k.pseudonym("bo@boreal.aero")
        );
        assert!(is_pseudonym(&k.pseudonym("ana@boreal.aero")));
        assert!(is_pseudonym(&k.pseudonym("+14155550100")));
        assert!(is_pseudonym(&k.pseudonym("L0001")));
    }

    #[test]
    fn an_address_stays_an_address_and_a_number_a_number_that_reach_no_one() {
        let k = key();
        let address = k.pseudonym("ana@boreal.aero");
        assert!(
            address.ends_with("@erased.invalid") && address.starts_with("p~"),
            "{address}"
        );
        let number = k.pseudonym("+14155550100");
        assert!(number.starts_with("+999") && number.len() == 16, "{number}");
        assert!(!looks_personal(&address) && !looks_personal(&number));
        assert_eq!(
            pseudonymise_key(&format!("x#{address}"), &k),
            format!("x#{address}")
        );
    }

    #[test]
    fn another_key_makes_another_pseudonym() {
        let other = PrivacyKey::new(*b"fedcba9876543210fedcba9876543210").unwrap();
        assert_ne!(
            key().pseudonym("ana@boreal.aero"),
            other.pseudonym("ana@boreal.aero")
        );
        assert!(PrivacyKey::new(*b"short").is_none());
    }

    #[test]
    fn keys_lose_their_addresses_and_numbers_and_keep_the_rest() {
        let k = key();
        let p = pseudonymise_key("suppression#ana@boreal.aero/entry", &k);
        assert_eq!(
            p,
            format!("suppression#{}/entry", k.pseudonym("ana@boreal.aero"))
        );
        let p = pseudonymise_key("call-consent#+14155550100/at#2026-12-01", &k);
        assert_eq!(
            p,
            format!("call-consent#{}/at#2026-12-01", k.pseudonym("+14155550100"))
        );
        for plain in [
            "invoice#inv-D00042/v1",
            "lead#L000123/profile",
            "audit#2026-12-06",
            "x#@/y",
        ] {
            assert_eq!(pseudonymise_key(plain, &k), plain);
        }
    }

    #[test]
    fn what_looks_personal() {
        assert!(looks_personal("ana@boreal.aero"));
        assert!(looks_personal("+442071234567"));
        assert!(!looks_personal("2026-12-06"));
        assert!(!looks_personal("+12"));
        assert!(!looks_personal("@boreal.aero"));
        assert!(!looks_personal("D00042"));
    }
}
