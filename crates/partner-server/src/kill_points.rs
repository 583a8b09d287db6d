//! Crash points for the reliability tests (`npm run chaos`), compiled in only with the cargo
//! feature `kill-points`: with `PARTNER_KILL_AT=<point>` set, the process aborts when it reaches
//! that point, as a crash would (nothing flushed, no destructor run). In a normal build
//! [`reached`] is empty.

/// The points, in the order a checkout meets them.
pub const POINTS: [&str; 5] = [
    "before-klarna-call",
    "after-klarna-before-commit",
    "after-commit-before-reply",
    "during-final-authorization",
    "webhook-before-order-update",
];

/// Aborts the process if `PARTNER_KILL_AT` names `point`.
#[cfg(feature = "kill-points")]
pub fn reached(point: &str) {
    static TARGET: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    if TARGET.get_or_init(|| std::env::var("PARTNER_KILL_AT").ok()).as_deref() == Some(point) {
        eprintln!("partner-server: killed at {point}");
        std::process::abort();
    }
}

/// Does nothing: this build has no kill points.
#[cfg(not(feature = "kill-points"))]
#[inline(always)]
pub fn reached(_point: &str) {}
