//! `/_sim/*`: reset, state dump, queued outcomes, the clock, deliveries, webhook targets;
//! and `/health`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api_error::ApiError;
use crate::requests::expire_due;
use crate::scenario::Scenario;
use crate::state::State as SimState;
use crate::webhooks::{self, WebhookTarget};
use crate::{clock, Sim};

/// Refuses control POSTs and DELETEs without `Content-Type: application/json`.
pub async fn json_only(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    use axum::response::IntoResponse;
    let changes = request.method() != axum::http::Method::GET;
    let json = request
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if changes && !json {
        return ApiError::content_type().into_response();
    }
    next.run(request).await
}

/// `GET /health`.
pub async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// `POST /_sim/reset`: forgets everything but the webhook targets.
pub async fn reset(State(sim): State<Sim>) -> StatusCode {
    let mut state = sim.lock();
    let webhooks = std::mem::take(&mut state.webhooks);
    *state = SimState::new(webhooks);
    StatusCode::NO_CONTENT
}

/// `GET /_sim/state`: everything the simulator remembers (secrets included: it is a test tool).
pub async fn dump(State(sim): State<Sim>) -> Result<Json<Value>, ApiError> {
    let state = sim.lock();
    let mut value = serde_json::to_value(&*state).map_err(|_| ApiError::internal())?;
    if let Some(object) = value.as_object_mut() {
        object.insert("now".to_owned(), Value::from(clock::rfc3339(state.now())));
    }
    Ok(Json(value))
}

/// Body of `POST /_sim/outcomes`.
#[derive(Deserialize)]
pub struct Queue {
    scenarios: Vec<String>,
}

/// `GET /_sim/outcomes`: what the next authorizations will do.
pub async fn queued(State(sim): State<Sim>) -> Json<Value> {
    Json(json!({ "scenarios": sim.lock().queued }))
}

/// `POST /_sim/outcomes`: queues scenarios for the next authorizations that name none.
pub async fn queue(State(sim): State<Sim>, Json(body): Json<Queue>) -> Result<Json<Value>, ApiError> {
    let scenarios: Vec<Scenario> = body
        .scenarios
        .iter()
        .map(|word| word.parse().map_err(|problem: String| ApiError::validation("scenarios", problem)))
        .collect::<Result<_, _>>()?;
    let mut state = sim.lock();
    state.queued.extend(scenarios);
    Ok(Json(json!({ "scenarios": state.queued })))
}

/// `GET /_sim/clock`.
pub async fn clock(State(sim): State<Sim>) -> Json<Value> {
    let state = sim.lock();
    Json(json!({ "now": clock::rfc3339(state.now()), "offset_ms": state.clock_offset_ms }))
}

/// Body of `POST /_sim/clock`.
#[derive(Deserialize)]
pub struct Advance {
    #[serde(default)]
    advance_ms: i64,
    #[serde(default)]
    advance_minutes: i64,
}

/// `POST /_sim/clock`: moves the clock forward, then expires what is due.
pub async fn advance_clock(State(sim): State<Sim>, Json(body): Json<Advance>) -> Result<Json<Value>, ApiError> {
    let step = body.advance_minutes.saturating_mul(60_000).saturating_add(body.advance_ms);
    if step < 0 {
        return Err(ApiError::validation("advance_ms", "the clock only moves forward"));
    }
    let (reply, outgoing) = {
        let mut state = sim.lock();
        state.clock_offset_ms = state.clock_offset_ms.saturating_add(step);
        let outgoing = expire_due(&sim, &mut state);
        (json!({ "now": clock::rfc3339(state.now()), "offset_ms": state.clock_offset_ms }), outgoing)
    };
    webhooks::send(&sim, outgoing);
    Ok(Json(reply))
}

/// `GET /_sim/deliveries`: every webhook delivery attempt.
pub async fn deliveries(State(sim): State<Sim>) -> Json<Value> {
    Json(json!({ "deliveries": sim.lock().deliveries }))
}

/// `POST /_sim/deliveries/hold`: keeps webhook deliveries back until released.
pub async fn hold_deliveries(State(sim): State<Sim>) -> StatusCode {
    sim.lock().holding_deliveries = true;
    StatusCode::NO_CONTENT
}

/// `POST /_sim/deliveries/release`: sends what was held, and stops holding.
pub async fn release_deliveries(State(sim): State<Sim>) -> Json<Value> {
    let held = {
        let mut state = sim.lock();
        state.holding_deliveries = false;
        std::mem::take(&mut state.held)
    };
    let count = held.len();
    webhooks::send(&sim, held);
    Json(json!({ "released": count }))
}

/// `GET /_sim/webhooks`: the targets (without their keys).
pub async fn webhooks(State(sim): State<Sim>) -> Json<Value> {
    Json(json!({ "webhooks": sim.lock().webhooks }))
}

/// `POST /_sim/webhooks`: adds a target `{url, signing_key_id, signing_key}`.
pub async fn add_webhook(State(sim): State<Sim>, Json(target): Json<WebhookTarget>) -> Result<StatusCode, ApiError> {
    if !(target.url.starts_with("http://") || target.url.starts_with("https://")) {
        return Err(ApiError::validation("url", "must be an http(s) URL"));
    }
    if target.signing_key.is_empty() {
        return Err(ApiError::validation("signing_key", "must not be empty"));
    }
    sim.lock().webhooks.push(target);
    Ok(StatusCode::CREATED)
}

/// `DELETE /_sim/webhooks/all`.
pub async fn remove_webhooks(State(sim): State<Sim>) -> StatusCode {
    sim.lock().webhooks.clear();
    StatusCode::NO_CONTENT
}
