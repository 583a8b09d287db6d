//! Payment transactions: read, capture, refund (enough to show a lifecycle).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use klarna_api::authorize::headers::IDEMPOTENCY_KEY;
use klarna_api::transaction::{CaptureRequest, PaymentCapture, PaymentRefund, RefundRequest, TransactionDetails};
use sha2::{Digest, Sha256};

use crate::api_error::ApiError;
use crate::authorize::replay;
use crate::body::JsonBody;
use crate::state::StoredReply;
use crate::{auth, clock, webhooks, Sim};

/// Refunds allowed per transaction.
const MAX_REFUNDS: usize = 200;
/// Captures and refunds allowed per transaction.
const MAX_ACTIONS: usize = 500;

/// `GET …/payment/transactions/{id}`.
pub async fn read(
    State(sim): State<Sim>,
    Path((account, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<TransactionDetails>, ApiError> {
    auth::check(&headers)?;
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
    headers: HeaderMap,
    body: JsonBody,
) -> Result<Response, ApiError> {
    auth::check(&headers)?;
    let request = Action::Capture(body.parse()?);
    act(&sim, &account, &id, &headers, &body, request)
}

/// `POST …/payment/transactions/{id}/refunds`.
pub async fn refund(
    State(sim): State<Sim>,
    Path((account, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<Response, ApiError> {
    auth::check(&headers)?;
    let request = Action::Refund(body.parse()?);
    act(&sim, &account, &id, &headers, &body, request)
}

fn act(
    sim: &Sim,
    account: &str,
    id: &str,
    headers: &HeaderMap,
    body: &JsonBody,
    action: Action,
) -> Result<Response, ApiError> {
    let key = headers.get(IDEMPOTENCY_KEY).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let fingerprint: [u8; 32] =
        Sha256::new().chain_update(account).chain_update(id).chain_update(&body.0).finalize().into();
    let (reply, outgoing) = {
        let mut state = sim.lock();
        if let Some(key) = &key {
            if let Some(reply) = replay(&mut state, key, &fingerprint)? {
                return Ok(reply);
            }
        }
        let now = state.now();
        let created_at = clock::rfc3339(now);
        let record = state
            .transactions
            .get_mut(id)
            .filter(|t| t.account == account)
            .ok_or_else(|| ApiError::not_found("Payment transaction"))?;
        let details = &mut record.details;
        if details.payment_captures.len() + details.payment_refunds.len() >= MAX_ACTIONS {
            return Err(ApiError::forbidden("This transaction reached 500 captures and refunds"));
        }
        let (event_type, reply) = match action {
            Action::Capture(capture) => {
                let left = details.amount - details.captured_amount;
                if capture.amount == 0 || capture.amount > left {
                    return Err(ApiError::validation(
                        "amount",
                        format!("must be from 1 to {left}, the amount left to capture"),
                    ));
                }
                let capture = PaymentCapture {
                    payment_capture_id: sim.ids().krn("krn:payment:eu1:capture:"),
                    amount: capture.amount,
                    created_at,
                };
                details.captured_amount += capture.amount;
                details.payment_captures.push(capture.clone());
                ("payment.transaction.captured", serde_json::to_value(capture))
            }
            Action::Refund(refund) => {
                if details.payment_refunds.len() >= MAX_REFUNDS {
                    return Err(ApiError::forbidden("This transaction reached 200 refunds"));
                }
                let left = details.captured_amount - details.refunded_amount;
                if refund.amount == 0 || refund.amount > left {
                    return Err(ApiError::validation(
                        "amount",
                        format!("must be from 1 to {left}, the captured amount not yet refunded"),
                    ));
                }
                let refund = PaymentRefund {
                    payment_refund_id: sim.ids().krn("krn:payment:eu1:refund:"),
                    amount: refund.amount,
                    created_at,
                };
                details.refunded_amount += refund.amount;
                details.payment_refunds.push(refund.clone());
                ("payment.transaction.refunded", serde_json::to_value(refund))
            }
        };
        let reply = reply.map_err(|_| ApiError::internal())?;
        let payload = serde_json::to_value(&record.details).map_err(|_| ApiError::internal())?;
        let outgoing = webhooks::record(sim, &mut state, account, event_type.to_owned(), payload);
        if let Some(key) = key {
            state.idempotency.insert(key, StoredReply { fingerprint, status: 201, body: reply.clone(), at: now });
        }
        (reply, outgoing)
    };
    webhooks::send(sim, outgoing);
    Ok((StatusCode::CREATED, Json(reply)).into_response())
}
