//! Сообщества (COM-5): a school's clubs, sections and interest groups (its staff and
//! students), and teachers' professional communities across the schools of a municipality
//! or a region. A community is a chat with members by name; who may find and join it
//! follows its reach and the registry at each request (a pupil who leaves the school
//! leaves its clubs); it is open, by request or by invitation; its founder moderates it
//! and may make other members moderators; the school's administration settles complaints.

use crate::model::*;
use crate::service::{check, Chats};
use crate::{registry_reads, store};
use parta_core::ids::{ChatId, PersonId};
use parta_core::policy::{decide, Operation, Target};
use parta_core::principal::{Principal, Role};
use parta_core::time::now_ms;
use parta_core::Problem;
use parta_db::audit::{AuditEntry, AuditLog};

impl Chats {
    /// Whether the community reaches the caller's active role: a school's — its staff and
    /// students; a municipality's or a region's — the staff of its schools.
    async fn reaches(&self, chat: &Chat, p: &Principal) -> Result<bool, Problem> {
        let role = p.role();
        let org = chat.organisation_id;
        let orgs = &p.scope.organisations;
        Ok(match chat.reach {
            Some(Reach::School) => {
                matches!(role, Role::Teacher | Role::SchoolAdmin | Role::Student)
                    && orgs.contains(&org)
            }
            Some(reach) if matches!(role, Role::Teacher | Role::SchoolAdmin) => {
                let home = registry_reads::schools_where(&self.db, &[org], &[], &[]).await?;
                let mine = registry_reads::schools_where(&self.db, orgs, &[], &[]).await?;
                home.first().is_some_and(|h| {
                    mine.iter().any(|m| match reach {
                        Reach::Region => m.facts.region == h.facts.region,
                        _ => m.facts.municipality == h.facts.municipality,
                    })
                })
            }
            _ => false,
        })
    }

    /// Whether the community reaches the person now (by the registry, whatever role they
    /// act in).
    async fn reaches_person(&self, chat: &Chat, person: PersonId) -> Result<bool, Problem> {
        let db = &self.db;
        let org = chat.organisation_id;
        Ok(match chat.reach {
            Some(Reach::School) => {
                self.is_staff_of(chat, person).await?
                    || registry_reads::studies_at(db, org, person).await?
            }
            Some(Reach::Municipality) => registry_reads::works_near(db, org, person, false).await?,
            Some(Reach::Region) => registry_reads::works_near(db, org, person, true).await?,
            None => false,
        })
    }

    /// Whether the person works at the community's school (a position or its
    /// administration).
    async fn is_staff_of(&self, chat: &Chat, person: PersonId) -> Result<bool, Problem> {
        let org = chat.organisation_id;
        Ok(registry_reads::works_at(&self.db, org, person).await?
            || registry_reads::admins_of(&self.db, org)
                .await?
                .contains(&person))
    }

    /// Moderators of the community it still reaches.
    async fn moderators_left(&self, chat: &Chat) -> Result<Vec<PersonId>, Problem> {
        let mut left = Vec::new();
        for (person, standing) in store::community_people(&self.db, chat.id).await? {
            if standing == Standing::Moderator && self.reaches_person(chat, person).await? {
                left.push(person);
            }
        }
        Ok(left)
    }

    /// The caller's membership of a community: a member or moderator it still reaches.
    pub(crate) async fn community_membership(
        &self,
        chat: &Chat,
        p: &Principal,
    ) -> Result<Membership, Problem> {
        if !self.reaches(chat, p).await? {
            return Ok(Membership::default());
        }
        Ok(
            match store::standing(&self.db, chat.id, p.person_id).await? {
                Standing::Moderator => Membership {
                    member: true,
                    moderator: true,
                },
                Standing::Member => Membership {
                    member: true,
                    moderator: false,
                },
                _ => Membership::default(),
            },
        )
    }

    /// Whether the person is a member of the community now (a restriction's check).
    pub(crate) async fn in_community(
        &self,
        chat: &Chat,
        person: PersonId,
    ) -> Result<bool, Problem> {
        let standing = store::standing(&self.db, chat.id, person).await?;
        Ok(matches!(standing, Standing::Member | Standing::Moderator)
            && self.reaches_person(chat, person).await?)
    }

    /// Whether the person moderates the community by its own list.
    pub(crate) async fn moderates_community(
        &self,
        chat: &Chat,
        person: PersonId,
    ) -> Result<bool, Problem> {
        Ok(
            store::standing(&self.db, chat.id, person).await? == Standing::Moderator
                && self.reaches_person(chat, person).await?,
        )
    }

    /// The communities the caller may find: their school's (staff and students), and for
    /// staff those of their municipality and region — with their standing in each.
    pub async fn communities(&self, p: &Principal) -> Result<Vec<CommunityEntry>, Problem> {
        let role = p.role();
        if !matches!(role, Role::Teacher | Role::SchoolAdmin | Role::Student) {
            return Ok(Vec::new());
        }
        let schools = p.scope.organisations.clone();
        let (muns, regions): (Vec<String>, Vec<String>) = if role == Role::Student {
            (Vec::new(), Vec::new())
        } else {
            registry_reads::schools_where(&self.db, &schools, &[], &[])
                .await?
                .into_iter()
                .map(|s| (s.facts.municipality.to_string(), s.facts.region.0))
                .unzip()
        };
        let territory = (role != Role::Student).then_some((&muns[..], &regions[..]));
        let rows = store::communities(&self.db, p.person_id, &schools, territory).await?;
        Ok(rows
            .into_iter()
            // An invitation-only community is found by its members and the invited.
            .filter(|r| {
                r.chat.join_mode != Some(JoinMode::Invite) || r.standing != Standing::Outside
            })
            .filter_map(|r| {
                Some(CommunityEntry {
                    id: r.chat.id,
                    title: r.chat.title,
                    description: r.chat.description,
                    reach: r.chat.reach?,
                    join_mode: r.chat.join_mode?,
                    school: r.school,
                    members: r.members,
                    standing: r.standing,
                })
            })
            .collect())
    }

    /// Founds a community in the school of the caller's role (a teacher or the
    /// administration); they moderate it.
    pub async fn create_community(
        &self,
        p: &Principal,
        new: &NewCommunity,
    ) -> Result<ChatId, Problem> {
        let refused = || {
            Problem::forbidden().with_detail("Сообщества создают учителя и администрация школы.")
        };
        let org = p.scope.organisations.first().copied().ok_or_else(refused)?;
        let school = registry_reads::schools_where(&self.db, &[org], &[], &[])
            .await?
            .into_iter()
            .next()
            .ok_or_else(Problem::not_found)?;
        check(decide(
            p,
            Operation::CreateCommunity,
            Target::Organisation(&school.facts),
        ))
        .map_err(|e| if e.status == 403 { refused() } else { e })?;
        let title = crate::channels::clean_line(&new.title, MAX_CHANNEL_TITLE)
            .map_err(|m| Problem::invalid("title", m))?;
        if title.is_empty() {
            return Err(Problem::invalid("title", "Назовите сообщество."));
        }
        let description = crate::channels::clean_block(&new.description, MAX_CHANNEL_DESCRIPTION)
            .map_err(|m| Problem::invalid("description", m))?;
        if store::founded(&self.db, p.person_id).await? >= MAX_FOUNDED_COMMUNITIES {
            return Err(Problem::invalid(
                "title",
                format!("Один человек создаёт не больше {MAX_FOUNDED_COMMUNITIES} сообществ."),
            ));
        }
        let mut tx = self.db.begin_write().await?;
        let id = store::create_community(
            &mut tx,
            org,
            p.person_id,
            (&title, &description, new.reach, new.join_mode),
            now_ms(),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A community the caller may find (it reaches them, and an invitation-only one only
    /// when they are in it or invited): the chat and their standing.
    async fn found(&self, p: &Principal, id: ChatId) -> Result<(Chat, Standing), Problem> {
        let chat = store::chat(&self.db, id)
            .await?
            .filter(|c| c.kind == ChatKind::Community)
            .ok_or_else(Problem::not_found)?;
        if !self.reaches(&chat, p).await? {
            return Err(Problem::not_found());
        }
        let standing = store::standing(&self.db, id, p.person_id).await?;
        if chat.join_mode == Some(JoinMode::Invite) && standing == Standing::Outside {
            return Err(Problem::not_found());
        }
        Ok((chat, standing))
    }

    /// Joins a community: an open one at once, one by request asks its moderators, an
    /// invitation accepted. Answers the caller's standing after.
    pub async fn join(&self, p: &Principal, id: ChatId) -> Result<Standing, Problem> {
        let (chat, standing) = self.found(p, id).await?;
        let removed = store::restrictions(&self.db, id, now_ms())
            .await?
            .iter()
            .any(|r| r.0 == p.person_id && r.1 == "remove");
        if removed {
            return Err(
                Problem::forbidden().with_detail("Модератор исключил вас из этого сообщества.")
            );
        }
        let next = match (standing, chat.join_mode) {
            (Standing::Member | Standing::Moderator | Standing::Requested, _) => {
                return Ok(standing)
            }
            (Standing::Invited, _) | (_, Some(JoinMode::Open)) => Standing::Member,
            (_, Some(JoinMode::Request)) => {
                if store::waiting(&self.db, id).await? >= MAX_WAITING {
                    return Err(Problem::too_many(
                        "Заявок в сообщество слишком много: попробуйте позже.",
                        3600,
                    ));
                }
                Standing::Requested
            }
            _ => return Err(Problem::not_found()),
        };
        let mut tx = self.db.begin_write().await?;
        store::set_standing(&mut tx, id, p.person_id, next, p.person_id, now_ms()).await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Leaves a community (or takes back a request, or declines an invitation).
    pub async fn leave(&self, p: &Principal, id: ChatId) -> Result<(), Problem> {
        let (chat, standing) = self.found(p, id).await?;
        if standing == Standing::Outside {
            return Err(Problem::not_found());
        }
        if standing == Standing::Moderator && self.moderators_left(&chat).await?.len() <= 1 {
            return Err(Problem::conflict(
                "community",
                "Вы единственный модератор: назначьте другого, прежде чем выйти.",
            ));
        }
        let mut tx = self.db.begin_write().await?;
        store::set_standing(
            &mut tx,
            id,
            p.person_id,
            Standing::Outside,
            p.person_id,
            now_ms(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A community whose people the caller manages: its moderators (the school's
    /// administration settles complaints, it does not manage the members).
    async fn managed(&self, p: &Principal, id: ChatId) -> Result<Chat, Problem> {
        let (chat, standing) = self.found(p, id).await?;
        if standing != Standing::Moderator {
            return Err(Problem::forbidden()
                .with_detail("Участников сообщества принимают и приглашают его модераторы."));
        }
        Ok(chat)
    }

    /// The community's members, requests and invitations, and whom a moderator may invite.
    pub async fn community_people(
        &self,
        p: &Principal,
        id: ChatId,
    ) -> Result<CommunityPeople, Problem> {
        let chat = self.managed(p, id).await?;
        let rows = store::community_people(&self.db, id).await?;
        let ids: Vec<PersonId> = rows.iter().map(|r| r.0).collect();
        let names = registry_reads::short_names(&self.db, &ids).await?;
        // Who may moderate: in a school's community its staff and administration; in a
        // territory's, everyone it reaches is staff.
        let staff: Vec<PersonId> = if chat.reach == Some(Reach::School) {
            let mut s: Vec<PersonId> = registry_reads::staff_of(&self.db, &[chat.organisation_id])
                .await?
                .into_iter()
                .map(|p| p.0)
                .collect();
            s.extend(registry_reads::admins_of(&self.db, chat.organisation_id).await?);
            s
        } else {
            ids.clone()
        };
        let of = |want: &[Standing]| -> Vec<CommunityPerson> {
            rows.iter()
                .filter(|r| want.contains(&r.1))
                .map(|(person_id, standing)| CommunityPerson {
                    person_id: *person_id,
                    name: names.get(person_id).cloned().unwrap_or_default(),
                    standing: *standing,
                    may_moderate: staff.contains(person_id),
                })
                .collect()
        };
        // Whom to invite: the moderator's colleagues (their school is within the
        // community's reach, as they are) and, for a school's community, the students they
        // teach — not those in it already. An invitation is checked again when sent.
        let contacts = self.contacts(p).await?;
        let school = chat.reach == Some(Reach::School);
        let mut invitable: Vec<Contact> = Vec::new();
        for c in contacts
            .staff
            .into_iter()
            .chain(contacts.students.into_iter().filter(|_| school))
        {
            if !ids.contains(&c.person_id) && !invitable.iter().any(|i| i.person_id == c.person_id)
            {
                invitable.push(c);
            }
        }
        Ok(CommunityPeople {
            members: of(&[Standing::Moderator, Standing::Member]),
            requests: of(&[Standing::Requested]),
            invited: of(&[Standing::Invited]),
            invitable,
        })
    }

    /// A moderator's decision about a person: let in a request (`member`), make a member a
    /// moderator or a moderator a member, invite someone the community reaches
    /// (`invited`), or turn away a request, take back an invitation, remove a member
    /// (`outside`). Audited.
    pub async fn set_member(
        &self,
        p: &Principal,
        id: ChatId,
        person: PersonId,
        to: Standing,
        ip: Option<String>,
    ) -> Result<Standing, Problem> {
        let chat = self.managed(p, id).await?;
        if person == p.person_id {
            return Err(Problem::invalid(
                "person",
                "Свою роль в сообществе меняют другие модераторы; выйти можно кнопкой «Выйти».",
            ));
        }
        if chat.owner_id == Some(person) {
            return Err(Problem::invalid(
                "person",
                "Участие основателя сообщества меняет только он сам.",
            ));
        }
        let now_standing = store::standing(&self.db, id, person).await?;
        let allowed = matches!(
            (now_standing, to),
            (Standing::Requested, Standing::Member)
                | (Standing::Member, Standing::Moderator)
                | (Standing::Moderator, Standing::Member)
                | (Standing::Outside, Standing::Invited)
                | (
                    Standing::Requested
                        | Standing::Invited
                        | Standing::Member
                        | Standing::Moderator,
                    Standing::Outside
                )
        );
        if !allowed {
            return Err(Problem::invalid(
                "standing",
                "Так изменить участие этого человека нельзя: обновите страницу.",
            ));
        }
        // Moderators are adults of the school (or of the territory's schools): a pupil
        // does not moderate teachers.
        if to == Standing::Moderator
            && !self.is_staff_of(&chat, person).await?
            && chat.reach == Some(Reach::School)
        {
            return Err(Problem::invalid(
                "standing",
                "Модераторами сообщества назначают учителей и администрацию школы.",
            ));
        }
        if now_standing == Standing::Moderator && self.moderators_left(&chat).await?.len() <= 1 {
            return Err(Problem::conflict(
                "community",
                "Это единственный модератор: сначала назначьте другого.",
            ));
        }
        if to == Standing::Invited {
            if !self.reaches_person(&chat, person).await? {
                return Err(Problem::not_found());
            }
            if store::waiting(&self.db, id).await? >= MAX_WAITING {
                return Err(Problem::too_many(
                    "Приглашений и заявок в сообществе слишком много.",
                    3600,
                ));
            }
        }
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        // Only from the standing seen (a join meanwhile is not overwritten).
        if !store::change_standing(&mut tx, id, person, now_standing, to, p.person_id, now).await? {
            return Err(Problem::conflict(
                "standing",
                "Участие этого человека только что изменилось: обновите страницу.",
            ));
        }
        // A member removed stays out (an open community would let them straight back);
        // the moderators let them back on the chat's restrictions page.
        if to == Standing::Outside && matches!(now_standing, Standing::Member | Standing::Moderator)
        {
            store::restrict(&mut tx, id, person, Some("remove"), None, p.person_id, now).await?;
        }
        let mut e = AuditEntry::by(p, ip, "community_member", "chat");
        e.organisation_id = Some(chat.organisation_id);
        e.subject_person_id = Some(person);
        e.object_id = Some(id.to_string());
        e.details = Some(format!("{} -> {}", now_standing.as_str(), to.as_str()));
        AuditLog::record_in(&mut tx, e).await?;
        tx.commit().await?;
        Ok(to)
    }
}
