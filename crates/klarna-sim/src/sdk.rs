//! The Web SDK stand-in: `/web-sdk/v2/klarna.mjs` and the session it starts.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use serde_json::json;

use crate::api_error::ApiError;
use crate::Sim;

/// The stand-in module. Pages import it across origins, so it is served with CORS.
const MODULE: &str = include_str!("sdk/klarna.mjs");

const CORS: (header::HeaderName, &str) = (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*");

/// `GET /web-sdk/v2/klarna.mjs`.
pub async fn module() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "no-cache"), CORS], MODULE)
}

/// `POST /web-sdk/v2/session`: a network session token for a page's SDK instance.
pub async fn session(State(sim): State<Sim>) -> Result<impl IntoResponse, ApiError> {
    let token = sim.mutate(|state| Ok(state.issue_sdk_session(sim.ids())))?;
    Ok(([CORS], Json(json!({ "klarnaNetworkSessionToken": token }))))
}

/// `OPTIONS /web-sdk/v2/session`: the CORS preflight.
pub async fn preflight() -> impl IntoResponse {
    [CORS, (header::ACCESS_CONTROL_ALLOW_METHODS, "POST"), (header::ACCESS_CONTROL_ALLOW_HEADERS, "content-type")]
}
