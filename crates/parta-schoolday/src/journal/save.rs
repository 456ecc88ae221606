//! Saving a journal (a class's worth of marks, attendance, topics and homework at once),
//! in three steps: **collect** what the save needs to know (and whether the caller may
//! write it), **check** every cell against it without writing anything, **write** the
//! checked plan in one transaction with its audit entry and its events.

use crate::error::codes;
use crate::events;
use crate::journal::service::CheckedGrades;
use crate::service::*;
use parta_core::ids::{GroupId, LessonId, MarkId};
use parta_core::time::{now_ms, today};
use parta_core::FieldError;
use std::collections::{HashMap, HashSet};

const DEFAULT_WORK_TYPE: &str = "classwork";

/// What a save needs to know, read once before anything is checked.
pub(crate) struct SaveContext {
    class: ClassId,
    subject: String,
    info: store::ClassInfo,
    /// The lessons the request names that belong to this journal.
    lessons: HashMap<LessonId, store::LessonKey>,
    periods: Vec<Period>,
    /// The caller may edit a closed period (the policy's `EditClosedPeriod`).
    admin: bool,
    scale: Scale,
    /// Weights of the kinds of work by code.
    weights: HashMap<String, i64>,
    /// First names of the class's students (notifications use them).
    names: HashMap<PersonId, String>,
    all_students: HashSet<PersonId>,
    group_students: HashMap<GroupId, HashSet<PersonId>>,
    /// Marks the request names by id.
    existing: HashMap<MarkId, Mark>,
    today: String,
}

/// A mark change, checked.
enum MarkOp {
    Insert(store::NewMark),
    Update(Mark, store::NewMark),
    Delete(Mark),
}

/// What a save will write, every cell checked.
pub(crate) struct SavePlan {
    marks: Vec<MarkOp>,
    absences: Vec<Attendance>,
    presences: Vec<(LessonId, PersonId)>,
    lessons: Vec<LessonInput>,
    grades: Option<CheckedGrades>,
    /// The administration edited a closed period (said in the audit entry).
    closed_edit: bool,
}

impl SaveContext {
    /// Checks a lesson reference of the request; the lesson when it may be written.
    pub(crate) fn lesson(
        &self,
        field: String,
        id: LessonId,
        student: Option<PersonId>,
        errors: &mut Vec<FieldError>,
        closed_edit: &mut bool,
    ) -> Option<&store::LessonKey> {
        let Some(l) = self.lessons.get(&id) else {
            errors.push(FieldError::coded(
                &codes::LESSON_NOT_IN_JOURNAL,
                field,
                "Урок не найден в этом журнале.",
            ));
            return None;
        };
        if let Some(per) = self
            .periods
            .iter()
            .find(|per| per.covers(&l.day) && per.closed_at.is_some())
        {
            if self.admin {
                *closed_edit = true;
            } else {
                errors.push(FieldError::coded(
                    &codes::PERIOD_CLOSED,
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
            if !self.students_of(l).contains(&s) {
                errors.push(FieldError::coded(
                    &codes::STUDENT_NOT_IN_CLASS,
                    field.replace("lesson_id", "student_id"),
                    "Ученик не числится в этом классе (группе).",
                ));
                return None;
            }
        }
        Some(l)
    }

    /// The students of a lesson: its group's, or the class's.
    pub(crate) fn students_of(&self, l: &store::LessonKey) -> &HashSet<PersonId> {
        match l.group_id {
            Some(g) => self.group_students.get(&g).unwrap_or(&self.all_students),
            None => &self.all_students,
        }
    }
}

impl Journal {
    /// Saves marks, attendance, topics and homework of one journal at once — all or
    /// nothing, naming every bad field. Each lesson is checked against the policy (its
    /// substitute may write it); a closed period refuses edits except by the school
    /// administration, whose edits there are logged.
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
        let ctx = self.collect_save(p, class, subject, &input).await?;
        let plan = self.check_save(p, &ctx, input, grades).await?;
        let facts = self.save_facts(&ctx, &plan).await?;
        self.write_save(p, origin, &ctx, plan, facts).await
    }

    /// Collect: the journal's lessons, periods, scale, students and the marks named, and
    /// whether the caller may write each lesson touched (the policy decides).
    pub(crate) async fn collect_save(
        &self,
        p: &Principal,
        class: ClassId,
        subject: &str,
        input: &JournalSave,
    ) -> Result<SaveContext> {
        let info = self.class_info(class).await?;
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
        // Policy first: the caller must be able to write each lesson it touches (a
        // substitute writes the lessons they gave, and only those).
        let mut teachers: Vec<Option<PersonId>> = lessons
            .values()
            .map(|l| Some(l.teacher_id))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        if teachers.is_empty() {
            teachers.push(None);
        }
        for lesson_teacher in teachers {
            let facts = JournalFacts {
                class: class_facts.clone(),
                subject: subject.to_string(),
                lesson_teacher,
            };
            check(decide(p, Operation::WriteJournal, Target::Journal(&facts)))?;
        }
        let periods = self.class_periods(&info).await?;
        // Asked only when the request touches a lesson of a closed period (the policy's
        // refusals are recorded): a closed period is the administration's.
        let touches_closed = lessons.values().any(|l| {
            periods
                .iter()
                .any(|per| per.covers(&l.day) && per.closed_at.is_some())
        });
        let admin = touches_closed
            && decide(p, Operation::EditClosedPeriod, Target::Class(&class_facts))
                == Decision::Allow;
        let scale = store::mark_scale(&self.db, class, subject).await?;
        let weights: HashMap<String, i64> = self
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
        let mut group_students: HashMap<GroupId, HashSet<PersonId>> = HashMap::new();
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
        let named: Vec<MarkId> = input.marks.iter().filter_map(|m| m.mark_id).collect();
        let existing: HashMap<MarkId, Mark> = store::marks_by_id(&self.db, &named)
            .await?
            .into_iter()
            .map(|m| (m.id, m))
            .collect();
        Ok(SaveContext {
            class,
            subject: subject.to_string(),
            info,
            lessons,
            periods,
            admin,
            scale,
            weights,
            names,
            all_students,
            group_students,
            existing,
            today: today().to_string(),
        })
    }

    /// Check: every cell of the request against what was collected; nothing is written.
    pub(crate) async fn check_save(
        &self,
        p: &Principal,
        ctx: &SaveContext,
        input: JournalSave,
        grades: Option<GradesInput>,
    ) -> Result<SavePlan> {
        let mut errors: Vec<FieldError> = Vec::new();
        let mut closed_edit = false;
        let (marks, (inserted, removed)) =
            check_marks(ctx, &input.marks, &mut errors, &mut closed_edit);
        self.check_marks_per_lesson(&inserted, &removed, &mut errors)
            .await?;
        let (absences, presences) =
            check_attendance(ctx, &input.attendance, &mut errors, &mut closed_edit);
        check_lessons(ctx, &input.lessons, &mut errors, &mut closed_edit);
        if !errors.is_empty() {
            return Err(JournalError::Invalid(errors));
        }
        // Grades entered on the same page are checked before anything is written, too.
        let grades = match grades {
            Some(g) if g.class_id == ctx.class && g.subject_code == ctx.subject => {
                Some(self.check_grades(p, &g).await?)
            }
            Some(_) => {
                return Err(JournalError::coded(
                    &codes::GRADES_OTHER_JOURNAL,
                    "grades",
                    "Итоговые отметки — из другого журнала.",
                ))
            }
            None => None,
        };
        Ok(SavePlan {
            marks,
            absences,
            presences,
            lessons: input.lessons,
            grades,
            closed_edit,
        })
    }

    /// What the save tells the school: this domain's facts for the event stream.
    pub(crate) async fn save_facts(
        &self,
        ctx: &SaveContext,
        plan: &SavePlan,
    ) -> Result<Vec<(&'static str, serde_json::Value)>> {
        let set_marks: Vec<(&store::NewMark, bool)> = plan
            .marks
            .iter()
            .filter_map(|op| match op {
                MarkOp::Insert(m) => Some((m, false)),
                MarkOp::Update(_, m) => Some((m, true)),
                MarkOp::Delete(_) => None,
            })
            .collect();
        let mut homework = Vec::new();
        for li in &plan.lessons {
            let Some(l) = ctx.lessons.get(&li.lesson_id) else {
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
            let mut student_ids: Vec<PersonId> = ctx.students_of(l).iter().copied().collect();
            student_ids.sort();
            homework.push(events::HomeworkFact {
                lesson_id: li.lesson_id,
                day: l.day.clone(),
                text: hw.chars().take(2000).collect(),
                student_ids,
            });
        }
        let journal = events::JournalRef {
            organisation_id: ctx.info.organisation_id,
            class_id: ctx.class,
            subject_code: ctx.subject.clone(),
            subject_name: store::subject_name(&self.db, &ctx.subject)
                .await?
                .unwrap_or_default(),
        };
        facts_of_save(
            journal,
            &ctx.names,
            &self.work_type_names().await?,
            &set_marks,
            &plan.absences,
            homework,
        )
    }

    /// Write: the checked plan, its audit entry and its events, in one transaction.
    pub(crate) async fn write_save(
        &self,
        p: &Principal,
        origin: &Origin,
        ctx: &SaveContext,
        plan: SavePlan,
        facts: Vec<(&'static str, serde_json::Value)>,
    ) -> Result<SaveResult> {
        let now = now_ms();
        let role = p.role().as_str();
        let mut result = SaveResult {
            marks_written: 0,
            marks_removed: 0,
            attendance_written: plan.absences.len() + plan.presences.len(),
            lessons_written: plan.lessons.len(),
            created: Vec::new(),
        };
        let mut e = entry(p, origin, "update", "journal");
        e.organisation_id = Some(ctx.info.organisation_id);
        e.object_id = Some(format!("{}:{}", ctx.class, ctx.subject));
        e.details = Some(format!(
            "marks {}, attendance {}, lessons {}{}",
            plan.marks.len(),
            result.attendance_written,
            result.lessons_written,
            if plan.closed_edit {
                ", closed period"
            } else {
                ""
            }
        ));
        let mut tx = self.db.begin_write().await?;
        let mut inserts = Vec::new();
        for op in plan.marks {
            match op {
                MarkOp::Insert(m) => {
                    result.created.push(m.id);
                    result.marks_written += 1;
                    inserts.push(m);
                }
                MarkOp::Update(old, m) => {
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
                MarkOp::Delete(old) => {
                    store::delete_mark(&mut tx, old.id).await?;
                    store::insert_history(&mut tx, &old, None, p.person_id, role, now).await?;
                    result.marks_removed += 1;
                }
            }
        }
        store::insert_marks(&self.db, &mut tx, &inserts, p.person_id, now).await?;
        for a in &plan.absences {
            store::upsert_attendance(&mut tx, a, p.person_id, now).await?;
        }
        for (lesson, student) in &plan.presences {
            store::delete_attendance(&mut tx, *lesson, *student).await?;
        }
        let mut taken: Vec<LessonId> = plan
            .absences
            .iter()
            .map(|a| a.lesson_id)
            .chain(plan.presences.iter().map(|(l, _)| *l))
            .collect();
        taken.sort();
        taken.dedup();
        store::attendance_taken(&mut tx, &taken, now).await?;
        for li in &plan.lessons {
            store::set_lesson_content(&mut tx, li, now).await?;
        }
        if let Some(g) = &plan.grades {
            self.write_grades(&mut tx, p, origin, g).await?;
        }
        for (kind, fact) in &facts {
            parta_db::outbox::Outbox::push_in(&mut tx, kind, fact).await?;
        }
        AuditLog::record_in(&mut tx, e).await?;
        tx.commit().await?;
        self.weeks.forget(ctx.class);
        self.outbox.wake();
        Ok(result)
    }
}

/// New marks as (index in the request, lesson, student) and marks removed, for the
/// per-lesson bound.
type MarkCounts = (Vec<(usize, LessonId, PersonId)>, Vec<(LessonId, PersonId)>);

/// Checks the marks of a save: the lesson, the student, the scale, the kind of work.
fn check_marks(
    ctx: &SaveContext,
    marks: &[MarkInput],
    errors: &mut Vec<FieldError>,
    closed_edit: &mut bool,
) -> (Vec<MarkOp>, MarkCounts) {
    let mut ops = Vec::new();
    let (mut inserted, mut removed): MarkCounts = Default::default();
    let mut seen = HashSet::new();
    for (i, m) in marks.iter().enumerate() {
        let f = |k: &str| format!("marks[{i}].{k}");
        if m.mark_id.is_some_and(|id| !seen.insert(id)) {
            errors.push(FieldError::coded(
                &codes::MARK_TWICE,
                f("mark_id"),
                "Эта отметка указана дважды.",
            ));
            continue;
        }
        let Some(l) = ctx.lesson(
            f("lesson_id"),
            m.lesson_id,
            Some(m.student_id),
            errors,
            closed_edit,
        ) else {
            continue;
        };
        if l.status == "cancelled" {
            errors.push(FieldError::coded(
                &codes::LESSON_CANCELLED,
                f("lesson_id"),
                "Урок отменён — отметки на нём не ставятся.",
            ));
            continue;
        }
        if l.day > ctx.today {
            errors.push(FieldError::coded(
                &codes::LESSON_NOT_GIVEN,
                f("lesson_id"),
                format!(
                    "Урок {} ещё не прошёл — отметку поставить нельзя.",
                    ru_date(&l.day)
                ),
            ));
            continue;
        }
        let old = match m.mark_id {
            Some(id) => match ctx.existing.get(&id) {
                Some(old) if old.lesson_id == m.lesson_id && old.student_id == m.student_id => {
                    Some(old.clone())
                }
                _ => {
                    errors.push(FieldError::coded(
                        &codes::MARK_NOT_FOUND,
                        f("mark_id"),
                        "Отметка не найдена.",
                    ));
                    continue;
                }
            },
            None => None,
        };
        match check_mark(ctx, l, m, old, &f) {
            Ok(MarkOp::Delete(old)) => {
                removed.push((old.lesson_id, old.student_id));
                ops.push(MarkOp::Delete(old));
            }
            Ok(MarkOp::Insert(new)) => {
                inserted.push((i, new.lesson_id, new.student_id));
                ops.push(MarkOp::Insert(new));
            }
            Ok(op) => ops.push(op),
            Err(e) => errors.push(e),
        }
    }
    (ops, (inserted, removed))
}

/// One mark's value, comment and kind of work: what to do with it.
fn check_mark(
    ctx: &SaveContext,
    l: &store::LessonKey,
    m: &MarkInput,
    old: Option<Mark>,
    f: &dyn Fn(&str) -> String,
) -> std::result::Result<MarkOp, FieldError> {
    let raw = m.value.as_deref().map(str::trim).unwrap_or("");
    // No comment in the request keeps the old one; an empty one clears it.
    let comment = match m.comment.as_deref() {
        None => old.as_ref().and_then(|o| o.comment.clone()),
        Some(c) => Some(c.trim().to_string()).filter(|c| !c.is_empty()),
    };
    if comment.as_ref().is_some_and(|c| c.chars().count() > 500) {
        return Err(FieldError::coded(
            &codes::TOO_LONG,
            f("comment"),
            "Комментарий — до 500 знаков.",
        ));
    }
    if raw.is_empty() {
        return match old {
            Some(old) => Ok(MarkOp::Delete(old)),
            None => Err(FieldError::coded(
                &codes::MARK_MISSING,
                f("value"),
                "Укажите отметку.",
            )),
        };
    }
    let Some((value, score)) = ctx.scale.check(raw) else {
        return Err(FieldError::coded(
            &codes::MARK_NOT_ON_SCALE,
            f("value"),
            format!(
                "Отметки «{raw}» нет на шкале журнала ({}).",
                ctx.scale.values().join(", ")
            ),
        ));
    };
    let work_type = m
        .work_type
        .clone()
        .or_else(|| old.as_ref().map(|o| o.work_type.clone()))
        .or_else(|| l.work_type.clone())
        .unwrap_or_else(|| DEFAULT_WORK_TYPE.to_string());
    let Some(weight) = ctx.weights.get(&work_type).copied() else {
        return Err(FieldError::coded(
            &codes::UNKNOWN_WORK_TYPE,
            f("work_type"),
            format!("Неизвестный вид работы «{work_type}»."),
        ));
    };
    let new = store::NewMark {
        // The old id, the one asked for, or a new one.
        id: old.as_ref().map(|o| o.id).or(m.new_id).unwrap_or_default(),
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
    Ok(match old {
        Some(old) => MarkOp::Update(old, new),
        None => MarkOp::Insert(new),
    })
}

/// Checks the attendance of a save: absences to write, presences to clear.
fn check_attendance(
    ctx: &SaveContext,
    attendance: &[AttendanceInput],
    errors: &mut Vec<FieldError>,
    closed_edit: &mut bool,
) -> (Vec<Attendance>, Vec<(LessonId, PersonId)>) {
    let mut absences = Vec::new();
    let mut presences = Vec::new();
    let mut seen = HashSet::new();
    for (i, a) in attendance.iter().enumerate() {
        if !seen.insert((a.lesson_id, a.student_id)) {
            errors.push(FieldError::coded(
                &codes::ATTENDANCE_TWICE,
                format!("attendance[{i}].student_id"),
                "Посещаемость этого ученика на этом уроке указана дважды.",
            ));
            continue;
        }
        let f = |k: &str| format!("attendance[{i}].{k}");
        let Some(l) = ctx.lesson(
            f("lesson_id"),
            a.lesson_id,
            Some(a.student_id),
            errors,
            closed_edit,
        ) else {
            continue;
        };
        if l.day > ctx.today {
            errors.push(FieldError::coded(
                &codes::LESSON_NOT_GIVEN,
                f("lesson_id"),
                format!(
                    "Урок {} ещё не прошёл — посещаемость отмечается в день урока.",
                    ru_date(&l.day)
                ),
            ));
            continue;
        }
        if l.status == "cancelled" {
            errors.push(FieldError::coded(
                &codes::LESSON_CANCELLED,
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
                reason: a
                    .reason
                    .as_deref()
                    .map(str::trim)
                    .filter(|r| !r.is_empty())
                    .map(|r| r.chars().take(200).collect()),
            }),
            Some(s) => errors.push(FieldError::coded(
                &codes::UNKNOWN_ATTENDANCE,
                f("status"),
                format!(
                    "Неизвестная отметка посещаемости «{s}»: absent, ill, excused, late или пусто."
                ),
            )),
        }
    }
    (absences, presences)
}

/// Checks the topics, homework and due dates of a save.
fn check_lessons(
    ctx: &SaveContext,
    lessons: &[LessonInput],
    errors: &mut Vec<FieldError>,
    closed_edit: &mut bool,
) {
    for (i, li) in lessons.iter().enumerate() {
        let f = |k: &str| format!("lessons[{i}].{k}");
        let Some(l) = ctx.lesson(f("lesson_id"), li.lesson_id, None, errors, closed_edit) else {
            continue;
        };
        if li
            .homework_due
            .is_some_and(|d| d.to_string() < l.day || d.to_string() > ctx.info.year_ends_on)
        {
            errors.push(FieldError::coded(
                &codes::HOMEWORK_DUE,
                f("homework_due"),
                "Срок сдачи — не раньше дня урока и не позже конца учебного года.",
            ));
        }
        if li
            .work_type
            .as_ref()
            .is_some_and(|w| !ctx.weights.contains_key(w))
        {
            errors.push(FieldError::coded(
                &codes::UNKNOWN_WORK_TYPE,
                f("work_type"),
                "Выберите форму контроля из списка.",
            ));
        }
        if li.topic.as_ref().is_some_and(|t| t.chars().count() > 500) {
            errors.push(FieldError::coded(
                &codes::TOO_LONG,
                f("topic"),
                "Тема — до 500 знаков.",
            ));
        }
        if li
            .homework
            .as_ref()
            .is_some_and(|t| t.chars().count() > 4000)
        {
            errors.push(FieldError::coded(
                &codes::TOO_LONG,
                f("homework"),
                "Домашнее задание — до 4000 знаков.",
            ));
        }
    }
}

/// The facts of one journal save: at most one event of each kind.
fn facts_of_save(
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
