//! Поиск по истории чатов: a tantivy index of the messages' texts in the data directory,
//! words reduced to their stems by the Russian Snowball stemmer (so «контрольную» finds
//! «контрольная»), «ё» read as «е», one typo forgiven when nothing matches exactly.
//!
//! The database stays the truth; the index is derived from it and may always be thrown
//! away. Committed messages, edits and deletions are fed to it by this node as they
//! happen; each index commit records how far it got (a watermark), and on start the
//! index catches up from the database from a little before that — so a crash or an
//! upgrade loses nothing, and an empty or unreadable index is rebuilt by itself (a school
//! has nobody to run a command). Each node keeps its own index (messages written by other
//! nodes reach it through the event bus once there is one).
//!
//! The index answers places (chat, seq) only, limited to the chats the policy lets the
//! caller read; the messages themselves are read back from the database, so a deleted one
//! never shows even while the index is a moment behind.

use crate::model::Message;
use parta_core::ids::ChatId;
use parta_core::Problem;
use parta_db::Db;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, FuzzyTermQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, FAST, STORED, STRING,
};
use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer,
};
use tantivy::{Index, IndexReader, IndexWriter, Order, ReloadPolicy, TantivyDocument, Term};
use tokio::sync::mpsc;

/// The index's layout; another number rebuilds it from the database.
const VERSION: u32 = 1;
/// Words of a query at most (a question, not a pasted text).
pub const MAX_QUERY_WORDS: usize = 8;
/// Chats one search looks through at most (a teacher's classes and personal chats fit).
pub const MAX_CHATS: usize = 1000;
/// How far back of the last watermark the catch-up reads (a message's id is taken a
/// moment before its transaction commits).
const CATCH_UP_MARGIN_MS: i64 = 30_000;
/// Fed changes are committed after this long without new ones…
const COMMIT_QUIET: Duration = Duration::from_millis(500);
/// …or at the latest after this long: a commit writes and syncs files, which under a
/// steady stream of messages would compete with the database's own syncs (what a search
/// sees lags by up to this).
const COMMIT_EVERY: Duration = Duration::from_secs(5);
/// Rows a catch-up reads at a time.
const CATCH_UP_PAGE: i64 = 5_000;

/// A change for the index.
#[derive(Debug)]
pub enum Change {
    /// A message's (new) text.
    Put {
        chat: ChatId,
        seq: i64,
        at: i64,
        text: String,
    },
    /// A deleted or hidden message.
    Remove { chat: ChatId, seq: i64 },
}

impl Change {
    pub fn of(m: &Message) -> Change {
        if m.deleted {
            Change::Remove {
                chat: m.chat_id,
                seq: m.seq,
            }
        } else {
            Change::Put {
                chat: m.chat_id,
                seq: m.seq,
                at: m.at,
                text: m.text.clone(),
            }
        }
    }
}

#[derive(Clone, Copy)]
struct Fields {
    /// "chat/seq": what a change of the message replaces (stored: a hit's place).
    key: Field,
    chat: Field,
    at: Field,
    body: Field,
}

/// Where the index got to: the system time of the newest change committed (message ids
/// are UUIDv7 by the system clock) and the platform's clock then (edits and deletions are
/// stamped by it).
#[derive(serde::Serialize, serde::Deserialize, Default, Clone, Copy)]
struct Watermark {
    v: u32,
    system_ms: i64,
    clock_ms: i64,
}

/// The chats' search index; cheap to clone.
#[derive(Clone)]
pub struct SearchIndex {
    inner: Arc<Inner>,
}

struct Inner {
    reader: IndexReader,
    fields: Fields,
    analyzer: TextAnalyzer,
    feed: mpsc::UnboundedSender<Change>,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let key = b.add_text_field("key", STRING | STORED);
    let chat = b.add_text_field("chat", STRING);
    let at = b.add_i64_field("at", FAST);
    let body = b.add_text_field(
        "body",
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("ru")
                .set_index_option(IndexRecordOption::WithFreqs),
        ),
    );
    (
        b.build(),
        Fields {
            key,
            chat,
            at,
            body,
        },
    )
}

/// Words as the index keeps them: split at what is not a letter or a digit, lowercase,
/// stems of Russian words (English words pass through the Russian stemmer unchanged).
fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(48))
        .filter(LowerCaser)
        .filter(Stemmer::new(Language::Russian))
        .build()
}

/// «ё» as «е» (people write both); the same length in UTF-8, so offsets hold.
fn fold(text: &str) -> String {
    text.replace('\u{451}', "\u{435}")
        .replace('\u{401}', "\u{415}")
}

fn key(chat: ChatId, seq: i64) -> String {
    format!("{chat}/{seq}")
}

fn system_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The smallest UUIDv7 of that millisecond, as text (ids compare as their time).
fn uuid_floor(ms: i64) -> String {
    let ms = ms.max(0) as u128 & 0xFFFF_FFFF_FFFF;
    uuid::Uuid::from_u128((ms << 80) | (0x7u128 << 76)).to_string()
}

fn open_dir(dir: &Path) -> tantivy::Result<(Index, Option<Watermark>)> {
    let (schema, _) = schema();
    std::fs::create_dir_all(dir)?;
    let mmap = tantivy::directory::MmapDirectory::open(dir)?;
    let index = Index::open_or_create(mmap, schema)?;
    let mark = index
        .load_metas()?
        .payload
        .and_then(|p| serde_json::from_str::<Watermark>(&p).ok())
        .filter(|w| w.v == VERSION);
    Ok((index, mark))
}

/// Opens the index in `dir` — a new one if there is none, or if it is of another layout or
/// unreadable (it is rebuilt from the database); kept in memory if the directory cannot
/// be written (search still works, rebuilt at each start). Starts its writer task, which
/// first catches up from the database.
pub fn open(dir: &Path, db: Db) -> Result<SearchIndex, Problem> {
    let (index, mark) = match open_dir(dir) {
        Ok((index, Some(mark))) => (index, Some(mark)),
        Ok((_, None)) | Err(_) => {
            // Another layout, unreadable, or new: start empty (and catch up fully).
            let _ = std::fs::remove_dir_all(dir);
            match open_dir(dir) {
                Ok((index, _)) => (index, None),
                Err(e) => {
                    tracing::error!(error = %e, dir = %dir.display(), "chat search index cannot be kept on disk; kept in memory");
                    (Index::create_in_ram(schema().0), None)
                }
            }
        }
    };
    let (_, fields) = schema();
    index.tokenizers().register("ru", analyzer());
    let reader = index
        .reader_builder()
        .reload_policy(ReloadPolicy::OnCommitWithDelay)
        .try_into()
        .map_err(|e| {
            tracing::error!(error = %e, "chat search index unreadable");
            Problem::internal()
        })?;
    let (feed, rx) = mpsc::unbounded_channel();
    tokio::spawn(run(index, mark, db, fields, rx));
    Ok(SearchIndex {
        inner: Arc::new(Inner {
            reader,
            fields,
            analyzer: analyzer(),
            feed,
        }),
    })
}

/// How often a failed catch-up is tried again.
const CATCH_UP_RETRY: Duration = Duration::from_secs(30);

/// The writer task: catches up from the database, then applies what is fed and commits
/// after a pause or every [`COMMIT_EVERY`]. Until a catch-up has succeeded, its commits keep the old
/// watermark (the next start reads the missed range again); it is retried meanwhile.
async fn run(
    index: Index,
    mark: Option<Watermark>,
    db: Db,
    fields: Fields,
    mut rx: mpsc::UnboundedReceiver<Change>,
) {
    let writer: IndexWriter = match index.writer_with_num_threads(1, 48_000_000) {
        Ok(w) => w,
        Err(e) => {
            tracing::error!(error = %e, "chat search index cannot be written; search stays as it is");
            return;
        }
    };
    let mut w = Some(writer);
    let mut kept = mark;
    let mut behind = true;
    let mut tried: Option<Instant> = None;
    let mut batch = Vec::with_capacity(1024);
    loop {
        if behind && tried.is_none_or(|t| t.elapsed() >= CATCH_UP_RETRY) {
            tried = Some(Instant::now());
            let started = Instant::now();
            match catch_up(&db, &mut w, fields, kept, |_| {}).await {
                Ok((n, now)) => {
                    behind = false;
                    kept = Some(now);
                    if n > 0 {
                        tracing::info!(
                            messages = n,
                            secs = started.elapsed().as_secs_f64(),
                            "chat search index caught up"
                        );
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "chat search index catch-up failed; tried again later")
                }
            }
        }
        let n = if behind {
            match tokio::time::timeout(CATCH_UP_RETRY, rx.recv_many(&mut batch, 4096)).await {
                Ok(n) => n,
                Err(_) => continue,
            }
        } else {
            rx.recv_many(&mut batch, 4096).await
        };
        if n == 0 {
            break;
        }
        let stamp = Watermark {
            v: VERSION,
            system_ms: system_ms(),
            clock_ms: parta_core::time::now_ms(),
        };
        // Whatever else comes meanwhile joins this commit: until a pause, or for at most
        // COMMIT_EVERY.
        let first = Instant::now();
        loop {
            tokio::time::sleep(COMMIT_QUIET).await;
            let before = batch.len();
            while let Ok(change) = rx.try_recv() {
                batch.push(change);
            }
            if batch.len() == before || first.elapsed() >= COMMIT_EVERY {
                break;
            }
            if batch.len() >= 8192 {
                // Apply as they come (the writer's memory is its own budget).
                let changes = std::mem::take(&mut batch);
                if let Err(e) = apply_all(&mut w, fields, changes, true).await {
                    tracing::error!(error = %e, "chat search index: changes not applied");
                }
            }
        }
        let changes = std::mem::take(&mut batch);
        if let Err(e) = apply_all(&mut w, fields, changes, true).await {
            tracing::error!(error = %e, "chat search index: changes not applied");
            continue;
        }
        let payload = if behind { kept } else { Some(stamp) };
        match commit(&mut w, payload).await {
            Ok(()) if !behind => kept = Some(stamp),
            Ok(()) => {}
            Err(e) => tracing::error!(error = %e, "chat search index commit failed"),
        }
    }
}

/// Applies the changes off the async threads (the writer blocks when its indexing queue
/// is full).
async fn apply_all(
    w: &mut Option<IndexWriter>,
    fields: Fields,
    changes: Vec<Change>,
    replace: bool,
) -> Result<(), String> {
    let Some(writer) = w.take() else {
        return Err("no writer".into());
    };
    let writer = tokio::task::spawn_blocking(move || {
        for change in changes {
            apply(&writer, fields, change, replace);
        }
        writer
    })
    .await
    .map_err(|e| e.to_string())?;
    *w = Some(writer);
    Ok(())
}

fn apply(writer: &IndexWriter, f: Fields, change: Change, replace: bool) {
    match change {
        Change::Put {
            chat,
            seq,
            at,
            text,
        } => {
            let k = key(chat, seq);
            if replace {
                writer.delete_term(Term::from_field_text(f.key, &k));
            }
            let mut doc = TantivyDocument::default();
            doc.add_text(f.key, &k);
            doc.add_text(f.chat, chat.to_string());
            doc.add_i64(f.at, at);
            doc.add_text(f.body, fold(&text));
            if let Err(e) = writer.add_document(doc) {
                tracing::error!(error = %e, "chat message not indexed");
            }
        }
        Change::Remove { chat, seq } => {
            writer.delete_term(Term::from_field_text(f.key, &key(chat, seq)));
        }
    }
}

/// Commits with the watermark, or none (a partial build: the next start builds anew). Off
/// the async threads: a commit writes files and syncs.
async fn commit(w: &mut Option<IndexWriter>, mark: Option<Watermark>) -> Result<(), String> {
    let Some(mut writer) = w.take() else {
        return Err("no writer".into());
    };
    let (writer, result) = tokio::task::spawn_blocking(move || {
        let payload = mark.and_then(|m| serde_json::to_string(&m).ok());
        let result = writer.prepare_commit().and_then(|mut c| {
            if let Some(p) = &payload {
                c.set_payload(p);
            }
            c.commit()
        });
        (writer, result)
    })
    .await
    .map_err(|e| e.to_string())?;
    *w = Some(writer);
    result.map(|_| ()).map_err(|e| e.to_string())
}

type Row = (String, ChatId, i64, String, i64, Option<i64>);

/// Feeds the writer what the database has and the index may not: messages from a little
/// before the watermark on (all of them without one), and edits and deletions since it.
/// `progress` hears the number done so far. Commits as it goes — with the old watermark
/// until the end, so that a catch-up cut short is done again — and answers how many rows
/// it read and the watermark it committed at the end.
async fn catch_up(
    db: &Db,
    w: &mut Option<IndexWriter>,
    fields: Fields,
    mark: Option<Watermark>,
    mut progress: impl FnMut(u64),
) -> Result<(u64, Watermark), String> {
    let err = |e: sqlx::Error| e.to_string();
    let now = Watermark {
        v: VERSION,
        system_ms: system_ms(),
        clock_ms: parta_core::time::now_ms(),
    };
    // Without a watermark the index is empty: nothing to replace.
    let replace = mark.is_some();
    let mut from = match mark {
        Some(m) => uuid_floor(m.system_ms - CATCH_UP_MARGIN_MS),
        None => String::new(),
    };
    let mut done = 0u64;
    loop {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, chat_id, seq, body, created_at, deleted_at FROM chat_messages \
             WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(&from)
        .bind(CATCH_UP_PAGE)
        .fetch_all(&db.pool)
        .await
        .map_err(err)?;
        let Some(last) = rows.last() else { break };
        from = last.0.clone();
        let n = rows.len() as i64;
        let changes: Vec<Change> = rows
            .into_iter()
            .filter_map(|(_, chat, seq, body, at, deleted)| match deleted {
                None => Some(Change::Put {
                    chat,
                    seq,
                    at,
                    text: body,
                }),
                Some(_) if replace => Some(Change::Remove { chat, seq }),
                Some(_) => None,
            })
            .collect();
        apply_all(w, fields, changes, replace).await?;
        done += n as u64;
        progress(done);
        if done % 200_000 < n as u64 {
            commit(w, mark).await?;
        }
        if n < CATCH_UP_PAGE {
            break;
        }
    }
    if let Some(m) = mark {
        // Edits and deletions of older messages since the watermark.
        let since = m.clock_ms - CATCH_UP_MARGIN_MS;
        for column in ["edited_at", "deleted_at"] {
            let rows: Vec<Row> = sqlx::query_as(&format!(
                "SELECT id, chat_id, seq, body, created_at, deleted_at FROM chat_messages \
                 WHERE {column} >= $1"
            ))
            .bind(since)
            .fetch_all(&db.pool)
            .await
            .map_err(err)?;
            done += rows.len() as u64;
            let changes = rows
                .into_iter()
                .map(|(_, chat, seq, body, at, deleted)| match deleted {
                    Some(_) => Change::Remove { chat, seq },
                    None => Change::Put {
                        chat,
                        seq,
                        at,
                        text: body,
                    },
                })
                .collect();
            apply_all(w, fields, changes, true).await?;
        }
    }
    commit(w, Some(now)).await?;
    Ok((done, now))
}

/// Rebuilds the index in `dir` from the database (`parta reindex`): the old one is thrown
/// away first. `progress` hears the messages done so far.
pub async fn rebuild(dir: &Path, db: &Db, progress: impl FnMut(u64)) -> Result<u64, String> {
    if let Ok((old, _)) = open_dir(dir) {
        // A running server holds the writer's lock.
        let w: tantivy::Result<IndexWriter> = old.writer_with_num_threads(1, 15_000_000);
        if let Err(tantivy::TantivyError::LockFailure(..)) = w {
            return Err("индекс занят запущенным сервером: остановите его".into());
        }
    }
    let _ = std::fs::remove_dir_all(dir);
    let (index, _) = open_dir(dir).map_err(|e| e.to_string())?;
    index.tokenizers().register("ru", analyzer());
    let (_, fields) = schema();
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(4);
    let writer: IndexWriter = index
        .writer_with_num_threads(threads, 64_000_000 * threads)
        .map_err(|e| e.to_string())?;
    let mut w = Some(writer);
    let (n, _) = catch_up(db, &mut w, fields, None, progress).await?;
    if let Some(writer) = w {
        tokio::task::spawn_blocking(move || writer.wait_merging_threads())
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
    }
    Ok(n)
}

/// The index's directory under the data directory.
pub fn dir_in(data_dir: &Path) -> PathBuf {
    data_dir.join("index").join("chats")
}

impl SearchIndex {
    /// Hands a change to the writer (committed within [`COMMIT_EVERY`]).
    pub fn feed(&self, change: Change) {
        let _ = self.inner.feed.send(change);
    }

    /// The stems of the text's words, in order.
    fn stems(&self, text: &str) -> Vec<String> {
        let mut a = self.inner.analyzer.clone();
        let text = fold(text);
        let mut stream = a.token_stream(&text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().text.clone());
        }
        out
    }

    /// The query's words as the index keeps them (at most [`MAX_QUERY_WORDS`]); an error
    /// naming the field when there is nothing to look for.
    pub fn words(&self, q: &str) -> Result<Vec<String>, Problem> {
        let mut words = self.stems(q);
        let mut seen = HashSet::new();
        words.retain(|w| seen.insert(w.clone()));
        // «в», «и», «с» among other words: every message has them or none needs them.
        if words.iter().any(|w| w.chars().count() > 1) {
            words.retain(|w| w.chars().count() > 1);
        }
        if words.is_empty() {
            return Err(Problem::invalid("q", "Введите слово для поиска."));
        }
        if words.len() > MAX_QUERY_WORDS {
            return Err(Problem::invalid(
                "q",
                "Слишком много слов: ищите не больше чем по восьми.",
            ));
        }
        Ok(words)
    }

    /// Places (chat, seq) of the messages of `chats` that have every word (in any form),
    /// the newest first; `offset` skips that many. With no exact match, one typo a word
    /// is forgiven.
    pub async fn search(
        &self,
        chats: &[ChatId],
        words: Vec<String>,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<(ChatId, i64)>, Problem> {
        if chats.is_empty() {
            return Ok(Vec::new());
        }
        let inner = self.inner.clone();
        let chats: Vec<ChatId> = chats.iter().take(MAX_CHATS).copied().collect();
        tokio::task::spawn_blocking(move || {
            let exact = inner.find(&chats, &words, false, offset, limit)?;
            // A later page of exact results that ran out stays empty; a search with no
            // exact result at all pages through the forgiving one.
            if !exact.is_empty()
                || (offset > 0 && !inner.find(&chats, &words, false, 0, 1)?.is_empty())
            {
                return Ok(exact);
            }
            inner.find(&chats, &words, true, offset, limit)
        })
        .await
        .map_err(|_| Problem::internal())?
    }

    /// The text cut into parts, those whose words are among `words` marked (for
    /// highlighting the found words).
    pub fn marks(&self, text: &str, words: &[String]) -> Vec<(String, bool)> {
        let mut a = self.inner.analyzer.clone();
        let folded = fold(text);
        let mut stream = a.token_stream(&folded);
        let mut parts = Vec::new();
        let mut at = 0;
        while stream.advance() {
            let t = stream.token();
            if words.contains(&t.text) && t.offset_from >= at {
                if let (Some(before), Some(word)) = (
                    text.get(at..t.offset_from),
                    text.get(t.offset_from..t.offset_to),
                ) {
                    if !before.is_empty() {
                        parts.push((before.to_string(), false));
                    }
                    parts.push((word.to_string(), true));
                    at = t.offset_to;
                }
            }
        }
        if let Some(rest) = text.get(at..) {
            if !rest.is_empty() {
                parts.push((rest.to_string(), false));
            }
        }
        parts
    }

    /// Documents in the index (for the operators' figures and the benchmark).
    pub fn len(&self) -> u64 {
        self.inner.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Inner {
    fn find(
        &self,
        chats: &[ChatId],
        words: &[String],
        fuzzy: bool,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<(ChatId, i64)>, Problem> {
        let f = self.fields;
        let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for w in words {
            let term = Term::from_field_text(f.body, w);
            let q: Box<dyn Query> = if fuzzy && w.chars().count() >= 4 {
                Box::new(FuzzyTermQuery::new(term, 1, true))
            } else {
                Box::new(TermQuery::new(term, IndexRecordOption::Basic))
            };
            must.push((Occur::Must, q));
        }
        let of_chats: Vec<(Occur, Box<dyn Query>)> = chats
            .iter()
            .map(|c| {
                let q: Box<dyn Query> = Box::new(TermQuery::new(
                    Term::from_field_text(f.chat, &c.to_string()),
                    IndexRecordOption::Basic,
                ));
                (Occur::Should, q)
            })
            .collect();
        must.push((Occur::Must, Box::new(BooleanQuery::new(of_chats))));
        let query = BooleanQuery::new(must);
        let searcher = self.reader.searcher();
        let top = TopDocs::with_limit(limit.max(1))
            .and_offset(offset)
            .order_by_fast_field::<i64>("at", Order::Desc);
        let hits = searcher.search(&query, &top).map_err(|e| {
            tracing::error!(error = %e, "chat search failed");
            Problem::internal()
        })?;
        let mut out = Vec::with_capacity(hits.len());
        for (_, addr) in hits {
            let doc: TantivyDocument = searcher.doc(addr).map_err(|e| {
                tracing::error!(error = %e, "chat search hit unreadable");
                Problem::internal()
            })?;
            let place = doc
                .get_first(f.key)
                .and_then(|v| v.as_str())
                .and_then(|k| k.split_once('/'))
                .and_then(|(c, s)| Some((c.parse().ok()?, s.parse().ok()?)));
            if let Some(p) = place {
                out.push(p);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_forms_share_a_stem() {
        let mut a = analyzer();
        let mut stem = |w: &str| {
            let w = fold(w);
            let mut s = a.token_stream(&w);
            let mut out = Vec::new();
            while s.advance() {
                out.push(s.token().text.clone());
            }
            out
        };
        assert_eq!(stem("контрольная"), stem("контрольную"));
        assert_eq!(stem("Собрание"), stem("собрания"));
        assert_eq!(stem("ёлка"), stem("елки"));
        assert_eq!(stem("экскурсия в театр"), stem("экскурсии в театра"));
    }

    #[test]
    fn floors_order_as_ids() {
        let id = uuid::Uuid::now_v7().to_string();
        let ms = system_ms();
        assert!(uuid_floor(ms - 1000) < id);
        assert!(uuid_floor(ms + 1000) > id);
    }
}
