//! SQL of journal. One text for both backends (`$n` placeholders).

use crate::model::*;
use parta_core::ids::{AcademicYearId, ClassId, LessonId, MarkId, OrganisationId, PersonId};
use parta_db::Db;
use sqlx::AnyConnection;

type R<T> = Result<T, sqlx::Error>;

use crate::store::*;

/// Teaching assignments of a class, directly or through one of its groups: both sides of
/// the `OR` use an index (by class, and by group since migration 8), otherwise the whole
/// table is scanned (a `COALESCE` over the two columns did too).
pub(crate) const CLASS_ASSIGNMENTS: &str =
    "(a.class_id = $1 OR a.group_id IN (SELECT g.id FROM study_groups g WHERE g.class_id = $1))";

pub async fn mark_scale(db: &Db, class: ClassId, subject: &str) -> R<Scale> {
    let row: Option<(String,)> = sqlx::query_as(&format!(
        "SELECT a.mark_scale FROM teaching_assignments a WHERE {CLASS_ASSIGNMENTS} AND a.subject_code = $2 LIMIT 1"
    ))
    .bind(class)
    .bind(subject.to_string())
    .fetch_optional(&db.pool)
    .await?;
    Ok(Scale::parse(
        row.map(|r| r.0).as_deref().unwrap_or("five_point"),
    ))
}

/// What a journal page needs about its class and subject, in one query.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JournalHead {
    #[sqlx(flatten)]
    pub class: ClassInfo,
    pub subject_name: Option<String>,
    pub rounding_threshold: i64,
    pub mark_scale: String,
}

pub async fn journal_head(db: &Db, class: ClassId, subject: &str) -> R<Option<JournalHead>> {
    sqlx::query_as(&format!(
        "SELECT c.id, c.organisation_id, c.academic_year_id, c.grade_level, c.name, c.shift, \
         y.starts_on AS year_starts_on, y.ends_on AS year_ends_on, \
         (SELECT s.name FROM ref_subjects s WHERE s.code = $2) AS subject_name, \
         COALESCE((SELECT st.rounding_threshold FROM school_settings st WHERE st.organisation_id = c.organisation_id), 60) AS rounding_threshold, \
         COALESCE((SELECT a.mark_scale FROM teaching_assignments a WHERE {CLASS_ASSIGNMENTS} AND a.subject_code = $2 LIMIT 1), 'five_point') AS mark_scale \
         FROM classes c JOIN academic_years y ON y.id = c.academic_year_id WHERE c.id = $1"
    ))
    .bind(class)
    .bind(subject.to_string())
    .fetch_optional(&db.pool)
    .await
}

/// Marks (`m`) and absences (`a`) of a journal in a date range, in one query.
#[derive(Debug, Clone, sqlx::FromRow, serde::Deserialize)]
pub struct JournalCell {
    pub kind: String,
    pub id: Option<MarkId>,
    pub lesson_id: LessonId,
    pub student_id: PersonId,
    pub day: String,
    pub value: String,
    pub work_type: Option<String>,
    pub weight: Option<i64>,
    pub comment: Option<String>,
    pub updated_at: i64,
}

/// Cells of a journal: $1 class, $2 subject, $3–$4 the date range.
pub(crate) const JOURNAL_CELLS: &str = "SELECT 'm' AS kind, m.id, m.lesson_id, m.student_id, m.day, m.value, m.work_type, m.weight, m.comment, m.updated_at \
     FROM marks m JOIN lessons l ON l.id = m.lesson_id \
     WHERE l.class_id = $1 AND l.subject_code = $2 AND l.day >= $3 AND l.day <= $4 \
     UNION ALL SELECT 'a', NULL, a.lesson_id, a.student_id, a.day, a.status, NULL, NULL, a.reason, a.updated_at \
     FROM attendance a JOIN lessons l ON l.id = a.lesson_id \
     WHERE l.class_id = $1 AND l.subject_code = $2 AND l.day >= $3 AND l.day <= $4";
pub(crate) const CELL_COLUMNS: [&str; 10] = [
    "kind",
    "id",
    "lesson_id",
    "student_id",
    "day",
    "value",
    "work_type",
    "weight",
    "comment",
    "updated_at",
];

pub async fn journal_cells(
    db: &Db,
    class: ClassId,
    subject: &str,
    from: &str,
    to: &str,
) -> R<Vec<JournalCell>> {
    sqlx::query_as(JOURNAL_CELLS)
        .bind(class)
        .bind(subject.to_string())
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_all(&db.pool)
        .await
}

/// What the journal grid shows of a period, read in one query (the grid is opened all
/// day by every teacher; four queries cost twice the time of one).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct JournalSets {
    pub students: Vec<JournalStudent>,
    pub lessons: Vec<Lesson>,
    pub cells: Vec<JournalCell>,
    pub grades: Vec<Grade>,
}

pub async fn journal_sets(
    db: &Db,
    class: ClassId,
    subject: &str,
    (from, to): (&str, &str),
    year: AcademicYearId,
) -> R<JournalSets> {
    let lessons = format!(
        "{LESSON_SELECT} WHERE l.class_id = $1 AND l.subject_code = $2 AND l.day >= $3 AND l.day <= $4"
    );
    let sql = db.json_sets_sql(&[
        (
            "students",
            "SELECT p.id, p.last_name || ' ' || p.first_name AS name, p.last_name, p.first_name \
             FROM enrolments e JOIN persons p ON p.id = e.person_id WHERE e.class_id = $1 AND e.ended_on IS NULL",
            &["id", "name"],
            "t.last_name, t.first_name, t.id",
        ),
        ("lessons", &lessons, &LESSON_COLUMNS, "t.day, t.lesson_no"),
        (
            "cells",
            JOURNAL_CELLS,
            &CELL_COLUMNS,
            "t.kind, t.lesson_id, t.student_id, t.id",
        ),
        (
            "grades",
            "SELECT student_id, subject_code, period_key, value FROM period_grades \
             WHERE class_id = $1 AND subject_code = $2 AND academic_year_id = $5",
            &["student_id", "subject_code", "period_key", "value"],
            "t.student_id, t.period_key",
        ),
    ]);
    let text: String = sqlx::query_scalar(&sql)
        .bind(class)
        .bind(subject.to_string())
        .bind(from.to_string())
        .bind(to.to_string())
        .bind(year)
        .fetch_one(&db.pool)
        .await?;
    parta_db::json_rows(&text)
}

/// The class-subjects a teacher keeps journals for (assigned or given in the timetable).
pub async fn teacher_journals(db: &Db, teacher: PersonId) -> R<Vec<JournalRef>> {
    sqlx::query_as(
        "SELECT DISTINCT c.id AS class_id, c.name AS class_name, s.code AS subject_code, s.name AS subject_name \
         FROM teaching_assignments a LEFT JOIN study_groups g ON g.id = a.group_id \
         JOIN classes c ON c.id = COALESCE(a.class_id, g.class_id) JOIN ref_subjects s ON s.code = a.subject_code \
         WHERE a.teacher_id = $1 ORDER BY c.name, s.name",
    )
    .bind(teacher)
    .fetch_all(&db.pool)
    .await
}

/// Every journal of a school's current year (the administration's view), classes in
/// grade order.
pub async fn school_journals(db: &Db, org: OrganisationId) -> R<Vec<JournalRef>> {
    sqlx::query_as(
        "SELECT DISTINCT c.id AS class_id, c.name AS class_name, s.code AS subject_code, s.name AS subject_name, \
         LENGTH(c.grade_level) AS gl, c.grade_level AS g \
         FROM teaching_assignments a LEFT JOIN study_groups g ON g.id = a.group_id \
         JOIN classes c ON c.id = COALESCE(a.class_id, g.class_id) JOIN ref_subjects s ON s.code = a.subject_code \
         WHERE c.organisation_id = $1 AND c.academic_year_id = (SELECT y.id FROM academic_years y \
               WHERE y.organisation_id = $1 AND y.starts_on <= $2 ORDER BY y.starts_on DESC LIMIT 1) \
         ORDER BY gl, g, c.name, s.name",
    )
    .bind(org)
    .bind(parta_core::time::today().to_string())
    .fetch_all(&db.pool)
    .await
}

/// Subjects taught in a class.
pub async fn class_subjects(db: &Db, class: ClassId) -> R<Vec<SubjectName>> {
    sqlx::query_as(&format!(
        "SELECT DISTINCT s.code, s.name FROM teaching_assignments a \
         JOIN ref_subjects s ON s.code = a.subject_code WHERE {CLASS_ASSIGNMENTS} ORDER BY s.name"
    ))
    .bind(class)
    .fetch_all(&db.pool)
    .await
}

pub async fn work_types(db: &Db) -> R<Vec<WorkType>> {
    sqlx::query_as("SELECT code, name, weight FROM ref_work_types ORDER BY weight, name")
        .fetch_all(&db.pool)
        .await
}

pub(crate) const MARK_COLS: &str =
    "m.id, m.lesson_id, m.student_id, m.day, m.subject_code, m.value, m.work_type, m.weight, m.comment, m.updated_at";

pub async fn marks_by_id(db: &Db, ids: &[MarkId]) -> R<Vec<Mark>> {
    db.fetch_in(
        &format!("SELECT {MARK_COLS} FROM marks m WHERE m.id IN ({{}})"),
        ids,
    )
    .await
}

/// How many marks each student has for these lessons: `(lesson, student, count)`.
pub async fn mark_counts(db: &Db, lessons: &[LessonId]) -> R<Vec<(LessonId, PersonId, i64)>> {
    db.fetch_in(
        "SELECT lesson_id, student_id, COUNT(*) FROM marks WHERE lesson_id IN ({}) GROUP BY lesson_id, student_id",
        lessons,
    )
    .await
}

/// A new mark row.
#[derive(Debug, Clone)]
pub struct NewMark {
    pub id: MarkId,
    pub lesson_id: LessonId,
    pub student_id: PersonId,
    pub day: String,
    pub subject_code: String,
    pub value: String,
    pub score: Option<i64>,
    pub work_type: String,
    pub weight: i64,
    pub comment: Option<String>,
}

pub async fn insert_marks(
    db: &Db,
    conn: &mut AnyConnection,
    rows: &[NewMark],
    by: PersonId,
    now: i64,
) -> R<()> {
    const COLS: usize = 14;
    for chunk in rows.chunks(60) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| format!("({})", db.placeholders(i * COLS + 1, COLS)))
            .collect();
        let sql = format!(
            "INSERT INTO marks (id, lesson_id, student_id, day, subject_code, value, score, work_type, weight, comment, \
             created_by, created_at, updated_by, updated_at) VALUES {}",
            values.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for m in chunk {
            q = q
                .bind(m.id)
                .bind(m.lesson_id)
                .bind(m.student_id)
                .bind(m.day.clone())
                .bind(m.subject_code.clone())
                .bind(m.value.clone())
                .bind(m.score)
                .bind(m.work_type.clone())
                .bind(m.weight)
                .bind(m.comment.clone())
                .bind(by)
                .bind(now)
                .bind(by)
                .bind(now);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

pub async fn update_mark(conn: &mut AnyConnection, m: &NewMark, by: PersonId, now: i64) -> R<()> {
    sqlx::query(
        "UPDATE marks SET value = $2, score = $3, work_type = $4, weight = $5, comment = $6, updated_by = $7, updated_at = $8 WHERE id = $1",
    )
    .bind(m.id)
    .bind(m.value.clone())
    .bind(m.score)
    .bind(m.work_type.clone())
    .bind(m.weight)
    .bind(m.comment.clone())
    .bind(by)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete_mark(conn: &mut AnyConnection, id: MarkId) -> R<()> {
    sqlx::query("DELETE FROM marks WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_history(
    conn: &mut AnyConnection,
    old: &Mark,
    new_value: Option<&str>,
    by: PersonId,
    role: &str,
    now: i64,
) -> R<()> {
    sqlx::query(
        "INSERT INTO mark_history (id, mark_id, lesson_id, student_id, old_value, new_value, changed_by, changed_role, changed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(old.id)
    .bind(old.lesson_id)
    .bind(old.student_id)
    .bind(old.value.clone())
    .bind(new_value.map(str::to_string))
    .bind(by)
    .bind(role.to_string())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn mark_history(db: &Db, lesson: LessonId) -> R<Vec<MarkChange>> {
    sqlx::query_as(
        "SELECT h.mark_id, h.student_id, h.old_value, h.new_value, h.changed_by, \
         p.last_name || ' ' || SUBSTR(p.first_name, 1, 1) || '.' AS changed_by_name, h.changed_role, h.changed_at \
         FROM mark_history h JOIN persons p ON p.id = h.changed_by WHERE h.lesson_id = $1 ORDER BY h.id",
    )
    .bind(lesson)
    .fetch_all(&db.pool)
    .await
}

pub async fn upsert_attendance(
    conn: &mut AnyConnection,
    a: &Attendance,
    by: PersonId,
    now: i64,
) -> R<()> {
    sqlx::query(
        "INSERT INTO attendance (lesson_id, student_id, day, status, reason, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (lesson_id, student_id) DO UPDATE SET status = excluded.status, reason = excluded.reason, \
         updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(a.lesson_id)
    .bind(a.student_id)
    .bind(a.day.clone())
    .bind(a.status.clone())
    .bind(a.reason.clone())
    .bind(by)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete_attendance(
    conn: &mut AnyConnection,
    lesson: LessonId,
    student: PersonId,
) -> R<u64> {
    let r = sqlx::query("DELETE FROM attendance WHERE lesson_id = $1 AND student_id = $2")
        .bind(lesson)
        .bind(student)
        .execute(conn)
        .await?;
    Ok(r.rows_affected())
}
