//! Time helpers. Instants are stored as milliseconds since the Unix epoch (`BIGINT`),
//! calendar dates as ISO text `YYYY-MM-DD`; both compare correctly on both backends.
//!
//! The platform's clock can be set: `PARTA_TODAY=2026-09-01` (or `today` in the
//! configuration) moves it by whole days so that this date is today, and time goes on from
//! there. Tests, drills and demonstrations run on a chosen date; every process of a run
//! given the same date agrees on the time, because only the date is shifted. Nothing in
//! the platform reads the system clock except through this module.

use chrono::{NaiveDate, Utc};
use std::sync::OnceLock;

/// Days added to the system clock; fixed once per process.
static OFFSET_DAYS: OnceLock<i64> = OnceLock::new();

/// The environment variable that sets the platform's date.
pub const TODAY_VAR: &str = "PARTA_TODAY";

fn offset_days() -> i64 {
    *OFFSET_DAYS.get_or_init(|| {
        std::env::var(TODAY_VAR)
            .ok()
            .and_then(|s| parse_day(&s))
            .map(days_from_system)
            .unwrap_or(0)
    })
}

fn days_from_system(day: NaiveDate) -> i64 {
    (day - Utc::now().date_naive()).num_days()
}

/// `YYYY-MM-DD`, surrounding blanks ignored.
pub fn parse_day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// Sets the platform's date for this process. It can be set once, before the clock is
/// first read (the binary does it right after reading the configuration); setting the
/// date already in force is accepted.
pub fn set_today(day: NaiveDate) -> Result<(), String> {
    let wanted = days_from_system(day);
    let got = *OFFSET_DAYS.get_or_init(|| wanted);
    if got == wanted {
        Ok(())
    } else {
        Err(format!(
            "дата платформы уже установлена ({}), нельзя сменить на {day}",
            today()
        ))
    }
}

/// Now, in milliseconds since the epoch.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis() + offset_days() * 86_400_000
}

/// Today in the server's calendar (UTC).
pub fn today() -> NaiveDate {
    let now = Utc::now().date_naive();
    now.checked_add_signed(chrono::Duration::days(offset_days()))
        .unwrap_or(now)
}

/// Whether the clock is moved away from the system's.
pub fn is_set() -> bool {
    offset_days() != 0
}

/// The Monday of the week of epoch milliseconds (the server's calendar, UTC).
pub fn monday_of_ms(ms: i64) -> NaiveDate {
    let day = chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.date_naive())
        .unwrap_or_default();
    monday_of(day)
}

/// The Monday of the day's week.
pub fn monday_of(day: NaiveDate) -> NaiveDate {
    use chrono::Datelike;
    day - chrono::Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

/// Minutes since midnight of `HH:MM` (`7:05`, `21:30`); `None` if it is not a time.
pub fn parse_hhmm(s: &str) -> Option<u32> {
    let (hs, ms) = s.trim().split_once(':')?;
    let digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
    if !(1..=2).contains(&hs.len()) || ms.len() != 2 || !digits(hs) || !digits(ms) {
        return None;
    }
    let (h, m): (u32, u32) = (hs.parse().ok()?, ms.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

/// Formats epoch milliseconds for people: `24.11.2026 10:15` (UTC).
pub fn format_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%d.%m.%Y %H:%M").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_of_day_parse_strictly() {
        assert_eq!(parse_hhmm("7:05"), Some(425));
        assert_eq!(parse_hhmm(" 21:30 "), Some(1290));
        assert_eq!(parse_hhmm("00:00"), Some(0));
        for bad in [
            "24:00", "12:60", "12:5", "123:00", "ab:cd", "12", "-1:00", "+1:00",
        ] {
            assert_eq!(parse_hhmm(bad), None, "{bad}");
        }
    }

    #[test]
    fn dates_parse_strictly() {
        assert_eq!(
            parse_day(" 2028-02-29 "),
            NaiveDate::from_ymd_opt(2028, 2, 29)
        );
        assert_eq!(parse_day("2027-02-29"), None);
        assert_eq!(parse_day("29.02.2028"), None);
    }
}
