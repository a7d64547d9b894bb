//! Role-based access to the data lake, from each agent's declaration.

use crate::agent::{AgentDecl, Domain};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Access::Read => "read",
            Access::Write => "write",
        })
    }
}

/// An agent touched a domain (or emitted an event) it did not declare.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("access denied: agent `{agent}` may not {access} {what}")]
pub struct AccessDenied {
    pub agent: String,
    pub access: Access,
    /// `domain customer`, `event InvoiceIssued`, …
    pub what: String,
}

/// Checks one access against the declaration.
pub fn check(decl: &AgentDecl, domain: Domain, access: Access) -> Result<(), AccessDenied> {
    let ok = match access {
        Access::Read => decl.may_read(domain),
        Access::Write => decl.may_write(domain),
    };
    if ok {
        Ok(())
    } else {
        Err(AccessDenied {
            agent: decl.name.to_string(),
            access,
            what: format!("domain {}", domain.as_str()),
        })
    }
}

/// Checks a write of the item with partition key `pk`: the domain declared, and the key under
/// one of the agent's own prefixes.
pub fn check_write(decl: &AgentDecl, domain: Domain, pk: &str) -> Result<(), AccessDenied> {
    check(decl, domain, Access::Write)?;
    if decl.owns_key(domain, pk) {
        Ok(())
    } else {
        Err(AccessDenied {
            agent: decl.name.to_string(),
            access: Access::Write,
            what: format!(
                "key {pk} of domain {} (not one of its prefixes)",
                domain.as_str()
            ),
        })
    }
}

/// Checks that the agent declared the event type it emits.
pub fn check_emit(decl: &AgentDecl, detail_type: &str) -> Result<(), AccessDenied> {
    if decl.emits.contains(&detail_type) {
        Ok(())
    } else {
        Err(AccessDenied {
            agent: decl.name.to_string(),
            access: Access::Write,
            what: format!("event {detail_type}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::{Department, QueueClass};

    fn decl() -> AgentDecl {
        AgentDecl {
            name: "billing",
            department: Department::Finance,
            queue: QueueClass::Priority,
            subscriptions: vec![],
            reads: vec![Domain::Customer],
            owns: vec![crate::agent::owns(Domain::Financial, "invoice#")],
            emits: vec!["InvoiceIssued"],
            requests_approvals: false,
            sends_mail: true,
            writes_text: false,
        }
    }

    #[test]
    fn writes_imply_reads_and_undeclared_is_denied() {
        let d = decl();
        assert!(check(&d, Domain::Customer, Access::Read).is_ok());
        assert!(check(&d, Domain::Financial, Access::Read).is_ok());
        assert!(check(&d, Domain::Financial, Access::Write).is_ok());
        let err = check(&d, Domain::Customer, Access::Write).unwrap_err();
        assert_eq!(
            err.to_string(),
            "access denied: agent `billing` may not write domain customer"
        );
        assert!(check(&d, Domain::Interaction, Access::Read).is_err());
        assert!(check_emit(&d, "InvoiceIssued").is_ok());
        assert!(check_emit(&d, "LeadScored").is_err());
    }

    #[test]
    fn a_write_outside_the_agents_own_prefixes_is_denied() {
        let d = decl();
        assert!(check_write(&d, Domain::Financial, "invoice#INV-1").is_ok());
        // Another agent's record in a domain it may write: refused, naming the key.
        let err = check_write(&d, Domain::Financial, "journal#2026-11").unwrap_err();
        assert_eq!(
            err.to_string(),
            "access denied: agent `billing` may not write key journal#2026-11 of domain \
             financial (not one of its prefixes)"
        );
        // An undeclared domain is refused as before, whatever the key.
        assert!(check_write(&d, Domain::Customer, "invoice#INV-1").is_err());
    }
}
