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
use crate::klarna::{AuthorizeHeaders, Reply, StoredCall};
use crate::store::{Begin, Click, SessionRow};
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
    let customer_token = match session.flow {
        Flow::TokenCharge => {
            Some(app.store.token_for_charge(&session.customer_id)?.map(|(_, token)| token).ok_or_else(|| {
                ApiError::conflict(
                    "NO_SAVED_TOKEN",
                    "this shopper has no saved Klarna token; save one first (flow token_only)",
                )
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
    let stored = StoredCall {
        request: checkout::authorize_request(session, &call),
        network_session_token: request.klarna_network_session_token.clone(),
        customer_token,
        interoperability_token: session.interoperability_token.clone(),
    };
    let request_json = serde_json::to_string(&stored).map_err(|e| ApiError::internal(e.to_string()))?;
    // Derived from the click's key: a retry of this click is a retry at Klarna too.
    let fresh_key =
        uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, format!("authorize:{}:{browser_key}", session.id).as_bytes())
            .to_string();
    let click = Click {
        browser_key: &browser_key,
        fingerprint: &fingerprint,
        fresh_key: &fresh_key,
        request_json: &request_json,
    };
    let (klarna_key, request_json) = match app.store.begin_attempt(&row, &click)? {
        Begin::Proceed { klarna_key, request_json } => (klarna_key, request_json),
        // The same click again (a retry of a lost reply): the same answer, no second Klarna call.
        Begin::Replay { status, reply } => return Ok(json_reply(status, reply)),
        Begin::KeyReused => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                klarna_api::ErrorType::InputError,
                "IDEMPOTENCY_KEY_REUSED",
                "this Idempotency-Key was used for a different attempt",
            ))
        }
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
    // Runs to its end even if the browser goes away, so the attempt never stays in flight.
    let attempt = {
        let (app, row, browser_key, fingerprint) = (app.clone(), row.clone(), browser_key.clone(), fingerprint.clone());
        tokio::spawn(async move {
            authorize_attempt(&app, &row, &request_json, &browser_key, &klarna_key, &fingerprint).await
        })
    };
    let result = attempt.await.unwrap_or_else(|_| Err((ApiError::internal("the authorization task failed"), false)));
    match result {
        Ok(reply) => Ok(reply),
        Err((error, certain)) => {
            app.store.end_attempt_without_outcome(&session.id, &browser_key, certain, error.status.as_u16())?;
            Err(error)
        }
    }
}

/// One attempt at Klarna, once it is recorded as in flight. An error says whether Klarna
/// certainly did nothing (`true`) or may have acted (`false`: the attempt is repeated next).
async fn authorize_attempt(
    app: &App,
    row: &SessionRow,
    request_json: &str,
    browser_key: &str,
    klarna_key: &str,
    fingerprint: &str,
) -> Result<Response, (ApiError, bool)> {
    let session = &row.session;
    let certain = |error: ApiError| (error, true);
    let call: StoredCall =
        serde_json::from_str(request_json).map_err(|e| certain(ApiError::internal(e.to_string())))?;
    // A new attempt replaces any journey this order left open.
    for open in app.store.open_requests(&session.id).map_err(|e| certain(e.into()))? {
        match app.klarna.cancel_payment_request(&open).await {
            Reply::Ok(canceled) => {
                let state = canceled.state.unwrap_or(klarna_api::PaymentRequestState::Canceled);
                app.store.record_request_state(&open, state, None).map_err(|e| certain(e.into()))?;
            }
            _ => {
                // It moved on at Klarna (completed, say): learn where it stands; try again later.
                let _ = crate::finalize::settle(app, &open, None).await;
                return Err(certain(ApiError::conflict(
                    "JOURNEY_STILL_OPEN",
                    "an earlier Klarna journey of this order is still being finished; please try again",
                )));
            }
        }
    }
    let reply = app
        .klarna
        .authorize(
            &call.request,
            AuthorizeHeaders {
                idempotency_key: Some(klarna_key),
                network_session_token: call.network_session_token.as_deref(),
                customer_token: call.customer_token.as_deref(),
                interoperability_token: call.interoperability_token.as_deref(),
            },
        )
        .await;
    let response = match reply {
        Reply::Ok(response) => response,
        Reply::Refused { status, body } => {
            let code = body.as_ref().map(|b| b.error_code.clone());
            tracing::warn!(session = session.id, status, code, "Klarna refused the authorization");
            // Klarna may have acted on a 5xx (a timeout, say) and on a 409 (the key is in use);
            // any other 4xx it refused outright.
            let certain = (400..500).contains(&status) && status != 409;
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
