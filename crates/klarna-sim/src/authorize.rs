//! `POST /v2/accounts/{account}/payment/authorize`: validation, idempotency, the outcome
//! (documented default or chosen scenario), and what it creates.

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use klarna_api::authorize::headers::{CUSTOMER_TOKEN, IDEMPOTENCY_KEY, INTEROPERABILITY_TOKEN, NETWORK_SESSION_TOKEN};
use klarna_api::authorize::{InteractionMethod, StepUpMode};
use klarna_api::AuthorizationResult::{self, Approved, Declined, StepUpRequired};
use klarna_api::{
    AuthorizeRequest, AuthorizeResponse, CustomerToken, CustomerTokenResponse, PaymentTransaction,
    PaymentTransactionResponse, TokenScope,
};
use sha2::{Digest, Sha256};

use crate::api_error::ApiError;
use crate::body::JsonBody;
use crate::scenario::{self, Scenario};
use crate::state::{
    self, AuthorizeCall, PendingToken, RequestRecord, State as SimState, StoredReply, TokenRecord, TransactionRecord,
};
use crate::webhooks::{self, Outgoing};
use crate::{auth, clock, Sim};

/// Currencies the simulator accepts (ISO 4217 codes of Klarna's markets).
const CURRENCIES: [&str; 20] = [
    "AUD", "CAD", "CHF", "CZK", "DKK", "EUR", "GBP", "HUF", "JPY", "MXN", "NOK", "NZD", "PLN", "RON", "SEK", "USD",
    "BRL", "HKD", "SGD", "ZAR",
];
/// The longest interoperability token accepted.
const MAX_INTEROPERABILITY_TOKEN: usize = 8192;

/// The headers of an Authorize call that change what it does.
struct Inputs {
    customer_token: Option<String>,
    network_session_token: Option<String>,
}

fn header(headers: &HeaderMap, name: &str) -> Result<Option<String>, ApiError> {
    headers
        .get(name)
        .map(|value| {
            value
                .to_str()
                .map(|v| v.trim().to_owned())
                .map_err(|_| ApiError::validation(name, "is not printable ASCII"))
        })
        .transpose()
}

/// The Authorize handler.
pub async fn authorize(
    State(sim): State<Sim>,
    Path(account): Path<String>,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<Response, ApiError> {
    auth::check(&headers)?;
    record_call(&sim, &account, &headers, &body);
    let request: AuthorizeRequest = body.parse()?;
    let inputs = Inputs {
        customer_token: header(&headers, CUSTOMER_TOKEN)?,
        network_session_token: header(&headers, NETWORK_SESSION_TOKEN)?,
    };
    if let Some(token) = header(&headers, INTEROPERABILITY_TOKEN)? {
        if token.len() > MAX_INTEROPERABILITY_TOKEN {
            return Err(ApiError::validation(INTEROPERABILITY_TOKEN, "is longer than 8192 characters"));
        }
    }
    let idempotency = match header(&headers, IDEMPOTENCY_KEY)? {
        Some(key) => {
            let fingerprint = fingerprint(&account, &body.0, &inputs);
            let mut state = sim.lock();
            if let Some(reply) = replay(&mut state, &key, &fingerprint)? {
                return Ok(reply);
            }
            if !state.in_flight.insert(key.clone()) {
                return Err(ApiError::conflict("A request with this Klarna-Idempotency-Key is still being processed"));
            }
            Some(InFlight { sim: sim.clone(), key, fingerprint })
        }
        None => None,
    };
    validate(&request, &inputs)?;

    let scenario = match scenario::named_in(&request) {
        Some(Ok(scenario)) => Some(scenario),
        Some(Err(problem)) => {
            return Err(ApiError::validation("supplementary_purchase_data.purchase_reference", problem))
        }
        None => sim.lock().queued.pop_front(),
    };
    let chosen = match scenario {
        Some(Scenario::Http500) => return Err(ApiError::internal()),
        Some(Scenario::Timeout) => return Err(ApiError::timeout()),
        Some(Scenario::RateLimited) => return Err(ApiError::rate_limited()),
        Some(Scenario::Malformed) => {
            let page = "<html><body><h1>Service temporarily degraded</h1></body></html>";
            return Ok((StatusCode::OK, [("content-type", "text/html")], page).into_response());
        }
        Some(Scenario::Slow(ms)) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            None
        }
        Some(Scenario::Results { payment, token }) => Some((payment, token)),
        None => None,
    };

    let base = public_base(&sim, &headers);
    let (reply, outgoing) = {
        let mut state = sim.lock();
        let (reply, outgoing) = apply(&sim, &mut state, &account, &request, &inputs, chosen, &base)?;
        let body = serde_json::to_value(&reply).map_err(|_| ApiError::internal())?;
        if let Some(flight) = &idempotency {
            let at = state.now();
            let stored = StoredReply { fingerprint: flight.fingerprint, status: 200, body: body.clone(), at };
            state.idempotency.insert(flight.key.clone(), stored);
        }
        (body, outgoing)
    };
    webhooks::send(&sim, outgoing);
    Ok(Json(reply).into_response())
}

/// Counts the call and keeps what it sent, for `/_sim/state` (what did my backend send?).
fn record_call(sim: &Sim, account: &str, headers: &HeaderMap, body: &JsonBody) {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let mut state = sim.lock();
    state.authorize_calls += 1;
    let call = AuthorizeCall {
        at: clock::rfc3339(state.now()),
        account: account.to_owned(),
        idempotency_key: text(IDEMPOTENCY_KEY),
        partner_correlation_id: text(klarna_api::authorize::headers::PARTNER_CORRELATION_ID),
        integration_metadata: text(klarna_api::authorize::headers::INTEGRATION_METADATA),
        network_session_token: text(NETWORK_SESSION_TOKEN),
        customer_token: text(CUSTOMER_TOKEN),
        interoperability_token: text(INTEROPERABILITY_TOKEN),
        body: serde_json::from_slice(&body.0).unwrap_or(serde_json::Value::Null),
    };
    if state.calls.len() >= state::MAX_RECORDED_CALLS {
        state.calls.remove(0);
    }
    state.calls.push(call);
}

/// An idempotency key being processed; released however the request ends.
struct InFlight {
    sim: Sim,
    key: String,
    fingerprint: [u8; 32],
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.sim.lock().in_flight.remove(&self.key);
    }
}

/// What identifies a request for idempotency: the account, the body and the token headers.
fn fingerprint(account: &str, body: &[u8], inputs: &Inputs) -> [u8; 32] {
    let mut hash = Sha256::new();
    for part in [account.as_bytes(), body, inputs.customer_token.as_deref().unwrap_or("").as_bytes()] {
        hash.update((part.len() as u64).to_le_bytes());
        hash.update(part);
    }
    hash.update(inputs.network_session_token.as_deref().unwrap_or("").as_bytes());
    hash.finalize().into()
}

/// The first reply for `key` within 24 hours; a different request under the same key is a 409.
pub fn replay(state: &mut SimState, key: &str, fingerprint: &[u8; 32]) -> Result<Option<Response>, ApiError> {
    let now = state.now();
    state.idempotency.retain(|_, stored| now - stored.at < state::IDEMPOTENCY_WINDOW);
    match state.idempotency.get(key) {
        None => Ok(None),
        Some(stored) if stored.fingerprint != *fingerprint => {
            Err(ApiError::conflict("Klarna-Idempotency-Key was already used for a different request"))
        }
        Some(stored) => {
            let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
            Ok(Some((status, Json(stored.body.clone())).into_response()))
        }
    }
}

/// The simulator's base URL as browsers see it.
pub fn public_base(sim: &Sim, headers: &HeaderMap) -> String {
    match &sim.config().public_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => {
            let host = headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
            format!("http://{host}")
        }
    }
}

/// The rules Klarna's API enforces on the body alone.
fn validate(request: &AuthorizeRequest, inputs: &Inputs) -> Result<(), ApiError> {
    if !CURRENCIES.contains(&request.currency.as_str()) {
        return Err(ApiError::validation("currency", "is not an ISO 4217 currency of a Klarna market"));
    }
    let payment = request.request_payment_transaction.as_ref();
    let token = request.request_customer_token.as_ref();
    if payment.is_none() && token.is_none() {
        return Err(ApiError::validation(
            "request_payment_transaction",
            "ask for a payment transaction, a customer token, or both",
        ));
    }
    if let Some(payment) = payment {
        if payment.amount == 0 {
            return Err(ApiError::validation("request_payment_transaction.amount", "must be a positive integer"));
        }
    }
    let purchase = request.supplementary_purchase_data.as_ref();
    let subscriptions = purchase.is_some_and(|p| !p.subscriptions.is_empty());
    if let Some(token) = token {
        if inputs.customer_token.is_some() {
            return Err(ApiError::validation("request_customer_token", "a token charge cannot ask for a new token"));
        }
        if token.scopes.is_empty() {
            return Err(ApiError::validation("request_customer_token.scopes", "must name at least one scope"));
        }
        if token.scopes.contains(&TokenScope::Unknown) {
            return Err(ApiError::validation("request_customer_token.scopes", "has an unknown scope"));
        }
        if token.scopes.contains(&TokenScope::CustomerNotPresent) && !subscriptions {
            return Err(ApiError::validation(
                "supplementary_purchase_data.subscriptions",
                "is required for the payment:customer_not_present scope",
            ));
        }
        if token.scopes.contains(&TokenScope::CustomerPresent)
            && purchase.and_then(|p| p.ondemand_service.as_ref()).is_none()
        {
            return Err(ApiError::validation(
                "supplementary_purchase_data.ondemand_service",
                "is required for the payment:customer_present scope",
            ));
        }
    }
    if let Some(purchase) = purchase {
        let mut sum: u64 = 0;
        for (n, item) in purchase.line_items.iter().enumerate() {
            let total = item.quantity.checked_mul(item.unit_price);
            if item.quantity == 0 || total != Some(item.total_amount) {
                return Err(ApiError::validation(
                    format!("supplementary_purchase_data.line_items[{n}].total_amount"),
                    "must equal quantity × unit_price, with a positive quantity",
                ));
            }
            sum = sum.saturating_add(item.total_amount);
        }
        if let (Some(payment), false) = (payment, purchase.line_items.is_empty()) {
            if sum != payment.amount {
                return Err(ApiError::validation(
                    "supplementary_purchase_data.line_items",
                    format!("add up to {sum}, not the amount {}", payment.amount),
                ));
            }
        }
    }
    if let Some(step_up) = &request.step_up_config {
        let config = &step_up.customer_interaction_config;
        if config.method == InteractionMethod::Unknown {
            return Err(ApiError::validation(
                "step_up_config.customer_interaction_config.method",
                "must be HANDOVER or SDK",
            ));
        }
        if let Some(url) = &config.return_url {
            if !(url.starts_with("https://") || url.starts_with("http://")) || url.len() > 2048 {
                return Err(ApiError::validation(
                    "step_up_config.customer_interaction_config.return_url",
                    "must be an absolute http(s) URL of at most 2048 characters",
                ));
            }
        }
    }
    if inputs.customer_token.is_some() && request.step_up_config.is_none() && !subscriptions {
        return Err(ApiError::validation(
            "supplementary_purchase_data.subscriptions",
            "is required for a customer-not-present charge",
        ));
    }
    Ok(())
}

/// What kind of authorization this is, found from the token headers.
enum Flow {
    /// After a step-up: the network session token of a COMPLETED request.
    Final { payment_request_id: String, session_token: String },
    /// A charge with a stored customer token.
    TokenCharge,
    /// A first authorization: purchase, tokenization, or both.
    First,
}

fn flow(state: &SimState, account: &str, request: &AuthorizeRequest, inputs: &Inputs) -> Result<Flow, ApiError> {
    if let Some(token) = &inputs.customer_token {
        let record = state
            .customer_tokens
            .get(token)
            .filter(|record| record.account == account)
            .ok_or_else(|| ApiError::validation(CUSTOMER_TOKEN, "is not a customer token of this account"))?;
        let present = request.step_up_config.is_some();
        if !present && !record.token.scopes.contains(&TokenScope::CustomerNotPresent) {
            return Err(ApiError::forbidden("The customer token has no payment:customer_not_present scope"));
        }
        if present
            && !record
                .token
                .scopes
                .iter()
                .any(|s| matches!(s, TokenScope::CustomerPresent | TokenScope::CustomerNotPresent))
        {
            return Err(ApiError::forbidden("The customer token has no payment scope"));
        }
        if request.request_payment_transaction.is_none() {
            return Err(ApiError::validation("request_payment_transaction", "is required for a token charge"));
        }
        return Ok(Flow::TokenCharge);
    }
    let Some(token) = &inputs.network_session_token else { return Ok(Flow::First) };
    let session = state
        .session_tokens
        .get(token)
        .ok_or_else(|| ApiError::validation(NETWORK_SESSION_TOKEN, "was not issued by this simulator"))?;
    let Some(payment_request_id) = &session.payment_request_id else { return Ok(Flow::First) };
    let record = state
        .requests
        .get(payment_request_id)
        .filter(|record| record.account == account)
        .ok_or_else(|| ApiError::validation(NETWORK_SESSION_TOKEN, "belongs to another account"))?;
    if session.spent || record.finalized {
        return Err(ApiError::validation(NETWORK_SESSION_TOKEN, "was already used for a final authorization"));
    }
    if record.state() != klarna_api::PaymentRequestState::Completed {
        return Err(ApiError::validation(
            NETWORK_SESSION_TOKEN,
            format!("belongs to a payment request that is {}, not COMPLETED", record.state().as_str()),
        ));
    }
    if state.now() - session.issued_at > state::FINAL_AUTHORIZATION_WINDOW {
        return Err(ApiError::validation(
            NETWORK_SESSION_TOKEN,
            "expired: the final authorization must run within 60 minutes of COMPLETED",
        ));
    }
    let amount = request.request_payment_transaction.as_ref().map(|p| p.amount);
    match record.pending_payment {
        None => {
            return Err(ApiError::validation(NETWORK_SESSION_TOKEN, "completed a request with no payment to authorize"))
        }
        Some(pending) if amount != Some(pending) => {
            return Err(ApiError::validation(
                "request_payment_transaction.amount",
                format!("must be {pending}, the amount of the completed payment request"),
            ))
        }
        Some(_) => {}
    }
    if request.request_customer_token.is_some() {
        return Err(ApiError::validation(
            "request_customer_token",
            "the final authorization authorizes the payment only",
        ));
    }
    Ok(Flow::Final { payment_request_id: payment_request_id.clone(), session_token: token.clone() })
}

/// Decides the results, creates what they create, and builds the reply.
fn apply(
    sim: &Sim,
    state: &mut SimState,
    account: &str,
    request: &AuthorizeRequest,
    inputs: &Inputs,
    chosen: Option<(AuthorizationResult, AuthorizationResult)>,
    base: &str,
) -> Result<(AuthorizeResponse, Vec<Outgoing>), ApiError> {
    let flow = flow(state, account, request, inputs)?;
    let wants_payment = request.request_payment_transaction.is_some();
    let wants_token = request.request_customer_token.is_some();
    let can_step_up = request.step_up_config.is_some();
    let forced = request.step_up_config.as_ref().and_then(|s| s.mode) == Some(StepUpMode::Required);

    let (mut payment, mut token) = match (&flow, chosen) {
        (_, Some((p, t))) => (wants_payment.then_some(p), wants_token.then_some(t)),
        (Flow::Final { .. } | Flow::TokenCharge, None) => (Some(Approved), None),
        // Tokenization always steps up first: the shopper's consent is mandatory.
        (Flow::First, None) if wants_token => (wants_payment.then_some(StepUpRequired), Some(StepUpRequired)),
        (Flow::First, None) => (Some(if can_step_up { StepUpRequired } else { Declined }), None),
    };
    if forced && !matches!(flow, Flow::Final { .. }) {
        payment = payment.map(|_| StepUpRequired);
        token = token.map(|_| StepUpRequired);
    }
    // Without step_up_config there is no journey: what would step up is declined.
    let no_journey = |result: Option<AuthorizationResult>| match result {
        Some(StepUpRequired) if !can_step_up => Some(Declined),
        other => other,
    };
    let (payment, token) = (no_journey(payment), no_journey(token));

    let now = state.now();
    let currency = request.currency.clone();
    let mut reply = AuthorizeResponse::default();
    let mut outgoing = Vec::new();

    if let (Some(result), Some(asked)) = (payment, &request.request_payment_transaction) {
        let mut part = PaymentTransactionResponse { result, result_reason: None, payment_transaction: None };
        match result {
            Approved => {
                let id = sim.ids().krn("krn:payment:eu1:transaction:");
                let reference = asked.payment_transaction_reference.clone();
                let details = state::new_transaction(&id, reference.clone(), asked.amount, &currency);
                state.transactions.insert(id.clone(), TransactionRecord { account: account.to_owned(), details });
                part.payment_transaction = Some(PaymentTransaction {
                    payment_transaction_id: id,
                    payment_transaction_reference: reference,
                    amount: Some(asked.amount),
                    currency: Some(currency.clone()),
                    expires_at: Some(clock::rfc3339(now + time::Duration::days(28))),
                });
            }
            Declined => part.result_reason = Some("DECLINED_BY_RISK_ASSESSMENT".to_owned()),
            _ => {}
        }
        reply.payment_transaction_response = Some(part);
    }
    if let (Some(result), Some(asked)) = (token, &request.request_customer_token) {
        let mut part = CustomerTokenResponse { result, customer_token: None };
        if result == Approved {
            part.customer_token =
                Some(issue_customer_token(sim, state, account, &asked.scopes, asked.customer_token_reference.clone()));
        }
        reply.customer_token_response = Some(part);
    }
    if let Flow::Final { payment_request_id, session_token } = &flow {
        if let Some(session) = state.session_tokens.get_mut(session_token) {
            session.spent = true;
        }
        if let Some(record) = state.requests.get_mut(payment_request_id) {
            record.finalized = true;
        }
    }
    if payment == Some(StepUpRequired) || token == Some(StepUpRequired) {
        let Some(step_up) = &request.step_up_config else { return Err(ApiError::internal()) };
        let id = sim.ids().krn("krn:payment:eu1:request:");
        let amount = request.request_payment_transaction.as_ref().map(|p| p.amount);
        let payment_request = state::new_payment_request(
            &id,
            step_up.payment_request_reference.clone(),
            amount,
            &currency,
            step_up.customer_interaction_config.method,
            format!("{base}/journey/{id}"),
            now,
        );
        let pending_token = (token == Some(StepUpRequired)).then(|| PendingToken {
            scopes: request.request_customer_token.as_ref().map(|t| t.scopes.clone()).unwrap_or_default(),
            reference: request.request_customer_token.as_ref().and_then(|t| t.customer_token_reference.clone()),
        });
        let record = RequestRecord {
            account: account.to_owned(),
            request: payment_request.clone(),
            return_url: step_up.customer_interaction_config.return_url.clone(),
            pending_payment: if payment == Some(StepUpRequired) { amount } else { None },
            pending_token,
            expires_at: now + state::REQUEST_LIFETIME,
            finalized: false,
        };
        state.requests.insert(id, record);
        let payload = serde_json::to_value(&payment_request).map_err(|_| ApiError::internal())?;
        outgoing = webhooks::record(sim, state, account, "payment.request.state-change.submitted".to_owned(), payload);
        reply.payment_request = Some(payment_request);
    }
    Ok((reply, outgoing))
}

/// Creates and remembers a customer token.
pub fn issue_customer_token(
    sim: &Sim,
    state: &mut SimState,
    account: &str,
    scopes: &[TokenScope],
    reference: Option<String>,
) -> CustomerToken {
    let token = CustomerToken {
        customer_token: sim.ids().krn("krn:customer-token:eu1:"),
        customer_token_reference: reference,
        scopes: scopes.to_vec(),
    };
    state
        .customer_tokens
        .insert(token.customer_token.clone(), TokenRecord { account: account.to_owned(), token: token.clone() });
    token
}
