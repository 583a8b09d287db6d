//! A correlation id on every reply (`Klarna-Correlation-Id`), `Partner-Correlation-Id` echoed,
//! and one structured log line per request.

use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use klarna_api::authorize::headers::{CORRELATION_ID, PARTNER_CORRELATION_ID};

use crate::Sim;

/// Adds the correlation headers and logs the request.
pub async fn correlate(State(sim): State<Sim>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let correlation_id = sim.ids().uuid().to_string();
    let partner_correlation_id = request.headers().get(PARTNER_CORRELATION_ID).cloned();
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let mut response = next.run(request).await;
    if let Ok(value) = HeaderValue::from_str(&correlation_id) {
        response.headers_mut().insert(CORRELATION_ID, value);
    }
    if let Some(value) = &partner_correlation_id {
        response.headers_mut().insert(PARTNER_CORRELATION_ID, value.clone());
    }
    tracing::info!(
        %method,
        path,
        status = response.status().as_u16(),
        correlation_id,
        partner_correlation_id = partner_correlation_id.as_ref().and_then(|v| v.to_str().ok()),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}
