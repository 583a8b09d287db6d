//! `Authorization` on the partner API: only the API keys the simulator was configured with,
//! in each form real clients send (`Basic <key>`, `Basic <base64 of the key>`, the scheme in
//! any case). Anything else is 401 in Klarna's shape, as Klarna refuses unknown keys.

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;

use crate::api_error::ApiError;
use crate::Sim;

/// Refuses a partner API call without one of the configured keys.
pub async fn require_key(State(sim): State<Sim>, request: Request, next: Next) -> Response {
    match check(&sim.config().api_keys, request.headers().get(header::AUTHORIZATION).map(|v| v.as_bytes())) {
        Ok(()) => next.run(request).await,
        Err(error) => error.into_response(),
    }
}

/// Equal, in time that depends only on the lengths.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// Whether `authorization` carries one of `keys`.
fn check(keys: &[String], authorization: Option<&[u8]>) -> Result<(), ApiError> {
    let value = authorization.ok_or_else(|| ApiError::unauthorized("Missing Authorization header"))?;
    let value = std::str::from_utf8(value).map_err(|_| ApiError::unauthorized("Malformed Authorization header"))?;
    let (scheme, credential) = value.trim().split_once(' ').unwrap_or((value, ""));
    let credential = credential.trim();
    if !scheme.eq_ignore_ascii_case("basic") || credential.is_empty() {
        return Err(ApiError::unauthorized("Authorization must be 'Basic <API key>'"));
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(credential).ok();
    let known = keys.iter().fold(false, |found, key| {
        let plain = same(credential.as_bytes(), key.as_bytes());
        let encoded = decoded.as_deref().is_some_and(|decoded| same(decoded, key.as_bytes()));
        found | plain | encoded
    });
    if known {
        Ok(())
    } else {
        Err(ApiError::unauthorized("Invalid API key"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_each_form_of_a_known_key_only() {
        let keys = ["klarna_test_api_known".to_owned(), "second-key".to_owned()];
        let encoded = base64::engine::general_purpose::STANDARD.encode("klarna_test_api_known");
        for good in [
            "Basic klarna_test_api_known".to_owned(),
            "basic klarna_test_api_known".to_owned(),
            "BASIC  second-key ".to_owned(),
            format!("Basic {encoded}"),
            format!("basic {encoded}"),
        ] {
            assert!(check(&keys, Some(good.as_bytes())).is_ok(), "{good}");
        }
        for bad in [
            "Basic klarna_test_api_other",
            "Bearer klarna_test_api_known",
            "klarna_test_api_known",
            "Basic ",
            "Basic klarna_test_api_know",
            "Basic a2xhcm5hX3Rlc3RfYXBpX2tub3du0",
        ] {
            assert!(check(&keys, Some(bad.as_bytes())).is_err(), "{bad}");
        }
        assert!(check(&keys, None).is_err());
        assert!(check(&keys, Some(b"Basic \xff")).is_err());
        assert!(check(&[], Some(b"Basic klarna_test_api_known")).is_err());
    }
}
