//! CSRF: the shopper-facing POST endpoints accept only JSON requests from the shop's own
//! origins (its public URL, the address it is bound to, and the origins named with
//! `--cors-origin`). The `Origin` is compared with that list, never with the request's own
//! `Host` (which an attacker controls after a DNS rebinding).

use axum::http::{header, HeaderMap};

use crate::error::ApiError;

/// Refuses a request that is not JSON (a cross-site HTML form cannot send JSON without a CORS
/// preflight, which this server grants only to its configured origins) or that comes from an
/// origin not in `origins`. A request
/// with no `Origin` (not a browser's cross-origin call) passes unless `Sec-Fetch-Site` says
/// it is cross-site.
pub fn check(headers: &HeaderMap, origins: &[String]) -> Result<(), ApiError> {
    if !http_kit::is_json_content_type(headers) {
        return Err(ApiError::bad_request("INVALID_CONTENT_TYPE", "Content-Type must be application/json"));
    }
    let refused = || ApiError::forbidden("CROSS_ORIGIN_REQUEST", "this origin may not call the payment service");
    match headers.get(header::ORIGIN).map(|v| v.to_str()) {
        Some(Ok(origin)) if origins.iter().any(|allowed| allowed.eq_ignore_ascii_case(origin)) => Ok(()),
        Some(_) => Err(refused()),
        None => match headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
            Some("same-origin" | "none") | None => Ok(()),
            Some(_) => Err(refused()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(), value.parse().unwrap());
        }
        map
    }

    #[test]
    fn only_the_shops_origins_may_post_json() {
        let origins = vec!["http://127.0.0.1:8080".to_owned(), "https://shop.example".to_owned()];
        let json = ("content-type", "application/json");
        assert!(check(&headers(&[json, ("origin", "http://127.0.0.1:8080")]), &origins).is_ok());
        assert!(check(&headers(&[json, ("origin", "https://shop.example")]), &origins).is_ok());
        assert!(check(&headers(&[json]), &origins).is_ok(), "no Origin: not a browser's cross-origin call");
        assert!(check(&headers(&[json, ("origin", "http://evil.example")]), &origins).is_err());
        assert!(
            check(&headers(&[json, ("host", "evil.example"), ("origin", "http://evil.example")]), &origins).is_err(),
            "a rebinding attacker's Origin matches its Host, not the shop"
        );
        assert!(check(&headers(&[json, ("origin", "http://127.0.0.1:8080.evil.example")]), &origins).is_err());
        assert!(check(&headers(&[json, ("sec-fetch-site", "cross-site")]), &origins).is_err());
        assert!(
            check(&headers(&[("content-type", "text/plain"), ("origin", "https://shop.example")]), &origins).is_err()
        );
    }
}
