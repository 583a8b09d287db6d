//! The builder's state and its validation (pure; the browser layer feeds it).
//!
//! Setters only record what they are given; `validate` checks everything at once and gives
//! the [`Plan`] one click follows, or the first problem as a `CONFIG` error.

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;

use crate::error::{message, ButtonError, ErrorCode};
use crate::url_policy::UrlParts;

/// The default of `timeoutMs`.
pub const DEFAULT_TIMEOUT_MS: u32 = 30_000;
/// The shortest `timeoutMs` accepted.
pub const MIN_TIMEOUT_MS: u32 = 100;
/// The longest `timeoutMs` accepted (two Klarna idle timeouts).
pub const MAX_TIMEOUT_MS: u32 = 120_000;

/// Headers the package sets itself, which `header()` may not replace.
const RESERVED_HEADERS: [&str; 3] = ["content-type", "accept", "idempotency-key"];

/// How Klarna's SDK launches the purchase journey.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitiationMode {
    /// Klarna picks per device (the default and Klarna's recommendation).
    DeviceBest,
    /// Never leave the page: pop-up, else a full-screen iframe.
    OnPage,
    /// Always redirect.
    Redirect,
    /// Pop-up only.
    Popup,
}

impl InitiationMode {
    const ALL: [Self; 4] = [Self::DeviceBest, Self::OnPage, Self::Redirect, Self::Popup];

    /// The SDK's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DeviceBest => "DEVICE_BEST",
            Self::OnPage => "ON_PAGE",
            Self::Redirect => "REDIRECT",
            Self::Popup => "POPUP",
        }
    }
}

/// What a step-up hands to Klarna's SDK.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandoffKind {
    /// `{paymentRequestId}`: the seed's shape (the default).
    PaymentRequestId,
    /// `{paymentRequestUrl}`: preferred by newer SDK releases.
    PaymentRequestUrl,
}

impl HandoffKind {
    const ALL: [Self; 2] = [Self::PaymentRequestId, Self::PaymentRequestUrl];

    /// The key of the object handed to the SDK.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PaymentRequestId => "paymentRequestId",
            Self::PaymentRequestUrl => "paymentRequestUrl",
        }
    }
}

/// Whether the request carries cookies: `fetch`'s `credentials`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credentials {
    /// Never.
    Omit,
    /// Only to the page's own origin (the default, as `fetch`'s).
    SameOrigin,
    /// Also to a backend on another origin (which must allow it with CORS).
    Include,
}

impl Credentials {
    const ALL: [Self; 3] = [Self::Omit, Self::SameOrigin, Self::Include];

    /// `fetch`'s spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Omit => "omit",
            Self::SameOrigin => "same-origin",
            Self::Include => "include",
        }
    }
}

/// The button's look, passed to the SDK as set. Values are checked against the SDK's types.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ButtonOptions {
    /// `shape`: default, pill or rect.
    pub shape: Option<String>,
    /// `theme`: default, light, dark or outlined.
    pub theme: Option<String>,
    /// `locale`, such as `en-US`.
    pub locale: Option<String>,
    /// `intents`, such as `["PAY"]`.
    pub intents: Option<Vec<String>>,
    /// `logoAlignment`: default, left or center.
    pub logo_alignment: Option<String>,
    /// `id` of the button element.
    pub id: Option<String>,
}

const SHAPES: [&str; 3] = ["default", "pill", "rect"];
const THEMES: [&str; 4] = ["default", "light", "dark", "outlined"];
const LOGO_ALIGNMENTS: [&str; 3] = ["default", "left", "center"];
const INTENTS: [&str; 6] = ["PAY", "SUBSCRIBE", "SIGNUP", "SIGNIN", "DONATE", "ADD_TO_WALLET"];

/// Everything the setters recorded, unchecked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    /// The backend endpoint, as given.
    pub endpoint: Option<String>,
    /// `initiationMode`, as given.
    pub initiation_mode: Option<String>,
    /// `successUrl`, as given.
    pub success_url: Option<String>,
    /// `declineUrl`, as given.
    pub decline_url: Option<String>,
    /// `handoff`, as given.
    pub handoff: Option<String>,
    /// `timeoutMs`, as given.
    pub timeout_ms: Option<f64>,
    /// `credentials`, as given.
    pub credentials: Option<String>,
    /// Extra request headers, in order.
    pub headers: Vec<(String, String)>,
    /// Origins given to `allowReturnOrigin`, as given.
    pub allowed_origins: Vec<String>,
    /// The button's look.
    pub button: ButtonOptions,
    /// Problems a setter found that only the browser layer could see (a wrong JS type), by
    /// setter: a later valid call to the same setter clears its problem.
    pub problems: Vec<(&'static str, String)>,
}

/// The checked configuration one click follows.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Absolute URL of the backend endpoint.
    pub endpoint: String,
    /// The endpoint's origin.
    pub endpoint_origin: String,
    /// The page's origin (`null` where there is no page).
    pub page_origin: String,
    /// Passed to the SDK.
    pub initiation_mode: InitiationMode,
    /// Absolute success URL.
    pub success_url: String,
    /// Absolute decline URL, if any.
    pub decline_url: Option<String>,
    /// The step-up hand-off.
    pub handoff: HandoffKind,
    /// Abort the request after this long.
    pub timeout_ms: u32,
    /// Whether the request carries cookies.
    pub credentials: Credentials,
    /// Extra request headers.
    pub headers: Vec<(String, String)>,
    /// The button's look.
    pub button: ButtonOptions,
}

impl Plan {
    /// Whether the endpoint is on another origin than the page, so CORS applies.
    pub fn cross_origin(&self) -> bool {
        self.endpoint_origin != self.page_origin
    }
}

/// Where the builder runs: the page URL and a URL parser (the browser's, in the package).
pub trait Page {
    /// The page's origin, such as `https://shop.example`; `null` where there is no page
    /// (a worker without a location, a server), as the `URL` parser says of opaque origins.
    fn origin(&self) -> &str;
    /// Resolves `input` against the page URL (or only absolute input, without a page), or
    /// `None` when it is not a URL.
    fn resolve(&self, input: &str) -> Option<UrlParts>;
    /// Parses `input` as an absolute URL, or `None`.
    fn parse_absolute(&self, input: &str) -> Option<UrlParts>;
}

fn config(message: impl Into<String>) -> ButtonError {
    ButtonError::new(ErrorCode::Config, message)
}

/// A `CONFIG` error whose message is `parts` joined (no formatting machinery is shipped).
fn config_of(parts: &[&str]) -> ButtonError {
    config(message(parts))
}

// `one_of` spells out at most four members.
const _: () = assert!(InitiationMode::ALL.len() <= 4 && HandoffKind::ALL.len() <= 4 && Credentials::ALL.len() <= 4);

/// The member of `all` whose spelling (`name`) is `value`. Generic only in the pick: the search
/// and the message are one function for every field.
fn one_of<T: Copy>(field: &str, value: &str, all: &[T], name: fn(T) -> &'static str) -> Result<T, ButtonError> {
    let mut words: [&str; 4] = [""; 4];
    for (word, member) in words.iter_mut().zip(all) {
        *word = name(*member);
    }
    let at = position(field, value, words.get(..all.len()).unwrap_or_default())?;
    all.get(at).copied().ok_or_else(|| not_one_of(field, &[], value))
}

/// Where `value` is among `allowed`, or the `CONFIG` error that lists them.
fn position(field: &str, value: &str, allowed: &[&str]) -> Result<usize, ButtonError> {
    allowed.iter().position(|word| *word == value).ok_or_else(|| not_one_of(field, allowed, value))
}

fn not_one_of(field: &str, allowed: &[&str], value: &str) -> ButtonError {
    let mut text = message(&[field, " must be one of "]);
    for (i, word) in allowed.iter().enumerate() {
        text.push_str(if i == 0 { "" } else { ", " });
        text.push_str(word);
    }
    text.push_str(&message(&[", not \"", value, "\""]));
    config(text)
}

fn check_word(field: &str, value: &Option<String>, allowed: &[&str]) -> Result<(), ButtonError> {
    match value {
        Some(v) => position(field, v, allowed).map(drop),
        None => Ok(()),
    }
}

/// Whether `name` is an HTTP header name (an RFC 9110 token).
fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'!' | b'#'
                        | b'$'
                        | b'%'
                        | b'&'
                        | b'\''
                        | b'*'
                        | b'+'
                        | b'-'
                        | b'.'
                        | b'^'
                        | b'_'
                        | b'`'
                        | b'|'
                        | b'~'
                )
        })
}

/// Removes the first element of `list` that `matches`, keeping the order of the rest. Written
/// with `split_first_mut` rather than `Vec::remove`, whose panic message and its number
/// formatting would be shipped (-107 gzip bytes).
fn remove_first<T>(list: &mut Vec<T>, matches: impl Fn(&T) -> bool) {
    let mut found = false;
    let mut rest = list.as_mut_slice();
    // The match moves to the end, one swap with its neighbour at a time.
    while let Some((item, after)) = rest.split_first_mut() {
        found = found || matches(item);
        if let (true, Some(next)) = (found, after.first_mut()) {
            core::mem::swap(item, next);
        }
        rest = after;
    }
    if found {
        list.pop();
    }
}

impl Settings {
    /// Records the problem `setter` found with its argument, replacing an earlier one.
    pub fn reject(&mut self, setter: &'static str, problem: &str) {
        self.accept(setter);
        self.problems.push((setter, problem.to_owned()));
    }

    /// Forgets the problem of an earlier call to `setter`: it was called again, correctly.
    pub fn accept(&mut self, setter: &'static str) {
        // At most one problem per setter: `reject` accepts first.
        remove_first(&mut self.problems, |(name, _)| *name == setter);
    }

    /// Adds a request header (a later value for the same name replaces the earlier one).
    pub fn header(&mut self, name: String, value: String) {
        // At most one header per name: each is added here, after the earlier one is removed.
        remove_first(&mut self.headers, |(n, _)| n.eq_ignore_ascii_case(&name));
        self.headers.push((name, value));
    }

    /// Checks everything and returns the plan, or the first problem as a `CONFIG` error.
    pub fn validate(self, page: &impl Page) -> Result<Plan, ButtonError> {
        if let Some((_, problem)) = self.problems.first() {
            return Err(config(problem.clone()));
        }
        let endpoint = self.endpoint.as_deref().ok_or_else(|| config("buttonConfig needs the backend endpoint"))?;
        let endpoint = resolve(page, "the endpoint", endpoint)?;
        endpoint.check_endpoint().map_err(|why| config_of(&["the endpoint \"", &endpoint.href, "\": ", why]))?;

        let mut allowed_origins = Vec::with_capacity(self.allowed_origins.len());
        for origin in &self.allowed_origins {
            let parts = page.parse_absolute(origin).ok_or_else(|| {
                config_of(&[
                    "allowReturnOrigin(\"",
                    origin,
                    "\") needs an absolute origin such as https://shop.example",
                ])
            })?;
            let origin = parts
                .check_allowed_origin()
                .map_err(|why| config_of(&["allowReturnOrigin(\"", origin, "\"): ", why]))?;
            allowed_origins.push(origin);
        }
        let return_url = |field: &str, value: &str| -> Result<String, ButtonError> {
            let parts = resolve(page, field, value)?;
            parts
                .check_return(page.origin(), &allowed_origins)
                .map_err(|why| config_of(&[field, " \"", &parts.href, "\": ", why]))?;
            Ok(parts.href)
        };
        let success_url = self
            .success_url
            .as_deref()
            .ok_or_else(|| config("successUrl is required: Klarna's SDK needs a returnUrl after success"))?;
        let success_url = return_url("successUrl", success_url)?;
        let decline_url = self.decline_url.as_deref().map(|url| return_url("declineUrl", url)).transpose()?;

        let initiation_mode = match &self.initiation_mode {
            Some(mode) => one_of("initiationMode", mode, &InitiationMode::ALL, InitiationMode::as_str)?,
            None => InitiationMode::DeviceBest,
        };
        let handoff = match &self.handoff {
            Some(kind) => one_of("handoff", kind, &HandoffKind::ALL, HandoffKind::as_str)?,
            None => HandoffKind::PaymentRequestId,
        };
        let timeout_ms = match self.timeout_ms {
            None => DEFAULT_TIMEOUT_MS,
            Some(ms)
                if (f64::from(MIN_TIMEOUT_MS)..=f64::from(MAX_TIMEOUT_MS)).contains(&ms)
                    && ms == f64::from(ms as u32) =>
            {
                ms as u32
            }
            // The bounds are MIN_TIMEOUT_MS and MAX_TIMEOUT_MS (a test keeps them in step).
            Some(_) => return Err(config("timeoutMs must be a whole number of milliseconds from 100 to 120000")),
        };
        let credentials = match &self.credentials {
            Some(mode) => one_of("credentials", mode, &Credentials::ALL, Credentials::as_str)?,
            None => Credentials::SameOrigin,
        };
        for (name, value) in &self.headers {
            if !is_header_name(name) {
                return Err(config_of(&["header name \"", name, "\" is not a valid HTTP header name"]));
            }
            if RESERVED_HEADERS.iter().any(|reserved| name.eq_ignore_ascii_case(reserved)) {
                return Err(config_of(&["header \"", name, "\" is set by the package and cannot be replaced"]));
            }
            // What `Headers.set` accepts: Latin-1 without control characters (tab allowed).
            if value.chars().any(|c| c > '\u{ff}' || (c.is_control() && c != '\t')) {
                return Err(config_of(&[
                    "header \"",
                    name,
                    "\" has a line break, a control character or a character beyond Latin-1 in its value",
                ]));
            }
        }
        self.check_button()?;
        Ok(Plan {
            endpoint: endpoint.href,
            endpoint_origin: endpoint.origin,
            page_origin: page.origin().to_owned(),
            initiation_mode,
            success_url,
            decline_url,
            handoff,
            timeout_ms,
            credentials,
            headers: self.headers,
            button: self.button,
        })
    }

    fn check_button(&self) -> Result<(), ButtonError> {
        let button = &self.button;
        check_word("shape", &button.shape, &SHAPES)?;
        check_word("theme", &button.theme, &THEMES)?;
        check_word("logoAlignment", &button.logo_alignment, &LOGO_ALIGNMENTS)?;
        if let Some(intents) = &button.intents {
            if intents.is_empty() {
                return Err(config("intents must name at least one intent"));
            }
            for intent in intents {
                position("each intent", intent, &INTENTS)?;
            }
        }
        if let Some(locale) = &button.locale {
            let well_formed = (2..=35).contains(&locale.len())
                && locale.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !locale.starts_with('-');
            if !well_formed {
                return Err(config_of(&["locale \"", locale, "\" is not a language tag such as en-US"]));
            }
        }
        if let Some(id) = &button.id {
            if id.is_empty() || id.len() > 128 || id.chars().any(char::is_whitespace) {
                return Err(config_of(&["id \"", id, "\" must be 1 to 128 characters without spaces"]));
            }
        }
        Ok(())
    }
}

fn resolve(page: &impl Page, field: &str, input: &str) -> Result<UrlParts, ButtonError> {
    page.resolve(input).ok_or_else(|| config_of(&[field, " \"", input, "\" is not a URL"]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::url_policy::tests::url;

    struct TestPage;

    impl Page for TestPage {
        fn origin(&self) -> &str {
            "https://shop.example"
        }
        fn resolve(&self, input: &str) -> Option<UrlParts> {
            if input.contains(' ') {
                None
            } else if input.starts_with('/') {
                Some(url(&format!("https://shop.example{input}")))
            } else {
                Some(url(input))
            }
        }
        fn parse_absolute(&self, input: &str) -> Option<UrlParts> {
            input.contains(':').then(|| url(input))
        }
    }

    fn minimal() -> Settings {
        Settings {
            endpoint: Some("/api/authorize-payment".into()),
            success_url: Some("/order/complete".into()),
            ..Settings::default()
        }
    }

    fn error_of(settings: &Settings) -> String {
        let error = settings.clone().validate(&TestPage).unwrap_err();
        assert_eq!(error.code, ErrorCode::Config);
        error.message.clone()
    }

    #[test]
    fn defaults() {
        let plan = minimal().validate(&TestPage).unwrap();
        assert_eq!(plan.endpoint, "https://shop.example/api/authorize-payment");
        assert_eq!(plan.success_url, "https://shop.example/order/complete");
        assert_eq!(plan.initiation_mode, InitiationMode::DeviceBest);
        assert_eq!(plan.handoff, HandoffKind::PaymentRequestId);
        assert_eq!(plan.timeout_ms, DEFAULT_TIMEOUT_MS);
        assert_eq!(plan.decline_url, None);
        assert_eq!(plan.credentials, Credentials::SameOrigin);
        assert!(!plan.cross_origin());
    }

    #[test]
    fn an_endpoint_on_another_origin_is_cross_origin() {
        let settings = Settings { endpoint: Some("https://api.psp.example/authorize".into()), ..minimal() };
        let plan = settings.clone().validate(&TestPage).unwrap();
        assert!(plan.cross_origin());
        assert_eq!(
            (plan.endpoint_origin.as_str(), plan.page_origin.as_str()),
            ("https://api.psp.example", "https://shop.example")
        );
        let settings = Settings { endpoint: Some("https://shop.example:8443/authorize".into()), ..minimal() };
        assert!(settings.clone().validate(&TestPage).unwrap().cross_origin());
    }

    #[test]
    fn credentials_are_fetch_words() {
        for (word, mode) in
            [("omit", Credentials::Omit), ("same-origin", Credentials::SameOrigin), ("include", Credentials::Include)]
        {
            let settings = Settings { credentials: Some(word.into()), ..minimal() };
            assert_eq!(settings.clone().validate(&TestPage).unwrap().credentials, mode);
        }
        for bad in ["INCLUDE", "cors", ""] {
            let settings = Settings { credentials: Some(bad.into()), ..minimal() };
            assert!(error_of(&settings).contains("credentials must be one of omit, same-origin, include"), "{bad}");
        }
    }

    #[test]
    fn every_setting_reaches_the_plan() {
        let mut settings = minimal();
        settings.initiation_mode = Some("POPUP".into());
        settings.decline_url = Some("/checkout?declined=1".into());
        settings.handoff = Some("paymentRequestUrl".into());
        settings.timeout_ms = Some(5000.0);
        settings.header("X-CSRF-Token".into(), "abc".into());
        settings.header("x-csrf-token".into(), "def".into());
        settings.credentials = Some("include".into());
        settings.button.shape = Some("pill".into());
        settings.button.intents = Some(vec!["PAY".into(), "SUBSCRIBE".into()]);
        settings.button.locale = Some("en-US".into());
        let plan = settings.clone().validate(&TestPage).unwrap();
        assert_eq!(plan.initiation_mode, InitiationMode::Popup);
        assert_eq!(plan.decline_url.as_deref(), Some("https://shop.example/checkout?declined=1"));
        assert_eq!(plan.handoff, HandoffKind::PaymentRequestUrl);
        assert_eq!(plan.timeout_ms, 5000);
        assert_eq!(plan.headers, [("x-csrf-token".to_owned(), "def".to_owned())]);
        assert_eq!(plan.credentials, Credentials::Include);
        assert_eq!(plan.button.shape.as_deref(), Some("pill"));
    }

    #[test]
    fn success_url_is_required() {
        let settings = Settings { success_url: None, ..minimal() };
        assert!(error_of(&settings).contains("successUrl is required"));
    }

    #[test]
    fn unknown_words_are_refused() {
        type Change = fn(&mut Settings);
        let cases: [(Change, &str); 7] = [
            (|s| s.initiation_mode = Some("device_best".into()), "initiationMode"),
            (|s| s.handoff = Some("paymentRequest".into()), "handoff"),
            (|s| s.button.shape = Some("round".into()), "shape"),
            (|s| s.button.theme = Some("neon".into()), "theme"),
            (|s| s.button.logo_alignment = Some("right".into()), "logoAlignment"),
            (|s| s.button.intents = Some(vec!["PAY".into(), "BUY".into()]), "intent"),
            (|s| s.button.intents = Some(vec![]), "intents"),
        ];
        for (change, field) in cases {
            let mut settings = minimal();
            change(&mut settings);
            assert!(error_of(&settings).contains(field), "{field}");
        }
    }

    #[test]
    fn timeouts_out_of_range_are_refused() {
        let bounds = format!("from {MIN_TIMEOUT_MS} to {MAX_TIMEOUT_MS}");
        for ms in [0.0, 99.0, 120_001.0, 1500.5, f64::NAN, f64::INFINITY, -1.0] {
            let settings = Settings { timeout_ms: Some(ms), ..minimal() };
            let message = error_of(&settings);
            assert!(message.contains("timeoutMs") && message.contains(&bounds), "{ms}: {message}");
        }
        for ms in [100.0, 120_000.0] {
            assert!(Settings { timeout_ms: Some(ms), ..minimal() }.validate(&TestPage).is_ok());
        }
    }

    #[test]
    fn unsafe_return_urls_are_config_errors() {
        for bad in ["javascript:alert(1)", "https://evil.example/x", "http://evil.example/x", "not a url"] {
            let settings = Settings { success_url: Some(bad.into()), ..minimal() };
            assert!(error_of(&settings).contains("successUrl"), "{bad}");
            let settings = Settings { decline_url: Some(bad.into()), ..minimal() };
            assert!(error_of(&settings).contains("declineUrl"), "{bad}");
        }
    }

    #[test]
    fn allowed_origins_open_other_origins() {
        let settings = Settings {
            success_url: Some("https://pay.partner.example/done".into()),
            allowed_origins: vec!["https://pay.partner.example/ignored/path".into()],
            ..minimal()
        };
        assert_eq!(settings.clone().validate(&TestPage).unwrap().success_url, "https://pay.partner.example/done");
        let settings = Settings { allowed_origins: vec!["http://partner.example".into()], ..minimal() };
        assert!(error_of(&settings).contains("allowReturnOrigin"));
    }

    #[test]
    fn headers_are_checked() {
        for (name, value, expected) in [
            ("Bad Name", "x", "not a valid HTTP header name"),
            ("", "x", "not a valid HTTP header name"),
            ("Idempotency-Key", "x", "set by the package"),
            ("content-type", "text/plain", "set by the package"),
            ("X-Evil", "a\r\nSet-Cookie: x", "line break"),
            ("X-Price", "5 €", "beyond Latin-1"),
        ] {
            let mut settings = minimal();
            settings.header(name.into(), value.into());
            assert!(error_of(&settings).contains(expected), "{name}");
        }
    }

    #[test]
    fn locale_and_id_are_checked() {
        for locale in ["e", "en US", "-en", "en_US!"] {
            let mut settings = minimal();
            settings.button.locale = Some(locale.into());
            assert!(error_of(&settings).contains("locale"), "{locale}");
        }
        for id in ["", "a b"] {
            let mut settings = minimal();
            settings.button.id = Some(id.into());
            assert!(error_of(&settings).contains("id"), "{id:?}");
        }
    }

    #[test]
    fn the_first_recorded_problem_wins() {
        let mut settings = minimal();
        settings.reject("context", "context must be JSON-serializable");
        settings.reject("successUrl", "successUrl must be a string");
        assert_eq!(error_of(&settings), "context must be JSON-serializable");
    }

    #[test]
    fn a_corrected_setter_call_clears_its_problem() {
        let mut settings = minimal();
        settings.reject("timeoutMs", "timeoutMs must be a number");
        settings.reject("successUrl", "successUrl must be a string");
        settings.accept("timeoutMs");
        assert_eq!(error_of(&settings), "successUrl must be a string");
        settings.accept("successUrl");
        assert!(settings.clone().validate(&TestPage).is_ok());
    }

    #[test]
    fn a_repeated_call_moves_to_the_end_and_the_rest_keep_their_order() {
        let mut settings = minimal();
        settings.header("A".into(), "1".into());
        settings.header("B".into(), "2".into());
        settings.header("C".into(), "3".into());
        settings.header("D".into(), "4".into());
        settings.header("b".into(), "5".into());
        let plan = settings.clone().validate(&TestPage).unwrap();
        let names: Vec<_> = plan.headers.iter().map(|(name, value)| (name.as_str(), value.as_str())).collect();
        assert_eq!(names, [("A", "1"), ("C", "3"), ("D", "4"), ("b", "5")]);

        let mut settings = minimal();
        settings.reject("timeoutMs", "timeoutMs must be a number");
        settings.reject("successUrl", "successUrl must be a string");
        settings.reject("locale", "locale is bad");
        settings.reject("successUrl", "successUrl is bad again");
        settings.accept("timeoutMs");
        assert_eq!(error_of(&settings), "locale is bad");
        settings.accept("locale");
        assert_eq!(error_of(&settings), "successUrl is bad again");
    }

    #[test]
    fn allowed_origins_must_be_absolute() {
        let settings = Settings { allowed_origins: vec!["pay.partner.example".into()], ..minimal() };
        assert!(error_of(&settings).contains("absolute origin"));
    }

    #[test]
    fn endpoint_must_be_a_web_url() {
        let settings = Settings { endpoint: Some("javascript:void(0)".into()), ..minimal() };
        assert!(error_of(&settings).contains("endpoint"));
        let settings = Settings { endpoint: None, ..minimal() };
        assert!(error_of(&settings).contains("endpoint"));
    }
}
