//! Time helpers. Instants are stored as milliseconds since the Unix epoch (`BIGINT`),
//! calendar dates as ISO text `YYYY-MM-DD`; both compare correctly on both backends.

use chrono::{NaiveDate, Utc};

/// Now, in milliseconds since the epoch.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// Today in the server's calendar (UTC).
pub fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// Formats epoch milliseconds for people: `24.11.2026 10:15` (UTC).
pub fn format_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%d.%m.%Y %H:%M").to_string())
        .unwrap_or_default()
}
