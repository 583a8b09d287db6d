//! The package's reading of a backend reply: any status, any bytes. It must answer (a
//! classification or an error) and never panic; a 2xx that it accepts must follow the outcome
//! table, and must not have read a customer token.
#![no_main]

use klarna_payment_button::classify::{classify, Body, Json};
use libfuzzer_sys::fuzz_target;

/// `serde_json::Value` standing in for the browser's `JSON.parse`.
struct V(serde_json::Value);

impl Json for V {
    fn member(&self, key: &str) -> Option<Self> {
        self.0.as_object()?.get(key).cloned().map(V)
    }
    fn string(&self) -> Option<String> {
        self.0.as_str().map(str::to_owned)
    }
    fn is_object(&self) -> bool {
        self.0.is_object()
    }
    fn is_null(&self) -> bool {
        self.0.is_null()
    }
}

fuzz_target!(|input: (u16, &[u8])| {
    let (status, bytes) = input;
    let body = match std::str::from_utf8(bytes) {
        Err(_) => Body::NotText,
        Ok(text) if text.trim().is_empty() => Body::Blank,
        Ok(text) => serde_json::from_str(text).map_or(Body::NotJson, |value| Body::Json(V(value))),
    };
    if let Ok(classified) = classify(status, body) {
        assert!((200..300).contains(&status));
        let reply = &classified.reply;
        assert_eq!(Ok(classified.outcome), klarna_api::decide(reply.payment_result(), reply.token_result()));
        assert!(reply.customer_token_response.as_ref().and_then(|t| t.customer_token.as_ref()).is_none());
    }
});
