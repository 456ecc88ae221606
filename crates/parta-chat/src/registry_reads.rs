//! Published reads of the registry the chats need (class names, the school's name, people's
//! short names): read-only, one place to change when the registry changes its tables.

use parta_core::ids::{ClassId, OrganisationId, PersonId};
use parta_db::Db;
use std::collections::HashMap;

type R<T> = Result<T, sqlx::Error>;

/// Each class's school and name.
pub async fn classes(db: &Db, ids: &[ClassId]) -> R<Vec<(ClassId, OrganisationId, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id, organisation_id, name FROM classes WHERE id IN ({})",
        db.placeholders(1, ids.len())
    );
    let mut q = sqlx::query_as(&sql);
    for id in ids {
        q = q.bind(*id);
    }
    q.fetch_all(&db.pool).await
}

/// Each school's short name.
pub async fn schools(db: &Db, ids: &[OrganisationId]) -> R<Vec<(OrganisationId, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id, short_name FROM organisations WHERE id IN ({})",
        db.placeholders(1, ids.len())
    );
    let mut q = sqlx::query_as(&sql);
    for id in ids {
        q = q.bind(*id);
    }
    q.fetch_all(&db.pool).await
}

/// «Фамилия И. О.» of each person.
pub async fn short_names(db: &Db, ids: &[PersonId]) -> R<HashMap<PersonId, String>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT id, last_name || ' ' || SUBSTR(first_name, 1, 1) || '.' || COALESCE(SUBSTR(middle_name, 1, 1) || '.', '') \
         FROM persons WHERE id IN ({})",
        db.placeholders(1, ids.len())
    );
    let mut q = sqlx::query_as::<_, (PersonId, String)>(&sql);
    for id in ids {
        q = q.bind(*id);
    }
    Ok(q.fetch_all(&db.pool).await?.into_iter().collect())
}
