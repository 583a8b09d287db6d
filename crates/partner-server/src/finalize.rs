//! After the step-up: bring an order up to date with its payment request as Klarna has it
//! (never as a webhook or a browser says it is), keep what the journey created, and run the
//! final authorization with the network session token, exactly once across instances.

use klarna_api::authorize::RequestPaymentTransaction;
use klarna_api::{AuthorizeRequest, PaymentRequest, PaymentRequestState};

use crate::attempts::{proof_of_status, Proof};
use crate::error::ApiError;
use crate::klarna::{AuthorizeHeaders, Reply};
use crate::order_status::OrderStatus;
use crate::reads::Read;
use crate::App;

/// What settling a payment request did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// Up to date; the order's new status, if it moved.
    Done(Option<OrderStatus>),
    /// Another instance is running the final authorization right now.
    Busy,
    /// Klarna no longer knows the request; the order moved on.
    Gone,
    /// Not a request this backend created.
    NotOurs,
}

/// Reads payment request `id` from Klarna and brings its order up to date; runs the final
/// authorization when the journey completed.
pub async fn settle(app: &App, id: &str) -> Result<Settled, ApiError> {
    let Some(tracked) = app.store.tracked_request(id).await? else {
        tracing::warn!(id, "a payment request this backend did not create");
        return Ok(Settled::NotOurs);
    };
    if tracked.gone {
        return Ok(Settled::Gone);
    }
    let raw = match app.reads.payment_request(id).await {
        Read::Found(raw) => raw,
        Read::Gone => {
            tracing::warn!(id, "Klarna no longer knows this payment request");
            app.store.request_gone(id).await?;
            return Ok(Settled::Gone);
        }
        Read::Failed(why) => {
            return Err(ApiError::bad_gateway(
                "KLARNA_UNAVAILABLE",
                format!("could not read the payment request: {why}"),
            ))
        }
    };
    let request: PaymentRequest = serde_json::from_value((*raw).clone())
        .map_err(|e| ApiError::bad_gateway("KLARNA_INVALID_REPLY", format!("not a payment request: {e}")))?;
    let state = request.state.unwrap_or(PaymentRequestState::Unknown);
    // The tokens of a completed journey, wherever Klarna put them (spec A4).
    let tokens = klarna_api::tokens_in(&raw);
    let (session_token, customer_token) = (tokens.network_session_token, tokens.customer_token);
    let status = app.store.record_request_state(id, state, customer_token, app.poll_every_ms()).await?;
    if state != PaymentRequestState::Completed || !tracked.pending_payment {
        return Ok(Settled::Done(status));
    }
    let Some(session_token) = session_token else {
        return Err(ApiError::bad_gateway(
            "KLARNA_INVALID_REPLY",
            "a COMPLETED payment request without a network session token",
        ));
    };
    if !app.store.claim_finalization(id, &app.instance, app.timing).await? {
        let now = app.store.tracked_request(id).await?;
        let running = now.is_some_and(|r| r.finalization == Some(crate::store::requests::Finalization::Running));
        return Ok(if running { Settled::Busy } else { Settled::Done(status) });
    }
    final_authorization(app, id, &tracked.session_id, &session_token).await
}

/// The final authorization, under a key derived from the payment request: a repeat after a
/// crash or a lost reply gets Klarna's first answer, never a second transaction.
async fn final_authorization(app: &App, id: &str, order: &str, session_token: &str) -> Result<Settled, ApiError> {
    let Some(row) = app.store.session(order).await? else { return Err(ApiError::not_found("Checkout session")) };
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
    let key =
        uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, format!("final-authorization:{id}").as_bytes()).to_string();
    let headers = AuthorizeHeaders {
        idempotency_key: Some(&key),
        network_session_token: Some(session_token),
        ..AuthorizeHeaders::default()
    };
    let reply = app.klarna.authorize(&body, headers).await;
    let refused_for_good = |status: u16| matches!(status, 400 | 404 | 422);
    match reply {
        Reply::Ok(reply) if reply.outcome().is_ok() => {
            crate::kill_points::reached("during-final-authorization");
            Ok(Settled::Done(Some(app.store.record_final_authorization(id, reply).await?)))
        }
        // Refused as sent (an expired or spent session token, say): trying again cannot help.
        // Not so 401/403 (our credentials), 409 (the key is in use), 429 or 5xx: those are retried.
        Reply::Refused { status, .. }
            if refused_for_good(status) && proof_of_status(status, None) == Proof::DidNotAct =>
        {
            tracing::error!(id, status, "final authorization refused");
            Ok(Settled::Done(Some(app.store.record_final_refusal(id).await?)))
        }
        other => {
            app.store.release_finalization(id).await?;
            tracing::warn!(id, reply = other.describe(), "final authorization failed; it will be retried");
            Err(ApiError::bad_gateway(
                "FINAL_AUTHORIZATION_FAILED",
                "the final authorization failed; it will be retried",
            ))
        }
    }
}
