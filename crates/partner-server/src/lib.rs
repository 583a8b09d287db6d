//! partner-server: a reference Acquiring Partner backend for the Klarna Payment Button.
//!
//! Follow one click: [`routes::authorize`] → [`klarna`] (the Authorize call) → [`store`]
//! (persisted before the reply) → the reply without the customer token. Later:
//! [`routes::webhooks`] or the returning shopper ([`routes::orders`]) → [`finalize`] → the
//! final authorization, exactly once.

use std::sync::Arc;

use axum::http::{header, HeaderValue};
use axum::routing::{get, post};
use axum::Router;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

pub mod checkout;
pub mod config;
pub mod csrf;
pub mod error;
pub mod finalize;
pub mod klarna;
pub mod routes;
pub mod store;

use config::Config;
use klarna::Klarna;
use store::Store;

/// Everything a handler needs.
pub struct App {
    /// The configuration.
    pub config: Config,
    /// The database.
    pub store: Store,
    /// Klarna's API (or the simulator's).
    pub klarna: Klarna,
    /// Whether Klarna is the embedded simulator (scenario words are sent only to it).
    pub simulator: bool,
    /// The origin shoppers reach this server at, such as `https://shop.example`.
    pub public_url: String,
}

/// The shop's routes (the embedded simulator is nested beside them by the binary).
pub fn router(app: Arc<App>) -> Router {
    let csp = routes::pages::content_security_policy(app.config.klarna_client_id.is_some());
    let www = app.config.www.clone();
    let pages = Router::new()
        .route_service("/", ServeFile::new(www.join("index.html")))
        .route_service("/custom", ServeFile::new(www.join("index.html")))
        .nest_service("/assets", ServeDir::new(&www))
        .nest_service("/pkg", ServeDir::new(&app.config.pkg))
        .route("/order/{id}", get(routes::orders::page))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_str(&csp).unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'")),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")));
    Router::new()
        .route("/api/config", get(routes::pages::config))
        .route("/api/checkout-sessions", post(routes::sessions::create))
        .route("/api/authorize-payment", post(routes::authorize::authorize))
        .route("/api/orders/{id}", get(routes::orders::read))
        .route("/order/{id}/return", get(routes::orders::back_from_klarna))
        .route("/webhooks/klarna", post(routes::webhooks::receive))
        .route("/operator/transactions/{id}/captures", post(routes::operator::capture))
        .route("/operator/transactions/{id}/refunds", post(routes::operator::refund))
        .route("/health", get(|| async { "ok" }))
        .merge(pages)
        .with_state(app)
}
