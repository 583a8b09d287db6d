//! Configuration by flags and environment.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::Parser;

/// The reference partner backend for the Klarna Payment Button. By default it embeds the
/// offline Klarna Network simulator; `--klarna-base-url https://api-global.test.klarna.com`
/// (with your test API key and partner account) talks to Klarna's test API instead.
#[derive(Parser, Debug, Clone)]
#[command(version)]
pub struct Config {
    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "PORT", default_value_t = 8080)]
    pub port: u16,
    /// Address to bind.
    #[arg(long, env = "HOST", default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// The origin shoppers reach this server at (return URLs are built on it); default
    /// `http://<bound address>`.
    #[arg(long, env = "PUBLIC_URL")]
    pub public_url: Option<String>,
    /// The loopback port of the embedded simulator's control API (`/_sim`); 0 picks one.
    #[arg(long, env = "SIM_CONTROL_PORT", default_value_t = 0)]
    pub sim_control_port: u16,
    /// Klarna's API base URL; unset, the embedded simulator serves it under /klarna-sim.
    #[arg(long, env = "KLARNA_BASE_URL")]
    pub klarna_base_url: Option<String>,
    /// The API key sent as `Authorization: Basic <key>`.
    #[arg(
        long,
        env = "KLARNA_API_KEY",
        default_value = "klarna_test_api_reference_partner_demo",
        hide_env_values = true
    )]
    pub klarna_api_key: String,
    /// The partner account the payments belong to.
    #[arg(long, env = "KLARNA_PARTNER_ACCOUNT_ID", default_value = "krn:partner:global:account:test:demo-shop")]
    pub partner_account_id: String,
    /// The key that signs Klarna's webhooks (with the embedded simulator, it signs with this one).
    #[arg(
        long,
        env = "KLARNA_WEBHOOK_SIGNING_KEY",
        default_value = "demo-webhook-signing-key",
        hide_env_values = true
    )]
    pub webhook_signing_key: String,
    /// Your Web SDK client id; set, the page loads Klarna's real SDK instead of the simulator's stand-in.
    #[arg(long, env = "KLARNA_CLIENT_ID")]
    pub klarna_client_id: Option<String>,
    /// The SQLite database file.
    #[arg(long, env = "DATABASE_PATH", default_value = "data/partner.sqlite3")]
    pub database: PathBuf,
    /// Bearer key of the operator endpoints (capture, refund); unset, they are off.
    #[arg(long, env = "OPERATOR_KEY", hide_env_values = true)]
    pub operator_key: Option<String>,
    /// How often the sweeper finishes final authorizations a crash or a failed call left undone.
    #[arg(long, env = "SWEEP_INTERVAL_MS", default_value_t = 10_000)]
    pub sweep_interval_ms: u64,
    /// Directory of the demo checkout.
    #[arg(long, env = "WWW_DIR", default_value = "www")]
    pub www: PathBuf,
    /// Directory of the built npm package.
    #[arg(long, env = "PKG_DIR", default_value = "pkg")]
    pub pkg: PathBuf,
}
