//! Klarna's error replies: `{error_id, error_type, error_code, error_message, validation_errors}`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use klarna_api::{ErrorBody, ErrorType, ValidationError};

use crate::dialect::{Dialect, Rendered};

/// An error reply in Klarna's shape; every handler returns `Result<_, ApiError>`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: Box<ErrorBody>,
    /// `Retry-After`, in seconds, on a 429.
    retry_after: Option<u32>,
}

impl ApiError {
    fn new(status: StatusCode, error_type: ErrorType, code: &str, message: impl Into<String>) -> Self {
        let body = ErrorBody::new(uuid::Uuid::new_v4().to_string(), error_type, code, message.into());
        Self { status, body: Box::new(body), retry_after: None }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The body as JSON, in `dialect`.
    pub fn to_json(&self, dialect: Dialect) -> serde_json::Value {
        serde_json::to_value(dialect.error(&self.body)).unwrap_or_default()
    }

    /// The reply in `dialect`, final (the dialect layer leaves it alone).
    pub fn into_response_in(self, dialect: Dialect) -> Response {
        let mut response = (self.status, Json(self.to_json(dialect))).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response.extensions_mut().insert(Rendered);
        response
    }

    /// 400 `VALIDATION_ERROR` naming the refused input.
    pub fn validation(parameter: impl Into<String>, reason: impl Into<String>) -> Self {
        let (parameter, reason) = (parameter.into(), reason.into());
        let mut error = Self::new(
            StatusCode::BAD_REQUEST,
            ErrorType::InputError,
            "VALIDATION_ERROR",
            format!("Invalid request: {parameter}: {reason}"),
        );
        error.body.validation_errors.push(ValidationError { parameter, reason, doc_url: None });
        error
    }

    /// 400 `INVALID_CONTENT_TYPE`.
    pub fn content_type() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            ErrorType::InputError,
            "INVALID_CONTENT_TYPE",
            "Content-Type must be application/json",
        )
    }

    /// 401 `UNAUTHORIZED`.
    pub fn unauthorized(message: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, ErrorType::AccessError, "UNAUTHORIZED", message)
    }

    /// 403 `OPERATION_FORBIDDEN`.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, ErrorType::AccessError, "OPERATION_FORBIDDEN", message)
    }

    /// 404 `RESOURCE_NOT_FOUND`.
    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, ErrorType::ResourceError, "RESOURCE_NOT_FOUND", format!("{what} not found"))
    }

    /// 409 `RESOURCE_CONFLICT`.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, ErrorType::ResourceError, "RESOURCE_CONFLICT", message)
    }

    /// 413: the body is over 1 MB.
    pub fn too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorType::InputError,
            "PAYLOAD_TOO_LARGE",
            "Request body exceeds 1 MB",
        )
    }

    /// 408: the body did not arrive within the listener's body timeout.
    pub fn body_unread() -> Self {
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            ErrorType::InputError,
            "REQUEST_TIMEOUT",
            "The request body was not received in time",
        )
    }

    /// 429 `RATE_LIMITED`, with `Retry-After: 1`.
    pub fn rate_limited() -> Self {
        let mut error =
            Self::new(StatusCode::TOO_MANY_REQUESTS, ErrorType::TechnicalError, "RATE_LIMITED", "Rate limit exceeded");
        error.retry_after = Some(1);
        error
    }

    /// 500 `INTERNAL_ERROR`.
    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorType::TechnicalError, "INTERNAL_ERROR", "Internal error")
    }

    /// 500 `TIMEOUT`, Klarna's documented timeout reply.
    pub fn timeout() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorType::TechnicalError,
            "TIMEOUT",
            "Request processing timeout.",
        )
    }
}

/// In the standard dialect; the dialect layer of the partner API renders it again in the
/// call's dialect, from the body left in the reply's extensions.
impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(&*self.body)).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response.extensions_mut().insert(*self.body);
        response
    }
}
