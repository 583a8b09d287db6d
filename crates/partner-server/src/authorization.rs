//! One click at Klarna: what the click may do (decided by the store under the rules of
//! [`crate::attempts`]), the Authorize call, and Klarna's answer recorded before anyone is
//! answered. The sweeper sends attempts through the same [`send`].

use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use klarna_api::{OutcomeKind, PaymentRequestState};

use crate::attempts::Proof;
use crate::checkout::{self, Call, Flow};
use crate::customer::Customer;
use crate::error::ApiError;
use crate::finalize::Settled;
use crate::klarna::{AuthorizeHeaders, Reply, StoredCall};
use crate::routes::authorize::ButtonCall;
use crate::store::attempts::{Begin, Click, Recorded, Sending};
use crate::store::now_ms;
use crate::store::sessions::SessionRow;
use crate::App;

/// How long a click waits for another instance's send of the same order before it is told
/// to try again.
const WAIT_FOR_OTHER_SEND: Duration = Duration::from_secs(5);

fn json_reply(status: StatusCode, body: String) -> Response {
    (status, [("content-type", "application/json")], body).into_response()
}

/// Answers one click of the button.
pub async fn click(app: Arc<App>, customer: Customer, call: ButtonCall) -> Result<Response, ApiError> {
    let (row, open_journeys) = app
        .store
        .session_for_click(&call.checkout_session_id)
        .await?
        .filter(|(row, _)| row.session.customer_id == customer.0)
        .ok_or_else(|| ApiError::not_found("Checkout session"))?;
    let session = &row.session;
    let mut customer_token = match session.flow {
        Flow::TokenCharge => {
            Some(app.store.token_for_charge(&customer.0).await?.map(|(_, token)| token).ok_or_else(|| {
                ApiError::conflict("NO_SAVED_TOKEN", "you have no saved Klarna; save it first (flow token_only)")
            })?)
        }
        _ => None,
    };
    let return_url = format!("{}/order/{}/return?state={{klarna.payment_request.state}}", app.public_url, session.id);
    let checkout_call =
        Call { return_url: &return_url, payment_option_id: call.payment_option_id.clone(), simulator: app.simulator };
    // An open journey may have been completed a moment ago (its webhook not here yet): bring
    // it up to date first, so the click sees the order as it is.
    if open_journeys {
        for open in app.store.open_requests(&session.id).await? {
            let _ = crate::finalize::settle(&app, &open).await;
        }
    }
    let fingerprint = checkout::attempt_fingerprint(session, call.payment_option_id.as_deref());
    let mut asked = session.clone();
    loop {
        let stored = StoredCall {
            request: checkout::authorize_request(&asked, &checkout_call),
            network_session_token: call.klarna_network_session_token.clone(),
            customer_token: customer_token.clone(),
            interoperability_token: session.interoperability_token.clone(),
        };
        let request_json = serde_json::to_string(&stored).map_err(ApiError::internal)?;
        let begin = Click {
            session_id: session.id.clone(),
            browser_key: call.idempotency_key.clone(),
            fingerprint: fingerprint.clone(),
            request_json,
        };
        let result = answer(&app, &row, app.store.begin_click(begin, &app.instance, app.timing).await?).await;
        // `step_up_config.mode: REQUIRED` is announced for a future release. Where Klarna does
        // not take it yet, the step-up is still forced: the charge is asked for without the
        // saved token, as a purchase the shopper confirms in Klarna's journey. The refused
        // attempt failed for certain, so this is a new attempt, not a repeat.
        if asked.force_step_up && refused_mode(&result) {
            tracing::info!(order = session.id, "Klarna refused step_up_config.mode; asking again without the token");
            asked.force_step_up = false;
            customer_token = None;
            continue;
        }
        return result;
    }
}

/// Whether Klarna refused the request for its `step_up_config.mode`.
fn refused_mode(result: &Result<Response, ApiError>) -> bool {
    result.as_ref().err().is_some_and(|error| {
        error.status == StatusCode::UNPROCESSABLE_ENTITY
            && error.body.refused_parameters().contains(&"step_up_config.mode")
    })
}

/// What the store decided for a click, carried out.
async fn answer(app: &Arc<App>, row: &SessionRow, begin: Begin) -> Result<Response, ApiError> {
    match begin {
        Begin::Send(sending) => {
            // Runs to its end even if the browser goes away: Klarna's answer is always recorded.
            let task = tokio::spawn(send(app.clone(), sending));
            task.await
                .unwrap_or_else(|error| Err(ApiError::internal(format!("the authorization task failed: {error}"))))
        }
        Begin::Replay { status, body } => {
            Ok(json_reply(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), body))
        }
        Begin::Wait { attempt_id } => wait_for(app, &attempt_id).await,
        Begin::KeyReused => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            klarna_api::ErrorType::InputError,
            "IDEMPOTENCY_KEY_REUSED",
            "this Idempotency-Key was used for a different request",
        )),
        Begin::Finished(status) => Err(ApiError::conflict(
            "ORDER_FINISHED",
            format!("this order is already {}", crate::store::DbEnum::as_db(status)),
        )),
        Begin::UnderReview => Err(ApiError::conflict(
            "ORDER_UNDER_REVIEW",
            "this order's payment is being checked with Klarna; the shop will tell you the result",
        )),
        Begin::FinalAuthorizationDue => {
            if let Some(id) = app.store.latest_request(&row.session.id).await? {
                let app = app.clone();
                tokio::spawn(async move { crate::finalize::settle(&app, &id).await });
            }
            Err(ApiError::busy(
                "FINAL_AUTHORIZATION_RUNNING",
                "Klarna is finishing this payment; try again in a moment",
            ))
        }
        Begin::DeclinedBefore => {
            Err(ApiError::conflict("DECLINE_NOT_REPLAYED", crate::store::attempts::DECLINE_NOT_REPLAYED))
        }
        Begin::NoOrder => Err(ApiError::not_found("Checkout session")),
    }
}

/// Waits for another instance's send of the same attempt; its answer becomes this click's.
async fn wait_for(app: &App, attempt_id: &str) -> Result<Response, ApiError> {
    let deadline = tokio::time::Instant::now() + WAIT_FOR_OTHER_SEND;
    loop {
        if let Some(answer) = app.store.attempt_answer(attempt_id).await? {
            if let Some(reply) = answer.reply_json.filter(|_| !answer.status.is_open()) {
                return Ok(json_reply(StatusCode::OK, reply));
            }
            if !answer.status.is_open() {
                return Err(ApiError::bad_gateway(
                    "KLARNA_UNAVAILABLE",
                    "Klarna could not take the payment just now; please try again",
                ));
            }
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(ApiError::busy(
                "ATTEMPT_IN_PROGRESS",
                "this payment is already on its way to Klarna; try again in a moment",
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The answer to a click that found the order's journey completed (the payment goes on there).
const JOURNEY_COMPLETED: &str = "JOURNEY_COMPLETED";

/// Cancels what a new attempt would leave behind: an open journey of the order. Fails when
/// one moved on at Klarna and could not be canceled (it is being finished), or was completed.
async fn cancel_leftovers(app: &App, session_id: &str) -> Result<(), ApiError> {
    for open in app.store.open_requests(session_id).await? {
        // The shopper may have finished this journey a moment ago, its webhook not here yet:
        // read it from Klarna first. A completed journey is the order's payment (settling it
        // ran the final authorization), never something to cancel for a new attempt.
        match crate::finalize::settle(app, &open).await {
            Ok(Settled::Busy) => {
                return Err(ApiError::busy(
                    "FINAL_AUTHORIZATION_RUNNING",
                    "Klarna is finishing this payment; try again in a moment",
                ))
            }
            Ok(Settled::Done(_) | Settled::Gone | Settled::NotOurs) => {}
            Err(error) => {
                tracing::warn!(
                    order = session_id,
                    request = open,
                    code = error.body.error_code,
                    "could not read a journey"
                );
                return Err(ApiError::busy(
                    "JOURNEY_STILL_OPEN",
                    "an earlier Klarna journey of this order could not be checked; try again in a moment",
                ));
            }
        }
        match app.store.tracked_request(&open).await? {
            Some(tracked) if tracked.state == PaymentRequestState::Completed => {
                return Err(ApiError::conflict(
                    JOURNEY_COMPLETED,
                    "the shopper completed this order's Klarna journey; the order is paid with what was approved there",
                ))
            }
            Some(tracked)
                if tracked.gone
                    || !matches!(tracked.state, PaymentRequestState::Submitted | PaymentRequestState::InProgress) =>
            {
                continue
            }
            _ => {}
        }
        match app.klarna.cancel_payment_request(&open).await {
            Reply::Ok(_) => {
                app.store.record_request_state(&open, PaymentRequestState::Canceled, None, app.poll_every_ms()).await?;
            }
            Reply::Refused { status: 404, .. } => app.store.request_gone(&open).await?,
            other => {
                tracing::warn!(
                    order = session_id,
                    request = open,
                    reply = other.describe(),
                    "could not cancel a journey"
                );
                let _ = crate::finalize::settle(app, &open).await;
                return Err(ApiError::busy(
                    "JOURNEY_STILL_OPEN",
                    "an earlier Klarna journey of this order is still being finished; try again in a moment",
                ));
            }
        }
    }
    Ok(())
}

/// Sends one attempt to Klarna and records what its answer proves: the outcome (with all it
/// created), a certain failure, or an unknown outcome that keeps the order's key.
pub async fn send(app: Arc<App>, sending: Sending) -> Result<Response, ApiError> {
    let key = sending.attempt_id.as_str();
    let call: StoredCall = match serde_json::from_str(&sending.request_json) {
        Ok(call) => call,
        Err(error) => {
            app.store.record_failure(key, None, "the stored request cannot be read").await?;
            return Err(ApiError::internal(format!("attempt {key}: {error}")));
        }
    };
    if !sending.repeat && sending.open_journeys {
        if let Err(error) = cancel_leftovers(&app, &sending.session_id).await {
            app.store.record_failure(key, None, error.body.message()).await?;
            if error.body.error_code == JOURNEY_COMPLETED {
                // This attempt is closed now, so the completed journey can be finished.
                if let Some(id) = app.store.latest_request(&sending.session_id).await? {
                    let app = app.clone();
                    tokio::spawn(async move { crate::finalize::settle(&app, &id).await });
                }
            }
            return Err(error);
        }
    }
    let headers = AuthorizeHeaders {
        idempotency_key: Some(key),
        network_session_token: call.network_session_token.as_deref(),
        customer_token: call.customer_token.as_deref(),
        interoperability_token: call.interoperability_token.as_deref(),
    };
    crate::kill_points::reached("before-klarna-call");
    let reply = app.klarna.authorize(&call.request, headers).await;
    let order = sending.session_id.as_str();
    let unknown = |why: &str, raw: Option<String>, retry_after: Option<i64>| {
        let app = app.clone();
        let (why, key) = (why.to_owned(), key.to_owned());
        async move { app.store.record_unknown(&key, &why, raw, retry_after, app.timing).await }
    };
    match reply {
        Reply::Ok(response) => match response.outcome() {
            Ok(outcome) => {
                let public =
                    serde_json::to_string(&response.clone().without_customer_token()).map_err(ApiError::internal)?;
                let recorded = Recorded {
                    attempt_id: key.to_owned(),
                    reply: response.clone(),
                    outcome,
                    public_json: public.clone(),
                    first_poll_at: now_ms().saturating_add(app.poll_every_ms()),
                };
                crate::kill_points::reached("after-klarna-before-commit");
                app.store.record_outcome(recorded).await?;
                crate::kill_points::reached("after-commit-before-reply");
                if outcome.kind == OutcomeKind::Decline {
                    if let Some(id) = response.payment_request.as_ref().and_then(|r| r.id()) {
                        // A decline ends the attempt: the request made for its token part is not used.
                        if let Err(error) = cancel_leftovers(&app, order).await {
                            tracing::warn!(
                                order,
                                request = id,
                                code = error.body.error_code,
                                "left a declined attempt's request open"
                            );
                        }
                    }
                }
                tracing::info!(order, attempt = key, outcome = outcome.kind.as_str(), "authorization recorded");
                Ok(json_reply(StatusCode::OK, public))
            }
            Err(why) => {
                let raw = serde_json::to_string(&response).ok();
                unknown(&format!("a reply with no usable result: {why:?}"), raw, None).await?;
                Err(ApiError::bad_gateway(
                    "KLARNA_INVALID_REPLY",
                    "Klarna's reply has no usable result; please try again",
                ))
            }
        },
        Reply::Refused { status, error, body, retry_after_ms } => {
            tracing::warn!(order, attempt = key, status, body, "Klarna refused the authorization");
            match crate::attempts::proof_of_status(status, retry_after_ms) {
                Proof::DidNotAct => {
                    app.store.record_failure(key, Some(status), &format!("HTTP {status}")).await?;
                    Err(match (status, error) {
                        (401 | 403, _) => {
                            tracing::error!(status, "Klarna refused this backend's credentials");
                            ApiError::bad_gateway(
                                "KLARNA_CONFIGURATION",
                                "the payment provider cannot use Klarna right now (Klarna refused its credentials); please try again later",
                            )
                        }
                        (_, Some(error)) => ApiError::relayed(status, error),
                        // Refused as sent: the same request would be refused again.
                        (_, None) => ApiError::new(
                            StatusCode::UNPROCESSABLE_ENTITY,
                            klarna_api::ErrorType::InputError,
                            "KLARNA_REFUSED",
                            format!("Klarna refused the payment (HTTP {status})"),
                        ),
                    })
                }
                Proof::Nothing { retry_after_ms } => {
                    unknown(&format!("HTTP {status}"), None, retry_after_ms).await?;
                    let mut refusal = match error {
                        Some(error) => ApiError::relayed(status, error),
                        None => ApiError::bad_gateway(
                            "KLARNA_ERROR",
                            format!("Klarna answered HTTP {status}; please try again"),
                        ),
                    };
                    // Nothing is proven, so the next click may well succeed: a status the
                    // button reports as recoverable (429 stays 429, anything else is 502).
                    if status != 429 {
                        refusal.status = StatusCode::BAD_GATEWAY;
                    }
                    Ok(with_retry_after(refusal.into_response(), retry_after_ms))
                }
                Proof::Acted(_) => Err(ApiError::internal("a refusal cannot carry an outcome")),
            }
        }
        Reply::Malformed { body } => {
            unknown("a 2xx reply that is not an Authorize reply", Some(body), None).await?;
            Err(ApiError::bad_gateway("KLARNA_INVALID_REPLY", "Klarna's reply could not be read; please try again"))
        }
        Reply::NotSent(why) => {
            // Every value from the browser was checked at the door: this is a fault of ours.
            app.store.record_failure(key, None, &why).await?;
            Err(ApiError::internal(format!("the Authorize request could not be built: {why}")))
        }
        Reply::Unreachable { why, connected: false } => {
            app.store.record_failure(key, None, &why).await?;
            Err(ApiError::bad_gateway("KLARNA_UNREACHABLE", "Klarna could not be reached; please try again"))
        }
        Reply::Unreachable { why, connected: true } => {
            tracing::warn!(order, attempt = key, why, "no reply from Klarna; the attempt will be repeated");
            unknown(&why, None, None).await?;
            Err(ApiError::bad_gateway("KLARNA_UNREACHABLE", "Klarna did not answer; please try again"))
        }
    }
}

fn with_retry_after(mut response: Response, retry_after_ms: Option<i64>) -> Response {
    if let Some(ms) = retry_after_ms {
        let seconds = (ms.saturating_add(999) / 1000).max(1);
        if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, value);
        }
    }
    response
}
