//! SQL of notifications.

use crate::model::*;
use parta_core::ids::{NotificationId, PersonId, PushSubscriptionId};
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

/// Sets a kind's preference; a channel left `None` keeps what it was.
pub async fn set_pref(
    conn: &mut sqlx::AnyConnection,
    person: PersonId,
    kind: &str,
    enabled: bool,
    channels: [Option<bool>; 3],
) -> Result<(), sqlx::Error> {
    let [email, messenger, push] = channels;
    sqlx::query(
        "INSERT INTO notification_prefs (person_id, kind, enabled, email, messenger, push) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (person_id, kind) DO UPDATE SET enabled = excluded.enabled, \
         email = COALESCE(excluded.email, notification_prefs.email), \
         messenger = COALESCE(excluded.messenger, notification_prefs.messenger), \
         push = COALESCE(excluded.push, notification_prefs.push)",
    )
    .bind(person)
    .bind(kind.to_string())
    .bind(enabled as i64)
    .bind(email.map(i64::from))
    .bind(messenger.map(i64::from))
    .bind(push.map(i64::from))
    .execute(conn)
    .await?;
    Ok(())
}

/// A person's stored preferences: (kind, enabled, e-mail, messenger, push).
pub type PrefRow = (String, i64, Option<i64>, Option<i64>, Option<i64>);

pub async fn prefs(db: &Db, person: PersonId) -> Result<Vec<PrefRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT kind, enabled, email, messenger, push FROM notification_prefs WHERE person_id = $1",
    )
    .bind(person)
    .fetch_all(&db.pool)
    .await
}

/// The channels switched on, among `people`: (person, kind, e-mail, messenger).
pub async fn channel_prefs(
    db: &Db,
    people: &[PersonId],
) -> Result<Vec<(PersonId, String, Option<i64>, Option<i64>)>, sqlx::Error> {
    db.fetch_in(
        "SELECT person_id, kind, email, messenger FROM notification_prefs \
         WHERE (email = 1 OR messenger = 1) AND person_id IN ({})",
        people,
    )
    .await
}

/// Quiet hours and digest: (person, from, to, digest).
pub type SettingsRow = (PersonId, Option<String>, Option<String>, i64);

pub async fn settings(db: &Db, people: &[PersonId]) -> Result<Vec<SettingsRow>, sqlx::Error> {
    db.fetch_in(
        "SELECT person_id, quiet_from, quiet_to, digest FROM notification_settings WHERE person_id IN ({})",
        people,
    )
    .await
}

pub async fn set_settings(
    db: &Db,
    person: PersonId,
    quiet: Option<(String, String)>,
    digest: bool,
    now: i64,
) -> Result<(), sqlx::Error> {
    let (from, to) = quiet.unzip();
    sqlx::query(
        "INSERT INTO notification_settings (person_id, quiet_from, quiet_to, digest, updated_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (person_id) DO UPDATE SET quiet_from = excluded.quiet_from, quiet_to = excluded.quiet_to, \
         digest = excluded.digest, updated_at = excluded.updated_at",
    )
    .bind(person)
    .bind(from)
    .bind(to)
    .bind(digest as i64)
    .bind(now)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// A notification to send through a channel, from when.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub notification_id: NotificationId,
    pub channel: &'static str,
    pub person_id: PersonId,
    pub due_at: i64,
}

/// Queues deliveries in the caller's transaction (once per notification and channel).
pub async fn insert_deliveries(
    db: &Db,
    conn: &mut sqlx::AnyConnection,
    rows: &[NewDelivery],
) -> Result<(), sqlx::Error> {
    const COLS: usize = 4;
    for chunk in rows.chunks(100) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| format!("({})", db.placeholders(i * COLS + 1, COLS)))
            .collect();
        let sql = format!(
            "INSERT INTO notification_deliveries (notification_id, channel, person_id, due_at) VALUES {} \
             ON CONFLICT (notification_id, channel) DO NOTHING",
            values.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for d in chunk {
            q = q
                .bind(d.notification_id)
                .bind(d.channel)
                .bind(d.person_id)
                .bind(d.due_at);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// A delivery a sender took.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Due {
    pub notification_id: NotificationId,
    pub channel: String,
    pub person_id: PersonId,
    pub attempts: i64,
}

/// Takes up to `limit` due deliveries until `until` (another sender leaves them alone):
/// each is taken by one sender only.
pub async fn claim_due(db: &Db, now: i64, until: i64, limit: i64) -> Result<Vec<Due>, sqlx::Error> {
    let candidates: Vec<Due> = sqlx::query_as(
        "SELECT notification_id, channel, person_id, attempts FROM notification_deliveries \
         WHERE sent_at IS NULL AND due_at <= $1 AND (claimed_until IS NULL OR claimed_until < $1) \
         ORDER BY due_at LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    let mut taken = Vec::with_capacity(candidates.len());
    for d in candidates {
        let r = sqlx::query(
            "UPDATE notification_deliveries SET claimed_until = $1 \
             WHERE notification_id = $2 AND channel = $3 AND sent_at IS NULL \
             AND (claimed_until IS NULL OR claimed_until < $4)",
        )
        .bind(until)
        .bind(d.notification_id)
        .bind(d.channel.clone())
        .bind(now)
        .execute(&db.pool)
        .await?;
        if r.rows_affected() == 1 {
            taken.push(d);
        }
    }
    Ok(taken)
}

/// Done: sent, or given up with the reason — by the sender holding the claim only.
pub async fn finish(
    db: &Db,
    d: &Due,
    claim: i64,
    now: i64,
    error: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE notification_deliveries SET sent_at = $1, claimed_until = NULL, last_error = $2, attempts = attempts + 1 \
         WHERE notification_id = $3 AND channel = $4 AND claimed_until = $5",
    )
    .bind(now)
    .bind(error.map(str::to_string))
    .bind(d.notification_id)
    .bind(d.channel.clone())
    .bind(claim)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Failed this time: tried again from `retry_at` (the claim's holder only).
pub async fn retry(
    db: &Db,
    d: &Due,
    claim: i64,
    retry_at: i64,
    error: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE notification_deliveries SET due_at = $1, claimed_until = NULL, last_error = $2, attempts = attempts + 1 \
         WHERE notification_id = $3 AND channel = $4 AND claimed_until = $5",
    )
    .bind(retry_at)
    .bind(error.to_string())
    .bind(d.notification_id)
    .bind(d.channel.clone())
    .bind(claim)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Removes delivery records done before `before`.
pub async fn forget_done(db: &Db, before: i64) -> Result<u64, sqlx::Error> {
    let r = sqlx::query(
        "DELETE FROM notification_deliveries WHERE sent_at IS NOT NULL AND sent_at < $1",
    )
    .bind(before)
    .execute(&db.pool)
    .await?;
    Ok(r.rows_affected())
}

/// Gives a claimed delivery back untouched (the round ran out of time).
pub async fn release(db: &Db, d: &Due, claim: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE notification_deliveries SET claimed_until = NULL \
         WHERE notification_id = $1 AND channel = $2 AND claimed_until = $3",
    )
    .bind(d.notification_id)
    .bind(d.channel.clone())
    .bind(claim)
    .execute(&db.pool)
    .await?;
    Ok(())
}

pub async fn by_ids(db: &Db, ids: &[NotificationId]) -> Result<Vec<Notification>, sqlx::Error> {
    db.fetch_in(
        "SELECT id, person_id, kind, about_person_id, title, body, link, created_at, read_at \
         FROM notifications WHERE id IN ({})",
        ids,
    )
    .await
}

/// Who among `people` studies now (a registry read: students' nights are quiet).
pub async fn students_among(db: &Db, people: &[PersonId]) -> Result<Vec<PersonId>, sqlx::Error> {
    let rows: Vec<(PersonId,)> = db
        .fetch_in(
            "SELECT DISTINCT person_id FROM enrolments WHERE ended_on IS NULL AND person_id IN ({})",
            people,
        )
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// The confirmed e-mail address of each of `people` who has one (a registry read: mail
/// goes only where its owner confirmed it).
pub async fn confirmed_emails(
    db: &Db,
    people: &[PersonId],
) -> Result<Vec<(PersonId, String)>, sqlx::Error> {
    db.fetch_in(
        "SELECT id, email FROM persons WHERE email_confirmed = 1 AND email IS NOT NULL AND id IN ({})",
        people,
    )
    .await
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

/// Kinds whose push a person switched off, among `people`.
pub async fn push_off(
    db: &Db,
    people: &[PersonId],
) -> Result<Vec<(PersonId, String)>, sqlx::Error> {
    db.fetch_in(
        "SELECT person_id, kind FROM notification_prefs WHERE push = 0 AND person_id IN ({})",
        people,
    )
    .await
}

/// A browser subscribed to push.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PushRow {
    pub id: PushSubscriptionId,
    pub person_id: PersonId,
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
    pub device: String,
    pub created_at: i64,
    pub last_sent_at: Option<i64>,
}

const PUSH_COLS: &str = "id, person_id, endpoint, p256dh, auth, device, created_at, last_sent_at";

/// The browsers of `people` subscribed to push.
pub async fn subscriptions_of(db: &Db, people: &[PersonId]) -> Result<Vec<PushRow>, sqlx::Error> {
    db.fetch_in(
        &format!("SELECT {PUSH_COLS} FROM push_subscriptions WHERE person_id IN ({{}}) ORDER BY created_at, id"),
        people,
    )
    .await
}

/// Who among `people` has a browser subscribed.
pub async fn subscribed_among(db: &Db, people: &[PersonId]) -> Result<Vec<PersonId>, sqlx::Error> {
    let rows: Vec<(PersonId,)> = db
        .fetch_in(
            "SELECT DISTINCT person_id FROM push_subscriptions WHERE person_id IN ({})",
            people,
        )
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Subscribes a browser for `row.person_id`; a browser already known (its address) is
/// now theirs (a shared computer: the one who switched it on last receives) — only when
/// it proves to be that browser (the same secret `auth`, which only the browser knows):
/// `None` otherwise, and nothing changes. Keeps at most `keep` browsers per person, the
/// newest. Returns the subscription's id.
pub async fn subscribe(
    db: &Db,
    row: &PushRow,
    keep: i64,
) -> Result<Option<PushSubscriptionId>, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let taken: Option<(PushSubscriptionId,)> = sqlx::query_as(
        "INSERT INTO push_subscriptions (id, person_id, endpoint, p256dh, auth, device, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (endpoint) DO UPDATE SET person_id = excluded.person_id, p256dh = excluded.p256dh, \
         device = excluded.device, created_at = excluded.created_at, last_sent_at = NULL \
         WHERE push_subscriptions.auth = excluded.auth \
         RETURNING id",
    )
    .bind(row.id)
    .bind(row.person_id)
    .bind(row.endpoint.clone())
    .bind(row.p256dh.clone())
    .bind(row.auth.clone())
    .bind(row.device.clone())
    .bind(row.created_at)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((id,)) = taken else {
        tx.rollback().await?;
        return Ok(None);
    };
    sqlx::query(
        "DELETE FROM push_subscriptions WHERE person_id = $1 AND id NOT IN \
         (SELECT id FROM push_subscriptions WHERE person_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3)",
    )
    .bind(row.person_id)
    .bind(row.person_id)
    .bind(keep)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Some(id))
}

/// Removes one of a person's browsers (by id, or by its address); false: not theirs.
pub async fn unsubscribe(
    db: &Db,
    person: PersonId,
    id: Option<PushSubscriptionId>,
    endpoint: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "DELETE FROM push_subscriptions WHERE person_id = $1 AND (id = $2 OR endpoint = $3)",
    )
    .bind(person)
    .bind(id)
    .bind(endpoint.map(str::to_string))
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Forgets a browser its push service no longer knows (404/410).
pub async fn forget_subscription(db: &Db, id: PushSubscriptionId) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM push_subscriptions WHERE id = $1")
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

pub async fn pushed(db: &Db, id: PushSubscriptionId, at: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE push_subscriptions SET last_sent_at = $1 WHERE id = $2")
        .bind(at)
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// The platform's VAPID key pair: (private, public), base64url.
pub async fn vapid(db: &Db) -> Result<Option<(String, String)>, sqlx::Error> {
    sqlx::query_as("SELECT private_key, public_key FROM push_vapid WHERE id = 1")
        .fetch_optional(&db.pool)
        .await
}

/// Keeps a new key pair unless another node kept one first.
pub async fn keep_vapid(db: &Db, private: &str, public: &str, now: i64) -> Result<(), sqlx::Error> {
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO push_vapid (id, private_key, public_key, created_at) VALUES (1, $1, $2, $3) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(private.to_string())
    .bind(public.to_string())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}
