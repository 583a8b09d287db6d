//! Operator endpoints (not for shoppers): capture and refund a stored transaction through
//! Klarna's Payment Transactions API, and the review of attempts nobody can prove. Off
//! unless `--operator-key` is set; then they need `Authorization: Bearer <operator key>`,
//! checked in constant time before the body is read.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use klarna_api::transaction::{CaptureRequest, RefundRequest};
use serde::Deserialize;
use subtle::ConstantTimeEq;

use crate::error::ApiError;
use crate::klarna::Reply;
use crate::store::attempts::Review;
use crate::store::sessions::TransactionView;
use crate::store::transactions::Action;
use crate::App;

/// The body of a capture or refund.
#[derive(Deserialize)]
pub struct Amount {
    amount: u64,
    /// Makes a retried operator call safe.
    #[serde(default)]
    reference: Option<String>,
}

/// The body of a review's resolution: what the operator found at Klarna.
#[derive(Deserialize)]
pub struct Resolution {
    /// The transaction the attempt created, when Klarna has one.
    #[serde(default)]
    transaction_id: Option<String>,
    /// Its amount.
    #[serde(default)]
    amount: Option<u64>,
}

fn authorized(app: &App, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(expected) = &app.config.operator_key else { return Err(ApiError::not_found("Route")) };
    let given = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let same: bool = given.as_bytes().ct_eq(expected.trim().as_bytes()).into();
    if !same {
        return Err(ApiError::forbidden("OPERATOR_ONLY", "operator endpoints need the operator key"));
    }
    Ok(())
}

fn parse<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::bad_request("INVALID_REQUEST", e.to_string()))
}

fn key(action: Action, id: &str, body: &Amount) -> String {
    let reference = body.reference.clone().unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let kind = crate::store::DbEnum::as_db(action);
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, format!("{kind}:{id}:{reference}").as_bytes()).to_string()
}

fn relay(reply: Reply<serde_json::Value>) -> Result<(), ApiError> {
    match reply {
        Reply::Ok(_) => Ok(()),
        Reply::Refused { status, error: Some(body), .. } => Err(ApiError::relayed(status, body)),
        other => Err(ApiError::bad_gateway("KLARNA_ERROR", other.describe())),
    }
}

async fn operate(
    app: &App,
    id: &str,
    headers: &HeaderMap,
    body: &Bytes,
    action: Action,
) -> Result<(StatusCode, Json<TransactionView>), ApiError> {
    authorized(app, headers)?;
    let body: Amount = parse(body)?;
    app.store.transaction(id).await?.ok_or_else(|| ApiError::not_found("Transaction"))?;
    let key = key(action, id, &body);
    let reply = match action {
        Action::Capture => {
            let request = CaptureRequest { amount: body.amount, payment_capture_reference: body.reference.clone() };
            app.klarna.capture(id, &request, &key).await
        }
        Action::Refund => {
            let request = RefundRequest { amount: body.amount, payment_refund_reference: body.reference.clone() };
            app.klarna.refund(id, &request, &key).await
        }
    };
    relay(reply)?;
    app.store.record_action(&key, id, action, body.amount).await?;
    let view = app.store.transaction(id).await?.ok_or_else(|| ApiError::not_found("Transaction"))?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// `POST /operator/transactions/{id}/captures`.
pub async fn capture(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<TransactionView>), ApiError> {
    operate(&app, &id, &headers, &body, Action::Capture).await
}

/// `POST /operator/transactions/{id}/refunds`.
pub async fn refund(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<TransactionView>), ApiError> {
    operate(&app, &id, &headers, &body, Action::Refund).await
}

/// `GET /operator/reviews`: attempts of unknown outcome past Klarna's idempotency window.
pub async fn reviews(State(app): State<Arc<App>>, headers: HeaderMap) -> Result<Json<Vec<Review>>, ApiError> {
    authorized(&app, &headers)?;
    Ok(Json(app.store.reviews().await?))
}

/// `POST /operator/orders/{id}/resolve`: closes an order's review with what the operator
/// found at Klarna (`{"transaction_id": …, "amount": …}`, or `{}` for no transaction).
pub async fn resolve(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    authorized(&app, &headers)?;
    let resolution: Resolution = parse(&body)?;
    let transaction = match (resolution.transaction_id, resolution.amount) {
        (Some(id), Some(amount)) => Some((id, amount)),
        (None, _) => None,
        (Some(_), None) => return Err(ApiError::bad_request("MISSING_AMOUNT", "give the transaction's amount")),
    };
    if app.store.resolve_review(&id, transaction).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("Review"))
    }
}
