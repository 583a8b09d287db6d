//! http-kit over real HTTP on 127.0.0.1, with raw TCP clients that misbehave.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test helpers fail a test by panicking"
)]

use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{header, HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use http_kit::{serve, AllowedHosts, Limits};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

fn app() -> Router {
    Router::new()
        .route("/", get(|| async { "hello" }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(2)).await;
                "late"
            }),
        )
        .route(
            "/own-policy",
            get(|| async {
                ([(header::CONTENT_SECURITY_POLICY, "default-src 'none'; frame-ancestors 'self'")], "own")
            }),
        )
        .route(
            "/echo",
            post(|body: axum::body::Body| async move {
                match axum::body::to_bytes(body, 1024).await {
                    Ok(bytes) => (StatusCode::OK, bytes),
                    Err(_) => (StatusCode::REQUEST_TIMEOUT, Bytes::from_static(b"body too slow")),
                }
            }),
        )
}

fn limits() -> Limits {
    Limits {
        header_read_timeout: Duration::from_millis(400),
        body_read_timeout: Duration::from_millis(400),
        request_timeout: Duration::from_millis(800),
        max_connections: 8,
        shutdown_grace: Duration::from_secs(5),
    }
}

/// Serves `router` on a free port; the sender stops it.
async fn start(router: Router, limits: Limits) -> (String, oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, router, limits, async {
        let _ = stopped.await;
    }));
    (address, stop, task)
}

fn request(host: &str, path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n")
}

/// Reads until the peer closes or `within` passes; returns what came and whether it closed.
async fn read_for(stream: &mut TcpStream, within: Duration) -> (String, bool) {
    let mut seen = Vec::new();
    let deadline = Instant::now() + within;
    let mut buffer = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buffer)).await {
            Err(_) => return (String::from_utf8_lossy(&seen).into_owned(), false),
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&seen).into_owned(), true),
            Ok(Ok(n)) => seen.extend_from_slice(&buffer[..n]),
        }
    }
}

/// Sends one request on a new connection and reads the status line's code.
async fn status_of(address: &str, raw: &str) -> u16 {
    let mut stream = TcpStream::connect(address).await.unwrap();
    let raw = raw.replacen("\r\n\r\n", "\r\nConnection: close\r\n\r\n", 1);
    stream.write_all(raw.as_bytes()).await.unwrap();
    let (reply, _) = read_for(&mut stream, Duration::from_millis(1500)).await;
    reply.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or(0)
}

#[tokio::test]
async fn a_client_that_dribbles_its_headers_is_cut_off() {
    let (address, _stop, _) = start(app(), limits()).await;
    let mut stream = TcpStream::connect(&address).await.unwrap();
    let started = Instant::now();
    let mut closed_early = false;
    // One byte every 100 ms: the whole header would take about 3 seconds.
    for byte in request(&address, "/").bytes() {
        if stream.write_all(&[byte]).await.is_err() {
            closed_early = true;
            break;
        }
        let (_, closed) = read_for(&mut stream, Duration::from_millis(100)).await;
        if closed {
            closed_early = true;
            break;
        }
    }
    assert!(closed_early, "the server waited for the whole dribbled header");
    assert!(started.elapsed() < Duration::from_millis(1500), "cut off after {:?}", started.elapsed());
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed() {
    let (address, _stop, _) = start(app(), limits()).await;
    let mut stream = TcpStream::connect(&address).await.unwrap();
    stream.write_all(request(&address, "/").as_bytes()).await.unwrap();
    let (reply, closed) = read_for(&mut stream, Duration::from_millis(200)).await;
    assert!(reply.starts_with("HTTP/1.1 200") && !closed, "{reply}");
    let started = Instant::now();
    let (_, closed) = read_for(&mut stream, Duration::from_secs(3)).await;
    assert!(closed, "the idle connection stayed open");
    assert!(started.elapsed() < Duration::from_millis(1500), "closed after {:?}", started.elapsed());
}

#[tokio::test]
async fn a_body_that_stalls_fails_to_read() {
    let (address, _stop, _) = start(app(), limits()).await;
    let mut stream = TcpStream::connect(&address).await.unwrap();
    let head = format!("POST /echo HTTP/1.1\r\nHost: {address}\r\nContent-Length: 10\r\n\r\n1");
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let (reply, _) = read_for(&mut stream, Duration::from_secs(3)).await;
    assert!(reply.starts_with("HTTP/1.1 408"), "{reply}");
    assert!(started.elapsed() < Duration::from_millis(1500), "answered after {:?}", started.elapsed());
    assert_eq!(status_of(&address, &request(&address, "/")).await, 200);
}

#[tokio::test]
async fn a_request_past_the_request_timeout_gets_503() {
    let (address, _stop, _) = start(app(), limits()).await;
    let started = Instant::now();
    assert_eq!(status_of(&address, &request(&address, "/slow")).await, 503);
    assert!(started.elapsed() < Duration::from_millis(1500));
}

#[tokio::test]
async fn the_connection_limit_holds() {
    let limits = Limits { header_read_timeout: Duration::from_secs(10), max_connections: 2, ..limits() };
    let (address, _stop, _) = start(app(), limits).await;
    let mut first = TcpStream::connect(&address).await.unwrap();
    let second = TcpStream::connect(&address).await.unwrap();
    // Both slots are held by connections that send nothing.
    first.write_all(request(&address, "/").as_bytes()).await.unwrap();
    assert!(read_for(&mut first, Duration::from_millis(300)).await.0.starts_with("HTTP/1.1 200"));
    let mut third = TcpStream::connect(&address).await.unwrap();
    third.write_all(request(&address, "/").as_bytes()).await.unwrap();
    let (reply, _) = read_for(&mut third, Duration::from_millis(500)).await;
    assert!(reply.is_empty(), "a third connection was served: {reply}");
    drop(second);
    let (reply, _) = read_for(&mut third, Duration::from_secs(2)).await;
    assert!(reply.starts_with("HTTP/1.1 200"), "the waiting connection was not served once a slot freed: {reply}");
}

#[tokio::test]
async fn a_rebinding_host_is_refused() {
    let router = AllowedHosts::loopback().with("shop.example").unwrap().apply(app());
    let (address, _stop, _) = start(router, limits()).await;
    let port = address.rsplit(':').next().unwrap().to_owned();
    for (host, status) in [
        (address.clone(), 200),
        (format!("localhost:{port}"), 200),
        ("shop.example".to_owned(), 200),
        (format!("attacker.example:{port}"), 421),
        (format!("127.0.0.1.attacker.example:{port}"), 421),
    ] {
        assert_eq!(status_of(&address, &request(&host, "/")).await, status, "{host}");
    }
    // Routes that do not exist are refused the same way, and a request without a Host too.
    assert_eq!(status_of(&address, &request("attacker.example", "/nowhere")).await, 421);
    assert_eq!(status_of(&address, "GET / HTTP/1.0\r\n\r\n").await, 400);
}

#[tokio::test]
async fn security_headers_are_set_unless_the_handler_sets_its_own() {
    let router = http_kit::security_headers(app(), "default-src 'self'; frame-ancestors 'none'").unwrap();
    let (address, _stop, _) = start(router, limits()).await;
    let http = reqwest::Client::new();
    let get = |path: &str| http.get(format!("http://{address}{path}")).send();
    let headers: HeaderMap = get("/").await.unwrap().headers().clone();
    assert_eq!(headers["content-security-policy"], "default-src 'self'; frame-ancestors 'none'");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    let own: HeaderMap = get("/own-policy").await.unwrap().headers().clone();
    assert_eq!(own["content-security-policy"], "default-src 'none'; frame-ancestors 'self'");
    assert_eq!(own["x-content-type-options"], "nosniff");
    assert!(http_kit::security_headers(app(), "bad\npolicy").is_err());
}

#[tokio::test]
async fn shutdown_lets_open_requests_finish_and_stops_accepting() {
    let limits = Limits { request_timeout: Duration::from_secs(5), ..limits() };
    let (address, stop, task) = start(app(), limits).await;
    let mut open = TcpStream::connect(&address).await.unwrap();
    open.write_all(request(&address, "/slow").as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.send(()).unwrap();
    let stopping = Instant::now();
    tokio::time::timeout(Duration::from_secs(4), task).await.unwrap().unwrap();
    // serve() returns only once the open request (1.8 s of work left) was answered.
    assert!(stopping.elapsed() > Duration::from_millis(1500), "returned after {:?}", stopping.elapsed());
    let (reply, _) = read_for(&mut open, Duration::from_millis(500)).await;
    assert!(reply.starts_with("HTTP/1.1 200") && reply.ends_with("late"), "{reply}");
    assert!(TcpStream::connect(&address).await.is_err(), "still accepting after shutdown");
}
