//! Klarna reads of payment requests, coalesced: however many shoppers, webhooks and sweeps
//! ask at once, one request to Klarna per payment request is in flight, and the same request
//! is read at most once per `min_interval` (a flood of returning-shopper requests costs
//! Klarna nothing more).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::future::{BoxFuture, FutureExt, Shared};

use crate::klarna::{Klarna, Reply};

/// What a read gives: the reply's status and body, shareable between waiters.
#[derive(Debug, Clone)]
pub enum Read {
    /// The payment request, as JSON.
    Found(Arc<serde_json::Value>),
    /// Klarna does not know it (404).
    Gone,
    /// No usable answer; why.
    Failed(Arc<str>),
}

type Flight = Shared<BoxFuture<'static, Read>>;

/// The coalescing reader.
pub struct Reads {
    klarna: Klarna,
    min_interval: Duration,
    flights: Mutex<HashMap<String, (Instant, Flight)>>,
}

/// The most payment requests remembered between reads.
const REMEMBERED: usize = 10_000;

impl Reads {
    /// A reader over `klarna` that reads one request at most once per `min_interval`.
    pub fn new(klarna: Klarna, min_interval: Duration) -> Self {
        Self { klarna, min_interval, flights: Mutex::new(HashMap::new()) }
    }

    /// Reads payment request `id` from Klarna, joining a read in flight or one that finished
    /// less than `min_interval` ago.
    pub async fn payment_request(&self, id: &str) -> Read {
        let flight = {
            let mut flights = self.flights.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let now = Instant::now();
            match flights.get(id) {
                Some((started, flight))
                    if now.duration_since(*started) < self.min_interval || flight.peek().is_none() =>
                {
                    flight.clone()
                }
                _ => {
                    if flights.len() >= REMEMBERED {
                        let interval = self.min_interval;
                        flights.retain(|_, (started, flight)| {
                            flight.peek().is_none() || now.duration_since(*started) < interval
                        });
                    }
                    let klarna = self.klarna.clone();
                    let owned = id.to_owned();
                    let flight = async move { read(&klarna, &owned).await }.boxed().shared();
                    flights.insert(id.to_owned(), (now, flight.clone()));
                    flight
                }
            }
        };
        flight.await
    }
}

async fn read(klarna: &Klarna, id: &str) -> Read {
    match klarna.payment_request(id).await {
        Reply::Ok(value) => Read::Found(Arc::new(value)),
        Reply::Refused { status: 404, .. } => Read::Gone,
        other => Read::Failed(Arc::from(other.describe())),
    }
}
