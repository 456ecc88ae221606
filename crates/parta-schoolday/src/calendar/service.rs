//! Учебный календарь: settings, periods, holidays and moved days, bells, closing periods.

use crate::calendar::SchoolDays;
use crate::service::*;
use chrono::{Duration, NaiveDate};
use parta_core::ids::{CalendarDayId, PeriodId};
use parta_core::time::now_ms;
use parta_core::FieldError;

const PERIOD_KINDS: [&str; 3] = ["quarter", "trimester", "semester"];
const DAY_KINDS: [&str; 3] = ["holiday", "vacation", "working"];

pub(crate) fn hhmm(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 5
        && b[2] == b':'
        && s[..2].parse::<u32>().is_ok_and(|h| h < 24)
        && s[3..].parse::<u32>().is_ok_and(|m| m < 60)
}

impl Journal {
    /// A school's calendar: visible to anyone who sees the school.
    pub async fn calendar(&self, p: &Principal, org: OrganisationId) -> Result<SchoolCalendarView> {
        self.authorize_org(p, Operation::ReadOrganisation, org)
            .await?;
        Ok(SchoolCalendarView {
            organisation_id: org,
            settings: store::settings(&self.db, org).await?,
            periods: store::periods(&self.db, org).await?,
            days: store::calendar_days(&self.db.pool, org).await?,
            bells: store::bells(&self.db, org).await?,
            years: store::school_years(&self.db, org).await?,
        })
    }

    pub async fn set_settings(
        &self,
        p: &Principal,
        origin: &Origin,
        org: OrganisationId,
        s: SchoolSettings,
    ) -> Result<SchoolCalendarView> {
        self.authorize_org(p, Operation::ManageSchoolDay, org)
            .await?;
        let mut errors = Vec::new();
        if !(5..=6).contains(&s.week_days) {
            errors.push(FieldError::new(
                "week_days",
                "Учебная неделя — 5 или 6 дней.",
            ));
        }
        if !(1..=99).contains(&s.rounding_threshold) {
            errors.push(FieldError::new(
                "rounding_threshold",
                "Порог округления — от 1 до 99 сотых (например, 60: 3,60 → 4).",
            ));
        }
        if !errors.is_empty() {
            return Err(JournalError::Invalid(errors));
        }
        let mut e = entry(p, origin, "update", "school_calendar");
        e.organisation_id = Some(org);
        e.details = Some("settings".into());
        let mut tx = self.db.begin_write().await?;
        store::upsert_settings(&mut tx, org, &s, now_ms()).await?;
        AuditLog::record_in(&mut tx, e).await?;
        tx.commit().await?;
        self.weeks.forget_all();
        self.calendar(p, org).await
    }

    pub async fn add_period(
        &self,
        p: &Principal,
        origin: &Origin,
        org: OrganisationId,
        input: NewPeriod,
    ) -> Result<Period> {
        self.authorize_org(p, Operation::ManageSchoolDay, org)
            .await?;
        let mut errors = Vec::new();
        let year = store::academic_year(&self.db, input.academic_year_id).await?;
        match &year {
            Some((y_org, from, to)) if *y_org == org => {
                if input.starts_on.to_string() < *from || input.ends_on.to_string() > *to {
                    errors.push(FieldError::new(
                        "starts_on",
                        format!(
                            "Период должен лежать внутри учебного года ({} — {}).",
                            ru_date(from),
                            ru_date(to)
                        ),
                    ));
                }
            }
            _ => errors.push(FieldError::new(
                "academic_year_id",
                "Учебный год этой школы не найден.",
            )),
        }
        if !PERIOD_KINDS.contains(&input.kind.as_str()) {
            errors.push(FieldError::new(
                "kind",
                "Вид периода: quarter (четверть), trimester (триместр) или semester (полугодие).",
            ));
        }
        if input.name.trim().is_empty() || input.name.chars().count() > 60 {
            errors.push(FieldError::new(
                "name",
                "Укажите название периода (до 60 знаков).",
            ));
        }
        if !(1..=11).contains(&input.grade_from)
            || !(input.grade_from..=11).contains(&input.grade_to)
        {
            errors.push(FieldError::new(
                "grade_from",
                "Параллели — от 1 до 11, «с» не больше «по».",
            ));
        }
        if input.ends_on < input.starts_on {
            errors.push(FieldError::new(
                "ends_on",
                "Конец периода раньше его начала.",
            ));
        }
        if errors.is_empty() {
            let (from, to) = (input.starts_on.to_string(), input.ends_on.to_string());
            if let Some(other) = store::periods(&self.db, org).await?.into_iter().find(|o| {
                o.academic_year_id == input.academic_year_id
                    && o.grade_from <= input.grade_to
                    && input.grade_from <= o.grade_to
                    && o.starts_on <= to
                    && from <= o.ends_on
            }) {
                errors.push(FieldError::new(
                    "starts_on",
                    format!(
                        "Период пересекается с периодом «{}» ({} — {}) для тех же параллелей.",
                        other.name,
                        ru_date(&other.starts_on),
                        ru_date(&other.ends_on)
                    ),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(JournalError::Invalid(errors));
        }
        let id = PeriodId::new();
        let mut e = entry(p, origin, "create", "study_period");
        e.organisation_id = Some(org);
        e.object_id = Some(id.to_string());
        let mut tx = self.db.begin_write().await?;
        store::insert_period(&mut tx, id, org, &input).await?;
        AuditLog::record_in(&mut tx, e).await?;
        tx.commit().await?;
        store::period(&self.db, id)
            .await?
            .map(|(p, _)| p)
            .ok_or(JournalError::NotFound)
    }

    /// Closes (or reopens) a period. After closing, only the school administration may
    /// change marks in it, and each such change is logged.
    pub async fn close_period(
        &self,
        p: &Principal,
        origin: &Origin,
        id: PeriodId,
        closed: bool,
    ) -> Result<Period> {
        let (_, org) = store::period(&self.db, id)
            .await?
            .ok_or(JournalError::NotFound)?;
        self.authorize_org(p, Operation::ManageSchoolDay, org)
            .await?;
        let mut e = entry(
            p,
            origin,
            if closed { "close" } else { "reopen" },
            "study_period",
        );
        e.organisation_id = Some(org);
        e.object_id = Some(id.to_string());
        let mut tx = self.db.begin_write().await?;
        store::set_period_closed(&mut tx, id, closed.then(|| (now_ms(), p.person_id))).await?;
        AuditLog::record_in(&mut tx, e).await?;
        tx.commit().await?;
        store::period(&self.db, id)
            .await?
            .map(|(p, _)| p)
            .ok_or(JournalError::NotFound)
    }

    /// Removes a holiday, vacation or moved working day; the lessons of its dates come
    /// back from the timetable (re-derived, as when a day is added).
    pub async fn remove_calendar_day(
        &self,
        p: &Principal,
        origin: &Origin,
        org: OrganisationId,
        id: parta_core::ids::CalendarDayId,
    ) -> Result<()> {
        self.authorize_org(p, Operation::ManageSchoolDay, org)
            .await?;
        let classes = self.school_classes(org).await?;
        let mut e = entry(p, origin, "delete", "calendar_day");
        e.organisation_id = Some(org);
        e.object_id = Some(id.to_string());
        let mut tx = self.db.begin_write().await?;
        store::lock_timetable(&mut tx, org).await?;
        let Some(starts_on) = store::delete_calendar_day(&mut tx, org, id).await? else {
            return Err(JournalError::NotFound);
        };
        let from = NaiveDate::parse_from_str(&starts_on, "%Y-%m-%d")
            .map_err(|_| JournalError::NotFound)?;
        for class in classes {
            self.rederive_lessons(&mut tx, class, from).await?;
        }
        AuditLog::record_in(&mut tx, e).await?;
        tx.commit().await?;
        self.weeks.forget_all();
        Ok(())
    }

    /// Adds a holiday, a vacation or a moved working day; the school's lessons are
    /// re-derived from that date (lessons that already hold marks stay).
    pub async fn add_calendar_day(
        &self,
        p: &Principal,
        origin: &Origin,
        org: OrganisationId,
        input: NewCalendarDay,
    ) -> Result<AddedDay> {
        self.authorize_org(p, Operation::ManageSchoolDay, org)
            .await?;
        let ends_on = input.ends_on.unwrap_or(input.starts_on);
        let mut errors = Vec::new();
        if !DAY_KINDS.contains(&input.kind.as_str()) {
            errors.push(FieldError::new("kind", "Вид дня: holiday (праздник), vacation (каникулы) или working (перенесённый рабочий день)."));
        }
        if ends_on < input.starts_on {
            errors.push(FieldError::new("ends_on", "Конец раньше начала."));
        }
        if ends_on - input.starts_on > Duration::days(120) {
            errors.push(FieldError::new("ends_on", "Не больше 120 дней подряд."));
        }
        if input.kind == "working" && !input.follows_weekday.is_some_and(|w| (1..=6).contains(&w)) {
            errors.push(FieldError::new(
                "follows_weekday",
                "Укажите, по расписанию какого дня недели (1–6) идёт рабочий день.",
            ));
        }
        if input.name.trim().is_empty() || input.name.chars().count() > 100 {
            errors.push(FieldError::new("name", "Укажите название (до 100 знаков)."));
        }
        if !errors.is_empty() {
            return Err(JournalError::Invalid(errors));
        }
        let day = CalendarDay {
            id: CalendarDayId::new(),
            starts_on: input.starts_on.to_string(),
            ends_on: ends_on.to_string(),
            kind: input.kind.clone(),
            follows_weekday: if input.kind == "working" {
                input.follows_weekday
            } else {
                None
            },
            name: input.name.trim().to_string(),
        };
        let mut e = entry(p, origin, "create", "calendar_day");
        e.organisation_id = Some(org);
        e.object_id = Some(day.id.to_string());
        let classes = self.school_classes(org).await?;
        let (from, to) = (day.starts_on.clone(), day.ends_on.clone());
        let mut tx = self.db.begin_write().await?;
        store::lock_timetable(&mut tx, org).await?;
        let before = store::lessons_per_class(&mut tx, org, &from, &to).await?;
        store::insert_calendar_day(&mut tx, org, &day).await?;
        for class in &classes {
            self.rederive_lessons(&mut tx, *class, input.starts_on)
                .await?;
        }
        let after = store::lessons_per_class(&mut tx, org, &from, &to).await?;
        // Families hear of the days their class lost lessons (once per class).
        for class in &classes {
            let gone =
                before.get(class).copied().unwrap_or(0) - after.get(class).copied().unwrap_or(0);
            if gone <= 0 {
                continue;
            }
            let students = store::class_students(&self.db, *class, None)
                .await?
                .into_iter()
                .map(|s| crate::events::StudentRef {
                    id: s.id,
                    first_name: s
                        .name
                        .split_whitespace()
                        .nth(1)
                        .unwrap_or(&s.name)
                        .to_string(),
                })
                .collect();
            let fact = crate::events::DaysOff {
                organisation_id: org,
                class_id: *class,
                starts_on: from.clone(),
                ends_on: to.clone(),
                name: day.name.clone(),
                lessons: gone,
                students,
            };
            Outbox::push_in(
                &mut tx,
                crate::events::DAYS_OFF,
                &serde_json::to_value(&fact)?,
            )
            .await?;
        }
        AuditLog::record_in(&mut tx, e).await?;
        tx.commit().await?;
        self.weeks.forget_all();
        self.outbox.wake();
        // Lessons that hold a topic, homework, marks or attendance are not removed by a
        // day off: the administration is told which, to move or cancel them.
        let kept = if input.kind == "working" {
            Vec::new()
        } else {
            store::live_lessons_between(&self.db, org, &from, &to).await?
        };
        Ok(AddedDay { day, kept })
    }

    pub async fn set_bells(
        &self,
        p: &Principal,
        origin: &Origin,
        org: OrganisationId,
        shift: i64,
        bells: Vec<Bell>,
    ) -> Result<Vec<Bell>> {
        self.authorize_org(p, Operation::ManageSchoolDay, org)
            .await?;
        FieldError::check_len("bells", &bells, 12).map_err(|e| JournalError::Invalid(vec![e]))?;
        let mut errors = Vec::new();
        if !(1..=3).contains(&shift) {
            errors.push(FieldError::new("shift", "Смена — 1, 2 или 3."));
        }
        let mut prev_end = String::new();
        for (i, b) in bells.iter().enumerate() {
            if b.lesson_no != i as i64 + 1 {
                errors.push(FieldError::new(
                    format!("[{i}].lesson_no"),
                    "Уроки нумеруются по порядку с 1.",
                ));
            }
            if !hhmm(&b.starts_at) || !hhmm(&b.ends_at) {
                errors.push(FieldError::new(
                    format!("[{i}].starts_at"),
                    "Время — в виде ЧЧ:ММ, например 08:30.",
                ));
            } else if b.ends_at <= b.starts_at || b.starts_at < prev_end {
                errors.push(FieldError::new(
                    format!("[{i}].starts_at"),
                    "Урок должен начинаться после предыдущего и кончаться после начала.",
                ));
            }
            prev_end = b.ends_at.clone();
        }
        if !errors.is_empty() {
            return Err(JournalError::Invalid(errors));
        }
        let mut e = entry(p, origin, "update", "school_calendar");
        e.organisation_id = Some(org);
        e.details = Some(format!("bells shift {shift}"));
        let mut tx = self.db.begin_write().await?;
        store::replace_bells(&mut tx, org, shift, &bells).await?;
        AuditLog::record_in(&mut tx, e).await?;
        tx.commit().await?;
        self.weeks.forget_all();
        Ok(store::bells(&self.db, org)
            .await?
            .into_iter()
            .filter(|b| b.shift == shift)
            .collect())
    }

    pub(crate) async fn school_classes(&self, org: OrganisationId) -> Result<Vec<ClassId>> {
        let rows: Vec<(ClassId,)> = sqlx::query_as(
            "SELECT c.id FROM classes c JOIN academic_years y ON y.id = c.academic_year_id WHERE c.organisation_id = $1",
        )
        .bind(org)
        .fetch_all(&self.db.pool)
        .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Lessons still to be given in `[from, to]` — after a day off was added, those it
    /// could not take off because they hold content.
    pub async fn kept_lessons(
        &self,
        p: &Principal,
        org: OrganisationId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<crate::timetable::model::Lesson>> {
        self.authorize_org(p, Operation::ManageSchoolDay, org)
            .await?;
        if to < from || to - from > Duration::days(120) {
            return Err(JournalError::invalid("to", "Не больше 120 дней подряд."));
        }
        Ok(store::live_lessons_between(&self.db, org, &from.to_string(), &to.to_string()).await?)
    }

    /// Cancels the lessons of `[from, to]` a day off left (each as a cancellation the
    /// families are told of).
    pub async fn cancel_kept(
        &self,
        p: &Principal,
        origin: &Origin,
        org: OrganisationId,
        from: NaiveDate,
        to: NaiveDate,
        note: Option<String>,
    ) -> Result<usize> {
        let kept = self.kept_lessons(p, org, from, to).await?;
        for l in &kept {
            self.change_lesson(
                p,
                origin,
                l.id,
                crate::timetable::model::LessonChange::Cancellation { note: note.clone() },
            )
            .await?;
        }
        Ok(kept.len())
    }

    /// Re-derives a class's lessons from `from` on: blank template lessons are replaced
    /// by what the current template and calendar say.
    pub(crate) async fn rederive_lessons(
        &self,
        conn: &mut sqlx::AnyConnection,
        class: ClassId,
        from: NaiveDate,
    ) -> Result<usize> {
        let c = self.class_info(class).await?;
        let from =
            from.max(NaiveDate::parse_from_str(&c.year_starts_on, "%Y-%m-%d").unwrap_or(from));
        let Ok(until) = NaiveDate::parse_from_str(&c.year_ends_on, "%Y-%m-%d") else {
            return Ok(0);
        };
        let from_s = from.to_string();
        store::delete_blank_lessons(conn, class, &from_s).await?;
        let settings = store::settings(&self.db, c.organisation_id).await?;
        // Read inside the transaction: it may have just added a day.
        let days = store::calendar_days(&mut *conn, c.organisation_id).await?;
        let school_days = SchoolDays::new(&settings, &days);
        let slots = store::class_slots(&mut *conn, class, &from_s).await?;
        let existing: std::collections::HashSet<(String, i64, Option<parta_core::ids::GroupId>)> =
            store::lesson_keys(conn, class, &from_s)
                .await?
                .into_iter()
                .collect();
        let rows = derive_lessons(&c, &slots, &school_days, from, until, &existing);
        let n = rows.len();
        store::insert_lessons(&self.db, conn, &rows, now_ms()).await?;
        Ok(n)
    }
}

/// The lessons a template yields between two dates, skipping those already present.
pub fn derive_lessons(
    c: &store::ClassInfo,
    slots: &[Slot],
    days: &SchoolDays,
    from: NaiveDate,
    until: NaiveDate,
    existing: &std::collections::HashSet<(String, i64, Option<parta_core::ids::GroupId>)>,
) -> Vec<store::NewLesson> {
    let mut out = Vec::new();
    let mut d = from;
    while d <= until {
        if let Some(wd) = days.timetable_weekday(d) {
            let ds = d.to_string();
            for s in slots.iter().filter(|s| {
                s.weekday == wd as i64
                    && s.valid_from.as_str() <= ds.as_str()
                    && s.valid_to.as_deref().is_none_or(|t| ds.as_str() <= t)
            }) {
                if existing.contains(&(ds.clone(), s.lesson_no, s.group_id)) {
                    continue;
                }
                out.push(store::NewLesson {
                    id: parta_core::ids::LessonId::new(),
                    organisation_id: c.organisation_id,
                    class_id: c.id,
                    group_id: s.group_id,
                    slot_id: Some(s.id),
                    day: ds.clone(),
                    lesson_no: s.lesson_no,
                    subject_code: s.subject_code.clone(),
                    teacher_id: s.teacher_id,
                    room: s.room.clone(),
                    change_kind: None,
                });
            }
        }
        d += Duration::days(1);
    }
    out
}
