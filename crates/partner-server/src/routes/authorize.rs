//! `POST /api/authorize-payment`: the browser-to-backend contract (spec A2), checked at the
//! door. Everything the browser sends is validated here, before an attempt is recorded: a
//! value Klarna's API could not take is a 400, never an attempt that cannot be sent.

use std::sync::Arc;

use axum::extract::{FromRequest, Request, State};
use axum::response::Response;
use axum::Extension;
use serde::Deserialize;

use crate::customer::Customer;
use crate::error::ApiError;
use crate::{csrf, App};

/// The largest body the button sends.
const MAX_BODY_BYTES: usize = 64 * 1024;
/// The longest network session token accepted (Klarna's tokens are far shorter).
const MAX_TOKEN: usize = 4096;
/// The longest payment option id accepted.
const MAX_OPTION: usize = 256;

/// The button's request, checked: what the authorization needs from the browser.
#[derive(Debug, Clone)]
pub struct ButtonCall {
    /// The click's `Idempotency-Key` (a UUID).
    pub idempotency_key: String,
    /// The order (`context.checkoutSessionId`).
    pub checkout_session_id: String,
    /// From Klarna's SDK, forwarded in `Klarna-Network-Session-Token`.
    pub klarna_network_session_token: Option<String>,
    /// From Klarna's SDK, forwarded as `request_payment_transaction.payment_option_id`.
    pub payment_option_id: Option<String>,
}

#[derive(Deserialize)]
struct Body {
    klarna_network_session_token: Option<String>,
    payment_option_id: Option<String>,
    context: Option<Context>,
}

#[derive(Deserialize)]
struct Context {
    #[serde(rename = "checkoutSessionId")]
    checkout_session_id: String,
}

/// A value for an HTTP header or a Klarna id: printable ASCII, no spaces, not empty.
fn token_like(value: &str, max: usize) -> bool {
    !value.is_empty() && value.len() <= max && value.bytes().all(|b| b.is_ascii_graphic())
}

impl FromRequest<Arc<App>> for ButtonCall {
    type Rejection = ApiError;

    async fn from_request(request: Request, app: &Arc<App>) -> Result<Self, ApiError> {
        csrf::check(request.headers(), &app.origins)?;
        let idempotency_key = request
            .headers()
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .filter(|key| uuid::Uuid::parse_str(key).is_ok())
            .ok_or_else(|| {
                ApiError::bad_request("MISSING_IDEMPOTENCY_KEY", "send a fresh UUID in Idempotency-Key with each click")
            })?
            .to_owned();
        let bytes = axum::body::to_bytes(request.into_body(), MAX_BODY_BYTES)
            .await
            .map_err(|_| ApiError::bad_request("BODY_TOO_LARGE", "the request body is over 64 KB"))?;
        let body: Body = serde_json::from_slice(&bytes).map_err(|e| {
            ApiError::bad_request("INVALID_REQUEST", format!("the body is not the button's request: {e}"))
        })?;
        let context = body.context.ok_or_else(|| {
            ApiError::bad_request("MISSING_CONTEXT", "context.checkoutSessionId names the checkout session")
        })?;
        if !token_like(&context.checkout_session_id, 128) {
            return Err(ApiError::bad_request(
                "INVALID_CONTEXT",
                "context.checkoutSessionId is not a checkout session id",
            ));
        }
        if body.klarna_network_session_token.as_deref().is_some_and(|t| !token_like(t, MAX_TOKEN)) {
            return Err(ApiError::bad_request(
                "INVALID_NETWORK_SESSION_TOKEN",
                "klarna_network_session_token must be printable ASCII without spaces, at most 4096 characters",
            ));
        }
        if body.payment_option_id.as_deref().is_some_and(|o| !token_like(o, MAX_OPTION)) {
            return Err(ApiError::bad_request(
                "INVALID_PAYMENT_OPTION",
                "payment_option_id must be printable ASCII without spaces, at most 256 characters",
            ));
        }
        Ok(Self {
            idempotency_key,
            checkout_session_id: context.checkout_session_id,
            klarna_network_session_token: body.klarna_network_session_token,
            payment_option_id: body.payment_option_id,
        })
    }
}

/// The authorize route.
pub async fn authorize(
    State(app): State<Arc<App>>,
    Extension(customer): Extension<Customer>,
    call: ButtonCall,
) -> Result<Response, ApiError> {
    crate::authorization::click(app, customer, call).await
}
