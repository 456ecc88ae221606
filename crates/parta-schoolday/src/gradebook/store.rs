//! SQL of gradebook. One text for both backends (`$n` placeholders).

use crate::model::*;
use parta_core::ids::{AcademicYearId, ClassId, LessonId, MarkId, OrganisationId, PersonId};
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

/// Which marks (results) or line items a gradebook read covers.
#[derive(Debug, Clone)]
pub enum Within {
    /// Schools: a page at a time.
    Orgs(Vec<OrganisationId>),
    Class(ClassId),
    /// A line item: one lesson, one work type.
    LineItem(LessonId, String),
    Mark(MarkId),
}

impl Within {
    /// The condition on `l` (lessons) and `m` (marks), from `$start` on, and its values.
    fn condition(&self, start: usize) -> (String, Vec<String>) {
        match self {
            Within::Orgs(orgs) => (
                format!(
                    "l.organisation_id IN ({})",
                    parta_db::placeholders(start, orgs.len().max(1))
                ),
                if orgs.is_empty() {
                    vec![String::new()]
                } else {
                    orgs.iter().map(|o| o.to_string()).collect()
                },
            ),
            Within::Class(c) => (format!("l.class_id = ${start}"), vec![c.to_string()]),
            Within::LineItem(l, w) => (
                format!("m.lesson_id = ${start} AND m.work_type = ${}", start + 1),
                vec![l.to_string(), w.clone()],
            ),
            Within::Mark(m) => (format!("m.id = ${start}"), vec![m.to_string()]),
        }
    }
}

/// Marks, oldest first, a page at a time: (mark, class id).
pub async fn marks_page(
    db: &Db,
    within: &Within,
    offset: i64,
    limit: i64,
) -> R<Vec<(Mark, ClassId)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        mark: Mark,
        class_id: ClassId,
    }
    let (cond, values) = within.condition(1);
    let n = values.len();
    let sql = format!(
        "SELECT {MARK_COLS}, l.class_id FROM marks m JOIN lessons l ON l.id = m.lesson_id \
         WHERE {cond} ORDER BY m.id LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    );
    let mut q = sqlx::query_as::<_, Row>(&sql);
    for v in values {
        q = q.bind(v);
    }
    let rows = q.bind(limit).bind(offset).fetch_all(&db.pool).await?;
    Ok(rows.into_iter().map(|r| (r.mark, r.class_id)).collect())
}

/// How many marks a read covers.
pub async fn marks_total(db: &Db, within: &Within) -> R<i64> {
    let (cond, values) = within.condition(1);
    let sql =
        format!("SELECT COUNT(*) FROM marks m JOIN lessons l ON l.id = m.lesson_id WHERE {cond}");
    let mut q = sqlx::query_as::<_, (i64,)>(&sql);
    for v in values {
        q = q.bind(v);
    }
    Ok(q.fetch_one(&db.pool).await?.0)
}

/// A line item: (lesson, work type, class, day, subject name, work type name, last change).
pub type LineItemRow = (LessonId, String, ClassId, String, String, String, i64);

/// Line items: (lesson, work type) pairs that have marks, a page at a time.
pub async fn line_items(db: &Db, within: &Within, offset: i64, limit: i64) -> R<Vec<LineItemRow>> {
    let (cond, values) = within.condition(1);
    let n = values.len();
    let sql = format!(
        "SELECT l.id, m.work_type, l.class_id, l.day, s.name, w.name, MAX(m.updated_at) FROM lessons l \
         JOIN marks m ON m.lesson_id = l.id JOIN ref_subjects s ON s.code = l.subject_code \
         JOIN ref_work_types w ON w.code = m.work_type WHERE {cond} \
         GROUP BY l.id, m.work_type, l.class_id, l.day, s.name, w.name ORDER BY l.id, m.work_type LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    );
    let mut q = sqlx::query_as::<_, LineItemRow>(&sql);
    for v in values {
        q = q.bind(v);
    }
    q.bind(limit).bind(offset).fetch_all(&db.pool).await
}

/// How many line items a read covers.
pub async fn line_items_total(db: &Db, within: &Within) -> R<i64> {
    let (cond, values) = within.condition(1);
    let sql = format!(
        "SELECT COUNT(*) FROM (SELECT DISTINCT m.lesson_id, m.work_type FROM marks m JOIN lessons l ON l.id = m.lesson_id WHERE {cond}) x"
    );
    let mut q = sqlx::query_as::<_, (i64,)>(&sql);
    for v in values {
        q = q.bind(v);
    }
    Ok(q.fetch_one(&db.pool).await?.0)
}

/// A lesson's class, subject and school.
pub async fn lesson_place(
    db: &Db,
    lesson: LessonId,
) -> R<Option<(ClassId, String, OrganisationId)>> {
    sqlx::query_as("SELECT class_id, subject_code, organisation_id FROM lessons WHERE id = $1")
        .bind(lesson)
        .fetch_optional(&db.pool)
        .await
}

/// A mark's lesson, wherever it is.
pub async fn mark_lesson(db: &Db, mark: MarkId) -> R<Option<(LessonId, PersonId)>> {
    sqlx::query_as("SELECT lesson_id, student_id FROM marks WHERE id = $1")
        .bind(mark)
        .fetch_optional(&db.pool)
        .await
}

/// A class's school.
pub async fn class_org(db: &Db, class: ClassId) -> R<Option<OrganisationId>> {
    Ok(
        sqlx::query_as::<_, (OrganisationId,)>("SELECT organisation_id FROM classes WHERE id = $1")
            .bind(class)
            .fetch_optional(&db.pool)
            .await?
            .map(|r| r.0),
    )
}
