//! What `--state-file` costs per Authorize call: the same calls over loopback HTTP to a
//! simulator in memory and to one writing through to a state file (each write flushed to
//! disk). Prints the mean time per call, early and late (the file grows with the state).
//!
//! `cargo run --release -p klarna-sim --example state_file_cost [calls]`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, reason = "a measuring tool fails loudly")]

use std::time::{Duration, Instant};

use klarna_sim::{Sim, SimConfig};
use serde_json::json;

const KEY: &str = "klarna_test_api_cost";

async fn measure(sim: Sim, calls: usize) -> Vec<Duration> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(http_kit::serve(listener, sim.api_router(), http_kit::Limits::default(), std::future::pending()));
    let http = reqwest::Client::new();
    let url = format!("{base}/v2/accounts/krn:partner:global:account:test:cost/payment/authorize");
    let mut times = Vec::with_capacity(calls);
    for n in 0..calls {
        let body = json!({
            "currency": "USD",
            "request_payment_transaction": {"amount": 11800, "payment_transaction_reference": format!("order-{n}")},
            "step_up_config": {"customer_interaction_config": {"method": "SDK", "return_url": "https://shop.example/r"}},
            "supplementary_purchase_data": {"purchase_reference": format!("order-{n}"), "line_items": [
                {"name": "Shoes", "quantity": 2, "unit_price": 5000, "total_amount": 10000},
                {"name": "Socks", "quantity": 1, "unit_price": 1800, "total_amount": 1800}]}
        });
        let started = Instant::now();
        let reply = http
            .post(&url)
            .header("Authorization", format!("Basic {KEY}"))
            .header("Klarna-Idempotency-Key", format!("cost-{n}"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(reply.status().is_success());
        reply.bytes().await.unwrap();
        times.push(started.elapsed());
    }
    times
}

fn mean(times: &[Duration]) -> f64 {
    times.iter().map(Duration::as_secs_f64).sum::<f64>() * 1000.0 / times.len().max(1) as f64
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let calls: usize = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(1000);
    let config = || SimConfig { api_keys: vec![KEY.into()], ..SimConfig::default() };
    let memory = measure(Sim::new(config()), calls).await;
    let dir = std::env::temp_dir().join(format!("klarna-sim-cost-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("state.json");
    let file = measure(Sim::with_state_file(config(), &path).unwrap(), calls).await;
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    std::fs::remove_dir_all(&dir).unwrap();
    let tenth = (calls / 10).max(1);
    println!("Authorize calls: {calls} (a step-up each, with an idempotency key), loopback HTTP");
    println!("{:<22} {:>12} {:>16} {:>16}", "", "mean ms/call", "first 10% ms", "last 10% ms");
    for (name, times) in [("in memory", &memory), ("--state-file", &file)] {
        let late = &times[times.len().saturating_sub(tenth)..];
        println!("{name:<22} {:>12.3} {:>16.3} {:>16.3}", mean(times), mean(&times[..tenth]), mean(late));
    }
    println!("state file at the end: {size} bytes");
}
