//! Сопоставление предметов: a package's subjects the platform does not know («ALG1»,
//! «Algebra One») mapped by the school, once, to the federal subject list; the import
//! uses the map for every later package of the school.

use crate::service::{check, Registry, Result};
use crate::RegistryError;
use parta_core::ids::OrganisationId;
use parta_core::policy::{decide, Operation, Target};
use parta_core::principal::Principal;
use parta_core::FieldError;
use parta_db::audit::AuditEntry;

/// Most subjects mapped at once (a package names a few dozen).
pub const MAX_MAPPED: usize = 200;

impl Registry {
    /// The school's map: (the package's name, the subject's code).
    pub async fn subject_map(&self, org: OrganisationId) -> Result<Vec<(String, String)>> {
        Ok(sqlx::query_as(
            "SELECT source_code, subject_code FROM roster_subject_map WHERE organisation_id = $1 ORDER BY source_code",
        )
        .bind(org)
        .fetch_all(&self.db.pool)
        .await?)
    }

    /// Records what the package's subjects are (by those who import the school's lists).
    /// Every pair is checked first; nothing is written if one is wrong.
    pub async fn map_subjects(
        &self,
        p: &Principal,
        ip: Option<String>,
        org: OrganisationId,
        pairs: &[(String, String)],
    ) -> Result<usize> {
        let facts = crate::store::org_facts(&self.db, org)
            .await?
            .ok_or(RegistryError::NotFound)?;
        check(decide(
            p,
            Operation::ImportRoster,
            Target::Organisation(&facts),
        ))?;
        FieldError::check_len("subjects", pairs, MAX_MAPPED)
            .map_err(|e| RegistryError::Invalid(vec![e]))?;
        let mut errors = Vec::new();
        for (i, (source, subject)) in pairs.iter().enumerate() {
            if source.trim().is_empty() || source.chars().count() > 200 {
                errors.push(FieldError::new(
                    format!("subjects[{i}].source"),
                    "Название предмета в файле — от 1 до 200 знаков.",
                ));
            }
            if !crate::store::ref_exists(&self.db, "ref_subjects", subject).await? {
                errors.push(FieldError::new(
                    format!("subjects[{i}].subject"),
                    format!("Выберите предмет из перечня для «{source}»."),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(RegistryError::Invalid(errors));
        }
        let now = parta_core::time::now_ms();
        let mut tx = self.db.begin_write().await?;
        for (source, subject) in pairs {
            sqlx::query(
                "INSERT INTO roster_subject_map (organisation_id, source_code, subject_code, mapped_by, mapped_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (organisation_id, source_code) DO UPDATE SET subject_code = excluded.subject_code, mapped_by = excluded.mapped_by, mapped_at = excluded.mapped_at",
            )
            .bind(org)
            .bind(source.trim().to_string())
            .bind(subject.clone())
            .bind(p.person_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        let mut e = AuditEntry::by(p, ip, "update", "subject_map");
        e.organisation_id = Some(org);
        e.details = Some(
            pairs
                .iter()
                .map(|(s, c)| format!("{s} → {c}"))
                .collect::<Vec<_>>()
                .join("; "),
        );
        parta_db::audit::AuditLog::record_in(&mut tx, e).await?;
        tx.commit().await?;
        Ok(pairs.len())
    }
}
