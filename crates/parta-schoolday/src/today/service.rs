//! The start pages' use cases: each checks the policy like the page it summarises.

use super::model::*;
use super::store;
use crate::service::*;
use chrono::{Datelike, Duration};

impl Journal {
    /// A teacher's today: lessons, given lessons left without a topic or attendance,
    /// hand-ins waiting.
    pub async fn teacher_today(&self, p: &Principal, origin: &Origin) -> Result<TeacherToday> {
        let today = parta_core::time::today();
        let lessons = self
            .timetable(p, origin, TimetableOf::Teacher(p.person_id), today, 1)
            .await?;
        let from = (today - Duration::days(FILLING_DAYS)).to_string();
        let to = (today - Duration::days(1)).to_string();
        let (unfilled, handins) = tokio::try_join!(
            store::unfilled(&self.db, p.person_id, &from, &to, UNFILLED_SHOWN),
            store::handins_waiting(&self.db, p.person_id)
        )?;
        Ok(TeacherToday {
            today: lessons,
            unfilled,
            handins,
        })
    }

    /// A student's today and next school day, new marks since the viewer's last visit,
    /// homework due next — for the student or a parent (the diary's policy).
    pub async fn student_today(
        &self,
        p: &Principal,
        origin: &Origin,
        student: PersonId,
    ) -> Result<StudentToday> {
        let today = parta_core::time::today();
        let week = self.diary_week(p, origin, student, today).await?;
        let mut days = week.days;
        // The next day with lessons may be in the next week (Friday, holidays).
        if !days
            .iter()
            .any(|d| d.day > today.to_string() && !d.lessons.is_empty())
        {
            let monday =
                today + Duration::days(7 - i64::from(today.weekday().num_days_from_monday()));
            days.extend(self.diary_week(p, origin, student, monday).await?.days);
        }
        let iso = today.to_string();
        let today_lessons = days
            .iter()
            .find(|d| d.day == iso)
            .map(|d| d.lessons.clone())
            .unwrap_or_default();
        let next = days
            .into_iter()
            .find(|d| d.day > iso && !d.lessons.is_empty());
        let now = parta_core::time::now_ms();
        let since = store::visit(&self.db, p.person_id, student, now).await?;
        let new_marks = store::marks_since(&self.db, student, since).await?;
        let due = match &next {
            Some(d) => store::due_on(&self.db, student, &d.day).await?,
            None => Vec::new(),
        };
        Ok(StudentToday {
            student_id: student,
            student_name: week.student_name,
            class_name: week.class_name,
            today: today_lessons,
            next_day: next.as_ref().map(|d| d.day.clone()),
            next: next.map(|d| d.lessons).unwrap_or_default(),
            new_marks,
            due,
        })
    }

    /// The administration's control of a school's day: journal filling per teacher and
    /// class over the last two weeks, today's absences, today's changes.
    pub async fn school_today(&self, p: &Principal, org: OrganisationId) -> Result<SchoolToday> {
        let facts = self.org_facts(org).await?;
        check(decide(
            p,
            Operation::ManageSchoolDay,
            Target::Organisation(&facts),
        ))?;
        let today = parta_core::time::today();
        let from = (today - Duration::days(FILLING_DAYS)).to_string();
        let to = (today - Duration::days(1)).to_string();
        let iso = today.to_string();
        let (mut teachers, mut classes, absent, changes) = tokio::try_join!(
            store::filling(&self.db, org, &from, &to, true),
            store::filling(&self.db, org, &from, &to, false),
            store::absences_on(&self.db, org, &iso),
            store::changes_on(&self.db, org, &iso)
        )?;
        let total = Filling {
            id: String::new(),
            name: String::new(),
            given: teachers.iter().map(|t| t.given).sum(),
            with_topic: teachers.iter().map(|t| t.with_topic).sum(),
            with_attendance: teachers.iter().map(|t| t.with_attendance).sum(),
        };
        teachers.sort_by(|a, b| (a.percent(), &a.name).cmp(&(b.percent(), &b.name)));
        classes.sort_by(|a, b| (a.percent(), &a.name).cmp(&(b.percent(), &b.name)));
        let mut absences: Vec<ClassAbsences> = Vec::new();
        for (class, class_name, student) in absent {
            let Ok(class_id) = class.parse() else {
                continue;
            };
            match absences.iter_mut().find(|a| a.class_id == class_id) {
                Some(a) => a.students.push(student),
                None => absences.push(ClassAbsences {
                    class_id,
                    class_name,
                    students: vec![student],
                }),
            }
        }
        Ok(SchoolToday {
            organisation_id: org,
            since: from,
            total,
            teachers,
            classes,
            absences,
            changes,
        })
    }

    /// Per school of the caller's territory, the week in numbers (no one named): journal
    /// filling of the last two weeks and attendance since Monday. Schools the caller may
    /// not see are left out.
    pub async fn schools_week(
        &self,
        p: &Principal,
        orgs: &[OrganisationId],
    ) -> Result<std::collections::HashMap<OrganisationId, SchoolWeek>> {
        let allowed = self
            .registry
            .allowed_organisations(p, Operation::ListClasses, orgs)
            .await?;
        let today = parta_core::time::today();
        let from = (today - Duration::days(FILLING_DAYS)).to_string();
        let yesterday = (today - Duration::days(1)).to_string();
        let monday =
            (today - Duration::days(i64::from(today.weekday().num_days_from_monday()))).to_string();
        let iso = today.to_string();
        let (filling, attendance) = tokio::try_join!(
            store::filling_of_schools(&self.db, &allowed, &from, &yesterday),
            store::attendance_of_schools(&self.db, &allowed, &monday, &iso)
        )?;
        Ok(allowed
            .into_iter()
            .map(|o| {
                let week = SchoolWeek {
                    filling: filling
                        .get(&o)
                        .filter(|(given, _)| *given > 0)
                        .map(|(given, filled)| filled * 100 / given),
                    attendance: attendance
                        .get(&o)
                        .filter(|(lessons, _)| *lessons > 0)
                        .map(|(lessons, absent)| (lessons - absent).max(0) * 100 / lessons),
                };
                (o, week)
            })
            .collect())
    }
}
