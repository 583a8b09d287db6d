//! The Web SDK stand-in: `/web-sdk/v2/klarna.mjs`, and what it asks the simulator: a network
//! session for the page, the payment request behind a URL or an id it was handed (it opens
//! only URLs the simulator issued), and the presentation's instruction.

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use crate::api_error::ApiError;
use crate::state::Instruction;
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

/// Query of `GET /web-sdk/v2/payment-requests`: a journey URL, or a request id.
#[derive(Deserialize)]
pub struct Handed {
    url: Option<String>,
    id: Option<String>,
}

/// `GET /web-sdk/v2/payment-requests?url=…|id=…`: the request behind what `initiate` handed
/// the SDK; 404 for a URL the simulator did not issue exactly (a rewritten one) or an id it
/// does not know.
pub async fn resolve(State(sim): State<Sim>, Query(handed): Query<Handed>) -> impl IntoResponse {
    let state = sim.lock();
    let found = state.requests.iter().find(|(id, record)| {
        let url = record.request.url();
        handed.id.as_deref() == Some(id.as_str()) || (handed.url.is_some() && handed.url.as_deref() == url)
    });
    match found {
        Some((id, record)) => (
            StatusCode::OK,
            [CORS],
            Json(json!({
                "paymentRequestId": id,
                "paymentRequestUrl": record.request.url(),
                "state": record.state().as_str(),
            })),
        ),
        None => {
            (StatusCode::NOT_FOUND, [CORS], Json(json!({ "error": "this simulator issued no such payment request" })))
        }
    }
}

/// Query of `GET /web-sdk/v2/presentation`.
#[derive(Deserialize)]
pub struct Presenting {
    currency: Option<String>,
    /// The SDK's `partnerAccountId`, when the page gave one.
    account: Option<String>,
}

/// `GET /web-sdk/v2/presentation`: the instruction for a presentation: the one set with
/// `POST /_sim/presentation`, else HIDE_KLARNA for a currency outside the account's markets,
/// else SHOW_KLARNA.
pub async fn presentation(State(sim): State<Sim>, Query(asked): Query<Presenting>) -> impl IntoResponse {
    let state = sim.lock();
    let markets = asked.account.as_deref().and_then(|account| state.accounts.get(account)?.currencies.as_ref());
    let outside = match (markets, &asked.currency) {
        (Some(markets), Some(currency)) => !markets.iter().any(|m| m.eq_ignore_ascii_case(currency)),
        _ => false,
    };
    let instruction =
        state.presentation.unwrap_or(if outside { Instruction::HideKlarna } else { Instruction::ShowKlarna });
    ([CORS], Json(json!({ "instruction": instruction })))
}
