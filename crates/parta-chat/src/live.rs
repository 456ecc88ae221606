//! Live delivery in this process: each chat with listeners has a broadcast channel; a new
//! message is handed to it after its transaction commits. A listener that falls behind
//! (or reconnects) catches up from the database by `seq`, so nothing is lost or doubled.

use crate::model::{Message, RATE_MESSAGES, RATE_WINDOW_SECS};
use parta_core::ids::{ChatId, PersonId};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::broadcast;

/// Messages a slow listener may be behind before it catches up from the database.
const BUFFER: usize = 256;

#[derive(Clone, Default)]
pub struct Hub {
    chats: Arc<Mutex<HashMap<ChatId, broadcast::Sender<Arc<Message>>>>>,
    sent: Arc<Mutex<HashMap<PersonId, VecDeque<Instant>>>>,
}

impl Hub {
    /// Listens to a chat's new messages.
    pub fn subscribe(&self, chat: ChatId) -> broadcast::Receiver<Arc<Message>> {
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
        let mut chats = self.chats.lock().unwrap_or_else(|e| e.into_inner());
        let chat = message.chat_id;
        if let Some(tx) = chats.get(&chat) {
            if tx.send(Arc::new(message)).is_err() {
                // Nobody listens any more.
                chats.remove(&chat);
            }
        }
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
