//! Call tasks: whether a lead may be called and in which window, and the record of each task
//! given out (`call-task#<number>`), which the per-number frequency cap counts. The decision
//! itself is [`CallPolicy::next_window`] (pure); this module gathers what it needs — consent
//! and its kind, the company's do-not-call list, the National Do Not Call Registry scrub, the
//! number's area code, the calls already given out — and reads `[outreach.calls]`.

use crate::{Contact, Outreach, stamp};
use ascent_core::catalog::CallConsentKind;
use ascent_core::compliance::area_codes;
use ascent_core::compliance::calls::{CallPolicy, CallWindow, Callee, StateRule};
use ascent_core::compliance::dnc_registry::{self, Scrub};
use ascent_core::compliance::{self, CallHours, normalise_phone};
use ascent_core::config::platform::check_hours;
use ascent_core::config::{Invalid, check_in_range, check_time_zone, parse_hhmm};
use ascent_core::ports::{Condition, Query, SortKey};
use ascent_core::{AgentError, Ctx, Domain};
use chrono::{DateTime, Duration, NaiveDate, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Partition key of a number's call tasks (sort key `<window start>#<lead id>`).
pub fn call_task_pk(phone: &str) -> String {
    format!("call-task#{}", normalise_phone(phone))
}

/// A call task given to a rep.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallTask {
    pub lead_id: String,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
}

/// Outreach's call rules, read from `[outreach.calls]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CallSettings {
    pub policy: CallPolicy,
    /// Country → its one IANA zone, for a lead that gave a country but no zone.
    pub country_time_zones: BTreeMap<String, String>,
    /// The weakest consent a call needs.
    pub required_consent: CallConsentKind,
    /// Countries whose numbers are scrubbed against the imported national registry.
    pub registry_countries: Vec<String>,
    /// The oldest registry extract a scrub may rely on, in days.
    pub max_extract_age_days: i64,
}

impl Outreach {
    /// When a call to `c` may happen, and the zone to show it in; or why it may not.
    pub(crate) async fn call_window(
        &self,
        ctx: &mut Ctx<'_>,
        c: &Contact,
        now: DateTime<Utc>,
    ) -> Result<Result<(CallWindow, Tz), String>, AgentError> {
        let s = &self.config.calls;
        let Some(phone) = c.phone.as_deref().map(normalise_phone) else {
            return Ok(Err("no phone number".into()));
        };
        if compliance::on_do_not_call_list(ctx, &phone).await? {
            return Ok(Err(format!("{phone} is on the do-not-call list")));
        }
        let Some(consent) = compliance::call_consent(ctx, &phone).await? else {
            return Ok(Err(format!("no recorded consent to call {phone}")));
        };
        let Some(kind) = consent.kind else {
            return Ok(Err(format!(
                "the consent recorded for {phone} has no kind (express written or verbal) and \
                 no evidence of one: record it again"
            )));
        };
        if kind < s.required_consent {
            return Ok(Err(format!(
                "the consent to call {phone} is {}; calls need {} consent",
                kind_name(kind),
                kind_name(s.required_consent)
            )));
        }
        let area = area_codes::lookup(&phone);
        let stated_zone = match &c.time_zone {
            Some(z) => z.parse::<Tz>().ok(),
            None => c.country.as_deref().and_then(|country| {
                s.country_time_zones
                    .get(&country.to_ascii_uppercase())
                    .and_then(|z| z.parse::<Tz>().ok())
            }),
        };
        let callee = Callee {
            stated_zone,
            number_zones: area.map(|a| a.zones.clone()).unwrap_or_default(),
            country: area
                .map(|a| a.country.clone())
                .or_else(|| c.country.as_ref().map(|c| c.to_ascii_uppercase())),
            subdivision: area.and_then(|a| {
                a.subdivision
                    .as_ref()
                    .map(|sub| format!("{}-{sub}", a.country))
            }),
        };
        // The registry: a seller with prior express written consent may call a listed number
        // (47 CFR 64.1200(c)(2)(ii)); anyone else scrubs first.
        let scrubbed = callee
            .country
            .as_ref()
            .is_some_and(|country| s.registry_countries.contains(country));
        if scrubbed && kind != CallConsentKind::ExpressWritten {
            match dnc_registry::scrub(ctx, &phone, now.date_naive(), s.max_extract_age_days).await?
            {
                Scrub::Clear => {}
                Scrub::Listed { as_of } => {
                    return Ok(Err(format!(
                        "{phone} is on the National Do Not Call Registry (extract of {as_of})"
                    )));
                }
                Scrub::NotScrubbed(why) => return Ok(Err(why)),
            }
        }
        let q = Query::table(call_task_pk(&phone))
            .sort(SortKey::AtLeast(stamp(now - Duration::hours(24))));
        let calls: Vec<DateTime<Utc>> = ctx
            .query_as::<CallTask>(Domain::Customer, &q)
            .await?
            .into_iter()
            .map(|t| t.window_start)
            .collect();
        Ok(s.policy
            .next_window(now, &callee, &calls)
            .map(|w| (w, callee.display_zone().expect("a window needs a zone"))))
    }

    /// Records a call task given out, for the frequency cap.
    pub(crate) fn record_call_task(
        &self,
        ctx: &mut Ctx<'_>,
        phone: &str,
        lead_id: &str,
        w: CallWindow,
    ) -> Result<(), AgentError> {
        ctx.put_record(
            Domain::Customer,
            &call_task_pk(phone),
            &format!("{}#{lead_id}", stamp(w.start)),
            &CallTask {
                lead_id: lead_id.to_string(),
                window_start: w.start,
                window_end: w.end,
            },
            None,
            Condition::Always,
        )
    }
}

fn kind_name(k: CallConsentKind) -> &'static str {
    match k {
        CallConsentKind::ExpressWritten => "express_written",
        CallConsentKind::Verbal => "verbal",
    }
}

/// `[outreach.calls]` as written in the file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CallsSection {
    /// `["HH:MM", "HH:MM"]` in the recipient's time zone.
    hours: [String; 2],
    /// The days the company calls on (`Mon` .. `Sun`).
    days: Vec<String>,
    max_per_24h: u32,
    skip_public_holidays: bool,
    required_consent: CallConsentKind,
    country_time_zones: BTreeMap<String, String>,
    #[serde(default)]
    holidays: BTreeMap<String, Vec<NaiveDate>>,
    registry: RegistrySection,
    #[serde(default)]
    states: BTreeMap<String, StateSection>,
}

/// `[outreach.calls.registry]`: the national do-not-call registries scrubbed against.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistrySection {
    countries: Vec<String>,
    max_extract_age_days: i64,
}

/// `[outreach.calls.states.<ISO 3166-2>]`: a state's stricter rules.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateSection {
    #[serde(default)]
    hours: Option<[String; 2]>,
    #[serde(default)]
    max_per_24h: Option<u32>,
    #[serde(default)]
    no_sundays: bool,
    #[serde(default)]
    no_holidays: bool,
    /// The state's own legal holidays, beyond its country's.
    #[serde(default)]
    extra_holidays: Vec<NaiveDate>,
    source: String,
}

fn country_code(path: &str, c: &str) -> Result<(), Invalid> {
    if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(Invalid::new(
            path,
            format!("`{c}` is not a country code (two upper-case letters)"),
        ));
    }
    Ok(())
}

fn hours(path: &str, h: &[String; 2]) -> Result<CallHours, Invalid> {
    check_hours(path, h)?;
    Ok(CallHours {
        from: parse_hhmm(&format!("{path}[0]"), &h[0])?,
        until: parse_hhmm(&format!("{path}[1]"), &h[1])?,
    })
}

impl CallsSection {
    /// Validates the section (each refusal names its key, under `calls.`) and builds the rules.
    pub(crate) fn settings(self) -> Result<CallSettings, Invalid> {
        let hours_all = hours("calls.hours", &self.hours)?;
        let mut days = Vec::new();
        for (i, d) in self.days.iter().enumerate() {
            let day: Weekday = d.parse().map_err(|_| {
                Invalid::new(
                    format!("calls.days[{i}]"),
                    format!("`{d}` is not a weekday"),
                )
            })?;
            days.push(day);
        }
        check_in_range("calls.max_per_24h", self.max_per_24h, 1, 24)?;
        for (country, zone) in &self.country_time_zones {
            let path = format!("calls.country_time_zones.{country}");
            country_code(&path, country)?;
            check_time_zone(&path, zone)?;
        }
        for country in self.holidays.keys() {
            country_code(&format!("calls.holidays.{country}"), country)?;
        }
        for (i, country) in self.registry.countries.iter().enumerate() {
            country_code(&format!("calls.registry.countries[{i}]"), country)?;
        }
        check_in_range(
            "calls.registry.max_extract_age_days",
            self.registry.max_extract_age_days,
            1,
            31,
        )?;
        let mut states = BTreeMap::new();
        for (code, s) in self.states {
            let path = format!("calls.states.{code}");
            let (country, sub) = code.split_once('-').unwrap_or(("", ""));
            if country_code(&path, country).is_err()
                || sub.is_empty()
                || !sub
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            {
                return Err(Invalid::new(
                    path,
                    format!("`{code}` is not an ISO 3166-2 code (`US-FL`)"),
                ));
            }
            if let Some(m) = s.max_per_24h {
                check_in_range(&format!("{path}.max_per_24h"), m, 1, 24)?;
            }
            if s.source.trim().is_empty() {
                return Err(Invalid::new(
                    format!("{path}.source"),
                    "name the statute the rule comes from",
                ));
            }
            let state_hours = match &s.hours {
                Some(h) => Some(hours(&format!("{path}.hours"), h)?),
                None => None,
            };
            states.insert(
                code,
                StateRule {
                    hours: state_hours,
                    max_per_24h: s.max_per_24h,
                    no_sundays: s.no_sundays,
                    no_holidays: s.no_holidays,
                    extra_holidays: s.extra_holidays,
                    source: s.source,
                },
            );
        }
        Ok(CallSettings {
            policy: CallPolicy {
                hours: hours_all,
                days,
                max_per_24h: self.max_per_24h,
                holidays: self.holidays,
                skip_public_holidays: self.skip_public_holidays,
                states,
            },
            country_time_zones: self.country_time_zones,
            required_consent: self.required_consent,
            registry_countries: self.registry.countries,
            max_extract_age_days: self.registry.max_extract_age_days,
        })
    }
}

/// docs/compliance.md "Calls" states the shipped rules: the company's hours, days, cap and
/// consent, the registry's countries and age, and every state rule with its source.
#[cfg(test)]
mod docs {
    use crate::OutreachConfig;

    fn section() -> String {
        let page = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../docs/compliance.md"
        ))
        .expect("docs/compliance.md");
        page.split("## Calls")
            .nth(1)
            .expect("a Calls section")
            .split("\n## ")
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn hhmm(h: ascent_core::compliance::CallHours) -> String {
        format!("{}-{}", h.from.format("%H:%M"), h.until.format("%H:%M"))
    }

    #[test]
    fn the_compliance_page_states_the_shipped_call_rules() {
        let s = section();
        let c = OutreachConfig::default().calls;
        let p = &c.policy;
        let has = |text: String| assert!(s.contains(&text), "docs/compliance.md Calls: `{text}`");
        has(format!("`hours` ({})", hhmm(p.hours)));
        let days: Vec<String> = p.days.iter().map(|d| d.to_string()).collect();
        has(format!("`days` ({})", days.join(", ")));
        has(format!("`max_per_24h` ({})", p.max_per_24h));
        has(format!(
            "`required_consent` is `{}`",
            super::kind_name(c.required_consent)
        ));
        has(format!(
            "`max_extract_age_days` ({}",
            c.max_extract_age_days
        ));
        has(format!("countries ({})", c.registry_countries.join(", ")));
        let holidays: Vec<&str> = p.holidays.keys().map(String::as_str).collect();
        has(format!("(`holidays`: {})", holidays.join(", ")));
        for (code, rule) in &p.states {
            let at = s
                .find(&format!("- {code}:"))
                .unwrap_or_else(|| panic!("no line for {code}"));
            let line = &s[at..s[at + 2..].find(" - ").map_or(s.len(), |e| at + 2 + e)];
            if let Some(h) = rule.hours {
                assert!(line.contains(&hhmm(h)), "{code}: hours in `{line}`");
            }
            if let Some(m) = rule.max_per_24h {
                assert!(
                    line.contains(&format!("{m} calls in 24 hours")),
                    "{code}: cap"
                );
            }
            assert_eq!(
                rule.no_sundays,
                line.contains("no Sundays"),
                "{code}: Sundays"
            );
            assert_eq!(
                rule.no_holidays,
                line.contains("no legal holidays"),
                "{code}"
            );
            assert!(
                line.contains(&rule.source),
                "{code}: source `{}`",
                rule.source
            );
        }
    }
}
