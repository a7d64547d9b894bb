//! A campaign's email to one recipient as CAN-SPAM (15 U.S.C. 7704) wants it: the variant's
//! text filled from the profile, then the footer no template can drop (why they get it, the
//! sender's postal address, the unsubscribe link), and the `List-Unsubscribe` and
//! `List-Unsubscribe-Post` headers of RFC 2369 and RFC 8058 for the mailbox's one-click button.

use crate::segments::Profile;
use ascent_core::catalog::EmailVariant;
use ascent_core::ports::{Mail, MailHeader};
use ascent_core::writer::{WriterError, fill};

/// Who sends (`[company]`) and where unsubscribe links point (`[links]`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Sender {
    pub company: String,
    pub postal_address: String,
    /// Base of the unsubscribe links (`<base>/<token>`).
    pub unsubscribe_url: String,
}

impl Sender {
    /// The unsubscribe link of a token.
    pub fn link(&self, token: &str) -> String {
        format!("{}/{token}", self.unsubscribe_url)
    }
}

/// The email of `variant` to the profile's contact.
pub fn compose(sender: &Sender, variant: &EmailVariant, p: &Profile) -> Result<Mail, WriterError> {
    let facts = p.facts();
    let subject = fill(&variant.subject, &facts)?;
    let body = fill(&variant.body, &facts)?;
    let link = sender.link(&p.unsubscribe_token);
    let footer = format!(
        "\n\n--\nYou receive this email as a customer of {company} ({account}).\n\
         {company}, {address}\nUnsubscribe from marketing email: {link}\n",
        company = sender.company,
        account = p.company,
        address = sender.postal_address,
    );
    Ok(Mail {
        to: p.email.clone(),
        subject: subject.trim().to_string(),
        text: format!("{}{footer}", body.trim_end()),
        html: None,
        headers: vec![
            MailHeader::new("List-Unsubscribe", format!("<{link}>")),
            MailHeader::new("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ],
        attachments: vec![],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segments::LifecycleStage;

    #[test]
    fn every_email_carries_the_address_the_link_and_the_one_click_headers() {
        let sender = Sender {
            company: "Ascent XR".into(),
            postal_address: "Ascent XR Inc., 548 Market St #41200, San Francisco, CA 94104, USA"
                .into(),
            unsubscribe_url: "http://127.0.0.1:8787/unsubscribe".into(),
        };
        let p = Profile {
            account_id: "A00042".into(),
            email: "ap@boreal-aero.example".into(),
            company: "Boreal Aero".into(),
            plan: "enterprise".into(),
            seats: 50,
            country: "US".into(),
            tier: None,
            stage: LifecycleStage::Active,
            unsubscribe_token: "9f2c".into(),
            version: 0,
        };
        let v = EmailVariant {
            name: "A".into(),
            subject: "What's new for {company}".into(),
            body: "Hello {company} team,\nyour {seats} seats get hand tracking today.\n\n".into(),
        };
        let m = compose(&sender, &v, &p).unwrap();
        assert_eq!(m.subject, "What's new for Boreal Aero");
        assert_eq!(
            m.text,
            "Hello Boreal Aero team,\nyour 50 seats get hand tracking today.\n\n--\n\
             You receive this email as a customer of Ascent XR (Boreal Aero).\n\
             Ascent XR, Ascent XR Inc., 548 Market St #41200, San Francisco, CA 94104, USA\n\
             Unsubscribe from marketing email: http://127.0.0.1:8787/unsubscribe/9f2c\n"
        );
        assert_eq!(
            m.headers,
            [
                MailHeader::new(
                    "List-Unsubscribe",
                    "<http://127.0.0.1:8787/unsubscribe/9f2c>"
                ),
                MailHeader::new("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
            ]
        );
        // A template naming a fact no profile has is refused, naming it.
        let bad = EmailVariant {
            subject: "Hi {first_name}".into(),
            ..v
        };
        assert_eq!(
            compose(&sender, &bad, &p).unwrap_err(),
            WriterError::MissingFact("first_name".into())
        );
    }
}
