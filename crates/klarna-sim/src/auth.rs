//! `Authorization: Basic <API key>`: test keys only.

use axum::http::{header, HeaderMap};

use crate::api_error::ApiError;

/// Checks the API key: `klarna_test_api_…` passes; live keys, other keys, and missing or
/// malformed headers are refused with 401.
pub fn check(headers: &HeaderMap) -> Result<(), ApiError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("Missing Authorization header"))?
        .to_str()
        .map_err(|_| ApiError::unauthorized("Malformed Authorization header"))?;
    let key = value
        .strip_prefix("Basic ")
        .map(str::trim)
        .filter(|key| !key.is_empty())
        .ok_or_else(|| ApiError::unauthorized("Authorization must be 'Basic <API key>'"))?;
    if key.starts_with("klarna_live_api_") {
        return Err(ApiError::unauthorized("Live API keys are refused: this is the offline test simulator"));
    }
    if !key.starts_with("klarna_test_api_") || key.len() < "klarna_test_api_".len() + 8 {
        return Err(ApiError::unauthorized("Invalid API key: expected a test key, klarna_test_api_…"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, value.parse().unwrap());
        headers
    }

    #[test]
    fn only_test_keys_pass() {
        assert!(check(&with("Basic klarna_test_api_abcdefgh12345")).is_ok());
        for bad in [
            "Basic klarna_live_api_abcdefgh12345",
            "Bearer klarna_test_api_abcdefgh",
            "Basic ",
            "Basic secret",
            "klarna_test_api_abcdefgh12345",
        ] {
            assert!(check(&with(bad)).is_err(), "{bad}");
        }
        assert!(check(&HeaderMap::new()).is_err());
    }
}
