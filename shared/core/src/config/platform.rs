//! The sections of `ascent.toml` that several agents or the hosts read: the company, mail,
//! links, the schedule, currency, approvals, plans and the sales team. Each agent's own section is typed in
//! its crate.

use super::rules::{
    check_currency, check_email, check_hhmm, check_non_negative, check_time_zone, parse_hhmm,
};
use super::{ConfigError, ConfigFile, Invalid, Validate};
use crate::approval::{ApprovalPolicy, Reader, Readers};
use crate::money::FxRates;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `[company]`: who sends the mail and pages.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Company {
    pub name: String,
    /// One line about the company, for the text writer's prompt.
    pub pitch: String,
    /// The sender's postal address, in every marketing email (CAN-SPAM).
    pub postal_address: String,
    /// IANA time zone of the company's books: business dates (invoice, credit note, payment
    /// and close dates, forecast quarters) are days in this zone, not in UTC.
    #[serde(default = "utc_zone")]
    pub time_zone: String,
}

fn utc_zone() -> String {
    "UTC".into()
}

impl Company {
    /// The company's time zone (validated with the file).
    pub fn zone(&self) -> chrono_tz::Tz {
        self.time_zone.parse().unwrap_or(chrono_tz::UTC)
    }

    /// The business date of an instant: the day it is in the company's time zone (a deal won
    /// at 17:00 Pacific on 31 March is a March deal, though it is 1 April in UTC).
    pub fn business_date(&self, at: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDate {
        business_date_in(&self.time_zone, at)
    }
}

/// The day `at` falls on in the IANA time zone `zone` (validated with the file; UTC if not a
/// zone): [`Company::business_date`] for an agent that keeps only the zone's name.
pub fn business_date_in(zone: &str, at: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDate {
    let zone: chrono_tz::Tz = zone.parse().unwrap_or(chrono_tz::UTC);
    at.with_timezone(&zone).date_naive()
}

impl Validate for Company {
    fn validate(&self) -> Result<(), Invalid> {
        check_time_zone("time_zone", &self.time_zone)?;
        for (key, v) in [("name", &self.name), ("pitch", &self.pitch)] {
            if v.trim().is_empty() {
                return Err(Invalid::new(key, "may not be empty"));
            }
        }
        let a = &self.postal_address;
        if a.trim().is_empty() || a.contains('\n') || a.len() > 200 {
            return Err(Invalid::new(
                "postal_address",
                "must be one non-empty line of at most 200 characters",
            ));
        }
        Ok(())
    }
}

/// `[mail]`: the sender of every mail the agents and approvals send.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    pub from: String,
}

impl Validate for MailSettings {
    fn validate(&self) -> Result<(), Invalid> {
        check_email("from", &self.from)
    }
}

/// `[links]`: where links in mails point; absent keys follow the host (the twin's address,
/// the approval API's URL on AWS).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Links {
    /// Base of the unsubscribe links (`<url>/<token>`); absent: `<base>/unsubscribe`.
    #[serde(default)]
    pub unsubscribe_url: Option<String>,
}

impl Validate for Links {
    fn validate(&self) -> Result<(), Invalid> {
        if let Some(u) = &self.unsubscribe_url {
            let ok = (u.starts_with("https://") || u.starts_with("http://")) && !u.contains('?');
            if !ok {
                return Err(Invalid::new(
                    "unsubscribe_url",
                    "must be an absolute http(s) URL without a query",
                ));
            }
        }
        Ok(())
    }
}

/// `[schedule]`: when the daily schedule fires (dunning, reminders, outreach steps, the month
/// close, …). A deploy-time setting on AWS: `ascent infra` writes it into the EventBridge
/// Scheduler's cron, so a change needs the template regenerated and deployed; the twin reads it
/// at start.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// Time of day (UTC, `HH:MM`) of the daily run.
    pub daily_at: String,
    /// Minutes between two runs of the SLA check (schedule `sla`): a divisor of 60, so the
    /// runs fall on the same minutes every hour.
    #[serde(default = "five_minutes")]
    pub sla_check_minutes: u32,
    /// Minutes of one window of the queue observations (`QueueDepthObserved` per agent at each
    /// window's end: depth, arrivals, handled, mean handling time): a divisor of 60, so the
    /// windows start on the hour.
    #[serde(default = "sixty_minutes")]
    pub queue_observation_minutes: u32,
}

fn five_minutes() -> u32 {
    5
}

fn sixty_minutes() -> u32 {
    60
}

impl Schedule {
    /// The daily run's time of day, UTC.
    pub fn daily_time(&self) -> chrono::NaiveTime {
        parse_hhmm("daily_at", &self.daily_at).expect("validated with the file")
    }

    /// The EventBridge Scheduler expression of the SLA check (`cron(0/5 * * * ? *)`: on the
    /// same minutes as the twin's).
    pub fn sla_cron(&self) -> String {
        format!("cron(0/{} * * * ? *)", self.sla_check_minutes)
    }

    /// The start of the SLA check's slot `at` falls in (the twin fires one tick per slot).
    pub fn sla_slot(&self, at: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
        let step = i64::from(self.sla_check_minutes.max(1)) * 60;
        let secs = at.timestamp();
        chrono::DateTime::from_timestamp(secs - secs.rem_euclid(step), 0).unwrap_or(at)
    }

    /// The EventBridge Scheduler expression of the queue observations (`cron(0 * * * ? *)`
    /// hourly, `cron(0/15 * * * ? *)` every 15 minutes: the twin's window ends).
    pub fn queue_observation_cron(&self) -> String {
        match self.queue_observation_minutes {
            60 => "cron(0 * * * ? *)".into(),
            m => format!("cron(0/{m} * * * ? *)"),
        }
    }

    /// The EventBridge Scheduler expression of the daily run (`cron(0 6 * * ? *)`, UTC).
    pub fn daily_cron(&self) -> String {
        use chrono::Timelike;
        let t = self.daily_time();
        format!("cron({} {} * * ? *)", t.minute(), t.hour())
    }
}

impl Validate for Schedule {
    fn validate(&self) -> Result<(), Invalid> {
        check_hhmm("daily_at", &self.daily_at)?;
        if !(1..=60).contains(&self.sla_check_minutes) || 60 % self.sla_check_minutes != 0 {
            return Err(Invalid::new(
                "sla_check_minutes",
                "a divisor of 60 (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60)",
            ));
        }
        let q = self.queue_observation_minutes;
        if !(1..=60).contains(&q) || 60 % q != 0 {
            return Err(Invalid::new(
                "queue_observation_minutes",
                "a divisor of 60 (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60)",
            ));
        }
        Ok(())
    }
}

/// `[currency]`: the base currency, the accepted currencies with today's rates, and the
/// rates of earlier dates (a conversion uses the rates of the transaction's date).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Currency {
    pub base: String,
    /// Today's rates: base-currency micro-units per unit of each accepted currency. A
    /// currency is accepted when it has a rate here.
    pub rates_ppm: BTreeMap<String, i64>,
    /// The first business date of `rates_ppm` (`YYYY-MM-DD`); required with `history`.
    #[serde(default)]
    pub rates_from: Option<String>,
    /// Earlier rates, each in effect from its date until the next (or `rates_from`).
    #[serde(default)]
    pub history: Vec<DatedRates>,
}

/// `[[currency.history]]`: the rates in effect from `from`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatedRates {
    /// The first business date of these rates (`YYYY-MM-DD`).
    pub from: String,
    /// Base-currency micro-units per unit.
    pub rates_ppm: BTreeMap<String, i64>,
}

fn parse_date(path: &str, text: &str) -> Result<chrono::NaiveDate, Invalid> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| Invalid::new(path, format!("`{text}` is not a date (YYYY-MM-DD)")))
}

impl Currency {
    /// The rates as the agents use them (dates parsed; call after [`Validate::validate`]).
    pub fn fx(&self) -> FxRates {
        let date = |t: &str| chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d").ok();
        FxRates {
            base: self.base.clone(),
            ppm: self.rates_ppm.clone(),
            dated: self
                .history
                .iter()
                .filter_map(|h| Some((date(&h.from)?, h.rates_ppm.clone())))
                .collect(),
            from: self.rates_from.as_deref().and_then(date),
        }
    }

    /// Refuses a currency that is not accepted (no rate in `rates_ppm`).
    pub fn check_accepted(&self, path: &str, code: &str) -> Result<(), Invalid> {
        self.fx()
            .check_accepted(code)
            .map_err(|e| Invalid::new(path, e.to_string()))
    }
}

fn check_rates(path: &str, rates: &BTreeMap<String, i64>, base: &str) -> Result<(), Invalid> {
    for (code, rate) in rates {
        let at = format!("{path}.{code}");
        check_currency(&at, code)?;
        if crate::money::minor_unit_exponent(code).is_none() {
            return Err(Invalid::new(
                at,
                format!("`{code}` is not an active ISO 4217 currency"),
            ));
        }
        if *rate <= 0 {
            return Err(Invalid::new(at, format!("{rate} is not a positive rate")));
        }
    }
    match rates.get(base) {
        Some(1_000_000) => Ok(()),
        _ => Err(Invalid::new(
            format!("{path}.{base}"),
            "the base currency must be listed at 1_000_000",
        )),
    }
}

impl Validate for Currency {
    fn validate(&self) -> Result<(), Invalid> {
        check_currency("base", &self.base)?;
        check_rates("rates_ppm", &self.rates_ppm, &self.base)?;
        let from = match &self.rates_from {
            Some(t) => Some(parse_date("rates_from", t)?),
            None if !self.history.is_empty() => {
                return Err(Invalid::new(
                    "rates_from",
                    "needed with [[currency.history]]: the date today's rates start",
                ));
            }
            None => None,
        };
        let mut previous: Option<chrono::NaiveDate> = None;
        for (i, h) in self.history.iter().enumerate() {
            let d = parse_date(&format!("history[{i}].from"), &h.from)?;
            check_rates(&format!("history[{i}].rates_ppm"), &h.rates_ppm, &self.base)?;
            if previous.is_some_and(|p| d <= p) || from.is_some_and(|f| d >= f) {
                return Err(Invalid::new(
                    format!("history[{i}].from"),
                    format!("{d} is out of order: dates rise through the history to rates_from"),
                ));
            }
            previous = Some(d);
        }
        Ok(())
    }
}

/// `[approvals]`: approver chains per role, their authority, and the shared amounts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Approvals {
    /// Time each approver has before the request moves on, in hours.
    pub step_timeout_hours: i64,
    /// Above this amount (minor units) two distinct people must approve; absent: never.
    #[serde(default)]
    pub two_person_above_minor: Option<i64>,
    /// Authority of an approver not listed in `authority` (a line manager), minor units.
    pub manager_limit_minor: i64,
    /// role → its chain.
    pub roles: BTreeMap<String, Role>,
    /// Who may approve how much, by kind of decision (the delegation-of-authority matrix):
    /// each approval goes first to an approver whose limit covers it; the Finance
    /// Controller's SOX control checks the same limits after the fact.
    #[serde(default)]
    pub authority: Vec<Authority>,
    /// Kind of decision → the role whose chain is added when the requested role's chain has
    /// too few approvers with authority for the amount (the higher authority).
    #[serde(default)]
    pub escalation: BTreeMap<String, String>,
    /// The locale the approval pages and emails write amounts and times in (`en-US`,
    /// `en-GB`, `de-DE`, …) for an approver not in `people`.
    #[serde(default = "us_english")]
    pub locale: String,
    /// The IANA time zone deadlines and decisions are shown in for an approver not in
    /// `people`; absent: `[company] time_zone`.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Approvers who read amounts and times in another locale or time zone.
    #[serde(default)]
    pub people: Vec<ApproverReader>,
}

fn us_english() -> String {
    "en-US".into()
}

/// `[[approvals.people]]`: one approver's locale and time zone; an absent one is the
/// default's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApproverReader {
    pub person: String,
    #[serde(default)]
    pub locale: Option<String>,
    #[serde(default)]
    pub time_zone: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    /// Approvers in escalation order.
    pub approvers: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Authority {
    pub person: String,
    /// Largest amount this person may approve, base minor units; absent: no limit.
    #[serde(default)]
    pub limit_minor: Option<i64>,
    /// Per kind of decision (`discount`, `credit_note`, `refund`, `expense`, …), a limit that
    /// replaces `limit_minor` for that kind.
    #[serde(default)]
    pub limits_minor: BTreeMap<String, i64>,
}

impl Authority {
    /// This person's limit for `kind`, base minor units; `None`: no limit.
    pub fn limit_for(&self, kind: &str) -> Option<i64> {
        self.limits_minor.get(kind).copied().or(self.limit_minor)
    }
}

impl Approvals {
    /// How each approver reads amounts and times; `company_zone` (`[company] time_zone`) is
    /// the zone of everyone when `time_zone` is absent.
    pub fn readers(&self, company_zone: &str) -> Readers {
        let default = Reader::new(
            &self.locale,
            self.time_zone.as_deref().unwrap_or(company_zone),
        );
        let people = self
            .people
            .iter()
            .map(|p| {
                let reader = Reader::new(
                    p.locale.as_deref().unwrap_or(&default.locale),
                    p.time_zone.as_deref().unwrap_or(&default.time_zone),
                );
                (p.person.trim().to_ascii_lowercase(), reader)
            })
            .collect();
        Readers { default, people }
    }

    /// The policy the hosts open approvals with; `fx` values foreign amounts in the base
    /// currency for the authority limits; `company_zone` as in [`Approvals::readers`].
    pub fn policy(&self, fx: FxRates, company_zone: &str) -> ApprovalPolicy {
        ApprovalPolicy {
            readers: self.readers(company_zone),
            chains: self
                .roles
                .iter()
                .map(|(role, r)| (role.clone(), r.approvers.clone()))
                .collect(),
            step_timeout_hours: self.step_timeout_hours,
            two_person_above_minor: self.two_person_above_minor,
            authority: self.authority.clone(),
            manager_limit_minor: Some(self.manager_limit_minor),
            escalation: self.escalation.clone(),
            fx: Some(fx),
        }
    }

    /// Refuses an approver role (named by an agent's setting at `path`) that has no chain.
    pub fn check_role(&self, path: &str, role: &str) -> Result<(), Invalid> {
        if self.roles.contains_key(role) {
            return Ok(());
        }
        Err(Invalid::new(
            path,
            format!(
                "role `{role}` has no chain in [approvals.roles] (known: {})",
                self.roles.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        ))
    }
}

impl Validate for Approvals {
    fn validate(&self) -> Result<(), Invalid> {
        if !(1..=8760).contains(&self.step_timeout_hours) {
            return Err(Invalid::new(
                "step_timeout_hours",
                format!("{} is outside 1 … 8760", self.step_timeout_hours),
            ));
        }
        if let Some(v) = self.two_person_above_minor {
            check_non_negative("two_person_above_minor", v)?;
        }
        check_non_negative("manager_limit_minor", self.manager_limit_minor)?;
        if self.roles.is_empty() {
            return Err(Invalid::new("roles", "at least one role is needed"));
        }
        for (role, r) in &self.roles {
            let path = format!("roles.{role}.approvers");
            let ok = role.starts_with(|c: char| c.is_ascii_lowercase())
                && role
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !ok {
                return Err(Invalid::new(
                    format!("roles.{role}"),
                    "a role is lower-case letters, digits and `-`",
                ));
            }
            if r.approvers.is_empty() {
                return Err(Invalid::new(path, "a chain needs at least one approver"));
            }
            for (i, a) in r.approvers.iter().enumerate() {
                check_email(&format!("{path}[{i}]"), a)?;
                if r.approvers[..i].iter().any(|b| b.eq_ignore_ascii_case(a)) {
                    return Err(Invalid::new(format!("{path}[{i}]"), "listed twice"));
                }
            }
        }
        for (i, a) in self.authority.iter().enumerate() {
            check_email(&format!("authority[{i}].person"), &a.person)?;
            if let Some(l) = a.limit_minor {
                check_non_negative(&format!("authority[{i}].limit_minor"), l)?;
            }
            for (kind, l) in &a.limits_minor {
                check_non_negative(&format!("authority[{i}].limits_minor.{kind}"), *l)?;
            }
        }
        check_locale("locale", &self.locale)?;
        if let Some(z) = &self.time_zone {
            check_time_zone("time_zone", z)?;
        }
        for (i, p) in self.people.iter().enumerate() {
            check_email(&format!("people[{i}].person"), &p.person)?;
            if self.people[..i]
                .iter()
                .any(|q| q.person.trim().eq_ignore_ascii_case(p.person.trim()))
            {
                return Err(Invalid::new(format!("people[{i}].person"), "listed twice"));
            }
            if let Some(l) = &p.locale {
                check_locale(&format!("people[{i}].locale"), l)?;
            }
            if let Some(z) = &p.time_zone {
                check_time_zone(&format!("people[{i}].time_zone"), z)?;
            }
        }
        for (kind, role) in &self.escalation {
            if !self.roles.contains_key(role) {
                return Err(Invalid::new(
                    format!("escalation.{kind}"),
                    format!("role `{role}` has no chain in [approvals.roles]"),
                ));
            }
        }
        Ok(())
    }
}

/// Refuses a locale the approval pages cannot write, naming those they can.
fn check_locale(key: &str, tag: &str) -> Result<(), Invalid> {
    match crate::approval::locale_format(tag) {
        Some(_) => Ok(()),
        None => Err(Invalid::new(
            key,
            format!(
                "`{tag}` is not a locale the approval pages write (known: {})",
                crate::approval::locale_tags()
            ),
        )),
    }
}

/// `[plans]`: what each plan tier means to onboarding, account health and support.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plans {
    /// Success manager of an account whose plan is not listed.
    pub fallback_success_manager: String,
    pub tiers: BTreeMap<String, Plan>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Days after sign-up each onboarding milestone is due (account set up, first session,
    /// team invited, first project published).
    pub onboarding_due_days: [i64; 4],
    pub success_manager: String,
    /// Support raises a ticket's priority one step for this plan.
    #[serde(default)]
    pub support_priority_boost: bool,
}

impl Plans {
    /// The success manager of `plan` (the fallback for a plan not listed).
    pub fn success_manager(&self, plan: &str) -> &str {
        self.tiers
            .get(plan)
            .map_or(&self.fallback_success_manager, |p| &p.success_manager)
    }
}

impl Validate for Plans {
    fn validate(&self) -> Result<(), Invalid> {
        check_email("fallback_success_manager", &self.fallback_success_manager)?;
        for (tier, p) in &self.tiers {
            let path = format!("tiers.{tier}");
            check_email(&format!("{path}.success_manager"), &p.success_manager)?;
            let days = &p.onboarding_due_days;
            if days[0] < 0 || days.windows(2).any(|w| w[0] > w[1]) {
                return Err(Invalid::new(
                    format!("{path}.onboarding_due_days"),
                    "days must be 0 or more and never decrease",
                ));
            }
        }
        Ok(())
    }
}

/// `[sales_team]`: the reps, their territories, capacity, quota and working hours.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SalesTeam {
    pub reps: Vec<SalesRep>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SalesRep {
    pub email: String,
    /// The team Lead Generation routes leads to (`sales-emea`).
    pub territory: String,
    /// Relative share of new leads; 0 = none.
    pub capacity: u32,
    /// Quarterly quota, base-currency minor units.
    pub quarterly_quota_minor: i64,
    pub time_zone: String,
    /// Working hours, `["HH:MM", "HH:MM"]` in `time_zone`.
    pub working_hours: [String; 2],
}

impl Validate for SalesTeam {
    fn validate(&self) -> Result<(), Invalid> {
        for (i, r) in self.reps.iter().enumerate() {
            let path = format!("reps[{i}]");
            check_email(&format!("{path}.email"), &r.email)?;
            if self.reps[..i]
                .iter()
                .any(|o| o.email.eq_ignore_ascii_case(&r.email))
            {
                return Err(Invalid::new(format!("{path}.email"), "listed twice"));
            }
            if r.territory.trim().is_empty() {
                return Err(Invalid::new(
                    format!("{path}.territory"),
                    "may not be empty",
                ));
            }
            check_non_negative(
                &format!("{path}.quarterly_quota_minor"),
                r.quarterly_quota_minor,
            )?;
            check_time_zone(&format!("{path}.time_zone"), &r.time_zone)?;
            check_hours(&format!("{path}.working_hours"), &r.working_hours)?;
        }
        Ok(())
    }
}

/// Two `HH:MM` times, the first before the second.
pub fn check_hours(path: &str, hours: &[String; 2]) -> Result<(), Invalid> {
    check_hhmm(&format!("{path}[0]"), &hours[0])?;
    check_hhmm(&format!("{path}[1]"), &hours[1])?;
    if hours[0] >= hours[1] {
        return Err(Invalid::new(path, "the start must come before the end"));
    }
    Ok(())
}

/// The sections every host reads: approvals, mail and data retention.
#[derive(Clone, Debug)]
pub struct HostSettings {
    pub approvals: Approvals,
    /// `[company] time_zone`: approvers read times in it unless `[approvals]` says otherwise.
    pub company_time_zone: String,
    pub mail: MailSettings,
    pub currency: Currency,
    /// `[data_retention]` (the shipped one when the file has none).
    pub retention: crate::retention::DataRetention,
}

impl HostSettings {
    pub fn from_file(file: &ConfigFile) -> Result<Self, ConfigError> {
        Ok(Self {
            approvals: file.section("approvals")?,
            company_time_zone: file.section::<Company>("company")?.time_zone,
            mail: file.section("mail")?,
            currency: file.section("currency")?,
            retention: crate::retention::DataRetention::from_file(file)?,
        })
    }

    /// The approval policy, amounts valued with `[currency]`.
    pub fn policy(&self) -> ApprovalPolicy {
        self.approvals
            .policy(self.currency.fx(), &self.company_time_zone)
    }
}

#[cfg(test)]
mod schedule_tests {
    use super::*;

    fn schedule(daily_at: &str) -> Result<Schedule, ConfigError> {
        let text = ConfigFile::shipped().text().replace(
            "daily_at = \"06:00\"",
            &format!("daily_at = \"{daily_at}\""),
        );
        ConfigFile::parse("x.toml", text)?.section("schedule")
    }

    #[test]
    fn the_shipped_daily_run_is_at_six_utc() {
        let s = schedule("06:00").unwrap();
        assert_eq!(s.daily_time().to_string(), "06:00:00");
        assert_eq!(s.daily_cron(), "cron(0 6 * * ? *)");
    }

    #[test]
    fn another_time_gives_another_cron() {
        assert_eq!(
            schedule("23:45").unwrap().daily_cron(),
            "cron(45 23 * * ? *)"
        );
    }

    #[test]
    fn queue_observation_windows_divide_the_hour() {
        let shipped = schedule("06:00").unwrap();
        assert_eq!(shipped.queue_observation_minutes, 60);
        assert_eq!(shipped.queue_observation_cron(), "cron(0 * * * ? *)");
        let with = |m: &str| {
            // The shipped line, or after the SLA check's where a file leaves it out.
            let shipped = ConfigFile::shipped().text().to_string();
            let text = if shipped.contains("queue_observation_minutes = 60") {
                shipped.replace(
                    "queue_observation_minutes = 60",
                    &format!("queue_observation_minutes = {m}"),
                )
            } else {
                shipped.replace(
                    "sla_check_minutes = 5\n",
                    &format!("sla_check_minutes = 5\nqueue_observation_minutes = {m}\n"),
                )
            };
            ConfigFile::parse("x.toml", text)?.section::<Schedule>("schedule")
        };
        assert_eq!(
            with("15").unwrap().queue_observation_cron(),
            "cron(0/15 * * * ? *)"
        );
        let e = with("45").unwrap_err();
        assert_eq!(e.path, "schedule.queue_observation_minutes");
        assert!(with("0").is_err());
    }

    #[test]
    fn a_bad_time_is_refused_with_its_key_and_line() {
        let e = schedule("6 am").unwrap_err();
        assert_eq!(e.path, "schedule.daily_at");
        assert!(e.line.is_some());
        assert!(schedule("24:00").is_err());
    }
}
