//! The outbox and the event stream. A domain writes its event (a fact it owns, versioned
//! by its kind, e.g. `schoolday.marks_set.v1`) in the same transaction as its data, so an
//! event exists exactly when the change does. The sequencer gives committed events their
//! place in the stream; every consumer reads the stream from its own cursor, at its own
//! pace, and a consumer that fails retries without holding back the others
//! (docs/adr/0012).

use crate::{Backend, Db, WriteTx};
use parta_core::time::now_ms;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// An event of the stream.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Event {
    pub id: String,
    pub seq: i64,
    /// Milliseconds since the epoch, when it was written.
    pub at: i64,
    /// `<domain>.<fact>.v<version>`.
    pub kind: String,
    /// The fact as JSON.
    pub payload: String,
}

/// Handle for writing events and waking this process's consumers.
#[derive(Clone)]
pub struct Outbox {
    wake: Arc<watch::Sender<u64>>,
}

impl Default for Outbox {
    fn default() -> Self {
        Self::new()
    }
}

impl Outbox {
    pub fn new() -> Self {
        Self {
            wake: Arc::new(watch::channel(0).0),
        }
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

    /// Tells this process's consumers that events are waiting (call after commit).
    /// Other processes find them on their next poll.
    pub fn wake(&self) {
        self.wake.send_modify(|n| *n = n.wrapping_add(1));
    }

    fn subscribe(&self) -> watch::Receiver<u64> {
        self.wake.subscribe()
    }
}

/// Gives committed events their places in the stream, in the order they are found
/// committed; returns how many were stamped. One sequencer at a time (an advisory lock
/// on PostgreSQL; SQLite has one writer).
pub async fn sequence(db: &Db) -> Result<usize, sqlx::Error> {
    let ids: Vec<(String,)> =
        sqlx::query_as("SELECT id FROM outbox WHERE seq IS NULL ORDER BY id LIMIT 500")
            .fetch_all(&db.pool)
            .await?;
    if ids.is_empty() {
        return Ok(0);
    }
    let mut tx = db.begin_write().await?;
    if db.backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock(7342001)")
            .execute(&mut *tx)
            .await?;
    }
    let (top,): (Option<i64>,) = sqlx::query_as("SELECT MAX(seq) FROM outbox")
        .fetch_one(&mut *tx)
        .await?;
    let mut next = top.unwrap_or(0) + 1;
    let mut stamped = 0;
    for (id,) in ids {
        let done = sqlx::query("UPDATE outbox SET seq = $1 WHERE id = $2 AND seq IS NULL")
            .bind(next)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 1 {
            next += 1;
            stamped += 1;
        }
    }
    tx.commit().await?;
    Ok(stamped)
}

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A reader of the stream with its own cursor.
pub trait Consumer: Send + Sync + 'static {
    /// The cursor's name: stable, unique.
    fn name(&self) -> &'static str;
    /// The kinds read, as prefixes (`"schoolday."`); other events pass it by.
    fn kinds(&self) -> &'static [&'static str];
    /// Acts on a batch and ends with [`Batch::commit`], which moves the cursor in the
    /// consumer's own transaction: the effect and the cursor move together.
    fn handle<'a>(
        &'a self,
        batch: Batch,
    ) -> Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send + 'a>>;
}

/// Events for one consumer, and the cursor move that commits them.
pub struct Batch {
    pub events: Vec<Event>,
    consumer: &'static str,
    from: i64,
    to: i64,
}

impl Batch {
    /// Moves the cursor past this batch inside `tx` and commits. `false` (and rolled
    /// back) when another process moved it first: the batch was handled there.
    pub async fn commit(self, mut tx: WriteTx) -> Result<bool, sqlx::Error> {
        if !advance_in(&mut tx, self.consumer, self.from, self.to).await? {
            tx.rollback().await?;
            return Ok(false);
        }
        tx.commit().await?;
        Ok(true)
    }
}

async fn advance_in(
    conn: &mut sqlx::AnyConnection,
    consumer: &str,
    from: i64,
    to: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE event_cursors SET position = $1, updated_at = $2 WHERE consumer = $3 AND position = $4",
    )
    .bind(to)
    .bind(now_ms())
    .bind(consumer.to_string())
    .bind(from)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A consumer's cursor: where it is in the stream (created at the start of the stream).
pub async fn cursor(db: &Db, consumer: &str) -> Result<i64, sqlx::Error> {
    if let Some((p,)) =
        sqlx::query_as::<_, (i64,)>("SELECT position FROM event_cursors WHERE consumer = $1")
            .bind(consumer.to_string())
            .fetch_optional(&db.pool)
            .await?
    {
        return Ok(p);
    }
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO event_cursors (consumer, position, updated_at) VALUES ($1, 0, $2) ON CONFLICT (consumer) DO NOTHING",
    )
    .bind(consumer.to_string())
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(0)
}

/// How far behind each consumer is: (consumer, events after its cursor).
pub async fn lag(db: &Db) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT c.consumer, (SELECT COUNT(*) FROM outbox o WHERE o.seq > c.position) FROM event_cursors c ORDER BY c.consumer",
    )
    .fetch_all(&db.pool)
    .await
}

const BATCH: i64 = 200;
const ATTEMPTS: u32 = 3;

/// Runs one consumer for ever: woken by this process's writers, polling every second.
pub fn spawn(db: Db, outbox: Outbox, consumer: Arc<dyn Consumer>) -> tokio::task::JoinHandle<()> {
    let mut wake = outbox.subscribe();
    tokio::spawn(async move {
        let mut failures: u32 = 0;
        loop {
            match step(&db, consumer.as_ref()).await {
                Ok(true) => {
                    failures = 0;
                    continue;
                }
                Ok(false) => failures = 0,
                Err(e) => {
                    failures += 1;
                    tracing::warn!(consumer = consumer.name(), error = %e, "event consumer");
                    // Back off (this consumer only), up to 30 s.
                    let pause = Duration::from_millis(200 * 2u64.pow(failures.min(7)));
                    tokio::time::sleep(pause.min(Duration::from_secs(30))).await;
                    continue;
                }
            }
            let _ = tokio::time::timeout(Duration::from_secs(1), wake.changed()).await;
        }
    })
}

/// One pass: stamps new events, hands this consumer the next batch; `true` when it did
/// something (there may be more).
pub async fn step(db: &Db, consumer: &dyn Consumer) -> Result<bool, BoxError> {
    sequence(db).await?;
    let from = cursor(db, consumer.name()).await?;
    let events: Vec<Event> = sqlx::query_as(
        "SELECT id, seq, at, kind, payload FROM outbox WHERE seq > $1 ORDER BY seq LIMIT $2",
    )
    .bind(from)
    .bind(BATCH)
    .fetch_all(&db.pool)
    .await?;
    let Some(last) = events.last().map(|e| e.seq) else {
        return Ok(false);
    };
    let wanted: Vec<Event> = events
        .into_iter()
        .filter(|e| consumer.kinds().iter().any(|k| e.kind.starts_with(k)))
        .collect();
    if wanted.is_empty() {
        let mut tx = db.begin_write().await?;
        advance_in(&mut tx, consumer.name(), from, last).await?;
        tx.commit().await?;
        return Ok(true);
    }
    let batch = Batch {
        events: wanted.clone(),
        consumer: consumer.name(),
        from,
        to: last,
    };
    if consumer.handle(batch).await.is_ok() {
        return Ok(true);
    }
    // The batch failed: one event at a time, so one bad event holds back only itself,
    // and after its retries is set aside (event_failures) rather than blocking the stream.
    let mut at = from;
    for ev in wanted {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let one = Batch {
                events: vec![ev.clone()],
                consumer: consumer.name(),
                from: at,
                to: ev.seq,
            };
            match consumer.handle(one).await {
                Ok(()) => break,
                Err(e) if attempt < ATTEMPTS => {
                    tracing::warn!(consumer = consumer.name(), event = %ev.id, error = %e, "event failed; retrying");
                    tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
                }
                Err(e) => {
                    tracing::error!(consumer = consumer.name(), event = %ev.id, error = %e, "event set aside");
                    let mut tx = db.begin_write().await?;
                    sqlx::query(
                        "INSERT INTO event_failures (consumer, event_id, attempts, error, at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (consumer, event_id) DO NOTHING",
                    )
                    .bind(consumer.name().to_string())
                    .bind(ev.id.clone())
                    .bind(i64::from(attempt))
                    .bind(e.to_string().chars().take(1000).collect::<String>())
                    .bind(now_ms())
                    .execute(&mut *tx)
                    .await?;
                    advance_in(&mut tx, consumer.name(), at, ev.seq).await?;
                    tx.commit().await?;
                    break;
                }
            }
        }
        at = cursor(db, consumer.name()).await?;
    }
    if at < last {
        let mut tx = db.begin_write().await?;
        advance_in(&mut tx, consumer.name(), at, last).await?;
        tx.commit().await?;
    }
    Ok(true)
}
