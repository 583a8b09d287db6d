//! `POST /api/checkout-sessions`: the shop creates the checkout session server-side, for the
//! shopper of the cookie; the page only names the flow (and, for demos, a simulator scenario).

use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::checkout::{self, Flow, Scope, Session};
use crate::csrf;
use crate::customer::Customer;
use crate::error::ApiError;
use crate::store::sessions::OrderView;
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

/// A new checkout: the order, and the `context` the page sends with the click (the shape
/// `klarna-sim conform --start` reads: `context`, `amount`, `currency`).
#[derive(Serialize)]
pub struct Created {
    #[serde(flatten)]
    order: OrderView,
    context: Value,
}

/// Creates a checkout session with the server's cart for the flow.
pub async fn create(
    State(app): State<Arc<App>>,
    Extension(customer): Extension<Customer>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<Created>, ApiError> {
    csrf::check(&headers, &app.origins)?;
    let body: NewSession = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request("INVALID_REQUEST", format!("not a checkout session request: {e}")))?;
    let flow = Flow::parse(&body.flow).ok_or_else(|| {
        ApiError::bad_request("UNKNOWN_FLOW", "flow must be one_time, token_only, token_with_purchase or token_charge")
    })?;
    let scenario = body.scenario.filter(|s| !s.is_empty());
    if let Some(word) = &scenario {
        word.parse::<klarna_sim::Scenario>().map_err(|problem| ApiError::bad_request("UNKNOWN_SCENARIO", problem))?;
    }
    let interoperability_token = body.interoperability_token.filter(|t| !t.is_empty());
    if interoperability_token.as_ref().is_some_and(|t| t.len() > 8192 || !t.bytes().all(|b| b.is_ascii_graphic())) {
        return Err(ApiError::bad_request(
            "INVALID_INTEROPERABILITY_TOKEN",
            "the interoperability token must be at most 8192 printable ASCII characters",
        ));
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
        customer_id: customer.0,
        interoperability_token,
    };
    app.store.create_session(&session).await?;
    let order = OrderView::new_order(&session);
    let context = json!({ "checkoutSessionId": order.id });
    Ok(Json(Created { order, context }))
}
