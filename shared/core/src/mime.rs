//! One rendering of a [`Mail`] as an RFC 5322 / MIME message, used by both homes: the twin
//! writes it to its outbox as an `.eml` file, SES v2 sends it as a raw message when the mail
//! carries extra headers or attachments. So what a test reads in the outbox is what a mailbox
//! receives.
//!
//! - Header values never carry line breaks (injection guard); a non-ASCII subject is an RFC 2047
//!   encoded word.
//! - Extra headers are checked: the name is an RFC 5322 field name and none of the headers this
//!   module writes itself (From, To, Subject, Date, Message-ID, MIME-Version, Content-*) may be
//!   overridden.
//! - Attachments go into `multipart/mixed` beside the body, base64 in lines of 76 characters
//!   (RFC 2045 §6.8).

use crate::ports::Mail;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};

/// Why a mail cannot be rendered.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MimeError {
    #[error("header name {0:?} is not an RFC 5322 field name")]
    BadHeaderName(String),
    #[error("header {0} is written by the mailer and cannot be set by an agent")]
    ReservedHeader(String),
}

/// Where and when a message is rendered: the parts the mail itself does not say.
#[derive(Clone, Debug)]
pub struct Envelope<'a> {
    /// The `From:` value (`Ascent agents <agents@example.com>`).
    pub from: &'a str,
    /// The `Message-ID:` value without angle brackets, when the sender assigns it.
    pub message_id: Option<&'a str>,
    pub date: DateTime<Utc>,
    /// Boundary prefix, unique per message (`ascent-42`).
    pub boundary: &'a str,
}

const RESERVED: [&str; 7] = [
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "mime-version",
    "bcc",
];

/// Checks a mail's extra headers (what adapters refuse).
pub fn check_headers(mail: &Mail) -> Result<(), MimeError> {
    for h in &mail.headers {
        let valid = !h.name.is_empty() && h.name.bytes().all(|b| b.is_ascii_graphic() && b != b':');
        if !valid {
            return Err(MimeError::BadHeaderName(h.name.clone()));
        }
        let lower = h.name.to_ascii_lowercase();
        if RESERVED.contains(&lower.as_str()) || lower.starts_with("content-") {
            return Err(MimeError::ReservedHeader(h.name.clone()));
        }
    }
    Ok(())
}

fn header(out: &mut String, name: &str, value: &str) {
    let clean: String = value.chars().filter(|c| *c != '\r' && *c != '\n').collect();
    out.push_str(name);
    out.push_str(": ");
    out.push_str(&clean);
    out.push_str("\r\n");
}

/// An RFC 2047 encoded word for non-ASCII text; ASCII text as it is.
fn encoded_word(text: &str) -> String {
    if text.is_ascii() {
        text.to_string()
    } else {
        format!("=?UTF-8?B?{}?=", STANDARD.encode(text.as_bytes()))
    }
}

fn crlf(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\n', "\r\n")
}

fn base64_lines(bytes: &[u8]) -> String {
    let encoded = STANDARD.encode(bytes);
    let mut out = String::with_capacity(encoded.len() + encoded.len() / 38);
    for chunk in encoded.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(chunk).expect("base64 is ASCII"));
        out.push_str("\r\n");
    }
    out
}

/// The body part: plain text, or `multipart/alternative` with the HTML. Returns its headers
/// and its content.
fn body_part(mail: &Mail, boundary: &str) -> (String, String) {
    let text = crlf(&mail.text);
    match &mail.html {
        None => (
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"
                .to_string(),
            text,
        ),
        Some(html) => {
            let alt = format!("{boundary}-alt");
            (
                format!("Content-Type: multipart/alternative; boundary=\"{alt}\"\r\n"),
                format!(
                    "--{alt}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n\
                     --{alt}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{}\r\n--{alt}--\r\n",
                    crlf(html)
                ),
            )
        }
    }
}

/// Renders `mail` as one RFC 5322 message.
pub fn render(envelope: &Envelope<'_>, mail: &Mail) -> Result<String, MimeError> {
    check_headers(mail)?;
    let mut out = String::new();
    header(&mut out, "From", envelope.from);
    header(&mut out, "To", &mail.to);
    header(&mut out, "Subject", &encoded_word(&mail.subject));
    header(&mut out, "Date", &envelope.date.to_rfc2822());
    if let Some(id) = envelope.message_id {
        header(&mut out, "Message-ID", &format!("<{id}>"));
    }
    for h in &mail.headers {
        header(&mut out, &h.name, &h.value);
    }
    header(&mut out, "MIME-Version", "1.0");
    let (body_headers, body) = body_part(mail, envelope.boundary);
    if mail.attachments.is_empty() {
        out.push_str(&body_headers);
        out.push_str("\r\n");
        out.push_str(&body);
        return Ok(out);
    }
    let mixed = format!("{}-mixed", envelope.boundary);
    header(
        &mut out,
        "Content-Type",
        &format!("multipart/mixed; boundary=\"{mixed}\""),
    );
    out.push_str("\r\n");
    out.push_str(&format!("--{mixed}\r\n{body_headers}\r\n{body}\r\n"));
    for a in &mail.attachments {
        let name: String = a
            .file_name
            .chars()
            .filter(|c| !matches!(c, '"' | '\\' | '\r' | '\n'))
            .collect();
        let content_type: String = a
            .content_type
            .chars()
            .filter(|c| *c != '\r' && *c != '\n')
            .collect();
        out.push_str(&format!(
            "--{mixed}\r\nContent-Type: {content_type}; name=\"{name}\"\r\n\
             Content-Disposition: attachment; filename=\"{name}\"\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{}",
            base64_lines(a.content.as_bytes())
        ));
    }
    out.push_str(&format!("--{mixed}--\r\n"));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{MailAttachment, MailHeader};

    fn envelope() -> Envelope<'static> {
        Envelope {
            from: "Ascent agents <agents@x.example>",
            message_id: Some("7.1767323045@ascent.local"),
            date: "2026-01-02T03:04:05Z".parse().unwrap(),
            boundary: "ascent-7",
        }
    }

    fn mail() -> Mail {
        Mail {
            to: "lead@y.example".into(),
            subject: "Your demo".into(),
            text: "line1\nline2".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_plain_mail_is_one_text_part() {
        let eml = render(&envelope(), &mail()).unwrap();
        assert!(
            eml.starts_with("From: Ascent agents <agents@x.example>\r\nTo: lead@y.example\r\n")
        );
        assert!(eml.contains("Message-ID: <7.1767323045@ascent.local>\r\n"));
        assert!(eml.contains("Content-Type: text/plain; charset=utf-8\r\n"));
        assert!(eml.ends_with("\r\n\r\nline1\r\nline2"));
    }

    #[test]
    fn extra_headers_are_written_in_order_and_checked() {
        let mut m = mail();
        m.headers = vec![
            MailHeader::new("List-Unsubscribe", "<https://u.example/unsubscribe/t1>"),
            MailHeader::new(
                "List-Unsubscribe-Post",
                "List-Unsubscribe=One-Click\r\nBcc: e@x",
            ),
        ];
        let eml = render(&envelope(), &m).unwrap();
        let a = eml.find("List-Unsubscribe: <https://u.example/unsubscribe/t1>\r\n");
        let b = eml.find("List-Unsubscribe-Post: List-Unsubscribe=One-ClickBcc: e@x\r\n");
        assert!(a.is_some() && b.is_some() && a < b, "{eml}");
        assert!(!eml.contains("\r\nBcc:"));

        m.headers = vec![MailHeader::new("Bcc", "e@x")];
        assert_eq!(
            render(&envelope(), &m),
            Err(MimeError::ReservedHeader("Bcc".into()))
        );
        m.headers = vec![MailHeader::new("Content-Type", "text/html")];
        assert!(matches!(
            render(&envelope(), &m),
            Err(MimeError::ReservedHeader(_))
        ));
        m.headers = vec![MailHeader::new("X Bad", "1")];
        assert_eq!(
            render(&envelope(), &m),
            Err(MimeError::BadHeaderName("X Bad".into()))
        );
    }

    #[test]
    fn attachments_go_into_multipart_mixed_in_base64() {
        let mut m = mail();
        m.html = Some("<p>hi</p>".into());
        m.attachments = vec![MailAttachment {
            file_name: "invite.ics".into(),
            content_type: "text/calendar; method=REQUEST; charset=UTF-8".into(),
            content: "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n".into(),
        }];
        let eml = render(&envelope(), &m).unwrap();
        assert!(eml.contains("Content-Type: multipart/mixed; boundary=\"ascent-7-mixed\"\r\n"));
        assert!(eml.contains("Content-Type: multipart/alternative; boundary=\"ascent-7-alt\""));
        assert!(eml.contains(
            "Content-Type: text/calendar; method=REQUEST; charset=UTF-8; name=\"invite.ics\"\r\n\
             Content-Disposition: attachment; filename=\"invite.ics\"\r\n"
        ));
        // base64("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
        assert!(eml.contains("QkVHSU46VkNBTEVOREFSDQpFTkQ6VkNBTEVOREFSDQo=\r\n"));
        assert!(eml.ends_with("--ascent-7-mixed--\r\n"));
    }

    #[test]
    fn long_attachments_are_wrapped_at_76_characters() {
        let lines = base64_lines(&[b'a'; 120]);
        let widths: Vec<usize> = lines.split("\r\n").map(str::len).collect();
        // 120 bytes are 160 base64 characters: 76 + 76 + 8.
        assert_eq!(widths, vec![76, 76, 8, 0]);
    }

    #[test]
    fn a_non_ascii_subject_is_an_encoded_word() {
        let mut m = mail();
        m.subject = "Démo".into();
        let eml = render(&envelope(), &m).unwrap();
        // base64("Démo") = "RMOpbW8="
        assert!(eml.contains("Subject: =?UTF-8?B?RMOpbW8=?=\r\n"), "{eml}");
    }
}
