//! `partner-server`: the reference backend, with the Klarna Network simulator embedded unless
//! `--klarna-base-url` points elsewhere.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use http_kit::{AllowedHosts, Limits};
use klarna_sim::{Sim, SimConfig, WebhookTarget};
use partner_server::config::{random_secret, Config, SigningKey};
use partner_server::customer::Identity;
use partner_server::klarna::Klarna;
use partner_server::reads::Reads;
use partner_server::store::{sqlite_url, Store};
use partner_server::{router, routes, App};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() {
    if let Err(error) = run(Config::parse()).await {
        eprintln!("partner-server: {error}");
        std::process::exit(1);
    }
}

/// The origins a loopback address is reached at.
fn loopback_origins(address: SocketAddr) -> Vec<String> {
    let port = address.port();
    if address.ip().is_loopback() || address.ip().is_unspecified() {
        vec![format!("http://127.0.0.1:{port}"), format!("http://localhost:{port}"), format!("http://[::1]:{port}")]
    } else {
        vec![format!("http://{address}")]
    }
}

async fn run(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).init();
    config.check()?;

    let database_url = match &config.database_url {
        Some(url) => url.clone(),
        None => {
            if let Some(dir) = config.database.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            }
            sqlite_url(&config.database)
        }
    };
    let store = Store::connect(&database_url, config.database_connections)
        .await
        .map_err(|e| format!("cannot open the database: {e}"))?;
    if !config.pkg.join("klarna_payment_button.js").exists() {
        eprintln!("warning: {} has no built package; run `npm run build`", config.pkg.display());
    }

    let listener = tokio::net::TcpListener::bind(SocketAddr::new(config.host, config.port)).await?;
    let address = listener.local_addr()?;
    let origin = format!("http://{address}");
    let public_url = config.public_url.clone().unwrap_or_else(|| origin.clone()).trim_end_matches('/').to_owned();
    let mut origins = loopback_origins(address);
    origins.push(public_url.clone());
    origins.extend(config.cors_origins.iter().map(|o| o.trim_end_matches('/').to_owned()));

    let mut signing_keys = config.signing_keys()?;
    let embedded = config.klarna_base_url.is_none();
    let api_key = config.klarna_api_key.clone().unwrap_or_else(|| format!("klarna_test_api_{}", random_secret()));
    if embedded && signing_keys.is_empty() {
        signing_keys.push(SigningKey { id: Some("embedded-simulator".to_owned()), key: random_secret() });
    }
    let (klarna_base, sdk_url, sim) = match &config.klarna_base_url {
        Some(base) => {
            let sdk = match (&config.klarna_client_id, &config.klarna_sdk_url) {
                (Some(_), _) | (None, None) => routes::pages::KLARNA_SDK.to_owned(),
                (None, Some(url)) => url.clone(),
            };
            (base.clone(), sdk, None)
        }
        None => {
            let signing = signing_keys.first().cloned().unwrap_or(SigningKey { id: None, key: random_secret() });
            let sim = Sim::new(SimConfig {
                public_url: Some(format!("{public_url}/klarna-sim")),
                webhooks: vec![WebhookTarget {
                    url: format!("{origin}/webhooks/klarna"),
                    signing_key_id: signing.id.unwrap_or_else(|| "embedded-simulator".to_owned()),
                    signing_key: signing.key,
                }],
                api_keys: vec![api_key.clone()],
                ..SimConfig::default()
            });
            // Klarna's partner API is not on the shop's origin: a loopback port of its own.
            let api =
                tokio::net::TcpListener::bind(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), config.sim_api_port))
                    .await?;
            let api_base = format!("http://{}", api.local_addr()?);
            let api_routes = AllowedHosts::loopback().apply(sim.api_router());
            tokio::spawn(http_kit::serve(api, api_routes, Limits::default(), std::future::pending()));
            (api_base, "/klarna-sim/web-sdk/v2/klarna.mjs".to_owned(), Some(sim))
        }
    };
    let timeout = Duration::from_millis(config.klarna_timeout_ms);
    let klarna = Klarna::new(&klarna_base, &api_key, &config.partner_account_id, timeout);
    let reads = Reads::new(klarna.clone(), Duration::from_millis(200));
    let cookie_secret = config.cookie_secret.clone().unwrap_or_else(random_secret);
    let identity = Arc::new(Identity::new(&cookie_secret, public_url.starts_with("https://")));
    // A name that stays the same across restarts, so a restarted instance releases what it
    // held before at once (see `release_own_claims`).
    let instance = config.instance_id.clone().unwrap_or_else(|| {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        format!("{}:{}", host.trim(), address.port())
    });
    let sweep_every = Duration::from_millis(config.sweep_interval_ms);
    let app = Arc::new(App {
        simulator: embedded || config.klarna_simulator,
        timing: config.timing(),
        config,
        store,
        klarna,
        public_url: public_url.clone(),
        origins,
        sdk_url,
        instance,
        signing_keys,
        reads,
    });
    app.store.heartbeat(&app.instance).await?;
    let released = app.store.release_own_claims(&app.instance).await?;
    if released > 0 {
        println!("  {released} attempt(s) this instance was sending when it stopped will be repeated");
    }
    tokio::spawn(partner_server::sweeper::heartbeat(app.clone()));
    tokio::spawn(partner_server::sweeper::run(app.clone(), sweep_every));
    let mut routes = router(app.clone(), identity);
    println!("partner-server listening on {origin}");
    println!("  instance {} on {:?}", app.instance, app.store.engine());
    if let Some(sim) = &sim {
        routes = routes.nest("/klarna-sim", sim.browser_router());
        // The simulator's control API (a state dump with tokens, reset, ...) stays off the
        // shop's origin: a port of its own, on loopback only.
        let control = tokio::net::TcpListener::bind(SocketAddr::new(
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            app.config.sim_control_port,
        ))
        .await?;
        println!(
            "  Klarna: the embedded offline simulator, its partner API at {klarna_base} (nothing leaves this machine)"
        );
        println!("  simulator control: http://{}/_sim", control.local_addr()?);
        let control_routes = AllowedHosts::loopback().apply(sim.control_router());
        tokio::spawn(http_kit::serve(control, control_routes, Limits::default(), std::future::pending()));
    } else {
        println!("  Klarna: {klarna_base}");
    }
    println!("  demo checkout: {public_url}/   custom button: {public_url}/custom");
    // Only the names this server is reached at: a rebinding attacker's host name is refused.
    let mut hosts = AllowedHosts::loopback().with_url(&public_url)?;
    for host in &app.config.allowed_hosts {
        hosts = hosts.with(host)?;
    }
    let read_timeout = Duration::from_millis(app.config.request_read_timeout_ms);
    let limits = Limits {
        header_read_timeout: read_timeout,
        body_read_timeout: read_timeout,
        request_timeout: Duration::from_millis(app.config.klarna_timeout_ms.saturating_mul(2).saturating_add(15_000)),
        max_connections: app.config.max_connections,
        ..Limits::default()
    };
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    http_kit::serve(listener, hosts.apply(routes), limits, shutdown).await;
    Ok(())
}
