//! The twin's activity log: one JSON line per handled message, approval opened and mail
//! queued, only for work that committed, never with personal data.

use super::*;
use std::io::Write as _;
use std::sync::Mutex as StdMutex;

#[derive(Clone, Default)]
struct Captured(Arc<StdMutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn lines(&self) -> Vec<serde_json::Value> {
        String::from_utf8(self.0.lock().unwrap().clone())
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

/// Runs `f` with info lines captured as JSON.
fn logged(f: impl FnOnce()) -> Captured {
    let out = Captured::default();
    let writer = out.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::INFO)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, f);
    let _ = out.clone().flush();
    out
}

fn with_message<'a>(lines: &'a [serde_json::Value], message: &str) -> Vec<&'a serde_json::Value> {
    lines
        .iter()
        .filter(|l| l["fields"]["message"] == message)
        .collect()
}

#[test]
fn every_handled_message_and_opened_approval_is_one_line_without_personal_data() {
    let (rt, clock) = twin(0);
    let lead = lead("lead-approve");
    let out = logged(|| {
        rt.ingest(std::slice::from_ref(&lead)).unwrap();
        drain(&rt, &clock);
    });
    let lines = out.lines();
    let handled = with_message(&lines, "message handled");
    let scorer = handled
        .iter()
        .find(|l| l["fields"]["agent"] == "scorer")
        .expect("the scorer's message is logged");
    let f = &scorer["fields"];
    assert_eq!(f["detail_type"], "LeadCreated");
    assert_eq!(f["event_id"], lead.detail.event_id.to_string());
    assert_eq!(f["correlation_id"], lead.detail.correlation_id.to_string());
    assert!(f["duration_us"].is_u64());
    assert!(
        handled.iter().any(|l| l["fields"]["agent"] == "counter"),
        "the counter's LeadScored is logged too"
    );
    let opened = with_message(&lines, "approval opened");
    assert_eq!(opened.len(), 1, "{lines:?}");
    assert_eq!(opened[0]["fields"]["kind"], "discount");
    // The lead's address never appears, nor the approver's.
    let text = out.text();
    assert!(!text.contains("lead-approve@example.com"), "{text}");
    assert!(!text.contains("rep@ascent-xr.example"), "{text}");
}

#[test]
fn a_unit_that_rolls_back_logs_nothing_of_its_messages() {
    let (rt, clock) = twin(0);
    break_counter_writes(&rt, "INSERT");
    rt.ingest(&[lead("lead-1")]).unwrap();
    let out = logged(|| {
        // The counter's write fails inside SQLite: the unit (the scorer's work with it) rolls
        // back, so neither message was handled.
        assert!(block_on(rt.drain(|t| clock.set(t))).is_err());
    });
    let lines = out.lines();
    assert!(
        with_message(&lines, "message handled").is_empty(),
        "{lines:?}"
    );
}
