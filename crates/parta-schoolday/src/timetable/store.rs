//! SQL of timetable. One text for both backends (`$n` placeholders).

use crate::model::*;
use parta_core::ids::{ClassId, GroupId, LessonId, OrganisationId, PersonId, SlotId};
use parta_db::Db;
use sqlx::AnyConnection;

type R<T> = Result<T, sqlx::Error>;

pub(crate) const SLOT_COLS: &str = "id, class_id, group_id, weekday, lesson_no, subject_code, teacher_id, room, valid_from, valid_to";

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
/// marks, attendance, hand-ins, change or video lesson), so a new template version can
/// replace them.
pub async fn delete_blank_lessons(conn: &mut AnyConnection, class: ClassId, from: &str) -> R<u64> {
    let r = sqlx::query(
        "DELETE FROM lessons WHERE class_id = $1 AND day >= $2 AND slot_id IS NOT NULL AND change_kind IS NULL \
         AND topic IS NULL AND homework IS NULL \
         AND NOT EXISTS (SELECT 1 FROM marks m WHERE m.lesson_id = lessons.id) \
         AND NOT EXISTS (SELECT 1 FROM attendance a WHERE a.lesson_id = lessons.id) \
         AND NOT EXISTS (SELECT 1 FROM homework_submissions h WHERE h.lesson_id = lessons.id) \
         AND NOT EXISTS (SELECT 1 FROM video_lessons v WHERE v.lesson_id = lessons.id)",
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

pub(crate) const LESSON_SELECT: &str = "SELECT l.id, l.class_id, c.name AS class_name, l.group_id, g.name AS group_name, l.day, l.lesson_no, \
     b.starts_at, b.ends_at, l.subject_code, s.name AS subject_name, l.teacher_id, \
     t.last_name || ' ' || SUBSTR(t.first_name, 1, 1) || '.' || COALESCE(SUBSTR(t.middle_name, 1, 1) || '.', '') AS teacher_name, \
     l.planned_teacher_id, l.room, l.status, l.change_kind, l.change_note, l.topic, l.homework, l.homework_due, l.attendance_taken_at, l.handin, l.work_type \
     FROM lessons l JOIN classes c ON c.id = l.class_id LEFT JOIN study_groups g ON g.id = l.group_id \
     JOIN ref_subjects s ON s.code = l.subject_code JOIN persons t ON t.id = l.teacher_id \
     LEFT JOIN bell_times b ON b.organisation_id = l.organisation_id AND b.shift = c.shift AND b.lesson_no = l.lesson_no";
/// The columns of [`LESSON_SELECT`] in the order of [`Lesson`]'s fields.
pub(crate) const LESSON_COLUMNS: [&str; 24] = [
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
    "attendance_taken_at",
    "handin",
    "work_type",
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
    /// The column's форма контроля: new marks without one take it.
    pub work_type: Option<String>,
}

pub(crate) const KEY_COLS: &str =
    "id, organisation_id, class_id, group_id, day, lesson_no, subject_code, teacher_id, room, status, homework, work_type";

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
         homework_due = COALESCE($4, homework_due), updated_at = $5, \
         attendance_taken_at = CASE WHEN $6 = 1 THEN COALESCE(attendance_taken_at, $5) WHEN $6 = 0 THEN NULL ELSE attendance_taken_at END, \
         handin = COALESCE($7, handin), work_type = COALESCE($8, work_type) WHERE id = $1",
    )
    .bind(l.lesson_id)
    .bind(text(&l.topic))
    .bind(text(&l.homework))
    .bind(l.homework_due.map(|d| d.to_string()))
    .bind(now)
    .bind(l.attendance_taken.map(i64::from))
    .bind(l.handin.map(i64::from))
    .bind(l.work_type.clone())
    .execute(conn)
    .await?;
    Ok(())
}

/// The teacher took the attendance of these lessons (they saved an absence or a presence).
pub async fn attendance_taken(conn: &mut AnyConnection, lessons: &[LessonId], now: i64) -> R<()> {
    for l in lessons {
        sqlx::query("UPDATE lessons SET attendance_taken_at = COALESCE(attendance_taken_at, $2) WHERE id = $1")
            .bind(*l)
            .bind(now)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
