//! Configuration by flags and environment, checked before the server starts: a setting that
//! would leave a door open (a short operator key, no webhook key against a real Klarna) stops
//! the start with a sentence saying what to change.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::Parser;

/// The reference partner backend for the Klarna Payment Button. By default it embeds the
/// offline Klarna Network simulator; `--klarna-base-url` (with your API key, partner account
/// and webhook signing key) talks to Klarna's test API, or to a standalone `klarna-sim`.
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
    /// Another `Host` this server answers to (repeatable), besides the public URL's and
    /// loopback's; any other is refused (DNS rebinding).
    #[arg(long = "allowed-host", env = "ALLOWED_HOSTS", value_delimiter = ',')]
    pub allowed_hosts: Vec<String>,
    /// An origin whose pages may call the authorize route across origins (repeatable); CORS
    /// headers are sent to it, with credentials.
    #[arg(long = "cors-origin", env = "CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// The SQLite database file (unless `--database-url` is set).
    #[arg(long, env = "DATABASE_PATH", default_value = "data/partner.sqlite3")]
    pub database: PathBuf,
    /// The database URL: `sqlite://path` or `postgres://user@host/db`; overrides `--database`.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Database connections this process keeps (PostgreSQL; SQLite reads).
    #[arg(long, env = "DATABASE_CONNECTIONS", default_value_t = 16)]
    pub database_connections: u32,
    /// Klarna's API base URL; unset, the embedded simulator plays Klarna.
    #[arg(long, env = "KLARNA_BASE_URL")]
    pub klarna_base_url: Option<String>,
    /// The API key, sent as `Authorization: Basic <key>`; required with `--klarna-base-url`
    /// (the embedded simulator gets a random one per start).
    #[arg(long, env = "KLARNA_API_KEY", hide_env_values = true)]
    pub klarna_api_key: Option<String>,
    /// The partner account the payments belong to.
    #[arg(long, env = "KLARNA_PARTNER_ACCOUNT_ID", default_value = "krn:partner:global:account:test:demo-shop")]
    pub partner_account_id: String,
    /// A key that signs Klarna's webhooks, as `KEY_ID=KEY` or a bare `KEY` tried for any key id
    /// (repeatable, for rotation). Required with `--klarna-base-url`; the embedded simulator
    /// signs with a random key per start.
    #[arg(
        long = "webhook-signing-key",
        env = "KLARNA_WEBHOOK_SIGNING_KEYS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub webhook_signing_keys: Vec<String>,
    /// The Klarna base URL is a standalone `klarna-sim`: send it the demo's scenario words.
    #[arg(long, env = "KLARNA_SIMULATOR")]
    pub klarna_simulator: bool,
    /// Your Web SDK client id; set, the page loads Klarna's real SDK instead of the simulator's stand-in.
    #[arg(long, env = "KLARNA_CLIENT_ID")]
    pub klarna_client_id: Option<String>,
    /// Where the page loads the SDK stand-in from when a standalone simulator plays Klarna (its
    /// browser listener's `/web-sdk/v2/klarna.mjs`).
    #[arg(long, env = "KLARNA_SDK_URL")]
    pub klarna_sdk_url: Option<String>,
    /// The key that signs the shopper's cookie (at least 32 characters; the same on every
    /// instance). Unset, a random one per start: shoppers are forgotten at a restart.
    #[arg(long, env = "COOKIE_SECRET", hide_env_values = true)]
    pub cookie_secret: Option<String>,
    /// Bearer key of the operator endpoints (capture, refund, reviews; at least 24
    /// characters); unset, they are off.
    #[arg(long, env = "OPERATOR_KEY", hide_env_values = true)]
    pub operator_key: Option<String>,
    /// How often the sweeper looks for work a crash, a lost reply or a missed webhook left.
    #[arg(long, env = "SWEEP_INTERVAL_MS", default_value_t = 1_000)]
    pub sweep_interval_ms: u64,
    /// How often an open payment request is read from Klarna when no webhook tells of it.
    #[arg(long, env = "POLL_INTERVAL_MS", default_value_t = 60_000)]
    pub poll_interval_ms: u64,
    /// How long an instance may miss heartbeats before its claims are taken over.
    #[arg(long, env = "LEASE_MS", default_value_t = 5_000)]
    pub lease_ms: u64,
    /// How long after its first send an attempt of unknown outcome is still repeated under its
    /// key (inside Klarna's 24-hour idempotency window); later it goes to review.
    #[arg(long, env = "IDEMPOTENCY_WINDOW_MS", default_value_t = 23 * 60 * 60 * 1000)]
    pub idempotency_window_ms: u64,
    /// How long one call to Klarna may take before its outcome counts as unknown.
    #[arg(long, env = "KLARNA_TIMEOUT_MS", default_value_t = 30_000)]
    pub klarna_timeout_ms: u64,
    /// The most connections served at once.
    #[arg(long, env = "MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: usize,
    /// How long a client may take to send a request's headers, and then its body.
    #[arg(long, env = "REQUEST_READ_TIMEOUT_MS", default_value_t = 10_000)]
    pub request_read_timeout_ms: u64,
    /// The embedded simulator's partner API: a loopback port of its own (0 picks one).
    #[arg(long, env = "SIM_API_PORT", default_value_t = 0)]
    pub sim_api_port: u16,
    /// The embedded simulator's control API (`/_sim`): a loopback port of its own (0 picks one).
    #[arg(long, env = "SIM_CONTROL_PORT", default_value_t = 0)]
    pub sim_control_port: u16,
    /// This process's name among several instances; the same across its restarts (default:
    /// `<hostname>:<port>`).
    #[arg(long, env = "INSTANCE_ID")]
    pub instance_id: Option<String>,
    /// Directory of the demo checkout.
    #[arg(long, env = "WWW_DIR", default_value = "www")]
    pub www: PathBuf,
    /// Directory of the built npm package.
    #[arg(long, env = "PKG_DIR", default_value = "pkg")]
    pub pkg: PathBuf,
}

/// A setting the server refuses to start with.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Says what to change.
    #[error("{0}")]
    Refused(String),
}

fn refuse(text: impl Into<String>) -> ConfigError {
    ConfigError::Refused(text.into())
}

/// One webhook signing key.
#[derive(Clone)]
pub struct SigningKey {
    /// The `Klarna-Signing-Key-Id` it answers to; `None` is tried for any id.
    pub id: Option<String>,
    /// The HMAC key.
    pub key: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey").field("id", &self.id).finish_non_exhaustive()
    }
}

/// The shortest secret accepted for a signing key.
pub const MIN_SIGNING_KEY: usize = 16;
/// The shortest operator key accepted.
pub const MIN_OPERATOR_KEY: usize = 24;
/// The shortest cookie secret accepted.
pub const MIN_COOKIE_SECRET: usize = 32;

/// Reads `KEY_ID=KEY` or a bare `KEY`. Keys themselves may hold `=` (base64), so the text is
/// split at its first `=` only when what follows is a whole key.
pub fn parse_signing_key(text: &str) -> Result<SigningKey, ConfigError> {
    let text = text.trim();
    let split = text
        .split_once('=')
        .filter(|(id, key)| !id.is_empty() && key.len() >= MIN_SIGNING_KEY && id.bytes().all(|b| b.is_ascii_graphic()));
    let key = match split {
        Some((id, key)) => SigningKey { id: Some(id.to_owned()), key: key.to_owned() },
        None => SigningKey { id: None, key: text.to_owned() },
    };
    if key.key.len() < MIN_SIGNING_KEY {
        return Err(refuse(format!(
            "a webhook signing key must be at least {MIN_SIGNING_KEY} characters (given as KEY_ID=KEY or KEY)"
        )));
    }
    Ok(key)
}

/// A random secret of 32 bytes, URL-safe base64.
pub fn random_secret() -> String {
    use base64::Engine;
    let bytes: Vec<u8> =
        uuid::Uuid::new_v4().as_bytes().iter().chain(uuid::Uuid::new_v4().as_bytes()).copied().collect();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Checks a public URL: an http(s) origin with no path, query, fragment or credentials.
pub fn parse_public_url(text: &str) -> Result<url::Url, ConfigError> {
    let url = url::Url::parse(text).map_err(|e| refuse(format!("--public-url {text:?} is not a URL: {e}")))?;
    let bare = url.path() == "/" && url.query().is_none() && url.fragment().is_none();
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() || !bare || !url.username().is_empty() {
        return Err(refuse(format!("--public-url must be an origin such as https://shop.example, not {text:?}")));
    }
    Ok(url)
}

impl Config {
    /// Checks what can be checked before anything starts.
    pub fn check(&self) -> Result<(), ConfigError> {
        if let Some(key) = &self.operator_key {
            if key.trim().len() < MIN_OPERATOR_KEY {
                return Err(refuse(format!(
                    "OPERATOR_KEY must be at least {MIN_OPERATOR_KEY} characters; leave it unset to turn the operator endpoints off"
                )));
            }
        }
        if let Some(secret) = &self.cookie_secret {
            if secret.len() < MIN_COOKIE_SECRET {
                return Err(refuse(format!("COOKIE_SECRET must be at least {MIN_COOKIE_SECRET} characters")));
            }
        }
        for key in &self.webhook_signing_keys {
            parse_signing_key(key)?;
        }
        if self.klarna_base_url.is_some() {
            if self.webhook_signing_keys.is_empty() {
                return Err(refuse(
                    "with --klarna-base-url, give the key that signs Klarna's webhooks: \
                     --webhook-signing-key KEY_ID=KEY (or KLARNA_WEBHOOK_SIGNING_KEYS)",
                ));
            }
            if self.klarna_api_key.as_deref().is_none_or(|k| k.trim().is_empty()) {
                return Err(refuse(
                    "with --klarna-base-url, give your Klarna API key: --klarna-api-key (or KLARNA_API_KEY)",
                ));
            }
        } else if self.klarna_simulator {
            return Err(refuse("--klarna-simulator names a standalone simulator: give its --klarna-base-url too"));
        }
        if let Some(url) = &self.public_url {
            parse_public_url(url)?;
        }
        for origin in &self.cors_origins {
            parse_public_url(origin).map_err(|_| refuse(format!("--cors-origin must be an origin, not {origin:?}")))?;
        }
        if self.poll_interval_ms == 0
            || self.sweep_interval_ms == 0
            || self.lease_ms == 0
            || self.klarna_timeout_ms == 0
        {
            return Err(refuse("intervals, the lease and the Klarna timeout must be positive"));
        }
        Ok(())
    }

    /// The webhook signing keys.
    pub fn signing_keys(&self) -> Result<Vec<SigningKey>, ConfigError> {
        self.webhook_signing_keys.iter().map(|k| parse_signing_key(k)).collect()
    }

    /// The rules' clocks.
    pub fn timing(&self) -> crate::attempts::Timing {
        let ms = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        crate::attempts::Timing {
            idempotency_window_ms: ms(self.idempotency_window_ms),
            lease_ms: ms(self.lease_ms),
            max_send_ms: ms(self.klarna_timeout_ms).saturating_add(15_000),
            ..crate::attempts::Timing::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(args: &[&str]) -> Config {
        let mut all = vec!["partner-server"];
        all.extend_from_slice(args);
        Config::try_parse_from(all).unwrap()
    }

    #[test]
    fn signing_keys_by_id_or_bare_even_with_equals_signs() {
        let by_id = parse_signing_key("key-2=0123456789abcdef0123").unwrap();
        assert_eq!((by_id.id.as_deref(), by_id.key.as_str()), (Some("key-2"), "0123456789abcdef0123"));
        let base64 = parse_signing_key("c2VjcmV0LXNpZ25pbmcta2V5LTEyMw==").unwrap();
        assert_eq!((base64.id, base64.key.as_str()), (None, "c2VjcmV0LXNpZ25pbmcta2V5LTEyMw=="));
        assert!(parse_signing_key("short").is_err());
        assert!(parse_signing_key("id=short").is_err());
    }

    #[test]
    fn refuses_what_would_leave_a_door_open() {
        assert!(config(&["--operator-key", ""]).check().is_err(), "an empty operator key");
        assert!(config(&["--operator-key", "short"]).check().is_err());
        assert!(config(&["--operator-key", "a-long-enough-operator-key-123"]).check().is_ok());
        let real = ["--klarna-base-url", "https://api-global.test.klarna.com", "--klarna-api-key", "k"];
        assert!(config(&real).check().is_err(), "no webhook signing key against a real Klarna");
        let mut signed = real.to_vec();
        signed.extend(["--webhook-signing-key", "kid=0123456789abcdef"]);
        assert!(config(&signed).check().is_ok());
        assert!(config(&["--cookie-secret", "too-short"]).check().is_err());
        assert!(config(&["--public-url", "https://shop.example/path"]).check().is_err());
        assert!(config(&["--public-url", "https://shop.example"]).check().is_ok());
    }
}
