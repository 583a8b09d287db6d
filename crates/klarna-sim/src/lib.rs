//! klarna-sim: an offline, stateful stand-in for the Klarna Network.
//!
//! It serves Klarna's Payment Authorize API, payment requests, payment transactions, the
//! purchase journey pages, signed webhooks with retries, and a stand-in for Klarna's Web SDK
//! (`/web-sdk/v2/klarna.mjs`), all from one axum [`Router`] that any Rust test can mount, or
//! from the `klarna-sim` binary. `/_sim/*` controls it: reset, state dump, queued outcomes,
//! the simulated clock, webhook deliveries.
//!
//! Every type on the wire comes from `klarna-api`; the simulator defines none of its own.

use std::sync::{Arc, Mutex, MutexGuard};

use axum::routing::{delete, get, post};
use axum::Router;

mod api_error;
mod auth;
mod authorize;
mod body;
mod clock;
mod control;
mod ids;
mod journey;
mod requests;
mod scenario;
mod sdk;
mod state;
mod trace;
mod transactions;
mod webhooks;

pub use scenario::Scenario;
pub use webhooks::WebhookTarget;

/// How a simulator instance behaves.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The simulator's own base URL as browsers reach it, for journey links; by default
    /// `http://<Host header>`.
    pub public_url: Option<String>,
    /// Makes every generated id deterministic.
    pub seed: Option<u64>,
    /// Where webhooks go, and how they are signed.
    pub webhooks: Vec<WebhookTarget>,
    /// The first retry delay of a failed webhook delivery; it doubles each time.
    pub retry_base_ms: u64,
    /// Delivery attempts per event and target.
    pub max_delivery_attempts: u32,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self { public_url: None, seed: None, webhooks: Vec::new(), retry_base_ms: 500, max_delivery_attempts: 8 }
    }
}

/// A simulator instance: its state and configuration. Cheap to clone (shared).
#[derive(Clone)]
pub struct Sim {
    shared: Arc<Shared>,
}

struct Shared {
    config: SimConfig,
    ids: ids::IdGen,
    state: Mutex<state::State>,
    http: reqwest::Client,
}

impl Sim {
    /// A fresh simulator.
    pub fn new(config: SimConfig) -> Self {
        let state = state::State::new(config.webhooks.clone());
        let ids = ids::IdGen::new(config.seed);
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Self { shared: Arc::new(Shared { config, ids, state: Mutex::new(state), http }) }
    }

    /// The HTTP surface: Klarna's API, the journey and the SDK stand-in, plus `/_sim` control.
    pub fn router(&self) -> Router {
        self.public_router().merge(self.control_router())
    }

    /// What Klarna serves: the API, the journey, the SDK stand-in and `/health`. Safe to mount
    /// on a shop's origin.
    pub fn public_router(&self) -> Router {
        Router::new()
            .route("/v2/accounts/{account}/payment/authorize", post(authorize::authorize))
            .route("/v2/accounts/{account}/payment/requests/{id}", get(requests::read).delete(requests::cancel))
            .route("/v2/accounts/{account}/payment/transactions/{id}", get(transactions::read))
            .route("/v2/accounts/{account}/payment/transactions/{id}/captures", post(transactions::capture))
            .route("/v2/accounts/{account}/payment/transactions/{id}/refunds", post(transactions::refund))
            .route("/journey/{id}", get(journey::page))
            .route("/journey/{id}/{action}", post(journey::act))
            .route("/web-sdk/v2/klarna.mjs", get(sdk::module))
            .route("/web-sdk/v2/session", post(sdk::session).options(sdk::preflight))
            .route("/health", get(control::health))
            .layer(axum::middleware::from_fn_with_state(self.clone(), trace::correlate))
            .with_state(self.clone())
    }

    /// `/_sim/*`: reset, state (secrets included), outcomes, clock, deliveries, webhooks. A test
    /// tool: keep it off any origin a browser visits. Its POSTs need a JSON content type, so
    /// a cross-site form cannot reach them.
    pub fn control_router(&self) -> Router {
        Router::new()
            .route("/_sim/reset", post(control::reset))
            .route("/_sim/state", get(control::dump))
            .route("/_sim/outcomes", get(control::queued).post(control::queue))
            .route("/_sim/clock", get(control::clock).post(control::advance_clock))
            .route("/_sim/deliveries", get(control::deliveries))
            .route("/_sim/deliveries/hold", post(control::hold_deliveries))
            .route("/_sim/deliveries/release", post(control::release_deliveries))
            .route("/_sim/webhooks", get(control::webhooks).post(control::add_webhook))
            .route("/_sim/webhooks/all", delete(control::remove_webhooks))
            .layer(axum::middleware::from_fn(control::json_only))
            .layer(axum::middleware::from_fn_with_state(self.clone(), trace::correlate))
            .with_state(self.clone())
    }

    fn lock(&self) -> MutexGuard<'_, state::State> {
        // A handler that panicked while holding the lock leaves consistent-enough test state;
        // keep serving rather than failing every later request.
        self.shared.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn config(&self) -> &SimConfig {
        &self.shared.config
    }

    fn ids(&self) -> &ids::IdGen {
        &self.shared.ids
    }
}
