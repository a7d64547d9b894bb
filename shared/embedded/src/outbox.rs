//! The local mail outbox: every message becomes one RFC 5322 `.eml` file, openable in any
//! mail client, named so they sort by time.

use ascent_core::ports::Mail;
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};

/// Renders a message as RFC 5322 text (plain, or multipart/alternative with HTML).
pub fn render_eml(from: &str, mail: &Mail, id: i64, at: DateTime<Utc>) -> String {
    let mut out = String::new();
    let header = |out: &mut String, k: &str, v: &str| {
        // Header injection guard: headers never carry line breaks.
        let clean: String = v.chars().filter(|c| *c != '\r' && *c != '\n').collect();
        out.push_str(&format!("{k}: {clean}\r\n"));
    };
    header(&mut out, "From", &format!("Ascent agents <{from}>"));
    header(&mut out, "To", &mail.to);
    header(&mut out, "Subject", &mail.subject);
    header(&mut out, "Date", &at.to_rfc2822());
    header(
        &mut out,
        "Message-ID",
        &format!("<{id}.{}@ascent.local>", at.timestamp()),
    );
    header(&mut out, "MIME-Version", "1.0");
    let text = mail.text.replace("\r\n", "\n").replace('\n', "\r\n");
    match &mail.html {
        None => {
            header(&mut out, "Content-Type", "text/plain; charset=utf-8");
            header(&mut out, "Content-Transfer-Encoding", "8bit");
            out.push_str("\r\n");
            out.push_str(&text);
        }
        Some(html) => {
            let boundary = format!("ascent-{id}");
            header(
                &mut out,
                "Content-Type",
                &format!("multipart/alternative; boundary=\"{boundary}\""),
            );
            out.push_str("\r\n");
            out.push_str(&format!(
                "--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n\
                 --{boundary}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n--{boundary}--\r\n"
            ));
        }
    }
    out
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
        );
        assert!(eml.contains("Subject: ApproveBcc: evil@x\r\n"));
        assert!(!eml.contains("\r\nBcc:"));
        assert!(eml.ends_with("line1\r\nline2"));
        assert_eq!(
            file_name(7, "2026-01-02T03:04:05Z".parse().unwrap()),
            "20260102T030405-00000007.eml"
        );
    }
}
