//! Request bodies: at most 1 MB (413 in Klarna's shape), JSON only.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::de::DeserializeOwned;

use crate::api_error::ApiError;

/// Klarna's request body limit.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The raw body of a JSON request, at most [`MAX_BODY_BYTES`].
pub struct JsonBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, _: &S) -> Result<Self, ApiError> {
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
        if !is_json {
            return Err(ApiError::content_type());
        }
        let bytes =
            axum::body::to_bytes(request.into_body(), MAX_BODY_BYTES).await.map_err(|_| ApiError::too_large())?;
        Ok(Self(bytes))
    }
}

impl JsonBody {
    /// Parses the body, naming the path of the first bad field in the error.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        let mut deserializer = serde_json::Deserializer::from_slice(&self.0);
        serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
            let path = error.path().to_string();
            let parameter = if path == "." { "body".to_owned() } else { path };
            ApiError::validation(parameter, error.into_inner().to_string())
        })
    }
}
