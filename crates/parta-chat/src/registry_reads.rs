//! Published reads of the registry the chats need (class names, the school's name, people's
//! short names): read-only, one place to change when the registry changes its tables.

use parta_core::ids::{ClassId, GroupId, OrganisationId, PersonId};
use parta_core::policy::ContactFacts;
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

/// Where a person works, teaches, studies and has children now (for `StartChat`).
pub async fn contact_facts(db: &Db, person: PersonId) -> R<ContactFacts> {
    let staff_orgs: Vec<(OrganisationId,)> = sqlx::query_as(
        "SELECT DISTINCT organisation_id FROM staff_positions WHERE person_id = $1 AND ended_on IS NULL",
    )
    .bind(person)
    .fetch_all(&db.pool)
    .await?;
    let teaches: Vec<(ClassId,)> = sqlx::query_as(
        "SELECT COALESCE(a.class_id, g.class_id) FROM teaching_assignments a LEFT JOIN study_groups g ON g.id = a.group_id \
         WHERE a.teacher_id = $1 AND COALESCE(a.class_id, g.class_id) IS NOT NULL \
         UNION SELECT id FROM classes WHERE class_teacher_id = $1",
    )
    .bind(person)
    .fetch_all(&db.pool)
    .await?;
    let studies: Vec<(Option<ClassId>, OrganisationId)> = sqlx::query_as(
        "SELECT class_id, organisation_id FROM enrolments WHERE person_id = $1 AND ended_on IS NULL",
    )
    .bind(person)
    .fetch_all(&db.pool)
    .await?;
    let children: Vec<(Option<ClassId>, OrganisationId)> = sqlx::query_as(
        "SELECT e.class_id, e.organisation_id FROM guardianships g JOIN enrolments e ON e.person_id = g.child_id AND e.ended_on IS NULL \
         WHERE g.parent_id = $1",
    )
    .bind(person)
    .fetch_all(&db.pool)
    .await?;
    Ok(ContactFacts {
        person,
        staff_orgs: staff_orgs.into_iter().map(|r| r.0).collect(),
        teaches: teaches.into_iter().map(|r| r.0).collect(),
        student_classes: studies.iter().filter_map(|r| r.0).collect(),
        student_orgs: studies.iter().map(|r| r.1).collect(),
        children_classes: children.iter().filter_map(|r| r.0).collect(),
        children_orgs: children.iter().map(|r| r.1).collect(),
    })
}

/// The staff of these schools now.
pub async fn staff_of(db: &Db, orgs: &[OrganisationId]) -> R<Vec<(PersonId, String)>> {
    let ids = orgs.iter().map(|o| o.to_string()).collect();
    people(db, "SELECT s.person_id FROM staff_positions s WHERE s.ended_on IS NULL AND s.organisation_id IN ({})", ids).await
}

/// The teachers (of a subject, or of a group) and the class teachers of these classes.
pub async fn teachers_of(db: &Db, classes: &[ClassId]) -> R<Vec<(PersonId, String)>> {
    let ids: Vec<String> = classes.iter().map(|c| c.to_string()).collect();
    people(
        db,
        "SELECT a.teacher_id FROM teaching_assignments a LEFT JOIN study_groups g ON g.id = a.group_id \
         WHERE COALESCE(a.class_id, g.class_id) IN ({0}) \
         UNION SELECT class_teacher_id FROM classes WHERE class_teacher_id IS NOT NULL AND id IN ({0})",
        ids,
    )
    .await
}

/// The students of these classes now.
pub async fn students_of(db: &Db, classes: &[ClassId]) -> R<Vec<(PersonId, String)>> {
    let ids = classes.iter().map(|c| c.to_string()).collect();
    people(
        db,
        "SELECT person_id FROM enrolments WHERE ended_on IS NULL AND class_id IN ({})",
        ids,
    )
    .await
}

/// The parents of the students of these classes now.
pub async fn parents_of(db: &Db, classes: &[ClassId]) -> R<Vec<(PersonId, String)>> {
    let ids = classes.iter().map(|c| c.to_string()).collect();
    people(
        db,
        "SELECT g.parent_id FROM guardianships g JOIN enrolments e ON e.person_id = g.child_id AND e.ended_on IS NULL \
         WHERE e.class_id IN ({})",
        ids,
    )
    .await
}

/// The people `inner` selects, by name, at most [`crate::model::MAX_CONTACTS`]. Its `{}`
/// (or each `{0}`) is the list of `values`, bound once per use.
async fn people(db: &Db, inner: &str, values: Vec<String>) -> R<Vec<(PersonId, String)>> {
    if values.is_empty() {
        return Ok(Vec::new());
    }
    let uses = inner.matches("{0}").count().max(1);
    let mut inner = inner.to_string();
    let mut at = 1;
    for _ in 0..uses {
        let list = db.placeholders(at, values.len());
        inner = match inner.find("{0}") {
            Some(i) => format!("{}{list}{}", &inner[..i], &inner[i + 3..]),
            None => inner.replacen("{}", &list, 1),
        };
        at += values.len();
    }
    let sql = format!(
        "SELECT p.id, p.last_name || ' ' || p.first_name || COALESCE(' ' || p.middle_name, '') FROM persons p \
         WHERE p.id IN ({inner}) ORDER BY p.last_name, p.first_name, p.id LIMIT {}",
        crate::model::MAX_CONTACTS
    );
    let mut q = sqlx::query_as(&sql);
    for _ in 0..uses {
        for v in &values {
            q = q.bind(v.clone());
        }
    }
    q.fetch_all(&db.pool).await
}

/// The class's class teacher, if it has one.
pub async fn class_teacher(db: &Db, class: ClassId) -> R<Option<PersonId>> {
    let row: Option<(Option<PersonId>,)> =
        sqlx::query_as("SELECT class_teacher_id FROM classes WHERE id = $1")
            .bind(class)
            .fetch_optional(&db.pool)
            .await?;
    Ok(row.and_then(|r| r.0))
}

/// The school's administration (those with its school-admin role).
pub async fn admins_of(db: &Db, org: OrganisationId) -> R<Vec<PersonId>> {
    let rows: Vec<(PersonId,)> = sqlx::query_as(
        "SELECT person_id FROM role_assignments WHERE role = 'school_admin' AND organisation_id = $1 \
         AND ended_at IS NULL",
    )
    .bind(org)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// A school with where it sits (what the policy decides a territory's operator by).
pub struct School {
    pub facts: parta_core::policy::OrgFacts,
    pub name: String,
}

type SchoolRow = (
    OrganisationId,
    String,
    parta_core::ids::MunicipalityId,
    String,
);

fn school_of(r: SchoolRow) -> School {
    School {
        facts: parta_core::policy::OrgFacts {
            organisation: r.0,
            municipality: r.2,
            region: parta_core::ids::RegionCode(r.3),
        },
        name: r.1,
    }
}

/// The schools of these organisations, these municipalities and these regions (an
/// operator's territory), by name.
pub async fn schools_where(
    db: &Db,
    orgs: &[OrganisationId],
    municipalities: &[parta_core::ids::MunicipalityId],
    regions: &[parta_core::ids::RegionCode],
) -> R<Vec<School>> {
    let mut filters = Vec::new();
    let mut at = 1;
    for (column, n) in [
        ("o.id", orgs.len()),
        ("o.municipality_id", municipalities.len()),
        ("m.region_code", regions.len()),
    ] {
        if n > 0 {
            filters.push(format!("{column} IN ({})", db.placeholders(at, n)));
            at += n;
        }
    }
    if filters.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT o.id, o.short_name, o.municipality_id, m.region_code FROM organisations o \
         JOIN municipalities m ON m.id = o.municipality_id WHERE {} ORDER BY o.short_name, o.id",
        filters.join(" OR ")
    );
    let mut q = sqlx::query_as::<_, SchoolRow>(&sql);
    for o in orgs {
        q = q.bind(*o);
    }
    for m in municipalities {
        q = q.bind(*m);
    }
    for r in regions {
        q = q.bind(r.0.clone());
    }
    Ok(q.fetch_all(&db.pool)
        .await?
        .into_iter()
        .map(school_of)
        .collect())
}

/// A subject group someone belongs to: its school and its chat's title («5А · Математика ·
/// Группа 1»).
#[derive(sqlx::FromRow)]
pub struct GroupRow {
    pub group: GroupId,
    pub org: OrganisationId,
    pub title: String,
}

/// The group's columns as a [`GroupRow`], over `study_groups g`.
const GROUP_ROW: &str = "g.id AS \"group\", g.organisation_id AS org, \
    COALESCE(c.name || ' · ', '') || COALESCE(s.name || ' · ', '') || g.name AS title";
const GROUP_NAMES: &str = "LEFT JOIN classes c ON c.id = g.class_id \
    LEFT JOIN ref_subjects s ON s.code = g.subject_code";
/// A member `m` of group `g` studies in it now: enrolled in the group's class (or, for a
/// group across classes, in its school).
const STUDIES_NOW: &str = "JOIN enrolments e ON e.person_id = m.person_id AND e.ended_on IS NULL \
    AND (e.class_id = g.class_id OR (g.class_id IS NULL AND e.organisation_id = g.organisation_id))";

/// The subject groups (with a subject) a student studies in now.
pub async fn groups_of_student(db: &Db, person: PersonId) -> R<Vec<GroupRow>> {
    sqlx::query_as(&format!(
        "SELECT DISTINCT {GROUP_ROW} FROM group_members m JOIN study_groups g ON g.id = m.group_id \
         {STUDIES_NOW} {GROUP_NAMES} WHERE m.person_id = $1 AND g.subject_code IS NOT NULL"
    ))
    .bind(person)
    .fetch_all(&db.pool)
    .await
}

/// The subject groups a teacher teaches.
pub async fn groups_of_teacher(db: &Db, person: PersonId) -> R<Vec<GroupRow>> {
    sqlx::query_as(&format!(
        "SELECT DISTINCT {GROUP_ROW} FROM teaching_assignments a JOIN study_groups g ON g.id = a.group_id \
         {GROUP_NAMES} WHERE a.teacher_id = $1"
    ))
    .bind(person)
    .fetch_all(&db.pool)
    .await
}

/// The group's teachers and its students now.
pub async fn group_people(db: &Db, group: GroupId) -> R<Vec<(PersonId, String)>> {
    people(
        db,
        &format!(
            "SELECT a.teacher_id FROM teaching_assignments a WHERE a.group_id = {{0}} \
             UNION SELECT m.person_id FROM group_members m JOIN study_groups g ON g.id = m.group_id \
             {STUDIES_NOW} WHERE m.group_id = {{0}}"
        ),
        vec![group.to_string()],
    )
    .await
}

/// Whether the person teaches the group, and whether they study in it now.
pub async fn group_role(db: &Db, group: GroupId, person: PersonId) -> R<(bool, bool)> {
    let (teaches, studies): (i64, i64) = sqlx::query_as(&format!(
        "SELECT \
           (SELECT COUNT(*) FROM teaching_assignments a WHERE a.group_id = $1 AND a.teacher_id = $2), \
           (SELECT COUNT(*) FROM group_members m JOIN study_groups g ON g.id = m.group_id \
              {STUDIES_NOW} WHERE m.group_id = $1 AND m.person_id = $2)"
    ))
    .bind(group)
    .bind(person)
    .fetch_one(&db.pool)
    .await?;
    Ok((teaches > 0, studies > 0))
}

/// The classes a teacher teaches (a subject, a group of) or leads in this school.
pub async fn classes_taught_in(db: &Db, person: PersonId, org: OrganisationId) -> R<Vec<ClassId>> {
    let rows: Vec<(ClassId,)> = sqlx::query_as(
        "SELECT c.id FROM teaching_assignments a LEFT JOIN study_groups g ON g.id = a.group_id \
         JOIN classes c ON c.id = COALESCE(a.class_id, g.class_id) \
         WHERE a.teacher_id = $1 AND c.organisation_id = $2 \
         UNION SELECT id FROM classes WHERE class_teacher_id = $1 AND organisation_id = $2",
    )
    .bind(person)
    .bind(org)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Whether the person belongs to the school now: works there, studies there, or has a
/// child studying there.
pub async fn of_school(db: &Db, org: OrganisationId, person: PersonId) -> R<bool> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM staff_positions WHERE person_id = $2 AND organisation_id = $1 AND ended_on IS NULL) \
         + (SELECT COUNT(*) FROM enrolments WHERE person_id = $2 AND organisation_id = $1 AND ended_on IS NULL) \
         + (SELECT COUNT(*) FROM guardianships g JOIN enrolments e ON e.person_id = g.child_id AND e.ended_on IS NULL \
            WHERE g.parent_id = $2 AND e.organisation_id = $1)",
    )
    .bind(org)
    .bind(person)
    .fetch_one(&db.pool)
    .await?;
    Ok(n > 0)
}

/// The school's people now — its staff, its students and their parents — by name (at most
/// [`crate::model::MAX_CONTACTS`]).
pub async fn school_people(db: &Db, org: OrganisationId) -> R<Vec<(PersonId, String)>> {
    people(
        db,
        "SELECT s.person_id FROM staff_positions s WHERE s.ended_on IS NULL AND s.organisation_id = {0} \
         UNION SELECT e.person_id FROM enrolments e WHERE e.ended_on IS NULL AND e.organisation_id = {0} \
         UNION SELECT g.parent_id FROM guardianships g JOIN enrolments e ON e.person_id = g.child_id \
           AND e.ended_on IS NULL WHERE e.organisation_id = {0}",
        vec![org.to_string()],
    )
    .await
}

/// Whether the person studies in one of these classes now, has a child who does, or
/// (`teachers`) teaches or leads one of them.
pub async fn of_classes(db: &Db, classes: &[ClassId], person: PersonId, teachers: bool) -> R<bool> {
    if classes.is_empty() {
        return Ok(false);
    }
    // Numbered: the list is named several times and bound once.
    let list = parta_db::placeholders(2, classes.len());
    let teaching = if teachers {
        format!(
            " + (SELECT COUNT(*) FROM teaching_assignments a LEFT JOIN study_groups g ON g.id = a.group_id \
             WHERE a.teacher_id = $1 AND COALESCE(a.class_id, g.class_id) IN ({list})) \
             + (SELECT COUNT(*) FROM classes WHERE class_teacher_id = $1 AND id IN ({list}))"
        )
    } else {
        String::new()
    };
    let sql = format!(
        "SELECT (SELECT COUNT(*) FROM enrolments WHERE person_id = $1 AND ended_on IS NULL AND class_id IN ({list})) \
         + (SELECT COUNT(*) FROM guardianships g JOIN enrolments e ON e.person_id = g.child_id AND e.ended_on IS NULL \
            WHERE g.parent_id = $1 AND e.class_id IN ({list})){teaching}"
    );
    let mut q = sqlx::query_as::<_, (i64,)>(&sql).bind(person);
    for c in classes {
        q = q.bind(*c);
    }
    Ok(q.fetch_one(&db.pool).await?.0 > 0)
}

/// Whether the person works at the school now.
pub async fn works_at(db: &Db, org: OrganisationId, person: PersonId) -> R<bool> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM staff_positions WHERE person_id = $1 AND organisation_id = $2 AND ended_on IS NULL",
    )
    .bind(person)
    .bind(org)
    .fetch_one(&db.pool)
    .await?;
    Ok(n > 0)
}

/// Whether the person studies at the school now.
pub async fn studies_at(db: &Db, org: OrganisationId, person: PersonId) -> R<bool> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM enrolments WHERE person_id = $1 AND organisation_id = $2 AND ended_on IS NULL",
    )
    .bind(person)
    .bind(org)
    .fetch_one(&db.pool)
    .await?;
    Ok(n > 0)
}

/// Whether the person works now at a school of the same municipality (`region`: of the
/// same region) as this one.
pub async fn works_near(db: &Db, org: OrganisationId, person: PersonId, region: bool) -> R<bool> {
    // Where they work: a position, or the school's administration.
    const WORKS: &str = "(SELECT organisation_id FROM staff_positions WHERE person_id = $1 AND ended_on IS NULL \
         UNION SELECT organisation_id FROM role_assignments WHERE person_id = $1 AND role = 'school_admin' \
           AND ended_at IS NULL AND organisation_id IS NOT NULL)";
    let sql = if region {
        format!(
            "SELECT COUNT(*) FROM {WORKS} w JOIN organisations o ON o.id = w.organisation_id \
             JOIN municipalities m ON m.id = o.municipality_id WHERE m.region_code = \
               (SELECT m2.region_code FROM organisations o2 JOIN municipalities m2 ON m2.id = o2.municipality_id WHERE o2.id = $2)"
        )
    } else {
        format!(
            "SELECT COUNT(*) FROM {WORKS} w JOIN organisations o ON o.id = w.organisation_id \
             WHERE o.municipality_id = (SELECT o2.municipality_id FROM organisations o2 WHERE o2.id = $2)"
        )
    };
    let (n,): (i64,) = sqlx::query_as(&sql)
        .bind(person)
        .bind(org)
        .fetch_one(&db.pool)
        .await?;
    Ok(n > 0)
}
