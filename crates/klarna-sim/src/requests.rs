//! `GET` and `DELETE /v2/accounts/{account}/payment/requests/{id}`.

use axum::extract::{Path, State};
use axum::Json;
use klarna_api::{PaymentRequest, PaymentRequestState};

use crate::api_error::ApiError;
use crate::Sim;

/// Reads a payment request (expiring first what is due).
pub async fn read(
    State(sim): State<Sim>,
    Path((account, id)): Path<(String, String)>,
) -> Result<Json<PaymentRequest>, ApiError> {
    if sim.lock().has_expired_requests() {
        sim.mutate(|state| {
            state.expire_due(sim.ids());
            Ok(())
        })?;
    }
    let state = sim.lock();
    let request = state.requests.get(&id).filter(|r| r.account == account).map(|r| r.request.clone());
    request.map(Json).ok_or_else(|| ApiError::not_found("Payment request"))
}

/// Cancels a payment request: from SUBMITTED or IN_PROGRESS, or COMPLETED until the final
/// authorization ran.
pub async fn cancel(
    State(sim): State<Sim>,
    Path((account, id)): Path<(String, String)>,
) -> Result<Json<PaymentRequest>, ApiError> {
    sim.mutate(|state| {
        state.expire_due(sim.ids());
        if state.requests.get(&id).is_none_or(|r| r.account != account) {
            return Err(ApiError::not_found("Payment request"));
        }
        state.cancel(sim.ids(), &id).map_err(|current: PaymentRequestState| {
            ApiError::conflict(format!("A {} payment request cannot be canceled", current.as_str()))
        })?;
        state.requests.get(&id).map(|r| Json(r.request.clone())).ok_or_else(ApiError::internal)
    })
}
