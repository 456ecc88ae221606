//! Which dates have lessons, and which weekday's timetable each follows (no I/O).

use crate::model::{CalendarDay, SchoolSettings};
use chrono::{Datelike, NaiveDate};

/// A school's calendar reduced to what lesson generation needs.
#[derive(Debug, Clone)]
pub struct SchoolDays {
    week_days: u32,
    /// Holidays and vacations: no lessons.
    off: Vec<(NaiveDate, NaiveDate)>,
    /// Moved working days and the weekday whose timetable they follow.
    working: Vec<(NaiveDate, NaiveDate, u32)>,
}

fn date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

impl SchoolDays {
    pub fn new(settings: &SchoolSettings, days: &[CalendarDay]) -> Self {
        let mut off = Vec::new();
        let mut working = Vec::new();
        for d in days {
            let (Some(from), Some(to)) = (date(&d.starts_on), date(&d.ends_on)) else {
                continue;
            };
            if d.kind == "working" {
                let wd = d
                    .follows_weekday
                    .unwrap_or(from.weekday().number_from_monday() as i64);
                working.push((from, to, wd.clamp(1, 7) as u32));
            } else {
                off.push((from, to));
            }
        }
        Self {
            week_days: settings.week_days.clamp(1, 7) as u32,
            off,
            working,
        }
    }

    /// The weekday (1 = Monday) whose timetable `d` follows, or `None` without lessons.
    pub fn timetable_weekday(&self, d: NaiveDate) -> Option<u32> {
        if let Some((_, _, wd)) = self.working.iter().find(|(f, t, _)| *f <= d && d <= *t) {
            return Some(*wd);
        }
        if self.off.iter().any(|(f, t)| *f <= d && d <= *t) {
            return None;
        }
        let wd = d.weekday().number_from_monday();
        (wd <= self.week_days).then_some(wd)
    }
}

/// Monday of the week containing `d`.
pub fn monday_of(d: NaiveDate) -> NaiveDate {
    d - chrono::Duration::days(d.weekday().num_days_from_monday() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use parta_core::ids::CalendarDayId;

    fn day(kind: &str, from: &str, to: &str, follows: Option<i64>) -> CalendarDay {
        CalendarDay {
            id: CalendarDayId::new(),
            starts_on: from.into(),
            ends_on: to.into(),
            kind: kind.into(),
            follows_weekday: follows,
            name: "x".into(),
        }
    }

    #[test]
    fn holidays_weekends_and_moved_days() {
        let s = SchoolDays::new(
            &SchoolSettings::default(),
            &[
                day("vacation", "2026-11-02", "2026-11-08", None),
                day("working", "2026-11-14", "2026-11-14", Some(1)),
            ],
        );
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(s.timetable_weekday(d("2026-11-09")), Some(1)); // Monday
        assert_eq!(s.timetable_weekday(d("2026-11-03")), None); // vacation
        assert_eq!(s.timetable_weekday(d("2026-11-15")), None); // Sunday
        assert_eq!(s.timetable_weekday(d("2026-11-21")), None); // Saturday, 5-day week
        assert_eq!(s.timetable_weekday(d("2026-11-14")), Some(1)); // moved working Saturday
        let six = SchoolDays::new(
            &SchoolSettings {
                week_days: 6,
                rounding_threshold: 60,
            },
            &[],
        );
        assert_eq!(six.timetable_weekday(d("2026-11-21")), Some(6));
        assert_eq!(monday_of(d("2026-11-22")), d("2026-11-16"));
    }
}
