//! `klarna-sim conform`: a conformance kit for a provider's own backend. A running simulator
//! plays Klarna and records every call the backend makes; the kit plays the shopper's browser
//! through the package's wire contract (spec A2), drives each outcome row and the awkward
//! cases, then checks what the backend sent Klarna and what it sent the browser.
//!
//! The kit starts each checkout through a small adapter on the backend (`--start`): a POST of
//! `{"flow": …}` answered with `{"context": …, "amount": …, "currency": …}`.

mod browser;
mod report;
mod sim;
mod steps;

use std::time::Duration;

pub use report::{Report, Verdict};

/// What `klarna-sim conform` needs to know about the backend and the simulator.
#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// The adapter that creates a checkout: POST `{"flow": "one_time"|"token_only"|"token_with_purchase"}`,
    /// answered with `{"context": <sent with the click>, "amount": <minor units>, "currency": "USD"}`
    /// and optionally `"authorize_url"`.
    #[arg(long)]
    pub start: String,
    /// The backend's authorize endpoint: where the button POSTs a click (the reply's
    /// `authorize_url` overrides it).
    #[arg(long)]
    pub authorize: String,
    /// The simulator's partner API listener (its `--api-port`), where `/_sim` lives.
    #[arg(long)]
    pub sim_api: String,
    /// The simulator's browser listener (its `--port`): SDK session tokens and the journey.
    #[arg(long)]
    pub sim: String,
    /// The key the simulator signs webhooks with (its `--signing-key`), to replay a delivered
    /// webhook with a valid signature.
    #[arg(long, env = "KLARNA_SIM_SIGNING_KEY", default_value = "klarna-sim-signing-key", hide_env_values = true)]
    pub signing_key: String,
    /// Another origin the step-up return URL may be on, besides the authorize endpoint's
    /// (repeatable), such as the shop's when the backend sits on an API host.
    #[arg(long = "return-origin")]
    pub return_origins: Vec<String>,
    /// A header sent with every request to the backend, `Name: value` (repeatable).
    #[arg(long = "header")]
    pub headers: Vec<String>,
    /// How long to wait for the backend's work after a step-up (the final authorization,
    /// webhook acknowledgements), in milliseconds.
    #[arg(long, default_value_t = 10_000)]
    pub wait_ms: u64,
}

/// Runs every step and check; the report says what passed.
pub async fn run(options: Options) -> Report {
    let mut report = Report::default();
    let kit = match steps::Kit::new(&options).await {
        Ok(kit) => kit,
        Err(problem) => {
            report.fail("setup", "start the simulator and the backend first, and give their URLs", &problem);
            return report;
        }
    };
    kit.run(&mut report, Duration::from_millis(options.wait_ms.max(1))).await;
    report
}
