//! Import and export use cases: policy, parse and validate, write, audit.

use crate::model::{ImportReport, RowError};
use crate::{oneroster, template};
use parta_core::ids::OrganisationId;
use parta_core::policy::{decide, Decision, Operation, OrgFacts, Target};
use parta_core::principal::Principal;
use parta_core::{FieldError, Problem};
use parta_db::audit::{AuditEntry, AuditLog};
use parta_db::Db;
use parta_http::json::ProblemResponse as _;
use parta_registry::bulk::apply::{apply_in, ApplyError};

/// Largest upload accepted, packed.
pub const MAX_UPLOAD: usize = 20 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum RosterError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("the package has {} errors", .0.len())]
    Rows(Vec<RowError>),
    #[error("too large")]
    TooLarge,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Problem(#[from] Problem),
}

impl From<RosterError> for Problem {
    fn from(e: RosterError) -> Self {
        match e {
            RosterError::NotFound => Problem::not_found(),
            RosterError::Forbidden => Problem::forbidden(),
            RosterError::TooLarge => Problem::payload_too_large(MAX_UPLOAD),
            RosterError::Rows(rows) => {
                let errors = rows
                    .iter()
                    .map(|r| {
                        FieldError::new(
                            format!("{}:{}:{}", r.file, r.line, r.column),
                            r.message.clone(),
                        )
                    })
                    .collect();
                let mut p = Problem::validation(errors);
                p.title = format!(
                    "Файл не принят: ошибок — {}. Ничего не записано.",
                    rows.len()
                );
                p
            }
            RosterError::Db(e) => Problem::from_db(e),
            RosterError::Problem(p) => p,
        }
    }
}

impl From<ApplyError> for RosterError {
    fn from(e: ApplyError) -> Self {
        match e {
            ApplyError::Rows(r) => RosterError::Rows(crate::limits::cap_errors(r)),
            ApplyError::Db(e) => RosterError::Db(e),
        }
    }
}

/// The package, its format and encoding, whatever was uploaded: an Excel workbook, a
/// OneRoster ZIP or the CSV template.
fn parse_any(
    bytes: &[u8],
) -> Result<(crate::model::Package, &'static str, &'static str), Vec<RowError>> {
    if template::is_xlsx(bytes) {
        let (pkg, _) = template::parse_xlsx(bytes)?;
        Ok((pkg, "шаблон XLSX", "XLSX"))
    } else if bytes.starts_with(b"PK\x03\x04") {
        let files = oneroster::unzip(bytes).map_err(|e| vec![e])?;
        let (pkg, enc, version) = oneroster::parse_versioned(files)?;
        Ok((pkg, version.label(), enc))
    } else {
        let (pkg, enc) = template::parse(bytes)?;
        Ok((pkg, "шаблон CSV", enc))
    }
}

#[derive(Clone)]
pub struct Roster {
    pub db: Db,
    pub audit: AuditLog,
    /// The Rostering service's built objects, for a few seconds.
    pub(crate) rest_cache: crate::rest::cache::RestCache,
}

impl Roster {
    pub fn new(db: Db, audit: AuditLog) -> Self {
        Self {
            db,
            audit,
            rest_cache: Default::default(),
        }
    }

    async fn org_facts(&self, org: OrganisationId) -> Result<OrgFacts, RosterError> {
        let row: Option<(String, String)> = sqlx::query_as(
            "SELECT o.municipality_id, m.region_code FROM organisations o JOIN municipalities m ON m.id = o.municipality_id WHERE o.id = $1",
        )
        .bind(org)
        .fetch_optional(&self.db.pool)
        .await?;
        let (m, r) = row.ok_or(RosterError::NotFound)?;
        Ok(OrgFacts {
            organisation: org,
            municipality: m.parse().map_err(|_| RosterError::NotFound)?,
            region: parta_core::ids::RegionCode(r),
        })
    }

    /// Checks the caller may change this school's roster. `None` is the server's own
    /// command line (`parta import`), run by whoever runs the server.
    pub(crate) async fn allowed(
        &self,
        p: Option<&Principal>,
        org: OrganisationId,
    ) -> Result<(), RosterError> {
        let facts = self.org_facts(org).await?;
        match p.map(|p| decide(p, Operation::ImportRoster, Target::Organisation(&facts))) {
            None | Some(Decision::Allow) => Ok(()),
            Some(Decision::Hidden) => Err(RosterError::NotFound),
            Some(Decision::Forbidden) => Err(RosterError::Forbidden),
        }
    }

    /// Imports a OneRoster ZIP or the Russian CSV template into a school.
    pub async fn import(
        &self,
        p: Option<&Principal>,
        ip: Option<String>,
        org: OrganisationId,
        bytes: &[u8],
        dry_run: bool,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<ImportReport, RosterError> {
        self.allowed(p, org).await?;
        if bytes.len() > MAX_UPLOAD {
            return Err(RosterError::TooLarge);
        }
        // Parsing is CPU work on up to 20 MB: off the request threads.
        let owned = bytes.to_vec();
        let (package, format, encoding) = tokio::task::spawn_blocking(move || parse_any(&owned))
            .await
            .map_err(|_| RosterError::Problem(Problem::internal()))?
            .map_err(|rows| RosterError::Rows(crate::limits::cap_errors(rows)))?;
        let audit = AuditEntry {
            actor_person_id: p.map(|p| p.person_id),
            actor_role: p.map(|p| p.role().as_str().to_string()),
            action: "import",
            organisation_id: Some(org),
            object_type: "roster",
            ip,
            ..Default::default()
        };
        let mut report = self.write(org, &package, dry_run, progress, audit).await?;
        report.format = format.to_string();
        report.encoding = encoding.to_string();
        Ok(report)
    }

    /// Writes a package in one transaction: the people, classes and enrolments through the
    /// registry's bulk entry point, the logins through the identity domain's; the audit
    /// entry with the counts; a dry run or any refused row rolls everything back.
    async fn write(
        &self,
        org: OrganisationId,
        package: &crate::model::Package,
        dry_run: bool,
        progress: &(dyn Fn(u64) + Sync),
        mut audit: AuditEntry,
    ) -> Result<ImportReport, ApplyError> {
        let mut tx = self.db.begin_write().await?;
        let (mut report, logins) = apply_in(
            &mut tx,
            org,
            package,
            dry_run,
            progress,
            &mut parta_registry::bulk::apply::IdMap::default(),
        )
        .await?;
        logins_in(&mut tx, logins, &mut report).await?;
        if dry_run {
            tx.rollback().await?;
        } else {
            audit.details = Some(format!(
                "{} создано, {} изменено, {} без изменений",
                report.created, report.updated, report.unchanged
            ));
            AuditLog::record_in(&mut tx, audit).await?;
            tx.commit().await?;
        }
        Ok(report)
    }

    /// The school's roster as a OneRoster ZIP (personal data: audited).
    pub async fn export(
        &self,
        p: Option<&Principal>,
        ip: Option<String>,
        org: OrganisationId,
    ) -> Result<Vec<u8>, RosterError> {
        self.allowed(p, org).await?;
        let zip = crate::export::export(&self.db, org)
            .await
            .map_err(|e| match e {
                crate::export::ExportError::Db(e) => RosterError::Db(e),
                crate::export::ExportError::Write(m) => {
                    tracing::error!(error = %m, "roster export failed");
                    RosterError::Problem(Problem::internal())
                }
            })?;
        self.audit
            .record(AuditEntry {
                actor_person_id: p.map(|p| p.person_id),
                actor_role: p.map(|p| p.role().as_str().to_string()),
                action: "export",
                organisation_id: Some(org),
                object_type: "roster",
                ip,
                ..Default::default()
            })
            .await?;
        Ok(zip)
    }
}

/// The logins a package gives, through the identity domain, inside the import's
/// transaction: created ones counted, taken ones reported (sign-in names are one across
/// the platform: the person lands without it, and the school hands them a sign-in letter).
pub(crate) async fn logins_in(
    tx: &mut sqlx::AnyConnection,
    logins: Vec<parta_registry::bulk::apply::WantedLogin>,
    report: &mut ImportReport,
) -> Result<(), sqlx::Error> {
    let now = parta_core::time::now_ms();
    let wanted: Vec<(parta_core::ids::PersonId, &str)> = logins
        .iter()
        .map(|w| (w.person, w.login.as_str()))
        .collect();
    let outcomes = parta_identity::bulk::ensure_logins_in(tx, &wanted, now).await?;
    for (w, outcome) in logins.iter().zip(outcomes) {
        match outcome {
            parta_identity::bulk::LoginOutcome::Created => report.created += 1,
            parta_identity::bulk::LoginOutcome::Kept => {}
            parta_identity::bulk::LoginOutcome::Taken => report.warnings.push(RowError::new(
                &w.file,
                w.line,
                "username",
                format!(
                    "Логин {} уже занят другим человеком платформы: запись принята без него — выдайте письмо со входом из карточки.",
                    w.login
                ),
            )),
        }
    }
    Ok(())
}

impl axum::response::IntoResponse for RosterError {
    fn into_response(self) -> axum::response::Response {
        Problem::from(self).into_response()
    }
}
