//! What the SDK gets: `{paymentRequestId}`, `{paymentRequestUrl}` or `{returnUrl}` (pure).

use alloc::borrow::ToOwned;
use alloc::string::String;

use klarna_api::OutcomeKind;

use crate::builder::{HandoffKind, Plan};
use crate::classify::Classified;
use crate::error::{ButtonError, ErrorCode};
use crate::url_policy::{check_payment_request_id, UrlParts};

/// The object `initiate` resolves to, or a decline with nowhere to go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handoff {
    /// Step-up by id: `{paymentRequestId}`.
    PaymentRequestId(String),
    /// Step-up by URL: `{paymentRequestUrl}`.
    PaymentRequestUrl(String),
    /// Success, or a decline with a decline URL: `{returnUrl}`.
    ReturnUrl(String),
    /// A decline without a decline URL: `initiate` rejects with `DECLINED`.
    Declined,
}

/// Decides the hand-off for a classified reply, checking ids and URLs from the backend.
/// `parse_absolute` is the browser's URL parser (absolute URLs only).
pub fn hand_off(
    classified: &Classified,
    plan: &Plan,
    parse_absolute: impl Fn(&str) -> Option<UrlParts>,
) -> Result<Handoff, ButtonError> {
    match classified.outcome.kind {
        OutcomeKind::Success => Ok(Handoff::ReturnUrl(plan.success_url.clone())),
        OutcomeKind::Decline => Ok(plan.decline_url.clone().map_or(Handoff::Declined, Handoff::ReturnUrl)),
        OutcomeKind::StepUp => {
            let request = classified.reply.payment_request.as_ref().ok_or_else(|| {
                ButtonError::new(ErrorCode::InvalidResponse, "the step-up reply has no payment_request")
            })?;
            match plan.handoff {
                HandoffKind::PaymentRequestId => {
                    let id = request.id().ok_or_else(|| {
                        ButtonError::new(ErrorCode::InvalidResponse, "the step-up reply has no payment_request_id")
                    })?;
                    check_payment_request_id(id).map_err(|why| ButtonError::new(ErrorCode::InvalidResponse, why))?;
                    Ok(Handoff::PaymentRequestId(id.to_owned()))
                }
                HandoffKind::PaymentRequestUrl => {
                    let url = request.url().ok_or_else(|| {
                        ButtonError::new(ErrorCode::InvalidResponse, "the step-up reply has no payment_request_url")
                    })?;
                    // The URL is passed on as sent, so it must already be clean: the browser's
                    // parser would quietly strip what the SDK then receives.
                    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
                        return Err(ButtonError::new(
                            ErrorCode::InvalidResponse,
                            "the payment_request_url has spaces or control characters",
                        ));
                    }
                    let parts = parse_absolute(url).ok_or_else(|| {
                        ButtonError::new(ErrorCode::InvalidResponse, "the payment_request_url is not an absolute URL")
                    })?;
                    parts.check_payment_request_url().map_err(|why| ButtonError::new(ErrorCode::UnsafeUrl, why))?;
                    // Klarna's URL is passed through unchanged: the SDK reads region and token from it.
                    Ok(Handoff::PaymentRequestUrl(url.to_owned()))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builder::{ButtonOptions, Credentials, InitiationMode};
    use crate::classify::tests::classify_text;
    use crate::url_policy::tests::url;

    fn plan(handoff: HandoffKind, decline_url: Option<&str>) -> Plan {
        Plan {
            endpoint: "https://shop.example/api".into(),
            endpoint_origin: "https://shop.example".into(),
            page_origin: "https://shop.example".into(),
            initiation_mode: InitiationMode::DeviceBest,
            success_url: "https://shop.example/done".into(),
            decline_url: decline_url.map(Into::into),
            handoff,
            timeout_ms: 1000,
            credentials: Credentials::SameOrigin,
            headers: vec![],
            button: ButtonOptions::default(),
        }
    }

    fn parse(href: &str) -> Option<UrlParts> {
        href.contains("://").then(|| url(href))
    }

    fn run(body: &str, plan: &Plan) -> Result<Handoff, ButtonError> {
        hand_off(&classify_text(200, body).unwrap(), plan, parse)
    }

    const STEP_UP: &str = r#"{"customer_token_response":{"result":"STEP_UP_REQUIRED"},"payment_request":{
        "payment_request_id":"krn:payment:eu1:request:1",
        "state_context":{"customer_interaction":{"payment_request_url":"https://pay.klarna.example/r/1?t=abc"}}}}"#;

    #[test]
    fn step_up_hands_over_the_id_or_the_url() {
        assert_eq!(
            run(STEP_UP, &plan(HandoffKind::PaymentRequestId, None)),
            Ok(Handoff::PaymentRequestId("krn:payment:eu1:request:1".into()))
        );
        assert_eq!(
            run(STEP_UP, &plan(HandoffKind::PaymentRequestUrl, None)),
            Ok(Handoff::PaymentRequestUrl("https://pay.klarna.example/r/1?t=abc".into()))
        );
    }

    #[test]
    fn success_and_decline_go_to_their_urls() {
        let approved = r#"{"payment_transaction_response":{"result":"APPROVED"}}"#;
        let declined = r#"{"payment_transaction_response":{"result":"DECLINED"}}"#;
        let with_decline = plan(HandoffKind::PaymentRequestId, Some("https://shop.example/declined"));
        assert_eq!(run(approved, &with_decline), Ok(Handoff::ReturnUrl("https://shop.example/done".into())));
        assert_eq!(run(declined, &with_decline), Ok(Handoff::ReturnUrl("https://shop.example/declined".into())));
        assert_eq!(run(declined, &plan(HandoffKind::PaymentRequestId, None)), Ok(Handoff::Declined));
    }

    #[test]
    fn step_up_without_what_the_handoff_needs_is_invalid() {
        let no_request = r#"{"customer_token_response":{"result":"STEP_UP_REQUIRED"}}"#;
        let no_url = r#"{"customer_token_response":{"result":"STEP_UP_REQUIRED"},"payment_request":{"payment_request_id":"krn:x"}}"#;
        let no_id =
            r#"{"customer_token_response":{"result":"STEP_UP_REQUIRED"},"payment_request":{"state":"SUBMITTED"}}"#;
        for (body, kind) in [
            (no_request, HandoffKind::PaymentRequestId),
            (no_request, HandoffKind::PaymentRequestUrl),
            (no_url, HandoffKind::PaymentRequestUrl),
            (no_id, HandoffKind::PaymentRequestId),
        ] {
            assert_eq!(run(body, &plan(kind, None)).unwrap_err().code, ErrorCode::InvalidResponse, "{body}");
        }
    }

    #[test]
    fn bad_ids_and_urls_are_refused() {
        let with_id = |id: &str| {
            format!(
                r#"{{"customer_token_response":{{"result":"STEP_UP_REQUIRED"}},"payment_request":{{"payment_request_id":{id:?}}}}}"#
            )
        };
        for id in ["javascript:alert(1)", "krn:a b", ""] {
            let error = run(&with_id(id), &plan(HandoffKind::PaymentRequestId, None)).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidResponse, "{id}");
        }
        let with_url = |u: &str| {
            format!(
                r#"{{"customer_token_response":{{"result":"STEP_UP_REQUIRED"}},"payment_request":{{"state_context":{{"customer_interaction":{{"payment_request_url":{u:?}}}}}}}}}"#
            )
        };
        for (u, code) in [
            ("http://pay.klarna.example/r/1", ErrorCode::UnsafeUrl),
            ("javascript://alert(1)", ErrorCode::UnsafeUrl),
            ("/relative/path", ErrorCode::InvalidResponse),
            (" https://pay.klarna.example/r/1", ErrorCode::InvalidResponse),
            ("https://pay.klarna.example/r/1\n", ErrorCode::InvalidResponse),
        ] {
            let error = run(&with_url(u), &plan(HandoffKind::PaymentRequestUrl, None)).unwrap_err();
            assert_eq!(error.code, code, "{u}");
        }
        assert!(run(&with_url("http://127.0.0.1:4100/r/1"), &plan(HandoffKind::PaymentRequestUrl, None)).is_ok());
    }
}
