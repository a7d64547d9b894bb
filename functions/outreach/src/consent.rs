//! Whether, and how, a lead may be emailed, as pure decisions over `[outreach.email]`.
//!
//! - **Where the address came from.** A lead whose `LeadCreated.channel` is one of
//!   `inbound_channels` asked us (a form, an event, a referral); any other lead is outbound (a
//!   list, a rep's research).
//! - **The country's rule for outbound email** (`countries`, ISO 3166-1 alpha-2, else
//!   `default_rule`): `consent` — not emailed until consent is recorded (Germany: UWG §7(2)
//!   no. 2, also between businesses; Austria: TKG 2021 §174; Canada: CASL s. 6);
//!   `notice` — legitimate interest (GDPR art. 6(1)(f)) with the art. 14 notice and the
//!   art. 21 right to object in the first email; `opt_out` — CAN-SPAM (15 U.S.C. §7704):
//!   identified as an advertisement, with the postal address and an opt-out.
//! - **The footer says the truth**: why the reader gets the email and where the address came
//!   from, with the unsubscribe link and the postal address.
//! - **Existing customers** (UWG §7(3)): where consent is the rule, a customer whose address
//!   we have from a sale may be emailed about similar products without it, when the sign-up
//!   told them they may object at any time (`existing_customer_exception`) and every email
//!   says so again.
//! - **A reply that asks to stop** (`stop_phrases`, whole words) is an opt-out.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A country's rule for emailing an outbound lead.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailRule {
    Consent,
    Notice,
    OptOut,
}

/// `[outreach.email]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailSettings {
    /// `LeadCreated.channel` values of leads who asked us.
    pub inbound_channels: Vec<String>,
    /// The rule of a country not listed, or of a lead without a country.
    pub default_rule: EmailRule,
    pub countries: BTreeMap<String, EmailRule>,
    /// Words and phrases of a reply that asks to stop (lower-case, matched as whole words).
    pub stop_phrases: Vec<String>,
    /// Whether our sign-up tells customers, clearly, that they may object to marketing email
    /// at any time: then a customer's sale address may be emailed about similar products in a
    /// consent country (UWG §7(3) no. 4; without it, customers need consent like anyone).
    #[serde(default)]
    pub existing_customer_exception: bool,
}

/// What may be sent to a lead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Permission {
    /// Email it, with what the law asks of this email.
    Send(Disclosure),
    /// Not now, and why (shown on the step).
    Hold(String),
}

/// What an email to the lead must carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Disclosure {
    /// The address came from the lead (a form, an event): the footer says they asked.
    pub inbound: bool,
    /// Identified as an advertisement (CAN-SPAM, cold commercial email).
    pub advertisement: bool,
    /// The GDPR art. 14 notice and art. 21 right to object.
    pub gdpr_notice: bool,
    /// The address is a customer's, from a sale: the footer says so, and that they may object
    /// at any time at no cost beyond sending the objection (UWG §7(3) no. 4).
    pub customer: bool,
}

impl EmailSettings {
    pub fn is_inbound(&self, channel: Option<&str>) -> bool {
        channel.is_some_and(|c| self.inbound_channels.iter().any(|i| i == c))
    }

    /// The rule of a country (upper-cased code), or the default.
    pub fn rule(&self, country: Option<&str>) -> EmailRule {
        country
            .and_then(|c| self.countries.get(&c.to_ascii_uppercase()))
            .copied()
            .unwrap_or(self.default_rule)
    }
}

/// Whether a lead from `channel` in `country` may be emailed, `consented` telling whether its
/// consent is recorded and `customer` whether the address is a customer's, from a sale.
pub fn may_email(
    s: &EmailSettings,
    channel: Option<&str>,
    country: Option<&str>,
    consented: bool,
    customer: bool,
) -> Permission {
    let rule = s.rule(country);
    if s.is_inbound(channel) || consented {
        return Permission::Send(Disclosure {
            inbound: s.is_inbound(channel),
            advertisement: false,
            gdpr_notice: rule != EmailRule::OptOut && !consented,
            customer,
        });
    }
    match rule {
        EmailRule::Consent if customer && s.existing_customer_exception => {
            Permission::Send(Disclosure {
                inbound: false,
                advertisement: false,
                gdpr_notice: true,
                customer: true,
            })
        }
        EmailRule::Consent => Permission::Hold(format!(
            "no email consent recorded: outbound leads in {} need prior consent",
            country.unwrap_or("an unknown country")
        )),
        EmailRule::Notice => Permission::Send(Disclosure {
            inbound: false,
            advertisement: false,
            gdpr_notice: true,
            customer,
        }),
        EmailRule::OptOut => Permission::Send(Disclosure {
            inbound: false,
            advertisement: true,
            gdpr_notice: false,
            customer,
        }),
    }
}

/// The footer of a commercial email: why the reader gets it, where the address came from, the
/// notices the disclosure asks for, how to stop, and the sender's postal address.
pub fn footer(
    d: Disclosure,
    company: &str,
    postal_address: &str,
    unsubscribe_link: &str,
) -> String {
    let mut out = String::from("\n\n--\n");
    if d.advertisement {
        out.push_str(&format!("This email is an advertisement from {company}.\n"));
    }
    if d.inbound {
        out.push_str(&format!(
            "You receive this because you asked {company} about XR training.\n"
        ));
    } else if d.customer {
        out.push_str(&format!(
            "You receive this because you are a customer of {company}: we write about products \
             like those you bought from us. You may object to these emails at any time, at no \
             cost other than sending your objection.\n"
        ));
    } else {
        out.push_str(&format!(
            "You receive this because we found your business address in public professional \
             sources; you did not sign up with {company}.\n"
        ));
    }
    if d.gdpr_notice {
        out.push_str(&format!(
            "{company} processes your name, business email and role to offer XR training, on \
             the basis of its legitimate interest (GDPR art. 6(1)(f)). You may object at any \
             time (art. 21): use the link below or reply \"stop\", and we will never write \
             again. You also have the rights of access, rectification and erasure (arts. 15-17) \
             and may complain to your data-protection authority.\n"
        ));
    }
    out.push_str(&format!(
        "To stop these emails: {unsubscribe_link}\n{company}, {postal_address}\n"
    ));
    out
}

/// Whether a reply's text asks to stop: one of the phrases, as whole words.
pub fn asks_to_stop(text: &str, phrases: &[String]) -> bool {
    let words = words_of(text);
    phrases.iter().any(|p| {
        // A phrase is cut into words as the reply is: "opt-out" is "opt out".
        let p = words_of(p);
        !p.is_empty()
            && words
                .windows(p.len())
                .any(|w| w.iter().zip(&p).all(|(a, b)| a == b))
    })
}

/// The lower-cased words of a text (letters, digits and apostrophes).
fn words_of(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Whether a subject pretends to answer or forward an earlier email ("Re:", "Fwd:").
pub fn pretends_a_reply(subject: &str) -> bool {
    let s = subject.trim_start().to_ascii_lowercase();
    ["re:", "re :", "fw:", "fwd:", "aw:", "wg:"]
        .iter()
        .any(|p| s.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> EmailSettings {
        crate::OutreachConfig::default().email
    }

    #[test]
    fn a_german_outbound_lead_waits_for_consent_an_inbound_one_does_not() {
        let s = settings();
        // Issue 23: a German outbound lead was mailed at once (UWG §7(2)).
        assert!(matches!(
            may_email(&s, Some("outbound"), Some("DE"), false, false),
            Permission::Hold(_)
        ));
        assert!(matches!(
            may_email(&s, Some("outbound"), Some("AT"), false, false),
            Permission::Hold(_)
        ));
        // With consent recorded, or when they asked us, they are emailed.
        assert_eq!(
            may_email(&s, Some("outbound"), Some("DE"), true, false),
            Permission::Send(Disclosure {
                inbound: false,
                advertisement: false,
                gdpr_notice: false,
                customer: false
            })
        );
        assert_eq!(
            may_email(&s, Some("web"), Some("DE"), false, false),
            Permission::Send(Disclosure {
                inbound: true,
                advertisement: false,
                gdpr_notice: true,
                customer: false
            })
        );
    }

    /// Issue 23: UWG §7(3), the existing-customer exception, was missing.
    #[test]
    fn a_german_customer_may_be_emailed_when_the_sign_up_told_them_they_may_object() {
        let mut s = settings();
        s.existing_customer_exception = true;
        let customer = Disclosure {
            inbound: false,
            advertisement: false,
            gdpr_notice: true,
            customer: true,
        };
        assert_eq!(
            may_email(&s, Some("outbound"), Some("DE"), false, true),
            Permission::Send(customer)
        );
        // Not a customer: still consent first. Without the notice at sign-up: consent first.
        assert!(matches!(
            may_email(&s, Some("outbound"), Some("DE"), false, false),
            Permission::Hold(_)
        ));
        s.existing_customer_exception = false;
        assert!(matches!(
            may_email(&s, Some("outbound"), Some("DE"), false, true),
            Permission::Hold(_)
        ));
        let f = footer(customer, "Ascent XR", "addr", "link");
        assert!(f.contains("you are a customer of Ascent XR"), "{f}");
        assert!(f.contains("You may object to these emails at any time, at no cost"));
        assert!(!f.contains("public professional sources"));
    }

    #[test]
    fn elsewhere_in_europe_the_first_email_carries_the_notice_in_the_us_the_ad_label() {
        let s = settings();
        assert_eq!(
            may_email(&s, Some("outbound"), Some("FR"), false, false),
            Permission::Send(Disclosure {
                inbound: false,
                advertisement: false,
                gdpr_notice: true,
                customer: false
            })
        );
        assert_eq!(
            may_email(&s, Some("outbound"), Some("US"), false, false),
            Permission::Send(Disclosure {
                inbound: false,
                advertisement: true,
                gdpr_notice: false,
                customer: false
            })
        );
        // A lead with no country gets the default rule (consent: the safe side).
        assert!(matches!(
            may_email(&s, Some("outbound"), None, false, false),
            Permission::Hold(_)
        ));
    }

    #[test]
    fn the_footer_never_claims_an_outbound_lead_asked() {
        let d = Disclosure {
            inbound: false,
            advertisement: true,
            gdpr_notice: false,
            customer: false,
        };
        let f = footer(d, "Ascent XR", "1 Main St, Springfield", "https://u/x/t1");
        // Issue 23: every footer said "you asked Ascent XR", also to outbound leads.
        assert!(!f.contains("you asked"), "{f}");
        assert!(f.contains("This email is an advertisement from Ascent XR."));
        assert!(f.contains("you did not sign up with Ascent XR"));
        assert!(f.contains("To stop these emails: https://u/x/t1\nAscent XR, 1 Main St"));
        let f = footer(
            Disclosure {
                inbound: false,
                advertisement: false,
                gdpr_notice: true,
                customer: false,
            },
            "Ascent XR",
            "addr",
            "link",
        );
        assert!(f.contains("GDPR art. 6(1)(f)") && f.contains("object at any time (art. 21)"));
    }

    #[test]
    fn a_reply_asking_to_stop_is_read_as_whole_words() {
        let s = settings();
        assert!(asks_to_stop("Please unsubscribe me.", &s.stop_phrases));
        assert!(asks_to_stop("STOP", &s.stop_phrases));
        assert!(asks_to_stop(
            "Thanks but remove me from your list",
            &s.stop_phrases
        ));
        assert!(asks_to_stop("We are not interested.", &s.stop_phrases));
        // A hyphenated phrase of the configuration matches the same words in a reply.
        assert!(asks_to_stop(
            "Please opt-out this address",
            &["opt-out".to_string()]
        ));
        assert!(!asks_to_stop(
            "Sounds good, let's talk Tuesday",
            &s.stop_phrases
        ));
        assert!(!asks_to_stop(
            "The bus stops near our office",
            &s.stop_phrases
        ));
    }

    #[test]
    fn a_re_prefix_pretends_a_reply() {
        assert!(pretends_a_reply("Re: Ascent XR and XR training"));
        assert!(pretends_a_reply("  FWD: hello"));
        assert!(!pretends_a_reply("Regarding XR training"));
    }
}

/// docs/compliance.md "Email" states the shipped rules: every configured country under its
/// rule, the inbound channels and the stop phrases.
#[cfg(test)]
mod docs {
    use super::*;

    #[test]
    fn the_compliance_page_states_the_shipped_email_rules() {
        let page = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../docs/compliance.md"
        ))
        .expect("docs/compliance.md");
        let section: String = page
            .split("## Email")
            .nth(1)
            .expect("an Email section")
            .split("\n## ")
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let s = crate::OutreachConfig::default().email;
        let heading = |rule: EmailRule| match rule {
            EmailRule::Consent => "(`consent`):",
            EmailRule::Notice => "(`notice`):",
            EmailRule::OptOut => "(`opt_out`):",
        };
        for rule in [EmailRule::Consent, EmailRule::Notice, EmailRule::OptOut] {
            let countries: Vec<&str> = s
                .countries
                .iter()
                .filter(|(_, r)| **r == rule)
                .map(|(c, _)| c.as_str())
                .collect();
            let at = section
                .find(heading(rule))
                .unwrap_or_else(|| panic!("no paragraph for {rule:?}"));
            let paragraph = &section[at..section[at..]
                .find(" - **")
                .map_or(section.len(), |e| at + e)];
            for c in countries {
                assert!(
                    paragraph.contains(&format!(" {c},")) || paragraph.contains(&format!(" {c}.")),
                    "{c} ({rule:?}) is not listed under its rule"
                );
            }
        }
        assert!(section.contains(&format!(
            "`default_rule` (`{}`",
            match s.default_rule {
                EmailRule::Consent => "consent",
                EmailRule::Notice => "notice",
                EmailRule::OptOut => "opt_out",
            }
        )));
        assert!(section.contains(&format!("({})", s.inbound_channels.join(", "))));
        assert!(section.contains(&format!("({})", s.stop_phrases.join(", "))));
        assert!(section.contains(&format!(
            "(`existing_customer_exception`: {})",
            s.existing_customer_exception
        )));
    }
}
