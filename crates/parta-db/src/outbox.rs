//! The outbox: a domain writes its event in the same transaction as its data, so an
//! event exists exactly when the change does. Relays (notifications, later search and
//! statistics) read pending events, act, and mark them relayed.

use crate::Db;
use parta_core::time::now_ms;
use std::sync::Arc;
use tokio::sync::Notify;

/// A pending event as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxEvent {
    pub id: String,
    pub at: i64,
    pub kind: String,
    pub payload: String,
}

/// Handle for writing events and waking the relay of this process.
#[derive(Clone, Default)]
pub struct Outbox {
    wake: Arc<Notify>,
}

impl Outbox {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends an event inside the caller's transaction.
    pub async fn push_in(
        conn: &mut sqlx::AnyConnection,
        kind: &str,
        payload: &serde_json::Value,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("INSERT INTO outbox (id, at, kind, payload) VALUES ($1, $2, $3, $4)")
            .bind(uuid::Uuid::now_v7().to_string())
            .bind(now_ms())
            .bind(kind.to_string())
            .bind(payload.to_string())
            .execute(conn)
            .await?;
        Ok(())
    }

    /// Tells this process's relay that events are waiting (call after commit). Other
    /// processes find them on their next poll.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Waits until woken or until `poll` has passed.
    pub async fn wait(&self, poll: std::time::Duration) {
        let _ = tokio::time::timeout(poll, self.wake.notified()).await;
    }

    /// The oldest pending events of one kind (each consumer relays its own kind).
    pub async fn pending(db: &Db, kind: &str, limit: i64) -> Result<Vec<OutboxEvent>, sqlx::Error> {
        sqlx::query_as(
            "SELECT id, at, kind, payload FROM outbox WHERE relayed_at IS NULL AND kind = $1 ORDER BY id LIMIT $2",
        )
        .bind(kind.to_string())
        .bind(limit)
        .fetch_all(&db.pool)
        .await
    }

    /// Claims an event inside the relay's transaction; false when another relay got it.
    pub async fn claim_in(conn: &mut sqlx::AnyConnection, id: &str) -> Result<bool, sqlx::Error> {
        let done =
            sqlx::query("UPDATE outbox SET relayed_at = $1 WHERE id = $2 AND relayed_at IS NULL")
                .bind(now_ms())
                .bind(id.to_string())
                .execute(conn)
                .await?;
        Ok(done.rows_affected() == 1)
    }
}
