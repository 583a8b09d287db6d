//! Klarna reads of payment requests, coalesced per request: one read in flight at a time,
//! and a caller that arrives while one runs waits for it and for at most one more. Whoever
//! asks gets a read that started after they asked (never a stale answer), yet a burst of any
//! size costs Klarna at most two reads, and reads of one request start at most once per
//! `min_interval`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use crate::klarna::{Klarna, Reply};

/// What a read gives, shareable between waiters.
#[derive(Debug, Clone)]
pub enum Read {
    /// The payment request, as JSON.
    Found(Arc<serde_json::Value>),
    /// Klarna does not know it (404).
    Gone,
    /// No usable answer; why.
    Failed(Arc<str>),
}

type Slot = Arc<tokio::sync::Mutex<Option<(Instant, Read)>>>;

/// The coalescing reader.
pub struct Reads {
    klarna: Klarna,
    min_interval: Duration,
    slots: Mutex<HashMap<String, Slot>>,
}

/// Above this many remembered requests, idle ones are forgotten.
const REMEMBERED: usize = 10_000;

impl Reads {
    /// A reader over `klarna` that starts reads of one request at most once per `min_interval`.
    pub fn new(klarna: Klarna, min_interval: Duration) -> Self {
        Self { klarna, min_interval, slots: Mutex::new(HashMap::new()) }
    }

    fn slot(&self, id: &str) -> Slot {
        let mut slots = self.slots.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if slots.len() >= REMEMBERED {
            slots.retain(|_, slot| Arc::strong_count(slot) > 1);
        }
        slots.entry(id.to_owned()).or_default().clone()
    }

    /// Payment request `id` as Klarna has it now: from a read that started after this call.
    pub async fn payment_request(&self, id: &str) -> Read {
        let asked = Instant::now();
        let slot = self.slot(id);
        let mut last = slot.lock().await;
        if let Some((started, read)) = last.as_ref() {
            if *started >= asked {
                return read.clone();
            }
            tokio::time::sleep_until(*started + self.min_interval).await;
        }
        let started = Instant::now();
        let read = match self.klarna.payment_request(id).await {
            Reply::Ok(value) => Read::Found(Arc::new(value)),
            Reply::Refused { status: 404, .. } => Read::Gone,
            other => Read::Failed(Arc::from(other.describe())),
        };
        *last = Some((started, read.clone()));
        read
    }
}
