//! The ecosystem's agents, listed once. Adding an agent means adding it here (and its folder
//! under `functions/`); its declaration does the rest: the twin runs it, the template gives it
//! its queue, rules and role, and the privacy desk reads its records by its personal-data
//! declarations.

use ascent_core::agent::AgentDecl;

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
        marketing_analytics::declaration(),
        marketing_orchestrator::declaration(),
        content_marketing::declaration(),
        seo::declaration(),
        email_marketing::declaration(),
        social_media::declaration(),
        process_automation::declaration(),
        operations_manager::declaration(),
        operations_analytics::declaration(),
        crm_management::declaration(),
        reporting::declaration(),
    ]
}

/// The declarations for the life of the process (the privacy desk keeps them).
pub fn leaked() -> Vec<&'static AgentDecl> {
    declarations()
        .into_iter()
        .map(|d| &*Box::leak(Box::new(d)))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_agent_once() {
        let mut names: Vec<&str> = super::declarations().iter().map(|d| d.name).collect();
        assert_eq!(names.len(), 24);
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 24, "an agent listed twice");
    }
}
