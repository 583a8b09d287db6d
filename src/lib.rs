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
//! surface. The builder's setters are `src/builder.js`, which only records each call:
//! `build()` hands the calls to [`Configure::build`], which replays them here, in order.
//!
//! The shipped module is `no_std`: without the standard library's panic machinery no
//! formatting code is linked, and a panic (none is reachable from input) is a bare trap.
#![cfg_attr(all(target_arch = "wasm32", not(feature = "std")), no_std)]

extern crate alloc;

use alloc::string::String;

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
use js::{Array, Function};

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
/** The builder `buttonConfig` returns. Every setter records its call and returns this same
 * builder, so both chaining and `b.declineUrl(x); b.build()` work; `build()` checks them all. */
export class ButtonConfigBuilder {
  private constructor();
  /** How the SDK launches the journey: `DEVICE_BEST` (default), `ON_PAGE`, `REDIRECT`, `POPUP`. */
  initiationMode(mode: InitiationMode): ButtonConfigBuilder;
  /** Where the shopper goes after success (required). */
  successUrl(url: string): ButtonConfigBuilder;
  /** Where the shopper goes after a decline; without it, a decline rejects with `DECLINED`. */
  declineUrl(url: string): ButtonConfigBuilder;
  /** What a step-up hands to the SDK: `paymentRequestId` (default) or `paymentRequestUrl`. */
  handoff(kind: Handoff): ButtonConfigBuilder;
  /** Aborts the request after this many milliseconds (default 30000, 100 to 120000). */
  timeoutMs(ms: number): ButtonConfigBuilder;
  /** Whether the request carries cookies (`fetch`'s `credentials`): `omit`, `same-origin`
   * (default) or `include` (a backend on another origin that reads its cookies). */
  credentials(mode: Credentials): ButtonConfigBuilder;
  /** Adds a request header, such as a CSRF token (repeatable; a later value replaces). */
  header(name: string, value: string): ButtonConfigBuilder;
  /** Any JSON value, sent to the backend as `context` (copied now; later changes to the
   * object are not sent). */
  context<T>(value: T & JsonOf<T>): ButtonConfigBuilder;
  /** Allows return URLs on another origin, such as `https://shop.example` (repeatable). */
  allowReturnOrigin(origin: string): ButtonConfigBuilder;
  /** Called with the outcome before `initiate` settles; what it throws is ignored. */
  onOutcome(callback: (outcome: ButtonOutcome) => void): ButtonConfigBuilder;
  /** Aborting `signal` aborts the click in flight: `initiate` rejects with `ABORTED` and
   * `onOutcome` is not called; once it is aborted, every click rejects at once, sending nothing. */
  signal(signal: AbortSignal): ButtonConfigBuilder;
  /** The button's shape: `default`, `pill` or `rect`. */
  shape(shape: ButtonShape): ButtonConfigBuilder;
  /** The button's theme: `default`, `light`, `dark` or `outlined`. */
  theme(theme: ButtonTheme): ButtonConfigBuilder;
  /** The button's locale, such as `en-US`. */
  locale(locale: string): ButtonConfigBuilder;
  /** The button's intents, such as `["PAY"]`. */
  intents(intents: readonly Intent[]): ButtonConfigBuilder;
  /** Where the logo sits: `default`, `left` or `center`. */
  logoAlignment(alignment: LogoAlignment): ButtonConfigBuilder;
  /** The button element's id. */
  id(id: string): ButtonConfigBuilder;
  /** Checks the configuration and returns the object for `paymentButton.component(config)`.
   * Throws a `KlarnaButtonError` with code `CONFIG` on a bad value. */
  build(): KlarnaButtonConfig;
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

#[wasm_bindgen(module = "/src/builder.js")]
extern "C" {
    /// The builder `buttonConfig` returns (`src/builder.js`): it records each setter call for
    /// [`Configure::build`]. Typed in the custom section above.
    #[wasm_bindgen(reexport)]
    pub type ButtonConfigBuilder;

    #[wasm_bindgen(constructor)]
    fn new(configure: Configure, endpoint: &JsValue) -> ButtonConfigBuilder;
}

/// Starts a button configuration whose `initiate` POSTs to `endpoint`, your backend's
/// authorize route (resolved against the page).
#[wasm_bindgen(js_name = buttonConfig, unchecked_return_type = "ButtonConfigBuilder")]
pub fn button_config(#[wasm_bindgen(unchecked_param_type = "string")] endpoint: JsValue) -> ButtonConfigBuilder {
    ButtonConfigBuilder::new(Configure, &endpoint)
}

/// The version of this package, for bug reports.
#[wasm_bindgen(unchecked_return_type = "string")]
pub fn version() -> JsValue {
    JsValue::from_str(env!("CARGO_PKG_VERSION"))
}

/// What the setter calls recorded: the pure settings, and the JavaScript values kept as given.
#[derive(Default)]
struct Draft {
    settings: Settings,
    context: Option<JsValue>,
    on_outcome: Option<Function>,
    signal: Option<JsValue>,
}

impl Draft {
    /// Records `value` (`Some`) for `setter`, or the setter's `problem` with it (`None`).
    fn record<T>(&mut self, setter: &'static str, value: Option<T>, problem: &str, keep: impl FnOnce(&mut Self, T)) {
        match value {
            Some(value) => {
                self.settings.accept(setter);
                keep(self, value);
            }
            None => self.settings.reject(setter, problem),
        }
    }

    fn text(&mut self, value: &JsValue, setter: &'static str, slot: fn(&mut Settings) -> &mut Option<String>) {
        let problem = error::message(&[setter, " must be a string"]);
        self.record(setter, value.as_string(), &problem, |draft, text| *slot(&mut draft.settings) = Some(text));
    }

    /// Replays one setter call (numbered as `src/builder.js` numbers it) with its arguments.
    fn call(&mut self, setter: u32, a: JsValue, b: JsValue) {
        match setter {
            0 => self.text(&a, "buttonConfig's endpoint", |s| &mut s.endpoint),
            1 => self.text(&a, "initiationMode", |s| &mut s.initiation_mode),
            2 => self.text(&a, "successUrl", |s| &mut s.success_url),
            3 => self.text(&a, "declineUrl", |s| &mut s.decline_url),
            4 => self.text(&a, "handoff", |s| &mut s.handoff),
            5 => self.record("timeoutMs", a.as_f64(), "timeoutMs must be a number", |draft, ms| {
                draft.settings.timeout_ms = Some(ms);
            }),
            6 => self.text(&a, "credentials", |s| &mut s.credentials),
            7 => match (a.as_string(), b.as_string()) {
                (Some(name), Some(value)) => self.settings.header(name, value),
                _ => self.settings.reject("header", "header takes a name and a value, both strings"),
            },
            // `src/builder.js` hands over the JSON text, made when `context` was called.
            8 => self.record("context", js::parse_json(&a), "context must be a JSON value", |draft, copy| {
                draft.context = Some(copy);
            }),
            9 => match a.as_string() {
                Some(origin) => self.settings.allowed_origins.push(origin),
                None => self.settings.reject("allowReturnOrigin", "allowReturnOrigin takes an origin string"),
            },
            10 => self.record("onOutcome", a.dyn_into::<Function>().ok(), "onOutcome takes a function", |draft, f| {
                draft.on_outcome = Some(f);
            }),
            11 => {
                let signal = js::is_abort_signal(&a).then_some(a);
                self.record("signal", signal, "signal takes an AbortSignal", |draft, signal| {
                    draft.signal = Some(signal)
                });
            }
            12 => self.text(&a, "shape", |s| &mut s.button.shape),
            13 => self.text(&a, "theme", |s| &mut s.button.theme),
            14 => self.text(&a, "locale", |s| &mut s.button.locale),
            15 => self.record("intents", js::string_list(&a), "intents must be an array of strings", |draft, list| {
                draft.settings.button.intents = Some(list);
            }),
            16 => self.text(&a, "logoAlignment", |s| &mut s.button.logo_alignment),
            17 => self.text(&a, "id", |s| &mut s.button.id),
            // `src/builder.js` numbers no other setter.
            _ => {}
        }
    }
}

/// What the builder's `build()` calls: the Rust side of `src/builder.js`.
#[wasm_bindgen(skip_typescript)]
pub struct Configure;

#[wasm_bindgen]
impl Configure {
    /// Replays the setter calls the builder recorded (`setter, a, b` for each, in order),
    /// checks the configuration and returns the object for `paymentButton.component(config)`.
    /// Throws a `KlarnaButtonError` with code `CONFIG` on a bad value.
    pub fn build(&self, calls: &Array) -> Result<JsValue, JsValue> {
        let mut draft = Draft::default();
        let mut at = 0;
        while at + 2 < calls.length() {
            let setter = calls.get(at).as_f64().map_or(u32::MAX, |setter| setter as u32);
            draft.call(setter, calls.get(at + 1), calls.get(at + 2));
            at += 3;
        }
        if !js::has_web_apis() {
            let error = ButtonError::new(ErrorCode::Config, "buttonConfig needs fetch, URL and crypto.getRandomValues");
            return Err(error.into_js());
        }
        let plan = draft.settings.validate(&js::CurrentPage::get()).map_err(ButtonError::into_js)?;
        Ok(initiate::config(plan, draft.context, draft.on_outcome, draft.signal))
    }
}

#[cfg(test)]
mod tests {
    /// The setters, numbered as `Draft::call` numbers them (the endpoint of `buttonConfig` is 0).
    const SETTERS: [&str; 18] = [
        "buttonConfig",
        "initiationMode",
        "successUrl",
        "declineUrl",
        "handoff",
        "timeoutMs",
        "credentials",
        "header",
        "context",
        "allowReturnOrigin",
        "onOutcome",
        "signal",
        "shape",
        "theme",
        "locale",
        "intents",
        "logoAlignment",
        "id",
    ];

    #[test]
    fn setters_are_numbered_as_builder_js_numbers_them() {
        let source = include_str!("builder.js");
        assert!(source.contains("this.#call(0, endpoint)"));
        for (number, name) in SETTERS.iter().enumerate().skip(1) {
            let method = source.split(&format!("\n  {name}(")).nth(1).unwrap_or_default();
            let body = method.split("\n  }").next().unwrap_or_default();
            assert!(body.contains(&format!("this.#call({number}, ")), "{name} is not setter {number} in builder.js");
        }
    }
}
