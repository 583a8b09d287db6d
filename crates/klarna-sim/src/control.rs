//! `/_sim/*`: reset, state dump, scenarios (shared and per account), the clock, deliveries,
//! webhook targets; and `/health`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api_error::ApiError;
use crate::dialect::Dialect;
use crate::scenario::Scenario;
use crate::state::{AccountSettings, Instruction, State as SimState, WebhookTarget};
use crate::{clock, Sim};

/// Refuses control POSTs, PUTs and DELETEs without `Content-Type: application/json`.
pub async fn json_only(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let changes = request.method() != axum::http::Method::GET;
    if changes && !http_kit::is_json_content_type(request.headers()) {
        return ApiError::content_type().into_response();
    }
    next.run(request).await
}

/// `GET /health`.
pub async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// `POST /_sim/reset`: forgets everything but the webhook targets.
pub async fn reset(State(sim): State<Sim>) -> Result<StatusCode, ApiError> {
    sim.mutate(|state| {
        let webhooks = std::mem::take(&mut state.webhooks);
        *state = SimState::new(webhooks);
        state.rewrite = true;
        Ok(StatusCode::NO_CONTENT)
    })
}

/// `GET /_sim/state`: everything the simulator remembers, tokens included (it is a test
/// tool), but not the webhook signing keys.
pub async fn dump(State(sim): State<Sim>) -> Result<Json<Value>, ApiError> {
    let state = sim.lock();
    let mut value = serde_json::to_value(&*state).map_err(|_| ApiError::internal())?;
    if let Some(object) = value.as_object_mut() {
        object.insert("webhooks".to_owned(), public_targets(&state.webhooks));
        object.insert("now".to_owned(), Value::from(clock::rfc3339(state.now())));
    }
    Ok(Json(value))
}

fn public_targets(targets: &[WebhookTarget]) -> Value {
    targets.iter().map(|t| json!({"url": t.url, "signing_key_id": t.signing_key_id})).collect()
}

fn parse_scenarios(words: &[String]) -> Result<Vec<Scenario>, ApiError> {
    words
        .iter()
        .map(|word| word.parse().map_err(|problem: String| ApiError::validation("scenarios", problem)))
        .collect()
}

/// Body of `POST /_sim/outcomes`.
#[derive(Deserialize)]
pub struct Queue {
    scenarios: Vec<String>,
    /// Only for this partner account's calls.
    account: Option<String>,
}

/// `GET /_sim/outcomes`: what the next authorizations will do.
pub async fn queued(State(sim): State<Sim>) -> Json<Value> {
    let state = sim.lock();
    let accounts: serde_json::Map<String, Value> = state
        .accounts
        .iter()
        .filter(|(_, settings)| !settings.queued.is_empty())
        .map(|(account, settings)| (account.clone(), json!(settings.queued)))
        .collect();
    Json(json!({ "scenarios": state.queued, "accounts": accounts }))
}

/// `POST /_sim/outcomes`: queues scenarios for the next Authorize calls that name none, of
/// every account or of `account` only.
pub async fn queue(State(sim): State<Sim>, Json(body): Json<Queue>) -> Result<Json<Value>, ApiError> {
    let scenarios = parse_scenarios(&body.scenarios)?;
    sim.mutate(|state| {
        let queue = match body.account {
            Some(account) => &mut state.accounts.entry(account).queued,
            None => &mut state.queued,
        };
        queue.extend(scenarios);
        Ok(Json(json!({ "scenarios": queue })))
    })
}

/// `DELETE /_sim/outcomes`: empties every queue (the shared one and each account's); standing
/// account scenarios stay.
pub async fn clear_queue(State(sim): State<Sim>) -> Result<StatusCode, ApiError> {
    sim.mutate(|state| {
        state.queued.clear();
        let accounts: Vec<String> =
            state.accounts.iter().filter(|(_, s)| !s.queued.is_empty()).map(|(a, _)| a.clone()).collect();
        for account in accounts {
            if let Some(settings) = state.accounts.get_mut(&account) {
                settings.queued.clear();
            }
        }
        Ok(StatusCode::NO_CONTENT)
    })
}

/// `GET /_sim/accounts/{account}`: the account's settings.
pub async fn account(State(sim): State<Sim>, Path(account): Path<String>) -> Json<AccountSettings> {
    Json(sim.lock().accounts.get(&account).cloned().unwrap_or_default())
}

/// Body of `PUT /_sim/accounts/{account}`; an absent field is none.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The standing scenario.
    scenario: Option<String>,
    /// The account's dialect.
    dialect: Option<String>,
    /// The currencies of the markets the account is configured for.
    currencies: Option<Vec<String>>,
}

/// `PUT /_sim/accounts/{account}`: replaces the account's settings (its queue stays).
pub async fn set_account(
    State(sim): State<Sim>,
    Path(account): Path<String>,
    Json(body): Json<Settings>,
) -> Result<Json<AccountSettings>, ApiError> {
    let scenario = match body.scenario {
        Some(word) => Some(word.parse().map_err(|problem: String| ApiError::validation("scenario", problem))?),
        None => None,
    };
    let dialect = match body.dialect {
        Some(name) => Some(name.parse::<Dialect>().map_err(|problem| ApiError::validation("dialect", problem))?),
        None => None,
    };
    let currencies = body.currencies.map(|list| list.into_iter().map(|c| c.trim().to_ascii_uppercase()).collect());
    sim.mutate(|state| {
        let settings = state.accounts.entry(account);
        settings.scenario = scenario;
        settings.dialect = dialect;
        settings.currencies = currencies;
        Ok(Json(settings.clone()))
    })
}

/// Body of `POST /_sim/presentation`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Presentation {
    /// `SHOW_KLARNA`, `PRESELECT_KLARNA`, `SHOW_ONLY_KLARNA`, `HIDE_KLARNA`; null: by the markets.
    instruction: Option<Instruction>,
}

/// `GET /_sim/presentation`: the instruction the SDK stand-in's presentations carry.
pub async fn presentation(State(sim): State<Sim>) -> Json<Value> {
    Json(json!({ "instruction": sim.lock().presentation }))
}

/// `POST /_sim/presentation`: sets it (`{"instruction": "HIDE_KLARNA"}`), or clears it.
pub async fn set_presentation(State(sim): State<Sim>, Json(body): Json<Presentation>) -> Result<Json<Value>, ApiError> {
    sim.mutate(|state| {
        state.presentation = body.instruction;
        Ok(Json(json!({ "instruction": state.presentation })))
    })
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

/// `POST /_sim/clock`: moves the clock forward, then expires what is due (deliveries that
/// fall due go out).
pub async fn advance_clock(State(sim): State<Sim>, Json(body): Json<Advance>) -> Result<Json<Value>, ApiError> {
    let step = body
        .advance_minutes
        .checked_mul(60_000)
        .and_then(|minutes| minutes.checked_add(body.advance_ms))
        .ok_or_else(|| ApiError::validation("advance_minutes", "is too large"))?;
    sim.mutate(|state| {
        state.advance_clock(step).map_err(|problem| ApiError::validation("advance_ms", problem))?;
        state.expire_due(sim.ids());
        Ok(Json(json!({ "now": clock::rfc3339(state.now()), "offset_ms": state.clock_offset_ms })))
    })
}

/// `GET /_sim/deliveries`: the latest delivery attempts, and those still owed.
pub async fn deliveries(State(sim): State<Sim>) -> Json<Value> {
    let state = sim.lock();
    Json(json!({ "deliveries": state.deliveries, "pending": state.outbox }))
}

/// `POST /_sim/deliveries/hold`: keeps webhook deliveries back until released.
pub async fn hold_deliveries(State(sim): State<Sim>) -> Result<StatusCode, ApiError> {
    sim.mutate(|state| {
        state.holding_deliveries = true;
        Ok(StatusCode::NO_CONTENT)
    })
}

/// `POST /_sim/deliveries/release`: stops holding; what is due goes out.
pub async fn release_deliveries(State(sim): State<Sim>) -> Result<Json<Value>, ApiError> {
    sim.mutate(|state| {
        state.holding_deliveries = false;
        let now = state.now();
        let due = state.outbox.iter().filter(|d| d.due_at <= now).count();
        Ok(Json(json!({ "released": due })))
    })
}

/// `GET /_sim/webhooks`: the targets (without their keys).
pub async fn webhooks(State(sim): State<Sim>) -> Json<Value> {
    Json(json!({ "webhooks": public_targets(&sim.lock().webhooks) }))
}

/// `POST /_sim/webhooks`: adds a target `{url, signing_key_id, signing_key}`.
pub async fn add_webhook(State(sim): State<Sim>, Json(target): Json<WebhookTarget>) -> Result<StatusCode, ApiError> {
    if crate::authorize::origin_of(&target.url).is_none() {
        return Err(ApiError::validation("url", "must be an absolute http(s) URL"));
    }
    if target.signing_key.is_empty() {
        return Err(ApiError::validation("signing_key", "must not be empty"));
    }
    sim.mutate(|state| {
        state.webhooks.push(target);
        Ok(StatusCode::CREATED)
    })
}

/// `DELETE /_sim/webhooks/all`: removes every target; deliveries owed to them are dropped.
pub async fn remove_webhooks(State(sim): State<Sim>) -> Result<StatusCode, ApiError> {
    sim.mutate(|state| {
        state.webhooks.clear();
        state.outbox.clear();
        Ok(StatusCode::NO_CONTENT)
    })
}
