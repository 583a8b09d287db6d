//! Which of the configured keys signed a webhook: keys are chosen by `Klarna-Signing-Key-Id`
//! (a bare key is tried for any id), and each comparison is constant-time.

use crate::config::SigningKey;

/// Whether `signature` is a valid `Klarna-Signature` of `body` under one of `keys` that may
/// sign for `key_id`.
pub fn verify(keys: &[SigningKey], key_id: Option<&str>, body: &[u8], signature: &str) -> bool {
    keys.iter()
        .filter(|key| key.id.is_none() || key.id.as_deref() == key_id)
        .fold(false, |found, key| klarna_api::webhook::verify(key.key.as_bytes(), body, signature) | found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: Option<&str>, key: &str) -> SigningKey {
        SigningKey { id: id.map(str::to_owned), key: key.to_owned() }
    }

    #[test]
    fn keys_answer_only_to_their_id_bare_keys_to_any() {
        let body = br#"{"metadata":{},"payload":{}}"#;
        let signed = klarna_api::webhook::sign(b"key-one-0123456789", body);
        let keys = [key(Some("one"), "key-one-0123456789"), key(Some("two"), "key-two-0123456789")];
        assert!(verify(&keys, Some("one"), body, &signed));
        assert!(!verify(&keys, Some("two"), body, &signed), "a key answers only to its own id");
        assert!(!verify(&keys, None, body, &signed));
        let bare = [key(None, "key-one-0123456789")];
        assert!(verify(&bare, Some("whatever"), body, &signed));
        assert!(!verify(&bare, Some("one"), b"{}", &signed));
        assert!(!verify(&[], Some("one"), body, &signed));
    }
}
