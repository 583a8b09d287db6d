//! The backend's reply, read and classified by spec A1 (pure).
//!
//! The body is decoded and parsed by the browser (`TextDecoder`, `JSON.parse`: no JSON parser
//! is shipped in the package), then read through the small [`Json`] view below into the
//! `klarna-api` model.
//! Only what the browser needs is read: the two results, the transaction id, and the
//! payment request's id and URL; any other field may hold anything. The customer token is never read, so it cannot leak
//! further even when a backend sends it.

use alloc::string::String;

use klarna_api::authorize::{CustomerInteraction, StateContext};
use klarna_api::{
    AuthorizationResult, AuthorizeResponse, CustomerTokenResponse, InvalidReply, Outcome, PaymentRequest,
    PaymentTransaction, PaymentTransactionResponse,
};

use crate::error::{message, push_decimal, ButtonError, ErrorCode};

/// A parsed JSON value, as far as reading a reply needs it: the result of the browser's
/// `JSON.parse` in the package, `serde_json::Value` in native tests.
pub trait Json: Sized {
    /// The member `key` of an object; `None` when missing or when this is not an object.
    fn member(&self, key: &str) -> Option<Self>;
    /// The value as a string, or `None` if it is not a string.
    fn string(&self) -> Option<String>;
    /// Whether this is an object (not an array, not null).
    fn is_object(&self) -> bool;
    /// Whether this is `null`.
    fn is_null(&self) -> bool;
}

/// The reply's body as the browser read it.
#[derive(Debug, Clone, PartialEq)]
pub enum Body<J> {
    /// Not UTF-8 text.
    NotText,
    /// Empty, or only white space.
    Blank,
    /// Text that is not JSON.
    NotJson,
    /// A JSON value.
    Json(J),
}

/// A 2xx reply that passed the outcome table.
#[derive(Debug, Clone, PartialEq)]
pub struct Classified {
    /// The cell of the outcome table.
    pub outcome: Outcome,
    /// What was read of the reply.
    pub reply: AuthorizeResponse,
}

fn invalid(message: &str) -> ButtonError {
    ButtonError::new(ErrorCode::InvalidResponse, message)
}

/// Reads the backend's reply: a 2xx body must be a Payment Authorize reply with a known
/// outcome; any other status is an `HTTP` error carrying Klarna's error details when relayed.
pub fn classify<J: Json>(status: u16, body: Body<J>) -> Result<Classified, ButtonError> {
    let root = match body {
        Body::Json(root) => root,
        _ if !(200..300).contains(&status) => return Err(http_error::<J>(status, None)),
        Body::NotText => return Err(invalid("the backend's reply is not UTF-8 text")),
        Body::Blank => return Err(invalid("the backend's reply is empty")),
        Body::NotJson => return Err(invalid("the backend's reply is not JSON")),
    };
    if !(200..300).contains(&status) {
        return Err(http_error(status, Some(&root)));
    }
    let reply = read_reply(&root)?;
    let outcome = reply.outcome().map_err(|why| match why {
        InvalidReply::NoResult => invalid("the backend's reply has neither a payment nor a token result"),
        InvalidReply::UnknownResult => {
            invalid("the backend's reply has a result other than APPROVED, STEP_UP_REQUIRED or DECLINED")
        }
    })?;
    Ok(Classified { outcome, reply })
}

/// A member that must be an object when present (`null` counts as absent).
fn object<J: Json>(parent: &J, key: &str) -> Result<Option<J>, ButtonError> {
    match parent.member(key) {
        None => Ok(None),
        Some(value) if value.is_null() => Ok(None),
        Some(value) if value.is_object() => Ok(Some(value)),
        Some(_) => Err(not_a(key, "n object")),
    }
}

/// A member that must be a string when present (`null` counts as absent).
fn text<J: Json>(parent: &J, key: &str) -> Result<Option<String>, ButtonError> {
    match parent.member(key) {
        None => Ok(None),
        Some(value) if value.is_null() => Ok(None),
        Some(value) => value.string().map(Some).ok_or_else(|| not_a(key, " string")),
    }
}

fn not_a(key: &str, kind: &str) -> ButtonError {
    invalid(&message(&["the backend's reply has a ", key, " that is not a", kind]))
}

fn result<J: Json>(part: &J) -> Result<AuthorizationResult, ButtonError> {
    let result = text(part, "result")?.ok_or_else(|| invalid("a result part of the backend's reply has no result"))?;
    Ok(AuthorizationResult::from_wire(&result))
}

/// Reads what the browser needs of a Payment Authorize reply into the model.
fn read_reply<J: Json>(root: &J) -> Result<AuthorizeResponse, ButtonError> {
    if !root.is_object() {
        return Err(invalid("the backend's reply is not a JSON object"));
    }
    let payment_transaction_response = match object(root, "payment_transaction_response")? {
        None => None,
        Some(part) => {
            let transaction = object(&part, "payment_transaction")?;
            let id = match &transaction {
                Some(transaction) => text(transaction, "payment_transaction_id")?,
                None => None,
            };
            Some(PaymentTransactionResponse {
                result: result(&part)?,
                result_reason: None,
                payment_transaction: id.map(|payment_transaction_id| PaymentTransaction {
                    payment_transaction_id,
                    payment_transaction_reference: None,
                    amount: None,
                    currency: None,
                    expires_at: None,
                }),
            })
        }
    };
    let customer_token_response = match object(root, "customer_token_response")? {
        None => None,
        Some(part) => Some(CustomerTokenResponse { result: result(&part)?, customer_token: None }),
    };
    let payment_request = match object(root, "payment_request")? {
        None => None,
        Some(request) => {
            let interaction = match object(&request, "state_context")? {
                Some(context) => object(&context, "customer_interaction")?,
                None => None,
            };
            let customer_interaction = match interaction {
                Some(interaction) => Some(CustomerInteraction {
                    method: None,
                    payment_request_id: text(&interaction, "payment_request_id")?,
                    payment_request_url: text(&interaction, "payment_request_url")?,
                }),
                None => None,
            };
            Some(PaymentRequest {
                payment_request_id: text(&request, "payment_request_id")?,
                state_context: Some(StateContext { customer_interaction, ..StateContext::default() }),
                ..PaymentRequest::default()
            })
        }
    };
    Ok(AuthorizeResponse { payment_transaction_response, customer_token_response, payment_request })
}

fn http_error<J: Json>(status: u16, root: Option<&J>) -> ButtonError {
    let field = |key: &str| root.and_then(|root| root.member(key)).and_then(|value| value.string());
    let (error_code, error_id, error_message) = (field("error_code"), field("error_id"), field("error_message"));
    let mut message = String::from("the backend answered HTTP ");
    push_decimal(&mut message, status.into());
    if let Some(code) = &error_code {
        message.push_str(": ");
        message.push_str(code);
    }
    if let Some(detail) = &error_message {
        message.push_str(" (");
        message.push_str(detail);
        message.push(')');
    }
    ButtonError::http(status, message, error_code, error_id)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use klarna_api::OutcomeKind;
    use serde_json::Value;

    impl Json for Value {
        fn member(&self, key: &str) -> Option<Self> {
            self.as_object()?.get(key).cloned()
        }
        fn string(&self) -> Option<String> {
            self.as_str().map(str::to_owned)
        }
        fn is_object(&self) -> bool {
            self.is_object()
        }
        fn is_null(&self) -> bool {
            self.is_null()
        }
    }

    /// What the browser makes of a body, with `serde_json` standing in for `JSON.parse`.
    pub(crate) fn body_of(bytes: &[u8]) -> Body<Value> {
        match std::str::from_utf8(bytes) {
            Err(_) => Body::NotText,
            Ok(text) if text.trim().is_empty() => Body::Blank,
            Ok(text) => serde_json::from_str(text).map_or(Body::NotJson, Body::Json),
        }
    }

    /// Classifies a text body the way the package does.
    pub(crate) fn classify_text(status: u16, body: &str) -> Result<Classified, ButtonError> {
        classify(status, body_of(body.as_bytes()))
    }

    fn invalid_message(body: &str) -> String {
        let error = classify_text(200, body).unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidResponse, "{body}");
        error.message.clone()
    }

    #[test]
    fn reads_an_approved_purchase() {
        let c = classify_text(
            200,
            r#"{"payment_transaction_response":{"result":"APPROVED","payment_transaction":{"payment_transaction_id":"krn:payment:eu1:transaction:1","amount":11800}}}"#,
        )
        .unwrap();
        assert_eq!(c.outcome.kind, OutcomeKind::Success);
        assert_eq!(c.reply.payment_transaction_id(), Some("krn:payment:eu1:transaction:1"));
    }

    #[test]
    fn any_2xx_status_is_a_reply() {
        let c = classify_text(201, r#"{"customer_token_response":{"result":"DECLINED"}}"#).unwrap();
        assert_eq!(c.reply.token_result(), Some(AuthorizationResult::Declined));
    }

    #[test]
    fn fields_the_browser_does_not_need_may_be_anything() {
        let c = classify_text(
            200,
            r#"{"payment_transaction_response":{"result":"APPROVED","payment_transaction":
                  {"payment_transaction_id":"krn:t","amount":"a lot","payment_funding":[1,2]}},
                "customer_token_response":{"result":"APPROVED","customer_token":"krn:customer-token:123"},
                "extra":{"x":[null]}}"#,
        )
        .unwrap();
        assert_eq!(c.outcome.kind, OutcomeKind::Success);
    }

    #[test]
    fn the_customer_token_is_never_read() {
        let c = classify_text(
            200,
            r#"{"customer_token_response":{"result":"APPROVED","customer_token":{"customer_token":"krn:customer-token:eu1:secret"}}}"#,
        )
        .unwrap();
        assert_eq!(c.reply.customer_token_response.unwrap().customer_token, None);
    }

    #[test]
    fn hostile_bodies_are_invalid_replies() {
        for body in [
            "",
            "   \n",
            "<!doctype html><h1>Bad gateway</h1>",
            "not json",
            "null",
            "[]",
            "42",
            "\"APPROVED\"",
            "{",
            r#"{"payment_transaction_response":"APPROVED"}"#,
            r#"{"payment_transaction_response":["APPROVED"]}"#,
            r#"{"payment_transaction_response":{"result":7}}"#,
            r#"{"payment_transaction_response":{"result":null}}"#,
            r#"{"payment_transaction_response":{}}"#,
            r#"{"payment_transaction_response":{"result":"APPROVED","payment_transaction":{"payment_transaction_id":5}}}"#,
            r#"{"customer_token_response":{"result":"STEP_UP_REQUIRED"},"payment_request":{"payment_request_id":5}}"#,
            r#"{"customer_token_response":{"result":"STEP_UP_REQUIRED"},"payment_request":{"state_context":"x"}}"#,
            r#"{"customer_token_response":{"result":"STEP_UP_REQUIRED"},"payment_request":{"state_context":{"customer_interaction":{"payment_request_url":{}}}}}"#,
        ] {
            invalid_message(body);
        }
    }

    #[test]
    fn invalid_utf8_is_an_invalid_reply() {
        let error = classify(200, body_of(b"{\"customer_token_response\":{\"result\":\"APPRO\xff\"}}")).unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidResponse);
        assert!(error.message.contains("UTF-8"));
    }

    #[test]
    fn replies_without_results_say_so() {
        assert!(invalid_message("{}").contains("neither"));
        assert!(invalid_message(r#"{"payment_transaction_response":null}"#).contains("neither"));
        assert!(invalid_message(r#"{"payment_request":{"payment_request_id":"krn:x"}}"#).contains("neither"));
        assert!(invalid_message(r#"{"payment_transaction_response":{"result":"PENDING"}}"#).contains("other than"));
    }

    #[test]
    fn non_2xx_is_http_with_klarna_details_when_relayed() {
        let error = classify_text(
            500,
            r#"{"error_id":"e-1","error_type":"TECHNICAL_ERROR","error_code":"TIMEOUT","error_message":"Request processing timeout."}"#,
        )
        .unwrap_err();
        assert_eq!(error.code, ErrorCode::Http);
        assert_eq!(error.status, Some(500));
        assert_eq!(error.error_code.as_deref(), Some("TIMEOUT"));
        assert_eq!(error.error_id.as_deref(), Some("e-1"));
        assert!(error.recoverable());
        assert!(error.message.contains("500") && error.message.contains("TIMEOUT"), "{}", error.message);
    }

    #[test]
    fn non_2xx_with_an_html_page_is_plain_http() {
        let error = classify_text(502, "<html>Bad Gateway</html>").unwrap_err();
        assert_eq!((error.code, error.status, error.error_code.clone()), (ErrorCode::Http, Some(502), None));
        let error = classify_text(400, "").unwrap_err();
        assert_eq!((error.status, error.recoverable()), (Some(400), false));
        let error = classify_text(409, r#"{"error_code":7}"#).unwrap_err();
        assert_eq!(error.error_code, None);
        let error = classify(503, body_of(b"\xff\xfe")).unwrap_err();
        assert_eq!(
            (error.code, error.status, error.message.as_str()),
            (ErrorCode::Http, Some(503), "the backend answered HTTP 503")
        );
    }

    #[test]
    fn http_messages_name_the_status_and_klarnas_code() {
        let error = classify_text(
            422,
            r#"{"error_id":"e-9","error_code":"ORDER_FINISHED","error_message":"the order is paid"}"#,
        )
        .unwrap_err();
        assert_eq!(error.message, "the backend answered HTTP 422: ORDER_FINISHED (the order is paid)");
        assert_eq!(classify_text(200, "[1]").unwrap_err().message, "the backend's reply is not a JSON object");
        assert_eq!(
            classify_text(200, r#"{"payment_request":7}"#).unwrap_err().message,
            "the backend's reply has a payment_request that is not an object"
        );
        assert_eq!(
            classify_text(
                200,
                r#"{"customer_token_response":{"result":"APPROVED"},"payment_request":{"payment_request_id":1}}"#
            )
            .unwrap_err()
            .message,
            "the backend's reply has a payment_request_id that is not a string"
        );
    }
}
