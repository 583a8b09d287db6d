//! The package in a dedicated worker, in headless Chromium and Firefox: `build()` needs only
//! `fetch`, `URL` and `crypto` (no `window`), and resolves relative URLs against `location`.
#![cfg(target_arch = "wasm32")]

use klarna_payment_button::button_config;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_dedicated_worker);

// worker.js imports fake_fetch.js; naming it here makes wasm-bindgen ship it to this test too.
#[wasm_bindgen(module = "/tests/browser/fake_fetch.js")]
extern "C" {
    #[wasm_bindgen(js_name = installFakeFetch)]
    fn install_fake_fetch();
}

#[wasm_bindgen(module = "/tests/browser/worker.js")]
extern "C" {
    #[wasm_bindgen(js_name = clickInAWorker)]
    fn click_in_a_worker(button_config: &JsValue) -> js_sys::Promise;
}

#[wasm_bindgen_test]
async fn builds_and_clicks_without_a_window() -> Result<(), JsValue> {
    install_fake_fetch();
    let button_config =
        Closure::<dyn Fn(JsValue) -> JsValue>::new(|endpoint| JsValue::from(button_config(endpoint))).into_js_value();
    JsFuture::from(click_in_a_worker(&button_config)).await.map(drop)
}
