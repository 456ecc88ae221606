//! Packages of several schools — a district with its schools, a region's export — sent by
//! a municipal or regional system and uploaded by the operator of its territory. Each
//! organisation of the package is matched to a school of the territory: by the match the
//! operator made before, by our own id, or by its INN in `identifier`; otherwise the
//! operator picks it in the wizard. Ids belong to the territory's system (one namespace
//! for all its schools: a teacher of two schools is one person). Everything is written in
//! one transaction, school by school; one refused row anywhere writes nothing.

use crate::model::{ImportReport, RowError};
use crate::oneroster::{self, OrgRow, RegionPackage};
use crate::service::{Roster, RosterError};
use parta_core::ids::{MunicipalityId, OrganisationId, RegionCode};
use parta_core::principal::{Principal, Role};
use parta_core::{FieldError, Problem};
use parta_db::audit::{AuditEntry, AuditLog};
use parta_registry::bulk::apply::{apply_in, ApplyError};
use serde::Serialize;
use std::collections::HashMap;

/// The territory whose system sent the package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Territory {
    Region(RegionCode),
    Municipality(MunicipalityId),
}

impl Territory {
    /// The caller's territory: a regional or municipal operator's.
    pub fn of(p: &Principal) -> Option<Territory> {
        match p.role() {
            Role::RegionalOperator => p.scope.regions.first().cloned().map(Territory::Region),
            Role::MunicipalOperator => p
                .scope
                .municipalities
                .first()
                .copied()
                .map(Territory::Municipality),
            _ => None,
        }
    }

    /// `region:77`, `municipality:…`: the namespace of the ids its system gives.
    pub fn namespace(&self) -> String {
        match self {
            Territory::Region(r) => format!("region:{}", r.0),
            Territory::Municipality(m) => format!("municipality:{m}"),
        }
    }
}

/// Most organisations matched at once in the wizard.
pub const MAX_MATCHED: usize = crate::limits::MAX_REGION_SCHOOLS;

/// How an organisation of the package found its school.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SchoolResult {
    /// The organisation's sourcedId in the package.
    pub source_id: String,
    /// Its name in the package.
    pub name: String,
    #[schema(value_type = String)]
    pub organisation_id: OrganisationId,
    pub organisation_name: String,
    /// `map` (matched before), `id` (our own id), `identifier` (its INN).
    pub matched_by: String,
    pub report: ImportReport,
}

/// What a package of several schools did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct RegionReport {
    pub format: String,
    pub encoding: String,
    pub dry_run: bool,
    pub schools: Vec<SchoolResult>,
    /// Sums over the schools.
    pub people: u64,
    pub classes: u64,
    pub enrolments: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub ended: u64,
    /// Read and not applied, package-wide (files, columns, people of no school, roles in
    /// a district); each school's own are in its report.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<RowError>,
}

/// A school of the territory a package's organisation may be matched to.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TerritorySchool {
    #[schema(value_type = String)]
    pub id: OrganisationId,
    pub short_name: String,
    pub inn: String,
}

impl Roster {
    /// The schools of a territory, by name.
    pub async fn territory_schools(
        &self,
        t: &Territory,
    ) -> Result<Vec<TerritorySchool>, RosterError> {
        let rows: Vec<(OrganisationId, String, String)> = match t {
            Territory::Region(r) => sqlx::query_as(
                "SELECT o.id, o.short_name, o.inn FROM organisations o JOIN municipalities m ON m.id = o.municipality_id WHERE m.region_code = $1 ORDER BY o.short_name",
            )
            .bind(r.0.clone())
            .fetch_all(&self.db.pool)
            .await?,
            Territory::Municipality(m) => sqlx::query_as(
                "SELECT id, short_name, inn FROM organisations WHERE municipality_id = $1 ORDER BY short_name",
            )
            .bind(*m)
            .fetch_all(&self.db.pool)
            .await?,
        };
        Ok(rows
            .into_iter()
            .map(|(id, short_name, inn)| TerritorySchool {
                id,
                short_name,
                inn,
            })
            .collect())
    }

    /// The matches the territory's operators made: (the package's sourcedId, the school).
    pub async fn org_map(
        &self,
        t: &Territory,
    ) -> Result<Vec<(String, OrganisationId)>, RosterError> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT source_id, object_id FROM roster_ids WHERE namespace = $1 AND kind = 'org' ORDER BY source_id",
        )
        .bind(t.namespace())
        .fetch_all(&self.db.pool)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(s, o)| o.parse().ok().map(|o| (s, o)))
            .collect())
    }

    /// Records which school of the territory each of the package's organisations is
    /// (the operator's picks in the wizard). Each pair is checked first; nothing is
    /// written if one is wrong.
    pub async fn map_orgs(
        &self,
        p: &Principal,
        ip: Option<String>,
        pairs: &[(String, String)],
    ) -> Result<usize, RosterError> {
        let t = Territory::of(p).ok_or(RosterError::Forbidden)?;
        FieldError::check_len("orgs", pairs, MAX_MATCHED)
            .map_err(|e| RosterError::Problem(Problem::validation(vec![e])))?;
        let schools = self.territory_schools(&t).await?;
        let mut errors = Vec::new();
        let mut chosen: Vec<(String, OrganisationId)> = Vec::new();
        for (i, (source, org)) in pairs.iter().enumerate() {
            let source = source.trim();
            if source.is_empty() || source.chars().count() > 200 {
                errors.push(FieldError::new(
                    format!("orgs[{i}].source"),
                    "Идентификатор организации в файле — от 1 до 200 знаков.",
                ));
                continue;
            }
            // An empty choice: not picked yet.
            if org.trim().is_empty() {
                continue;
            }
            match org.parse::<OrganisationId>() {
                Ok(id) if schools.iter().any(|s| s.id == id) => {
                    if chosen.iter().any(|(_, o)| *o == id) {
                        errors.push(FieldError::new(
                            format!("orgs[{i}].organisation"),
                            format!("Эта школа уже выбрана для другой организации пакета; выберите другую для «{source}»."),
                        ));
                    } else {
                        chosen.push((source.to_string(), id));
                    }
                }
                _ => errors.push(FieldError::new(
                    format!("orgs[{i}].organisation"),
                    format!("Выберите школу своей территории для «{source}»."),
                )),
            }
        }
        if !errors.is_empty() {
            return Err(RosterError::Problem(Problem::validation(errors)));
        }
        let now = parta_core::time::now_ms();
        let mut tx = self.db.begin_write().await?;
        for (source, org) in &chosen {
            sqlx::query(
                "INSERT INTO roster_ids (namespace, kind, source_id, object_id, imported_at) VALUES ($1, 'org', $2, $3, $4) \
                 ON CONFLICT (namespace, kind, source_id) DO UPDATE SET object_id = excluded.object_id, imported_at = excluded.imported_at",
            )
            .bind(t.namespace())
            .bind(source.clone())
            .bind(org.to_string())
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let mut e = AuditEntry::by(p, ip.clone(), "update", "roster_org_map");
            e.organisation_id = Some(*org);
            e.object_id = Some(source.clone());
            AuditLog::record_in(&mut tx, e).await?;
        }
        tx.commit().await?;
        Ok(chosen.len())
    }

    /// Imports a package of several schools into the territory's schools. `None` is the
    /// server's command line, which names the territory itself.
    pub async fn import_region(
        &self,
        p: Option<&Principal>,
        ip: Option<String>,
        territory: Option<Territory>,
        bytes: Vec<u8>,
        dry_run: bool,
        progress: &(dyn Fn(u64, u64) + Sync),
    ) -> Result<RegionReport, RosterError> {
        let t = match (territory, p) {
            (Some(t), None) => t,
            (_, Some(p)) => Territory::of(p).ok_or(RosterError::Forbidden)?,
            (None, None) => return Err(RosterError::Forbidden),
        };
        if bytes.len() > crate::limits::MAX_REGION_UPLOAD {
            return Err(RosterError::Problem(Problem::payload_too_large(
                crate::limits::MAX_REGION_UPLOAD,
            )));
        }
        if !bytes.starts_with(b"PK\x03\x04") {
            return Err(RosterError::Rows(vec![RowError::new(
                "(архив)",
                0,
                "",
                "Пакет нескольких школ — ZIP-архив OneRoster (manifest.csv и файлы CSV).",
            )]));
        }
        let started = std::time::Instant::now();
        // Unpacking and checking ~1 M rows is CPU work: off the request threads.
        let package = tokio::task::spawn_blocking(move || {
            let files = oneroster::unzip_region(&bytes).map_err(|e| vec![e])?;
            drop(bytes);
            oneroster::parse_region(files)
        })
        .await
        .map_err(|_| RosterError::Problem(Problem::internal()))?
        .map_err(|rows| RosterError::Rows(crate::limits::cap_errors(rows)))?;
        tracing::debug!(
            parse_ms = started.elapsed().as_millis() as u64,
            "region package read"
        );
        let matched = self.match_orgs(&t, &package).await?;
        for (org, _, _) in &matched {
            self.allowed(p, *org).await?;
        }
        let mut report = RegionReport {
            format: package.version.label().to_string(),
            encoding: package.encoding.to_string(),
            dry_run,
            warnings: package.warnings.clone(),
            ..Default::default()
        };
        let total: u64 = package.schools.iter().map(|s| s.people.len() as u64).sum();
        let namespace = t.namespace();
        let mut tx = self.db.begin_write().await?;
        let mut ids = parta_registry::bulk::apply::IdMap::default();
        let mut errors: Vec<RowError> = Vec::new();
        let mut done = 0u64;
        let orgs: HashMap<&str, &OrgRow> =
            package.orgs.iter().map(|o| (o.sid.as_str(), o)).collect();
        for (school, (org, org_name, how)) in package.schools.into_iter().zip(matched) {
            let mut school = school;
            school.namespace = Some(namespace.clone());
            let sid = school.org_sid.clone().unwrap_or_default();
            let base = done;
            let step = |n: u64| progress(base + n, total);
            match apply_in(&mut tx, org, &school, dry_run, &step, &mut ids).await {
                Ok((mut r, logins)) => {
                    crate::service::logins_in(&mut tx, logins, &mut r).await?;
                    r.format = report.format.clone();
                    r.encoding = report.encoding.clone();
                    report.people += r.people;
                    report.classes += r.classes;
                    report.enrolments += r.enrolments;
                    report.created += r.created;
                    report.updated += r.updated;
                    report.unchanged += r.unchanged;
                    report.ended += r.ended;
                    if !dry_run {
                        let mut audit = AuditEntry {
                            actor_person_id: p.map(|p| p.person_id),
                            actor_role: p.map(|p| p.role().as_str().to_string()),
                            action: "import",
                            organisation_id: Some(org),
                            object_type: "roster",
                            object_id: Some(namespace.clone()),
                            ip: ip.clone(),
                            ..Default::default()
                        };
                        audit.details = Some(format!(
                            "{} создано, {} изменено, {} без изменений",
                            r.created, r.updated, r.unchanged
                        ));
                        AuditLog::record_in(&mut tx, audit).await?;
                    }
                    report.schools.push(SchoolResult {
                        name: orgs
                            .get(sid.as_str())
                            .map(|o| o.name.clone())
                            .unwrap_or_default(),
                        source_id: sid,
                        organisation_id: org,
                        organisation_name: org_name,
                        matched_by: how.to_string(),
                        report: r,
                    });
                }
                // Every school is tried, so that the operator sees every refused row.
                Err(ApplyError::Rows(rows)) => errors.extend(rows),
                Err(ApplyError::Db(e)) => return Err(RosterError::Db(e)),
            }
            done += school.people.len() as u64;
        }
        if !errors.is_empty() {
            tx.rollback().await?;
            return Err(RosterError::Rows(crate::limits::cap_errors(errors)));
        }
        if dry_run {
            tx.rollback().await?;
        } else {
            tx.commit().await?;
        }
        Ok(report)
    }

    /// Each school of the package and the territory's school it is: by an earlier match,
    /// by our own id, by the INN in `identifier`. An organisation left unmatched is a row
    /// for the operator to pick (the wizard asks); two on one school are refused.
    async fn match_orgs(
        &self,
        t: &Territory,
        package: &RegionPackage,
    ) -> Result<Vec<(OrganisationId, String, &'static str)>, RosterError> {
        let schools = self.territory_schools(t).await?;
        let map: HashMap<String, OrganisationId> = self.org_map(t).await?.into_iter().collect();
        let mut out = Vec::new();
        let mut errors = Vec::new();
        let mut taken: HashMap<OrganisationId, String> = HashMap::new();
        for school in &package.schools {
            let sid = school.org_sid.clone().unwrap_or_default();
            let row = package.orgs.iter().find(|o| o.sid == sid);
            let line = row.map_or(0, |o| o.line);
            let name = row.map_or(sid.clone(), |o| o.name.clone());
            let found = map
                .get(&sid)
                .and_then(|id| schools.iter().find(|s| s.id == *id))
                .map(|s| (s, "map"))
                .or_else(|| {
                    schools
                        .iter()
                        .find(|s| s.id.to_string() == sid)
                        .map(|s| (s, "id"))
                })
                .or_else(|| {
                    let inn = school.org_identifier.as_deref()?;
                    schools
                        .iter()
                        .find(|s| s.inn == inn)
                        .map(|s| (s, "identifier"))
                });
            match found {
                Some((s, how)) => {
                    if let Some(other) = taken.insert(s.id, sid.clone()) {
                        errors.push(RowError::new(
                            "orgs.csv",
                            line,
                            "sourcedId",
                            format!(
                                "Организации {other} и {sid} пакета сопоставлены с одной школой «{}».",
                                s.short_name
                            ),
                        ));
                    }
                    out.push((s.id, s.short_name.clone(), how));
                }
                None => {
                    let mut e = RowError::new(
                        "orgs.csv",
                        line,
                        "sourcedId",
                        format!(
                            "Школа «{name}» ({sid}) не сопоставлена со школой платформы: выберите её на странице загрузки или укажите её ИНН в столбце identifier."
                        ),
                    );
                    e.unmatched_org = Some(sid.clone());
                    errors.push(e);
                }
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(RosterError::Rows(errors))
        }
    }
}
