//! `POST /api/authorize-payment`: the browser-to-backend contract (spec A2).
//!
//! Same-origin JSON only; the session named in `context` decides the flow and the amount;
//! one Klarna call per click (`Idempotency-Key`); the reply is persisted before it is sent,
//! and sent without the customer token.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::checkout::{self, Call, Flow};
use crate::error::ApiError;
use crate::klarna::{AuthorizeHeaders, Reply};
use crate::{csrf, App};

/// What the button sends (spec A2).
#[derive(Deserialize)]
struct BrowserRequest {
    klarna_network_session_token: Option<String>,
    payment_option_id: Option<String>,
    #[serde(default)]
    context: Option<Context>,
}

/// The page's context: which checkout session this is.
#[derive(Deserialize)]
struct Context {
    #[serde(rename = "checkoutSessionId")]
    checkout_session_id: String,
}

fn json_reply(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    (status, [("content-type", "application/json")], body).into_response()
}

/// The authorize route.
pub async fn authorize(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    csrf::same_origin_json(&headers)?;
    let browser_key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .filter(|key| uuid::Uuid::parse_str(key).is_ok())
        .ok_or_else(|| {
            ApiError::bad_request("MISSING_IDEMPOTENCY_KEY", "send a fresh UUID in Idempotency-Key with each click")
        })?
        .to_owned();
    let request: BrowserRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request("INVALID_REQUEST", format!("the body is not the button's request: {e}")))?;
    let context = request.context.ok_or_else(|| {
        ApiError::bad_request("MISSING_CONTEXT", "context.checkoutSessionId names the checkout session")
    })?;
    let row =
        app.store.session(&context.checkout_session_id)?.ok_or_else(|| ApiError::not_found("Checkout session"))?;
    let session = &row.session;

    // The same click again (a retry of a lost reply): the same answer, no second Klarna call.
    if let Some((status, reply)) = app.store.earlier_reply(&session.id, &browser_key)? {
        return Ok(json_reply(status, reply));
    }
    let fingerprint = checkout::attempt_fingerprint(session, request.payment_option_id.as_deref());
    let refuse = |error: ApiError, outcome: &str| -> Result<Response, ApiError> {
        let reply = serde_json::to_string(&error.body).map_err(|e| ApiError::internal(e.to_string()))?;
        app.store.record_failed_attempt(
            &session.id,
            &browser_key,
            &fingerprint,
            error.status.as_u16(),
            outcome,
            &reply,
        )?;
        Err(error)
    };
    if row.declined_fingerprint.as_deref() == Some(fingerprint.as_str()) {
        return refuse(
            ApiError::conflict(
                "DECLINE_NOT_REPLAYED",
                "Klarna declined this payment; it is not retried unchanged. Choose another payment method or change the order.",
            ),
            "REFUSED_REPLAY",
        );
    }
    if row.status.is_done() {
        return refuse(
            ApiError::conflict("ORDER_FINISHED", format!("this order is already {}", row.status.as_str())),
            "REFUSED_FINISHED",
        );
    }

    let saved = match session.flow {
        Flow::TokenCharge => Some(app.store.token_for_charge(&session.customer_id)?.ok_or_else(|| {
            ApiError::conflict(
                "NO_SAVED_TOKEN",
                "this shopper has no saved Klarna token; save one first (flow token_only)",
            )
        })?),
        _ => None,
    };
    let origin =
        headers.get("host").and_then(|h| h.to_str().ok()).map(|host| format!("http://{host}")).unwrap_or_default();
    let return_url = format!("{origin}/order/{}/return?state={{klarna.payment_request.state}}", session.id);
    let call = Call {
        return_url: &return_url,
        payment_option_id: request.payment_option_id.clone(),
        simulator: app.simulator,
    };
    let klarna_request = checkout::authorize_request(session, &call);
    // Derived from the click's key: a retry of this click is a retry at Klarna too.
    let klarna_key =
        uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, format!("authorize:{}:{browser_key}", session.id).as_bytes())
            .to_string();
    let reply = app
        .klarna
        .authorize(
            &klarna_request,
            AuthorizeHeaders {
                idempotency_key: Some(&klarna_key),
                network_session_token: request.klarna_network_session_token.as_deref(),
                customer_token: saved.as_ref().map(|(_, klarna_token)| klarna_token.as_str()),
                interoperability_token: session.interoperability_token.as_deref(),
            },
        )
        .await;
    let response = match reply {
        Reply::Ok(response) => response,
        Reply::Refused { status, body } => {
            let error = match body {
                Some(body) => ApiError::relayed(status, body),
                None => ApiError::bad_gateway(
                    "KLARNA_ERROR",
                    format!("Klarna answered HTTP {status} without an error body"),
                ),
            };
            let reply = serde_json::to_string(&error.body).map_err(|e| ApiError::internal(e.to_string()))?;
            // Not stored as this click's answer: the same click may be retried.
            tracing::warn!(
                session = session.id,
                status,
                code = error.body.error_code,
                reply,
                "Klarna refused the authorization"
            );
            return Err(error);
        }
        Reply::Malformed => {
            return Err(ApiError::bad_gateway(
                "KLARNA_INVALID_REPLY",
                "Klarna's reply is not a Payment Authorize reply",
            ))
        }
        Reply::Unreachable(why) => {
            return Err(ApiError::bad_gateway("KLARNA_UNREACHABLE", format!("Klarna could not be reached: {why}")))
        }
    };
    let outcome = response.outcome().map_err(|why| {
        ApiError::bad_gateway("KLARNA_INVALID_REPLY", format!("Klarna's reply has no usable result: {why:?}"))
    })?;
    let public = response.clone().without_customer_token();
    let public_json = serde_json::to_string(&public).map_err(|e| ApiError::internal(e.to_string()))?;
    app.store.record_authorization(&row, &browser_key, &klarna_key, &fingerprint, &response, outcome, &public_json)?;

    // A decline ends the attempt: a payment request made for the token part is left unused.
    if outcome.kind == klarna_api::OutcomeKind::Decline {
        if let Some(id) = response.payment_request.as_ref().and_then(|r| r.id()) {
            if let Reply::Ok(request) = app.klarna.cancel_payment_request(id).await {
                app.store.record_request_state(
                    id,
                    request.state.unwrap_or(klarna_api::PaymentRequestState::Canceled),
                    None,
                )?;
            }
        }
    }
    tracing::info!(session = session.id, outcome = ?outcome.kind, "authorization recorded");
    Ok(json_reply(200, public_json))
}
