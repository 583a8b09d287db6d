//! Klarna's signed webhooks (spec B5): the envelope and the signature.
//!
//! The signature is the HMAC-SHA256 of the raw body with the signing key, base64-encoded, in
//! `Klarna-Signature`; `Klarna-Signing-Key-Id` names the key.

use alloc::string::String;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// Webhook headers.
pub mod headers {
    /// Base64 HMAC-SHA256 of the raw body.
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

/// The `Klarna-Signature` of `body`: base64 of HMAC-SHA256 with `signing_key`.
pub fn sign(signing_key: &[u8], body: &[u8]) -> String {
    let mut mac = mac(signing_key);
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Whether `signature` (base64) is the HMAC-SHA256 of `body` with `signing_key`.
/// The comparison is constant-time.
pub fn verify(signing_key: &[u8], body: &[u8], signature: &str) -> bool {
    let Ok(expected) = base64::engine::general_purpose::STANDARD.decode(signature.trim()) else {
        return false;
    };
    let mut mac = mac(signing_key);
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_like_rfc_4231_case_2() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let signature = sign(b"Jefe", b"what do ya want for nothing?");
        let expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        let bytes = base64::engine::general_purpose::STANDARD.decode(&signature).unwrap();
        let hex: String = bytes.iter().map(|b| alloc::format!("{b:02x}")).collect();
        assert_eq!(hex, expected);
    }

    #[test]
    fn verifies_only_the_right_signature() {
        let body = br#"{"metadata":{},"payload":{}}"#;
        let signature = sign(b"key-1", body);
        assert!(verify(b"key-1", body, &signature));
        assert!(!verify(b"key-2", body, &signature));
        assert!(!verify(b"key-1", b"{}", &signature));
        assert!(!verify(b"key-1", body, "not base64!"));
        assert!(!verify(b"key-1", body, ""));
    }
}
