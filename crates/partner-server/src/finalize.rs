//! After the step-up: keep what the journey created and run the final authorization with the
//! network session token, exactly once, whether the webhook or the returning shopper comes first.

use klarna_api::authorize::RequestPaymentTransaction;
use klarna_api::{AuthorizeRequest, PaymentRequest, PaymentRequestState};

use crate::error::ApiError;
use crate::klarna::{AuthorizeHeaders, Reply};
use crate::store::Status;
use crate::App;

/// What settling a payment request did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// Up to date; the order's new status, if it moved.
    Done(Option<Status>),
    /// Another caller is running the final authorization right now: ask again later.
    Busy,
}

/// Brings a payment request's order up to date. `known` is the request as a webhook carried
/// it; without it, the request is read from Klarna.
pub async fn settle(app: &App, id: &str, known: Option<PaymentRequest>) -> Result<Settled, ApiError> {
    let Some(tracked) = app.store.tracked_request(id)? else {
        tracing::warn!(id, "a payment request this backend did not create");
        return Ok(Settled::Done(None));
    };
    let request = match known {
        Some(request) => request,
        None => match app.klarna.payment_request(id).await {
            Reply::Ok(request) => request,
            other => {
                return Err(ApiError::bad_gateway(
                    "KLARNA_UNAVAILABLE",
                    format!("could not read the payment request: {other:?}"),
                ))
            }
        },
    };
    let state = request.state.unwrap_or(PaymentRequestState::Unknown);
    let context = request.state_context.as_ref();
    let token = context.and_then(|c| c.customer_token.as_ref());
    let status = app.store.record_request_state(id, state, token)?;
    if state != PaymentRequestState::Completed || !tracked.pending_payment {
        return Ok(Settled::Done(status));
    }
    let Some(session_token) = context.and_then(|c| c.klarna_network_session_token.as_deref()) else {
        return Err(ApiError::bad_gateway(
            "KLARNA_INVALID_REPLY",
            "a COMPLETED payment request without a network session token",
        ));
    };
    if !app.store.claim_finalization(id)? {
        return Ok(if app.store.finalization_running(id)? { Settled::Busy } else { Settled::Done(status) });
    }
    let Some(row) = app.store.session(&tracked.session_id)? else {
        return Err(ApiError::not_found("Checkout session"));
    };
    let body = AuthorizeRequest {
        currency: row.session.currency.clone(),
        request_payment_transaction: Some(RequestPaymentTransaction {
            amount: row.session.amount,
            payment_transaction_reference: Some(row.session.id.clone()),
            capture: None,
            payment_option_id: None,
        }),
        request_customer_token: None,
        step_up_config: None,
        supplementary_purchase_data: None,
    };
    // The same key on every try: a retry after a crash gets Klarna's first answer, not a second transaction.
    let key =
        uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, format!("final-authorization:{id}").as_bytes()).to_string();
    let headers = AuthorizeHeaders {
        idempotency_key: Some(&key),
        network_session_token: Some(session_token),
        ..AuthorizeHeaders::default()
    };
    match app.klarna.authorize(&body, headers).await {
        Reply::Ok(reply) => Ok(Settled::Done(Some(app.store.record_final_authorization(id, &reply)?))),
        // Refused for good (an expired or spent session token, say): retrying cannot help.
        // Not so 401/403 (our credentials), 409 (the key is in use) or 429: those are retried.
        Reply::Refused { status, body } if matches!(status, 400 | 404 | 422) => {
            let code = body.as_ref().map(|b| b.error_code.clone());
            tracing::error!(id, status, code, "final authorization refused");
            Ok(Settled::Done(Some(app.store.record_final_refusal(id)?)))
        }
        other => {
            app.store.release_finalization(id)?;
            tracing::warn!(id, reply = ?other, "final authorization failed; it will be retried");
            Err(ApiError::bad_gateway(
                "FINAL_AUTHORIZATION_FAILED",
                "the final authorization failed; it will be retried",
            ))
        }
    }
}

/// Every few seconds, finishes what a crash or a failed call left half done: COMPLETED
/// payment requests whose final authorization never ran or whose claim went stale.
pub async fn sweep(app: std::sync::Arc<App>, every: std::time::Duration) {
    loop {
        match app.store.unfinished_finalizations() {
            Ok(ids) => {
                for id in ids {
                    if let Err(error) = settle(&app, &id, None).await {
                        tracing::warn!(
                            id,
                            code = error.body.error_code,
                            "the sweeper could not settle a payment request"
                        );
                    }
                }
            }
            Err(error) => tracing::error!(%error, "the sweeper could not read the database"),
        }
        tokio::time::sleep(every).await;
    }
}
