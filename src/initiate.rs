//! One click, the Rust side: the request body, then the reply made
//! into the hand-off (via [`classify`] and [`hand_off`]), or the failure into its error.
//!
//! The plumbing (single flight, the POST, its timer and abort signal, reading the reply up to
//! 1 MB) is `src/click.js`, which calls the methods of [`Click`] and decides nothing itself.

use alloc::string::String;

use wasm_bindgen::prelude::*;

use crate::builder::Plan;
use crate::classify::{classify, Classified};
use crate::error::{message, push_decimal, ButtonError, ErrorCode};
use crate::handoff::hand_off;
use crate::js::{self, Function};

#[wasm_bindgen(module = "/src/click.js")]
extern "C" {
    /// The config's `initiate` over `click`.
    fn initiator(
        click: Click,
        endpoint: &str,
        headers: &JsValue,
        credentials: &str,
        timeout_ms: u32,
        signal: &JsValue,
    ) -> JsValue;
}

/// The object for `paymentButton.component(config)`, whose `initiate` follows `plan`.
pub fn config(plan: Plan, context: Option<JsValue>, on_outcome: Option<Function>, signal: Option<JsValue>) -> JsValue {
    let config = js::sdk_config(&plan);
    let headers = js::header_pairs(&plan.headers);
    let endpoint = plan.endpoint.clone();
    let (credentials, timeout_ms) = (plan.credentials.as_str(), plan.timeout_ms);
    let click = Click { plan, context, on_outcome };
    let signal = signal.unwrap_or(JsValue::UNDEFINED);
    js::set(&config, "initiate", &initiator(click, &endpoint, &headers, credentials, timeout_ms, &signal));
    config
}

/// What went wrong with the request, as `src/click.js` reports it (by number).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// `fetch` threw before sending (a broken wrapper, say).
    Threw,
    /// `fetch` rejected with a `TypeError`: the network, or a CORS refusal, which looks the same.
    Unreachable,
    /// `fetch` rejected with something else.
    Refused,
    /// `fetch` gave something that is not a `Response`.
    NotAResponse,
    /// The reply broke off.
    CutOff,
    /// No complete reply within the timeout; the request was aborted.
    TimedOut,
    /// The page's `AbortSignal` aborted the click.
    Aborted,
    /// A 2xx reply over 1 MB; the download was aborted.
    TooLarge,
}

impl Failure {
    /// The failure `src/click.js` numbered `code`.
    pub fn from_code(code: u32) -> Self {
        const ALL: [Failure; 8] = [
            Failure::Threw,
            Failure::Unreachable,
            Failure::Refused,
            Failure::NotAResponse,
            Failure::CutOff,
            Failure::TimedOut,
            Failure::Aborted,
            Failure::TooLarge,
        ];
        ALL.get(code as usize).copied().unwrap_or(Failure::Refused)
    }

    /// The error a click with `plan` rejects with.
    pub fn error(self, plan: &Plan) -> ButtonError {
        let network = |message: &str| ButtonError::new(ErrorCode::Network, message);
        match self {
            Self::Threw => network("fetch threw before sending the request"),
            Self::Unreachable if plan.cross_origin() => network(&cors_message(plan)),
            Self::Unreachable | Self::Refused => network("could not reach the backend"),
            Self::NotAResponse => network("fetch did not give a Response"),
            Self::CutOff => network("the backend's reply was cut off"),
            Self::TimedOut => {
                let mut text = String::from("no complete reply within ");
                push_decimal(&mut text, plan.timeout_ms);
                text.push_str(" ms; the request was aborted");
                ButtonError::new(ErrorCode::Timeout, text)
            }
            Self::Aborted => ButtonError::new(ErrorCode::Aborted, "the click was aborted by its AbortSignal"),
            Self::TooLarge => ButtonError::new(ErrorCode::InvalidResponse, "the backend's reply is larger than 1 MB"),
        }
    }
}

/// Why a cross-origin request may have failed, and the CORS headers that fix it if so.
fn cors_message(plan: &Plan) -> String {
    let mut allowed = String::from("content-type, idempotency-key");
    for (name, _) in &plan.headers {
        allowed.push_str(", ");
        allowed.push_str(&name.to_ascii_lowercase());
    }
    let credentials = match plan.credentials {
        crate::builder::Credentials::Include => ", and Access-Control-Allow-Credentials: true",
        _ => "",
    };
    message(&[
        "could not reach the backend at ",
        &plan.endpoint_origin,
        ", another origin than the page's: a CORS refusal looks the same as a network failure. \
         The backend must answer the OPTIONS preflight and the POST with \
         Access-Control-Allow-Origin: ",
        &plan.page_origin,
        " (this exact origin), Access-Control-Allow-Methods: POST, Access-Control-Allow-Headers: ",
        &allowed,
        credentials,
        "; the browser's console names what is missing",
    ])
}

/// The state behind one built config's `initiate`, handed to `src/click.js`.
#[wasm_bindgen(skip_typescript)]
pub struct Click {
    plan: Plan,
    context: Option<JsValue>,
    on_outcome: Option<Function>,
}

#[wasm_bindgen]
impl Click {
    /// The JSON body for what the SDK passed to `initiate`; throws `CONFIG` for bad parameters.
    pub fn body(&self, params: JsValue) -> Result<JsValue, JsValue> {
        js::request_body(&params, self.context.as_ref()).map_err(ButtonError::into_js)
    }

    /// The hand-off for the reply (`text` is `undefined` when it is not UTF-8), after telling
    /// `onOutcome`; throws the `KlarnaButtonError` of a reply that is not a usable outcome.
    pub fn settle(&self, status: u16, text: JsValue) -> Result<JsValue, JsValue> {
        let settled = || {
            let classified = classify(status, js::read_body(&text))?;
            let handoff = hand_off(&classified, &self.plan, js::parse_absolute)?;
            self.notify(&classified);
            js::handoff_object(&handoff).ok_or_else(declined)
        };
        settled().map_err(ButtonError::into_js)
    }

    /// The error for a request that failed (`failure` numbers a [`Failure`]).
    pub fn fail(&self, failure: u32) -> JsValue {
        Failure::from_code(failure).error(&self.plan).into_js()
    }
}

impl Click {
    /// Tells `onOutcome`; whatever the callback does (throw, reject), the result stays the same.
    fn notify(&self, classified: &Classified) {
        if let Some(callback) = &self.on_outcome {
            js::tell(callback, &js::outcome_object(classified));
        }
    }
}

fn declined() -> ButtonError {
    ButtonError::new(ErrorCode::Declined, "Klarna declined the payment and no declineUrl is configured")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builder::{ButtonOptions, Credentials, HandoffKind, InitiationMode};

    fn plan(endpoint_origin: &str, credentials: Credentials) -> Plan {
        Plan {
            endpoint: [endpoint_origin, "/authorize"].concat(),
            endpoint_origin: endpoint_origin.into(),
            page_origin: "https://shop.example".into(),
            initiation_mode: InitiationMode::DeviceBest,
            success_url: "https://shop.example/done".into(),
            decline_url: None,
            handoff: HandoffKind::PaymentRequestId,
            timeout_ms: 1500,
            credentials,
            headers: vec![("X-CSRF-Token".into(), "t".into())],
            button: ButtonOptions::default(),
        }
    }

    #[test]
    fn failures_are_numbered_as_click_js_numbers_them() {
        let source = include_str!("click.js");
        for (name, failure) in [
            ("THREW = 0", Failure::Threw),
            ("UNREACHABLE = 1", Failure::Unreachable),
            ("REFUSED = 2", Failure::Refused),
            ("NOT_A_RESPONSE = 3", Failure::NotAResponse),
            ("CUT_OFF = 4", Failure::CutOff),
            ("TIMED_OUT = 5", Failure::TimedOut),
            ("ABORTED = 6", Failure::Aborted),
            ("TOO_LARGE = 7", Failure::TooLarge),
        ] {
            assert!(source.contains(&format!("const {name};")), "click.js lacks {name}");
            let code = name.rsplit(' ').next().unwrap().parse().unwrap();
            assert_eq!(Failure::from_code(code), failure);
        }
        assert_eq!(Failure::from_code(99), Failure::Refused);
    }

    #[test]
    fn each_failure_has_its_code() {
        let same = plan("https://shop.example", Credentials::SameOrigin);
        for (failure, code) in [
            (Failure::Threw, ErrorCode::Network),
            (Failure::Unreachable, ErrorCode::Network),
            (Failure::Refused, ErrorCode::Network),
            (Failure::NotAResponse, ErrorCode::Network),
            (Failure::CutOff, ErrorCode::Network),
            (Failure::TimedOut, ErrorCode::Timeout),
            (Failure::Aborted, ErrorCode::Aborted),
            (Failure::TooLarge, ErrorCode::InvalidResponse),
        ] {
            assert_eq!(failure.error(&same).code, code, "{failure:?}");
        }
        assert_eq!(Failure::TimedOut.error(&same).message, "no complete reply within 1500 ms; the request was aborted");
        assert!(Failure::TimedOut.error(&same).recoverable());
        assert!(!Failure::Aborted.error(&same).recoverable());
        assert_eq!(Failure::Unreachable.error(&same).message, "could not reach the backend");
    }

    #[test]
    fn a_cross_origin_network_failure_names_the_cors_headers() {
        let other = plan("https://api.psp.example", Credentials::Include);
        let error = Failure::Unreachable.error(&other);
        assert_eq!(error.code, ErrorCode::Network);
        assert!(error.recoverable(), "a browser cannot tell a CORS refusal from a network failure");
        for part in [
            "https://api.psp.example",
            "a CORS refusal looks the same as a network failure",
            "Access-Control-Allow-Origin: https://shop.example",
            "Access-Control-Allow-Methods: POST",
            "Access-Control-Allow-Headers: content-type, idempotency-key, x-csrf-token",
            "Access-Control-Allow-Credentials: true",
        ] {
            assert!(error.message.contains(part), "{part} not in: {}", error.message);
        }
        let without_cookies = Failure::Unreachable.error(&plan("https://api.psp.example", Credentials::Omit));
        assert!(!without_cookies.message.contains("Allow-Credentials"), "{}", without_cookies.message);
        // Only a TypeError can be a CORS refusal.
        assert_eq!(Failure::Refused.error(&other).message, "could not reach the backend");
    }
}
