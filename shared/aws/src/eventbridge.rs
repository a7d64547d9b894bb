//! The event bus on EventBridge: PutEvents in requests of at most 10 entries and 256 KB,
//! retrying only the entries that failed (`FailedEntryCount`), never dropping one silently.

use ascent_core::event::{Event, MAX_EVENT_BYTES};
use ascent_core::ports::{BusError, EventBus};
use async_trait::async_trait;
use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use std::time::Duration;

/// PutEvents limits.
pub const MAX_ENTRIES: usize = 10;
pub const MAX_REQUEST_BYTES: usize = 256 * 1024;
const ATTEMPTS: u32 = 5;

#[derive(Clone, Debug)]
pub struct EventBridgeBus {
    client: Client,
    bus_name: String,
}

/// Size EventBridge counts for an entry: source + detail-type + detail + resources.
fn entry_size(e: &PutEventsRequestEntry) -> usize {
    e.source().map_or(0, str::len)
        + e.detail_type().map_or(0, str::len)
        + e.detail().map_or(0, str::len)
        + e.resources().iter().map(String::len).sum::<usize>()
        + 14 // time
}

/// Splits entries into requests within both limits, in order.
pub fn requests(entries: Vec<PutEventsRequestEntry>) -> Vec<Vec<PutEventsRequestEntry>> {
    let mut out: Vec<Vec<PutEventsRequestEntry>> = Vec::new();
    let mut size = 0;
    for e in entries {
        let n = entry_size(&e);
        match out.last_mut() {
            Some(cur) if cur.len() < MAX_ENTRIES && size + n <= MAX_REQUEST_BYTES => {
                size += n;
                cur.push(e);
            }
            _ => {
                size = n;
                out.push(vec![e]);
            }
        }
    }
    out
}

impl EventBridgeBus {
    pub fn new(client: Client, bus_name: impl Into<String>) -> Self {
        Self {
            client,
            bus_name: bus_name.into(),
        }
    }

    fn entry(&self, e: &Event) -> Result<PutEventsRequestEntry, BusError> {
        let detail = serde_json::to_string(&e.detail).map_err(|x| BusError(x.to_string()))?;
        let entry = PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus_name)
            .source(&e.source)
            .detail_type(e.detail_type())
            .detail(detail)
            .time(aws_sdk_eventbridge::primitives::DateTime::from_millis(
                e.time.timestamp_millis(),
            ))
            .set_resources((!e.resources.is_empty()).then(|| e.resources.clone()))
            .build();
        if entry_size(&entry) > MAX_EVENT_BYTES {
            return Err(BusError(format!(
                "event {} ({}) is over EventBridge's 256 KB limit",
                e.id,
                e.detail_type()
            )));
        }
        Ok(entry)
    }
}

#[async_trait]
impl EventBus for EventBridgeBus {
    async fn publish(&self, events: &[Event]) -> Result<(), BusError> {
        let entries = events
            .iter()
            .map(|e| self.entry(e))
            .collect::<Result<Vec<_>, _>>()?;
        for mut batch in requests(entries) {
            let mut attempt = 0;
            loop {
                attempt += 1;
                let out = self
                    .client
                    .put_events()
                    .set_entries(Some(batch.clone()))
                    .send()
                    .await
                    .map_err(|e| {
                        BusError(aws_sdk_eventbridge::error::DisplayErrorContext(e).to_string())
                    })?;
                if out.failed_entry_count() == 0 {
                    break;
                }
                // Results are positional: keep only the entries that failed.
                let results = out.entries();
                let mut reasons = Vec::new();
                batch = batch
                    .into_iter()
                    .zip(results.iter())
                    .filter(|(_, r)| r.error_code().is_some())
                    .map(|(e, r)| {
                        reasons.push(format!(
                            "{}: {}",
                            r.error_code().unwrap_or_default(),
                            r.error_message().unwrap_or_default()
                        ));
                        e
                    })
                    .collect();
                tracing::warn!(
                    failed = batch.len(),
                    attempt,
                    "PutEvents entries failed: {reasons:?}"
                );
                if attempt >= ATTEMPTS {
                    return Err(BusError(format!(
                        "{} event(s) not accepted after {ATTEMPTS} attempts: {reasons:?}",
                        batch.len()
                    )));
                }
                tokio::time::sleep(Duration::from_millis(50 << attempt)).await;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(detail_len: usize) -> PutEventsRequestEntry {
        PutEventsRequestEntry::builder()
            .source("s")
            .detail_type("T")
            .detail("x".repeat(detail_len))
            .build()
    }

    #[test]
    fn splits_by_count_and_by_size_keeping_order() {
        let r = requests((0..25).map(|_| entry(10)).collect());
        assert_eq!(r.iter().map(Vec::len).collect::<Vec<_>>(), vec![10, 10, 5]);
        let r = requests((0..4).map(|_| entry(100 * 1024)).collect());
        assert_eq!(r.iter().map(Vec::len).collect::<Vec<_>>(), vec![2, 2]);
        assert!(requests(vec![]).is_empty());
    }
}
