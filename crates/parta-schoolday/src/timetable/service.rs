//! Расписание: template versions with conflict detection, per-date changes, day and week
//! views for a class, a teacher or a student, and CSV import of a template.

use crate::events;
use crate::service::*;
use chrono::{Duration, NaiveDate};
use parta_core::ids::{LessonId, SlotId};
use parta_core::time::now_ms;
use parta_core::FieldError;

/// A lesson change: what is set, its kind, its fact, and who would be where.
type LessonChangePlan = (
    store::LessonUpdate,
    &'static str,
    events::LessonChangeFact,
    Option<(PersonId, Option<String>, String, i64, String)>,
);

pub(crate) fn lesson_words(subject: &str, class: &str, weekday: i64, lesson_no: i64) -> String {
    let wd = WEEKDAYS_RU
        .get((weekday - 1).clamp(0, 6) as usize)
        .copied()
        .unwrap_or("");
    format!("«{subject}», {class}, {wd}, {lesson_no}-й урок")
}

pub(crate) fn dated_words(subject: &str, class: &str, day: &str, lesson_no: i64) -> String {
    format!("«{subject}», {class}, {}, {lesson_no}-й урок", ru_date(day))
}

impl Journal {
    /// The current and future template of a class.
    pub async fn template(&self, p: &Principal, class: ClassId) -> Result<Vec<Slot>> {
        let facts = self.class_facts(class).await?;
        check(decide(p, Operation::ReadTimetable, Target::Class(&facts)))?;
        let today = parta_core::time::today().to_string();
        Ok(store::class_slots(&self.db.pool, class, &today).await?)
    }

    /// Sets a new version of a class's weekly template from `valid_from`. Every slot is
    /// checked; a teacher, room, class or group in two places at once is refused with a
    /// message naming both lessons; nothing is written unless all is well.
    pub async fn set_template(
        &self,
        p: &Principal,
        origin: &Origin,
        class: ClassId,
        input: TemplateVersion,
    ) -> Result<Vec<Slot>> {
        self.authorize_class_manage(p, class).await?;
        FieldError::check_len("slots", &input.slots, MAX_TEMPLATE_SLOTS)
            .map_err(|e| JournalError::Invalid(vec![e]))?;
        let c = self.class_info(class).await?;
        let settings = store::settings(&self.db, c.organisation_id).await?;
        let bells = store::bells(&self.db, c.organisation_id).await?;
        let shift_bells: Vec<&Bell> = bells.iter().filter(|b| b.shift == c.shift).collect();
        let mut errors = Vec::new();
        if input.valid_from.to_string() > c.year_ends_on {
            errors.push(FieldError::new(
                "valid_from",
                "Дата начала — после конца учебного года.",
            ));
        }
        let mut names = std::collections::HashMap::new();
        for (i, s) in input.slots.iter().enumerate() {
            let f = |k: &str| format!("slots[{i}].{k}");
            if !(1..=settings.week_days).contains(&s.weekday) {
                errors.push(FieldError::new(
                    f("weekday"),
                    format!("День недели — от 1 до {}.", settings.week_days),
                ));
            }
            let has_bell = if shift_bells.is_empty() {
                (1..=12).contains(&s.lesson_no)
            } else {
                shift_bells.iter().any(|b| b.lesson_no == s.lesson_no)
            };
            if !has_bell {
                errors.push(FieldError::new(
                    f("lesson_no"),
                    format!(
                        "В расписании звонков {}-й смены нет {}-го урока.",
                        c.shift, s.lesson_no
                    ),
                ));
            }
            match store::subject_name(&self.db, &s.subject_code).await? {
                Some(n) => {
                    names.insert(s.subject_code.clone(), n);
                }
                None => errors.push(FieldError::new(
                    f("subject_code"),
                    format!("Неизвестный предмет «{}».", s.subject_code),
                )),
            }
            if !store::is_staff(&self.db, c.organisation_id, s.teacher_id).await? {
                errors.push(FieldError::new(
                    f("teacher_id"),
                    "Учитель не работает в этой школе.",
                ));
            }
            if let Some(g) = s.group_id {
                if store::group_class(&self.db, g).await? != Some(Some(class)) {
                    errors.push(FieldError::new(f("group_id"), "Группа не из этого класса."));
                }
            }
            if s.room.as_ref().is_some_and(|r| r.chars().count() > 20) {
                errors.push(FieldError::new(f("room"), "Кабинет — до 20 знаков."));
            }
        }
        if !errors.is_empty() {
            return Err(JournalError::Invalid(errors));
        }
        let sname = |code: &str| names.get(code).cloned().unwrap_or_else(|| code.to_string());
        // Within the new version.
        for (i, a) in input.slots.iter().enumerate() {
            for b in input.slots.iter().take(i) {
                if a.weekday != b.weekday || a.lesson_no != b.lesson_no {
                    continue;
                }
                let same_pupils =
                    a.group_id.is_none() || b.group_id.is_none() || a.group_id == b.group_id;
                let what = if same_pupils {
                    Some("класс (группа) на двух уроках сразу")
                } else if a.teacher_id == b.teacher_id {
                    Some("учитель на двух уроках сразу")
                } else if a.room.is_some() && a.room == b.room {
                    Some("кабинет занят дважды")
                } else {
                    None
                };
                if let Some(what) = what {
                    return Err(JournalError::Conflict(
                        format!("slots[{i}]"),
                        format!(
                            "Конфликт расписания: {what} — {} и {}.",
                            lesson_words(&sname(&a.subject_code), &c.name, a.weekday, a.lesson_no),
                            lesson_words(&sname(&b.subject_code), &c.name, b.weekday, b.lesson_no)
                        ),
                    ));
                }
            }
        }
        let from = input.valid_from.to_string();
        let day_before = (input.valid_from - Duration::days(1)).to_string();
        let mut e = entry(p, origin, "update", "timetable");
        e.organisation_id = Some(c.organisation_id);
        e.object_id = Some(class.to_string());
        e.details = Some(format!("from {from}, {} slots", input.slots.len()));
        let mut tx = self.db.begin_write().await?;
        // Against other classes of the same shift, with the school's timetable taken: a
        // version saved at the same instant is either seen here or waits for this one.
        store::lock_timetable(&mut tx, c.organisation_id).await?;
        let others = store::slot_clashes(&mut tx, c.organisation_id, class, c.shift, &from).await?;
        for (i, a) in input.slots.iter().enumerate() {
            for o in others
                .iter()
                .filter(|o| o.weekday == a.weekday && o.lesson_no == a.lesson_no)
            {
                let what = if o.teacher_id == a.teacher_id {
                    format!("учитель {} на двух уроках сразу", o.teacher_name)
                } else if a.room.is_some() && o.room == a.room {
                    format!(
                        "кабинет {} занят дважды",
                        o.room.clone().unwrap_or_default()
                    )
                } else {
                    continue;
                };
                return Err(JournalError::Conflict(
                    format!("slots[{i}]"),
                    format!(
                        "Конфликт расписания: {what} — {} и {}.",
                        lesson_words(&sname(&a.subject_code), &c.name, a.weekday, a.lesson_no),
                        lesson_words(&o.subject_name, &o.class_name, o.weekday, o.lesson_no)
                    ),
                ));
            }
        }
        store::close_slots(&mut tx, class, &from, &day_before).await?;
        for s in &input.slots {
            let slot = Slot {
                id: SlotId::new(),
                class_id: class,
                group_id: s.group_id,
                weekday: s.weekday,
                lesson_no: s.lesson_no,
                subject_code: s.subject_code.clone(),
                teacher_id: s.teacher_id,
                room: s
                    .room
                    .as_deref()
                    .map(str::trim)
                    .filter(|r| !r.is_empty())
                    .map(str::to_string),
                valid_from: from.clone(),
                valid_to: None,
            };
            store::insert_slot(&mut tx, c.organisation_id, &slot).await?;
        }
        self.rederive_lessons(&mut tx, class, input.valid_from)
            .await?;
        AuditLog::record_in(&mut tx, e).await?;
        tx.commit().await?;
        self.weeks.forget(class);
        Ok(store::class_slots(&self.db.pool, class, &from).await?)
    }

    /// Lessons of a week (or any range) for a class, a teacher or a student.
    pub async fn timetable(
        &self,
        p: &Principal,
        origin: &Origin,
        of: TimetableOf,
        from: NaiveDate,
        days: i64,
    ) -> Result<Vec<Lesson>> {
        match of {
            TimetableOf::Class(c) => {
                let facts = self.class_facts(c).await?;
                check(decide(p, Operation::ReadTimetable, Target::Class(&facts)))?;
            }
            TimetableOf::Teacher(t) => {
                let facts = self.person_facts(t).await?;
                check(decide(p, Operation::ReadPerson, Target::Person(&facts)))?;
                if facts.staff_orgs.is_empty() {
                    return Err(JournalError::NotFound);
                }
            }
            TimetableOf::Student(s) => {
                let facts = self.person_facts(s).await?;
                check(decide(p, Operation::ReadDiary, Target::Person(&facts)))?;
                // A student's timetable read by staff or operators is a read of their
                // data; the student and their parents read their own.
                if p.person_id != s && !p.scope.children.contains(&s) {
                    let mut e = entry(p, origin, "read", "timetable");
                    e.subject_person_id = Some(s);
                    e.organisation_id = facts.student_orgs.first().map(|o| o.organisation);
                    self.audit.record(e).await?;
                }
            }
        }
        let to = from + Duration::days(days.clamp(1, 31) - 1);
        let lessons = store::lessons_of(&self.db, of, &from.to_string(), &to.to_string()).await?;
        if !matches!(of, TimetableOf::Teacher(_)) {
            return Ok(lessons);
        }
        // A teacher may work in several schools: show only the classes the caller sees.
        let mut visible = std::collections::HashMap::new();
        let mut out = Vec::with_capacity(lessons.len());
        for l in lessons {
            let ok = match visible.get(&l.class_id) {
                Some(ok) => *ok,
                None => {
                    let facts = self.class_facts(l.class_id).await?;
                    let ok = decide(p, Operation::ReadTimetable, Target::Class(&facts))
                        == Decision::Allow;
                    visible.insert(l.class_id, ok);
                    ok
                }
            };
            if ok {
                out.push(l);
            }
        }
        Ok(out)
    }

    /// Lessons in a room of a school for a range of dates (staff and operators).
    pub async fn room_timetable(
        &self,
        p: &Principal,
        org: OrganisationId,
        room: &str,
        from: NaiveDate,
        days: i64,
    ) -> Result<Vec<Lesson>> {
        self.authorize_org(p, Operation::ReadTimetable, org).await?;
        let to = from + Duration::days(days.clamp(1, 31) - 1);
        Ok(store::room_lessons(
            &self.db,
            org,
            room.trim(),
            &from.to_string(),
            &to.to_string(),
        )
        .await?)
    }

    /// The rooms of a school's timetable, for those who may see it (empty otherwise).
    pub async fn rooms(&self, p: &Principal, org: OrganisationId) -> Result<Vec<String>> {
        let facts = self.org_facts(org).await?;
        if decide(p, Operation::ReadTimetable, Target::Organisation(&facts)) != Decision::Allow {
            return Ok(Vec::new());
        }
        Ok(store::school_rooms(&self.db, org).await?)
    }

    /// Is somebody of this lesson elsewhere at that time? Names both lessons. Runs in the
    /// writing transaction after [`store::lock_timetable`].
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn dated_conflict(
        &self,
        conn: &mut sqlx::AnyConnection,
        org: OrganisationId,
        me: Option<LessonId>,
        class: ClassId,
        group: Option<parta_core::ids::GroupId>,
        teacher: PersonId,
        room: Option<&str>,
        day: &str,
        lesson_no: i64,
        words: &str,
    ) -> Result<()> {
        for o in store::lessons_at(conn, org, day, lesson_no).await? {
            if Some(o.id) == me {
                continue;
            }
            let what = if o.class_id == class
                && (group.is_none() || o.group_id.is_none() || o.group_id == group)
            {
                "класс (группа) на двух уроках сразу"
            } else if o.teacher_id == teacher {
                "учитель на двух уроках сразу"
            } else if room.is_some() && o.room.as_deref() == room {
                "кабинет занят дважды"
            } else {
                continue;
            };
            let other_class = store::class_name(&self.db, o.class_id).await?;
            let other_subject = store::subject_name(&self.db, &o.subject_code)
                .await?
                .unwrap_or(o.subject_code.clone());
            return Err(JournalError::Conflict(
                "lesson_no".into(),
                format!(
                    "Конфликт расписания: {what} — {words} и {}.",
                    dated_words(&other_subject, &other_class, &o.day, o.lesson_no)
                ),
            ));
        }
        Ok(())
    }

    /// Замена, отмена или перенос of one dated lesson. Students and parents are told.
    pub async fn change_lesson(
        &self,
        p: &Principal,
        origin: &Origin,
        id: LessonId,
        change: LessonChange,
    ) -> Result<Lesson> {
        let l = store::lesson_key(&self.db, id)
            .await?
            .ok_or(JournalError::NotFound)?;
        self.authorize_class_manage(p, l.class_id).await?;
        let full = store::lesson(&self.db, id)
            .await?
            .ok_or(JournalError::NotFound)?;
        if full.status == "cancelled" && !matches!(change, LessonChange::Cancellation { .. }) {
            return Err(JournalError::invalid(
                "kind",
                "Урок отменён: замена и перенос невозможны.",
            ));
        }
        let c = self.class_info(l.class_id).await?;
        let (set, kind, fact, recheck) = self.plan_lesson_change(&l, &full, &c, &change).await?;
        let students = store::class_students(&self.db, l.class_id, l.group_id)
            .await?
            .into_iter()
            .map(|s| events::StudentRef {
                id: s.id,
                first_name: s
                    .name
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or(&s.name)
                    .to_string(),
            })
            .collect();
        let changed = events::LessonChanged {
            lesson_id: id,
            organisation_id: l.organisation_id,
            class_id: l.class_id,
            group_id: l.group_id,
            subject_name: full.subject_name.clone(),
            day: l.day.clone(),
            lesson_no: l.lesson_no,
            change: fact,
            note: set.change_note.clone(),
            students,
        };
        let mut e = entry(p, origin, "update", "lesson");
        e.organisation_id = Some(l.organisation_id);
        e.object_id = Some(id.to_string());
        e.details = Some(kind.to_string());
        let mut tx = self.db.begin_write().await?;
        store::lock_timetable(&mut tx, l.organisation_id).await?;
        if let Some((teacher, room, day, lesson_no, words)) = &recheck {
            self.dated_conflict(
                &mut tx,
                l.organisation_id,
                Some(id),
                l.class_id,
                l.group_id,
                *teacher,
                room.as_deref(),
                day,
                *lesson_no,
                words,
            )
            .await?;
        }
        store::change_lesson(&mut tx, id, &set, now_ms()).await?;
        if set.day != l.day {
            // Marks and absences carry the lesson's date (the diary reads by it).
            for table in ["marks", "attendance"] {
                sqlx::query(&format!("UPDATE {table} SET day = $1 WHERE lesson_id = $2"))
                    .bind(set.day.clone())
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        parta_db::outbox::Outbox::push_in(
            &mut tx,
            events::LESSON_CHANGED,
            &serde_json::to_value(&changed)?,
        )
        .await?;
        AuditLog::record_in(&mut tx, e).await?;
        tx.commit().await?;
        self.weeks.forget(l.class_id);
        self.outbox.wake();
        store::lesson(&self.db, id)
            .await?
            .ok_or(JournalError::NotFound)
    }

    /// What a lesson change sets, the fact it tells, and who would be where (checked
    /// for conflicts inside the writing transaction).
    pub(crate) async fn plan_lesson_change(
        &self,
        l: &store::LessonKey,
        full: &Lesson,
        c: &store::ClassInfo,
        change: &LessonChange,
    ) -> Result<LessonChangePlan> {
        let mut set = store::LessonUpdate {
            teacher_id: l.teacher_id,
            planned_teacher_id: full.planned_teacher_id,
            day: l.day.clone(),
            lesson_no: l.lesson_no,
            room: l.room.clone(),
            status: "planned".into(),
            change_kind: None,
            change_note: None,
        };
        let note = |n: &Option<String>| {
            n.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| s.chars().take(200).collect::<String>())
        };
        // Who would be where, checked for conflicts inside the writing transaction.
        let mut recheck: Option<(PersonId, Option<String>, String, i64, String)> = None;
        let (kind, fact) = match change {
            LessonChange::Substitution {
                teacher_id,
                note: n,
            } => {
                if !store::is_staff(&self.db, l.organisation_id, *teacher_id).await? {
                    return Err(JournalError::invalid(
                        "teacher_id",
                        "Учитель не работает в этой школе.",
                    ));
                }
                let words = dated_words(&full.subject_name, &c.name, &l.day, l.lesson_no);
                recheck = Some((*teacher_id, None, l.day.clone(), l.lesson_no, words));
                set.planned_teacher_id = Some(full.planned_teacher_id.unwrap_or(l.teacher_id));
                set.teacher_id = *teacher_id;
                set.change_kind = Some("substitution".into());
                set.change_note = note(n);
                let who = store::short_name(&self.db, *teacher_id).await?;
                (
                    "substitution",
                    events::LessonChangeFact::Substitution {
                        teacher_id: *teacher_id,
                        teacher_name: who,
                    },
                )
            }
            LessonChange::Cancellation { note: n } => {
                set.status = "cancelled".into();
                set.change_kind = Some("cancellation".into());
                set.change_note = note(n);
                ("cancellation", events::LessonChangeFact::Cancellation)
            }
            LessonChange::Move {
                day,
                lesson_no,
                room,
                note: n,
            } => {
                let ds = day.to_string();
                if ds < c.year_starts_on || ds > c.year_ends_on {
                    return Err(JournalError::invalid("day", "Дата — вне учебного года."));
                }
                if !(1..=12).contains(lesson_no) {
                    return Err(JournalError::invalid(
                        "lesson_no",
                        "Номер урока — от 1 до 12.",
                    ));
                }
                if room.as_ref().is_some_and(|r| r.chars().count() > 20) {
                    return Err(JournalError::invalid("room", "Кабинет — до 20 знаков."));
                }
                let room = room.clone().or(l.room.clone());
                let words = dated_words(&full.subject_name, &c.name, &ds, *lesson_no);
                recheck = Some((l.teacher_id, room.clone(), ds.clone(), *lesson_no, words));
                set.day = ds.clone();
                set.lesson_no = *lesson_no;
                set.room = room;
                set.change_kind = Some("move".into());
                set.change_note = note(n);
                (
                    // The audit's word for a move, as before (the fact says what it was).
                    "cancellation",
                    events::LessonChangeFact::Move {
                        day: ds.clone(),
                        lesson_no: *lesson_no,
                    },
                )
            }
        };
        Ok((set, kind, fact, recheck))
    }

    /// Дополнительный урок on a date.
    pub async fn add_extra_lesson(
        &self,
        p: &Principal,
        origin: &Origin,
        input: ExtraLesson,
    ) -> Result<Lesson> {
        self.authorize_class_manage(p, input.class_id).await?;
        let c = self.class_info(input.class_id).await?;
        let ds = input.day.to_string();
        let mut errors = Vec::new();
        if ds < c.year_starts_on || ds > c.year_ends_on {
            errors.push(FieldError::new("day", "Дата — вне учебного года."));
        }
        if !(1..=12).contains(&input.lesson_no) {
            errors.push(FieldError::new("lesson_no", "Номер урока — от 1 до 12."));
        }
        if input.room.as_ref().is_some_and(|r| r.chars().count() > 20) {
            errors.push(FieldError::new("room", "Кабинет — до 20 знаков."));
        }
        let subject = store::subject_name(&self.db, &input.subject_code).await?;
        if subject.is_none() {
            errors.push(FieldError::new(
                "subject_code",
                format!("Неизвестный предмет «{}».", input.subject_code),
            ));
        }
        if !store::is_staff(&self.db, c.organisation_id, input.teacher_id).await? {
            errors.push(FieldError::new(
                "teacher_id",
                "Учитель не работает в этой школе.",
            ));
        }
        if let Some(g) = input.group_id {
            if store::group_class(&self.db, g).await? != Some(Some(input.class_id)) {
                errors.push(FieldError::new("group_id", "Группа не из этого класса."));
            }
        }
        if !errors.is_empty() {
            return Err(JournalError::Invalid(errors));
        }
        let words = dated_words(&subject.unwrap_or_default(), &c.name, &ds, input.lesson_no);
        let id = LessonId::new();
        let mut e = entry(p, origin, "create", "lesson");
        e.organisation_id = Some(c.organisation_id);
        e.object_id = Some(id.to_string());
        e.details = Some("extra".into());
        let mut tx = self.db.begin_write().await?;
        store::lock_timetable(&mut tx, c.organisation_id).await?;
        self.dated_conflict(
            &mut tx,
            c.organisation_id,
            None,
            input.class_id,
            input.group_id,
            input.teacher_id,
            input.room.as_deref(),
            &ds,
            input.lesson_no,
            &words,
        )
        .await?;
        store::insert_lessons(
            &self.db,
            &mut tx,
            &[store::NewLesson {
                id,
                organisation_id: c.organisation_id,
                class_id: input.class_id,
                group_id: input.group_id,
                slot_id: None,
                day: ds,
                lesson_no: input.lesson_no,
                subject_code: input.subject_code.clone(),
                teacher_id: input.teacher_id,
                room: input.room.clone(),
                change_kind: Some("extra".into()),
            }],
            now_ms(),
        )
        .await?;
        AuditLog::record_in(&mut tx, e).await?;
        tx.commit().await?;
        self.weeks.forget(input.class_id);
        store::lesson(&self.db, id)
            .await?
            .ok_or(JournalError::NotFound)
    }

    /// The class's template in force today (or, before the first one starts, the next) as
    /// the CSV that [`Self::import_template`] reads: the school's page edits it as text.
    pub async fn template_csv(&self, p: &Principal, class: ClassId) -> Result<String> {
        let slots = self.template(p, class).await?;
        let today = parta_core::time::today().to_string();
        let current: Vec<&Slot> = slots.iter().filter(|s| s.valid_from <= today).collect();
        let first_future = slots.iter().map(|s| s.valid_from.clone()).min();
        let shown: Vec<&Slot> = if current.is_empty() {
            slots
                .iter()
                .filter(|s| Some(&s.valid_from) == first_future.as_ref())
                .collect()
        } else {
            current
        };
        let teachers: Vec<PersonId> = shown.iter().map(|s| s.teacher_id).collect();
        let names: std::collections::HashMap<PersonId, String> = self
            .db
            .fetch_in::<(PersonId, String), _>(
                "SELECT id, last_name || ' ' || first_name || COALESCE(' ' || middle_name, '') FROM persons WHERE id IN ({})",
                &teachers,
            )
            .await?
            .into_iter()
            .collect();
        let subjects = self.registry.reference("subjects").await?;
        let groups = store::class_groups(&self.db, class).await?;
        let mut out = csv::WriterBuilder::new()
            .delimiter(b';')
            .from_writer(Vec::new());
        let header = ["день", "урок", "предмет", "учитель", "кабинет", "группа"];
        let mut rows = vec![header.map(str::to_string).to_vec()];
        for s in shown {
            rows.push(vec![
                WEEKDAYS_RU
                    .get((s.weekday - 1).clamp(0, 6) as usize)
                    .copied()
                    .unwrap_or("")
                    .to_string(),
                s.lesson_no.to_string(),
                subjects
                    .iter()
                    .find(|r| r.code == s.subject_code)
                    .map_or(s.subject_code.clone(), |r| r.name.clone()),
                names.get(&s.teacher_id).cloned().unwrap_or_default(),
                s.room.clone().unwrap_or_default(),
                s.group_id
                    .and_then(|g| groups.iter().find(|(id, _)| *id == g))
                    .map(|(_, n)| n.clone())
                    .unwrap_or_default(),
            ]);
        }
        for r in rows {
            out.write_record(
                r.iter()
                    .map(|c| parta_core::text::spreadsheet_safe(c).into_owned()),
            )
            .map_err(|_| JournalError::Problem(parta_core::Problem::internal()))?;
        }
        let bytes = out
            .into_inner()
            .map_err(|_| JournalError::Problem(parta_core::Problem::internal()))?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Imports a class's template from CSV: `день;урок;предмет;учитель;кабинет;группа` (a
    /// header line, `;` or `,`), the teacher by full name or СНИЛС among the school's
    /// staff, the subject by code or name, the group (optional) by its name in the class. Every bad line is reported; then it is set like
    /// [`Self::set_template`].
    pub async fn import_template(
        &self,
        p: &Principal,
        origin: &Origin,
        class: ClassId,
        valid_from: NaiveDate,
        csv_text: &str,
    ) -> Result<Vec<Slot>> {
        self.authorize_class_manage(p, class).await?;
        let c = self.class_info(class).await?;
        let staff: Vec<(PersonId, String, Option<String>)> = sqlx::query_as(
            "SELECT DISTINCT p.id, p.last_name || ' ' || p.first_name || COALESCE(' ' || p.middle_name, ''), p.snils \
             FROM staff_positions s JOIN persons p ON p.id = s.person_id WHERE s.organisation_id = $1 AND s.ended_on IS NULL",
        )
        .bind(c.organisation_id)
        .fetch_all(&self.db.pool)
        .await?;
        let subjects = self.registry.reference("subjects").await?;
        let groups = store::class_groups(&self.db, class).await?;
        let slots = parse_template_text(csv_text, &staff, &subjects, &groups)
            .map_err(JournalError::Invalid)?;
        self.set_template(p, origin, class, TemplateVersion { valid_from, slots })
            .await
    }
}

impl Journal {
    /// Lessons of a class from `from` on that the template no longer yields (their slot's
    /// version ended) but that stayed because they hold content: a new timetable version
    /// cannot replace them, the administration moves or cancels them.
    pub async fn stale_lessons(
        &self,
        p: &Principal,
        class: ClassId,
        from: NaiveDate,
    ) -> Result<Vec<Lesson>> {
        self.authorize_class_manage(p, class).await?;
        let kept: Vec<Lesson> = sqlx::query_as(&format!(
            "{} WHERE l.class_id = $1 AND l.day >= $2 AND l.status <> 'cancelled' AND l.slot_id IS NOT NULL \
             AND NOT EXISTS (SELECT 1 FROM timetable_slots s WHERE s.id = l.slot_id AND s.valid_from <= l.day \
                             AND (s.valid_to IS NULL OR s.valid_to >= l.day)) ORDER BY l.day, l.lesson_no",
            store::LESSON_SELECT
        ))
        .bind(class)
        .bind(from.to_string())
        .fetch_all(&self.db.pool)
        .await?;
        // A kept lesson the new version also has (same weekday, number, subject, teacher,
        // group) is no conflict: only the ones it changed are listed.
        let slots = store::class_slots(&self.db.pool, class, &from.to_string()).await?;
        Ok(kept
            .into_iter()
            .filter(|l| {
                let Ok(day) = NaiveDate::parse_from_str(&l.day, "%Y-%m-%d") else {
                    return true;
                };
                let wd = i64::from(chrono::Datelike::weekday(&day).number_from_monday());
                !slots.iter().any(|s| {
                    s.weekday == wd
                        && s.lesson_no == l.lesson_no
                        && s.subject_code == l.subject_code
                        && s.teacher_id == l.teacher_id
                        && s.group_id == l.group_id
                        && s.valid_from.as_str() <= l.day.as_str()
                        && s.valid_to.as_deref().is_none_or(|t| l.day.as_str() <= t)
                })
            })
            .collect())
    }

    /// Cancels the lessons [`Journal::stale_lessons`] lists (families are told of each).
    pub async fn cancel_stale(
        &self,
        p: &Principal,
        origin: &Origin,
        class: ClassId,
        from: NaiveDate,
    ) -> Result<usize> {
        let stale = self.stale_lessons(p, class, from).await?;
        for l in &stale {
            self.change_lesson(p, origin, l.id, LessonChange::Cancellation { note: None })
                .await?;
        }
        Ok(stale.len())
    }
}

/// Reads a class's template from its text (`день;урок;предмет;учитель;кабинет;группа`,
/// a header line, `;` or `,`): the teacher by full name or СНИЛС among `staff`, the
/// subject by code or name, the group by name. Every bad line is named; at most
/// [`MAX_TEMPLATE_SLOTS`] lines are read. Pure, so that it can be fuzzed.
pub fn parse_template_text(
    csv_text: &str,
    staff: &[(PersonId, String, Option<String>)],
    subjects: &[parta_registry::model::ReferenceEntry],
    groups: &[(parta_core::ids::GroupId, String)],
) -> std::result::Result<Vec<NewSlot>, Vec<FieldError>> {
    let delimiter = if csv_text.lines().next().is_some_and(|l| l.contains(';')) {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(csv_text.as_bytes());
    let mut slots = Vec::new();
    let mut errors = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let line = i + 2;
        if i >= MAX_TEMPLATE_SLOTS {
            return Err(vec![FieldError::new(
                format!("строка {line}"),
                format!(
                    "В расписании класса больше {MAX_TEMPLATE_SLOTS} строк — столько уроков в неделе не бывает."
                ),
            )]);
        }
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                errors.push(FieldError::new(
                    format!("строка {line}"),
                    format!("Не читается: {e}"),
                ));
                continue;
            }
        };
        let get = |k: usize| {
            rec.get(k)
                .map(|c| parta_core::text::spreadsheet_unescape(c.trim()))
                .unwrap_or("")
        };
        let weekday = match get(0).to_lowercase().as_str() {
            d if d.parse::<i64>().is_ok() => d.parse().unwrap_or(0),
            d => WEEKDAYS_RU
                .iter()
                .position(|w| w.starts_with(d) && d.len() >= 4)
                .map(|i| i as i64 + 1)
                .unwrap_or(0),
        };
        if weekday == 0 {
            errors.push(FieldError::new(
                format!("строка {line}, столбец 1"),
                format!("Непонятный день недели «{}».", get(0)),
            ));
        }
        let lesson_no = get(1).parse::<i64>().unwrap_or(0);
        if lesson_no == 0 {
            errors.push(FieldError::new(
                format!("строка {line}, столбец 2"),
                format!("Номер урока — число, а не «{}».", get(1)),
            ));
        }
        let subject = subjects
            .iter()
            .find(|s| s.code == get(2) || s.name.to_lowercase() == get(2).to_lowercase())
            .map(|s| s.code.clone());
        if subject.is_none() {
            errors.push(FieldError::new(
                format!("строка {line}, столбец 3"),
                format!("Неизвестный предмет «{}».", get(2)),
            ));
        }
        let who = get(3).to_lowercase();
        let found: Vec<_> = staff
            .iter()
            .filter(|(_, name, snils)| {
                name.to_lowercase() == who || snils.as_deref() == Some(get(3))
            })
            .collect();
        if found.len() != 1 {
            errors.push(FieldError::new(
                format!("строка {line}, столбец 4"),
                if found.is_empty() {
                    format!("Учитель «{}» не найден среди сотрудников школы.", get(3))
                } else {
                    format!("Учитель «{}» найден несколько раз — укажите СНИЛС.", get(3))
                },
            ));
        }
        let group = match get(5) {
            "" => Some(None),
            name => groups
                .iter()
                .find(|(_, n)| n.to_lowercase() == name.to_lowercase())
                .map(|(id, _)| Some(*id)),
        };
        if group.is_none() {
            errors.push(FieldError::new(
                format!("строка {line}, столбец 6"),
                format!("В классе нет группы «{}».", get(5)),
            ));
        }
        if let (Some(subject), [t], Some(group_id)) = (subject, found.as_slice(), group) {
            slots.push(NewSlot {
                weekday,
                lesson_no,
                subject_code: subject,
                teacher_id: t.0,
                room: Some(get(4).to_string()).filter(|r| !r.is_empty()),
                group_id,
            });
        }
    }
    if errors.is_empty() {
        Ok(slots)
    } else {
        Err(errors)
    }
}
