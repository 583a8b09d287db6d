//! The simulated clock: real time plus an offset that `/_sim/clock` moves forward.

use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

/// Now, on the simulated clock.
pub fn now(offset_ms: i64) -> OffsetDateTime {
    OffsetDateTime::now_utc() + Duration::milliseconds(offset_ms)
}

/// RFC 3339, as Klarna writes timestamps.
pub fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}
