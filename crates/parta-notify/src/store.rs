//! SQL of notifications.

use crate::model::*;
use parta_core::ids::{NotificationId, PersonId};
use parta_db::Db;

pub async fn list(
    db: &Db,
    person: PersonId,
    before: Option<NotificationId>,
    limit: i64,
) -> Result<Vec<Notification>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, person_id, kind, about_person_id, title, body, link, created_at, read_at \
         FROM notifications WHERE person_id = $1 AND ($2 IS NULL OR id < $2) ORDER BY id DESC LIMIT $3",
    )
    .bind(person)
    .bind(before)
    .bind(limit)
    .fetch_all(&db.pool)
    .await
}

pub async fn unread(db: &Db, person: PersonId) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM notifications WHERE person_id = $1 AND read_at IS NULL",
    )
    .bind(person)
    .fetch_one(&db.pool)
    .await?;
    Ok(n)
}

/// Marks one of the person's notifications read; false when it is not theirs.
pub async fn mark_read(
    db: &Db,
    person: PersonId,
    id: NotificationId,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let found: Option<(i64,)> =
        sqlx::query_as("SELECT 1 FROM notifications WHERE id = $1 AND person_id = $2")
            .bind(id)
            .bind(person)
            .fetch_optional(&db.pool)
            .await?;
    if found.is_none() {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE notifications SET read_at = $1 WHERE id = $2 AND person_id = $3 AND read_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .bind(person)
    .execute(&db.pool)
    .await?;
    Ok(true)
}

pub async fn mark_all_read(db: &Db, person: PersonId, now: i64) -> Result<u64, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE notifications SET read_at = $1 WHERE person_id = $2 AND read_at IS NULL",
    )
    .bind(now)
    .bind(person)
    .execute(&db.pool)
    .await?;
    Ok(r.rows_affected())
}

pub async fn disabled_kinds(db: &Db, person: PersonId) -> Result<Vec<String>, sqlx::Error> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT kind FROM notification_prefs WHERE person_id = $1 AND enabled = 0")
            .bind(person)
            .fetch_all(&db.pool)
            .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

pub async fn set_pref(
    conn: &mut sqlx::AnyConnection,
    person: PersonId,
    kind: &str,
    enabled: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO notification_prefs (person_id, kind, enabled) VALUES ($1, $2, $3) \
         ON CONFLICT (person_id, kind) DO UPDATE SET enabled = excluded.enabled",
    )
    .bind(person)
    .bind(kind.to_string())
    .bind(enabled as i64)
    .execute(conn)
    .await?;
    Ok(())
}

/// Who switched a kind off, among `people`.
pub async fn opted_out(
    db: &Db,
    people: &[PersonId],
) -> Result<Vec<(PersonId, String)>, sqlx::Error> {
    db.fetch_in(
        "SELECT person_id, kind FROM notification_prefs WHERE enabled = 0 AND person_id IN ({})",
        people,
    )
    .await
}

/// Inserts many notifications in the caller's transaction.
pub async fn insert_many(
    db: &Db,
    conn: &mut sqlx::AnyConnection,
    rows: &[Notification],
) -> Result<(), sqlx::Error> {
    const COLS: usize = 8;
    for chunk in rows.chunks(100) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| format!("({})", db.placeholders(i * COLS + 1, COLS)))
            .collect();
        let sql = format!(
            "INSERT INTO notifications (id, person_id, kind, about_person_id, title, body, link, created_at) VALUES {}",
            values.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for n in chunk {
            q = q
                .bind(n.id)
                .bind(n.person_id)
                .bind(n.kind.clone())
                .bind(n.about_person_id)
                .bind(n.title.clone())
                .bind(n.body.clone())
                .bind(n.link.clone())
                .bind(n.created_at);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}
