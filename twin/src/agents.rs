//! The agents the twin runs. Adding an agent to the ecosystem means adding it here (and its
//! Lambda in `infra/`); its declaration does the rest.

use ascent_core::agent::{Agent, AgentDecl};
use std::sync::Arc;

/// Every agent with the shipped settings (`ascent.toml`), links to the twin's default
/// address; [`crate::config::AscentConfig::agents`] builds them with other settings.
pub fn all() -> Vec<Arc<dyn Agent>> {
    crate::config::AscentConfig::shipped().agents("http://127.0.0.1:8787")
}

/// Every agent's declaration.
pub fn declarations() -> Vec<AgentDecl> {
    vec![
        lead_generation::declaration(),
        sales_director::declaration(),
        outreach::declaration(),
        demo_scheduling::declaration(),
        closing::declaration(),
        billing::declaration(),
        expense_management::declaration(),
        finance_controller::declaration(),
        customer_success_director::declaration(),
        onboarding::declaration(),
        training::declaration(),
        support::declaration(),
        retention::declaration(),
    ]
}
