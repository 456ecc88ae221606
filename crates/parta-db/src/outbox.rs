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

/// Events a consumer has set aside (or is still retrying): (event id, tries, last error).
pub async fn failures(db: &Db, consumer: &str) -> Result<Vec<(String, i64, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT event_id, attempts, error FROM event_failures WHERE consumer = $1 ORDER BY at",
    )
    .bind(consumer.to_string())
    .fetch_all(&db.pool)
    .await
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
    // Only forwards, and only from where this consumer left it.
    let done = sqlx::query(
        "UPDATE event_cursors SET position = $1, updated_at = $2 WHERE consumer = $3 AND position = $4 AND position < $1",
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
/// Tries of one event before it is set aside. The consumer backs off between tries (up
/// to 30 s), so a passing outage (the database, a peer) is waited out for minutes; an
/// event that can never be handled holds back its consumer only that long.
pub const ATTEMPTS: i64 = 20;

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
    // The batch failed: one event at a time, so a bad event holds back only its own
    // consumer, and after its tries is set aside (event_failures) rather than blocking
    // the stream. A try that fails returns the error: the consumer backs off and comes
    // back here (the tries are counted in event_failures, across restarts too).
    let mut at = from;
    for ev in wanted {
        if ev.seq <= at {
            continue; // another process got past it meanwhile
        }
        let one = Batch {
            events: vec![ev.clone()],
            consumer: consumer.name(),
            from: at,
            to: ev.seq,
        };
        match consumer.handle(one).await {
            Ok(()) => {
                sqlx::query("DELETE FROM event_failures WHERE consumer = $1 AND event_id = $2")
                    .bind(consumer.name().to_string())
                    .bind(ev.id.clone())
                    .execute(&db.pool)
                    .await?;
            }
            Err(e) => {
                let attempts = note_failure(db, consumer.name(), &ev.id, &e.to_string()).await?;
                if attempts < ATTEMPTS {
                    return Err(e);
                }
                tracing::error!(consumer = consumer.name(), event = %ev.id, error = %e, attempts, "event set aside");
                let mut tx = db.begin_write().await?;
                advance_in(&mut tx, consumer.name(), at, ev.seq).await?;
                tx.commit().await?;
            }
        }
        at = cursor(db, consumer.name()).await?;
        if at >= last {
            return Ok(true);
        }
    }
    if at < last {
        let mut tx = db.begin_write().await?;
        advance_in(&mut tx, consumer.name(), at, last).await?;
        tx.commit().await?;
    }
    Ok(true)
}

/// Counts a failed try of an event by a consumer; returns the tries so far.
async fn note_failure(
    db: &Db,
    consumer: &str,
    event: &str,
    error: &str,
) -> Result<i64, sqlx::Error> {
    let error: String = error.chars().take(1000).collect();
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO event_failures (consumer, event_id, attempts, error, at) VALUES ($1, $2, 1, $3, $4) \
         ON CONFLICT (consumer, event_id) DO UPDATE SET attempts = event_failures.attempts + 1, error = $3, at = $4",
    )
    .bind(consumer.to_string())
    .bind(event.to_string())
    .bind(error)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    let (attempts,): (i64,) =
        sqlx::query_as("SELECT attempts FROM event_failures WHERE consumer = $1 AND event_id = $2")
            .bind(consumer.to_string())
            .bind(event.to_string())
            .fetch_one(&mut *tx)
            .await?;
    tx.commit().await?;
    Ok(attempts)
}
