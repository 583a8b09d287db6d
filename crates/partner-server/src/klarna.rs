//! The HTTP client for Klarna's API (or the simulator: the same calls).

use std::time::Duration;

use klarna_api::authorize::headers::{
    CUSTOMER_TOKEN, IDEMPOTENCY_KEY, INTEGRATION_METADATA, INTEROPERABILITY_TOKEN, NETWORK_SESSION_TOKEN,
    PARTNER_CORRELATION_ID,
};
use klarna_api::transaction::{CaptureRequest, RefundRequest};
use klarna_api::{AuthorizeRequest, AuthorizeResponse, ErrorBody, PaymentRequest};
use serde::de::DeserializeOwned;

/// Klarna's reply to one call.
#[derive(Debug)]
pub enum Reply<T> {
    /// 2xx with the expected body.
    Ok(T),
    /// A non-2xx status, with Klarna's error body when it sent one.
    Refused {
        /// HTTP status.
        status: u16,
        /// Klarna's error, if the body was one.
        body: Option<ErrorBody>,
    },
    /// 2xx whose body is not what Klarna documents.
    Malformed,
    /// No reply: connection refused, reset, or timed out.
    Unreachable(String),
}

/// An Authorize call as it is sent: kept with the attempt, so an attempt whose outcome is
/// unknown can be sent again unchanged under its Klarna key.
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

impl Klarna {
    /// A client for `base` (such as `https://api-global.test.klarna.com`).
    pub fn new(base: &str, key: &str, account: &str) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Self { http, base: base.trim_end_matches('/').to_owned(), key: key.to_owned(), account: account.to_owned() }
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
            Err(error) => return Reply::Unreachable(error.to_string()),
        };
        let status = response.status().as_u16();
        let bytes = match response.bytes().await {
            Ok(bytes) => bytes,
            Err(error) => return Reply::Unreachable(error.to_string()),
        };
        if !(200..300).contains(&status) {
            return Reply::Refused { status, body: serde_json::from_slice(&bytes).ok() };
        }
        serde_json::from_slice(&bytes).map_or(Reply::Malformed, Reply::Ok)
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

    /// `GET /payment/requests/{id}`.
    pub async fn payment_request(&self, id: &str) -> Reply<PaymentRequest> {
        Self::send(self.request(reqwest::Method::GET, &format!("/payment/requests/{id}"))).await
    }

    /// `DELETE /payment/requests/{id}`.
    pub async fn cancel_payment_request(&self, id: &str) -> Reply<PaymentRequest> {
        Self::send(self.request(reqwest::Method::DELETE, &format!("/payment/requests/{id}"))).await
    }

    /// `POST /payment/transactions/{id}/captures`.
    pub async fn capture(&self, id: &str, body: &CaptureRequest, key: &str) -> Reply<serde_json::Value> {
        let request = self.request(reqwest::Method::POST, &format!("/payment/transactions/{id}/captures"));
        Self::send(request.json(body).header(IDEMPOTENCY_KEY, key)).await
    }

    /// `POST /payment/transactions/{id}/refunds`.
    pub async fn refund(&self, id: &str, body: &RefundRequest, key: &str) -> Reply<serde_json::Value> {
        let request = self.request(reqwest::Method::POST, &format!("/payment/transactions/{id}/refunds"));
        Self::send(request.json(body).header(IDEMPOTENCY_KEY, key)).await
    }
}
