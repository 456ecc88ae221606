//! Use cases of the chats: the caller's list, a chat's history, a message, a read mark,
//! and the live stream's catching up. Every one asks the policy with the chat's facts.

use crate::live::Hub;
use crate::model::*;
use crate::search::{Change, SearchIndex};
use crate::writer::Writer;
use crate::{registry_reads, store};
use parta_core::ids::{ChatId, ClassId, OrganisationId, PersonId};
use parta_core::policy::{
    decide, ChatAudience, ChatFacts, ChatRestriction, Decision, Operation, Target,
};
use parta_core::principal::{Principal, Role};
use parta_core::time::now_ms;
use parta_core::Problem;
use parta_db::audit::{AuditEntry, AuditLog};
use parta_db::Db;
use std::collections::HashMap;

#[derive(Clone)]
pub struct Chats {
    pub(crate) db: Db,
    hub: Hub,
    pub(crate) writer: Writer,
    pub(crate) index: SearchIndex,
    /// Woken when a message is scheduled (the scheduler's next round may be sooner).
    pub(crate) due: std::sync::Arc<tokio::sync::Notify>,
    /// Files sent in chats (under the file store's `chat` part).
    pub(crate) files: parta_db::files::FileStore,
    pub(crate) quotas: parta_core::config::StorageConfig,
    /// How long each kind of chat keeps its messages.
    pub(crate) retention: parta_core::config::ChatsConfig,
    /// Pictures being decoded for their previews at once.
    pub(crate) decoding: std::sync::Arc<tokio::sync::Semaphore>,
}

pub(crate) fn check(decision: Decision) -> Result<(), Problem> {
    match decision {
        Decision::Allow => Ok(()),
        Decision::Hidden => Err(Problem::not_found()),
        Decision::Forbidden => Err(Problem::forbidden()),
    }
}

/// The chat's facts; `member`: whether the caller is a member by name (a personal chat).
/// A personal chat whose two members are no longer in touch through a school.
pub(crate) fn closed() -> Problem {
    Problem::forbidden()
        .with_detail("Переписка закрыта для новых сообщений: вы больше не связаны общей школой.")
}

/// Whether the caller moderates the chat (its moderators are decided by the policy from
/// the registry; a personal chat has none).
pub(crate) fn moderation(p: &Principal, chat: &Chat) -> Decision {
    decide(
        p,
        Operation::ModerateChat,
        Target::Chat(&facts(chat, ChatRestriction::None)),
    )
}

/// The chat's facts for the caller (`chat.caller`: their membership by name or group).
fn facts(chat: &Chat, restriction: ChatRestriction) -> ChatFacts {
    let class = chat.class_id.unwrap_or_default();
    let Membership { member, moderator } = chat.caller;
    ChatFacts {
        org: chat.organisation_id,
        audience: match chat.kind {
            ChatKind::ClassStudents => ChatAudience::ClassStudents(class),
            ChatKind::ClassParents => ChatAudience::ClassParents(class),
            ChatKind::StaffRoom => ChatAudience::StaffRoom,
            ChatKind::Personal => ChatAudience::Members {
                member,
                moderator: false,
            },
            // A group's teachers moderate it; its students are members. A community's
            // members and moderators by its list, while it reaches them.
            ChatKind::SubjectGroup => ChatAudience::Members { member, moderator },
            ChatKind::Community => ChatAudience::Community { member, moderator },
            // A channel's readers and authors, by the registry now.
            ChatKind::SchoolChannel
            | ChatKind::ClassChannel
            | ChatKind::TeacherChannel
            | ChatKind::Broadcast => ChatAudience::Channel {
                reader: member,
                author: moderator,
            },
        },
        read_only: chat.read_only,
        restriction,
    }
}

/// The registry-built chats the caller's active role belongs to now: (kind, class), and
/// the schools whose staff room they are in. The schools' news come with the schools the
/// role reaches (its own, or the children's).
fn wanted(p: &Principal) -> (Vec<(ChatKind, ClassId)>, Vec<OrganisationId>) {
    let s = &p.scope;
    let mut classes = Vec::new();
    let mut schools = Vec::new();
    match p.role() {
        Role::Student => {
            for c in &s.own_classes {
                classes.push((ChatKind::ClassStudents, *c));
                classes.push((ChatKind::ClassChannel, *c));
            }
        }
        Role::Parent => {
            for c in &s.children_classes {
                classes.push((ChatKind::ClassParents, *c));
                classes.push((ChatKind::ClassChannel, *c));
            }
        }
        Role::Teacher => {
            for c in &s.led_classes {
                classes.push((ChatKind::ClassStudents, *c));
                classes.push((ChatKind::ClassParents, *c));
            }
            for c in s.led_classes.iter().chain(&s.taught_classes) {
                classes.push((ChatKind::ClassChannel, *c));
            }
            schools.extend(s.organisations.iter().copied());
        }
        Role::SchoolAdmin => schools.extend(s.organisations.iter().copied()),
        _ => {}
    }
    classes.sort_by_key(|(k, c)| (k.as_str(), c.to_string()));
    classes.dedup();
    schools.sort_by_key(|o| o.to_string());
    schools.dedup();
    (classes, schools)
}

impl Chats {
    /// The chats of this database, searched through `index`; starts their writer on the
    /// current runtime.
    /// Files go to `files` (its `chat` part), within the people's and schools' `quotas`.
    pub fn new(
        db: Db,
        index: SearchIndex,
        files: &parta_db::files::FileStore,
        quotas: parta_core::config::StorageConfig,
        retention: parta_core::config::ChatsConfig,
    ) -> Self {
        let hub = Hub::default();
        Self {
            writer: Writer::start(db.clone(), hub.clone()),
            db,
            hub,
            index,
            files: files.within("chat"),
            quotas,
            retention,
            decoding: std::sync::Arc::new(tokio::sync::Semaphore::new(2)),
            due: Default::default(),
        }
    }

    pub fn index(&self) -> &SearchIndex {
        &self.index
    }

    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// The caller's chats, the most recent first, each with its unread count. A class's
    /// chats are made the first time someone of it asks.
    pub async fn list(&self, p: &Principal) -> Result<Vec<ChatSummary>, Problem> {
        let mut keys = self.ensure(p).await?;
        keys.extend(store::own_keys(&self.db, p.person_id).await?);
        let rows = store::summaries(&self.db, p.person_id, &keys).await?;
        // A teacher's channel followed, a community joined: while they reach the caller
        // (not a pupil who left the owner's class or the school).
        let mut kept = Vec::with_capacity(rows.len());
        for r in rows {
            if matches!(
                r.chat.kind,
                ChatKind::TeacherChannel | ChatKind::Community | ChatKind::ClassChannel
            ) {
                let chat = self.with_caller(r.chat.clone(), p).await?;
                if !(chat.caller.member || chat.caller.moderator) {
                    continue;
                }
            }
            kept.push(r);
        }
        let mut rows = kept;

        let personal: Vec<ChatId> = rows
            .iter()
            .filter(|r| r.chat.kind == ChatKind::Personal)
            .map(|r| r.chat.id)
            .collect();
        let titles = self.personal_titles(&personal, p.person_id).await?;
        for r in rows.iter_mut() {
            if let Some(t) = titles.get(&r.chat.id) {
                r.chat.title = t.clone();
            }
        }
        let authors: Vec<PersonId> = rows.iter().filter_map(|r| r.last_author).collect();
        let names = registry_reads::short_names(&self.db, &authors).await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let mut s = summary(
                    &r.chat,
                    r.last_at,
                    r.read,
                    r.last_text,
                    r.last_author.and_then(|a| names.get(&a).cloned()),
                );
                s.to_acknowledge = r.to_acknowledge;
                if let Some(n) = r.unread_posts {
                    s.unread = n;
                }
                s
            })
            .collect())
    }

    /// Makes the registry's chats the caller belongs to that do not exist yet; their keys.
    pub(crate) async fn ensure(&self, p: &Principal) -> Result<Vec<String>, Problem> {
        let (classes, schools) = wanted(p);
        let mut class_ids: Vec<ClassId> = classes.iter().map(|(_, c)| *c).collect();
        class_ids.sort_by_key(|c| c.to_string());
        class_ids.dedup();
        // A parent's schools are their children's classes' (one registry read); the others'
        // are their role's.
        let mut class_rows = None;
        let mut news: Vec<OrganisationId> = match p.role() {
            Role::Student | Role::Teacher | Role::SchoolAdmin => p.scope.organisations.clone(),
            Role::Parent => {
                let rows = registry_reads::classes(&self.db, &class_ids).await?;
                let orgs = rows.iter().map(|r| r.1).collect();
                class_rows = Some(rows);
                orgs
            }
            _ => Vec::new(),
        };
        news.sort_by_key(|o| o.to_string());
        news.dedup();
        // The subject groups a student is in or a teacher teaches (in this role's school).
        let groups: Vec<registry_reads::GroupRow> = match p.role() {
            Role::Student => registry_reads::groups_of_student(&self.db, p.person_id).await?,
            Role::Teacher => registry_reads::groups_of_teacher(&self.db, p.person_id).await?,
            _ => Vec::new(),
        }
        .into_iter()
        .filter(|g| p.role() != Role::Teacher || p.scope.organisations.contains(&g.org))
        .collect();
        // The keys first: names are read only for the chats made now (the usual request
        // finds them all).
        let key = |kind: ChatKind, id: &dyn std::fmt::Display| format!("{}:{id}", kind.as_str());
        let mut keys: Vec<String> = classes.iter().map(|(k, c)| key(*k, c)).collect();
        for org in &news {
            if schools.contains(org) {
                keys.push(key(ChatKind::StaffRoom, org));
            }
            keys.push(key(ChatKind::SchoolChannel, org));
        }
        keys.extend(groups.iter().map(|g| key(ChatKind::SubjectGroup, &g.group)));
        let have = store::existing_keys(&self.db, &keys).await?;
        if keys.iter().all(|k| have.contains(k)) {
            return Ok(keys);
        }
        let class_rows = match class_rows {
            Some(rows) => rows,
            None => registry_reads::classes(&self.db, &class_ids).await?,
        };
        let of_class: HashMap<ClassId, (OrganisationId, String)> = class_rows
            .into_iter()
            .map(|(c, o, n)| (c, (o, n)))
            .collect();
        let mut want: Vec<(Wanted, String)> = Vec::new();
        for (kind, class) in classes {
            if let Some((org, name)) = of_class.get(&class) {
                let w = Wanted {
                    kind,
                    org: *org,
                    class: Some(class),
                    group: None,
                };
                want.push((w, name.clone()));
            }
        }
        for (org, name) in registry_reads::schools(&self.db, &news).await? {
            let w = Wanted {
                kind: ChatKind::SchoolChannel,
                org,
                class: None,
                group: None,
            };
            if schools.contains(&org) {
                let room = Wanted {
                    kind: ChatKind::StaffRoom,
                    ..w.clone()
                };
                want.push((room, name.clone()));
            }
            want.push((w, name));
        }
        for g in groups {
            let w = Wanted {
                kind: ChatKind::SubjectGroup,
                org: g.org,
                class: None,
                group: Some(g.group),
            };
            want.push((w, g.title));
        }
        let missing: Vec<_> = want.iter().filter(|w| !have.contains(&w.0.key())).collect();
        if !missing.is_empty() {
            let mut tx = self.db.begin_write().await?;
            let now = now_ms();
            for (w, title) in missing {
                store::ensure_chat(&mut tx, w, title, now).await?;
            }
            tx.commit().await?;
        }
        Ok(keys)
    }

    /// The chat and its facts for the caller (what the policy decides by).
    pub(crate) async fn access(
        &self,
        p: &Principal,
        id: ChatId,
    ) -> Result<(Chat, ChatFacts), Problem> {
        let (chat, restriction) = store::chat_with_restriction(&self.db, id, p.person_id, now_ms())
            .await?
            .ok_or_else(Problem::not_found)?;
        let chat = self.with_caller(chat, p).await?;
        let f = facts(&chat, restriction);
        Ok((chat, f))
    }

    /// A chat the caller may do `op` in.
    pub(crate) async fn chat_for(
        &self,
        p: &Principal,
        id: ChatId,
        op: Operation,
    ) -> Result<Chat, Problem> {
        let (chat, f) = self.access(p, id).await?;
        let decision = decide(p, op, Target::Chat(&f));
        if decision == Decision::Forbidden && f.restriction == ChatRestriction::Muted {
            return Err(Problem::forbidden().with_detail(
                "Модератор чата запретил вам писать в нём на время. Читать чат вы можете.",
            ));
        }
        if decision == Decision::Forbidden && op == Operation::PostInChat && chat.kind.is_channel()
        {
            return Err(Problem::forbidden().with_detail(
                "Записи в канале публикуют его авторы, а комментарии к записям сейчас выключены.",
            ));
        }
        check(decision)?;
        Ok(chat)
    }

    /// The chat with the caller's membership by name (a personal chat) or by the
    /// registry's groups (a group's chat: its teacher moderates, its students take part).
    pub(crate) async fn with_caller(&self, mut chat: Chat, p: &Principal) -> Result<Chat, Problem> {
        chat.caller = match (chat.kind, chat.group_id) {
            (ChatKind::Personal, _) => Membership {
                member: store::is_member(&self.db, chat.id, p.person_id).await?,
                moderator: false,
            },
            // Only in the school of the caller's active role (a teacher of two schools
            // holds a role in each).
            (ChatKind::SubjectGroup, Some(group))
                if p.scope.organisations.contains(&chat.organisation_id) =>
            {
                let (teaches, studies) =
                    registry_reads::group_role(&self.db, group, p.person_id).await?;
                match p.role() {
                    Role::Teacher if teaches => Membership {
                        member: true,
                        moderator: true,
                    },
                    Role::Student if studies => Membership {
                        member: true,
                        moderator: false,
                    },
                    _ => Membership::default(),
                }
            }
            (k, _) if k.is_channel() => self.channel_membership(&chat, p).await?,
            (ChatKind::Community, _) => self.community_membership(&chat, p).await?,
            (ChatKind::Broadcast, _) => self.broadcast_membership(&chat, p).await?,
            _ => Membership::default(),
        };
        Ok(chat)
    }

    /// People the caller may start a personal chat with, by group.
    pub async fn contacts(&self, p: &Principal) -> Result<Contacts, Problem> {
        let s = &p.scope;
        let db = &self.db;
        let mine: Vec<ClassId> = s
            .taught_classes
            .iter()
            .chain(&s.led_classes)
            .copied()
            .collect();
        let none = Vec::new;
        let (staff, teachers, students, parents) = match p.role() {
            Role::Student | Role::SchoolAdmin => (
                registry_reads::staff_of(db, &s.organisations).await?,
                none(),
                none(),
                none(),
            ),
            Role::Parent => (
                none(),
                registry_reads::teachers_of(db, &s.children_classes).await?,
                none(),
                none(),
            ),
            Role::Teacher => (
                registry_reads::staff_of(db, &s.organisations).await?,
                none(),
                registry_reads::students_of(db, &mine).await?,
                registry_reads::parents_of(db, &mine).await?,
            ),
            _ => (none(), none(), none(), none()),
        };
        let me = p.person_id;
        let list = |v: Vec<(PersonId, String)>| -> Vec<Contact> {
            v.into_iter()
                .filter(|(id, _)| *id != me)
                .map(|(person_id, name)| Contact { person_id, name })
                .collect()
        };
        Ok(Contacts {
            staff: list(staff),
            teachers: list(teachers),
            students: list(students),
            parents: list(parents),
        })
    }

    /// The caller's personal chat with someone, made if new — if the caller may write to
    /// them (`StartChat`: roles and the registry decide).
    pub async fn start(&self, p: &Principal, other: PersonId) -> Result<ChatId, Problem> {
        let f = registry_reads::contact_facts(&self.db, other).await?;
        check(decide(p, Operation::StartChat, Target::Contact(&f)))?;
        if let Some(id) = store::chat_by_key(&self.db, &personal_key(p.person_id, other)).await? {
            return Ok(id);
        }
        // The school the two share (the chat's moderation and retention follow it): the
        // child's school for a parent and a teacher, the colleagues' school for staff.
        let me = registry_reads::contact_facts(&self.db, p.person_id).await?;
        let orgs = |f: &parta_core::policy::ContactFacts| -> Vec<OrganisationId> {
            f.staff_orgs
                .iter()
                .chain(&f.student_orgs)
                .chain(&f.children_orgs)
                .copied()
                .collect()
        };
        if !parta_core::policy::in_touch(&me, &f) {
            return Err(closed());
        }
        let mine = orgs(&me);
        let org = orgs(&f)
            .into_iter()
            .find(|o| mine.contains(o))
            .ok_or_else(closed)?;
        let mut tx = self.db.begin_write().await?;
        let id = store::create_personal(&mut tx, org, p.person_id, other, now_ms()).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Whether the two members of a personal chat are still in touch through a school
    /// (`policy::in_touch`): when not, the conversation stays readable and takes no new
    /// messages.
    pub(crate) async fn still_related(&self, chat: &Chat, p: &Principal) -> Result<bool, Problem> {
        self.still_in_touch(chat, p.person_id).await
    }

    /// [`Chats::still_related`] of a person.
    pub(crate) async fn still_in_touch(
        &self,
        chat: &Chat,
        person: PersonId,
    ) -> Result<bool, Problem> {
        let others = store::others(&self.db, &[chat.id], person).await?;
        let Some((_, other)) = others.first() else {
            return Ok(false);
        };
        let (a, b) = tokio::try_join!(
            registry_reads::contact_facts(&self.db, person),
            registry_reads::contact_facts(&self.db, *other)
        )?;
        Ok(parta_core::policy::in_touch(&a, &b))
    }

    /// Titles of personal chats: the other member's name.
    async fn personal_titles(
        &self,
        chats: &[ChatId],
        me: PersonId,
    ) -> Result<HashMap<ChatId, String>, Problem> {
        let others = store::others(&self.db, chats, me).await?;
        let ids: Vec<PersonId> = others.iter().map(|o| o.1).collect();
        let names = registry_reads::short_names(&self.db, &ids).await?;
        Ok(others
            .into_iter()
            .map(|(c, o)| (c, names.get(&o).cloned().unwrap_or_default()))
            .collect())
    }

    /// A page of the chat's history: the newest [`PAGE`] messages before `before` (the
    /// end of the chat when absent), oldest first; the caller's read mark moves to what
    /// they saw.
    /// A channel's page holds its posts; `thread`: a message (a post) and its replies.
    pub async fn history(
        &self,
        p: &Principal,
        id: ChatId,
        before: Option<i64>,
        thread: Option<i64>,
    ) -> Result<History, Problem> {
        let (mut chat, f) = self.access(p, id).await?;
        check(decide(p, Operation::ReadChat, Target::Chat(&f)))?;
        if chat.kind == ChatKind::Personal {
            if let Some(t) = self.personal_titles(&[id], p.person_id).await?.remove(&id) {
                chat.title = t;
            }
        }
        if before.is_some_and(|b| b < 1) {
            return Err(Problem::invalid(
                "before",
                "Неверная позиция в истории чата.",
            ));
        }
        if thread.is_some_and(|t| t < 1 || t > chat.last_seq) {
            return Err(Problem::invalid(
                "thread",
                "В чате нет сообщения с таким номером.",
            ));
        }
        let channel = chat.kind.is_channel();
        let filter = match thread {
            Some(t) => Filter::Thread(t),
            None if channel => Filter::Posts,
            None => Filter::All,
        };
        let range = (0, before.unwrap_or(i64::MAX));
        let rows = store::messages(&self.db, id, range, filter, PAGE).await?;
        let messages = self.messages_of(rows).await?;
        if let Some(t) = thread {
            // A reply's thread is its message's.
            if messages
                .first()
                .is_some_and(|m| m.seq == t && m.reply_to.is_some())
            {
                return Err(Problem::invalid(
                    "thread",
                    "Это ответ: откройте сообщение, на которое он написан.",
                ));
            }
        }
        // Nothing before what the retention policy deleted; nothing before a thread's
        // message; a channel's earlier posts only when this page is full (comments fill
        // the places between them).
        let earlier = messages
            .first()
            .filter(|m| m.seq > chat.purged + 1)
            .filter(|m| match filter {
                Filter::All => true,
                Filter::Posts => messages.len() as i64 == PAGE,
                Filter::Thread(t) => m.seq != t,
            })
            .map(|m| m.seq);
        let read = store::read_seq(&self.db, id, p.person_id).await?;
        // A channel's newest posts seen: everything up to now is read (its comments are
        // not waiting for the reader).
        let seen = match (filter, before) {
            (Filter::Posts, None) => chat.last_seq,
            _ => messages.last().map(|m| m.seq).unwrap_or(0),
        };
        let read = match read {
            // A thread does not move the mark: the posts between may be unseen.
            _ if thread.is_some() => read.unwrap_or(0),
            Some(r) if r >= seen => r,
            _ => {
                // With the other read marks and messages of the moment: one commit.
                self.writer
                    .mark_read(id, p.person_id, seen.max(read.unwrap_or(0)), now_ms())
                    .await?;
                seen
            }
        };
        let related = chat.kind != ChatKind::Personal || self.still_related(&chat, p).await?;
        let can_post =
            decide(p, Operation::PostInChat, Target::Chat(&f)) == Decision::Allow && related;
        let can_react = f.restriction != ChatRestriction::Muted && related;
        // A personal chat has no moderators of its own: complaints about it reach the
        // school's administration.
        let moderator = chat.kind != ChatKind::Personal && moderation(p, &chat) == Decision::Allow;
        // Urgent announcements: whether the caller confirmed those of others; how many
        // confirmed, for their author and the moderators.
        let urgent: Vec<i64> = messages
            .iter()
            .filter(|m| m.urgent && !m.deleted)
            .map(|m| m.seq)
            .collect();
        let mine = store::acked_by(&self.db, id, p.person_id, &urgent).await?;
        let counted: Vec<i64> = messages
            .iter()
            .filter(|m| m.urgent && !m.deleted && (moderator || m.author_id == p.person_id))
            .map(|m| m.seq)
            .collect();
        let counts = store::ack_counts(&self.db, id, &counted).await?;
        let to_acknowledge = store::unacknowledged(&self.db, id, p.person_id).await?;
        let pinned = match chat.pinned {
            Some(seq) => match store::message(&self.db, id, seq).await? {
                Some(row) => self
                    .messages_of(vec![row])
                    .await?
                    .pop()
                    .filter(|m| !m.deleted),
                None => None,
            },
            None => None,
        };
        // The caller's own reactions and votes, asked only when the page has any.
        let (reacted, polled) = (
            messages.iter().any(|m| !m.reactions.is_empty()),
            messages.iter().any(|m| m.poll.is_some()),
        );
        let (my_reactions, my_votes) = match (messages.first(), messages.last()) {
            (Some(first), Some(last)) if reacted || polled => {
                let range = (first.seq, last.seq);
                store::mine(&self.db, id, p.person_id, range, (reacted, polled)).await?
            }
            _ => Default::default(),
        };
        // A channel's posts: their views and comments.
        let posts: Vec<(i64, PersonId)> = if channel {
            messages
                .iter()
                .filter(|m| m.reply_to.is_none() && !m.deleted)
                .map(|m| (m.seq, m.author_id))
                .collect()
        } else {
            Vec::new()
        };
        let (views, comments) = self.post_figures(id, &posts).await?;
        let last = messages.last().cloned();
        let lines = messages
            .into_iter()
            .map(|m| Line {
                views: views.get(&m.seq).copied(),
                comments: views
                    .contains_key(&m.seq)
                    .then(|| comments.get(&m.seq).copied().unwrap_or(0)),
                my_reactions: my_reactions
                    .iter()
                    .filter(|r| r.0 == m.seq)
                    .map(|r| r.1.clone())
                    .collect(),
                my_votes: my_votes
                    .iter()
                    .filter(|v| v.0 == m.seq)
                    .map(|v| v.1)
                    .collect(),
                acknowledged: (m.urgent && !m.deleted && m.author_id != p.person_id)
                    .then(|| mine.contains(&m.seq)),
                acks: counted
                    .contains(&m.seq)
                    .then(|| counts.get(&m.seq).copied().unwrap_or(0)),
                message: m,
            })
            .collect();
        let mut s = summary(
            &chat,
            last.as_ref().map_or(0, |m| m.at),
            read,
            last.as_ref().map(|m| m.text.clone()),
            last.map(|m| m.author),
        );
        s.to_acknowledge = to_acknowledge.len() as i64;
        Ok(History {
            chat: s,
            earlier,
            messages: lines,
            can_post,
            muted: f.restriction == ChatRestriction::Muted,
            can_react,
            moderator,
            pinned,
            to_acknowledge,
            thread,
            author: channel && chat.caller.moderator,
            description: chat.description.clone(),
        })
    }

    /// Messages after `after` (at most a page), for a client catching up.
    pub async fn after(
        &self,
        p: &Principal,
        id: ChatId,
        after: i64,
    ) -> Result<Vec<Message>, Problem> {
        self.chat_for(p, id, Operation::ReadChat).await?;
        let rows = store::messages_after(&self.db, id, after.max(0), PAGE).await?;
        self.messages_of(rows).await
    }

    /// Checks that the caller may listen to the chat (the live stream), from after
    /// `after` — a place the chat has reached (a client cannot claim to be further on
    /// and so skip what comes).
    /// Answers the chat and whether the caller may write in it now (a muted member
    /// listens, and does not "type").
    pub async fn listen(
        &self,
        p: &Principal,
        id: ChatId,
        after: Option<i64>,
    ) -> Result<(Chat, bool), Problem> {
        let (chat, f) = self.access(p, id).await?;
        check(decide(p, Operation::ReadChat, Target::Chat(&f)))?;
        if after.is_some_and(|a| a < 0 || a > chat.last_seq) {
            return Err(Problem::invalid(
                "after",
                "В чате нет сообщения с таким номером: откройте чат заново.",
            ));
        }
        let may_post = decide(p, Operation::PostInChat, Target::Chat(&f)) == Decision::Allow;
        Ok((chat, may_post))
    }

    /// A person's short name as chats show it.
    pub async fn name_of(&self, person: PersonId) -> Result<String, Problem> {
        Ok(registry_reads::short_names(&self.db, &[person])
            .await?
            .remove(&person)
            .unwrap_or_default())
    }

    /// Sends a message; it is the chat's next place, and the sender has read up to it.
    pub async fn post(
        &self,
        p: &Principal,
        id: ChatId,
        text: &str,
        reply_to: Option<i64>,
    ) -> Result<Message, Problem> {
        let out = Outgoing {
            text,
            reply_to,
            ..Default::default()
        };
        self.post_as(p, id, out, None).await
    }

    /// [`Chats::post`] of a message that may be urgent or a poll, by a caller whose name
    /// may be known already (an open socket).
    pub async fn post_as(
        &self,
        p: &Principal,
        id: ChatId,
        out: Outgoing<'_>,
        name: Option<&str>,
    ) -> Result<Message, Problem> {
        let Outgoing {
            text,
            reply_to,
            urgent,
            poll,
            files,
        } = out;
        let chat = self.chat_for(p, id, Operation::PostInChat).await?;
        if urgent {
            // Only a chat's moderators ask its members to confirm reading.
            check(moderation(p, &chat))
            .map_err(|_| {
                Problem::forbidden().with_detail(
                    "Важные объявления с подтверждением прочтения отправляют модераторы чата: классный руководитель или администрация.",
                )
            })?;
        }
        if chat.kind == ChatKind::Personal && !self.still_related(&chat, p).await? {
            return Err(closed());
        }
        // A photo or a document may go without words.
        let text = match clean_text(text) {
            Err(_) if !files.is_empty() && text.trim().is_empty() => String::new(),
            other => other.map_err(|m| Problem::invalid("text", m))?,
        };
        let files = self.files_to_send(p, id, files).await?;
        if poll.is_some() && !files.is_empty() {
            return Err(Problem::invalid(
                "files",
                "Опрос отправляется без файлов: отправьте файл отдельным сообщением.",
            ));
        }
        let poll = match poll {
            Some(new) => Some(clean_poll(new).map_err(|m| Problem::invalid("options", m))?),
            None => None,
        };
        if let Some(r) = reply_to {
            if r < 1 || r > chat.last_seq {
                return Err(Problem::invalid(
                    "reply_to",
                    "Сообщения, на которое вы отвечаете, в этом чате нет.",
                ));
            }
        }
        if chat.kind.is_channel() {
            self.channel_message(&chat, reply_to, urgent || poll.is_some())
                .await?;
        }
        // A broadcast's audience comments in words (its moderators may add a poll or a
        // picture).
        if chat.kind == ChatKind::Broadcast
            && !chat.caller.moderator
            && (poll.is_some() || !files.is_empty())
        {
            return Err(Problem::invalid(
                "text",
                "В комментариях к трансляции — только текст.",
            ));
        }
        if let Err(wait) = self.hub.admit(p.person_id) {
            return Err(Problem::too_many(
                "Слишком много сообщений подряд: подождите несколько секунд.",
                wait.as_secs().max(1),
            ));
        }
        if chat.slow_seconds > 0 && moderation(p, &chat) != Decision::Allow {
            let every = std::time::Duration::from_secs(chat.slow_seconds.unsigned_abs());
            if let Err(wait) = self.hub.admit_slow(id, p.person_id, every) {
                return Err(Problem::too_many(
                    "В чате медленный режим: следующее сообщение можно будет отправить чуть позже.",
                    wait.as_secs().max(1),
                ));
            }
        }
        let author = match name {
            Some(n) => n.to_string(),
            None => self.name_of(p.person_id).await?,
        };
        let announce = if urgent {
            self.announce_to(&chat, p.person_id).await?
        } else {
            Vec::new()
        };
        // Written with the messages sent meanwhile in one transaction, published in
        // their order once committed.
        let m = self
            .writer
            .append(
                Message {
                    chat_id: id,
                    seq: 0,
                    author_id: p.person_id,
                    author,
                    text,
                    reply_to,
                    at: now_ms(),
                    urgent,
                    edited_at: None,
                    deleted: false,
                    reactions: Vec::new(),
                    poll,
                    files,
                },
                // A channel's comment leaves its author's read mark where it was.
                !(chat.kind.is_channel() && reply_to.is_some()),
                announce,
            )
            .await?;
        self.index.feed(Change::of(&m));
        Ok(m)
    }

    /// A channel's post comes from its authors (by the registry: not the administration
    /// into a teacher's channel); anything else is a comment on a post — not on a
    /// comment, and neither urgent nor a poll.
    async fn channel_message(
        &self,
        chat: &Chat,
        reply_to: Option<i64>,
        announcement: bool,
    ) -> Result<(), Problem> {
        match reply_to {
            None if !chat.caller.moderator => Err(Problem::forbidden().with_detail(
                "Записи в канале публикуют его авторы; читатели комментируют записи.",
            )),
            None => Ok(()),
            Some(_) if announcement => Err(Problem::invalid(
                "reply_to",
                "Опрос и важное объявление публикуются записью канала, а не комментарием.",
            )),
            Some(r) => {
                let post = store::message(&self.db, chat.id, r).await?;
                if post.is_some_and(|m| m.reply_to.is_none() && m.deleted_at.is_none()) {
                    Ok(())
                } else {
                    Err(Problem::invalid(
                        "reply_to",
                        "Комментировать можно запись канала, а не комментарий.",
                    ))
                }
            }
        }
    }

    /// Moves the caller's read mark to `seq` (never back, never past the chat's end).
    pub async fn mark_read(&self, p: &Principal, id: ChatId, seq: i64) -> Result<(), Problem> {
        let chat = self.chat_for(p, id, Operation::ReadChat).await?;
        if seq < 0 || seq > chat.last_seq {
            return Err(Problem::invalid(
                "seq",
                "В чате нет сообщения с таким номером.",
            ));
        }
        self.writer.mark_read(id, p.person_id, seq, now_ms()).await
    }

    async fn messages_of(&self, rows: Vec<store::MessageRow>) -> Result<Vec<Message>, Problem> {
        let mut authors: Vec<PersonId> = rows.iter().map(|r| r.author_id).collect();
        authors.sort_by_key(|a| a.to_string());
        authors.dedup();
        let names = registry_reads::short_names(&self.db, &authors).await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let deleted = r.deleted_at.is_some();
                Message {
                    chat_id: r.chat_id,
                    seq: r.seq,
                    author_id: r.author_id,
                    author: names.get(&r.author_id).cloned().unwrap_or_default(),
                    // A deleted message's text is kept in its history only.
                    text: if deleted { String::new() } else { r.body },
                    reply_to: r.reply_to,
                    at: r.created_at,
                    urgent: r.urgent != 0,
                    edited_at: r.edited_at,
                    deleted,
                    reactions: if deleted {
                        Vec::new()
                    } else {
                        parse_reactions(r.reactions.as_deref())
                    },
                    poll: r
                        .poll
                        .filter(|_| !deleted)
                        .and_then(|j| serde_json::from_str(&j).ok()),
                    files: r
                        .files
                        .filter(|_| !deleted)
                        .and_then(|j| serde_json::from_str(&j).ok())
                        .unwrap_or_default(),
                }
            })
            .collect())
    }

    /// One message of a chat the caller reads.
    async fn one(&self, id: ChatId, seq: i64) -> Result<Message, Problem> {
        let row = store::message(&self.db, id, seq)
            .await?
            .ok_or_else(|| Problem::invalid("seq", "В чате нет сообщения с таким номером."))?;
        self.messages_of(vec![row])
            .await?
            .pop()
            .ok_or_else(Problem::not_found)
    }

    /// Confirms reading an urgent announcement (a member other than its author; once).
    pub async fn acknowledge(&self, p: &Principal, id: ChatId, seq: i64) -> Result<(), Problem> {
        self.chat_for(p, id, Operation::ReadChat).await?;
        let m = self.one(id, seq).await?;
        if !m.urgent || m.deleted {
            return Err(Problem::invalid(
                "seq",
                "Это сообщение не просит подтвердить прочтение.",
            ));
        }
        if m.author_id == p.person_id {
            return Ok(());
        }
        let mut tx = self.db.begin_write().await?;
        store::ack(&mut tx, id, seq, p.person_id, now_ms()).await?;
        store::mark_read(&mut tx, id, p.person_id, seq, now_ms()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Who confirmed an urgent announcement and which members have not yet: its author
    /// and the chat's moderators.
    pub async fn acks(&self, p: &Principal, id: ChatId, seq: i64) -> Result<AckReport, Problem> {
        let chat = self.chat_for(p, id, Operation::ReadChat).await?;
        let m = self.one(id, seq).await?;
        if m.author_id != p.person_id {
            check(moderation(p, &chat))?;
        }
        if !m.urgent {
            return Err(Problem::invalid(
                "seq",
                "Это сообщение не просит подтвердить прочтение.",
            ));
        }
        let done = store::ackers(&self.db, id, seq).await?;
        let ids: Vec<PersonId> = done.iter().map(|d| d.0).collect();
        let names = registry_reads::short_names(&self.db, &ids).await?;
        let members = self.members_of(&chat).await?;
        let pending = members
            .into_iter()
            .filter(|(person, _)| *person != m.author_id && !ids.contains(person))
            .map(|(person_id, name)| Contact { person_id, name })
            .collect();
        Ok(AckReport {
            seq,
            acknowledged: done
                .into_iter()
                .map(|(person_id, at)| Acked {
                    person_id,
                    name: names.get(&person_id).cloned().unwrap_or_default(),
                    at,
                })
                .collect(),
            pending,
        })
    }

    /// Who an urgent announcement by `author` is told to: the chat's members now, but
    /// them.
    pub(crate) async fn announce_to(
        &self,
        chat: &Chat,
        author: PersonId,
    ) -> Result<Vec<PersonId>, Problem> {
        Ok(self
            .members_of(chat)
            .await?
            .into_iter()
            .map(|(p, _)| p)
            .filter(|p| *p != author)
            .collect())
    }

    /// The chat's members now, with their names (personal chats: none listed here).
    async fn members_of(&self, chat: &Chat) -> Result<Vec<(PersonId, String)>, Problem> {
        let id = chat.id;
        Ok(match (chat.kind, chat.class_id) {
            (ChatKind::ClassStudents, Some(c)) => {
                registry_reads::students_of(&self.db, &[c]).await?
            }
            (ChatKind::ClassParents, Some(c)) => registry_reads::parents_of(&self.db, &[c]).await?,
            (ChatKind::StaffRoom, _) => {
                registry_reads::staff_of(&self.db, &[chat.organisation_id]).await?
            }
            (ChatKind::SubjectGroup, _) => match chat.group_id {
                Some(g) => registry_reads::group_people(&self.db, g).await?,
                None => Vec::new(),
            },
            (k, _) if k.is_channel() => self.channel_people(chat).await?,
            (ChatKind::Broadcast, _) => self.broadcast_people(chat).await?,
            (ChatKind::Community, _) => {
                let ids: Vec<PersonId> = store::community_people(&self.db, id)
                    .await?
                    .into_iter()
                    .filter(|(_, s)| matches!(s, Standing::Member | Standing::Moderator))
                    .map(|(p, _)| p)
                    .collect();
                let names = registry_reads::short_names(&self.db, &ids).await?;
                ids.into_iter()
                    .map(|p| (p, names.get(&p).cloned().unwrap_or_default()))
                    .collect()
            }
            _ => Vec::new(),
        })
    }

    /// Whether the caller may take part in the chat beyond reading — react, vote: a
    /// member the moderators have not muted, in a personal chat still in touch. A
    /// read-only chat's members react and vote (an announcement's "seen", a poll).
    async fn may_take_part(&self, p: &Principal, id: ChatId) -> Result<Chat, Problem> {
        let (chat, f) = self.access(p, id).await?;
        check(decide(p, Operation::ReadChat, Target::Chat(&f)))?;
        if f.restriction == ChatRestriction::Muted {
            return Err(Problem::forbidden()
                .with_detail("Модератор чата временно ограничил вам участие в нём."));
        }
        if chat.kind == ChatKind::Personal && !self.still_related(&chat, p).await? {
            return Err(closed());
        }
        Ok(chat)
    }

    /// Puts (`on`) or takes back the caller's reaction to a message; the members listening
    /// see the new counts.
    pub async fn react(
        &self,
        p: &Principal,
        id: ChatId,
        seq: i64,
        reaction: &str,
        on: bool,
    ) -> Result<Message, Problem> {
        self.may_take_part(p, id).await?;
        if reaction_emoji(reaction).is_none() {
            return Err(Problem::invalid(
                "reaction",
                "Такой реакции нет: выберите 👍, ❤️, 😂, 😮, 😢 или 🙏.",
            ));
        }
        let m = self.one(id, seq).await?;
        if m.deleted {
            return Err(Problem::invalid("seq", "Сообщение удалено."));
        }
        let mut tx = self.db.begin_write().await?;
        let summary = store::react(&mut tx, id, seq, p.person_id, reaction, on, now_ms()).await?;
        tx.commit().await?;
        let m = Message {
            reactions: parse_reactions(summary.as_deref()),
            ..m
        };
        self.hub.update(m.clone());
        Ok(m)
    }

    /// The caller's vote in a poll: the options they choose now (by index; none takes the
    /// vote back). One option unless the poll allows several; not in a closed poll.
    pub async fn vote(
        &self,
        p: &Principal,
        id: ChatId,
        seq: i64,
        options: &[i64],
    ) -> Result<Message, Problem> {
        self.may_take_part(p, id).await?;
        let m = self.one(id, seq).await?;
        let poll = match (&m.poll, m.deleted) {
            (Some(poll), false) => poll.clone(),
            _ => return Err(Problem::invalid("seq", "В этом сообщении нет опроса.")),
        };
        if poll.closed {
            return Err(Problem::invalid(
                "options",
                "Опрос закрыт: голосовать уже нельзя.",
            ));
        }
        if options.len() > poll.options.len() {
            return Err(Problem::invalid(
                "options",
                "Такого варианта ответа в опросе нет.",
            ));
        }
        let mut chosen: Vec<i64> = options.to_vec();
        chosen.sort_unstable();
        chosen.dedup();
        if chosen
            .iter()
            .any(|o| *o < 0 || *o >= poll.options.len() as i64)
        {
            return Err(Problem::invalid(
                "options",
                "Такого варианта ответа в опросе нет.",
            ));
        }
        if chosen.len() > 1 && !poll.multiple {
            return Err(Problem::invalid(
                "options",
                "В этом опросе выбирают один вариант.",
            ));
        }
        let mut tx = self.db.begin_write().await?;
        let poll = store::vote(&mut tx, id, seq, p.person_id, &chosen, poll, now_ms()).await?;
        tx.commit().await?;
        let m = Message {
            poll: Some(poll),
            ..m
        };
        self.hub.update(m.clone());
        Ok(m)
    }

    /// Closes a poll: its author or the chat's moderators. Closing twice is closing.
    pub async fn close_poll(
        &self,
        p: &Principal,
        id: ChatId,
        seq: i64,
    ) -> Result<Message, Problem> {
        let chat = self.chat_for(p, id, Operation::ReadChat).await?;
        let m = self.one(id, seq).await?;
        let Some(mut poll) = m.poll.clone().filter(|_| !m.deleted) else {
            return Err(Problem::invalid("seq", "В этом сообщении нет опроса."));
        };
        if m.author_id != p.person_id
            && (chat.kind == ChatKind::Personal || moderation(p, &chat) != Decision::Allow)
        {
            return Err(Problem::forbidden()
                .with_detail("Закрыть опрос может его автор или модератор чата."));
        }
        if poll.closed {
            return Ok(m);
        }
        poll.closed = true;
        let mut tx = self.db.begin_write().await?;
        store::save_poll(&mut tx, id, seq, &poll).await?;
        tx.commit().await?;
        let m = Message {
            poll: Some(poll),
            ..m
        };
        self.hub.update(m.clone());
        Ok(m)
    }

    /// Who chose which option of a poll that is not anonymous (the chat's members see it,
    /// as they would see hands raised at a meeting).
    pub async fn voters(&self, p: &Principal, id: ChatId, seq: i64) -> Result<PollVoters, Problem> {
        self.chat_for(p, id, Operation::ReadChat).await?;
        let m = self.one(id, seq).await?;
        let Some(poll) = m.poll.filter(|_| !m.deleted) else {
            return Err(Problem::invalid("seq", "В этом сообщении нет опроса."));
        };
        if poll.anonymous {
            return Err(Problem::forbidden().with_detail(
                "Опрос анонимный: видно только, сколько человек выбрали каждый вариант.",
            ));
        }
        let votes = store::voters(&self.db, id, seq).await?;
        let mut people: Vec<PersonId> = votes.iter().map(|v| v.1).collect();
        people.sort_by_key(|a| a.to_string());
        people.dedup();
        let names = registry_reads::short_names(&self.db, &people).await?;
        let mut options = vec![Vec::new(); poll.options.len()];
        for (o, person) in votes {
            if let Some(list) = usize::try_from(o).ok().and_then(|o| options.get_mut(o)) {
                list.push(Contact {
                    person_id: person,
                    name: names.get(&person).cloned().unwrap_or_default(),
                });
            }
        }
        Ok(PollVoters { seq, options })
    }

    /// Edits one's own message (its earlier text is kept for moderation); the members
    /// listening see the new text.
    pub async fn edit(
        &self,
        p: &Principal,
        id: ChatId,
        seq: i64,
        text: &str,
    ) -> Result<Message, Problem> {
        let chat = self.chat_for(p, id, Operation::PostInChat).await?;
        if chat.kind == ChatKind::Personal && !self.still_related(&chat, p).await? {
            return Err(closed());
        }
        let m = self.one(id, seq).await?;
        if m.author_id != p.person_id {
            return Err(Problem::forbidden().with_detail("Изменить можно только своё сообщение."));
        }
        if m.deleted {
            return Err(Problem::invalid("seq", "Сообщение удалено."));
        }
        let text = clean_text(text).map_err(|e| Problem::invalid("text", e))?;
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        store::edit(&mut tx, id, seq, p.person_id, &text, now).await?;
        tx.commit().await?;
        let m = Message {
            text,
            edited_at: Some(now),
            ..m
        };
        self.index.feed(Change::of(&m));
        self.hub.update(m.clone());
        Ok(m)
    }

    /// The text of one's own message, to edit it.
    pub async fn own_text(&self, p: &Principal, id: ChatId, seq: i64) -> Result<String, Problem> {
        self.chat_for(p, id, Operation::PostInChat).await?;
        let m = self.one(id, seq).await?;
        if m.author_id != p.person_id || m.deleted {
            return Err(Problem::forbidden().with_detail("Изменить можно только своё сообщение."));
        }
        Ok(m.text)
    }

    /// Deletes a message: one's own, or — by a moderator — anyone's (hiding it). The
    /// text is kept in the message's history for the school's moderation; a moderator's
    /// hiding of another's message is audited.
    pub async fn delete(
        &self,
        p: &Principal,
        id: ChatId,
        seq: i64,
        ip: Option<String>,
    ) -> Result<Message, Problem> {
        let chat = self.chat_for(p, id, Operation::ReadChat).await?;
        let m = self.one(id, seq).await?;
        if m.deleted {
            return Ok(m);
        }
        let own = m.author_id == p.person_id;
        if !own {
            let moderates =
                chat.kind != ChatKind::Personal && moderation(p, &chat) == Decision::Allow;
            check(if moderates {
                Decision::Allow
            } else {
                Decision::Forbidden
            })
            .map_err(|_| {
                Problem::forbidden()
                    .with_detail("Удалить чужое сообщение может только модератор чата.")
            })?;
        }
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        store::delete(&mut tx, id, seq, p.person_id, now).await?;
        if !own {
            let mut e = AuditEntry::by(p, ip, "hide", "chat_message");
            e.organisation_id = Some(chat.organisation_id);
            e.subject_person_id = Some(m.author_id);
            e.object_id = Some(format!("{id}/{seq}"));
            AuditLog::record_in(&mut tx, e).await?;
        }
        tx.commit().await?;
        let m = Message {
            text: String::new(),
            deleted: true,
            reactions: Vec::new(),
            poll: None,
            files: Vec::new(),
            ..m
        };
        self.index.feed(Change::of(&m));
        self.hub.update(m.clone());
        Ok(m)
    }

    /// Messages of the caller's chats (or of one of them) with every word of `q` in any
    /// of its forms, the newest first: a page of [`SEARCH_PAGE`] from `offset`.
    pub async fn search(
        &self,
        p: &Principal,
        q: &str,
        chat: Option<ChatId>,
        offset: usize,
    ) -> Result<SearchResults, Problem> {
        let q = q.trim();
        if q.chars().count() > MAX_QUERY_CHARS {
            return Err(Problem::invalid(
                "q",
                "Слишком длинный запрос: не больше 200 знаков.",
            ));
        }
        if offset > MAX_SEARCH_OFFSET {
            return Err(Problem::invalid(
                "offset",
                "Так далеко результаты не листаются: уточните запрос.",
            ));
        }
        let words = self.index.words(q)?;
        let mut chats = match chat {
            Some(id) => vec![self.chat_for(p, id, Operation::ReadChat).await?],
            None => {
                let mut keys = self.ensure(p).await?;
                keys.extend(store::own_keys(&self.db, p.person_id).await?);
                let removed = store::removed_from(&self.db, p.person_id).await?;
                let mut found = Vec::new();
                for c in store::chats_by_keys(&self.db, &keys).await? {
                    if removed.contains(&c.id) {
                        continue;
                    }
                    // A teacher's channel followed, a community joined: while it reaches
                    // them.
                    if matches!(c.kind, ChatKind::TeacherChannel | ChatKind::Community) {
                        let c = self.with_caller(c.clone(), p).await?;
                        if !c.caller.member {
                            continue;
                        }
                    }
                    found.push(c);
                }
                found
            }
        };
        let ids: Vec<ChatId> = chats.iter().map(|c| c.id).collect();
        let mut places = self
            .index
            .search(&ids, words.clone(), offset, SEARCH_PAGE + 1)
            .await?;
        let more = (places.len() > SEARCH_PAGE && offset + SEARCH_PAGE <= MAX_SEARCH_OFFSET)
            .then_some(offset + SEARCH_PAGE);
        places.truncate(SEARCH_PAGE);
        let rows = store::messages_at(&self.db, &places).await?;
        let mut by_place: HashMap<(ChatId, i64), Message> = self
            .messages_of(rows)
            .await?
            .into_iter()
            .filter(|m| !m.deleted)
            .map(|m| ((m.chat_id, m.seq), m))
            .collect();
        let personal: Vec<ChatId> = chats
            .iter()
            .filter(|c| c.kind == ChatKind::Personal)
            .map(|c| c.id)
            .collect();
        let titles = self.personal_titles(&personal, p.person_id).await?;
        for c in chats.iter_mut() {
            if let Some(t) = titles.get(&c.id) {
                c.title = t.clone();
            }
        }
        let of: HashMap<ChatId, &Chat> = chats.iter().map(|c| (c.id, c)).collect();
        let found = places
            .iter()
            .filter_map(|place| {
                let m = by_place.remove(place)?;
                let chat = of.get(&m.chat_id)?;
                let parts = self
                    .index
                    .marks(&m.text, &words)
                    .into_iter()
                    .map(|(text, found)| TextPart { text, found })
                    .collect();
                Some(Found {
                    chat_id: chat.id,
                    chat_kind: chat.kind,
                    chat_title: chat.title.clone(),
                    message: m,
                    parts,
                })
            })
            .collect();
        Ok(SearchResults { found, more })
    }

    /// One message of a chat the caller reads (the complaint form shows it).
    pub async fn message_of(
        &self,
        p: &Principal,
        id: ChatId,
        seq: i64,
    ) -> Result<Message, Problem> {
        self.chat_for(p, id, Operation::ReadChat).await?;
        let m = self.one(id, seq).await?;
        if m.deleted {
            return Err(Problem::invalid("seq", "Сообщение удалено."));
        }
        Ok(m)
    }

    /// A member's complaint about someone else's message: the chat's moderators and the
    /// school's administration see it among the open complaints. Once a person and
    /// message; at most [`COMPLAINTS_A_DAY`] a day.
    pub async fn complain(
        &self,
        p: &Principal,
        id: ChatId,
        seq: i64,
        reason: &str,
        comment: &str,
    ) -> Result<(), Problem> {
        self.chat_for(p, id, Operation::ReadChat).await?;
        let m = self.one(id, seq).await?;
        if m.author_id == p.person_id {
            return Err(Problem::invalid(
                "seq",
                "На своё сообщение жаловаться не нужно: его можно изменить или удалить.",
            ));
        }
        let reason = ComplaintReason::parse(reason)
            .ok_or_else(|| Problem::invalid("reason", "Выберите, что не так с сообщением."))?;
        let comment: String = comment
            .chars()
            .filter(|c| !c.is_control() || *c == '\n')
            .collect();
        let comment = comment.trim();
        if comment.chars().count() > MAX_COMPLAINT_COMMENT {
            return Err(Problem::invalid(
                "comment",
                "Пояснение длиннее 500 знаков: сократите его.",
            ));
        }
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        if store::complaints_since(&mut tx, p.person_id, now - 86_400_000).await?
            >= COMPLAINTS_A_DAY
        {
            return Err(Problem::too_many(
                "Слишком много жалоб за сутки: модераторы уже разбирают ваши жалобы.",
                3600,
            ));
        }
        store::complain(&mut tx, id, seq, p.person_id, reason.as_str(), comment, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The open complaints the caller settles: about the chats they moderate and, for a
    /// school's administration, every chat of its school. Reading them is audited (they
    /// show messages of chats the reader is not a member of).
    pub async fn complaints(
        &self,
        p: &Principal,
        ip: Option<String>,
    ) -> Result<Vec<Complaint>, Problem> {
        let orgs: Vec<OrganisationId> = if p.role() == Role::SchoolAdmin {
            p.scope.organisations.clone()
        } else {
            Vec::new()
        };
        let mut chats: Vec<Chat> = Vec::new();
        if p.role() == Role::Teacher {
            let mut keys = self.ensure(p).await?;
            keys.extend(store::followed_channel_keys(&self.db, p.person_id).await?);
            keys.extend(store::community_keys(&self.db, p.person_id).await?);
            keys.extend(store::owned_broadcast_keys(&self.db, p.person_id).await?);
            for c in store::chats_by_keys(&self.db, &keys).await? {
                let c = self.with_caller(c, p).await?;
                if moderation(p, &c) == Decision::Allow {
                    chats.push(c);
                }
            }
        }
        let ids: Vec<ChatId> = chats.iter().map(|c| c.id).collect();
        let rows = store::open_complaints(&self.db, &orgs, &ids, MAX_OPEN_COMPLAINTS).await?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let mut out: Vec<Complaint> = Vec::new();
        let mut people: Vec<PersonId> = rows.iter().map(|r| r.3).collect();
        let mut of_chat: HashMap<ChatId, Chat> = chats.into_iter().map(|c| (c.id, c)).collect();
        for (cid, chat_id, seq, by, reason, comment, at) in rows {
            if let Some(c) = out
                .iter_mut()
                .find(|c| c.chat_id == chat_id && c.seq == seq)
            {
                c.count += 1;
                continue;
            }
            if let std::collections::hash_map::Entry::Vacant(e) = of_chat.entry(chat_id) {
                if let Some(c) = store::chat(&self.db, chat_id).await? {
                    e.insert(c);
                }
            }
            let Some(chat) = of_chat.get(&chat_id) else {
                continue;
            };
            let Some(row) = store::message(&self.db, chat_id, seq).await? else {
                continue;
            };
            // A complaint about the reader's own message goes to the administration.
            if row.author_id == p.person_id {
                continue;
            }
            let earlier = store::message_history(&self.db, chat_id, seq)
                .await?
                .into_iter()
                .map(|h| h.3)
                .collect();
            people.push(row.author_id);
            out.push(Complaint {
                id: cid,
                chat_id,
                chat_kind: chat.kind,
                chat_title: chat.title.clone(),
                seq,
                author_id: row.author_id,
                author: String::new(),
                text: if row.deleted_at.is_some() {
                    String::new()
                } else {
                    row.body
                },
                earlier,
                reason: ComplaintReason::parse(&reason).unwrap_or(ComplaintReason::Other),
                comment,
                by: by.to_string(),
                at,
                count: 1,
            });
        }
        people.sort_by_key(|x| x.to_string());
        people.dedup();
        let names = registry_reads::short_names(&self.db, &people).await?;
        for c in out.iter_mut() {
            c.author = names.get(&c.author_id).cloned().unwrap_or_default();
            c.by =
                c.by.parse::<PersonId>()
                    .ok()
                    .and_then(|b| names.get(&b).cloned())
                    .unwrap_or_default();
            if c.chat_kind == ChatKind::Personal {
                c.chat_title = String::new();
            }
        }
        let mut e = AuditEntry::by(p, ip, "read", "chat_complaints");
        e.details = Some(format!("{} complaints", out.len()));
        let mut tx = self.db.begin_write().await?;
        AuditLog::record_in(&mut tx, e).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// A moderator's decision about a message: the complaints about it closed, and the
    /// message hidden, its author muted for `hours` or removed from the chat. Audited.
    #[allow(clippy::too_many_arguments)]
    pub async fn moderate(
        &self,
        p: &Principal,
        id: ChatId,
        seq: i64,
        action: Resolution,
        hours: Option<i64>,
        ip: Option<String>,
    ) -> Result<(), Problem> {
        let chat = self.chat_for_moderator(p, id).await?;
        let row = store::message(&self.db, id, seq)
            .await?
            .ok_or_else(|| Problem::invalid("seq", "В чате нет сообщения с таким номером."))?;
        let author = row.author_id;
        if author == p.person_id {
            // Nobody judges their own case: the school's administration does.
            return Err(Problem::forbidden().with_detail(
                "Жалобу на ваше собственное сообщение разбирает администрация школы.",
            ));
        }
        let now = now_ms();
        let until = match (action, hours) {
            (Resolution::Mute, Some(h)) if (1..=MAX_MUTE_HOURS).contains(&h) => {
                Some(now + h * 3_600_000)
            }
            (Resolution::Mute, _) => {
                return Err(Problem::invalid(
                    "hours",
                    "Укажите, на сколько часов запретить писать: от 1 до 2880.",
                ))
            }
            _ => None,
        };
        if matches!(action, Resolution::Mute | Resolution::Remove) {
            self.may_restrict(p, &chat, author).await?;
        }
        let mut tx = self.db.begin_write().await?;
        let hide = action != Resolution::Dismiss && row.deleted_at.is_none();
        if hide {
            store::delete(&mut tx, id, seq, p.person_id, now).await?;
        }
        match action {
            Resolution::Mute => {
                store::restrict(&mut tx, id, author, Some("mute"), until, p.person_id, now).await?
            }
            Resolution::Remove => {
                store::restrict(&mut tx, id, author, Some("remove"), None, p.person_id, now).await?
            }
            _ => {}
        }
        store::resolve_complaints(&mut tx, id, seq, p.person_id, action.as_str(), now).await?;
        let mut e = AuditEntry::by(p, ip, "moderate", "chat_message");
        e.organisation_id = Some(chat.organisation_id);
        e.subject_person_id = Some(author);
        e.object_id = Some(format!("{id}/{seq}"));
        e.details = Some(format!("{} hours={hours:?}", action.as_str()));
        AuditLog::record_in(&mut tx, e).await?;
        tx.commit().await?;
        if hide {
            let m = self.one(id, seq).await?;
            self.index.feed(Change::of(&m));
            self.hub.update(m);
        }
        Ok(())
    }

    /// A chat the caller moderates (the school's administration: any chat of its school,
    /// though not a member).
    async fn chat_for_moderator(&self, p: &Principal, id: ChatId) -> Result<Chat, Problem> {
        let chat = store::chat(&self.db, id)
            .await?
            .ok_or_else(Problem::not_found)?;
        let chat = self.with_caller(chat, p).await?;
        check(moderation(p, &chat))?;
        Ok(chat)
    }

    /// Whether the person is among the chat's members now (by the registry, or by name).
    pub(crate) async fn in_chat(&self, chat: &Chat, person: PersonId) -> Result<bool, Problem> {
        let db = &self.db;
        if chat.kind.is_channel() {
            return self.in_channel(chat, person).await;
        }
        if chat.kind == ChatKind::Community {
            return self.in_community(chat, person).await;
        }
        if chat.kind == ChatKind::Broadcast {
            return self.in_broadcast(chat, person).await;
        }
        if let Some(c) = chat.class_id {
            if registry_reads::class_teacher(db, c).await? == Some(person) {
                return Ok(true);
            }
        }
        let members = match (chat.kind, chat.class_id) {
            (ChatKind::ClassStudents, Some(c)) => registry_reads::students_of(db, &[c]).await?,
            (ChatKind::ClassParents, Some(c)) => registry_reads::parents_of(db, &[c]).await?,
            (ChatKind::StaffRoom, _) => {
                registry_reads::staff_of(db, &[chat.organisation_id]).await?
            }
            (ChatKind::Personal, _) => return Ok(store::is_member(db, chat.id, person).await?),
            (ChatKind::SubjectGroup, _) => match chat.group_id {
                Some(g) => registry_reads::group_people(db, g).await?,
                None => Vec::new(),
            },
            _ => Vec::new(),
        };
        Ok(members.iter().any(|(m, _)| *m == person))
    }

    /// Moderators are not muted or removed by each other, nor oneself.
    async fn may_restrict(
        &self,
        p: &Principal,
        chat: &Chat,
        person: PersonId,
    ) -> Result<(), Problem> {
        let refuse = || {
            Problem::forbidden().with_detail(
                "Запретить писать или удалить из чата можно участника, но не модератора и не себя.",
            )
        };
        if person == p.person_id {
            return Err(refuse());
        }
        if self.is_moderator(chat, person).await? {
            return Err(refuse());
        }
        Ok(())
    }

    /// Whether the person moderates the chat by the registry: its class's teacher, its
    /// group's teacher, the school's administration.
    pub(crate) async fn is_moderator(
        &self,
        chat: &Chat,
        person: PersonId,
    ) -> Result<bool, Problem> {
        let by_registry = match (chat.kind, chat.class_id, chat.group_id) {
            (ChatKind::ClassStudents | ChatKind::ClassParents, Some(c), _) => {
                registry_reads::class_teacher(&self.db, c).await? == Some(person)
            }
            (ChatKind::SubjectGroup, _, Some(g)) => {
                registry_reads::group_role(&self.db, g, person).await?.0
            }
            (ChatKind::ClassChannel, Some(c), _) => {
                registry_reads::class_teacher(&self.db, c).await? == Some(person)
            }
            (ChatKind::TeacherChannel, _, _) => chat.owner_id == Some(person),
            (ChatKind::Community, _, _) => self.moderates_community(chat, person).await?,
            (ChatKind::Broadcast, _, _) => chat.owner_id == Some(person),
            _ => false,
        };
        Ok(by_registry
            || (chat.kind != ChatKind::Personal
                && registry_reads::admins_of(&self.db, chat.organisation_id)
                    .await?
                    .contains(&person)))
    }

    /// Mutes a member (`hours`), removes them, or lets them back (`none`). Audited.
    pub async fn restrict(
        &self,
        p: &Principal,
        id: ChatId,
        person: PersonId,
        kind: &str,
        hours: Option<i64>,
        ip: Option<String>,
    ) -> Result<(), Problem> {
        let chat = self.chat_for_moderator(p, id).await?;
        let now = now_ms();
        let (kind, until) = match (kind, hours) {
            ("none", _) => (None, None),
            ("remove", _) => (Some("remove"), None),
            ("mute", Some(h)) if (1..=MAX_MUTE_HOURS).contains(&h) => {
                (Some("mute"), Some(now + h * 3_600_000))
            }
            ("mute", _) => {
                return Err(Problem::invalid(
                    "hours",
                    "Укажите, на сколько часов запретить писать: от 1 до 2880.",
                ))
            }
            _ => {
                return Err(Problem::invalid(
                    "kind",
                    "Выберите: запретить писать (mute), удалить из чата (remove) или снять ограничение (none).",
                ))
            }
        };
        if kind.is_some() {
            if !self.in_chat(&chat, person).await? {
                return Err(Problem::not_found());
            }
            self.may_restrict(p, &chat, person).await?;
        } else if !store::restrictions(&self.db, id, now)
            .await?
            .iter()
            .any(|r| r.0 == person)
        {
            // Nothing to lift: not someone this chat restricted.
            return Err(Problem::not_found());
        }
        let mut tx = self.db.begin_write().await?;
        store::restrict(&mut tx, id, person, kind, until, p.person_id, now).await?;
        let mut e = AuditEntry::by(p, ip, "restrict", "chat");
        e.organisation_id = Some(chat.organisation_id);
        e.subject_person_id = Some(person);
        e.object_id = Some(id.to_string());
        e.details = Some(format!("{} hours={hours:?}", kind.unwrap_or("none")));
        AuditLog::record_in(&mut tx, e).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Who is muted or removed in the chat now (its moderators).
    pub async fn restricted(&self, p: &Principal, id: ChatId) -> Result<Vec<Restricted>, Problem> {
        self.chat_for_moderator(p, id).await?;
        let rows = store::restrictions(&self.db, id, now_ms()).await?;
        let ids: Vec<PersonId> = rows.iter().map(|r| r.0).collect();
        let names = registry_reads::short_names(&self.db, &ids).await?;
        Ok(rows
            .into_iter()
            .map(|(person_id, kind, until)| Restricted {
                name: names.get(&person_id).cloned().unwrap_or_default(),
                person_id,
                kind,
                until,
            })
            .collect())
    }

    /// Activity in the chats of the caller's schools in the week of `week` (this week when
    /// absent): the school's administration its school, an operator their territory's
    /// schools (`org`: one of them).
    pub async fn activity(
        &self,
        p: &Principal,
        week: Option<&str>,
        org: Option<OrganisationId>,
    ) -> Result<ActivityReport, Problem> {
        let day = match week.map(str::trim).filter(|w| !w.is_empty()) {
            Some(w) => parta_core::time::parse_day(w)
                .ok_or_else(|| Problem::invalid("week", "Неделя — дата в виде ГГГГ-ММ-ДД."))?,
            None => parta_core::time::today(),
        };
        let week = parta_core::time::monday_of(day).to_string();
        let s = &p.scope;
        let schools = match (org, p.role()) {
            (Some(o), _) => registry_reads::schools_where(&self.db, &[o], &[], &[]).await?,
            (None, Role::SchoolAdmin) => {
                registry_reads::schools_where(&self.db, &s.organisations, &[], &[]).await?
            }
            (None, Role::MunicipalOperator | Role::RegionalOperator) => {
                registry_reads::schools_where(&self.db, &[], &s.municipalities, &s.regions).await?
            }
            // Figures of schools are for their administration and operators.
            (None, _) => return Err(Problem::forbidden()),
        };
        if org.is_some() && schools.is_empty() {
            return Err(Problem::not_found());
        }
        let mut allowed = Vec::new();
        for school in schools {
            let d = decide(
                p,
                Operation::ReadChatActivity,
                Target::Organisation(&school.facts),
            );
            if org.is_some() {
                check(d)?;
            }
            if d == Decision::Allow {
                allowed.push(school);
            }
        }
        let ids: Vec<OrganisationId> = allowed.iter().map(|s| s.facts.organisation).collect();
        let rows = store::activity_of(&self.db, &ids, &week).await?;
        let authors = store::authors_of(&self.db, &ids, &week).await?;
        let mut by_school: HashMap<OrganisationId, SchoolActivity> = allowed
            .iter()
            .map(|s| {
                (
                    s.facts.organisation,
                    SchoolActivity {
                        organisation_id: Some(s.facts.organisation),
                        name: s.name.clone(),
                        ..Default::default()
                    },
                )
            })
            .collect();
        for (o, _, kind, n) in rows {
            // Channels are not conversations: MON-4 counts chats.
            if ChatKind::parse(&kind).is_some_and(|k| k.is_channel() || k == ChatKind::Broadcast) {
                continue;
            }
            let Some(a) = by_school.get_mut(&o) else {
                continue;
            };
            a.chats += 1;
            a.messages += n;
            if n > 0 {
                a.active_chats += 1;
            }
            if matches!(
                ChatKind::parse(&kind),
                Some(ChatKind::ClassStudents | ChatKind::ClassParents | ChatKind::SubjectGroup)
            ) {
                a.teacher_chats += 1;
                if n >= ACTIVE_CHAT_MESSAGES {
                    a.teacher_chats_active += 1;
                }
            }
        }
        for school in &allowed {
            let o = school.facts.organisation;
            let staff: std::collections::HashSet<PersonId> =
                registry_reads::staff_of(&self.db, &[o])
                    .await?
                    .into_iter()
                    .map(|x| x.0)
                    .collect();
            let Some(a) = by_school.get_mut(&o) else {
                continue;
            };
            for (_, person) in authors.iter().filter(|(ao, _)| *ao == o) {
                a.active_members += 1;
                if staff.contains(person) {
                    a.active_teachers += 1;
                }
            }
        }
        let share = |a: &SchoolActivity| {
            if a.teacher_chats > 0 {
                a.teacher_chats_active as f64 / a.teacher_chats as f64
            } else {
                0.0
            }
        };
        let mut total = SchoolActivity {
            name: String::new(),
            ..Default::default()
        };
        let mut schools = Vec::with_capacity(allowed.len());
        for s in &allowed {
            if let Some(mut a) = by_school.remove(&s.facts.organisation) {
                a.teacher_chats_share = share(&a);
                total.chats += a.chats;
                total.active_chats += a.active_chats;
                total.teacher_chats += a.teacher_chats;
                total.teacher_chats_active += a.teacher_chats_active;
                total.messages += a.messages;
                total.active_members += a.active_members;
                total.active_teachers += a.active_teachers;
                schools.push(a);
            }
        }
        total.teacher_chats_share = share(&total);
        Ok(ActivityReport {
            week,
            schools,
            total,
            target_share: TARGET_ACTIVE_SHARE,
        })
    }

    /// A moderator's change of the chat: read-only mode, the pinned message. Audited.
    pub async fn settle(
        &self,
        p: &Principal,
        id: ChatId,
        settings: &ChatSettings,
        ip: Option<String>,
    ) -> Result<(), Problem> {
        let chat = self.chat_for(p, id, Operation::ModerateChat).await?;
        if chat.kind == ChatKind::Personal {
            return Err(Problem::forbidden().with_detail(
                "У личной переписки нет настроек модерации: жалобы на неё разбирает администрация школы.",
            ));
        }
        if let Some(seq) = settings.pinned.filter(|s| *s != 0) {
            let row = store::message(&self.db, id, seq).await?;
            if seq < 0 || row.is_none_or(|r| r.deleted_at.is_some()) {
                return Err(Problem::invalid(
                    "pinned",
                    "В чате нет сообщения с таким номером.",
                ));
            }
        }
        if settings
            .slow_seconds
            .is_some_and(|s| !SLOW_MODES.contains(&s))
        {
            return Err(Problem::invalid(
                "slow_seconds",
                "Медленный режим: выберите 0 (выключен), 10, 30, 60 или 300 секунд.",
            ));
        }
        let mut tx = self.db.begin_write().await?;
        store::settle(
            &mut tx,
            id,
            settings.read_only,
            settings.pinned,
            settings.slow_seconds,
        )
        .await?;
        let mut e = AuditEntry::by(p, ip, "moderate", "chat");
        e.organisation_id = Some(chat.organisation_id);
        e.object_id = Some(id.to_string());
        e.details = Some(format!(
            "read_only={:?} pinned={:?} slow_seconds={:?}",
            settings.read_only, settings.pinned, settings.slow_seconds
        ));
        AuditLog::record_in(&mut tx, e).await?;
        tx.commit().await?;
        Ok(())
    }
}

fn summary(
    chat: &Chat,
    last_at: i64,
    read: i64,
    text: Option<String>,
    author: Option<String>,
) -> ChatSummary {
    ChatSummary {
        id: chat.id,
        kind: chat.kind,
        title: chat.title.clone(),
        class_id: chat.class_id,
        last_seq: chat.last_seq,
        last_at,
        unread: (chat.last_seq - read).max(0),
        // The start of the last message, cut at a word with "…" when longer.
        last_text: text.map(|t| {
            if t.chars().count() <= 120 {
                return t;
            }
            let head: String = t.chars().take(119).collect();
            let cut = head.rfind(' ').filter(|i| *i > 60).unwrap_or(head.len());
            format!("{}…", head[..cut].trim_end())
        }),
        last_author: author,
        to_acknowledge: 0,
        read_only: chat.read_only,
        slow_seconds: chat.slow_seconds,
    }
}
