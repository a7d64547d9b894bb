//! Customer profiles and the segments marketing mails to: a profile per account, kept from
//! the events Email Marketing hears (`CustomerSignedUp`, `HealthScored`,
//! `OnboardingCompleted`, `AccountChurned`), and segments as rules over a profile's plan,
//! country, seats, health tier and lifecycle stage, written in `[[email_marketing.segments]]`.

use ascent_core::catalog::{CustomerSignedUp, HealthTier};
use ascent_core::config::Invalid;
use serde::{Deserialize, Serialize};

/// Where a customer is in its life with us.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LifecycleStage {
    /// Signed up, onboarding not completed yet.
    Onboarding,
    /// Onboarding completed.
    Active,
    /// Did not renew.
    Churned,
}

/// What Email Marketing keeps about an account (`email-profile#<account>` / `profile`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub account_id: String,
    /// The billing contact, lower-cased.
    pub email: String,
    pub company: String,
    /// Lower-cased plan name.
    pub plan: String,
    pub seats: u32,
    /// ISO 3166-1 alpha-2 country, from the tax region (`US-CA` → `US`).
    pub country: String,
    /// The latest health tier Retention announced.
    #[serde(default)]
    pub tier: Option<HealthTier>,
    pub stage: LifecycleStage,
    /// Secret of the address's unsubscribe link (`email-unsubscribe#<token>`).
    pub unsubscribe_token: String,
    pub version: u32,
}

impl Profile {
    /// A new customer's profile.
    pub fn of_signup(c: &CustomerSignedUp, unsubscribe_token: String) -> Self {
        let country = c
            .tax_region
            .split('-')
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        Self {
            account_id: c.account_id.clone(),
            email: ascent_core::compliance::normalise_email(&c.billing_email),
            company: c.company.clone(),
            plan: c.plan.trim().to_ascii_lowercase(),
            seats: c.seats,
            country,
            tier: None,
            stage: LifecycleStage::Onboarding,
            unsubscribe_token,
            version: 0,
        }
    }

    /// The facts a template may use.
    pub fn facts(&self) -> std::collections::BTreeMap<String, String> {
        [
            ("company", self.company.clone()),
            ("plan", self.plan.clone()),
            ("seats", self.seats.to_string()),
            ("country", self.country.clone()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }
}

/// A segment: the profiles every rule admits. An empty list admits any value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Segment {
    pub name: String,
    #[serde(default)]
    pub plans: Vec<String>,
    #[serde(default)]
    pub countries: Vec<String>,
    #[serde(default)]
    pub min_seats: Option<u32>,
    #[serde(default)]
    pub max_seats: Option<u32>,
    #[serde(default)]
    pub tiers: Vec<HealthTier>,
    /// Lifecycle stages admitted; required (a churned customer is only mailed by a segment
    /// that names `churned`).
    pub stages: Vec<LifecycleStage>,
}

impl Segment {
    /// Whether the profile belongs to the segment.
    pub fn admits(&self, p: &Profile) -> bool {
        (self.plans.is_empty() || self.plans.iter().any(|x| x.eq_ignore_ascii_case(&p.plan)))
            && (self.countries.is_empty()
                || self
                    .countries
                    .iter()
                    .any(|x| x.eq_ignore_ascii_case(&p.country)))
            && self.min_seats.is_none_or(|m| p.seats >= m)
            && self.max_seats.is_none_or(|m| p.seats <= m)
            && (self.tiers.is_empty() || p.tier.is_some_and(|t| self.tiers.contains(&t)))
            && self.stages.contains(&p.stage)
    }

    /// The rules' own consistency; `path` is the segment's key path.
    pub fn check(&self, path: &str) -> Result<(), Invalid> {
        let ok_name = !self.name.is_empty()
            && self
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !ok_name {
            return Err(Invalid::new(
                format!("{path}.name"),
                format!(
                    "`{}` is not a name of lower-case letters, digits and `-`",
                    self.name
                ),
            ));
        }
        for (i, c) in self.countries.iter().enumerate() {
            if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(Invalid::new(
                    format!("{path}.countries[{i}]"),
                    format!("`{c}` is not an ISO 3166-1 alpha-2 code"),
                ));
            }
        }
        if let (Some(lo), Some(hi)) = (self.min_seats, self.max_seats)
            && lo > hi
        {
            return Err(Invalid::new(
                format!("{path}.max_seats"),
                format!("{hi} is below min_seats {lo}"),
            ));
        }
        if self.stages.is_empty() {
            return Err(Invalid::new(
                format!("{path}.stages"),
                "name at least one lifecycle stage",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(plan: &str, country: &str, seats: u32) -> Profile {
        Profile {
            account_id: "A1".into(),
            email: "ap@boreal-aero.example".into(),
            company: "Boreal Aero".into(),
            plan: plan.into(),
            seats,
            country: country.into(),
            tier: Some(HealthTier::Healthy),
            stage: LifecycleStage::Active,
            unsubscribe_token: "00".into(),
            version: 0,
        }
    }

    fn segment() -> Segment {
        Segment {
            name: "enterprise-us".into(),
            plans: vec!["enterprise".into()],
            countries: vec!["US".into()],
            min_seats: Some(50),
            max_seats: None,
            tiers: vec![],
            stages: vec![LifecycleStage::Onboarding, LifecycleStage::Active],
        }
    }

    #[test]
    fn a_profile_belongs_to_a_segment_only_when_every_rule_admits_it() {
        let s = segment();
        assert!(s.admits(&profile("enterprise", "US", 50)));
        assert!(s.admits(&profile("Enterprise", "US", 400)));
        assert!(!s.admits(&profile("enterprise", "US", 49)), "seats");
        assert!(!s.admits(&profile("team", "US", 80)), "plan");
        assert!(!s.admits(&profile("enterprise", "DE", 80)), "country");
        let mut churned = profile("enterprise", "US", 80);
        churned.stage = LifecycleStage::Churned;
        assert!(!s.admits(&churned), "stage");
        let at_risk = Segment {
            tiers: vec![HealthTier::Watch, HealthTier::AtRisk],
            ..s.clone()
        };
        assert!(!at_risk.admits(&profile("enterprise", "US", 80)), "healthy");
        let mut unscored = profile("enterprise", "US", 80);
        unscored.tier = None;
        assert!(!at_risk.admits(&unscored), "a tier rule needs a known tier");
    }

    #[test]
    fn a_sign_up_makes_an_onboarding_profile_keyed_by_its_lower_cased_contact() {
        let c = CustomerSignedUp {
            account_id: "A00042".into(),
            company: "Boreal Aero".into(),
            plan: " Enterprise ".into(),
            seats: 50,
            tax_region: "US-CA".into(),
            billing_email: "AP@Boreal-Aero.example".into(),
            payment_terms_days: 30,
            currency: "USD".into(),
            tax_locality: None,
            vat_id: None,
            tax_exemption_id: None,
        };
        let p = Profile::of_signup(&c, "ab".into());
        assert_eq!(
            (p.email.as_str(), p.plan.as_str(), p.country.as_str()),
            ("ap@boreal-aero.example", "enterprise", "US")
        );
        assert_eq!(p.stage, LifecycleStage::Onboarding);
        assert_eq!(p.facts()["seats"], "50");
    }

    #[test]
    fn inconsistent_rules_are_refused_by_key() {
        let mut s = segment();
        s.countries = vec!["usa".into()];
        assert_eq!(
            s.check("segments[0]").unwrap_err().path,
            "segments[0].countries[0]"
        );
        let mut s = segment();
        s.max_seats = Some(10);
        assert_eq!(
            s.check("segments[0]").unwrap_err().path,
            "segments[0].max_seats"
        );
        let mut s = segment();
        s.stages.clear();
        assert_eq!(
            s.check("segments[0]").unwrap_err().path,
            "segments[0].stages"
        );
        let mut s = segment();
        s.name = "Enterprise US".into();
        assert_eq!(s.check("segments[0]").unwrap_err().path, "segments[0].name");
    }
}
