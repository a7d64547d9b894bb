//! `[console]` of `ascent.toml`: who may sign in to the operator console (the twin's home:
//! accounts in the configuration file, each with a role and an Argon2 password hash) and how
//! long a session lasts. On AWS operators sign in through Amazon Cognito instead
//! (docs/console.md); this section is then not used.

use crate::access::Role;
use ascent_core::config::{Invalid, Validate, check_email, check_in_range};
use serde::{Deserialize, Serialize};

/// One operator account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorAccount {
    /// The sign-in name; an approver's must be the address approval chains name.
    pub email: String,
    pub role: Role,
    /// Argon2 PHC string (`$argon2id$v=19$…`): `ascent console hash-password` makes one.
    pub password_hash: String,
}

/// `[console]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleSettings {
    /// Minutes a session lasts after sign-in; then the operator signs in again.
    pub session_minutes: i64,
    /// Failed sign-ins of one address within `lockout_minutes` after which it is locked out
    /// for `lockout_minutes` from the last failure (password guessing).
    #[serde(default = "default_max_failed")]
    pub max_failed_sign_ins: u32,
    #[serde(default = "default_lockout")]
    pub lockout_minutes: i64,
    #[serde(default)]
    pub operators: Vec<OperatorAccount>,
}

fn default_max_failed() -> u32 {
    5
}

fn default_lockout() -> i64 {
    15
}

impl Default for ConsoleSettings {
    /// No operator: nobody can sign in.
    fn default() -> Self {
        Self {
            session_minutes: 480,
            max_failed_sign_ins: default_max_failed(),
            lockout_minutes: default_lockout(),
            operators: Vec::new(),
        }
    }
}

impl ConsoleSettings {
    /// The account signing in as `email` (case-insensitive).
    pub fn operator(&self, email: &str) -> Option<&OperatorAccount> {
        self.operators
            .iter()
            .find(|o| o.email.trim().eq_ignore_ascii_case(email.trim()))
    }
}

impl Validate for ConsoleSettings {
    fn validate(&self) -> Result<(), Invalid> {
        check_in_range("session_minutes", self.session_minutes, 1, 7 * 24 * 60)?;
        check_in_range(
            "max_failed_sign_ins",
            i64::from(self.max_failed_sign_ins),
            1,
            100,
        )?;
        check_in_range("lockout_minutes", self.lockout_minutes, 1, 24 * 60)?;
        for (i, o) in self.operators.iter().enumerate() {
            check_email(&format!("operators[{i}].email"), &o.email)?;
            if crate::access::parse_hash(&o.password_hash).is_err() {
                return Err(Invalid::new(
                    format!("operators[{i}].password_hash"),
                    "is not an Argon2 PHC string (`ascent console hash-password` makes one)",
                ));
            }
            if self.operators[..i]
                .iter()
                .any(|p| p.email.eq_ignore_ascii_case(&o.email))
            {
                return Err(Invalid::new(
                    format!("operators[{i}].email"),
                    format!("`{}` is listed twice", o.email),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(email: &str, hash: &str) -> OperatorAccount {
        OperatorAccount {
            email: email.into(),
            role: Role::Viewer,
            password_hash: hash.into(),
        }
    }

    #[test]
    fn a_bad_hash_a_bad_address_or_a_twin_account_is_refused_by_path() {
        let good = crate::access::hash_password("pw").unwrap();
        let mut s = ConsoleSettings {
            session_minutes: 60,
            operators: vec![account("a@x.example", &good)],
            ..ConsoleSettings::default()
        };
        assert!(s.validate().is_ok());
        s.operators.push(account("b@x.example", "plain"));
        assert_eq!(s.validate().unwrap_err().path, "operators[1].password_hash");
        s.operators[1] = account("not an address", &good);
        assert_eq!(s.validate().unwrap_err().path, "operators[1].email");
        s.operators[1] = account("A@x.example", &good);
        assert_eq!(s.validate().unwrap_err().path, "operators[1].email");
        s.operators.pop();
        s.session_minutes = 0;
        assert_eq!(s.validate().unwrap_err().path, "session_minutes");
    }
}
