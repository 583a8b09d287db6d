//! Webhook events and the deliveries owed for them: each event is kept, and one pending
//! delivery per target waits in the outbox until it is acknowledged or its retry budget is
//! spent. `webhooks.rs` sends what is due; the bookkeeping is here.

use klarna_api::{SignatureEncoding, WebhookEvent, WebhookMetadata};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use super::{log, EventRecord, State};
use crate::clock;
use crate::dialect::Dialect;
use crate::ids::IdGen;

/// Where webhooks go and the key that signs them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct WebhookTarget {
    /// The receiving URL.
    pub url: String,
    /// Sent as `Klarna-Signing-Key-Id`.
    pub signing_key_id: String,
    /// The HMAC key; `/_sim/state` and `/_sim/webhooks` never show it.
    pub signing_key: String,
}

/// A delivery still owed to one target.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingDelivery {
    /// The event's id.
    pub event_id: String,
    /// Its type.
    pub event_type: String,
    /// The receiving URL.
    pub url: String,
    /// The key that signs it, by id (the key itself stays with the target).
    pub signing_key_id: String,
    /// How `Klarna-Signature` is written (the event's dialect).
    pub encoding: SignatureEncoding,
    /// The body, exactly as signed and sent.
    pub body: String,
    /// Attempts made so far.
    pub attempts: u32,
    /// When the event happened (the retry budget counts from here).
    #[serde(with = "time::serde::rfc3339")]
    pub first_at: OffsetDateTime,
    /// When the next attempt is due (simulated clock).
    #[serde(with = "time::serde::rfc3339")]
    pub due_at: OffsetDateTime,
    /// Whether an attempt is under way.
    #[serde(skip)]
    pub sending: bool,
}

/// One delivery attempt, as `/_sim/deliveries` lists it.
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
    /// Whether the receiver acknowledged it (200, 201, 202 or 204).
    pub acknowledged: bool,
    /// When the attempt ended (simulated clock).
    pub at: String,
    /// When the next attempt is due; absent once acknowledged or given up.
    pub next_attempt_at: Option<String>,
}

/// An attempt to make now: the pending delivery and its signing key.
pub struct Attempt {
    /// The delivery.
    pub delivery: PendingDelivery,
    /// The target's HMAC key.
    pub signing_key: String,
}

/// When failed deliveries are tried again.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// The first retry's delay; it doubles each time, up to an hour.
    pub base: Duration,
    /// How long after the event retries go on.
    pub budget: Duration,
}

/// The longest wait between two attempts.
const MAX_RETRY_DELAY: Duration = Duration::hours(1);

impl RetryPolicy {
    /// The delay before attempt `attempts + 1`, after `attempts` failed ones.
    fn delay(self, attempts: u32) -> Duration {
        let doublings = attempts.saturating_sub(1).min(30);
        let delay = self.base.checked_mul(1 << doublings).unwrap_or(MAX_RETRY_DELAY);
        delay.min(MAX_RETRY_DELAY)
    }
}

impl State {
    /// Records an event about `account`, and a delivery to every webhook target, signed as
    /// `dialect` signs.
    pub fn record_event(
        &mut self,
        ids: &IdGen,
        account: &str,
        event_type: String,
        payload: serde_json::Value,
        dialect: Dialect,
    ) {
        let event_id = ids.uuid().to_string();
        let now = self.now();
        let occurred_at = clock::rfc3339(now);
        for (n, target) in self.webhooks.iter().enumerate() {
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
                payload: &payload,
            };
            let Ok(body) = serde_json::to_string(&event) else { continue };
            self.outbox.push(PendingDelivery {
                event_id: event_id.clone(),
                event_type: event_type.clone(),
                url: target.url.clone(),
                signing_key_id: target.signing_key_id.clone(),
                encoding: dialect.signature(),
                body,
                attempts: 0,
                first_at: now,
                due_at: now,
                sending: false,
            });
        }
        log(&mut self.events, EventRecord { event_id, event_type, occurred_at, payload });
    }

    /// The deliveries due now, marked as under way (none while deliveries are held).
    pub fn due_attempts(&mut self) -> Vec<Attempt> {
        if self.holding_deliveries {
            return Vec::new();
        }
        let now = self.now();
        let targets = &self.webhooks;
        // A delivery whose target was removed is dropped.
        self.outbox.retain(|d| targets.iter().any(|t| t.url == d.url && t.signing_key_id == d.signing_key_id));
        self.outbox
            .iter_mut()
            .filter(|d| !d.sending && d.due_at <= now)
            .filter_map(|delivery| {
                let target =
                    targets.iter().find(|t| t.url == delivery.url && t.signing_key_id == delivery.signing_key_id)?;
                delivery.sending = true;
                Some(Attempt { delivery: delivery.clone(), signing_key: target.signing_key.clone() })
            })
            .collect()
    }

    /// When the next delivery falls due, if any is waiting (none while deliveries are held).
    pub fn next_due(&self) -> Option<OffsetDateTime> {
        if self.holding_deliveries {
            return None;
        }
        self.outbox.iter().filter(|d| !d.sending).map(|d| d.due_at).min()
    }

    /// Records how an attempt went: acknowledged deliveries leave the outbox, failed ones are
    /// due again after the back-off, or dropped once the budget is spent.
    pub fn attempt_done(
        &mut self,
        attempt: &PendingDelivery,
        status: Option<u16>,
        error: Option<String>,
        retry: RetryPolicy,
    ) {
        let now = self.now();
        let acknowledged = matches!(status, Some(200 | 201 | 202 | 204));
        let same = |d: &PendingDelivery| {
            d.event_id == attempt.event_id && d.url == attempt.url && d.signing_key_id == attempt.signing_key_id
        };
        let attempts = attempt.attempts.saturating_add(1);
        let next = clock::after(now, retry.delay(attempts));
        let give_up = acknowledged || next > clock::after(attempt.first_at, retry.budget);
        if give_up {
            self.outbox.retain(|d| !same(d));
        } else if let Some(pending) = self.outbox.iter_mut().find(|d| same(d)) {
            pending.attempts = attempts;
            pending.due_at = next;
            pending.sending = false;
        }
        log(
            &mut self.deliveries,
            Delivery {
                event_id: attempt.event_id.clone(),
                event_type: attempt.event_type.clone(),
                url: attempt.url.clone(),
                attempt: attempts,
                status,
                error,
                acknowledged,
                at: clock::rfc3339(now),
                next_attempt_at: (!give_up).then(|| clock::rfc3339(next)),
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_double_up_to_an_hour() {
        let policy = RetryPolicy { base: Duration::milliseconds(500), budget: Duration::hours(12) };
        let delays: Vec<Duration> = (1..=4).map(|n| policy.delay(n)).collect();
        assert_eq!(delays, [500, 1000, 2000, 4000].map(Duration::milliseconds));
        assert_eq!(policy.delay(20), Duration::hours(1));
        assert_eq!(policy.delay(u32::MAX), Duration::hours(1));
        let huge = RetryPolicy { base: Duration::MAX, budget: Duration::MAX };
        assert_eq!(huge.delay(3), Duration::hours(1));
    }
}
