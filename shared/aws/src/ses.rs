//! Email through SES v2 (approval requests, reminders, proposals).

use ascent_core::mime::{self, Envelope};
use ascent_core::ports::{Mail, MailError, Mailer};
use async_trait::async_trait;
use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message, RawMessage};

#[derive(Clone, Debug)]
pub struct SesMailer {
    client: Client,
}

impl SesMailer {
    pub fn new(client: Client) -> Self {
        Self { client }
    }
}

fn content(text: &str) -> Result<Content, MailError> {
    Content::builder()
        .data(text)
        .charset("UTF-8")
        .build()
        .map_err(|e| MailError(e.to_string()))
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, from: &str, mail: &Mail) -> Result<String, MailError> {
        let content = if mail.headers.is_empty() && mail.attachments.is_empty() {
            EmailContent::builder().simple(simple(mail)?).build()
        } else {
            EmailContent::builder().raw(raw(from, mail)?).build()
        };
        let out = self
            .client
            .send_email()
            .from_email_address(from)
            .destination(Destination::builder().to_addresses(&mail.to).build())
            .content(content)
            .send()
            .await
            .map_err(|e| refused(&aws_sdk_sesv2::error::DisplayErrorContext(e).to_string()))?;
        Ok(out.message_id().unwrap_or_default().to_string())
    }
}

/// SES's refusal, without the addresses it names (`… failed the check …: ana@x.example`): the
/// error becomes a logged failure reason.
fn refused(message: &str) -> MailError {
    MailError(ascent_core::redact::text(message).into_owned())
}

/// A mail with extra headers or attachments, as one MIME message (SES assigns the Message-ID).
fn raw(from: &str, mail: &Mail) -> Result<RawMessage, MailError> {
    let now = chrono::Utc::now();
    let boundary = format!("ascent-{:x}", now.timestamp_nanos_opt().unwrap_or_default());
    let text = mime::render(
        &Envelope {
            from,
            message_id: None,
            date: now,
            boundary: &boundary,
        },
        mail,
    )
    .map_err(|e| MailError(e.to_string()))?;
    RawMessage::builder()
        .data(Blob::new(text.into_bytes()))
        .build()
        .map_err(|e| MailError(e.to_string()))
}

/// A plain mail as SES's simple content.
fn simple(mail: &Mail) -> Result<Message, MailError> {
    let mut body = Body::builder().text(content(&mail.text)?);
    if let Some(html) = &mail.html {
        body = body.html(content(html)?);
    }
    Ok(Message::builder()
        .subject(content(&mail.subject)?)
        .body(body.build())
        .build())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_refusal_keeps_the_reason_and_loses_the_recipient() {
        let e = super::refused(
            "MessageRejected: Email address is not verified. The following identities failed \
             the check in region US-EAST-1: ana.ruiz@boreal-aero.example",
        );
        assert!(!e.0.contains("ana.ruiz"), "{e}");
        assert!(e.0.contains("Email address is not verified"), "{e}");
    }
}
