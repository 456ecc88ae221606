//! SQL of the chats: `chats`, `chat_members`, `chat_messages` (this domain's own tables).

use crate::model::*;
use parta_core::ids::{ChatId, ClassId, OrganisationId, PersonId};
use parta_db::Db;

type R<T> = Result<T, sqlx::Error>;

type ChatRow = (
    ChatId,
    OrganisationId,
    String,
    Option<ClassId>,
    String,
    i64,
    i64,
);

fn chat_of(r: ChatRow) -> Option<Chat> {
    Some(Chat {
        id: r.0,
        organisation_id: r.1,
        kind: ChatKind::parse(&r.2)?,
        class_id: r.3,
        title: r.4,
        read_only: r.5 != 0,
        last_seq: r.6,
    })
}

const CHAT_COLS: &str = "id, organisation_id, kind, class_id, title, read_only, last_seq";

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
    kind: ChatKind,
    org: OrganisationId,
    class: Option<ClassId>,
    title: &str,
    now: i64,
) -> R<()> {
    let key = kind.source_key(org, class);
    sqlx::query(
        "INSERT INTO chats (id, organisation_id, kind, class_id, source_key, title, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (source_key) DO NOTHING",
    )
    .bind(ChatId::new())
    .bind(org)
    .bind(kind.as_str())
    .bind(class)
    .bind(key)
    .bind(title.to_string())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The chats of these keys with the person's read position and the last message.
pub async fn summaries(
    db: &Db,
    person: PersonId,
    keys: &[String],
) -> R<Vec<(Chat, i64, i64, Option<String>, Option<PersonId>)>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT c.id, c.organisation_id, c.kind, c.class_id, c.title, c.read_only, c.last_seq, c.last_at, \
         COALESCE(m.read_seq, 0), l.body, l.author_id \
         FROM chats c LEFT JOIN chat_members m ON m.chat_id = c.id AND m.person_id = {} \
         LEFT JOIN chat_messages l ON l.chat_id = c.id AND l.seq = c.last_seq \
         WHERE c.source_key IN ({}) ORDER BY c.last_at DESC, c.title",
        // One style in one statement: SQLite's `?` are counted apart from `$n`.
        db.placeholders(1, 1),
        db.placeholders(2, keys.len())
    );
    type Row = (
        ChatId,
        OrganisationId,
        String,
        Option<ClassId>,
        String,
        i64,
        i64,
        i64,
        i64,
        Option<String>,
        Option<PersonId>,
    );
    let mut q = sqlx::query_as::<_, Row>(&sql).bind(person);
    for k in keys {
        q = q.bind(k.clone());
    }
    Ok(q.fetch_all(&db.pool)
        .await?
        .into_iter()
        .filter_map(|r| {
            let chat = chat_of((r.0, r.1, r.2, r.3, r.4, r.5, r.6))?;
            Some((chat, r.7, r.8, r.9, r.10))
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

type MessageRow = (ChatId, i64, PersonId, String, Option<i64>, i64);

/// Messages with `seq` in (after, before), the newest `limit` of them, oldest first.
pub async fn messages(
    db: &Db,
    chat: ChatId,
    after: i64,
    before: i64,
    limit: i64,
) -> R<Vec<MessageRow>> {
    let mut rows: Vec<MessageRow> = sqlx::query_as(
        "SELECT chat_id, seq, author_id, body, reply_to, created_at FROM chat_messages \
         WHERE chat_id = $1 AND seq > $2 AND seq < $3 ORDER BY seq DESC LIMIT $4",
    )
    .bind(chat)
    .bind(after)
    .bind(before)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    rows.reverse();
    Ok(rows)
}

/// Messages after `after`, oldest first (a client catching up).
pub async fn messages_after(db: &Db, chat: ChatId, after: i64, limit: i64) -> R<Vec<MessageRow>> {
    sqlx::query_as(
        "SELECT chat_id, seq, author_id, body, reply_to, created_at FROM chat_messages \
         WHERE chat_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
    )
    .bind(chat)
    .bind(after)
    .bind(limit)
    .fetch_all(&db.pool)
    .await
}

/// Appends a message: the chat's next place, taken in the write transaction.
pub async fn append(
    conn: &mut sqlx::AnyConnection,
    chat: ChatId,
    author: PersonId,
    text: &str,
    reply_to: Option<i64>,
    now: i64,
) -> R<i64> {
    sqlx::query("UPDATE chats SET last_seq = last_seq + 1, last_at = $2 WHERE id = $1")
        .bind(chat)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    let (seq,): (i64,) = sqlx::query_as("SELECT last_seq FROM chats WHERE id = $1")
        .bind(chat)
        .fetch_one(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO chat_messages (chat_id, seq, id, author_id, body, reply_to, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(chat)
    .bind(seq)
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(author)
    .bind(text.to_string())
    .bind(reply_to)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(seq)
}

/// Whether the person is a member by name (a personal chat).
pub async fn is_member(db: &Db, chat: ChatId, person: PersonId) -> R<bool> {
    Ok(read_seq(db, chat, person).await?.is_some())
}

/// The keys of the person's personal chats.
pub async fn personal_keys(db: &Db, person: PersonId) -> R<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT c.source_key FROM chats c JOIN chat_members m ON m.chat_id = c.id \
         WHERE m.person_id = $1 AND c.kind = 'personal'",
    )
    .bind(person)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
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
