//! The simulator, as the kit reaches it: its `/_sim` controls (queue, state, deliveries), an
//! SDK session token, the journey's approve button, and a webhook sent by hand.

use serde_json::{json, Value};

/// A client for one running simulator.
pub struct SimClient {
    http: reqwest::Client,
    api: String,
    browser: String,
}

/// A webhook delivery the simulator owed, as it was signed and sent.
#[derive(Debug, Clone)]
pub struct Delivered {
    /// Where it went.
    pub url: String,
    /// `Klarna-Signing-Key-Id`.
    pub signing_key_id: String,
    /// How `Klarna-Signature` is written.
    pub encoding: klarna_api::SignatureEncoding,
    /// The body, exactly as signed.
    pub body: String,
}

/// What one webhook POST got back.
pub type Status = Result<u16, String>;

impl SimClient {
    /// A client for the simulator whose partner API is `api` and browser listener `browser`.
    pub fn new(api: &str, browser: &str) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self { http, api: api.trim_end_matches('/').to_owned(), browser: browser.trim_end_matches('/').to_owned() })
    }

    async fn control(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<Value, String> {
        let url = format!("{}/_sim{path}", self.api);
        let mut request = self.http.request(method, &url);
        if let Some(body) = body {
            request = request.json(&body);
        } else {
            request = request.header("Content-Type", "application/json");
        }
        let response = request.send().await.map_err(|e| format!("{url}: {e}"))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| format!("{url}: {e}"))?;
        if !status.is_success() {
            return Err(format!("{url}: HTTP {status}: {text}"));
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// `GET /_sim/state`.
    pub async fn state(&self) -> Result<Value, String> {
        self.control(reqwest::Method::GET, "/state", None).await
    }

    /// Empties the scenario queues, then queues `scenarios` for the next Authorize calls.
    pub async fn queue(&self, scenarios: &[&str]) -> Result<(), String> {
        self.control(reqwest::Method::DELETE, "/outcomes", None).await?;
        if !scenarios.is_empty() {
            self.control(reqwest::Method::POST, "/outcomes", Some(json!({ "scenarios": scenarios }))).await?;
        }
        Ok(())
    }

    /// Holds webhook deliveries back (`true`) or lets them go.
    pub async fn hold(&self, hold: bool) -> Result<(), String> {
        let path = if hold { "/deliveries/hold" } else { "/deliveries/release" };
        self.control(reqwest::Method::POST, path, Some(json!({}))).await.map(|_| ())
    }

    /// `GET /_sim/deliveries`: the attempts made and the deliveries still owed.
    pub async fn deliveries(&self) -> Result<Value, String> {
        self.control(reqwest::Method::GET, "/deliveries", None).await
    }

    /// The deliveries still owed (held), with their bodies.
    pub async fn pending(&self) -> Result<Vec<Delivered>, String> {
        let deliveries = self.deliveries().await?;
        let pending = deliveries.get("pending").and_then(Value::as_array).cloned().unwrap_or_default();
        Ok(pending
            .iter()
            .filter_map(|d| {
                Some(Delivered {
                    url: d.get("url")?.as_str()?.to_owned(),
                    signing_key_id: d.get("signing_key_id")?.as_str()?.to_owned(),
                    encoding: serde_json::from_value(d.get("encoding")?.clone()).ok()?,
                    body: d.get("body")?.as_str()?.to_owned(),
                })
            })
            .collect())
    }

    /// A network session token, as Klarna's SDK gets one when the page loads it.
    pub async fn session_token(&self) -> Result<String, String> {
        let url = format!("{}/web-sdk/v2/session", self.browser);
        let reply: Value = self
            .http
            .post(&url)
            .json(&json!({}))
            .send()
            .await
            .map_err(|e| format!("{url}: {e}"))?
            .json()
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        reply
            .get("klarnaNetworkSessionToken")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("{url} gave no session token"))
    }

    /// The shopper approves the journey at `journey_url`; the return URL Klarna sends them to.
    pub async fn approve(&self, journey_url: &str) -> Result<String, String> {
        let mut url = url::Url::parse(journey_url).map_err(|e| format!("journey URL {journey_url:?}: {e}"))?;
        let path = format!("{}/approve", url.path().trim_end_matches('/'));
        url.set_path(&path);
        url.set_query(None);
        let response = self.http.post(url.as_str()).send().await.map_err(|e| format!("{url}: {e}"))?;
        response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .ok_or_else(|| format!("the journey's approve answered HTTP {} without a redirect", response.status()))
    }

    /// POSTs a webhook `body` to `url` with the given signature headers.
    pub async fn send_webhook(&self, url: &str, key_id: &str, signature: &str, body: &str) -> Status {
        let response = self
            .http
            .post(url)
            .header("Content-Type", "application/json")
            .header(klarna_api::webhook::headers::SIGNATURE, signature)
            .header(klarna_api::webhook::headers::SIGNING_KEY_ID, key_id)
            .body(body.to_owned())
            .send()
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        Ok(response.status().as_u16())
    }
}
