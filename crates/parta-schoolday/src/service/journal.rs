//! Электронный журнал: the grid, saving a whole class at once, a lesson sheet, period
//! grades and the class teacher's report.

use super::*;
use crate::events;
use parta_core::ids::{LessonId, MarkId, PeriodId};
use parta_core::principal::Role;
use parta_core::time::{now_ms, today};
use parta_core::FieldError;
use std::collections::{HashMap, HashSet};

const DEFAULT_WORK_TYPE: &str = "classwork";

/// The period to show: the one asked for, else today's, else the last begun, else the first.
fn pick_period(periods: &[Period], asked: Option<PeriodId>) -> Option<Period> {
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
fn year_period(c: &store::ClassInfo) -> Period {
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
pub(super) struct CheckedGrades {
    class: store::ClassInfo,
    subject: String,
    key: String,
    rows: Vec<(PersonId, Option<String>)>,
}

/// A journal's cells as marks (by id, i.e. in the order given) and absences.
fn split_cells(cells: Vec<store::JournalCell>, subject: &str) -> (Vec<Mark>, Vec<Attendance>) {
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

/// The facts of one journal save: at most one event of each kind.
fn save_facts(
    journal: events::JournalRef,
    names: &HashMap<PersonId, String>,
    work_types: &HashMap<String, String>,
    marks: &[(&store::NewMark, bool)],
    absences: &[Attendance],
    homework: Vec<events::HomeworkFact>,
) -> Result<Vec<(&'static str, serde_json::Value)>> {
    let students = |ids: &mut dyn Iterator<Item = PersonId>| -> Vec<events::StudentRef> {
        let set: std::collections::BTreeSet<PersonId> = ids.collect();
        set.into_iter()
            .map(|id| events::StudentRef {
                id,
                first_name: names.get(&id).cloned().unwrap_or_default(),
            })
            .collect()
    };
    let mut out = Vec::new();
    if !marks.is_empty() {
        let fact = events::MarksSet {
            journal: journal.clone(),
            students: students(&mut marks.iter().map(|(m, _)| m.student_id)),
            marks: marks
                .iter()
                .map(|(m, changed)| events::MarkFact {
                    student_id: m.student_id,
                    lesson_id: m.lesson_id,
                    day: m.day.clone(),
                    value: m.value.clone(),
                    work_type: m.work_type.clone(),
                    work_type_name: work_types.get(&m.work_type).cloned().unwrap_or_default(),
                    comment: m.comment.clone(),
                    changed: *changed,
                })
                .collect(),
        };
        out.push((events::MARKS_SET, serde_json::to_value(fact)?));
    }
    if !absences.is_empty() {
        let fact = events::AbsencesSet {
            journal: journal.clone(),
            students: students(&mut absences.iter().map(|a| a.student_id)),
            absences: absences
                .iter()
                .map(|a| events::AbsenceFact {
                    student_id: a.student_id,
                    lesson_id: a.lesson_id,
                    day: a.day.clone(),
                    status: a.status.clone(),
                    reason: a.reason.clone(),
                })
                .collect(),
        };
        out.push((events::ABSENCES_SET, serde_json::to_value(fact)?));
    }
    if !homework.is_empty() {
        let fact = events::HomeworkSet {
            journal,
            students: students(&mut homework.iter().flat_map(|h| h.student_ids.iter().copied())),
            homework,
        };
        out.push((events::HOMEWORK_SET, serde_json::to_value(fact)?));
    }
    Ok(out)
}

fn fmt_avg(a: f64) -> f64 {
    (a * 100.0).round() / 100.0
}

impl Journal {
    /// The class-subjects the caller keeps journals for (a teacher).
    pub async fn my_journals(&self, p: &Principal) -> Result<Vec<JournalRef>> {
        if p.role() != Role::Teacher {
            return Ok(Vec::new());
        }
        Ok(store::teacher_journals(&self.db, p.person_id).await?)
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

    /// Saves marks, attendance, topics and homework of one journal at once — all or
    /// nothing. Each lesson is checked against the policy (its substitute may write
    /// it); a closed period refuses edits except by the school administration, whose
    /// edits there are logged.
    pub async fn save(
        &self,
        p: &Principal,
        origin: &Origin,
        class: ClassId,
        subject: &str,
        input: JournalSave,
        grades: Option<GradesInput>,
    ) -> Result<SaveResult> {
        // Bounded before anything is read: what one request may build.
        let sizes: Vec<FieldError> = [
            FieldError::check_len("marks", &input.marks, MAX_SAVE_MARKS),
            FieldError::check_len("attendance", &input.attendance, MAX_SAVE_ATTENDANCE),
            FieldError::check_len("lessons", &input.lessons, MAX_SAVE_LESSONS),
        ]
        .into_iter()
        .filter_map(|r| r.err())
        .collect();
        if !sizes.is_empty() {
            return Err(JournalError::Invalid(sizes));
        }
        let c = self.class_info(class).await?;
        let class_facts = self.class_facts(class).await?;
        let mut ids: Vec<LessonId> = input
            .marks
            .iter()
            .map(|m| m.lesson_id)
            .chain(input.attendance.iter().map(|a| a.lesson_id))
            .chain(input.lessons.iter().map(|l| l.lesson_id))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        ids.sort();
        let lessons: HashMap<LessonId, store::LessonKey> = store::lesson_keys_by_id(&self.db, &ids)
            .await?
            .into_iter()
            .filter(|l| l.class_id == class && l.subject_code == subject)
            .map(|l| (l.id, l))
            .collect();
        // Policy first: the caller must be able to write each lesson it touches.
        let mut checked = HashSet::new();
        let mut any = false;
        for l in lessons.values() {
            if checked.insert(l.teacher_id) {
                any = true;
                let facts = JournalFacts {
                    class: class_facts.clone(),
                    subject: subject.to_string(),
                    lesson_teacher: Some(l.teacher_id),
                };
                check(decide(p, Operation::WriteJournal, Target::Journal(&facts)))?;
            }
        }
        if !any {
            let facts = JournalFacts {
                class: class_facts.clone(),
                subject: subject.to_string(),
                lesson_teacher: None,
            };
            check(decide(p, Operation::WriteJournal, Target::Journal(&facts)))?;
        }
        let admin = matches!(p.role(), Role::SchoolAdmin | Role::PlatformAdmin);
        let periods = self.class_periods(&c).await?;
        let scale = store::mark_scale(&self.db, class, subject).await?;
        let work_types: HashMap<String, i64> = self
            .work_types()
            .await?
            .into_iter()
            .map(|w| (w.code, w.weight))
            .collect();
        // The class once: who may get marks here, and the first names notifications use.
        let names: HashMap<PersonId, String> = store::class_students(&self.db, class, None)
            .await?
            .into_iter()
            .map(|s| {
                let first = s
                    .name
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or(&s.name)
                    .to_string();
                (s.id, first)
            })
            .collect();
        let all_students: HashSet<PersonId> = names.keys().copied().collect();
        let mut group_students: HashMap<parta_core::ids::GroupId, HashSet<PersonId>> =
            HashMap::new();
        for l in lessons.values() {
            if let Some(g) = l.group_id {
                if let std::collections::hash_map::Entry::Vacant(v) = group_students.entry(g) {
                    v.insert(
                        store::class_students(&self.db, class, Some(g))
                            .await?
                            .into_iter()
                            .map(|s| s.id)
                            .collect(),
                    );
                }
            }
        }
        let existing: HashMap<MarkId, Mark> = store::marks_by_id(
            &self.db,
            &input
                .marks
                .iter()
                .filter_map(|m| m.mark_id)
                .collect::<Vec<_>>(),
        )
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();

        let mut errors: Vec<FieldError> = Vec::new();
        let mut closed_edit = false;
        let today = today().to_string();
        // Checks a lesson reference; returns the lesson when usable.
        let mut lesson_ok = |field: String,
                             id: LessonId,
                             student: Option<PersonId>,
                             errors: &mut Vec<FieldError>|
         -> Option<store::LessonKey> {
            let Some(l) = lessons.get(&id) else {
                errors.push(FieldError::new(field, "Урок не найден в этом журнале."));
                return None;
            };
            if let Some(per) = periods
                .iter()
                .find(|per| per.covers(&l.day) && per.closed_at.is_some())
            {
                if admin {
                    closed_edit = true;
                } else {
                    errors.push(FieldError::new(
                        field.clone(),
                        format!(
                            "Период «{}» закрыт: изменения вносит администрация школы.",
                            per.name
                        ),
                    ));
                    return None;
                }
            }
            if let Some(s) = student {
                let ok = match l.group_id {
                    Some(g) => group_students.get(&g).is_some_and(|set| set.contains(&s)),
                    None => all_students.contains(&s),
                };
                if !ok {
                    errors.push(FieldError::new(
                        field.replace("lesson_id", "student_id"),
                        "Ученик не числится в этом классе (группе).",
                    ));
                    return None;
                }
            }
            Some(l.clone())
        };

        enum Op {
            Insert(store::NewMark),
            Update(Mark, store::NewMark),
            Delete(Mark),
        }
        let mut ops = Vec::new();
        // New marks as (index in the request, lesson, student), and marks removed, for the
        // per-lesson bound.
        let mut inserted: Vec<(usize, LessonId, PersonId)> = Vec::new();
        let mut removed: Vec<(LessonId, PersonId)> = Vec::new();
        let mut seen_marks = HashSet::new();
        for (i, m) in input.marks.iter().enumerate() {
            let f = |k: &str| format!("marks[{i}].{k}");
            if m.mark_id.is_some_and(|id| !seen_marks.insert(id)) {
                errors.push(FieldError::new(f("mark_id"), "Эта отметка указана дважды."));
                continue;
            }
            let Some(l) = lesson_ok(f("lesson_id"), m.lesson_id, Some(m.student_id), &mut errors)
            else {
                continue;
            };
            if l.status == "cancelled" {
                errors.push(FieldError::new(
                    f("lesson_id"),
                    "Урок отменён — отметки на нём не ставятся.",
                ));
                continue;
            }
            if l.day > today {
                errors.push(FieldError::new(
                    f("lesson_id"),
                    format!(
                        "Урок {} ещё не прошёл — отметку поставить нельзя.",
                        ru_date(&l.day)
                    ),
                ));
                continue;
            }
            let raw = m.value.as_deref().map(str::trim).unwrap_or("");
            let old = match m.mark_id {
                Some(id) => match existing.get(&id) {
                    Some(old) if old.lesson_id == m.lesson_id && old.student_id == m.student_id => {
                        Some(old.clone())
                    }
                    _ => {
                        errors.push(FieldError::new(f("mark_id"), "Отметка не найдена."));
                        continue;
                    }
                },
                None => None,
            };
            // No comment in the request keeps the old one; an empty one clears it.
            let comment = match m.comment.as_deref() {
                None => old.as_ref().and_then(|o| o.comment.clone()),
                Some(c) => Some(c.trim().to_string()).filter(|c| !c.is_empty()),
            };
            if comment.as_ref().is_some_and(|c| c.chars().count() > 500) {
                errors.push(FieldError::new(
                    f("comment"),
                    "Комментарий — до 500 знаков.",
                ));
                continue;
            }
            if raw.is_empty() {
                match old {
                    Some(old) => {
                        removed.push((old.lesson_id, old.student_id));
                        ops.push(Op::Delete(old))
                    }
                    None => errors.push(FieldError::new(f("value"), "Укажите отметку.")),
                }
                continue;
            }
            let Some((value, score)) = scale.check(raw) else {
                errors.push(FieldError::new(
                    f("value"),
                    format!(
                        "Отметки «{raw}» нет на шкале журнала ({}).",
                        scale.values().join(", ")
                    ),
                ));
                continue;
            };
            let work_type = m
                .work_type
                .clone()
                .or_else(|| old.as_ref().map(|o| o.work_type.clone()))
                .unwrap_or_else(|| DEFAULT_WORK_TYPE.to_string());
            let Some(weight) = work_types.get(&work_type).copied() else {
                errors.push(FieldError::new(
                    f("work_type"),
                    format!("Неизвестный вид работы «{work_type}»."),
                ));
                continue;
            };
            let new = store::NewMark {
                id: old.as_ref().map(|o| o.id).unwrap_or_else(MarkId::new),
                lesson_id: l.id,
                student_id: m.student_id,
                day: l.day.clone(),
                subject_code: l.subject_code.clone(),
                value,
                score,
                work_type,
                weight,
                comment,
            };
            ops.push(match old {
                Some(old) => Op::Update(old, new),
                None => {
                    inserted.push((i, new.lesson_id, new.student_id));
                    Op::Insert(new)
                }
            });
        }
        self.check_marks_per_lesson(&inserted, &removed, &mut errors)
            .await?;
        let mut absences = Vec::new();
        let mut presences = Vec::new();
        let mut seen_attendance = HashSet::new();
        for (i, a) in input.attendance.iter().enumerate() {
            if !seen_attendance.insert((a.lesson_id, a.student_id)) {
                errors.push(FieldError::new(
                    format!("attendance[{i}].student_id"),
                    "Посещаемость этого ученика на этом уроке указана дважды.",
                ));
                continue;
            }
            let f = |k: &str| format!("attendance[{i}].{k}");
            let Some(l) = lesson_ok(f("lesson_id"), a.lesson_id, Some(a.student_id), &mut errors)
            else {
                continue;
            };
            if l.day > today {
                errors.push(FieldError::new(
                    f("lesson_id"),
                    format!(
                        "Урок {} ещё не прошёл — посещаемость отмечается в день урока.",
                        ru_date(&l.day)
                    ),
                ));
                continue;
            }
            if l.status == "cancelled" {
                errors.push(FieldError::new(
                    f("lesson_id"),
                    "Урок отменён — посещаемость на нём не отмечается.",
                ));
                continue;
            }
            match a.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                None | Some("present") => presences.push((a.lesson_id, a.student_id)),
                Some(s) if ATTENDANCE.iter().any(|(k, _)| *k == s) => absences.push(Attendance {
                    lesson_id: a.lesson_id,
                    student_id: a.student_id,
                    day: l.day.clone(),
                    status: s.to_string(),
                    reason: a.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(|r| r.chars().take(200).collect()),
                }),
                Some(s) => errors.push(FieldError::new(
                    f("status"),
                    format!("Неизвестная отметка посещаемости «{s}»: absent, ill, excused, late или пусто."),
                )),
            }
        }
        for (i, li) in input.lessons.iter().enumerate() {
            let f = |k: &str| format!("lessons[{i}].{k}");
            let Some(l) = lesson_ok(f("lesson_id"), li.lesson_id, None, &mut errors) else {
                continue;
            };
            if li
                .homework_due
                .is_some_and(|d| d.to_string() < l.day || d.to_string() > c.year_ends_on)
            {
                errors.push(FieldError::new(
                    f("homework_due"),
                    "Срок сдачи — не раньше дня урока и не позже конца учебного года.",
                ));
            }
            if li.topic.as_ref().is_some_and(|t| t.chars().count() > 500) {
                errors.push(FieldError::new(f("topic"), "Тема — до 500 знаков."));
            }
            if li
                .homework
                .as_ref()
                .is_some_and(|t| t.chars().count() > 4000)
            {
                errors.push(FieldError::new(
                    f("homework"),
                    "Домашнее задание — до 4000 знаков.",
                ));
            }
        }
        if !errors.is_empty() {
            return Err(JournalError::Invalid(errors));
        }
        // Grades entered on the same page are checked before anything is written, too.
        let grades = match grades {
            Some(g) if g.class_id == class && g.subject_code == subject => {
                Some(self.check_grades(p, &g).await?)
            }
            Some(_) => {
                return Err(JournalError::invalid(
                    "grades",
                    "Итоговые отметки — из другого журнала.",
                ))
            }
            None => None,
        };

        // What happened, as this domain's facts (notifications and other consumers
        // read them from the stream).
        let set_marks: Vec<(&store::NewMark, bool)> = ops
            .iter()
            .filter_map(|op| match op {
                Op::Insert(m) => Some((m, false)),
                Op::Update(_, m) => Some((m, true)),
                Op::Delete(_) => None,
            })
            .collect();
        let mut homework = Vec::new();
        for li in &input.lessons {
            let Some(l) = lessons.get(&li.lesson_id) else {
                continue;
            };
            let new_hw = li
                .homework
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty());
            let Some(hw) = new_hw.filter(|hw| l.homework.as_deref() != Some(*hw)) else {
                continue;
            };
            let pupils = match l.group_id {
                Some(g) => group_students.get(&g).unwrap_or(&all_students),
                None => &all_students,
            };
            let mut student_ids: Vec<PersonId> = pupils.iter().copied().collect();
            student_ids.sort();
            homework.push(events::HomeworkFact {
                lesson_id: li.lesson_id,
                day: l.day.clone(),
                text: hw.chars().take(2000).collect(),
                student_ids,
            });
        }
        let journal = events::JournalRef {
            organisation_id: c.organisation_id,
            class_id: class,
            subject_code: subject.to_string(),
            subject_name: store::subject_name(&self.db, subject)
                .await?
                .unwrap_or_default(),
        };
        let events = save_facts(
            journal,
            &names,
            &self.work_type_names().await?,
            &set_marks,
            &absences,
            homework,
        )?;
        let now = now_ms();
        let role = p.role().as_str();
        let mut result = SaveResult {
            marks_written: 0,
            marks_removed: 0,
            attendance_written: absences.len() + presences.len(),
            lessons_written: input.lessons.len(),
            created: Vec::new(),
        };
        let mut e = entry(p, origin, "update", "journal");
        e.organisation_id = Some(c.organisation_id);
        e.object_id = Some(format!("{class}:{subject}"));
        e.details = Some(format!(
            "marks {}, attendance {}, lessons {}{}",
            ops.len(),
            result.attendance_written,
            result.lessons_written,
            if closed_edit { ", closed period" } else { "" }
        ));
        let mut tx = self.db.begin_write().await?;
        let mut inserts = Vec::new();
        for op in ops {
            match op {
                Op::Insert(m) => {
                    result.created.push(m.id);
                    result.marks_written += 1;
                    inserts.push(m);
                }
                Op::Update(old, m) => {
                    if old.value != m.value
                        || old.work_type != m.work_type
                        || old.comment != m.comment
                    {
                        store::update_mark(&mut tx, &m, p.person_id, now).await?;
                        store::insert_history(
                            &mut tx,
                            &old,
                            Some(&m.value),
                            p.person_id,
                            role,
                            now,
                        )
                        .await?;
                        result.marks_written += 1;
                    }
                }
                Op::Delete(old) => {
                    store::delete_mark(&mut tx, old.id).await?;
                    store::insert_history(&mut tx, &old, None, p.person_id, role, now).await?;
                    result.marks_removed += 1;
                }
            }
        }
        store::insert_marks(&self.db, &mut tx, &inserts, p.person_id, now).await?;
        for a in &absences {
            store::upsert_attendance(&mut tx, a, p.person_id, now).await?;
        }
        for (lesson, student) in &presences {
            store::delete_attendance(&mut tx, *lesson, *student).await?;
        }
        for li in &input.lessons {
            store::set_lesson_content(&mut tx, li, now).await?;
        }
        if let Some(g) = &grades {
            self.write_grades(&mut tx, p, origin, g).await?;
        }
        for (kind, fact) in &events {
            parta_db::outbox::Outbox::push_in(&mut tx, kind, fact).await?;
        }
        AuditLog::record_in(&mut tx, e).await?;
        tx.commit().await?;
        self.weeks.forget(class);
        self.outbox.wake();
        Ok(result)
    }

    /// At most [`MAX_MARKS_PER_LESSON`] marks a student for one lesson, counting those
    /// already there and those this save adds.
    async fn check_marks_per_lesson(
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
                errors.push(FieldError::new(
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
        let done: HashMap<PersonId, (i64, Option<String>)> = store::submissions(&self.db, id)
            .await?
            .into_iter()
            .map(|(s, at, a)| (s, (at, a)))
            .collect();
        let submissions = students
            .iter()
            .map(|s| Submission {
                student_id: s.id,
                student_name: s.name.clone(),
                done_at: done.get(&s.id).map(|d| d.0),
                answer: done.get(&s.id).and_then(|d| d.1.clone()),
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
    pub(super) async fn check_grades(
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
        let admin = matches!(p.role(), Role::SchoolAdmin | Role::PlatformAdmin);
        let closed = match period {
            Some(per) => per.closed_at.is_some().then(|| per.name.clone()),
            None => periods
                .iter()
                .max_by(|a, b| a.ends_on.cmp(&b.ends_on))
                .filter(|last| last.closed_at.is_some())
                .map(|last| last.name.clone()),
        };
        if let (Some(name), false) = (closed, admin) {
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
        let mut rows = Vec::new();
        for (i, g) in input.grades.iter().enumerate() {
            if !students.contains(&g.student_id) {
                errors.push(FieldError::new(
                    format!("grades[{i}].student_id"),
                    "Ученик не числится в этом классе.",
                ));
                continue;
            }
            if own_group
                .as_ref()
                .is_some_and(|m| !m.contains(&g.student_id))
            {
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
    pub(super) async fn write_grades(
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
