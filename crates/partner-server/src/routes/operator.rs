//! Operator endpoints (not for shoppers): capture and refund a stored transaction through
//! Klarna's Payment Transactions API. Off unless `--operator-key` is set; then they need
//! `Authorization: Bearer <operator key>`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use klarna_api::transaction::{CaptureRequest, RefundRequest};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::klarna::Reply;
use crate::store::TransactionView;
use crate::App;

/// The body of a capture or refund.
#[derive(Deserialize)]
pub struct Amount {
    amount: u64,
    /// Makes a retried operator call safe.
    #[serde(default)]
    reference: Option<String>,
}

fn authorized(app: &App, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(expected) = &app.config.operator_key else { return Err(ApiError::not_found("Route")) };
    let given = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    // Compare digests, so the comparison takes the same time whatever the key.
    if Sha256::digest(given.as_bytes()) != Sha256::digest(expected.as_bytes()) {
        return Err(ApiError::forbidden("OPERATOR_ONLY", "operator endpoints need the operator key"));
    }
    Ok(())
}

fn key(kind: &str, id: &str, body: &Amount) -> String {
    let reference = body.reference.clone().unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, format!("{kind}:{id}:{reference}").as_bytes()).to_string()
}

fn relay(reply: Reply<serde_json::Value>) -> Result<(), ApiError> {
    match reply {
        Reply::Ok(_) => Ok(()),
        Reply::Refused { status, body: Some(body) } => Err(ApiError::relayed(status, body)),
        other => Err(ApiError::bad_gateway("KLARNA_ERROR", format!("{other:?}"))),
    }
}

/// What the operator does to a transaction.
#[derive(Clone, Copy)]
enum Operation {
    Capture,
    Refund,
}

async fn operate(
    app: &App,
    id: &str,
    headers: &HeaderMap,
    body: Amount,
    operation: Operation,
) -> Result<(StatusCode, Json<TransactionView>), ApiError> {
    authorized(app, headers)?;
    app.store.transaction(id)?.ok_or_else(|| ApiError::not_found("Transaction"))?;
    match operation {
        Operation::Capture => {
            let key = key("capture", id, &body);
            let request = CaptureRequest { amount: body.amount, payment_capture_reference: body.reference.clone() };
            relay(app.klarna.capture(id, &request, &key).await)?;
            app.store.record_action(&key, id, "capture", body.amount)?;
        }
        Operation::Refund => {
            let key = key("refund", id, &body);
            let request = RefundRequest { amount: body.amount, payment_refund_reference: body.reference.clone() };
            relay(app.klarna.refund(id, &request, &key).await)?;
            app.store.record_action(&key, id, "refund", body.amount)?;
        }
    }
    let view = app.store.transaction(id)?.ok_or_else(|| ApiError::not_found("Transaction"))?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// `POST /operator/transactions/{id}/captures`.
pub async fn capture(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Amount>,
) -> Result<(StatusCode, Json<TransactionView>), ApiError> {
    operate(&app, &id, &headers, body, Operation::Capture).await
}

/// `POST /operator/transactions/{id}/refunds`.
pub async fn refund(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Amount>,
) -> Result<(StatusCode, Json<TransactionView>), ApiError> {
    operate(&app, &id, &headers, body, Operation::Refund).await
}
