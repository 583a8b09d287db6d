//! The package's URL and id policy on arbitrary parts: an answer, never a panic, and only
//! https (or http on loopback) without credentials passes as a payment request URL.
#![no_main]

use klarna_payment_button::url_policy::{check_payment_request_id, UrlParts};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (String, String, String, bool, String)| {
    let (protocol, hostname, origin, has_credentials, id) = input;
    let url = UrlParts { href: format!("{protocol}//{hostname}/"), protocol, hostname, origin, has_credentials };
    if url.check_payment_request_url().is_ok() {
        assert!(!url.has_credentials);
        assert!(url.protocol == "https:" || (url.protocol == "http:" && url.is_loopback()));
    }
    let _ = url.check_return("https://shop.example", &["http://127.0.0.1:8080".to_owned()]);
    let _ = url.check_allowed_origin();
    let _ = url.check_endpoint();
    if check_payment_request_id(&id).is_ok() {
        assert!(id.starts_with("krn:") && id.bytes().all(|b| b.is_ascii_graphic()));
    }
});
