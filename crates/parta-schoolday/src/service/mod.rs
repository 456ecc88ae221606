//! The school day's service handle ([`Journal`]) and what every concept's use cases
//! share; the use cases themselves live in each concept's `service.rs` (`calendar/`,
//! `timetable/`, `journal/`, `diary/`, `homework/`, `gradebook/`). Each loads the facts,
//! asks the access policy, validates everything before writing, and writes one
//! transaction (with its audit record and events).

pub use crate::gradebook::service::{
    GuidRef, OneRosterCategory, OneRosterLineItem, OneRosterPeriod, OneRosterResult,
};
pub use crate::homework::service::{PersonUsage, StorageUsage, MAX_ATTACHMENT};
pub use crate::timetable::service::parse_template_text;

pub(crate) use crate::error::JournalError;
pub(crate) use crate::model::*;
pub(crate) use crate::store;
pub(crate) use parta_core::ids::{ClassId, OrganisationId, PersonId};
pub(crate) use parta_core::policy::{
    decide, AttachmentFacts, ClassFacts, Decision, GradeFacts, JournalFacts, Operation, OrgFacts,
    PersonFacts, Target,
};
pub(crate) use parta_core::principal::Principal;
pub(crate) use parta_db::audit::{AuditEntry, AuditLog};
pub(crate) use parta_db::outbox::Outbox;
pub(crate) use parta_db::Db;
pub(crate) use parta_registry::Registry;

pub type Result<T> = std::result::Result<T, JournalError>;

pub use parta_registry::service::Origin;

#[derive(Clone)]
pub struct Journal {
    pub db: Db,
    pub(crate) audit: AuditLog,
    pub(crate) registry: Registry,
    pub(crate) outbox: Outbox,
    pub(crate) files: parta_db::files::FileStore,
    /// Виды работ: a federal reference book, fixed while the process runs.
    pub(crate) work_types: std::sync::Arc<tokio::sync::OnceCell<Vec<WorkType>>>,
    /// Lessons of class weeks for the diary.
    pub(crate) weeks: crate::timetable::weeks::ClassWeeks,
    /// Upload quotas per person and school.
    pub(crate) quotas: parta_core::config::StorageConfig,
}

pub(crate) fn check(decision: Decision) -> Result<()> {
    match decision {
        Decision::Allow => Ok(()),
        Decision::Hidden => Err(JournalError::NotFound),
        Decision::Forbidden => Err(JournalError::Forbidden),
    }
}

pub(crate) fn entry(
    p: &Principal,
    origin: &Origin,
    action: &'static str,
    object_type: &'static str,
) -> AuditEntry {
    AuditEntry::by(p, origin.ip.clone(), action, object_type)
}

/// "24.11.2026" from "2026-11-24".
pub fn ru_date(iso: &str) -> String {
    let mut parts = iso.split('-');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(y), Some(m), Some(d)) => format!("{d}.{m}.{y}"),
        _ => iso.to_string(),
    }
}

impl Journal {
    pub fn new(
        db: Db,
        audit: AuditLog,
        registry: Registry,
        outbox: Outbox,
        files: parta_db::files::FileStore,
    ) -> Self {
        Self {
            db,
            audit,
            registry,
            outbox,
            files,
            work_types: Default::default(),
            weeks: Default::default(),
            quotas: Default::default(),
        }
    }

    /// Tells the other nodes of a cluster when a class's week changes (and hears them).
    pub fn with_bus(mut self, bus: parta_bus::Bus) -> Self {
        self.weeks = std::mem::take(&mut self.weeks).with_bus(bus);
        self
    }

    /// Sets the upload quotas (configuration `[storage]`).
    pub fn with_quotas(mut self, quotas: parta_core::config::StorageConfig) -> Self {
        self.quotas = quotas;
        self
    }

    pub(crate) async fn org_facts(&self, org: OrganisationId) -> Result<OrgFacts> {
        self.registry
            .org_facts(org)
            .await?
            .ok_or(JournalError::NotFound)
    }

    pub(crate) async fn class_facts(&self, class: ClassId) -> Result<ClassFacts> {
        self.registry
            .class_facts(class)
            .await?
            .ok_or(JournalError::NotFound)
    }

    pub(crate) async fn person_facts(&self, person: PersonId) -> Result<PersonFacts> {
        self.registry
            .person_facts(person)
            .await?
            .ok_or(JournalError::NotFound)
    }

    pub(crate) async fn authorize_org(
        &self,
        p: &Principal,
        op: Operation,
        org: OrganisationId,
    ) -> Result<OrgFacts> {
        let facts = self.org_facts(org).await?;
        check(decide(p, op, Target::Organisation(&facts)))?;
        Ok(facts)
    }

    pub(crate) async fn authorize_journal(
        &self,
        p: &Principal,
        op: Operation,
        class: ClassId,
        subject: &str,
        lesson_teacher: Option<PersonId>,
    ) -> Result<JournalFacts> {
        let facts = JournalFacts {
            class: self.class_facts(class).await?,
            subject: subject.to_string(),
            lesson_teacher,
        };
        check(decide(p, op, Target::Journal(&facts)))?;
        Ok(facts)
    }

    /// Managing a class's school day: who cannot see the class's timetable learns
    /// nothing (404); who sees it but does not run the school is refused (403).
    pub(crate) async fn authorize_class_manage(&self, p: &Principal, class: ClassId) -> Result<()> {
        let facts = self.class_facts(class).await?;
        if decide(p, Operation::ReadTimetable, Target::Class(&facts)) != Decision::Allow {
            return Err(JournalError::NotFound);
        }
        check(decide(
            p,
            Operation::ManageSchoolDay,
            Target::Organisation(&facts.org),
        ))
    }

    pub(crate) async fn class_info(&self, class: ClassId) -> Result<store::ClassInfo> {
        store::class_info(&self.db, class)
            .await?
            .ok_or(JournalError::NotFound)
    }

    /// Whether the caller may do `op` on this journal — for pages deciding what to offer.
    pub async fn may_on_journal(
        &self,
        p: &Principal,
        op: Operation,
        class: ClassId,
        subject: &str,
    ) -> Result<bool> {
        let facts = JournalFacts {
            class: self.class_facts(class).await?,
            subject: subject.to_string(),
            lesson_teacher: None,
        };
        Ok(decide(p, op, Target::Journal(&facts)) == Decision::Allow)
    }

    /// Refuses unless the caller runs the school day of the class's school (404 when they
    /// do not even see the class) — for pages that show an editing form.
    pub async fn check_manage_class(&self, p: &Principal, class: ClassId) -> Result<()> {
        self.authorize_class_manage(p, class).await
    }

    /// Whether the caller may manage the school day of an organisation.
    pub async fn may_manage(&self, p: &Principal, org: OrganisationId) -> Result<bool> {
        let facts = self.org_facts(org).await?;
        Ok(decide(p, Operation::ManageSchoolDay, Target::Organisation(&facts)) == Decision::Allow)
    }

    /// The periods of a class's grade in its year.
    pub(crate) async fn class_periods(&self, c: &store::ClassInfo) -> Result<Vec<Period>> {
        let grade = c.grade();
        Ok(store::periods(&self.db, c.organisation_id)
            .await?
            .into_iter()
            .filter(|p| p.academic_year_id == c.academic_year_id && p.for_grade(grade))
            .collect())
    }

    pub async fn work_types(&self) -> Result<Vec<WorkType>> {
        Ok(self
            .work_types
            .get_or_try_init(|| store::work_types(&self.db))
            .await?
            .clone())
    }

    /// Names of the kinds of work by code.
    pub async fn work_type_names(&self) -> Result<std::collections::HashMap<String, String>> {
        Ok(self
            .work_types()
            .await?
            .into_iter()
            .map(|w| (w.code, w.name))
            .collect())
    }
}
