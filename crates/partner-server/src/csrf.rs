//! CSRF: the shopper-facing POST endpoints accept only same-origin JSON requests.

use axum::http::{header, HeaderMap};

use crate::error::ApiError;

/// Refuses cross-site requests: the `Origin` must be this server's (or, where a browser sends
/// none, `Sec-Fetch-Site` must say same-origin), and the body must be declared JSON, which a
/// cross-site HTML form cannot do without a CORS preflight this server never grants.
pub fn same_origin_json(headers: &HeaderMap) -> Result<(), ApiError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(ApiError::bad_request("INVALID_CONTENT_TYPE", "Content-Type must be application/json"));
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        Some(origin) => {
            let same = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")) == Some(host);
            if !same {
                return Err(ApiError::forbidden("CROSS_ORIGIN_REQUEST", "only same-origin requests are accepted"));
            }
        }
        None => {
            let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
            if matches!(site, Some(site) if site != "same-origin" && site != "none") {
                return Err(ApiError::forbidden("CROSS_ORIGIN_REQUEST", "only same-origin requests are accepted"));
            }
        }
    }
    Ok(())
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
    fn same_origin_json_passes_everything_else_is_refused() {
        let json = ("content-type", "application/json");
        let host = ("host", "127.0.0.1:8080");
        assert!(same_origin_json(&headers(&[json, host, ("origin", "http://127.0.0.1:8080")])).is_ok());
        assert!(
            same_origin_json(&headers(&[json, host])).is_ok(),
            "no Origin, no Sec-Fetch-Site: a non-browser client"
        );
        assert!(same_origin_json(&headers(&[json, host, ("origin", "http://evil.example")])).is_err());
        assert!(same_origin_json(&headers(&[json, host, ("origin", "http://127.0.0.1:8080.evil.example")])).is_err());
        assert!(same_origin_json(&headers(&[json, host, ("sec-fetch-site", "cross-site")])).is_err());
        assert!(same_origin_json(&headers(&[
            ("content-type", "text/plain"),
            host,
            ("origin", "http://127.0.0.1:8080")
        ]))
        .is_err());
        assert!(same_origin_json(&headers(&[("content-type", "application/x-www-form-urlencoded"), host])).is_err());
    }
}
