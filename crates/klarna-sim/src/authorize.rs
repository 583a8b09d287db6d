//! `POST /v2/accounts/{account}/payment/authorize`: the scenario, the idempotency layer,
//! validation, the outcome (documented default or scenario), and what it creates.
//!
//! The order is Klarna's as far as it shows: failures in front of Klarna (`http_500`,
//! `timeout`, `rate_limited`, `malformed`) happen before the idempotency layer and keep
//! nothing; past it, every result (errors included) is kept for the key and replayed to a
//! repeat within 24 hours.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use klarna_api::authorize::headers::{
    CUSTOMER_TOKEN, IDEMPOTENCY_KEY, INTEGRATION_METADATA, INTEROPERABILITY_TOKEN, NETWORK_SESSION_TOKEN,
    PARTNER_CORRELATION_ID,
};
use klarna_api::authorize::{Capture, InteractionMethod, StepUpMode};
use klarna_api::AuthorizationResult::{self, Approved, Declined, StepUpRequired};
use klarna_api::{
    AuthorizeRequest, AuthorizeResponse, CustomerTokenResponse, PaymentTransaction, PaymentTransactionResponse,
    TokenScope,
};
use sha2::{Digest, Sha256};

use crate::api_error::ApiError;
use crate::body::JsonBody;
use crate::dialect::{CallDialect, Dialect, Rendered};
use crate::scenario::{self, Fault, Lost, Scenario};
use crate::state::{self, AuthorizeCall, NewRequest, PendingToken, Replay, State as SimState};
use crate::{clock, Sim};

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

fn header_text(headers: &HeaderMap, name: &str) -> Result<Option<String>, ApiError> {
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

/// How a call was answered, for the call record.
struct Answer {
    response: Response,
    handling: &'static str,
    scenario: Option<String>,
}

impl Answer {
    fn refused(error: ApiError, dialect: Dialect, scenario: Option<String>) -> Self {
        Self { response: error.into_response_in(dialect), handling: "refused", scenario }
    }
}

/// The Authorize handler: answers, then records the call with what was done.
pub async fn authorize(
    State(sim): State<Sim>,
    Path(account): Path<String>,
    Extension(call_dialect): Extension<CallDialect>,
    headers: HeaderMap,
    body: JsonBody,
) -> Response {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let mut call = AuthorizeCall {
        at: clock::rfc3339(sim.lock().now()),
        account: account.clone(),
        idempotency_key: text(IDEMPOTENCY_KEY),
        partner_correlation_id: text(PARTNER_CORRELATION_ID),
        integration_metadata: text(INTEGRATION_METADATA),
        network_session_token: text(NETWORK_SESSION_TOKEN),
        customer_token: text(CUSTOMER_TOKEN),
        interoperability_token: text(INTEROPERABILITY_TOKEN),
        body: serde_json::from_slice(&body.0).unwrap_or(serde_json::Value::Null),
        scenario: None,
        handling: String::new(),
        status: 0,
    };
    let answer = answer(&sim, &account, call_dialect, &headers, &body).await;
    call.scenario = answer.scenario;
    call.handling = answer.handling.to_owned();
    call.status = answer.response.status().as_u16();
    // Kept in memory; the next change writes it to the state file with everything else.
    sim.lock().record_call(call);
    answer.response
}

async fn answer(sim: &Sim, account: &str, call_dialect: CallDialect, headers: &HeaderMap, body: &JsonBody) -> Answer {
    let parsed: Result<AuthorizeRequest, ApiError> = body.parse();
    // The dialect: the header's, else a `sim-dialect:` word's, else the account's or the simulator's.
    let word = parsed.as_ref().ok().and_then(|request| scenario::word_in(request, "sim-dialect:"));
    let dialect = match word.filter(|_| !call_dialect.from_header).map(str::parse::<Dialect>) {
        None => call_dialect.dialect,
        Some(Ok(dialect)) => dialect,
        Some(Err(problem)) => {
            let error = ApiError::validation("supplementary_purchase_data.purchase_reference", problem);
            return Answer::refused(error, call_dialect.dialect, None);
        }
    };
    let (scenario, label) = match parsed.as_ref().ok().and_then(scenario::named_in) {
        Some(Ok(scenario)) => (scenario, Some(format!("{scenario} (reference)"))),
        Some(Err(problem)) => {
            let error = ApiError::validation("supplementary_purchase_data.purchase_reference", problem);
            return Answer::refused(error, dialect, None);
        }
        None => match sim.lock().next_scenario(account) {
            Some((scenario, source)) => (scenario, Some(format!("{scenario} ({source})"))),
            None => (Scenario::default(), None),
        },
    };
    // `slow:<ms>` is Klarna taking its time: before a failure in front of it, or while the
    // key is held.
    let delay = Duration::from_millis(scenario.delay_ms.unwrap_or(0));
    if scenario.fault.is_some() {
        tokio::time::sleep(delay).await;
    }
    let refused = |error: ApiError| Answer::refused(error, dialect, label.clone());
    match scenario.fault {
        Some(Fault::Http500) => return refused(ApiError::internal()),
        Some(Fault::Timeout) => return refused(ApiError::timeout()),
        Some(Fault::RateLimited) => return refused(ApiError::rate_limited()),
        Some(Fault::Malformed) => {
            let page = "<html><body><h1>Service temporarily degraded</h1></body></html>";
            let response = (StatusCode::OK, [(header::CONTENT_TYPE, "text/html")], page).into_response();
            return Answer { response, handling: "refused", scenario: label };
        }
        None => {}
    }
    let inputs = match read_inputs(headers) {
        Ok(inputs) => inputs,
        Err(error) => return refused(error),
    };

    // The idempotency layer.
    let claim = match header_text(headers, IDEMPOTENCY_KEY) {
        Err(error) => return refused(error),
        Ok(None) => None,
        Ok(Some(key)) => {
            let fingerprint = fingerprint(account, &body.0, &inputs);
            let mut state = sim.lock();
            match state.replay(&key, &fingerprint) {
                Replay::Conflict => {
                    return refused(ApiError::conflict(
                        "Klarna-Idempotency-Key was already used for a different request",
                    ))
                }
                Replay::Refuse => {
                    let scenario = Some("repeat_429 (key)".to_owned());
                    return Answer::refused(ApiError::rate_limited(), dialect, scenario);
                }
                Replay::Reply(stored) => {
                    let response = reply(stored.status, &stored.body);
                    return Answer { response, handling: "replayed", scenario: label };
                }
                Replay::Fresh => {}
            }
            if !state.in_flight.insert(key.clone()) {
                return refused(ApiError::conflict(
                    "A request with this Klarna-Idempotency-Key is still being processed",
                ));
            }
            Some(InFlight { sim: sim.clone(), key, fingerprint })
        }
    };

    tokio::time::sleep(delay).await;

    // Klarna acts; the result, error or not, is kept for the key.
    let base = public_base(sim, headers);
    let kept = sim.mutate(|state| {
        let markets = state.accounts.get(account).and_then(|settings| settings.currencies.clone());
        let result = parsed.and_then(|request| {
            validate(&request, &inputs, dialect, markets.as_deref())?;
            let call = Call { account, request: &request, inputs: &inputs, dialect, base: &base };
            apply(sim, state, &call, scenario.results)
        });
        let (status, body) = match result {
            Ok(body) => (StatusCode::OK, body),
            Err(error) => (error.status(), error.to_json(dialect)),
        };
        if let Some(claim) = &claim {
            state.keep_reply(claim.key.clone(), claim.fingerprint, status.as_u16(), body.clone());
            if scenario.repeat_429 {
                state.refuse_repeats(&claim.key, 1);
            }
        }
        Ok((status, body))
    });
    let (status, body) = match kept {
        Ok(kept) => kept,
        Err(error) => return refused(error),
    };
    let response = match scenario.lost {
        None => reply(status.as_u16(), &body),
        Some(Lost::Http500) => ApiError::internal().into_response_in(dialect),
        Some(Lost::Drop) => dropped(&body),
    };
    Answer { response, handling: "processed", scenario: label }
}

/// A JSON reply with `status`.
fn reply(status: u16, body: &serde_json::Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let mut response = (status, axum::Json(body.clone())).into_response();
    response.extensions_mut().insert(Rendered);
    response
}

/// A 200 whose body breaks off halfway: the connection drops with the reply unfinished.
fn dropped(body: &serde_json::Value) -> Response {
    let bytes = Bytes::from(serde_json::to_vec(body).unwrap_or_default());
    let half = bytes.slice(..bytes.len() / 2);
    let chunks: Vec<Result<Bytes, std::io::Error>> =
        vec![Ok(half), Err(std::io::Error::other("klarna-sim: reply dropped (lost_drop)"))];
    let length = bytes.len().to_string();
    let mut response = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json".to_owned()), (header::CONTENT_LENGTH, length)],
        Body::from_stream(futures_util::stream::iter(chunks)),
    )
        .into_response();
    response.extensions_mut().insert(Rendered);
    response
}

fn read_inputs(headers: &HeaderMap) -> Result<Inputs, ApiError> {
    let inputs = Inputs {
        customer_token: header_text(headers, CUSTOMER_TOKEN)?,
        network_session_token: header_text(headers, NETWORK_SESSION_TOKEN)?,
    };
    if let Some(token) = header_text(headers, INTEROPERABILITY_TOKEN)? {
        if token.len() > MAX_INTEROPERABILITY_TOKEN {
            return Err(ApiError::validation(INTEROPERABILITY_TOKEN, "is longer than 8192 characters"));
        }
    }
    Ok(inputs)
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
    for part in [
        account.as_bytes(),
        body,
        inputs.customer_token.as_deref().unwrap_or("").as_bytes(),
        inputs.network_session_token.as_deref().unwrap_or("").as_bytes(),
    ] {
        hash.update((part.len() as u64).to_le_bytes());
        hash.update(part);
    }
    hash.finalize().into()
}

/// The browser listener's base URL, for journey links.
pub fn public_base(sim: &Sim, headers: &HeaderMap) -> String {
    match &sim.config().public_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => {
            let host = headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
            format!("http://{host}")
        }
    }
}

/// `scheme://host[:port]` of an absolute http(s) URL.
pub fn origin_of(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    matches!(parsed.scheme(), "http" | "https").then(|| parsed.origin().ascii_serialization())
}

/// The rules Klarna's API enforces on the body alone (in `dialect`, for an account
/// configured for the currencies `markets`, if given).
fn validate(
    request: &AuthorizeRequest,
    inputs: &Inputs,
    dialect: Dialect,
    markets: Option<&[String]>,
) -> Result<(), ApiError> {
    if !CURRENCIES.contains(&request.currency.as_str()) {
        return Err(ApiError::validation("currency", "is not an ISO 4217 currency of a Klarna market"));
    }
    if markets.is_some_and(|markets| !markets.iter().any(|m| m.eq_ignore_ascii_case(&request.currency))) {
        return Err(ApiError::validation(
            "currency",
            "is not a currency of the markets this partner account is configured for",
        ));
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
        // A line's total may differ from quantity × unit price (a discount), as Klarna allows;
        // the totals must still add up to the amount.
        let mut sum: u64 = 0;
        for (n, item) in purchase.line_items.iter().enumerate() {
            if item.quantity == 0 {
                let parameter = format!("supplementary_purchase_data.line_items[{n}].quantity");
                return Err(ApiError::validation(parameter, "must be positive"));
            }
            sum = sum.checked_add(item.total_amount).ok_or_else(|| {
                ApiError::validation("supplementary_purchase_data.line_items", "add up to more than an amount can be")
            })?;
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
        let Some(url) = &config.return_url else {
            return Err(ApiError::validation(
                "step_up_config.customer_interaction_config.return_url",
                "is required: the journey returns the shopper there",
            ));
        };
        if origin_of(url).is_none() || url.len() > 2048 {
            return Err(ApiError::validation(
                "step_up_config.customer_interaction_config.return_url",
                "must be an absolute http(s) URL of at most 2048 characters",
            ));
        }
        if step_up.mode == Some(StepUpMode::Required) && !dialect.accepts_required_mode() {
            return Err(ApiError::validation("step_up_config.mode", "is not supported"));
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

/// One Authorize call, as `apply` needs it.
struct Call<'a> {
    account: &'a str,
    request: &'a AuthorizeRequest,
    inputs: &'a Inputs,
    dialect: Dialect,
    /// The browser listener's base URL.
    base: &'a str,
}

/// Decides the results, creates what they create, and builds the reply (in the call's dialect).
fn apply(
    sim: &Sim,
    state: &mut SimState,
    call: &Call<'_>,
    chosen: Option<(AuthorizationResult, AuthorizationResult)>,
) -> Result<serde_json::Value, ApiError> {
    let (account, request) = (call.account, call.request);
    let flow = flow(state, account, request, call.inputs)?;
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
    let mut capture = None;
    let ids = sim.ids();

    if let (Some(result), Some(asked)) = (payment, &request.request_payment_transaction) {
        let mut part = PaymentTransactionResponse { result, result_reason: None, payment_transaction: None };
        match result {
            Approved => {
                let reference = asked.payment_transaction_reference.clone();
                let details = state.create_transaction(ids, account, reference, asked.amount, &currency);
                if asked.capture == Some(Capture::Now) {
                    let id = &details.payment_transaction_id;
                    capture = state.capture(ids, account, id, asked.amount, call.dialect).ok();
                }
                part.payment_transaction = Some(PaymentTransaction {
                    payment_transaction_id: details.payment_transaction_id,
                    payment_transaction_reference: details.payment_transaction_reference,
                    amount: Some(details.amount),
                    currency: Some(details.currency),
                    expires_at: Some(clock::rfc3339(clock::after(now, state::AUTHORIZATION_LIFETIME))),
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
            let reference = asked.customer_token_reference.clone();
            part.customer_token = Some(state.issue_customer_token(ids, account, &asked.scopes, reference));
        }
        reply.customer_token_response = Some(part);
    }
    if let Flow::Final { payment_request_id, session_token } = &flow {
        state.finalize(payment_request_id, session_token);
    }
    if payment == Some(StepUpRequired) || token == Some(StepUpRequired) {
        let Some(step_up) = &request.step_up_config else { return Err(ApiError::internal()) };
        let config = &step_up.customer_interaction_config;
        let new = NewRequest {
            account: account.to_owned(),
            dialect: call.dialect,
            reference: step_up.payment_request_reference.clone(),
            amount: request.request_payment_transaction.as_ref().map(|p| p.amount),
            currency,
            method: config.method,
            return_url: config.return_url.clone(),
            registered_origin: config.return_url.as_deref().and_then(origin_of),
            pending_token: (token == Some(StepUpRequired)).then(|| PendingToken {
                scopes: request.request_customer_token.as_ref().map(|t| t.scopes.clone()).unwrap_or_default(),
                reference: request.request_customer_token.as_ref().and_then(|t| t.customer_token_reference.clone()),
            }),
            pending_payment: payment == Some(StepUpRequired),
        };
        // Klarna's shape: `…/<region>/requests/<id>/start` on the journey's host.
        let journey = |id: &str| format!("{}/eu/requests/{}/start", call.base, id.rsplit(':').next().unwrap_or(id));
        reply.payment_request = Some(state.create_payment_request(ids, new, journey));
    }
    let mut body = serde_json::to_value(&reply).map_err(|_| ApiError::internal())?;
    let transaction = body.pointer_mut("/payment_transaction_response/payment_transaction");
    if let (Some(capture), Some(transaction)) = (capture, transaction.and_then(serde_json::Value::as_object_mut)) {
        transaction.insert("payment_captures".to_owned(), serde_json::json!([capture]));
    }
    Ok(call.dialect.reply(body))
}
