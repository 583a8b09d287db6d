//! Where a COMPLETED payment request carries its tokens. Klarna's pages and clients disagree,
//! so every documented or observed place is read (spec A4):
//! - `state_context.klarna_network_session_token` and `state_context.customer_token` (an
//!   object or a bare string);
//! - `state_context.klarna_customer.customer_token` (an older hosted-checkout page; the SDK
//!   typedoc's `stateContext.klarnaCustomer.customerToken`);
//! - `klarna_network_session_token` and `klarna_customer.customer_token` at the top level (a
//!   plugin maintained for Klarna).
//!
//! The same reading works on a payment request from `GET …/payment/requests/{id}`, on a
//! webhook's payload, and on a whole webhook body.

use alloc::string::String;
use serde_json::Value;

use crate::authorize::{CustomerToken, PaymentRequest};

/// The tokens a COMPLETED payment request carries, wherever they stood. Secrets both.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Tokens {
    /// For the final authorization (60 minutes, once).
    pub network_session_token: Option<String>,
    /// When a token was asked for.
    pub customer_token: Option<CustomerToken>,
}

impl PaymentRequest {
    /// The tokens, read from each place they may stand (the state context first).
    pub fn tokens(&self) -> Tokens {
        let context = self.state_context.as_ref();
        let network_session_token = context
            .and_then(|c| c.klarna_network_session_token.clone())
            .or_else(|| self.klarna_network_session_token.clone());
        let customer_token = context
            .and_then(|c| {
                c.customer_token.clone().or_else(|| c.klarna_customer.as_ref().map(|k| k.customer_token.clone()))
            })
            .or_else(|| self.klarna_customer.as_ref().map(|k| k.customer_token.clone()));
        Tokens { network_session_token, customer_token }
    }
}

/// The tokens of a payment request given as JSON: the request itself, a webhook's payload,
/// or a whole webhook body (`{metadata, payload}`). Fields of other types are ignored.
pub fn tokens_in(value: &Value) -> Tokens {
    let request = match value.get("payload") {
        Some(payload) if payload.is_object() => payload,
        _ => value,
    };
    let text = |value: Option<&Value>| value.and_then(Value::as_str).map(String::from);
    let token = |value: Option<&Value>| value.and_then(|v| serde_json::from_value::<CustomerToken>(v.clone()).ok());
    let context = request.get("state_context");
    let in_context = |key: &str| context.and_then(|c| c.get(key));
    let network_session_token =
        text(in_context("klarna_network_session_token")).or_else(|| text(request.get("klarna_network_session_token")));
    let customer_token = token(in_context("customer_token"))
        .or_else(|| token(in_context("klarna_customer").and_then(|k| k.get("customer_token"))))
        .or_else(|| token(request.get("klarna_customer").and_then(|k| k.get("customer_token"))));
    Tokens { network_session_token, customer_token }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TokenScope;
    use serde_json::json;

    const SESSION: &str = "krn:payment:eu1:klarna-network-session-token:s1";
    const TOKEN: &str = "krn:customer-token:eu1:t1";

    fn both(value: Value) -> (Tokens, Tokens) {
        let typed: PaymentRequest = serde_json::from_value(value.get("payload").unwrap_or(&value).clone()).unwrap();
        (typed.tokens(), tokens_in(&value))
    }

    #[test]
    fn reads_every_place_the_tokens_may_stand() {
        let object = json!({"customer_token": TOKEN, "scopes": ["payment:customer_present"]});
        let forms = [
            // Ours: the state context, the token an object.
            json!({"state": "COMPLETED", "state_context": {"klarna_network_session_token": SESSION, "customer_token": object}}),
            // The seed: a bare string.
            json!({"state_context": {"klarna_network_session_token": SESSION, "customer_token": TOKEN}}),
            // klarna_customer in the state context.
            json!({"state_context": {"klarna_network_session_token": SESSION, "klarna_customer": {"customer_token": TOKEN}}}),
            // A plugin maintained for Klarna: both at the top level.
            json!({"klarna_network_session_token": SESSION, "klarna_customer": {"customer_token": object}}),
            // A whole webhook body.
            json!({"metadata": {"event_type": "payment.request.state-change.completed"},
                   "payload": {"klarna_network_session_token": SESSION, "klarna_customer": {"customer_token": TOKEN}}}),
        ];
        for form in forms {
            let (typed, read) = both(form.clone());
            for tokens in [&typed, &read] {
                assert_eq!(tokens.network_session_token.as_deref(), Some(SESSION), "{form}");
                assert_eq!(tokens.customer_token.as_ref().map(|t| t.customer_token.as_str()), Some(TOKEN), "{form}");
            }
        }
        let (typed, read) = both(json!({"state_context": {"customer_token": object}}));
        assert_eq!(typed.customer_token.unwrap().scopes, [TokenScope::CustomerPresent]);
        assert_eq!(read.customer_token.unwrap().scopes, [TokenScope::CustomerPresent]);
    }

    #[test]
    fn a_request_without_tokens_has_none_and_odd_types_are_ignored() {
        let (typed, read) =
            both(json!({"state": "SUBMITTED", "state_context": {"customer_interaction": {"method": "SDK"}}}));
        assert_eq!((typed, read.clone()), (Tokens::default(), Tokens::default()));
        let odd = tokens_in(&json!({"klarna_network_session_token": 7, "klarna_customer": {"customer_token": [1]}}));
        assert_eq!(odd, Tokens::default());
        assert_eq!(tokens_in(&json!("text")), Tokens::default());
    }
}
