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

type Rows = Vec<Vec<String>>;

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

/// The organisation as a OneRoster ZIP.
pub async fn export(db: &Db, org: OrganisationId) -> Result<Vec<u8>, ExportError> {
    let orgs = rows(db, "SELECT COALESCE(source_id, id), 'active', '', short_name, 'school', inn, '' FROM organisations WHERE id = $1", org).await?;
    let years = rows(
        db,
        "SELECT COALESCE(source_id, id), 'active', '', name, 'schoolYear', starts_on, ends_on, '', SUBSTR(ends_on, 1, 4) FROM academic_years WHERE organisation_id = $1 ORDER BY starts_on",
        org,
    )
    .await?;
    let school = orgs.first().map(|r| r[0].clone()).unwrap_or_default();
    // Homerooms need a course; subject groups carry theirs (courseCode = subject code).
    let courses = rows(
        db,
        "SELECT DISTINCT 'homeroom-' || c.grade_level, 'active', '', '', 'Класс ' || c.grade_level, 'homeroom', c.grade_level, '', '', '' FROM classes c WHERE c.organisation_id = $1 \
         UNION SELECT DISTINCT 'subject-' || g.subject_code, 'active', '', '', s.name, g.subject_code, '', '', '', '' FROM study_groups g JOIN ref_subjects s ON s.code = g.subject_code WHERE g.organisation_id = $1",
        org,
    )
    .await?;
    let courses: Rows = courses
        .into_iter()
        .map(|mut r| {
            r[7] = school.clone();
            r
        })
        .collect();
    let classes = rows(
        db,
        "SELECT COALESCE(c.source_id, c.id), 'active', '', c.name, c.grade_level, 'homeroom-' || c.grade_level, c.name, 'homeroom', '', '', COALESCE(y.source_id, y.id), '', '', '' \
         FROM classes c JOIN academic_years y ON y.id = c.academic_year_id WHERE c.organisation_id = $1 \
         UNION ALL SELECT COALESCE(g.source_id, g.id), 'active', '', g.name, '', 'subject-' || g.subject_code, g.name, 'scheduled', '', '', COALESCE(y.source_id, y.id), '', g.subject_code, '' \
         FROM study_groups g JOIN academic_years y ON y.id = g.academic_year_id WHERE g.organisation_id = $1",
        org,
    )
    .await?;
    let classes: Rows = classes
        .into_iter()
        .map(|mut r| {
            r[9] = school.clone();
            r
        })
        .collect();
    // People: current students (in a class, or only in subject groups), their parents,
    // staff — a row per role, so a teacher who is a parent here keeps both.
    let people_sql = "WITH s AS (SELECT person_id AS id, 'student' AS role FROM enrolments WHERE organisation_id = $1 AND ended_on IS NULL \
              UNION SELECT m.person_id, 'student' FROM group_members m JOIN study_groups g ON g.id = m.group_id WHERE g.organisation_id = $1 AND g.academic_year_id = (CURRENT_YEAR)), \
         p AS (SELECT DISTINCT g.parent_id AS id, CASE WHEN g.kind = 'guardian' THEN 'guardian' ELSE 'parent' END AS role FROM guardianships g JOIN s ON s.id = g.child_id), \
         t AS (SELECT DISTINCT person_id AS id, CASE WHEN position IN ('head', 'deputy_head') THEN 'administrator' ELSE 'teacher' END AS role FROM staff_positions WHERE organisation_id = $1 AND ended_on IS NULL), \
         everyone AS (SELECT * FROM s UNION SELECT * FROM p UNION SELECT * FROM t) \
         SELECT COALESCE(x.source_id, x.id), 'active', '', 'true', COALESCE(a.login, ''), CASE WHEN x.snils IS NULL THEN '' ELSE '{snils:' || x.snils || '}' END, \
         x.first_name, x.last_name, COALESCE(x.middle_name, ''), '', COALESCE(x.email, ''), '', COALESCE(x.phone, ''), \
         COALESCE((SELECT GROUP_CONCAT_PLACEHOLDER FROM guardianships g JOIN persons pp ON pp.id = g.parent_id WHERE g.child_id = x.id AND e.role = 'student'), ''), \
         e.role, COALESCE(x.birth_date, ''), COALESCE(x.sex, '') \
         FROM everyone e JOIN persons x ON x.id = e.id LEFT JOIN accounts a ON a.person_id = x.id \
         ORDER BY x.last_name, x.first_name, x.id, CASE WHEN e.role IN ('parent', 'guardian') THEN 1 ELSE 0 END, e.role";
    let agg = match db.backend {
        parta_db::Backend::Sqlite => "GROUP_CONCAT(COALESCE(pp.source_id, pp.id), ',')",
        parta_db::Backend::Postgres => "STRING_AGG(COALESCE(pp.source_id, pp.id), ',')",
    };
    let people = rows(
        db,
        &people_sql
            .replace("GROUP_CONCAT_PLACEHOLDER", agg)
            .replace("CURRENT_YEAR", CURRENT_YEAR),
        org,
    )
    .await?;
    // Columns of a row: 0 sourcedId … 12 phone, 13 agents (of a student), 14 role,
    // 15 birth date, 16 sex.
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
            school.clone(),
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
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                if r[14] == "parent" || r[14] == "guardian" {
                    String::new()
                } else {
                    school.clone()
                },
                String::new(),
            ]);
            users.push(u);
        } else if !r[13].is_empty() {
            // The student's row of a person listed first in another role: their parents.
            if let Some(u) = users.last_mut() {
                u[13] = r[13].clone();
            }
        }
    }
    let enrollments = rows(
        db,
        &"SELECT COALESCE(e.source_id, e.id), 'active', '', COALESCE(c.source_id, c.id), '', COALESCE(x.source_id, x.id), 'student', 'false', e.started_on, '' \
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
    let enrollments: Rows = enrollments
        .into_iter()
        .map(|mut r| {
            r[4] = school.clone();
            r
        })
        .collect();

    let w = |e: csv::Error| ExportError::Write(e.to_string());
    let files: Vec<(&str, Vec<u8>)> = vec![
        (
            "manifest.csv",
            csv_file(&["propertyName", "value"], manifest()).map_err(w)?,
        ),
        (
            "orgs.csv",
            csv_file(
                &[
                    "sourcedId",
                    "status",
                    "dateLastModified",
                    "name",
                    "type",
                    "identifier",
                    "parentSourcedId",
                ],
                orgs,
            )
            .map_err(w)?,
        ),
        (
            "academicSessions.csv",
            csv_file(
                &[
                    "sourcedId",
                    "status",
                    "dateLastModified",
                    "title",
                    "type",
                    "startDate",
                    "endDate",
                    "parentSourcedId",
                    "schoolYear",
                ],
                years,
            )
            .map_err(w)?,
        ),
        (
            "courses.csv",
            csv_file(
                &[
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
                ],
                courses,
            )
            .map_err(w)?,
        ),
        (
            "classes.csv",
            csv_file(
                &[
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
                ],
                classes,
            )
            .map_err(w)?,
        ),
        (
            "users.csv",
            csv_file(
                &[
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
                ],
                users,
            )
            .map_err(w)?,
        ),
        (
            "roles.csv",
            csv_file(
                &[
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
                ],
                roles,
            )
            .map_err(w)?,
        ),
        (
            "enrollments.csv",
            csv_file(
                &[
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
                ],
                enrollments,
            )
            .map_err(w)?,
        ),
        (
            "demographics.csv",
            csv_file(
                &[
                    "sourcedId",
                    "status",
                    "dateLastModified",
                    "birthDate",
                    "sex",
                ],
                demographics,
            )
            .map_err(w)?,
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
