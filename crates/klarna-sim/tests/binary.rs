//! The `klarna-sim` binary as a process: its two listeners, the keys it demands, the hosts it
//! answers to, the time it gives slow clients, scenarios over its control API, and a state
//! file that outlives a SIGKILL.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test helpers fail a test by panicking"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const KEY: &str = "klarna_test_api_binary0123";
const ACCOUNT: &str = "krn:partner:global:account:test:binary";

fn command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_klarna-sim"));
    command.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    for (name, _) in std::env::vars() {
        if name.starts_with("KLARNA_SIM_") {
            command.env_remove(name);
        }
    }
    command
}

/// A running simulator; killed (SIGKILL) when dropped.
struct Running {
    child: Child,
    browser: String,
    api: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(extra: &[&str]) -> Running {
    let mut args = vec!["--port", "0", "--api-port", "0", "--api-key", KEY];
    args.extend_from_slice(extra);
    let mut child = command(&args).spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (lines, seen) = mpsc::channel();
    std::thread::spawn(move || {
        // Read to the end, so the simulator never writes to a closed pipe.
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let url_after = |line: &str, marker: &str| {
        let rest = line.split(marker).nth(1)?;
        Some(rest.split_whitespace().next()?.to_owned())
    };
    let (mut browser, mut api) = (None, None);
    let deadline = Instant::now() + Duration::from_secs(15);
    while browser.is_none() || api.is_none() {
        let line = seen.recv_timeout(deadline.saturating_duration_since(Instant::now())).unwrap_or_else(|_| {
            let mut error = String::new();
            let _ = child.stderr.take().map(|mut e| e.read_to_string(&mut error));
            panic!("klarna-sim did not print its listeners: {error}")
        });
        browser = browser.or_else(|| url_after(&line, "listening on "));
        api = api.or_else(|| url_after(&line, "partner API: "));
    }
    Running { child, browser: browser.unwrap(), api: api.unwrap() }
}

fn http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn purchase(reference: &str) -> Value {
    json!({
        "currency": "USD",
        "request_payment_transaction": {"amount": 2500, "payment_transaction_reference": reference},
        "step_up_config": {"customer_interaction_config": {"method": "SDK", "return_url": "https://shop.example/r"}}
    })
}

fn authorize(sim: &Running, key: &str, body: &Value, idempotency_key: Option<&str>) -> (u16, Value) {
    let mut request = http()
        .post(format!("{}/v2/accounts/{ACCOUNT}/payment/authorize", sim.api))
        .header("Authorization", format!("Basic {key}"))
        .json(body);
    if let Some(idempotency_key) = idempotency_key {
        request = request.header("Klarna-Idempotency-Key", idempotency_key);
    }
    let reply = request.send().unwrap();
    (reply.status().as_u16(), reply.json().unwrap_or(Value::Null))
}

/// The status line's code of a raw request with this `Host`.
fn status_with_host(base: &str, path: &str, host: &str) -> u16 {
    let address = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").unwrap();
    let mut reply = String::new();
    let _ = stream.read_to_string(&mut reply);
    reply.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or(0)
}

#[test]
fn refuses_to_start_without_an_api_key_and_says_how_to_give_one() {
    let output = command(&["--port", "0", "--api-port", "0"]).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--api-key") && stderr.contains("KLARNA_SIM_API_KEYS"), "{stderr}");
    let live = command(&["--port", "0", "--api-port", "0", "--api-key", "klarna_live_api_x"]).output().unwrap();
    assert!(!live.status.success());
}

#[test]
fn two_listeners_configured_keys_known_hosts_and_no_time_for_dribblers() {
    let sim = start(&["--header-timeout-ms", "300"]);
    assert_ne!(sim.browser, sim.api);
    let (status, reply) = authorize(&sim, KEY, &purchase("one"), None);
    assert_eq!(status, 200, "{reply}");
    let url =
        reply["payment_request"]["state_context"]["customer_interaction"]["payment_request_url"].as_str().unwrap();
    assert!(url.starts_with(&sim.browser), "{url} is not on {}", sim.browser);
    let (status, reply) = authorize(&sim, "klarna_test_api_selfmade0123", &purchase("two"), None);
    assert_eq!((status, reply["error_code"].as_str()), (401, Some("UNAUTHORIZED")));
    let on_browser = http()
        .post(format!("{}/v2/accounts/{ACCOUNT}/payment/authorize", sim.browser))
        .header("Authorization", format!("Basic {KEY}"))
        .json(&purchase("three"))
        .send()
        .unwrap();
    assert_eq!(on_browser.status().as_u16(), 404);
    let control_on_browser = http().get(format!("{}/_sim/state", sim.browser)).send().unwrap();
    assert_eq!(control_on_browser.status().as_u16(), 404);

    for (base, path) in [(&sim.browser, "/health"), (&sim.api, "/_sim/clock")] {
        let port = base.rsplit(':').next().unwrap();
        assert_eq!(status_with_host(base, path, &format!("127.0.0.1:{port}")), 200);
        assert_eq!(status_with_host(base, path, &format!("localhost:{port}")), 200);
        assert_eq!(status_with_host(base, path, &format!("rebound.attacker.example:{port}")), 421, "{base}");
    }

    // A client that sends its headers one byte at a time is cut off.
    let mut stream = TcpStream::connect(sim.api.trim_start_matches("http://")).unwrap();
    let started = Instant::now();
    let cut = b"GET /_sim/state HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".iter().any(|byte| {
        std::thread::sleep(Duration::from_millis(100));
        stream.write_all(&[*byte]).is_err()
    });
    assert!(cut, "the dribbling client was served");
    assert!(started.elapsed() < Duration::from_secs(2), "cut off after {:?}", started.elapsed());
}

fn temporary(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("klarna-sim-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("state.json")
}

fn state(sim: &Running) -> Value {
    http().get(format!("{}/_sim/state", sim.api)).send().unwrap().json().unwrap()
}

fn put_account(sim: &Running, account: &str, body: &Value) -> u16 {
    http().put(format!("{}/_sim/accounts/{account}", sim.api)).json(body).send().unwrap().status().as_u16()
}

#[test]
fn the_state_file_outlives_a_sigkill() {
    let file = temporary("kill");
    let path = file.to_str().unwrap();
    let sim = start(&["--state-file", path]);
    // Klarna's side of a payment: a step-up, the shopper's approval, an approved purchase.
    let (_, stepped) = authorize(&sim, KEY, &purchase("kept"), Some("key-kept"));
    let id = stepped["payment_request"]["payment_request_id"].as_str().unwrap().to_owned();
    let url = stepped["payment_request"]["state_context"]["customer_interaction"]["payment_request_url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(http().get(format!("{url}?auto=approve")).send().unwrap().status().as_u16(), 303);
    let (status, approved) = authorize(&sim, KEY, &purchase("sim:approve"), Some("key-approved"));
    assert_eq!(status, 200, "{approved}");
    assert_eq!(put_account(&sim, ACCOUNT, &json!({"scenario": "decline"})), 200);
    let before = state(&sim);
    drop(sim); // SIGKILL: no chance to flush anything.

    let sim = start(&["--state-file", path]);
    let after = state(&sim);
    assert_eq!(after["requests"][&id], before["requests"][&id]);
    assert_eq!(after["requests"][&id]["request"]["state"], "COMPLETED");
    assert_eq!(after["transactions"], before["transactions"]);
    assert_eq!(after["accounts"], before["accounts"]);
    // A repeat under the same key gets the first reply, not a second transaction.
    let (_, replayed) = authorize(&sim, KEY, &purchase("sim:approve"), Some("key-approved"));
    assert_eq!(replayed, approved);
    assert_eq!(state(&sim)["transactions"].as_object().unwrap().len(), 1);
    // The account's standing scenario still applies, and a word still wins over it.
    let (_, declined) = authorize(&sim, KEY, &purchase("plain"), None);
    assert_eq!(declined["payment_transaction_response"]["result"], "DECLINED");
    let (_, worded) = authorize(&sim, KEY, &purchase("sim:approve"), None);
    assert_eq!(worded["payment_transaction_response"]["result"], "APPROVED");
    drop(sim);
    let _ = std::fs::remove_dir_all(Path::new(path).parent().unwrap());
}

#[test]
fn a_broken_state_file_stops_the_start() {
    let file = temporary("broken");
    std::fs::write(&file, "not json").unwrap();
    let output = command(&["--port", "0", "--api-port", "0", "--api-key", KEY, "--state-file", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not a klarna-sim state file"), "{stderr}");
    let _ = std::fs::remove_dir_all(file.parent().unwrap());
}
