//! Every conversion between JavaScript values and the pure core, in one thin module.

use alloc::string::String;
use alloc::vec::Vec;

use klarna_api::OutcomeKind;
use wasm_bindgen::prelude::*;

use crate::builder::{ButtonOptions, Page, Plan};
use crate::classify::{Body, Classified, Json};
use crate::error::{message, ButtonError, ErrorCode};
use crate::handoff::Handoff;
use crate::url_policy::{check_payment_request_id, UrlParts};

#[wasm_bindgen(module = "/src/click.js")]
extern "C" {
    /// `object[key]` when `object` is a JSON object owning `key`, else `undefined`.
    fn own(object: &JsValue, key: &str) -> JsValue;
    /// Calls `callback(value)`, ignoring what it throws and what its promise rejects with.
    pub fn tell(callback: &Function, value: &JsValue);
    /// Whether `value` is an AbortSignal, of any realm.
    #[wasm_bindgen(js_name = isSignal)]
    pub fn is_abort_signal(value: &JsValue) -> bool;
    /// Whether the global scope has `fetch`, `URL` and `crypto.getRandomValues`.
    #[wasm_bindgen(js_name = hasWebApis)]
    pub fn has_web_apis() -> bool;
    #[wasm_bindgen(js_name = pageHref)]
    fn page_href() -> Option<String>;
    /// `[href, protocol, hostname, origin, username, password]` of `input` as the `URL` parser
    /// reads it (against `base`), or `undefined` when it is not a URL.
    #[wasm_bindgen(js_name = urlParts)]
    fn url_parts(input: &str, base: Option<&str>) -> Option<Array>;
    /// `Reflect.set(object, key, value)`, ignoring what a page's setter throws.
    fn put(object: &JsValue, key: &str, value: &JsValue);
    /// [`put`] of a string.
    #[wasm_bindgen(js_name = put)]
    fn put_text(object: &JsValue, key: &str, value: &str);
    /// Whether the string `text` is empty or only white space.
    #[wasm_bindgen(js_name = isBlank)]
    fn is_blank(text: &JsValue) -> bool;
    /// Appends the pair `[name, value]` to `list`.
    #[wasm_bindgen(js_name = pushPair)]
    fn push_pair(list: &Array, name: &str, value: &str);
}

#[wasm_bindgen]
extern "C" {
    /// A JavaScript array.
    #[wasm_bindgen(typescript_type = "Array<any>")]
    pub type Array;
    /// `new Array()`.
    #[wasm_bindgen(constructor)]
    fn new() -> Array;
    /// `Array.isArray(value)`.
    #[wasm_bindgen(static_method_of = Array, js_name = isArray)]
    fn is_array(value: &JsValue) -> bool;
    /// `array.length`.
    #[wasm_bindgen(method, getter)]
    pub fn length(this: &Array) -> u32;
    /// `array[index]`.
    #[wasm_bindgen(method, indexing_getter)]
    pub fn get(this: &Array, index: u32) -> JsValue;
    /// `array.push(value)`.
    #[wasm_bindgen(method)]
    fn push(this: &Array, value: &JsValue) -> u32;

    /// A JavaScript function (of any realm: checked with `typeof`).
    #[wasm_bindgen(is_type_of = JsValue::is_function, typescript_type = "Function")]
    pub type Function;

    /// A plain JavaScript object.
    type Object;
    /// `new Object()`.
    #[wasm_bindgen(constructor)]
    fn new() -> Object;

    #[wasm_bindgen(catch, js_namespace = JSON, js_name = parse)]
    fn json_parse(text: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_namespace = JSON, js_name = stringify)]
    fn json_stringify(value: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_namespace = Reflect, js_name = get)]
    fn reflect_get(target: &JsValue, key: &str) -> Result<JsValue, JsValue>;

}

/// Sets `object[key] = value` on a fresh plain object.
pub fn set(object: &JsValue, key: &str, value: &JsValue) {
    put(object, key, value);
}

fn set_opt(object: &JsValue, key: &str, value: Option<&str>) {
    if let Some(value) = value {
        put_text(object, key, value);
    }
}

impl Json for JsValue {
    fn member(&self, key: &str) -> Option<Self> {
        // Own properties of objects only: a page that added to Object.prototype cannot inject fields.
        Some(own(self, key)).filter(|value| !value.is_undefined())
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

/// The reply's text as [`classify`](crate::classify::classify) reads it: `text` is
/// `undefined` when the body was not UTF-8.
pub fn read_body(text: &JsValue) -> Body<JsValue> {
    if !text.is_string() {
        return Body::NotText;
    }
    if is_blank(text) {
        return Body::Blank;
    }
    json_parse(text).map_or(Body::NotJson, Body::Json)
}

/// The value `json` (a JSON text) stands for, or `None` when it is not a string of JSON.
pub fn parse_json(json: &JsValue) -> Option<JsValue> {
    json.is_string().then(|| json_parse(json).ok()).flatten()
}

/// An array of strings, or `None` for anything else.
pub fn string_list(value: &JsValue) -> Option<Vec<String>> {
    if !Array::is_array(value) {
        return None;
    }
    let array = value.unchecked_ref::<Array>();
    let mut list = Vec::new();
    for at in 0..array.length() {
        list.push(array.get(at).as_string()?);
    }
    Some(list)
}

/// Splits a URL with the `URL` parser; `base` resolves relative input.
fn parse_url(input: &str, base: Option<&str>) -> Option<UrlParts> {
    let parts = url_parts(input, base)?;
    let part = |index| parts.get(index).as_string().unwrap_or_default();
    Some(UrlParts {
        href: part(0),
        protocol: part(1),
        hostname: part(2),
        origin: part(3),
        has_credentials: !part(4).is_empty() || !part(5).is_empty(),
    })
}

/// Parses an absolute URL with the `URL` parser.
pub fn parse_absolute(input: &str) -> Option<UrlParts> {
    parse_url(input, None)
}

/// Where the package runs: the page's `location`, when there is one.
pub struct CurrentPage {
    href: Option<String>,
    origin: String,
}

impl CurrentPage {
    /// The current page; without a `location` (a server), only absolute URLs resolve and the
    /// origin is `null`.
    pub fn get() -> Self {
        let href = page_href();
        let origin = href.as_deref().and_then(parse_absolute).map_or_else(|| String::from("null"), |url| url.origin);
        Self { href, origin }
    }
}

impl Page for CurrentPage {
    fn origin(&self) -> &str {
        &self.origin
    }

    fn resolve(&self, input: &str) -> Option<UrlParts> {
        parse_url(input, self.href.as_deref())
    }

    fn parse_absolute(&self, input: &str) -> Option<UrlParts> {
        parse_absolute(input)
    }
}

fn bad_params(message: &str) -> ButtonError {
    ButtonError::new(ErrorCode::Config, message)
}

/// The JSON body of the POST, from what the SDK passed to `initiate` and the `context` copy.
pub fn request_body(params: &JsValue, context: Option<&JsValue>) -> Result<JsValue, ButtonError> {
    let body: JsValue = Object::new().into();
    let read = |key: &str| reflect_get(params, key).map_err(|_| bad_params("initiate could not read its parameters"));
    if params.is_object() {
        for (from, to) in
            [("klarnaNetworkSessionToken", "klarna_network_session_token"), ("paymentOptionId", "payment_option_id")]
        {
            let value = read(from)?;
            if value.is_string() {
                set(&body, to, &value);
            } else if !value.is_undefined() && !value.is_null() {
                return Err(bad_params(&message(&["initiate: ", from, " must be a string"])));
            }
        }
        let acquiring = read("acquiringConfig")?;
        if acquiring.is_object() {
            set(&body, "acquiring_config", &acquiring);
        } else if !acquiring.is_undefined() && !acquiring.is_null() {
            return Err(bad_params("initiate: acquiringConfig must be an object"));
        }
    } else if !params.is_undefined() && !params.is_null() {
        return Err(bad_params("initiate takes the SDK's parameter object, or nothing"));
    }
    if let Some(context) = context {
        set(&body, "context", context);
    }
    json_stringify(&body).map_err(|_| bad_params("initiate: acquiringConfig is not JSON-serializable"))
}

/// The extra request headers as `[name, value]` pairs, for `fetch`.
pub fn header_pairs(headers: &[(String, String)]) -> JsValue {
    let pairs = Array::new();
    for (name, value) in headers {
        push_pair(&pairs, name, value);
    }
    pairs.into()
}

/// The object handed to Klarna's SDK; `None` for a decline with nowhere to go.
pub fn handoff_object(handoff: &Handoff) -> Option<JsValue> {
    let (key, value) = match handoff {
        Handoff::PaymentRequestId(id) => ("paymentRequestId", id),
        Handoff::PaymentRequestUrl(url) => ("paymentRequestUrl", url),
        Handoff::ReturnUrl(url) => ("returnUrl", url),
        Handoff::Declined => return None,
    };
    let object = Object::new().into();
    put_text(&object, key, value);
    Some(object)
}

/// The object `onOutcome` receives. It is built from results and ids only, so a customer
/// token leaked by a backend can never reach it.
pub fn outcome_object(classified: &Classified) -> JsValue {
    let Classified { outcome, reply } = classified;
    let name = |result: Option<klarna_api::AuthorizationResult>| match result {
        Some(result) => JsValue::from_str(result.as_str()),
        None => JsValue::NULL,
    };
    let object = Object::new().into();
    put_text(&object, "kind", outcome.kind.as_str());
    set(&object, "payment", &name(reply.payment_result()));
    set(&object, "token", &name(reply.token_result()));
    let notice = outcome.notice.map_or(JsValue::NULL, |notice| JsValue::from_str(notice.as_str()));
    set(&object, "notice", &notice);
    set_opt(&object, "paymentTransactionId", reply.payment_transaction_id());
    if outcome.kind == OutcomeKind::StepUp {
        let id = reply.payment_request.as_ref().and_then(|request| request.id());
        set_opt(&object, "paymentRequestId", id.filter(|id| check_payment_request_id(id).is_ok()));
    }
    object
}

/// The plain object for `paymentButton.component(config)`, before its `initiate`:
/// `initiationMode` and the button options that were set, nothing else.
pub fn sdk_config(plan: &Plan) -> JsValue {
    let object = Object::new().into();
    put_text(&object, "initiationMode", plan.initiation_mode.as_str());
    let ButtonOptions { shape, theme, locale, intents, logo_alignment, id } = &plan.button;
    set_opt(&object, "shape", shape.as_deref());
    set_opt(&object, "theme", theme.as_deref());
    set_opt(&object, "locale", locale.as_deref());
    if let Some(intents) = intents {
        let list = Array::new();
        for intent in intents {
            list.push(&JsValue::from_str(intent));
        }
        set(&object, "intents", &list);
    }
    set_opt(&object, "logoAlignment", logo_alignment.as_deref());
    set_opt(&object, "id", id.as_deref());
    object
}
