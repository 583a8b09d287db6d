//! `POST /webhooks/klarna`: Klarna's signed webhooks. A webhook is a notification, not a
//! source of truth: it is verified (signature by key id, recipient account, age), stored,
//! acknowledged at once, and handled in a task that outlives the delivery, by reading the
//! payment request from Klarna. What fails is retried by the sweeper.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use klarna_api::webhook::headers;
use klarna_api::WebhookEvent;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::error::ApiError;
use crate::finalize::{settle, Settled};
use crate::store::events::{EventStatus, IncomingEvent};
use crate::App;

/// Events older than this are refused: Klarna retries for 12 hours, so anything older is a
/// replay, not a delivery.
const MAX_EVENT_AGE: time::Duration = time::Duration::hours(24);
/// Events from further in the future than this are refused too.
const MAX_CLOCK_SKEW: time::Duration = time::Duration::minutes(5);

/// Verifies, stores and acknowledges one delivery; its handling runs in the background.
pub async fn receive(
    State(app): State<Arc<App>>,
    request_headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let header = |name: &str| request_headers.get(name).and_then(|v| v.to_str().ok());
    let key_id = header(headers::SIGNING_KEY_ID);
    let signature = header(headers::SIGNATURE).unwrap_or("");
    if !crate::signatures::verify(&app.signing_keys, key_id, &body, signature) {
        tracing::warn!(key_id, "a webhook with a bad signature");
        return Err(ApiError::bad_request("INVALID_SIGNATURE", "Klarna-Signature does not match the body"));
    }
    let event: WebhookEvent<serde_json::Value> = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request("INVALID_EVENT", format!("not a Klarna webhook event: {e}")))?;
    let metadata = &event.metadata;
    if metadata.recipient_account_id != app.klarna.account() {
        tracing::warn!(recipient = metadata.recipient_account_id, "a webhook for another account");
        return Err(ApiError::bad_request("WRONG_RECIPIENT", "the event is addressed to another account"));
    }
    let occurred = OffsetDateTime::parse(&metadata.occurred_at, &Rfc3339)
        .map_err(|_| ApiError::bad_request("INVALID_EVENT", "occurred_at is not an RFC 3339 time"))?;
    let age = OffsetDateTime::now_utc() - occurred;
    if age > MAX_EVENT_AGE || age < -MAX_CLOCK_SKEW {
        return Err(ApiError::bad_request("STALE_EVENT", "the event is older than 24 hours, or from the future"));
    }
    let payment_request_id = metadata
        .event_type
        .starts_with("payment.request.state-change.")
        .then(|| event.payload.get("payment_request_id").and_then(|v| v.as_str()).map(str::to_owned))
        .flatten();
    let incoming = IncomingEvent {
        event_id: metadata.event_id.clone(),
        event_type: metadata.event_type.clone(),
        payment_request_id,
        occurred_at: metadata.occurred_at.clone(),
        signing_key_id: key_id.map(str::to_owned),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let event_id = incoming.event_id.clone();
    if app.store.receive_event(incoming).await? {
        tokio::spawn(async move { process_event(&app, &event_id, 0).await });
    }
    Ok(StatusCode::OK)
}

/// Handles one stored event, if this instance can claim it: reads its payment request from
/// Klarna and settles the order. Gives it back for a later try when that fails.
pub async fn process_event(app: &App, event_id: &str, tries: i64) {
    let payment_request = match app.store.claim_event(event_id, &app.instance, app.timing).await {
        Ok(Some(request)) => request,
        Ok(None) => return,
        Err(error) => {
            tracing::error!(event_id, %error, "could not claim a webhook event");
            return;
        }
    };
    let Some(id) = payment_request else {
        let _ = app.store.finish_event(event_id, EventStatus::Ignored).await;
        return;
    };
    crate::kill_points::reached("webhook-before-order-update");
    let result = match settle(app, &id).await {
        Ok(Settled::NotOurs) => app.store.finish_event(event_id, EventStatus::Ignored).await,
        Ok(Settled::Done(_) | Settled::Gone) => app.store.finish_event(event_id, EventStatus::Done).await,
        Ok(Settled::Busy) | Err(_) => {
            let next = app.timing.next_try(crate::store::now_ms(), tries.saturating_add(1), None);
            app.store.retry_event(event_id, next).await
        }
    };
    if let Err(error) = result {
        tracing::error!(event_id, %error, "could not record a webhook event's handling");
    }
}
