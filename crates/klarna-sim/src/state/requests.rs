//! Payment requests: creation on a step-up, the documented state machine, expiry on the
//! simulated clock, and what the journey's approval issues.

use klarna_api::authorize::{CustomerInteraction, InteractionMethod, StateContext};
use klarna_api::PaymentRequest;
use klarna_api::PaymentRequestState::{self, Canceled, Completed, Expired, InProgress, Submitted};

use super::{PendingToken, RequestRecord, SessionToken, State, REQUEST_LIFETIME};
use crate::clock;
use crate::dialect::Dialect;
use crate::ids::IdGen;

/// What a step-up creates a payment request from.
pub struct NewRequest {
    /// The partner account.
    pub account: String,
    /// The dialect of the call.
    pub dialect: Dialect,
    /// `step_up_config.payment_request_reference`.
    pub reference: Option<String>,
    /// The amount to authorize after the journey, if a payment was asked for.
    pub amount: Option<u64>,
    /// ISO 4217 currency code.
    pub currency: String,
    /// `customer_interaction_config.method`.
    pub method: InteractionMethod,
    /// `customer_interaction_config.return_url`.
    pub return_url: Option<String>,
    /// The origin of the return URL.
    pub registered_origin: Option<String>,
    /// The token the journey grants, if one was asked for.
    pub pending_token: Option<PendingToken>,
    /// Whether the journey authorizes a payment (which then needs the final authorization).
    pub pending_payment: bool,
}

impl State {
    /// Creates a SUBMITTED payment request whose journey starts at `journey_url(id)`, and
    /// announces it.
    pub fn create_payment_request(
        &mut self,
        ids: &IdGen,
        new: NewRequest,
        journey_url: impl FnOnce(&str) -> String,
    ) -> PaymentRequest {
        let id = ids.krn("krn:payment:eu1:request:");
        let now = self.now();
        let expires_at = clock::after(now, REQUEST_LIFETIME);
        let request = PaymentRequest {
            payment_request_id: Some(id.clone()),
            payment_request_reference: new.reference,
            amount: new.amount,
            currency: Some(new.currency),
            state: Some(Submitted),
            created_at: Some(clock::rfc3339(now)),
            updated_at: Some(clock::rfc3339(now)),
            expires_at: Some(clock::rfc3339(expires_at)),
            state_context: Some(StateContext {
                customer_interaction: Some(CustomerInteraction {
                    method: Some(new.method),
                    payment_request_id: Some(id.clone()),
                    payment_request_url: Some(journey_url(&id)),
                }),
                ..StateContext::default()
            }),
            ..PaymentRequest::default()
        };
        let record = RequestRecord {
            account: new.account.clone(),
            dialect: new.dialect,
            request: request.clone(),
            return_url: new.return_url,
            registered_origin: new.registered_origin,
            pending_payment: if new.pending_payment { new.amount } else { None },
            pending_token: new.pending_token,
            expires_at,
            finalized: false,
        };
        self.requests.insert(id, record);
        let payload = new.dialect.request(&request);
        self.record_event(ids, &new.account, Submitted.event_type(), payload, new.dialect);
        request
    }

    /// Moves request `id` to `next` and announces it; refuses (returns false) a move the
    /// documented state machine does not allow.
    pub fn transition(&mut self, ids: &IdGen, id: &str, next: PaymentRequestState, reason: Option<&str>) -> bool {
        let now = clock::rfc3339(self.now());
        let Some(record) = self.requests.get_mut(id) else { return false };
        let previous = record.state();
        if !previous.can_move_to(next) {
            tracing::warn!(id, from = previous.as_str(), to = next.as_str(), "refused state change");
            return false;
        }
        record.request.previous_state = Some(previous);
        record.request.state = Some(next);
        record.request.state_reason = reason.map(str::to_owned);
        record.request.updated_at = Some(now);
        let (account, dialect) = (record.account.clone(), record.dialect);
        let payload = dialect.request(&record.request);
        self.record_event(ids, &account, next.event_type(), payload, dialect);
        true
    }

    /// Whether a SUBMITTED or IN_PROGRESS request has passed its expiry.
    pub fn has_expired_requests(&self) -> bool {
        let now = self.now();
        self.requests.values().any(|r| matches!(r.state(), Submitted | InProgress) && r.expires_at <= now)
    }

    /// Expires every SUBMITTED or IN_PROGRESS request whose time is up.
    pub fn expire_due(&mut self, ids: &IdGen) {
        let now = self.now();
        let due: Vec<String> = self
            .requests
            .iter()
            .filter(|(_, r)| matches!(r.state(), Submitted | InProgress) && r.expires_at <= now)
            .map(|(id, _)| id.clone())
            .collect();
        for id in due {
            self.transition(ids, &id, Expired, None);
        }
    }

    /// The shopper opened the journey: SUBMITTED → IN_PROGRESS.
    pub fn open_journey(&mut self, ids: &IdGen, id: &str) {
        if self.requests.get(id).map(RequestRecord::state) == Some(Submitted) {
            self.transition(ids, id, InProgress, None);
        }
    }

    /// The shopper approved: issues the network session token (and the customer token, if
    /// one was asked for), then COMPLETED.
    pub fn complete(&mut self, ids: &IdGen, id: &str) -> bool {
        let now = self.now();
        let Some(record) = self.requests.get(id).cloned() else { return false };
        if record.state() != InProgress {
            return false;
        }
        let session_token = ids.krn("krn:payment:eu1:klarna-network-session-token:");
        self.session_tokens.insert(
            session_token.clone(),
            SessionToken { payment_request_id: Some(id.to_owned()), issued_at: now, spent: false },
        );
        let customer_token = record
            .pending_token
            .as_ref()
            .map(|pending| self.issue_customer_token(ids, &record.account, &pending.scopes, pending.reference.clone()));
        if let Some(record) = self.requests.get_mut(id) {
            let context = record.request.state_context.get_or_insert_with(Default::default);
            context.klarna_network_session_token = Some(session_token);
            context.customer_token = customer_token;
            // With no payment to authorize, nothing more happens to this request.
            record.finalized = record.pending_payment.is_none();
        }
        self.transition(ids, id, Completed, None)
    }

    /// The shopper left the journey without finishing: IN_PROGRESS goes back to SUBMITTED
    /// (the request is not canceled; the partner may cancel it).
    pub fn abort(&mut self, ids: &IdGen, id: &str) -> bool {
        self.requests.get(id).map(RequestRecord::state) == Some(InProgress) && self.transition(ids, id, Submitted, None)
    }

    /// The partner cancels: from SUBMITTED or IN_PROGRESS, or COMPLETED until the final
    /// authorization ran.
    pub fn cancel(&mut self, ids: &IdGen, id: &str) -> Result<(), PaymentRequestState> {
        let Some(record) = self.requests.get(id) else { return Err(PaymentRequestState::Unknown) };
        let state = record.state();
        if record.finalized || !self.transition(ids, id, Canceled, Some("PARTNER_CANCELED")) {
            return Err(state);
        }
        Ok(())
    }

    /// Marks request `id` finalized and its session token spent: the final authorization ran.
    pub fn finalize(&mut self, id: &str, session_token: &str) {
        if let Some(session) = self.session_tokens.get_mut(session_token) {
            session.spent = true;
        }
        if let Some(record) = self.requests.get_mut(id) {
            record.finalized = true;
        }
    }
}
