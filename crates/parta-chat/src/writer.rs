//! Messages and read marks are written by one task in batches (group commit): a sender
//! waits until its message (a reader until their read mark) is committed, and what came
//! while the previous batch was being written shares the next transaction — one commit
//! (one `fsync`) for many, places taken in the order messages came, published to the
//! listeners in that order once committed.

use crate::live::Hub;
use crate::model::Message;
use crate::store;
use parta_core::ids::{ChatId, PersonId};
use parta_core::Problem;
use parta_db::Db;
use tokio::sync::{mpsc, oneshot};

/// Messages in one transaction at most.
const MAX_BATCH: usize = 256;

// A job is moved once, through the channel, to the writer: its size costs nothing.
#[allow(clippy::large_enum_variant)]
enum Job {
    Message {
        /// The message without its place (`seq` 0).
        message: Message,
        /// Whether its author's read mark moves to it (not a channel's comment: the
        /// posts between stay unread for them).
        mark: bool,
        /// An urgent announcement's members to notify (the event goes with the message).
        announce: Vec<PersonId>,
        done: oneshot::Sender<Result<Option<Message>, Problem>>,
    },
    Read {
        chat: ChatId,
        person: PersonId,
        seq: i64,
        at: i64,
        done: oneshot::Sender<Result<Option<Message>, Problem>>,
    },
}

impl Job {
    fn has_files(&self) -> bool {
        matches!(self, Job::Message { message, .. } if !message.files.is_empty())
    }

    fn done(self) -> oneshot::Sender<Result<Option<Message>, Problem>> {
        match self {
            Job::Message { done, .. } | Job::Read { done, .. } => done,
        }
    }
}

/// Handle to the writer; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer task on the current runtime.
    pub fn start(db: Db, hub: Hub) -> Writer {
        let (tx, rx) = mpsc::channel(4096);
        tokio::spawn(run(db, hub, rx));
        Writer { tx }
    }

    /// Writes the message as its chat's next place; answers it with its place once it is
    /// committed (and handed to the chat's listeners).
    ///
    /// `announce`: the members to tell of an urgent announcement — its event
    /// ([`crate::events::ANNOUNCED`]) is written in the message's transaction.
    pub async fn append(
        &self,
        message: Message,
        mark: bool,
        announce: Vec<PersonId>,
    ) -> Result<Message, Problem> {
        let (done, wait) = oneshot::channel();
        self.send(Job::Message {
            message,
            mark,
            announce,
            done,
        })
        .await?;
        wait.await
            .unwrap_or_else(|_| Err(Problem::internal()))?
            .ok_or_else(Problem::internal)
    }

    /// Moves a person's read mark forward (never back); answers once it is committed.
    pub async fn mark_read(
        &self,
        chat: ChatId,
        person: PersonId,
        seq: i64,
        at: i64,
    ) -> Result<(), Problem> {
        let (done, wait) = oneshot::channel();
        self.send(Job::Read {
            chat,
            person,
            seq,
            at,
            done,
        })
        .await?;
        wait.await
            .unwrap_or_else(|_| Err(Problem::internal()))
            .map(|_| ())
    }

    async fn send(&self, job: Job) -> Result<(), Problem> {
        self.tx.send(job).await.map_err(|_| {
            tracing::error!("chat writer is gone");
            Problem::internal()
        })
    }
}

async fn run(db: Db, hub: Hub, mut rx: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let jobs = std::mem::take(&mut batch);
        match write(&db, &jobs).await {
            Ok(seqs) => finish(&hub, jobs, seqs),
            Err(e) => {
                // One bad job must not sink the others: each alone.
                tracing::warn!(error = %e, n = jobs.len(), "chat batch failed; writing one by one");
                for job in jobs {
                    let one = [job];
                    match write(&db, &one).await {
                        Ok(seqs) => finish(&hub, Vec::from(one), seqs),
                        Err(sqlx::Error::RowNotFound) if one[0].has_files() => {
                            let [job] = one;
                            let _ = job.done().send(Err(Problem::invalid(
                                "files",
                                "Файл уже отправлен: загрузите его снова.",
                            )));
                        }
                        Err(e) => {
                            tracing::error!(error = %e, "chat message or read mark not written");
                            let [job] = one;
                            let _ = job.done().send(Err(Problem::internal()));
                        }
                    }
                }
            }
        }
    }
}

/// Writes the jobs in one transaction; each message's place (0 for a read mark).
async fn write(db: &Db, jobs: &[Job]) -> Result<Vec<i64>, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let mut seqs = Vec::with_capacity(jobs.len());
    // Activity figures of the batch: messages per (week, chat) and per (week, chat, author).
    let mut per_chat: std::collections::BTreeMap<(String, ChatId), i64> = Default::default();
    let mut per_author: std::collections::BTreeMap<(String, ChatId, PersonId), i64> =
        Default::default();
    for job in jobs {
        match job {
            Job::Message {
                message: m,
                mark,
                announce,
                ..
            } => {
                let json = |v: Result<String, serde_json::Error>| {
                    v.map_err(|e| sqlx::Error::Encode(Box::new(e)))
                };
                let poll = match &m.poll {
                    Some(p) => Some(json(serde_json::to_string(p))?),
                    None => None,
                };
                let files = match m.files.is_empty() {
                    true => None,
                    false => Some(json(serde_json::to_string(&m.files))?),
                };
                let seq = store::append(
                    &mut tx,
                    &store::Appended {
                        chat: m.chat_id,
                        author: m.author_id,
                        text: &m.text,
                        reply_to: m.reply_to,
                        urgent: m.urgent,
                        poll: poll.as_deref(),
                        files: files.as_deref(),
                        at: m.at,
                    },
                )
                .await?;
                if !m.files.is_empty() {
                    let ids: Vec<&str> = m.files.iter().map(|f| f.id.as_str()).collect();
                    store::attach_files(&mut tx, m.chat_id, m.author_id, seq, &ids).await?;
                }
                if *mark {
                    store::mark_read(&mut tx, m.chat_id, m.author_id, seq, m.at).await?;
                }
                if !announce.is_empty() {
                    let fact = crate::events::Announced {
                        chat_id: m.chat_id,
                        seq,
                        author: m.author.clone(),
                        text: m.text.chars().take(crate::events::EXCERPT_CHARS).collect(),
                        to: announce.clone(),
                    };
                    let payload = serde_json::to_value(&fact)
                        .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
                    parta_db::outbox::Outbox::push_in(&mut tx, crate::events::ANNOUNCED, &payload)
                        .await?;
                }
                let week = parta_core::time::monday_of_ms(m.at).to_string();
                *per_chat.entry((week.clone(), m.chat_id)).or_default() += 1;
                *per_author
                    .entry((week, m.chat_id, m.author_id))
                    .or_default() += 1;
                seqs.push(seq);
            }
            Job::Read {
                chat,
                person,
                seq,
                at,
                ..
            } => {
                store::mark_read(&mut tx, *chat, *person, *seq, *at).await?;
                seqs.push(0);
            }
        }
    }
    store::count_activity(db, &mut tx, &per_chat, &per_author).await?;
    tx.commit().await?;
    Ok(seqs)
}

/// Publishes the committed messages in their order and answers their senders.
fn finish(hub: &Hub, jobs: Vec<Job>, seqs: Vec<i64>) {
    for (job, seq) in jobs.into_iter().zip(seqs) {
        match job {
            Job::Message { message, done, .. } => {
                let message = Message { seq, ..message };
                hub.publish(message.clone());
                let _ = done.send(Ok(Some(message)));
            }
            Job::Read { done, .. } => {
                let _ = done.send(Ok(None));
            }
        }
    }
}
