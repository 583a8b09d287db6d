//! `GET` and `DELETE /v2/accounts/{account}/payment/requests/{id}`.

use axum::extract::{Path, State};
use axum::{Extension, Json};
use klarna_api::PaymentRequestState;
use serde_json::Value;

use crate::api_error::ApiError;
use crate::dialect::CallDialect;
use crate::state::RequestRecord;
use crate::Sim;

/// The request as its dialect shows it (or the one the call's header names).
fn shown(record: &RequestRecord, call: CallDialect) -> Json<Value> {
    let dialect = if call.from_header { call.dialect } else { record.dialect };
    Json(dialect.request(&record.request))
}

/// Reads a payment request (expiring first what is due).
pub async fn read(
    State(sim): State<Sim>,
    Path((account, id)): Path<(String, String)>,
    Extension(call): Extension<CallDialect>,
) -> Result<Json<Value>, ApiError> {
    if sim.lock().has_expired_requests() {
        sim.mutate(|state| {
            state.expire_due(sim.ids());
            Ok(())
        })?;
    }
    let state = sim.lock();
    let record = state.requests.get(&id).filter(|r| r.account == account);
    record.map(|record| shown(record, call)).ok_or_else(|| ApiError::not_found("Payment request"))
}

/// Cancels a payment request: from SUBMITTED or IN_PROGRESS, or COMPLETED until the final
/// authorization ran.
pub async fn cancel(
    State(sim): State<Sim>,
    Path((account, id)): Path<(String, String)>,
    Extension(call): Extension<CallDialect>,
) -> Result<Json<Value>, ApiError> {
    sim.mutate(|state| {
        state.expire_due(sim.ids());
        if state.requests.get(&id).is_none_or(|r| r.account != account) {
            return Err(ApiError::not_found("Payment request"));
        }
        state.cancel(sim.ids(), &id).map_err(|current: PaymentRequestState| {
            ApiError::conflict(format!("A {} payment request cannot be canceled", current.as_str()))
        })?;
        state.requests.get(&id).map(|record| shown(record, call)).ok_or_else(ApiError::internal)
    })
}
