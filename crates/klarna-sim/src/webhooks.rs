//! Webhook delivery, and nothing else: a background task sends each delivery of the outbox
//! when it falls due on the simulated clock (so moving the clock forward delivers what is
//! due), signed with HMAC-SHA256 of the raw body (hex or base64, as the event's dialect
//! writes it), and reports how it went to the state.

use std::sync::Weak;
use std::time::Duration;

use klarna_api::webhook::{headers, sign_with};

use crate::state::Attempt;
use crate::{Shared, Sim};

/// The longest the task sleeps without looking at the outbox again.
const IDLE_WAIT: Duration = Duration::from_secs(60);

/// Sends what is due, then sleeps until the next delivery is due or it is woken (a new
/// event, a clock change, a release); ends when the simulator is dropped.
pub async fn run(shared: Weak<Shared>) {
    loop {
        let Some(shared) = shared.upgrade() else { return };
        let sim = Sim { shared };
        let (attempts, wait) = {
            let mut state = sim.lock();
            let attempts = state.due_attempts();
            let now = state.now();
            let wait = state.next_due().map_or(IDLE_WAIT, |due| {
                let millis = (due - now).whole_milliseconds().clamp(0, i128::from(u32::MAX));
                Duration::from_millis(u64::try_from(millis).unwrap_or(0)).min(IDLE_WAIT)
            });
            (attempts, wait)
        };
        for attempt in attempts {
            tokio::spawn(send(sim.clone(), attempt));
        }
        let wake = sim.shared.wake.clone();
        drop(sim);
        tokio::select! {
            () = wake.notified() => {}
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// One attempt: POST the body with its signature, then record the answer.
async fn send(sim: Sim, attempt: Attempt) {
    let delivery = attempt.delivery;
    let signature = sign_with(attempt.signing_key.as_bytes(), delivery.body.as_bytes(), delivery.encoding);
    let sent = sim
        .shared
        .http
        .post(&delivery.url)
        .header("Content-Type", "application/json")
        .header(headers::SIGNATURE, &signature)
        .header(headers::SIGNING_KEY_ID, &delivery.signing_key_id)
        .body(delivery.body.clone())
        .send()
        .await;
    let (status, error) = match &sent {
        Ok(response) => (Some(response.status().as_u16()), None),
        Err(error) => (None, Some(error.to_string())),
    };
    if !matches!(status, Some(200 | 201 | 202 | 204)) {
        let (event_id, url) = (&delivery.event_id, &delivery.url);
        tracing::warn!(event_id, url, attempt = delivery.attempts + 1, ?status, "webhook not acknowledged");
    }
    let retry = sim.retry_policy();
    // A failure to save is logged by mutate; the delivery is then tried again after a restart.
    let _ = sim.mutate(|state| {
        state.attempt_done(&delivery, status, error, retry);
        Ok(())
    });
}
