//! Error codes and the `KlarnaButtonError` that carries them into JavaScript.

use alloc::boxed::Box;
use alloc::string::String;

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
    /// The page aborted the click with the `AbortSignal` given to `signal()`.
    Aborted,
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
            Self::Aborted => "ABORTED",
            Self::Http => "HTTP",
            Self::InvalidResponse => "INVALID_RESPONSE",
            Self::Declined => "DECLINED",
            Self::UnsafeUrl => "UNSAFE_URL",
        }
    }
}

/// `parts` joined into one message. The messages are built from pieces because the package
/// ships without Rust's formatting machinery (`format!` alone would cost kilobytes).
pub fn message(parts: &[&str]) -> String {
    let mut message = String::new();
    for part in parts {
        message.push_str(part);
    }
    message
}

/// Appends `number` in decimal: the two numbers the messages carry (a status, a timeout) cost
/// these few lines, not a formatting crate's digit tables.
pub fn push_decimal(text: &mut String, number: u32) {
    if number >= 10 {
        push_decimal(text, number / 10);
    }
    text.push(char::from(b'0' + (number % 10) as u8));
}

/// A failure of the package, before it becomes a JavaScript `KlarnaButtonError`. Boxed: every
/// `Result` of the package carries a pointer, not the whole error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ButtonError(Box<Details>);

/// What a [`ButtonError`] says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Details {
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

impl core::ops::Deref for ButtonError {
    type Target = Details;

    fn deref(&self) -> &Details {
        &self.0
    }
}

impl ButtonError {
    /// An error with a code and a message, and no HTTP details.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self(Box::new(Details { code, message: message.into(), status: None, error_code: None, error_id: None }))
    }

    /// An `HTTP` error for `status`, with Klarna's error details when the backend relayed them.
    pub fn http(status: u16, message: String, error_code: Option<String>, error_id: Option<String>) -> Self {
        Self(Box::new(Details { code: ErrorCode::Http, message, status: Some(status), error_code, error_id }))
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
        let Details { code, message, status, error_code, error_id } = *self.0;
        KlarnaButtonError::new(code.as_str(), &message, recoverable, status, error_code.as_deref(), error_id.as_deref())
            .into()
    }
}

#[wasm_bindgen(module = "/js/error.js")]
extern "C" {
    /// `class KlarnaButtonError extends Error`, exported by the package.
    #[wasm_bindgen(reexport)]
    pub type KlarnaButtonError;

    #[wasm_bindgen(constructor)]
    fn new(
        code: &str,
        message: &str,
        recoverable: bool,
        status: Option<u16>,
        error_code: Option<&str>,
        error_id: Option<&str>,
    ) -> KlarnaButtonError;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http(status: u16) -> ButtonError {
        ButtonError::http(status, String::new(), None, None)
    }

    #[test]
    fn numbers_are_written_in_decimal() {
        for number in [0, 7, 10, 99, 100, 120_000, 4_294_967_295] {
            let mut text = String::from("n=");
            push_decimal(&mut text, number);
            assert_eq!(text, format!("n={number}"));
        }
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
        for code in [
            ErrorCode::Config,
            ErrorCode::Aborted,
            ErrorCode::InvalidResponse,
            ErrorCode::Declined,
            ErrorCode::UnsafeUrl,
        ] {
            assert!(!ButtonError::new(code, "").recoverable(), "{code:?}");
        }
    }
}
