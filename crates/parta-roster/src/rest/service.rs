//! The OneRoster 1.2 Rostering service (read): which schools the caller may read, the
//! collection asked for within them, the query applied, the read audited.

use super::objects::{self, fields, has_role};
use crate::service::{Roster, RosterError};
use parta_core::ids::OrganisationId;
use parta_core::policy::{decide, Decision, Operation, OrgFacts, Target};
use parta_core::principal::{Principal, Role};
use parta_db::audit::AuditEntry;
use parta_http::imsx::query::{self, ListQuery, QueryError, RawQuery};
use serde_json::Value;
use std::sync::Arc;

/// A collection of the Rostering service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Collection {
    Orgs,
    Schools,
    AcademicSessions,
    Terms,
    GradingPeriods,
    Courses,
    Classes,
    Users,
    Students,
    Teachers,
    Enrollments,
    Demographics,
}

impl Collection {
    /// The name of the collection in the answer (`{"users": […]}`) and of one object
    /// (`{"user": {…}}`).
    pub fn names(self) -> (&'static str, &'static str) {
        match self {
            Collection::Orgs => ("orgs", "org"),
            Collection::Schools => ("orgs", "org"),
            Collection::AcademicSessions => ("academicSessions", "academicSession"),
            Collection::Terms => ("academicSessions", "academicSession"),
            Collection::GradingPeriods => ("academicSessions", "academicSession"),
            Collection::Courses => ("courses", "course"),
            Collection::Classes => ("classes", "class"),
            Collection::Users => ("users", "user"),
            Collection::Students => ("users", "user"),
            Collection::Teachers => ("users", "user"),
            Collection::Enrollments => ("enrollments", "enrollment"),
            Collection::Demographics => ("demographics", "demographics"),
        }
    }

    fn known(self) -> &'static [&'static str] {
        match self {
            Collection::Orgs | Collection::Schools => fields::ORG,
            Collection::AcademicSessions | Collection::Terms | Collection::GradingPeriods => {
                fields::SESSION
            }
            Collection::Courses => fields::COURSE,
            Collection::Classes => fields::CLASS,
            Collection::Users | Collection::Students | Collection::Teachers => fields::USER,
            Collection::Enrollments => fields::ENROLLMENT,
            Collection::Demographics => fields::DEMOGRAPHICS,
        }
    }

    /// Holds personal data: every read is audited.
    fn personal(self) -> bool {
        matches!(
            self,
            Collection::Users
                | Collection::Students
                | Collection::Teachers
                | Collection::Enrollments
                | Collection::Demographics
        )
    }
}

/// What a nested path narrows a collection to.
#[derive(Debug, Clone, Default)]
pub struct Within {
    /// `/schools/{id}/…`
    pub school: Option<String>,
    /// `/classes/{id}/…`
    pub class: Option<String>,
    /// `/users/{id}/classes`, `/students/{id}/classes`, `/teachers/{id}/classes`
    pub user: Option<String>,
}

/// One object of a school's built ones, shared (not copied) until it is answered.
#[derive(Clone)]
pub struct Shared(Arc<Vec<Value>>, usize);

impl Shared {
    fn each(objects: Vec<Value>) -> impl Iterator<Item = Shared> {
        let all = Arc::new(objects);
        (0..all.len()).map(move |i| Shared(all.clone(), i))
    }
}

impl std::ops::Deref for Shared {
    type Target = Value;
    fn deref(&self) -> &Value {
        &self.0[self.1]
    }
}

impl std::borrow::Borrow<Value> for Shared {
    fn borrow(&self) -> &Value {
        self
    }
}

/// One page of a collection.
pub struct Page {
    pub total: usize,
    pub items: Vec<Value>,
    pub query: ListQuery,
}

impl From<QueryError> for RosterError {
    fn from(e: QueryError) -> Self {
        RosterError::Problem(e.into())
    }
}

impl Roster {
    /// The schools whose rosters `p` may read, with their sourcedIds.
    async fn readable(&self, p: &Principal) -> Result<Vec<(OrganisationId, String)>, RosterError> {
        let candidates: Vec<(OrganisationId, String, String, String)> = sqlx::query_as(
            "SELECT o.id, COALESCE(o.source_id, o.id), o.municipality_id, m.region_code FROM organisations o \
             JOIN municipalities m ON m.id = o.municipality_id ORDER BY o.id",
        )
        .fetch_all(&self.db.pool)
        .await?;
        let mut out = Vec::new();
        let mut denied = false;
        for (org, sid, municipality, region) in candidates {
            // Only the caller's own schools and territory are considered (others would
            // each count as a refusal).
            let near = match p.role() {
                Role::PlatformAdmin => true,
                Role::SchoolAdmin | Role::Teacher => p.scope.organisations.contains(&org),
                Role::MunicipalOperator => p
                    .scope
                    .municipalities
                    .iter()
                    .any(|m| m.to_string() == municipality),
                Role::RegionalOperator => p.scope.regions.iter().any(|r| r.0 == region),
                _ => false,
            };
            if !near {
                continue;
            }
            let facts = OrgFacts {
                organisation: org,
                municipality: municipality.parse().map_err(|_| RosterError::NotFound)?,
                region: parta_core::ids::RegionCode(region),
            };
            match decide(p, Operation::ReadRoster, Target::Organisation(&facts)) {
                Decision::Allow => out.push((org, sid)),
                _ => denied = true,
            }
        }
        if out.is_empty() {
            // Nobody's roster: refused, and the refusal is on the record (as one).
            if !denied {
                let _ = decide(p, Operation::ReadRoster, Target::Platform);
            }
            return Err(RosterError::Forbidden);
        }
        Ok(out)
    }

    /// The school's objects of one kind, built from the rows or remembered for a few
    /// seconds (see [`crate::rest::cache`]).
    async fn built(
        &self,
        kind: &'static str,
        org: OrganisationId,
        sid: &str,
        now: &str,
    ) -> Result<Arc<Vec<Value>>, RosterError> {
        use crate::rest::cache::{FRESH, STALE};
        if let Some(hit) = self.rest_cache.get(org, kind, FRESH) {
            return Ok(hit);
        }
        if let Some(stale) = self.rest_cache.get(org, kind, STALE) {
            // Answered as it is; one request builds it again meanwhile.
            if let Ok(guard) = self.rest_cache.building.clone().try_lock_owned() {
                let (this, sid, now) = (self.clone(), sid.to_string(), now.to_string());
                tokio::spawn(async move {
                    if let Err(e) = this.build(kind, org, &sid, &now).await {
                        tracing::warn!(error = %e, "rebuilding roster objects failed");
                    }
                    drop(guard);
                });
            }
            return Ok(stale);
        }
        let _building = self.rest_cache.building.lock().await;
        if let Some(hit) = self.rest_cache.get(org, kind, FRESH) {
            return Ok(hit);
        }
        self.build(kind, org, sid, now).await
    }

    /// Builds the school's objects of one kind and remembers them.
    async fn build(
        &self,
        kind: &'static str,
        org: OrganisationId,
        sid: &str,
        now: &str,
    ) -> Result<Arc<Vec<Value>>, RosterError> {
        let db = &self.db;
        let built = match kind {
            "school" => vec![objects::school(db, org, now).await?.1],
            "sessions" => objects::sessions(db, org, now).await?,
            "courses" => objects::courses(db, org, sid, now).await?,
            "classes" => objects::classes(db, org, sid, now).await?,
            "enrollments" => objects::enrollments(db, org, sid, now).await?,
            "users" | "demographics" => {
                let (users, demographics) = objects::people(db, org, sid, now).await?;
                let (users, demographics) = (Arc::new(users), Arc::new(demographics));
                self.rest_cache.put(org, "users", users.clone());
                self.rest_cache
                    .put(org, "demographics", demographics.clone());
                return Ok(if kind == "users" { users } else { demographics });
            }
            _ => Vec::new(),
        };
        let built = Arc::new(built);
        self.rest_cache.put(org, kind, built.clone());
        Ok(built)
    }

    /// Objects of `coll` in the school `org` (whose sourcedId is `sid`).
    async fn of_school(
        &self,
        coll: Collection,
        org: OrganisationId,
        sid: &str,
        now: &str,
    ) -> Result<Vec<Shared>, RosterError> {
        let kind = match coll {
            Collection::Orgs | Collection::Schools => "school",
            Collection::AcademicSessions | Collection::Terms | Collection::GradingPeriods => {
                "sessions"
            }
            Collection::Courses => "courses",
            Collection::Classes => "classes",
            Collection::Users | Collection::Students | Collection::Teachers => "users",
            Collection::Enrollments => "enrollments",
            Collection::Demographics => "demographics",
        };
        let all = self.built(kind, org, sid, now).await?;
        let wanted = |o: &Value| match coll {
            Collection::Terms => o["type"] == "term",
            Collection::GradingPeriods => o["type"] == "gradingPeriod",
            Collection::Students => has_role(o, "student"),
            Collection::Teachers => has_role(o, "teacher"),
            _ => true,
        };
        // References into the shared objects: only the answered page is copied.
        Ok((0..all.len())
            .filter(|i| wanted(&all[*i]))
            .map(|i| Shared(all.clone(), i))
            .collect())
    }

    /// Everything of `coll` the caller may read, narrowed by `within`.
    async fn gather(
        &self,
        p: &Principal,
        coll: Collection,
        within: &Within,
    ) -> Result<(Vec<Shared>, Vec<OrganisationId>), RosterError> {
        let now = parta_core::time::now_ms();
        let now = chrono::DateTime::from_timestamp_millis(now)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
            .unwrap_or_default();
        let mut schools = self.readable(p).await?;
        if let Some(s) = &within.school {
            schools.retain(|(_, sid)| sid == s);
            if schools.is_empty() {
                return Err(RosterError::NotFound);
            }
        }
        let mut out = Vec::new();
        let mut found = within.class.is_none() && within.user.is_none();
        for (org, sid) in &schools {
            if within.class.is_none() && within.user.is_none() {
                out.extend(self.of_school(coll, *org, sid, &now).await?);
                continue;
            }
            // Narrowed to a class or a person: through the school's enrolments.
            let enrolments = self.built("enrollments", *org, sid, &now).await?;
            let of =
                |e: &Value, key: &str| e[key]["sourcedId"].as_str().unwrap_or_default().to_string();
            if let Some(class) = &within.class {
                let classes = self.built("classes", *org, sid, &now).await?;
                if !classes.iter().any(|c| c["sourcedId"] == class.as_str()) {
                    continue;
                }
                found = true;
                let members: Vec<(String, String)> = enrolments
                    .iter()
                    .filter(|e| of(e, "class") == *class)
                    .map(|e| {
                        (
                            of(e, "user"),
                            e["role"].as_str().unwrap_or_default().to_string(),
                        )
                    })
                    .collect();
                let wanted = match coll {
                    Collection::Students => Some("student"),
                    Collection::Teachers => Some("teacher"),
                    _ => None,
                };
                out.extend(
                    self.of_school(coll, *org, sid, &now)
                        .await?
                        .into_iter()
                        .filter(|u| {
                            members.iter().any(|(id, role)| {
                                u["sourcedId"] == id.as_str() && wanted.is_none_or(|w| w == role)
                            })
                        }),
                );
            } else if let Some(user) = &within.user {
                let people = self.built("users", *org, sid, &now).await?;
                if !people.iter().any(|u| u["sourcedId"] == user.as_str()) {
                    continue;
                }
                found = true;
                let classes: Vec<String> = enrolments
                    .iter()
                    .filter(|e| of(e, "user") == *user)
                    .map(|e| of(e, "class"))
                    .collect();
                out.extend(
                    self.of_school(coll, *org, sid, &now)
                        .await?
                        .into_iter()
                        .filter(|c| classes.iter().any(|id| c["sourcedId"] == id.as_str())),
                );
            }
        }
        if !found {
            return Err(RosterError::NotFound);
        }
        if coll == Collection::Orgs && within.school.is_none() {
            out.extend(Shared::each(
                objects::districts(&self.db, &schools, &now).await?,
            ));
        }
        Ok((out, schools.into_iter().map(|(o, _)| o).collect()))
    }

    async fn audit_read(
        &self,
        p: &Principal,
        ip: Option<String>,
        coll: Collection,
        orgs: &[OrganisationId],
        details: String,
    ) -> Result<(), RosterError> {
        if !coll.personal() {
            return Ok(());
        }
        for org in orgs {
            let mut e = AuditEntry::by(p, ip.clone(), "read", "roster");
            e.organisation_id = Some(*org);
            e.details = Some(details.clone());
            self.audit.record(e).await?;
        }
        Ok(())
    }

    /// A page of a collection.
    pub async fn rest_list(
        &self,
        p: &Principal,
        ip: Option<String>,
        coll: Collection,
        within: &Within,
        raw: &RawQuery,
    ) -> Result<Page, RosterError> {
        let q = query::parse(raw, coll.known())?;
        let (all, orgs) = self.gather(p, coll, within).await?;
        let (total, items) = query::apply(all, &q);
        self.audit_read(
            p,
            ip,
            coll,
            &orgs,
            format!("OneRoster {}: {} of {total}", coll.names().0, items.len()),
        )
        .await?;
        Ok(Page {
            total,
            items,
            query: q,
        })
    }

    /// One object by its sourcedId.
    pub async fn rest_get(
        &self,
        p: &Principal,
        ip: Option<String>,
        coll: Collection,
        id: &str,
        raw: &RawQuery,
    ) -> Result<Value, RosterError> {
        let q = query::parse(raw, coll.known())?;
        let (all, orgs) = self.gather(p, coll, &Within::default()).await?;
        let found = all
            .into_iter()
            .find(|o| o["sourcedId"] == id)
            .ok_or(RosterError::NotFound)?;
        self.audit_read(
            p,
            ip,
            coll,
            &orgs,
            format!("OneRoster {} {id}", coll.names().1),
        )
        .await?;
        Ok(query::select((*found).clone(), q.fields.as_deref()))
    }
}
