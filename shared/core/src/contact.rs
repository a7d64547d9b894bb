//! Contact data rules: an email address is an RFC 5322 `addr-spec` (checked by the
//! `email_address` crate: no display name, no domain literal, a domain of two labels or more),
//! and a phone number is in E.164 form (`+` and at most 15 digits) and a possible number of its
//! country by libphonenumber's metadata: a known country calling code and a national number of
//! a length that country uses ([`calling_codes`], a table taken from the `phonenumber` crate's
//! metadata, which a test keeps equal to it; loading that metadata at run time compiles
//! thousands of patterns this check never uses).
//!
//! A refusal says which rule failed and why, never the value: these are personal data, and
//! refusals reach logs and HTTP answers.

use email_address::{EmailAddress, Options};

mod calling_codes;

/// Why a contact value was refused; the message names the rule, not the value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ContactError {
    #[error("not an RFC 5322 address ({0})")]
    Email(&'static str),
    #[error("not an E.164 phone number ({0})")]
    Phone(&'static str),
}

const EMAIL_RULES: Options = Options {
    minimum_sub_domains: 2,
    allow_domain_literal: false,
    allow_display_text: false,
    allow_long_local_parts: false,
};

/// Checks that `address` is one email address (`local@domain.tld`).
pub fn check_email(address: &str) -> Result<(), ContactError> {
    use email_address::Error as E;
    if plain_address(address) {
        return Ok(());
    }
    EmailAddress::parse_with_options(address, EMAIL_RULES)
        .map(|_| ())
        .map_err(|e| {
            ContactError::Email(match e {
                E::InvalidCharacter => "a character not allowed where it is",
                E::MissingSeparator => "no `@`",
                E::LocalPartEmpty => "nothing before the `@`",
                E::LocalPartTooLong => "more than 64 characters before the `@`",
                E::DomainEmpty => "no domain",
                E::DomainTooLong => "a domain longer than 254 characters",
                E::SubDomainEmpty => "an empty domain label",
                E::SubDomainTooLong => "a domain label longer than 63 characters",
                E::DomainTooFew => "a domain of one label",
                E::UnsupportedDomainLiteral => "a domain literal",
                E::UnsupportedDisplayName | E::MissingDisplayName => "a display name",
                E::MissingEndBracket => "an unclosed `<`",
                E::UnbalancedQuotes => "unbalanced quotes",
                _ => "malformed",
            })
        })
}

/// The common shape every event carries, checked in one pass: an ASCII dot-atom local part of
/// letters, digits and `._%+-` (at most 64 bytes, no empty atom), one `@`, and a domain of two
/// labels or more (at most 254 bytes) of letters, digits and `-`, each label 1 to 63 bytes
/// that starts and ends with a letter or digit. Every address of this shape is one the
/// `email_address` crate accepts with [`EMAIL_RULES`] (a test holds them together); anything
/// else goes to the crate, which also says what is wrong.
fn plain_address(address: &str) -> bool {
    let b = address.as_bytes();
    let Some(at) = b.iter().position(|&c| c == b'@') else {
        return false;
    };
    let (local, domain) = (&b[..at], &b[at + 1..]);
    if local.is_empty() || local.len() > 64 || domain.is_empty() || domain.len() > 254 {
        return false;
    }
    // The local part: atoms of `atom_char`s joined by single dots.
    let atom_char = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'%' | b'+' | b'-');
    let mut after_dot = true;
    for &c in local {
        if c == b'.' && !after_dot {
            after_dot = true;
        } else if atom_char(c) {
            after_dot = false;
        } else {
            return false;
        }
    }
    if after_dot {
        return false;
    }
    // The domain: labels of letters, digits and inner `-`, 1 to 63 bytes, two or more.
    let (mut labels, mut len, mut last) = (1, 0usize, b'.');
    for &c in domain {
        if c == b'.' {
            if len == 0 || !last.is_ascii_alphanumeric() {
                return false;
            }
            labels += 1;
            len = 0;
        } else if c.is_ascii_alphanumeric() || (c == b'-' && len > 0) {
            len += 1;
            if len > 63 {
                return false;
            }
        } else {
            return false;
        }
        last = c;
    }
    len > 0 && last.is_ascii_alphanumeric() && labels >= 2
}

/// E.164 allows at most 15 digits after the `+`.
const E164_MAX_DIGITS: usize = 15;

/// Checks that `number` is a possible phone number written in E.164 (`+4930901820`): `+`, a
/// country calling code libphonenumber knows, and a national number of a length that country
/// uses (libphonenumber's "possible number"). Its "valid number" check (the number ranges) is
/// left out on purpose: ranges change, so it refuses real new numbers, and the crate matches
/// them with regexes behind one lock and a 100-entry cache, which numbers from many countries
/// thrash (about 3 ms a number): too slow for the path every event takes.
pub fn check_phone(number: &str) -> Result<(), ContactError> {
    let Some(digits) = number.strip_prefix('+') else {
        return Err(ContactError::Phone(
            "does not start with `+` and the country code",
        ));
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ContactError::Phone("not only digits after the `+`"));
    }
    if digits.len() > E164_MAX_DIGITS {
        return Err(ContactError::Phone("more than 15 digits"));
    }
    // Country calling codes are one to three digits and prefix-free: at most one matches.
    let (lengths, national) = (1..=3.min(digits.len() - 1))
        .find_map(|n| {
            let code: u16 = digits[..n].parse().ok()?;
            calling_codes::possible_lengths(code).map(|lengths| (lengths, &digits[n..]))
        })
        .ok_or(ContactError::Phone("no country calling code recognised"))?;
    if !lengths.contains(&(national.len() as u8)) {
        return Err(ContactError::Phone(
            "a national number of a length its country does not use",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        for ok in [
            "ana.ruiz@boreal-aero.example",
            "Ana.Ruiz+crm@sub.boreal.example",
            "o'brien@x.example",
            "\"quoted local\"@x.example",
            "josé@exämple.example",
        ] {
            assert_eq!(check_email(ok), Ok(()), "{ok}");
        }
        for (bad, why) in [
            (
                "a@x.example,evil@y.example",
                "a character not allowed where it is",
            ),
            (
                "a@x.example evil@y.example",
                "a character not allowed where it is",
            ),
            ("ana", "no `@`"),
            ("@x.example", "nothing before the `@`"),
            ("ana@", "no domain"),
            ("ana@localhost", "a domain of one label"),
            ("ana@[10.0.0.1]", "a domain literal"),
            ("Ana <ana@x.example>", "a display name"),
            ("ana@x..example", "an empty domain label"),
            (" ana@x.example", "a character not allowed where it is"),
            (
                "ana@x.example\r\nBcc: e@y.example",
                "a character not allowed where it is",
            ),
        ] {
            assert_eq!(check_email(bad), Err(ContactError::Email(why)), "{bad}");
        }
        assert_eq!(
            check_email("a@x").unwrap_err().to_string(),
            "not an RFC 5322 address (a domain of one label)"
        );
    }

    proptest::proptest! {
        /// The one-pass check never accepts what the crate refuses: on strings made of the
        /// characters that matter (atoms, dots, `@`, hyphens, quotes, brackets, spaces, …).
        #[test]
        fn the_plain_shape_is_one_the_crate_accepts(
            address in "[a-zA-Z0-9._%+\\-@\"<>() \\[\\]é]{0,80}"
        ) {
            if plain_address(&address) {
                proptest::prop_assert!(
                    EmailAddress::parse_with_options(&address, EMAIL_RULES).is_ok(),
                    "{address}"
                );
            }
        }

        /// And on addresses of the plain shape with edge lengths and hyphens.
        #[test]
        fn plain_addresses_agree_with_the_crate(
            local in "[a-z0-9_%+-]{1,70}(\\.[a-z0-9_%+-]{1,8}){0,2}",
            labels in proptest::collection::vec("[a-z0-9-]{1,66}", 1..4),
        ) {
            let address = format!("{local}@{}", labels.join("."));
            proptest::prop_assert_eq!(
                plain_address(&address),
                EmailAddress::parse_with_options(&address, EMAIL_RULES).is_ok(),
                "{}", address
            );
        }
    }

    #[test]
    fn phones() {
        for ok in [
            "+4930901820",
            "+12125550100",
            "+442071838750",
            "+33142685300",
        ] {
            assert_eq!(check_phone(ok), Ok(()), "{ok}");
        }
        for bad in [
            "4930901820",
            "+49 30 901820",
            "+49-30-901820",
            "+4930901820,+4930901821",
            "+",
            "+0049309018",
            "+1234567890123456",
            "+15550100",
            "+1212555010",
            "+442071838750123",
            "+999123456789",
            "tel:+4930901820",
        ] {
            let err = check_phone(bad).unwrap_err();
            assert!(matches!(err, ContactError::Phone(_)), "{bad}");
            assert!(bad.len() < 2 || !err.to_string().contains(bad), "{err}");
        }
    }
}
