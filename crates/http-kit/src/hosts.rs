//! The Host allowlist: a page on an attacker's domain that rebinds its name to our address
//! still sends its own name in `Host`, so refusing unknown names stops DNS rebinding.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;

/// Host names (with an optional port) a listener answers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHosts {
    names: Vec<(String, Port)>,
}

/// Which ports an allowed name may come with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Port {
    /// Any port, or none.
    Any,
    /// Exactly this one.
    Exactly(u16),
    /// This one, or none (the scheme's default port, which browsers leave out).
    Default(u16),
}

/// A host name that cannot be allowed (empty, or a URL without a host).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidHost(pub String);

impl std::fmt::Display for InvalidHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?} is not a host name or an http(s) URL with one", self.0)
    }
}

impl std::error::Error for InvalidHost {}

/// Splits `host[:port]` (IPv6 in brackets) into a lowercase name and the port, if any.
fn split(authority: &str) -> Option<(String, Option<u16>)> {
    let authority = authority.trim();
    let (name, port) = match authority.rsplit_once(':') {
        Some((name, port)) if !name.is_empty() && (!name.contains(':') || name.ends_with(']')) => {
            (name, Some(port.parse().ok()?))
        }
        _ => (authority, None),
    };
    let valid = !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b".-_[]:".contains(&b))
        && (!name.contains(':') || (name.starts_with('[') && name.ends_with(']')));
    valid.then(|| (name.to_ascii_lowercase(), port))
}

impl AllowedHosts {
    /// `localhost`, `127.0.0.1` and `[::1]`, on any port.
    pub fn loopback() -> Self {
        let names = ["localhost", "127.0.0.1", "[::1]"].map(|name| (name.to_owned(), Port::Any));
        Self { names: names.to_vec() }
    }

    /// Also allows `host` (`name` or `name:port`; without a port, any port).
    pub fn with(mut self, host: &str) -> Result<Self, InvalidHost> {
        let (name, port) = split(host).ok_or_else(|| InvalidHost(host.to_owned()))?;
        self.names.push((name, port.map_or(Port::Any, Port::Exactly)));
        Ok(self)
    }

    /// Also allows the host of `url` (`http(s)://host[:port]/…`), on the URL's port.
    pub fn with_url(self, url: &str) -> Result<Self, InvalidHost> {
        let invalid = || InvalidHost(url.to_owned());
        let (scheme, rest) = url.split_once("://").ok_or_else(invalid)?;
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if authority.contains('@') {
            return Err(invalid());
        }
        let (name, port) = split(authority).ok_or_else(invalid)?;
        let default = match scheme.to_ascii_lowercase().as_str() {
            "http" => 80,
            "https" => 443,
            _ => return Err(invalid()),
        };
        let port = match port {
            Some(port) if port != default => Port::Exactly(port),
            _ => Port::Default(default),
        };
        let mut hosts = self;
        hosts.names.push((name, port));
        Ok(hosts)
    }

    /// Whether a request with this `Host` value may be served.
    pub fn allows(&self, host: &str) -> bool {
        let Some((name, port)) = split(host) else { return false };
        self.names.iter().any(|(allowed, allowed_port)| {
            *allowed == name
                && match (*allowed_port, port) {
                    (Port::Any, _) | (Port::Default(_), None) => true,
                    (Port::Exactly(allowed) | Port::Default(allowed), Some(port)) => allowed == port,
                    (Port::Exactly(_), None) => false,
                }
        })
    }

    /// `router` answering only to these hosts: 400 without a `Host`, 421 for another one.
    pub fn apply<S: Clone + Send + Sync + 'static>(self, router: Router<S>) -> Router<S> {
        router.layer(axum::middleware::from_fn_with_state(Arc::new(self), check))
    }
}

async fn check(State(hosts): State<Arc<AllowedHosts>>, request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
        .or_else(|| request.uri().authority().map(|a| a.as_str().to_owned()));
    match host {
        None => (StatusCode::BAD_REQUEST, "A Host header is required.\n").into_response(),
        Some(host) if hosts.allows(&host) => next.run(request).await,
        Some(_) => (StatusCode::MISDIRECTED_REQUEST, "This server does not answer to that Host.\n").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_names_and_ports() {
        let hosts = AllowedHosts::loopback().with("shop.example:8443").unwrap();
        for ok in ["127.0.0.1:4100", "localhost", "LOCALHOST:1", "[::1]:80", "shop.example:8443"] {
            assert!(hosts.allows(ok), "{ok}");
        }
        for bad in ["evil.example", "shop.example", "shop.example:8444", "127.0.0.2", "", "[::1", "a b", "::1"] {
            assert!(!hosts.allows(bad), "{bad}");
        }
    }

    #[test]
    fn takes_the_host_of_a_url() {
        let hosts = AllowedHosts::loopback().with_url("https://shop.example/checkout").unwrap();
        assert!(hosts.allows("shop.example") && hosts.allows("shop.example:443"));
        assert!(!hosts.allows("shop.example:8443"));
        let hosts = AllowedHosts::loopback().with_url("http://10.0.0.5:9000").unwrap();
        assert!(hosts.allows("10.0.0.5:9000") && !hosts.allows("10.0.0.5"));
        for bad in ["shop.example", "ftp://x", "https://user@shop.example/", "https://"] {
            assert!(AllowedHosts::loopback().with_url(bad).is_err(), "{bad}");
        }
    }
}
