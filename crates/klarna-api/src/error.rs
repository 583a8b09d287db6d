//! Klarna's error body (spec B2.3).

use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

/// The body of every Klarna error reply; branch on the HTTP status and `error_code`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Unique id of this error, for Klarna's support.
    pub error_id: String,
    /// The error's family.
    pub error_type: ErrorType,
    /// A stable code such as `VALIDATION_ERROR`, `UNAUTHORIZED` or `TIMEOUT`.
    pub error_code: String,
    /// A message for developers.
    pub error_message: String,
    /// Which inputs were refused, for `VALIDATION_ERROR`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub validation_errors: Vec<ValidationError>,
}

impl ErrorBody {
    /// An error body without validation errors.
    pub fn new(error_id: String, error_type: ErrorType, error_code: &str, error_message: String) -> Self {
        Self { error_id, error_type, error_code: error_code.into(), error_message, validation_errors: Vec::new() }
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

/// One refused input of a `VALIDATION_ERROR`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidationError {
    /// The path of the refused input, such as `request_payment_transaction.amount`.
    pub parameter: String,
    /// Why it was refused.
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_documented_timeout_body() {
        let body: ErrorBody = serde_json::from_str(
            r#"{"error_id":"b7c1","error_type":"TECHNICAL_ERROR","error_code":"TIMEOUT","error_message":"Request processing timeout."}"#,
        )
        .unwrap();
        assert_eq!(body.error_type, ErrorType::TechnicalError);
        assert_eq!(body.error_code, "TIMEOUT");
        assert!(body.validation_errors.is_empty());
    }

    #[test]
    fn reads_validation_errors() {
        let body: ErrorBody = serde_json::from_str(
            r#"{"error_id":"x","error_type":"INPUT_ERROR","error_code":"VALIDATION_ERROR","error_message":"bad",
                "validation_errors":[{"parameter":"currency","reason":"not ISO 4217","doc_url":"https://docs"}]}"#,
        )
        .unwrap();
        assert_eq!(
            body.validation_errors,
            [ValidationError { parameter: "currency".into(), reason: "not ISO 4217".into() }]
        );
    }
}
