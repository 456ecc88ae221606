//! SQL of gradebook. One text for both backends (`$n` placeholders).

use crate::model::*;
use parta_core::ids::{AcademicYearId, ClassId, LessonId, OrganisationId, PersonId};
use parta_db::Db;
use sqlx::AnyConnection;

type R<T> = Result<T, sqlx::Error>;

use crate::store::*;

pub async fn grades(db: &Db, class: ClassId, subject: &str, year: AcademicYearId) -> R<Vec<Grade>> {
    sqlx::query_as(
        "SELECT student_id, subject_code, period_key, value FROM period_grades \
         WHERE class_id = $1 AND subject_code = $2 AND academic_year_id = $3",
    )
    .bind(class)
    .bind(subject.to_string())
    .bind(year)
    .fetch_all(&db.pool)
    .await
}

pub async fn student_grades(db: &Db, student: PersonId, year: AcademicYearId) -> R<Vec<Grade>> {
    sqlx::query_as(
        "SELECT student_id, subject_code, period_key, value FROM period_grades WHERE student_id = $1 AND academic_year_id = $2",
    )
    .bind(student)
    .bind(year)
    .fetch_all(&db.pool)
    .await
}

pub async fn class_grades(db: &Db, class: ClassId, period_key: &str) -> R<Vec<Grade>> {
    sqlx::query_as(
        "SELECT student_id, subject_code, period_key, value FROM period_grades WHERE class_id = $1 AND period_key = $2",
    )
    .bind(class)
    .bind(period_key.to_string())
    .fetch_all(&db.pool)
    .await
}

#[allow(clippy::too_many_arguments)]
pub async fn set_grade(
    conn: &mut AnyConnection,
    student: PersonId,
    subject: &str,
    year: AcademicYearId,
    period_key: &str,
    class: ClassId,
    value: Option<&str>,
    by: PersonId,
    now: i64,
) -> R<()> {
    match value {
        Some(v) => {
            sqlx::query(
                "INSERT INTO period_grades (student_id, subject_code, academic_year_id, period_key, class_id, value, set_by, set_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (student_id, subject_code, academic_year_id, period_key) \
                 DO UPDATE SET value = excluded.value, class_id = excluded.class_id, set_by = excluded.set_by, set_at = excluded.set_at",
            )
            .bind(student)
            .bind(subject.to_string())
            .bind(year)
            .bind(period_key.to_string())
            .bind(class)
            .bind(v.to_string())
            .bind(by)
            .bind(now)
            .execute(conn)
            .await?;
        }
        None => {
            sqlx::query(
                "DELETE FROM period_grades WHERE student_id = $1 AND subject_code = $2 AND academic_year_id = $3 AND period_key = $4",
            )
            .bind(student)
            .bind(subject.to_string())
            .bind(year)
            .bind(period_key.to_string())
            .execute(conn)
            .await?;
        }
    }
    Ok(())
}

/// Marks of a school, oldest first, a page at a time: (mark, class id, lesson day).
pub async fn school_marks_page(
    db: &Db,
    org: OrganisationId,
    offset: i64,
    limit: i64,
) -> R<Vec<(Mark, ClassId)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        mark: Mark,
        class_id: ClassId,
    }
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {MARK_COLS}, l.class_id FROM marks m JOIN lessons l ON l.id = m.lesson_id \
         WHERE l.organisation_id = $1 ORDER BY m.id LIMIT $2 OFFSET $3"
    ))
    .bind(org)
    .bind(limit)
    .bind(offset)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.mark, r.class_id)).collect())
}

/// Line items: (lesson, work type) pairs that have marks, a page at a time.
pub async fn school_line_items(
    db: &Db,
    org: OrganisationId,
    offset: i64,
    limit: i64,
) -> R<Vec<(LessonId, String, ClassId, String, String, String, i64)>> {
    sqlx::query_as(
        "SELECT l.id, m.work_type, l.class_id, l.day, s.name, w.name, MAX(m.updated_at) FROM lessons l \
         JOIN marks m ON m.lesson_id = l.id JOIN ref_subjects s ON s.code = l.subject_code \
         JOIN ref_work_types w ON w.code = m.work_type WHERE l.organisation_id = $1 \
         GROUP BY l.id, m.work_type, l.class_id, l.day, s.name, w.name ORDER BY l.id, m.work_type LIMIT $2 OFFSET $3",
    )
    .bind(org)
    .bind(limit)
    .bind(offset)
    .fetch_all(&db.pool)
    .await
}
