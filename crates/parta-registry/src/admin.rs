//! Школьная администрация: what a school's administration does with its people in the
//! browser — correct a card, link a parent to a child, staff positions and leaving,
//! moving a student to another class, and the end of the school year (перевод в
//! следующий класс, выпуск). History is kept: stays and positions end, nothing is deleted.

use crate::model::*;
use crate::service::{Origin, Registry, Result};
use crate::store;
use crate::RegistryError;
use parta_core::ids::{AcademicYearId, ClassId, OrganisationId, PersonId};
use parta_core::policy::Operation;
use parta_core::principal::Principal;
use parta_core::time::now_ms;
use parta_core::FieldError;
use parta_db::audit::{AuditEntry, AuditLog};

/// People the school's list shows at once (a name narrows it).
pub const MEMBERS_SHOWN: i64 = 300;

fn entry(p: &Principal, origin: &Origin, action: &'static str, object: &'static str) -> AuditEntry {
    AuditEntry::by(p, origin.ip.clone(), action, object)
}

impl Registry {
    /// The school's students, staff and parents, narrowed by the start of a name; a read
    /// of personal data, audited.
    pub async fn members(
        &self,
        p: &Principal,
        origin: &Origin,
        org: OrganisationId,
        name: &str,
    ) -> Result<Vec<SchoolMember>> {
        self.authorize_org(p, Operation::ManageOrganisation, org)
            .await?;
        let list = store::school_members(&self.db, org, name, MEMBERS_SHOWN).await?;
        let mut e = entry(p, origin, "read", "staff");
        e.organisation_id = Some(org);
        e.details = Some(format!("people list, {} shown", list.len()));
        self.audit.record(e).await?;
        Ok(list)
    }

    /// Whether the caller may manage this person (edit, archive, letters).
    pub async fn may_manage(&self, p: &Principal, id: PersonId) -> Result<bool> {
        self.may_on_person(p, Operation::ManagePerson, id).await
    }

    /// The school corrects a person's card (names, birth date, СНИЛС, contacts).
    pub async fn edit_person(
        &self,
        p: &Principal,
        origin: &Origin,
        id: PersonId,
        edit: PersonEdit,
    ) -> Result<PersonCard> {
        let facts = self
            .authorize_person(p, Operation::ManagePerson, id)
            .await?;
        let f = edit.check().map_err(RegistryError::Invalid)?;
        sqlx::query(
            "UPDATE persons SET last_name = $2, first_name = $3, middle_name = $4, birth_date = $5, sex = $6, \
             snils = $7, email = $8, phone = $9, updated_at = $10 WHERE id = $1",
        )
        .bind(id)
        .bind(f.last_name)
        .bind(f.first_name)
        .bind(f.middle_name)
        .bind(f.birth_date)
        .bind(f.sex)
        .bind(f.snils)
        .bind(f.email)
        .bind(f.phone)
        .bind(now_ms())
        .execute(&self.db.pool)
        .await
        .map_err(|e| crate::service::unique_to_field(e, "snils"))?;
        let mut e = entry(p, origin, "update", "person");
        e.subject_person_id = Some(id);
        e.organisation_id = facts.orgs.first().map(|o| o.organisation);
        self.audit.record(e).await?;
        self.person(p, origin, id).await
    }

    /// Links a parent (a person the school knows) to a child of the school.
    pub async fn link_guardian(
        &self,
        p: &Principal,
        origin: &Origin,
        child: PersonId,
        link: GuardianLink,
    ) -> Result<PersonCard> {
        let facts = self
            .authorize_person(p, Operation::ManagePerson, child)
            .await?;
        if facts.student_orgs.is_empty() {
            return Err(RegistryError::invalid(
                "child_id",
                "Родителя можно привязать только к обучающемуся.",
            ));
        }
        if !GUARDIAN_KINDS.iter().any(|(k, _)| *k == link.kind) {
            return Err(RegistryError::invalid(
                "kind",
                "Выберите, кем родитель приходится ребёнку.",
            ));
        }
        if link.parent_id == child {
            return Err(RegistryError::invalid(
                "parent_id",
                "Человек не может быть своим родителем.",
            ));
        }
        // The parent must be someone the school already sees (another child's parent, a
        // member of staff): a stranger's record is not linked by guessing an id.
        if !self
            .may_on_person(p, Operation::ReadPerson, link.parent_id)
            .await?
        {
            return Err(RegistryError::invalid(
                "parent_id",
                "Родитель не найден среди людей школы: добавьте его как нового.",
            ));
        }
        let now = now_ms();
        let mut tx = self.db.begin_write().await?;
        store::link_guardian_in(&mut tx, link.parent_id, child, &link.kind).await?;
        store::ensure_role_in(&mut tx, link.parent_id, "parent", None, now).await?;
        let mut e = entry(p, origin, "update", "person");
        e.subject_person_id = Some(child);
        e.organisation_id = facts.student_orgs.first().map(|o| o.organisation);
        e.details = Some(format!("guardian {} linked", link.parent_id));
        AuditLog::record_in(&mut tx, e).await?;
        tx.commit().await?;
        self.person(p, origin, child).await
    }

    /// A member of staff gets another position in the school (with the role it gives).
    pub async fn add_position(
        &self,
        p: &Principal,
        origin: &Origin,
        org: OrganisationId,
        id: PersonId,
        input: NewPosition,
    ) -> Result<PersonCard> {
        self.authorize_org(p, Operation::ManageOrganisation, org)
            .await?;
        self.authorize_person(p, Operation::ManagePerson, id)
            .await?;
        if !store::ref_exists(&self.db, "ref_positions", &input.position).await? {
            return Err(RegistryError::invalid(
                "position",
                "Выберите должность из списка.",
            ));
        }
        let now = now_ms();
        let today = parta_core::time::today().to_string();
        let mut tx = self.db.begin_write().await?;
        store::add_position_in(&mut tx, id, org, &input.position, &today, now).await?;
        let mut e = entry(p, origin, "update", "staff");
        e.subject_person_id = Some(id);
        e.organisation_id = Some(org);
        e.details = Some(format!("position {}", input.position));
        AuditLog::record_in(&mut tx, e).await?;
        tx.commit().await?;
        self.person(p, origin, id).await
    }

    /// A member of staff leaves the school: their positions end on the date and their
    /// roles in the school end (the record and its history stay; the school no longer
    /// sees them unless they are linked to it otherwise).
    pub async fn staff_leaves(
        &self,
        p: &Principal,
        origin: &Origin,
        org: OrganisationId,
        id: PersonId,
        input: StaffLeaves,
    ) -> Result<()> {
        self.authorize_org(p, Operation::ManageOrganisation, org)
            .await?;
        self.authorize_person(p, Operation::ManagePerson, id)
            .await?;
        let Some(date) = parse_human_date(&input.date) else {
            return Err(RegistryError::invalid(
                "date",
                "Дата — например, 31.05.2027.",
            ));
        };
        if id == p.person_id {
            return Err(RegistryError::invalid(
                "date",
                "Своё увольнение оформляет другой администратор школы.",
            ));
        }
        if !store::staff_of(&self.db, id, org).await? {
            return Err(RegistryError::invalid(
                "date",
                "Этот человек не работает в школе.",
            ));
        }
        let mut tx = self.db.begin_write().await?;
        sqlx::query("UPDATE staff_positions SET ended_on = $3 WHERE person_id = $1 AND organisation_id = $2 AND ended_on IS NULL")
            .bind(id)
            .bind(org)
            .bind(date.clone())
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE role_assignments SET ended_at = $3 WHERE person_id = $1 AND organisation_id = $2 AND ended_at IS NULL AND role IN ('teacher', 'school_admin')")
            .bind(id)
            .bind(org)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        let mut e = entry(p, origin, "update", "staff");
        e.subject_person_id = Some(id);
        e.organisation_id = Some(org);
        e.details = Some(format!("left on {date}"));
        AuditLog::record_in(&mut tx, e).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The school's current academic year (the one today falls in, else the latest that
    /// began) and the one after it, if opened.
    async fn years(&self, org: OrganisationId) -> Result<Option<(YearRow, Option<YearRow>)>> {
        let years: Vec<YearRow> = sqlx::query_as(
            "SELECT id, name, starts_on, ends_on FROM academic_years WHERE organisation_id = $1 ORDER BY starts_on",
        )
        .bind(org)
        .fetch_all(&self.db.pool)
        .await?;
        let today = parta_core::time::today().to_string();
        let current = years
            .iter()
            .rposition(|y| y.starts_on <= today)
            .or_else(|| (!years.is_empty()).then_some(0));
        Ok(current.map(|i| {
            // The year that ends is the latest that holds students; once the step is
            // taken, the next one holds them and the plan shows it done.
            (years[i].clone(), years.get(i + 1).cloned())
        }))
    }

    /// What the end of the year will do, class by class.
    pub async fn year_end_plan(
        &self,
        p: &Principal,
        org: OrganisationId,
        graduate_ninth: bool,
    ) -> Result<YearEndPlan> {
        self.authorize_org(p, Operation::ManageOrganisation, org)
            .await?;
        let Some((mut from, mut to)) = self.years(org).await? else {
            return Err(RegistryError::invalid(
                "academic_year",
                "В школе ещё нет учебного года.",
            ));
        };
        let classes_in = |y: AcademicYearId| {
            let db = self.db.clone();
            async move {
                let rows: Vec<(ClassId, String, String, String, i64)> = sqlx::query_as(
                    "SELECT c.id, c.name, c.grade_level, c.letter, \
                     (SELECT COUNT(*) FROM enrolments e WHERE e.class_id = c.id AND e.ended_on IS NULL) \
                     FROM classes c WHERE c.academic_year_id = $1",
                )
                .bind(y)
                .fetch_all(&db.pool)
                .await?;
                Ok::<_, sqlx::Error>(rows)
            }
        };
        let moved = |y: AcademicYearId| {
            let db = self.db.clone();
            async move {
                let n: (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM enrolments e JOIN classes c ON c.id = e.class_id \
                     WHERE c.academic_year_id = $1 AND e.end_reason IN ('promoted', 'graduated')",
                )
                .bind(y)
                .fetch_one(&db.pool)
                .await?;
                Ok::<_, sqlx::Error>(n.0 > 0)
            }
        };
        let mut rows = classes_in(from.id).await?;
        let mut done = false;
        // Nobody is left in the year's classes: the step was taken — for this year (the
        // next one has not begun), or for the one before (the new year has begun).
        if rows.iter().all(|r| r.4 == 0) {
            if moved(from.id).await? {
                done = true;
            } else {
                let previous: Option<YearRow> = sqlx::query_as(
                    "SELECT id, name, starts_on, ends_on FROM academic_years WHERE organisation_id = $1 AND starts_on < $2 ORDER BY starts_on DESC LIMIT 1",
                )
                .bind(org)
                .bind(from.starts_on.clone())
                .fetch_optional(&self.db.pool)
                .await?;
                // The new year has begun: its classes are empty, the old year's hold the
                // students (not promoted yet) or held them (promoted).
                if let Some(prev) = previous {
                    let prev_rows = classes_in(prev.id).await?;
                    let waiting = prev_rows.iter().any(|r| r.4 > 0);
                    if waiting || moved(prev.id).await? {
                        done = !waiting;
                        rows = prev_rows;
                        to = Some(from.clone());
                        from = prev;
                    }
                }
            }
        }
        let mut classes: Vec<YearEndClass> = rows
            .into_iter()
            .map(|(class_id, name, grade, letter, students)| {
                let g: i64 = grade.parse().unwrap_or(0);
                let graduates = g >= 11 || (g == 9 && graduate_ninth);
                YearEndClass {
                    class_id,
                    name,
                    grade: g,
                    students,
                    becomes: (!graduates).then(|| format!("{}{}", g + 1, letter.to_uppercase())),
                }
            })
            .collect();
        classes.sort_by(|a, b| (a.grade, &a.name).cmp(&(b.grade, &b.name)));
        let today = parta_core::time::today().to_string();
        Ok(YearEndPlan {
            from_year_id: from.id,
            to_year_id: to.as_ref().map(|t| t.id),
            ready: !done && to.is_some() && today > from.ends_on,
            done,
            from_year: from.name,
            from_ends_on: from.ends_on,
            to_year: to.as_ref().map(|t| t.name.clone()),
            to_starts_on: to.map(|t| t.starts_on),
            classes,
        })
    }

    /// Перевод и выпуск: every class of the ended year moves to the next grade in the next
    /// year (the class is made there, with the same letter and class teacher, unless it
    /// exists), the 11th (and, if asked, the 9th) graduate. Stays end with their reason and
    /// new ones begin on the first day of the next year, in one transaction.
    pub async fn year_end(
        &self,
        p: &Principal,
        origin: &Origin,
        org: OrganisationId,
        input: YearEnd,
    ) -> Result<YearEndReport> {
        let plan = self.year_end_plan(p, org, input.graduate_ninth).await?;
        if plan.done {
            return Err(RegistryError::invalid(
                "academic_year",
                "Перевод за этот год уже выполнен.",
            ));
        }
        let Some(to_name) = plan.to_year.clone() else {
            return Err(RegistryError::invalid(
                "academic_year",
                "Сначала откройте следующий учебный год.",
            ));
        };
        if !plan.ready {
            return Err(RegistryError::Invalid(vec![FieldError::new(
                "academic_year",
                format!(
                    "Перевод выполняется после окончания учебного года (после {}).",
                    human_date(&plan.from_ends_on)
                ),
            )]));
        }
        let year = |id: AcademicYearId| {
            let db = self.db.clone();
            async move {
                sqlx::query_as::<_, YearRow>(
                    "SELECT id, name, starts_on, ends_on FROM academic_years WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&db.pool)
                .await
            }
        };
        let (Some(from), Some(to)) = (
            year(plan.from_year_id).await?,
            match plan.to_year_id {
                Some(t) => year(t).await?,
                None => None,
            },
        ) else {
            return Err(RegistryError::NotFound);
        };
        debug_assert_eq!(to.name, to_name);
        let now = now_ms();
        let mut report = YearEndReport {
            promoted: 0,
            graduated: 0,
            classes_created: 0,
        };
        let mut tx = self.db.begin_write().await?;
        for c in &plan.classes {
            let students: Vec<(String, PersonId)> = sqlx::query_as(
                "SELECT id, person_id FROM enrolments WHERE class_id = $1 AND ended_on IS NULL",
            )
            .bind(c.class_id)
            .fetch_all(&mut *tx)
            .await?;
            let Some(next_name) = &c.becomes else {
                let r = sqlx::query("UPDATE enrolments SET ended_on = $2, end_reason = 'graduated' WHERE class_id = $1 AND ended_on IS NULL")
                    .bind(c.class_id)
                    .bind(from.ends_on.clone())
                    .execute(&mut *tx)
                    .await?;
                report.graduated += r.rows_affected() as i64;
                continue;
            };
            let existing: Option<(ClassId,)> =
                sqlx::query_as("SELECT id FROM classes WHERE academic_year_id = $1 AND name = $2")
                    .bind(to.id)
                    .bind(next_name.clone())
                    .fetch_optional(&mut *tx)
                    .await?;
            let next = match existing {
                Some((id,)) => id,
                None => {
                    let id = ClassId::new();
                    let letter: String = next_name
                        .trim_start_matches(|ch: char| ch.is_ascii_digit())
                        .to_string();
                    sqlx::query(
                        "INSERT INTO classes (id, organisation_id, academic_year_id, grade_level, letter, name, class_teacher_id) \
                         SELECT $1, organisation_id, $2, $3, $4, $5, class_teacher_id FROM classes WHERE id = $6",
                    )
                    .bind(id)
                    .bind(to.id)
                    .bind((c.grade + 1).to_string())
                    .bind(letter)
                    .bind(next_name.clone())
                    .bind(c.class_id)
                    .execute(&mut *tx)
                    .await?;
                    report.classes_created += 1;
                    id
                }
            };
            for (enrolment, person) in students {
                sqlx::query(
                    "UPDATE enrolments SET ended_on = $2, end_reason = 'promoted' WHERE id = $1",
                )
                .bind(enrolment)
                .bind(from.ends_on.clone())
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO enrolments (id, person_id, organisation_id, class_id, started_on, start_reason, created_at) \
                     VALUES ($1, $2, $3, $4, $5, 'promoted', $6)",
                )
                .bind(uuid::Uuid::now_v7().to_string())
                .bind(person)
                .bind(org)
                .bind(next)
                .bind(to.starts_on.clone())
                .bind(now)
                .execute(&mut *tx)
                .await?;
                report.promoted += 1;
            }
        }
        let mut e = entry(p, origin, "update", "class");
        e.organisation_id = Some(org);
        e.details = Some(format!(
            "year end {} → {}: {} promoted, {} graduated",
            from.name, to.name, report.promoted, report.graduated
        ));
        AuditLog::record_in(&mut tx, e).await?;
        tx.commit().await?;
        Ok(report)
    }

    /// A class with its students and their parents, for accounts and letters (the
    /// school's administration).
    pub async fn class_families(
        &self,
        p: &Principal,
        class: ClassId,
    ) -> Result<(ClassSummary, Vec<FamilyMember>)> {
        let facts = store::class_facts(&self.db, class)
            .await?
            .ok_or(RegistryError::NotFound)?;
        crate::service::check(parta_core::policy::decide(
            p,
            Operation::ManageOrganisation,
            parta_core::policy::Target::Organisation(&facts.org),
        ))?;
        let summary = store::class(&self.db, class)
            .await?
            .ok_or(RegistryError::NotFound)?;
        let rows: Vec<FamilyRow> =
            sqlx::query_as(
                "SELECT 'student', p.id, p.last_name, p.first_name, p.middle_name, NULL                    FROM enrolments e JOIN persons p ON p.id = e.person_id WHERE e.class_id = $1 AND e.ended_on IS NULL                  UNION ALL SELECT 'parent', p.id, p.last_name, p.first_name, p.middle_name, c.last_name || ' ' || c.first_name                    FROM enrolments e JOIN guardianships g ON g.child_id = e.person_id JOIN persons p ON p.id = g.parent_id                    JOIN persons c ON c.id = e.person_id WHERE e.class_id = $1 AND e.ended_on IS NULL",
            )
            .bind(class)
            .fetch_all(&self.db.pool)
            .await?;
        let mut out: Vec<FamilyMember> = Vec::new();
        for (kind, id, last, first, middle, child) in rows {
            if let Some(m) = out.iter_mut().find(|m| m.person.id == id && m.kind == kind) {
                if let Some(c) = child {
                    m.children.push(c);
                }
                continue;
            }
            out.push(FamilyMember {
                person: PersonBrief {
                    id,
                    last_name: last,
                    first_name: first,
                    middle_name: middle,
                },
                kind,
                children: child.into_iter().collect(),
            });
        }
        out.sort_by(|a, b| {
            (
                &a.kind != "student",
                &a.person.last_name,
                &a.person.first_name,
            )
                .cmp(&(
                    &b.kind != "student",
                    &b.person.last_name,
                    &b.person.first_name,
                ))
        });
        Ok((summary, out))
    }

    /// These people, if the caller may manage every one of them (a sign-in letter is
    /// for people of one's own school only); otherwise not found, as for any id one may
    /// not know.
    pub async fn manageable(&self, p: &Principal, ids: &[PersonId]) -> Result<Vec<PersonBrief>> {
        let facts = store::people_facts(&self.db, ids).await?;
        for id in ids {
            let f = facts.get(id).ok_or(RegistryError::NotFound)?;
            crate::service::check(parta_core::policy::decide(
                p,
                Operation::ManagePerson,
                parta_core::policy::Target::Person(f),
            ))?;
        }
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let sql = format!(
                "SELECT id, last_name, first_name, middle_name FROM persons WHERE id IN ({})",
                parta_db::placeholders(1, chunk.len())
            );
            let mut q = sqlx::query_as::<_, PersonBrief>(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            out.extend(q.fetch_all(&self.db.pool).await?);
        }
        // In the order asked (a class list's order).
        out.sort_by_key(|b| ids.iter().position(|i| *i == b.id));
        Ok(out)
    }

    /// Staff per school, for the schools the caller may list (operators' aggregates).
    pub async fn staff_counts(
        &self,
        p: &Principal,
        orgs: &[OrganisationId],
    ) -> Result<std::collections::HashMap<OrganisationId, i64>> {
        let allowed = self
            .allowed_organisations(p, Operation::ListClasses, orgs)
            .await?;
        // Every school let through has a row (0 when nobody works there yet).
        let mut out: std::collections::HashMap<OrganisationId, i64> =
            allowed.iter().map(|o| (*o, 0)).collect();
        for chunk in allowed.chunks(500) {
            let sql = format!(
                "SELECT organisation_id, COUNT(DISTINCT person_id) FROM staff_positions \
                 WHERE ended_on IS NULL AND organisation_id IN ({}) GROUP BY organisation_id",
                parta_db::placeholders(1, chunk.len())
            );
            let mut q = sqlx::query_as::<_, (OrganisationId, i64)>(&sql);
            for o in chunk {
                q = q.bind(*o);
            }
            out.extend(q.fetch_all(&self.db.pool).await?);
        }
        Ok(out)
    }

    /// What a member of staff teaches (the school's administration).
    pub async fn assignments_of(
        &self,
        p: &Principal,
        teacher: PersonId,
    ) -> Result<Vec<Assignment>> {
        self.authorize_person(p, Operation::ManagePerson, teacher)
            .await?;
        Ok(sqlx::query_as(
            "SELECT a.id, c.id AS class_id, c.name AS class_name, g.name AS group_name, a.subject_code, s.name AS subject_name \
             FROM teaching_assignments a LEFT JOIN study_groups g ON g.id = a.group_id \
             JOIN classes c ON c.id = COALESCE(a.class_id, g.class_id) JOIN ref_subjects s ON s.code = a.subject_code \
             WHERE a.teacher_id = $1 ORDER BY LENGTH(c.grade_level), c.grade_level, c.name, s.name",
        )
        .bind(teacher)
        .fetch_all(&self.db.pool)
        .await?)
    }

    /// A teacher of the school takes a subject in a class (the journal appears for them).
    pub async fn assign(
        &self,
        p: &Principal,
        origin: &Origin,
        teacher: PersonId,
        input: NewAssignment,
    ) -> Result<Vec<Assignment>> {
        // A group is taught within its class: the class is the group's.
        let group: Option<(ClassId, Option<String>)> = match input.group_id {
            Some(g) => {
                let (class, subject): (Option<ClassId>, Option<String>) =
                    sqlx::query_as("SELECT class_id, subject_code FROM study_groups WHERE id = $1")
                        .bind(g)
                        .fetch_optional(&self.db.pool)
                        .await?
                        .ok_or_else(|| RegistryError::invalid("group_id", "Выберите группу."))?;
                // A group across classes (from a roster import) has its teachers there.
                let class = class.ok_or_else(|| {
                    RegistryError::invalid(
                        "group_id",
                        "Эта группа собрана из нескольких классов: её учителей назначает импорт списков.",
                    )
                })?;
                Some((class, subject))
            }
            None => None,
        };
        let class_id = match (&group, input.class_id) {
            (Some((c, _)), _) => *c,
            (None, Some(c)) => c,
            (None, None) => return Err(RegistryError::invalid("class_id", "Выберите класс.")),
        };
        let class = store::class_facts(&self.db, class_id)
            .await?
            .ok_or_else(|| RegistryError::invalid("class_id", "Выберите класс."))?;
        crate::service::check(parta_core::policy::decide(
            p,
            Operation::ManageOrganisation,
            parta_core::policy::Target::Organisation(&class.org),
        ))?;
        self.authorize_person(p, Operation::ManagePerson, teacher)
            .await?;
        if !store::staff_of(&self.db, teacher, class.org.organisation).await? {
            return Err(RegistryError::invalid(
                "class_id",
                "Этот человек не работает в школе этого класса.",
            ));
        }
        if !store::ref_exists(&self.db, "ref_subjects", &input.subject_code).await? {
            return Err(RegistryError::invalid(
                "subject_code",
                "Выберите предмет из списка.",
            ));
        }
        if let Some((_, Some(code))) = &group {
            if *code != input.subject_code {
                return Err(RegistryError::invalid(
                    "subject_code",
                    "В этой группе изучают другой предмет: выберите предмет группы.",
                ));
            }
        }
        let year: (String,) = sqlx::query_as("SELECT academic_year_id FROM classes WHERE id = $1")
            .bind(class_id)
            .fetch_one(&self.db.pool)
            .await?;
        let has: Option<(String,)> = match input.group_id {
            Some(g) => sqlx::query_as(
                "SELECT id FROM teaching_assignments WHERE teacher_id = $1 AND group_id = $2 AND subject_code = $3",
            )
            .bind(teacher)
            .bind(g)
            .bind(input.subject_code.clone())
            .fetch_optional(&self.db.pool)
            .await?,
            None => sqlx::query_as(
                "SELECT id FROM teaching_assignments WHERE teacher_id = $1 AND class_id = $2 AND subject_code = $3",
            )
            .bind(teacher)
            .bind(class_id)
            .bind(input.subject_code.clone())
            .fetch_optional(&self.db.pool)
            .await?,
        };
        if has.is_some() {
            return Err(RegistryError::invalid(
                "subject_code",
                "Этот предмет в этом классе уже закреплён за учителем.",
            ));
        }
        let mut tx = self.db.begin_write().await?;
        sqlx::query(
            "INSERT INTO teaching_assignments (id, teacher_id, class_id, group_id, subject_code, academic_year_id) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(teacher)
        // A group's assignment names the group only (as a roster import writes it).
        .bind(input.group_id.is_none().then_some(class_id))
        .bind(input.group_id)
        .bind(input.subject_code.clone())
        .bind(year.0)
        .execute(&mut *tx)
        .await?;
        let mut e = entry(p, origin, "update", "staff");
        e.subject_person_id = Some(teacher);
        e.organisation_id = Some(class.org.organisation);
        e.details = Some(match input.group_id {
            Some(g) => format!("teaches {} in group {g}", input.subject_code),
            None => format!("teaches {} in {class_id}", input.subject_code),
        });
        AuditLog::record_in(&mut tx, e).await?;
        tx.commit().await?;
        self.assignments_of(p, teacher).await
    }

    /// A teacher no longer teaches a subject in a class (marks and lessons stay).
    pub async fn unassign(
        &self,
        p: &Principal,
        origin: &Origin,
        teacher: PersonId,
        assignment: &str,
    ) -> Result<Vec<Assignment>> {
        let mine = self
            .assignments_of(p, teacher)
            .await?
            .into_iter()
            .find(|a| a.id == assignment)
            .ok_or(RegistryError::NotFound)?;
        let class = store::class_facts(&self.db, mine.class_id)
            .await?
            .ok_or(RegistryError::NotFound)?;
        crate::service::check(parta_core::policy::decide(
            p,
            Operation::ManageOrganisation,
            parta_core::policy::Target::Organisation(&class.org),
        ))?;
        let mut tx = self.db.begin_write().await?;
        sqlx::query("DELETE FROM teaching_assignments WHERE id = $1 AND teacher_id = $2")
            .bind(assignment.to_string())
            .bind(teacher)
            .execute(&mut *tx)
            .await?;
        let mut e = entry(p, origin, "update", "staff");
        e.subject_person_id = Some(teacher);
        e.organisation_id = Some(class.org.organisation);
        e.details = Some(format!(
            "no longer teaches {} in {}",
            mine.subject_code, mine.class_name
        ));
        AuditLog::record_in(&mut tx, e).await?;
        tx.commit().await?;
        self.assignments_of(p, teacher).await
    }

    /// The groups of a school's current classes (the school's administration).
    pub async fn school_groups(
        &self,
        p: &Principal,
        org: OrganisationId,
    ) -> Result<Vec<SchoolGroup>> {
        self.authorize_org(p, Operation::ManageOrganisation, org)
            .await?;
        Ok(sqlx::query_as(
            "SELECT g.id, c.id AS class_id, c.name AS class_name, g.name, g.subject_code FROM study_groups g \
             JOIN classes c ON c.id = g.class_id \
             WHERE c.organisation_id = $1 \
             AND c.academic_year_id = (SELECT id FROM academic_years WHERE organisation_id = $1 ORDER BY starts_on DESC LIMIT 1) \
             ORDER BY LENGTH(c.grade_level), c.grade_level, c.name, g.name",
        )
        .bind(org)
        .fetch_all(&self.db.pool)
        .await?)
    }

    /// A class's groups with their members (the school's administration).
    pub async fn class_groups(&self, p: &Principal, class: ClassId) -> Result<Vec<ClassGroup>> {
        self.class_manage(p, class).await?;
        let rows: Vec<GroupRow> =
            sqlx::query_as(
                "SELECT g.id, g.name, g.subject_code, p.id, p.last_name, p.first_name, p.middle_name FROM study_groups g \
                 LEFT JOIN group_members m ON m.group_id = g.id LEFT JOIN persons p ON p.id = m.person_id \
                 WHERE g.class_id = $1 ORDER BY g.name, p.last_name, p.first_name",
            )
            .bind(class)
            .fetch_all(&self.db.pool)
            .await?;
        let mut out: Vec<ClassGroup> = Vec::new();
        for (id, name, subject, person, last, first, middle) in rows {
            if out.last().is_none_or(|g| g.id != id) {
                out.push(ClassGroup {
                    id,
                    name,
                    subject_code: subject,
                    members: Vec::new(),
                });
            }
            if let (Some(pid), Some(last), Some(first), Some(g)) =
                (person, last, first, out.last_mut())
            {
                g.members.push(PersonBrief {
                    id: pid,
                    last_name: last,
                    first_name: first,
                    middle_name: middle,
                });
            }
        }
        Ok(out)
    }

    /// The class's facts, if the caller administers its school.
    async fn class_manage(
        &self,
        p: &Principal,
        class: ClassId,
    ) -> Result<parta_core::policy::ClassFacts> {
        let facts = store::class_facts(&self.db, class)
            .await?
            .ok_or(RegistryError::NotFound)?;
        crate::service::check(parta_core::policy::decide(
            p,
            Operation::ManageOrganisation,
            parta_core::policy::Target::Organisation(&facts.org),
        ))?;
        Ok(facts)
    }

    /// Checks a group's name, subject and members (students of the class).
    async fn check_group(&self, class: ClassId, g: &NewGroup) -> Result<()> {
        let mut errors = Vec::new();
        let name = g.name.trim();
        if name.is_empty() || name.chars().count() > 60 {
            errors.push(FieldError::new(
                "name",
                "Назовите группу (до 60 знаков), например «Английский, 1 группа».",
            ));
        }
        if let Some(s) = g.subject_code.as_deref().filter(|s| !s.is_empty()) {
            if !store::ref_exists(&self.db, "ref_subjects", s).await? {
                errors.push(FieldError::new(
                    "subject_code",
                    "Выберите предмет из списка.",
                ));
            }
        }
        if g.members.len() > 60 {
            errors.push(FieldError::new(
                "members",
                "В группе — не больше 60 человек.",
            ));
        }
        let students: Vec<(PersonId,)> = sqlx::query_as(
            "SELECT person_id FROM enrolments WHERE class_id = $1 AND ended_on IS NULL",
        )
        .bind(class)
        .fetch_all(&self.db.pool)
        .await?;
        if g.members
            .iter()
            .any(|m| !students.iter().any(|s| s.0 == *m))
        {
            errors.push(FieldError::new(
                "members",
                "В группу входят только ученики этого класса.",
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(RegistryError::Invalid(errors))
        }
    }

    /// A new group of a class with its members.
    pub async fn create_group(
        &self,
        p: &Principal,
        origin: &Origin,
        class: ClassId,
        g: NewGroup,
    ) -> Result<Vec<ClassGroup>> {
        let facts = self.class_manage(p, class).await?;
        self.check_group(class, &g).await?;
        let year: (AcademicYearId,) =
            sqlx::query_as("SELECT academic_year_id FROM classes WHERE id = $1")
                .bind(class)
                .fetch_one(&self.db.pool)
                .await?;
        let id = parta_core::ids::GroupId::new();
        let mut tx = self.db.begin_write().await?;
        sqlx::query(
            "INSERT INTO study_groups (id, organisation_id, academic_year_id, class_id, name, subject_code) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(facts.org.organisation)
        .bind(year.0)
        .bind(class)
        .bind(g.name.trim().to_string())
        .bind(g.subject_code.clone().filter(|s| !s.is_empty()))
        .execute(&mut *tx)
        .await?;
        store::add_group_members_in(&mut tx, id, &g.members).await?;
        let mut e = entry(p, origin, "create", "class");
        e.organisation_id = Some(facts.org.organisation);
        e.object_id = Some(id.to_string());
        e.details = Some(format!("group of {} students", g.members.len()));
        AuditLog::record_in(&mut tx, e).await?;
        tx.commit().await?;
        self.class_groups(p, class).await
    }

    /// A group's members, replaced whole (students of its class).
    pub async fn set_group_members(
        &self,
        p: &Principal,
        origin: &Origin,
        group: parta_core::ids::GroupId,
        members: Vec<PersonId>,
    ) -> Result<Vec<ClassGroup>> {
        let row: Option<(ClassId, String, Option<String>)> =
            sqlx::query_as("SELECT class_id, name, subject_code FROM study_groups WHERE id = $1 AND class_id IS NOT NULL")
                .bind(group)
                .fetch_optional(&self.db.pool)
                .await?;
        let (class, name, subject_code) = row.ok_or(RegistryError::NotFound)?;
        let facts = self.class_manage(p, class).await?;
        let g = NewGroup {
            name,
            subject_code,
            members,
        };
        self.check_group(class, &g).await?;
        let mut tx = self.db.begin_write().await?;
        sqlx::query("DELETE FROM group_members WHERE group_id = $1")
            .bind(group)
            .execute(&mut *tx)
            .await?;
        store::add_group_members_in(&mut tx, group, &g.members).await?;
        let mut e = entry(p, origin, "update", "class");
        e.organisation_id = Some(facts.org.organisation);
        e.object_id = Some(group.to_string());
        e.details = Some(format!("group members: {}", g.members.len()));
        AuditLog::record_in(&mut tx, e).await?;
        tx.commit().await?;
        self.class_groups(p, class).await
    }

    /// The class a group belongs to.
    pub async fn group_class(&self, group: parta_core::ids::GroupId) -> Result<Option<ClassId>> {
        let row: Option<(Option<ClassId>,)> =
            sqlx::query_as("SELECT class_id FROM study_groups WHERE id = $1")
                .bind(group)
                .fetch_optional(&self.db.pool)
                .await?;
        Ok(row.and_then(|r| r.0))
    }

    /// The positions reference book, for forms.
    pub async fn positions(&self) -> Result<Vec<ReferenceEntry>> {
        self.reference("positions").await
    }
}

/// group, name, subject, member, last name, first name, patronymic.
type GroupRow = (
    parta_core::ids::GroupId,
    String,
    Option<String>,
    Option<PersonId>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// kind, person, last name, first name, patronymic, a parent's child.
type FamilyRow = (
    String,
    PersonId,
    String,
    String,
    Option<String>,
    Option<String>,
);

#[derive(Debug, Clone, sqlx::FromRow)]
struct YearRow {
    id: AcademicYearId,
    name: String,
    starts_on: String,
    ends_on: String,
}

/// 2027-05-31 → 31.05.2027.
pub fn human_date(iso: &str) -> String {
    chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d")
        .map(|d| d.format("%d.%m.%Y").to_string())
        .unwrap_or_else(|_| iso.to_string())
}
