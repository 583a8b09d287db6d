//! The simulated clock: real time plus an offset that `/_sim/clock` moves forward. Every sum
//! saturates, so no offset or lifetime can make the clock panic.

use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

/// The furthest the clock may be moved ahead: about 100 years, far from `time`'s limits.
pub const MAX_OFFSET_MS: i64 = 100 * 366 * 24 * 60 * 60 * 1000;

/// Now, on the simulated clock.
pub fn now(offset_ms: i64) -> OffsetDateTime {
    OffsetDateTime::now_utc().saturating_add(Duration::milliseconds(offset_ms))
}

/// `at` plus `span`, saturating at the calendar's ends.
pub fn after(at: OffsetDateTime, span: Duration) -> OffsetDateTime {
    at.saturating_add(span)
}

/// RFC 3339, as Klarna writes timestamps.
pub fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}
