//! Registry use cases: ask the policy, validate, write in one transaction, audit.

use crate::error::codes;
use crate::model::*;
use crate::store;
use crate::RegistryError;
use parta_core::ids::{ClassId, MunicipalityId, OrganisationId, PersonId};
use parta_core::policy::{decide, ClassFacts, Decision, Operation, OrgFacts, PersonFacts, Target};
use parta_core::principal::Principal;
use parta_core::time::now_ms;
use parta_core::FieldError;
use parta_db::audit::{AuditEntry, AuditLog};
use parta_db::Db;

pub(crate) type Result<T> = std::result::Result<T, RegistryError>;

/// Where a request came from (kept here under its old name for the domains).
pub use parta_core::principal::Origin;

#[derive(Clone)]
pub struct Registry {
    pub db: Db,
    pub audit: AuditLog,
}

pub(crate) fn check(decision: Decision) -> Result<()> {
    match decision {
        Decision::Allow => Ok(()),
        Decision::Hidden => Err(RegistryError::NotFound),
        Decision::Forbidden => Err(RegistryError::Forbidden),
    }
}

fn entry(
    p: &Principal,
    origin: &Origin,
    action: &'static str,
    object_type: &'static str,
) -> AuditEntry {
    AuditEntry::by(p, origin.ip.clone(), action, object_type)
}

impl Registry {
    pub fn new(db: Db, audit: AuditLog) -> Self {
        Self { db, audit }
    }

    pub async fn regions(&self) -> Result<Vec<Region>> {
        Ok(store::regions(&self.db).await?)
    }

    /// A reference book (НСИ): federal entries and local ones.
    pub async fn reference(&self, book: &str) -> Result<Vec<ReferenceEntry>> {
        let (_, table, _) = REFERENCE_BOOKS
            .iter()
            .find(|b| b.0 == book)
            .ok_or(RegistryError::NotFound)?;
        Ok(sqlx::query_as(&format!(
            "SELECT code, name, source FROM {table} ORDER BY code"
        ))
        .fetch_all(&self.db.pool)
        .await?)
    }

    /// Adds a local entry to a reference book (regional operator, platform admin).
    pub async fn add_reference(
        &self,
        p: &Principal,
        origin: &Origin,
        book: &str,
        input: NewReferenceEntry,
    ) -> Result<ReferenceEntry> {
        let (_, table, extensible) = REFERENCE_BOOKS
            .iter()
            .find(|b| b.0 == book)
            .ok_or(RegistryError::NotFound)?;
        check(decide(p, Operation::ManageReferenceData, Target::Platform))?;
        if !extensible {
            return Err(RegistryError::invalid(
                "book",
                "Этот справочник ведётся только федеральными данными.",
            ));
        }
        let mut errors = Vec::new();
        let code_ok = (2..=32).contains(&input.code.len())
            && input
                .code
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !code_ok {
            errors.push(parta_core::FieldError::new(
                "code",
                "Код — строчные латинские буквы, цифры и «_», от 2 до 32 знаков.",
            ));
        }
        let name = input.name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            errors.push(parta_core::FieldError::new(
                "name",
                "Укажите наименование (до 200 знаков).",
            ));
        }
        let grades = (input.grade_from.unwrap_or(1), input.grade_to.unwrap_or(11));
        if *table == "ref_subjects" && !(1 <= grades.0 && grades.0 <= grades.1 && grades.1 <= 11) {
            errors.push(parta_core::FieldError::new(
                "grade_from",
                "Классы — от 1 до 11, начало не позже конца.",
            ));
        }
        if !errors.is_empty() {
            return Err(RegistryError::Invalid(errors));
        }
        let sql = if *table == "ref_subjects" {
            format!("INSERT INTO {table} (code, name, grade_from, grade_to, source, version) VALUES ($1, $2, $3, $4, 'local', 0)")
        } else {
            format!("INSERT INTO {table} (code, name, source, version) VALUES ($1, $2, 'local', 0)")
        };
        let mut q = sqlx::query(&sql)
            .bind(input.code.clone())
            .bind(name.to_string());
        if *table == "ref_subjects" {
            q = q.bind(grades.0).bind(grades.1);
        }
        q.execute(&self.db.pool)
            .await
            .map_err(|e| unique_to_field(e, "code"))?;
        let mut e = entry(p, origin, "create", "reference");
        e.object_id = Some(format!("{book}/{}", input.code));
        self.audit.record(e).await?;
        Ok(ReferenceEntry {
            code: input.code,
            name: name.to_string(),
            source: "local".into(),
        })
    }

    pub async fn municipalities(&self, region: Option<&str>) -> Result<Vec<Municipality>> {
        Ok(store::municipalities(&self.db, region).await?)
    }

    /// Школьный справочник: public facts about organisations, a page at a time.
    pub async fn organisations(
        &self,
        p: &Principal,
        municipality: Option<MunicipalityId>,
        cursor: Option<&str>,
        limit: Option<i64>,
    ) -> Result<Page<Organisation>> {
        let limit = limit.unwrap_or(50).clamp(1, 500);
        let after = match cursor {
            None | Some("") => None,
            Some(c) => Some(
                c.parse()
                    .map_err(|_| RegistryError::invalid("cursor", "Неверный курсор страницы."))?,
            ),
        };
        let mut items = store::organisations(&self.db, municipality, after, limit + 1).await?;
        let next_cursor = if items.len() as i64 > limit {
            items.truncate(limit as usize);
            items.last().map(|o| o.id.to_string())
        } else {
            None
        };
        items.retain(|o| {
            let facts = OrgFacts {
                organisation: o.id,
                municipality: o.municipality_id,
                region: parta_core::ids::RegionCode(o.region_code.clone()),
            };
            decide(p, Operation::ReadOrganisation, Target::Organisation(&facts)) == Decision::Allow
        });
        Ok(Page { items, next_cursor })
    }

    pub async fn organisation(&self, p: &Principal, id: OrganisationId) -> Result<Organisation> {
        self.authorize_org(p, Operation::ReadOrganisation, id)
            .await?;
        store::organisation(&self.db, id)
            .await?
            .ok_or(RegistryError::NotFound)
    }

    pub async fn create_organisation(
        &self,
        p: &Principal,
        origin: &Origin,
        input: NewOrganisation,
    ) -> Result<Organisation> {
        let region = store::municipality_region(&self.db, input.municipality_id)
            .await?
            .ok_or_else(|| {
                RegistryError::invalid("municipality_id", "Такого муниципалитета нет в реестре.")
            })?;
        check(decide(
            p,
            Operation::CreateOrganisation,
            Target::Territory {
                municipality: &input.municipality_id,
                region: &region,
            },
        ))?;
        let mut errors = input.validate();
        if !store::ref_exists(&self.db, "ref_org_types", &input.kind).await? {
            errors.push(parta_core::FieldError::new(
                "kind",
                "Неизвестный тип организации (см. справочник типов).",
            ));
        }
        if !errors.is_empty() {
            return Err(RegistryError::Invalid(errors));
        }
        let id = OrganisationId::new();
        store::insert_organisation(&self.db, id, &input)
            .await
            .map_err(|e| unique_to_field(e, "inn"))?;
        let mut e = entry(p, origin, "create", "organisation");
        e.organisation_id = Some(id);
        e.object_id = Some(id.to_string());
        self.audit.record(e).await?;
        store::organisation(&self.db, id)
            .await?
            .ok_or(RegistryError::NotFound)
    }

    pub async fn classes(&self, p: &Principal, org: OrganisationId) -> Result<Vec<ClassSummary>> {
        self.authorize_org(p, Operation::ListClasses, org).await?;
        Ok(store::classes_of(&self.db, org).await?)
    }

    /// Staff of a school, for its admin; a read of personal data, audited.
    pub async fn staff(
        &self,
        p: &Principal,
        origin: &Origin,
        org: OrganisationId,
    ) -> Result<Vec<(PersonBrief, String)>> {
        self.authorize_org(p, Operation::ManageOrganisation, org)
            .await?;
        let list = store::staff_list(&self.db, org).await?;
        let mut e = entry(p, origin, "read", "staff");
        e.organisation_id = Some(org);
        e.details = Some(format!("{} people", list.len()));
        self.audit.record(e).await?;
        Ok(list)
    }

    pub async fn create_class(
        &self,
        p: &Principal,
        origin: &Origin,
        org: OrganisationId,
        input: NewClass,
    ) -> Result<ClassSummary> {
        self.authorize_org(p, Operation::ManageOrganisation, org)
            .await?;
        let mut errors = Vec::new();
        if store::academic_year_org(&self.db, input.academic_year_id).await? != Some(org) {
            errors.push(parta_core::FieldError::new(
                "academic_year_id",
                "Учебный год не найден в этой организации.",
            ));
        }
        if !store::ref_exists(&self.db, "ref_grade_levels", &input.grade_level).await? {
            errors.push(parta_core::FieldError::new(
                "grade_level",
                "Параллель должна быть от 1 до 11.",
            ));
        }
        let letter = input.letter.trim();
        if letter.is_empty() || letter.chars().count() > 3 {
            errors.push(parta_core::FieldError::new(
                "letter",
                "Литера класса — от одного до трёх знаков (например, «А»).",
            ));
        }
        if let Some(t) = input.class_teacher_id {
            if !store::staff_of(&self.db, t, org).await? {
                errors.push(parta_core::FieldError::new(
                    "class_teacher_id",
                    "Классный руководитель должен работать в этой школе.",
                ));
            }
        }
        if !errors.is_empty() {
            return Err(RegistryError::Invalid(errors));
        }
        let id = ClassId::new();
        let name = format!("{}{}", input.grade_level, letter.to_uppercase());
        store::insert_class(&self.db, id, org, &input, &name)
            .await
            .map_err(|e| unique_to_field(e, "letter"))?;
        let mut e = entry(p, origin, "create", "class");
        e.organisation_id = Some(org);
        e.object_id = Some(id.to_string());
        self.audit.record(e).await?;
        store::class(&self.db, id)
            .await?
            .ok_or(RegistryError::NotFound)
    }

    /// The school's privacy settings.
    pub async fn privacy(&self, p: &Principal, org: OrganisationId) -> Result<PrivacySettings> {
        self.authorize_org(p, Operation::ReadOrganisation, org)
            .await?;
        Ok(PrivacySettings {
            parent_contacts_to_teachers: store::shares_parent_contacts(&self.db, org).await?,
        })
    }

    /// Changes the school's privacy settings (the school administration).
    pub async fn set_privacy(
        &self,
        p: &Principal,
        origin: &Origin,
        org: OrganisationId,
        input: PrivacySettings,
    ) -> Result<PrivacySettings> {
        self.authorize_org(p, Operation::ManageOrganisation, org)
            .await?;
        let mut e = entry(p, origin, "update", "privacy");
        e.organisation_id = Some(org);
        e.details = Some(format!(
            "parent_contacts_to_teachers={}",
            input.parent_contacts_to_teachers
        ));
        let mut tx = self.db.begin_write().await?;
        store::set_shares_parent_contacts(&mut tx, org, input.parent_contacts_to_teachers).await?;
        AuditLog::record_in(&mut tx, e).await?;
        tx.commit().await?;
        Ok(input)
    }

    /// Classes the caller works or studies in, for their home page.
    pub async fn my_classes(&self, p: &Principal) -> Result<Vec<ClassSummary>> {
        let s = &p.scope;
        let mut ids: Vec<ClassId> = s
            .led_classes
            .iter()
            .chain(&s.taught_classes)
            .chain(&s.own_classes)
            .copied()
            .collect();
        ids.sort();
        ids.dedup();
        Ok(store::classes_by_ids(&self.db, &ids).await?)
    }

    /// A parent's children, for their home page.
    pub async fn my_children(&self, p: &Principal) -> Result<Vec<Relative>> {
        if p.scope.children.is_empty() {
            return Ok(Vec::new());
        }
        Ok(store::children(&self.db, p.person_id).await?)
    }

    /// Class page: the list of students is personal data, so the read is audited.
    pub async fn class(&self, p: &Principal, origin: &Origin, id: ClassId) -> Result<ClassDetail> {
        let facts = store::class_facts(&self.db, id)
            .await?
            .ok_or(RegistryError::NotFound)?;
        check(decide(p, Operation::ReadClass, Target::Class(&facts)))?;
        let class = store::class(&self.db, id)
            .await?
            .ok_or(RegistryError::NotFound)?;
        let org = store::organisation(&self.db, facts.org.organisation)
            .await?
            .ok_or(RegistryError::NotFound)?;
        let (students, teachers) = tokio::try_join!(
            store::class_students(&self.db, id),
            store::class_teachers(&self.db, id)
        )?;
        let mut e = entry(p, origin, "read", "class");
        e.organisation_id = Some(facts.org.organisation);
        e.object_id = Some(id.to_string());
        self.audit.record(e).await?;
        Ok(ClassDetail {
            class,
            organisation_name: org.short_name,
            students,
            teachers,
        })
    }

    /// The classes (of those given) of one school the caller may open — for pages
    /// deciding what to link. One read: the school's facts are the classes' too.
    pub async fn readable_classes(
        &self,
        p: &Principal,
        org: OrganisationId,
        ids: &[ClassId],
    ) -> Result<std::collections::HashSet<ClassId>> {
        let Some(org) = store::org_facts(&self.db, org).await? else {
            return Ok(Default::default());
        };
        Ok(ids
            .iter()
            .filter(|id| {
                let facts = ClassFacts {
                    class: **id,
                    org: org.clone(),
                };
                decide(p, Operation::ReadClass, Target::Class(&facts)) == Decision::Allow
            })
            .copied()
            .collect())
    }

    /// The people (of those given) whose card the caller may open — for pages deciding
    /// what to link. One read for all of them.
    pub async fn readable_people(
        &self,
        p: &Principal,
        ids: &[PersonId],
    ) -> Result<std::collections::HashSet<PersonId>> {
        let facts = store::people_facts(&self.db, ids).await?;
        Ok(facts
            .values()
            .filter(|f| decide(p, Operation::ReadPerson, Target::Person(f)) == Decision::Allow)
            .map(|f| f.person)
            .collect())
    }

    /// Whether the caller may read every subject of a class's journal (its class
    /// teacher, the school's administration) — the class report is that.
    pub async fn may_read_class_journal(&self, p: &Principal, class: ClassId) -> Result<bool> {
        let facts = store::class_facts(&self.db, class)
            .await?
            .ok_or(RegistryError::NotFound)?;
        let journal = parta_core::policy::JournalFacts {
            class: facts,
            subject: String::new(),
            lesson_teacher: None,
        };
        Ok(decide(p, Operation::ReadJournal, Target::Journal(&journal)) == Decision::Allow)
    }

    /// Whether the caller may do `op` on an organisation — for pages deciding what to
    /// offer; the operations themselves check again.
    pub async fn may_on_organisation(
        &self,
        p: &Principal,
        op: Operation,
        org: OrganisationId,
    ) -> Result<bool> {
        let facts = store::org_facts(&self.db, org)
            .await?
            .ok_or(RegistryError::NotFound)?;
        Ok(decide(p, op, Target::Organisation(&facts)) == Decision::Allow)
    }

    /// Of several organisations, those on which the caller may do `op` (one read for
    /// all: the operators' lists of a hundred schools), in the order given.
    pub async fn allowed_organisations(
        &self,
        p: &Principal,
        op: Operation,
        orgs: &[OrganisationId],
    ) -> Result<Vec<OrganisationId>> {
        let allowed: std::collections::HashSet<OrganisationId> = store::orgs_facts(&self.db, orgs)
            .await?
            .into_iter()
            .filter(|f| decide(p, op, Target::Organisation(f)) == Decision::Allow)
            .map(|f| f.organisation)
            .collect();
        Ok(orgs
            .iter()
            .copied()
            .filter(|o| allowed.contains(o))
            .collect())
    }

    /// Whether the caller may do `op` on a person (see [`Self::may_on_organisation`]).
    /// Whether the caller may do a platform-wide operation (reference data).
    pub fn may_platform(&self, p: &Principal, op: Operation) -> bool {
        decide(p, op, Target::Platform) == Decision::Allow
    }

    pub async fn may_on_person(&self, p: &Principal, op: Operation, id: PersonId) -> Result<bool> {
        let facts = self.facts(id).await?;
        Ok(decide(p, op, Target::Person(&facts)) == Decision::Allow)
    }

    /// Facts about a person for other domains' policy checks; `None` if unknown.
    pub async fn person_facts(&self, id: PersonId) -> Result<Option<PersonFacts>> {
        Ok(store::person_facts(&self.db, id).await?)
    }

    /// Facts about a class for other domains' policy checks; `None` if unknown.
    pub async fn class_facts(&self, id: ClassId) -> Result<Option<ClassFacts>> {
        Ok(store::class_facts(&self.db, id).await?)
    }

    /// Facts about an organisation for other domains' policy checks; `None` if unknown.
    pub async fn org_facts(&self, id: OrganisationId) -> Result<Option<OrgFacts>> {
        Ok(store::org_facts(&self.db, id).await?)
    }

    /// (child, parent) pairs for the given children — who else hears about a student.
    pub async fn parents_of(&self, children: &[PersonId]) -> Result<Vec<(PersonId, PersonId)>> {
        Ok(self
            .db
            .fetch_in(
                "SELECT child_id, parent_id FROM guardianships WHERE child_id IN ({})",
                children,
            )
            .await?)
    }

    /// Loads where an organisation sits and asks the policy; the facts for the caller.
    pub(crate) async fn authorize_org(
        &self,
        p: &Principal,
        op: Operation,
        org: OrganisationId,
    ) -> Result<OrgFacts> {
        let facts = store::org_facts(&self.db, org)
            .await?
            .ok_or(RegistryError::NotFound)?;
        check(decide(p, op, Target::Organisation(&facts)))?;
        Ok(facts)
    }

    /// Loads how a person is linked to schools and families and asks the policy.
    pub(crate) async fn authorize_person(
        &self,
        p: &Principal,
        op: Operation,
        id: PersonId,
    ) -> Result<PersonFacts> {
        let facts = self.facts(id).await?;
        check(decide(p, op, Target::Person(&facts)))?;
        Ok(facts)
    }

    async fn facts(&self, id: PersonId) -> Result<PersonFacts> {
        store::person_facts(&self.db, id)
            .await?
            .ok_or(RegistryError::NotFound)
    }

    /// Person card. Reading someone else's card is audited.
    pub async fn person(&self, p: &Principal, origin: &Origin, id: PersonId) -> Result<PersonCard> {
        let facts = self.authorize_person(p, Operation::ReadPerson, id).await?;
        // What of the card this role sees (152-FZ art. 5), decided by the policy.
        let shared = match p.active.organisation_id {
            Some(org) if p.role() == parta_core::principal::Role::Teacher => {
                store::shares_parent_contacts(&self.db, org).await?
            }
            _ => false,
        };
        let view = parta_core::policy::person_view(p, &facts, shared);
        let card = self.card(id).await?.restrict(&view, &p.scope.organisations);
        if p.person_id != id {
            let mut e = entry(p, origin, "read", "person");
            e.subject_person_id = Some(id);
            e.organisation_id = facts.orgs.first().map(|o| o.organisation);
            e.object_id = Some(id.to_string());
            self.audit.record(e).await?;
        }
        Ok(card)
    }

    async fn card(&self, id: PersonId) -> Result<PersonCard> {
        store::card(&self.db, id)
            .await?
            .ok_or(RegistryError::NotFound)
    }

    /// A person corrects their own (or their child's) contact data.
    pub async fn update_contacts(
        &self,
        p: &Principal,
        origin: &Origin,
        id: PersonId,
        input: ContactUpdate,
    ) -> Result<PersonCard> {
        self.authorize_person(p, Operation::UpdateOwnContacts, id)
            .await?;
        let (email, phone) = input.validate().map_err(RegistryError::Invalid)?;
        let mut e = entry(p, origin, "update", "person");
        e.subject_person_id = Some(id);
        e.object_id = Some(id.to_string());
        e.details = Some("contacts".into());
        let mut tx = self.db.begin_write().await?;
        store::update_contacts(&mut *tx, id, email, phone).await?;
        AuditLog::record_in(&mut tx, e).await?;
        tx.commit().await?;
        self.card(id).await
    }

    /// Official data (name, birth date, СНИЛС) are changed by the school: file a request.
    pub async fn request_change(
        &self,
        p: &Principal,
        origin: &Origin,
        id: PersonId,
        input: ChangeRequestInput,
    ) -> Result<String> {
        self.authorize_person(p, Operation::UpdateOwnContacts, id)
            .await?;
        if !OFFICIAL_FIELDS.contains(&input.field.as_str()) {
            return Err(RegistryError::invalid(
                "field",
                "Можно запросить исправление ФИО, даты рождения или СНИЛС.",
            ));
        }
        let value = input.new_value.trim();
        let bad = match input.field.as_str() {
            "birth_date" => !valid_date(value),
            "snils" => !valid_snils(value),
            _ => value.is_empty() || value.chars().count() > 100,
        };
        if bad {
            return Err(RegistryError::invalid(
                "new_value",
                "Новое значение указано неверно.",
            ));
        }
        let rid = store::insert_change_request(&self.db, id, p.person_id, &input).await?;
        let mut e = entry(p, origin, "request_change", "person");
        e.subject_person_id = Some(id);
        e.object_id = Some(rid.clone());
        e.details = Some(input.field.clone());
        self.audit.record(e).await?;
        Ok(rid)
    }

    /// Pending correction requests about a school's people (school admin).
    pub async fn change_requests(
        &self,
        p: &Principal,
        org: OrganisationId,
    ) -> Result<Vec<ChangeRequest>> {
        self.authorize_org(p, Operation::ManageOrganisation, org)
            .await?;
        Ok(store::change_requests_of_org(&self.db, org).await?)
    }

    /// The school approves (the official data change) or rejects a correction request.
    pub async fn decide_change(
        &self,
        p: &Principal,
        origin: &Origin,
        id: &str,
        d: ChangeDecision,
    ) -> Result<ChangeRequest> {
        let req = store::change_request(&self.db, id)
            .await?
            .ok_or(RegistryError::NotFound)?;
        let facts = self.facts(req.person_id).await?;
        // An administrator of one of the person's schools decides; nobody else learns of it.
        let manages = facts.orgs.iter().any(|o| {
            decide(p, Operation::ManageOrganisation, Target::Organisation(o)) == Decision::Allow
        });
        if !manages {
            return Err(RegistryError::NotFound);
        }
        if req.status != "pending" {
            return Err(RegistryError::Invalid(vec![FieldError::coded(
                &codes::REQUEST_DECIDED,
                "status",
                "Запрос уже рассмотрен.",
            )]));
        }
        // The field comes from the request, which only ever holds one of OFFICIAL_FIELDS.
        let Some(field) = OFFICIAL_FIELDS.iter().find(|f| **f == req.field) else {
            return Err(RegistryError::invalid("field", "Неизвестное поле запроса."));
        };
        let mut tx = self.db.begin_write().await?;
        // Decided once: of two decisions sent together, only the first finds it pending.
        let claimed = sqlx::query(
            "UPDATE change_requests SET status = $2, decided_by = $3, decided_at = $4, decision_comment = $5 WHERE id = $1 AND status = 'pending'",
        )
        .bind(id.to_string())
        .bind(if d.approve { "approved" } else { "rejected" })
        .bind(p.person_id)
        .bind(now_ms())
        .bind(d.comment.clone())
        .execute(&mut *tx)
        .await?;
        if claimed.rows_affected() != 1 {
            return Err(RegistryError::Invalid(vec![FieldError::coded(
                &codes::REQUEST_DECIDED,
                "status",
                "Запрос уже рассмотрен.",
            )]));
        }
        if d.approve {
            let value = if *field == "snils" {
                parta_core::snils::normalise(&req.new_value).unwrap_or(req.new_value.clone())
            } else {
                req.new_value.clone()
            };
            sqlx::query(&format!(
                "UPDATE persons SET {field} = $2, updated_at = $3 WHERE id = $1"
            ))
            .bind(req.person_id)
            .bind(value)
            .bind(now_ms())
            .execute(&mut *tx)
            .await
            .map_err(|e| unique_to_field(e, "new_value"))?;
        }
        let action = if d.approve {
            "approve_change"
        } else {
            "reject_change"
        };
        let mut e = entry(p, origin, action, "person");
        e.subject_person_id = Some(req.person_id);
        e.object_id = Some(id.to_string());
        e.details = Some(req.field.clone());
        AuditLog::record_in(&mut tx, e).await?;
        tx.commit().await?;
        store::change_request(&self.db, id)
            .await?
            .ok_or(RegistryError::NotFound)
    }

    /// Opens an academic year in a school.
    pub async fn create_academic_year(
        &self,
        p: &Principal,
        origin: &Origin,
        org: OrganisationId,
        y: NewAcademicYear,
    ) -> Result<String> {
        self.authorize_org(p, Operation::ManageOrganisation, org)
            .await?;
        let mut errors = Vec::new();
        let name = y.name.trim();
        let years: Vec<i32> = name
            .split('/')
            .filter_map(|x| x.trim().parse().ok())
            .collect();
        if !matches!(years.as_slice(), [a, b] if *b == a + 1) {
            errors.push(parta_core::FieldError::new(
                "name",
                "Название учебного года — «2027/2028».",
            ));
        }
        if !valid_date(&y.starts_on) {
            errors.push(parta_core::FieldError::new(
                "starts_on",
                "Дата в формате ГГГГ-ММ-ДД.",
            ));
        }
        if !valid_date(&y.ends_on) || y.ends_on <= y.starts_on {
            errors.push(parta_core::FieldError::new(
                "ends_on",
                "Дата окончания в формате ГГГГ-ММ-ДД, позже начала.",
            ));
        }
        if !errors.is_empty() {
            return Err(RegistryError::Invalid(errors));
        }
        let id = parta_core::ids::AcademicYearId::new();
        sqlx::query("INSERT INTO academic_years (id, organisation_id, name, starts_on, ends_on) VALUES ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(org)
            .bind(name.to_string())
            .bind(y.starts_on.clone())
            .bind(y.ends_on.clone())
            .execute(&self.db.pool)
            .await
            .map_err(|e| unique_to_field(e, "name"))?;
        let mut e = entry(p, origin, "create", "academic_year");
        e.organisation_id = Some(org);
        e.object_id = Some(id.to_string());
        self.audit.record(e).await?;
        Ok(id.to_string())
    }

    /// Registers a newcomer with no record anywhere (a first-grader, a new teacher, a
    /// parent of a pupil); a student may be enrolled in a class of the school at once, a
    /// parent is linked to their child, staff get their position. Someone who already has
    /// a record (found by СНИЛС) is refused: enrol or import them instead.
    pub async fn create_person(
        &self,
        p: &Principal,
        origin: &Origin,
        org: OrganisationId,
        n: NewPerson,
    ) -> Result<PersonCard> {
        self.authorize_org(p, Operation::ManageOrganisation, org)
            .await?;
        let mut errors = Vec::new();
        let fields = match PersonEdit::from(&n).check() {
            Ok(f) => Some(f),
            Err(e) => {
                errors.extend(e);
                None
            }
        };
        let role = match n.role.as_str() {
            "student" | "parent" | "teacher" => n.role.as_str(),
            _ => {
                errors.push(FieldError::new(
                    "role",
                    "Выберите, кто это: обучающийся, родитель или сотрудник.",
                ));
                "student"
            }
        };
        let class = match n.class_id {
            Some(c) => match store::class_facts(&self.db, c).await? {
                Some(f) if f.org.organisation == org && role == "student" => Some(c),
                _ => {
                    errors.push(FieldError::new(
                        "class_id",
                        "Класс не найден в этой школе (зачислить можно только обучающегося).",
                    ));
                    None
                }
            },
            None => None,
        };
        // A parent is known to the school through a child studying in it.
        let child = match (role, n.child_id) {
            ("parent", Some(c)) => {
                let f = store::person_facts(&self.db, c).await?;
                if f.is_some_and(|f| f.student_orgs.iter().any(|o| o.organisation == org)) {
                    Some(c)
                } else {
                    errors.push(FieldError::new(
                        "child_id",
                        "Ребёнок не найден среди обучающихся этой школы.",
                    ));
                    None
                }
            }
            ("parent", None) => {
                errors.push(FieldError::new(
                    "child_id",
                    "Выберите ребёнка, которого представляет родитель.",
                ));
                None
            }
            _ => None,
        };
        let kind = n.guardian_kind.as_deref().unwrap_or("other");
        if role == "parent" && !GUARDIAN_KINDS.iter().any(|(k, _)| *k == kind) {
            errors.push(FieldError::new(
                "guardian_kind",
                "Выберите, кем приходится ребёнку.",
            ));
        }
        let position = n.position.as_deref().unwrap_or("teacher");
        if role == "teacher" && !store::ref_exists(&self.db, "ref_positions", position).await? {
            errors.push(FieldError::new("position", "Выберите должность из списка."));
        }
        let Some(f) = fields.filter(|_| errors.is_empty()) else {
            return Err(RegistryError::Invalid(errors));
        };
        let id = PersonId::new();
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        sqlx::query(
            "INSERT INTO persons (id, last_name, first_name, middle_name, birth_date, sex, snils, email, phone, created_at, updated_at, email_confirmed) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, CASE WHEN $8 IS NULL THEN 0 ELSE 1 END)",
        )
        .bind(id)
        .bind(f.last_name)
        .bind(f.first_name)
        .bind(f.middle_name)
        .bind(f.birth_date)
        .bind(f.sex)
        .bind(f.snils)
        .bind(f.email)
        .bind(f.phone)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| unique_to_field(e, "snils"))?;
        let today = parta_core::time::today().to_string();
        match role {
            "teacher" => {
                store::add_position_in(&mut tx, id, org, position, &today, now).await?;
            }
            "parent" => {
                store::ensure_role_in(&mut tx, id, "parent", None, now).await?;
                if let Some(c) = child {
                    store::link_guardian_in(&mut tx, id, c, kind).await?;
                }
            }
            _ => {
                store::ensure_role_in(&mut tx, id, "student", Some(org), now).await?;
            }
        }
        if let Some(c) = class {
            sqlx::query(
                "INSERT INTO enrolments (id, person_id, organisation_id, class_id, started_on, start_reason, created_at) VALUES ($1, $2, $3, $4, $5, 'admitted', $6)",
            )
            .bind(uuid::Uuid::now_v7().to_string())
            .bind(id)
            .bind(org)
            .bind(c)
            .bind(today)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        let mut e = entry(p, origin, "create", "person");
        e.subject_person_id = Some(id);
        e.organisation_id = Some(org);
        AuditLog::record_in(&mut tx, e).await?;
        tx.commit().await?;
        self.card(id).await
    }

    /// Everything held about a person, as JSON documents (DATA-4): the card, the audit
    /// trail, and the same for each child of a parent.
    pub async fn export(
        &self,
        p: &Principal,
        origin: &Origin,
        id: PersonId,
    ) -> Result<Vec<(String, serde_json::Value)>> {
        let facts = self
            .authorize_person(p, Operation::ExportPersonData, id)
            .await?;
        let mut files = Vec::new();
        let mut people = vec![id];
        people.extend(facts.children.iter().copied());
        for (i, person) in people.into_iter().enumerate() {
            let card = self.card(person).await?;
            let audit = AuditLog::about_person(&self.db, person, 10_000).await?;
            let prefix = if i == 0 {
                "me".to_string()
            } else {
                format!("children/{person}")
            };
            files.push((
                format!("{prefix}/person.json"),
                serde_json::to_value(&card).unwrap_or_default(),
            ));
            files.push((
                format!("{prefix}/audit.json"),
                serde_json::to_value(&audit).unwrap_or_default(),
            ));
        }
        let mut e = entry(p, origin, "export", "person");
        e.subject_person_id = Some(id);
        e.object_id = Some(id.to_string());
        self.audit.record(e).await?;
        Ok(files)
    }

    /// Who accessed a person's data. Reading someone else's access log is itself a read
    /// of their personal data, and audited.
    pub async fn person_audit(
        &self,
        p: &Principal,
        origin: &Origin,
        id: PersonId,
    ) -> Result<Vec<parta_db::audit::AuditRecord>> {
        let facts = self
            .authorize_person(p, Operation::ReadPersonAudit, id)
            .await?;
        let records = AuditLog::about_person(&self.db, id, 500).await?;
        if p.person_id != id {
            let mut e = entry(p, origin, "read", "audit_log");
            e.subject_person_id = Some(id);
            e.organisation_id = facts.orgs.first().map(|o| o.organisation);
            self.audit.record(e).await?;
        }
        Ok(records)
    }

    /// The access log of a school; reading it is audited.
    pub async fn organisation_audit(
        &self,
        p: &Principal,
        origin: &Origin,
        org: OrganisationId,
    ) -> Result<Vec<parta_db::audit::AuditRecord>> {
        self.authorize_org(p, Operation::ReadOrganisationAudit, org)
            .await?;
        let records = AuditLog::about_organisation(&self.db, org, 500).await?;
        let mut e = entry(p, origin, "read", "audit_log");
        e.organisation_id = Some(org);
        self.audit.record(e).await?;
        Ok(records)
    }

    /// Зачисление: opens a stay in the class's school. A student still enrolled
    /// elsewhere is transferred: the old stay ends the day before, in the same transaction.
    pub async fn enrol(
        &self,
        p: &Principal,
        origin: &Origin,
        input: Enrol,
    ) -> Result<Vec<Enrolment>> {
        let facts = store::class_facts(&self.db, input.class_id)
            .await?
            .ok_or_else(|| {
                RegistryError::Invalid(vec![FieldError::coded(
                    &codes::CLASS_NOT_FOUND,
                    "class_id",
                    "Класс не найден.",
                )])
            })?;
        check(decide(
            p,
            Operation::ManageOrganisation,
            Target::Organisation(&facts.org),
        ))?;
        if !valid_date(&input.date) {
            return Err(RegistryError::Invalid(vec![FieldError::coded(
                &codes::BAD_DATE,
                "date",
                "Дата в формате ГГГГ-ММ-ДД.",
            )]));
        }
        // The student is one the school already sees, or one from another school whose
        // СНИЛС the school gives; anyone else is answered like an unknown id.
        let known_snils = store::person_snils(&self.db, input.person_id)
            .await?
            .ok_or(RegistryError::NotFound)?;
        let person_facts = self.facts(input.person_id).await?;
        let visible =
            decide(p, Operation::ReadPerson, Target::Person(&person_facts)) == Decision::Allow;
        let proven = match (
            input
                .snils
                .as_deref()
                .and_then(parta_core::snils::normalise),
            known_snils.as_deref(),
        ) {
            (Some(given), Some(known)) => given == known,
            _ => false,
        };
        if !(visible || proven) {
            return Err(RegistryError::NotFound);
        }
        let open = store::open_enrolment(&self.db, input.person_id).await?;
        let mut start_reason = "admitted";
        let mut tx = self.db.begin_write().await?;
        if let Some((eid, org, started_on)) = open {
            if input.date <= started_on {
                return Err(RegistryError::invalid(
                    "date",
                    "Дата перевода должна быть позже начала текущего обучения.",
                ));
            }
            if org != facts.org.organisation {
                start_reason = "transferred_in";
            }
            let end_reason = if org == facts.org.organisation {
                "moved_class"
            } else {
                "transferred"
            };
            sqlx::query("UPDATE enrolments SET ended_on = $2, end_reason = $3 WHERE id = $1")
                .bind(eid)
                .bind(input.date.clone())
                .bind(end_reason)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO enrolments (id, person_id, organisation_id, class_id, started_on, start_reason, order_ref, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(input.person_id)
        .bind(facts.org.organisation)
        .bind(input.class_id)
        .bind(input.date.clone())
        .bind(start_reason)
        .bind(input.order_ref.clone())
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        let mut e = entry(p, origin, "enrol", "person");
        e.subject_person_id = Some(input.person_id);
        e.organisation_id = Some(facts.org.organisation);
        e.object_id = Some(input.class_id.to_string());
        AuditLog::record_in(&mut tx, e).await?;
        tx.commit().await?;
        Ok(store::enrolments(&self.db, input.person_id).await?)
    }

    /// Отчисление, перевод или выпуск: closes the open stay.
    pub async fn end_enrolment(
        &self,
        p: &Principal,
        origin: &Origin,
        org: OrganisationId,
        input: EndEnrolment,
    ) -> Result<Vec<Enrolment>> {
        self.authorize_org(p, Operation::ManageOrganisation, org)
            .await?;
        if !valid_date(&input.date) {
            return Err(RegistryError::Invalid(vec![FieldError::coded(
                &codes::BAD_DATE,
                "date",
                "Дата в формате ГГГГ-ММ-ДД.",
            )]));
        }
        let Some((eid, eorg, started_on)) =
            store::open_enrolment(&self.db, input.person_id).await?
        else {
            return Err(RegistryError::invalid(
                "person_id",
                "Обучающийся не числится в школе.",
            ));
        };
        if eorg != org {
            return Err(RegistryError::invalid(
                "person_id",
                "Обучающийся не числится в этой школе.",
            ));
        }
        if input.date < started_on {
            return Err(RegistryError::invalid(
                "date",
                "Дата раньше начала обучения.",
            ));
        }
        let mut tx = self.db.begin_write().await?;
        sqlx::query("UPDATE enrolments SET ended_on = $2, end_reason = $3, order_ref = COALESCE($4, order_ref) WHERE id = $1")
            .bind(eid)
            .bind(input.date.clone())
            .bind(input.reason.as_str())
            .bind(input.order_ref.clone())
            .execute(&mut *tx)
            .await?;
        let mut e = entry(p, origin, input.reason.as_str(), "person");
        e.subject_person_id = Some(input.person_id);
        e.organisation_id = Some(org);
        AuditLog::record_in(&mut tx, e).await?;
        tx.commit().await?;
        Ok(store::enrolments(&self.db, input.person_id).await?)
    }
}

/// A unique violation becomes a conflict on the field a person can fix.
pub(crate) fn unique_to_field(e: sqlx::Error, field: &'static str) -> RegistryError {
    if let sqlx::Error::Database(db) = &e {
        if db.is_unique_violation() {
            return RegistryError::Conflict(field, "Такое значение уже есть в реестре.".into());
        }
    }
    RegistryError::Db(e)
}
