//! One click: single flight, a fresh idempotency key, then transport, classify, hand-off.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Function, Promise};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::future_to_promise;

use crate::builder::Plan;
use crate::classify::{classify, Classified};
use crate::error::{ButtonError, ErrorCode};
use crate::handoff::hand_off;
use crate::js;
use crate::transport;

/// How long past its timeout a pending attempt is given up on.
const STUCK_AFTER_TIMEOUT_MS: f64 = 5_000.0;

/// The state behind one built config's `initiate`.
pub struct Click {
    plan: Plan,
    on_outcome: Option<Function>,
    /// The attempt in flight and when it started; further clicks get the same promise.
    pending: Cell<Option<(Promise, f64)>>,
}

impl Click {
    /// The state for a checked plan and its optional `onOutcome` callback.
    pub fn new(plan: Plan, on_outcome: Option<Function>) -> Rc<Self> {
        Rc::new(Self { plan, on_outcome, pending: Cell::new(None) })
    }

    /// The checked plan this click follows.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// `initiate(params)`: the pending attempt's promise, or a new attempt. An attempt still
    /// pending well past its timeout is given up on (something outside threw or never
    /// answered), so the button can never stay stuck.
    pub fn start(self: &Rc<Self>, params: JsValue) -> Promise {
        let now = js_sys::Date::now();
        if let Some((pending, started)) = self.pending.take() {
            if now - started <= f64::from(self.plan.timeout_ms) + STUCK_AFTER_TIMEOUT_MS {
                self.pending.set(Some((pending.clone(), started)));
                return pending;
            }
        }
        let click = Rc::clone(self);
        let promise = future_to_promise(async move {
            let result = click.attempt(&params).await;
            click.pending.set(None);
            result.map_err(ButtonError::into_js)
        });
        self.pending.set(Some((promise.clone(), now)));
        promise
    }

    async fn attempt(&self, params: &JsValue) -> Result<JsValue, ButtonError> {
        let body = js::request_body(params, self.plan.context_json.as_deref())?;
        let key = idempotency_key()?;
        let reply = transport::post(&self.plan, &key, &body).await?;
        let classified = classify(reply.status, &reply.body, js::parse_json)?;
        let handoff = hand_off(&classified, &self.plan, |url| js::parse_url(url, None))?;
        self.notify(&classified);
        js::handoff_object(&handoff).ok_or_else(declined)
    }

    /// Tells `onOutcome`; whatever the callback does (throw, reject), the result stays the same.
    fn notify(&self, classified: &Classified) {
        if let Some(callback) = &self.on_outcome {
            js::call_ignoring_errors(callback, &js::outcome_object(classified));
        }
    }
}

fn declined() -> ButtonError {
    ButtonError::new(ErrorCode::Declined, "Klarna declined the payment and no declineUrl is configured")
}

/// A fresh random UUID (v4) from the browser's `crypto.getRandomValues`.
fn idempotency_key() -> Result<String, ButtonError> {
    let no_random = |_| ButtonError::new(ErrorCode::Config, "this browser has no crypto.getRandomValues");
    let window =
        web_sys::window().ok_or_else(|| ButtonError::new(ErrorCode::Config, "initiate needs a browser window"))?;
    let crypto = window.crypto().map_err(no_random)?;
    let mut bytes = [0u8; 16];
    crypto.get_random_values_with_u8_array(&mut bytes).map_err(no_random)?;
    Ok(format_key(bytes))
}

/// Formats 16 random bytes as a lowercase hyphenated v4 UUID.
fn format_key(bytes: [u8; 16]) -> String {
    let uuid = uuid::Builder::from_random_bytes(bytes).into_uuid();
    uuid.hyphenated().encode_lower(&mut uuid::Uuid::encode_buffer()).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_v4_uuids() {
        let key = format_key([0xff; 16]);
        assert_eq!(key.len(), 36);
        assert_eq!(key.as_bytes()[14], b'4', "{key}");
        assert!(matches!(key.as_bytes()[19], b'8' | b'9' | b'a' | b'b'), "{key}");
        assert_ne!(format_key([1; 16]), format_key([2; 16]));
    }
}
