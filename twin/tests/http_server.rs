//! The twin's HTTP server on real sockets: who may post events (content type, `Origin`, the
//! bearer token), and what stalled or oversized requests get (timeouts, a connection cap, a
//! body limit).

use ascent::http::Limits;
use ascent::server::ServerOptions;
use ascent::settings::Settings;
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

mod support;
use support::Twin;

impl Twin {
    fn with_limits(limits: Limits) -> Self {
        Self::start(ServerOptions {
            limits,
            ..ServerOptions::default()
        })
    }

    fn connect(&self) -> TcpStream {
        let s = TcpStream::connect(self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s
    }
}

/// One valid `LeadCreated` PutEvents request.
fn lead_request() -> String {
    let detail = json!({
        "version": 1, "event_id": uuid::Uuid::new_v4(), "correlation_id": uuid::Uuid::new_v4(),
        "actor": {"kind": "system", "id": "crm"},
        "payload": {"lead_id": "L1", "email": "ada@example.com", "full_name": "Ada Byron",
                    "company": "Engines", "company_size": 10, "industry": "retail", "role": "CTO",
                    "channel": "web"}
    });
    json!({"Entries": [{"Source": "ascent.crm", "DetailType": "LeadCreated", "Detail": detail.to_string()}]})
        .to_string()
}

/// Sends one `Connection: close` request and reads the answer to its end.
fn exchange(
    twin: &Twin,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let mut s = twin.connect();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
        twin.addr,
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    read_answer(&mut s)
}

/// Status and body of the answer on `s` (read until the server closes).
fn read_answer(s: &mut TcpStream) -> (u16, String) {
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)
        .expect("the server answers and closes");
    let text = String::from_utf8_lossy(&raw).to_string();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer: {text:?}"));
    (status, text)
}

fn post_events(twin: &Twin, headers: &[(&str, &str)]) -> (u16, String) {
    exchange(twin, "POST", "/events", headers, &lead_request())
}

const JSON: (&str, &str) = ("Content-Type", "application/json");

#[test]
fn events_are_accepted_only_as_json_so_a_web_form_cannot_post_them() {
    let twin = Twin::start(ServerOptions::default());
    for refused in [
        vec![("Content-Type", "text/plain")],
        vec![("Content-Type", "application/x-www-form-urlencoded")],
        vec![("Content-Type", "multipart/form-data; boundary=x")],
        vec![("Content-Type", "application/json-seq")],
        vec![("Content-Type", "application/json; charset=latin1")],
        vec![],
    ] {
        let (status, answer) = post_events(&twin, &refused);
        assert_eq!(status, 415, "{refused:?}: {answer}");
        assert!(answer.contains("application/json"), "{answer}");
    }
    for accepted in [
        "application/json",
        "Application/JSON; charset=UTF-8",
        "application/x-amz-json-1.1",
    ] {
        let (status, answer) = post_events(&twin, &[("Content-Type", accepted)]);
        assert_eq!(status, 200, "{accepted}: {answer}");
    }
}

#[test]
fn events_posted_from_another_origin_are_refused() {
    let twin = Twin::start(ServerOptions::default());
    let port = twin.addr.port();
    for origin in [
        "http://evil.example",
        "null",
        &format!("http://evil.example:{port}"),
    ] {
        let (status, answer) = post_events(&twin, &[JSON, ("Origin", origin)]);
        assert_eq!(status, 403, "{origin}: {answer}");
    }
    for origin in [
        format!("http://127.0.0.1:{port}"),
        format!("http://localhost:{port}"),
    ] {
        let (status, answer) = post_events(&twin, &[JSON, ("Origin", &origin)]);
        assert_eq!(status, 200, "{origin}: {answer}");
    }
}

#[test]
fn a_token_when_set_is_required_for_events_only() {
    let token = "a-token-of-at-least-32-characters-0123456789";
    let twin = Twin::start(ServerOptions {
        events_token: Some(token.into()),
        ..ServerOptions::default()
    });
    let (status, answer) = post_events(&twin, &[JSON]);
    assert_eq!(status, 401, "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("www-authenticate: bearer"),
        "{answer}"
    );
    for wrong in [
        "Bearer a-token-of-at-least-32-characters-0123456788",
        "Bearer a-token",
        "Basic YTpi",
        token,
    ] {
        let (status, answer) = post_events(&twin, &[JSON, ("Authorization", wrong)]);
        assert_eq!(status, 401, "{wrong}: {answer}");
        assert!(
            !answer.contains(token),
            "the answer echoes no token: {answer}"
        );
    }
    let bearer = format!("Bearer {token}");
    let (status, answer) = post_events(&twin, &[JSON, ("Authorization", &bearer)]);
    assert_eq!(status, 200, "{answer}");
    // The rest of the twin needs no token: status, and the webhooks (their own signatures).
    let (status, _) = exchange(&twin, "GET", "/status", &[], "");
    assert_eq!(status, 200);
    let (status, answer) = exchange(&twin, "POST", "/webhooks/stripe", &[JSON], "{}");
    assert_ne!(status, 401, "{answer}");
}

#[test]
fn a_twin_listening_beyond_loopback_does_not_start_without_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind("0.0.0.0:0").unwrap();
    let rt = ascent::open(&Settings::new(
        dir.path(),
        listener.local_addr().unwrap().port(),
    ))
    .unwrap();
    let refused = ascent::server::start_with(rt, listener, ServerOptions::default());
    let Err(e) = refused else {
        refused.unwrap().stop();
        panic!("a twin on 0.0.0.0 started without an events token");
    };
    assert!(e.to_string().contains("token"), "{e}");
}

fn short_timeouts() -> Limits {
    Limits {
        header_read_timeout: Duration::from_millis(400),
        body_read_timeout: Duration::from_millis(400),
        ..Limits::default()
    }
}

/// Waits until the server closes `s`; true if it did within `within`.
fn closed_within(s: &mut TcpStream, within: Duration) -> bool {
    let started = Instant::now();
    let mut buf = [0u8; 1024];
    loop {
        let left = within.saturating_sub(started.elapsed());
        if left.is_zero() {
            return false;
        }
        s.set_read_timeout(Some(left)).unwrap();
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue, // an answer (408) before the close
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}

#[test]
fn idle_and_half_sent_requests_are_closed_after_the_header_timeout() {
    let twin = Twin::with_limits(short_timeouts());
    let mut stalled: Vec<TcpStream> = (0..40)
        .map(|i| {
            let mut s = twin.connect();
            if i % 2 == 0 {
                s.write_all(b"POST /events HTTP/1.1\r\nHost: x\r\nContent-Le")
                    .unwrap();
            }
            s
        })
        .collect();
    // A kept-alive connection that went quiet after one answer is closed too.
    let mut kept = twin.connect();
    kept.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut buf = [0u8; 512];
    assert!(kept.read(&mut buf).unwrap() > 0);
    stalled.push(kept);
    let started = Instant::now();
    for (i, s) in stalled.iter_mut().enumerate() {
        assert!(
            closed_within(s, Duration::from_secs(4)),
            "connection {i} still open after {:?}",
            started.elapsed()
        );
    }
    assert_eq!(exchange(&twin, "GET", "/health", &[], "").0, 200);
}

#[test]
fn beyond_the_connection_cap_a_request_waits_until_stalled_connections_are_dropped() {
    let twin = Twin::with_limits(Limits {
        max_connections: 4,
        header_read_timeout: Duration::from_millis(800),
        ..Limits::default()
    });
    let stalled: Vec<TcpStream> = (0..4).map(|_| twin.connect()).collect();
    std::thread::sleep(Duration::from_millis(100));
    let mut s = twin.connect();
    s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    s.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut buf = [0u8; 16];
    let early = s.read(&mut buf);
    assert!(
        early.is_err(),
        "answered while 4 of 4 connections were held: {early:?}"
    );
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let (status, _) = read_answer(&mut s);
    assert_eq!(status, 200);
    drop(stalled);

    // Many more stalled connections than the cap: the twin still answers, a few timeouts later.
    let crowd: Vec<TcpStream> = (0..24).map(|_| twin.connect()).collect();
    let started = Instant::now();
    let (status, _) = exchange(&twin, "GET", "/health", &[], "");
    assert_eq!(status, 200);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    drop(crowd);
}

#[test]
fn a_body_that_arrives_too_slowly_is_refused_with_408() {
    let twin = Twin::with_limits(short_timeouts());
    let mut s = twin.connect();
    s.write_all(
        b"POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"Entries\":",
    )
    .unwrap();
    let started = Instant::now();
    let (status, answer) = read_answer(&mut s);
    assert_eq!(status, 408, "{answer}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[test]
fn a_body_over_the_limit_is_refused_with_413_before_it_is_read() {
    let twin = Twin::start(ServerOptions::default());
    let mut s = twin.connect();
    // Announced bigger than the limit: refused on the header, nothing of the body sent.
    s.write_all(
        format!(
            "POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            ascent::http::MAX_BODY_BYTES + 1
        )
        .as_bytes(),
    )
    .unwrap();
    let (status, answer) = read_answer(&mut s);
    assert_eq!(status, 413, "{answer}");

    // Sent in chunks without a length: refused once the limit is passed.
    let mut s = twin.connect();
    s.write_all(b"POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        .unwrap();
    let chunk = vec![b' '; 64 * 1024];
    let mut sent = 0;
    while sent <= ascent::http::MAX_BODY_BYTES {
        let head = format!("{:x}\r\n", chunk.len());
        if s.write_all(head.as_bytes()).is_err()
            || s.write_all(&chunk).is_err()
            || s.write_all(b"\r\n").is_err()
        {
            break;
        }
        sent += chunk.len();
    }
    let (status, answer) = read_answer(&mut s);
    assert_eq!(status, 413, "{answer}");
}

#[test]
fn ten_events_of_250_kb_each_fit_in_one_request() {
    let twin = Twin::start(ServerOptions::default());
    let entries: Vec<Value> = (0..10)
        .map(|_| {
            let detail = json!({
                "version": 1, "event_id": uuid::Uuid::new_v4(), "correlation_id": uuid::Uuid::new_v4(),
                "actor": {"kind": "system", "id": "crm"},
                "payload": {"note": "\"quoted\" ".repeat(22_000)}
            });
            json!({"Source": "ascent.crm", "DetailType": "LeadCreated", "Detail": detail.to_string()})
        })
        .collect();
    let body = json!({ "Entries": entries }).to_string();
    assert!(body.len() > 2 * 1024 * 1024, "{}", body.len());
    let (status, answer) = exchange(&twin, "POST", "/events", &[JSON], &body);
    // Each entry is judged on its own (this payload is no lead); the request is not refused.
    assert_ne!(status, 413, "{}", &answer[..answer.len().min(400)]);
    assert!(
        answer.contains("FailedEntryCount"),
        "{}",
        &answer[..answer.len().min(400)]
    );
}

#[test]
fn a_client_that_stops_reading_its_answers_is_dropped() {
    let twin = Twin::with_limits(Limits {
        write_stall_timeout: Duration::from_millis(500),
        ..Limits::default()
    });
    // Pipelined requests, never reading an answer: the twin's writes stall once the socket
    // buffers are full, and so do the client's.
    let mut s = twin.connect();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let request = b"GET /status HTTP/1.1\r\nHost: x\r\n\r\n".repeat(100);
        let ended = loop {
            if let Err(e) = s.write_all(&request) {
                break e;
            }
        };
        let _ = tx.send(ended);
    });
    let ended = rx.recv_timeout(Duration::from_secs(20));
    assert!(
        ended.is_ok(),
        "the connection is still open 20 s after its client stopped reading"
    );
    assert_eq!(exchange(&twin, "GET", "/health", &[], "").0, 200);
}

#[test]
fn stop_finishes_a_request_in_progress_and_closes_the_other_connections() {
    let mut twin = Twin::with_limits(Limits {
        shutdown_grace: Duration::from_secs(3),
        ..Limits::default()
    });
    let mut fresh = twin.connect();
    let mut kept = twin.connect();
    kept.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut buf = [0u8; 512];
    assert!(kept.read(&mut buf).unwrap() > 0);
    let body = lead_request();
    let (head, tail) = body.split_at(body.len() / 2);
    let mut in_progress = twin.connect();
    in_progress
        .write_all(
            format!(
                "POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{head}",
                body.len()
            )
            .as_bytes(),
        )
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let running = twin.running.take().unwrap();
    let started = Instant::now();
    let stopping = std::thread::spawn(move || running.stop());
    std::thread::sleep(Duration::from_millis(200));
    in_progress.write_all(tail.as_bytes()).unwrap();
    let (status, answer) = read_answer(&mut in_progress);
    assert_eq!(status, 200, "{answer}");
    assert!(closed_within(&mut kept, Duration::from_secs(5)));
    assert!(closed_within(&mut fresh, Duration::from_secs(5)));
    stopping.join().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "stop took {:?}",
        started.elapsed()
    );
}
