//! SQL of the registry. One text for both backends; `$n` placeholders.

use crate::model::*;
use parta_core::ids::{ClassId, MunicipalityId, OrganisationId, PersonId, RegionCode};
use parta_core::policy::{ClassFacts, OrgFacts, PersonFacts};
use parta_core::time::now_ms;
use parta_db::Db;
use sqlx::{Any, Executor, Row};

pub async fn regions(db: &Db) -> Result<Vec<Region>, sqlx::Error> {
    sqlx::query_as("SELECT code, name FROM ref_regions ORDER BY code")
        .fetch_all(&db.pool)
        .await
}

pub async fn municipalities(
    db: &Db,
    region: Option<&str>,
) -> Result<Vec<Municipality>, sqlx::Error> {
    sqlx::query_as(
        "SELECT m.id, m.region_code, r.name AS region_name, m.name, m.oktmo FROM municipalities m \
         JOIN ref_regions r ON r.code = m.region_code WHERE ($1 IS NULL OR m.region_code = $1) ORDER BY m.name",
    )
    .bind(region.map(str::to_string))
    .fetch_all(&db.pool)
    .await
}

pub async fn municipality_region(
    db: &Db,
    id: MunicipalityId,
) -> Result<Option<RegionCode>, sqlx::Error> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT region_code FROM municipalities WHERE id = $1")
            .bind(id)
            .fetch_optional(&db.pool)
            .await?;
    Ok(row.map(|r| RegionCode(r.0)))
}

const ORG_SELECT: &str = "SELECT o.id, o.municipality_id, m.name AS municipality_name, m.region_code, o.kind, \
     t.name AS kind_name, o.full_name, o.short_name, o.inn, o.ogrn, o.address, o.head_id, \
     (SELECT h.last_name || ' ' || h.first_name || COALESCE(' ' || h.middle_name, '') FROM persons h WHERE h.id = o.head_id) AS head_name, \
     (SELECT COUNT(*) FROM enrolments e WHERE e.organisation_id = o.id AND e.ended_on IS NULL) AS student_count \
     FROM organisations o JOIN municipalities m ON m.id = o.municipality_id JOIN ref_org_types t ON t.code = o.kind";

/// Organisations by id order, optionally in one municipality, after `cursor`.
pub async fn organisations(
    db: &Db,
    municipality: Option<MunicipalityId>,
    after: Option<OrganisationId>,
    limit: i64,
) -> Result<Vec<Organisation>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{ORG_SELECT} WHERE ($1 IS NULL OR o.municipality_id = $1) AND ($2 IS NULL OR o.id > $2) ORDER BY o.id LIMIT $3"
    ))
    .bind(municipality)
    .bind(after)
    .bind(limit)
    .fetch_all(&db.pool)
    .await
}

pub async fn organisation(
    db: &Db,
    id: OrganisationId,
) -> Result<Option<Organisation>, sqlx::Error> {
    sqlx::query_as(&format!("{ORG_SELECT} WHERE o.id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await
}

/// Whether the school lets its teachers see the contacts of their students' parents.
pub async fn shares_parent_contacts(db: &Db, id: OrganisationId) -> Result<bool, sqlx::Error> {
    let v: Option<i64> =
        sqlx::query_scalar("SELECT parent_contacts_to_teachers FROM organisations WHERE id = $1")
            .bind(id)
            .fetch_optional(&db.pool)
            .await?;
    Ok(v == Some(1))
}

pub async fn set_shares_parent_contacts(
    conn: &mut sqlx::AnyConnection,
    id: OrganisationId,
    on: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE organisations SET parent_contacts_to_teachers = $1 WHERE id = $2")
        .bind(i64::from(on))
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn org_facts(db: &Db, id: OrganisationId) -> Result<Option<OrgFacts>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT o.municipality_id, m.region_code FROM organisations o JOIN municipalities m ON m.id = o.municipality_id WHERE o.id = $1",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|r| {
        Ok(OrgFacts {
            organisation: id,
            municipality: r.try_get(0)?,
            region: RegionCode(r.try_get(1)?),
        })
    })
    .transpose()
}

/// Where each of several organisations sits (those that exist), in one read per 500.
pub async fn orgs_facts(db: &Db, ids: &[OrganisationId]) -> Result<Vec<OrgFacts>, sqlx::Error> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT o.id, o.municipality_id, m.region_code FROM organisations o JOIN municipalities m ON m.id = o.municipality_id WHERE o.id IN ({})",
            parta_db::placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&db.pool).await? {
            out.push(OrgFacts {
                organisation: r.try_get(0)?,
                municipality: r.try_get(1)?,
                region: RegionCode(r.try_get(2)?),
            });
        }
    }
    Ok(out)
}

pub async fn insert_organisation(
    db: &Db,
    id: OrganisationId,
    o: &NewOrganisation,
) -> Result<(), sqlx::Error> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO organisations (id, municipality_id, kind, full_name, short_name, inn, ogrn, address, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(id)
    .bind(o.municipality_id)
    .bind(&o.kind)
    .bind(o.full_name.trim())
    .bind(o.short_name.trim())
    .bind(&o.inn)
    .bind(&o.ogrn)
    .bind(o.address.trim())
    .bind(now)
    .execute(&db.pool)
    .await?;
    Ok(())
}

pub async fn ref_exists(db: &Db, table: &'static str, code: &str) -> Result<bool, sqlx::Error> {
    let row: Option<(String,)> =
        sqlx::query_as(&format!("SELECT code FROM {table} WHERE code = $1"))
            .bind(code.to_string())
            .fetch_optional(&db.pool)
            .await?;
    Ok(row.is_some())
}

const CLASS_SELECT: &str = "SELECT c.id, c.organisation_id, c.academic_year_id, y.name AS academic_year, c.grade_level, \
     c.letter, c.name, c.class_teacher_id, \
     (SELECT t.last_name || ' ' || t.first_name || COALESCE(' ' || t.middle_name, '') FROM persons t WHERE t.id = c.class_teacher_id) AS class_teacher_name, \
     (SELECT COUNT(*) FROM enrolments e WHERE e.class_id = c.id AND e.ended_on IS NULL) AS student_count \
     FROM classes c JOIN academic_years y ON y.id = c.academic_year_id";

pub async fn classes_of(db: &Db, org: OrganisationId) -> Result<Vec<ClassSummary>, sqlx::Error> {
    // Grade levels are text: order numerically by length first ("2" < "10").
    sqlx::query_as(&format!(
        "{CLASS_SELECT} WHERE c.organisation_id = $1 ORDER BY y.starts_on DESC, LENGTH(c.grade_level), c.grade_level, c.letter"
    ))
    .bind(org)
    .fetch_all(&db.pool)
    .await
}

pub async fn class(db: &Db, id: ClassId) -> Result<Option<ClassSummary>, sqlx::Error> {
    sqlx::query_as(&format!("{CLASS_SELECT} WHERE c.id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await
}

pub async fn class_facts(db: &Db, id: ClassId) -> Result<Option<ClassFacts>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT c.organisation_id, o.municipality_id, m.region_code FROM classes c \
         JOIN organisations o ON o.id = c.organisation_id JOIN municipalities m ON m.id = o.municipality_id WHERE c.id = $1",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|r| {
        Ok(ClassFacts {
            class: id,
            org: OrgFacts {
                organisation: r.try_get(0)?,
                municipality: r.try_get(1)?,
                region: RegionCode(r.try_get(2)?),
            },
        })
    })
    .transpose()
}

pub async fn class_students(db: &Db, id: ClassId) -> Result<Vec<PersonBrief>, sqlx::Error> {
    sqlx::query_as(
        "SELECT p.id, p.last_name, p.first_name, p.middle_name FROM enrolments e JOIN persons p ON p.id = e.person_id \
         WHERE e.class_id = $1 AND e.ended_on IS NULL ORDER BY p.last_name, p.first_name",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await
}

pub async fn class_teachers(db: &Db, id: ClassId) -> Result<Vec<ClassTeacher>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT p.id, p.last_name, p.first_name, p.middle_name, s.name FROM teaching_assignments a \
         JOIN persons p ON p.id = a.teacher_id JOIN ref_subjects s ON s.code = a.subject_code \
         WHERE a.class_id = $1 ORDER BY p.last_name, p.first_name, s.name",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?;
    let mut out: Vec<ClassTeacher> = Vec::new();
    for r in rows {
        let pid: PersonId = r.try_get(0)?;
        let subject: String = r.try_get(4)?;
        match out.last_mut() {
            Some(t) if t.person.id == pid => t.subjects.push(subject),
            _ => out.push(ClassTeacher {
                person: PersonBrief {
                    id: pid,
                    last_name: r.try_get(1)?,
                    first_name: r.try_get(2)?,
                    middle_name: r.try_get(3)?,
                },
                subjects: vec![subject],
            }),
        }
    }
    Ok(out)
}

/// A person's СНИЛС: `None` if there is no such person, `Some(None)` if it is unknown.
pub async fn person_snils(db: &Db, id: PersonId) -> Result<Option<Option<String>>, sqlx::Error> {
    let row: Option<(Option<String>,)> = sqlx::query_as("SELECT snils FROM persons WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.map(|r| r.0))
}

pub async fn enrolments(db: &Db, id: PersonId) -> Result<Vec<Enrolment>, sqlx::Error> {
    sqlx::query_as(
        "SELECT e.id, e.organisation_id, o.short_name AS organisation_name, e.class_id, c.name AS class_name, \
         e.started_on, e.start_reason, e.ended_on, e.end_reason FROM enrolments e \
         JOIN organisations o ON o.id = e.organisation_id LEFT JOIN classes c ON c.id = e.class_id \
         WHERE e.person_id = $1 ORDER BY e.started_on DESC, e.created_at DESC",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await
}

pub async fn children(db: &Db, id: PersonId) -> Result<Vec<Relative>, sqlx::Error> {
    sqlx::query_as(
        "SELECT p.id, p.last_name, p.first_name, p.middle_name, g.kind FROM guardianships g \
         JOIN persons p ON p.id = g.child_id WHERE g.parent_id = $1 ORDER BY p.birth_date, p.first_name",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await
}

/// The facts the access policy needs about a person, in one round trip: each row says
/// how the person (or their child, or parent) is linked to a school, with the school's
/// territory.
pub async fn person_facts(db: &Db, id: PersonId) -> Result<Option<PersonFacts>, sqlx::Error> {
    Ok(people_facts(db, &[id]).await?.remove(&id))
}

/// The policy's facts of many people in one round trip (a class page's members), keyed
/// by person; people who do not exist are absent.
pub async fn people_facts(
    db: &Db,
    ids: &[PersonId],
) -> Result<std::collections::HashMap<PersonId, PersonFacts>, sqlx::Error> {
    let mut out = std::collections::HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    // `$1 … $n` once, used in every branch (both backends accept repeated numbers).
    let list = parta_db::placeholders(1, ids.len());
    let sql = format!(
        "WITH links AS ( \
           SELECT e.person_id AS pid, 's' AS k, e.class_id AS r, e.organisation_id AS org FROM enrolments e WHERE e.person_id IN ({list}) AND e.ended_on IS NULL \
           UNION ALL SELECT s.person_id, 'w', NULL, s.organisation_id FROM staff_positions s WHERE s.person_id IN ({list}) AND s.ended_on IS NULL \
           UNION ALL SELECT g.parent_id, 'c', g.child_id, e.organisation_id FROM guardianships g \
                LEFT JOIN enrolments e ON e.person_id = g.child_id AND e.ended_on IS NULL WHERE g.parent_id IN ({list}) \
           UNION ALL SELECT g.parent_id, 'k', e.class_id, NULL FROM guardianships g \
                JOIN enrolments e ON e.person_id = g.child_id AND e.ended_on IS NULL WHERE g.parent_id IN ({list}) \
           UNION ALL SELECT g.child_id, 'p', g.parent_id, NULL FROM guardianships g WHERE g.child_id IN ({list}) \
           UNION ALL SELECT r.person_id, 'r', r.role, r.organisation_id FROM role_assignments r WHERE r.person_id IN ({list}) AND r.ended_at IS NULL \
                AND r.role IN ('school_admin', 'municipal_operator', 'regional_operator', 'platform_admin') \
           UNION ALL SELECT id, 'x', id, NULL FROM persons WHERE id IN ({list})) \
         SELECT l.pid, l.k, l.r, l.org, o.municipality_id, m.region_code FROM links l \
         LEFT JOIN organisations o ON o.id = l.org LEFT JOIN municipalities m ON m.id = o.municipality_id"
    );
    let mut q = sqlx::query(&sql);
    for id in ids {
        q = q.bind(*id);
    }
    let rows = q.fetch_all(&db.pool).await?;
    let mut exists = std::collections::HashSet::new();
    for r in rows {
        let person: PersonId = r.try_get(0)?;
        let facts = out.entry(person).or_insert_with(|| PersonFacts {
            person,
            ..Default::default()
        });
        let kind: String = r.try_get(1)?;
        let reference: Option<String> = r.try_get(2)?;
        let parsed = reference
            .as_deref()
            .and_then(|s| s.parse::<uuid::Uuid>().ok());
        match (kind.as_str(), parsed) {
            ("x", _) => {
                exists.insert(person);
            }
            ("s", Some(c)) => facts.student_classes.push(ClassId(c)),
            ("c", Some(c)) if !facts.children.contains(&PersonId(c)) => {
                facts.children.push(PersonId(c))
            }
            ("k", Some(c)) => facts.children_classes.push(ClassId(c)),
            ("p", Some(p)) => facts.parents.push(PersonId(p)),
            _ => {}
        }
        let org: Option<OrganisationId> = r.try_get(3)?;
        if let ("w", Some(o)) = (kind.as_str(), org) {
            facts.staff_orgs.push(o);
        }
        // Roles beyond a class: they say who may manage the person, not where they are.
        if kind == "r" {
            match (reference.as_deref(), org) {
                (Some("school_admin"), Some(o)) => facts.admin_of.push(o),
                _ => facts.operator = true,
            }
            continue;
        }
        let municipality: Option<MunicipalityId> = r.try_get(4)?;
        let region: Option<String> = r.try_get(5)?;
        if let (Some(organisation), Some(municipality), Some(region)) = (org, municipality, region)
        {
            if kind == "s" {
                facts.student_orgs.push(OrgFacts {
                    organisation,
                    municipality,
                    region: RegionCode(region.clone()),
                });
            }
            if !facts.orgs.iter().any(|o| o.organisation == organisation) {
                facts.orgs.push(OrgFacts {
                    organisation,
                    municipality,
                    region: RegionCode(region),
                });
            }
        }
    }
    out.retain(|id, _| exists.contains(id));
    Ok(out)
}

/// A whole person card in one round trip: the person, their stays in schools, current
/// positions, parents and children, as rows of one union told apart by `k`.
pub async fn card(db: &Db, id: PersonId) -> Result<Option<PersonCard>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT 'a' AS k, p.id AS c1, p.last_name AS c2, p.first_name AS c3, p.middle_name AS c4, p.birth_date AS c5, \
                p.sex AS c6, p.snils AS c7, p.email AS c8, p.phone AS c9 FROM persons p WHERE p.id = $1 \
         UNION ALL SELECT 'e', e.id, e.organisation_id, o.short_name, e.class_id, c.name, e.started_on, e.start_reason, e.ended_on, e.end_reason \
              FROM enrolments e JOIN organisations o ON o.id = e.organisation_id LEFT JOIN classes c ON c.id = e.class_id WHERE e.person_id = $1 \
         UNION ALL SELECT 's', s.organisation_id, o.short_name, s.position, r.name, s.started_on, NULL, NULL, NULL, NULL \
              FROM staff_positions s JOIN organisations o ON o.id = s.organisation_id JOIN ref_positions r ON r.code = s.position \
              WHERE s.person_id = $1 AND s.ended_on IS NULL \
         UNION ALL SELECT 'p', p.id, p.last_name, p.first_name, p.middle_name, g.kind, p.birth_date, NULL, NULL, NULL \
              FROM guardianships g JOIN persons p ON p.id = g.parent_id WHERE g.child_id = $1 \
         UNION ALL SELECT 'c', p.id, p.last_name, p.first_name, p.middle_name, g.kind, p.birth_date, NULL, NULL, NULL \
              FROM guardianships g JOIN persons p ON p.id = g.child_id WHERE g.parent_id = $1",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?;
    let text = |r: &sqlx::any::AnyRow, i: usize| r.try_get::<Option<String>, _>(i);
    let need = |r: &sqlx::any::AnyRow, i: usize| -> Result<String, sqlx::Error> {
        Ok(text(r, i)?.unwrap_or_default())
    };
    let mut card: Option<PersonCard> = None;
    let (mut enrolments, mut positions, mut parents, mut children) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for r in &rows {
        let kind: String = r.try_get(0)?;
        match kind.as_str() {
            "a" => {
                card = Some(PersonCard {
                    id,
                    last_name: need(r, 2)?,
                    first_name: need(r, 3)?,
                    middle_name: text(r, 4)?,
                    birth_date: text(r, 5)?,
                    sex: text(r, 6)?,
                    snils: text(r, 7)?,
                    email: text(r, 8)?,
                    phone: text(r, 9)?,
                    enrolments: Vec::new(),
                    positions: Vec::new(),
                    parents: Vec::new(),
                    hidden: Vec::new(),
                    children: Vec::new(),
                })
            }
            "e" => enrolments.push(Enrolment {
                id: need(r, 1)?,
                organisation_id: r.try_get(2)?,
                organisation_name: need(r, 3)?,
                class_id: r.try_get(4)?,
                class_name: text(r, 5)?,
                started_on: need(r, 6)?,
                start_reason: need(r, 7)?,
                ended_on: text(r, 8)?,
                end_reason: text(r, 9)?,
            }),
            "s" => positions.push(StaffPosition {
                organisation_id: r.try_get(1)?,
                organisation_name: need(r, 2)?,
                position: need(r, 3)?,
                position_name: need(r, 4)?,
                started_on: need(r, 5)?,
            }),
            k @ ("p" | "c") => {
                let rel = Relative {
                    id: r.try_get(1)?,
                    last_name: need(r, 2)?,
                    first_name: need(r, 3)?,
                    middle_name: text(r, 4)?,
                    kind: need(r, 5)?,
                };
                let born = text(r, 6)?;
                if k == "p" {
                    parents.push(rel);
                } else {
                    children.push((born, rel));
                }
            }
            _ => {}
        }
    }
    let Some(mut card) = card else {
        return Ok(None);
    };
    enrolments.sort_by(|a, b| b.started_on.cmp(&a.started_on));
    positions.sort_by(|a, b| {
        (&a.organisation_name, &a.position_name).cmp(&(&b.organisation_name, &b.position_name))
    });
    parents.sort_by(|a, b| (&a.last_name, &a.first_name).cmp(&(&b.last_name, &b.first_name)));
    children.sort_by(|a, b| (&a.0, &a.1.first_name).cmp(&(&b.0, &b.1.first_name)));
    card.enrolments = enrolments;
    card.positions = positions;
    card.parents = parents;
    card.children = children.into_iter().map(|(_, r)| r).collect();
    Ok(Some(card))
}

pub async fn update_contacts<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: PersonId,
    email: Option<String>,
    phone: Option<String>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE persons SET email_confirmed = CASE WHEN COALESCE(email, '') = COALESCE($2, '') THEN email_confirmed ELSE 0 END, \
         email = $2, phone = $3, updated_at = $4 WHERE id = $1")
        .bind(id)
        .bind(email)
        .bind(phone)
        .bind(now_ms())
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn insert_change_request(
    db: &Db,
    person: PersonId,
    by: PersonId,
    input: &ChangeRequestInput,
) -> Result<String, sqlx::Error> {
    let id = uuid::Uuid::now_v7().to_string();
    sqlx::query(
        "INSERT INTO change_requests (id, person_id, requested_by, field, new_value, comment, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7)",
    )
    .bind(id.clone())
    .bind(person)
    .bind(by)
    .bind(&input.field)
    .bind(input.new_value.trim())
    .bind(input.comment.clone())
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    Ok(id)
}

/// The open stay of a student, if any: (enrolment id, organisation).
pub async fn open_enrolment(
    db: &Db,
    person: PersonId,
) -> Result<Option<(String, OrganisationId, String)>, sqlx::Error> {
    sqlx::query_as("SELECT id, organisation_id, started_on FROM enrolments WHERE person_id = $1 AND ended_on IS NULL")
        .bind(person)
        .fetch_optional(&db.pool)
        .await
}

pub async fn insert_class(
    db: &Db,
    id: ClassId,
    org: OrganisationId,
    c: &NewClass,
    name: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO classes (id, organisation_id, academic_year_id, grade_level, letter, name, class_teacher_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(org)
    .bind(c.academic_year_id)
    .bind(&c.grade_level)
    .bind(c.letter.trim())
    .bind(name)
    .bind(c.class_teacher_id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

pub async fn academic_year_org(
    db: &Db,
    id: parta_core::ids::AcademicYearId,
) -> Result<Option<OrganisationId>, sqlx::Error> {
    let r: Option<(OrganisationId,)> =
        sqlx::query_as("SELECT organisation_id FROM academic_years WHERE id = $1")
            .bind(id)
            .fetch_optional(&db.pool)
            .await?;
    Ok(r.map(|r| r.0))
}

pub async fn staff_of(db: &Db, person: PersonId, org: OrganisationId) -> Result<bool, sqlx::Error> {
    let r: Option<(String,)> = sqlx::query_as(
        "SELECT id FROM staff_positions WHERE person_id = $1 AND organisation_id = $2 AND ended_on IS NULL",
    )
    .bind(person)
    .bind(org)
    .fetch_optional(&db.pool)
    .await?;
    Ok(r.is_some())
}

pub async fn staff_list(
    db: &Db,
    org: OrganisationId,
) -> Result<Vec<(PersonBrief, String)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT p.id, p.last_name, p.first_name, p.middle_name, r.name FROM staff_positions s \
         JOIN persons p ON p.id = s.person_id JOIN ref_positions r ON r.code = s.position \
         WHERE s.organisation_id = $1 AND s.ended_on IS NULL ORDER BY p.last_name, p.first_name",
    )
    .bind(org)
    .fetch_all(&db.pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok((
                PersonBrief {
                    id: r.try_get(0)?,
                    last_name: r.try_get(1)?,
                    first_name: r.try_get(2)?,
                    middle_name: r.try_get(3)?,
                },
                r.try_get(4)?,
            ))
        })
        .collect()
}

pub async fn classes_by_ids(db: &Db, ids: &[ClassId]) -> Result<Vec<ClassSummary>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "{CLASS_SELECT} WHERE c.id IN ({}) ORDER BY LENGTH(c.grade_level), c.grade_level, c.letter",
        parta_db::placeholders(1, ids.len())
    );
    let mut q = sqlx::query_as(&sql);
    for id in ids {
        q = q.bind(*id);
    }
    q.fetch_all(&db.pool).await
}

/// Pending correction requests about people of a school (students, staff, parents of
/// students), oldest first.
pub async fn change_requests_of_org(
    db: &Db,
    org: OrganisationId,
) -> Result<Vec<ChangeRequest>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{CHANGE_SELECT} WHERE r.status = 'pending' AND ( \
           EXISTS (SELECT 1 FROM enrolments e WHERE e.person_id = r.person_id AND e.organisation_id = $1 AND e.ended_on IS NULL) \
           OR EXISTS (SELECT 1 FROM staff_positions s WHERE s.person_id = r.person_id AND s.organisation_id = $1 AND s.ended_on IS NULL) \
           OR EXISTS (SELECT 1 FROM guardianships g JOIN enrolments e ON e.person_id = g.child_id AND e.ended_on IS NULL \
                      WHERE g.parent_id = r.person_id AND e.organisation_id = $1)) \
         ORDER BY r.created_at"
    ))
    .bind(org)
    .fetch_all(&db.pool)
    .await
}

pub async fn change_request(db: &Db, id: &str) -> Result<Option<ChangeRequest>, sqlx::Error> {
    sqlx::query_as(&format!("{CHANGE_SELECT} WHERE r.id = $1"))
        .bind(id.to_string())
        .fetch_optional(&db.pool)
        .await
}

const CHANGE_SELECT: &str = "SELECT r.id, r.person_id, p.last_name || ' ' || p.first_name || COALESCE(' ' || p.middle_name, '') AS person_name, \
     r.requested_by, r.field, \
     CASE r.field WHEN 'last_name' THEN p.last_name WHEN 'first_name' THEN p.first_name WHEN 'middle_name' THEN p.middle_name \
                  WHEN 'birth_date' THEN p.birth_date WHEN 'snils' THEN p.snils END AS current_value, \
     r.new_value, r.comment, r.status, r.created_at FROM change_requests r JOIN persons p ON p.id = r.person_id";

// ---- administration writes (inside the caller's transaction) ----

/// The role a staff position gives: the head and deputies administer the school.
pub fn role_of_position(position: &str) -> &'static str {
    match position {
        "head" | "deputy_head" => "school_admin",
        _ => "teacher",
    }
}

/// Gives `person` the role in the scope unless they hold it already.
pub async fn ensure_role_in(
    conn: &mut sqlx::AnyConnection,
    person: PersonId,
    role: &str,
    org: Option<OrganisationId>,
    now: i64,
) -> Result<(), sqlx::Error> {
    let has: Option<(String,)> = sqlx::query_as(
        "SELECT id FROM role_assignments WHERE person_id = $1 AND role = $2 AND ended_at IS NULL \
         AND (organisation_id = $3 OR (organisation_id IS NULL AND $3 IS NULL))",
    )
    .bind(person)
    .bind(role.to_string())
    .bind(org)
    .fetch_optional(&mut *conn)
    .await?;
    if has.is_none() {
        sqlx::query("INSERT INTO role_assignments (id, person_id, role, organisation_id, personal_data_granted, created_at) VALUES ($1, $2, $3, $4, 0, $5)")
            .bind(parta_core::ids::RoleAssignmentId::new())
            .bind(person)
            .bind(role.to_string())
            .bind(org)
            .bind(now)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// A staff position from `started_on`, with the role it gives.
pub async fn add_position_in(
    conn: &mut sqlx::AnyConnection,
    person: PersonId,
    org: OrganisationId,
    position: &str,
    started_on: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO staff_positions (id, person_id, organisation_id, position, started_on) VALUES ($1, $2, $3, $4, $5)")
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(person)
        .bind(org)
        .bind(position.to_string())
        .bind(started_on.to_string())
        .execute(&mut *conn)
        .await?;
    ensure_role_in(conn, person, role_of_position(position), Some(org), now).await
}

/// Links a parent to a child (or changes the kind of the link).
pub async fn link_guardian_in(
    conn: &mut sqlx::AnyConnection,
    parent: PersonId,
    child: PersonId,
    kind: &str,
) -> Result<(), sqlx::Error> {
    let updated =
        sqlx::query("UPDATE guardianships SET kind = $3 WHERE parent_id = $1 AND child_id = $2")
            .bind(parent)
            .bind(child)
            .bind(kind.to_string())
            .execute(&mut *conn)
            .await?;
    if updated.rows_affected() == 0 {
        sqlx::query("INSERT INTO guardianships (parent_id, child_id, kind) VALUES ($1, $2, $3)")
            .bind(parent)
            .bind(child)
            .bind(kind.to_string())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The school's people: students (with their class), staff (with positions) and parents
/// of its students (with their children's classes), filtered by a name, at most `limit`.
pub async fn school_members(
    db: &Db,
    org: OrganisationId,
    name: &str,
    limit: i64,
) -> Result<Vec<SchoolMember>, sqlx::Error> {
    // Compared in Rust: SQLite's LOWER() knows only Latin letters.
    let wanted = name.trim().to_lowercase();
    let rows: Vec<(String, PersonId, String, String, Option<String>, String)> = sqlx::query_as(
        "SELECT * FROM ( \
           SELECT 'student' AS kind, p.id, p.last_name, p.first_name, p.middle_name, COALESCE(c.name, '') AS detail \
             FROM enrolments e JOIN persons p ON p.id = e.person_id LEFT JOIN classes c ON c.id = e.class_id \
             WHERE e.organisation_id = $1 AND e.ended_on IS NULL \
           UNION ALL SELECT 'staff', p.id, p.last_name, p.first_name, p.middle_name, r.name \
             FROM staff_positions s JOIN persons p ON p.id = s.person_id JOIN ref_positions r ON r.code = s.position \
             WHERE s.organisation_id = $1 AND s.ended_on IS NULL \
           UNION ALL SELECT 'parent', p.id, p.last_name, p.first_name, p.middle_name, COALESCE(c.name, '') \
             FROM guardianships g JOIN enrolments e ON e.person_id = g.child_id AND e.ended_on IS NULL AND e.organisation_id = $1 \
             JOIN persons p ON p.id = g.parent_id LEFT JOIN classes c ON c.id = e.class_id \
         ) m ORDER BY m.last_name, m.first_name, m.kind",
    )
    .bind(org)
    .fetch_all(&db.pool)
    .await?;
    // One line per person and kind; a parent of two children lists both classes.
    let mut out: Vec<SchoolMember> = Vec::new();
    for (kind, id, last, first, middle, detail) in rows {
        let matches = wanted.is_empty()
            || last.to_lowercase().starts_with(&wanted)
            || first.to_lowercase().starts_with(&wanted)
            || format!("{last} {first}")
                .to_lowercase()
                .starts_with(&wanted);
        if !matches {
            continue;
        }
        if let Some(m) = out.iter_mut().find(|m| m.person.id == id && m.kind == kind) {
            if !detail.is_empty() && !m.detail.split(", ").any(|d| d == detail) {
                m.detail = format!("{}, {detail}", m.detail);
            }
            continue;
        }
        out.push(SchoolMember {
            person: PersonBrief {
                id,
                last_name: last,
                first_name: first,
                middle_name: middle,
            },
            kind,
            detail,
        });
        if out.len() as i64 >= limit {
            break;
        }
    }
    Ok(out)
}

/// Puts students in a group (inside the caller's transaction).
pub async fn add_group_members_in(
    conn: &mut sqlx::AnyConnection,
    group: parta_core::ids::GroupId,
    members: &[PersonId],
) -> Result<(), sqlx::Error> {
    for m in members {
        sqlx::query("INSERT INTO group_members (group_id, person_id) VALUES ($1, $2)")
            .bind(group)
            .bind(*m)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
