//! `partner-server`: the reference backend, with the Klarna Network simulator embedded unless
//! `--klarna-base-url` points elsewhere.

use std::net::SocketAddr;
use std::sync::Arc;

use clap::Parser;
use klarna_sim::{Sim, SimConfig, WebhookTarget};
use partner_server::config::Config;
use partner_server::klarna::Klarna;
use partner_server::store::Store;
use partner_server::{router, App};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() {
    if let Err(error) = run(Config::parse()).await {
        eprintln!("partner-server: {error}");
        std::process::exit(1);
    }
}

async fn run(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).init();

    if let Some(dir) = config.database.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let store = Store::open(&config.database).map_err(|e| format!("cannot open {}: {e}", config.database.display()))?;
    if !config.pkg.join("klarna_payment_button.js").exists() {
        eprintln!("warning: {} has no built package; run `npm run build`", config.pkg.display());
    }

    let listener = tokio::net::TcpListener::bind(SocketAddr::new(config.host, config.port)).await?;
    let address = listener.local_addr()?;
    let origin = format!("http://{address}");
    let public_url = config.public_url.clone().unwrap_or_else(|| origin.clone()).trim_end_matches('/').to_owned();
    let (klarna_base, sim) = match &config.klarna_base_url {
        Some(base) => (base.clone(), None),
        None => {
            let sim = Sim::new(SimConfig {
                public_url: Some(format!("{public_url}/klarna-sim")),
                webhooks: vec![WebhookTarget {
                    url: format!("{origin}/webhooks/klarna"),
                    signing_key_id: "embedded-simulator".to_owned(),
                    signing_key: config.webhook_signing_key.clone(),
                }],
                ..SimConfig::default()
            });
            (format!("{origin}/klarna-sim"), Some(sim))
        }
    };
    let klarna = Klarna::new(&klarna_base, &config.klarna_api_key, &config.partner_account_id);
    let simulator = sim.is_some();
    let sim_control_port = config.sim_control_port;
    let sweep_every = std::time::Duration::from_millis(config.sweep_interval_ms.max(100));
    let app = Arc::new(App { config, store, klarna, simulator, public_url: public_url.clone() });
    tokio::spawn(partner_server::finalize::sweep(app.clone(), sweep_every));
    let mut routes = router(app);
    println!("partner-server listening on {origin}");
    if let Some(sim) = &sim {
        routes = routes.nest("/klarna-sim", sim.public_router());
        // The simulator's control API (a state dump with tokens, reset, ...) stays off the
        // shop's origin: a port of its own, on loopback only.
        let control = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], sim_control_port))).await?;
        println!(
            "  Klarna: the embedded offline simulator at {klarna_base} (test keys only, nothing leaves this machine)"
        );
        println!("  simulator control: http://{}/_sim", control.local_addr()?);
        let control_routes = sim.control_router();
        tokio::spawn(async move {
            if let Err(error) = axum::serve(control, control_routes).await {
                tracing::error!(%error, "the simulator's control API stopped");
            }
        });
    } else {
        println!("  Klarna: {klarna_base}");
    }
    println!("  demo checkout: {public_url}/   custom button: {public_url}/custom");
    axum::serve(listener, routes)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
