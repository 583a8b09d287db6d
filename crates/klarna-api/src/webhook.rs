//! Klarna's signed webhooks (spec B5): the envelope and the signature.
//!
//! The signature is the HMAC-SHA256 of the raw body with the signing key, in
//! `Klarna-Signature`; `Klarna-Signing-Key-Id` names the key. Klarna does not document the
//! digest's encoding: a plugin maintained for Klarna compares lowercase hex, other code uses
//! base64. [`sign`] writes hex, [`sign_with`] either; [`verify`] accepts both.

use alloc::string::String;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// Webhook headers.
pub mod headers {
    /// HMAC-SHA256 of the raw body, hex or base64.
    pub const SIGNATURE: &str = "Klarna-Signature";
    /// The id of the signing key used.
    pub const SIGNING_KEY_ID: &str = "Klarna-Signing-Key-Id";
}

/// One webhook delivery's body. `P` is the payload, a [`crate::PaymentRequest`] for
/// `payment.request.state-change.*` events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookEvent<P> {
    /// What happened, and to whom.
    pub metadata: WebhookMetadata,
    /// The resource as it is after the event.
    pub payload: P,
}

/// `metadata` of a webhook event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookMetadata {
    /// Such as `payment.request.state-change.completed`.
    pub event_type: String,
    /// Unique per event; redeliveries repeat it, so handle each id once.
    pub event_id: String,
    /// `v2`.
    pub event_version: String,
    /// When it happened (RFC 3339).
    pub occurred_at: String,
    /// The account the event is about.
    pub subject_account_id: String,
    /// The account the event is delivered to.
    pub recipient_account_id: String,
    /// The product instance, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_instance_id: Option<String>,
    /// The subscription that delivered it.
    pub webhook_id: String,
    /// Whether it comes from the live environment.
    pub live: bool,
    /// The correlation id of the request that caused it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
}

fn mac(signing_key: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length, so this never fails.
    match <Hmac<Sha256> as Mac>::new_from_slice(signing_key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    }
}

/// How the digest is written in `Klarna-Signature`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SignatureEncoding {
    /// Lowercase hexadecimal, 64 characters (what a plugin maintained for Klarna compares).
    #[default]
    Hex,
    /// Standard base64 with padding, 44 characters.
    Base64,
}

/// The `Klarna-Signature` of `body` in lowercase hex: HMAC-SHA256 with `signing_key`.
pub fn sign(signing_key: &[u8], body: &[u8]) -> String {
    sign_with(signing_key, body, SignatureEncoding::Hex)
}

/// The `Klarna-Signature` of `body` in `encoding`.
pub fn sign_with(signing_key: &[u8], body: &[u8], encoding: SignatureEncoding) -> String {
    let mut mac = mac(signing_key);
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    match encoding {
        SignatureEncoding::Hex => {
            const DIGITS: &[u8; 16] = b"0123456789abcdef";
            let mut hex = String::with_capacity(64);
            for byte in digest {
                for nibble in [byte >> 4, byte & 0x0f] {
                    hex.push(char::from(DIGITS.get(usize::from(nibble)).copied().unwrap_or(b'0')));
                }
            }
            hex
        }
        SignatureEncoding::Base64 => base64::engine::general_purpose::STANDARD.encode(digest),
    }
}

/// The 32 bytes of a 64-character hex digest (either case).
fn from_hex(text: &str) -> Option<[u8; 32]> {
    let digits = text.as_bytes();
    if digits.len() != 64 {
        return None;
    }
    let value = |digit: u8| char::from(digit).to_digit(16).and_then(|v| u8::try_from(v).ok());
    let mut bytes = [0u8; 32];
    for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
        let (high, low) = match pair {
            [high, low] => (value(*high)?, value(*low)?),
            _ => return None,
        };
        *byte = (high << 4) | low;
    }
    Some(bytes)
}

/// Whether `signature` (hex or base64) is the HMAC-SHA256 of `body` with `signing_key`.
/// The comparison is constant-time.
pub fn verify(signing_key: &[u8], body: &[u8], signature: &str) -> bool {
    let signature = signature.trim();
    let expected = match from_hex(signature) {
        Some(bytes) => bytes.to_vec(),
        None => match base64::engine::general_purpose::STANDARD.decode(signature) {
            Ok(bytes) => bytes,
            Err(_) => return false,
        },
    };
    let mut mac = mac(signing_key);
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
    const RFC_4231_2: &str = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";

    #[test]
    fn signs_like_rfc_4231_case_2_in_hex_and_base64() {
        assert_eq!(sign(b"Jefe", b"what do ya want for nothing?"), RFC_4231_2);
        let encoded = sign_with(b"Jefe", b"what do ya want for nothing?", SignatureEncoding::Base64);
        assert_eq!(encoded, "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=");
        assert_eq!(from_hex(RFC_4231_2).map(|b| base64::engine::general_purpose::STANDARD.encode(b)), Some(encoded));
    }

    #[test]
    fn verifies_either_encoding_and_only_the_right_signature() {
        let body = br#"{"metadata":{},"payload":{}}"#;
        for encoding in [SignatureEncoding::Hex, SignatureEncoding::Base64] {
            let signature = sign_with(b"key-1", body, encoding);
            assert!(verify(b"key-1", body, &signature), "{encoding:?}");
            assert!(verify(b"key-1", body, &alloc::format!(" {signature}\t")), "{encoding:?} with spaces");
            assert!(!verify(b"key-2", body, &signature), "{encoding:?}");
            assert!(!verify(b"key-1", b"{}", &signature), "{encoding:?}");
        }
        let hex = sign(b"key-1", body);
        assert!(verify(b"key-1", body, &hex.to_ascii_uppercase()), "upper-case hex");
        let mut wrong = hex.clone();
        wrong.replace_range(63.., if hex.ends_with('0') { "1" } else { "0" });
        assert!(!verify(b"key-1", body, &wrong));
        for bad in ["not base64!", "", "zz", &hex[..62], "g".repeat(64).as_str()] {
            assert!(!verify(b"key-1", body, bad), "{bad}");
        }
    }

    proptest::proptest! {
        /// Any key, body and signature: no panic; a signature made with the key (either form)
        /// verifies; under another key, or for a changed body, it does not.
        #[test]
        fn any_input_is_answered_and_only_the_right_signature_verifies(
            key in proptest::collection::vec(proptest::num::u8::ANY, 0..80),
            body in proptest::collection::vec(proptest::num::u8::ANY, 0..300),
            signature in "\\PC{0,100}",
        ) {
            let _ = verify(&key, &body, &signature);
            for encoding in [SignatureEncoding::Hex, SignatureEncoding::Base64] {
                let signed = sign_with(&key, &body, encoding);
                proptest::prop_assert!(verify(&key, &body, &signed));
                let mut changed = body.clone();
                changed.push(0);
                proptest::prop_assert!(!verify(&key, &changed, &signed));
                // Another key (HMAC pads short keys with zeros, so change a byte, not the length).
                if let Some((first, rest)) = key.split_first() {
                    let other: alloc::vec::Vec<u8> = core::iter::once(first ^ 1).chain(rest.iter().copied()).collect();
                    proptest::prop_assert!(!verify(&other, &body, &signed));
                }
            }
        }
    }
}
