//! The OneRoster 1.2 JSON objects of a school, made from the same rows the CSV export
//! writes (so the REST answer and the package always agree): a column `xSourcedId`
//! becomes the reference `x` (a GUIDRef), `xSourcedIds` the list `xs`, list columns
//! (`grades`, `subjects`, …) become arrays, `enabledUser` and `primary` the strings `"true"`/`"false"`.

use crate::export::{self, Rows};
use parta_core::ids::OrganisationId;
use parta_db::Db;
use serde_json::{json, Map, Value};

/// Where the REST binding of the Rostering service lives.
pub const BASE: &str = "/ims/oneroster/rostering/v1p2";

/// A reference to another object: `{href, sourcedId, type}`.
pub fn guid_ref(kind: &str, id: &str) -> Value {
    let collection = match kind {
        "org" => "orgs",
        "academicSession" => "academicSessions",
        "course" => "courses",
        "class" => "classes",
        "user" => "users",
        "resource" => "resources",
        "userProfile" => "userProfiles",
        _ => "objects",
    };
    json!({"href": format!("{BASE}/{collection}/{id}"), "sourcedId": id, "type": kind})
}

/// What a reference column points at, by its JSON name.
fn ref_kind(name: &str, parent_kind: &str) -> &'static str {
    match name {
        "parent" | "children" if parent_kind == "academicSession" => "academicSession",
        "parent" | "children" | "org" | "school" | "primaryOrg" | "orgs" => "org",
        "schoolYear" | "terms" => "academicSession",
        "course" => "course",
        "class" => "class",
        "user" | "agents" => "user",
        "userProfile" => "userProfile",
        _ => "resource",
    }
}

const LISTS: &[&str] = &["grades", "subjects", "subjectCodes", "periods"];
/// `"true"` / `"false"`: the binding's TrueFalseEnum is a string, not a JSON boolean.
const BOOLS: &[&str] = &["enabledUser", "primary"];
/// CSV names the JSON binding spells differently.
const RENAMED: &[(&str, &str)] = &[
    ("preferredGivenName", "preferredFirstName"),
    ("preferredFamilyName", "preferredLastName"),
];
/// Never answered (a password is not data to hand out).
const NEVER: &[&str] = &["password"];

fn list(cell: &str) -> Vec<String> {
    cell.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// A row as its JSON object. `kind` is the object's own type (for its parent's kind);
/// `now` fills `dateLastModified` where the platform keeps no time of change (so a
/// client asking for what changed since a date never misses it).
pub fn object(cols: &[&str], row: &[String], kind: &str, now: &str) -> Map<String, Value> {
    let mut m = Map::new();
    for (col, cell) in cols.iter().zip(row) {
        let col = *col;
        if NEVER.contains(&col) {
            continue;
        }
        if col == "dateLastModified" {
            let at = if cell.is_empty() { now } else { cell.as_str() };
            m.insert(col.into(), Value::String(at.to_string()));
        } else if let Some(base) = col.strip_suffix("SourcedIds") {
            let name = format!("{base}s");
            let refs: Vec<Value> = list(cell)
                .iter()
                .map(|id| guid_ref(ref_kind(&name, kind), id))
                .collect();
            m.insert(name, Value::Array(refs));
        } else if let Some(base) = col.strip_suffix("SourcedId").filter(|b| !b.is_empty()) {
            if !cell.is_empty() {
                m.insert(base.into(), guid_ref(ref_kind(base, kind), cell));
            }
        } else if LISTS.contains(&col) {
            m.insert(col.into(), json!(list(cell)));
        } else if BOOLS.contains(&col) {
            let b = if cell == "true" { "true" } else { "false" };
            m.insert(col.into(), Value::String(b.into()));
        } else if col == "userIds" {
            // `{snils:123-456-789 00}` → [{type: snils, identifier: …}]
            let ids: Vec<Value> = cell
                .split('}')
                .filter_map(|p| p.trim_start_matches([',', ' ', '{']).split_once(':'))
                .map(|(t, id)| json!({"type": t, "identifier": id}))
                .collect();
            m.insert(col.into(), Value::Array(ids));
        } else if !cell.is_empty() || matches!(col, "sourcedId" | "status") {
            let name = RENAMED
                .iter()
                .find(|(c, _)| *c == col)
                .map_or(col, |(_, j)| *j);
            m.insert(name.into(), Value::String(cell.clone()));
        }
    }
    m
}

fn objects(cols: &[&str], rows: &Rows, kind: &str, now: &str) -> Vec<Value> {
    rows.iter()
        .map(|r| Value::Object(object(cols, r, kind, now)))
        .collect()
}

/// The school's sourcedId and its org object (type `school`, its municipality as the
/// parent district).
pub async fn school(
    db: &Db,
    org: OrganisationId,
    now: &str,
) -> Result<(String, Value), sqlx::Error> {
    let rows = export::orgs(db, org).await?;
    let sid = rows.first().map(|r| r[0].clone()).unwrap_or_default();
    let mut o = rows
        .first()
        .map(|r| object(export::ORG_COLS, r, "org", now))
        .unwrap_or_default();
    let district: Option<(String, String)> = sqlx::query_as(
        "SELECT m.id, m.name FROM organisations o JOIN municipalities m ON m.id = o.municipality_id WHERE o.id = $1",
    )
    .bind(org)
    .fetch_optional(&db.pool)
    .await?;
    if let Some((id, _)) = district {
        o.insert("parent".into(), guid_ref("org", &id));
    }
    o.insert("children".into(), json!([]));
    Ok((sid, Value::Object(o)))
}

/// The districts (municipalities) of these schools, as orgs of type `district`.
pub async fn districts(
    db: &Db,
    orgs: &[(OrganisationId, String)],
    now: &str,
) -> Result<Vec<Value>, sqlx::Error> {
    let mut by_id: std::collections::BTreeMap<String, (String, Vec<String>)> = Default::default();
    for (org, sid) in orgs {
        let d: Option<(String, String)> = sqlx::query_as(
            "SELECT m.id, m.name FROM organisations o JOIN municipalities m ON m.id = o.municipality_id WHERE o.id = $1",
        )
        .bind(*org)
        .fetch_optional(&db.pool)
        .await?;
        if let Some((id, name)) = d {
            by_id
                .entry(id)
                .or_insert((name, Vec::new()))
                .1
                .push(sid.clone());
        }
    }
    Ok(by_id
        .into_iter()
        .map(|(id, (name, schools))| {
            json!({
                "sourcedId": id, "status": "active", "dateLastModified": now,
                "name": name, "type": "district",
                "children": schools.iter().map(|s| guid_ref("org", s)).collect::<Vec<_>>(),
            })
        })
        .collect())
}

/// Academic sessions: the school's years (`schoolYear`) and its study periods —
/// четверти, триместры — as `gradingPeriod`s of their year.
pub async fn sessions(db: &Db, org: OrganisationId, now: &str) -> Result<Vec<Value>, sqlx::Error> {
    let years = export::years(db, org).await?;
    let periods: Vec<(String, String, String, String, String, String)> = sqlx::query_as(
        "SELECT p.id, p.name, p.starts_on, p.ends_on, COALESCE(y.source_id, y.id), SUBSTR(y.ends_on, 1, 4) \
         FROM study_periods p JOIN academic_years y ON y.id = p.academic_year_id WHERE p.organisation_id = $1 ORDER BY p.starts_on, p.name",
    )
    .bind(org)
    .fetch_all(&db.pool)
    .await?;
    let mut out = Vec::new();
    for y in &years {
        let mut o = object(export::YEAR_COLS, y, "academicSession", now);
        let children: Vec<Value> = periods
            .iter()
            .filter(|p| p.4 == y[0])
            .map(|p| guid_ref("academicSession", &p.0))
            .collect();
        o.insert("children".into(), Value::Array(children));
        out.push(Value::Object(o));
    }
    for (id, name, from, to, year, school_year) in periods {
        out.push(json!({
            "sourcedId": id, "status": "active", "dateLastModified": now,
            "title": name, "type": "gradingPeriod", "startDate": from, "endDate": to,
            "parent": guid_ref("academicSession", &year), "children": [], "schoolYear": school_year,
        }));
    }
    Ok(out)
}

pub async fn courses(
    db: &Db,
    org: OrganisationId,
    school: &str,
    now: &str,
) -> Result<Vec<Value>, sqlx::Error> {
    Ok(objects(
        export::COURSE_COLS,
        &export::courses(db, org, school).await?,
        "course",
        now,
    ))
}

pub async fn classes(
    db: &Db,
    org: OrganisationId,
    school: &str,
    now: &str,
) -> Result<Vec<Value>, sqlx::Error> {
    Ok(objects(
        export::CLASS_COLS,
        &export::classes(db, org, school).await?,
        "class",
        now,
    ))
}

pub async fn enrollments(
    db: &Db,
    org: OrganisationId,
    school: &str,
    now: &str,
) -> Result<Vec<Value>, sqlx::Error> {
    Ok(objects(
        export::ENROLLMENT_COLS,
        &export::enrollments(db, org, school).await?,
        "enrollment",
        now,
    ))
}

/// Users with their roles (`roles: [{roleType, role, org}]`), and the demographics.
pub async fn people(
    db: &Db,
    org: OrganisationId,
    school: &str,
    now: &str,
) -> Result<(Vec<Value>, Vec<Value>), sqlx::Error> {
    let p = export::people(db, org, school).await?;
    let mut roles: std::collections::HashMap<&str, Vec<Value>> = Default::default();
    for r in &p.roles {
        // userSourcedId (3), roleType (4), role (5), beginDate (6), endDate (7), org (8)
        let mut role = json!({"roleType": r[4], "role": r[5], "org": guid_ref("org", &r[8])});
        for (i, name) in [(6, "beginDate"), (7, "endDate")] {
            if !r[i].is_empty() {
                role[name] = Value::String(r[i].clone());
            }
        }
        roles.entry(r[3].as_str()).or_default().push(role);
    }
    let users = p
        .users
        .iter()
        .map(|u| {
            let mut o = object(export::USER_COLS, u, "user", now);
            o.insert(
                "roles".into(),
                Value::Array(roles.remove(u[0].as_str()).unwrap_or_default()),
            );
            o.insert("userProfiles".into(), json!([]));
            Value::Object(o)
        })
        .collect();
    Ok((
        users,
        objects(
            export::DEMOGRAPHIC_COLS,
            &p.demographics,
            "demographics",
            now,
        ),
    ))
}

/// Whether a user holds `role` (`student`, `teacher`, …) in one of their roles.
pub fn has_role(user: &Value, role: &str) -> bool {
    user["roles"]
        .as_array()
        .is_some_and(|rs| rs.iter().any(|r| r["role"] == role))
}

/// The fields each collection's objects may have (for `filter`, `sort` and `fields`).
pub mod fields {
    pub const ORG: &[&str] = &[
        "sourcedId",
        "status",
        "dateLastModified",
        "metadata",
        "name",
        "type",
        "identifier",
        "parent",
        "children",
    ];
    pub const SESSION: &[&str] = &[
        "sourcedId",
        "status",
        "dateLastModified",
        "metadata",
        "title",
        "startDate",
        "endDate",
        "type",
        "parent",
        "children",
        "schoolYear",
    ];
    pub const COURSE: &[&str] = &[
        "sourcedId",
        "status",
        "dateLastModified",
        "metadata",
        "title",
        "schoolYear",
        "courseCode",
        "grades",
        "subjects",
        "org",
        "subjectCodes",
        "resources",
    ];
    pub const CLASS: &[&str] = &[
        "sourcedId",
        "status",
        "dateLastModified",
        "metadata",
        "title",
        "classCode",
        "classType",
        "location",
        "grades",
        "subjects",
        "course",
        "school",
        "terms",
        "subjectCodes",
        "periods",
        "resources",
    ];
    pub const USER: &[&str] = &[
        "sourcedId",
        "status",
        "dateLastModified",
        "metadata",
        "userMasterIdentifier",
        "username",
        "userIds",
        "enabledUser",
        "givenName",
        "familyName",
        "middleName",
        "preferredFirstName",
        "preferredMiddleName",
        "preferredLastName",
        "pronouns",
        "roles",
        "userProfiles",
        "identifier",
        "email",
        "sms",
        "phone",
        "agents",
        "grades",
        "resources",
        "primaryOrg",
    ];
    pub const ENROLLMENT: &[&str] = &[
        "sourcedId",
        "status",
        "dateLastModified",
        "metadata",
        "user",
        "class",
        "school",
        "role",
        "primary",
        "beginDate",
        "endDate",
    ];
    pub const DEMOGRAPHICS: &[&str] = &[
        "sourcedId",
        "status",
        "dateLastModified",
        "metadata",
        "birthDate",
        "sex",
        "americanIndianOrAlaskaNative",
        "asian",
        "blackOrAfricanAmerican",
        "nativeHawaiianOrOtherPacificIslander",
        "white",
        "demographicRaceTwoOrMoreRaces",
        "hispanicOrLatinoEthnicity",
        "countryOfBirthCode",
        "stateOfBirthAbbreviation",
        "cityOfBirth",
        "publicSchoolResidenceStatus",
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_becomes_the_json_binding() {
        let row: Vec<String> = [
            "u1",
            "active",
            "",
            "true",
            "ivanova",
            "{snils:112-233-445 95}",
            "Анна",
            "Иванова",
            "",
            "",
            "a@b.ru",
            "",
            "",
            "p1,p2",
            "05",
            "secret",
            "",
            "",
            "Аня",
            "",
            "",
            "s1",
            "",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let o = Value::Object(object(
            export::USER_COLS,
            &row,
            "user",
            "2026-11-30T00:00:00.000Z",
        ));
        assert_eq!(o["enabledUser"], "true");
        assert_eq!(o["dateLastModified"], "2026-11-30T00:00:00.000Z");
        assert_eq!(
            o["userIds"],
            json!([{"type": "snils", "identifier": "112-233-445 95"}])
        );
        assert_eq!(o["agents"][1]["sourcedId"], "p2");
        assert_eq!(o["agents"][1]["type"], "user");
        assert_eq!(o["primaryOrg"]["href"], format!("{BASE}/orgs/s1"));
        assert_eq!(o["grades"], json!(["05"]));
        assert_eq!(o["preferredFirstName"], "Аня");
        assert!(o.get("password").is_none(), "never answered");
        assert!(
            o.get("middleName").is_none(),
            "empty optional fields are left out"
        );
    }
}
