//! Response hardening headers, and reading a request's content type.

use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue, InvalidHeaderValue};
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;

/// `router` with a Content-Security-Policy (`csp`, which should carry `frame-ancestors`),
/// `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer` on every response
/// that does not set the header itself (a handler may narrow the policy for its page).
pub fn security_headers<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    csp: &str,
) -> Result<Router<S>, InvalidHeaderValue> {
    let defaults: [(HeaderName, HeaderValue); 3] = [
        (header::CONTENT_SECURITY_POLICY, HeaderValue::from_str(csp)?),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
    ];
    Ok(defaults
        .into_iter()
        .fold(router, |router, (name, value)| router.layer(SetResponseHeaderLayer::if_not_present(name, value))))
}

/// Whether `Content-Type` says `application/json` (any parameters, any case).
pub fn is_json_content_type(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_str(value).unwrap_or(HeaderValue::from_static("")));
            headers
        };
        for yes in ["application/json", "Application/JSON; charset=utf-8", " application/json ;x=y"] {
            assert!(is_json_content_type(&with(yes)), "{yes}");
        }
        for no in ["text/plain", "application/jsonx", "application/x-www-form-urlencoded", "", "json"] {
            assert!(!is_json_content_type(&with(no)), "{no}");
        }
        assert!(!is_json_content_type(&HeaderMap::new()));
    }
}
