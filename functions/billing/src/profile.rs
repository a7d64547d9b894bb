//! Billing profiles: the billing details of an account, kept from its sign-up (company, tax
//! region and locality, VAT id, exemption certificate, billing email, terms, currency).

use crate::Billing;
use ascent_core::agent::{AgentError, Domain};
use ascent_core::catalog::CustomerSignedUp;
use ascent_core::context::Ctx;
use ascent_core::ports::Condition;
use serde::{Deserialize, Serialize};

/// Billing details of an account (`account#<id>` / `billing-profile`, financial domain).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BillingProfile {
    pub account_id: String,
    pub company: String,
    pub tax_region: String,
    pub billing_email: String,
    pub payment_terms_days: u32,
    pub currency: String,
    /// The sign-up's local tax area, VAT id and exemption certificate (see `tax::rules`).
    #[serde(default)]
    pub tax_locality: Option<String>,
    #[serde(default)]
    pub vat_id: Option<String>,
    #[serde(default)]
    pub tax_exemption_id: Option<String>,
}

impl Billing {
    pub(crate) fn on_signup(
        &self,
        ctx: &mut Ctx<'_>,
        c: &CustomerSignedUp,
    ) -> Result<(), AgentError> {
        let profile = BillingProfile {
            account_id: c.account_id.clone(),
            company: c.company.clone(),
            tax_region: c.tax_region.clone(),
            billing_email: c.billing_email.clone(),
            payment_terms_days: c.payment_terms_days,
            currency: c.currency.clone(),
            tax_locality: c.tax_locality.clone(),
            vat_id: c.vat_id.clone(),
            tax_exemption_id: c.tax_exemption_id.clone(),
        };
        ctx.put_record(
            Domain::Financial,
            &format!("account#{}", c.account_id),
            "billing-profile",
            &profile,
            None,
            Condition::Always,
        )
    }

    /// The customer of `account_id` as approval requests name it: the company of its billing
    /// profile, or the id alone when it has none.
    pub(crate) async fn customer(
        &self,
        ctx: &mut Ctx<'_>,
        account_id: &str,
    ) -> Result<ascent_core::approval::Customer, AgentError> {
        let profile: Option<BillingProfile> = ctx
            .get_as(
                Domain::Financial,
                &format!("account#{account_id}"),
                "billing-profile",
            )
            .await?;
        Ok(ascent_core::approval::Customer::new(
            account_id,
            profile.as_ref().map(|p| p.company.as_str()),
        ))
    }
}
