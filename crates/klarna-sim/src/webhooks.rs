//! Webhooks: events in Klarna's envelope, signed with HMAC-SHA256, delivered to every
//! configured URL and retried with doubling back-off until acknowledged (200, 201, 202, 204).

use std::time::Duration;

use klarna_api::webhook::{headers, sign};
use klarna_api::{WebhookEvent, WebhookMetadata};
use serde::{Deserialize, Serialize};

use crate::state::{EventRecord, State};
use crate::{clock, Sim};

/// Where webhooks go and the key that signs them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WebhookTarget {
    /// The receiving URL.
    pub url: String,
    /// Sent as `Klarna-Signing-Key-Id`.
    pub signing_key_id: String,
    /// The HMAC key; never shown by the control API.
    #[serde(skip_serializing)]
    pub signing_key: String,
}

/// One delivery attempt.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    /// The event delivered.
    pub event_id: String,
    /// Its type.
    pub event_type: String,
    /// Where to.
    pub url: String,
    /// 1 for the first try.
    pub attempt: u32,
    /// The receiver's status, if it answered.
    pub status: Option<u16>,
    /// Why it failed, if it did.
    pub error: Option<String>,
    /// Whether the receiver acknowledged it.
    pub acknowledged: bool,
    /// When the attempt ended (simulated clock).
    pub at: String,
}

/// An event waiting to be sent to one target.
pub struct Outgoing {
    event_id: String,
    event_type: String,
    body: String,
    target: WebhookTarget,
}

/// Records an event about `account` and returns its deliveries, to [`send`] once the state
/// lock is released.
pub fn record(
    sim: &Sim,
    state: &mut State,
    account: &str,
    event_type: String,
    payload: serde_json::Value,
) -> Vec<Outgoing> {
    let event_id = sim.ids().uuid().to_string();
    let occurred_at = clock::rfc3339(state.now());
    let outgoing = state
        .webhooks
        .iter()
        .enumerate()
        .filter_map(|(n, target)| {
            let event = WebhookEvent {
                metadata: WebhookMetadata {
                    event_type: event_type.clone(),
                    event_id: event_id.clone(),
                    event_version: "v2".to_owned(),
                    occurred_at: occurred_at.clone(),
                    subject_account_id: account.to_owned(),
                    recipient_account_id: account.to_owned(),
                    product_instance_id: None,
                    webhook_id: format!("krn:notification:eu1:webhook:sim-{n}"),
                    live: false,
                    correlation_id: None,
                },
                payload: payload.clone(),
            };
            let body = serde_json::to_string(&event).ok()?;
            Some(Outgoing { event_id: event_id.clone(), event_type: event_type.clone(), body, target: target.clone() })
        })
        .collect();
    state.events.push(EventRecord { event_id, event_type, occurred_at, payload });
    outgoing
}

/// Delivers each event in the background, with retries; or holds it back while
/// `/_sim/deliveries/hold` is in force.
pub fn send(sim: &Sim, outgoing: Vec<Outgoing>) {
    if outgoing.is_empty() {
        return;
    }
    {
        let mut state = sim.lock();
        if state.holding_deliveries {
            state.held.extend(outgoing);
            return;
        }
    }
    for event in outgoing {
        let sim = sim.clone();
        tokio::spawn(async move { deliver(sim, event).await });
    }
}

async fn deliver(sim: Sim, event: Outgoing) {
    let signature = sign(event.target.signing_key.as_bytes(), event.body.as_bytes());
    let attempts = sim.config().max_delivery_attempts.max(1);
    for attempt in 1..=attempts {
        let sent = sim
            .shared
            .http
            .post(&event.target.url)
            .header("Content-Type", "application/json")
            .header(headers::SIGNATURE, &signature)
            .header(headers::SIGNING_KEY_ID, &event.target.signing_key_id)
            .body(event.body.clone())
            .send()
            .await;
        let (status, error) = match &sent {
            Ok(response) => (Some(response.status().as_u16()), None),
            Err(error) => (None, Some(error.to_string())),
        };
        let acknowledged = matches!(status, Some(200 | 201 | 202 | 204));
        {
            let mut state = sim.lock();
            let at = clock::rfc3339(state.now());
            state.deliveries.push(Delivery {
                event_id: event.event_id.clone(),
                event_type: event.event_type.clone(),
                url: event.target.url.clone(),
                attempt,
                status,
                error,
                acknowledged,
                at,
            });
        }
        if acknowledged {
            return;
        }
        tracing::warn!(event_id = event.event_id, url = event.target.url, attempt, ?status, "webhook not acknowledged");
        if attempt < attempts {
            let delay = sim.config().retry_base_ms.saturating_mul(1 << (attempt - 1).min(16));
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
    }
}
