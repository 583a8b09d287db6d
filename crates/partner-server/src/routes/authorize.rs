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
use crate::store::{Begin, SessionRow};
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
    let context = request.context.as_ref().ok_or_else(|| {
        ApiError::bad_request("MISSING_CONTEXT", "context.checkoutSessionId names the checkout session")
    })?;
    let row =
        app.store.session(&context.checkout_session_id)?.ok_or_else(|| ApiError::not_found("Checkout session"))?;
    let session = &row.session;

    let fingerprint = checkout::attempt_fingerprint(session, request.payment_option_id.as_deref());
    // Derived from the click's key: a retry of this click is a retry at Klarna too.
    let fresh_key =
        uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, format!("authorize:{}:{browser_key}", session.id).as_bytes())
            .to_string();
    let klarna_key = match app.store.begin_attempt(&row, &browser_key, &fingerprint, &fresh_key)? {
        Begin::Proceed { klarna_key } => klarna_key,
        // The same click again (a retry of a lost reply): the same answer, no second Klarna call.
        Begin::Replay { status, reply } => return Ok(json_reply(status, reply)),
        Begin::InProgress => {
            return Err(ApiError::conflict("ATTEMPT_IN_PROGRESS", "a Klarna payment for this order is already on its way"))
        }
        Begin::Finished(status) => {
            return Err(ApiError::conflict("ORDER_FINISHED", format!("this order is already {}", status.as_str())))
        }
        Begin::DeclinedBefore => {
            return Err(ApiError::conflict(
                "DECLINE_NOT_REPLAYED",
                "Klarna declined this payment; it is not retried unchanged. Choose another payment method or change the order.",
            ))
        }
    };
    match authorize_attempt(&app, &row, &request, &browser_key, &klarna_key, &fingerprint).await {
        Ok(reply) => Ok(reply),
        Err((error, certain)) => {
            app.store.end_attempt_without_outcome(&session.id, &browser_key, certain, error.status.as_u16())?;
            Err(error)
        }
    }
}

/// One attempt at Klarna, once it is recorded as in flight. An error says whether Klarna
/// certainly did nothing (`true`) or may have acted (`false`: the next attempt reuses the key).
async fn authorize_attempt(
    app: &App,
    row: &SessionRow,
    request: &BrowserRequest,
    browser_key: &str,
    klarna_key: &str,
    fingerprint: &str,
) -> Result<Response, (ApiError, bool)> {
    let session = &row.session;
    let certain = |error: ApiError| (error, true);
    // A new attempt replaces any journey this order left open.
    for open in app.store.open_requests(&session.id).map_err(|e| certain(e.into()))? {
        if let Reply::Ok(canceled) = app.klarna.cancel_payment_request(&open).await {
            let state = canceled.state.unwrap_or(klarna_api::PaymentRequestState::Canceled);
            app.store.record_request_state(&open, state, None).map_err(|e| certain(e.into()))?;
        }
    }
    let saved = match session.flow {
        Flow::TokenCharge => {
            let token = app.store.token_for_charge(&session.customer_id).map_err(|e| certain(e.into()))?;
            Some(token.ok_or_else(|| {
                certain(ApiError::conflict(
                    "NO_SAVED_TOKEN",
                    "this shopper has no saved Klarna token; save one first (flow token_only)",
                ))
            })?)
        }
        _ => None,
    };
    let return_url = format!("{}/order/{}/return?state={{klarna.payment_request.state}}", app.public_url, session.id);
    let call = Call {
        return_url: &return_url,
        payment_option_id: request.payment_option_id.clone(),
        simulator: app.simulator,
    };
    let klarna_request = checkout::authorize_request(session, &call);
    let reply = app
        .klarna
        .authorize(
            &klarna_request,
            AuthorizeHeaders {
                idempotency_key: Some(klarna_key),
                network_session_token: request.klarna_network_session_token.as_deref(),
                customer_token: saved.as_ref().map(|(_, klarna_token)| klarna_token.as_str()),
                interoperability_token: session.interoperability_token.as_deref(),
            },
        )
        .await;
    let response = match reply {
        Reply::Ok(response) => response,
        Reply::Refused { status, body } => {
            let code = body.as_ref().map(|b| b.error_code.clone());
            tracing::warn!(session = session.id, status, code, "Klarna refused the authorization");
            // Klarna may have acted on a 5xx (a timeout, say); a 4xx it refused outright.
            let certain = !(500..600).contains(&status);
            let error = match body {
                Some(_) if matches!(status, 401 | 403) => {
                    tracing::error!(status, "Klarna refused this backend's credentials");
                    ApiError::bad_gateway(
                        "KLARNA_CONFIGURATION",
                        "the payment provider is misconfigured; Klarna refused its credentials",
                    )
                }
                Some(body) => ApiError::relayed(status, body),
                None => ApiError::bad_gateway(
                    "KLARNA_ERROR",
                    format!("Klarna answered HTTP {status} without an error body"),
                ),
            };
            return Err((error, certain));
        }
        Reply::Malformed => {
            let error =
                ApiError::bad_gateway("KLARNA_INVALID_REPLY", "Klarna's reply is not a Payment Authorize reply");
            return Err((error, false));
        }
        Reply::Unreachable(why) => {
            tracing::warn!(session = session.id, why, "Klarna unreachable");
            let error = ApiError::bad_gateway("KLARNA_UNREACHABLE", "Klarna could not be reached; please try again");
            return Err((error, false));
        }
    };
    let outcome = response.outcome().map_err(|why| {
        let error =
            ApiError::bad_gateway("KLARNA_INVALID_REPLY", format!("Klarna's reply has no usable result: {why:?}"));
        (error, false)
    })?;
    let public = response.clone().without_customer_token();
    let public_json = serde_json::to_string(&public).map_err(|e| (ApiError::internal(e.to_string()), false))?;
    app.store
        .record_authorization(row, browser_key, klarna_key, fingerprint, &response, outcome, &public_json)
        .map_err(|e| (e.into(), false))?;

    // A decline ends the attempt: a payment request made for the token part is left unused.
    if outcome.kind == klarna_api::OutcomeKind::Decline {
        if let Some(id) = response.payment_request.as_ref().and_then(|r| r.id()) {
            if let Reply::Ok(request) = app.klarna.cancel_payment_request(id).await {
                let state = request.state.unwrap_or(klarna_api::PaymentRequestState::Canceled);
                if let Err(error) = app.store.record_request_state(id, state, None) {
                    tracing::warn!(%error, "could not record the canceled payment request");
                }
            }
        }
    }
    tracing::info!(session = session.id, outcome = ?outcome.kind, "authorization recorded");
    Ok(json_reply(200, public_json))
}
