//! SQL of the video lessons (`video_lessons`, `video_attendance`).

use parta_core::ids::{LessonId, OrganisationId, PersonId};
use parta_db::Db;
use sqlx::AnyConnection;

type R<T> = Result<T, sqlx::Error>;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Row {
    pub lesson_id: LessonId,
    pub organisation_id: OrganisationId,
    pub engine: String,
    pub meeting_id: String,
    pub moderator_pw: String,
    pub attendee_pw: String,
    pub created_by: PersonId,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub recording_url: Option<String>,
    pub attendance_at: Option<i64>,
}

const COLS: &str = "lesson_id, organisation_id, engine, meeting_id, moderator_pw, attendee_pw, created_by, created_at, started_at, ended_at, recording_url, attendance_at";

pub async fn get(db: &Db, lesson: LessonId) -> R<Option<Row>> {
    sqlx::query_as(&format!(
        "SELECT {COLS} FROM video_lessons WHERE lesson_id = $1"
    ))
    .bind(lesson)
    .fetch_optional(&db.pool)
    .await
}

pub async fn by_meeting(db: &Db, meeting_id: &str) -> R<Option<Row>> {
    sqlx::query_as(&format!(
        "SELECT {COLS} FROM video_lessons WHERE meeting_id = $1"
    ))
    .bind(meeting_id.to_string())
    .fetch_optional(&db.pool)
    .await
}

/// Inserts the room; false when the lesson has one already.
pub async fn insert(conn: &mut AnyConnection, r: &Row) -> R<bool> {
    let done = sqlx::query(&format!(
        "INSERT INTO video_lessons ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (lesson_id) DO NOTHING"
    ))
    .bind(r.lesson_id)
    .bind(r.organisation_id)
    .bind(r.engine.clone())
    .bind(r.meeting_id.clone())
    .bind(r.moderator_pw.clone())
    .bind(r.attendee_pw.clone())
    .bind(r.created_by)
    .bind(r.created_at)
    .bind(r.started_at)
    .bind(r.ended_at)
    .bind(r.recording_url.clone())
    .bind(r.attendance_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Who leads it entered: the room is open to its students from now.
pub async fn set_started(db: &Db, lesson: LessonId, at: i64) -> R<()> {
    sqlx::query(
        "UPDATE video_lessons SET started_at = COALESCE(started_at, $1) WHERE lesson_id = $2",
    )
    .bind(at)
    .bind(lesson)
    .execute(&db.pool)
    .await?;
    Ok(())
}

pub async fn set_ended(db: &Db, lesson: LessonId, at: i64) -> R<()> {
    sqlx::query("UPDATE video_lessons SET ended_at = $1 WHERE lesson_id = $2 AND ended_at IS NULL")
        .bind(at)
        .bind(lesson)
        .execute(&db.pool)
        .await?;
    Ok(())
}

pub async fn set_recording(db: &Db, lesson: LessonId, url: &str) -> R<()> {
    sqlx::query("UPDATE video_lessons SET recording_url = $1 WHERE lesson_id = $2")
        .bind(url.to_string())
        .bind(lesson)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Notes that the person entered (the first time counts).
pub async fn joined(db: &Db, lesson: LessonId, person: PersonId, at: i64) -> R<()> {
    sqlx::query(
        "INSERT INTO video_attendance (lesson_id, person_id, joined_at) VALUES ($1, $2, $3) \
         ON CONFLICT (lesson_id, person_id) DO UPDATE SET joined_at = COALESCE(video_attendance.joined_at, excluded.joined_at)",
    )
    .bind(lesson)
    .bind(person)
    .bind(at)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// The engine's report of one of its rooms (`room`: the engine's own id of it): seconds
/// per person, replacing that room's earlier report; and when it came. The lesson is not
/// ended by it: the engine reports each time it closes a room, an empty one too.
pub async fn engine_report(
    conn: &mut AnyConnection,
    lesson: LessonId,
    room: &str,
    seconds: &[(PersonId, i64)],
    at: i64,
) -> R<()> {
    for (person, secs) in seconds {
        sqlx::query(
            "INSERT INTO video_engine_seconds (lesson_id, person_id, room, seconds) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (lesson_id, person_id, room) DO UPDATE SET seconds = excluded.seconds",
        )
        .bind(lesson)
        .bind(*person)
        .bind(room.to_string())
        .bind(*secs)
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query("UPDATE video_lessons SET attendance_at = $1 WHERE lesson_id = $2")
        .bind(at)
        .bind(lesson)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// (person, joined_at, seconds the engine saw them in all its rooms) of the lesson.
pub async fn attendance(db: &Db, lesson: LessonId) -> R<Vec<(PersonId, Option<i64>, Option<i64>)>> {
    let joined: Vec<(PersonId, Option<i64>)> =
        sqlx::query_as("SELECT person_id, joined_at FROM video_attendance WHERE lesson_id = $1")
            .bind(lesson)
            .fetch_all(&db.pool)
            .await?;
    let seen: Vec<(PersonId, i64)> = sqlx::query_as(
        "SELECT person_id, CAST(SUM(seconds) AS BIGINT) FROM video_engine_seconds WHERE lesson_id = $1 GROUP BY person_id",
    )
    .bind(lesson)
    .fetch_all(&db.pool)
    .await?;
    let mut out: std::collections::BTreeMap<PersonId, (Option<i64>, Option<i64>)> =
        Default::default();
    for (p, j) in joined {
        out.entry(p).or_default().0 = j;
    }
    for (p, s) in seen {
        out.entry(p).or_default().1 = Some(s);
    }
    Ok(out.into_iter().map(|(p, (j, s))| (p, j, s)).collect())
}

/// The video lessons from `from` (a day) on that a person sees: as a student of the
/// class (and group), as the lesson's teacher, or all of the schools they administer.
pub async fn listed(
    db: &Db,
    person: PersonId,
    admin_of: &[OrganisationId],
    from: &str,
) -> R<Vec<Row>> {
    let admin_in = if admin_of.is_empty() {
        "1 = 0".to_string()
    } else {
        format!(
            "v.organisation_id IN ({})",
            parta_db::placeholders(3, admin_of.len())
        )
    };
    let cols: Vec<String> = COLS.split(", ").map(|c| format!("v.{c}")).collect();
    let cols = cols.join(", ");
    let sql = format!(
        "SELECT {cols} FROM video_lessons v JOIN lessons l ON l.id = v.lesson_id \
         WHERE l.day >= $1 AND (l.teacher_id = $2 OR {admin_in} \
         OR (EXISTS (SELECT 1 FROM enrolments e WHERE e.person_id = $2 AND e.class_id = l.class_id AND e.ended_on IS NULL) \
             AND (l.group_id IS NULL OR EXISTS (SELECT 1 FROM group_members gm WHERE gm.group_id = l.group_id AND gm.person_id = $2)))) \
         ORDER BY l.day, l.lesson_no LIMIT 100"
    );
    let mut q = sqlx::query_as::<_, Row>(&sql)
        .bind(from.to_string())
        .bind(person);
    for o in admin_of {
        q = q.bind(*o);
    }
    q.fetch_all(&db.pool).await
}
