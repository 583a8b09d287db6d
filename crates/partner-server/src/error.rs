//! Errors of the backend's API, in Klarna's error shape so the button reads them alike. An
//! internal failure reaches the client as an error id and a generic sentence; what went
//! wrong is logged under that id.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use klarna_api::{ErrorBody, ErrorType};

use crate::store::StoreError;

/// An error reply; every handler returns `Result<_, ApiError>`.
#[derive(Debug, thiserror::Error)]
#[error("{status}: {}", body.message())]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Klarna-shaped body (boxed: it is large, and errors travel in every `Result`).
    pub body: Box<ErrorBody>,
}

impl ApiError {
    /// An error of our own (not relayed from Klarna).
    pub fn new(status: StatusCode, error_type: ErrorType, code: &str, message: impl Into<String>) -> Self {
        let body = ErrorBody::new(uuid::Uuid::new_v4().to_string(), error_type, code, message.into());
        Self { status, body: Box::new(body) }
    }

    /// 400: the request was refused as sent.
    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ErrorType::InputError, code, message)
    }

    /// 403: the request is not allowed.
    pub fn forbidden(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, ErrorType::AccessError, code, message)
    }

    /// 404.
    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, ErrorType::ResourceError, "RESOURCE_NOT_FOUND", format!("{what} not found"))
    }

    /// 409: refused because of what already happened.
    pub fn conflict(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, ErrorType::ResourceError, code, message)
    }

    /// 500: our own failure. The client gets an id and a generic sentence; the log gets `detail`.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        let error = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorType::TechnicalError,
            "INTERNAL_ERROR",
            "the payment service failed; please try again, and quote the error id if it persists",
        );
        tracing::error!(error_id = error.body.error_id, %detail, "internal error");
        error
    }

    /// 502: Klarna could not be reached or answered nonsense; trying again may help.
    pub fn bad_gateway(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_GATEWAY, ErrorType::TechnicalError, code, message)
    }

    /// 503: busy finishing the same work elsewhere; trying again shortly will answer.
    pub fn busy(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, ErrorType::TechnicalError, code, message)
    }

    /// Klarna's own error, passed on with a status that tells the browser what to do:
    /// 429 stays 429, 5xx become 502 (try again), other refusals 422 (do not retry).
    pub fn relayed(klarna_status: u16, body: ErrorBody) -> Self {
        let status = match klarna_status {
            429 => StatusCode::TOO_MANY_REQUESTS,
            500..=599 => StatusCode::BAD_GATEWAY,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        Self { status, body: Box::new(body) }
    }

    /// The body as JSON text.
    pub fn body_json(&self) -> String {
        serde_json::to_string(&self.body).unwrap_or_else(|_| "{}".to_owned())
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        Self::internal(error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}
