//! Writes a validated package into one organisation, inside the caller's transaction.
//! Rows are matched by sourcedId — in the importing school's namespace (`roster_ids`:
//! another school's system may use the same ids) — or by our id, people also by СНИЛС;
//! what is equal is left untouched, so the same package twice changes nothing. Logins are not written
//! here: the accounts are the identity domain's, and [`WantedLogin`]s are handed back.

use super::model::*;
use parta_core::ids::{AcademicYearId, ClassId, GroupId, OrganisationId, PersonId};
use parta_core::time::now_ms;
use std::collections::HashMap;

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("rows refused")]
    Rows(Vec<RowError>),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// A login the package gives a person: for the identity domain to create (or refuse).
#[derive(Debug, Clone)]
pub struct WantedLogin {
    pub person: PersonId,
    pub login: String,
    pub file: String,
    pub line: u64,
}

/// A namespace's id map (`roster_ids`), read once for an import and kept in step with
/// what it writes: a package of 100,000 students asks it ~500,000 times.
#[derive(Debug, Default)]
pub struct IdMap {
    namespace: Option<String>,
    map: HashMap<(String, String), String>,
    /// Recorded and not yet written (one statement a few hundred).
    pending: HashMap<(String, String), String>,
}

impl IdMap {
    /// Reads the namespace's map unless this one holds it already.
    async fn ensure(
        &mut self,
        tx: &mut sqlx::AnyConnection,
        namespace: &str,
    ) -> Result<(), sqlx::Error> {
        if self.namespace.as_deref() == Some(namespace) {
            return Ok(());
        }
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT kind, source_id, object_id FROM roster_ids WHERE namespace = $1",
        )
        .bind(namespace.to_string())
        .fetch_all(&mut *tx)
        .await?;
        self.map = rows.into_iter().map(|(k, s, o)| ((k, s), o)).collect();
        self.pending.clear();
        self.namespace = Some(namespace.to_string());
        Ok(())
    }
}

struct Ctx<'a> {
    tx: &'a mut sqlx::AnyConnection,
    ids: &'a mut IdMap,
    /// People created and their roles, written together at the end of `people`.
    new_people: Vec<NewPerson>,
    new_roles: Vec<(PersonId, &'static str, Option<OrganisationId>)>,
    /// СНИЛС of the people created (not in the table until written).
    new_snils: std::collections::HashSet<String>,
    /// People this import created: nothing of theirs exists to be looked up.
    fresh: std::collections::HashSet<PersonId>,
    /// The connection is SQLite's (its statements of many rows take `?`).
    sqlite: bool,
    logins: Vec<WantedLogin>,
    org: OrganisationId,
    /// Whose ids the package's are (see [`Package::namespace`]).
    namespace: String,
    /// A territory's namespace: an id it maps names the same person in each of its schools.
    shared: bool,
    report: ImportReport,
    errors: Vec<RowError>,
    now: i64,
}

impl Ctx<'_> {
    /// Counts rows written, in all and by kind: the report says what the import did.
    fn wrote(&mut self, kind: &'static str, created: bool, n: u64) {
        if n == 0 {
            return;
        }
        if created {
            self.report.created += n;
        } else {
            self.report.updated += n;
        }
        *self.report.written.entry(kind.to_string()).or_default() += n;
    }

    /// The object a package's id names in this school's namespace; otherwise the id as
    /// given (our own ids in our exports, or ids written before namespaces existed).
    async fn resolve(&mut self, kind: &str, sid: &str) -> Result<String, sqlx::Error> {
        Ok(self
            .mapped(kind, sid)
            .await?
            .unwrap_or_else(|| sid.to_string()))
    }

    /// The object the namespace maps a package's id to, if any.
    async fn mapped(&mut self, kind: &str, sid: &str) -> Result<Option<String>, sqlx::Error> {
        Ok(self
            .ids
            .map
            .get(&(kind.to_string(), sid.to_string()))
            .cloned())
    }

    /// Records which object a package's id names (nothing for our own ids).
    async fn remember(&mut self, kind: &str, sid: &str, object: &str) -> Result<(), sqlx::Error> {
        if sid.is_empty() || sid == object {
            return Ok(());
        }
        let key = (kind.to_string(), sid.to_string());
        if self.ids.map.get(&key).is_some_and(|o| o == object) {
            return Ok(());
        }
        self.ids.map.insert(key.clone(), object.to_string());
        // Written together at the end of the school (`flush_ids`): read from the map.
        self.ids.pending.insert(key, object.to_string());
        Ok(())
    }
}

/// A [`Row9`] with the person's `source_id`.
type Row9Source = (
    PersonId,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

type Row9 = (
    PersonId,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// Writes the package inside `tx`; the caller commits (or rolls back a dry run). Row
/// errors refuse the whole package.
pub async fn apply_in(
    tx: &mut sqlx::AnyConnection,
    org: OrganisationId,
    p: &Package,
    dry_run: bool,
    progress: &(dyn Fn(u64) + Sync),
    ids: &mut IdMap,
) -> Result<(ImportReport, Vec<WantedLogin>), ApplyError> {
    let namespace = p.namespace.clone().unwrap_or_else(|| org.to_string());
    ids.ensure(tx, &namespace).await?;
    let mut c = Ctx {
        tx,
        ids,
        new_people: Vec::new(),
        new_roles: Vec::new(),
        new_snils: Default::default(),
        fresh: Default::default(),
        sqlite: false,
        logins: Vec::new(),
        org,
        namespace,
        shared: p.namespace.is_some(),
        report: ImportReport {
            dry_run,
            warnings: p.warnings.clone(),
            ..Default::default()
        },
        errors: Vec::new(),
        now: now_ms(),
    };
    c.sqlite = c.tx.backend_name() == "SQLite";
    check_org(&mut c, p).await?;
    if !c.errors.is_empty() {
        return Err(ApplyError::Rows(c.errors));
    }
    let t0 = std::time::Instant::now();
    let years = years(&mut c, p).await?;
    let people = people(&mut c, p, progress).await?;
    let t1 = t0.elapsed();
    let classes = classes(&mut c, p, &years).await?;
    let groups = groups(&mut c, p, &years).await?;
    let t2 = t0.elapsed();
    guardians(&mut c, p, &people).await?;
    let t3 = t0.elapsed();
    memberships(&mut c, p, &people, &classes, &groups).await?;
    tracing::debug!(
        people_ms = t1.as_millis() as u64,
        classes_ms = (t2 - t1).as_millis() as u64,
        guardians_ms = (t3 - t2).as_millis() as u64,
        memberships_ms = (t0.elapsed() - t3).as_millis() as u64,
        "roster applied"
    );
    // After the new stays: a student moved by the same package ends as moved.
    removals(&mut c, p).await?;
    if !c.errors.is_empty() {
        return Err(ApplyError::Rows(c.errors));
    }
    flush_ids(&mut c).await?;
    c.report.people = people.len() as u64;
    c.report.classes = (classes.len() + groups.len()) as u64;
    Ok((c.report, c.logins))
}

async fn check_org(c: &mut Ctx<'_>, p: &Package) -> Result<(), sqlx::Error> {
    if p.org_sid.is_none() && p.org_identifier.is_none() {
        return Ok(());
    }
    let (id, source, inn): (String, Option<String>, String) =
        sqlx::query_as("SELECT id, source_id, inn FROM organisations WHERE id = $1")
            .bind(c.org)
            .fetch_one(&mut *c.tx)
            .await?;
    let sid = p.org_sid.clone().unwrap_or_default();
    let mapped = !sid.is_empty() && c.resolve("org", &sid).await? == id;
    let matches = sid == id
        || (source.is_some() && Some(&sid) == source.as_ref())
        || p.org_identifier.as_deref() == Some(inn.as_str())
        || mapped;
    // The first package of a school: the operator chose the school, the package's id
    // names no other organisation, and its identifier (when it is an INN) is the school's
    // — the id is the school's in that system from now on.
    let looks_like_inn =
        |s: &str| matches!(s.len(), 10 | 12) && s.bytes().all(|b| b.is_ascii_digit());
    let known_here: Option<(String,)> = sqlx::query_as(
        "SELECT source_id FROM roster_ids WHERE namespace = $1 AND kind = 'org' AND object_id = $2",
    )
    .bind(c.namespace.clone())
    .bind(c.org.to_string())
    .fetch_optional(&mut *c.tx)
    .await?;
    let other: Option<(String,)> = sqlx::query_as(
        "SELECT id FROM organisations WHERE (id = $1 OR source_id = $1) AND id <> $2",
    )
    .bind(sid.clone())
    .bind(id.clone())
    .fetch_optional(&mut *c.tx)
    .await?;
    let first = source.is_none()
        && known_here.is_none()
        && other.is_none()
        && !sid.is_empty()
        && p.org_identifier
            .as_deref()
            .is_none_or(|i| !looks_like_inn(i) || i == inn);
    if !matches && !first {
        c.errors.push(RowError::new(
            "orgs.csv",
            0,
            "sourcedId",
            "Пакет выгружен для другой организации (не совпадают sourcedId и ИНН в identifier).",
        ));
    } else if !mapped {
        c.remember("org", &sid, &id).await?;
    }
    Ok(())
}

async fn years(
    c: &mut Ctx<'_>,
    p: &Package,
) -> Result<HashMap<String, AcademicYearId>, sqlx::Error> {
    let mut out = HashMap::new();
    for y in &p.years {
        let key = c.resolve("year", &y.sid).await?;
        let found: Option<(AcademicYearId, String, String, String)> = sqlx::query_as(
            "SELECT id, name, starts_on, ends_on FROM academic_years WHERE organisation_id = $1 AND (source_id = $2 OR id = $2 OR (source_id IS NULL AND name = $3))",
        )
        .bind(c.org)
        .bind(key)
        .bind(y.title.clone())
        .fetch_optional(&mut *c.tx)
        .await?;
        let id = match found {
            Some((id, name, s, e)) => {
                if (name.as_str(), s.as_str(), e.as_str())
                    != (y.title.as_str(), y.start.as_str(), y.end.as_str())
                {
                    sqlx::query("UPDATE academic_years SET name = $2, starts_on = $3, ends_on = $4 WHERE id = $1")
                        .bind(id).bind(y.title.clone()).bind(y.start.clone()).bind(y.end.clone()).execute(&mut *c.tx).await?;
                    c.wrote("years", false, 1);
                } else {
                    c.report.unchanged += 1;
                }
                id
            }
            None => {
                let id = AcademicYearId::new();
                sqlx::query("INSERT INTO academic_years (id, organisation_id, name, starts_on, ends_on) VALUES ($1, $2, $3, $4, $5)")
                    .bind(id).bind(c.org).bind(y.title.clone()).bind(y.start.clone()).bind(y.end.clone()).execute(&mut *c.tx).await?;
                c.wrote("years", true, 1);
                id
            }
        };
        c.remember("year", &y.sid, &id.to_string()).await?;
        out.insert(y.sid.clone(), id);
    }
    // The template names no year: the school's current one.
    let current: Option<(AcademicYearId,)> = sqlx::query_as(
        "SELECT id FROM academic_years WHERE organisation_id = $1 ORDER BY starts_on DESC LIMIT 1",
    )
    .bind(c.org)
    .fetch_optional(&mut *c.tx)
    .await?;
    if let Some((id,)) = current {
        out.entry(String::new()).or_insert(id);
    }
    Ok(out)
}

async fn people(
    c: &mut Ctx<'_>,
    p: &Package,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<HashMap<String, PersonId>, sqlx::Error> {
    let mut out = HashMap::new();
    // Positions of people created here: written after them.
    let mut positions: Vec<(PersonId, &'static str)> = Vec::new();
    let mut n = 0u64;
    for chunk in p.people.chunks(KNOWN_CHUNK) {
        // What the registry holds of these people, read in a few statements.
        let mut known = Known::read(c, chunk).await?;
        for x in chunk {
            n += 1;
            progress(n);
            let mapped = c.mapped("person", &x.sid).await?;
            let key = mapped.clone().unwrap_or_else(|| x.sid.clone());
            let mut found: Option<Row9> = known.persons.get(&key).cloned();
            // An id names someone of *this* school; a school's package never reaches people
            // of another school by their ids.
            // A territory's id maps to one person in all its schools (a teacher of two).
            let vouched = c.shared && mapped.is_some();
            if let Some(f) = &found {
                if !vouched && !known.linked.contains(&f.0) {
                    c.errors.push(RowError::new(
                        &x.file,
                        x.line,
                        "sourcedId",
                        format!(
                            "Идентификатор {} принадлежит человеку другой организации.",
                            x.sid
                        ),
                    ));
                    continue;
                }
            }
            // Someone the registry knows under another id, found by СНИЛС (a transfer from
            // another school): their record follows them, and a package does not rewrite it —
            // official data change through a correction request.
            let mut by_snils = false;
            if found.is_none() {
                if let Some(s) = &x.snils {
                    found = known.by_snils.get(s).cloned();
                    by_snils = found.is_some();
                }
            } else if let (Some(s), Some(f)) = (&x.snils, &found) {
                let owner = known.by_snils.get(s).map(|o| o.0);
                if owner.is_some_and(|o| o != f.0) {
                    c.errors.push(RowError::new(
                        &x.file,
                        x.line,
                        "СНИЛС",
                        format!("СНИЛС {s} уже принадлежит другому человеку в реестре."),
                    ));
                    continue;
                }
            }
            if let (true, Some(f)) = (by_snils, &found) {
                let id = f.0;
                c.report.unchanged += 1;
                // Not remembered by the package's id: found by СНИЛС again next time, the
                // record stays the registry's (see above).
                out.insert(x.sid.clone(), id);
                for r in &x.roles {
                    known
                        .ensure_role(c, id, r.role(), (!r.is_family()).then_some(c.org))
                        .await?;
                }
                continue;
            }
            if found.is_none() && x.roles.is_empty() {
                c.errors.push(RowError::new(
                    &x.file,
                    x.line,
                    "sourcedId",
                    format!(
                        "Новый пользователь {} без роли: добавьте его роль в roles.csv.",
                        x.sid
                    ),
                ));
                continue;
            }
            let fresh = found.is_none();
            let id = match found {
                Some((id, last, first, middle, birth, sex, snils, email, phone)) => {
                    // Absent values keep what the registry has; present ones overwrite.
                    let pick = |new: &Option<String>, old: &Option<String>| {
                        new.clone().or_else(|| old.clone())
                    };
                    let next = (
                        x.last_name.clone(),
                        x.first_name.clone(),
                        pick(&x.middle_name, &middle),
                        pick(&x.birth_date, &birth),
                        pick(&x.sex, &sex),
                        pick(&x.snils, &snils),
                        pick(&x.email, &email),
                        pick(&x.phone, &phone),
                    );
                    let old_snils = snils.clone();
                    if next != (last, first, middle, birth, sex, snils, email, phone) {
                        let (l, f, m, b, sx, sn, e, ph) = next;
                        // A СНИЛС given now is this person's for the rest of the chunk, and
                        // the one they had is no longer theirs.
                        if let Some(old) = old_snils.filter(|o| sn.as_ref() != Some(o)) {
                            if known.by_snils.get(&old).is_some_and(|r| r.0 == id) {
                                known.by_snils.remove(&old);
                            }
                        }
                        if let Some(v) = &sn {
                            let row = (
                                id,
                                l.clone(),
                                f.clone(),
                                m.clone(),
                                b.clone(),
                                sx.clone(),
                                sn.clone(),
                                e.clone(),
                                ph.clone(),
                            );
                            known.by_snils.insert(v.clone(), row);
                        }
                        sqlx::query(
                        "UPDATE persons SET last_name = $2, first_name = $3, middle_name = $4, birth_date = $5, sex = $6, snils = $7, \
                         email = $8, phone = $9, updated_at = $10, \
                         email_confirmed = CASE WHEN $8 IS NULL THEN 0 ELSE 1 END WHERE id = $1",
                    )
                    .bind(id).bind(l).bind(f).bind(m).bind(b).bind(sx).bind(sn).bind(e).bind(ph)
                    .bind(c.now)
                    .execute(&mut *c.tx)
                    .await?;
                        c.wrote("people", false, 1);
                    } else {
                        c.report.unchanged += 1;
                    }
                    id
                }
                None => {
                    let id = PersonId::new();
                    if let Some(sn) = &x.snils {
                        if !c.new_snils.insert(sn.clone()) {
                            c.errors.push(RowError::new(
                                &x.file,
                                x.line,
                                "userIds",
                                format!("СНИЛС {sn} повторяется в пакете у двух новых людей."),
                            ));
                            continue;
                        }
                    }
                    c.fresh.insert(id);
                    c.new_people.push(NewPerson {
                        id,
                        x: (
                            x.last_name.clone(),
                            x.first_name.clone(),
                            x.middle_name.clone(),
                            x.birth_date.clone(),
                            x.sex.clone(),
                            x.snils.clone(),
                            x.email.clone(),
                            x.phone.clone(),
                        ),
                    });
                    c.wrote("people", true, 1);
                    id
                }
            };
            let mut added: Vec<(&str, Option<OrganisationId>)> = Vec::new();
            for r in &x.roles {
                let held = (r.role(), (!r.is_family()).then_some(c.org));
                if fresh {
                    // Someone just created holds only what this loop gave (a parent who is
                    // also a guardian holds the role once).
                    if !added.contains(&held) {
                        c.new_roles.push((id, held.0, held.1));
                        c.wrote("roles", true, 1);
                        added.push(held);
                    }
                } else {
                    known
                        .ensure_role(c, id, r.role(), (!r.is_family()).then_some(c.org))
                        .await?;
                }
            }
            let position = if x.has(PersonRole::Teacher) {
                Some("teacher")
            } else if x.has(PersonRole::Administrator) {
                Some("deputy_head")
            } else {
                None
            };
            if let Some(pos) = position {
                let has = if fresh {
                    // Written once the person is (after the loop).
                    positions.push((id, pos));
                    true
                } else {
                    !known.positions.insert(id)
                };
                if !has {
                    sqlx::query("INSERT INTO staff_positions (id, person_id, organisation_id, position, started_on) VALUES ($1, $2, $3, $4, $5)")
                    .bind(uuid::Uuid::now_v7().to_string()).bind(id).bind(c.org).bind(pos).bind(parta_core::time::today().to_string())
                    .execute(&mut *c.tx).await?;
                    c.wrote("positions", true, 1);
                }
            }
            if let Some(login) = &x.username {
                c.logins.push(WantedLogin {
                    person: id,
                    login: login.clone(),
                    file: x.file.clone(),
                    line: x.line,
                });
            }
            c.remember("person", &x.sid, &id.to_string()).await?;
            out.insert(x.sid.clone(), id);
        }
    }
    flush_people(c).await?;
    for (id, pos) in positions {
        sqlx::query("INSERT INTO staff_positions (id, person_id, organisation_id, position, started_on) VALUES ($1, $2, $3, $4, $5)")
            .bind(uuid::Uuid::now_v7().to_string()).bind(id).bind(c.org).bind(pos).bind(parta_core::time::today().to_string())
            .execute(&mut *c.tx).await?;
        c.wrote("positions", true, 1);
    }
    Ok(out)
}

/// Whether a person already belongs to the school: studies, works or holds a role there,
/// is the parent of one of its students, or studied here and belongs to no other school now
/// (a student who comes back). A former school never reaches someone who moved on: a
/// student belongs to the school of their open stay, whatever roles are left open.
async fn linked(c: &mut Ctx<'_>, person: PersonId) -> Result<bool, sqlx::Error> {
    let row: Option<(String,)> =
        sqlx::query_as(&format!("SELECT 'y' WHERE {}", linked_sql("$1", "$2")))
            .bind(person)
            .bind(c.org)
            .fetch_optional(&mut *c.tx)
            .await?;
    Ok(row.is_some())
}

/// The condition of [`linked`] for the person `who` and the school `org` (placeholders);
/// `Known::read` asks the same for a chunk of people, one way of belonging a statement.
fn linked_sql(who: &str, org: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM enrolments WHERE person_id = {who} AND organisation_id = {org} AND ended_on IS NULL) \
         OR EXISTS (SELECT 1 FROM staff_positions WHERE person_id = {who} AND organisation_id = {org} AND ended_on IS NULL) \
         OR EXISTS (SELECT 1 FROM role_assignments WHERE person_id = {who} AND organisation_id = {org} AND ended_at IS NULL AND role <> 'student') \
         OR (EXISTS (SELECT 1 FROM enrolments WHERE person_id = {who} AND organisation_id = {org}) \
             AND NOT EXISTS (SELECT 1 FROM enrolments WHERE person_id = {who} AND organisation_id <> {org} AND ended_on IS NULL) \
             AND NOT EXISTS (SELECT 1 FROM staff_positions WHERE person_id = {who} AND organisation_id <> {org} AND ended_on IS NULL)) \
         OR EXISTS (SELECT 1 FROM guardianships g WHERE g.parent_id = {who} AND EXISTS (SELECT 1 FROM enrolments e \
                    WHERE e.person_id = g.child_id AND e.organisation_id = {org} AND e.ended_on IS NULL))"
    )
}

/// People of the package a chunk at a time (a few hundred: the statements' values).
const KNOWN_CHUNK: usize = 300;

/// What the registry holds of a chunk of the package's people, read in five statements
/// rather than five a person (a region's re-import has ~200,000 of them); kept current
/// with what the chunk itself writes.
struct Known {
    /// By id and by source_id.
    persons: HashMap<String, Row9>,
    by_snils: HashMap<String, Row9>,
    /// Of those found, who belongs to the school ([`linked`]).
    linked: std::collections::HashSet<PersonId>,
    /// Open roles: (person, role, organisation).
    roles: std::collections::HashSet<(PersonId, String, Option<OrganisationId>)>,
    /// Open positions at the school.
    positions: std::collections::HashSet<PersonId>,
}

impl Known {
    async fn read(c: &mut Ctx<'_>, chunk: &[PersonIn]) -> Result<Known, sqlx::Error> {
        let mut keys = Vec::with_capacity(chunk.len());
        for x in chunk {
            keys.push(c.resolve("person", &x.sid).await?);
        }
        let snils: Vec<String> = chunk.iter().filter_map(|x| x.snils.clone()).collect();
        const COLS: &str =
            "id, last_name, first_name, middle_name, birth_date, sex, snils, email, phone";
        let sql = format!(
            "SELECT {COLS}, source_id FROM persons WHERE source_id IN ({}) OR id IN ({})",
            parta_db::list_placeholders(c.sqlite, 1, keys.len()),
            parta_db::list_placeholders(c.sqlite, keys.len() + 1, keys.len()),
        );
        let mut q = sqlx::query_as::<_, Row9Source>(&sql);
        for k in keys.iter().chain(&keys) {
            q = q.bind(k.clone());
        }
        let mut persons = HashMap::new();
        for (id, last, first, middle, birth, sex, snils, email, phone, source) in
            q.fetch_all(&mut *c.tx).await?
        {
            let row = (id, last, first, middle, birth, sex, snils, email, phone);
            if let Some(s) = source {
                persons.insert(s, row.clone());
            }
            persons.insert(id.to_string(), row);
        }
        let mut by_snils = HashMap::new();
        if !snils.is_empty() {
            let sql = format!(
                "SELECT {COLS} FROM persons WHERE snils IN ({})",
                parta_db::list_placeholders(c.sqlite, 1, snils.len())
            );
            let mut q = sqlx::query_as::<_, Row9>(&sql);
            for s in &snils {
                q = q.bind(s.clone());
            }
            for r in q.fetch_all(&mut *c.tx).await? {
                if let Some(s) = r.6.clone() {
                    by_snils.insert(s, r);
                }
            }
        }
        let mut ids: Vec<PersonId> = persons
            .values()
            .chain(by_snils.values())
            .map(|r| r.0)
            .collect();
        ids.sort_by_key(|i| i.to_string());
        ids.dedup();
        let mut known = Known {
            persons,
            by_snils,
            linked: Default::default(),
            roles: Default::default(),
            positions: Default::default(),
        };
        if ids.is_empty() {
            return Ok(known);
        }
        let list = parta_db::list_placeholders(c.sqlite, 2, ids.len());
        let org = if c.sqlite { "?" } else { "$1" };
        // [`linked`] for the whole chunk, one way of belonging a statement (SQLite numbers
        // `?` in order: the school's id comes first in each, then the list).
        for sql in [
            "SELECT person_id FROM enrolments WHERE organisation_id = {org} AND ended_on IS NULL AND person_id IN ({list})",
            "SELECT person_id FROM staff_positions WHERE organisation_id = {org} AND ended_on IS NULL AND person_id IN ({list})",
            "SELECT person_id FROM role_assignments WHERE organisation_id = {org} AND ended_at IS NULL AND role <> 'student' AND person_id IN ({list})",
            // From the parents' links (a join from the school's enrolments would try every
            // parent of the list for each of its students).
            "SELECT g.parent_id FROM guardianships g WHERE EXISTS (SELECT 1 FROM enrolments e WHERE e.organisation_id = {org} \
             AND e.person_id = g.child_id AND e.ended_on IS NULL) AND g.parent_id IN ({list})",
            "SELECT x.person_id FROM enrolments x WHERE x.organisation_id = {org} AND x.person_id IN ({list}) \
             AND NOT EXISTS (SELECT 1 FROM enrolments y WHERE y.person_id = x.person_id AND y.organisation_id <> x.organisation_id AND y.ended_on IS NULL) \
             AND NOT EXISTS (SELECT 1 FROM staff_positions s WHERE s.person_id = x.person_id AND s.organisation_id <> x.organisation_id AND s.ended_on IS NULL)",
        ] {
            let sql = sql.replace("{org}", org).replace("{list}", &list);
            let mut q = sqlx::query_as::<_, (PersonId,)>(&sql).bind(c.org);
            for id in &ids {
                q = q.bind(*id);
            }
            known
                .linked
                .extend(q.fetch_all(&mut *c.tx).await?.into_iter().map(|r| r.0));
        }
        let sql = format!(
            "SELECT person_id, role, organisation_id FROM role_assignments WHERE person_id IN ({}) AND ended_at IS NULL",
            parta_db::list_placeholders(c.sqlite, 1, ids.len())
        );
        let mut q = sqlx::query_as::<_, (PersonId, String, Option<OrganisationId>)>(&sql);
        for id in &ids {
            q = q.bind(*id);
        }
        known.roles = q.fetch_all(&mut *c.tx).await?.into_iter().collect();
        let sql = format!(
            "SELECT person_id FROM staff_positions WHERE organisation_id = {org} AND person_id IN ({list}) AND ended_on IS NULL"
        );
        let mut q = sqlx::query_as::<_, (PersonId,)>(&sql).bind(c.org);
        for id in &ids {
            q = q.bind(*id);
        }
        known.positions = q
            .fetch_all(&mut *c.tx)
            .await?
            .into_iter()
            .map(|r| r.0)
            .collect();
        Ok(known)
    }

    /// Gives the role unless the person holds it (as read, or given since).
    async fn ensure_role(
        &mut self,
        c: &mut Ctx<'_>,
        person: PersonId,
        role: &str,
        org: Option<OrganisationId>,
    ) -> Result<(), sqlx::Error> {
        if self.roles.insert((person, role.to_string(), org)) {
            add_role(c, person, role, org).await?;
        }
        Ok(())
    }
}

async fn add_role(
    c: &mut Ctx<'_>,
    person: PersonId,
    role: &str,
    org: Option<OrganisationId>,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO role_assignments (id, person_id, role, organisation_id, personal_data_granted, created_at) VALUES ($1, $2, $3, $4, 0, $5)")
        .bind(uuid::Uuid::now_v7().to_string()).bind(person).bind(role).bind(org).bind(c.now).execute(&mut *c.tx).await?;
    c.wrote("roles", true, 1);
    Ok(())
}

async fn classes(
    c: &mut Ctx<'_>,
    p: &Package,
    years: &HashMap<String, AcademicYearId>,
) -> Result<HashMap<String, ClassId>, sqlx::Error> {
    let mut out = HashMap::new();
    for k in &p.classes {
        let year = match years.get(&k.year_sid).copied() {
            Some(y) => Some(y),
            None => known_year(c, &k.year_sid).await?,
        };
        let Some(year) = year else {
            c.errors.push(RowError::new(
                "classes.csv",
                0,
                "termSourcedIds",
                "В школе нет учебного года: создайте его или добавьте в пакет.",
            ));
            continue;
        };
        let name = format!("{}{}", k.grade, k.letter);
        let key = c.resolve("class", &k.sid).await?;
        let found: Option<(ClassId, String)> = sqlx::query_as(
            "SELECT id, name FROM classes WHERE organisation_id = $1 AND (source_id = $2 OR id = $2 OR (academic_year_id = $3 AND name = $4))",
        )
        .bind(c.org).bind(key).bind(year).bind(name.clone()).fetch_optional(&mut *c.tx).await?;
        let id = match found {
            Some((id, old)) if old == name => {
                c.report.unchanged += 1;
                id
            }
            Some((id, _)) => {
                sqlx::query(
                    "UPDATE classes SET grade_level = $2, letter = $3, name = $4 WHERE id = $1",
                )
                .bind(id)
                .bind(k.grade.clone())
                .bind(k.letter.clone())
                .bind(name)
                .execute(&mut *c.tx)
                .await?;
                c.wrote("classes", false, 1);
                id
            }
            None => {
                let id = ClassId::new();
                sqlx::query("INSERT INTO classes (id, organisation_id, academic_year_id, grade_level, letter, name) VALUES ($1, $2, $3, $4, $5, $6)")
                    .bind(id).bind(c.org).bind(year).bind(k.grade.clone()).bind(k.letter.clone()).bind(name)
                    .execute(&mut *c.tx).await?;
                c.wrote("classes", true, 1);
                id
            }
        };
        c.remember("class", &k.sid, &id.to_string()).await?;
        out.insert(k.sid.clone(), id);
    }
    Ok(out)
}

/// The platform's subject for a group: the first of the package's names that is a
/// subject's code or title (in any case), else what the school mapped it to before.
async fn subject_of(c: &mut Ctx<'_>, g: &Group) -> Result<Option<String>, sqlx::Error> {
    for name in &g.subject_names {
        let found: Option<(String,)> = sqlx::query_as(
            "SELECT code FROM ref_subjects WHERE LOWER(code) = LOWER($1) OR LOWER(name) = LOWER($1) ORDER BY code LIMIT 1",
        )
        .bind(name.trim().to_string())
        .fetch_optional(&mut *c.tx)
        .await?;
        if let Some((code,)) = found {
            return Ok(Some(code));
        }
    }
    for name in &g.subject_names {
        let mapped: Option<(String,)> = sqlx::query_as(
            "SELECT subject_code FROM roster_subject_map WHERE organisation_id = $1 AND source_code = $2",
        )
        .bind(c.org)
        .bind(name.trim().to_string())
        .fetch_optional(&mut *c.tx)
        .await?;
        if let Some((code,)) = mapped {
            return Ok(Some(code));
        }
    }
    Ok(None)
}

async fn groups(
    c: &mut Ctx<'_>,
    p: &Package,
    years: &HashMap<String, AcademicYearId>,
) -> Result<HashMap<String, (GroupId, String, AcademicYearId)>, sqlx::Error> {
    let mut out = HashMap::new();
    for g in &p.groups {
        let Some(subject) = subject_of(c, g).await? else {
            let mut e = RowError::new(
                "classes.csv",
                g.line,
                "courseSourcedId",
                format!(
                    "Предмет «{}» не найден в справочнике предметов: сопоставьте его с предметом из федерального перечня.",
                    g.subject
                ),
            );
            e.unmapped_subject = Some(g.subject.clone());
            c.errors.push(e);
            continue;
        };
        let year = match years.get(&g.year_sid).copied() {
            Some(y) => Some(y),
            None => known_year(c, &g.year_sid).await?,
        };
        let Some(year) = year else {
            c.errors.push(RowError::new(
                "classes.csv",
                g.line,
                "termSourcedIds",
                format!(
                    "Учебный год {} не найден ни в пакете, ни в школе.",
                    g.year_sid
                ),
            ));
            continue;
        };
        let key = c.resolve("group", &g.sid).await?;
        let found: Option<(GroupId, String, Option<String>)> =
            sqlx::query_as("SELECT id, name, subject_code FROM study_groups WHERE organisation_id = $1 AND (source_id = $2 OR id = $2)")
                .bind(c.org).bind(key).fetch_optional(&mut *c.tx).await?;
        let id = match found {
            Some((id, name, was)) if name == g.name && was.as_deref() == Some(subject.as_str()) => {
                c.report.unchanged += 1;
                id
            }
            Some((id, _, _)) => {
                sqlx::query("UPDATE study_groups SET name = $2, subject_code = $3 WHERE id = $1")
                    .bind(id)
                    .bind(g.name.clone())
                    .bind(subject.clone())
                    .execute(&mut *c.tx)
                    .await?;
                c.wrote("groups", false, 1);
                id
            }
            None => {
                let id = GroupId::new();
                sqlx::query("INSERT INTO study_groups (id, organisation_id, academic_year_id, name, subject_code) VALUES ($1, $2, $3, $4, $5)")
                    .bind(id).bind(c.org).bind(year).bind(g.name.clone()).bind(subject.clone())
                    .execute(&mut *c.tx).await?;
                c.wrote("groups", true, 1);
                id
            }
        };
        c.remember("group", &g.sid, &id.to_string()).await?;
        out.insert(g.sid.clone(), (id, subject.clone(), year));
    }
    Ok(out)
}

/// A person a package of changes names without carrying: one of this school's.
async fn known_person(c: &mut Ctx<'_>, sid: &str) -> Result<Option<PersonId>, sqlx::Error> {
    let key = c.resolve("person", sid).await?;
    let found: Option<(PersonId,)> =
        sqlx::query_as("SELECT id FROM persons WHERE source_id = $1 OR id = $1")
            .bind(key)
            .fetch_optional(&mut *c.tx)
            .await?;
    Ok(match found {
        Some((id,)) if linked(c, id).await? => Some(id),
        _ => None,
    })
}

/// A row of this school's `table` a package of changes names without carrying: by the
/// school's namespace, or by our id.
async fn known_in<T>(
    c: &mut Ctx<'_>,
    kind: &str,
    table: &'static str,
    sid: &str,
) -> Result<Option<T>, sqlx::Error>
where
    T: for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any> + Send + Unpin,
{
    let key = c.resolve(kind, sid).await?;
    let found: Option<(T,)> = sqlx::query_as(&format!(
        "SELECT id FROM {table} WHERE organisation_id = $1 AND (source_id = $2 OR id = $2)"
    ))
    .bind(c.org)
    .bind(key)
    .fetch_optional(&mut *c.tx)
    .await?;
    Ok(found.map(|f| f.0))
}

async fn known_class(c: &mut Ctx<'_>, sid: &str) -> Result<Option<ClassId>, sqlx::Error> {
    known_in(c, "class", "classes", sid).await
}

async fn known_group(
    c: &mut Ctx<'_>,
    sid: &str,
) -> Result<Option<(GroupId, String, AcademicYearId)>, sqlx::Error> {
    let key = c.resolve("group", sid).await?;
    let found: Option<(GroupId, Option<String>, AcademicYearId)> = sqlx::query_as(
        "SELECT id, subject_code, academic_year_id FROM study_groups WHERE organisation_id = $1 AND (source_id = $2 OR id = $2)",
    )
    .bind(c.org)
    .bind(key)
    .fetch_optional(&mut *c.tx)
    .await?;
    Ok(found.map(|(id, subject, year)| (id, subject.unwrap_or_default(), year)))
}

async fn known_year(c: &mut Ctx<'_>, sid: &str) -> Result<Option<AcademicYearId>, sqlx::Error> {
    known_in(c, "year", "academic_years", sid).await
}

/// What a package of changes ends (`tobedeleted`): stays end with the day's date,
/// positions and roles close, memberships go; records and history stay.
async fn removals(c: &mut Ctx<'_>, p: &Package) -> Result<(), sqlx::Error> {
    let today = parta_core::time::today().to_string();
    for g in &p.removed.enrolments {
        let stay = c.resolve("enrolment", &g.sid).await?;
        // A stay of this school the row names (by the package's id or by ours).
        let mut done = sqlx::query_as::<_, (String,)>(
            "SELECT id FROM enrolments WHERE id = $1 AND organisation_id = $2",
        )
        .bind(stay.clone())
        .bind(c.org)
        .fetch_optional(&mut *c.tx)
        .await?
        .is_some();
        let ended = sqlx::query(
            "UPDATE enrolments SET ended_on = $3, end_reason = 'transferred' WHERE id = $1 AND organisation_id = $2 AND ended_on IS NULL",
        )
        .bind(stay.clone())
        .bind(c.org)
        .bind(today.clone())
        .execute(&mut *c.tx)
        .await?;
        c.report.ended += ended.rows_affected();
        // Memberships and teachers' classes are named only through the id map.
        let membership = c.resolve("membership", &g.sid).await?;
        let membership = (membership != g.sid).then_some(membership);
        if let Some((group, person)) = membership.as_deref().and_then(|m| m.split_once('/')) {
            let r = sqlx::query(
                "DELETE FROM group_members WHERE group_id = $1 AND person_id = $2 \
                 AND group_id IN (SELECT id FROM study_groups WHERE organisation_id = $3)",
            )
            .bind(group.to_string())
            .bind(person.to_string())
            .bind(c.org)
            .execute(&mut *c.tx)
            .await?;
            c.report.ended += r.rows_affected();
            done = true;
        }
        let teaching = c.resolve("teaching", &g.sid).await?;
        if teaching != g.sid {
            let r = sqlx::query(
                "DELETE FROM teaching_assignments WHERE id = $1 \
                 AND group_id IN (SELECT id FROM study_groups WHERE organisation_id = $2)",
            )
            .bind(teaching)
            .bind(c.org)
            .execute(&mut *c.tx)
            .await?;
            c.report.ended += r.rows_affected();
            done = true;
        }
        let class_teacher = c.resolve("class_teacher", &g.sid).await?;
        let class_teacher = (class_teacher != g.sid).then_some(class_teacher);
        if let Some((class, person)) = class_teacher.as_deref().and_then(|m| m.split_once('/')) {
            let r = sqlx::query(
                "UPDATE classes SET class_teacher_id = NULL WHERE id = $1 AND class_teacher_id = $2 AND organisation_id = $3",
            )
            .bind(class.to_string())
            .bind(person.to_string())
            .bind(c.org)
            .execute(&mut *c.tx)
            .await?;
            c.report.ended += r.rows_affected();
            done = true;
        }
        if !done {
            c.report.warnings.push(RowError::new(
                &g.file,
                g.line,
                "sourcedId",
                format!("Запись {} не найдена в школе: закрывать нечего.", g.sid),
            ));
        }
    }
    for g in &p.removed.people {
        let Some(person) = known_person(c, &g.sid).await? else {
            c.report.warnings.push(RowError::new(
                &g.file,
                g.line,
                "sourcedId",
                format!(
                    "Пользователь {} не найден в школе: закрывать нечего.",
                    g.sid
                ),
            ));
            continue;
        };
        let mut ended = 0;
        ended += sqlx::query(
            "UPDATE enrolments SET ended_on = $3, end_reason = 'transferred' WHERE person_id = $1 AND organisation_id = $2 AND ended_on IS NULL",
        )
        .bind(person).bind(c.org).bind(today.clone()).execute(&mut *c.tx).await?.rows_affected();
        ended += sqlx::query(
            "UPDATE staff_positions SET ended_on = $3 WHERE person_id = $1 AND organisation_id = $2 AND ended_on IS NULL",
        )
        .bind(person).bind(c.org).bind(today.clone()).execute(&mut *c.tx).await?.rows_affected();
        ended += sqlx::query(
            "UPDATE role_assignments SET ended_at = $3 WHERE person_id = $1 AND organisation_id = $2 AND ended_at IS NULL",
        )
        .bind(person).bind(c.org).bind(c.now).execute(&mut *c.tx).await?.rows_affected();
        ended += sqlx::query(
            "DELETE FROM group_members WHERE person_id = $1 AND group_id IN (SELECT id FROM study_groups WHERE organisation_id = $2)",
        )
        .bind(person).bind(c.org).execute(&mut *c.tx).await?.rows_affected();
        c.report.ended += ended;
    }
    for g in &p.removed.classes {
        let Some(class) = known_class(c, &g.sid).await? else {
            c.report.warnings.push(RowError::new(
                &g.file,
                g.line,
                "sourcedId",
                format!("Класс {} не найден в школе: закрывать нечего.", g.sid),
            ));
            continue;
        };
        let (name, students): (String, i64) = sqlx::query_as(
            "SELECT c.name, (SELECT COUNT(*) FROM enrolments e WHERE e.class_id = c.id AND e.ended_on IS NULL) FROM classes c WHERE c.id = $1",
        )
        .bind(class)
        .fetch_one(&mut *c.tx)
        .await?;
        if students > 0 {
            c.errors.push(RowError::new(
                &g.file,
                g.line,
                "status",
                format!(
                    "В классе {name} ещё учеников: {students}. Класс закрывают после того, как все ученики переведены или отчислены (в этом же пакете или раньше)."
                ),
            ));
        } else {
            // The class stays with its journal and history; the package no longer fills it.
            c.report.warnings.push(RowError::new(
                &g.file,
                g.line,
                "status",
                format!("Класс {name} оставлен в реестре вместе с журналом; учеников в нём нет."),
            ));
        }
    }
    Ok(())
}

async fn guardians(
    c: &mut Ctx<'_>,
    p: &Package,
    people: &HashMap<String, PersonId>,
) -> Result<(), sqlx::Error> {
    let by_sid: HashMap<&str, &PersonIn> = p.people.iter().map(|x| (x.sid.as_str(), x)).collect();
    for chunk in p.guardians.chunks(KNOWN_CHUNK) {
        // The links the registry has for these parents, read at once.
        let parents: std::collections::HashSet<PersonId> = chunk
            .iter()
            .filter_map(|(parent, _)| people.get(parent).copied())
            .filter(|id| !c.fresh.contains(id))
            .collect();
        let mut linked: std::collections::HashSet<(PersonId, PersonId)> = if parents.is_empty() {
            Default::default()
        } else {
            let sql = format!(
                "SELECT parent_id, child_id FROM guardianships WHERE parent_id IN ({})",
                parta_db::list_placeholders(c.sqlite, 1, parents.len())
            );
            let mut q = sqlx::query_as::<_, (PersonId, PersonId)>(&sql);
            for id in &parents {
                q = q.bind(*id);
            }
            q.fetch_all(&mut *c.tx).await?.into_iter().collect()
        };
        let mut new: Vec<(PersonId, PersonId, &'static str)> = Vec::new();
        for (parent_sid, child_sid) in chunk {
            // A package of changes may link to someone the school already has.
            let parent = match people.get(parent_sid) {
                Some(x) => Some(*x),
                None => known_person(c, parent_sid).await?,
            };
            let child = match people.get(child_sid) {
                Some(x) => Some(*x),
                None => known_person(c, child_sid).await?,
            };
            // The same rules as within a package: a parent holds a family role, the child is a
            // student of this school.
            let parent_ok = match by_sid.get(parent_sid.as_str()) {
            Some(x) => x.is_family(),
            None => match parent {
                Some(id) => sqlx::query_as::<_, (String,)>(
                    "SELECT id FROM role_assignments WHERE person_id = $1 AND role = 'parent' AND ended_at IS NULL",
                )
                .bind(id)
                .fetch_optional(&mut *c.tx)
                .await?
                .is_some(),
                None => true,
            },
        };
            // A student of the package, or one the school has.
            let in_package = by_sid
                .get(child_sid.as_str())
                .is_some_and(|x| x.has(PersonRole::Student));
            let child_ok = match child {
            Some(_) if in_package => true,
            Some(id) => sqlx::query_as::<_, (String,)>(
                "SELECT id FROM enrolments WHERE person_id = $1 AND organisation_id = $2 AND ended_on IS NULL",
            )
            .bind(id)
            .bind(c.org)
            .fetch_optional(&mut *c.tx)
            .await?
            .is_some(),
            None => true,
        };
            if !parent_ok || !child_ok {
                c.errors.push(RowError::new(
                "users.csv",
                0,
                "agentSourcedIds",
                format!(
                    "Связь {parent_sid} — {child_sid}: родителем может быть только родитель или опекун, ребёнком — обучающийся школы."
                ),
            ));
                continue;
            }
            let (Some(parent), Some(child)) = (parent.as_ref(), child.as_ref()) else {
                c.report.warnings.push(RowError::new(
                "users.csv",
                0,
                "agentSourcedIds",
                format!(
                    "Связь {parent_sid} — {child_sid}: одного из них нет ни в пакете, ни в школе, связь пропущена."
                ),
            ));
                continue;
            };
            let who = by_sid.get(parent_sid.as_str()).copied();
            // The relation the package names: a guardian stays a guardian, a relative is
            // «other»; a parent is a mother or a father by sex when it is known.
            let kind = match who {
                Some(x) if x.has(PersonRole::Guardian) => "guardian",
                Some(x) if x.has(PersonRole::Relative) && !x.has(PersonRole::Parent) => "other",
                Some(x) if x.sex.as_deref() == Some("female") => "mother",
                Some(x) if x.sex.as_deref() == Some("male") => "father",
                _ => "other",
            };
            // Someone the package just created has no family yet; a parent whose links
            // were read has those; the pairs given since are added as they go.
            let has = if c.fresh.contains(parent)
                || c.fresh.contains(child)
                || parents.contains(parent)
            {
                !linked.insert((*parent, *child))
            } else {
                // A parent the school has and the package does not carry (a package of changes).
                let found: Option<(String,)> = sqlx::query_as(
                    "SELECT kind FROM guardianships WHERE parent_id = $1 AND child_id = $2",
                )
                .bind(*parent)
                .bind(*child)
                .fetch_optional(&mut *c.tx)
                .await?;
                found.is_some() || !linked.insert((*parent, *child))
            };
            if !has {
                new.push((*parent, *child, kind));
                c.wrote("guardians", true, 1);
            } else {
                c.report.unchanged += 1;
            }
        }
        if !new.is_empty() {
            let sql = format!(
                "INSERT INTO guardianships (parent_id, child_id, kind) VALUES {}",
                placeholders(c, new.len(), 3)
            );
            let mut q = sqlx::query(&sql);
            for (parent, child, kind) in new {
                q = q.bind(parent).bind(child).bind(kind);
            }
            q.execute(&mut *c.tx).await?;
        }
    }
    Ok(())
}

async fn memberships(
    c: &mut Ctx<'_>,
    p: &Package,
    people: &HashMap<String, PersonId>,
    classes: &HashMap<String, ClassId>,
    groups: &HashMap<String, (GroupId, String, AcademicYearId)>,
) -> Result<(), sqlx::Error> {
    let today = parta_core::time::today().to_string();
    for m in &p.memberships {
        let person = match people.get(&m.person_sid).copied() {
            Some(x) => Some(x),
            None => known_person(c, &m.person_sid).await?,
        };
        let Some(person) = person else {
            c.errors.push(RowError::new(
                "enrollments.csv",
                m.line,
                "userSourcedId",
                format!(
                    "Пользователь {} не найден ни в пакете, ни в школе.",
                    m.person_sid
                ),
            ));
            continue;
        };
        let class = match classes.get(&m.class_sid).copied() {
            Some(k) => Some(k),
            None => known_class(c, &m.class_sid).await?,
        };
        let group = match (class, groups.get(&m.class_sid).cloned()) {
            (Some(_), _) => None,
            (None, Some(g)) => Some(g),
            (None, None) => known_group(c, &m.class_sid).await?,
        };
        if class.is_none() && group.is_none() {
            c.errors.push(RowError::new(
                "enrollments.csv",
                m.line,
                "classSourcedId",
                format!("Класс {} не найден ни в пакете, ни в школе.", m.class_sid),
            ));
            continue;
        }
        if let Some(class) = class {
            if m.teacher {
                if m.primary {
                    let r = sqlx::query("UPDATE classes SET class_teacher_id = $2 WHERE id = $1 AND (class_teacher_id IS NULL OR class_teacher_id <> $2)")
                        .bind(class).bind(person).execute(&mut *c.tx).await?;
                    c.wrote("class_teachers", false, r.rows_affected());
                    c.remember("class_teacher", &m.sid, &format!("{class}/{person}"))
                        .await?;
                }
                continue;
            }
            c.report.enrolments += 1;
            // Someone the package just created studies nowhere yet.
            let open: Option<(String, OrganisationId, Option<ClassId>, String)> = if c
                .fresh
                .contains(&person)
            {
                None
            } else {
                sqlx::query_as("SELECT id, organisation_id, class_id, started_on FROM enrolments WHERE person_id = $1 AND ended_on IS NULL")
                    .bind(person).fetch_optional(&mut *c.tx).await?
            };
            let begin = m.begin.clone().unwrap_or_else(|| today.clone());
            let reason = match &open {
                Some((eid, _, Some(k), _)) if *k == class => {
                    // The package's id names this stay from now on (a stay made by hand,
                    // or mapped to an earlier one before an upgrade).
                    let eid = eid.clone();
                    c.remember("enrolment", &m.sid, &eid).await?;
                    c.report.unchanged += 1;
                    continue;
                }
                Some((eid, org, _, started)) => {
                    if begin <= *started {
                        c.errors.push(RowError::new("enrollments.csv", 0, "beginDate", format!("Дата зачисления {begin} должна быть позже начала текущего обучения ({started}).")));
                        continue;
                    }
                    let (end, start) = if *org == c.org {
                        ("moved_class", "admitted")
                    } else {
                        ("transferred", "transferred_in")
                    };
                    sqlx::query(
                        "UPDATE enrolments SET ended_on = $2, end_reason = $3 WHERE id = $1",
                    )
                    .bind(eid.clone())
                    .bind(begin.clone())
                    .bind(end)
                    .execute(&mut *c.tx)
                    .await?;
                    c.wrote("enrolments", false, 1);
                    start
                }
                None => "admitted",
            };
            // A sourcedId names one stay; a moved student's new stay takes it over.
            let stay = uuid::Uuid::now_v7().to_string();
            sqlx::query(
                "INSERT INTO enrolments (id, person_id, organisation_id, class_id, started_on, start_reason, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(stay.clone()).bind(person).bind(c.org).bind(class).bind(begin).bind(reason)
            .bind(c.now)
            .execute(&mut *c.tx)
            .await?;
            c.remember("enrolment", &m.sid, &stay).await?;
            c.wrote("enrolments", true, 1);
        } else if let Some((group, subject, year)) = group {
            if m.teacher {
                let has: Option<(String,)> = sqlx::query_as("SELECT id FROM teaching_assignments WHERE teacher_id = $1 AND group_id = $2 AND subject_code = $3")
                    .bind(person).bind(group).bind(subject.clone()).fetch_optional(&mut *c.tx).await?;
                let assignment = match has {
                    Some((id,)) => {
                        c.report.unchanged += 1;
                        id
                    }
                    None => {
                        let id = uuid::Uuid::now_v7().to_string();
                        sqlx::query("INSERT INTO teaching_assignments (id, teacher_id, group_id, subject_code, academic_year_id) VALUES ($1, $2, $3, $4, $5)")
                            .bind(id.clone()).bind(person).bind(group).bind(subject).bind(year).execute(&mut *c.tx).await?;
                        c.wrote("teaching", true, 1);
                        id
                    }
                };
                c.remember("teaching", &m.sid, &assignment).await?;
            } else {
                c.remember("membership", &m.sid, &format!("{group}/{person}"))
                    .await?;
                let has: Option<(String,)> = sqlx::query_as(
                    "SELECT group_id FROM group_members WHERE group_id = $1 AND person_id = $2",
                )
                .bind(group)
                .bind(person)
                .fetch_optional(&mut *c.tx)
                .await?;
                if has.is_none() {
                    sqlx::query("INSERT INTO group_members (group_id, person_id) VALUES ($1, $2)")
                        .bind(group)
                        .bind(person)
                        .execute(&mut *c.tx)
                        .await?;
                    c.wrote("memberships", true, 1);
                } else {
                    c.report.unchanged += 1;
                }
            }
        }
    }
    Ok(())
}

/// `(…), (…)` for `rows` rows of `cols` values: `$1, $2 …` on PostgreSQL, anonymous `?`
/// on SQLite (which finds a numbered parameter by a linear search — quadratic in a
/// statement of thousands; bench/RESULTS.md).
fn placeholders(c: &Ctx<'_>, rows: usize, cols: usize) -> String {
    parta_db::row_placeholders(c.sqlite, rows, cols)
}

/// Writes the id map's pending rows, a few hundred a statement.
async fn flush_ids(c: &mut Ctx<'_>) -> Result<(), sqlx::Error> {
    let pending: Vec<((String, String), String)> = c.ids.pending.drain().collect();
    for chunk in pending.chunks(400) {
        let sql = format!(
            "INSERT INTO roster_ids (namespace, kind, source_id, object_id, imported_at) VALUES {} \
             ON CONFLICT (namespace, kind, source_id) DO UPDATE SET object_id = excluded.object_id",
            placeholders(c, chunk.len(), 5)
        );
        let mut q = sqlx::query(&sql);
        for ((kind, sid), object) in chunk {
            q = q
                .bind(c.namespace.clone())
                .bind(kind.clone())
                .bind(sid.clone())
                .bind(object.clone())
                .bind(c.now);
        }
        q.execute(&mut *c.tx).await?;
    }
    Ok(())
}

/// A person created by the package, written with the others (`flush_people`).
/// Last, first and middle name, birth date, sex, СНИЛС, e-mail, phone.
type PersonFields = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

struct NewPerson {
    id: PersonId,
    x: PersonFields,
}

/// Writes the people and roles created by the package, a few hundred a statement.
async fn flush_people(c: &mut Ctx<'_>) -> Result<(), sqlx::Error> {
    let people = std::mem::take(&mut c.new_people);
    for chunk in people.chunks(200) {
        let sql = format!(
            "INSERT INTO persons (id, last_name, first_name, middle_name, birth_date, sex, snils, email, phone, created_at, updated_at, email_confirmed) VALUES {}",
            placeholders(c, chunk.len(), 12)
        );
        let mut q = sqlx::query(&sql);
        for n in chunk {
            let confirmed: i32 = i32::from(n.x.6.is_some());
            q = q
                .bind(n.id)
                .bind(n.x.0.clone())
                .bind(n.x.1.clone())
                .bind(n.x.2.clone())
                .bind(n.x.3.clone())
                .bind(n.x.4.clone())
                .bind(n.x.5.clone())
                .bind(n.x.6.clone())
                .bind(n.x.7.clone())
                .bind(c.now)
                .bind(c.now)
                .bind(confirmed);
        }
        q.execute(&mut *c.tx).await?;
    }
    let roles = std::mem::take(&mut c.new_roles);
    for chunk in roles.chunks(300) {
        let sql = format!(
            "INSERT INTO role_assignments (id, person_id, role, organisation_id, personal_data_granted, created_at) VALUES {}",
            placeholders(c, chunk.len(), 6)
        );
        let mut q = sqlx::query(&sql);
        for (person, role, org) in chunk {
            q = q
                .bind(uuid::Uuid::now_v7().to_string())
                .bind(*person)
                .bind(role.to_string())
                .bind(*org)
                .bind(0i32)
                .bind(c.now);
        }
        q.execute(&mut *c.tx).await?;
    }
    Ok(())
}
