//! partner-server: a reference Acquiring Partner backend for the Klarna Payment Button.
//!
//! Follow one click: [`routes::authorize`] (the button's request, checked) →
//! [`authorization`] (what the click may do, decided in [`store`] by the rules of
//! [`attempts`]) → [`klarna`] (the Authorize call) → [`store`] (Klarna's outcome, committed
//! before the reply) → the reply without secrets. Later: [`routes::webhooks`], the returning
//! shopper ([`routes::orders`]) or the [`sweeper`] → [`finalize`] (the payment request read
//! from Klarna, then the final authorization, exactly once).

use std::sync::Arc;

use axum::http::{header, HeaderValue, Method};
use axum::routing::{get, post};
use axum::Router;
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

pub mod attempts;
pub mod authorization;
pub mod checkout;
pub mod config;
pub mod csrf;
pub mod customer;
pub mod error;
pub mod finalize;
pub mod kill_points;
pub mod klarna;
pub mod money;
pub mod order_status;
pub mod reads;
pub mod routes;
pub mod signatures;
pub mod store;
pub mod sweeper;
pub mod urls;

use attempts::Timing;
use config::{Config, SigningKey};
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
    /// Whether Klarna is a simulator, to which the demo's scenario words are sent.
    pub simulator: bool,
    /// The origin shoppers reach this server at, such as `https://shop.example`.
    pub public_url: String,
    /// The origins whose pages may call the shopper-facing API.
    pub origins: Vec<String>,
    /// Where the demo page loads Klarna's Web SDK (or the stand-in) from.
    pub sdk_url: String,
    /// This process's name among instances (claims carry it).
    pub instance: String,
    /// The clocks of the exactly-once rules.
    pub timing: Timing,
    /// The keys Klarna's webhooks may be signed with.
    pub signing_keys: Vec<SigningKey>,
    /// Klarna reads of payment requests, coalesced.
    pub reads: reads::Reads,
}

impl App {
    /// How often an open payment request is read from Klarna.
    pub fn poll_every_ms(&self) -> i64 {
        i64::try_from(self.config.poll_interval_ms).unwrap_or(i64::MAX)
    }
}

/// The shop's routes (the embedded simulator's browser pages are nested beside them by the
/// binary).
pub fn router(app: Arc<App>, identity: Arc<customer::Identity>) -> Router {
    let csp = routes::pages::content_security_policy(app.config.klarna_client_id.is_some(), &app.sdk_url);
    let www = app.config.www.clone();
    let pages = Router::new()
        .route_service("/", ServeFile::new(www.join("index.html")))
        .route_service("/custom", ServeFile::new(www.join("index.html")))
        .nest_service("/assets", ServeDir::new(&www))
        .nest_service("/pkg", ServeDir::new(&app.config.pkg));
    // What a shopper's browser calls: the customer cookie identifies the shopper.
    let shopper = Router::new()
        .route("/api/checkout-sessions", post(routes::sessions::create))
        .route("/api/authorize-payment", post(routes::authorize::authorize))
        .route("/api/orders/{id}", get(routes::orders::read))
        .route("/order/{id}", get(routes::orders::page))
        .route("/order/{id}/return", get(routes::orders::back_from_klarna))
        .layer(axum::middleware::from_fn_with_state(identity, customer::identify))
        .layer(cors(&app.config.cors_origins));
    Router::new()
        .route("/api/config", get(routes::pages::config))
        .route("/webhooks/klarna", post(routes::webhooks::receive))
        .route("/operator/transactions/{id}/captures", post(routes::operator::capture))
        .route("/operator/transactions/{id}/refunds", post(routes::operator::refund))
        .route("/operator/reviews", get(routes::operator::reviews))
        .route("/operator/orders/{id}/resolve", post(routes::operator::resolve))
        .route("/health", get(|| async { "ok" }))
        .merge(shopper)
        .merge(pages)
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_str(&csp).unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'")),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .with_state(app)
}

/// CORS for pages on the origins named with `--cors-origin`: the preflight of the button's
/// JSON POST (with `Idempotency-Key` and any headers the page adds) is granted to them, with
/// credentials.
fn cors(origins: &[String]) -> CorsLayer {
    let allowed: Vec<HeaderValue> = origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(allowed))
        .allow_credentials(true)
        .allow_methods([Method::POST, Method::GET])
        // Whatever headers the page asks for (`Content-Type`, `Idempotency-Key` and those set
        // with `.header()`): only the configured origins get an answer at all.
        .allow_headers(AllowHeaders::mirror_request())
        .max_age(std::time::Duration::from_secs(600))
}
