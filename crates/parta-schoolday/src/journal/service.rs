//! Электронный журнал: the grid, saving a whole class at once, a lesson sheet, period
//! grades and the class teacher's report.

use crate::service::*;
use parta_core::ids::{LessonId, PeriodId};
use parta_core::principal::Role;
use parta_core::time::{now_ms, today};
use parta_core::FieldError;
use std::collections::{HashMap, HashSet};

/// The period to show: the one asked for, else today's, else the last begun, else the first.
pub(crate) fn pick_period(periods: &[Period], asked: Option<PeriodId>) -> Option<Period> {
    if let Some(id) = asked {
        return periods.iter().find(|p| p.id == id).cloned();
    }
    let t = today().to_string();
    periods
        .iter()
        .find(|p| p.covers(&t))
        .or_else(|| periods.iter().rev().find(|p| p.starts_on <= t))
        .or_else(|| periods.first())
        .cloned()
}

/// A whole academic year as a pseudo-period, when the school has not set periods.
pub(crate) fn year_period(c: &store::ClassInfo) -> Period {
    Period {
        id: PeriodId(uuid::Uuid::nil()),
        academic_year_id: c.academic_year_id,
        kind: "year".into(),
        name: "Учебный год".into(),
        grade_from: 1,
        grade_to: 11,
        starts_on: c.year_starts_on.clone(),
        ends_on: c.year_ends_on.clone(),
        closed_at: None,
    }
}

/// Grades checked and ready to write.
pub(crate) struct CheckedGrades {
    class: store::ClassInfo,
    subject: String,
    key: String,
    rows: Vec<(PersonId, Option<String>)>,
}

/// A journal's cells as marks (by id, i.e. in the order given) and absences.
pub(crate) fn split_cells(
    cells: Vec<store::JournalCell>,
    subject: &str,
) -> (Vec<Mark>, Vec<Attendance>) {
    let mut marks = Vec::new();
    let mut attendance = Vec::new();
    for cell in cells {
        match (cell.kind.as_str(), cell.id) {
            ("m", Some(id)) => marks.push(Mark {
                id,
                lesson_id: cell.lesson_id,
                student_id: cell.student_id,
                day: cell.day,
                subject_code: subject.to_string(),
                value: cell.value,
                work_type: cell.work_type.unwrap_or_default(),
                weight: cell.weight.unwrap_or(1),
                comment: cell.comment,
                updated_at: cell.updated_at,
            }),
            _ => attendance.push(Attendance {
                lesson_id: cell.lesson_id,
                student_id: cell.student_id,
                day: cell.day,
                status: cell.value,
                reason: cell.comment,
            }),
        }
    }
    marks.sort_by_key(|m| m.id);
    (marks, attendance)
}

pub(crate) fn fmt_avg(a: f64) -> f64 {
    (a * 100.0).round() / 100.0
}

impl Journal {
    /// The class-subjects the caller keeps journals for (a teacher).
    /// A teacher's journals; for the school's administration, every journal of its
    /// schools (they read and correct them).
    pub async fn my_journals(&self, p: &Principal) -> Result<Vec<JournalRef>> {
        match p.role() {
            Role::Teacher => Ok(store::teacher_journals(&self.db, p.person_id).await?),
            Role::SchoolAdmin => {
                let mut out = Vec::new();
                for org in &p.scope.organisations {
                    self.authorize_org(p, Operation::ManageSchoolDay, *org)
                        .await?;
                    out.extend(store::school_journals(&self.db, *org).await?);
                }
                Ok(out)
            }
            _ => Ok(Vec::new()),
        }
    }

    /// The journal grid of a class and subject in a period. Reading marks of students is
    /// a read of personal data and is audited.
    pub async fn grid(
        &self,
        p: &Principal,
        origin: &Origin,
        class: ClassId,
        subject: &str,
        period: Option<PeriodId>,
    ) -> Result<JournalGrid> {
        let facts = self
            .authorize_journal(p, Operation::ReadJournal, class, subject, None)
            .await?;
        let head = store::journal_head(&self.db, class, subject)
            .await?
            .ok_or(JournalError::NotFound)?;
        let subject_name = head.subject_name.clone().ok_or(JournalError::NotFound)?;
        let scale = Scale::parse(&head.mark_scale);
        let c = head.class;
        let periods = self.class_periods(&c).await?;
        let period = match period {
            Some(_) => pick_period(&periods, period).ok_or(JournalError::NotFound)?,
            None => pick_period(&periods, None).unwrap_or_else(|| year_period(&c)),
        };
        let (from, to) = (period.starts_on.as_str(), period.ends_on.as_str());
        let store::JournalSets {
            students,
            lessons,
            cells,
            grades,
        } = store::journal_sets(&self.db, class, subject, (from, to), c.academic_year_id).await?;
        let (marks, attendance) = split_cells(cells, subject);
        let period_key = period.id.to_string();
        let summaries = students
            .iter()
            .map(|s| {
                let avg = weighted_average(
                    marks
                        .iter()
                        .filter(|m| m.student_id == s.id)
                        .filter_map(|m| m.value.parse::<i64>().ok().map(|v| (v, m.weight))),
                );
                StudentSummary {
                    student_id: s.id,
                    average: avg.map(fmt_avg),
                    suggested: avg
                        .filter(|_| scale == Scale::FivePoint)
                        .map(|a| suggest_grade(a, head.rounding_threshold).to_string()),
                    grade: grades
                        .iter()
                        .find(|g| g.student_id == s.id && g.period_key == period_key)
                        .map(|g| g.value.clone()),
                }
            })
            .collect();
        let may_write =
            decide(p, Operation::WriteJournal, Target::Journal(&facts)) == Decision::Allow;
        let mut e = entry(p, origin, "read", "journal");
        e.organisation_id = Some(c.organisation_id);
        e.object_id = Some(format!("{class}:{subject}"));
        self.audit.record(e).await?;
        Ok(JournalGrid {
            class_id: class,
            class_name: c.name.clone(),
            subject_code: subject.to_string(),
            subject_name,
            scale: scale.code().into(),
            scale_values: scale.values().iter().map(|s| s.to_string()).collect(),
            period,
            periods,
            rounding_threshold: head.rounding_threshold,
            may_write,
            students,
            lessons,
            marks,
            attendance,
            summaries,
            work_types: self.work_types().await?,
        })
    }

    /// At most [`MAX_MARKS_PER_LESSON`] marks a student for one lesson, counting those
    /// already there and those this save adds.
    pub(crate) async fn check_marks_per_lesson(
        &self,
        inserted: &[(usize, LessonId, PersonId)],
        removed: &[(LessonId, PersonId)],
        errors: &mut Vec<FieldError>,
    ) -> Result<()> {
        if inserted.is_empty() {
            return Ok(());
        }
        let lessons: Vec<LessonId> = inserted
            .iter()
            .map(|(_, l, _)| *l)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut count: HashMap<(LessonId, PersonId), i64> = store::mark_counts(&self.db, &lessons)
            .await?
            .into_iter()
            .map(|(l, s, n)| ((l, s), n))
            .collect();
        for key in removed {
            if let Some(n) = count.get_mut(key) {
                *n -= 1;
            }
        }
        for (i, lesson, student) in inserted {
            let n = count.entry((*lesson, *student)).or_insert(0);
            *n += 1;
            if *n == MAX_MARKS_PER_LESSON + 1 {
                errors.push(FieldError::coded(
                    &crate::error::codes::TOO_MANY_MARKS,
                    format!("marks[{i}].value"),
                    format!(
                        "У ученика уже {MAX_MARKS_PER_LESSON} отметки за этот урок — больше не ставится."
                    ),
                ));
            }
        }
        Ok(())
    }

    /// One lesson with its students, marks, attendance, mark history and homework
    /// hand-ins — what a substitute teacher works with.
    ///
    /// (See also [`Journal::readable_lessons`]: which lessons of a list the caller may
    /// open, for pages deciding what to link.)
    pub async fn lesson_sheet(
        &self,
        p: &Principal,
        origin: &Origin,
        id: LessonId,
    ) -> Result<LessonSheet> {
        let l = store::lesson_key(&self.db, id)
            .await?
            .ok_or(JournalError::NotFound)?;
        let facts = self
            .authorize_journal(
                p,
                Operation::ReadJournal,
                l.class_id,
                &l.subject_code,
                Some(l.teacher_id),
            )
            .await?;
        let lesson = store::lesson(&self.db, id)
            .await?
            .ok_or(JournalError::NotFound)?;
        let students = store::class_students(&self.db, l.class_id, l.group_id).await?;
        let (marks, attendance) = split_cells(
            store::journal_cells(&self.db, l.class_id, &l.subject_code, &l.day, &l.day)
                .await?
                .into_iter()
                .filter(|c| c.lesson_id == id)
                .collect(),
            &l.subject_code,
        );
        let done: HashMap<PersonId, store::SubmissionRow> = store::submissions(&self.db, id)
            .await?
            .into_iter()
            .map(|row| (row.0, row))
            .collect();
        let submissions = students
            .iter()
            .map(|s| {
                let d = done.get(&s.id);
                Submission {
                    student_id: s.id,
                    student_name: s.name.clone(),
                    done_at: d.map(|d| d.1),
                    answer: d.and_then(|d| d.2.clone()),
                    status: d.map(|d| d.3.clone()),
                    teacher_comment: d.and_then(|d| d.4.clone()),
                }
            })
            .collect();
        let may_write =
            decide(p, Operation::WriteJournal, Target::Journal(&facts)) == Decision::Allow;
        let mut e = entry(p, origin, "read", "lesson");
        e.organisation_id = Some(l.organisation_id);
        e.object_id = Some(id.to_string());
        self.audit.record(e).await?;
        Ok(LessonSheet {
            lesson,
            may_write,
            scale_values: store::mark_scale(&self.db, l.class_id, &l.subject_code)
                .await?
                .values()
                .iter()
                .map(|s| s.to_string())
                .collect(),
            students,
            marks,
            attendance,
            history: store::mark_history(&self.db, id).await?,
            submissions,
            attachments: self.lesson_attachments(id).await?,
        })
    }

    /// Sets period, annual (`year`) or final (`final`) grades.
    pub async fn set_grades(
        &self,
        p: &Principal,
        origin: &Origin,
        input: GradesInput,
    ) -> Result<Vec<Grade>> {
        let checked = self.check_grades(p, &input).await?;
        let mut tx = self.db.begin_write().await?;
        self.write_grades(&mut tx, p, origin, &checked).await?;
        tx.commit().await?;
        Ok(store::grades(
            &self.db,
            input.class_id,
            &input.subject_code,
            checked.class.academic_year_id,
        )
        .await?
        .into_iter()
        .filter(|g| g.period_key == checked.key)
        .collect())
    }

    /// Checks grades before anything is written: the policy, the period (closed periods,
    /// and the year once its last period is closed, only for the administration), the
    /// students and the scale.
    pub(crate) async fn check_grades(
        &self,
        p: &Principal,
        input: &GradesInput,
    ) -> Result<CheckedGrades> {
        self.authorize_journal(
            p,
            Operation::WriteJournal,
            input.class_id,
            &input.subject_code,
            None,
        )
        .await?;
        FieldError::check_len("grades", &input.grades, MAX_SAVE_GRADES)
            .map_err(|e| JournalError::Invalid(vec![e]))?;
        let c = self.class_info(input.class_id).await?;
        let periods = self.class_periods(&c).await?;
        let mut errors = Vec::new();
        let key = input.period.trim().to_string();
        let period = periods.iter().find(|per| per.id.to_string() == key);
        if period.is_none() && key != "year" && key != "final" {
            errors.push(FieldError::new(
                "period",
                "Укажите период этого класса, year (годовая) или final (итоговая).",
            ));
        }
        let closed = match period {
            Some(per) => per.closed_at.is_some().then(|| per.name.clone()),
            None => periods
                .iter()
                .max_by(|a, b| a.ends_on.cmp(&b.ends_on))
                .filter(|last| last.closed_at.is_some())
                .map(|last| last.name.clone()),
        };
        // A closed period is the administration's (the policy's `EditClosedPeriod`).
        let may_edit_closed = match &closed {
            Some(_) => {
                let facts = self.class_facts(input.class_id).await?;
                decide(p, Operation::EditClosedPeriod, Target::Class(&facts)) == Decision::Allow
            }
            None => true,
        };
        if let (Some(name), false) = (closed, may_edit_closed) {
            errors.push(FieldError::new(
                "period",
                format!("Период «{name}» закрыт: изменения вносит администрация школы."),
            ));
        }
        let scale = store::mark_scale(&self.db, input.class_id, &input.subject_code).await?;
        let students: HashSet<PersonId> = store::class_students(&self.db, input.class_id, None)
            .await?
            .into_iter()
            .map(|s| s.id)
            .collect();
        // A teacher of a group subject (a foreign language in halves) grades their group.
        let mut own_group: Option<HashSet<PersonId>> = None;
        if p.role() == Role::Teacher {
            if let Some(groups) =
                store::teacher_groups(&self.db, p.person_id, input.class_id, &input.subject_code)
                    .await?
            {
                let mut members = HashSet::new();
                for g in groups {
                    members.extend(
                        store::class_students(&self.db, input.class_id, Some(g))
                            .await?
                            .into_iter()
                            .map(|s| s.id),
                    );
                }
                own_group = Some(members);
            }
        }
        let journal = JournalFacts {
            class: self.class_facts(input.class_id).await?,
            subject: input.subject_code.clone(),
            lesson_teacher: None,
        };
        let own_group: Option<Vec<PersonId>> = own_group.map(|m| m.into_iter().collect());
        let mut rows = Vec::new();
        for (i, g) in input.grades.iter().enumerate() {
            if !students.contains(&g.student_id) {
                errors.push(FieldError::new(
                    format!("grades[{i}].student_id"),
                    "Ученик не числится в этом классе.",
                ));
                continue;
            }
            let grade = GradeFacts {
                journal: journal.clone(),
                student: g.student_id,
                grader_groups: own_group.clone(),
            };
            if decide(p, Operation::GradeStudent, Target::Grade(&grade)) != Decision::Allow {
                errors.push(FieldError::new(
                    format!("grades[{i}].student_id"),
                    "Ученик не из вашей группы по этому предмету.",
                ));
                continue;
            }
            match g.value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                None => rows.push((g.student_id, None)),
                Some(v) => match scale.check(v) {
                    Some((value, _)) => rows.push((g.student_id, Some(value))),
                    None => errors.push(FieldError::new(
                        format!("grades[{i}].value"),
                        format!(
                            "Отметки «{v}» нет на шкале ({}).",
                            scale.values().join(", ")
                        ),
                    )),
                },
            }
        }
        if !errors.is_empty() {
            return Err(JournalError::Invalid(errors));
        }
        Ok(CheckedGrades {
            class: c,
            subject: input.subject_code.clone(),
            key,
            rows,
        })
    }

    /// Writes checked grades inside the caller's transaction, with their audit record.
    pub(crate) async fn write_grades(
        &self,
        conn: &mut sqlx::AnyConnection,
        p: &Principal,
        origin: &Origin,
        g: &CheckedGrades,
    ) -> Result<()> {
        let now = now_ms();
        let mut e = entry(p, origin, "update", "period_grades");
        e.organisation_id = Some(g.class.organisation_id);
        e.object_id = Some(format!("{}:{}:{}", g.class.id, g.subject, g.key));
        for (student, value) in &g.rows {
            store::set_grade(
                &mut *conn,
                *student,
                &g.subject,
                g.class.academic_year_id,
                &g.key,
                g.class.id,
                value.as_deref(),
                p.person_id,
                now,
            )
            .await?;
        }
        AuditLog::record_in(conn, e).await?;
        Ok(())
    }

    /// Отчёт классного руководителя: averages, grades and absences per student and subject.
    pub async fn class_report(
        &self,
        p: &Principal,
        origin: &Origin,
        class: ClassId,
        period: Option<PeriodId>,
    ) -> Result<ClassReport> {
        // "" as the subject: the whole class — its class teacher and the school.
        self.authorize_journal(p, Operation::ReadJournal, class, "", None)
            .await?;
        let c = self.class_info(class).await?;
        let periods = self.class_periods(&c).await?;
        let period = match period {
            Some(_) => pick_period(&periods, period).ok_or(JournalError::NotFound)?,
            None => pick_period(&periods, None).unwrap_or_else(|| year_period(&c)),
        };
        let (from, to) = (period.starts_on.as_str(), period.ends_on.as_str());
        let (students, subjects, sums, absences) = tokio::try_join!(
            store::class_students(&self.db, class, None),
            store::class_subjects(&self.db, class),
            store::class_sums(&self.db, class, from, to),
            store::class_absences(&self.db, class, from, to),
        )?;
        let grades = store::class_grades(&self.db, class, &period.id.to_string()).await?;
        let rows = students
            .iter()
            .map(|s| {
                let count = |st: &str| {
                    absences
                        .iter()
                        .filter(|(id, k, _)| *id == s.id && k == st)
                        .map(|r| r.2)
                        .sum()
                };
                ReportRow {
                    student_id: s.id,
                    name: s.name.clone(),
                    cells: subjects
                        .iter()
                        .map(|sub| ReportCell {
                            average: sums
                                .iter()
                                .find(|(st, code, _, w)| *st == s.id && *code == sub.code && *w > 0)
                                .map(|(_, _, sum, w)| fmt_avg(*sum as f64 / *w as f64)),
                            grade: grades
                                .iter()
                                .find(|g| g.student_id == s.id && g.subject_code == sub.code)
                                .map(|g| g.value.clone()),
                        })
                        .collect(),
                    absent: count("absent"),
                    ill: count("ill"),
                    excused: count("excused"),
                    late: count("late"),
                }
            })
            .collect();
        let mut e = entry(p, origin, "read", "class_report");
        e.organisation_id = Some(c.organisation_id);
        e.object_id = Some(class.to_string());
        self.audit.record(e).await?;
        Ok(ClassReport {
            class_id: class,
            class_name: c.name,
            period,
            subjects,
            rows,
        })
    }

    /// Suggested period grades of a whole school (weighted averages with its rounding
    /// rule), for the administration.
    pub async fn school_grades(
        &self,
        p: &Principal,
        origin: &Origin,
        org: OrganisationId,
        from: &str,
        to: &str,
    ) -> Result<Vec<SchoolGrade>> {
        self.authorize_org(p, Operation::ReadGradebook, org).await?;
        let settings = store::settings(&self.db, org).await?;
        let sums = store::school_sums(&self.db, org, from, to).await?;
        let mut e = entry(p, origin, "read", "school_grades");
        e.organisation_id = Some(org);
        self.audit.record(e).await?;
        Ok(sums
            .into_iter()
            .filter(|r| r.4 > 0)
            .map(|(class_id, student_id, subject_code, sum, w)| {
                let avg = sum as f64 / w as f64;
                SchoolGrade {
                    class_id,
                    student_id,
                    subject_code,
                    average: fmt_avg(avg),
                    suggested: suggest_grade(avg, settings.rounding_threshold),
                }
            })
            .collect())
    }
}

impl Journal {
    /// The lessons (of those given) whose page the caller may open: the policy's
    /// `ReadJournal` for each lesson's class, subject and teacher.
    pub async fn readable_lessons(
        &self,
        p: &Principal,
        lessons: &[Lesson],
    ) -> Result<HashSet<LessonId>> {
        let mut classes: HashMap<ClassId, ClassFacts> = HashMap::new();
        let mut out = HashSet::new();
        for l in lessons {
            if let std::collections::hash_map::Entry::Vacant(v) = classes.entry(l.class_id) {
                v.insert(self.class_facts(l.class_id).await?);
            }
            let Some(class) = classes.get(&l.class_id) else {
                continue;
            };
            let facts = JournalFacts {
                class: class.clone(),
                subject: l.subject_code.clone(),
                lesson_teacher: Some(l.teacher_id),
            };
            if decide(p, Operation::ReadJournal, Target::Journal(&facts)) == Decision::Allow {
                out.insert(l.id);
            }
        }
        Ok(out)
    }
}
