//! Каналы (COM-2): a school's news, a class's channel, a teacher's channel. A channel is a
//! chat whose posts come from its authors; its readers — decided from the registry at each
//! request, like a class's chat — comment on a post when comments are on, and each post
//! counts who read up to it. The school's and a class's channels reach their people
//! without asking; a teacher's channel is followed by choice.

use crate::model::*;
use crate::service::{check, Chats};
use crate::{registry_reads, store};
use parta_core::ids::{ChatId, OrganisationId, PersonId};
use parta_core::policy::{decide, Operation, Target};
use parta_core::principal::{Principal, Role};
use parta_core::time::now_ms;
use parta_core::Problem;
use std::collections::HashMap;

impl Chats {
    /// Whether the caller reads the channel now, and whether they post in it: a school's
    /// news — its staff, students and their parents read, its administration posts; a
    /// class's channel — its students, parents and teachers read, its class teacher posts;
    /// a teacher's channel — the school's staff and the families of the classes its owner
    /// teaches read, its owner posts. Only in the school of the caller's active role (for
    /// staff and students; a parent's children's).
    pub(crate) async fn channel_membership(
        &self,
        chat: &Chat,
        p: &Principal,
    ) -> Result<Membership, Problem> {
        let s = &p.scope;
        let org = chat.organisation_id;
        let here = s.organisations.contains(&org);
        let role = p.role();
        let (member, moderator) = match (chat.kind, chat.class_id) {
            (ChatKind::SchoolChannel, _) => match role {
                Role::SchoolAdmin => (here, here),
                Role::Teacher | Role::Student => (here, false),
                Role::Parent => {
                    let classes = registry_reads::classes(&self.db, &s.children_classes).await?;
                    (classes.iter().any(|(_, o, _)| *o == org), false)
                }
                _ => (false, false),
            },
            (ChatKind::ClassChannel, Some(class)) => match role {
                // In the school of their role (a teacher of two schools holds a role in
                // each).
                Role::Teacher if !here => (false, false),
                Role::Teacher if s.led_classes.contains(&class) => (true, true),
                Role::Teacher => (s.taught_classes.contains(&class), false),
                Role::Student => (s.own_classes.contains(&class), false),
                Role::Parent => (s.children_classes.contains(&class), false),
                _ => (false, false),
            },
            (ChatKind::TeacherChannel, _) => {
                let owner = chat.owner_id;
                match role {
                    Role::Teacher if here && owner == Some(p.person_id) => (true, true),
                    Role::Teacher | Role::SchoolAdmin => (here, false),
                    Role::Student | Role::Parent => {
                        let mine = if role == Role::Student {
                            &s.own_classes
                        } else {
                            &s.children_classes
                        };
                        let taught = match owner {
                            Some(o) if !mine.is_empty() => {
                                registry_reads::classes_taught_in(&self.db, o, org).await?
                            }
                            _ => Vec::new(),
                        };
                        (taught.iter().any(|c| mine.contains(c)), false)
                    }
                    _ => (false, false),
                }
            }
            _ => (false, false),
        };
        Ok(Membership { member, moderator })
    }

    /// The channel's readers now, by name (an urgent post's "not yet"; a restriction's
    /// check): at most [`MAX_CONTACTS`].
    pub(crate) async fn channel_people(
        &self,
        chat: &Chat,
    ) -> Result<Vec<(PersonId, String)>, Problem> {
        let db = &self.db;
        let org = chat.organisation_id;
        Ok(match (chat.kind, chat.class_id) {
            (ChatKind::SchoolChannel, _) => registry_reads::school_people(db, org).await?,
            (ChatKind::ClassChannel, Some(c)) => {
                let mut all = registry_reads::students_of(db, &[c]).await?;
                all.extend(registry_reads::parents_of(db, &[c]).await?);
                all.extend(registry_reads::teachers_of(db, &[c]).await?);
                all
            }
            (ChatKind::TeacherChannel, _) => {
                let mut all = registry_reads::staff_of(db, &[org]).await?;
                if let Some(owner) = chat.owner_id {
                    let classes = registry_reads::classes_taught_in(db, owner, org).await?;
                    all.extend(registry_reads::students_of(db, &classes).await?);
                    all.extend(registry_reads::parents_of(db, &classes).await?);
                }
                all
            }
            _ => Vec::new(),
        })
    }

    /// Whether the person reads the channel now (a restriction is put on its readers).
    pub(crate) async fn in_channel(&self, chat: &Chat, person: PersonId) -> Result<bool, Problem> {
        let db = &self.db;
        let org = chat.organisation_id;
        Ok(match (chat.kind, chat.class_id) {
            (ChatKind::SchoolChannel, _) => registry_reads::of_school(db, org, person).await?,
            (ChatKind::ClassChannel, Some(c)) => {
                registry_reads::of_classes(db, &[c], person, true).await?
            }
            (ChatKind::TeacherChannel, _) => {
                let classes = match chat.owner_id {
                    Some(owner) => registry_reads::classes_taught_in(db, owner, org).await?,
                    None => Vec::new(),
                };
                registry_reads::works_at(db, org, person).await?
                    || registry_reads::of_classes(db, &classes, person, false).await?
            }
            _ => false,
        })
    }

    /// Whether the person publishes the channel's posts now: the school's administration
    /// its news, the class teacher a class's channel, the owner their channel.
    pub(crate) async fn is_channel_author(
        &self,
        chat: &Chat,
        person: PersonId,
    ) -> Result<bool, Problem> {
        let db = &self.db;
        Ok(match (chat.kind, chat.class_id) {
            (ChatKind::SchoolChannel, _) => registry_reads::admins_of(db, chat.organisation_id)
                .await?
                .contains(&person),
            (ChatKind::ClassChannel, Some(c)) => {
                registry_reads::class_teacher(db, c).await? == Some(person)
            }
            (ChatKind::TeacherChannel, _) => {
                chat.owner_id == Some(person)
                    && registry_reads::works_at(db, chat.organisation_id, person).await?
            }
            _ => false,
        })
    }

    /// The channels the caller reads: their school's news and their classes' channels
    /// (always followed), and the teachers' channels of their schools they may follow.
    pub async fn channels(&self, p: &Principal) -> Result<Vec<ChannelEntry>, Problem> {
        let keys = self.ensure(p).await?;
        let mut found: Vec<(Chat, bool, i64)> = store::chats_with_last(&self.db, &keys)
            .await?
            .into_iter()
            .filter(|(c, _)| c.kind.is_channel())
            .map(|(c, at)| (c, true, at))
            .collect();
        // The teachers' channels of the schools whose news the caller reads.
        let schools: Vec<OrganisationId> = found
            .iter()
            .filter(|(c, _, _)| c.kind == ChatKind::SchoolChannel)
            .map(|(c, _, _)| c.organisation_id)
            .collect();
        found.extend(store::teacher_channels(&self.db, &schools, p.person_id).await?);
        let removed = store::removed_from(&self.db, p.person_id).await?;
        found.retain(|c| !removed.contains(&c.0.id));
        let owners: Vec<PersonId> = found.iter().filter_map(|c| c.0.owner_id).collect();
        let names = registry_reads::short_names(&self.db, &owners).await?;
        let mut out = Vec::new();
        for (chat, followed, last_at) in found {
            let chat = self.with_caller(chat, p).await?;
            let Membership { member, moderator } = chat.caller;
            if !(member || moderator) {
                continue;
            }
            let optional = chat.kind == ChatKind::TeacherChannel && !moderator;
            out.push(ChannelEntry {
                id: chat.id,
                kind: chat.kind,
                title: chat.title.clone(),
                description: chat.description.clone(),
                owner: chat.owner_id.and_then(|o| names.get(&o).cloned()),
                subscribed: followed || moderator,
                optional,
                author: moderator,
                last_at,
            });
        }
        // The school's news first, then the classes', then the teachers' — each by title.
        let rank = |k: ChatKind| match k {
            ChatKind::SchoolChannel => 0,
            ChatKind::ClassChannel => 1,
            _ => 2,
        };
        out.sort_by(|a, b| (rank(a.kind), &a.title).cmp(&(rank(b.kind), &b.title)));
        Ok(out)
    }

    /// Opens the caller's own channel in the school of their role (one each; comments off
    /// until they turn them on).
    pub async fn create_channel(&self, p: &Principal, new: &NewChannel) -> Result<ChatId, Problem> {
        let Some(org) = p.scope.organisations.first().copied() else {
            return Err(Problem::forbidden().with_detail("Свой канал открывает учитель школы."));
        };
        let facts = registry_reads::schools_where(&self.db, &[org], &[], &[])
            .await?
            .into_iter()
            .next()
            .ok_or_else(Problem::not_found)?;
        check(decide(
            p,
            Operation::CreateChannel,
            Target::Organisation(&facts.facts),
        ))
        .map_err(|e| {
            if e.status == 403 {
                e.with_detail("Свой канал открывает учитель школы.")
            } else {
                e
            }
        })?;
        let title =
            clean_line(&new.title, MAX_CHANNEL_TITLE).map_err(|m| Problem::invalid("title", m))?;
        if title.is_empty() {
            return Err(Problem::invalid("title", "Назовите канал."));
        }
        let description = clean_block(&new.description, MAX_CHANNEL_DESCRIPTION)
            .map_err(|m| Problem::invalid("description", m))?;
        let mut tx = self.db.begin_write().await?;
        let made = store::create_channel(&mut tx, org, p.person_id, &title, &description, now_ms())
            .await?;
        tx.commit().await?;
        made.ok_or_else(|| Problem::conflict("channel", "У вас уже есть канал в этой школе."))
    }

    /// Follows a teacher's channel the caller may read (`on`), or stops following it. The
    /// school's and a class's channels are followed by all their people.
    pub async fn subscribe(&self, p: &Principal, id: ChatId, on: bool) -> Result<(), Problem> {
        let chat = self.chat_for(p, id, Operation::ReadChat).await?;
        if chat.kind != ChatKind::TeacherChannel || chat.caller.moderator {
            return Err(Problem::conflict(
                "channel",
                "На этот канал подписаны все, для кого он: отписаться нельзя.",
            ));
        }
        let mut tx = self.db.begin_write().await?;
        store::subscribe(&mut tx, id, p.person_id, on, now_ms()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The post a channel's comment was written on (`None`: a post, or not a channel).
    pub async fn thread_of(
        &self,
        p: &Principal,
        id: ChatId,
        seq: i64,
    ) -> Result<Option<i64>, Problem> {
        let chat = self.chat_for(p, id, Operation::ReadChat).await?;
        if !chat.kind.is_channel() {
            return Ok(None);
        }
        Ok(store::message(&self.db, id, seq)
            .await?
            .and_then(|m| m.reply_to))
    }

    /// For a page of a channel's posts: each post's views (readers whose read mark reached
    /// it, its author not counted) and comments.
    pub(crate) async fn post_figures(
        &self,
        chat: ChatId,
        posts: &[(i64, PersonId)],
    ) -> Result<(HashMap<i64, i64>, HashMap<i64, i64>), Problem> {
        if posts.is_empty() {
            return Ok(Default::default());
        }
        let marks = store::read_marks(&self.db, chat).await?;
        let mut seqs: Vec<i64> = marks.iter().map(|m| m.1).collect();
        seqs.sort_unstable();
        let views = posts
            .iter()
            .map(|(seq, author)| {
                let reached = (seqs.len() - seqs.partition_point(|r| r < seq)) as i64;
                let own = marks.iter().any(|(p, r)| p == author && r >= seq);
                (*seq, reached - i64::from(own))
            })
            .collect();
        let seqs: Vec<i64> = posts.iter().map(|p| p.0).collect();
        let comments = store::reply_counts(&self.db, chat, &seqs).await?;
        Ok((views, comments))
    }
}

/// One line of text without control characters, at most `max` characters.
pub(crate) fn clean_line(raw: &str, max: usize) -> Result<String, String> {
    let text: String = raw.chars().filter(|c| !c.is_control()).collect();
    let text = text.trim();
    if text.chars().count() > max {
        return Err(format!("Не длиннее {max} знаков."));
    }
    Ok(text.to_string())
}

/// Text of a few lines, at most `max` characters.
pub(crate) fn clean_block(raw: &str, max: usize) -> Result<String, String> {
    let text: String = raw
        .chars()
        .filter(|c| *c == '\n' || !c.is_control())
        .collect();
    let text = text.trim();
    if text.chars().count() > max {
        return Err(format!("Не длиннее {max} знаков."));
    }
    Ok(text.to_string())
}
