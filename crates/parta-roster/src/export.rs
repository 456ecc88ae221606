//! OneRoster 1.2 CSV bulk export of one organisation in the 1.2 layout (roles in
//! `roles.csv`, a row per role a person holds); what it writes, `import` reads back
//! without changes (sourcedIds are the rows' source ids, or our own ids).

use parta_core::ids::OrganisationId;
use parta_db::Db;
use std::io::Write;

fn csv_file(headers: &[&str], rows: Vec<Vec<String>>) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(headers)?;
    for r in rows {
        w.write_record(
            r.iter()
                .map(|c| parta_core::text::spreadsheet_safe(c).into_owned()),
        )?;
    }
    w.into_inner()
        .map_err(|e| csv::Error::from(std::io::Error::other(e.to_string())))
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error("export: {0}")]
    Write(String),
}

pub type Rows = Vec<Vec<String>>;

// The columns of each file, in the order its rows hold them.
pub const ORG_COLS: &[&str] = &[
    "sourcedId",
    "status",
    "dateLastModified",
    "name",
    "type",
    "identifier",
    "parentSourcedId",
];

pub const YEAR_COLS: &[&str] = &[
    "sourcedId",
    "status",
    "dateLastModified",
    "title",
    "type",
    "startDate",
    "endDate",
    "parentSourcedId",
    "schoolYear",
];

pub const COURSE_COLS: &[&str] = &[
    "sourcedId",
    "status",
    "dateLastModified",
    "schoolYearSourcedId",
    "title",
    "courseCode",
    "grades",
    "orgSourcedId",
    "subjects",
    "subjectCodes",
];

pub const CLASS_COLS: &[&str] = &[
    "sourcedId",
    "status",
    "dateLastModified",
    "title",
    "grades",
    "courseSourcedId",
    "classCode",
    "classType",
    "location",
    "schoolSourcedId",
    "termSourcedIds",
    "subjects",
    "subjectCodes",
    "periods",
];

pub const USER_COLS: &[&str] = &[
    "sourcedId",
    "status",
    "dateLastModified",
    "enabledUser",
    "username",
    "userIds",
    "givenName",
    "familyName",
    "middleName",
    "identifier",
    "email",
    "sms",
    "phone",
    "agentSourcedIds",
    "grades",
    "password",
    "userMasterIdentifier",
    "resourceSourcedIds",
    "preferredGivenName",
    "preferredMiddleName",
    "preferredFamilyName",
    "primaryOrgSourcedId",
    "pronouns",
];

pub const ROLE_COLS: &[&str] = &[
    "sourcedId",
    "status",
    "dateLastModified",
    "userSourcedId",
    "roleType",
    "role",
    "beginDate",
    "endDate",
    "orgSourcedId",
    "userProfileSourcedId",
];

pub const ENROLLMENT_COLS: &[&str] = &[
    "sourcedId",
    "status",
    "dateLastModified",
    "classSourcedId",
    "schoolSourcedId",
    "userSourcedId",
    "role",
    "primary",
    "beginDate",
    "endDate",
];

pub const DEMOGRAPHIC_COLS: &[&str] = &[
    "sourcedId",
    "status",
    "dateLastModified",
    "birthDate",
    "sex",
];

async fn rows(db: &Db, sql: &str, org: OrganisationId) -> Result<Rows, sqlx::Error> {
    use sqlx::Row;
    let raw = sqlx::query(sql).bind(org).fetch_all(&db.pool).await?;
    Ok(raw
        .iter()
        .map(|r| {
            (0..r.len())
                .map(|i| {
                    r.try_get::<Option<String>, _>(i)
                        .ok()
                        .flatten()
                        .unwrap_or_default()
                })
                .collect()
        })
        .collect())
}

/// The school's latest academic year: members of its groups are its students now (those
/// of earlier years' groups are not exported as students).
const CURRENT_YEAR: &str =
    "SELECT y.id FROM academic_years y WHERE y.organisation_id = $1 ORDER BY y.starts_on DESC LIMIT 1";

/// The organisation's row of `orgs.csv` (its sourcedId is the first cell).
pub async fn orgs(db: &Db, org: OrganisationId) -> Result<Rows, sqlx::Error> {
    let mut r = rows(db, "SELECT COALESCE(source_id, id), 'active', CAST(updated_at AS TEXT), short_name, 'school', inn, '' FROM organisations WHERE id = $1", org).await?;
    dates(&mut r);
    Ok(r)
}

/// Column 2 (dateLastModified) from milliseconds to ISO 8601, where the row has it.
fn dates(rows: &mut Rows) {
    for r in rows {
        if let Some(ms) = r.get(2).and_then(|c| c.parse::<i64>().ok()) {
            r[2] = chrono::DateTime::from_timestamp_millis(ms)
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
                .unwrap_or_default();
        }
    }
}

/// `academicSessions.csv`: the school's years.
pub async fn years(db: &Db, org: OrganisationId) -> Result<Rows, sqlx::Error> {
    rows(
        db,
        "SELECT COALESCE(source_id, id), 'active', '', name, 'schoolYear', starts_on, ends_on, '', SUBSTR(ends_on, 1, 4) FROM academic_years WHERE organisation_id = $1 ORDER BY starts_on",
        org,
    )
    .await
}

/// `courses.csv`: a course per grade of homerooms and per subject of groups.
pub async fn courses(db: &Db, org: OrganisationId, school: &str) -> Result<Rows, sqlx::Error> {
    // Homerooms need a course; subject groups carry theirs (courseCode = subject code).
    let courses = rows(
        db,
        "SELECT DISTINCT 'homeroom-' || c.grade_level, 'active', '', '', 'Класс ' || c.grade_level, 'homeroom', c.grade_level, '', '', '' FROM classes c WHERE c.organisation_id = $1 \
         UNION SELECT DISTINCT 'subject-' || g.subject_code, 'active', '', '', s.name, g.subject_code, '', '', '', '' FROM study_groups g JOIN ref_subjects s ON s.code = g.subject_code WHERE g.organisation_id = $1",
        org,
    )
    .await?;
    Ok(courses
        .into_iter()
        .map(|mut r| {
            // Course ids are the school's own (two schools both have «homeroom-5»).
            r[0] = format!("{school}-{}", r[0]);
            r[7] = school.to_string();
            r
        })
        .collect())
}

/// `classes.csv`: homerooms and subject groups.
pub async fn classes(db: &Db, org: OrganisationId, school: &str) -> Result<Rows, sqlx::Error> {
    let classes = rows(
        db,
        "SELECT COALESCE(c.source_id, c.id), 'active', '', c.name, c.grade_level, 'homeroom-' || c.grade_level, c.name, 'homeroom', '', '', COALESCE(y.source_id, y.id), '', '', '' \
         FROM classes c JOIN academic_years y ON y.id = c.academic_year_id WHERE c.organisation_id = $1 \
         UNION ALL SELECT COALESCE(g.source_id, g.id), 'active', '', g.name, '', 'subject-' || g.subject_code, g.name, 'scheduled', '', '', COALESCE(y.source_id, y.id), '', g.subject_code, '' \
         FROM study_groups g JOIN academic_years y ON y.id = g.academic_year_id WHERE g.organisation_id = $1",
        org,
    )
    .await?;
    Ok(classes
        .into_iter()
        .map(|mut r| {
            r[5] = format!("{school}-{}", r[5]);
            r[9] = school.to_string();
            r
        })
        .collect())
}

/// `users.csv`, `roles.csv` and `demographics.csv`.
pub struct People {
    pub users: Rows,
    pub roles: Rows,
    pub demographics: Rows,
}

/// The school's people.
pub async fn people(db: &Db, org: OrganisationId, school: &str) -> Result<People, sqlx::Error> {
    // People: current students (in a class, or only in subject groups), their parents,
    // staff — a row per role, so a teacher who is a parent here keeps both. `CROSS JOIN`
    // keeps the school's few people outermost (SQLite's planner would otherwise walk every
    // person and guardianship of the region in name order); PostgreSQL plans it freely.
    let people_sql = "WITH s AS (SELECT person_id AS id, 'student' AS role FROM enrolments WHERE organisation_id = $1 AND ended_on IS NULL \
              UNION SELECT m.person_id, 'student' FROM group_members m JOIN study_groups g ON g.id = m.group_id WHERE g.organisation_id = $1 AND g.academic_year_id = (CURRENT_YEAR)), \
         p AS (SELECT DISTINCT g.parent_id AS id, CASE WHEN g.kind = 'guardian' THEN 'guardian' ELSE 'parent' END AS role FROM s CROSS JOIN guardianships g WHERE g.child_id = s.id), \
         t AS (SELECT DISTINCT person_id AS id, CASE WHEN position IN ('head', 'deputy_head') THEN 'administrator' ELSE 'teacher' END AS role FROM staff_positions WHERE organisation_id = $1 AND ended_on IS NULL), \
         everyone AS (SELECT * FROM s UNION SELECT * FROM p UNION SELECT * FROM t) \
         SELECT COALESCE(x.source_id, x.id), 'active', CAST(x.updated_at AS TEXT), 'true', COALESCE(a.login, ''), CASE WHEN x.snils IS NULL THEN '' ELSE '{snils:' || x.snils || '}' END, \
         x.first_name, x.last_name, COALESCE(x.middle_name, ''), '', COALESCE(x.email, ''), '', COALESCE(x.phone, ''), \
         COALESCE((SELECT GROUP_CONCAT_PLACEHOLDER FROM guardianships g JOIN persons pp ON pp.id = g.parent_id WHERE g.child_id = x.id AND e.role = 'student'), ''), \
         e.role, COALESCE(x.birth_date, ''), COALESCE(x.sex, ''), \
         CASE WHEN e.role = 'student' THEN COALESCE(gr.grade, '') ELSE '' END \
         FROM everyone e CROSS JOIN persons x LEFT JOIN accounts a ON a.person_id = x.id \
         LEFT JOIN (SELECT en.person_id, MAX(c.grade_level) AS grade FROM enrolments en JOIN classes c ON c.id = en.class_id \
              WHERE en.organisation_id = $1 AND en.ended_on IS NULL GROUP BY en.person_id) gr ON gr.person_id = x.id \
         WHERE x.id = e.id \
         ORDER BY x.last_name, x.first_name, x.id, CASE WHEN e.role IN ('parent', 'guardian') THEN 1 ELSE 0 END, e.role";
    let agg = match db.backend {
        parta_db::Backend::Sqlite => "GROUP_CONCAT(COALESCE(pp.source_id, pp.id), ',')",
        parta_db::Backend::Postgres => "STRING_AGG(COALESCE(pp.source_id, pp.id), ',')",
    };
    let mut people = rows(
        db,
        &people_sql
            .replace("GROUP_CONCAT_PLACEHOLDER", agg)
            .replace("CURRENT_YEAR", CURRENT_YEAR),
        org,
    )
    .await?;
    dates(&mut people);
    // Columns of a row: 0 sourcedId … 12 phone, 13 agents (of a student), 14 role,
    // 15 birth date, 16 sex, 17 grade (of a student's class).
    let mut users: Rows = Vec::new();
    let mut roles: Rows = Vec::new();
    let mut demographics: Rows = Vec::new();
    for r in people {
        let sid = r[0].clone();
        let first_of_person = users.last().is_none_or(|u: &Vec<String>| u[0] != sid);
        roles.push(vec![
            format!("{sid}-{}", r[14]),
            "active".into(),
            String::new(),
            sid.clone(),
            if first_of_person {
                "primary"
            } else {
                "secondary"
            }
            .into(),
            r[14].clone(),
            String::new(),
            String::new(),
            school.to_string(),
            String::new(),
        ]);
        if first_of_person {
            if !r[15].is_empty() || !r[16].is_empty() {
                demographics.push(vec![
                    sid.clone(),
                    "active".into(),
                    String::new(),
                    r[15].clone(),
                    r[16].clone(),
                ]);
            }
            let mut u: Vec<String> = r[..14].to_vec();
            // grades, password, userMasterIdentifier, resourceSourcedIds,
            // preferred names, primaryOrgSourcedId, pronouns.
            u.extend([
                r[17].clone(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                if r[14] == "parent" || r[14] == "guardian" {
                    String::new()
                } else {
                    school.to_string()
                },
                String::new(),
            ]);
            users.push(u);
        } else if !r[13].is_empty() || !r[17].is_empty() {
            // The student's row of a person listed first in another role: their parents
            // and grade.
            if let Some(u) = users.last_mut() {
                if !r[13].is_empty() {
                    u[13] = r[13].clone();
                }
                if !r[17].is_empty() {
                    u[14] = r[17].clone();
                }
            }
        }
    }
    Ok(People {
        users,
        roles,
        demographics,
    })
}

/// `enrollments.csv`: students of classes and groups, class teachers, group teachers.
pub async fn enrollments(db: &Db, org: OrganisationId, school: &str) -> Result<Rows, sqlx::Error> {
    let enrollments = rows(
        db,
        &"SELECT COALESCE(e.source_id, e.id), 'active', CAST(e.created_at AS TEXT), COALESCE(c.source_id, c.id), '', COALESCE(x.source_id, x.id), 'student', 'false', e.started_on, '' \
         FROM enrolments e JOIN classes c ON c.id = e.class_id JOIN persons x ON x.id = e.person_id WHERE e.organisation_id = $1 AND e.ended_on IS NULL \
         UNION ALL SELECT 'ct-' || c.id, 'active', '', COALESCE(c.source_id, c.id), '', COALESCE(x.source_id, x.id), 'teacher', 'true', '', '' \
         FROM classes c JOIN persons x ON x.id = c.class_teacher_id WHERE c.organisation_id = $1 \
         UNION ALL SELECT 'ta-' || a.id, 'active', '', COALESCE(g.source_id, g.id), '', COALESCE(x.source_id, x.id), 'teacher', 'false', '', '' \
         FROM teaching_assignments a JOIN study_groups g ON g.id = a.group_id JOIN persons x ON x.id = a.teacher_id WHERE g.organisation_id = $1 \
         UNION ALL SELECT 'gm-' || g.id || '-' || x.id, 'active', '', COALESCE(g.source_id, g.id), '', COALESCE(x.source_id, x.id), 'student', 'false', '', '' \
         FROM group_members m JOIN study_groups g ON g.id = m.group_id JOIN persons x ON x.id = m.person_id WHERE g.organisation_id = $1 AND g.academic_year_id = (CURRENT_YEAR)"
            .replace("CURRENT_YEAR", CURRENT_YEAR),
        org,
    )
    .await?;
    let mut enrollments = enrollments;
    dates(&mut enrollments);
    Ok(enrollments
        .into_iter()
        .map(|mut r| {
            r[4] = school.to_string();
            r
        })
        .collect())
}

/// The organisation as a OneRoster ZIP.
pub async fn export(db: &Db, org: OrganisationId) -> Result<Vec<u8>, ExportError> {
    let orgs = orgs(db, org).await?;
    let years = years(db, org).await?;
    let school = orgs.first().map(|r| r[0].clone()).unwrap_or_default();
    let courses = courses(db, org, &school).await?;
    let classes = classes(db, org, &school).await?;
    let People {
        users,
        roles,
        demographics,
    } = people(db, org, &school).await?;
    let enrollments = enrollments(db, org, &school).await?;

    let w = |e: csv::Error| ExportError::Write(e.to_string());
    let files: Vec<(&str, Vec<u8>)> = vec![
        (
            "manifest.csv",
            csv_file(&["propertyName", "value"], manifest()).map_err(w)?,
        ),
        ("orgs.csv", csv_file(ORG_COLS, orgs).map_err(w)?),
        (
            "academicSessions.csv",
            csv_file(YEAR_COLS, years).map_err(w)?,
        ),
        ("courses.csv", csv_file(COURSE_COLS, courses).map_err(w)?),
        ("classes.csv", csv_file(CLASS_COLS, classes).map_err(w)?),
        ("users.csv", csv_file(USER_COLS, users).map_err(w)?),
        ("roles.csv", csv_file(ROLE_COLS, roles).map_err(w)?),
        (
            "enrollments.csv",
            csv_file(ENROLLMENT_COLS, enrollments).map_err(w)?,
        ),
        (
            "demographics.csv",
            csv_file(DEMOGRAPHIC_COLS, demographics).map_err(w)?,
        ),
    ];
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in files {
        zip.start_file(name, opts)
            .map_err(|e| ExportError::Write(e.to_string()))?;
        zip.write_all(&bytes)
            .map_err(|e| ExportError::Write(e.to_string()))?;
    }
    Ok(zip
        .finish()
        .map_err(|e| ExportError::Write(e.to_string()))?
        .into_inner())
}

fn manifest() -> Vec<Vec<String>> {
    let mut m = vec![
        vec!["manifest.version".to_string(), "1.0".to_string()],
        vec!["oneroster.version".to_string(), "1.2".to_string()],
    ];
    for f in [
        "academicSessions",
        "classes",
        "courses",
        "demographics",
        "enrollments",
        "orgs",
        "roles",
        "users",
    ] {
        m.push(vec![format!("file.{f}"), "bulk".to_string()]);
    }
    // The 1.2 files this export does not write.
    for f in [
        "categories",
        "classResources",
        "courseResources",
        "lineItems",
        "resources",
        "results",
        "userProfiles",
    ] {
        m.push(vec![format!("file.{f}"), "absent".to_string()]);
    }
    m.push(vec!["source.systemName".to_string(), "Parta".to_string()]);
    m
}
