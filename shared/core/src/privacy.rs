//! Personal data: what an agent declares it keeps about people, beside the key prefixes it
//! owns ([`crate::agent::Owned::holding`]), and the keyed pseudonyms that stand in for a
//! person's identifiers where a record must outlive what identifies them (the audit trail, the
//! suppression list, invoices and journal entries kept by law).
//!
//! A declaration says which fields of the records under the prefix are personal, which of
//! them identify the person elsewhere (so a subject found by email address is also found by
//! their phone number or lead id), why the agent keeps them, for how long, and what erasure
//! does: delete the record, or keep it with the personal values replaced by pseudonyms.

pub mod declared;
pub mod erasure;
mod pseudonym;
mod subject;

pub use pseudonym::{PSEUDONYM_PREFIX, PrivacyKey, is_pseudonym, looks_personal, pseudonymise_key};
pub use subject::{Subject, field_values, identifiers_in, personal_values, pseudonymise_record};

use serde::Serialize;

/// Personal data an agent keeps in the records under one owned key prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Personal {
    /// The records' fields that hold personal data (top-level JSON fields; `a.b` names a field
    /// of an object field, `a[]` the elements of a list). The key itself is personal when it
    /// holds an identifier (`suppression#<address>`): erasure finds the record by it too.
    pub fields: &'static [&'static str],
    /// Of those, the fields whose values identify the person in other records (an address,
    /// a phone number, a lead or contact id): a subject found by one is then found by these.
    pub identifies: &'static [&'static str],
    /// Why the agent keeps them (shown in an export and in the docs).
    pub purpose: &'static str,
    pub retention: Retention,
    pub erasure: Erasure,
}

/// How long records of a kind are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "setting", rename_all = "kebab-case")]
pub enum Retention {
    /// As long as the business relationship lasts; erased on request.
    Relationship,
    /// `[retention] <setting>` days after the record was last written (DynamoDB's TTL on AWS,
    /// the twin's sweep offline).
    Days(&'static str),
    /// Kept by law (`[retention] <setting>` years: invoices, journal entries); on erasure only
    /// what the law requires stays, pseudonymised.
    Legal(&'static str),
    /// As long as one of the agent's own settings says (`reporting.remember_days`): the agent
    /// gives each record its expiry itself.
    Agent(&'static str),
}

/// What erasure does to a subject's records under the prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Erasure {
    /// The record goes.
    Delete,
    /// The record stays with its personal values replaced by pseudonyms (kept by law, or
    /// needed without the person: the suppression list keeps the address's pseudonym).
    Pseudonymise,
}

impl Personal {
    /// Personal data deleted on erasure.
    pub const fn deleted(
        fields: &'static [&'static str],
        identifies: &'static [&'static str],
        purpose: &'static str,
        retention: Retention,
    ) -> Self {
        Personal {
            fields,
            identifies,
            purpose,
            retention,
            erasure: Erasure::Delete,
        }
    }
    /// Personal data pseudonymised on erasure (the record stays).
    pub const fn pseudonymised(
        fields: &'static [&'static str],
        identifies: &'static [&'static str],
        purpose: &'static str,
        retention: Retention,
    ) -> Self {
        Personal {
            fields,
            identifies,
            purpose,
            retention,
            erasure: Erasure::Pseudonymise,
        }
    }
}
