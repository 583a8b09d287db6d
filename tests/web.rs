//! The package in real browsers (headless Chromium and Firefox, via `wasm-pack test`).
//!
//! Each test runs one scenario of `tests/browser/scenarios.js`, written against the
//! package's JavaScript API, with the real `buttonConfig` and a fake `fetch` that shapes
//! the backend's replies; `crossOriginBackend` talks to a real backend on another origin,
//! `tests/browser/cors_backend.mjs`, whose URL `scripts/browser-tests.sh` passes in
//! `KLARNA_TEST_CORS_BACKEND` when the tests are compiled.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::panic, reason = "a wasm-bindgen test fails by panicking")]

use klarna_payment_button::button_config;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/tests/browser/scenarios.js")]
extern "C" {
    #[wasm_bindgen(js_name = runScenario)]
    fn run_scenario(name: &str, button_config: &JsValue, backend: Option<&str>) -> js_sys::Promise;
}

#[wasm_bindgen(module = "/tests/browser/fake_fetch.js")]
extern "C" {
    #[wasm_bindgen(js_name = installFakeFetch)]
    fn install_fake_fetch();
}

async fn scenario(name: &str) {
    install_fake_fetch();
    let button_config =
        Closure::<dyn Fn(JsValue) -> JsValue>::new(|endpoint| JsValue::from(button_config(endpoint))).into_js_value();
    let backend = option_env!("KLARNA_TEST_CORS_BACKEND");
    if let Err(error) = JsFuture::from(run_scenario(name, &button_config, backend)).await {
        let stack = js_sys::Reflect::get(&error, &"stack".into()).ok().and_then(|s| s.as_string());
        let message = js_sys::Reflect::get(&error, &"message".into()).ok().and_then(|s| s.as_string());
        panic!("scenario {name} failed: {}\n{}", message.unwrap_or_default(), stack.unwrap_or_default());
    }
}

macro_rules! scenarios {
    ($($test:ident),* $(,)?) => {
        $(
            #[wasm_bindgen_test]
            async fn $test() {
                scenario(stringify!($test)).await
            }
        )*
    };
}

#[allow(non_snake_case)]
mod each {
    use super::*;

    scenarios!(
        outcomeTable,
        declineWithoutUrlRejects,
        handoffByUrl,
        requestIdInStateContext,
        forwarding,
        noParams,
        doubleClick,
        timeout,
        fastReplyClearsTheTimer,
        fetchThatThrows,
        fetchThatIgnoresAbort,
        doubleClickOnAFailingAttempt,
        correctedSetterCalls,
        asyncOnOutcomeThatRejects,
        networkError,
        httpErrors,
        invalidReplies,
        oversizedReplies,
        unsafeHandoffs,
        configErrors,
        badInitiateParams,
        builderIsPlainJavaScript,
        onOutcomeThatThrows,
        leakedStringTokenStaysOut,
        allowedReturnOrigin,
        signalAbortsTheClick,
        credentialsReachFetch,
        replyFromAnotherRealm,
        crossOriginBackend,
    );
}
