//! Klarna's error body (spec B2.3), in every form its pages show: with or without
//! `error_type` and `error_message`, refused inputs as `validation_errors[{parameter, reason,
//! doc_url}]` (newer pages) or `errors[{parameter, error_message, doc_url}]` (an older one).
//! [`ErrorBody::message`] and [`ErrorBody::refused_parameters`] read whichever is there.

use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

/// The body of a Klarna error reply; branch on the HTTP status and `error_code`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Unique id of this error, for Klarna's support.
    #[serde(default)]
    pub error_id: String,
    /// The error's family; absent in the newer acquirer pages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_type: Option<ErrorType>,
    /// A stable code such as `VALIDATION_ERROR`, `UNAUTHORIZED` or `TIMEOUT`.
    #[serde(default)]
    pub error_code: String,
    /// A message for developers; some validation errors have none (see [`Self::message`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// Which inputs were refused, for `VALIDATION_ERROR` (newer pages).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub validation_errors: Vec<ValidationError>,
    /// Which inputs were refused, in the older form.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Where the error is documented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc_url: Option<String>,
}

impl ErrorBody {
    /// An error body with a type and a message, without refused inputs.
    pub fn new(error_id: String, error_type: ErrorType, error_code: &str, error_message: String) -> Self {
        Self {
            error_id,
            error_type: Some(error_type),
            error_code: error_code.into(),
            error_message: Some(error_message),
            ..Self::default()
        }
    }

    /// The message: `error_message`, else the first refused input's reason, else the code.
    pub fn message(&self) -> &str {
        let first_reason = || {
            let reason = self.validation_errors.iter().map(|e| e.reason.as_str());
            reason.chain(self.errors.iter().map(|e| e.error_message.as_str())).find(|m| !m.is_empty())
        };
        self.error_message.as_deref().filter(|m| !m.is_empty()).or_else(first_reason).unwrap_or(&self.error_code)
    }

    /// The inputs Klarna refused, from whichever list the body has.
    pub fn refused_parameters(&self) -> Vec<&str> {
        let validation = self.validation_errors.iter().map(|e| e.parameter.as_str());
        validation.chain(self.errors.iter().map(|e| e.parameter.as_str())).collect()
    }
}

/// `error_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorType {
    /// Authentication or permission.
    AccessError,
    /// Klarna's side failed or timed out.
    TechnicalError,
    /// The resource is missing or in conflict.
    ResourceError,
    /// The request was refused as sent.
    InputError,
    /// A family this model does not know.
    #[serde(other)]
    Unknown,
}

/// One refused input in `validation_errors`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidationError {
    /// The path of the refused input, such as `request_payment_transaction.amount`.
    pub parameter: String,
    /// Why it was refused.
    #[serde(default)]
    pub reason: String,
    /// Where the rule is documented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc_url: Option<String>,
}

/// One refused input in the older `errors` list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldError {
    /// The path of the refused input.
    pub parameter: String,
    /// Why it was refused.
    #[serde(default)]
    pub error_message: String,
    /// Where the rule is documented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc_url: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(json: &str) -> ErrorBody {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn reads_the_documented_timeout_body() {
        let body = read(
            r#"{"error_id":"b7c1","error_type":"TECHNICAL_ERROR","error_code":"TIMEOUT","error_message":"Request processing timeout."}"#,
        );
        assert_eq!(body.error_type, Some(ErrorType::TechnicalError));
        assert_eq!((body.error_code.as_str(), body.message()), ("TIMEOUT", "Request processing timeout."));
        assert!(body.refused_parameters().is_empty());
    }

    #[test]
    fn reads_validation_errors_with_and_without_type_and_message() {
        let full = read(
            r#"{"error_id":"x","error_type":"INPUT_ERROR","error_code":"VALIDATION_ERROR","error_message":"bad",
                "validation_errors":[{"parameter":"currency","reason":"not ISO 4217","doc_url":"https://docs"}]}"#,
        );
        assert_eq!(full.refused_parameters(), ["currency"]);
        assert_eq!(full.message(), "bad");
        assert_eq!(full.validation_errors[0].doc_url.as_deref(), Some("https://docs"));
        // Newer acquirer pages: no error_type, no top-level message.
        let bare = read(
            r#"{"error_id":"y","error_code":"VALIDATION_ERROR",
                "validation_errors":[{"parameter":"amount","reason":"must be positive"},{"parameter":"currency","reason":""}]}"#,
        );
        assert_eq!(bare.error_type, None);
        assert_eq!(bare.error_message, None);
        assert_eq!(bare.message(), "must be positive");
        assert_eq!(bare.refused_parameters(), ["amount", "currency"]);
    }

    #[test]
    fn reads_the_older_errors_list() {
        let older = read(
            r#"{"error_id":"z","error_type":"INPUT_ERROR","error_code":"VALIDATION_ERROR",
                "errors":[{"parameter":"step_up_config.mode","error_message":"is not supported","doc_url":"https://docs/x"}]}"#,
        );
        assert_eq!(older.refused_parameters(), ["step_up_config.mode"]);
        assert_eq!(older.message(), "is not supported");
        assert_eq!(older.errors[0].doc_url.as_deref(), Some("https://docs/x"));
    }

    #[test]
    fn falls_back_to_the_code_and_tolerates_unknown_types() {
        let minimal = read(r#"{"error_code":"RATE_LIMITED","error_type":"QUOTA_ERROR","extra":1}"#);
        assert_eq!(minimal.error_type, Some(ErrorType::Unknown));
        assert_eq!(minimal.message(), "RATE_LIMITED");
        assert_eq!(minimal.error_id, "");
        let made = ErrorBody::new("id".into(), ErrorType::AccessError, "UNAUTHORIZED", "no".into());
        assert_eq!(
            serde_json::to_value(&made).unwrap(),
            serde_json::json!({"error_id": "id", "error_type": "ACCESS_ERROR", "error_code": "UNAUTHORIZED", "error_message": "no"})
        );
    }
}
