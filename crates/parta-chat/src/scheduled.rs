//! Messages written now and sent later (отложенная отправка). The author's right to write
//! is checked when they schedule (the policy, as for any message) and again when the
//! server sends it (still a member, not muted or removed, a moderator where only they
//! write): what fails is kept with its reason for the author.

use crate::model::*;
use crate::search::Change;
use crate::service::{check, closed, moderation, Chats};
use crate::store;
use parta_core::ids::{ChatId, PersonId};
use parta_core::policy::{ChatRestriction, Operation};
use parta_core::principal::Principal;
use parta_core::time::now_ms;
use parta_core::Problem;

/// Messages a person may have waiting to be sent, in all chats.
pub const MAX_SCHEDULED: i64 = 50;
/// How far ahead a message may be scheduled, in days.
pub const MAX_SCHEDULE_DAYS: i64 = 92;
/// Due messages sent in one round at most.
const ROUND: i64 = 100;

/// When a message is to be sent, as typed: `2026-12-02T09:00` in the platform's time.
pub fn parse_send_at(raw: &str) -> Option<i64> {
    let raw = raw.trim();
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(raw, f).ok())
        .map(|t| t.and_utc().timestamp_millis())
}

impl Chats {
    /// Schedules a message: the caller must be able to write it now; it is sent at
    /// `send_at` (in the future, at most [`MAX_SCHEDULE_DAYS`] ahead).
    pub async fn schedule(
        &self,
        p: &Principal,
        id: ChatId,
        text: &str,
        send_at: &str,
        urgent: bool,
    ) -> Result<Scheduled, Problem> {
        let chat = self.chat_for(p, id, Operation::PostInChat).await?;
        // A channel's post, later: its authors' (a comment goes at once); a broadcast's
        // comments go at once too (its slow mode is kept as they come).
        if (chat.kind.is_channel() || chat.kind == ChatKind::Broadcast) && !chat.caller.moderator {
            return Err(Problem::forbidden().with_detail(
                "Записи в канале публикуют его авторы; читатели комментируют записи.",
            ));
        }
        if urgent {
            check(moderation(p, &chat)).map_err(|_| {
                Problem::forbidden().with_detail(
                    "Важные объявления с подтверждением прочтения отправляют модераторы чата: классный руководитель или администрация.",
                )
            })?;
        }
        if chat.kind == ChatKind::Personal && !self.still_related(&chat, p).await? {
            return Err(closed());
        }
        let text = clean_text(text).map_err(|m| Problem::invalid("text", m))?;
        let at = parse_send_at(send_at).ok_or_else(|| {
            Problem::invalid(
                "send_at",
                "Укажите дату и время отправки, например 2026-12-02T09:00.",
            )
        })?;
        let now = now_ms();
        if at <= now {
            return Err(Problem::invalid(
                "send_at",
                "Время отправки уже прошло: выберите время в будущем.",
            ));
        }
        if at > now + MAX_SCHEDULE_DAYS * 86_400_000 {
            return Err(Problem::invalid(
                "send_at",
                format!(
                    "Отправку можно запланировать не больше чем на {MAX_SCHEDULE_DAYS} дня вперёд."
                ),
            ));
        }
        if store::pending_scheduled(&self.db, p.person_id).await? >= MAX_SCHEDULED {
            return Err(Problem::invalid(
                "send_at",
                format!("У вас уже {MAX_SCHEDULED} запланированных сообщений: отмените ненужные."),
            ));
        }
        let s = Scheduled {
            id: uuid::Uuid::now_v7().to_string(),
            chat_id: id,
            text,
            urgent,
            send_at: at,
            state: ScheduledState::Pending,
            seq: None,
            failure: None,
        };
        let mut tx = self.db.begin_write().await?;
        store::add_scheduled(&mut tx, &s, p.person_id, now).await?;
        tx.commit().await?;
        self.due.notify_one();
        Ok(s)
    }

    /// The caller's messages scheduled in the chat that are not sent yet, and those that
    /// failed (the soonest first).
    pub async fn scheduled(&self, p: &Principal, id: ChatId) -> Result<Vec<Scheduled>, Problem> {
        self.chat_for(p, id, Operation::ReadChat).await?;
        Ok(store::scheduled_of(&self.db, id, p.person_id).await?)
    }

    /// Cancels one of the caller's scheduled messages (one that failed: forgets it).
    pub async fn cancel_scheduled(
        &self,
        p: &Principal,
        id: ChatId,
        scheduled: &str,
    ) -> Result<(), Problem> {
        self.chat_for(p, id, Operation::ReadChat).await?;
        let mut tx = self.db.begin_write().await?;
        let done = store::cancel_scheduled(&mut tx, id, p.person_id, scheduled).await?;
        tx.commit().await?;
        if !done {
            return Err(Problem::not_found());
        }
        Ok(())
    }

    /// Sends the messages whose time has come; answers how many were sent. Each is
    /// claimed first, so that two servers never send one twice.
    pub async fn send_due(&self) -> Result<usize, Problem> {
        let due = store::due_scheduled(&self.db, now_ms(), ROUND).await?;
        let mut sent = 0;
        for (s, author) in due {
            let mut tx = self.db.begin_write().await?;
            let claimed = store::claim_scheduled(&mut tx, &s.id).await?;
            tx.commit().await?;
            if !claimed {
                continue;
            }
            let outcome = match self.may_still_send(&s, author).await {
                Ok(()) => self.send_now(&s, author).await,
                Err(e) => Err(e),
            };
            let mut tx = self.db.begin_write().await?;
            match outcome {
                Ok(seq) => {
                    store::finish_scheduled(&mut tx, &s.id, Some(seq), None).await?;
                    sent += 1;
                }
                Err(e) => {
                    let why = e.detail.clone().unwrap_or_else(|| e.title.clone());
                    store::finish_scheduled(&mut tx, &s.id, None, Some(&why)).await?;
                }
            }
            tx.commit().await?;
        }
        Ok(sent)
    }

    /// Writes a claimed message as the chat's next place; its place.
    async fn send_now(&self, s: &Scheduled, author: PersonId) -> Result<i64, Problem> {
        let author_name = self.name_of(author).await?;
        let announce = match (s.urgent, store::chat(&self.db, s.chat_id).await?) {
            (true, Some(chat)) => self.announce_to(&chat, author).await?,
            _ => Vec::new(),
        };
        let m = self
            .writer
            .append(
                Message {
                    chat_id: s.chat_id,
                    seq: 0,
                    author_id: author,
                    author: author_name,
                    text: s.text.clone(),
                    reply_to: None,
                    at: now_ms(),
                    urgent: s.urgent,
                    edited_at: None,
                    deleted: false,
                    reactions: Vec::new(),
                    poll: None,
                    files: Vec::new(),
                },
                true,
                announce,
            )
            .await?;
        self.index.feed(Change::of(&m));
        Ok(m.seq)
    }

    /// Whether the author may still send it now: a member of the chat by the registry,
    /// not muted or removed; where only moderators write (a read-only chat, an urgent
    /// announcement), one of them.
    async fn may_still_send(&self, s: &Scheduled, author: PersonId) -> Result<(), Problem> {
        let gone = || {
            Problem::forbidden()
                .with_detail("Не отправлено: вы больше не можете писать в этот чат.")
        };
        let (chat, restriction) =
            store::chat_with_restriction(&self.db, s.chat_id, author, now_ms())
                .await?
                .ok_or_else(gone)?;
        if restriction != ChatRestriction::None || !self.in_chat(&chat, author).await? {
            return Err(gone());
        }
        if chat.kind == ChatKind::Personal && !self.still_in_touch(&chat, author).await? {
            return Err(closed());
        }
        // A channel's post: its authors only (not the administration into a teacher's
        // channel).
        if chat.kind.is_channel() && !self.is_channel_author(&chat, author).await? {
            return Err(Problem::forbidden()
                .with_detail("Не отправлено: записи в канале публикуют его авторы."));
        }
        if (chat.read_only || s.urgent) && !self.is_moderator(&chat, author).await? {
            return Err(Problem::forbidden()
                .with_detail("Не отправлено: в чате теперь пишут только модераторы."));
        }
        Ok(())
    }

    /// Sends due messages from now on: at their time, or at once when one is scheduled
    /// for sooner (a round at least every 30 s). Run by the process's housekeeping.
    pub async fn run_scheduler(self) {
        if let Err(e) = store::fail_stuck_scheduled(&self.db, now_ms() - 300_000).await {
            tracing::warn!(error = %e, "stuck scheduled chat messages not checked");
        }
        loop {
            match self.send_due().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(sent = n, "scheduled chat messages sent"),
                Err(e) => tracing::warn!(error = %e.title, "scheduled chat messages not sent"),
            }
            let next = store::next_due(&self.db).await.ok().flatten();
            let wait = next
                .map(|at| (at - now_ms()).clamp(0, 30_000))
                .unwrap_or(30_000);
            let wait = std::time::Duration::from_millis(wait.unsigned_abs());
            let _ = tokio::time::timeout(wait, self.due.notified()).await;
        }
    }
}
