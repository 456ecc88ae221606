//! Published reads of the school day's lessons and journal and of the registry that the
//! video lessons need: read-only, one place to change when those tables change.

use crate::model::LessonInfo;
use parta_core::ids::{GroupId, LessonId, OrganisationId, PersonId};
use parta_db::Db;

type R<T> = Result<T, sqlx::Error>;

const LESSON_COLS: &str = "l.id, l.class_id, c.name, l.subject_code, s.name, l.day, l.lesson_no, l.teacher_id, l.status, l.organisation_id, l.group_id";
const LESSON_FROM: &str =
    "lessons l JOIN classes c ON c.id = l.class_id JOIN ref_subjects s ON s.code = l.subject_code";

type LessonRow = (
    LessonId,
    parta_core::ids::ClassId,
    String,
    String,
    String,
    String,
    i64,
    PersonId,
    String,
    OrganisationId,
    Option<GroupId>,
);

/// A lesson with its school and group (whose students it is for).
pub struct Lesson {
    pub info: LessonInfo,
    pub organisation_id: OrganisationId,
    pub group_id: Option<GroupId>,
}

fn lesson_of(r: LessonRow) -> Lesson {
    Lesson {
        info: LessonInfo {
            lesson_id: r.0,
            class_id: r.1,
            class_name: r.2,
            subject_code: r.3,
            subject_name: r.4,
            day: r.5,
            lesson_no: r.6,
            teacher_id: r.7,
            status: r.8,
        },
        organisation_id: r.9,
        group_id: r.10,
    }
}

pub async fn lesson(db: &Db, id: LessonId) -> R<Option<Lesson>> {
    let row: Option<LessonRow> = sqlx::query_as(&format!(
        "SELECT {LESSON_COLS} FROM {LESSON_FROM} WHERE l.id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(lesson_of))
}

pub async fn lessons(db: &Db, ids: &[LessonId]) -> R<Vec<Lesson>> {
    let rows: Vec<LessonRow> = db
        .fetch_in(
            &format!("SELECT {LESSON_COLS} FROM {LESSON_FROM} WHERE l.id IN ({{}})"),
            ids,
        )
        .await?;
    Ok(rows.into_iter().map(lesson_of).collect())
}

/// Whether the person is a student of the lesson now: enrolled in its class (and a
/// member of its group, for a group's lesson).
pub async fn studies_in(db: &Db, person: PersonId, l: &Lesson) -> R<bool> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT 1 FROM enrolments e WHERE e.person_id = $1 AND e.class_id = $2 AND e.ended_on IS NULL \
         AND ($3 IS NULL OR EXISTS (SELECT 1 FROM group_members gm WHERE gm.group_id = $3 AND gm.person_id = $1))",
    )
    .bind(person)
    .bind(l.info.class_id)
    .bind(l.group_id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.is_some())
}

/// The journal's absences and lateness at the lesson.
pub async fn journal_attendance(db: &Db, lesson: LessonId) -> R<Vec<(PersonId, String)>> {
    sqlx::query_as("SELECT student_id, status FROM attendance WHERE lesson_id = $1")
        .bind(lesson)
        .fetch_all(&db.pool)
        .await
}

/// «Имя Фамилия» of a person, as a video room shows the people in it.
pub async fn display_name(db: &Db, person: PersonId) -> R<String> {
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT first_name, last_name FROM persons WHERE id = $1")
            .bind(person)
            .fetch_optional(&db.pool)
            .await?;
    Ok(row.map(|(f, l)| format!("{f} {l}")).unwrap_or_default())
}

/// Which of these persons exist (an engine's report names people by the ids it was given).
pub async fn existing_persons(db: &Db, ids: &[PersonId]) -> R<std::collections::HashSet<PersonId>> {
    let rows: Vec<(PersonId,)> = db
        .fetch_in("SELECT id FROM persons WHERE id IN ({})", ids)
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// The lesson's students now with their first names (for the words of notifications).
pub async fn lesson_students(db: &Db, l: &Lesson) -> R<Vec<crate::events::StudentRef>> {
    let rows: Vec<(PersonId, String)> = sqlx::query_as(
        "SELECT p.id, p.first_name FROM enrolments e JOIN persons p ON p.id = e.person_id \
         WHERE e.class_id = $1 AND e.ended_on IS NULL \
         AND ($2 IS NULL OR EXISTS (SELECT 1 FROM group_members gm WHERE gm.group_id = $2 AND gm.person_id = p.id))",
    )
    .bind(l.info.class_id)
    .bind(l.group_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, first_name)| crate::events::StudentRef { id, first_name })
        .collect())
}
