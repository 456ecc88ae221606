//! SQL of report. One text for both backends (`$n` placeholders).

use parta_core::ids::{ClassId, OrganisationId, PersonId};
use parta_db::Db;

type R<T> = Result<T, sqlx::Error>;

/// Weighted sums of scored marks per (student, subject) of a class in a date range.
pub async fn class_sums(
    db: &Db,
    class: ClassId,
    from: &str,
    to: &str,
) -> R<Vec<(PersonId, String, i64, i64)>> {
    sqlx::query_as(
        "SELECT m.student_id, l.subject_code, CAST(SUM(m.score * m.weight) AS BIGINT), CAST(SUM(m.weight) AS BIGINT) FROM marks m JOIN lessons l ON l.id = m.lesson_id \
         WHERE l.class_id = $1 AND l.day >= $2 AND l.day <= $3 AND m.score IS NOT NULL GROUP BY m.student_id, l.subject_code",
    )
    .bind(class)
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(&db.pool)
    .await
}

/// Weighted sums for a whole school: (class, student, subject, Σ score·weight, Σ weight).
pub async fn school_sums(
    db: &Db,
    org: OrganisationId,
    from: &str,
    to: &str,
) -> R<Vec<(ClassId, PersonId, String, i64, i64)>> {
    sqlx::query_as(
        "SELECT l.class_id, m.student_id, l.subject_code, CAST(SUM(m.score * m.weight) AS BIGINT), CAST(SUM(m.weight) AS BIGINT) FROM lessons l \
         JOIN marks m ON m.lesson_id = l.id \
         WHERE l.organisation_id = $1 AND l.day >= $2 AND l.day <= $3 AND m.score IS NOT NULL \
         GROUP BY l.class_id, m.student_id, l.subject_code",
    )
    .bind(org)
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(&db.pool)
    .await
}

/// Absences per student of a class in a range: (student, status, count).
pub async fn class_absences(
    db: &Db,
    class: ClassId,
    from: &str,
    to: &str,
) -> R<Vec<(PersonId, String, i64)>> {
    sqlx::query_as(
        "SELECT a.student_id, a.status, COUNT(*) FROM attendance a JOIN lessons l ON l.id = a.lesson_id \
         WHERE l.class_id = $1 AND l.day >= $2 AND l.day <= $3 GROUP BY a.student_id, a.status",
    )
    .bind(class)
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(&db.pool)
    .await
}
