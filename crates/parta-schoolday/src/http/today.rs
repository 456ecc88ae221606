//! The school day's sections of the start page, rendered here (with this domain's
//! strings) and placed by the home page: a teacher's today, a student's day (for them or
//! a parent), the administration's control of the school's day.

use super::strings::Strings;
use crate::service::ru_date;
use crate::today::model::*;
use askama::Template;
use parta_http::i18n::Lang;

/// Strings of the sections.
#[derive(serde::Serialize)]
pub struct TodayStrings {
    pub today: &'static str,
    pub no_lessons_today: &'static str,
    pub journal: &'static str,
    pub unfilled: &'static str,
    pub unfilled_hint: &'static str,
    pub all_filled: &'static str,
    pub no_topic: &'static str,
    pub no_attendance: &'static str,
    pub handins: &'static str,
    pub waiting: &'static str,
    pub next_day: &'static str,
    pub new_marks: &'static str,
    pub no_new_marks: &'static str,
    pub due: &'static str,
    pub handin: &'static str,
    pub to_diary: &'static str,
    pub filling: &'static str,
    pub filling_hint: &'static str,
    pub teacher: &'static str,
    pub class: &'static str,
    pub given: &'static str,
    pub with_topic: &'static str,
    pub with_attendance: &'static str,
    pub absences: &'static str,
    pub nobody_absent: &'static str,
    pub changes: &'static str,
    pub no_changes: &'static str,
    pub lagging: &'static str,
    pub journals: &'static str,
    pub cancelled: &'static str,
    pub since: &'static str,
    pub until_yesterday: &'static str,
    pub by_class: &'static str,
}

pub static RU: TodayStrings = TodayStrings {
    today: "Сегодня",
    no_lessons_today: "Сегодня уроков нет.",
    journal: "журнал",
    unfilled: "Не заполнено",
    unfilled_hint: "Уроки за две недели без темы или без отметки посещаемости.",
    all_filled: "Все проведённые уроки заполнены.",
    no_topic: "нет темы",
    no_attendance: "посещаемость не отмечена",
    handins: "Ждут проверки",
    waiting: "работ",
    next_day: "Следующий учебный день",
    new_marks: "Новые отметки",
    no_new_marks: "Новых отметок нет.",
    due: "Задано к следующему дню",
    handin: "сдать в системе",
    to_diary: "Открыть дневник",
    filling: "Заполнение журналов",
    filling_hint: "Доля проведённых уроков с темой и отмеченной посещаемостью",
    teacher: "Учитель",
    class: "Класс",
    given: "Уроков",
    with_topic: "С темой",
    with_attendance: "С посещаемостью",
    absences: "Отсутствуют сегодня",
    nobody_absent: "Отсутствующих не отмечено.",
    changes: "Замены и изменения сегодня",
    no_changes: "Изменений нет.",
    lagging: "Отстают",
    journals: "Журналы школы",
    cancelled: "отменён",
    since: "с",
    until_yesterday: "по вчерашний день",
    by_class: "По классам",
};

pub static EN: TodayStrings = TodayStrings {
    today: "Today",
    no_lessons_today: "No lessons today.",
    journal: "journal",
    unfilled: "Left to fill in",
    unfilled_hint: "Lessons of the last two weeks without a topic or attendance.",
    all_filled: "Every lesson given is filled in.",
    no_topic: "no topic",
    no_attendance: "attendance not taken",
    handins: "Waiting to be marked",
    waiting: "hand-ins",
    next_day: "Next school day",
    new_marks: "New marks",
    no_new_marks: "No new marks.",
    due: "Due the next day",
    handin: "hand in online",
    to_diary: "Open the diary",
    filling: "Journal filling",
    filling_hint: "Share of the lessons given with a topic and the attendance taken",
    teacher: "Teacher",
    class: "Class",
    given: "Lessons",
    with_topic: "With topic",
    with_attendance: "With attendance",
    absences: "Absent today",
    nobody_absent: "No absences recorded.",
    changes: "Substitutions and changes today",
    no_changes: "No changes.",
    lagging: "Lagging behind",
    journals: "The school's journals",
    cancelled: "cancelled",
    since: "from",
    until_yesterday: "to yesterday",
    by_class: "By class",
};

fn pick(lang: Lang) -> (&'static TodayStrings, &'static Strings) {
    (
        lang.pick(&RU, &EN),
        lang.pick(&super::strings::RU, &super::strings::EN),
    )
}

#[derive(Template)]
#[template(path = "today_teacher.html")]
struct TeacherSection<'a> {
    t: &'static TodayStrings,
    s: &'static Strings,
    d: &'a TeacherToday,
}

impl TeacherSection<'_> {
    fn date(&self, iso: &str) -> String {
        ru_date(iso)
    }
}

#[derive(Template)]
#[template(path = "today_student.html")]
struct StudentSection<'a> {
    t: &'static TodayStrings,
    d: &'a StudentToday,
    /// Shown to a parent: the child's name heads the section.
    named: bool,
}

impl StudentSection<'_> {
    fn date(&self, iso: &str) -> String {
        ru_date(iso)
    }
}

#[derive(Template)]
#[template(path = "today_school.html")]
struct SchoolSection<'a> {
    t: &'static TodayStrings,
    s: &'static Strings,
    d: &'a SchoolToday,
}

impl SchoolSection<'_> {
    fn date(&self, iso: &str) -> String {
        ru_date(iso)
    }
    fn pct(&self, part: &i64, of: &i64) -> i64 {
        if *of == 0 {
            100
        } else {
            part * 100 / of
        }
    }
}

fn html(t: &impl Template) -> Result<String, parta_core::Problem> {
    t.render().map_err(|e| {
        tracing::error!(error = %e, "template failed");
        parta_core::Problem::internal()
    })
}

/// A teacher's today, as HTML for the start page.
pub fn teacher(lang: Lang, d: &TeacherToday) -> Result<String, parta_core::Problem> {
    let (t, s) = pick(lang);
    html(&TeacherSection { t, s, d })
}

/// A student's day (`named` for a parent's page), as HTML for the start page.
pub fn student(lang: Lang, d: &StudentToday, named: bool) -> Result<String, parta_core::Problem> {
    let (t, _) = pick(lang);
    html(&StudentSection { t, d, named })
}

/// The administration's control of the school's day, as HTML for the start page.
pub fn school(lang: Lang, d: &SchoolToday) -> Result<String, parta_core::Problem> {
    let (t, s) = pick(lang);
    html(&SchoolSection { t, s, d })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_russian_and_english() {
        assert_eq!(
            parta_http::i18n::missing_translations(&RU, &EN),
            Vec::<String>::new()
        );
    }
}
