//! The shopper's browser, as the kit plays it: one cookie jar for the backend, the adapter
//! that starts a checkout, the button's click (spec A2), the way back from the journey; and a
//! copy of everything the backend showed the browser, to search for secrets.

use std::collections::BTreeMap;
use std::sync::Mutex;

use klarna_api::{AuthorizationResult, AuthorizeResponse};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, COOKIE, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;
use serde_json::{json, Value};

/// The payment option the kit's clicks name (the simulator's SDK stand-in uses the same).
pub const PAYMENT_OPTION: &str = "klarna-sim-pay-later";
/// How many redirects the way back follows on the backend's origin.
const MAX_REDIRECTS: usize = 5;

/// A checkout the adapter started.
#[derive(Debug, Clone)]
pub struct Checkout {
    /// What the click sends as `context`.
    pub context: Value,
    /// The server's amount, in minor units.
    pub amount: u64,
    /// The server's currency.
    pub currency: String,
    /// Where the click goes.
    pub authorize_url: String,
}

/// What the backend answered a click.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The HTTP status (0: no answer).
    pub status: u16,
    /// The body, parsed when it is JSON.
    pub json: Option<Value>,
    /// The body as text, or the transport error.
    pub text: String,
}

impl Reply {
    /// Whether the status is 2xx.
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The status and what the body says, in a few words, for messages.
    pub fn summary(&self) -> String {
        let code = self.json.as_ref().and_then(|j| j.get("error_code")).and_then(Value::as_str);
        let reply = self.json.clone().and_then(|j| serde_json::from_value::<AuthorizeResponse>(j).ok());
        let result = |r: Option<AuthorizationResult>| r.map_or("absent", AuthorizationResult::as_str);
        match (code, reply) {
            (Some(code), _) => format!("HTTP {} {code}", self.status),
            (None, Some(reply)) if reply.payment_result().is_some() || reply.token_result().is_some() => {
                format!("HTTP {} P={} T={}", self.status, result(reply.payment_result()), result(reply.token_result()))
            }
            _ => format!("HTTP {} {}", self.status, self.text.chars().take(120).collect::<String>()),
        }
    }
}

/// The browser: its HTTP client, cookie jar, extra headers, and what it was shown.
pub struct Browser {
    http: reqwest::Client,
    start_url: String,
    authorize_url: String,
    headers: HeaderMap,
    jar: Mutex<BTreeMap<String, String>>,
    seen: Mutex<Vec<String>>,
}

impl Browser {
    /// A browser for the backend's adapter and authorize endpoint; `headers` are `Name: value`.
    pub fn new(start_url: &str, authorize_url: &str, headers: &[String]) -> Result<Self, String> {
        let mut extra = HeaderMap::new();
        for line in headers {
            let (name, value) =
                line.split_once(':').ok_or_else(|| format!("--header {line:?} is not `Name: value`"))?;
            let name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|e| format!("--header {line:?}: {e}"))?;
            let value = HeaderValue::from_str(value.trim()).map_err(|e| format!("--header {line:?}: {e}"))?;
            extra.append(name, value);
        }
        let http = reqwest::Client::builder()
            .redirect(Policy::none())
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            http,
            start_url: start_url.to_owned(),
            authorize_url: authorize_url.to_owned(),
            headers: extra,
            jar: Mutex::new(BTreeMap::new()),
            seen: Mutex::new(Vec::new()),
        })
    }

    /// Everything the backend showed the browser so far.
    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().map(|seen| seen.clone()).unwrap_or_default()
    }

    fn remember(&self, text: String) {
        if let Ok(mut seen) = self.seen.lock() {
            seen.push(text);
        }
    }

    fn request(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        let cookies = self
            .jar
            .lock()
            .map(|jar| jar.iter().map(|(name, value)| format!("{name}={value}")).collect::<Vec<_>>().join("; "))
            .unwrap_or_default();
        let mut builder = self.http.request(method, url).headers(self.headers.clone());
        if !cookies.is_empty() {
            builder = builder.header(COOKIE, cookies);
        }
        builder
    }

    /// Sends `builder`; keeps the cookies and the reply (headers and body) as seen.
    async fn send(&self, builder: reqwest::RequestBuilder) -> Result<(u16, HeaderMap, String), String> {
        let response = builder.send().await.map_err(|e| format!("no answer: {e}"))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        if let Ok(mut jar) = self.jar.lock() {
            for line in headers.get_all(SET_COOKIE).iter().filter_map(|v| v.to_str().ok()) {
                let pair = line.split(';').next().unwrap_or_default();
                if let Some((name, value)) = pair.split_once('=') {
                    jar.insert(name.trim().to_owned(), value.trim().to_owned());
                }
            }
        }
        let text = response.text().await.unwrap_or_default();
        let shown: Vec<String> = headers
            .iter()
            .filter_map(|(name, value)| value.to_str().ok().map(|v| format!("{name}: {v}")))
            .chain([text.clone()])
            .collect();
        self.remember(shown.join("\n"));
        Ok((status, headers, text))
    }

    /// Starts a checkout for `flow`. `Ok(Err(status))`: the adapter refused the flow (4xx).
    pub async fn start(&self, flow: &'static str) -> Result<Result<Checkout, u16>, String> {
        let builder = self.request(reqwest::Method::POST, &self.start_url).json(&json!({ "flow": flow }));
        let (status, _, text) = self.send(builder).await.map_err(|e| format!("--start {}: {e}", self.start_url))?;
        if (400..500).contains(&status) {
            return Ok(Err(status));
        }
        if !(200..300).contains(&status) {
            return Err(format!("--start answered HTTP {status} for flow {flow}: {text}"));
        }
        let reply: Value = serde_json::from_str(&text).map_err(|_| format!("--start answered no JSON: {text}"))?;
        let context = reply.get("context").cloned().ok_or("--start answered no `context`")?;
        let amount = reply.get("amount").and_then(Value::as_u64).ok_or("--start answered no `amount` (minor units)")?;
        let currency = reply.get("currency").and_then(Value::as_str).ok_or("--start answered no `currency`")?;
        let authorize_url = reply.get("authorize_url").and_then(Value::as_str).unwrap_or(&self.authorize_url);
        Ok(Ok(Checkout { context, amount, currency: currency.to_owned(), authorize_url: authorize_url.to_owned() }))
    }

    /// The button's click: the body of spec A2 under `key`, with `extra` fields merged into
    /// the body (a tampering browser).
    pub async fn click(&self, checkout: &Checkout, session_token: &str, key: &str, extra: Option<&Value>) -> Reply {
        let mut body = json!({
            "klarna_network_session_token": session_token,
            "payment_option_id": PAYMENT_OPTION,
            "context": checkout.context,
        });
        if let (Some(Value::Object(fields)), Some(object)) = (extra, body.as_object_mut()) {
            object.extend(fields.clone());
        }
        let builder = self
            .request(reqwest::Method::POST, &checkout.authorize_url)
            .header("Accept", "application/json")
            .header("Idempotency-Key", key)
            .json(&body);
        match self.send(builder).await {
            Ok((status, _, text)) => Reply { status, json: serde_json::from_str(&text).ok(), text },
            Err(error) => Reply { status: 0, json: None, text: error },
        }
    }

    /// Comes back from the journey to `url`, following redirects on the same origin; the
    /// statuses seen.
    pub async fn come_back(&self, url: &str) -> Result<Vec<u16>, String> {
        let mut url = url::Url::parse(url).map_err(|e| format!("the return URL {url:?}: {e}"))?;
        let mut statuses = Vec::new();
        for _ in 0..MAX_REDIRECTS {
            let (status, headers, _) = self.send(self.request(reqwest::Method::GET, url.as_str())).await?;
            statuses.push(status);
            let next = headers.get(LOCATION).and_then(|v| v.to_str().ok()).and_then(|to| url.join(to).ok());
            match next {
                Some(next) if (300..400).contains(&status) && next.origin() == url.origin() => url = next,
                _ => break,
            }
        }
        Ok(statuses)
    }
}
