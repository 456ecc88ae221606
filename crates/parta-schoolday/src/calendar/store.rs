//! SQL of calendar. One text for both backends (`$n` placeholders).

use crate::model::*;
use parta_core::ids::{AcademicYearId, ClassId, OrganisationId, PeriodId, PersonId};
use parta_db::Db;
use sqlx::AnyConnection;

type R<T> = Result<T, sqlx::Error>;

pub async fn settings(db: &Db, org: OrganisationId) -> R<SchoolSettings> {
    let row: Option<SchoolSettings> = sqlx::query_as(
        "SELECT week_days, rounding_threshold FROM school_settings WHERE organisation_id = $1",
    )
    .bind(org)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.unwrap_or_default())
}

pub async fn upsert_settings(
    conn: &mut AnyConnection,
    org: OrganisationId,
    s: &SchoolSettings,
    now: i64,
) -> R<()> {
    sqlx::query(
        "INSERT INTO school_settings (organisation_id, week_days, rounding_threshold, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (organisation_id) DO UPDATE SET week_days = excluded.week_days, \
         rounding_threshold = excluded.rounding_threshold, updated_at = excluded.updated_at",
    )
    .bind(org)
    .bind(s.week_days)
    .bind(s.rounding_threshold)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub(crate) const PERIOD_COLS: &str =
    "id, academic_year_id, kind, name, grade_from, grade_to, starts_on, ends_on, closed_at";

pub async fn school_years(db: &Db, org: OrganisationId) -> R<Vec<AcademicYearRef>> {
    sqlx::query_as(
        "SELECT id, name, starts_on, ends_on FROM academic_years WHERE organisation_id = $1 ORDER BY starts_on DESC",
    )
    .bind(org)
    .fetch_all(&db.pool)
    .await
}

pub async fn periods(db: &Db, org: OrganisationId) -> R<Vec<Period>> {
    sqlx::query_as(&format!(
        "SELECT {PERIOD_COLS} FROM study_periods WHERE organisation_id = $1 ORDER BY starts_on, grade_from"
    ))
    .bind(org)
    .fetch_all(&db.pool)
    .await
}

/// A period and its school, in one query.
#[derive(sqlx::FromRow)]
pub(crate) struct PeriodOfSchool {
    #[sqlx(flatten)]
    period: Period,
    organisation_id: OrganisationId,
}

pub async fn period(db: &Db, id: PeriodId) -> R<Option<(Period, OrganisationId)>> {
    let row: Option<PeriodOfSchool> = sqlx::query_as(&format!(
        "SELECT {PERIOD_COLS}, organisation_id FROM study_periods WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(|r| (r.period, r.organisation_id)))
}

pub async fn insert_period(
    conn: &mut AnyConnection,
    id: PeriodId,
    org: OrganisationId,
    p: &NewPeriod,
) -> R<()> {
    sqlx::query(
        "INSERT INTO study_periods (id, organisation_id, academic_year_id, kind, name, grade_from, grade_to, starts_on, ends_on) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id)
    .bind(org)
    .bind(p.academic_year_id)
    .bind(p.kind.clone())
    .bind(p.name.trim().to_string())
    .bind(p.grade_from)
    .bind(p.grade_to)
    .bind(p.starts_on.to_string())
    .bind(p.ends_on.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_period_closed(
    conn: &mut AnyConnection,
    id: PeriodId,
    closed: Option<(i64, PersonId)>,
) -> R<()> {
    sqlx::query("UPDATE study_periods SET closed_at = $1, closed_by = $2 WHERE id = $3")
        .bind(closed.map(|c| c.0))
        .bind(closed.map(|c| c.1))
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The academic year's organisation and dates.
pub async fn academic_year(
    db: &Db,
    id: AcademicYearId,
) -> R<Option<(OrganisationId, String, String)>> {
    sqlx::query_as("SELECT organisation_id, starts_on, ends_on FROM academic_years WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await
}

/// Holidays, vacations and moved days of a school (on the pool, or inside a transaction
/// that may have just added one).
pub async fn calendar_days<'c>(
    ex: impl sqlx::Executor<'c, Database = sqlx::Any>,
    org: OrganisationId,
) -> R<Vec<CalendarDay>> {
    sqlx::query_as(
        "SELECT id, starts_on, ends_on, kind, follows_weekday, name FROM calendar_days \
         WHERE organisation_id = $1 ORDER BY starts_on",
    )
    .bind(org)
    .fetch_all(ex)
    .await
}

pub async fn insert_calendar_day(
    conn: &mut AnyConnection,
    org: OrganisationId,
    d: &CalendarDay,
) -> R<()> {
    sqlx::query(
        "INSERT INTO calendar_days (id, organisation_id, starts_on, ends_on, kind, follows_weekday, name) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(d.id)
    .bind(org)
    .bind(d.starts_on.clone())
    .bind(d.ends_on.clone())
    .bind(d.kind.clone())
    .bind(d.follows_weekday)
    .bind(d.name.clone())
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn bells(db: &Db, org: OrganisationId) -> R<Vec<Bell>> {
    sqlx::query_as(
        "SELECT shift, lesson_no, starts_at, ends_at FROM bell_times WHERE organisation_id = $1 ORDER BY shift, lesson_no",
    )
    .bind(org)
    .fetch_all(&db.pool)
    .await
}

pub async fn replace_bells(
    conn: &mut AnyConnection,
    org: OrganisationId,
    shift: i64,
    bells: &[Bell],
) -> R<()> {
    sqlx::query("DELETE FROM bell_times WHERE organisation_id = $1 AND shift = $2")
        .bind(org)
        .bind(shift)
        .execute(&mut *conn)
        .await?;
    for b in bells {
        sqlx::query(
            "INSERT INTO bell_times (organisation_id, shift, lesson_no, starts_at, ends_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(org)
        .bind(shift)
        .bind(b.lesson_no)
        .bind(b.starts_at.clone())
        .bind(b.ends_at.clone())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Removes a holiday, vacation or moved day of a school; its dates, or `None` when the
/// school has no such day.
pub(crate) async fn delete_calendar_day(
    conn: &mut AnyConnection,
    org: OrganisationId,
    id: parta_core::ids::CalendarDayId,
) -> R<Option<String>> {
    let day: Option<(String,)> = sqlx::query_as(
        "SELECT starts_on FROM calendar_days WHERE id = $1 AND organisation_id = $2",
    )
    .bind(id)
    .bind(org)
    .fetch_optional(&mut *conn)
    .await?;
    if day.is_some() {
        sqlx::query("DELETE FROM calendar_days WHERE id = $1 AND organisation_id = $2")
            .bind(id)
            .bind(org)
            .execute(&mut *conn)
            .await?;
    }
    Ok(day.map(|d| d.0))
}

/// Lessons per class of a school in `[from, to]` (inside the change's transaction).
pub async fn lessons_per_class(
    conn: &mut AnyConnection,
    org: OrganisationId,
    from: &str,
    to: &str,
) -> R<std::collections::HashMap<ClassId, i64>> {
    let rows: Vec<(ClassId, i64)> = sqlx::query_as(
        "SELECT class_id, COUNT(*) FROM lessons WHERE organisation_id = $1 AND day >= $2 AND day <= $3 \
         AND status <> 'cancelled' GROUP BY class_id",
    )
    .bind(org)
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().collect())
}

/// The school's lessons in `[from, to]` that are still to be given (not cancelled).
pub async fn live_lessons_between(
    db: &Db,
    org: OrganisationId,
    from: &str,
    to: &str,
) -> R<Vec<crate::timetable::model::Lesson>> {
    sqlx::query_as(&format!(
        "{} WHERE l.organisation_id = $1 AND l.day >= $2 AND l.day <= $3 AND l.status <> 'cancelled' \
         ORDER BY l.day, c.name, l.lesson_no",
        crate::timetable::store::LESSON_SELECT
    ))
    .bind(org)
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(&db.pool)
    .await
}
