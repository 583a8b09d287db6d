//! `backend-bench`: a load client for partner-server. Each virtual shopper has its own cookie
//! jar and runs checkouts back to back: `POST /api/checkout-sessions`, then
//! `POST /api/authorize-payment` (the simulator approves at once, so each checkout is one
//! durable authorization). Shoppers are spread over the given backends. It prints one JSON
//! line: checkouts per second over the measured period, the authorize call's latency
//! percentiles, and the errors.

use std::time::{Duration, Instant};

use clap::Parser;
use serde::Serialize;

/// Load for partner-server.
#[derive(Parser, Debug)]
struct Args {
    /// A backend's base URL (repeatable: shoppers are spread over them).
    #[arg(long = "target", required = true)]
    targets: Vec<String>,
    /// Shoppers running at once.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Seconds of warm-up, not measured.
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// Seconds measured.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// The simulator scenario each checkout names.
    #[arg(long, default_value = "approve")]
    scenario: String,
}

#[derive(Serialize)]
struct Figures {
    concurrency: usize,
    backends: usize,
    seconds: f64,
    checkouts: usize,
    checkouts_per_second: f64,
    authorize_p50_ms: f64,
    authorize_p99_ms: f64,
    authorize_max_ms: f64,
    errors: usize,
    first_error: Option<String>,
}

struct Shopper {
    http: reqwest::Client,
    base: String,
    scenario: String,
}

impl Shopper {
    /// One checkout; the authorize call's latency.
    async fn checkout(&self) -> Result<Duration, String> {
        let session: serde_json::Value = self
            .http
            .post(format!("{}/api/checkout-sessions", self.base))
            .json(&serde_json::json!({"flow": "one_time", "scenario": self.scenario}))
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        let id = session.get("id").and_then(|v| v.as_str()).ok_or("no session id")?.to_owned();
        let started = Instant::now();
        let reply = self
            .http
            .post(format!("{}/api/authorize-payment", self.base))
            .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
            .json(&serde_json::json!({"payment_option_id": "bench", "context": {"checkoutSessionId": id}}))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = reply.status();
        let body = reply.text().await.map_err(|e| e.to_string())?;
        let elapsed = started.elapsed();
        if !status.is_success() || !body.contains("\"APPROVED\"") {
            return Err(format!("HTTP {status}: {}", body.chars().take(200).collect::<String>()));
        }
        Ok(elapsed)
    }
}

fn percentile(sorted: &[Duration], fraction: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((sorted.len() as f64 - 1.0) * fraction).round() as usize;
    sorted.get(rank.min(sorted.len() - 1)).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let warmup = Duration::from_secs(args.warmup);
    let measured = Duration::from_secs(args.seconds);
    let start = Instant::now();
    let mut workers = Vec::new();
    for n in 0..args.concurrency.max(1) {
        let base = args.targets.get(n % args.targets.len()).cloned().unwrap_or_default();
        let http = reqwest::Client::builder().cookie_store(true).pool_max_idle_per_host(4).build();
        let Ok(http) = http else {
            eprintln!("backend-bench: cannot build an HTTP client");
            std::process::exit(2);
        };
        let shopper = Shopper { http, base: base.trim_end_matches('/').to_owned(), scenario: args.scenario.clone() };
        workers.push(tokio::spawn(async move {
            let (mut latencies, mut errors, mut first_error) = (Vec::new(), 0usize, None);
            loop {
                let begun = start.elapsed();
                if begun >= warmup + measured {
                    break;
                }
                let result = shopper.checkout().await;
                let counted = begun >= warmup && start.elapsed() <= warmup + measured;
                match result {
                    Ok(latency) if counted => latencies.push(latency),
                    Ok(_) => {}
                    Err(error) => {
                        errors += usize::from(counted);
                        first_error.get_or_insert(error);
                    }
                }
            }
            (latencies, errors, first_error)
        }));
    }
    let (mut latencies, mut errors, mut first_error) = (Vec::new(), 0, None);
    for worker in workers {
        if let Ok((mut l, e, f)) = worker.await {
            latencies.append(&mut l);
            errors += e;
            if first_error.is_none() {
                first_error = f;
            }
        }
    }
    latencies.sort();
    let seconds = measured.as_secs_f64();
    let figures = Figures {
        concurrency: args.concurrency,
        backends: args.targets.len(),
        seconds,
        checkouts: latencies.len(),
        checkouts_per_second: latencies.len() as f64 / seconds,
        authorize_p50_ms: percentile(&latencies, 0.50),
        authorize_p99_ms: percentile(&latencies, 0.99),
        authorize_max_ms: percentile(&latencies, 1.0),
        errors,
        first_error,
    };
    match serde_json::to_string(&figures) {
        Ok(line) => println!("{line}"),
        Err(error) => eprintln!("backend-bench: {error}"),
    }
}
