//! Dialects: the forms Klarna's replies and webhooks may take where its documentation is
//! silent or its pages disagree (spec A4, Part B). A dialect is chosen per simulator
//! (`--dialect`), per account (`PUT /_sim/accounts/{id}`) or per call (the
//! `Klarna-Sim-Dialect` header, or a `sim-dialect:<name>` word in a reference of an
//! Authorize call); a payment request keeps the dialect of the call that created it, for its
//! reads and its webhooks.
//!
//! | | `standard` (default) | `acquirer` | `legacy` |
//! |---|---|---|---|
//! | `Klarna-Signature` | hex | hex | base64 |
//! | tokens after COMPLETED | `state_context.{klarna_network_session_token, customer_token}` | both at the top level, the customer token in `klarna_customer` | `state_context.klarna_network_session_token`, `state_context.klarna_customer.customer_token` |
//! | customer token | object | object | bare string |
//! | errors | `error_type`, `error_message`, `validation_errors[{parameter, reason}]` | no `error_type`; validation errors without `error_message`, `validation_errors[{parameter, reason, doc_url}]` | `errors[{parameter, error_message, doc_url}]` |
//! | `step_up_config.mode: REQUIRED` | accepted | accepted | refused |

use std::fmt;
use std::str::FromStr;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use klarna_api::{ErrorBody, FieldError, KlarnaCustomer, PaymentRequest, SignatureEncoding};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::api_error::ApiError;
use crate::Sim;

/// The header that picks the dialect of one call.
pub const HEADER: &str = "Klarna-Sim-Dialect";
/// Where error replies point to.
const DOC_URL: &str =
    "https://docs.klarna.com/klarna-network-distribution/setup-your-integration/integration-resilience/error-handling/";

/// A set of forms the simulator speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    /// This project's reading: what the current docs show, or infer.
    #[default]
    Standard,
    /// The newer acquirer pages and a plugin maintained for Klarna.
    Acquirer,
    /// The older pages, the seed document and older third-party code.
    Legacy,
}

impl Dialect {
    /// Every dialect, default first.
    pub const ALL: [Self; 3] = [Self::Standard, Self::Acquirer, Self::Legacy];

    /// The dialect's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Acquirer => "acquirer",
            Self::Legacy => "legacy",
        }
    }

    /// How `Klarna-Signature` is written.
    pub fn signature(self) -> SignatureEncoding {
        match self {
            Self::Standard | Self::Acquirer => SignatureEncoding::Hex,
            Self::Legacy => SignatureEncoding::Base64,
        }
    }

    /// Whether `step_up_config.mode: REQUIRED` (announced for a future release) is accepted.
    pub fn accepts_required_mode(self) -> bool {
        self != Self::Legacy
    }

    /// An error body in this dialect's form.
    pub fn error(self, body: &ErrorBody) -> ErrorBody {
        let mut body = body.clone();
        match self {
            Self::Standard => {}
            Self::Acquirer => {
                body.error_type = None;
                if !body.validation_errors.is_empty() {
                    body.error_message = None;
                }
                for error in &mut body.validation_errors {
                    error.doc_url = Some(DOC_URL.to_owned());
                }
            }
            Self::Legacy => {
                body.errors = std::mem::take(&mut body.validation_errors)
                    .into_iter()
                    .map(|e| FieldError {
                        parameter: e.parameter,
                        error_message: e.reason,
                        doc_url: Some(DOC_URL.to_owned()),
                    })
                    .collect();
            }
        }
        body
    }

    /// A payment request in this dialect: where its tokens stand after COMPLETED.
    pub fn request(self, request: &PaymentRequest) -> Value {
        let mut request = request.clone();
        if let Some(context) = request.state_context.as_mut() {
            match self {
                Self::Standard => {}
                Self::Acquirer => {
                    request.klarna_network_session_token = context.klarna_network_session_token.take();
                    request.klarna_customer =
                        context.customer_token.take().map(|customer_token| KlarnaCustomer { customer_token });
                }
                Self::Legacy => {
                    context.klarna_customer =
                        context.customer_token.take().map(|customer_token| KlarnaCustomer { customer_token });
                }
            }
        }
        let mut value = serde_json::to_value(&request).unwrap_or_default();
        if self == Self::Legacy {
            bare_token(value.pointer_mut("/state_context/klarna_customer/customer_token"));
        }
        value
    }

    /// An Authorize reply body (as JSON) in this dialect.
    pub fn reply(self, mut reply: Value) -> Value {
        if let Some(slot) = reply.get_mut("payment_request") {
            if let Ok(request) = serde_json::from_value::<PaymentRequest>(slot.clone()) {
                *slot = self.request(&request);
            }
        }
        if self == Self::Legacy {
            bare_token(reply.pointer_mut("/customer_token_response/customer_token"));
        }
        reply
    }
}

/// Replaces a customer token object by its bare string, as the seed shows it.
fn bare_token(slot: Option<&mut Value>) {
    if let Some(slot) = slot {
        if let Some(token) = slot.get("customer_token").and_then(Value::as_str).map(str::to_owned) {
            *slot = Value::String(token);
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Dialect {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|d| d.name().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| format!("unknown dialect {name:?}: use standard, acquirer or legacy"))
    }
}

impl Serialize for Dialect {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Dialect {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?.parse().map_err(serde::de::Error::custom)
    }
}

/// The dialect of a partner API call as far as its headers and path tell (the Authorize
/// handler may refine it with a `sim-dialect:` word).
#[derive(Debug, Clone, Copy)]
pub struct CallDialect {
    /// The dialect.
    pub dialect: Dialect,
    /// Whether the `Klarna-Sim-Dialect` header chose it (then nothing overrides it).
    pub from_header: bool,
}

/// The partner account named in a `/v2/accounts/{account}/…` path.
fn account_in(path: &str) -> Option<&str> {
    path.strip_prefix("/v2/accounts/")?.split('/').next()
}

fn resolve(sim: &Sim, headers: &HeaderMap, path: &str) -> Result<CallDialect, ApiError> {
    if let Some(value) = headers.get(HeaderName::from_static("klarna-sim-dialect")) {
        let name = value.to_str().map_err(|_| ApiError::validation(HEADER, "is not printable ASCII"))?;
        let dialect = name.parse().map_err(|problem: String| ApiError::validation(HEADER, problem))?;
        return Ok(CallDialect { dialect, from_header: true });
    }
    let account = account_in(path).map(percent_decode);
    let by_account = account.and_then(|account| sim.lock().accounts.get(&account).and_then(|s| s.dialect));
    Ok(CallDialect { dialect: by_account.unwrap_or(sim.config().dialect), from_header: false })
}

fn percent_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("a={}", text.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

/// Marks an error reply already rendered in its final dialect.
#[derive(Clone, Copy)]
pub struct Rendered;

/// Resolves the call's dialect for the handler, and renders error replies in it.
pub async fn layer(State(sim): State<Sim>, mut request: Request, next: Next) -> Response {
    let resolved = match resolve(&sim, request.headers(), request.uri().path()) {
        Ok(resolved) => resolved,
        Err(error) => return error.into_response(),
    };
    request.extensions_mut().insert(resolved);
    let response = next.run(request).await;
    if response.extensions().get::<Rendered>().is_some() {
        return response;
    }
    match response.extensions().get::<ErrorBody>().cloned() {
        Some(body) if resolved.dialect != Dialect::Standard => {
            let (mut parts, _) = response.into_parts();
            let rendered = axum::Json(resolved.dialect.error(&body)).into_response();
            parts.headers.remove(axum::http::header::CONTENT_LENGTH);
            let (_, body) = rendered.into_parts();
            Response::from_parts(parts, body)
        }
        _ => response,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use klarna_api::authorize::StateContext;
    use klarna_api::{CustomerToken, ErrorType, ValidationError};

    fn completed() -> PaymentRequest {
        PaymentRequest {
            payment_request_id: Some("krn:r".into()),
            state_context: Some(StateContext {
                klarna_network_session_token: Some("krn:session".into()),
                customer_token: Some(CustomerToken {
                    customer_token: "krn:token".into(),
                    customer_token_reference: None,
                    scopes: Vec::new(),
                }),
                ..StateContext::default()
            }),
            ..PaymentRequest::default()
        }
    }

    #[test]
    fn each_dialect_puts_the_tokens_where_its_source_does_and_all_read_back() {
        let standard = Dialect::Standard.request(&completed());
        assert_eq!(standard["state_context"]["customer_token"]["customer_token"], "krn:token");
        let acquirer = Dialect::Acquirer.request(&completed());
        assert_eq!(acquirer["klarna_network_session_token"], "krn:session");
        assert_eq!(acquirer["klarna_customer"]["customer_token"]["customer_token"], "krn:token");
        assert!(acquirer["state_context"].get("klarna_network_session_token").is_none());
        let legacy = Dialect::Legacy.request(&completed());
        assert_eq!(legacy["state_context"]["klarna_customer"]["customer_token"], "krn:token");
        assert_eq!(legacy["state_context"]["klarna_network_session_token"], "krn:session");
        for value in [standard, acquirer, legacy] {
            let tokens = klarna_api::tokens_in(&value);
            assert_eq!(tokens.network_session_token.as_deref(), Some("krn:session"), "{value}");
            assert_eq!(tokens.customer_token.map(|t| t.customer_token).as_deref(), Some("krn:token"), "{value}");
        }
    }

    #[test]
    fn each_dialect_writes_errors_in_its_form_and_all_read_back() {
        let mut body =
            ErrorBody::new("id".into(), ErrorType::InputError, "VALIDATION_ERROR", "Invalid: currency".into());
        body.validation_errors.push(ValidationError {
            parameter: "currency".into(),
            reason: "bad".into(),
            doc_url: None,
        });
        let acquirer = serde_json::to_value(Dialect::Acquirer.error(&body)).unwrap();
        assert!(acquirer.get("error_type").is_none() && acquirer.get("error_message").is_none(), "{acquirer}");
        assert_eq!(acquirer["validation_errors"][0]["doc_url"], DOC_URL);
        let legacy = serde_json::to_value(Dialect::Legacy.error(&body)).unwrap();
        assert!(legacy.get("validation_errors").is_none(), "{legacy}");
        assert_eq!(
            legacy["errors"][0],
            serde_json::json!({"parameter": "currency", "error_message": "bad", "doc_url": DOC_URL})
        );
        for dialect in Dialect::ALL {
            let read: ErrorBody = serde_json::from_value(serde_json::to_value(dialect.error(&body)).unwrap()).unwrap();
            assert_eq!((read.refused_parameters(), read.error_code.as_str()), (vec!["currency"], "VALIDATION_ERROR"));
        }
    }

    #[test]
    fn names_read_back_and_unknown_ones_are_refused() {
        for dialect in Dialect::ALL {
            assert_eq!(dialect.name().parse::<Dialect>(), Ok(dialect));
        }
        assert_eq!("LEGACY".parse::<Dialect>(), Ok(Dialect::Legacy));
        assert!("klingon".parse::<Dialect>().is_err());
        assert_eq!(account_in("/v2/accounts/krn%3Ap%3Aa/payment/authorize"), Some("krn%3Ap%3Aa"));
        assert_eq!(percent_decode("krn%3Ap%3Aa+b"), "krn:p:a+b");
    }
}
