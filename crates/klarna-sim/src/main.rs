//! `klarna-sim`: the offline Klarna Network simulator as a server, on two listeners as
//! Klarna's own hosts are split: the browser's (journey, Web SDK stand-in) and the partner
//! API's (Authorize, payment requests, transactions, and the `/_sim` controls).

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use http_kit::{AllowedHosts, Limits};
use klarna_sim::{Dialect, Sim, SimConfig, WebhookTarget};
use tracing_subscriber::EnvFilter;

/// An offline, stateful stand-in for Klarna's Payment Authorize API, purchase journey,
/// webhooks and Web SDK.
#[derive(Parser, Debug)]
#[command(version, args_conflicts_with_subcommands = true)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// Port of the browser listener: purchase journey, Web SDK stand-in (0 picks a free one).
    #[arg(long, env = "KLARNA_SIM_PORT", default_value_t = 4100)]
    port: u16,
    /// Port of the partner API and the /_sim controls (0 picks a free one).
    #[arg(long, env = "KLARNA_SIM_API_PORT", default_value_t = 4101)]
    api_port: u16,
    /// Address to bind both listeners to; loopback unless you say otherwise.
    #[arg(long, env = "KLARNA_SIM_HOST", default_value = "127.0.0.1")]
    host: IpAddr,
    /// Base URL browsers use to reach the browser listener (default: http://<host>:<port>).
    #[arg(long, env = "KLARNA_SIM_PUBLIC_URL")]
    public_url: Option<String>,
    /// An API key the partner API accepts (repeatable; KLARNA_SIM_API_KEYS is comma-separated).
    #[arg(long = "api-key", env = "KLARNA_SIM_API_KEYS", value_delimiter = ',', hide_env_values = true)]
    api_keys: Vec<String>,
    /// Makes generated ids deterministic.
    #[arg(long, env = "KLARNA_SIM_SEED")]
    seed: Option<u64>,
    /// A URL to deliver webhooks to (repeatable).
    #[arg(long = "webhook-url", env = "KLARNA_SIM_WEBHOOK_URL", value_delimiter = ',')]
    webhook_urls: Vec<String>,
    /// The HMAC key that signs webhooks; the backend must be configured with the same key.
    #[arg(long, env = "KLARNA_SIM_SIGNING_KEY", default_value = "klarna-sim-signing-key", hide_env_values = true)]
    signing_key: String,
    /// Sent as Klarna-Signing-Key-Id; the backend must know the key under this id.
    #[arg(long, env = "KLARNA_SIM_SIGNING_KEY_ID", default_value = "sim-key-1")]
    signing_key_id: String,
    /// First webhook retry delay in milliseconds; it doubles on each retry, up to an hour.
    #[arg(long, env = "KLARNA_SIM_RETRY_BASE_MS", default_value_t = 500)]
    retry_base_ms: u64,
    /// How long after an event its delivery is retried, in minutes (Klarna: 12 hours).
    #[arg(long, env = "KLARNA_SIM_WEBHOOK_RETRY_MINUTES", default_value_t = 720)]
    webhook_retry_minutes: u64,
    /// How long one webhook delivery attempt may take, in milliseconds.
    #[arg(long, env = "KLARNA_SIM_WEBHOOK_TIMEOUT_MS", default_value_t = 10_000)]
    webhook_timeout_ms: u64,
    /// The dialect of calls whose account and request name none: standard, acquirer, legacy.
    #[arg(long, env = "KLARNA_SIM_DIALECT", default_value = "standard")]
    dialect: Dialect,
    /// Keep the state in this file, written through on every change, so it survives a
    /// restart (even a kill).
    #[arg(long, env = "KLARNA_SIM_STATE_FILE")]
    state_file: Option<PathBuf>,
    /// How long a client may take to send a request's headers, and how long an idle
    /// keep-alive connection stays open, in milliseconds.
    #[arg(long, env = "KLARNA_SIM_HEADER_TIMEOUT_MS", default_value_t = 10_000)]
    header_timeout_ms: u64,
    /// Connections served at once on each listener; further ones wait.
    #[arg(long, env = "KLARNA_SIM_MAX_CONNECTIONS", default_value_t = 256)]
    max_connections: usize,
    /// Log as JSON lines instead of text.
    #[arg(long)]
    json_logs: bool,
}

/// What else the binary does besides serving.
#[derive(clap::Subcommand, Debug)]
enum Command {
    /// Tests a provider's own backend against the package's contract: a running simulator
    /// plays Klarna, the kit plays the browser; one line per check, exit status 1 on any failure.
    ///
    /// Start the simulator (with --webhook-url pointing at your backend) and your backend
    /// (pointed at the simulator's partner API) first. Your backend offers the adapter
    /// --start: POST {"flow": "one_time"|"token_only"|"token_with_purchase"} answered with
    /// {"context": <what the page sends as context>, "amount": <minor units>, "currency": "USD"}.
    /// It must not name a scenario itself: the kit picks outcomes through /_sim/outcomes.
    Conform(klarna_sim::conform::Options),
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    if let Some(Command::Conform(options)) = args.command {
        let report = klarna_sim::conform::run(options).await;
        let (passed, failed, skipped) = (
            report.count(klarna_sim::conform::Verdict::Pass),
            report.count(klarna_sim::conform::Verdict::Fail),
            report.count(klarna_sim::conform::Verdict::Skip),
        );
        println!("{passed} passed, {failed} failed, {skipped} skipped");
        std::process::exit(i32::from(failed > 0));
    }
    if let Err(error) = run(args).await {
        eprintln!("klarna-sim: {error}");
        std::process::exit(2);
    }
}

async fn run(args: Args) -> Result<(), String> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    if args.json_logs {
        tracing_subscriber::fmt().json().with_env_filter(filter).init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).init();
    }
    let api_keys: Vec<String> = args.api_keys.iter().map(|k| k.trim().to_owned()).filter(|k| !k.is_empty()).collect();
    if api_keys.is_empty() {
        return Err("no API key: give the keys the partner API accepts with --api-key KEY (repeatable) \
                    or KLARNA_SIM_API_KEYS=KEY1,KEY2, and configure your backend with one of them"
            .to_owned());
    }
    if api_keys.iter().any(|key| key.starts_with("klarna_live_api_")) {
        return Err("a live API key was given: this is an offline simulator, use a test key of your own".to_owned());
    }
    let bind = |port| async move {
        let address = SocketAddr::new(args.host, port);
        tokio::net::TcpListener::bind(address).await.map_err(|error| format!("cannot listen on {address}: {error}"))
    };
    let browser = bind(args.port).await?;
    let api = bind(args.api_port).await?;
    let browser_address = browser.local_addr().map_err(|e| e.to_string())?;
    let api_address = api.local_addr().map_err(|e| e.to_string())?;
    let shown = |address: SocketAddr| match address.ip() {
        ip if ip.is_unspecified() => SocketAddr::new(IpAddr::from([127, 0, 0, 1]), address.port()),
        _ => address,
    };
    let public_url = args.public_url.clone().unwrap_or_else(|| format!("http://{}", shown(browser_address)));
    let public_url = public_url.trim_end_matches('/').to_owned();

    let mut hosts = AllowedHosts::loopback().with_url(&public_url).map_err(|e| e.to_string())?;
    if !args.host.is_unspecified() && !args.host.is_loopback() {
        let name = match args.host {
            IpAddr::V4(ip) => ip.to_string(),
            IpAddr::V6(ip) => format!("[{ip}]"),
        };
        hosts = hosts.with(&name).map_err(|e| e.to_string())?;
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
        public_url: Some(public_url.clone()),
        seed: args.seed,
        webhooks,
        api_keys,
        retry_base_ms: args.retry_base_ms,
        webhook_retry_budget_ms: args.webhook_retry_minutes.saturating_mul(60_000),
        webhook_timeout_ms: args.webhook_timeout_ms,
        dialect: args.dialect,
    };
    let sim = match &args.state_file {
        Some(path) => Sim::with_state_file(config, path)?,
        None => Sim::new(config),
    };

    let csp = "default-src 'none'; frame-ancestors 'none'";
    let browser_routes =
        http_kit::security_headers(hosts.clone().apply(sim.browser_router()), csp).map_err(|e| e.to_string())?;
    let api_routes = http_kit::security_headers(hosts.apply(sim.api_router().merge(sim.control_router())), csp)
        .map_err(|e| e.to_string())?;

    // Written with errors ignored: a closed stdout must not stop the simulator.
    let mut out = std::io::stdout();
    let _ = writeln!(
        out,
        "klarna-sim listening on http://{} (offline Klarna Network simulator: purchase journey, Web SDK stand-in at {public_url}/web-sdk/v2/klarna.mjs)",
        shown(browser_address)
    );
    let _ = writeln!(
        out,
        "  partner API: http://{} (Authorization: Basic <one of the --api-key keys>)",
        shown(api_address)
    );
    let _ = writeln!(out, "  control: http://{}/_sim", shown(api_address));
    if let Some(path) = &args.state_file {
        let _ = writeln!(out, "  state file: {}", path.display());
    }
    let _ = out.flush();

    let (stop, stopped) = tokio::sync::watch::channel(false);
    let until_stopped = |mut stopped: tokio::sync::watch::Receiver<bool>| async move {
        let _ = stopped.wait_for(|stop| *stop).await;
    };
    let limits = Limits {
        header_read_timeout: Duration::from_millis(args.header_timeout_ms.max(1)),
        request_timeout: Duration::from_secs(180),
        max_connections: args.max_connections,
        ..Limits::default()
    };
    let servers = tokio::spawn(async move {
        tokio::join!(
            http_kit::serve(browser, browser_routes, limits, until_stopped(stopped.clone())),
            http_kit::serve(api, api_routes, limits, until_stopped(stopped)),
        )
    });
    shutdown_signal().await;
    let _ = stop.send(true);
    servers.await.map_err(|e| e.to_string())?;
    Ok(())
}

/// Ctrl-C, or SIGTERM on Unix.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
