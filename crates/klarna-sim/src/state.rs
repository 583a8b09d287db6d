//! The simulator's memory: payment requests, tokens, transactions, idempotent replies,
//! webhook events and deliveries, queued outcomes and the clock offset.

use std::collections::{BTreeMap, HashMap, VecDeque};

use klarna_api::authorize::{CustomerInteraction, InteractionMethod, StateContext};
use klarna_api::transaction::{PaymentCapture, PaymentRefund, TransactionDetails};
use klarna_api::{CustomerToken, PaymentRequest, PaymentRequestState, TokenScope};
use serde::Serialize;
use time::OffsetDateTime;

use crate::clock;
use crate::scenario::Scenario;
use crate::webhooks::{Delivery, Outgoing, WebhookTarget};

/// How long a payment request lives (Klarna's current default).
pub const REQUEST_LIFETIME: time::Duration = time::Duration::hours(3);
/// How long after COMPLETED the final authorization may run.
pub const FINAL_AUTHORIZATION_WINDOW: time::Duration = time::Duration::minutes(60);
/// How long an idempotent reply is kept.
pub const IDEMPOTENCY_WINDOW: time::Duration = time::Duration::hours(24);

/// Everything the simulator remembers.
#[derive(Serialize)]
pub struct State {
    /// Milliseconds the simulated clock is ahead of real time.
    pub clock_offset_ms: i64,
    /// Payment requests by id.
    pub requests: BTreeMap<String, RequestRecord>,
    /// Customer tokens by token.
    pub customer_tokens: BTreeMap<String, TokenRecord>,
    /// Network session tokens by token: from the SDK, or issued at COMPLETED.
    pub session_tokens: BTreeMap<String, SessionToken>,
    /// Payment transactions by id.
    pub transactions: BTreeMap<String, TransactionRecord>,
    /// Replies kept for idempotency keys.
    #[serde(skip)]
    pub idempotency: HashMap<String, StoredReply>,
    /// Idempotency keys of requests being processed right now.
    #[serde(skip)]
    pub in_flight: std::collections::HashSet<String>,
    /// Every webhook event, oldest first.
    pub events: Vec<EventRecord>,
    /// Every delivery attempt, oldest first.
    pub deliveries: Vec<Delivery>,
    /// Outcomes to use for the next authorizations.
    pub queued: VecDeque<Scenario>,
    /// Authorize calls received (past authentication).
    pub authorize_calls: u64,
    /// The latest Authorize calls as they were sent (at most [`MAX_RECORDED_CALLS`]).
    pub calls: Vec<AuthorizeCall>,
    /// Whether webhook deliveries are held back (`/_sim/deliveries/hold`).
    pub holding_deliveries: bool,
    /// Deliveries held back, sent on release.
    #[serde(skip)]
    pub held: Vec<Outgoing>,
    /// Where webhooks go.
    #[serde(skip)]
    pub webhooks: Vec<WebhookTarget>,
}

/// How many Authorize calls `/_sim/state` shows.
pub const MAX_RECORDED_CALLS: usize = 200;

/// One Authorize call as it arrived: the headers that matter and the body.
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
}

/// A payment request and what the journey completes.
#[derive(Debug, Clone, Serialize)]
pub struct RequestRecord {
    /// The partner account it belongs to.
    pub account: String,
    /// The request as Klarna shows it.
    pub request: PaymentRequest,
    /// Where the journey returns the shopper.
    pub return_url: Option<String>,
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
#[derive(Debug, Clone, Serialize)]
pub struct PendingToken {
    /// Scopes asked for.
    pub scopes: Vec<TokenScope>,
    /// The partner's reference.
    pub reference: Option<String>,
}

/// A customer token the simulator issued.
#[derive(Debug, Clone, Serialize)]
pub struct TokenRecord {
    /// The partner account it belongs to.
    pub account: String,
    /// The token as Klarna returns it.
    pub token: CustomerToken,
}

/// A network session token the simulator issued.
#[derive(Debug, Clone, Serialize)]
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
#[derive(Debug, Clone, Serialize)]
pub struct TransactionRecord {
    /// The partner account it belongs to.
    pub account: String,
    /// As `GET …/transactions/{id}` shows it.
    pub details: TransactionDetails,
}

/// A reply kept for an idempotency key.
pub struct StoredReply {
    /// Hash of what was asked, to refuse the same key with another body.
    pub fingerprint: [u8; 32],
    /// HTTP status.
    pub status: u16,
    /// The JSON body.
    pub body: serde_json::Value,
    /// When it was first sent.
    pub at: OffsetDateTime,
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

impl State {
    /// Empty state with the configured webhook targets.
    pub fn new(webhooks: Vec<WebhookTarget>) -> Self {
        Self {
            clock_offset_ms: 0,
            requests: BTreeMap::new(),
            customer_tokens: BTreeMap::new(),
            session_tokens: BTreeMap::new(),
            transactions: BTreeMap::new(),
            idempotency: HashMap::new(),
            in_flight: std::collections::HashSet::new(),
            events: Vec::new(),
            deliveries: Vec::new(),
            queued: VecDeque::new(),
            authorize_calls: 0,
            calls: Vec::new(),
            holding_deliveries: false,
            held: Vec::new(),
            webhooks,
        }
    }

    /// Now, on the simulated clock.
    pub fn now(&self) -> OffsetDateTime {
        clock::now(self.clock_offset_ms)
    }
}

impl RequestRecord {
    /// The current state (SUBMITTED for a fresh request).
    pub fn state(&self) -> PaymentRequestState {
        self.request.state.unwrap_or(PaymentRequestState::Submitted)
    }
}

/// Builds the payment request Klarna returns on a step-up.
pub fn new_payment_request(
    id: &str,
    reference: Option<String>,
    amount: Option<u64>,
    currency: &str,
    method: InteractionMethod,
    journey_url: String,
    now: OffsetDateTime,
) -> PaymentRequest {
    PaymentRequest {
        payment_request_id: Some(id.to_owned()),
        payment_request_reference: reference,
        amount,
        currency: Some(currency.to_owned()),
        state: Some(PaymentRequestState::Submitted),
        previous_state: None,
        state_reason: None,
        created_at: Some(clock::rfc3339(now)),
        updated_at: Some(clock::rfc3339(now)),
        expires_at: Some(clock::rfc3339(now + REQUEST_LIFETIME)),
        state_context: Some(StateContext {
            customer_interaction: Some(CustomerInteraction {
                method: Some(method),
                payment_request_id: Some(id.to_owned()),
                payment_request_url: Some(journey_url),
            }),
            klarna_network_session_token: None,
            customer_token: None,
        }),
    }
}

/// A transaction's details after authorization.
pub fn new_transaction(id: &str, reference: Option<String>, amount: u64, currency: &str) -> TransactionDetails {
    TransactionDetails {
        payment_transaction_id: id.to_owned(),
        payment_transaction_reference: reference,
        amount,
        currency: currency.to_owned(),
        captured_amount: 0,
        refunded_amount: 0,
        payment_captures: Vec::<PaymentCapture>::new(),
        payment_refunds: Vec::<PaymentRefund>::new(),
    }
}
