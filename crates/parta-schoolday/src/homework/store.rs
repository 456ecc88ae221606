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
