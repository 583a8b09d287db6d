//! `POST /webhooks/klarna`: Klarna's signed webhooks, each event handled once.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use klarna_api::webhook::{headers, verify};
use klarna_api::{PaymentRequest, WebhookEvent};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::error::ApiError;
use crate::finalize::{settle, Settled};
use crate::App;

/// Events older than this are refused: Klarna retries for 12 hours, so anything older is a
/// replay, not a delivery.
const MAX_EVENT_AGE: time::Duration = time::Duration::hours(24);

/// Verifies, stores and handles one webhook delivery.
pub async fn receive(
    State(app): State<Arc<App>>,
    request_headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let signature = request_headers.get(headers::SIGNATURE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !verify(app.config.webhook_signing_key.as_bytes(), &body, signature) {
        return Err(ApiError::bad_request("INVALID_SIGNATURE", "Klarna-Signature does not match the body"));
    }
    let event: WebhookEvent<serde_json::Value> = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request("INVALID_EVENT", format!("not a Klarna webhook event: {e}")))?;
    let occurred = OffsetDateTime::parse(&event.metadata.occurred_at, &Rfc3339)
        .map_err(|_| ApiError::bad_request("INVALID_EVENT", "occurred_at is not an RFC 3339 time"))?;
    if OffsetDateTime::now_utc() - occurred > MAX_EVENT_AGE {
        return Err(ApiError::bad_request("STALE_EVENT", "the event is older than 24 hours"));
    }
    let metadata = &event.metadata;
    let is_request_event = metadata.event_type.starts_with("payment.request.state-change.");
    let request: Option<PaymentRequest> =
        if is_request_event { serde_json::from_value(event.payload.clone()).ok() } else { None };
    let request_id = request.as_ref().and_then(|r| r.payment_request_id.clone());
    let text = String::from_utf8_lossy(&body);
    if !app.store.receive_event(
        &metadata.event_id,
        &metadata.event_type,
        request_id.as_deref(),
        &metadata.occurred_at,
        &text,
    )? {
        return Ok(StatusCode::OK);
    }
    if let (Some(request), Some(id)) = (request, request_id) {
        // An error answers 5xx and a busy final authorization 503, so Klarna delivers the event
        // again; only a settled event is marked handled.
        if settle(&app, &id, Some(request)).await? == Settled::Busy {
            return Ok(StatusCode::SERVICE_UNAVAILABLE);
        }
    }
    app.store.event_processed(&metadata.event_id)?;
    Ok(StatusCode::OK)
}
