//! Property tests: whatever a client sends, to the partner API, the controls or the journey,
//! the simulator answers in Klarna's shape and no handler panics (a panic would fail the
//! case: the routers run in this thread).

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test helpers fail a test by panicking"
)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use klarna_sim::{Sim, SimConfig};
use proptest::prelude::*;
use serde_json::{json, Value};
use tower::ServiceExt;

const KEY: &str = "klarna_test_api_properties";
const ACCOUNT: &str = "krn:partner:global:account:test:props";

struct Routers {
    api: Router,
    browser: Router,
    runtime: tokio::runtime::Runtime,
}

fn routers() -> Routers {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let sim = runtime.block_on(async {
        Sim::new(SimConfig {
            public_url: Some("http://127.0.0.1:9".into()),
            api_keys: vec![KEY.into()],
            ..SimConfig::default()
        })
    });
    Routers { api: sim.api_router().merge(sim.control_router()), browser: sim.browser_router(), runtime }
}

/// Sends one request through `router`; returns the status and the body as JSON (or Null).
fn call(routers: &Routers, router: &Router, request: Request<Body>) -> (StatusCode, Value, String) {
    routers.runtime.block_on(async {
        let response = router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        // `lost_drop` breaks a reply off on purpose.
        let text = match axum::body::to_bytes(response.into_body(), usize::MAX).await {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(_) => "<dropped>".to_owned(),
        };
        (status, serde_json::from_str(&text).unwrap_or(Value::Null), text)
    })
}

fn post(path: &str, body: &Value, headers: &[(String, String)]) -> Request<Body> {
    let mut request =
        Request::post(path).header("content-type", "application/json").header("authorization", format!("Basic {KEY}"));
    for (name, value) in headers {
        request = request.header(name.as_str(), value.as_str());
    }
    request.body(Body::from(body.to_string())).unwrap()
}

/// A Klarna error body, or a reply of the Authorize shape.
fn assert_klarna_shaped(status: StatusCode, body: &Value, text: &str) {
    if status == StatusCode::OK {
        let parts = ["payment_transaction_response", "customer_token_response"];
        let shaped = parts.iter().any(|part| body.get(part).is_some());
        assert!(shaped || text.starts_with("<html>") || text == "<dropped>", "{text}");
    } else {
        assert!(body["error_code"].is_string() && body["error_id"].is_string(), "{status}: {text}");
    }
}

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(0)),
        Just(json!(1)),
        Just(json!(u64::MAX)),
        Just(json!(i64::MAX)),
        Just(json!(-1)),
        Just(json!(12.5)),
        Just(json!(1e300)),
        Just(json!("100")),
        Just(Value::Null),
        (0u64..100_000).prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
    ]
}

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("order-1".to_owned()),
        Just("sim:approve".to_owned()),
        Just("sim:step_up".to_owned()),
        Just("sim:decline".to_owned()),
        Just("sim:pay_declined_token_approved".to_owned()),
        Just("sim:approve+lost_500+repeat_429".to_owned()),
        Just("sim:lost_drop".to_owned()),
        Just("sim:http_500".to_owned()),
        Just("sim:timeout".to_owned()),
        Just("sim:rate_limited".to_owned()),
        Just("sim:malformed".to_owned()),
        Just("sim:slow:1".to_owned()),
        Just("sim:slow:99999999999999999999".to_owned()),
        Just("sim:".to_owned()),
        Just("sim:+".to_owned()),
        "[a-z:_+0-9 ]{0,24}",
    ]
}

fn line_item() -> impl Strategy<Value = Value> {
    (number(), number(), number()).prop_map(|(quantity, unit_price, total_amount)| {
        json!({"name": "x", "quantity": quantity, "unit_price": unit_price, "total_amount": total_amount})
    })
}

fn authorize_body() -> impl Strategy<Value = Value> {
    (
        prop_oneof![Just("USD"), Just("EUR"), Just("XYZ"), Just(""), Just("usd")],
        prop::option::of((number(), word())),
        prop::option::of((
            prop::collection::vec(
                prop_oneof![Just("payment:customer_present"), Just("payment:customer_not_present"), Just("nope")],
                0..3,
            ),
            word(),
        )),
        prop::option::of((
            prop_oneof![Just("HANDOVER"), Just("SDK"), Just("TELEPORT")],
            prop::option::of(prop_oneof![
                Just("https://shop.example/r?s={klarna.payment_request.state}"),
                Just("javascript:alert(1)"),
                Just("http://[::1"),
                Just("")
            ]),
            any::<bool>(),
            word(),
        )),
        prop::collection::vec(line_item(), 0..4),
        any::<bool>(),
        any::<bool>(),
        word(),
    )
        .prop_map(|(currency, payment, token, step_up, items, ondemand, subscriptions, reference)| {
            let mut body = json!({"currency": currency});
            if let Some((amount, reference)) = payment {
                body["request_payment_transaction"] =
                    json!({"amount": amount, "payment_transaction_reference": reference});
            }
            if let Some((scopes, reference)) = token {
                body["request_customer_token"] = json!({"scopes": scopes, "customer_token_reference": reference});
            }
            if let Some((method, return_url, required, reference)) = step_up {
                let mut config = json!({"method": method});
                if let Some(url) = return_url {
                    config["return_url"] = json!(url);
                }
                body["step_up_config"] =
                    json!({"customer_interaction_config": config, "payment_request_reference": reference});
                if required {
                    body["step_up_config"]["mode"] = json!("REQUIRED");
                }
            }
            let mut purchase = json!({"purchase_reference": reference, "line_items": items});
            if ondemand {
                purchase["ondemand_service"] = json!({"average_amount": 100});
            }
            if subscriptions {
                purchase["subscriptions"] = json!([{"subscription_reference": "s", "name": "n", "billing_plans": [
                    {"billing_amount": 1, "currency": "USD", "interval": "MONTH", "interval_frequency": 1}]}]);
            }
            body["supplementary_purchase_data"] = purchase;
            body
        })
}

/// Clock steps: zero, small, large, and the extremes of i64.
fn step() -> impl Strategy<Value = i64> {
    prop_oneof![Just(0), -5i64..5, 0i64..1_000_000_000_000_000, Just(i64::MAX), Just(i64::MIN), any::<i64>()]
}

fn header_value() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), Just("krn:made-up".to_owned()), "[ -~]{0,40}", Just("x".repeat(9000))]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn any_authorize_call_gets_a_klarna_shaped_answer(
        body in authorize_body(),
        key in prop::option::of("[a-c]{1,2}"),
        session in prop::option::of(header_value()),
        customer in prop::option::of(header_value()),
    ) {
        let routers = routers();
        let mut headers = Vec::new();
        if let Some(key) = key { headers.push(("klarna-idempotency-key".to_owned(), key)); }
        if let Some(token) = session { headers.push(("klarna-network-session-token".to_owned(), token)); }
        if let Some(token) = customer { headers.push(("klarna-customer-token".to_owned(), token)); }
        let path = format!("/v2/accounts/{ACCOUNT}/payment/authorize");
        for _ in 0..2 {
            let (status, reply, text) = call(&routers, &routers.api, post(&path, &body, &headers));
            assert_klarna_shaped(status, &reply, &text);
            prop_assert!(status != StatusCode::INTERNAL_SERVER_ERROR || text.contains("INTERNAL_ERROR") || text.contains("TIMEOUT"));
        }
    }

    #[test]
    fn no_control_input_breaks_a_later_call(
        advance_ms in step(),
        advance_minutes in step(),
        scenarios in prop::collection::vec(word(), 0..3),
        account in prop_oneof![Just(ACCOUNT.to_owned()), "[ -~]{0,12}"],
        scenario in prop::option::of(word()),
    ) {
        let routers = routers();
        let clock = json!({"advance_ms": advance_ms, "advance_minutes": advance_minutes});
        let (status, reply, text) = call(&routers, &routers.api, post("/_sim/clock", &clock, &[]));
        prop_assert!(status == StatusCode::OK || reply["error_code"] == "VALIDATION_ERROR", "{status} {text}");
        let words: Vec<String> = scenarios.iter().map(|w| w.trim_start_matches("sim:").to_owned()).collect();
        let (status, _, text) = call(&routers, &routers.api, post("/_sim/outcomes", &json!({"scenarios": words, "account": account}), &[]));
        prop_assert!(status == StatusCode::OK || status == StatusCode::BAD_REQUEST, "{status} {text}");
        let standing = json!({"scenario": scenario.map(|w| w.trim_start_matches("sim:").to_owned())});
        let encoded: String = account.bytes().map(|b| format!("%{b:02X}")).collect();
        let put = Request::put(format!("/_sim/accounts/{encoded}")).header("content-type", "application/json").body(Body::from(standing.to_string())).unwrap();
        let (status, _, text) = call(&routers, &routers.api, put);
        // An empty account name does not match the route.
        prop_assert!(matches!(status.as_u16(), 200 | 400 | 404), "{status} {text}");
        // Whatever was set, the next calls are answered.
        let purchase = json!({"currency": "USD", "request_payment_transaction": {"amount": 100},
            "step_up_config": {"customer_interaction_config": {"method": "SDK", "return_url": "https://shop.example/r"}}});
        for _ in 0..3 {
            let (status, reply, text) = call(&routers, &routers.api, post(&format!("/v2/accounts/{ACCOUNT}/payment/authorize"), &purchase, &[]));
            assert_klarna_shaped(status, &reply, &text);
            if let Some(id) = reply["payment_request"]["payment_request_id"].as_str() {
                let read = Request::get(format!("/v2/accounts/{ACCOUNT}/payment/requests/{id}")).header("authorization", format!("Basic {KEY}")).body(Body::empty()).unwrap();
                let (status, _, text) = call(&routers, &routers.api, read);
                prop_assert_eq!(status, StatusCode::OK, "{}", text);
                let uuid = id.trim_start_matches("krn:payment:eu1:request:");
                let page = Request::get(format!("/eu/requests/{uuid}/start?auto=approve")).body(Body::empty()).unwrap();
                let (status, _, text) = call(&routers, &routers.browser, page);
                prop_assert!(status.is_redirection() || status == StatusCode::CONFLICT, "{status} {text}");
            }
        }
        let (status, _, _) = call(&routers, &routers.api, Request::get("/_sim/state").body(Body::empty()).unwrap());
        prop_assert_eq!(status, StatusCode::OK);
    }

    #[test]
    fn any_journey_address_is_answered(region in "[a-z]{0,3}", id in "[ -~]{0,40}", action in "[a-z]{0,8}", auto in prop::option::of("[a-z]{0,8}")) {
        let routers = routers();
        let encoded: String = id.bytes().map(|b| format!("%{b:02X}")).collect();
        let query = auto.map(|a| format!("?auto={a}&mode=popup")).unwrap_or_default();
        for request in [
            Request::get(format!("/{region}/requests/{encoded}/start{query}")).body(Body::empty()).unwrap(),
            Request::post(format!("/{region}/requests/{encoded}/start/{action}{query}")).body(Body::empty()).unwrap(),
        ] {
            let (status, _, _) = call(&routers, &routers.browser, request);
            prop_assert!(status.is_client_error() || status.is_success(), "{status}");
        }
    }
}
