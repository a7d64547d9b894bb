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
            writes: vec![Domain::Financial],
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
}
