//! The demo invitation as an iCalendar object (RFC 5545) that any calendar adds, moves or
//! removes: one `UID` per demo request, so a reschedule updates the same event (a higher
//! `SEQUENCE`) and a cancellation removes it (`METHOD:CANCEL`); times in UTC; text escaped;
//! lines folded at 75 octets; CRLF line ends (RFC 5545 §3.1).

use chrono::{DateTime, Utc};

/// What the invitation asks of the calendar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Request,
    Cancel,
}

/// One demo's calendar event.
#[derive(Clone, Debug)]
pub struct Invite<'a> {
    /// Stable per demo request (`<request id>@<domain>`).
    pub uid: String,
    /// The booking attempt: 1 for the first booking, more for each reschedule.
    pub sequence: u32,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub summary: &'a str,
    pub description: &'a str,
    /// The meeting link (also the LOCATION).
    pub url: &'a str,
    pub organizer: &'a str,
    pub attendee: &'a str,
    pub attendee_name: &'a str,
    /// When the object was made (DTSTAMP).
    pub stamp: DateTime<Utc>,
}

fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// RFC 5545 §3.3.11 text: backslash, semicolon, comma and newline escaped.
fn text(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace("\r\n", "\\n")
        .replace('\n', "\\n")
}

/// One content line, folded at 75 octets (continuations start with a space), never inside
/// a UTF-8 character.
fn fold(line: &str) -> String {
    let mut out = String::new();
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
    out
}

/// The `.ics` text.
pub fn ics(method: Method, i: &Invite<'_>) -> String {
    let (method, status) = match method {
        Method::Request => ("REQUEST", "CONFIRMED"),
        Method::Cancel => ("CANCEL", "CANCELLED"),
    };
    let lines = [
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".into(),
        "PRODID:-//Ascent XR//Demo Scheduling//EN".into(),
        format!("METHOD:{method}"),
        "BEGIN:VEVENT".into(),
        format!("UID:{}", i.uid),
        format!("SEQUENCE:{}", i.sequence),
        format!("DTSTAMP:{}", utc(i.stamp)),
        format!("DTSTART:{}", utc(i.start)),
        format!("DTEND:{}", utc(i.end)),
        format!("SUMMARY:{}", text(i.summary)),
        format!("DESCRIPTION:{}", text(i.description)),
        format!("LOCATION:{}", text(i.url)),
        format!("URL:{}", i.url),
        format!("ORGANIZER:mailto:{}", i.organizer),
        format!(
            "ATTENDEE;CN={};ROLE=REQ-PARTICIPANT;RSVP=TRUE:mailto:{}",
            text(i.attendee_name).replace(':', ""),
            i.attendee
        ),
        format!("STATUS:{status}"),
        "END:VEVENT".into(),
        "END:VCALENDAR".into(),
    ];
    lines.iter().map(|l| fold(l)).collect()
}

/// The attachment of an invitation.
pub fn attachment(method: Method, i: &Invite<'_>) -> ascent_core::ports::MailAttachment {
    let m = match method {
        Method::Request => "REQUEST",
        Method::Cancel => "CANCEL",
    };
    ascent_core::ports::MailAttachment {
        file_name: "invite.ics".into(),
        content_type: format!("text/calendar; method={m}; charset=UTF-8"),
        content: ics(method, i),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invite(sequence: u32) -> Invite<'static> {
        Invite {
            uid: "DR-7001@ascent-xr.example".into(),
            sequence,
            start: "2026-03-05T15:00:00Z".parse().unwrap(),
            end: "2026-03-05T15:45:00Z".parse().unwrap(),
            summary: "Ascent XR demo, with Dario; prep: fit guide",
            description: "Line one\nLine two, with a comma",
            url: "https://meet.ascent-xr.example/demo/DR-7001",
            organizer: "dario.rep@ascent-xr.example",
            attendee: "ana.ruiz@boreal-aero.example",
            attendee_name: "Ana Ruiz",
            stamp: "2026-03-02T09:00:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn an_invitation_is_a_request_with_utc_times_and_escaped_text() {
        let s = ics(Method::Request, &invite(1));
        assert!(s.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(s.contains("\r\nMETHOD:REQUEST\r\n"));
        assert!(s.contains("\r\nUID:DR-7001@ascent-xr.example\r\nSEQUENCE:1\r\n"));
        assert!(s.contains("\r\nDTSTART:20260305T150000Z\r\nDTEND:20260305T154500Z\r\n"));
        assert!(s.contains("\r\nSUMMARY:Ascent XR demo\\, with Dario\\; prep: fit guide\r\n"));
        assert!(s.contains("DESCRIPTION:Line one\\nLine two\\, with a comma\r\n"));
        assert!(s.contains("\r\nSTATUS:CONFIRMED\r\n"));
        assert!(s.ends_with("END:VEVENT\r\nEND:VCALENDAR\r\n"));
        assert!(!s.replace("\r\n", "").contains('\n'), "bare LF");
    }

    #[test]
    fn a_cancellation_keeps_the_uid_and_says_cancel() {
        let s = ics(Method::Cancel, &invite(2));
        assert!(s.contains("\r\nMETHOD:CANCEL\r\n"));
        assert!(s.contains("\r\nUID:DR-7001@ascent-xr.example\r\nSEQUENCE:2\r\n"));
        assert!(s.contains("\r\nSTATUS:CANCELLED\r\n"));
    }

    #[test]
    fn long_lines_are_folded_at_75_octets_without_splitting_a_character() {
        let long = format!("DESCRIPTION:{}", "é".repeat(60));
        let folded = fold(&long);
        for line in folded.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(line.len() <= 75, "{} octets", line.len());
        }
        // Unfolding (removing CRLF + space) gives the line back.
        assert_eq!(folded.trim_end().replace("\r\n ", ""), long);
    }
}
