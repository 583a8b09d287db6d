//! `POST /api/checkout-sessions`: the shop creates the checkout session server-side; the page
//! only names the flow (and, for demos, a simulator scenario).

use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use serde::Deserialize;

use crate::checkout::{self, Flow, Scope, Session};
use crate::csrf;
use crate::error::ApiError;
use crate::store::OrderView;
use crate::App;

/// The page's choice.
#[derive(Deserialize)]
pub struct NewSession {
    flow: String,
    #[serde(default)]
    scope: Option<Scope>,
    #[serde(default)]
    scenario: Option<String>,
    #[serde(default)]
    force_step_up: bool,
    /// The interoperability token the Partner received from Klarna, forwarded unaltered.
    #[serde(default)]
    interoperability_token: Option<String>,
}

/// The demo shop has one shopper; a real shop takes this from its login.
pub const DEMO_CUSTOMER: &str = "demo-shopper";

/// Creates a checkout session with the server's cart for the flow.
pub async fn create(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Json(body): Json<NewSession>,
) -> Result<Json<OrderView>, ApiError> {
    csrf::same_origin_json(&headers)?;
    let flow = Flow::parse(&body.flow).ok_or_else(|| {
        ApiError::bad_request("UNKNOWN_FLOW", "flow must be one_time, token_only, token_with_purchase or token_charge")
    })?;
    let scenario = body.scenario.filter(|s| !s.is_empty());
    if let Some(word) = &scenario {
        word.parse::<klarna_sim::Scenario>().map_err(|problem| ApiError::bad_request("UNKNOWN_SCENARIO", problem))?;
    }
    let lines = checkout::cart(flow);
    let session = Session {
        id: format!("ord_{}", uuid::Uuid::new_v4().simple()),
        flow,
        scope: body.scope.unwrap_or(Scope::CustomerPresent),
        scenario,
        force_step_up: body.force_step_up,
        amount: lines.iter().map(|l| l.total_amount).sum(),
        lines,
        currency: checkout::CURRENCY.to_owned(),
        customer_id: DEMO_CUSTOMER.to_owned(),
        interoperability_token: body.interoperability_token.filter(|t| !t.is_empty()),
    };
    let bad_token = |t: &String| t.len() > 8192 || !t.bytes().all(|b| b.is_ascii_graphic());
    if session.interoperability_token.as_ref().is_some_and(bad_token) {
        return Err(ApiError::bad_request(
            "INVALID_INTEROPERABILITY_TOKEN",
            "the interoperability token must be at most 8192 printable ASCII characters",
        ));
    }
    app.store.create_session(&session)?;
    app.store.order(&session.id)?.map(Json).ok_or_else(|| ApiError::internal("the new session vanished"))
}
