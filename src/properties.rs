//! Property tests of the pure core: whatever a backend replies, the package classifies it by
//! the outcome table or refuses it, never panics, and never reads a customer token; the URL and
//! id policy accepts exactly what it says.

use proptest::prelude::*;
use serde_json::{json, Value};

use crate::classify::tests::body_of;
use crate::classify::{classify, Body};
use crate::error::ErrorCode;
use crate::url_policy::{check_payment_request_id, UrlParts, MAX_PAYMENT_REQUEST_ID_LEN};
use klarna_api::{decide, AuthorizationResult};

/// A result as a backend might send it: the three, another string, or not a string at all.
fn result() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!("APPROVED")),
        Just(json!("STEP_UP_REQUIRED")),
        Just(json!("DECLINED")),
        "[A-Z_]{0,12}".prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        Just(Value::Null),
    ]
}

/// A part of the reply (`payment_transaction_response` or `customer_token_response`), or none.
fn part() -> impl Strategy<Value = Option<Value>> {
    proptest::option::of((result(), any::<bool>()).prop_map(|(result, with_token)| {
        if with_token {
            json!({
                "result": result,
                "customer_token": {"customer_token": "krn:customer-token:eu1:secret"},
                "payment_transaction": {"payment_transaction_id": "krn:payment:eu1:transaction:t"},
            })
        } else {
            json!({ "result": result })
        }
    }))
}

fn wire(value: &Value) -> Option<AuthorizationResult> {
    value.as_str().map(AuthorizationResult::from_wire)
}

proptest! {
    /// Every 2xx reply with its two parts is classified exactly as the table says, or refused
    /// as an invalid reply; the customer token is never read.
    #[test]
    fn the_table_decides_every_reply(payment in part(), token in part(), status in 200u16..300) {
        let mut reply = json!({});
        if let Some(part) = &payment { reply["payment_transaction_response"] = part.clone(); }
        if let Some(part) = &token { reply["customer_token_response"] = part.clone(); }
        let classified = classify(status, Body::Json(reply));
        let strings = payment.iter().chain(token.iter()).all(|p| p["result"].is_string());
        if !strings {
            prop_assert!(classified.is_err());
            return Ok(());
        }
        let expected = decide(payment.as_ref().and_then(|p| wire(&p["result"])), token.as_ref().and_then(|t| wire(&t["result"])));
        match (expected, classified) {
            (Ok(outcome), Ok(classified)) => {
                prop_assert_eq!(classified.outcome, outcome);
                let read = classified.reply.customer_token_response.and_then(|t| t.customer_token);
                prop_assert!(read.is_none(), "the customer token was read");
            }
            (Err(_), Err(error)) => prop_assert_eq!(error.code, ErrorCode::InvalidResponse),
            (expected, got) => prop_assert!(false, "the table says {:?}, the package {:?}", expected, got),
        }
    }

    /// Any bytes with any status: an answer, never a panic; a non-2xx is always an HTTP error.
    #[test]
    fn any_bytes_any_status(bytes in proptest::collection::vec(any::<u8>(), 0..256), status in 100u16..600) {
        let classified = classify(status, body_of(&bytes));
        if !(200..300).contains(&status) {
            prop_assert_eq!(classified.map(|_| ()).map_err(|e| e.code), Err(ErrorCode::Http));
        }
    }

    /// A payment request id passes exactly when it looks like a Klarna id.
    #[test]
    fn payment_request_ids(id in "(krn:)?[ -~\\t\\u{80}-\\u{10ffff}]{0,300}") {
        let looks_like_klarna = id.starts_with("krn:") && id.len() > 4 && id.len() <= MAX_PAYMENT_REQUEST_ID_LEN
            && id.bytes().all(|b| b.is_ascii_graphic());
        prop_assert_eq!(check_payment_request_id(&id).is_ok(), looks_like_klarna);
    }

    /// A payment request URL passes only over https, or http on loopback, without credentials.
    #[test]
    fn payment_request_urls(
        protocol in prop_oneof![Just("https:".to_owned()), Just("http:".to_owned()), Just("javascript:".to_owned()), "[a-z]{1,8}:"],
        hostname in prop_oneof![Just("localhost".to_owned()), Just("127.0.0.1".to_owned()), Just("[::1]".to_owned()), "[a-z0-9.\\-\\[\\]:]{0,30}"],
        credentials in any::<bool>(),
    ) {
        let url = UrlParts {
            href: format!("{protocol}//{hostname}/"),
            protocol: protocol.clone(),
            hostname: hostname.clone(),
            origin: format!("{protocol}//{hostname}"),
            has_credentials: credentials,
        };
        if url.check_payment_request_url().is_ok() {
            prop_assert!(!credentials);
            prop_assert!(protocol == "https:" || (protocol == "http:" && url.is_loopback()));
        }
        // A return URL is never allowed to another origin that was not allowed.
        prop_assert!(url.check_return("https://shop.example", &[]).is_err() || url.origin == "https://shop.example");
    }
}
