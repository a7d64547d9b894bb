//! The whole configuration file as the twin reads it: every section of `ascent.toml`, each
//! typed by the crate that owns it, read and validated together at start so that a bad key
//! anywhere stops the twin before any agent runs. A Lambda reads only its own sections with
//! the same loader (`ascent_core::config`); the twin links every agent, so it names them all.
//!
//! Which file: `--config FILE` or `ASCENT_CONFIG`; else `./ascent.toml` when there is one;
//! else the shipped defaults compiled in.

use ascent_core::agent::Agent;
use ascent_core::config::platform::{
    Approvals, Company, Currency, HostSettings, Links, Plans, SalesTeam, Schedule,
};
use ascent_core::config::{ConfigError, ConfigFile, Invalid};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The file the twin reads when neither `--config` nor `ASCENT_CONFIG` names one.
pub const DEFAULT_PATH: &str = "ascent.toml";

/// Every top-level section of the file, in the order of the shipped file.
pub const SECTIONS: [&str; 36] = [
    "company",
    "mail",
    "links",
    "schedule",
    "currency",
    "approvals",
    "console",
    "plans",
    "sales_team",
    "data_retention",
    "lead_generation",
    "sales",
    "outreach",
    "demo_scheduling",
    "closing",
    "billing",
    "expenses",
    "finance",
    "customer_success",
    "onboarding",
    "training",
    "knowledge",
    "support",
    "retention",
    "marketing_analytics",
    "content_marketing",
    "marketing_orchestrator",
    "seo",
    "email_marketing",
    "social_media",
    "operations_manager",
    "crm_management",
    "process_automation",
    "operations_analytics",
    "cost",
    "reporting",
];

/// Why the configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("reading the configuration {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(#[from] ConfigError),
}

/// Every setting of the file, typed and validated.
#[derive(Clone, Debug)]
pub struct AscentConfig {
    /// Where the text came from (a path, or the shipped defaults).
    pub origin: String,
    /// The text itself (what `ascent infra` deploys).
    pub text: String,
    pub host: HostSettings,
    pub company: Company,
    pub links: Links,
    /// When the daily schedule fires (the twin's worker; the Scheduler's cron on AWS).
    pub schedule: Schedule,
    pub currency: Currency,
    /// Who may sign in to the operator console (`/console`), and for how long.
    pub console: ascent_console::ConsoleSettings,
    pub plans: Plans,
    pub sales_team: SalesTeam,
    pub lead_generation: lead_generation::LeadConfig,
    pub sales: sales_director::SalesConfig,
    pub outreach: outreach::OutreachConfig,
    pub demo_scheduling: demo_scheduling::DemoConfig,
    pub closing: closing::ClosingConfig,
    pub billing: billing::BillingConfig,
    pub expenses: expense_management::rules::ExpensePolicy,
    pub finance: finance_controller::FinanceConfig,
    pub customer_success: customer_success_director::CsConfig,
    pub onboarding: onboarding::OnboardingConfig,
    pub training: training::TrainingConfig,
    pub support: support::SupportConfig,
    pub retention: retention::RetentionConfig,
    pub marketing_analytics: marketing_analytics::AnalyticsConfig,
    pub marketing_orchestrator: marketing_orchestrator::OrchestratorConfig,
    pub content_marketing: content_marketing::ContentConfig,
    pub seo: seo::SeoConfig,
    pub email_marketing: email_marketing::EmailMarketingConfig,
    pub social_media: social_media::SocialConfig,
    pub operations_manager: operations_manager::OperationsConfig,
    pub operations_analytics: operations_analytics::OperationsAnalyticsConfig,
    pub crm_management: crm_management::CrmConfig,
    pub process_automation: process_automation::ProcessAutomationConfig,
    /// `ascent cost`: the price table and the cost model's assumptions.
    pub cost: crate::cost::CostSettings,
    pub reporting: reporting::ReportingConfig,
}

impl AscentConfig {
    /// Reads every section of `file` and checks the settings that span sections.
    pub fn from_file(file: &ConfigFile) -> Result<Self, ConfigError> {
        for key in file.keys()? {
            if !SECTIONS.contains(&key.as_str()) {
                return Err(ConfigError {
                    origin: file.origin().to_string(),
                    line: file.line_of_path(&key),
                    path: key.clone(),
                    message: format!("unknown section `[{key}]` (known: {})", SECTIONS.join(", ")),
                });
            }
        }
        let config = Self {
            origin: file.origin().to_string(),
            text: file.text().to_string(),
            host: HostSettings::from_file(file)?,
            company: file.section("company")?,
            links: file.section("links")?,
            schedule: file.section("schedule")?,
            currency: file.section("currency")?,
            console: file.section("console")?,
            plans: file.section("plans")?,
            sales_team: file.section("sales_team")?,
            lead_generation: lead_generation::LeadConfig::from_file(file)?,
            sales: sales_director::SalesConfig::from_file(file)?,
            outreach: outreach::OutreachConfig::from_file(file, outreach::TWIN_UNSUBSCRIBE_URL)?,
            demo_scheduling: demo_scheduling::DemoConfig::from_file(file)?,
            closing: closing::ClosingConfig::from_file(file)?,
            billing: billing::BillingConfig::from_file(file)?,
            expenses: expense_management::rules::ExpensePolicy::from_file(file)?,
            finance: finance_controller::FinanceConfig::from_file(file)?,
            customer_success: customer_success_director::CsConfig::from_file(file)?,
            onboarding: onboarding::OnboardingConfig::from_file(file)?,
            training: training::TrainingConfig::from_file(file)?,
            support: support::SupportConfig::from_file(file)?,
            retention: retention::RetentionConfig::from_file(file)?,
            marketing_analytics: marketing_analytics::AnalyticsConfig::from_file(file)?,
            marketing_orchestrator: marketing_orchestrator::OrchestratorConfig::from_file(file)?,
            content_marketing: content_marketing::ContentConfig::from_file(file)?,
            seo: seo::SeoConfig::from_file(file)?,
            email_marketing: email_marketing::EmailMarketingConfig::from_file(
                file,
                email_marketing::TWIN_UNSUBSCRIBE_URL,
            )?,
            social_media: social_media::SocialConfig::from_file(file)?,
            operations_manager: operations_manager::OperationsConfig::from_file(file)?,
            operations_analytics: operations_analytics::OperationsAnalyticsConfig::from_file(file)?,
            crm_management: crm_management::CrmConfig::from_file(file)?,
            process_automation: process_automation::ProcessAutomationConfig::from_file(file)?,
            cost: crate::cost::CostSettings::from_file(file)?,
            reporting: reporting::ReportingConfig::from_file(file)?,
        };
        config.check_across(file)?;
        Ok(config)
    }

    /// The text as a [`ConfigFile`] again (it parsed once, so it parses).
    pub fn file(&self) -> ConfigFile {
        ConfigFile::parse(self.origin.clone(), self.text.clone()).expect("parsed before")
    }

    /// Settings of one section that must agree with another's.
    fn check_across(&self, file: &ConfigFile) -> Result<(), ConfigError> {
        let teams = self.lead_generation.routing.teams();
        for (i, rep) in self.sales_team.reps.iter().enumerate() {
            if !teams.contains(&rep.territory.as_str()) {
                return Err(file.invalid(
                    "sales_team",
                    Invalid::new(
                        format!("reps[{i}].territory"),
                        format!(
                            "no lead is routed to `{}` (territories of [lead_generation.routing]: {})",
                            rep.territory,
                            teams.join(", ")
                        ),
                    ),
                ));
            }
        }
        let approvals: Approvals = file.section("approvals")?;
        if let Some(two) = approvals.two_person_above_minor {
            for (role, chain) in &approvals.roles {
                let can_carry_amounts =
                    [&self.closing.approver_role, &self.expenses.approver_role].contains(&role);
                if can_carry_amounts && chain.approvers.len() < 2 {
                    return Err(file.invalid(
                        "approvals",
                        Invalid::new(
                            format!("roles.{role}.approvers"),
                            format!(
                                "requests above {two} (two_person_above_minor) need two approvers"
                            ),
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The shipped defaults.
    pub fn shipped() -> Self {
        // Read and checked once per process: the twin's parts each start from the defaults.
        static SHIPPED: std::sync::OnceLock<AscentConfig> = std::sync::OnceLock::new();
        SHIPPED
            .get_or_init(|| {
                Self::from_file(&ConfigFile::shipped()).expect("the shipped ascent.toml is valid")
            })
            .clone()
    }

    /// Reads the configuration: `path` (from `--config` or `ASCENT_CONFIG`) when given, else
    /// [`DEFAULT_PATH`] when it exists, else the shipped defaults.
    pub fn load(path: Option<&Path>) -> Result<Self, LoadError> {
        let path = match path {
            Some(p) => p.to_path_buf(),
            None if Path::new(DEFAULT_PATH).is_file() => PathBuf::from(DEFAULT_PATH),
            None => return Ok(Self::shipped()),
        };
        let text = std::fs::read_to_string(&path).map_err(|source| LoadError::Io {
            path: path.clone(),
            source,
        })?;
        let file = ConfigFile::parse(path.display().to_string(), text)?;
        Ok(Self::from_file(&file)?)
    }

    /// Every agent with these settings; unsubscribe links point at `<base_url>/unsubscribe`
    /// unless `[links] unsubscribe_url` says otherwise. Text comes from the templates.
    pub fn agents(&self, base_url: &str) -> Vec<Arc<dyn Agent>> {
        let mut outreach = self.outreach.clone();
        if self.links.unsubscribe_url.is_none() {
            outreach.unsubscribe_url = format!("{base_url}/unsubscribe");
        }
        vec![
            Arc::new(lead_generation::LeadGeneration::new(
                self.lead_generation.clone(),
            )),
            Arc::new(sales_director::SalesDirector::new(self.sales.clone())),
            Arc::new(outreach::Outreach::new(
                outreach,
                Arc::new(ascent_core::writer::TemplateWriter),
            )),
            Arc::new(demo_scheduling::DemoScheduling::new(
                self.demo_scheduling.clone(),
            )),
            Arc::new(closing::Closing::new(self.closing.clone())),
            Arc::new(billing::Billing::new(self.billing.clone())),
            Arc::new(expense_management::ExpenseManagement::new(
                self.expenses.clone(),
            )),
            Arc::new(finance_controller::FinanceController::new(
                self.finance.clone(),
            )),
            Arc::new(customer_success_director::CustomerSuccessDirector::new(
                self.customer_success.clone(),
            )),
            Arc::new(onboarding::Onboarding::new(self.onboarding.clone())),
            Arc::new(training::Training::new(self.training.clone())),
            Arc::new(
                support::Support::new(self.support.clone())
                    .expect("the time zone was validated with the file"),
            ),
            Arc::new(retention::Retention::new(self.retention.clone())),
            Arc::new(marketing_analytics::MarketingAnalytics::new(
                self.marketing_analytics.clone(),
            )),
            Arc::new(marketing_orchestrator::MarketingOrchestrator::new(
                self.marketing_orchestrator.clone(),
            )),
            Arc::new(content_marketing::ContentMarketing::new(
                self.content_marketing.clone(),
                Arc::new(ascent_core::writer::TemplateWriter),
            )),
            Arc::new(seo::Seo::new(self.seo.clone())),
            Arc::new(email_marketing::EmailMarketing::new(
                self.email_marketing.at_host(&self.links, base_url),
            )),
            Arc::new(social_media::SocialMedia::new(self.social_media.clone())),
            Arc::new(process_automation::ProcessAutomation::new(
                self.process_automation.clone(),
            )),
            Arc::new(operations_manager::OperationsManager::new(
                self.operations_manager.clone(),
            )),
            Arc::new(operations_analytics::OperationsAnalytics::new(
                self.operations_analytics.clone(),
            )),
            Arc::new(crm_management::CrmManagement::new(
                self.crm_management.clone(),
            )),
            Arc::new(reporting::Reporting::new(self.reporting.clone())),
        ]
    }
}

#[cfg(test)]
mod tests;
