//! SQL of the school day. One text for both backends (`$n` placeholders); bulk
//! statements through `Db::placeholders`.

use crate::model::*;
use parta_core::ids::{
    AcademicYearId, ClassId, GroupId, LessonId, MarkId, OrganisationId, PeriodId, PersonId, SlotId,
};
use parta_db::Db;
use sqlx::AnyConnection;

type R<T> = Result<T, sqlx::Error>;

// ---- calendar ----

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

const PERIOD_COLS: &str =
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
struct PeriodOfSchool {
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

// ---- classes, people ----

/// A class with what the school day needs: organisation, year, grade number, shift, name.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClassInfo {
    pub id: ClassId,
    pub organisation_id: OrganisationId,
    pub academic_year_id: AcademicYearId,
    pub grade_level: String,
    pub name: String,
    pub shift: i64,
    pub year_starts_on: String,
    pub year_ends_on: String,
}

impl ClassInfo {
    pub fn grade(&self) -> i64 {
        self.grade_level.trim().parse().unwrap_or(0)
    }
}

pub async fn class_info(db: &Db, id: ClassId) -> R<Option<ClassInfo>> {
    sqlx::query_as(
        "SELECT c.id, c.organisation_id, c.academic_year_id, c.grade_level, c.name, c.shift, \
         y.starts_on AS year_starts_on, y.ends_on AS year_ends_on \
         FROM classes c JOIN academic_years y ON y.id = c.academic_year_id WHERE c.id = $1",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await
}

pub async fn group_class(db: &Db, group: GroupId) -> R<Option<Option<ClassId>>> {
    let row: Option<(Option<ClassId>,)> =
        sqlx::query_as("SELECT class_id FROM study_groups WHERE id = $1")
            .bind(group)
            .fetch_optional(&db.pool)
            .await?;
    Ok(row.map(|r| r.0))
}

/// Whether the person works at the organisation now.
pub async fn is_staff(db: &Db, org: OrganisationId, person: PersonId) -> R<bool> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT 1 FROM staff_positions WHERE organisation_id = $1 AND person_id = $2 AND ended_on IS NULL LIMIT 1",
    )
    .bind(org)
    .bind(person)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.is_some())
}

pub async fn subject_name(db: &Db, code: &str) -> R<Option<String>> {
    let row: Option<(String,)> = sqlx::query_as("SELECT name FROM ref_subjects WHERE code = $1")
        .bind(code.to_string())
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.map(|r| r.0))
}

pub async fn short_name(db: &Db, person: PersonId) -> R<String> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT last_name || ' ' || SUBSTR(first_name, 1, 1) || '.' || COALESCE(SUBSTR(middle_name, 1, 1) || '.', '') FROM persons WHERE id = $1",
    )
    .bind(person)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(|r| r.0).unwrap_or_default())
}

/// The students of a class now (and of a group within it), by name.
pub async fn class_students(
    db: &Db,
    class: ClassId,
    group: Option<GroupId>,
) -> R<Vec<JournalStudent>> {
    sqlx::query_as(
        "SELECT p.id, p.last_name || ' ' || p.first_name AS name FROM enrolments e JOIN persons p ON p.id = e.person_id \
         WHERE e.class_id = $1 AND e.ended_on IS NULL \
         AND ($2 IS NULL OR EXISTS (SELECT 1 FROM group_members gm WHERE gm.group_id = $2 AND gm.person_id = p.id)) \
         ORDER BY p.last_name, p.first_name, p.id",
    )
    .bind(class)
    .bind(group)
    .fetch_all(&db.pool)
    .await
}

/// The study groups of a class: id and name.
pub async fn class_groups(db: &Db, class: ClassId) -> R<Vec<(GroupId, String)>> {
    sqlx::query_as("SELECT id, name FROM study_groups WHERE class_id = $1 ORDER BY name")
        .bind(class)
        .fetch_all(&db.pool)
        .await
}

/// The study groups through which a teacher teaches a subject in a class; `None` when
/// they teach it to the whole class (or have no assignment for it).
pub async fn teacher_groups(
    db: &Db,
    teacher: PersonId,
    class: ClassId,
    subject: &str,
) -> R<Option<Vec<GroupId>>> {
    let rows: Vec<(Option<GroupId>,)> = sqlx::query_as(
        "SELECT a.group_id FROM teaching_assignments a LEFT JOIN study_groups g ON g.id = a.group_id \
         WHERE a.teacher_id = $1 AND a.subject_code = $2 AND (a.class_id = $3 OR g.class_id = $3)",
    )
    .bind(teacher)
    .bind(subject.to_string())
    .bind(class)
    .fetch_all(&db.pool)
    .await?;
    if rows.is_empty() || rows.iter().any(|r| r.0.is_none()) {
        return Ok(None);
    }
    Ok(Some(rows.into_iter().filter_map(|r| r.0).collect()))
}

/// The student's current class, its name, and the student's full name.
pub async fn student_class(
    db: &Db,
    student: PersonId,
) -> R<Option<(Option<ClassId>, Option<String>, String)>> {
    sqlx::query_as(
        "SELECT e.class_id, c.name, p.last_name || ' ' || p.first_name FROM persons p \
         LEFT JOIN enrolments e ON e.person_id = p.id AND e.ended_on IS NULL \
         LEFT JOIN classes c ON c.id = e.class_id WHERE p.id = $1",
    )
    .bind(student)
    .fetch_optional(&db.pool)
    .await
}

/// Teaching assignments of a class, directly or through one of its groups: both sides of
/// the `OR` use an index (by class, and by group since migration 8), otherwise the whole
/// table is scanned (a `COALESCE` over the two columns did too).
const CLASS_ASSIGNMENTS: &str =
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
const JOURNAL_CELLS: &str = "SELECT 'm' AS kind, m.id, m.lesson_id, m.student_id, m.day, m.value, m.work_type, m.weight, m.comment, m.updated_at \
     FROM marks m JOIN lessons l ON l.id = m.lesson_id \
     WHERE l.class_id = $1 AND l.subject_code = $2 AND l.day >= $3 AND l.day <= $4 \
     UNION ALL SELECT 'a', NULL, a.lesson_id, a.student_id, a.day, a.status, NULL, NULL, a.reason, a.updated_at \
     FROM attendance a JOIN lessons l ON l.id = a.lesson_id \
     WHERE l.class_id = $1 AND l.subject_code = $2 AND l.day >= $3 AND l.day <= $4";
const CELL_COLUMNS: [&str; 10] = [
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

// ---- timetable ----

const SLOT_COLS: &str = "id, class_id, group_id, weekday, lesson_no, subject_code, teacher_id, room, valid_from, valid_to";

/// Slots of a class valid on or after `from`.
pub async fn class_slots<'c>(
    ex: impl sqlx::Executor<'c, Database = sqlx::Any>,
    class: ClassId,
    from: &str,
) -> R<Vec<Slot>> {
    sqlx::query_as(&format!(
        "SELECT {SLOT_COLS} FROM timetable_slots WHERE class_id = $1 AND (valid_to IS NULL OR valid_to >= $2) \
         ORDER BY valid_from, weekday, lesson_no"
    ))
    .bind(class)
    .bind(from.to_string())
    .fetch_all(ex)
    .await
}

/// A slot of another class that uses the same teacher or room at the same time, while
/// both are valid: (class name, subject name, teacher name, room).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SlotClash {
    pub class_name: String,
    pub subject_name: String,
    pub teacher_id: PersonId,
    pub teacher_name: String,
    pub room: Option<String>,
    pub weekday: i64,
    pub lesson_no: i64,
}

/// Takes the school's timetable for this transaction (see migration 8): on PostgreSQL a
/// row lock, on SQLite the database's write lock, both held until commit.
pub async fn lock_timetable(conn: &mut AnyConnection, org: OrganisationId) -> R<()> {
    sqlx::query(
        "INSERT INTO timetable_revisions (organisation_id, revision) VALUES ($1, 1) \
         ON CONFLICT (organisation_id) DO UPDATE SET revision = timetable_revisions.revision + 1",
    )
    .bind(org)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn slot_clashes(
    conn: &mut AnyConnection,
    org: OrganisationId,
    class: ClassId,
    shift: i64,
    from: &str,
) -> R<Vec<SlotClash>> {
    sqlx::query_as(
        "SELECT c.name AS class_name, s.name AS subject_name, t.teacher_id, \
         p.last_name || ' ' || SUBSTR(p.first_name, 1, 1) || '.' AS teacher_name, t.room, t.weekday, t.lesson_no \
         FROM timetable_slots t JOIN classes c ON c.id = t.class_id JOIN ref_subjects s ON s.code = t.subject_code \
         JOIN persons p ON p.id = t.teacher_id \
         WHERE t.organisation_id = $1 AND t.class_id <> $2 AND c.shift = $3 AND (t.valid_to IS NULL OR t.valid_to >= $4)",
    )
    .bind(org)
    .bind(class)
    .bind(shift)
    .bind(from.to_string())
    .fetch_all(conn)
    .await
}

/// Ends the versions running on `from` and drops those starting later.
pub async fn close_slots(
    conn: &mut AnyConnection,
    class: ClassId,
    from: &str,
    day_before: &str,
) -> R<()> {
    sqlx::query(
        "DELETE FROM timetable_slots WHERE class_id = $1 AND valid_from >= $2 \
                 AND NOT EXISTS (SELECT 1 FROM lessons l WHERE l.slot_id = timetable_slots.id)",
    )
    .bind(class)
    .bind(from.to_string())
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE timetable_slots SET valid_to = $3 WHERE class_id = $1 AND (valid_to IS NULL OR valid_to >= $2)",
    )
    .bind(class)
    .bind(from.to_string())
    .bind(day_before.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn insert_slot(conn: &mut AnyConnection, org: OrganisationId, s: &Slot) -> R<()> {
    sqlx::query(
        "INSERT INTO timetable_slots (id, organisation_id, class_id, group_id, weekday, lesson_no, subject_code, teacher_id, room, valid_from, valid_to) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(s.id)
    .bind(org)
    .bind(s.class_id)
    .bind(s.group_id)
    .bind(s.weekday)
    .bind(s.lesson_no)
    .bind(s.subject_code.clone())
    .bind(s.teacher_id)
    .bind(s.room.clone())
    .bind(s.valid_from.clone())
    .bind(s.valid_to.clone())
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes template lessons from `from` on that hold nothing yet (no topic, homework,
/// marks, attendance or change), so a new template version can replace them.
pub async fn delete_blank_lessons(conn: &mut AnyConnection, class: ClassId, from: &str) -> R<u64> {
    let r = sqlx::query(
        "DELETE FROM lessons WHERE class_id = $1 AND day >= $2 AND slot_id IS NOT NULL AND change_kind IS NULL \
         AND topic IS NULL AND homework IS NULL \
         AND NOT EXISTS (SELECT 1 FROM marks m WHERE m.lesson_id = lessons.id) \
         AND NOT EXISTS (SELECT 1 FROM attendance a WHERE a.lesson_id = lessons.id) \
         AND NOT EXISTS (SELECT 1 FROM homework_submissions h WHERE h.lesson_id = lessons.id)",
    )
    .bind(class)
    .bind(from.to_string())
    .execute(conn)
    .await?;
    Ok(r.rows_affected())
}

/// (day, lesson_no, group) of the class's remaining lessons from `from` on.
pub async fn lesson_keys(
    conn: &mut AnyConnection,
    class: ClassId,
    from: &str,
) -> R<Vec<(String, i64, Option<GroupId>)>> {
    sqlx::query_as("SELECT day, lesson_no, group_id FROM lessons WHERE class_id = $1 AND day >= $2")
        .bind(class)
        .bind(from.to_string())
        .fetch_all(conn)
        .await
}

/// A new lesson row.
#[derive(Debug, Clone)]
pub struct NewLesson {
    pub id: LessonId,
    pub organisation_id: OrganisationId,
    pub class_id: ClassId,
    pub group_id: Option<GroupId>,
    pub slot_id: Option<SlotId>,
    pub day: String,
    pub lesson_no: i64,
    pub subject_code: String,
    pub teacher_id: PersonId,
    pub room: Option<String>,
    pub change_kind: Option<String>,
}

pub async fn insert_lessons(
    db: &Db,
    conn: &mut AnyConnection,
    rows: &[NewLesson],
    now: i64,
) -> R<()> {
    const COLS: usize = 13;
    for chunk in rows.chunks(70) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| format!("({})", db.placeholders(i * COLS + 1, COLS)))
            .collect();
        let sql = format!(
            "INSERT INTO lessons (id, organisation_id, class_id, group_id, slot_id, day, lesson_no, subject_code, \
             teacher_id, room, status, change_kind, updated_at) VALUES {}",
            values.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for l in chunk {
            q = q
                .bind(l.id)
                .bind(l.organisation_id)
                .bind(l.class_id)
                .bind(l.group_id)
                .bind(l.slot_id)
                .bind(l.day.clone())
                .bind(l.lesson_no)
                .bind(l.subject_code.clone())
                .bind(l.teacher_id)
                .bind(l.room.clone())
                .bind("planned")
                .bind(l.change_kind.clone())
                .bind(now);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

const LESSON_SELECT: &str = "SELECT l.id, l.class_id, c.name AS class_name, l.group_id, g.name AS group_name, l.day, l.lesson_no, \
     b.starts_at, b.ends_at, l.subject_code, s.name AS subject_name, l.teacher_id, \
     t.last_name || ' ' || SUBSTR(t.first_name, 1, 1) || '.' || COALESCE(SUBSTR(t.middle_name, 1, 1) || '.', '') AS teacher_name, \
     l.planned_teacher_id, l.room, l.status, l.change_kind, l.change_note, l.topic, l.homework, l.homework_due \
     FROM lessons l JOIN classes c ON c.id = l.class_id LEFT JOIN study_groups g ON g.id = l.group_id \
     JOIN ref_subjects s ON s.code = l.subject_code JOIN persons t ON t.id = l.teacher_id \
     LEFT JOIN bell_times b ON b.organisation_id = l.organisation_id AND b.shift = c.shift AND b.lesson_no = l.lesson_no";
/// The columns of [`LESSON_SELECT`] in the order of [`Lesson`]'s fields.
const LESSON_COLUMNS: [&str; 21] = [
    "id",
    "class_id",
    "class_name",
    "group_id",
    "group_name",
    "day",
    "lesson_no",
    "starts_at",
    "ends_at",
    "subject_code",
    "subject_name",
    "teacher_id",
    "teacher_name",
    "planned_teacher_id",
    "room",
    "status",
    "change_kind",
    "change_note",
    "topic",
    "homework",
    "homework_due",
];

pub async fn lesson(db: &Db, id: LessonId) -> R<Option<Lesson>> {
    sqlx::query_as(&format!("{LESSON_SELECT} WHERE l.id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await
}

pub async fn lessons_of(db: &Db, of: TimetableOf, from: &str, to: &str) -> R<Vec<Lesson>> {
    let (cond, id) = match of {
        TimetableOf::Class(c) => ("l.class_id = $1", c.to_string()),
        TimetableOf::Teacher(t) => ("l.teacher_id = $1", t.to_string()),
        TimetableOf::Student(s) => (
            "l.class_id IN (SELECT e.class_id FROM enrolments e WHERE e.person_id = $1 AND e.ended_on IS NULL) \
             AND (l.group_id IS NULL OR l.group_id IN (SELECT gm.group_id FROM group_members gm WHERE gm.person_id = $1))",
            s.to_string(),
        ),
    };
    sqlx::query_as(&format!(
        "{LESSON_SELECT} WHERE {cond} AND l.day >= $2 AND l.day <= $3 ORDER BY l.day, l.lesson_no, c.name"
    ))
    .bind(id)
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(&db.pool)
    .await
}

/// Lessons held in a room of a school.
pub async fn room_lessons(
    db: &Db,
    org: OrganisationId,
    room: &str,
    from: &str,
    to: &str,
) -> R<Vec<Lesson>> {
    sqlx::query_as(&format!(
        "{LESSON_SELECT} WHERE l.organisation_id = $1 AND l.room = $2 AND l.day >= $3 AND l.day <= $4 \
         ORDER BY l.day, l.lesson_no, c.name"
    ))
    .bind(org)
    .bind(room.to_string())
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(&db.pool)
    .await
}

/// The rooms a school's timetable uses.
pub async fn school_rooms(db: &Db, org: OrganisationId) -> R<Vec<String>> {
    sqlx::query_scalar(
        "SELECT DISTINCT room FROM timetable_slots WHERE organisation_id = $1 AND room IS NOT NULL ORDER BY room",
    )
    .bind(org)
    .fetch_all(&db.pool)
    .await
}

/// A lesson's where and who, for policy and validation.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LessonKey {
    pub id: LessonId,
    pub organisation_id: OrganisationId,
    pub class_id: ClassId,
    pub group_id: Option<GroupId>,
    pub day: String,
    pub lesson_no: i64,
    pub subject_code: String,
    pub teacher_id: PersonId,
    pub room: Option<String>,
    pub status: String,
    pub homework: Option<String>,
}

const KEY_COLS: &str =
    "id, organisation_id, class_id, group_id, day, lesson_no, subject_code, teacher_id, room, status, homework";

pub async fn lesson_key(db: &Db, id: LessonId) -> R<Option<LessonKey>> {
    sqlx::query_as(&format!("SELECT {KEY_COLS} FROM lessons WHERE id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await
}

pub async fn lesson_keys_by_id(db: &Db, ids: &[LessonId]) -> R<Vec<LessonKey>> {
    db.fetch_in(
        &format!("SELECT {KEY_COLS} FROM lessons WHERE id IN ({{}})"),
        ids,
    )
    .await
}

/// Lessons of the school at a date and number that are not cancelled.
pub async fn lessons_at(
    conn: &mut AnyConnection,
    org: OrganisationId,
    day: &str,
    lesson_no: i64,
) -> R<Vec<LessonKey>> {
    sqlx::query_as(&format!(
        "SELECT {KEY_COLS} FROM lessons WHERE organisation_id = $1 AND day = $2 AND lesson_no = $3 AND status <> 'cancelled'"
    ))
    .bind(org)
    .bind(day.to_string())
    .bind(lesson_no)
    .fetch_all(conn)
    .await
}

pub async fn class_name(db: &Db, class: ClassId) -> R<String> {
    let row: Option<(String,)> = sqlx::query_as("SELECT name FROM classes WHERE id = $1")
        .bind(class)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.map(|r| r.0).unwrap_or_default())
}

pub async fn change_lesson(
    conn: &mut AnyConnection,
    id: LessonId,
    set: &LessonUpdate,
    now: i64,
) -> R<()> {
    sqlx::query(
        "UPDATE lessons SET teacher_id = $2, planned_teacher_id = $3, day = $4, lesson_no = $5, room = $6, \
         status = $7, change_kind = $8, change_note = $9, updated_at = $10 WHERE id = $1",
    )
    .bind(id)
    .bind(set.teacher_id)
    .bind(set.planned_teacher_id)
    .bind(set.day.clone())
    .bind(set.lesson_no)
    .bind(set.room.clone())
    .bind(set.status.clone())
    .bind(set.change_kind.clone())
    .bind(set.change_note.clone())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct LessonUpdate {
    pub teacher_id: PersonId,
    pub planned_teacher_id: Option<PersonId>,
    pub day: String,
    pub lesson_no: i64,
    pub room: Option<String>,
    pub status: String,
    pub change_kind: Option<String>,
    pub change_note: Option<String>,
}

/// Sets what was sent: a missing field keeps its value, an empty one clears it.
pub async fn set_lesson_content(conn: &mut AnyConnection, l: &LessonInput, now: i64) -> R<()> {
    let text = |v: &Option<String>| v.as_deref().map(|s| s.trim().to_string());
    sqlx::query(
        "UPDATE lessons SET topic = NULLIF(COALESCE($2, topic), ''), homework = NULLIF(COALESCE($3, homework), ''), \
         homework_due = COALESCE($4, homework_due), updated_at = $5 WHERE id = $1",
    )
    .bind(l.lesson_id)
    .bind(text(&l.topic))
    .bind(text(&l.homework))
    .bind(l.homework_due.map(|d| d.to_string()))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

// ---- marks and attendance ----

const MARK_COLS: &str =
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

// ---- grades ----

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

// ---- diary ----

/// A student's marks in a date range, with the work type's name.
pub async fn student_marks(
    db: &Db,
    student: PersonId,
    from: &str,
    to: &str,
) -> R<Vec<(Mark, String)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        mark: Mark,
        work_type_name: String,
    }
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {MARK_COLS}, w.name AS work_type_name FROM marks m JOIN ref_work_types w ON w.code = m.work_type \
         WHERE m.student_id = $1 AND m.day >= $2 AND m.day <= $3 ORDER BY m.day, m.id"
    ))
    .bind(student)
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.mark, r.work_type_name))
        .collect())
}

/// Everything about one student in a week besides the class's lessons, in one query and
/// one row of JSON (the diary is the busiest page): marks (`m`), absences (`a`), homework
/// handed in (`h`), homework files (`f`: the name in `value`, the size in `weight`, the
/// answering student in `comment`), the student's class (`c`: its id in `id`, its name in
/// `value`, the student's name in `comment`) and study groups (`g`: the id in `id`).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct WeekFact {
    pub kind: String,
    pub id: Option<String>,
    pub lesson_id: Option<LessonId>,
    pub value: Option<String>,
    pub work_type: Option<String>,
    pub work_type_name: Option<String>,
    pub weight: Option<i64>,
    pub comment: Option<String>,
}

/// A student's week without the lessons: see [`WeekFact`].
#[derive(Debug, Clone, Default)]
pub struct StudentWeek {
    /// Current classes (one, or more for a student enrolled in two schools).
    pub classes: Vec<(ClassId, String)>,
    pub student_name: String,
    pub groups: Vec<GroupId>,
    /// Marks, absences, hand-ins and files, marks in the order they were given.
    pub facts: Vec<WeekFact>,
}

pub async fn student_week(db: &Db, student: PersonId, from: &str, to: &str) -> R<StudentWeek> {
    let sql = db.json_rows_sql(
        "SELECT 'm' AS kind, m.id, m.lesson_id, m.value, m.work_type, w.name AS work_type_name, m.weight, m.comment \
         FROM marks m JOIN ref_work_types w ON w.code = m.work_type WHERE m.student_id = $1 AND m.day >= $2 AND m.day <= $3 \
         UNION ALL SELECT 'a', NULL, a.lesson_id, a.status, NULL, NULL, NULL, a.reason FROM attendance a \
         WHERE a.student_id = $1 AND a.day >= $2 AND a.day <= $3 \
         UNION ALL SELECT 'h', NULL, h.lesson_id, NULL, NULL, NULL, NULL, h.answer FROM homework_submissions h \
         JOIN lessons l ON l.id = h.lesson_id WHERE h.student_id = $1 AND l.day >= $2 AND l.day <= $3 \
         UNION ALL SELECT 'f', t.id, t.lesson_id, t.file_name, NULL, NULL, t.size, t.student_id FROM attachments t \
         JOIN lessons l ON l.id = t.lesson_id WHERE l.day >= $2 AND l.day <= $3 AND (t.student_id IS NULL OR t.student_id = $1) \
         AND l.class_id IN (SELECT e.class_id FROM enrolments e WHERE e.person_id = $1 AND e.ended_on IS NULL) \
         UNION ALL SELECT 'c', e.class_id, NULL, c.name, NULL, NULL, NULL, p.last_name || ' ' || p.first_name FROM persons p \
         LEFT JOIN enrolments e ON e.person_id = p.id AND e.ended_on IS NULL \
         LEFT JOIN classes c ON c.id = e.class_id WHERE p.id = $1 \
         UNION ALL SELECT 'g', gm.group_id, NULL, NULL, NULL, NULL, NULL, NULL FROM group_members gm WHERE gm.person_id = $1",
        &["kind", "id", "lesson_id", "value", "work_type", "work_type_name", "weight", "comment"],
        "t.kind, t.id",
    );
    let text: String = sqlx::query_scalar(&sql)
        .bind(student)
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_one(&db.pool)
        .await?;
    let mut week = StudentWeek::default();
    for f in parta_db::json_rows::<Vec<WeekFact>>(&text)? {
        let id = || f.id.as_deref().and_then(|s| s.parse::<uuid::Uuid>().ok());
        match f.kind.as_str() {
            "c" => {
                if let Some(class) = id().map(ClassId) {
                    week.classes.push((class, f.value.unwrap_or_default()));
                }
                week.student_name = f.comment.unwrap_or_default();
            }
            "g" => week.groups.extend(id().map(GroupId)),
            _ => week.facts.push(f),
        }
    }
    Ok(week)
}

// ---- homework ----

pub async fn upsert_submission(
    conn: &mut AnyConnection,
    lesson: LessonId,
    student: PersonId,
    answer: Option<&str>,
    now: i64,
) -> R<()> {
    sqlx::query(
        "INSERT INTO homework_submissions (lesson_id, student_id, done_at, answer) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (lesson_id, student_id) DO UPDATE SET done_at = excluded.done_at, answer = excluded.answer",
    )
    .bind(lesson)
    .bind(student)
    .bind(now)
    .bind(answer.map(str::to_string))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete_submission(
    conn: &mut AnyConnection,
    lesson: LessonId,
    student: PersonId,
) -> R<()> {
    sqlx::query("DELETE FROM homework_submissions WHERE lesson_id = $1 AND student_id = $2")
        .bind(lesson)
        .bind(student)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn submissions(db: &Db, lesson: LessonId) -> R<Vec<(PersonId, i64, Option<String>)>> {
    sqlx::query_as(
        "SELECT student_id, done_at, answer FROM homework_submissions WHERE lesson_id = $1",
    )
    .bind(lesson)
    .fetch_all(&db.pool)
    .await
}

// ---- gradebook (OneRoster) ----

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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// Rows of `json_rows_sql` are read by position: `columns` must follow the fields.
    fn as_array(object: &Value, columns: &[&str]) -> Value {
        Value::Array(columns.iter().map(|c| object[*c].clone()).collect())
    }

    #[test]
    fn lesson_columns_follow_the_fields() {
        let lesson = Lesson {
            id: LessonId::new(),
            class_id: ClassId::new(),
            class_name: "class_name".into(),
            group_id: Some(GroupId::new()),
            group_name: Some("group_name".into()),
            day: "day".into(),
            lesson_no: 3,
            starts_at: Some("starts_at".into()),
            ends_at: Some("ends_at".into()),
            subject_code: "subject_code".into(),
            subject_name: "subject_name".into(),
            teacher_id: PersonId::new(),
            teacher_name: "teacher_name".into(),
            planned_teacher_id: Some(PersonId::new()),
            room: Some("room".into()),
            status: "status".into(),
            change_kind: Some("change_kind".into()),
            change_note: Some("change_note".into()),
            topic: Some("topic".into()),
            homework: Some("homework".into()),
            homework_due: Some("homework_due".into()),
        };
        let object = serde_json::to_value(&lesson).unwrap();
        assert_eq!(object.as_object().unwrap().len(), LESSON_COLUMNS.len());
        let back: Lesson = serde_json::from_value(as_array(&object, &LESSON_COLUMNS)).unwrap();
        assert_eq!(serde_json::to_value(&back).unwrap(), object);
    }

    #[test]
    fn cell_columns_follow_the_fields() {
        let object = json!({"kind": "kind", "id": MarkId::new(), "lesson_id": LessonId::new(),
            "student_id": PersonId::new(), "day": "day", "value": "value", "work_type": "work_type",
            "weight": 2, "comment": "comment", "updated_at": 7});
        let cell: JournalCell = serde_json::from_value(as_array(&object, &CELL_COLUMNS)).unwrap();
        let seen = json!({"kind": cell.kind, "id": cell.id, "lesson_id": cell.lesson_id,
            "student_id": cell.student_id, "day": cell.day, "value": cell.value,
            "work_type": cell.work_type, "weight": cell.weight, "comment": cell.comment,
            "updated_at": cell.updated_at});
        assert_eq!(seen, object);
    }
}
