//! Request bodies: JSON only, at most 1 MB (413 in Klarna's shape), read within the
//! listener's body timeout (408).

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use http_body_util::LengthLimitError;
use serde::de::DeserializeOwned;

use crate::api_error::ApiError;

/// Klarna's request body limit.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The raw body of a JSON request, at most [`MAX_BODY_BYTES`].
pub struct JsonBody(pub Bytes);

/// Whether `error`, or an error it wraps, is the body limit.
fn over_limit(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(error) = current {
        if error.is::<LengthLimitError>() {
            return true;
        }
        current = error.source();
    }
    false
}

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, _: &S) -> Result<Self, ApiError> {
        if !http_kit::is_json_content_type(request.headers()) {
            return Err(ApiError::content_type());
        }
        match axum::body::to_bytes(request.into_body(), MAX_BODY_BYTES).await {
            Ok(bytes) => Ok(Self(bytes)),
            Err(error) if over_limit(&error) => Err(ApiError::too_large()),
            Err(_) => Err(ApiError::body_unread()),
        }
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
