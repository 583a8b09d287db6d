//! The simulator over real HTTP on 127.0.0.1: every endpoint, validation rule, state
//! transition, idempotency case, expiry, webhook signature and retry.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test helpers fail a test by panicking"
)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use hmac::{Hmac, Mac};
use klarna_sim::{Sim, SimConfig, WebhookTarget};
use serde_json::{json, Value};

const API_KEY: &str = "klarna_test_api_0123456789abcdef";
const KEY: &str = "Basic klarna_test_api_0123456789abcdef";
const ACCOUNT: &str = "krn:partner:global:account:test:shop-1";
const SIGNING_KEY: &str = "whsec-test-key";

/// A simulator on two loopback listeners, as the binary serves it: the browser's (journey,
/// SDK stand-in) and the partner API's (with `/_sim`).
struct Harness {
    /// The partner API and the controls.
    base: String,
    /// The browser listener.
    browser: String,
    http: reqwest::Client,
}

async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(http_kit::serve(listener, router, http_kit::Limits::default(), std::future::pending()));
    format!("http://{address}")
}

async fn start(config: SimConfig) -> Harness {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let browser = format!("http://{}", listener.local_addr().unwrap());
    let api_keys = if config.api_keys.is_empty() { vec![API_KEY.to_owned()] } else { config.api_keys.clone() };
    let sim = Sim::new(SimConfig { public_url: Some(browser.clone()), api_keys, ..config });
    tokio::spawn(http_kit::serve(listener, sim.browser_router(), http_kit::Limits::default(), std::future::pending()));
    let base = serve(sim.api_router().merge(sim.control_router())).await;
    Harness {
        base,
        browser,
        http: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap(),
    }
}

async fn sim() -> Harness {
    start(SimConfig::default()).await
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
    text: String,
}

impl Harness {
    /// A URL of the partner API (or `/_sim`).
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A URL of the browser listener.
    fn page(&self, path: &str) -> String {
        format!("{}{path}", self.browser)
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply { status, headers, body, text }
    }

    async fn authorize_with(&self, body: &Value, headers: &[(&str, &str)]) -> Reply {
        let mut request = self
            .http
            .post(self.url(&format!("/v2/accounts/{ACCOUNT}/payment/authorize")))
            .header("Authorization", KEY)
            .json(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request).await
    }

    async fn authorize(&self, body: &Value) -> Reply {
        self.authorize_with(body, &[]).await
    }

    async fn get(&self, path: &str) -> Reply {
        self.send(self.http.get(self.url(path)).header("Authorization", KEY)).await
    }

    async fn control(&self, path: &str, body: Value) -> Reply {
        self.send(self.http.post(self.url(path)).json(&body)).await
    }

    async fn request(&self, id: &str) -> Reply {
        self.get(&format!("/v2/accounts/{ACCOUNT}/payment/requests/{id}")).await
    }

    /// Where the journey of request `id` starts, as Klarna gave it.
    async fn journey_url(&self, id: &str) -> String {
        let request = self.request(id).await.body;
        request["state_context"]["customer_interaction"]["payment_request_url"].as_str().unwrap().to_owned()
    }

    /// Opens the journey and acts with `?auto=`; returns the redirect target, if any.
    async fn journey(&self, id: &str, action: &str) -> Reply {
        let url = self.journey_url(id).await;
        self.send(self.http.get(format!("{url}?auto={action}"))).await
    }

    async fn state(&self) -> Value {
        self.send(self.http.get(self.url("/_sim/state"))).await.body
    }
}

fn purchase(reference: &str) -> Value {
    json!({
        "currency": "USD",
        "request_payment_transaction": {"amount": 11800, "payment_transaction_reference": reference},
        "step_up_config": {"payment_request_reference": "session-1", "customer_interaction_config": {
            "method": "HANDOVER",
            "return_url": "https://shop.example/return?id={klarna.payment_request.id}&state={klarna.payment_request.state}&ref={klarna.payment_request.payment_request_reference}&token={klarna.payment_token}"
        }},
        "supplementary_purchase_data": {"purchase_reference": reference, "line_items": [
            {"name": "Shoes", "quantity": 2, "unit_price": 5000, "total_amount": 10000},
            {"name": "Socks", "quantity": 1, "unit_price": 1800, "total_amount": 1800}
        ]}
    })
}

fn tokenization(scope: &str, with_payment: bool, reference: &str) -> Value {
    let mut body = json!({
        "currency": "USD",
        "request_customer_token": {"scopes": [scope], "customer_token_reference": reference},
        "step_up_config": {"customer_interaction_config": {"method": "SDK", "return_url": "https://shop.example/return"}},
        "supplementary_purchase_data": {
            "ondemand_service": {"average_amount": 2500, "purchase_interval": "MONTH", "purchase_interval_frequency": 1},
            "subscriptions": [{"subscription_reference": "sub-1", "name": "Coffee club", "billing_plans": [
                {"billing_amount": 1500, "currency": "USD", "interval": "MONTH", "interval_frequency": 1}]}]
        }
    });
    if with_payment {
        body["request_payment_transaction"] = json!({"amount": 11800});
    }
    body
}

fn charge(present: bool, reference: &str) -> Value {
    let mut body = json!({
        "currency": "USD",
        "request_payment_transaction": {"amount": 2500, "payment_transaction_reference": reference},
        "supplementary_purchase_data": {"subscriptions": [{"subscription_reference": "sub-1", "name": "Coffee club",
            "billing_plans": [{"billing_amount": 2500, "currency": "USD", "interval": "MONTH", "interval_frequency": 1}]}]}
    });
    if present {
        body["step_up_config"] =
            json!({"customer_interaction_config": {"method": "SDK", "return_url": "https://shop.example/r"}});
    }
    body
}

fn results(reply: &Reply) -> (Option<&str>, Option<&str>) {
    (
        reply.body["payment_transaction_response"]["result"].as_str(),
        reply.body["customer_token_response"]["result"].as_str(),
    )
}

fn request_id(reply: &Reply) -> String {
    reply.body["payment_request"]["payment_request_id"].as_str().unwrap().to_owned()
}

fn assert_klarna_error(reply: &Reply, status: u16, code: &str) {
    assert_eq!(reply.status.as_u16(), status, "{}", reply.text);
    assert_eq!(reply.body["error_code"], code, "{}", reply.text);
    assert!(reply.body["error_id"].as_str().is_some_and(|id| !id.is_empty()), "{}", reply.text);
    assert!(reply.body["error_type"].is_string() && reply.body["error_message"].is_string(), "{}", reply.text);
}

/// The final authorization of an 11800 USD purchase with `session_token`.
async fn finalize(h: &Harness, session_token: &str) -> Reply {
    let body = json!({"currency": "USD", "request_payment_transaction": {"amount": 11800}});
    h.authorize_with(&body, &[("Klarna-Network-Session-Token", session_token)]).await
}

/// Approves the journey of request `id` and returns its network session token.
async fn approve(h: &Harness, id: &str) -> String {
    h.journey(id, "approve").await;
    h.request(id).await.body["state_context"]["klarna_network_session_token"].as_str().unwrap().to_owned()
}

/// A customer token for `scope`, made the documented way: tokenize, approve the journey.
async fn customer_token(h: &Harness, scope: &str) -> String {
    let reply = h.authorize(&tokenization(scope, false, "tok")).await;
    let id = request_id(&reply);
    h.journey(&id, "approve").await;
    let request = h.request(&id).await;
    request.body["state_context"]["customer_token"]["customer_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn refuses_missing_malformed_live_and_unknown_keys() {
    let h = sim().await;
    let url = h.url(&format!("/v2/accounts/{ACCOUNT}/payment/authorize"));
    let body = purchase("x");
    for auth in [
        None,
        Some("Bearer klarna_test_api_0123456789"),
        Some("Basic "),
        Some("Basic klarna_live_api_0123456789abcdef"),
        Some("Basic sk_test_123456789"),
        // A well-formed test key the simulator was not configured with.
        Some("Basic klarna_test_api_selfmade0123456789"),
    ] {
        let mut request = h.http.post(&url).json(&body);
        if let Some(auth) = auth {
            request = request.header("Authorization", auth);
        }
        let reply = h.send(request).await;
        assert_klarna_error(&reply, 401, "UNAUTHORIZED");
        assert_eq!(reply.body["error_type"], "ACCESS_ERROR");
    }
}

#[tokio::test]
async fn refuses_non_json_and_oversized_bodies() {
    let h = sim().await;
    let url = h.url(&format!("/v2/accounts/{ACCOUNT}/payment/authorize"));
    let reply =
        h.send(h.http.post(&url).header("Authorization", KEY).header("Content-Type", "text/plain").body("{}")).await;
    assert_klarna_error(&reply, 400, "INVALID_CONTENT_TYPE");
    let big = format!("{{\"currency\":\"USD\",\"pad\":\"{}\"}}", "x".repeat(1024 * 1024));
    let reply = h
        .send(h.http.post(&url).header("Authorization", KEY).header("Content-Type", "application/json").body(big))
        .await;
    assert_klarna_error(&reply, 413, "PAYLOAD_TOO_LARGE");
    let reply = h
        .send(h.http.post(&url).header("Authorization", KEY).header("Content-Type", "application/json").body("{"))
        .await;
    assert_klarna_error(&reply, 400, "VALIDATION_ERROR");
}

#[tokio::test]
async fn validates_like_the_real_api() {
    let h = sim().await;
    let mut cases: Vec<(Value, &str)> = Vec::new();
    let mut body = purchase("v");
    body["currency"] = json!("XYZ");
    cases.push((body, "currency"));
    let mut body = purchase("v");
    body["request_payment_transaction"]["amount"] = json!(0);
    cases.push((body, "request_payment_transaction.amount"));
    let mut body = purchase("v");
    body["request_payment_transaction"]["amount"] = json!(-5);
    cases.push((body, "request_payment_transaction.amount"));
    let mut body = purchase("v");
    body["request_payment_transaction"]["amount"] = json!(12.5);
    cases.push((body, "request_payment_transaction.amount"));
    let mut body = purchase("v");
    body["supplementary_purchase_data"]["line_items"][0]["quantity"] = json!(0);
    cases.push((body, "supplementary_purchase_data.line_items[0].quantity"));
    let mut body = purchase("v");
    body["supplementary_purchase_data"]["line_items"][0]["total_amount"] = json!(9000);
    cases.push((body, "supplementary_purchase_data.line_items"));
    let mut body = purchase("v");
    body["step_up_config"]["customer_interaction_config"].as_object_mut().unwrap().remove("return_url");
    cases.push((body, "step_up_config.customer_interaction_config.return_url"));
    let mut body = purchase("v");
    body["request_payment_transaction"]["amount"] = json!(11700);
    cases.push((body, "supplementary_purchase_data.line_items"));
    let mut body = purchase("v");
    body["step_up_config"]["customer_interaction_config"]["method"] = json!("TELEPORT");
    cases.push((body, "step_up_config.customer_interaction_config.method"));
    let mut body = purchase("v");
    body["step_up_config"]["customer_interaction_config"]["return_url"] = json!("javascript:alert(1)");
    cases.push((body, "step_up_config.customer_interaction_config.return_url"));
    let mut body = purchase("v");
    body.as_object_mut().unwrap().remove("request_payment_transaction");
    cases.push((body, "request_payment_transaction"));
    let mut body = tokenization("payment:customer_not_present", false, "t");
    body["supplementary_purchase_data"].as_object_mut().unwrap().remove("subscriptions");
    cases.push((body, "supplementary_purchase_data.subscriptions"));
    let mut body = tokenization("payment:customer_present", false, "t");
    body["supplementary_purchase_data"].as_object_mut().unwrap().remove("ondemand_service");
    cases.push((body, "supplementary_purchase_data.ondemand_service"));
    cases.push((tokenization("payment:teleport", false, "t"), "request_customer_token.scopes"));
    let mut body = tokenization("payment:customer_present", false, "t");
    body["request_customer_token"]["scopes"] = json!([]);
    cases.push((body, "request_customer_token.scopes"));
    for (body, parameter) in cases {
        let reply = h.authorize(&body).await;
        assert_klarna_error(&reply, 400, "VALIDATION_ERROR");
        assert_eq!(reply.body["validation_errors"][0]["parameter"], parameter, "{}", reply.text);
        assert!(reply.body["validation_errors"][0]["reason"].is_string());
    }
    assert!(h.state().await["requests"].as_object().unwrap().is_empty(), "a refused request created state");
}

#[tokio::test]
async fn interoperability_token_is_opaque_up_to_8192_characters() {
    let h = sim().await;
    let ok = "i".repeat(8192);
    let reply = h.authorize_with(&purchase("io"), &[("Klarna-Interoperability-Token", &ok)]).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let long = "i".repeat(8193);
    let reply = h.authorize_with(&purchase("io"), &[("Klarna-Interoperability-Token", &long)]).await;
    assert_klarna_error(&reply, 400, "VALIDATION_ERROR");
}

#[tokio::test]
async fn a_purchase_steps_up_with_a_payment_request() {
    let h = sim().await;
    let reply = h.authorize_with(&purchase("order-1"), &[("Partner-Correlation-Id", "corr-123")]).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(results(&reply), (Some("STEP_UP_REQUIRED"), None));
    assert!(reply.headers.get("klarna-correlation-id").is_some());
    assert_eq!(reply.headers.get("partner-correlation-id").unwrap(), "corr-123");
    let request = &reply.body["payment_request"];
    let id = request["payment_request_id"].as_str().unwrap();
    assert!(id.starts_with("krn:payment:eu1:request:"), "{id}");
    assert_eq!(request["state_context"]["customer_interaction"]["payment_request_id"], id);
    assert_eq!(request["state_context"]["customer_interaction"]["method"], "HANDOVER");
    assert_eq!(
        request["state_context"]["customer_interaction"]["payment_request_url"],
        h.page(&format!("/eu/requests/{}/start", id.trim_start_matches("krn:payment:eu1:request:")))
    );
    assert_eq!(
        (request["state"].as_str(), request["amount"].as_u64(), request["currency"].as_str()),
        (Some("SUBMITTED"), Some(11800), Some("USD"))
    );
    assert_eq!(request["payment_request_reference"], "session-1");
    let created = time::OffsetDateTime::parse(
        request["created_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let expires = time::OffsetDateTime::parse(
        request["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(expires - created, time::Duration::hours(3));
    let read = h.request(id).await;
    assert_eq!(read.body["state"], "SUBMITTED");
}

#[tokio::test]
async fn without_step_up_config_a_purchase_is_declined() {
    let h = sim().await;
    let mut body = purchase("order-2");
    body.as_object_mut().unwrap().remove("step_up_config");
    let reply = h.authorize(&body).await;
    assert_eq!(results(&reply), (Some("DECLINED"), None));
    assert!(reply.body["payment_transaction_response"]["result_reason"].is_string());
    assert!(reply.body.get("payment_request").is_none());
}

#[tokio::test]
async fn tokenization_with_purchase_runs_the_whole_documented_flow() {
    let h = sim().await;
    let mut body = tokenization("payment:customer_present", true, "tok-ref");
    body["step_up_config"]["payment_request_reference"] = json!("cart 7");
    body["step_up_config"]["customer_interaction_config"]["return_url"] =
        json!("https://shop.example/back?id={klarna.payment_request.id}&state={klarna.payment_request.state}&ref={klarna.payment_request.payment_request_reference}&t={klarna.payment_token}");
    let reply = h.authorize(&body).await;
    assert_eq!(results(&reply), (Some("STEP_UP_REQUIRED"), Some("STEP_UP_REQUIRED")));
    let id = request_id(&reply);

    let page = h.send(h.http.get(h.journey_url(&id).await)).await;
    assert!(page.text.contains("data-action=\"approve\""), "{}", page.text);
    assert_eq!(h.request(&id).await.body["state"], "IN_PROGRESS");

    let done = h.send(h.http.post(format!("{}/approve", h.journey_url(&id).await))).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let location = done.headers.get("location").unwrap().to_str().unwrap().to_owned();
    let completed = h.request(&id).await.body;
    assert_eq!(completed["state"], "COMPLETED");
    assert_eq!(completed["previous_state"], "IN_PROGRESS");
    let session = completed["state_context"]["klarna_network_session_token"].as_str().unwrap().to_owned();
    assert!(session.starts_with("krn:payment:eu1:klarna-network-session-token:"));
    let token = &completed["state_context"]["customer_token"];
    assert!(token["customer_token"].as_str().unwrap().starts_with("krn:customer-token:eu1:"));
    assert_eq!(token["scopes"], json!(["payment:customer_present"]));
    assert_eq!(token["customer_token_reference"], "tok-ref");
    let encoded = |s: &str| s.replace(':', "%3A").replace(' ', "%20");
    assert_eq!(
        location,
        format!("https://shop.example/back?id={}&state=COMPLETED&ref=cart%207&t={}", encoded(&id), encoded(&session))
    );

    let final_body = json!({"currency": "USD", "request_payment_transaction": {"amount": 11800}});
    let wrong_amount = json!({"currency": "USD", "request_payment_transaction": {"amount": 100}});
    let reply = h.authorize_with(&wrong_amount, &[("Klarna-Network-Session-Token", &session)]).await;
    assert_klarna_error(&reply, 400, "VALIDATION_ERROR");
    let reply = h.authorize_with(&final_body, &[("Klarna-Network-Session-Token", &session)]).await;
    assert_eq!(results(&reply), (Some("APPROVED"), None), "{}", reply.text);
    let transaction =
        reply.body["payment_transaction_response"]["payment_transaction"]["payment_transaction_id"].as_str().unwrap();
    assert!(transaction.starts_with("krn:payment:eu1:transaction:"));
    let again = h.authorize_with(&final_body, &[("Klarna-Network-Session-Token", &session)]).await;
    assert_klarna_error(&again, 400, "VALIDATION_ERROR");
    assert!(again.text.contains("already used"), "{}", again.text);
    let cancel = h
        .send(
            h.http.delete(h.url(&format!("/v2/accounts/{ACCOUNT}/payment/requests/{id}"))).header("Authorization", KEY),
        )
        .await;
    assert_klarna_error(&cancel, 409, "RESOURCE_CONFLICT");
}

#[tokio::test]
async fn the_final_authorization_expires_60_minutes_after_completed() {
    let h = sim().await;
    let reply = h.authorize(&purchase("late")).await;
    let id = request_id(&reply);
    let session = approve(&h, &id).await;
    h.control("/_sim/clock", json!({"advance_minutes": 61})).await;
    let reply = finalize(&h, &session).await;
    assert_klarna_error(&reply, 400, "VALIDATION_ERROR");
    assert!(reply.text.contains("60 minutes"), "{}", reply.text);
    let unknown = h
        .authorize_with(
            &json!({"currency": "USD", "request_payment_transaction": {"amount": 1}}),
            &[("Klarna-Network-Session-Token", "krn:made-up")],
        )
        .await;
    assert_klarna_error(&unknown, 400, "VALIDATION_ERROR");
}

#[tokio::test]
async fn token_charges_follow_the_documented_defaults_and_scopes() {
    let h = sim().await;
    let present = customer_token(&h, "payment:customer_present").await;
    let not_present = customer_token(&h, "payment:customer_not_present").await;

    let reply = h.authorize_with(&charge(true, "cp"), &[("Klarna-Customer-Token", &present)]).await;
    assert_eq!(results(&reply), (Some("APPROVED"), None), "{}", reply.text);
    let reply = h.authorize_with(&charge(false, "cnp"), &[("Klarna-Customer-Token", &not_present)]).await;
    assert_eq!(results(&reply), (Some("APPROVED"), None), "{}", reply.text);
    // Customer-not-present charges never step up: a step-up scenario declines.
    let reply = h.authorize_with(&charge(false, "sim:step_up"), &[("Klarna-Customer-Token", &not_present)]).await;
    assert_eq!(results(&reply), (Some("DECLINED"), None), "{}", reply.text);
    let reply = h.authorize_with(&charge(false, "sim:decline"), &[("Klarna-Customer-Token", &not_present)]).await;
    assert_eq!(results(&reply), (Some("DECLINED"), None));
    // A customer-present token cannot be charged without the customer.
    let reply = h.authorize_with(&charge(false, "cnp"), &[("Klarna-Customer-Token", &present)]).await;
    assert_klarna_error(&reply, 403, "OPERATION_FORBIDDEN");
    let reply =
        h.authorize_with(&charge(true, "x"), &[("Klarna-Customer-Token", "krn:customer-token:eu1:forged")]).await;
    assert_klarna_error(&reply, 400, "VALIDATION_ERROR");
    // step_up_config.mode REQUIRED forces the step-up even for a one-click charge.
    let mut forced = charge(true, "forced");
    forced["step_up_config"]["mode"] = json!("REQUIRED");
    let reply = h.authorize_with(&forced, &[("Klarna-Customer-Token", &present)]).await;
    assert_eq!(results(&reply), (Some("STEP_UP_REQUIRED"), None), "{}", reply.text);
}

#[tokio::test]
async fn every_named_scenario_gives_its_row() {
    let h = sim().await;
    let rows = [
        ("approve", ("APPROVED", "APPROVED")),
        ("step_up", ("STEP_UP_REQUIRED", "STEP_UP_REQUIRED")),
        ("decline", ("DECLINED", "DECLINED")),
        ("pay_approved_token_step_up", ("APPROVED", "STEP_UP_REQUIRED")),
        ("pay_step_up_token_approved", ("STEP_UP_REQUIRED", "APPROVED")),
        ("pay_approved_token_declined", ("APPROVED", "DECLINED")),
        ("pay_declined_token_approved", ("DECLINED", "APPROVED")),
        ("pay_step_up_token_declined", ("STEP_UP_REQUIRED", "DECLINED")),
        ("pay_declined_token_step_up", ("DECLINED", "STEP_UP_REQUIRED")),
    ];
    for (word, (p, t)) in rows {
        let reply = h.authorize(&tokenization("payment:customer_present", true, &format!("sim:{word}"))).await;
        assert_eq!(results(&reply), (Some(p), Some(t)), "{word}: {}", reply.text);
        assert_eq!(
            reply.body.get("payment_request").is_some(),
            p == "STEP_UP_REQUIRED" || t == "STEP_UP_REQUIRED",
            "{word}"
        );
        assert_eq!(
            reply.body["payment_transaction_response"].get("payment_transaction").is_some(),
            p == "APPROVED",
            "{word}"
        );
        assert_eq!(reply.body["customer_token_response"].get("customer_token").is_some(), t == "APPROVED", "{word}");
    }
    // The word may stand in any of the four references.
    let mut body = purchase("plain");
    body["step_up_config"]["payment_request_reference"] = json!("checkout sim:approve");
    assert_eq!(results(&h.authorize(&body).await), (Some("APPROVED"), None));

    assert_klarna_error(&h.authorize(&purchase("sim:http_500")).await, 500, "INTERNAL_ERROR");
    let timeout = h.authorize(&purchase("sim:timeout")).await;
    assert_klarna_error(&timeout, 500, "TIMEOUT");
    assert_eq!(timeout.body["error_message"], "Request processing timeout.");
    assert_klarna_error(&h.authorize(&purchase("sim:rate_limited")).await, 429, "RATE_LIMITED");
    let malformed = h.authorize(&purchase("sim:malformed")).await;
    assert_eq!(malformed.status, 200);
    assert!(serde_json::from_str::<Value>(&malformed.text).is_err(), "{}", malformed.text);
    let started = Instant::now();
    let slow = h.authorize(&purchase("sim:slow:300")).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(results(&slow), (Some("STEP_UP_REQUIRED"), None));
    assert_klarna_error(&h.authorize(&purchase("sim:sometimes")).await, 400, "VALIDATION_ERROR");
}

#[tokio::test]
async fn queued_outcomes_apply_to_the_next_authorizations_in_order() {
    let h = sim().await;
    let reply = h.control("/_sim/outcomes", json!({"scenarios": ["decline", "rate_limited"]})).await;
    assert_eq!(reply.body["scenarios"], json!(["decline", "rate_limited"]));
    assert_eq!(results(&h.authorize(&purchase("q")).await), (Some("DECLINED"), None));
    assert_klarna_error(&h.authorize(&purchase("q")).await, 429, "RATE_LIMITED");
    assert_eq!(results(&h.authorize(&purchase("q")).await), (Some("STEP_UP_REQUIRED"), None));
    let bad = h.control("/_sim/outcomes", json!({"scenarios": ["nope"]})).await;
    assert_klarna_error(&bad, 400, "VALIDATION_ERROR");
    // DELETE empties the shared queue and each account's.
    h.control("/_sim/outcomes", json!({"scenarios": ["decline"]})).await;
    h.control("/_sim/outcomes", json!({"scenarios": ["decline"], "account": ACCOUNT})).await;
    let cleared = h.send(h.http.delete(h.url("/_sim/outcomes")).header("Content-Type", "application/json")).await;
    assert_eq!(cleared.status, 204);
    assert_eq!(h.get("/_sim/outcomes").await.body, json!({"scenarios": [], "accounts": {}}));
    assert_eq!(results(&h.authorize(&purchase("q")).await), (Some("STEP_UP_REQUIRED"), None));
}

#[tokio::test]
async fn idempotency_keys_replay_the_first_reply_for_24_hours() {
    let h = sim().await;
    let key = [("Klarna-Idempotency-Key", "5f0c1b7e-4a8c-5d2e-9f13-2b8f6c1d0a11")];
    let first = h.authorize_with(&purchase("idem"), &key).await;
    let second = h.authorize_with(&purchase("idem"), &key).await;
    assert_eq!(first.body, second.body);
    assert_eq!(h.state().await["requests"].as_object().unwrap().len(), 1);
    let conflict = h.authorize_with(&purchase("other body"), &key).await;
    assert_klarna_error(&conflict, 409, "RESOURCE_CONFLICT");
    // An error is not remembered: the same key can succeed later.
    let flaky = [("Klarna-Idempotency-Key", "flaky-1")];
    h.control("/_sim/outcomes", json!({"scenarios": ["http_500"]})).await;
    assert_eq!(h.authorize_with(&purchase("f"), &flaky).await.status, 500);
    assert_eq!(h.authorize_with(&purchase("f"), &flaky).await.status, 200);
    h.control("/_sim/clock", json!({"advance_minutes": 24 * 60 + 1})).await;
    let later = h.authorize_with(&purchase("idem"), &key).await;
    assert_ne!(request_id(&later), request_id(&first));
}

#[tokio::test]
async fn a_key_in_flight_is_not_processed_twice() {
    let h = sim().await;
    let key = [("Klarna-Idempotency-Key", "in-flight-1")];
    let body = purchase("sim:slow:300");
    let (a, b) = tokio::join!(h.authorize_with(&body, &key), async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        h.authorize_with(&body, &key).await
    });
    // Whichever arrived first is processed; the other is refused while it is in flight.
    let (first, second) = if a.status == 200 { (a, b) } else { (b, a) };
    assert_eq!(first.status, 200, "{}", first.text);
    assert_klarna_error(&second, 409, "RESOURCE_CONFLICT");
    assert_eq!(h.state().await["requests"].as_object().unwrap().len(), 1);
    let replay = h.authorize_with(&body, &key).await;
    assert_eq!(replay.body, first.body, "after the first finished, the key replays it");
}

#[tokio::test]
async fn a_canceled_request_cannot_be_finalized() {
    let h = sim().await;
    let id = request_id(&h.authorize(&purchase("cancel-then-final")).await);
    let session = approve(&h, &id).await;
    let cancel =
        h.http.delete(h.url(&format!("/v2/accounts/{ACCOUNT}/payment/requests/{id}"))).header("Authorization", KEY);
    assert_eq!(h.send(cancel).await.body["state"], "CANCELED");
    let reply = finalize(&h, &session).await;
    assert_klarna_error(&reply, 400, "VALIDATION_ERROR");
    assert!(reply.text.contains("CANCELED"), "{}", reply.text);
}

#[tokio::test]
async fn control_changes_need_a_json_content_type() {
    let h = sim().await;
    let reset = h.send(h.http.post(h.url("/_sim/reset"))).await;
    assert_klarna_error(&reset, 400, "INVALID_CONTENT_TYPE");
    let form = h
        .send(h.http.post(h.url("/_sim/deliveries/hold")).header("Content-Type", "application/x-www-form-urlencoded"))
        .await;
    assert_klarna_error(&form, 400, "INVALID_CONTENT_TYPE");
    assert_eq!(h.state().await["holding_deliveries"], false);
}

#[tokio::test]
async fn payment_requests_follow_the_documented_state_machine() {
    let h = sim().await;
    let cancel = |id: String| {
        let request =
            h.http.delete(h.url(&format!("/v2/accounts/{ACCOUNT}/payment/requests/{id}"))).header("Authorization", KEY);
        h.send(request)
    };
    let id = request_id(&h.authorize(&purchase("a")).await);
    let canceled = cancel(id.clone()).await;
    assert_eq!(
        (canceled.body["state"].as_str(), canceled.body["state_reason"].as_str()),
        (Some("CANCELED"), Some("PARTNER_CANCELED"))
    );
    assert_klarna_error(&cancel(id.clone()).await, 409, "RESOURCE_CONFLICT");
    let journey = h.journey(&id, "approve").await;
    assert_eq!(journey.status, StatusCode::CONFLICT);

    let id = request_id(&h.authorize(&purchase("b")).await);
    h.journey(&id, "decline").await;
    assert_eq!(h.request(&id).await.body["state"], "DECLINED");

    // Leaving the journey is not a cancellation: the request is SUBMITTED again.
    let id = request_id(&h.authorize(&purchase("c")).await);
    let back = h.journey(&id, "cancel").await;
    assert_eq!(back.status, StatusCode::SEE_OTHER);
    assert!(back.headers["location"].to_str().unwrap().contains("state=SUBMITTED"));
    let body = h.request(&id).await.body;
    assert_eq!((body["state"].as_str(), body["previous_state"].as_str()), (Some("SUBMITTED"), Some("IN_PROGRESS")));
    assert_eq!(h.journey(&id, "approve").await.status, StatusCode::SEE_OTHER, "it can still be completed");

    // COMPLETED, before the final authorization: still cancelable.
    let id = request_id(&h.authorize(&purchase("d")).await);
    h.journey(&id, "approve").await;
    assert_eq!(cancel(id.clone()).await.body["state"], "CANCELED");

    assert_klarna_error(&h.request("krn:payment:eu1:request:missing").await, 404, "RESOURCE_NOT_FOUND");
    let other = h
        .send(h.http.get(h.url(&format!("/v2/accounts/other/payment/requests/{id}"))).header("Authorization", KEY))
        .await;
    assert_klarna_error(&other, 404, "RESOURCE_NOT_FOUND");
    let unauthenticated = h.send(h.http.get(h.url(&format!("/v2/accounts/{ACCOUNT}/payment/requests/{id}")))).await;
    assert_klarna_error(&unauthenticated, 401, "UNAUTHORIZED");
}

#[tokio::test]
async fn requests_expire_after_three_hours_on_the_simulated_clock() {
    let h = sim().await;
    let id = request_id(&h.authorize(&purchase("e")).await);
    h.control("/_sim/clock", json!({"advance_minutes": 179})).await;
    assert_eq!(h.request(&id).await.body["state"], "SUBMITTED");
    h.control("/_sim/clock", json!({"advance_minutes": 2})).await;
    assert_eq!(h.request(&id).await.body["state"], "EXPIRED");
    let page = h.send(h.http.get(h.journey_url(&id).await)).await;
    assert!(page.text.contains("data-state=\"EXPIRED\""), "{}", page.text);
    assert_eq!(h.journey(&id, "approve").await.status, StatusCode::CONFLICT);
    let back = h.control("/_sim/clock", json!({"advance_ms": -1})).await;
    assert_klarna_error(&back, 400, "VALIDATION_ERROR");
}

type Received = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

/// A webhook receiver that fails the first `failures` deliveries with 500.
async fn receiver(failures: usize) -> (String, Received) {
    let received: Received = Arc::default();
    let seen = received.clone();
    let router = axum::Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: Bytes| {
            let seen = seen.clone();
            async move {
                let mut seen = seen.lock().unwrap();
                seen.push((headers, body));
                if seen.len() <= failures {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::NO_CONTENT
                }
            }
        }),
    );
    (format!("{}/hook", serve(router).await), received)
}

fn target(url: String) -> WebhookTarget {
    WebhookTarget { url, signing_key_id: "key-7".into(), signing_key: SIGNING_KEY.into() }
}

async fn wait_for(received: &Received, count: usize) -> Vec<(HeaderMap, Bytes)> {
    for _ in 0..200 {
        if received.lock().unwrap().len() >= count {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    received.lock().unwrap().clone()
}

#[tokio::test]
async fn webhooks_are_signed_and_carry_the_documented_envelope() {
    let (url, received) = receiver(0).await;
    let h = start(SimConfig { webhooks: vec![target(url)], ..SimConfig::default() }).await;
    let id = request_id(&h.authorize(&tokenization("payment:customer_not_present", true, "w")).await);
    h.journey(&id, "approve").await;
    let deliveries = wait_for(&received, 3).await;
    assert_eq!(deliveries.len(), 3);
    let mut types = Vec::new();
    for (headers, body) in &deliveries {
        // Independent of the simulator's own signing code: HMAC-SHA256 over the raw body.
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SIGNING_KEY.as_bytes()).unwrap();
        mac.update(body);
        let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(headers.get("klarna-signature").unwrap().to_str().unwrap(), expected, "a lowercase hex digest");
        assert_eq!(headers.get("klarna-signing-key-id").unwrap(), "key-7");
        let event: Value = serde_json::from_slice(body).unwrap();
        let metadata = &event["metadata"];
        for field in [
            "event_type",
            "event_id",
            "event_version",
            "occurred_at",
            "subject_account_id",
            "recipient_account_id",
            "webhook_id",
        ] {
            assert!(metadata[field].is_string(), "{field} in {event}");
        }
        assert_eq!((metadata["event_version"].as_str(), metadata["live"].as_bool()), (Some("v2"), Some(false)));
        assert_eq!(metadata["subject_account_id"], ACCOUNT);
        assert_eq!(event["payload"]["payment_request_id"], id);
        types.push(metadata["event_type"].as_str().unwrap().to_owned());
    }
    types.sort();
    assert_eq!(
        types,
        [
            "payment.request.state-change.completed",
            "payment.request.state-change.in-progress",
            "payment.request.state-change.submitted"
        ]
    );
    let completed = deliveries
        .iter()
        .map(|(_, body)| serde_json::from_slice::<Value>(body).unwrap())
        .find(|e| e["metadata"]["event_type"] == "payment.request.state-change.completed")
        .unwrap();
    let context = &completed["payload"]["state_context"];
    assert!(context["klarna_network_session_token"]
        .as_str()
        .unwrap()
        .starts_with("krn:payment:eu1:klarna-network-session-token:"));
    assert_eq!(context["customer_token"]["scopes"], json!(["payment:customer_not_present"]));
}

#[tokio::test]
async fn failed_deliveries_are_retried_with_back_off() {
    let (url, received) = receiver(2).await;
    let h = start(SimConfig { webhooks: vec![target(url)], retry_base_ms: 20, ..SimConfig::default() }).await;
    h.authorize(&purchase("retry")).await;
    let deliveries = wait_for(&received, 3).await;
    assert_eq!(deliveries.len(), 3);
    let ids: Vec<Value> = deliveries
        .iter()
        .map(|(_, b)| serde_json::from_slice::<Value>(b).unwrap()["metadata"]["event_id"].clone())
        .collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "a retry is the same event");
    // The simulator logs an attempt after the receiver's answer arrives: wait for the third.
    let mut log = Value::Null;
    for _ in 0..200 {
        log = h.send(h.http.get(h.url("/_sim/deliveries"))).await.body;
        if log["deliveries"].as_array().is_some_and(|d| d.len() >= 3) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let attempts: Vec<(u64, Option<u64>, bool)> = log["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["attempt"].as_u64().unwrap(), d["status"].as_u64(), d["acknowledged"].as_bool().unwrap()))
        .collect();
    assert_eq!(attempts, [(1, Some(500), false), (2, Some(500), false), (3, Some(204), true)]);
}

#[tokio::test]
async fn deliveries_can_be_held_and_released() {
    let (url, received) = receiver(0).await;
    let h = start(SimConfig { webhooks: vec![target(url)], ..SimConfig::default() }).await;
    assert_eq!(h.control("/_sim/deliveries/hold", json!({})).await.status, StatusCode::NO_CONTENT);
    h.authorize(&purchase("held")).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(received.lock().unwrap().is_empty(), "a held delivery was sent");
    assert_eq!(h.state().await["authorize_calls"], 1);
    let released = h.control("/_sim/deliveries/release", json!({})).await;
    assert_eq!(released.body["released"], 1);
    assert_eq!(wait_for(&received, 1).await.len(), 1);
}

#[tokio::test]
async fn webhook_targets_can_be_added_at_run_time() {
    let (url, received) = receiver(0).await;
    let h = sim().await;
    let added = h.control("/_sim/webhooks", json!({"url": url, "signing_key_id": "k", "signing_key": "s"})).await;
    assert_eq!(added.status, StatusCode::CREATED);
    let listed = h.send(h.http.get(h.url("/_sim/webhooks"))).await;
    assert!(!listed.text.contains("\"s\""), "the signing key leaked: {}", listed.text);
    h.authorize(&purchase("late-hook")).await;
    assert_eq!(wait_for(&received, 1).await.len(), 1);
}

#[tokio::test]
async fn transactions_capture_and_refund_within_their_amounts() {
    let h = sim().await;
    let reply = h.authorize(&purchase("sim:approve")).await;
    let id = reply.body["payment_transaction_response"]["payment_transaction"]["payment_transaction_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = |suffix: &str| h.url(&format!("/v2/accounts/{ACCOUNT}/payment/transactions/{id}{suffix}"));
    let post = |suffix: &str, body: Value, key: Option<&str>| {
        let mut request = h.http.post(path(suffix)).header("Authorization", KEY).json(&body);
        if let Some(key) = key {
            request = request.header("Klarna-Idempotency-Key", key);
        }
        h.send(request)
    };
    let capture = post("/captures", json!({"amount": 8000}), Some("cap-1")).await;
    assert_eq!(capture.status, StatusCode::CREATED, "{}", capture.text);
    let replayed = post("/captures", json!({"amount": 8000}), Some("cap-1")).await;
    assert_eq!(replayed.body, capture.body);
    assert_klarna_error(&post("/captures", json!({"amount": 4000}), None).await, 400, "VALIDATION_ERROR");
    assert_eq!(post("/captures", json!({"amount": 3800}), None).await.status, StatusCode::CREATED);
    assert_eq!(post("/refunds", json!({"amount": 5000}), None).await.status, StatusCode::CREATED);
    assert_klarna_error(&post("/refunds", json!({"amount": 7000}), None).await, 400, "VALIDATION_ERROR");
    let details = h.send(h.http.get(path("")).header("Authorization", KEY)).await.body;
    assert_eq!(
        (details["amount"].as_u64(), details["captured_amount"].as_u64(), details["refunded_amount"].as_u64()),
        (Some(11800), Some(11800), Some(5000))
    );
    assert_eq!(details["payment_captures"].as_array().unwrap().len(), 2);
    let missing = h
        .send(
            h.http
                .get(h.url(&format!("/v2/accounts/{ACCOUNT}/payment/transactions/krn:nope")))
                .header("Authorization", KEY),
        )
        .await;
    assert_klarna_error(&missing, 404, "RESOURCE_NOT_FOUND");
}

#[tokio::test]
async fn a_seed_makes_ids_deterministic() {
    let mut ids = Vec::new();
    for _ in 0..2 {
        let h = start(SimConfig { seed: Some(42), ..SimConfig::default() }).await;
        ids.push(request_id(&h.authorize(&purchase("seeded")).await));
    }
    assert_eq!(ids[0], ids[1]);
    let h = start(SimConfig { seed: Some(43), ..SimConfig::default() }).await;
    assert_ne!(request_id(&h.authorize(&purchase("seeded")).await), ids[0]);
}

#[tokio::test]
async fn control_health_state_and_reset() {
    let h = sim().await;
    assert_eq!(h.send(h.http.get(h.page("/health"))).await.body, json!({"status": "ok"}));
    h.authorize(&purchase("s")).await;
    let state = h.state().await;
    assert_eq!(state["requests"].as_object().unwrap().len(), 1);
    assert_eq!(state["events"].as_array().unwrap().len(), 1);
    let calls = state["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["account"], ACCOUNT);
    assert_eq!(calls[0]["body"]["request_payment_transaction"]["amount"], 11800);
    assert!(state["now"].is_string());
    assert_eq!(h.control("/_sim/reset", json!({})).await.status, StatusCode::NO_CONTENT);
    assert!(h.state().await["requests"].as_object().unwrap().is_empty());
}

#[tokio::test]
async fn the_sdk_stand_in_is_served_with_cors_and_issues_session_tokens() {
    let h = sim().await;
    let module = h.send(h.http.get(h.page("/web-sdk/v2/klarna.mjs"))).await;
    assert_eq!(module.status, 200);
    assert!(module.headers.get("content-type").unwrap().to_str().unwrap().starts_with("text/javascript"));
    assert_eq!(module.headers.get("access-control-allow-origin").unwrap(), "*");
    assert!(module.text.contains("export async function KlarnaSDK") && module.text.contains("STAND-IN"));
    let session =
        h.send(h.http.post(h.page("/web-sdk/v2/session")).json(&json!({"clientId": "klarna_test_client_x"}))).await;
    let token = session.body["klarnaNetworkSessionToken"].as_str().unwrap().to_owned();
    assert!(token.starts_with("krn:network:us1:test:session-token:"));
    let reply = h.authorize_with(&purchase("with-session"), &[("Klarna-Network-Session-Token", &token)]).await;
    assert_eq!(results(&reply), (Some("STEP_UP_REQUIRED"), None), "{}", reply.text);
}

// ---- The partner API on its own listener, only for configured keys (issue 7.1) ----

#[tokio::test]
async fn the_partner_api_and_the_controls_are_not_on_the_browser_listener() {
    let h = sim().await;
    let authorize = format!("/v2/accounts/{ACCOUNT}/payment/authorize");
    let on_browser = h.send(h.http.post(h.page(&authorize)).header("Authorization", KEY).json(&purchase("b"))).await;
    assert_eq!(on_browser.status, StatusCode::NOT_FOUND, "{}", on_browser.text);
    for path in ["/_sim/state", "/v2/accounts/x/payment/requests/y", "/v2/accounts/x/payment/transactions/y"] {
        let reply = h.send(h.http.get(h.page(path)).header("Authorization", KEY)).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path} answers on the browser listener");
    }
    let id = request_id(&h.authorize(&purchase("b")).await);
    assert!(h.journey_url(&id).await.starts_with(&h.browser), "the journey is on the browser listener");
    let on_api = h.send(h.http.get(h.url("/web-sdk/v2/klarna.mjs"))).await;
    assert_eq!(on_api.status, StatusCode::NOT_FOUND, "the SDK stand-in is served on the API listener");
}

#[tokio::test]
async fn every_partner_endpoint_refuses_a_key_it_was_not_given() {
    let h =
        start(SimConfig { api_keys: vec!["klarna_test_api_first".into(), "second".into()], ..SimConfig::default() })
            .await;
    let ok = h
        .send(
            h.http
                .post(h.url(&format!("/v2/accounts/{ACCOUNT}/payment/authorize")))
                .header("Authorization", "Basic second")
                .json(&purchase("sim:approve")),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    let transaction = ok.body["payment_transaction_response"]["payment_transaction"]["payment_transaction_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let request = request_id(
        &h.send(
            h.http
                .post(h.url(&format!("/v2/accounts/{ACCOUNT}/payment/authorize")))
                .header("Authorization", "Basic klarna_test_api_first")
                .json(&purchase("x")),
        )
        .await,
    );
    let base = format!("/v2/accounts/{ACCOUNT}/payment");
    for key in ["Basic klarna_test_api_0123456789abcdef", "Basic klarna_test_api_firs", "Basic SECOND"] {
        let attempts = [
            h.http.post(h.url(&format!("{base}/authorize"))).json(&purchase("sim:approve")),
            h.http.get(h.url(&format!("{base}/requests/{request}"))),
            h.http.delete(h.url(&format!("{base}/requests/{request}"))),
            h.http.get(h.url(&format!("{base}/transactions/{transaction}"))),
            h.http.post(h.url(&format!("{base}/transactions/{transaction}/captures"))).json(&json!({"amount": 1})),
            h.http.post(h.url(&format!("{base}/transactions/{transaction}/refunds"))).json(&json!({"amount": 1})),
        ];
        for attempt in attempts {
            let reply = h.send(attempt.header("Authorization", key)).await;
            assert_klarna_error(&reply, 401, "UNAUTHORIZED");
        }
    }
    let state = h.state().await;
    assert_eq!(state["requests"][&request]["request"]["state"], "SUBMITTED");
    assert_eq!(state["transactions"][&transaction]["details"]["captured_amount"], 0);
}

// ---- No input reaches a panic (issue 7.6) ----

#[tokio::test]
async fn no_clock_step_reaches_a_panic() {
    let h = sim().await;
    let id = request_id(&h.authorize(&purchase("clock")).await);
    for body in [
        json!({"advance_ms": i64::MAX}),
        json!({"advance_minutes": i64::MAX}),
        json!({"advance_minutes": i64::MAX / 60_000, "advance_ms": i64::MAX}),
        json!({"advance_ms": -1}),
        json!({"advance_minutes": i64::MIN}),
        json!({"advance_ms": 1e300}),
    ] {
        let reply = h.control("/_sim/clock", body.clone()).await;
        assert!(reply.status == 400 || reply.status == 422, "{body}: {} {}", reply.status, reply.text);
    }
    // As far as the clock may go (about 100 years), then a step more.
    let far = h.control("/_sim/clock", json!({"advance_minutes": 100 * 366 * 24 * 60})).await;
    assert_eq!(far.status, 200, "{}", far.text);
    assert_klarna_error(&h.control("/_sim/clock", json!({"advance_ms": 1})).await, 400, "VALIDATION_ERROR");
    // Every handler still answers: the request expired long ago, a new one lives 3 hours.
    assert_eq!(h.request(&id).await.body["state"], "EXPIRED");
    let reply = h.authorize_with(&purchase("later"), &[("Klarna-Idempotency-Key", "k-far")]).await;
    assert_eq!(results(&reply), (Some("STEP_UP_REQUIRED"), None), "{}", reply.text);
    let fresh = request_id(&reply);
    assert_eq!(h.journey(&fresh, "approve").await.status, StatusCode::SEE_OTHER);
    assert_eq!(h.state().await["requests"][&fresh]["request"]["state"], "COMPLETED");
}

// ---- Journey pages hardened (issue 7.8) ----

#[tokio::test]
async fn journey_pages_frame_post_and_redirect_only_to_the_registered_origin() {
    let h = sim().await;
    let id = request_id(&h.authorize(&purchase("hardened")).await);
    let url = h.journey_url(&id).await;
    let page = h.send(h.http.get(&url)).await;
    let csp = page.headers["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("frame-ancestors https://shop.example"), "{csp}");
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
    assert!(csp.contains("form-action 'self' https://shop.example"), "{csp}");
    assert_eq!(page.headers["x-content-type-options"], "nosniff");
    let inline = |html: &str| html.contains("<script>") || html.contains("<style") || html.contains(" style=");
    assert!(!inline(&page.text), "inline script or style: {}", page.text);

    // The query cannot name another origin for the result.
    let finish = h.send(h.http.post(format!("{url}/approve?mode=popup&origin=https%3A%2F%2Fevil.example"))).await;
    assert_eq!(finish.status, 200, "{}", finish.text);
    assert!(!inline(&finish.text), "inline script or style: {}", finish.text);
    assert!(finish.text.contains("data-target-origin=\"https://shop.example\""), "{}", finish.text);
    assert!(!finish.text.contains("evil.example"), "{}", finish.text);
    assert!(finish.text.contains("<script src=\"../../../../assets/journey.js\"></script>"), "{}", finish.text);
    let script = h.send(h.http.get(h.page("/assets/journey.js"))).await;
    assert!(script.headers["content-type"].to_str().unwrap().starts_with("text/javascript"));
    assert!(script.text.contains("postMessage(data, targetOrigin)"), "{}", script.text);

    let missing = h.send(h.http.get(h.page("/eu/requests/nope/start"))).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.headers["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
}

// ---- Lost replies, refused repeats, where scenarios come from (issue 8) ----

fn transaction_id(reply: &Reply) -> String {
    reply.body["payment_transaction_response"]["payment_transaction"]["payment_transaction_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no transaction in {}", reply.text))
        .to_owned()
}

#[tokio::test]
async fn a_reply_lost_with_a_500_after_klarna_acted_is_replayed_to_the_repeat() {
    let h = sim().await;
    let key = [("Klarna-Idempotency-Key", "lost-500")];
    let lost = h.authorize_with(&purchase("sim:approve+lost_500"), &key).await;
    assert_klarna_error(&lost, 500, "INTERNAL_ERROR");
    let state = h.state().await;
    assert_eq!(state["transactions"].as_object().unwrap().len(), 1, "Klarna did not act before the reply was lost");
    let repeat = h.authorize_with(&purchase("sim:approve+lost_500"), &key).await;
    assert_eq!(repeat.status, 200, "{}", repeat.text);
    let id = transaction_id(&repeat);
    assert!(state["transactions"].get(&id).is_some(), "the repeat did not get the first transaction");
    assert_eq!(h.state().await["transactions"].as_object().unwrap().len(), 1, "the repeat authorized again");
}

#[tokio::test]
async fn a_reply_dropped_mid_body_after_klarna_acted_is_replayed_to_the_repeat() {
    let h = sim().await;
    h.control("/_sim/outcomes", json!({"scenarios": ["approve+lost_drop"]})).await;
    let key = "lost-drop";
    let sent = h
        .http
        .post(h.url(&format!("/v2/accounts/{ACCOUNT}/payment/authorize")))
        .header("Authorization", KEY)
        .header("Klarna-Idempotency-Key", key)
        .json(&purchase("dropped"))
        .send()
        .await;
    let body = match sent {
        Ok(response) => response.bytes().await.map(|b| b.to_vec()),
        Err(error) => Err(error),
    };
    assert!(body.is_err(), "a whole reply arrived: {body:?}");
    assert_eq!(h.state().await["transactions"].as_object().unwrap().len(), 1);
    let repeat = h.authorize_with(&purchase("dropped"), &[("Klarna-Idempotency-Key", key)]).await;
    assert_eq!(repeat.status, 200, "{}", repeat.text);
    transaction_id(&repeat);
    assert_eq!(h.state().await["transactions"].as_object().unwrap().len(), 1, "the repeat authorized again");
}

#[tokio::test]
async fn a_repeat_can_be_answered_429_with_retry_after_then_replayed() {
    let h = sim().await;
    let key = [("Klarna-Idempotency-Key", "repeat-429")];
    let body = purchase("sim:approve+lost_500+repeat_429");
    assert_klarna_error(&h.authorize_with(&body, &key).await, 500, "INTERNAL_ERROR");
    let refused = h.authorize_with(&body, &key).await;
    assert_klarna_error(&refused, 429, "RATE_LIMITED");
    assert_eq!(refused.headers["retry-after"], "1");
    let replayed = h.authorize_with(&body, &key).await;
    assert_eq!(replayed.status, 200, "{}", replayed.text);
    transaction_id(&replayed);
    assert_eq!(h.state().await["transactions"].as_object().unwrap().len(), 1);

    // The same with the queue: a rate limit in front of Klarna hits the repeat too.
    let key = [("Klarna-Idempotency-Key", "queued-429")];
    h.control("/_sim/outcomes", json!({"scenarios": ["approve+lost_500", "rate_limited"]})).await;
    assert_eq!(h.authorize_with(&purchase("q"), &key).await.status, 500);
    let limited = h.authorize_with(&purchase("q"), &key).await;
    assert_klarna_error(&limited, 429, "RATE_LIMITED");
    assert_eq!(limited.headers["retry-after"], "1");
    assert_eq!(h.authorize_with(&purchase("q"), &key).await.status, 200);
    assert_eq!(h.state().await["transactions"].as_object().unwrap().len(), 2);
}

#[tokio::test]
async fn the_call_record_says_which_scenario_applied_and_how() {
    let h = sim().await;
    let key = [("Klarna-Idempotency-Key", "recorded")];
    h.authorize_with(&purchase("sim:approve+lost_500"), &key).await;
    h.authorize_with(&purchase("sim:approve+lost_500"), &key).await;
    h.control("/_sim/outcomes", json!({"scenarios": ["decline"]})).await;
    h.authorize(&purchase("plain")).await;
    h.authorize(&purchase("plain")).await;
    let calls = h.state().await["calls"].as_array().unwrap().clone();
    let seen: Vec<(Value, Value, Value)> =
        calls.iter().map(|c| (c["scenario"].clone(), c["handling"].clone(), c["status"].clone())).collect();
    assert_eq!(
        seen,
        [
            (json!("approve+lost_500 (reference)"), json!("processed"), json!(500)),
            (json!("approve+lost_500 (reference)"), json!("replayed"), json!(200)),
            (json!("decline (queue)"), json!("processed"), json!(200)),
            (Value::Null, json!("processed"), json!(200)),
        ]
    );
}

#[tokio::test]
async fn account_scenarios_and_queues_apply_to_that_account_only() {
    let h = sim().await;
    let other = "krn:partner:global:account:test:other";
    let put = |account: &str, body: Value| h.send(h.http.put(h.url(&format!("/_sim/accounts/{account}"))).json(&body));
    assert_eq!(put(ACCOUNT, json!({"scenario": "decline"})).await.status, 200);
    assert_klarna_error(&put(ACCOUNT, json!({"scenario": "sometimes"})).await, 400, "VALIDATION_ERROR");
    h.control("/_sim/outcomes", json!({"scenarios": ["approve"], "account": other})).await;
    let authorize_as = |account: &str| {
        h.send(
            h.http
                .post(h.url(&format!("/v2/accounts/{account}/payment/authorize")))
                .header("Authorization", KEY)
                .json(&purchase("p")),
        )
    };
    assert_eq!(results(&authorize_as(ACCOUNT).await), (Some("DECLINED"), None));
    assert_eq!(results(&authorize_as(ACCOUNT).await), (Some("DECLINED"), None), "a standing scenario stays");
    assert_eq!(results(&authorize_as(other).await), (Some("APPROVED"), None));
    assert_eq!(results(&authorize_as(other).await), (Some("STEP_UP_REQUIRED"), None), "a queued one is used once");
    // A word in the request still wins over the account's scenario.
    assert_eq!(results(&h.authorize(&purchase("sim:approve")).await), (Some("APPROVED"), None));
    let listed = h.send(h.http.get(h.url(&format!("/_sim/accounts/{ACCOUNT}")))).await;
    assert_eq!(listed.body["scenario"], "decline");
}

// ---- Webhook retry budget and delivery timeout, on the simulated clock ----

#[tokio::test]
async fn a_delivery_that_hangs_times_out_and_stops_when_the_budget_is_spent() {
    let received: Received = Arc::default();
    let seen = received.clone();
    let router = axum::Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: Bytes| {
            let seen = seen.clone();
            async move {
                seen.lock().unwrap().push((headers, body));
                tokio::time::sleep(Duration::from_secs(5)).await;
                StatusCode::NO_CONTENT
            }
        }),
    );
    let url = format!("{}/hook", serve(router).await);
    let config = SimConfig {
        webhooks: vec![target(url)],
        retry_base_ms: 50,
        webhook_timeout_ms: 200,
        webhook_retry_budget_ms: 300,
        ..SimConfig::default()
    };
    let h = start(config).await;
    let started = Instant::now();
    h.authorize(&purchase("hang")).await;
    let mut log = Value::Null;
    while started.elapsed() < Duration::from_secs(4) {
        log = h.send(h.http.get(h.url("/_sim/deliveries"))).await.body;
        if log["pending"].as_array().is_some_and(Vec::is_empty) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let attempts = log["deliveries"].as_array().unwrap();
    assert!(log["pending"].as_array().unwrap().is_empty(), "still retrying: {log}");
    assert!(attempts.len() >= 2, "no retry within the budget: {log}");
    assert!(attempts.iter().all(|a| a["error"].is_string() && a["acknowledged"] == false), "{log}");
    assert!(attempts.last().unwrap()["next_attempt_at"].is_null(), "{log}");
    assert!(started.elapsed() < Duration::from_secs(3), "a 200 ms timeout took {:?}", started.elapsed());
    assert_eq!(received.lock().unwrap().len(), attempts.len());
}

#[tokio::test]
async fn retries_fall_due_on_the_simulated_clock() {
    let (url, received) = receiver(1).await;
    let h = start(SimConfig { webhooks: vec![target(url)], retry_base_ms: 60_000, ..SimConfig::default() }).await;
    h.authorize(&purchase("clocked")).await;
    assert_eq!(wait_for(&received, 1).await.len(), 1);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(received.lock().unwrap().len(), 1, "retried before the minute passed");
    let pending = h.send(h.http.get(h.url("/_sim/deliveries"))).await.body;
    assert_eq!(pending["pending"][0]["attempts"], 1, "{pending}");
    h.control("/_sim/clock", json!({"advance_minutes": 1})).await;
    assert_eq!(wait_for(&received, 2).await.len(), 2, "advancing the clock did not deliver what was due");
}

// ---- Dialects: every documented or observed form (issue 9) ----

async fn authorize_in(h: &Harness, dialect: &str, body: &Value) -> Reply {
    h.authorize_with(body, &[("Klarna-Sim-Dialect", dialect)]).await
}

#[tokio::test]
async fn each_dialect_writes_errors_in_its_form_and_every_form_parses() {
    let h = sim().await;
    let mut bad = purchase("errors");
    bad["currency"] = json!("XYZ");
    let standard = authorize_in(&h, "standard", &bad).await;
    assert_eq!(
        (standard.body["error_type"].as_str(), standard.body["validation_errors"][0]["parameter"].as_str()),
        (Some("INPUT_ERROR"), Some("currency"))
    );
    assert!(standard.body["error_message"].is_string());
    let acquirer = authorize_in(&h, "acquirer", &bad).await;
    assert!(
        acquirer.body.get("error_type").is_none() && acquirer.body.get("error_message").is_none(),
        "{}",
        acquirer.text
    );
    assert!(acquirer.body["validation_errors"][0]["doc_url"].is_string(), "{}", acquirer.text);
    let legacy = authorize_in(&h, "legacy", &bad).await;
    assert!(legacy.body.get("validation_errors").is_none(), "{}", legacy.text);
    assert_eq!(legacy.body["errors"][0]["parameter"], "currency", "{}", legacy.text);
    assert!(legacy.body["errors"][0]["error_message"].is_string() && legacy.body["errors"][0]["doc_url"].is_string());
    for reply in [&standard, &acquirer, &legacy] {
        assert_eq!(reply.status, 400);
        let read: klarna_api::ErrorBody = serde_json::from_str(&reply.text).unwrap();
        assert_eq!((read.error_code.as_str(), read.refused_parameters()), ("VALIDATION_ERROR", vec!["currency"]));
        assert!(!read.message().is_empty());
    }
    // Errors outside the handler (an unknown key, a wrong content type) speak the dialect too.
    let unknown = h
        .send(
            h.http
                .post(h.url(&format!("/v2/accounts/{ACCOUNT}/payment/authorize")))
                .header("Authorization", "Basic klarna_test_api_unknown")
                .header("Klarna-Sim-Dialect", "acquirer")
                .json(&purchase("x")),
        )
        .await;
    assert_eq!((unknown.status.as_u16(), unknown.body["error_code"].as_str()), (401, Some("UNAUTHORIZED")));
    assert!(unknown.body.get("error_type").is_none(), "{}", unknown.text);
    let missing = h
        .send(
            h.http
                .get(h.url(&format!("/v2/accounts/{ACCOUNT}/payment/requests/nope")))
                .header("Authorization", KEY)
                .header("Klarna-Sim-Dialect", "acquirer"),
        )
        .await;
    assert_eq!(missing.status, 404);
    assert!(missing.body.get("error_type").is_none(), "{}", missing.text);
    let klingon = authorize_in(&h, "klingon", &purchase("x")).await;
    assert_klarna_error(&klingon, 400, "VALIDATION_ERROR");
    assert_eq!(klingon.body["validation_errors"][0]["parameter"], "Klarna-Sim-Dialect");
}

#[tokio::test]
async fn each_dialect_puts_the_completed_tokens_where_its_source_does() {
    let (url, received) = receiver(0).await;
    let h = start(SimConfig { webhooks: vec![target(url)], ..SimConfig::default() }).await;
    let mut seen = 0;
    for dialect in ["standard", "acquirer", "legacy"] {
        let id = request_id(&authorize_in(&h, dialect, &tokenization("payment:customer_present", true, dialect)).await);
        h.journey(&id, "approve").await;
        seen += 3;
        let deliveries = wait_for(&received, seen).await;
        let (headers, body) = deliveries
            .iter()
            .find(|(_, body)| {
                let event: Value = serde_json::from_slice(body).unwrap();
                event["metadata"]["event_type"] == "payment.request.state-change.completed"
                    && event["payload"]["payment_request_id"] == id.as_str()
            })
            .unwrap()
            .clone();
        let signature = headers["klarna-signature"].to_str().unwrap().to_owned();
        let hex = signature.len() == 64 && signature.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
        assert_eq!(hex, dialect != "legacy", "{dialect}: {signature}");
        assert!(klarna_api::webhook::verify(SIGNING_KEY.as_bytes(), &body, &signature), "{dialect}");
        let event: Value = serde_json::from_slice(&body).unwrap();
        let read = h.request(&id).await.body;
        for request in [&event["payload"], &read] {
            let context = &request["state_context"];
            match dialect {
                "standard" => {
                    assert!(context["klarna_network_session_token"].is_string(), "{request}");
                    assert!(context["customer_token"]["customer_token"].is_string(), "{request}");
                }
                "acquirer" => {
                    assert!(request["klarna_network_session_token"].is_string(), "{request}");
                    assert!(request["klarna_customer"]["customer_token"]["customer_token"].is_string(), "{request}");
                    assert!(context.get("klarna_network_session_token").is_none(), "{request}");
                }
                _ => {
                    assert!(context["klarna_network_session_token"].is_string(), "{request}");
                    assert!(context["klarna_customer"]["customer_token"].is_string(), "a bare string: {request}");
                }
            }
            let tokens = klarna_api::tokens_in(request);
            assert!(tokens.network_session_token.is_some() && tokens.customer_token.is_some(), "{dialect}: {request}");
        }
        let tokens = klarna_api::tokens_in(&event);
        let session = tokens.network_session_token.unwrap();
        assert_eq!(results(&finalize(&h, &session).await), (Some("APPROVED"), None), "{dialect}");
    }
}

#[tokio::test]
async fn the_customer_token_is_an_object_or_a_bare_string_by_dialect() {
    let h = sim().await;
    let body = tokenization("payment:customer_present", false, "sim:approve");
    let standard = authorize_in(&h, "standard", &body).await;
    assert!(
        standard.body["customer_token_response"]["customer_token"]["customer_token"].is_string(),
        "{}",
        standard.text
    );
    let legacy = authorize_in(&h, "legacy", &body).await;
    let bare = legacy.body["customer_token_response"]["customer_token"].as_str().unwrap();
    assert!(bare.starts_with("krn:customer-token:"), "{}", legacy.text);
    let read: klarna_api::AuthorizeResponse = serde_json::from_str(&legacy.text).unwrap();
    assert_eq!(read.customer_token_response.unwrap().customer_token.unwrap().customer_token, bare);
    // The bare token works for a charge like any other.
    let charged = h.authorize_with(&charge(true, "with-bare"), &[("Klarna-Customer-Token", bare)]).await;
    assert_eq!(results(&charged), (Some("APPROVED"), None), "{}", charged.text);
}

#[tokio::test]
async fn required_mode_is_accepted_by_one_dialect_and_refused_by_another() {
    let h = sim().await;
    let mut forced = purchase("forced");
    forced["step_up_config"]["mode"] = json!("REQUIRED");
    assert_eq!(results(&authorize_in(&h, "standard", &forced).await), (Some("STEP_UP_REQUIRED"), None));
    assert_eq!(results(&authorize_in(&h, "acquirer", &forced).await), (Some("STEP_UP_REQUIRED"), None));
    let refused = authorize_in(&h, "legacy", &forced).await;
    assert_eq!(refused.status, 400, "{}", refused.text);
    assert_eq!(refused.body["errors"][0]["parameter"], "step_up_config.mode");
}

#[tokio::test]
async fn the_dialect_is_chosen_per_simulator_account_or_call() {
    let h = start(SimConfig { dialect: klarna_sim::Dialect::Legacy, ..SimConfig::default() }).await;
    let mut bad = purchase("choice");
    bad["currency"] = json!("XYZ");
    let form = |reply: &Reply| {
        if reply.body.get("errors").is_some() {
            "legacy"
        } else if reply.body.get("error_type").is_none() {
            "acquirer"
        } else {
            "standard"
        }
    };
    assert_eq!(form(&h.authorize(&bad).await), "legacy", "the simulator's dialect");
    let put =
        h.send(h.http.put(h.url(&format!("/_sim/accounts/{ACCOUNT}"))).json(&json!({"dialect": "acquirer"}))).await;
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(form(&h.authorize(&bad).await), "acquirer", "the account's dialect");
    bad["supplementary_purchase_data"]["purchase_reference"] = json!("order sim-dialect:standard");
    assert_eq!(form(&h.authorize(&bad).await), "standard", "a word in the request");
    assert_eq!(form(&authorize_in(&h, "legacy", &bad).await), "legacy", "the header wins over the word");
    bad["supplementary_purchase_data"]["purchase_reference"] = json!("sim-dialect:nope");
    assert_klarna_error(&authorize_in(&h, "standard", &bad).await, 400, "VALIDATION_ERROR");
    let bad_put =
        h.send(h.http.put(h.url(&format!("/_sim/accounts/{ACCOUNT}"))).json(&json!({"dialect": "nope"}))).await;
    assert_eq!(bad_put.status, 400);
}

#[tokio::test]
async fn every_authorization_form_of_a_known_key_is_accepted() {
    let h = sim().await;
    let encoded = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, API_KEY);
    for form in
        [format!("Basic {API_KEY}"), format!("basic {API_KEY}"), format!("Basic {encoded}"), format!("BASIC {encoded}")]
    {
        let reply = h
            .send(
                h.http
                    .post(h.url(&format!("/v2/accounts/{ACCOUNT}/payment/authorize")))
                    .header("Authorization", &form)
                    .json(&purchase("auth")),
            )
            .await;
        assert_eq!(reply.status, 200, "{form}: {}", reply.text);
    }
}

#[tokio::test]
async fn discounts_and_either_shipping_form_are_accepted() {
    let h = sim().await;
    let mut discounted = purchase("discount");
    discounted["supplementary_purchase_data"]["line_items"] = json!([
        {"name": "Shoes", "quantity": 2, "unit_price": 5000, "total_amount": 9000},
        {"name": "Socks", "quantity": 1, "unit_price": 1800, "total_amount": 2800}
    ]);
    assert_eq!(h.authorize(&discounted).await.status, 200, "a line total that is not quantity × unit price");
    let address = json!({"recipient": {"given_name": "Ada"}, "address": {"country": "SE", "postal_code": "11122"}});
    for shipping in [address.clone(), json!([address.clone(), address])] {
        let mut body = purchase("shipping");
        body["supplementary_purchase_data"]["shipping"] = shipping.clone();
        let reply = h.authorize(&body).await;
        assert_eq!(reply.status, 200, "{shipping}: {}", reply.text);
    }
}

// ---- Behaviour as documented (issue 9) ----

#[tokio::test]
async fn a_duplicate_gets_the_initial_result_errors_included() {
    let h = sim().await;
    let key = [("Klarna-Idempotency-Key", "initial-error")];
    let mut bad = purchase("dup");
    bad["currency"] = json!("XYZ");
    let first = h.authorize_with(&bad, &key).await;
    assert_klarna_error(&first, 400, "VALIDATION_ERROR");
    let again = h.authorize_with(&bad, &key).await;
    assert_eq!((again.status, &again.body), (first.status, &first.body), "not the initial result");
    assert_eq!(h.state().await["calls"][1]["handling"], "replayed");
    // A spent final authorization, too: its refusal is replayed, not recomputed.
    let id = request_id(&h.authorize(&purchase("spent")).await);
    let session = approve(&h, &id).await;
    let key = [("Klarna-Idempotency-Key", "final-1"), ("Klarna-Network-Session-Token", session.as_str())];
    let body = json!({"currency": "USD", "request_payment_transaction": {"amount": 11800}});
    let approved = h.authorize_with(&body, &key).await;
    assert_eq!(results(&approved), (Some("APPROVED"), None));
    assert_eq!(h.authorize_with(&body, &key).await.body, approved.body);
}

#[tokio::test]
async fn the_sdk_opens_only_journeys_the_simulator_issued() {
    let h = sim().await;
    let id = request_id(&h.authorize(&purchase("issued")).await);
    let url = h.journey_url(&id).await;
    let resolve = |query: String| h.send(h.http.get(h.page(&format!("/web-sdk/v2/payment-requests?{query}"))));
    let encode = |text: &str| text.replace(':', "%3A").replace('/', "%2F").replace('?', "%3F").replace('=', "%3D");
    let found = resolve(format!("url={}", encode(&url))).await;
    assert_eq!((found.status.as_u16(), found.body["paymentRequestId"].as_str()), (200, Some(id.as_str())));
    assert_eq!(found.headers["access-control-allow-origin"], "*");
    for rewritten in [
        url.replace("127.0.0.1", "localhost"),
        format!("{url}?x=1"),
        url.replace("/eu/", "/us/"),
        url.replace("/start", ""),
    ] {
        assert_eq!(resolve(format!("url={}", encode(&rewritten))).await.status, 404, "{rewritten}");
    }
    let by_id = resolve(format!("id={}", encode(&id))).await;
    assert_eq!(by_id.body["paymentRequestUrl"], url.as_str());
    assert_eq!(resolve("id=krn%3Apayment%3Aeu1%3Arequest%3Anope".into()).await.status, 404);
    // The journey itself answers only at the URL it was issued for.
    assert_eq!(h.send(h.http.get(url.replace("/eu/", "/us/"))).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn presentation_can_hide_klarna_and_accounts_keep_to_their_markets() {
    let h = sim().await;
    let presentation = |query: &str| h.send(h.http.get(h.page(&format!("/web-sdk/v2/presentation?{query}"))));
    assert_eq!(presentation("currency=USD").await.body["instruction"], "SHOW_KLARNA");
    let put = |body: Value| h.control("/_sim/presentation", body);
    assert_eq!(put(json!({"instruction": "HIDE_KLARNA"})).await.status, 200);
    assert_eq!(presentation("currency=USD").await.body["instruction"], "HIDE_KLARNA");
    assert_eq!(put(json!({"instruction": "MAYBE"})).await.status.as_u16(), 422);
    assert_eq!(put(json!({"instruction": null})).await.status, 200);

    let markets = h
        .send(h.http.put(h.url(&format!("/_sim/accounts/{ACCOUNT}"))).json(&json!({"currencies": ["eur", "SEK"]})))
        .await;
    assert_eq!(markets.body["currencies"], json!(["EUR", "SEK"]));
    let refused = h.authorize(&purchase("usd")).await;
    assert_klarna_error(&refused, 400, "VALIDATION_ERROR");
    assert_eq!(refused.body["validation_errors"][0]["parameter"], "currency");
    let mut euros = purchase("eur");
    euros["currency"] = json!("EUR");
    assert_eq!(h.authorize(&euros).await.status, 200);
    let account = ACCOUNT.replace(':', "%3A");
    assert_eq!(presentation(&format!("currency=USD&account={account}")).await.body["instruction"], "HIDE_KLARNA");
    assert_eq!(presentation(&format!("currency=EUR&account={account}")).await.body["instruction"], "SHOW_KLARNA");
}

#[tokio::test]
async fn capture_now_returns_the_capture() {
    let h = sim().await;
    let mut body = purchase("sim:approve");
    body["request_payment_transaction"]["capture"] = json!("NOW");
    let reply = h.authorize(&body).await;
    let transaction = &reply.body["payment_transaction_response"]["payment_transaction"];
    let capture = &transaction["payment_captures"][0];
    assert_eq!(capture["amount"], 11800, "{}", reply.text);
    assert!(capture["payment_capture_id"].as_str().unwrap().starts_with("krn:payment:eu1:capture:"));
    let id = transaction["payment_transaction_id"].as_str().unwrap();
    let details = h.get(&format!("/v2/accounts/{ACCOUNT}/payment/transactions/{id}")).await.body;
    assert_eq!(
        (details["captured_amount"].as_u64(), details["payment_captures"][0]["payment_capture_id"].clone()),
        (Some(11800), capture["payment_capture_id"].clone())
    );
    let events = h.state().await["events"].clone();
    assert!(events.as_array().unwrap().iter().any(|e| e["event_type"] == "payment.transaction.captured"), "{events}");
}

#[tokio::test]
async fn deliveries_are_retried_for_12_hours_of_simulated_time_then_given_up() {
    let (url, received) = receiver(usize::MAX).await;
    let h = start(SimConfig { webhooks: vec![target(url)], retry_base_ms: 60_000, ..SimConfig::default() }).await;
    h.authorize(&purchase("give-up")).await;
    let first = wait_for(&received, 1).await;
    let event_id = serde_json::from_slice::<Value>(&first[0].1).unwrap()["metadata"]["event_id"].clone();
    // Only this event counts: moving the clock also expires the request, a new event.
    let sent = || {
        let received = received.lock().unwrap();
        received
            .iter()
            .filter(|(_, body)| serde_json::from_slice::<Value>(body).unwrap()["metadata"]["event_id"] == event_id)
            .count()
    };
    let log = || async {
        let log = h.send(h.http.get(h.url("/_sim/deliveries"))).await.body;
        let mine = |list: &Value| -> Vec<Value> {
            list.as_array().unwrap().iter().filter(|d| d["event_id"] == event_id).cloned().collect()
        };
        (mine(&log["deliveries"]), mine(&log["pending"]))
    };
    let settle = |attempts: usize| async move {
        for _ in 0..300 {
            let (deliveries, pending) = log().await;
            if deliveries.len() >= attempts {
                return (deliveries, pending);
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("no attempt {attempts}")
    };
    settle(1).await;
    h.control("/_sim/clock", json!({"advance_minutes": 11 * 60})).await;
    let (_, pending) = settle(2).await;
    assert_eq!(sent(), 2, "no retry within the 12 hours");
    assert_eq!(pending.len(), 1, "given up within the 12 hours: {pending:?}");
    h.control("/_sim/clock", json!({"advance_minutes": 2 * 60})).await;
    let (deliveries, pending) = settle(3).await;
    assert_eq!(sent(), 3);
    assert!(pending.is_empty(), "still retrying after 12 hours: {pending:?}");
    assert!(deliveries.last().unwrap()["next_attempt_at"].is_null());
    h.control("/_sim/clock", json!({"advance_minutes": 24 * 60})).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(sent(), 3, "a delivery given up was tried again");
}
