//! Live delivery in this process: each chat with listeners has a broadcast channel; a new
//! message is handed to it after its transaction commits, already written as the frame
//! every listener sends (serialised once, whatever the number of sockets). A listener
//! that falls behind (or reconnects) catches up from the database by `seq` ([`Follower`]),
//! so nothing is lost or doubled.

use crate::model::{Message, RATE_MESSAGES, RATE_WINDOW_SECS};
use crate::Chats;
use axum::extract::ws::Utf8Bytes;
use parta_core::ids::{ChatId, PersonId};
use parta_core::principal::Principal;
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::broadcast;

/// Messages a slow listener may be behind before it catches up from the database.
const BUFFER: usize = 256;

/// What goes out to a chat's listeners.
#[derive(Debug)]
pub struct Published {
    /// A new message (kept, with its place); `None`: a passing signal — a change of a
    /// message, someone typing.
    pub message: Option<Message>,
    /// The frame as the socket sends it: `{"type":"message",…}`, `{"type":"update",…}`
    /// or `{"type":"typing",…}`.
    pub frame: Utf8Bytes,
}

#[derive(Serialize)]
struct MessageFrame<'a> {
    r#type: &'static str,
    #[serde(flatten)]
    message: &'a Message,
}

#[derive(Serialize)]
struct TypingFrame<'a> {
    r#type: &'static str,
    chat_id: ChatId,
    person_id: PersonId,
    name: &'a str,
}

impl Published {
    pub fn message(message: Message) -> Arc<Published> {
        let frame = serde_json::to_string(&MessageFrame {
            r#type: "message",
            message: &message,
        })
        .unwrap_or_default();
        Arc::new(Published {
            message: Some(message),
            frame: frame.into(),
        })
    }

    /// A message changed (edited, deleted): passed on as a signal — a client that missed
    /// it sees the change when it next reads the history.
    fn update(message: &Message) -> Arc<Published> {
        let frame = serde_json::to_string(&MessageFrame {
            r#type: "update",
            message,
        })
        .unwrap_or_default();
        Arc::new(Published {
            message: None,
            frame: frame.into(),
        })
    }

    fn typing(chat: ChatId, person: PersonId, name: &str) -> Arc<Published> {
        let frame = serde_json::to_string(&TypingFrame {
            r#type: "typing",
            chat_id: chat,
            person_id: person,
            name,
        })
        .unwrap_or_default();
        Arc::new(Published {
            message: None,
            frame: frame.into(),
        })
    }

    pub fn seq(&self) -> Option<i64> {
        self.message.as_ref().map(|m| m.seq)
    }
}

#[derive(Clone, Default)]
pub struct Hub {
    chats: Arc<Mutex<HashMap<ChatId, broadcast::Sender<Arc<Published>>>>>,
    sent: Arc<Mutex<HashMap<PersonId, VecDeque<Instant>>>>,
    /// Slow mode: when each person last wrote in each slow chat.
    slow: Arc<Mutex<HashMap<(ChatId, PersonId), Instant>>>,
}

impl Hub {
    /// Listens to a chat's new messages.
    pub fn subscribe(&self, chat: ChatId) -> broadcast::Receiver<Arc<Published>> {
        let mut chats = self.chats.lock().unwrap_or_else(|e| e.into_inner());
        // Chats nobody listens to any more are let go now and then.
        if chats.len() >= 1024 && chats.len().is_power_of_two() {
            chats.retain(|_, tx| tx.receiver_count() > 0);
        }
        chats
            .entry(chat)
            .or_insert_with(|| broadcast::channel(BUFFER).0)
            .subscribe()
    }

    /// Hands a committed message to the chat's listeners (none: nothing to do).
    pub fn publish(&self, message: Message) {
        let chat = message.chat_id;
        self.send(chat, || Published::message(message));
    }

    /// Tells the chat's listeners that a message changed.
    pub fn update(&self, message: Message) {
        let chat = message.chat_id;
        self.send(chat, || Published::update(&message));
    }

    /// Tells the chat's listeners that someone is typing (not kept anywhere).
    pub fn typing(&self, chat: ChatId, person: PersonId, name: &str) {
        self.send(chat, || Published::typing(chat, person, name));
    }

    fn send(&self, chat: ChatId, make: impl FnOnce() -> Arc<Published>) {
        let mut chats = self.chats.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(tx) = chats.get(&chat) {
            if tx.send(make()).is_err() {
                // Nobody listens any more.
                chats.remove(&chat);
            }
        }
    }

    /// How many follow the chat live on this server now (a broadcast's viewers).
    pub fn listeners(&self, chat: ChatId) -> usize {
        let chats = self.chats.lock().unwrap_or_else(|e| e.into_inner());
        chats.get(&chat).map_or(0, |tx| tx.receiver_count())
    }

    /// Counts an open socket while the guard lives (`chat_sockets_open` on `/metrics`).
    pub fn opened(&self) -> OpenGuard {
        metrics::gauge!("chat_sockets_open").increment(1.0);
        OpenGuard
    }

    /// Whether the person may send one more message now (at most [`RATE_MESSAGES`] in
    /// [`RATE_WINDOW_SECS`]); when not, how long to wait.
    pub fn admit(&self, person: PersonId) -> Result<(), Duration> {
        let window = Duration::from_secs(RATE_WINDOW_SECS);
        let now = Instant::now();
        let mut sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
        if sent.len() > 100_000 {
            sent.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < window));
        }
        let q = sent.entry(person).or_default();
        while q.front().is_some_and(|t| now.duration_since(*t) >= window) {
            q.pop_front();
        }
        if q.len() >= RATE_MESSAGES {
            let oldest = q.front().copied().unwrap_or(now);
            return Err(window.saturating_sub(now.duration_since(oldest)));
        }
        q.push_back(now);
        Ok(())
    }
}

impl Hub {
    /// Slow mode: whether the person may write in the chat again now (once in `every`);
    /// when not, how long to wait. Kept by this node (a cluster's nodes each keep their
    /// own: a member spread over two nodes could write twice as often).
    pub fn admit_slow(
        &self,
        chat: ChatId,
        person: PersonId,
        every: Duration,
    ) -> Result<(), Duration> {
        let now = Instant::now();
        let mut slow = self.slow.lock().unwrap_or_else(|e| e.into_inner());
        if slow.len() > 100_000 {
            // The longest slow mode is five minutes.
            slow.retain(|_, t| now.duration_since(*t) < Duration::from_secs(300));
        }
        if let Some(last) = slow.get(&(chat, person)) {
            let since = now.duration_since(*last);
            if since < every {
                return Err(every - since);
            }
        }
        slow.insert((chat, person), now);
        Ok(())
    }
}

/// Keeps a socket counted as open.
pub struct OpenGuard;

impl Drop for OpenGuard {
    fn drop(&mut self) {
        metrics::gauge!("chat_sockets_open").decrement(1.0);
    }
}

/// One listener of one chat: what it has passed on (`sent`), and the way back to the
/// database when the live channel cannot be trusted to be complete — a long absence, a
/// lag behind the channel, or two messages published out of their order.
pub struct Follower {
    chats: Chats,
    principal: Principal,
    chat: ChatId,
    /// The last seq passed on (`i64::MAX` until the first live one: a client that asked
    /// for no history gets only what is new).
    sent: i64,
    behind: bool,
    queue: VecDeque<Arc<Published>>,
    rx: broadcast::Receiver<Arc<Published>>,
}

impl Follower {
    /// Listens to the chat from after `after` (`None`: only what is new). The caller has
    /// been allowed to read it.
    pub async fn start(
        chats: &Chats,
        principal: Principal,
        chat: ChatId,
        after: Option<i64>,
    ) -> Result<Follower, parta_core::Problem> {
        // Listening first, then catching up: a message sent in between comes by either
        // way and is passed on once (by its seq).
        let rx = chats.hub().subscribe(chat);
        let backlog = match after {
            Some(after) => chats.after(&principal, chat, after).await?,
            None => Vec::new(),
        };
        Ok(Follower {
            chats: chats.clone(),
            principal,
            chat,
            sent: after.unwrap_or(i64::MAX),
            behind: backlog.len() as i64 >= crate::PAGE,
            queue: backlog.into_iter().map(Published::message).collect(),
            rx,
        })
    }

    pub fn chat(&self) -> ChatId {
        self.chat
    }

    /// The next thing to pass on, in order: a message after the last one, or a signal.
    /// `None`: the chat can no longer be followed (the caller lost access, the channel
    /// closed).
    pub async fn next(&mut self) -> Option<Arc<Published>> {
        loop {
            if let Some(p) = self.queue.pop_front() {
                if let Some(seq) = p.seq() {
                    if self.sent != i64::MAX && seq <= self.sent {
                        continue;
                    }
                    self.sent = seq;
                }
                return Some(p);
            }
            if self.behind {
                let missed = self
                    .chats
                    .after(&self.principal, self.chat, self.sent)
                    .await
                    .ok()?;
                self.behind = missed.len() as i64 >= crate::PAGE;
                self.queue
                    .extend(missed.into_iter().map(Published::message));
                continue;
            }
            match self.rx.recv().await {
                Ok(p) => match p.seq() {
                    None => return Some(p),
                    Some(seq) => {
                        if self.sent == i64::MAX {
                            self.sent = seq - 1;
                        }
                        if seq > self.sent + 1 {
                            // Two messages published out of their order: the one between
                            // is committed (places are taken in order), so it is read from
                            // the database with this one.
                            self.behind = true;
                        } else {
                            self.queue.push_back(p);
                        }
                    }
                },
                // Fell behind the channel: catch up from the database.
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    if self.sent != i64::MAX {
                        self.behind = true;
                    }
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }
}
