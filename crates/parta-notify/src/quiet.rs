//! When a notification may leave by e-mail or the messenger: not in the person's quiet
//! hours (тихие часы) — and never at night to a student — and, for those who asked for a
//! digest, once a day at the digest's time. Pure functions of the time, in the platform's
//! local time (`utc_offset_minutes`).

const DAY_MIN: i64 = 24 * 60;
const MIN_MS: i64 = 60_000;

/// A student's night: 21:00–08:00, whatever they set.
pub const STUDENT_NIGHT: (u32, u32) = (21 * 60, 8 * 60);

/// Adults' quiet hours until they change them: 22:00–07:00.
pub const ADULT_DEFAULT: (u32, u32) = (22 * 60, 7 * 60);

/// Minutes since local midnight at `now_ms`.
fn local_minute(now_ms: i64, offset_min: i32) -> i64 {
    (now_ms.div_euclid(MIN_MS) + i64::from(offset_min)).rem_euclid(DAY_MIN)
}

/// Whether `minute` falls in `[from, to)`, the window crossing midnight when `from > to`;
/// an empty window (`from == to`) holds nothing.
fn inside(minute: i64, (from, to): (u32, u32)) -> bool {
    let (from, to) = (i64::from(from), i64::from(to));
    if from <= to {
        minute >= from && minute < to
    } else {
        minute >= from || minute < to
    }
}

/// Minutes from `minute` until the window's end (`to`), going forward over midnight.
fn until_end(minute: i64, to: u32) -> i64 {
    (i64::from(to) - minute).rem_euclid(DAY_MIN)
}

/// The first moment at or after `now_ms` outside every window (a student's night and
/// their own quiet hours may overlap and chain), if there is one within a few steps.
fn leave(now_ms: i64, offset_min: i32, windows: &[(u32, u32)]) -> Option<i64> {
    let mut at = now_ms;
    // Each step leaves one window; windows that leave no time of day never end.
    for _ in 0..4 {
        let minute = local_minute(at, offset_min);
        match windows.iter().find(|w| inside(minute, **w)) {
            Some(w) => {
                // To the start of the minute the window ends at.
                at = (at.div_euclid(MIN_MS) + until_end(minute, w.1)) * MIN_MS;
            }
            None => return Some(at),
        }
    }
    None
}

/// When a delivery may leave: after the person's own quiet hours and, for a student, the
/// night. Own hours that together with the night cover the whole day give way: it leaves
/// when the night ends (the night is the rule, one's own hours a wish).
pub fn after_quiet(now_ms: i64, offset_min: i32, own: Option<(u32, u32)>, student: bool) -> i64 {
    let night: Vec<(u32, u32)> = if student {
        vec![STUDENT_NIGHT]
    } else {
        Vec::new()
    };
    let mut all = night.clone();
    all.extend(own);
    leave(now_ms, offset_min, &all)
        .or_else(|| leave(now_ms, offset_min, &night))
        .unwrap_or(now_ms)
}

/// The next digest time strictly after `now_ms` (today's if it is still ahead).
pub fn next_digest(now_ms: i64, offset_min: i32, digest_min: u32) -> i64 {
    let minute = local_minute(now_ms, offset_min);
    let mut ahead = i64::from(digest_min) - minute;
    if ahead <= 0 {
        ahead += DAY_MIN;
    }
    (now_ms.div_euclid(MIN_MS) + ahead) * MIN_MS
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-12-01 at local `h:m` in Moscow (UTC+3), as epoch ms.
    fn msk(h: i64, m: i64) -> i64 {
        let midnight_utc = 1_796_083_200_000; // 2026-12-01T00:00Z
        midnight_utc + ((h * 60 + m) - 180) * MIN_MS
    }

    #[test]
    fn outside_quiet_hours_now_is_now() {
        assert_eq!(
            after_quiet(msk(15, 0), 180, Some(ADULT_DEFAULT), false),
            msk(15, 0)
        );
        assert_eq!(after_quiet(msk(15, 0), 180, None, false), msk(15, 0));
    }

    #[test]
    fn at_night_it_waits_for_the_morning() {
        // 23:30 → 07:00 next day.
        assert_eq!(
            after_quiet(msk(23, 30), 180, Some(ADULT_DEFAULT), false),
            msk(24 + 7, 0)
        );
        // 02:10 → 07:00 the same day.
        assert_eq!(
            after_quiet(msk(2, 10), 180, Some(ADULT_DEFAULT), false),
            msk(7, 0)
        );
        // A student's night is longer: 07:30 is still night for them.
        assert_eq!(
            after_quiet(msk(7, 30), 180, Some(ADULT_DEFAULT), true),
            msk(8, 0)
        );
    }

    #[test]
    fn windows_chain_and_empty_ones_hold_nothing() {
        // A day window 13:00–15:00 after a student's night: 07:59 waits to 08:00 only.
        assert_eq!(
            after_quiet(msk(7, 59), 180, Some((13 * 60, 15 * 60)), true),
            msk(8, 0)
        );
        // Windows that touch: 20:00–21:00 then the night to 08:00.
        assert_eq!(
            after_quiet(msk(20, 30), 180, Some((20 * 60, 21 * 60)), true),
            msk(24 + 8, 0)
        );
        assert_eq!(
            after_quiet(msk(3, 0), 180, Some((600, 600)), false),
            msk(3, 0)
        );
        // Own hours 08:00–21:00 and the night leave no time: the night ends at 08:00.
        assert_eq!(
            after_quiet(msk(22, 0), 180, Some((8 * 60, 21 * 60)), true),
            msk(24 + 8, 0)
        );
        // An adult's own whole-day window (00:00–23:59 and a minute) cannot hold forever.
        assert_eq!(
            after_quiet(msk(12, 0), 180, Some((0, 23 * 60 + 59)), false),
            msk(23, 59)
        );
    }

    #[test]
    fn the_digest_leaves_at_its_time_today_or_tomorrow() {
        assert_eq!(next_digest(msk(9, 0), 180, 18 * 60), msk(18, 0));
        assert_eq!(next_digest(msk(18, 0), 180, 18 * 60), msk(24 + 18, 0));
        assert_eq!(next_digest(msk(19, 0), 180, 18 * 60), msk(24 + 18, 0));
        // Another time zone (Novosibirsk, UTC+7).
        let nsk_9 = msk(9, 0) - 4 * 60 * MIN_MS;
        assert_eq!(next_digest(nsk_9, 420, 18 * 60), nsk_9 + 9 * 60 * MIN_MS);
    }
}
