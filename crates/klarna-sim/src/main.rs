//! `klarna-sim`: the offline Klarna Network simulator as a server.

use std::net::{IpAddr, SocketAddr};

use clap::Parser;
use klarna_sim::{Sim, SimConfig, WebhookTarget};
use tracing_subscriber::EnvFilter;

/// An offline, stateful stand-in for Klarna's Payment Authorize API, purchase journey,
/// webhooks and Web SDK. Test keys only (klarna_test_api_…).
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "KLARNA_SIM_PORT", default_value_t = 4100)]
    port: u16,
    /// Address to bind; loopback unless you say otherwise.
    #[arg(long, env = "KLARNA_SIM_HOST", default_value = "127.0.0.1")]
    host: IpAddr,
    /// Base URL browsers use to reach the simulator (default: http://<Host header>).
    #[arg(long, env = "KLARNA_SIM_PUBLIC_URL")]
    public_url: Option<String>,
    /// Makes generated ids deterministic.
    #[arg(long, env = "KLARNA_SIM_SEED")]
    seed: Option<u64>,
    /// A URL to deliver webhooks to (repeatable).
    #[arg(long = "webhook-url", env = "KLARNA_SIM_WEBHOOK_URL", value_delimiter = ',')]
    webhook_urls: Vec<String>,
    /// The HMAC key that signs webhooks.
    #[arg(long, env = "KLARNA_SIM_SIGNING_KEY", default_value = "klarna-sim-signing-key")]
    signing_key: String,
    /// Sent as Klarna-Signing-Key-Id.
    #[arg(long, env = "KLARNA_SIM_SIGNING_KEY_ID", default_value = "sim-key-1")]
    signing_key_id: String,
    /// First webhook retry delay in milliseconds; it doubles on each retry.
    #[arg(long, default_value_t = 500)]
    retry_base_ms: u64,
    /// Log as JSON lines instead of text.
    #[arg(long)]
    json_logs: bool,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    if args.json_logs {
        tracing_subscriber::fmt().json().with_env_filter(filter).init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).init();
    }
    let webhooks = args
        .webhook_urls
        .iter()
        .map(|url| WebhookTarget {
            url: url.clone(),
            signing_key_id: args.signing_key_id.clone(),
            signing_key: args.signing_key.clone(),
        })
        .collect();
    let config = SimConfig {
        public_url: args.public_url.clone(),
        seed: args.seed,
        webhooks,
        retry_base_ms: args.retry_base_ms,
        ..SimConfig::default()
    };
    let listener = tokio::net::TcpListener::bind(SocketAddr::new(args.host, args.port)).await?;
    let address = listener.local_addr()?;
    println!("klarna-sim listening on http://{address} (offline Klarna Network simulator; test keys only)");
    axum::serve(listener, Sim::new(config).router())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
