//! Every conversion between JavaScript values and the pure core, in one thin module.

use js_sys::{Array, Function, Object, Reflect, JSON};
use klarna_api::OutcomeKind;
use wasm_bindgen::prelude::*;

use crate::builder::{ButtonOptions, Page, Plan};
use crate::classify::{Classified, Json};
use crate::error::{ButtonError, ErrorCode};
use crate::handoff::Handoff;
use crate::url_policy::{check_payment_request_id, UrlParts};

#[wasm_bindgen]
extern "C" {
    /// The global `fetch`; a synchronous throw (from a wrapper, say) becomes an `Err`.
    #[wasm_bindgen(catch, js_name = fetch)]
    pub fn fetch(input: &str, init: &web_sys::RequestInit) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(catch, js_namespace = Object, js_name = getOwnPropertyDescriptor)]
    fn own_property(object: &JsValue, key: &str) -> Result<JsValue, JsValue>;
}

/// `stream.getReader()`; a locked stream becomes an `Err`.
pub fn reader(stream: &JsValue) -> Result<JsValue, JsValue> {
    let get_reader: Function = Reflect::get(stream, &JsValue::from_str("getReader"))?.dyn_into()?;
    get_reader.call0(stream)
}

/// Calls `callback(argument)`, ignoring what it throws, and what its promise rejects with.
pub fn call_ignoring_errors(callback: &Function, argument: &JsValue) {
    let Ok(returned) = callback.call1(&JsValue::UNDEFINED, argument) else { return };
    if let Some(promise) = returned.dyn_ref::<js_sys::Promise>() {
        let ignore = Closure::once_into_js(|_: JsValue| {});
        let _ = Reflect::get(promise, &JsValue::from_str("catch"))
            .ok()
            .and_then(|catch| catch.dyn_into::<Function>().ok())
            .map(|catch| catch.call1(promise, &ignore));
    }
}

/// Sets `object[key] = value`; setting a property of a fresh plain object cannot fail.
pub fn set(object: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(object, &JsValue::from_str(key), value);
}

fn set_opt(object: &Object, key: &str, value: Option<&str>) {
    if let Some(value) = value {
        set(object, key, &JsValue::from_str(value));
    }
}

/// `JSON.parse(text)`, or `None` when it is not JSON.
pub fn parse_json(text: &str) -> Option<JsValue> {
    JSON::parse(text).ok()
}

impl Json for JsValue {
    fn member(&self, key: &str) -> Option<Self> {
        if !Json::is_object(self) {
            return None;
        }
        // Own properties only: a page that added to Object.prototype cannot inject fields.
        let descriptor = own_property(self, key).ok().filter(JsValue::is_object)?;
        Reflect::get(&descriptor, &JsValue::from_str("value")).ok()
    }

    fn string(&self) -> Option<String> {
        self.as_string()
    }

    fn is_object(&self) -> bool {
        JsValue::is_object(self) && !Array::is_array(self)
    }

    fn is_null(&self) -> bool {
        JsValue::is_null(self)
    }
}

/// `JSON.stringify(value)`, or `None` when it throws or gives `undefined`.
pub fn to_json(value: &JsValue) -> Option<String> {
    JSON::stringify(value).ok().and_then(|json| JsValue::from(json).as_string())
}

/// An array of strings, or `None` for anything else.
pub fn string_list(value: &JsValue) -> Option<Vec<String>> {
    if !Array::is_array(value) {
        return None;
    }
    Array::from(value).iter().map(|item| item.as_string()).collect()
}

/// Splits a URL with the browser's own parser; `base` resolves relative input.
pub fn parse_url(input: &str, base: Option<&str>) -> Option<UrlParts> {
    let url = match base {
        Some(base) => web_sys::Url::new_with_base(input, base),
        None => web_sys::Url::new(input),
    }
    .ok()?;
    Some(UrlParts {
        href: url.href(),
        protocol: url.protocol(),
        hostname: url.hostname(),
        origin: url.origin(),
        has_credentials: !url.username().is_empty() || !url.password().is_empty(),
    })
}

/// The page the package runs on.
pub struct BrowserPage {
    href: String,
    origin: String,
}

impl BrowserPage {
    /// The current page, or `None` outside a browser window.
    pub fn current() -> Option<Self> {
        let location = web_sys::window()?.location();
        Some(Self { href: location.href().ok()?, origin: location.origin().ok()? })
    }
}

impl Page for BrowserPage {
    fn origin(&self) -> &str {
        &self.origin
    }

    fn resolve(&self, input: &str) -> Option<UrlParts> {
        parse_url(input, Some(&self.href))
    }

    fn parse_absolute(&self, input: &str) -> Option<UrlParts> {
        parse_url(input, None)
    }
}

fn bad_params(message: &str) -> ButtonError {
    ButtonError::new(ErrorCode::Config, message)
}

/// The JSON body of the POST (spec A2) from what the SDK passed to `initiate`.
pub fn request_body(params: &JsValue, context_json: Option<&str>) -> Result<String, ButtonError> {
    let body = Object::new();
    if params.is_object() {
        for (from, to) in
            [("klarnaNetworkSessionToken", "klarna_network_session_token"), ("paymentOptionId", "payment_option_id")]
        {
            let value = Reflect::get(params, &JsValue::from_str(from))
                .map_err(|_| bad_params("initiate could not read its parameters"))?;
            if value.is_string() {
                set(&body, to, &value);
            } else if !value.is_undefined() && !value.is_null() {
                return Err(bad_params(&format!("initiate: {from} must be a string")));
            }
        }
        let acquiring = Reflect::get(params, &JsValue::from_str("acquiringConfig"))
            .map_err(|_| bad_params("initiate could not read its parameters"))?;
        if acquiring.is_object() {
            set(&body, "acquiring_config", &acquiring);
        } else if !acquiring.is_undefined() && !acquiring.is_null() {
            return Err(bad_params("initiate: acquiringConfig must be an object"));
        }
    } else if !params.is_undefined() && !params.is_null() {
        return Err(bad_params("initiate takes the SDK's parameter object, or nothing"));
    }
    if let Some(context) = context_json {
        let context = JSON::parse(context).map_err(|_| bad_params("context is not JSON"))?;
        set(&body, "context", &context);
    }
    to_json(&body).ok_or_else(|| bad_params("initiate: acquiringConfig is not JSON-serializable"))
}

/// The object handed to Klarna's SDK; `None` for a decline with nowhere to go.
pub fn handoff_object(handoff: &Handoff) -> Option<JsValue> {
    let (key, value) = match handoff {
        Handoff::PaymentRequestId(id) => ("paymentRequestId", id),
        Handoff::PaymentRequestUrl(url) => ("paymentRequestUrl", url),
        Handoff::ReturnUrl(url) => ("returnUrl", url),
        Handoff::Declined => return None,
    };
    let object = Object::new();
    set(&object, key, &JsValue::from_str(value));
    Some(object.into())
}

/// The object `onOutcome` receives. It is built from results and ids only, so a customer
/// token leaked by a backend can never reach it.
pub fn outcome_object(classified: &Classified) -> JsValue {
    let Classified { outcome, reply } = classified;
    let name = |result: Option<klarna_api::AuthorizationResult>| match result {
        Some(result) => JsValue::from_str(result.as_str()),
        None => JsValue::NULL,
    };
    let object = Object::new();
    set(&object, "kind", &JsValue::from_str(outcome.kind.as_str()));
    set(&object, "payment", &name(reply.payment_result()));
    set(&object, "token", &name(reply.token_result()));
    let notice = outcome.notice.map_or(JsValue::NULL, |notice| JsValue::from_str(notice.as_str()));
    set(&object, "notice", &notice);
    set_opt(&object, "paymentTransactionId", reply.payment_transaction_id());
    if outcome.kind == OutcomeKind::StepUp {
        let id = reply.payment_request.as_ref().and_then(|request| request.id());
        set_opt(&object, "paymentRequestId", id.filter(|id| check_payment_request_id(id).is_ok()));
    }
    object.into()
}

/// The plain object for `paymentButton.component(config)`: `initiate`, `initiationMode`
/// and the button options that were set, nothing else.
pub fn sdk_config(plan: &Plan, initiate: &JsValue) -> JsValue {
    let object = Object::new();
    set(&object, "initiate", initiate);
    set(&object, "initiationMode", &JsValue::from_str(plan.initiation_mode.as_str()));
    let ButtonOptions { shape, theme, locale, intents, logo_alignment, id } = &plan.button;
    set_opt(&object, "shape", shape.as_deref());
    set_opt(&object, "theme", theme.as_deref());
    set_opt(&object, "locale", locale.as_deref());
    if let Some(intents) = intents {
        let list: Array = intents.iter().map(|intent| JsValue::from_str(intent)).collect();
        set(&object, "intents", &list);
    }
    set_opt(&object, "logoAlignment", logo_alignment.as_deref());
    set_opt(&object, "id", id.as_deref());
    object.into()
}
