//! The webhook signature check on arbitrary keys, bodies and signatures: never a panic, a
//! signature made with the key (hex or base64, the two forms Klarna's pages show) always
//! verifies, and a changed body never does.
#![no_main]

use klarna_api::webhook::{sign_with, verify, SignatureEncoding};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (&[u8], &[u8], &str)| {
    let (key, body, signature) = input;
    let _ = verify(key, body, signature);
    for encoding in [SignatureEncoding::Hex, SignatureEncoding::Base64] {
        let signed = sign_with(key, body, encoding);
        assert!(verify(key, body, &signed));
        let mut changed = body.to_vec();
        changed.push(0);
        assert!(!verify(key, &changed, &signed));
    }
});
