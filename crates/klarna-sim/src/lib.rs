//! klarna-sim: an offline, stateful stand-in for the Klarna Network.
//!
//! Three routers, each for its own listener, as Klarna's own hosts are split:
//! - [`Sim::browser_router`]: what a shopper's browser reaches (the purchase journey, the Web
//!   SDK stand-in `/web-sdk/v2/klarna.mjs` and its session endpoint, `/health`);
//! - [`Sim::api_router`]: the partner API (Authorize, payment requests, transactions), for the
//!   API keys the simulator was configured with, in the call's [`Dialect`];
//! - [`Sim::control_router`]: `/_sim/*`, the test controls (reset, state dump, scenarios,
//!   the simulated clock, webhook deliveries).
//!
//! Every type on the wire comes from `klarna-api`; the simulator defines none of its own.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::routing::{get, post};
use axum::Router;
use tokio::sync::Notify;

mod api_error;
mod auth;
mod authorize;
mod body;
mod clock;
pub mod conform;
mod control;
mod dialect;
mod ids;
mod journey;
mod persist;
mod requests;
mod scenario;
mod sdk;
mod state;
mod trace;
mod transactions;
mod webhooks;

pub use dialect::Dialect;
pub use scenario::Scenario;
pub use state::WebhookTarget;

use api_error::ApiError;

/// How a simulator instance behaves.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The browser listener's base URL (journey links, the SDK stand-in); by default
    /// `http://<Host header of the API call>`, right only when both share a host and port.
    pub public_url: Option<String>,
    /// Makes every generated id deterministic.
    pub seed: Option<u64>,
    /// Where webhooks go, and how they are signed.
    pub webhooks: Vec<WebhookTarget>,
    /// The API keys the partner API accepts (`Authorization: Basic <key>`); none: every call is 401.
    pub api_keys: Vec<String>,
    /// The first retry delay of a failed webhook delivery; it doubles each time, up to an hour.
    pub retry_base_ms: u64,
    /// How long after an event its delivery is retried (Klarna: up to 12 hours).
    pub webhook_retry_budget_ms: u64,
    /// How long one delivery attempt may take before it counts as failed.
    pub webhook_timeout_ms: u64,
    /// The dialect of calls whose account and request name none.
    pub dialect: Dialect,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            public_url: None,
            seed: None,
            webhooks: Vec::new(),
            api_keys: Vec::new(),
            retry_base_ms: 500,
            webhook_retry_budget_ms: 12 * 60 * 60 * 1000,
            webhook_timeout_ms: 10_000,
            dialect: Dialect::Standard,
        }
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
    file: Option<persist::StateFile>,
    http: reqwest::Client,
    /// Wakes the delivery task.
    wake: Arc<Notify>,
    /// Whether the delivery task runs.
    worker: AtomicBool,
}

impl Sim {
    /// A fresh simulator that keeps its state in memory.
    pub fn new(config: SimConfig) -> Self {
        let state = state::State::new(config.webhooks.clone());
        Self::build(config, state, None)
    }

    /// A simulator whose state lives in `path`: loaded from it when it exists, written
    /// through to it on every change. Fails when the file cannot be read or is not ours.
    pub fn with_state_file(config: SimConfig, path: &Path) -> Result<Self, String> {
        let file = persist::StateFile::new(path);
        let mut state = file.load()?.unwrap_or_default();
        // The configured targets come first; targets added at run time are kept.
        let added: Vec<WebhookTarget> =
            state.webhooks.drain(..).filter(|target| !config.webhooks.contains(target)).collect();
        state.webhooks = config.webhooks.iter().cloned().chain(added).collect();
        // A fresh snapshot: the journal starts again from what was read back.
        state.rewrite = true;
        file.save(&mut state).map_err(|error| format!("cannot write {}: {error}", path.display()))?;
        Ok(Self::build(config, state, Some(file)))
    }

    fn build(config: SimConfig, state: state::State, file: Option<persist::StateFile>) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_millis(config.webhook_timeout_ms.max(1)))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        let shared = Shared {
            ids: ids::IdGen::new(config.seed),
            config,
            state: Mutex::new(state),
            file,
            http,
            wake: Arc::new(Notify::new()),
            worker: AtomicBool::new(false),
        };
        let sim = Self { shared: Arc::new(shared) };
        sim.wake();
        sim
    }

    /// What a shopper's browser reaches: the journey, the SDK stand-in, `/health`.
    pub fn browser_router(&self) -> Router {
        Router::new()
            .route("/{region}/requests/{id}/start", get(journey::page))
            .route("/{region}/requests/{id}/start/{action}", post(journey::act))
            .route("/assets/journey.js", get(journey::script))
            .route("/assets/journey.css", get(journey::style))
            .route("/web-sdk/v2/klarna.mjs", get(sdk::module))
            .route("/web-sdk/v2/session", post(sdk::session).options(sdk::preflight))
            .route("/web-sdk/v2/payment-requests", get(sdk::resolve))
            .route("/web-sdk/v2/presentation", get(sdk::presentation))
            .route("/health", get(control::health))
            .layer(axum::middleware::from_fn_with_state(self.clone(), trace::correlate))
            .with_state(self.clone())
    }

    /// The partner API: Authorize, payment requests, transactions. Every call needs one of
    /// the configured API keys.
    pub fn api_router(&self) -> Router {
        Router::new()
            .route("/v2/accounts/{account}/payment/authorize", post(authorize::authorize))
            .route("/v2/accounts/{account}/payment/requests/{id}", get(requests::read).delete(requests::cancel))
            .route("/v2/accounts/{account}/payment/transactions/{id}", get(transactions::read))
            .route("/v2/accounts/{account}/payment/transactions/{id}/captures", post(transactions::capture))
            .route("/v2/accounts/{account}/payment/transactions/{id}/refunds", post(transactions::refund))
            .layer(axum::middleware::from_fn_with_state(self.clone(), auth::require_key))
            .layer(axum::middleware::from_fn_with_state(self.clone(), dialect::layer))
            .layer(axum::middleware::from_fn_with_state(self.clone(), trace::correlate))
            .with_state(self.clone())
    }

    /// `/_sim/*`: reset, state (secrets included), scenarios, the clock, deliveries, webhooks,
    /// accounts. A test tool: keep it off any origin a browser visits. Its POSTs, PUTs and
    /// DELETEs need a JSON content type, so a cross-site form cannot reach them.
    pub fn control_router(&self) -> Router {
        Router::new()
            .route("/_sim/reset", post(control::reset))
            .route("/_sim/state", get(control::dump))
            .route("/_sim/outcomes", get(control::queued).post(control::queue).delete(control::clear_queue))
            .route("/_sim/accounts/{account}", get(control::account).put(control::set_account))
            .route("/_sim/clock", get(control::clock).post(control::advance_clock))
            .route("/_sim/presentation", get(control::presentation).post(control::set_presentation))
            .route("/_sim/deliveries", get(control::deliveries))
            .route("/_sim/deliveries/hold", post(control::hold_deliveries))
            .route("/_sim/deliveries/release", post(control::release_deliveries))
            .route("/_sim/webhooks", get(control::webhooks).post(control::add_webhook))
            .route("/_sim/webhooks/all", axum::routing::delete(control::remove_webhooks))
            .layer(axum::middleware::from_fn(control::json_only))
            .layer(axum::middleware::from_fn_with_state(self.clone(), trace::correlate))
            .with_state(self.clone())
    }

    /// The state, to read (or to change what is not worth a write to the state file).
    fn lock(&self) -> MutexGuard<'_, state::State> {
        // A handler that panicked while holding the lock leaves consistent-enough test state;
        // keep serving rather than failing every later request.
        self.shared.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Changes the state with `change`, writes it to the state file (when there is one)
    /// before anyone can see the change, and wakes the delivery task. A failed write is a 500.
    fn mutate<T>(&self, change: impl FnOnce(&mut state::State) -> Result<T, ApiError>) -> Result<T, ApiError> {
        let result = {
            let mut state = self.lock();
            let result = change(&mut state);
            match &self.shared.file {
                Some(file) => {
                    if let Err(error) = file.save(&mut state) {
                        tracing::error!(%error, "cannot write the state file");
                        return Err(ApiError::internal());
                    }
                }
                None => state.forget_changes(),
            }
            result
        };
        self.wake();
        result
    }

    /// Starts the delivery task if needed (inside a Tokio runtime) and makes it look again.
    fn wake(&self) {
        if !self.shared.worker.load(Ordering::Acquire) {
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                if self.shared.worker.compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire).is_ok() {
                    runtime.spawn(webhooks::run(Arc::downgrade(&self.shared)));
                }
            }
        }
        self.shared.wake.notify_one();
    }

    fn config(&self) -> &SimConfig {
        &self.shared.config
    }

    fn ids(&self) -> &ids::IdGen {
        &self.shared.ids
    }

    fn retry_policy(&self) -> state::RetryPolicy {
        let millis = |ms: u64| time::Duration::milliseconds(i64::try_from(ms).unwrap_or(i64::MAX));
        state::RetryPolicy {
            base: millis(self.config().retry_base_ms.max(1)),
            budget: millis(self.config().webhook_retry_budget_ms),
        }
    }
}
