//! The one model of Klarna's API on arbitrary bytes: every parser answers without panicking;
//! the outcome of a reply is the table's; a reply stripped of its secrets no longer holds them.
#![no_main]

use klarna_api::{AuthorizeRequest, AuthorizeResponse, ErrorBody, PaymentRequest, WebhookEvent};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let _ = serde_json::from_slice::<AuthorizeRequest>(bytes);
    let _ = serde_json::from_slice::<ErrorBody>(bytes);
    let _ = serde_json::from_slice::<PaymentRequest>(bytes);
    let _ = serde_json::from_slice::<WebhookEvent<serde_json::Value>>(bytes);
    if let Ok(reply) = serde_json::from_slice::<AuthorizeResponse>(bytes) {
        let _ = reply.outcome();
        let token = reply.customer_token_response.as_ref().and_then(|t| t.customer_token.clone());
        let public = serde_json::to_string(&reply.without_customer_token()).unwrap_or_default();
        if let Some(token) = token.filter(|t| t.customer_token.len() > 8) {
            assert!(!public.contains(&token.customer_token), "a stripped reply still holds its customer token");
        }
    }
});
