//! SQL of homework. One text for both backends (`$n` placeholders).

use parta_core::ids::{LessonId, PersonId};
use parta_db::Db;
use sqlx::AnyConnection;

type R<T> = Result<T, sqlx::Error>;

pub async fn upsert_submission(
    conn: &mut AnyConnection,
    lesson: LessonId,
    student: PersonId,
    answer: Option<&str>,
    now: i64,
) -> R<()> {
    sqlx::query(
        "INSERT INTO homework_submissions (lesson_id, student_id, done_at, answer, status) VALUES ($1, $2, $3, $4, 'submitted') \
         ON CONFLICT (lesson_id, student_id) DO UPDATE SET done_at = excluded.done_at, answer = excluded.answer, status = 'submitted'",
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

/// (student, handed in at, answer, status, teacher's comment) of a lesson's hand-ins.
pub type SubmissionRow = (PersonId, i64, Option<String>, String, Option<String>);

pub async fn submissions(db: &Db, lesson: LessonId) -> R<Vec<SubmissionRow>> {
    sqlx::query_as(
        "SELECT student_id, done_at, answer, status, teacher_comment FROM homework_submissions WHERE lesson_id = $1",
    )
    .bind(lesson)
    .fetch_all(&db.pool)
    .await
}

/// The teacher's review of a hand-in.
pub async fn review_submission(
    conn: &mut AnyConnection,
    lesson: LessonId,
    student: PersonId,
    status: &str,
    comment: Option<&str>,
    by: PersonId,
    now: i64,
) -> R<u64> {
    let r = sqlx::query(
        "UPDATE homework_submissions SET status = $3, teacher_comment = $4, reviewed_at = $6, reviewed_by = $5 \
         WHERE lesson_id = $1 AND student_id = $2",
    )
    .bind(lesson)
    .bind(student)
    .bind(status.to_string())
    .bind(comment.map(str::to_string))
    .bind(by)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected())
}

/// A file handed in: the work is (again) waiting for the teacher; a typed answer stays.
pub async fn hand_in(
    conn: &mut AnyConnection,
    lesson: LessonId,
    student: PersonId,
    now: i64,
) -> R<()> {
    sqlx::query(
        "INSERT INTO homework_submissions (lesson_id, student_id, done_at, status) VALUES ($1, $2, $3, 'submitted') \
         ON CONFLICT (lesson_id, student_id) DO UPDATE SET done_at = excluded.done_at, status = 'submitted'",
    )
    .bind(lesson)
    .bind(student)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}
