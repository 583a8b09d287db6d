//! The HTTP client for Klarna's API (or the simulator: the same calls).

use std::time::Duration;

use klarna_api::authorize::headers::{
    CUSTOMER_TOKEN, IDEMPOTENCY_KEY, INTEGRATION_METADATA, INTEROPERABILITY_TOKEN, NETWORK_SESSION_TOKEN,
    PARTNER_CORRELATION_ID,
};
use klarna_api::transaction::{CaptureRequest, RefundRequest};
use klarna_api::{AuthorizeRequest, AuthorizeResponse, ErrorBody};
use serde::de::DeserializeOwned;

/// The most of a reply this client reads.
const MAX_REPLY_BYTES: usize = 4 * 1024 * 1024;

/// Klarna's reply to one call.
#[derive(Debug)]
pub enum Reply<T> {
    /// 2xx with the expected body.
    Ok(T),
    /// 2xx whose body is not what Klarna documents (kept raw, for reconciliation).
    Malformed {
        /// The raw body, as far as it was read.
        body: String,
    },
    /// A non-2xx status.
    Refused {
        /// HTTP status.
        status: u16,
        /// Klarna's error, when the body was one.
        error: Option<ErrorBody>,
        /// The raw body.
        body: String,
        /// `Retry-After`, in milliseconds.
        retry_after_ms: Option<i64>,
    },
    /// The request could not even be built (a header value Klarna's API cannot take, say):
    /// nothing was sent.
    NotSent(String),
    /// No reply. `connected` says whether the request may have reached Klarna.
    Unreachable {
        /// Why.
        why: String,
        /// False when no connection was made: nothing was sent.
        connected: bool,
    },
}

impl<T> Reply<T> {
    /// A short description for logs and error messages (never a body that may hold secrets).
    pub fn describe(&self) -> String {
        match self {
            Self::Ok(_) => "ok".to_owned(),
            Self::Malformed { .. } => "a 2xx reply that is not what Klarna documents".to_owned(),
            Self::Refused { status, error: Some(error), .. } => format!("HTTP {status} {}", error.error_code),
            Self::Refused { status, error: None, .. } => format!("HTTP {status}"),
            Self::NotSent(why) => format!("not sent: {why}"),
            Self::Unreachable { why, .. } => format!("unreachable: {why}"),
        }
    }
}

/// An Authorize call as it is sent: kept with the attempt, so an attempt whose outcome is
/// unknown is sent again unchanged under its Klarna key.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct StoredCall {
    /// The body.
    pub request: AuthorizeRequest,
    /// `Klarna-Network-Session-Token`, from the shopper's SDK.
    pub network_session_token: Option<String>,
    /// `Klarna-Customer-Token`, for a token charge.
    pub customer_token: Option<String>,
    /// `Klarna-Interoperability-Token`, from the Partner.
    pub interoperability_token: Option<String>,
}

/// Optional headers of an Authorize call.
#[derive(Default)]
pub struct AuthorizeHeaders<'a> {
    /// `Klarna-Idempotency-Key`.
    pub idempotency_key: Option<&'a str>,
    /// `Klarna-Network-Session-Token`.
    pub network_session_token: Option<&'a str>,
    /// `Klarna-Customer-Token`.
    pub customer_token: Option<&'a str>,
    /// `Klarna-Interoperability-Token`.
    pub interoperability_token: Option<&'a str>,
}

/// A client bound to one base URL, API key and partner account.
#[derive(Clone)]
pub struct Klarna {
    http: reqwest::Client,
    base: String,
    key: String,
    account: String,
}

fn retry_after_ms(headers: &reqwest::header::HeaderMap) -> Option<i64> {
    let seconds: i64 = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()?;
    Some(seconds.clamp(0, 3600).saturating_mul(1000))
}

impl Klarna {
    /// A client for `base` (such as `https://api-global.test.klarna.com`); a call that takes
    /// longer than `timeout` is abandoned (its outcome is then unknown).
    pub fn new(base: &str, key: &str, account: &str, timeout: Duration) -> Self {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(5).min(timeout))
            .pool_max_idle_per_host(256)
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Self { http, base: base.trim_end_matches('/').to_owned(), key: key.to_owned(), account: account.to_owned() }
    }

    /// The partner account the calls act for.
    pub fn account(&self) -> &str {
        &self.account
    }

    fn url(&self, path: &str) -> String {
        format!("{}/v2/accounts/{}{path}", self.base, self.account)
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let metadata = serde_json::json!({
            "integrator": {"name": "klarna-payment-button reference partner", "module_name": "partner-server",
                           "module_version": env!("CARGO_PKG_VERSION")},
            "originators": []
        });
        self.http
            .request(method, self.url(path))
            .header("Authorization", format!("Basic {}", self.key))
            .header(PARTNER_CORRELATION_ID, uuid::Uuid::new_v4().to_string())
            .header(INTEGRATION_METADATA, metadata.to_string())
    }

    async fn send<T: DeserializeOwned>(request: reqwest::RequestBuilder) -> Reply<T> {
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) if error.is_builder() => return Reply::NotSent(error.to_string()),
            Err(error) => return Reply::Unreachable { why: error.to_string(), connected: !error.is_connect() },
        };
        let status = response.status().as_u16();
        let retry_after = retry_after_ms(response.headers());
        if response.content_length().is_some_and(|length| length > MAX_REPLY_BYTES as u64) {
            return Reply::Malformed { body: format!("a reply of {:?} bytes", response.content_length()) };
        }
        let bytes = match response.bytes().await {
            Ok(bytes) => bytes,
            Err(error) => return Reply::Unreachable { why: error.to_string(), connected: true },
        };
        let text = String::from_utf8_lossy(bytes.get(..MAX_REPLY_BYTES).unwrap_or(&bytes)).into_owned();
        if !(200..300).contains(&status) {
            let error: Option<ErrorBody> = serde_json::from_slice(&bytes).ok();
            if error.is_none() {
                tracing::warn!(status, body = %text, "Klarna's error reply is not an error body");
            }
            return Reply::Refused { status, error, body: text, retry_after_ms: retry_after };
        }
        match serde_json::from_slice(&bytes) {
            Ok(value) => Reply::Ok(value),
            Err(error) => {
                tracing::warn!(status, %error, "Klarna's reply is not what its documentation describes");
                Reply::Malformed { body: text }
            }
        }
    }

    /// `POST /payment/authorize`.
    pub async fn authorize(&self, body: &AuthorizeRequest, headers: AuthorizeHeaders<'_>) -> Reply<AuthorizeResponse> {
        let mut request = self.request(reqwest::Method::POST, "/payment/authorize").json(body);
        for (name, value) in [
            (IDEMPOTENCY_KEY, headers.idempotency_key),
            (NETWORK_SESSION_TOKEN, headers.network_session_token),
            (CUSTOMER_TOKEN, headers.customer_token),
            (INTEROPERABILITY_TOKEN, headers.interoperability_token),
        ] {
            if let Some(value) = value {
                request = request.header(name, value);
            }
        }
        Self::send(request).await
    }

    /// `GET /payment/requests/{id}`, as JSON (its tokens may stand in several places).
    pub async fn payment_request(&self, id: &str) -> Reply<serde_json::Value> {
        Self::send(self.request(reqwest::Method::GET, &format!("/payment/requests/{}", crate::urls::segment(id)))).await
    }

    /// `DELETE /payment/requests/{id}`.
    pub async fn cancel_payment_request(&self, id: &str) -> Reply<serde_json::Value> {
        Self::send(self.request(reqwest::Method::DELETE, &format!("/payment/requests/{}", crate::urls::segment(id))))
            .await
    }

    /// `POST /payment/transactions/{id}/captures`.
    pub async fn capture(&self, id: &str, body: &CaptureRequest, key: &str) -> Reply<serde_json::Value> {
        let path = format!("/payment/transactions/{}/captures", crate::urls::segment(id));
        Self::send(self.request(reqwest::Method::POST, &path).json(body).header(IDEMPOTENCY_KEY, key)).await
    }

    /// `POST /payment/transactions/{id}/refunds`.
    pub async fn refund(&self, id: &str, body: &RefundRequest, key: &str) -> Reply<serde_json::Value> {
        let path = format!("/payment/transactions/{}/refunds", crate::urls::segment(id));
        Self::send(self.request(reqwest::Method::POST, &path).json(body).header(IDEMPOTENCY_KEY, key)).await
    }
}
