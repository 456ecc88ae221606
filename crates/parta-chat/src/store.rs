//! SQL of the chats: `chats`, `chat_members`, `chat_messages` (this domain's own tables).

use crate::model::*;
use parta_core::ids::{ChatId, ClassId, GroupId, OrganisationId, PersonId};
use parta_db::Db;

type R<T> = Result<T, sqlx::Error>;

/// A chat in a person's list, as read.
pub struct SummaryRow {
    pub chat: Chat,
    pub last_at: i64,
    pub read: i64,
    /// The last message's text (none when it was deleted).
    pub last_text: Option<String>,
    pub last_author: Option<PersonId>,
    pub to_acknowledge: i64,
    /// A channel: its posts after the person's read mark (comments are not counted).
    pub unread_posts: Option<i64>,
}

/// A chat's row as read.
#[derive(sqlx::FromRow)]
pub(crate) struct ChatRow {
    id: ChatId,
    organisation_id: OrganisationId,
    kind: String,
    class_id: Option<ClassId>,
    group_id: Option<GroupId>,
    title: String,
    read_only: i64,
    last_seq: i64,
    pinned_seq: Option<i64>,
    slow_seconds: i64,
    purged_seq: i64,
    owner_id: Option<PersonId>,
    description: String,
    reach: Option<String>,
    join_mode: Option<String>,
}

fn chat_of(r: ChatRow) -> Option<Chat> {
    Some(Chat {
        id: r.id,
        organisation_id: r.organisation_id,
        kind: ChatKind::parse(&r.kind)?,
        class_id: r.class_id,
        group_id: r.group_id,
        title: r.title,
        read_only: r.read_only != 0,
        last_seq: r.last_seq,
        pinned: r.pinned_seq.filter(|p| *p > 0),
        slow_seconds: r.slow_seconds,
        purged: r.purged_seq,
        owner_id: r.owner_id,
        description: r.description,
        reach: r.reach.as_deref().and_then(Reach::parse),
        join_mode: r.join_mode.as_deref().and_then(JoinMode::parse),
        caller: Membership::default(),
    })
}

const CHAT_COLS: &str = "id, organisation_id, kind, class_id, group_id, title, read_only, last_seq, pinned_seq, slow_seconds, purged_seq, owner_id, description, reach, join_mode";

/// The chat, and what its moderators imposed on the person now (one query: every chat
/// operation asks it).
pub async fn chat_with_restriction(
    db: &Db,
    id: ChatId,
    person: PersonId,
    now: i64,
) -> R<Option<(Chat, parta_core::policy::ChatRestriction)>> {
    use parta_core::policy::ChatRestriction;
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        chat: ChatRow,
        restriction: Option<String>,
    }
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {CHAT_COLS}, (SELECT r.kind FROM chat_restrictions r WHERE r.chat_id = chats.id \
           AND r.person_id = $2 AND (r.until IS NULL OR r.until > $3)) AS restriction FROM chats WHERE id = $1"
    ))
    .bind(id)
    .bind(person)
    .bind(now)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.and_then(|r| {
        let restriction = match r.restriction.as_deref() {
            Some("remove") => ChatRestriction::Removed,
            Some(_) => ChatRestriction::Muted,
            None => ChatRestriction::None,
        };
        Some((chat_of(r.chat)?, restriction))
    }))
}

pub async fn chat(db: &Db, id: ChatId) -> R<Option<Chat>> {
    let row: Option<ChatRow> =
        sqlx::query_as(&format!("SELECT {CHAT_COLS} FROM chats WHERE id = $1"))
            .bind(id)
            .fetch_optional(&db.pool)
            .await?;
    Ok(row.and_then(chat_of))
}

/// Which of these registry keys have their chat already.
pub async fn existing_keys(db: &Db, keys: &[String]) -> R<std::collections::HashSet<String>> {
    if keys.is_empty() {
        return Ok(Default::default());
    }
    let sql = format!(
        "SELECT source_key FROM chats WHERE source_key IN ({})",
        db.placeholders(1, keys.len())
    );
    let mut q = sqlx::query_as::<_, (String,)>(&sql);
    for k in keys {
        q = q.bind(k.clone());
    }
    Ok(q.fetch_all(&db.pool)
        .await?
        .into_iter()
        .map(|r| r.0)
        .collect())
}

/// A registry-built chat, made when first wanted (another request may have made it).
pub async fn ensure_chat(
    conn: &mut sqlx::AnyConnection,
    w: &Wanted,
    title: &str,
    now: i64,
) -> R<()> {
    sqlx::query(
        "INSERT INTO chats (id, organisation_id, kind, class_id, group_id, source_key, title, read_only, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $9, $8) ON CONFLICT (source_key) DO NOTHING",
    )
    .bind(ChatId::new())
    .bind(w.org)
    .bind(w.kind.as_str())
    .bind(w.class)
    .bind(w.group)
    .bind(w.key())
    .bind(title.to_string())
    .bind(now)
    // A channel opens with comments off (its authors turn them on).
    .bind(i64::from(w.kind.is_channel()))
    .execute(conn)
    .await?;
    Ok(())
}

/// The chats of these keys with the person's read position, the last message, and the
/// urgent announcements of others the person has not confirmed — not those the person was
/// removed from.
pub async fn summaries(db: &Db, person: PersonId, keys: &[String]) -> R<Vec<SummaryRow>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let me = db.placeholders(1, 1);
    let sql = format!(
        "SELECT c.id, c.organisation_id, c.kind, c.class_id, c.group_id, c.title, c.read_only, c.last_seq, c.pinned_seq, c.slow_seconds, c.purged_seq, c.owner_id, c.description, c.reach, c.join_mode, c.last_at, \
         COALESCE(m.read_seq, 0) AS read_seq, l.body, l.author_id, l.deleted_at, \
         CASE WHEN c.kind IN ('school_channel', 'class_channel', 'teacher_channel') THEN \
           (SELECT COUNT(*) FROM chat_messages p WHERE p.chat_id = c.id AND p.seq > COALESCE(m.read_seq, 0) \
            AND p.reply_to IS NULL AND p.deleted_at IS NULL) ELSE -1 END AS unread_posts, \
         (SELECT COUNT(*) FROM chat_messages u WHERE u.chat_id = c.id AND u.urgent = 1 \
            AND u.deleted_at IS NULL AND u.author_id <> {me} AND NOT EXISTS \
            (SELECT 1 FROM chat_acks a WHERE a.chat_id = u.chat_id AND a.seq = u.seq AND a.person_id = {me})) AS to_ack \
         FROM chats c LEFT JOIN chat_members m ON m.chat_id = c.id AND m.person_id = {me} \
         LEFT JOIN chat_messages l ON l.chat_id = c.id AND l.seq = CASE WHEN c.kind IN \
           ('school_channel', 'class_channel', 'teacher_channel') THEN (SELECT MAX(p.seq) FROM chat_messages p \
           WHERE p.chat_id = c.id AND p.reply_to IS NULL) ELSE c.last_seq END \
         WHERE c.source_key IN ({}) AND NOT EXISTS (SELECT 1 FROM chat_restrictions r \
            WHERE r.chat_id = c.id AND r.person_id = {me} AND r.kind = 'remove') \
         ORDER BY c.last_at DESC, c.title",
        // One style in one statement: SQLite's `?` are counted apart from `$n`; the
        // person is bound once for each time it is named.
        db.placeholders(2, keys.len())
    );
    // `?` is bound once for each time it is named; `$1` once.
    let person_binds = if me == "?" { 3 } else { 1 };
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        chat: ChatRow,
        last_at: i64,
        read_seq: i64,
        body: Option<String>,
        author_id: Option<PersonId>,
        deleted_at: Option<i64>,
        to_ack: i64,
        unread_posts: i64,
    }
    let mut q = sqlx::query_as::<_, Row>(&sql);
    for _ in 0..person_binds {
        q = q.bind(person);
    }
    for k in keys {
        q = q.bind(k.clone());
    }
    if me == "?" {
        // The removal check, after the keys.
        q = q.bind(person);
    }
    Ok(q.fetch_all(&db.pool)
        .await?
        .into_iter()
        .filter_map(|r| {
            let text = if r.deleted_at.is_some() { None } else { r.body };
            Some(SummaryRow {
                chat: chat_of(r.chat)?,
                last_at: r.last_at,
                read: r.read_seq,
                last_text: text,
                last_author: r.author_id,
                to_acknowledge: r.to_ack,
                unread_posts: (r.unread_posts >= 0).then_some(r.unread_posts),
            })
        })
        .collect())
}

/// The person's read position in a chat (none: nothing read yet).
pub async fn read_seq(db: &Db, chat: ChatId, person: PersonId) -> R<Option<i64>> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT read_seq FROM chat_members WHERE chat_id = $1 AND person_id = $2")
            .bind(chat)
            .bind(person)
            .fetch_optional(&db.pool)
            .await?;
    Ok(row.map(|r| r.0))
}

/// Moves the person's read position forward (never back).
pub async fn mark_read(
    conn: &mut sqlx::AnyConnection,
    chat: ChatId,
    person: PersonId,
    seq: i64,
    now: i64,
) -> R<()> {
    sqlx::query(
        "INSERT INTO chat_members (chat_id, person_id, read_seq, joined_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (chat_id, person_id) DO UPDATE SET read_seq = excluded.read_seq \
         WHERE chat_members.read_seq < excluded.read_seq",
    )
    .bind(chat)
    .bind(person)
    .bind(seq)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// A message as stored.
#[derive(sqlx::FromRow)]
pub struct MessageRow {
    pub chat_id: ChatId,
    pub seq: i64,
    pub author_id: PersonId,
    pub body: String,
    pub reply_to: Option<i64>,
    pub created_at: i64,
    pub urgent: i64,
    pub edited_at: Option<i64>,
    pub deleted_at: Option<i64>,
    /// The reactions' summary (`like:3 heart:1`).
    pub reactions: Option<String>,
    /// The poll's view as JSON.
    pub poll: Option<String>,
    /// The files' list as JSON.
    pub files: Option<String>,
}

const MESSAGE_COLS: &str = "chat_id, seq, author_id, body, reply_to, created_at, urgent, edited_at, deleted_at, reactions, poll, files";

/// Messages with `seq` in (after, before) that pass the filter, the newest `limit` of
/// them, oldest first.
pub async fn messages(
    db: &Db,
    chat: ChatId,
    (after, before): (i64, i64),
    filter: Filter,
    limit: i64,
) -> R<Vec<MessageRow>> {
    let (which, thread) = match filter {
        Filter::All => ("", 0),
        Filter::Posts => (" AND reply_to IS NULL", 0),
        Filter::Thread(t) => (" AND (seq = $5 OR reply_to = $5)", t),
    };
    let sql = format!(
        "SELECT {MESSAGE_COLS} FROM chat_messages \
         WHERE chat_id = $1 AND seq > $2 AND seq < $3{which} ORDER BY seq DESC LIMIT $4"
    );
    let mut q = sqlx::query_as(&sql)
        .bind(chat)
        .bind(after)
        .bind(before)
        .bind(limit);
    if let Filter::Thread(_) = filter {
        q = q.bind(thread);
    }
    let mut rows: Vec<MessageRow> = q.fetch_all(&db.pool).await?;
    rows.reverse();
    Ok(rows)
}

/// Messages after `after`, oldest first (a client catching up).
pub async fn messages_after(db: &Db, chat: ChatId, after: i64, limit: i64) -> R<Vec<MessageRow>> {
    sqlx::query_as(&format!(
        "SELECT {MESSAGE_COLS} FROM chat_messages \
         WHERE chat_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"
    ))
    .bind(chat)
    .bind(after)
    .bind(limit)
    .fetch_all(&db.pool)
    .await
}

/// A message to append; its place is taken in the writing transaction.
pub struct Appended<'a> {
    pub chat: ChatId,
    pub author: PersonId,
    pub text: &'a str,
    pub reply_to: Option<i64>,
    pub urgent: bool,
    /// The poll's view as JSON.
    pub poll: Option<&'a str>,
    /// The files' list as JSON.
    pub files: Option<&'a str>,
    pub at: i64,
}

/// Appends a message: the chat's next place, taken in the write transaction.
pub async fn append(conn: &mut sqlx::AnyConnection, m: &Appended<'_>) -> R<i64> {
    sqlx::query("UPDATE chats SET last_seq = last_seq + 1, last_at = $2 WHERE id = $1")
        .bind(m.chat)
        .bind(m.at)
        .execute(&mut *conn)
        .await?;
    let (seq,): (i64,) = sqlx::query_as("SELECT last_seq FROM chats WHERE id = $1")
        .bind(m.chat)
        .fetch_one(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO chat_messages (chat_id, seq, id, author_id, body, reply_to, created_at, urgent, poll, files) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(m.chat)
    .bind(seq)
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(m.author)
    .bind(m.text.to_string())
    .bind(m.reply_to)
    .bind(m.at)
    .bind(i64::from(m.urgent))
    .bind(m.poll.map(str::to_string))
    .bind(m.files.map(str::to_string))
    .execute(&mut *conn)
    .await?;
    Ok(seq)
}

/// Whether the person is a member by name (a personal chat).
pub async fn is_member(db: &Db, chat: ChatId, person: PersonId) -> R<bool> {
    Ok(read_seq(db, chat, person).await?.is_some())
}

/// The other member of each of these personal chats.
pub async fn others(db: &Db, chats: &[ChatId], me: PersonId) -> R<Vec<(ChatId, PersonId)>> {
    if chats.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT chat_id, person_id FROM chat_members WHERE person_id <> {} AND chat_id IN ({})",
        db.placeholders(1, 1),
        db.placeholders(2, chats.len())
    );
    let mut q = sqlx::query_as(&sql).bind(me);
    for c in chats {
        q = q.bind(*c);
    }
    q.fetch_all(&db.pool).await
}

/// The chat of a key, if made.
pub async fn chat_by_key(db: &Db, key: &str) -> R<Option<ChatId>> {
    let row: Option<(ChatId,)> = sqlx::query_as("SELECT id FROM chats WHERE source_key = $1")
        .bind(key.to_string())
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.map(|r| r.0))
}

/// Makes two people's personal chat (another request may have made it) with both as
/// members.
pub async fn create_personal(
    conn: &mut sqlx::AnyConnection,
    org: OrganisationId,
    a: PersonId,
    b: PersonId,
    now: i64,
) -> R<ChatId> {
    let key = personal_key(a, b);
    sqlx::query(
        "INSERT INTO chats (id, organisation_id, kind, class_id, source_key, title, created_at) \
         VALUES ($1, $2, 'personal', NULL, $3, '', $4) ON CONFLICT (source_key) DO NOTHING",
    )
    .bind(ChatId::new())
    .bind(org)
    .bind(key.clone())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    let (id,): (ChatId,) = sqlx::query_as("SELECT id FROM chats WHERE source_key = $1")
        .bind(key)
        .fetch_one(&mut *conn)
        .await?;
    for person in [a, b] {
        sqlx::query(
            "INSERT INTO chat_members (chat_id, person_id, read_seq, joined_at) VALUES ($1, $2, 0, $3) \
             ON CONFLICT (chat_id, person_id) DO NOTHING",
        )
        .bind(id)
        .bind(person)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(id)
}

/// One message, if the chat has it.
pub async fn message(db: &Db, chat: ChatId, seq: i64) -> R<Option<MessageRow>> {
    sqlx::query_as(&format!(
        "SELECT {MESSAGE_COLS} FROM chat_messages WHERE chat_id = $1 AND seq = $2"
    ))
    .bind(chat)
    .bind(seq)
    .fetch_optional(&db.pool)
    .await
}

/// Which of these messages the person confirmed reading.
pub async fn acked_by(
    db: &Db,
    chat: ChatId,
    person: PersonId,
    seqs: &[i64],
) -> R<std::collections::HashSet<i64>> {
    if seqs.is_empty() {
        return Ok(Default::default());
    }
    let sql = format!(
        "SELECT seq FROM chat_acks WHERE chat_id = {} AND person_id = {} AND seq IN ({})",
        db.placeholders(1, 1),
        db.placeholders(2, 1),
        db.placeholders(3, seqs.len())
    );
    let mut q = sqlx::query_as::<_, (i64,)>(&sql).bind(chat).bind(person);
    for s in seqs {
        q = q.bind(*s);
    }
    Ok(q.fetch_all(&db.pool)
        .await?
        .into_iter()
        .map(|r| r.0)
        .collect())
}

/// How many confirmed each of these messages.
pub async fn ack_counts(
    db: &Db,
    chat: ChatId,
    seqs: &[i64],
) -> R<std::collections::HashMap<i64, i64>> {
    if seqs.is_empty() {
        return Ok(Default::default());
    }
    let sql = format!(
        "SELECT seq, COUNT(*) FROM chat_acks WHERE chat_id = {} AND seq IN ({}) GROUP BY seq",
        db.placeholders(1, 1),
        db.placeholders(2, seqs.len())
    );
    let mut q = sqlx::query_as::<_, (i64, i64)>(&sql).bind(chat);
    for s in seqs {
        q = q.bind(*s);
    }
    Ok(q.fetch_all(&db.pool).await?.into_iter().collect())
}

/// Who confirmed a message, in order.
pub async fn ackers(db: &Db, chat: ChatId, seq: i64) -> R<Vec<(PersonId, i64)>> {
    sqlx::query_as(
        "SELECT person_id, acked_at FROM chat_acks WHERE chat_id = $1 AND seq = $2 ORDER BY acked_at, person_id",
    )
    .bind(chat)
    .bind(seq)
    .fetch_all(&db.pool)
    .await
}

/// Urgent announcements of others in the chat the person has not confirmed, oldest first.
pub async fn unacknowledged(db: &Db, chat: ChatId, person: PersonId) -> R<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT u.seq FROM chat_messages u WHERE u.chat_id = $1 AND u.urgent = 1 \
         AND u.deleted_at IS NULL AND u.author_id <> $2 AND NOT EXISTS \
         (SELECT 1 FROM chat_acks a WHERE a.chat_id = u.chat_id AND a.seq = u.seq AND a.person_id = $2) \
         ORDER BY u.seq LIMIT 100",
    )
    .bind(chat)
    .bind(person)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Records that the person read an urgent message (once).
pub async fn ack(
    conn: &mut sqlx::AnyConnection,
    chat: ChatId,
    seq: i64,
    person: PersonId,
    now: i64,
) -> R<()> {
    sqlx::query(
        "INSERT INTO chat_acks (chat_id, seq, person_id, acked_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (chat_id, seq, person_id) DO NOTHING",
    )
    .bind(chat)
    .bind(seq)
    .bind(person)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Replaces a message's text, keeping the old one in its history.
pub async fn edit(
    conn: &mut sqlx::AnyConnection,
    chat: ChatId,
    seq: i64,
    by: PersonId,
    text: &str,
    now: i64,
) -> R<()> {
    keep_history(&mut *conn, chat, seq, by, "edit", now).await?;
    sqlx::query(
        "UPDATE chat_messages SET body = $3, edited_at = $4 WHERE chat_id = $1 AND seq = $2",
    )
    .bind(chat)
    .bind(seq)
    .bind(text.to_string())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes (or hides) a message for the members: its text goes to its history.
pub async fn delete(
    conn: &mut sqlx::AnyConnection,
    chat: ChatId,
    seq: i64,
    by: PersonId,
    now: i64,
) -> R<()> {
    keep_history(&mut *conn, chat, seq, by, "delete", now).await?;
    sqlx::query(
        "UPDATE chat_messages SET body = '', deleted_at = $3, deleted_by = $4 WHERE chat_id = $1 AND seq = $2",
    )
    .bind(chat)
    .bind(seq)
    .bind(now)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}

async fn keep_history(
    conn: &mut sqlx::AnyConnection,
    chat: ChatId,
    seq: i64,
    by: PersonId,
    action: &str,
    now: i64,
) -> R<()> {
    sqlx::query(
        "INSERT INTO chat_message_history (chat_id, seq, changed_at, changed_by, action, body) \
         SELECT chat_id, seq, $3, $4, $5, body FROM chat_messages WHERE chat_id = $1 AND seq = $2",
    )
    .bind(chat)
    .bind(seq)
    .bind(now)
    .bind(by)
    .bind(action.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

/// A moderator's change of the chat's mode or its pinned message (0: none).
pub async fn settle(
    conn: &mut sqlx::AnyConnection,
    chat: ChatId,
    read_only: Option<bool>,
    pinned: Option<i64>,
    slow_seconds: Option<i64>,
) -> R<()> {
    if let Some(s) = slow_seconds {
        sqlx::query("UPDATE chats SET slow_seconds = $2 WHERE id = $1")
            .bind(chat)
            .bind(s)
            .execute(&mut *conn)
            .await?;
    }
    if let Some(r) = read_only {
        sqlx::query("UPDATE chats SET read_only = $2 WHERE id = $1")
            .bind(chat)
            .bind(i64::from(r))
            .execute(&mut *conn)
            .await?;
    }
    if let Some(p) = pinned {
        sqlx::query("UPDATE chats SET pinned_seq = $2 WHERE id = $1")
            .bind(chat)
            .bind((p > 0).then_some(p))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The chats of these registry keys (a search's chats).
pub async fn chats_by_keys(db: &Db, keys: &[String]) -> R<Vec<Chat>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<ChatRow> = {
        let sql = format!(
            "SELECT {CHAT_COLS} FROM chats WHERE source_key IN ({})",
            db.placeholders(1, keys.len())
        );
        let mut q = sqlx::query_as(&sql);
        for k in keys {
            q = q.bind(k.clone());
        }
        q.fetch_all(&db.pool).await?
    };
    Ok(rows.into_iter().filter_map(chat_of).collect())
}

/// These messages (chat, seq), those the database has, in no order.
pub async fn messages_at(db: &Db, places: &[(ChatId, i64)]) -> R<Vec<MessageRow>> {
    if places.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {MESSAGE_COLS} FROM chat_messages WHERE {}",
        (0..places.len())
            .map(|i| if db.placeholders(1, 1) == "?" {
                "(chat_id = ? AND seq = ?)".to_string()
            } else {
                format!("(chat_id = ${} AND seq = ${})", 2 * i + 1, 2 * i + 2)
            })
            .collect::<Vec<_>>()
            .join(" OR ")
    );
    let mut q = sqlx::query_as(&sql);
    for (chat, seq) in places {
        q = q.bind(*chat).bind(*seq);
    }
    q.fetch_all(&db.pool).await
}

/// Mutes or removes a member (replacing what was imposed before); `kind` none lifts it.
pub async fn restrict(
    conn: &mut sqlx::AnyConnection,
    chat: ChatId,
    person: PersonId,
    kind: Option<&str>,
    until: Option<i64>,
    by: PersonId,
    now: i64,
) -> R<()> {
    sqlx::query("DELETE FROM chat_restrictions WHERE chat_id = $1 AND person_id = $2")
        .bind(chat)
        .bind(person)
        .execute(&mut *conn)
        .await?;
    if let Some(kind) = kind {
        sqlx::query(
            "INSERT INTO chat_restrictions (chat_id, person_id, kind, until, by_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(chat)
        .bind(person)
        .bind(kind.to_string())
        .bind(until)
        .bind(by)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The chat's members under a restriction now: (person, kind, until).
pub async fn restrictions(
    db: &Db,
    chat: ChatId,
    now: i64,
) -> R<Vec<(PersonId, String, Option<i64>)>> {
    sqlx::query_as(
        "SELECT person_id, kind, until FROM chat_restrictions WHERE chat_id = $1 \
         AND (until IS NULL OR until > $2) ORDER BY created_at",
    )
    .bind(chat)
    .bind(now)
    .fetch_all(&db.pool)
    .await
}

/// Records a complaint (a second one of the same person about the same message changes
/// nothing); whether it is new.
#[allow(clippy::too_many_arguments)]
pub async fn complain(
    conn: &mut sqlx::AnyConnection,
    chat: ChatId,
    seq: i64,
    person: PersonId,
    reason: &str,
    comment: &str,
    now: i64,
) -> R<bool> {
    let done = sqlx::query(
        "INSERT INTO chat_complaints (id, chat_id, seq, person_id, reason, comment, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (chat_id, seq, person_id) DO NOTHING",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(chat)
    .bind(seq)
    .bind(person)
    .bind(reason.to_string())
    .bind(comment.to_string())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Complaints the person made since `since` (their daily quota).
pub async fn complaints_since(
    conn: &mut sqlx::AnyConnection,
    person: PersonId,
    since: i64,
) -> R<i64> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM chat_complaints WHERE person_id = $1 AND created_at >= $2",
    )
    .bind(person)
    .bind(since)
    .fetch_one(&mut *conn)
    .await?;
    Ok(n)
}

/// An open complaint: id, chat, seq, who complained, reason, comment, when.
pub type ComplaintRow = (String, ChatId, i64, PersonId, String, String, i64);

/// Open complaints about messages of chats of these schools or these chats, the oldest
/// first (at most `limit`).
pub async fn open_complaints(
    db: &Db,
    orgs: &[OrganisationId],
    chats: &[ChatId],
    limit: i64,
) -> R<Vec<ComplaintRow>> {
    if orgs.is_empty() && chats.is_empty() {
        return Ok(Vec::new());
    }
    let mut filters = Vec::new();
    if !orgs.is_empty() {
        filters.push(format!(
            "c.organisation_id IN ({})",
            db.placeholders(1, orgs.len())
        ));
    }
    if !chats.is_empty() {
        filters.push(format!(
            "k.chat_id IN ({})",
            db.placeholders(1 + orgs.len(), chats.len())
        ));
    }
    let sql = format!(
        "SELECT k.id, k.chat_id, k.seq, k.person_id, k.reason, k.comment, k.created_at \
         FROM chat_complaints k JOIN chats c ON c.id = k.chat_id \
         WHERE k.resolved_at IS NULL AND ({}) ORDER BY k.created_at LIMIT {limit}",
        filters.join(" OR ")
    );
    let mut q = sqlx::query_as(&sql);
    for o in orgs {
        q = q.bind(*o);
    }
    for c in chats {
        q = q.bind(*c);
    }
    q.fetch_all(&db.pool).await
}

/// An open complaint by its id: (chat, seq).
pub async fn complaint(db: &Db, id: &str) -> R<Option<(ChatId, i64)>> {
    sqlx::query_as("SELECT chat_id, seq FROM chat_complaints WHERE id = $1 AND resolved_at IS NULL")
        .bind(id.to_string())
        .fetch_optional(&db.pool)
        .await
}

/// Settles every open complaint about the message.
pub async fn resolve_complaints(
    conn: &mut sqlx::AnyConnection,
    chat: ChatId,
    seq: i64,
    by: PersonId,
    resolution: &str,
    now: i64,
) -> R<u64> {
    Ok(sqlx::query(
        "UPDATE chat_complaints SET resolved_at = $4, resolved_by = $3, resolution = $5 \
         WHERE chat_id = $1 AND seq = $2 AND resolved_at IS NULL",
    )
    .bind(chat)
    .bind(seq)
    .bind(by)
    .bind(now)
    .bind(resolution.to_string())
    .execute(&mut *conn)
    .await?
    .rows_affected())
}

/// The texts a message had before its edits and deletion (what the moderators read when a
/// complaint comes), oldest first: (when, by, action, text).
pub async fn message_history(
    db: &Db,
    chat: ChatId,
    seq: i64,
) -> R<Vec<(i64, PersonId, String, String)>> {
    sqlx::query_as(
        "SELECT changed_at, changed_by, action, body FROM chat_message_history \
         WHERE chat_id = $1 AND seq = $2 ORDER BY changed_at",
    )
    .bind(chat)
    .bind(seq)
    .fetch_all(&db.pool)
    .await
}

/// The chats the person was removed from.
pub async fn removed_from(db: &Db, person: PersonId) -> R<std::collections::HashSet<ChatId>> {
    let rows: Vec<(ChatId,)> = sqlx::query_as(
        "SELECT chat_id FROM chat_restrictions WHERE person_id = $1 AND kind = 'remove'",
    )
    .bind(person)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Adds a batch's messages to the activity figures (one statement for the chats, one for
/// the authors).
pub async fn count_activity(
    db: &Db,
    conn: &mut sqlx::AnyConnection,
    per_chat: &std::collections::BTreeMap<(String, ChatId), i64>,
    per_author: &std::collections::BTreeMap<(String, ChatId, PersonId), i64>,
) -> R<()> {
    if !per_chat.is_empty() {
        let sql = format!(
            "INSERT INTO chat_activity (week, chat_id, messages) VALUES {} \
             ON CONFLICT (week, chat_id) DO UPDATE SET messages = chat_activity.messages + excluded.messages",
            parta_db::row_placeholders(db.backend == parta_db::Backend::Sqlite, per_chat.len(), 3)
        );
        let mut q = sqlx::query(&sql);
        for ((week, chat), n) in per_chat {
            q = q.bind(week.clone()).bind(*chat).bind(*n);
        }
        q.execute(&mut *conn).await?;
    }
    if !per_author.is_empty() {
        let sql = format!(
            "INSERT INTO chat_activity_authors (week, chat_id, person_id, messages) VALUES {} \
             ON CONFLICT (week, chat_id, person_id) DO UPDATE SET messages = chat_activity_authors.messages + excluded.messages",
            parta_db::row_placeholders(db.backend == parta_db::Backend::Sqlite, per_author.len(), 4)
        );
        let mut q = sqlx::query(&sql);
        for ((week, chat, person), n) in per_author {
            q = q.bind(week.clone()).bind(*chat).bind(*person).bind(*n);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// A school's chats with their messages in the week: (school, chat, kind, messages).
pub async fn activity_of(
    db: &Db,
    orgs: &[OrganisationId],
    week: &str,
) -> R<Vec<(OrganisationId, ChatId, String, i64)>> {
    let mut out = Vec::new();
    for part in orgs.chunks(500) {
        let sql = format!(
            "SELECT c.organisation_id, c.id, c.kind, COALESCE(a.messages, 0) FROM chats c \
             LEFT JOIN chat_activity a ON a.chat_id = c.id AND a.week = {} \
             WHERE c.organisation_id IN ({})",
            db.placeholders(1, 1),
            db.placeholders(2, part.len())
        );
        let mut q =
            sqlx::query_as::<_, (OrganisationId, ChatId, String, i64)>(&sql).bind(week.to_string());
        for o in part {
            q = q.bind(*o);
        }
        out.extend(q.fetch_all(&db.pool).await?);
    }
    Ok(out)
}

/// The people who wrote in the schools' chats in the week: (school, person).
pub async fn authors_of(
    db: &Db,
    orgs: &[OrganisationId],
    week: &str,
) -> R<Vec<(OrganisationId, PersonId)>> {
    let mut out = Vec::new();
    for part in orgs.chunks(500) {
        let sql = format!(
            "SELECT DISTINCT c.organisation_id, x.person_id FROM chat_activity_authors x \
             JOIN chats c ON c.id = x.chat_id WHERE x.week = {} AND c.organisation_id IN ({})",
            db.placeholders(1, 1),
            db.placeholders(2, part.len())
        );
        let mut q = sqlx::query_as::<_, (OrganisationId, PersonId)>(&sql).bind(week.to_string());
        for o in part {
            q = q.bind(*o);
        }
        out.extend(q.fetch_all(&db.pool).await?);
    }
    Ok(out)
}

/// Puts (`on`) or takes back a person's reaction and rewrites the message's summary;
/// answers the summary.
pub async fn react(
    conn: &mut sqlx::AnyConnection,
    chat: ChatId,
    seq: i64,
    person: PersonId,
    reaction: &str,
    on: bool,
    now: i64,
) -> R<Option<String>> {
    if on {
        sqlx::query(
            "INSERT INTO chat_reactions (chat_id, seq, person_id, reaction, reacted_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(chat)
        .bind(seq)
        .bind(person)
        .bind(reaction.to_string())
        .bind(now)
        .execute(&mut *conn)
        .await?;
    } else {
        sqlx::query(
            "DELETE FROM chat_reactions WHERE chat_id = $1 AND seq = $2 AND person_id = $3 AND reaction = $4",
        )
        .bind(chat)
        .bind(seq)
        .bind(person)
        .bind(reaction.to_string())
        .execute(&mut *conn)
        .await?;
    }
    let counts: Vec<(String, i64)> = sqlx::query_as(
        "SELECT reaction, COUNT(*) FROM chat_reactions WHERE chat_id = $1 AND seq = $2 GROUP BY reaction",
    )
    .bind(chat)
    .bind(seq)
    .fetch_all(&mut *conn)
    .await?;
    let summary = reactions_summary(&counts);
    sqlx::query("UPDATE chat_messages SET reactions = $3 WHERE chat_id = $1 AND seq = $2")
        .bind(chat)
        .bind(seq)
        .bind(summary.clone())
        .execute(&mut *conn)
        .await?;
    Ok(summary)
}

/// The person's reactions and votes on messages with `seq` in [from, to] — each asked
/// only if wanted: (seq, reaction) and (seq, option).
pub async fn mine(
    db: &Db,
    chat: ChatId,
    person: PersonId,
    (from, to): (i64, i64),
    (reactions, votes): (bool, bool),
) -> R<(Vec<(i64, String)>, Vec<(i64, i64)>)> {
    let reactions = if reactions {
        sqlx::query_as(
            "SELECT seq, reaction FROM chat_reactions \
             WHERE chat_id = $1 AND seq >= $2 AND seq <= $3 AND person_id = $4",
        )
        .bind(chat)
        .bind(from)
        .bind(to)
        .bind(person)
        .fetch_all(&db.pool)
        .await?
    } else {
        Vec::new()
    };
    let votes = if votes {
        sqlx::query_as(
            "SELECT seq, option_index FROM chat_poll_votes \
             WHERE chat_id = $1 AND seq >= $2 AND seq <= $3 AND person_id = $4",
        )
        .bind(chat)
        .bind(from)
        .bind(to)
        .bind(person)
        .fetch_all(&db.pool)
        .await?
    } else {
        Vec::new()
    };
    Ok((reactions, votes))
}

/// Replaces a person's votes in a poll and rewrites the poll's view from the votes
/// (`poll`: the view as it stands, its options' texts and flags); answers the new view.
pub async fn vote(
    conn: &mut sqlx::AnyConnection,
    chat: ChatId,
    seq: i64,
    person: PersonId,
    options: &[i64],
    mut poll: Poll,
    now: i64,
) -> R<Poll> {
    sqlx::query("DELETE FROM chat_poll_votes WHERE chat_id = $1 AND seq = $2 AND person_id = $3")
        .bind(chat)
        .bind(seq)
        .bind(person)
        .execute(&mut *conn)
        .await?;
    for o in options {
        sqlx::query(
            "INSERT INTO chat_poll_votes (chat_id, seq, person_id, option_index, voted_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(chat)
        .bind(seq)
        .bind(person)
        .bind(*o)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    let counts: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT option_index, COUNT(*) FROM chat_poll_votes WHERE chat_id = $1 AND seq = $2 GROUP BY option_index",
    )
    .bind(chat)
    .bind(seq)
    .fetch_all(&mut *conn)
    .await?;
    let (voters,): (i64,) = sqlx::query_as(
        "SELECT COUNT(DISTINCT person_id) FROM chat_poll_votes WHERE chat_id = $1 AND seq = $2",
    )
    .bind(chat)
    .bind(seq)
    .fetch_one(&mut *conn)
    .await?;
    for (i, o) in poll.options.iter_mut().enumerate() {
        o.votes = counts
            .iter()
            .find(|(idx, _)| *idx == i as i64)
            .map_or(0, |c| c.1);
    }
    poll.voters = voters;
    save_poll(conn, chat, seq, &poll).await?;
    Ok(poll)
}

/// Writes a poll's view on its message.
pub async fn save_poll(
    conn: &mut sqlx::AnyConnection,
    chat: ChatId,
    seq: i64,
    poll: &Poll,
) -> R<()> {
    let json = serde_json::to_string(poll).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query("UPDATE chat_messages SET poll = $3 WHERE chat_id = $1 AND seq = $2")
        .bind(chat)
        .bind(seq)
        .bind(json)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Who chose which option of a poll: (option, person), in the order they voted.
pub async fn voters(db: &Db, chat: ChatId, seq: i64) -> R<Vec<(i64, PersonId)>> {
    sqlx::query_as(
        "SELECT option_index, person_id FROM chat_poll_votes WHERE chat_id = $1 AND seq = $2 \
         ORDER BY voted_at, person_id",
    )
    .bind(chat)
    .bind(seq)
    .fetch_all(&db.pool)
    .await
}

// ---- files ----

/// How many files the person has waiting (uploaded after `waiting_since`, not sent) and
/// uploaded after `day_since`.
pub async fn upload_counts(
    db: &Db,
    person: PersonId,
    waiting_since: i64,
    day_since: i64,
) -> R<(i64, i64)> {
    sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(CASE WHEN seq IS NULL AND created_at > $2 THEN 1 ELSE 0 END), 0) AS BIGINT), \
                COUNT(*) \
         FROM chat_files WHERE uploaded_by = $1 AND created_at > $3",
    )
    .bind(person)
    .bind(waiting_since)
    .bind(day_since)
    .fetch_one(&db.pool)
    .await
}

/// Bytes of chat files the person uploaded, and the school's.
pub async fn file_usage(
    conn: &mut sqlx::AnyConnection,
    person: PersonId,
    org: OrganisationId,
) -> R<(i64, i64)> {
    let (mine,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM chat_files WHERE uploaded_by = $1",
    )
    .bind(person)
    .fetch_one(&mut *conn)
    .await?;
    let (school,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM chat_files WHERE organisation_id = $1",
    )
    .bind(org)
    .fetch_one(&mut *conn)
    .await?;
    Ok((mine, school))
}

/// Records an uploaded file, not sent yet: (chat, school, uploader), (content, preview).
pub async fn add_file(
    conn: &mut sqlx::AnyConnection,
    f: &FileRef,
    (chat, org, person): (ChatId, OrganisationId, PersonId),
    (sha, preview): (&str, Option<&str>),
    now: i64,
) -> R<()> {
    sqlx::query(
        "INSERT INTO chat_files (id, chat_id, organisation_id, uploaded_by, file_name, content_type, size, sha256, width, height, thumb_sha256, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(f.id.clone())
    .bind(chat)
    .bind(org)
    .bind(person)
    .bind(f.name.clone())
    .bind(f.content_type.clone())
    .bind(f.size)
    .bind(sha.to_string())
    .bind(f.width.map(i64::from))
    .bind(f.height.map(i64::from))
    .bind(preview.map(str::to_string))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct FileRow {
    id: String,
    file_name: String,
    content_type: String,
    size: i64,
    width: Option<i64>,
    height: Option<i64>,
    thumb_sha256: Option<String>,
    seq: Option<i64>,
    uploaded_by: PersonId,
    sha256: String,
}

const FILE_COLS: &str =
    "id, file_name, content_type, size, width, height, thumb_sha256, seq, uploaded_by, sha256";

impl FileRow {
    fn file(&self) -> FileRef {
        FileRef {
            id: self.id.clone(),
            name: self.file_name.clone(),
            content_type: self.content_type.clone(),
            size: self.size,
            width: self.width.and_then(|w| u32::try_from(w).ok()),
            height: self.height.and_then(|h| u32::try_from(h).ok()),
            preview: self.thumb_sha256.is_some(),
        }
    }
}

/// The person's files of the chat among `ids` that are not sent yet.
pub async fn waiting_files(
    db: &Db,
    chat: ChatId,
    person: PersonId,
    ids: &[String],
) -> R<Vec<FileRef>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {FILE_COLS} FROM chat_files WHERE chat_id = $1 AND uploaded_by = $2 AND seq IS NULL AND id IN ({})",
        // Numbered on both backends: a handful at most, after $1 and $2.
        parta_db::placeholders(3, ids.len())
    );
    let mut q = sqlx::query_as::<_, FileRow>(&sql).bind(chat).bind(person);
    for id in ids {
        q = q.bind(id.clone());
    }
    Ok(q.fetch_all(&db.pool)
        .await?
        .iter()
        .map(FileRow::file)
        .collect())
}

/// Sends the person's waiting files with the message at `seq`; fails (nothing changed
/// by the caller's transaction) when one of them was sent meanwhile.
pub async fn attach_files(
    conn: &mut sqlx::AnyConnection,
    chat: ChatId,
    person: PersonId,
    seq: i64,
    ids: &[&str],
) -> R<()> {
    for id in ids {
        let done = sqlx::query(
            "UPDATE chat_files SET seq = $1 WHERE id = $2 AND chat_id = $3 AND uploaded_by = $4 AND seq IS NULL",
        )
        .bind(seq)
        .bind(id.to_string())
        .bind(chat)
        .bind(person)
        .execute(&mut *conn)
        .await?;
        if done.rows_affected() != 1 {
            return Err(sqlx::Error::RowNotFound);
        }
    }
    Ok(())
}

/// A file of the chat: it, the message it was sent with, its uploader, its content's and
/// preview's names in the store.
pub async fn chat_file(
    db: &Db,
    chat: ChatId,
    id: &str,
) -> R<Option<(FileRef, Option<i64>, PersonId, String, Option<String>)>> {
    let row: Option<FileRow> = sqlx::query_as(&format!(
        "SELECT {FILE_COLS} FROM chat_files WHERE id = $1 AND chat_id = $2"
    ))
    .bind(id.to_string())
    .bind(chat)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(|r| {
        let f = r.file();
        (f, r.seq, r.uploaded_by, r.sha256, r.thumb_sha256)
    }))
}

/// Forgets files uploaded before `before` and never sent (their content goes with the
/// next sweep of the store).
pub async fn drop_unsent_files(db: &Db, before: i64) -> R<u64> {
    let mut tx = db.begin_write().await?;
    let done = sqlx::query("DELETE FROM chat_files WHERE seq IS NULL AND created_at < $1")
        .bind(before)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}

/// Every stored name chat files refer to (contents and previews).
pub async fn referenced_files(db: &Db) -> R<std::collections::HashSet<String>> {
    let rows: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT sha256, thumb_sha256 FROM chat_files")
            .fetch_all(&db.pool)
            .await?;
    Ok(rows
        .into_iter()
        .flat_map(|(a, b)| std::iter::once(a).chain(b))
        .collect())
}

// ---- scheduled messages ----

/// Messages the person has waiting to be sent, in all chats.
pub async fn pending_scheduled(db: &Db, person: PersonId) -> R<i64> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM chat_scheduled WHERE author_id = $1 AND state = 'pending'",
    )
    .bind(person)
    .fetch_one(&db.pool)
    .await?;
    Ok(n)
}

pub async fn add_scheduled(
    conn: &mut sqlx::AnyConnection,
    s: &Scheduled,
    author: PersonId,
    now: i64,
) -> R<()> {
    sqlx::query(
        "INSERT INTO chat_scheduled (id, chat_id, author_id, body, urgent, send_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(s.id.clone())
    .bind(s.chat_id)
    .bind(author)
    .bind(s.text.clone())
    .bind(i64::from(s.urgent))
    .bind(s.send_at)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct ScheduledRow {
    id: String,
    chat_id: ChatId,
    author_id: PersonId,
    body: String,
    urgent: i64,
    send_at: i64,
    state: String,
    sent_seq: Option<i64>,
    failure: Option<String>,
}

const SCHEDULED_COLS: &str =
    "id, chat_id, author_id, body, urgent, send_at, state, sent_seq, failure";

impl ScheduledRow {
    fn scheduled(self) -> (Scheduled, PersonId) {
        (
            Scheduled {
                id: self.id,
                chat_id: self.chat_id,
                text: self.body,
                urgent: self.urgent != 0,
                send_at: self.send_at,
                state: ScheduledState::parse(&self.state).unwrap_or(ScheduledState::Failed),
                seq: self.sent_seq,
                failure: self.failure,
            },
            self.author_id,
        )
    }
}

/// The person's messages scheduled in the chat, waiting or failed, the soonest first.
pub async fn scheduled_of(db: &Db, chat: ChatId, person: PersonId) -> R<Vec<Scheduled>> {
    let rows: Vec<ScheduledRow> = sqlx::query_as(&format!(
        "SELECT {SCHEDULED_COLS} FROM chat_scheduled WHERE author_id = $1 AND chat_id = $2 \
         AND state IN ('pending', 'sending', 'failed') ORDER BY send_at, id"
    ))
    .bind(person)
    .bind(chat)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(|r| r.scheduled().0).collect())
}

/// Cancels the person's waiting message (or forgets a failed one); whether there was one.
pub async fn cancel_scheduled(
    conn: &mut sqlx::AnyConnection,
    chat: ChatId,
    person: PersonId,
    id: &str,
) -> R<bool> {
    let done = sqlx::query(
        "UPDATE chat_scheduled SET state = 'cancelled' WHERE id = $1 AND chat_id = $2 \
         AND author_id = $3 AND state IN ('pending', 'failed')",
    )
    .bind(id.to_string())
    .bind(chat)
    .bind(person)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Waiting messages whose time has come, the oldest first, with their authors.
pub async fn due_scheduled(db: &Db, now: i64, limit: i64) -> R<Vec<(Scheduled, PersonId)>> {
    let rows: Vec<ScheduledRow> = sqlx::query_as(&format!(
        "SELECT {SCHEDULED_COLS} FROM chat_scheduled WHERE state = 'pending' AND send_at <= $1 \
         ORDER BY send_at, id LIMIT $2"
    ))
    .bind(now)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(ScheduledRow::scheduled).collect())
}

/// Takes a waiting message to send it; false when another server took it first.
pub async fn claim_scheduled(conn: &mut sqlx::AnyConnection, id: &str) -> R<bool> {
    let done = sqlx::query(
        "UPDATE chat_scheduled SET state = 'sending' WHERE id = $1 AND state = 'pending'",
    )
    .bind(id.to_string())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records a claimed message as sent (its place) or failed (why).
pub async fn finish_scheduled(
    conn: &mut sqlx::AnyConnection,
    id: &str,
    seq: Option<i64>,
    failure: Option<&str>,
) -> R<()> {
    sqlx::query("UPDATE chat_scheduled SET state = $2, sent_seq = $3, failure = $4 WHERE id = $1")
        .bind(id.to_string())
        .bind(if seq.is_some() { "sent" } else { "failed" })
        .bind(seq)
        .bind(failure.map(str::to_string))
        .execute(conn)
        .await?;
    Ok(())
}

/// When the next waiting message is due.
pub async fn next_due(db: &Db) -> R<Option<i64>> {
    let (at,): (Option<i64>,) =
        sqlx::query_as("SELECT MIN(send_at) FROM chat_scheduled WHERE state = 'pending'")
            .fetch_one(&db.pool)
            .await?;
    Ok(at)
}

/// Messages claimed before `before` and never finished (their server stopped mid-send):
/// failed, for their authors to check the chat and send again if need be.
pub async fn fail_stuck_scheduled(db: &Db, before: i64) -> R<u64> {
    let mut tx = db.begin_write().await?;
    let done = sqlx::query(
        "UPDATE chat_scheduled SET state = 'failed', failure = $2 WHERE state = 'sending' AND send_at < $1",
    )
    .bind(before)
    .bind("Отправка прервалась: проверьте чат и отправьте снова, если сообщения там нет.")
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}

// ---- retention ----

/// Chats of this kind with messages before `before` not deleted yet: (chat, deleted up
/// to, the last place to delete) — held back before the first message with a complaint
/// still open.
pub async fn expired(db: &Db, kind: ChatKind, before: i64) -> R<Vec<(ChatId, i64, i64)>> {
    let rows: Vec<(ChatId, i64, Option<i64>, Option<i64>)> = sqlx::query_as(
        "SELECT c.id, c.purged_seq, \
           (SELECT MAX(m.seq) FROM chat_messages m WHERE m.chat_id = c.id AND m.seq > c.purged_seq AND m.created_at < $2), \
           (SELECT MIN(k.seq) FROM chat_complaints k WHERE k.chat_id = c.id AND k.resolved_at IS NULL) \
         FROM chats c WHERE c.kind = $1",
    )
    .bind(kind.as_str())
    .bind(before)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(chat, purged, cut, open)| {
            let cut = match open {
                Some(o) => cut?.min(o - 1),
                None => cut?,
            };
            (cut > purged).then_some((chat, purged, cut))
        })
        .collect())
}

/// Deletes the chat's messages in (`from`, `to`] with what hangs on them — reactions,
/// votes, confirmations, earlier texts, settled complaints, files (their content goes
/// with the next sweep), the pin — and records how far the chat is deleted.
pub async fn purge(conn: &mut sqlx::AnyConnection, chat: ChatId, from: i64, to: i64) -> R<u64> {
    for table in [
        "chat_reactions",
        "chat_poll_votes",
        "chat_acks",
        "chat_message_history",
        "chat_files",
    ] {
        sqlx::query(&format!(
            "DELETE FROM {table} WHERE chat_id = $1 AND seq > $2 AND seq <= $3"
        ))
        .bind(chat)
        .bind(from)
        .bind(to)
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query(
        "DELETE FROM chat_complaints WHERE chat_id = $1 AND seq > $2 AND seq <= $3 AND resolved_at IS NOT NULL",
    )
    .bind(chat)
    .bind(from)
    .bind(to)
    .execute(&mut *conn)
    .await?;
    let done =
        sqlx::query("DELETE FROM chat_messages WHERE chat_id = $1 AND seq > $2 AND seq <= $3")
            .bind(chat)
            .bind(from)
            .bind(to)
            .execute(&mut *conn)
            .await?;
    sqlx::query(
        "UPDATE chats SET purged_seq = $2, \
           pinned_seq = CASE WHEN pinned_seq <= $2 THEN NULL ELSE pinned_seq END WHERE id = $1",
    )
    .bind(chat)
    .bind(to)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

/// Forgets scheduled messages sent, cancelled or failed before `before` (their texts).
pub async fn purge_scheduled(db: &Db, before: i64) -> R<u64> {
    let mut tx = db.begin_write().await?;
    let done = sqlx::query(
        "DELETE FROM chat_scheduled WHERE state IN ('sent', 'cancelled', 'failed') AND send_at < $1",
    )
    .bind(before)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}

/// The keys of the teachers' channels the person follows or owns.
pub async fn followed_channel_keys(db: &Db, person: PersonId) -> R<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT c.source_key FROM chats c WHERE c.owner_id = $1 AND c.kind = 'teacher_channel' \
         UNION SELECT c.source_key FROM chats c JOIN chat_subscriptions s ON s.chat_id = c.id \
           WHERE s.person_id = $1 AND c.kind = 'teacher_channel'",
    )
    .bind(person)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// The teachers' channels of these schools, with whether the person follows each.
pub async fn teacher_channels(
    db: &Db,
    orgs: &[OrganisationId],
    person: PersonId,
) -> R<Vec<(Chat, bool, i64)>> {
    if orgs.is_empty() {
        return Ok(Vec::new());
    }
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        chat: ChatRow,
        followed: i64,
        last_at: i64,
    }
    let sql = format!(
        "SELECT {CHAT_COLS}, last_at, (SELECT COUNT(*) FROM chat_subscriptions s WHERE s.chat_id = chats.id \
           AND s.person_id = $1) AS followed FROM chats \
         WHERE kind = 'teacher_channel' AND organisation_id IN ({}) ORDER BY title, id",
        // `$1` is named: numbered placeholders for the list too (one style a statement).
        parta_db::placeholders(2, orgs.len())
    );
    let mut q = sqlx::query_as::<_, Row>(&sql).bind(person);
    for o in orgs {
        q = q.bind(*o);
    }
    Ok(q.fetch_all(&db.pool)
        .await?
        .into_iter()
        .filter_map(|r| Some((chat_of(r.chat)?, r.followed > 0, r.last_at)))
        .collect())
}

/// The chats of these keys (made from the registry) with when their last message came.
pub async fn chats_with_last(db: &Db, keys: &[String]) -> R<Vec<(Chat, i64)>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        chat: ChatRow,
        last_at: i64,
    }
    let sql = format!(
        "SELECT {CHAT_COLS}, last_at FROM chats WHERE source_key IN ({}) ORDER BY title, id",
        db.placeholders(1, keys.len())
    );
    let mut q = sqlx::query_as::<_, Row>(&sql);
    for k in keys {
        q = q.bind(k.clone());
    }
    Ok(q.fetch_all(&db.pool)
        .await?
        .into_iter()
        .filter_map(|r| Some((chat_of(r.chat)?, r.last_at)))
        .collect())
}

/// A teacher's new channel; `false` when they have one in this school already.
pub async fn create_channel(
    conn: &mut sqlx::AnyConnection,
    org: OrganisationId,
    owner: PersonId,
    title: &str,
    description: &str,
    now: i64,
) -> R<Option<ChatId>> {
    let id = ChatId::new();
    let done = sqlx::query(
        "INSERT INTO chats (id, organisation_id, kind, source_key, title, description, owner_id, read_only, created_at) \
         VALUES ($1, $2, 'teacher_channel', $3, $4, $5, $6, 1, $7) ON CONFLICT (source_key) DO NOTHING",
    )
    .bind(id)
    .bind(org)
    .bind(teacher_channel_key(org, owner))
    .bind(title.to_string())
    .bind(description.to_string())
    .bind(owner)
    .bind(now)
    .execute(conn)
    .await?;
    Ok((done.rows_affected() > 0).then_some(id))
}

/// Follows a teacher's channel (`on`) or stops following it.
pub async fn subscribe(
    conn: &mut sqlx::AnyConnection,
    chat: ChatId,
    person: PersonId,
    on: bool,
    now: i64,
) -> R<()> {
    if on {
        sqlx::query(
            "INSERT INTO chat_subscriptions (chat_id, person_id, subscribed_at) VALUES ($1, $2, $3) \
             ON CONFLICT (chat_id, person_id) DO NOTHING",
        )
        .bind(chat)
        .bind(person)
        .bind(now)
        .execute(conn)
        .await?;
    } else {
        sqlx::query("DELETE FROM chat_subscriptions WHERE chat_id = $1 AND person_id = $2")
            .bind(chat)
            .bind(person)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// Everyone's read mark in the chat, with who (a post's views are counted from them).
pub async fn read_marks(db: &Db, chat: ChatId) -> R<Vec<(PersonId, i64)>> {
    sqlx::query_as(
        "SELECT person_id, read_seq FROM chat_members WHERE chat_id = $1 AND read_seq > 0",
    )
    .bind(chat)
    .fetch_all(&db.pool)
    .await
}

/// The comments (replies not deleted) of these posts.
pub async fn reply_counts(
    db: &Db,
    chat: ChatId,
    posts: &[i64],
) -> R<std::collections::HashMap<i64, i64>> {
    if posts.is_empty() {
        return Ok(Default::default());
    }
    let sql = format!(
        "SELECT reply_to, COUNT(*) FROM chat_messages WHERE chat_id = $1 AND deleted_at IS NULL \
         AND reply_to IN ({}) GROUP BY reply_to",
        parta_db::placeholders(2, posts.len())
    );
    let mut q = sqlx::query_as::<_, (i64, i64)>(&sql).bind(chat);
    for p in posts {
        q = q.bind(*p);
    }
    Ok(q.fetch_all(&db.pool).await?.into_iter().collect())
}

/// The keys of the communities the person is a member of.
pub async fn community_keys(db: &Db, person: PersonId) -> R<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT c.source_key FROM chats c JOIN community_members m ON m.chat_id = c.id \
         WHERE m.person_id = $1 AND m.state IN ('member', 'moderator')",
    )
    .bind(person)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// The communities a person founded (their limit).
pub async fn founded(db: &Db, person: PersonId) -> R<i64> {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM chats WHERE kind = 'community' AND owner_id = $1")
            .bind(person)
            .fetch_one(&db.pool)
            .await?;
    Ok(n)
}

/// A new community with its founder as its moderator.
pub async fn create_community(
    conn: &mut sqlx::AnyConnection,
    org: OrganisationId,
    founder: PersonId,
    new: (&str, &str, Reach, JoinMode),
    now: i64,
) -> R<ChatId> {
    let (title, description, reach, mode) = new;
    let id = ChatId::new();
    sqlx::query(
        "INSERT INTO chats (id, organisation_id, kind, source_key, title, description, owner_id, reach, join_mode, created_at) \
         VALUES ($1, $2, 'community', $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id)
    .bind(org)
    .bind(format!("community:{id}"))
    .bind(title.to_string())
    .bind(description.to_string())
    .bind(founder)
    .bind(reach.as_str())
    .bind(mode.as_str())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    set_standing(conn, id, founder, Standing::Moderator, founder, now).await?;
    Ok(id)
}

/// The person's standing in a community (none: outside).
pub async fn standing(db: &Db, chat: ChatId, person: PersonId) -> R<Standing> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT state FROM community_members WHERE chat_id = $1 AND person_id = $2")
            .bind(chat)
            .bind(person)
            .fetch_optional(&db.pool)
            .await?;
    Ok(row.map_or(Standing::Outside, |r| Standing::parse(&r.0)))
}

/// Sets the person's standing (outside: removes it).
pub async fn set_standing(
    conn: &mut sqlx::AnyConnection,
    chat: ChatId,
    person: PersonId,
    standing: Standing,
    by: PersonId,
    now: i64,
) -> R<()> {
    if standing == Standing::Outside {
        sqlx::query("DELETE FROM community_members WHERE chat_id = $1 AND person_id = $2")
            .bind(chat)
            .bind(person)
            .execute(conn)
            .await?;
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO community_members (chat_id, person_id, state, by_id, at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (chat_id, person_id) DO UPDATE SET state = excluded.state, by_id = excluded.by_id, at = excluded.at",
    )
    .bind(chat)
    .bind(person)
    .bind(standing.as_str())
    .bind(by)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Changes the person's standing from `from` only (none changed: it was no longer that).
pub async fn change_standing(
    conn: &mut sqlx::AnyConnection,
    chat: ChatId,
    person: PersonId,
    from: Standing,
    to: Standing,
    by: PersonId,
    now: i64,
) -> R<bool> {
    let done = match (from, to) {
        (Standing::Outside, _) => {
            sqlx::query(
                "INSERT INTO community_members (chat_id, person_id, state, by_id, at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (chat_id, person_id) DO NOTHING",
            )
            .bind(chat)
            .bind(person)
            .bind(to.as_str())
            .bind(by)
            .bind(now)
            .execute(conn)
            .await?
        }
        (_, Standing::Outside) => {
            sqlx::query(
                "DELETE FROM community_members WHERE chat_id = $1 AND person_id = $2 AND state = $3",
            )
            .bind(chat)
            .bind(person)
            .bind(from.as_str())
            .execute(conn)
            .await?
        }
        _ => {
            sqlx::query(
                "UPDATE community_members SET state = $3, by_id = $4, at = $5 \
                 WHERE chat_id = $1 AND person_id = $2 AND state = $6",
            )
            .bind(chat)
            .bind(person)
            .bind(to.as_str())
            .bind(by)
            .bind(now)
            .bind(from.as_str())
            .execute(conn)
            .await?
        }
    };
    Ok(done.rows_affected() > 0)
}

/// A community's people with their standing.
pub async fn community_people(db: &Db, chat: ChatId) -> R<Vec<(PersonId, Standing)>> {
    let rows: Vec<(PersonId, String)> = sqlx::query_as(
        "SELECT person_id, state FROM community_members WHERE chat_id = $1 ORDER BY at",
    )
    .bind(chat)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(p, s)| (p, Standing::parse(&s)))
        .collect())
}

/// People waiting in a community (requests and invitations).
pub async fn waiting(db: &Db, chat: ChatId) -> R<i64> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM community_members WHERE chat_id = $1 AND state IN ('requested', 'invited')",
    )
    .bind(chat)
    .fetch_one(&db.pool)
    .await?;
    Ok(n)
}

/// A community in the directory as read: the chat, its school's short name, its members,
/// the person's standing.
pub struct CommunityRow {
    pub chat: Chat,
    pub school: String,
    pub members: i64,
    pub standing: Standing,
}

/// The communities of these schools (reach `school`) and, for staff, those reaching these
/// municipalities or regions — with the person's standing.
pub async fn communities(
    db: &Db,
    person: PersonId,
    schools: &[OrganisationId],
    territory: Option<(&[String], &[String])>,
) -> R<Vec<CommunityRow>> {
    let mut filters = Vec::new();
    let mut at = 2;
    let list = |at: &mut usize, n: usize| {
        let l = parta_db::placeholders(*at, n);
        *at += n;
        l
    };
    if !schools.is_empty() {
        filters.push(format!(
            "(c.reach = 'school' AND c.organisation_id IN ({}))",
            list(&mut at, schools.len())
        ));
    }
    if let Some((muns, regions)) = territory {
        if !muns.is_empty() {
            filters.push(format!(
                "(c.reach = 'municipality' AND o.municipality_id IN ({}))",
                list(&mut at, muns.len())
            ));
        }
        if !regions.is_empty() {
            filters.push(format!(
                "(c.reach = 'region' AND mu.region_code IN ({}))",
                list(&mut at, regions.len())
            ));
        }
    }
    if filters.is_empty() {
        return Ok(Vec::new());
    }
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        chat: ChatRow,
        school: String,
        members: i64,
        state: Option<String>,
    }
    let sql = format!(
        "SELECT c.id, c.organisation_id, c.kind, c.class_id, c.group_id, c.title, c.read_only, c.last_seq, \
           c.pinned_seq, c.slow_seconds, c.purged_seq, c.owner_id, c.description, c.reach, c.join_mode, \
           o.short_name AS school, \
           (SELECT COUNT(*) FROM community_members x WHERE x.chat_id = c.id AND x.state IN ('member', 'moderator')) AS members, \
           (SELECT x.state FROM community_members x WHERE x.chat_id = c.id AND x.person_id = $1) AS state \
         FROM chats c JOIN organisations o ON o.id = c.organisation_id JOIN municipalities mu ON mu.id = o.municipality_id \
         WHERE c.kind = 'community' AND ({}) \
           AND (c.join_mode <> 'invite' OR EXISTS (SELECT 1 FROM community_members y WHERE y.chat_id = c.id AND y.person_id = $1)) \
         ORDER BY CASE WHEN EXISTS (SELECT 1 FROM community_members y WHERE y.chat_id = c.id AND y.person_id = $1) \
           THEN 0 ELSE 1 END, c.title, c.id LIMIT 500",
        filters.join(" OR ")
    );
    let mut q = sqlx::query_as::<_, Row>(&sql).bind(person);
    for s in schools {
        q = q.bind(*s);
    }
    if let Some((muns, regions)) = territory {
        for m in muns {
            q = q.bind(m.clone());
        }
        for r in regions {
            q = q.bind(r.clone());
        }
    }
    Ok(q.fetch_all(&db.pool)
        .await?
        .into_iter()
        .filter_map(|r| {
            Some(CommunityRow {
                chat: chat_of(r.chat)?,
                school: r.school,
                members: r.members,
                standing: r
                    .state
                    .as_deref()
                    .map_or(Standing::Outside, Standing::parse),
            })
        })
        .collect())
}

/// A new broadcast with its chat (comments on, a slow pace for a big audience).
pub async fn create_broadcast(
    conn: &mut sqlx::AnyConnection,
    org: OrganisationId,
    class: Option<ClassId>,
    organiser: PersonId,
    new: (&str, &str, i64, &str),
    now: i64,
) -> R<ChatId> {
    let (title, description, starts_at, stream) = new;
    let id = ChatId::new();
    sqlx::query(
        "INSERT INTO chats (id, organisation_id, kind, class_id, source_key, title, description, owner_id, slow_seconds, created_at) \
         VALUES ($1, $2, 'broadcast', $3, $4, $5, $6, $7, 10, $8)",
    )
    .bind(id)
    .bind(org)
    .bind(class)
    .bind(format!("broadcast:{id}"))
    .bind(title.to_string())
    .bind(description.to_string())
    .bind(organiser)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    sqlx::query("INSERT INTO chat_broadcasts (chat_id, starts_at, stream_url) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(starts_at)
        .bind(stream.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(id)
}

/// A broadcast's own row: when it starts, its stream, its recording, when it ended.
pub struct BroadcastRow {
    pub chat: Chat,
    pub starts_at: i64,
    pub stream_url: String,
    pub recording_url: Option<String>,
    pub ended_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct BroadcastJoin {
    #[sqlx(flatten)]
    chat: ChatRow,
    starts_at: i64,
    stream_url: String,
    recording_url: Option<String>,
    ended_at: Option<i64>,
}

fn broadcast_of(r: BroadcastJoin) -> Option<BroadcastRow> {
    Some(BroadcastRow {
        chat: chat_of(r.chat)?,
        starts_at: r.starts_at,
        stream_url: r.stream_url,
        recording_url: r.recording_url,
        ended_at: r.ended_at,
    })
}

const BROADCAST_COLS: &str = "c.id, c.organisation_id, c.kind, c.class_id, c.group_id, c.title, c.read_only, \
    c.last_seq, c.pinned_seq, c.slow_seconds, c.purged_seq, c.owner_id, c.description, c.reach, c.join_mode, \
    b.starts_at, b.stream_url, b.recording_url, b.ended_at";

/// One broadcast.
pub async fn broadcast(db: &Db, id: ChatId) -> R<Option<BroadcastRow>> {
    let row: Option<BroadcastJoin> = sqlx::query_as(&format!(
        "SELECT {BROADCAST_COLS} FROM chats c JOIN chat_broadcasts b ON b.chat_id = c.id WHERE c.id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.and_then(broadcast_of))
}

/// The broadcasts of these schools since `since` (milliseconds) — the schools' own and
/// those of these classes (all of them: `None`) — those not over first, the soonest
/// first, then those over, the latest first; at most 200.
pub async fn broadcasts(
    db: &Db,
    orgs: &[OrganisationId],
    classes: Option<&[ClassId]>,
    since: i64,
) -> R<Vec<BroadcastRow>> {
    if orgs.is_empty() {
        return Ok(Vec::new());
    }
    let of_classes = match classes {
        None => String::new(),
        Some([]) => " AND c.class_id IS NULL".to_string(),
        Some(list) => format!(
            " AND (c.class_id IS NULL OR c.class_id IN ({}))",
            parta_db::placeholders(2 + orgs.len(), list.len())
        ),
    };
    let sql = format!(
        "SELECT {BROADCAST_COLS} FROM chats c JOIN chat_broadcasts b ON b.chat_id = c.id \
         WHERE c.organisation_id IN ({}){of_classes} AND b.starts_at >= $1 \
         ORDER BY CASE WHEN b.ended_at IS NULL THEN 0 ELSE 1 END, \
           CASE WHEN b.ended_at IS NULL THEN b.starts_at ELSE -b.starts_at END, c.id LIMIT 200",
        parta_db::placeholders(2, orgs.len())
    );
    let mut q = sqlx::query_as::<_, BroadcastJoin>(&sql).bind(since);
    for o in orgs {
        q = q.bind(*o);
    }
    for c in classes.unwrap_or_default() {
        q = q.bind(*c);
    }
    Ok(q.fetch_all(&db.pool)
        .await?
        .into_iter()
        .filter_map(broadcast_of)
        .collect())
}

/// Ends a broadcast, with its recording's address (if given).
pub async fn end_broadcast(
    conn: &mut sqlx::AnyConnection,
    id: ChatId,
    recording: Option<&str>,
    now: i64,
) -> R<()> {
    sqlx::query(
        "UPDATE chat_broadcasts SET ended_at = COALESCE(ended_at, $2), recording_url = COALESCE($3, recording_url) \
         WHERE chat_id = $1",
    )
    .bind(id)
    .bind(now)
    .bind(recording.map(str::to_string))
    .execute(conn)
    .await?;
    Ok(())
}

/// The keys of the broadcasts the person organises.
pub async fn owned_broadcast_keys(db: &Db, person: PersonId) -> R<Vec<String>> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT source_key FROM chats WHERE kind = 'broadcast' AND owner_id = $1")
            .bind(person)
            .fetch_all(&db.pool)
            .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// The keys of the chats the person is in by name, in one read: their personal chats,
/// the teachers' channels they own or follow, the communities they are a member of.
pub async fn own_keys(db: &Db, person: PersonId) -> R<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT c.source_key FROM chats c JOIN chat_members m ON m.chat_id = c.id \
           WHERE m.person_id = $1 AND c.kind = 'personal' \
         UNION SELECT c.source_key FROM chats c WHERE c.owner_id = $1 AND c.kind = 'teacher_channel' \
         UNION SELECT c.source_key FROM chats c JOIN chat_subscriptions s ON s.chat_id = c.id \
           WHERE s.person_id = $1 AND c.kind = 'teacher_channel' \
         UNION SELECT c.source_key FROM chats c JOIN community_members m ON m.chat_id = c.id \
           WHERE m.person_id = $1 AND m.state IN ('member', 'moderator')",
    )
    .bind(person)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}
