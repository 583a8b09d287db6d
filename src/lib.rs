//! Klarna Payment Button glue for Acquiring Partners.
//!
//! `buttonConfig(endpoint)…build()` gives the object Klarna's Web SDK takes in
//! `paymentPresentation.paymentButton.component(config)`. Its `initiate` POSTs to the
//! partner backend, which calls Klarna's Payment Authorize API, and turns the reply into
//! `{paymentRequestId}`, `{paymentRequestUrl}` or `{returnUrl}`, or a `KlarnaButtonError`.
//!
//! One click: `src/click.js` (the plumbing: single flight, the POST, its timer and abort
//! signal, reading the reply) asks [`initiate`] for the body and the key, and hands it the
//! reply or the failure; [`initiate`] runs [`classify`] and [`handoff`] and makes every
//! error. [`builder`], [`classify`], [`handoff`] and [`url_policy`] are pure Rust; [`js`]
//! does every conversion to and from JavaScript values; this file is the `#[wasm_bindgen]`
//! surface only.
//!
//! The shipped module is `no_std`: without the standard library's panic machinery no
//! formatting code is linked, and a panic (none is reachable from input) is a bare trap.
#![cfg_attr(all(target_arch = "wasm32", not(feature = "std")), no_std)]

extern crate alloc;

use alloc::borrow::ToOwned;
use alloc::rc::Rc;
use alloc::string::String;
use core::cell::RefCell;

use js_sys::Function;
use wasm_bindgen::prelude::*;

pub mod builder;
pub mod classify;
pub mod error;
pub mod handoff;
pub mod initiate;
pub mod js;
pub mod url_policy;

#[cfg(all(test, not(target_arch = "wasm32")))]
mod properties;

use builder::Settings;
use error::{ButtonError, ErrorCode};

#[cfg(target_arch = "wasm32")]
#[global_allocator]
// SAFETY: the package is built for wasm32 without atomics: one thread, so the allocator is
// never entered from two threads at once.
static ALLOCATOR: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };

/// Without the standard library a panic stops the instance at once (as `panic = "abort"`
/// does with it), without formatting a message nobody would read.
#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** How Klarna's SDK launches the purchase journey. */
export type InitiationMode = "DEVICE_BEST" | "ON_PAGE" | "REDIRECT" | "POPUP";
/** What a step-up hands to the SDK. */
export type Handoff = "paymentRequestId" | "paymentRequestUrl";
/** Whether the request carries cookies: `fetch`'s `credentials`. */
export type Credentials = "omit" | "same-origin" | "include";
/** The button's shape. */
export type ButtonShape = "default" | "pill" | "rect";
/** The button's theme. */
export type ButtonTheme = "default" | "light" | "dark" | "outlined";
/** Where the Klarna logo sits on the button. */
export type LogoAlignment = "default" | "left" | "center";
/** What the shopper is doing. */
export type Intent = "PAY" | "SUBSCRIBE" | "SIGNUP" | "SIGNIN" | "DONATE" | "ADD_TO_WALLET";
/** Any JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
/** `T` when `JSON.stringify` keeps all of it: a `JsonValue`, or an interface or tuple of them;
 * `never` for a function, a `Map`, a `Set`, a `Date`, a bigint or `undefined`, at any depth. */
export type JsonOf<T> = T extends JsonValue ? T
  : T extends bigint | symbol | undefined | Function | Map<unknown, unknown> | Set<unknown> | Date | RegExp ? never
  : T extends readonly unknown[] ? { [K in keyof T]: JsonOf<T[K]> }
  : T extends object ? { [K in keyof T]: JsonOf<T[K]> }
  : never;
export interface ButtonConfigBuilder {
  /** Any JSON value, sent to the backend as `context` (copied now; later changes to the
   * object are not sent). */
  context<T>(value: T & JsonOf<T>): ButtonConfigBuilder;
}
/** The acquiring account the SDK names, passed through to the backend. */
export type AcquiringConfig =
  | { paymentAccountReference: string; paymentAcquiringAccountId: string }
  | { paymentAccountId: string };
/** What Klarna's SDK passes to `initiate`. */
export interface InitiateParams {
  klarnaNetworkSessionToken?: string;
  paymentOptionId?: string;
  acquiringConfig?: AcquiringConfig;
}
/** What `initiate` resolves to: a step-up hand-off, or where to send the shopper. */
export type InitiateResult = { paymentRequestId: string } | { paymentRequestUrl: string } | { returnUrl: string };
/** The object for `paymentPresentation.paymentButton.component(config)`. */
export interface KlarnaButtonConfig {
  initiate(params?: InitiateParams): Promise<InitiateResult>;
  initiationMode: InitiationMode;
  shape?: ButtonShape;
  theme?: ButtonTheme;
  locale?: string;
  intents?: Intent[];
  logoAlignment?: LogoAlignment;
  id?: string;
}
/** A result of Klarna's Payment Authorize API. */
export type AuthorizationResult = "APPROVED" | "STEP_UP_REQUIRED" | "DECLINED";
/** Something to tell the shopper beside the outcome. */
export type OutcomeNotice = "TOKEN_NOT_CREATED" | "PURCHASE_FAILED_TOKEN_CREATED";
/** What `onOutcome` receives before `initiate` settles. Never carries a customer token. */
export interface ButtonOutcome {
  kind: "STEP_UP" | "SUCCESS" | "DECLINE";
  payment: AuthorizationResult | null;
  token: AuthorizationResult | null;
  notice: OutcomeNotice | null;
  paymentTransactionId?: string;
  paymentRequestId?: string;
}
/** The stable `code` of a `KlarnaButtonError`. */
export type KlarnaButtonErrorCode =
  | "CONFIG" | "NETWORK" | "TIMEOUT" | "ABORTED" | "HTTP" | "INVALID_RESPONSE" | "DECLINED" | "UNSAFE_URL";
"#;

/// Starts a button configuration whose `initiate` POSTs to `endpoint`, your backend's
/// authorize route (resolved against the page).
#[wasm_bindgen(js_name = buttonConfig)]
pub fn button_config(#[wasm_bindgen(unchecked_param_type = "string")] endpoint: JsValue) -> ButtonConfigBuilder {
    let builder = ButtonConfigBuilder { draft: Rc::default() };
    builder.text(endpoint, "buttonConfig's endpoint", |s| &mut s.endpoint)
}

/// The version of this package, for bug reports.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// What the setters recorded: the pure settings, and the JavaScript values kept as given.
#[derive(Default)]
struct Draft {
    settings: Settings,
    context: Option<JsValue>,
    on_outcome: Option<Function>,
    signal: Option<JsValue>,
}

/// The builder `buttonConfig` returns. Every setter changes this builder and returns a
/// handle to it (a new JavaScript object over the same state), so both chaining and
/// `b.declineUrl(x); b.build()` work.
#[wasm_bindgen]
#[derive(Clone)]
pub struct ButtonConfigBuilder {
    draft: Rc<RefCell<Draft>>,
}

impl ButtonConfigBuilder {
    /// Runs `change` on the draft and hands back a handle to the same builder. No JavaScript
    /// runs while the draft is borrowed, so the borrow always succeeds.
    fn with(&self, change: impl FnOnce(&mut Draft)) -> Self {
        if let Ok(mut draft) = self.draft.try_borrow_mut() {
            change(&mut draft);
        }
        self.clone()
    }

    /// Records `value` (`Some`) for `setter`, or the setter's `problem` with it (`None`).
    fn record<T>(
        &self,
        setter: &'static str,
        value: Option<T>,
        problem: &str,
        keep: impl FnOnce(&mut Draft, T),
    ) -> Self {
        self.with(|draft| match value {
            Some(value) => {
                draft.settings.accept(setter);
                keep(draft, value);
            }
            None => draft.settings.reject(setter, problem),
        })
    }

    fn text(&self, value: JsValue, setter: &'static str, slot: fn(&mut Settings) -> &mut Option<String>) -> Self {
        let problem = error::message(&[setter, " must be a string"]);
        self.record(setter, value.as_string(), &problem, |draft, text| *slot(&mut draft.settings) = Some(text))
    }
}

#[wasm_bindgen]
impl ButtonConfigBuilder {
    /// How the SDK launches the journey: `DEVICE_BEST` (default), `ON_PAGE`, `REDIRECT`, `POPUP`.
    #[wasm_bindgen(js_name = initiationMode)]
    pub fn initiation_mode(&self, #[wasm_bindgen(unchecked_param_type = "InitiationMode")] mode: JsValue) -> Self {
        self.text(mode, "initiationMode", |s| &mut s.initiation_mode)
    }

    /// Where the shopper goes after success (required).
    #[wasm_bindgen(js_name = successUrl)]
    pub fn success_url(&self, #[wasm_bindgen(unchecked_param_type = "string")] url: JsValue) -> Self {
        self.text(url, "successUrl", |s| &mut s.success_url)
    }

    /// Where the shopper goes after a decline; without it, a decline rejects with `DECLINED`.
    #[wasm_bindgen(js_name = declineUrl)]
    pub fn decline_url(&self, #[wasm_bindgen(unchecked_param_type = "string")] url: JsValue) -> Self {
        self.text(url, "declineUrl", |s| &mut s.decline_url)
    }

    /// What a step-up hands to the SDK: `paymentRequestId` (default) or `paymentRequestUrl`.
    pub fn handoff(&self, #[wasm_bindgen(unchecked_param_type = "Handoff")] kind: JsValue) -> Self {
        self.text(kind, "handoff", |s| &mut s.handoff)
    }

    /// Aborts the request after this many milliseconds (default 30000, 100 to 120000).
    #[wasm_bindgen(js_name = timeoutMs)]
    pub fn timeout_ms(&self, #[wasm_bindgen(unchecked_param_type = "number")] ms: JsValue) -> Self {
        self.record("timeoutMs", ms.as_f64(), "timeoutMs must be a number", |draft, ms| {
            draft.settings.timeout_ms = Some(ms);
        })
    }

    /// Whether the request carries cookies (`fetch`'s `credentials`): `omit`, `same-origin`
    /// (default) or `include` (a backend on another origin that reads its cookies).
    pub fn credentials(&self, #[wasm_bindgen(unchecked_param_type = "Credentials")] mode: JsValue) -> Self {
        self.text(mode, "credentials", |s| &mut s.credentials)
    }

    /// Adds a request header, such as a CSRF token (repeatable; a later value replaces).
    pub fn header(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] name: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] value: JsValue,
    ) -> Self {
        let (name, value) = (name.as_string(), value.as_string());
        self.with(|draft| match (name, value) {
            (Some(name), Some(value)) => draft.settings.header(name, value),
            _ => draft.settings.reject("header", "header takes a name and a value, both strings"),
        })
    }

    /// Any JSON value, sent to the backend as `context` (copied now; later changes to the
    /// object are not sent). Typed in the custom section above, as JSON only.
    #[wasm_bindgen(skip_typescript)]
    pub fn context(&self, value: JsValue) -> Self {
        self.record("context", js::json_copy(&value), "context must be a JSON value", |draft, copy| {
            draft.context = Some(copy);
        })
    }

    /// Allows return URLs on another origin, such as `https://shop.example` (repeatable).
    #[wasm_bindgen(js_name = allowReturnOrigin)]
    pub fn allow_return_origin(&self, #[wasm_bindgen(unchecked_param_type = "string")] origin: JsValue) -> Self {
        let origin = origin.as_string();
        self.with(|draft| match origin {
            Some(origin) => draft.settings.allowed_origins.push(origin),
            None => draft.settings.reject("allowReturnOrigin", "allowReturnOrigin takes an origin string"),
        })
    }

    /// Called with the outcome before `initiate` settles; what it throws is ignored.
    #[wasm_bindgen(js_name = onOutcome)]
    pub fn on_outcome(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(outcome: ButtonOutcome) => void")] callback: JsValue,
    ) -> Self {
        let callback = callback.dyn_into::<Function>().ok();
        self.record("onOutcome", callback, "onOutcome takes a function", |draft, callback| {
            draft.on_outcome = Some(callback);
        })
    }

    /// Aborting `signal` aborts the click in flight: `initiate` rejects with `ABORTED` and
    /// `onOutcome` is not called; once it is aborted, every click rejects at once, sending nothing.
    pub fn signal(&self, #[wasm_bindgen(unchecked_param_type = "AbortSignal")] signal: JsValue) -> Self {
        let signal = js::is_abort_signal(&signal).then_some(signal);
        self.record("signal", signal, "signal takes an AbortSignal", |draft, signal| draft.signal = Some(signal))
    }

    /// The button's shape: `default`, `pill` or `rect`.
    pub fn shape(&self, #[wasm_bindgen(unchecked_param_type = "ButtonShape")] shape: JsValue) -> Self {
        self.text(shape, "shape", |s| &mut s.button.shape)
    }

    /// The button's theme: `default`, `light`, `dark` or `outlined`.
    pub fn theme(&self, #[wasm_bindgen(unchecked_param_type = "ButtonTheme")] theme: JsValue) -> Self {
        self.text(theme, "theme", |s| &mut s.button.theme)
    }

    /// The button's locale, such as `en-US`.
    pub fn locale(&self, #[wasm_bindgen(unchecked_param_type = "string")] locale: JsValue) -> Self {
        self.text(locale, "locale", |s| &mut s.button.locale)
    }

    /// The button's intents, such as `["PAY"]`.
    pub fn intents(&self, #[wasm_bindgen(unchecked_param_type = "readonly Intent[]")] intents: JsValue) -> Self {
        let intents = js::string_list(&intents);
        self.record("intents", intents, "intents must be an array of strings", |draft, intents| {
            draft.settings.button.intents = Some(intents);
        })
    }

    /// Where the logo sits: `default`, `left` or `center`.
    #[wasm_bindgen(js_name = logoAlignment)]
    pub fn logo_alignment(&self, #[wasm_bindgen(unchecked_param_type = "LogoAlignment")] alignment: JsValue) -> Self {
        self.text(alignment, "logoAlignment", |s| &mut s.button.logo_alignment)
    }

    /// The button element's id.
    pub fn id(&self, #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue) -> Self {
        self.text(id, "id", |s| &mut s.button.id)
    }

    /// Checks the configuration and returns the object for `paymentButton.component(config)`.
    /// Throws a `KlarnaButtonError` with code `CONFIG` on a bad value.
    #[wasm_bindgen(unchecked_return_type = "KlarnaButtonConfig")]
    pub fn build(&self) -> Result<JsValue, JsValue> {
        let Ok(draft) = self.draft.try_borrow() else {
            return Err(config_error("the builder is in use"));
        };
        if !js::has_web_apis() {
            return Err(config_error("buttonConfig needs fetch, URL and crypto.getRandomValues"));
        }
        let plan = draft.settings.validate(&js::CurrentPage::get()).map_err(ButtonError::into_js)?;
        Ok(initiate::config(plan, draft.context.clone(), draft.on_outcome.clone(), draft.signal.clone()))
    }
}

fn config_error(message: &str) -> JsValue {
    ButtonError::new(ErrorCode::Config, message).into_js()
}
