//! SQL of the identity domain.

use parta_core::ids::{
    AccountId, ClassId, MunicipalityId, OrganisationId, PersonId, RegionCode, RoleAssignmentId,
};
use parta_core::principal::{Role, RoleAssignment, Scope, TaughtSubject};
use parta_db::Db;
use sqlx::Row;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccountRow {
    pub id: AccountId,
    pub person_id: PersonId,
    pub login: String,
    pub password_hash: Option<String>,
    pub disabled: i64,
    pub display_name: String,
    /// 1 while the password is a one-time one from a sign-in letter.
    pub must_change_password: i64,
}

const ACCOUNT_SELECT: &str = "SELECT a.id, a.person_id, a.login, a.password_hash, a.disabled, \
     p.last_name || ' ' || p.first_name || COALESCE(' ' || p.middle_name, '') AS display_name, \
     a.must_change_password FROM accounts a JOIN persons p ON p.id = a.person_id";

pub async fn account_by_login(db: &Db, login: &str) -> Result<Option<AccountRow>, sqlx::Error> {
    sqlx::query_as(&format!("{ACCOUNT_SELECT} WHERE a.login = $1"))
        .bind(login.to_lowercase())
        .fetch_optional(&db.pool)
        .await
}

/// The person's full name, for the password rules.
pub async fn person_name(db: &Db, person: PersonId) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT last_name || ' ' || first_name || COALESCE(' ' || middle_name, '') FROM persons WHERE id = $1",
    )
    .bind(person)
    .fetch_optional(&db.pool)
    .await
}

/// Whether a browser (by its device id's hash) has signed into the account before.
pub async fn device_known(
    db: &Db,
    device_hash: &str,
    account: AccountId,
) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM known_devices WHERE device_hash = $1 AND account_id = $2",
    )
    .bind(device_hash)
    .bind(account)
    .fetch_one(&db.pool)
    .await?;
    Ok(n > 0)
}

/// Whether the platform ever issued this browser id (to any account).
pub async fn device_exists(db: &Db, device_hash: &str) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM known_devices WHERE device_hash = $1")
        .bind(device_hash)
        .fetch_one(&db.pool)
        .await?;
    Ok(n > 0)
}

/// After a password change nobody's browser is known to the account any more: whoever
/// knew the old password does not keep a way around the throttling.
pub async fn forget_devices_of(db: &Db, account: AccountId) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM known_devices WHERE account_id = $1")
        .bind(account)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Remembers that a browser signed into the account (and when it last did).
pub async fn remember_device(
    conn: &mut sqlx::AnyConnection,
    device_hash: &str,
    account: AccountId,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO known_devices (device_hash, account_id, created_at, last_seen_at) VALUES ($1, $2, $3, $3) \
         ON CONFLICT (device_hash, account_id) DO UPDATE SET last_seen_at = excluded.last_seen_at",
    )
    .bind(device_hash)
    .bind(account)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn account(db: &Db, id: AccountId) -> Result<Option<AccountRow>, sqlx::Error> {
    sqlx::query_as(&format!("{ACCOUNT_SELECT} WHERE a.id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await
}

pub async fn account_of_person(
    db: &Db,
    person: PersonId,
) -> Result<Option<AccountRow>, sqlx::Error> {
    sqlx::query_as(&format!("{ACCOUNT_SELECT} WHERE a.person_id = $1"))
        .bind(person)
        .fetch_optional(&db.pool)
        .await
}

fn role_from_row(r: &sqlx::any::AnyRow) -> Result<Option<RoleAssignment>, sqlx::Error> {
    let role: String = r.try_get("role")?;
    let Some(role) = Role::parse(&role) else {
        return Ok(None);
    };
    Ok(Some(RoleAssignment {
        id: r.try_get("id")?,
        role,
        organisation_id: r.try_get("organisation_id")?,
        municipality_id: r.try_get("municipality_id")?,
        region_code: r
            .try_get::<Option<String>, _>("region_code")?
            .map(RegionCode),
        personal_data_granted: r.try_get::<i64, _>("personal_data_granted")? != 0,
    }))
}

/// Roles of a person, in a stable order (most powerful last).
pub async fn roles(db: &Db, person: PersonId) -> Result<Vec<RoleAssignment>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, role, organisation_id, municipality_id, region_code, personal_data_granted \
         FROM role_assignments WHERE person_id = $1 AND ended_at IS NULL ORDER BY created_at, id",
    )
    .bind(person)
    .fetch_all(&db.pool)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        if let Some(ra) = role_from_row(r)? {
            out.push(ra);
        }
    }
    Ok(out)
}

async fn ids<T: for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any> + Send + Unpin>(
    db: &Db,
    sql: &str,
    person: PersonId,
) -> Result<Vec<T>, sqlx::Error> {
    let rows: Vec<(T,)> = sqlx::query_as(sql).bind(person).fetch_all(&db.pool).await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// What a role reaches, resolved from the registry.
pub async fn scope(db: &Db, person: PersonId, ra: &RoleAssignment) -> Result<Scope, sqlx::Error> {
    let mut s = Scope::default();
    match ra.role {
        Role::Student => {
            s.own_classes = ids::<ClassId>(
                db,
                "SELECT class_id FROM enrolments WHERE person_id = $1 AND ended_on IS NULL AND class_id IS NOT NULL",
                person,
            )
            .await?;
            s.organisations = ids::<OrganisationId>(
                db,
                "SELECT organisation_id FROM enrolments WHERE person_id = $1 AND ended_on IS NULL",
                person,
            )
            .await?;
        }
        Role::Parent => {
            s.children = ids::<PersonId>(
                db,
                "SELECT child_id FROM guardianships WHERE parent_id = $1",
                person,
            )
            .await?;
            s.children_classes = ids::<ClassId>(
                db,
                "SELECT DISTINCT e.class_id FROM guardianships g JOIN enrolments e ON e.person_id = g.child_id \
                 WHERE g.parent_id = $1 AND e.ended_on IS NULL AND e.class_id IS NOT NULL",
                person,
            )
            .await?;
        }
        Role::Teacher => {
            s.taught_classes = ids::<ClassId>(
                db,
                "SELECT DISTINCT COALESCE(a.class_id, g.class_id) FROM teaching_assignments a \
                 LEFT JOIN study_groups g ON g.id = a.group_id \
                 WHERE a.teacher_id = $1 AND COALESCE(a.class_id, g.class_id) IS NOT NULL",
                person,
            )
            .await?;
            // Only what they teach in the school of this role (a teacher of two schools
            // holds a role in each).
            let taught: Vec<(ClassId, String)> = sqlx::query_as(
                "SELECT DISTINCT c.id, a.subject_code FROM teaching_assignments a \
                 LEFT JOIN study_groups g ON g.id = a.group_id \
                 JOIN classes c ON c.id = COALESCE(a.class_id, g.class_id) \
                 WHERE a.teacher_id = $1 AND ($2 IS NULL OR c.organisation_id = $2)",
            )
            .bind(person)
            .bind(ra.organisation_id)
            .fetch_all(&db.pool)
            .await?;
            s.taught_subjects = taught
                .into_iter()
                .map(|(class, subject)| TaughtSubject { class, subject })
                .collect();
            s.led_classes = ids::<ClassId>(
                db,
                "SELECT id FROM classes WHERE class_teacher_id = $1",
                person,
            )
            .await?;
            s.organisations = ra.organisation_id.into_iter().collect();
        }
        Role::SchoolAdmin => s.organisations = ra.organisation_id.into_iter().collect(),
        Role::MunicipalOperator => {
            s.municipalities = ra
                .municipality_id
                .into_iter()
                .collect::<Vec<MunicipalityId>>()
        }
        Role::RegionalOperator => s.regions = ra.region_code.clone().into_iter().collect(),
        Role::PlatformAdmin => {}
    }
    Ok(s)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub account_id: AccountId,
    pub active_role_id: RoleAssignmentId,
    pub csrf_token: String,
    pub created_at: i64,
    pub last_seen_at: i64,
}

pub async fn session(db: &Db, id_hash: &str) -> Result<Option<SessionRow>, sqlx::Error> {
    sqlx::query_as("SELECT account_id, active_role_id, csrf_token, created_at, last_seen_at FROM sessions WHERE id_hash = $1")
        .bind(id_hash.to_string())
        .fetch_optional(&db.pool)
        .await
}

pub async fn insert_session(
    conn: &mut sqlx::AnyConnection,
    id_hash: &str,
    account: AccountId,
    role: RoleAssignmentId,
    csrf: &str,
    now: i64,
    ip: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sessions (id_hash, account_id, active_role_id, csrf_token, created_at, last_seen_at, ip) \
         VALUES ($1, $2, $3, $4, $5, $5, $6)",
    )
    .bind(id_hash.to_string())
    .bind(account)
    .bind(role)
    .bind(csrf.to_string())
    .bind(now)
    .bind(ip.map(str::to_string))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete_session(db: &Db, id_hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash.to_string())
        .execute(&db.pool)
        .await?;
    Ok(())
}

pub async fn delete_sessions_of(db: &Db, account: AccountId) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE account_id = $1")
        .bind(account)
        .execute(&db.pool)
        .await?;
    Ok(())
}

pub async fn touch_session(db: &Db, id_hash: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id_hash = $1")
        .bind(id_hash.to_string())
        .bind(now)
        .execute(&db.pool)
        .await?;
    Ok(())
}

pub async fn set_session_role(
    db: &Db,
    id_hash: &str,
    role: RoleAssignmentId,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET active_role_id = $2 WHERE id_hash = $1")
        .bind(id_hash.to_string())
        .bind(role)
        .execute(&db.pool)
        .await?;
    Ok(())
}

pub async fn purge_sessions(
    db: &Db,
    idle_before: i64,
    created_before: i64,
) -> Result<u64, sqlx::Error> {
    let r = sqlx::query("DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2")
        .bind(idle_before)
        .bind(created_before)
        .execute(&db.pool)
        .await?;
    Ok(r.rows_affected())
}

pub async fn set_password(
    db: &Db,
    account: AccountId,
    phc: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE accounts SET password_hash = $2, password_changed_at = $3, must_change_password = 0 WHERE id = $1")
        .bind(account)
        .bind(phc.to_string())
        .bind(now)
        .execute(&db.pool)
        .await?;
    Ok(())
}

pub async fn insert_account(
    db: &Db,
    id: AccountId,
    person: PersonId,
    login: &str,
    phc: Option<&str>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO accounts (id, person_id, login, password_hash, disabled, created_at, password_changed_at) \
         VALUES ($1, $2, $3, $4, 0, $5, $5)",
    )
    .bind(id)
    .bind(person)
    .bind(login.to_lowercase())
    .bind(phc.map(str::to_string))
    .bind(now)
    .execute(&db.pool)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct ApiTokenRow {
    pub id: String,
    pub name: String,
    pub role_id: String,
    pub scopes: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

/// A token by its hash: (id, role, scopes, revoked at, last used at).
pub async fn token_by_hash(
    db: &Db,
    hash: &str,
) -> Result<Option<(String, RoleAssignmentId, String, Option<i64>, Option<i64>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, role_id, scopes, revoked_at, last_used_at FROM api_tokens WHERE token_hash = $1",
    )
    .bind(hash.to_string())
    .fetch_optional(&db.pool)
    .await
}

pub async fn touch_token(db: &Db, id: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id.to_string())
        .execute(&db.pool)
        .await?;
    Ok(())
}

pub async fn role_by_id(
    db: &Db,
    id: RoleAssignmentId,
) -> Result<Option<(PersonId, RoleAssignment)>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, person_id, role, organisation_id, municipality_id, region_code, personal_data_granted \
         FROM role_assignments WHERE id = $1 AND ended_at IS NULL",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    match row {
        None => Ok(None),
        Some(r) => {
            let person: PersonId = r.try_get("person_id")?;
            Ok(role_from_row(&r)?.map(|ra| (person, ra)))
        }
    }
}

pub async fn tokens(db: &Db) -> Result<Vec<ApiTokenRow>, sqlx::Error> {
    sqlx::query_as("SELECT id, name, role_id, scopes, created_at, revoked_at, last_used_at FROM api_tokens ORDER BY created_at DESC")
        .fetch_all(&db.pool)
        .await
}

/// Accounts of these people: (account, login), keyed by person.
pub async fn accounts_of(
    db: &Db,
    people: &[PersonId],
) -> Result<std::collections::HashMap<PersonId, (AccountId, String)>, sqlx::Error> {
    let mut out = std::collections::HashMap::new();
    for chunk in people.chunks(500) {
        let sql = format!(
            "SELECT person_id, id, login FROM accounts WHERE person_id IN ({})",
            parta_db::placeholders(1, chunk.len())
        );
        let mut q = sqlx::query_as::<_, (PersonId, AccountId, String)>(&sql);
        for p in chunk {
            q = q.bind(*p);
        }
        for (p, a, l) in q.fetch_all(&db.pool).await? {
            out.insert(p, (a, l));
        }
    }
    Ok(out)
}

/// What the school sees of these people's accounts.
pub async fn account_states(
    db: &Db,
    people: &[PersonId],
) -> Result<std::collections::HashMap<PersonId, crate::letters::AccountState>, sqlx::Error> {
    let mut out = std::collections::HashMap::new();
    for chunk in people.chunks(500) {
        let sql = format!(
            "SELECT person_id, login, CASE WHEN password_hash IS NULL OR must_change_password = 1 THEN 1 ELSE 0 END \
             FROM accounts WHERE person_id IN ({})",
            parta_db::placeholders(1, chunk.len())
        );
        let mut q = sqlx::query_as::<_, (PersonId, String, i64)>(&sql);
        for p in chunk {
            q = q.bind(*p);
        }
        for (p, login, waiting) in q.fetch_all(&db.pool).await? {
            out.insert(
                p,
                crate::letters::AccountState {
                    login,
                    waiting: waiting != 0,
                },
            );
        }
    }
    Ok(out)
}

/// `base`, or `base2`, `base3` … — the first login nobody holds.
pub async fn free_login(conn: &mut sqlx::AnyConnection, base: &str) -> Result<String, sqlx::Error> {
    let like = format!("{base}%");
    let taken: Vec<(String,)> = sqlx::query_as("SELECT login FROM accounts WHERE login LIKE $1")
        .bind(like)
        .fetch_all(&mut *conn)
        .await?;
    let taken: std::collections::HashSet<String> = taken.into_iter().map(|(l,)| l).collect();
    let mut n = 1u32;
    loop {
        let candidate = if n == 1 {
            base.to_string()
        } else {
            format!("{base}{n}")
        };
        if !taken.contains(&candidate) {
            return Ok(candidate);
        }
        n += 1;
    }
}

pub async fn insert_account_in(
    conn: &mut sqlx::AnyConnection,
    id: AccountId,
    person: PersonId,
    login: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO accounts (id, person_id, login, disabled, created_at, password_changed_at) \
         VALUES ($1, $2, $3, 0, $4, $4)",
    )
    .bind(id)
    .bind(person)
    .bind(login.to_string())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// A letter's password: must be changed at the first sign-in; the account's sessions and
/// remembered browsers end.
pub async fn set_one_time_password(
    conn: &mut sqlx::AnyConnection,
    account: AccountId,
    phc: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE accounts SET password_hash = $2, password_changed_at = $3, must_change_password = 1 WHERE id = $1")
        .bind(account)
        .bind(phc.to_string())
        .bind(now)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM sessions WHERE account_id = $1")
        .bind(account)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM known_devices WHERE account_id = $1")
        .bind(account)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Per school: (people, activated accounts) — see [`crate::Identity::activation`].
pub async fn activation(
    db: &Db,
    orgs: &[parta_core::ids::OrganisationId],
) -> Result<std::collections::HashMap<parta_core::ids::OrganisationId, (i64, i64)>, sqlx::Error> {
    let mut out = std::collections::HashMap::new();
    for chunk in orgs.chunks(300) {
        let list = parta_db::placeholders(1, chunk.len());
        let sql = format!(
            "SELECT m.org, COUNT(DISTINCT m.pid), \
             COUNT(DISTINCT CASE WHEN a.password_hash IS NOT NULL AND a.must_change_password = 0 THEN m.pid END) \
             FROM (SELECT organisation_id AS org, person_id AS pid FROM enrolments WHERE ended_on IS NULL AND organisation_id IN ({list}) \
                   UNION SELECT organisation_id, person_id FROM staff_positions WHERE ended_on IS NULL AND organisation_id IN ({list}) \
                   UNION SELECT e.organisation_id, g.parent_id FROM guardianships g JOIN enrolments e ON e.person_id = g.child_id \
                         AND e.ended_on IS NULL WHERE e.organisation_id IN ({list})) m \
             LEFT JOIN accounts a ON a.person_id = m.pid GROUP BY m.org"
        );
        let mut q = sqlx::query_as::<_, (parta_core::ids::OrganisationId, i64, i64)>(&sql);
        for o in chunk {
            q = q.bind(*o);
        }
        for (o, people, active) in q.fetch_all(&db.pool).await? {
            out.insert(o, (people, active));
        }
    }
    Ok(out)
}
