//! The simulator's memory (Klarna's side of everything) and every change to it: payment
//! requests and their state machine, tokens, transactions, idempotent replies, webhook events
//! and the deliveries still owed, scenarios, per-account settings, the clock offset.
//!
//! Handlers decide; the methods here change. The whole state serializes, which is both
//! `GET /_sim/state` and the `--state-file`.

mod events;
mod requests;
mod table;
mod transactions;

use std::collections::{HashSet, VecDeque};

use klarna_api::transaction::TransactionDetails;
use klarna_api::{CustomerToken, PaymentRequest, PaymentRequestState, TokenScope};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub use events::{Attempt, Delivery, PendingDelivery, RetryPolicy, WebhookTarget};
pub use requests::NewRequest;
pub use table::Table;
pub use transactions::Refusal;

use crate::clock;
use crate::dialect::Dialect;
use crate::ids::IdGen;
use crate::scenario::Scenario;

/// How long a payment request lives (Klarna's current default).
pub const REQUEST_LIFETIME: time::Duration = time::Duration::hours(3);
/// How long after COMPLETED the final authorization may run.
pub const FINAL_AUTHORIZATION_WINDOW: time::Duration = time::Duration::minutes(60);
/// How long an idempotent reply is kept.
pub const IDEMPOTENCY_WINDOW: time::Duration = time::Duration::hours(24);
/// How often replies past the idempotency window are cleared out of memory.
const IDEMPOTENCY_SWEEP_EVERY: time::Duration = time::Duration::minutes(1);
/// How long an authorized transaction may be captured.
pub const AUTHORIZATION_LIFETIME: time::Duration = time::Duration::days(28);
/// How many Authorize calls, events and delivery attempts `/_sim/state` keeps (the latest).
pub const MAX_LOGGED: usize = 1000;

/// Everything the simulator remembers.
#[derive(Debug, Default, Serialize)]
pub struct State {
    /// Milliseconds the simulated clock is ahead of real time.
    pub clock_offset_ms: i64,
    /// Payment requests by id.
    pub requests: Table<RequestRecord>,
    /// Customer tokens by token.
    pub customer_tokens: Table<TokenRecord>,
    /// Network session tokens by token: from the SDK, or issued at COMPLETED.
    pub session_tokens: Table<SessionToken>,
    /// Payment transactions by id.
    pub transactions: Table<TransactionRecord>,
    /// Replies kept for idempotency keys.
    pub idempotency: Table<StoredReply>,
    /// Idempotency keys of requests being processed right now.
    #[serde(skip)]
    pub in_flight: HashSet<String>,
    /// Webhook events, oldest first (the latest [`MAX_LOGGED`]).
    pub events: VecDeque<EventRecord>,
    /// Delivery attempts, oldest first (the latest [`MAX_LOGGED`]).
    pub deliveries: VecDeque<Delivery>,
    /// Deliveries still owed: not yet acknowledged, within the retry budget.
    pub outbox: Vec<PendingDelivery>,
    /// Scenarios for the next Authorize calls of any account.
    pub queued: VecDeque<Scenario>,
    /// Settings and queued scenarios of single partner accounts.
    pub accounts: Table<AccountSettings>,
    /// Authorize calls received (past authentication).
    pub authorize_calls: u64,
    /// The latest Authorize calls as they were sent.
    pub calls: VecDeque<AuthorizeCall>,
    /// Whether webhook deliveries are held back (`/_sim/deliveries/hold`).
    pub holding_deliveries: bool,
    /// Where webhooks go, with their signing keys (`/_sim/state` leaves the keys out).
    pub webhooks: Vec<WebhookTarget>,
    /// What `Klarna.Payment.presentation()` of the SDK stand-in says, when set.
    pub presentation: Option<Instruction>,
    /// Whether the state file must be rewritten whole (after a reset).
    #[serde(skip)]
    pub rewrite: bool,
    /// When replies older than the idempotency window are next cleared out (each lookup
    /// also checks its own reply's age, so this only bounds memory).
    #[serde(skip)]
    pub next_idempotency_sweep: Option<time::OffsetDateTime>,
}

/// What one partner account does differently.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AccountSettings {
    /// Used by every Authorize call of the account that names no scenario and finds none queued.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scenario: Option<Scenario>,
    /// Scenarios for the account's next Authorize calls, before the shared queue.
    #[serde(skip_serializing_if = "VecDeque::is_empty")]
    pub queued: VecDeque<Scenario>,
    /// The account's dialect, unless a call names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dialect: Option<Dialect>,
    /// The currencies of the markets the account is configured for; none: every currency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currencies: Option<Vec<String>>,
}

/// One Authorize call as it arrived, and what the simulator made of it.
#[derive(Debug, Clone, Serialize)]
pub struct AuthorizeCall {
    /// When (simulated clock).
    pub at: String,
    /// The partner account in the path.
    pub account: String,
    /// `Klarna-Idempotency-Key`.
    pub idempotency_key: Option<String>,
    /// `Partner-Correlation-Id`.
    pub partner_correlation_id: Option<String>,
    /// `Klarna-Integration-Metadata`.
    pub integration_metadata: Option<String>,
    /// `Klarna-Network-Session-Token`.
    pub network_session_token: Option<String>,
    /// `Klarna-Customer-Token`.
    pub customer_token: Option<String>,
    /// `Klarna-Interoperability-Token`.
    pub interoperability_token: Option<String>,
    /// The body (null when it was not JSON).
    pub body: serde_json::Value,
    /// The scenario applied, in its `sim:` spelling, and where it came from.
    pub scenario: Option<String>,
    /// How the reply was made: `processed`, `replayed`, `refused` (before Klarna acted).
    pub handling: String,
    /// The HTTP status answered (200 also when the reply was then dropped).
    pub status: u16,
}

/// The `instruction` of a payment presentation (latest typedoc).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[allow(clippy::enum_variant_names, reason = "Klarna's own names")]
pub enum Instruction {
    /// Show Klarna among the payment methods.
    ShowKlarna,
    /// Show Klarna, preselected.
    PreselectKlarna,
    /// Show Klarna alone.
    ShowOnlyKlarna,
    /// Do not offer Klarna for this purchase.
    HideKlarna,
}

/// A payment request and what the journey completes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RequestRecord {
    /// The partner account it belongs to.
    pub account: String,
    /// The dialect of the call that created it: its reads and webhooks speak it.
    pub dialect: Dialect,
    /// The request as Klarna shows it.
    pub request: PaymentRequest,
    /// Where the journey returns the shopper.
    pub return_url: Option<String>,
    /// The origin of the return URL: the only one the journey frames into or posts to.
    pub registered_origin: Option<String>,
    /// The payment the journey authorizes (amount), if any.
    pub pending_payment: Option<u64>,
    /// The token scopes the journey grants, if any.
    pub pending_token: Option<PendingToken>,
    /// When it lapses.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// Whether the final authorization ran (it can no longer be canceled).
    pub finalized: bool,
}

/// A token the journey will create.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingToken {
    /// Scopes asked for.
    pub scopes: Vec<TokenScope>,
    /// The partner's reference.
    pub reference: Option<String>,
}

/// A customer token the simulator issued.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenRecord {
    /// The partner account it belongs to.
    pub account: String,
    /// The token as Klarna returns it.
    pub token: CustomerToken,
}

/// A network session token the simulator issued.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionToken {
    /// For a completion token: the payment request it finalizes.
    pub payment_request_id: Option<String>,
    /// When it was issued.
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
    /// Whether a final authorization used it.
    pub spent: bool,
}

/// A transaction and its captures and refunds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TransactionRecord {
    /// The partner account it belongs to.
    pub account: String,
    /// As `GET …/transactions/{id}` shows it.
    pub details: TransactionDetails,
}

/// A reply kept for an idempotency key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredReply {
    /// Hash of what was asked, to refuse the same key with another body.
    pub fingerprint: [u8; 32],
    /// HTTP status.
    pub status: u16,
    /// The JSON body.
    pub body: serde_json::Value,
    /// When it was first sent.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Repeats still to be answered 429 before the reply is replayed (`repeat_429`).
    pub refuse_repeats: u32,
}

/// One webhook event.
#[derive(Debug, Clone, Serialize)]
pub struct EventRecord {
    /// The event's id.
    pub event_id: String,
    /// Such as `payment.request.state-change.completed`.
    pub event_type: String,
    /// When it happened.
    pub occurred_at: String,
    /// The resource after the event.
    pub payload: serde_json::Value,
}

/// What the idempotency layer says about a key.
pub enum Replay {
    /// Never seen (or seen over 24 hours ago): process the request.
    Fresh,
    /// Seen with another request: 409.
    Conflict,
    /// Seen, and this repeat is to be refused with 429 (`repeat_429`).
    Refuse,
    /// Seen: answer this again.
    Reply(StoredReply),
}

/// Appends to a bounded log, dropping the oldest entry when full.
fn log<T>(entries: &mut VecDeque<T>, entry: T) {
    if entries.len() >= MAX_LOGGED {
        entries.pop_front();
    }
    entries.push_back(entry);
}

impl State {
    /// Empty state with these webhook targets.
    pub fn new(webhooks: Vec<WebhookTarget>) -> Self {
        Self { webhooks, ..Self::default() }
    }

    /// Forgets which records changed (kept in memory only, nothing reads them).
    pub fn forget_changes(&mut self) {
        self.requests.forget_changes();
        self.customer_tokens.forget_changes();
        self.session_tokens.forget_changes();
        self.transactions.forget_changes();
        self.idempotency.forget_changes();
        self.accounts.forget_changes();
    }

    /// Now, on the simulated clock.
    pub fn now(&self) -> OffsetDateTime {
        clock::now(self.clock_offset_ms)
    }

    /// Moves the clock `step_ms` forward; refuses going back or past [`clock::MAX_OFFSET_MS`].
    pub fn advance_clock(&mut self, step_ms: i64) -> Result<(), &'static str> {
        if step_ms < 0 {
            return Err("the clock only moves forward");
        }
        match self.clock_offset_ms.checked_add(step_ms) {
            Some(offset) if offset <= clock::MAX_OFFSET_MS => {
                self.clock_offset_ms = offset;
                Ok(())
            }
            _ => Err("the clock can move at most 100 years ahead in all"),
        }
    }

    /// Keeps an Authorize call for `/_sim/state`.
    pub fn record_call(&mut self, call: AuthorizeCall) {
        self.authorize_calls = self.authorize_calls.saturating_add(1);
        log(&mut self.calls, call);
    }

    /// The scenario for the next Authorize call of `account` that names none: its own queue,
    /// then the shared one, then its standing scenario.
    pub fn next_scenario(&mut self, account: &str) -> Option<(Scenario, &'static str)> {
        let settings = self.accounts.get_mut(account);
        if let Some(scenario) = settings.and_then(|s| s.queued.pop_front()) {
            return Some((scenario, "account queue"));
        }
        if let Some(scenario) = self.queued.pop_front() {
            return Some((scenario, "queue"));
        }
        let standing = self.accounts.get(account).and_then(|s| s.scenario);
        standing.map(|scenario| (scenario, "account"))
    }

    /// What the idempotency layer does with `key`: replies older than 24 hours are forgotten
    /// first, and a `repeat_429` refusal is used up.
    pub fn replay(&mut self, key: &str, fingerprint: &[u8; 32]) -> Replay {
        let now = self.now();
        if self.next_idempotency_sweep.is_none_or(|due| now >= due) {
            self.idempotency.retain(|_, stored| now - stored.at < IDEMPOTENCY_WINDOW);
            self.next_idempotency_sweep = now.checked_add(IDEMPOTENCY_SWEEP_EVERY);
        }
        let replay = match self.idempotency.get(key) {
            None => Replay::Fresh,
            Some(stored) if now - stored.at >= IDEMPOTENCY_WINDOW => Replay::Fresh,
            Some(stored) if stored.fingerprint != *fingerprint => Replay::Conflict,
            Some(stored) if stored.refuse_repeats > 0 => Replay::Refuse,
            Some(stored) => Replay::Reply(stored.clone()),
        };
        if let (Replay::Refuse, Some(stored)) = (&replay, self.idempotency.get_mut(key)) {
            stored.refuse_repeats -= 1;
        }
        replay
    }

    /// Keeps the reply for `key`, to answer repeats within 24 hours.
    pub fn keep_reply(&mut self, key: String, fingerprint: [u8; 32], status: u16, body: serde_json::Value) {
        let at = self.now();
        self.idempotency.insert(key, StoredReply { fingerprint, status, body, at, refuse_repeats: 0 });
    }

    /// Makes the next `count` repeats under `key` be answered 429.
    pub fn refuse_repeats(&mut self, key: &str, count: u32) {
        if let Some(stored) = self.idempotency.get_mut(key) {
            stored.refuse_repeats = count;
        }
    }

    /// A network session token for a page's SDK instance.
    pub fn issue_sdk_session(&mut self, ids: &IdGen) -> String {
        let token = ids.krn("krn:network:us1:test:session-token:");
        let issued_at = self.now();
        self.session_tokens.insert(token.clone(), SessionToken { payment_request_id: None, issued_at, spent: false });
        token
    }

    /// Creates and remembers a customer token.
    pub fn issue_customer_token(
        &mut self,
        ids: &IdGen,
        account: &str,
        scopes: &[TokenScope],
        reference: Option<String>,
    ) -> CustomerToken {
        let token = CustomerToken {
            customer_token: ids.krn("krn:customer-token:eu1:"),
            customer_token_reference: reference,
            scopes: scopes.to_vec(),
        };
        let record = TokenRecord { account: account.to_owned(), token: token.clone() };
        self.customer_tokens.insert(token.customer_token.clone(), record);
        token
    }
}

impl RequestRecord {
    /// The current state (SUBMITTED for a fresh request).
    pub fn state(&self) -> PaymentRequestState {
        self.request.state.unwrap_or(PaymentRequestState::Submitted)
    }
}
