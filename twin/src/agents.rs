//! The agents the twin runs: the ecosystem's list ([`ascent_ecosystem::declarations`]) built
//! with the configuration file's settings.

use ascent_core::agent::Agent;
use std::sync::Arc;

/// Every agent with the shipped settings (`ascent.toml`), links to the twin's default
/// address; [`crate::config::AscentConfig::agents`] builds them with other settings.
pub fn all() -> Vec<Arc<dyn Agent>> {
    crate::config::AscentConfig::shipped().agents("http://127.0.0.1:8787")
}

pub use ascent_ecosystem::declarations;

#[cfg(test)]
mod tests {
    use super::*;
    use ascent_core::agent::Domain;

    /// Each record has one owner: prefixes are real (never the whole domain), and no agent's
    /// prefix covers another's in the same domain.
    #[test]
    fn owned_key_prefixes_never_overlap() {
        let decls = declarations();
        let owned: Vec<(&str, Domain, &str)> = decls
            .iter()
            .flat_map(|d| d.owns.iter().map(move |o| (d.name, o.domain, o.prefix)))
            .collect();
        for (agent, domain, prefix) in &owned {
            assert!(
                prefix.len() > 1 && Domain::BUSINESS.contains(domain),
                "{agent}: `{prefix}` in {domain:?} is not a business key prefix"
            );
            for (other, d2, p2) in &owned {
                if (agent, prefix) != (other, p2) && domain == d2 {
                    assert!(
                        !p2.starts_with(prefix),
                        "{agent}'s `{prefix}` covers {other}'s `{p2}` in {domain:?}"
                    );
                }
            }
        }
    }
}
