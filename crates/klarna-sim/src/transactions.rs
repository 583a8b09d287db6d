//! Payment transactions over HTTP: read, capture, refund (enough to show a lifecycle).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use klarna_api::authorize::headers::IDEMPOTENCY_KEY;
use klarna_api::transaction::{CaptureRequest, RefundRequest, TransactionDetails};
use sha2::{Digest, Sha256};

use crate::api_error::ApiError;
use crate::body::JsonBody;
use crate::dialect::{CallDialect, Dialect};
use crate::state::{Refusal, Replay};
use crate::Sim;

/// `GET …/payment/transactions/{id}`.
pub async fn read(
    State(sim): State<Sim>,
    Path((account, id)): Path<(String, String)>,
) -> Result<Json<TransactionDetails>, ApiError> {
    let state = sim.lock();
    let record = state.transactions.get(&id).filter(|t| t.account == account);
    record.map(|t| Json(t.details.clone())).ok_or_else(|| ApiError::not_found("Payment transaction"))
}

enum Action {
    Capture(CaptureRequest),
    Refund(RefundRequest),
}

/// `POST …/payment/transactions/{id}/captures`.
pub async fn capture(
    State(sim): State<Sim>,
    Path((account, id)): Path<(String, String)>,
    Extension(call): Extension<CallDialect>,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let action = Action::Capture(body.parse()?);
    act(&sim, &account, &id, &headers, &body, action, call.dialect)
}

/// `POST …/payment/transactions/{id}/refunds`.
pub async fn refund(
    State(sim): State<Sim>,
    Path((account, id)): Path<(String, String)>,
    Extension(call): Extension<CallDialect>,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let action = Action::Refund(body.parse()?);
    act(&sim, &account, &id, &headers, &body, action, call.dialect)
}

fn refused(refusal: Refusal) -> ApiError {
    match refusal {
        Refusal::NotFound => ApiError::not_found("Payment transaction"),
        Refusal::Limit(message) => ApiError::forbidden(message),
        Refusal::Amount(left, what) => ApiError::validation("amount", format!("must be from 1 to {left}, {what}")),
    }
}

fn act(
    sim: &Sim,
    account: &str,
    id: &str,
    headers: &HeaderMap,
    body: &JsonBody,
    action: Action,
    dialect: Dialect,
) -> Result<Response, ApiError> {
    let key = headers.get(IDEMPOTENCY_KEY).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let fingerprint: [u8; 32] =
        Sha256::new().chain_update(account).chain_update(id).chain_update(&body.0).finalize().into();
    sim.mutate(|state| {
        if let Some(key) = &key {
            match state.replay(key, &fingerprint) {
                Replay::Fresh => {}
                Replay::Conflict => {
                    return Err(ApiError::conflict("Klarna-Idempotency-Key was already used for a different request"))
                }
                Replay::Refuse => return Err(ApiError::rate_limited()),
                Replay::Reply(stored) => {
                    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
                    return Ok((status, Json(stored.body)).into_response());
                }
            }
        }
        let reply = match action {
            Action::Capture(capture) => {
                state.capture(sim.ids(), account, id, capture.amount, dialect).map(serde_json::to_value)
            }
            Action::Refund(refund) => {
                state.refund(sim.ids(), account, id, refund.amount, dialect).map(serde_json::to_value)
            }
        };
        let reply = reply.map_err(refused)?.map_err(|_| ApiError::internal())?;
        if let Some(key) = key {
            state.keep_reply(key, fingerprint, 201, reply.clone());
        }
        Ok((StatusCode::CREATED, Json(reply)).into_response())
    })
}
