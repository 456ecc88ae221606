//! Трансляции (COM-3): a scheduled online lesson or school event with its stream (an HLS
//! address or an external video room), open to the school's people (or a class's), with a
//! live comment feed — the broadcast's chat, moderated by its organiser and the school's
//! administration, in slow mode from the start — a count of who follows it now, and the
//! recording's address once it is over.

use crate::model::*;
use crate::service::{check, Chats};
use crate::{registry_reads, store};
use parta_core::ids::{ChatId, ClassId, OrganisationId};
use parta_core::policy::{decide, ClassFacts, Operation, Target};
use parta_core::principal::{Principal, Role};
use parta_core::time::now_ms;
use parta_core::Problem;

/// A stream's or a recording's address: http(s), not too long, not a foreign messenger
/// (INT-8).
fn clean_url(field: &str, raw: &str) -> Result<String, Problem> {
    let url = raw.trim();
    let host = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .and_then(|rest| rest.split(['/', '?', '#']).next())
        .filter(|h| !h.is_empty());
    // No `\` or `@`: a browser reads `https://t.me\@video.school.ru/` as t.me.
    if host.is_none()
        || url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '\\' || c == '@')
    {
        return Err(Problem::invalid(
            field,
            "Укажите адрес целиком, начиная с https:// (например, https://video.school.ru/live/index.m3u8).",
        ));
    }
    if url.chars().count() > MAX_URL_CHARS {
        return Err(Problem::invalid(
            field,
            format!("Адрес длиннее {MAX_URL_CHARS} знаков."),
        ));
    }
    parta_core::outbound::check_destination("Адрес", url)
        .map_err(|m| Problem::invalid(field, m))?;
    Ok(url.to_string())
}

/// The channel whose readers a broadcast's audience is: the class's, or the school's news.
fn audience_of(chat: &Chat) -> Chat {
    Chat {
        kind: if chat.class_id.is_some() {
            ChatKind::ClassChannel
        } else {
            ChatKind::SchoolChannel
        },
        ..chat.clone()
    }
}

impl Chats {
    /// Whether the caller watches the broadcast (a class's: its students, parents and
    /// teachers; the school's: its staff, students and their parents) and whether they
    /// organise it (its organiser while they work there, the school's administration).
    pub(crate) async fn broadcast_membership(
        &self,
        chat: &Chat,
        p: &Principal,
    ) -> Result<Membership, Problem> {
        let watch = self.channel_membership(&audience_of(chat), p).await?;
        let here = p.scope.organisations.contains(&chat.organisation_id);
        let organiser = here
            && matches!(p.role(), Role::Teacher | Role::SchoolAdmin)
            && (chat.owner_id == Some(p.person_id) || p.role() == Role::SchoolAdmin);
        Ok(Membership {
            member: watch.member || organiser,
            moderator: organiser,
        })
    }

    /// Whether the person watches the broadcast now (a restriction's check).
    pub(crate) async fn in_broadcast(
        &self,
        chat: &Chat,
        person: parta_core::ids::PersonId,
    ) -> Result<bool, Problem> {
        Ok(self.in_channel(&audience_of(chat), person).await?
            || (chat.class_id.is_some()
                && registry_reads::admins_of(&self.db, chat.organisation_id)
                    .await?
                    .contains(&person)))
    }

    /// A broadcast's audience by name (an urgent comment's "not yet").
    pub(crate) async fn broadcast_people(
        &self,
        chat: &Chat,
    ) -> Result<Vec<(parta_core::ids::PersonId, String)>, Problem> {
        self.channel_people(&audience_of(chat)).await
    }

    fn broadcast_of(&self, row: store::BroadcastRow, audience: String) -> Broadcast {
        Broadcast {
            id: row.chat.id,
            title: row.chat.title.clone(),
            description: row.chat.description.clone(),
            class_id: row.chat.class_id,
            audience,
            starts_at: row.starts_at,
            stream_url: row.stream_url,
            recording_url: row.recording_url,
            ended_at: row.ended_at,
            viewers: self.hub().listeners(row.chat.id) as i64,
            organiser: row.chat.caller.moderator,
        }
    }

    /// Opens a broadcast: the school's (its administration) or a class's (its class
    /// teacher, a teacher of it, the administration).
    pub async fn create_broadcast(
        &self,
        p: &Principal,
        new: &NewBroadcast,
    ) -> Result<ChatId, Problem> {
        let refused = || {
            Problem::forbidden().with_detail(
                "Трансляцию класса проводит его учитель, трансляцию школы — администрация.",
            )
        };
        let (org, class): (OrganisationId, Option<ClassId>) = match new.class_id {
            Some(class) => {
                let row = registry_reads::classes(&self.db, &[class])
                    .await?
                    .pop()
                    .ok_or_else(|| Problem::invalid("class_id", "Такого класса нет."))?;
                let school = registry_reads::schools_where(&self.db, &[row.1], &[], &[])
                    .await?
                    .pop()
                    .ok_or_else(Problem::not_found)?;
                let facts = ClassFacts {
                    class,
                    org: school.facts,
                };
                check(decide(p, Operation::CreateBroadcast, Target::Class(&facts)))
                    .map_err(|e| if e.status == 403 { refused() } else { e })?;
                (row.1, Some(class))
            }
            None => {
                let org = p.scope.organisations.first().copied().ok_or_else(refused)?;
                let school = registry_reads::schools_where(&self.db, &[org], &[], &[])
                    .await?
                    .pop()
                    .ok_or_else(Problem::not_found)?;
                check(decide(
                    p,
                    Operation::CreateBroadcast,
                    Target::Organisation(&school.facts),
                ))
                .map_err(|e| if e.status == 403 { refused() } else { e })?;
                (org, None)
            }
        };
        let title = crate::channels::clean_line(&new.title, MAX_CHANNEL_TITLE)
            .map_err(|m| Problem::invalid("title", m))?;
        if title.is_empty() {
            return Err(Problem::invalid("title", "Назовите трансляцию."));
        }
        let description = crate::channels::clean_block(&new.description, MAX_CHANNEL_DESCRIPTION)
            .map_err(|m| Problem::invalid("description", m))?;
        let now = now_ms();
        let starts_at = crate::scheduled::parse_send_at(&new.starts_at).ok_or_else(|| {
            Problem::invalid(
                "starts_at",
                "Укажите дату и время начала, например 2026-12-05T15:00.",
            )
        })?;
        if starts_at < now - 86_400_000 || starts_at > now + 366 * 86_400_000 {
            return Err(Problem::invalid(
                "starts_at",
                "Начало трансляции — не раньше вчерашнего дня и не позже чем через год.",
            ));
        }
        let stream = clean_url("stream_url", &new.stream_url)?;
        let mut tx = self.db.begin_write().await?;
        let id = store::create_broadcast(
            &mut tx,
            org,
            class,
            p.person_id,
            (&title, &description, starts_at, &stream),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The broadcasts the caller may watch from a week back: those not over first, the
    /// soonest first; then those over, the latest first.
    pub async fn broadcasts(&self, p: &Principal) -> Result<Vec<Broadcast>, Problem> {
        let mut orgs: Vec<OrganisationId> = match p.role() {
            Role::Student | Role::Teacher | Role::SchoolAdmin => p.scope.organisations.clone(),
            Role::Parent => registry_reads::classes(&self.db, &p.scope.children_classes)
                .await?
                .into_iter()
                .map(|c| c.1)
                .collect(),
            _ => Vec::new(),
        };
        orgs.sort_by_key(|o| o.to_string());
        orgs.dedup();
        // The classes whose broadcasts are theirs (the administration: all of its school).
        let s = &p.scope;
        let classes: Option<Vec<ClassId>> = match p.role() {
            Role::SchoolAdmin => None,
            Role::Student => Some(s.own_classes.clone()),
            Role::Parent => Some(s.children_classes.clone()),
            _ => Some(
                s.led_classes
                    .iter()
                    .chain(&s.taught_classes)
                    .copied()
                    .collect(),
            ),
        };
        let rows = store::broadcasts(
            &self.db,
            &orgs,
            classes.as_deref(),
            now_ms() - 7 * 86_400_000,
        )
        .await?;
        let names = self.audiences(&rows).await?;
        let mut out = Vec::new();
        for mut row in rows {
            row.chat = self.with_caller(row.chat, p).await?;
            if !row.chat.caller.member {
                continue;
            }
            let audience = self.audience_of(&row.chat, &names);
            out.push(self.broadcast_of(row, audience));
        }
        Ok(out)
    }

    /// One broadcast the caller may watch.
    pub async fn broadcast(&self, p: &Principal, id: ChatId) -> Result<Broadcast, Problem> {
        let mut row = store::broadcast(&self.db, id)
            .await?
            .ok_or_else(Problem::not_found)?;
        row.chat = self.chat_for(p, id, Operation::ReadChat).await?;
        let names = self.audiences(std::slice::from_ref(&row)).await?;
        let audience = self.audience_of(&row.chat, &names);
        Ok(self.broadcast_of(row, audience))
    }

    /// Ends a broadcast (its organiser or the administration), with the recording's
    /// address if there is one; the address may be given later too.
    pub async fn end_broadcast(
        &self,
        p: &Principal,
        id: ChatId,
        recording: Option<&str>,
    ) -> Result<Broadcast, Problem> {
        let chat = self.chat_for(p, id, Operation::ReadChat).await?;
        if chat.kind != ChatKind::Broadcast {
            return Err(Problem::not_found());
        }
        if !chat.caller.moderator {
            return Err(Problem::forbidden()
                .with_detail("Завершает трансляцию её организатор или администрация школы."));
        }
        let recording = match recording.map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) => Some(clean_url("recording_url", r)?),
            None => None,
        };
        let mut tx = self.db.begin_write().await?;
        store::end_broadcast(&mut tx, id, recording.as_deref(), now_ms()).await?;
        tx.commit().await?;
        self.broadcast(p, id).await
    }

    /// The names of the broadcasts' classes and schools.
    async fn audiences(
        &self,
        rows: &[store::BroadcastRow],
    ) -> Result<std::collections::HashMap<String, String>, Problem> {
        let classes: Vec<ClassId> = rows.iter().filter_map(|r| r.chat.class_id).collect();
        let orgs: Vec<OrganisationId> = rows.iter().map(|r| r.chat.organisation_id).collect();
        let mut names = std::collections::HashMap::new();
        for (c, _, name) in registry_reads::classes(&self.db, &classes).await? {
            names.insert(c.to_string(), name);
        }
        for (o, name) in registry_reads::schools(&self.db, &orgs).await? {
            names.insert(o.to_string(), name);
        }
        Ok(names)
    }

    fn audience_of(
        &self,
        chat: &Chat,
        names: &std::collections::HashMap<String, String>,
    ) -> String {
        let key = match chat.class_id {
            Some(c) => c.to_string(),
            None => chat.organisation_id.to_string(),
        };
        names.get(&key).cloned().unwrap_or_default()
    }
}

impl Chats {
    /// The names of these classes, by name: (id, name) for a page's choice.
    pub async fn class_names(
        &self,
        ids: &[ClassId],
        schools: &[OrganisationId],
    ) -> Result<Vec<(String, String)>, Problem> {
        let mut named: Vec<(String, String)> = registry_reads::classes(&self.db, ids)
            .await?
            .into_iter()
            .filter(|(_, o, _)| schools.contains(o))
            .map(|(c, _, name)| (c.to_string(), name))
            .collect();
        named.sort_by(|a, b| a.1.cmp(&b.1));
        Ok(named)
    }
}
