//! Error codes and the `KlarnaButtonError` that carries them into JavaScript.

use wasm_bindgen::prelude::*;

/// The stable `code` of a `KlarnaButtonError`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// The configuration or an argument is invalid; fix the integration.
    Config,
    /// The request did not reach the backend, or its reply was cut off.
    Network,
    /// No complete reply within the configured timeout; the request was aborted.
    Timeout,
    /// The backend answered with a non-2xx status.
    Http,
    /// The backend's 2xx reply is not a usable Payment Authorize reply.
    InvalidResponse,
    /// Klarna declined and no decline URL is configured.
    Declined,
    /// A URL in the reply breaks the URL policy.
    UnsafeUrl,
}

impl ErrorCode {
    /// The code as JavaScript sees it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Config => "CONFIG",
            Self::Network => "NETWORK",
            Self::Timeout => "TIMEOUT",
            Self::Http => "HTTP",
            Self::InvalidResponse => "INVALID_RESPONSE",
            Self::Declined => "DECLINED",
            Self::UnsafeUrl => "UNSAFE_URL",
        }
    }
}

/// A failure of the package, before it becomes a JavaScript `KlarnaButtonError`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ButtonError {
    /// What kind of failure.
    pub code: ErrorCode,
    /// A sentence for the developer reading the console.
    pub message: String,
    /// The HTTP status, for `HTTP`.
    pub status: Option<u16>,
    /// Klarna's `error_code`, when the backend relayed Klarna's error body.
    pub error_code: Option<String>,
    /// Klarna's `error_id`, when the backend relayed Klarna's error body.
    pub error_id: Option<String>,
}

impl ButtonError {
    /// An error with a code and a message, and no HTTP details.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), status: None, error_code: None, error_id: None }
    }

    /// Whether trying again may succeed: network failures, timeouts, HTTP 5xx and 429.
    pub fn recoverable(&self) -> bool {
        match self.code {
            ErrorCode::Network | ErrorCode::Timeout => true,
            ErrorCode::Http => matches!(self.status, Some(429 | 500..=599)),
            _ => false,
        }
    }

    /// The JavaScript `KlarnaButtonError` for this error.
    pub fn into_js(self) -> JsValue {
        let recoverable = self.recoverable();
        KlarnaButtonError::new(
            self.code.as_str(),
            &self.message,
            recoverable,
            self.status,
            self.error_code,
            self.error_id,
        )
        .into()
    }
}

#[wasm_bindgen(module = "/js/error.js")]
extern "C" {
    /// `class KlarnaButtonError extends Error`, exported by the package.
    #[wasm_bindgen(extends = js_sys::Error, reexport)]
    pub type KlarnaButtonError;

    #[wasm_bindgen(constructor)]
    fn new(
        code: &str,
        message: &str,
        recoverable: bool,
        status: Option<u16>,
        error_code: Option<String>,
        error_id: Option<String>,
    ) -> KlarnaButtonError;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http(status: u16) -> ButtonError {
        ButtonError { status: Some(status), ..ButtonError::new(ErrorCode::Http, "") }
    }

    #[test]
    fn recoverable_errors_are_the_transient_ones() {
        assert!(ButtonError::new(ErrorCode::Network, "").recoverable());
        assert!(ButtonError::new(ErrorCode::Timeout, "").recoverable());
        assert!(http(500).recoverable());
        assert!(http(503).recoverable());
        assert!(http(429).recoverable());
        assert!(!http(400).recoverable());
        assert!(!http(409).recoverable());
        for code in [ErrorCode::Config, ErrorCode::InvalidResponse, ErrorCode::Declined, ErrorCode::UnsafeUrl] {
            assert!(!ButtonError::new(code, "").recoverable(), "{code:?}");
        }
    }
}
