//! `GET` and `DELETE /v2/accounts/{account}/payment/requests/{id}`, the state machine and
//! expiry on the simulated clock.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use klarna_api::{PaymentRequest, PaymentRequestState};

use crate::api_error::ApiError;
use crate::state::State as SimState;
use crate::webhooks::{self, Outgoing};
use crate::{auth, clock, Sim};

/// Reads a payment request.
pub async fn read(
    State(sim): State<Sim>,
    Path((account, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<PaymentRequest>, ApiError> {
    auth::check(&headers)?;
    let (request, outgoing) = {
        let mut state = sim.lock();
        let outgoing = expire_due(&sim, &mut state);
        let request = state.requests.get(&id).filter(|r| r.account == account).map(|r| r.request.clone());
        (request, outgoing)
    };
    webhooks::send(&sim, outgoing);
    request.map(Json).ok_or_else(|| ApiError::not_found("Payment request"))
}

/// Cancels a payment request: from SUBMITTED or IN_PROGRESS, or COMPLETED until the final
/// authorization ran.
pub async fn cancel(
    State(sim): State<Sim>,
    Path((account, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<PaymentRequest>, ApiError> {
    auth::check(&headers)?;
    let (result, outgoing) = {
        let mut state = sim.lock();
        let mut outgoing = expire_due(&sim, &mut state);
        let result = match state.requests.get(&id).filter(|r| r.account == account) {
            None => Err(ApiError::not_found("Payment request")),
            Some(record) if !record.state().can_move_to(PaymentRequestState::Canceled) || record.finalized => {
                Err(ApiError::conflict(format!("A {} payment request cannot be canceled", record.state().as_str())))
            }
            Some(_) => {
                outgoing.extend(transition(
                    &sim,
                    &mut state,
                    &id,
                    PaymentRequestState::Canceled,
                    Some("PARTNER_CANCELED"),
                ));
                state.requests.get(&id).map(|r| r.request.clone()).ok_or_else(ApiError::internal)
            }
        };
        (result, outgoing)
    };
    webhooks::send(&sim, outgoing);
    result.map(Json)
}

/// Moves a request to `next`, stamps it, and records the `payment.request.state-change.*`
/// webhook. Refuses moves the documented state machine does not allow.
pub fn transition(
    sim: &Sim,
    state: &mut SimState,
    id: &str,
    next: PaymentRequestState,
    reason: Option<&str>,
) -> Vec<Outgoing> {
    let now = clock::rfc3339(state.now());
    let Some(record) = state.requests.get_mut(id) else { return Vec::new() };
    let previous = record.state();
    if !previous.can_move_to(next) {
        tracing::warn!(id, from = previous.as_str(), to = next.as_str(), "refused state change");
        return Vec::new();
    }
    record.request.previous_state = Some(previous);
    record.request.state = Some(next);
    record.request.state_reason = reason.map(str::to_owned);
    record.request.updated_at = Some(now);
    let account = record.account.clone();
    let payload = serde_json::to_value(&record.request).unwrap_or_default();
    webhooks::record(sim, state, &account, next.event_type(), payload)
}

/// Expires every SUBMITTED or IN_PROGRESS request whose time is up.
pub fn expire_due(sim: &Sim, state: &mut SimState) -> Vec<Outgoing> {
    let now = state.now();
    let due: Vec<String> = state
        .requests
        .iter()
        .filter(|(_, r)| matches!(r.state(), PaymentRequestState::Submitted | PaymentRequestState::InProgress))
        .filter(|(_, r)| r.expires_at <= now)
        .map(|(id, _)| id.clone())
        .collect();
    due.iter().flat_map(|id| transition(sim, state, id, PaymentRequestState::Expired, None)).collect()
}
