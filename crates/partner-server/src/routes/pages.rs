//! The demo checkout's configuration and its Content-Security-Policy.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use crate::App;

/// Where Klarna's real Web SDK is loaded from.
pub const KLARNA_SDK: &str = "https://js.klarna.com/web-sdk/v2/klarna.mjs";

/// `GET /api/config`: which SDK the page loads, with which client id.
pub async fn config(State(app): State<Arc<App>>) -> Json<Value> {
    Json(json!({
        "sdkUrl": app.sdk_url,
        "clientId": app.config.klarna_client_id.clone().unwrap_or_else(|| "klarna_test_client_simulator".to_owned()),
        "simulator": app.simulator,
    }))
}

/// The shop's Content-Security-Policy: no inline scripts, WebAssembly allowed, Klarna's hosts
/// only when Klarna's real SDK is in use (or a standalone simulator's, when it plays Klarna).
pub fn content_security_policy(real_sdk: bool, sdk_url: &str) -> String {
    let klarna = if real_sdk {
        " https://js.klarna.com https://*.klarna.com".to_owned()
    } else {
        url::Url::parse(sdk_url).map(|url| format!(" {}", url.origin().ascii_serialization())).unwrap_or_default()
    };
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{klarna}; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'{klarna}; frame-src 'self'{klarna}; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}
