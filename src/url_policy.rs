//! Which URLs and ids the package accepts (pure; the browser's `URL` parser feeds it).
//!
//! - Return URLs (success, decline): http(s) only, the page's own origin or an origin allowed
//!   with `allowReturnOrigin`; plain http only for the page's own origin or loopback.
//! - A `paymentRequestUrl` from the backend: https, or http on loopback.
//! - A `paymentRequestId` from the backend: `krn:`, bounded length, printable ASCII only.

use alloc::string::String;

/// A URL as the browser's `URL` parser split it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlParts {
    /// The whole serialized URL.
    pub href: String,
    /// The scheme with its colon, such as `https:`.
    pub protocol: String,
    /// The host without port; IPv6 addresses in brackets.
    pub hostname: String,
    /// `scheme://host[:port]`.
    pub origin: String,
    /// Whether the URL carries a user name or password.
    pub has_credentials: bool,
}

/// The longest `paymentRequestId` accepted.
pub const MAX_PAYMENT_REQUEST_ID_LEN: usize = 256;

impl UrlParts {
    fn is_http(&self) -> bool {
        self.protocol == "http:"
    }

    fn is_web(&self) -> bool {
        self.is_http() || self.protocol == "https:"
    }

    /// Whether the host is this machine: `localhost`, `*.localhost`, 127.0.0.0/8 or `[::1]`.
    pub fn is_loopback(&self) -> bool {
        let host = self.hostname.as_str();
        host == "localhost"
            || host.ends_with(".localhost")
            || host == "[::1]"
            || host.strip_prefix("127.").is_some_and(|rest| octets(rest) == Some(3))
    }

    /// Checks a URL the shopper is sent back to after the flow.
    pub fn check_return(&self, page_origin: &str, allowed_origins: &[String]) -> Result<(), &'static str> {
        if !self.is_web() {
            return Err("only http and https URLs are allowed");
        }
        if self.has_credentials {
            return Err("URLs with a user name or password are not allowed");
        }
        let own = self.origin == page_origin;
        if !own && !allowed_origins.contains(&self.origin) {
            return Err("its origin is neither the page's nor one allowed with allowReturnOrigin");
        }
        if self.is_http() && !own && !self.is_loopback() {
            return Err("plain http is allowed only on the page's own origin or loopback");
        }
        Ok(())
    }

    /// Checks an origin given to `allowReturnOrigin` and returns it normalized.
    pub fn check_allowed_origin(&self) -> Result<String, &'static str> {
        if !self.is_web() {
            return Err("only http and https origins are allowed");
        }
        if self.is_http() && !self.is_loopback() {
            return Err("plain http origins are allowed only on loopback");
        }
        Ok(self.origin.clone())
    }

    /// Checks the backend endpoint `initiate` posts to.
    pub fn check_endpoint(&self) -> Result<(), &'static str> {
        if !self.is_web() {
            return Err("only http and https endpoints are allowed");
        }
        if self.has_credentials {
            return Err("endpoints with a user name or password are not allowed");
        }
        Ok(())
    }

    /// Checks a `paymentRequestUrl` before it is handed to Klarna's SDK.
    pub fn check_payment_request_url(&self) -> Result<(), &'static str> {
        if self.has_credentials {
            return Err("the payment request URL carries a user name or password");
        }
        match self.protocol.as_str() {
            "https:" => Ok(()),
            "http:" if self.is_loopback() => Ok(()),
            "http:" => Err("the payment request URL is plain http on a non-loopback host"),
            _ => Err("the payment request URL is not https"),
        }
    }
}

/// How many dot-separated decimal octets (0 to 255) `text` is, or `None` when it is anything
/// else. The URL parser writes IPv4 hosts that way.
fn octets(text: &str) -> Option<u32> {
    let (mut count, mut digits, mut value) = (1, 0, 0u32);
    for byte in text.bytes() {
        match byte {
            b'.' if digits > 0 => (count, digits, value) = (count + 1, 0, 0),
            b'0'..=b'9' if digits < 3 => (digits, value) = (digits + 1, value * 10 + u32::from(byte - b'0')),
            _ => return None,
        }
        if value > 255 {
            return None;
        }
    }
    (digits > 0).then_some(count)
}

/// Checks that a `paymentRequestId` looks like a Klarna id.
pub fn check_payment_request_id(id: &str) -> Result<(), &'static str> {
    if !id.starts_with("krn:") || id.len() <= "krn:".len() {
        return Err("the payment request id is not a Klarna id (krn:…)");
    }
    if id.len() > MAX_PAYMENT_REQUEST_ID_LEN {
        return Err("the payment request id is too long");
    }
    if !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("the payment request id contains spaces, control or non-ASCII characters");
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A small stand-in for the browser's URL parser, enough for the policy's inputs.
    pub(crate) fn url(href: &str) -> UrlParts {
        let (scheme, rest) = href.split_once("://").unwrap_or((href.split(':').next().unwrap(), ""));
        let authority = rest.split(['/', '?', '#']).next().unwrap();
        let (credentials, host_port) = match authority.rsplit_once('@') {
            Some((c, h)) => (Some(c), h),
            None => (None, authority),
        };
        let hostname = if host_port.starts_with('[') {
            host_port.split_inclusive(']').next().unwrap()
        } else {
            host_port.split(':').next().unwrap()
        };
        let origin = if rest.is_empty() { "null".to_owned() } else { format!("{scheme}://{host_port}") };
        UrlParts {
            href: href.to_owned(),
            protocol: format!("{scheme}:"),
            hostname: hostname.to_owned(),
            origin,
            has_credentials: credentials.is_some(),
        }
    }

    const PAGE: &str = "https://shop.example";

    #[test]
    fn return_urls_on_the_page_origin_pass() {
        assert_eq!(url("https://shop.example/order/complete").check_return(PAGE, &[]), Ok(()));
        assert_eq!(url("http://shop.example/done").check_return("http://shop.example", &[]), Ok(()));
    }

    #[test]
    fn return_urls_elsewhere_need_an_allowed_origin() {
        let other = url("https://pay.partner.example/done");
        assert!(other.check_return(PAGE, &[]).is_err());
        assert_eq!(other.check_return(PAGE, &["https://pay.partner.example".to_owned()]), Ok(()));
        assert!(other.check_return(PAGE, &["https://pay.partner.example:8443".to_owned()]).is_err());
    }

    #[test]
    fn return_urls_refuse_scripts_data_and_credentials() {
        for bad in ["javascript:alert(1)", "data:text/html,hi", "ftp://shop.example/x", "blob:https://shop.example/1"] {
            assert!(url(bad).check_return(PAGE, &[PAGE.to_owned()]).is_err(), "{bad}");
        }
        assert!(url("https://user:pw@shop.example/x").check_return(PAGE, &[]).is_err());
    }

    #[test]
    fn plain_http_elsewhere_only_on_loopback() {
        let allowed = ["http://partner.example".to_owned(), "http://127.0.0.1:9000".to_owned()];
        assert!(url("http://partner.example/x").check_return(PAGE, &allowed).is_err());
        assert_eq!(url("http://127.0.0.1:9000/x").check_return(PAGE, &allowed), Ok(()));
    }

    #[test]
    fn loopback_hosts() {
        for host in [
            "http://localhost:1/",
            "http://127.0.0.1/",
            "http://127.255.1.9/",
            "http://[::1]:8080/",
            "http://a.localhost/",
        ] {
            assert!(url(host).is_loopback(), "{host}");
        }
        for host in [
            "http://127.0.0.1.evil.example/",
            "http://128.0.0.1/",
            "http://localhost.evil.example/",
            "http://[::2]/",
            "http://127.1/",
            "http://127.0.0.256/",
            "http://127.0..1/",
            "http://127.0.0.1./",
            "http://127.0.0.0001/",
        ] {
            assert!(!url(host).is_loopback(), "{host}");
        }
    }

    #[test]
    fn allowed_origins_are_normalized_and_checked() {
        assert_eq!(url("https://pay.example/some/path").check_allowed_origin(), Ok("https://pay.example".to_owned()));
        assert!(url("http://pay.example").check_allowed_origin().is_err());
        assert!(url("javascript:void(0)").check_allowed_origin().is_err());
        assert_eq!(url("http://localhost:8080").check_allowed_origin(), Ok("http://localhost:8080".to_owned()));
    }

    #[test]
    fn payment_request_urls_must_be_https_or_loopback() {
        assert_eq!(url("https://pay.test.klarna.com/eu/r/1").check_payment_request_url(), Ok(()));
        assert_eq!(url("http://127.0.0.1:4100/journey/1").check_payment_request_url(), Ok(()));
        for bad in
            ["http://pay.klarna.example/r/1", "javascript:alert(1)", "data:text/html,x", "https://u:p@pay.klarna.com/"]
        {
            assert!(url(bad).check_payment_request_url().is_err(), "{bad}");
        }
    }

    #[test]
    fn payment_request_ids_must_look_like_klarna_ids() {
        assert_eq!(check_payment_request_id("krn:payment:eu1:request:552603c0-fe8b-4ab1-aacb-41d55fafbdb4"), Ok(()));
        let too_long = format!("krn:{}", "a".repeat(MAX_PAYMENT_REQUEST_ID_LEN));
        for bad in ["", "krn:", "urn:payment:1", "krn:a b", "krn:a\nb", "krn:a\u{7f}", "krn:é", too_long.as_str()] {
            assert!(check_payment_request_id(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn endpoints_must_be_web_urls() {
        assert_eq!(url("https://shop.example/api/authorize").check_endpoint(), Ok(()));
        assert!(url("javascript:fetch()").check_endpoint().is_err());
        assert!(url("https://a:b@shop.example/api").check_endpoint().is_err());
    }
}
