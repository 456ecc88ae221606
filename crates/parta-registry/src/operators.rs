//! Операторы: the platform's administrator appoints municipal and regional operators
//! (a person with the role over a territory) and sees who holds these roles.

use crate::model::*;
use crate::service::{Origin, Registry, Result};
use crate::store;
use crate::RegistryError;
use parta_core::ids::{MunicipalityId, PersonId};
use parta_core::policy::{decide, Operation, Target};
use parta_core::principal::Principal;
use parta_core::time::now_ms;
use parta_core::FieldError;
use parta_db::audit::{AuditEntry, AuditLog};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Request: a new operator.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewOperator {
    pub last_name: String,
    pub first_name: String,
    pub middle_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// `municipal_operator` or `regional_operator`.
    pub role: String,
    /// For a municipal operator.
    #[schema(value_type = Option<String>)]
    pub municipality_id: Option<MunicipalityId>,
    /// For a regional operator: the region's code (`52`).
    pub region_code: Option<String>,
}

/// An operator as the platform's administrator sees them.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct OperatorRow {
    #[schema(value_type = String)]
    pub person_id: PersonId,
    pub name: String,
    pub role: String,
    /// The municipality's or the region's name.
    pub territory: String,
}

impl Registry {
    fn may_appoint(&self, p: &Principal) -> Result<()> {
        crate::service::check(decide(p, Operation::AppointOperator, Target::Platform))
    }

    /// Every municipal and regional operator.
    pub async fn operators(&self, p: &Principal) -> Result<Vec<OperatorRow>> {
        self.may_appoint(p)?;
        Ok(sqlx::query_as(
            "SELECT p.id AS person_id, p.last_name || ' ' || p.first_name || COALESCE(' ' || p.middle_name, '') AS name, r.role, \
             COALESCE(m.name, g.name, '') AS territory FROM role_assignments r JOIN persons p ON p.id = r.person_id \
             LEFT JOIN municipalities m ON m.id = r.municipality_id LEFT JOIN ref_regions g ON g.code = r.region_code \
             WHERE r.role IN ('municipal_operator', 'regional_operator') AND r.ended_at IS NULL ORDER BY r.role, 2",
        )
        .fetch_all(&self.db.pool)
        .await?)
    }

    /// Appoints a new operator (a person record with the role over the territory).
    pub async fn appoint_operator(
        &self,
        p: &Principal,
        origin: &Origin,
        n: NewOperator,
    ) -> Result<PersonCard> {
        self.may_appoint(p)?;
        let edit = PersonEdit {
            last_name: n.last_name.clone(),
            first_name: n.first_name.clone(),
            middle_name: n.middle_name.clone(),
            email: n.email.clone(),
            phone: n.phone.clone(),
            ..Default::default()
        };
        let mut errors = Vec::new();
        let fields = edit.check().map_err(|e| errors.extend(e)).ok();
        let (municipality, region) = match n.role.as_str() {
            "municipal_operator" => match n.municipality_id {
                Some(m) if store::municipality_region(&self.db, m).await?.is_some() => {
                    (Some(m), None)
                }
                _ => {
                    errors.push(FieldError::new(
                        "municipality_id",
                        "Выберите муниципалитет из списка.",
                    ));
                    (None, None)
                }
            },
            "regional_operator" => {
                let code = n.region_code.clone().unwrap_or_default();
                if store::ref_exists(&self.db, "ref_regions", &code).await? {
                    (None, Some(code))
                } else {
                    errors.push(FieldError::new("region_code", "Выберите регион из списка."));
                    (None, None)
                }
            }
            _ => {
                errors.push(FieldError::new(
                    "role",
                    "Выберите: муниципальный или региональный оператор.",
                ));
                (None, None)
            }
        };
        let Some(f) = fields.filter(|_| errors.is_empty()) else {
            return Err(RegistryError::Invalid(errors));
        };
        let id = PersonId::new();
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        sqlx::query(
            "INSERT INTO persons (id, last_name, first_name, middle_name, email, phone, created_at, updated_at, email_confirmed) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7, CASE WHEN $5 IS NULL THEN 0 ELSE 1 END)",
        )
        .bind(id)
        .bind(f.last_name)
        .bind(f.first_name)
        .bind(f.middle_name)
        .bind(f.email)
        .bind(f.phone)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO role_assignments (id, person_id, role, municipality_id, region_code, personal_data_granted, created_at) \
             VALUES ($1, $2, $3, $4, $5, 0, $6)",
        )
        .bind(parta_core::ids::RoleAssignmentId::new())
        .bind(id)
        .bind(n.role.clone())
        .bind(municipality)
        .bind(region)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let mut e = AuditEntry::by(p, origin.ip.clone(), "create", "person");
        e.subject_person_id = Some(id);
        e.details = Some(format!("operator: {}", n.role));
        AuditLog::record_in(&mut tx, e).await?;
        tx.commit().await?;
        self.person(p, origin, id).await
    }
}
