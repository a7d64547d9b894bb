//! The local mail outbox: every message becomes one RFC 5322 `.eml` file, openable in any
//! mail client, named so they sort by time.

use ascent_core::mime::{self, Envelope, MimeError};
use ascent_core::ports::{Mail, MailAttachment, MailHeader};
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};

/// Renders a message as RFC 5322 text through the one MIME rendering ([`ascent_core::mime`]).
pub fn render_eml(
    from: &str,
    mail: &Mail,
    id: i64,
    at: DateTime<Utc>,
) -> Result<String, MimeError> {
    let message_id = format!("{id}.{}@ascent.local", at.timestamp());
    let boundary = format!("ascent-{id}");
    mime::render(
        &Envelope {
            from: &format!("Ascent agents <{from}>"),
            message_id: Some(&message_id),
            date: at,
            boundary: &boundary,
        },
        mail,
    )
}

/// A mail's extra headers and attachments as stored beside it (`None` when it has none).
pub fn extra_to_json(mail: &Mail) -> Option<String> {
    if mail.headers.is_empty() && mail.attachments.is_empty() {
        return None;
    }
    Some(serde_json::json!({"headers": mail.headers, "attachments": mail.attachments}).to_string())
}

/// A stored mail with its extra headers and attachments put back.
pub fn with_extra(mut mail: Mail, extra: Option<String>) -> Mail {
    #[derive(serde::Deserialize)]
    struct Extra {
        #[serde(default)]
        headers: Vec<MailHeader>,
        #[serde(default)]
        attachments: Vec<MailAttachment>,
    }
    if let Some(Ok(extra)) = extra.map(|e| serde_json::from_str::<Extra>(&e)) {
        mail.headers = extra.headers;
        mail.attachments = extra.attachments;
    }
    mail
}

/// File name of a message: sortable and unique.
pub fn file_name(id: i64, at: DateTime<Utc>) -> String {
    format!("{}-{id:08}.eml", at.format("%Y%m%dT%H%M%S"))
}

/// Writes a rendered message into `dir`, creating it if needed.
pub fn write(dir: &Path, name: &str, eml: &str) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(name);
    std::fs::write(&path, eml)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_headers_without_injection() {
        let mail = Mail {
            to: "boss@x.example".into(),
            subject: "Approve\r\nBcc: evil@x".into(),
            text: "line1\nline2".into(),
            html: None,
            ..Default::default()
        };
        let eml = render_eml(
            "agents@x",
            &mail,
            7,
            "2026-01-02T03:04:05Z".parse().unwrap(),
        )
        .unwrap();
        assert!(eml.contains("Subject: ApproveBcc: evil@x\r\n"));
        assert!(!eml.contains("\r\nBcc:"));
        assert!(eml.ends_with("line1\r\nline2"));
        assert_eq!(
            file_name(7, "2026-01-02T03:04:05Z".parse().unwrap()),
            "20260102T030405-00000007.eml"
        );
    }

    #[test]
    fn headers_and_attachments_survive_the_outbox_table() {
        let mail = Mail {
            to: "lead@y.example".into(),
            subject: "Demo".into(),
            text: "See you".into(),
            headers: vec![MailHeader::new("List-Unsubscribe", "<https://u/x>")],
            attachments: vec![MailAttachment {
                file_name: "invite.ics".into(),
                content_type: "text/calendar".into(),
                content: "BEGIN:VCALENDAR".into(),
            }],
            ..Default::default()
        };
        let bare = Mail {
            headers: vec![],
            attachments: vec![],
            ..mail.clone()
        };
        assert_eq!(extra_to_json(&bare), None);
        assert_eq!(with_extra(bare.clone(), extra_to_json(&mail)), mail);
        let eml = render_eml(
            "agents@x",
            &mail,
            8,
            "2026-01-02T03:04:05Z".parse().unwrap(),
        )
        .unwrap();
        assert!(eml.contains("List-Unsubscribe: <https://u/x>\r\n"));
        assert!(eml.contains("filename=\"invite.ics\""));
    }
}
