//! Errors of the backend's API, in Klarna's error shape so the button reads them alike.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use klarna_api::{ErrorBody, ErrorType};

/// An error reply; every handler returns `Result<_, ApiError>`.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Klarna-shaped body.
    pub body: ErrorBody,
}

impl ApiError {
    /// An error of our own (not relayed from Klarna).
    pub fn new(status: StatusCode, error_type: ErrorType, code: &str, message: impl Into<String>) -> Self {
        let body = ErrorBody::new(uuid::Uuid::new_v4().to_string(), error_type, code, message.into());
        Self { status, body }
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

    /// 500: our own failure (the database, say).
    pub fn internal(message: impl Into<String>) -> Self {
        let message = message.into();
        tracing::error!(%message, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorType::TechnicalError, "INTERNAL_ERROR", message)
    }

    /// 502: Klarna could not be reached or answered nonsense.
    pub fn bad_gateway(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_GATEWAY, ErrorType::TechnicalError, code, message)
    }

    /// Klarna's own error, passed on with a status that tells the browser what to do:
    /// 429 stays 429, 5xx become 502 (try again), other refusals 422 (do not retry).
    pub fn relayed(klarna_status: u16, body: ErrorBody) -> Self {
        let status = match klarna_status {
            429 => StatusCode::TOO_MANY_REQUESTS,
            500..=599 => StatusCode::BAD_GATEWAY,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        Self { status, body }
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(error: rusqlite::Error) -> Self {
        Self::internal(format!("database: {error}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}
