//! The agents the twin runs. Adding an agent to the ecosystem means adding it here (and its
//! Lambda in `infra/`); its declaration does the rest.

use ascent_core::agent::{Agent, AgentDecl};
use std::sync::Arc;

/// Every agent with its default configuration.
pub fn all() -> Vec<Arc<dyn Agent>> {
    vec![
        Arc::new(lead_generation::LeadGeneration::default()),
        Arc::new(sales_director::SalesDirector::default()),
        // Unsubscribe links and the postal address from the environment (ASCENT_UNSUBSCRIBE_URL,
        // ASCENT_POSTAL_ADDRESS); text from the templates.
        Arc::new(outreach::Outreach::new(
            outreach::OutreachConfig::from_env(),
            Arc::new(ascent_core::writer::TemplateWriter),
        )),
        Arc::new(demo_scheduling::DemoScheduling::default()),
        Arc::new(closing::Closing::default()),
        Arc::new(billing::Billing::default()),
        Arc::new(expense_management::ExpenseManagement::default()),
        Arc::new(finance_controller::FinanceController::default()),
        Arc::new(customer_success_director::CustomerSuccessDirector::default()),
        Arc::new(onboarding::Onboarding::default()),
        Arc::new(training::Training::default()),
        Arc::new(support::Support::default()),
        Arc::new(retention::Retention::default()),
    ]
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
