//! The text of notifications, made here from the school day's facts (the producer
//! writes ids and values; the words are this consumer's). One notification a student
//! per kind per event: a class's worth of marks for one pupil is one message to them and
//! one to each parent. Persons have no stored language yet, so notifications are made
//! in the platform's language, Russian; English is complete for when they do.

use crate::model::NotifyItem;
use parta_core::ids::PersonId;
use parta_http::i18n::Lang;
use parta_schoolday::events::{self, LessonChangeFact};
use parta_schoolday::service::ru_date;
use std::collections::HashMap;

/// What one event tells each student, gathered by student and kind and then said once.
#[derive(Default)]
struct Told {
    /// (student, kind) → what happened, in the order of the event.
    by: Vec<((PersonId, &'static str), Vec<ToldPart>)>,
    index: HashMap<(PersonId, &'static str), usize>,
}

struct ToldPart {
    day: String,
    /// The title and body when this is the only thing of its kind.
    alone: (String, String),
    /// A short word for a list in the title ("5", "12.11.2026").
    short: String,
    /// A line of the body.
    line: String,
}

impl Told {
    fn add(&mut self, student: PersonId, kind: &'static str, part: ToldPart) {
        let key = (student, kind);
        let i = *self.index.entry(key).or_insert_with(|| {
            self.by.push((key, Vec::new()));
            self.by.len() - 1
        });
        self.by[i].1.push(part);
    }

    fn into_items(
        self,
        lang: Lang,
        subject: &str,
        students: &[events::StudentRef],
    ) -> Vec<NotifyItem> {
        let names: HashMap<PersonId, &str> = students
            .iter()
            .map(|s| (s.id, s.first_name.as_str()))
            .collect();
        self.by
            .into_iter()
            .map(|((student, kind), parts)| {
                let latest = parts.iter().map(|p| p.day.as_str()).max().unwrap_or("");
                let link = Some(format!("/diary?student={student}&week={latest}"));
                let (title, body) = if let [one] = parts.as_slice() {
                    one.alone.clone()
                } else {
                    let shorts: Vec<&str> = parts.iter().map(|p| p.short.as_str()).collect();
                    let list = if shorts.len() > 10 {
                        let more = shorts.len() - 10;
                        match lang {
                            Lang::Ru => format!("{} и ещё {more}", shorts[..10].join(", ")),
                            Lang::En => format!("{} and {more} more", shorts[..10].join(", ")),
                        }
                    } else {
                        shorts.join(", ")
                    };
                    let title = match (lang, kind) {
                        (Lang::Ru, "mark") => format!("Отметки по предмету «{subject}»: {list}"),
                        (Lang::Ru, "absence") => format!("Пропуски уроков «{subject}»: {list}"),
                        (Lang::Ru, _) => {
                            format!("Домашние задания по предмету «{subject}» на {list}")
                        }
                        (Lang::En, "mark") => format!("Marks in {subject}: {list}"),
                        (Lang::En, "absence") => format!("Missed lessons of {subject}: {list}"),
                        (Lang::En, _) => format!("Homework in {subject} for {list}"),
                    };
                    let body: String = parts
                        .iter()
                        .map(|p| p.line.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                        .chars()
                        .take(600)
                        .collect();
                    (title, body)
                };
                NotifyItem {
                    student,
                    student_name: names.get(&student).copied().unwrap_or_default().to_string(),
                    kind: kind.into(),
                    title,
                    body,
                    link,
                }
            })
            .collect()
    }
}

fn date(lang: Lang, iso: &str) -> String {
    match lang {
        Lang::Ru => ru_date(iso),
        Lang::En => iso.to_string(),
    }
}

fn suffix(text: &Option<String>, open: &str, close: &str) -> String {
    text.as_ref()
        .map(|c| format!("{open}{c}{close}"))
        .unwrap_or_default()
}

pub fn marks_set(lang: Lang, ev: &events::MarksSet) -> Vec<NotifyItem> {
    let subject = &ev.journal.subject_name;
    let mut told = Told::default();
    for m in &ev.marks {
        let verb = match (lang, m.changed) {
            (Lang::Ru, false) => "Новая отметка",
            (Lang::Ru, true) => "Отметка изменена",
            (Lang::En, false) => "New mark",
            (Lang::En, true) => "Mark changed",
        };
        let day = date(lang, &m.day);
        let title = match lang {
            Lang::Ru => format!("{verb}: {} по предмету «{subject}»", m.value),
            Lang::En => format!("{verb}: {} in {subject}", m.value),
        };
        told.add(
            m.student_id,
            "mark",
            ToldPart {
                day: m.day.clone(),
                alone: (
                    title,
                    format!(
                        "{day}, {}{}",
                        m.work_type_name,
                        suffix(&m.comment, ". ", "")
                    ),
                ),
                short: m.value.clone(),
                line: format!(
                    "{day}, {}: {}{}",
                    m.work_type_name,
                    m.value,
                    suffix(&m.comment, " (", ")")
                ),
            },
        );
    }
    told.into_items(lang, subject, &ev.students)
}

pub fn absences_set(lang: Lang, ev: &events::AbsencesSet) -> Vec<NotifyItem> {
    let subject = &ev.journal.subject_name;
    let mut told = Told::default();
    for a in &ev.absences {
        let what = match (lang, a.status == "late") {
            (Lang::Ru, true) => "Опоздание",
            (Lang::Ru, false) => "Отсутствие",
            (Lang::En, true) => "Late",
            (Lang::En, false) => "Absent",
        };
        let day = date(lang, &a.day);
        let title = match lang {
            Lang::Ru => format!("{what} на уроке «{subject}» {day}"),
            Lang::En => format!("{what} at {subject} on {day}"),
        };
        told.add(
            a.student_id,
            "absence",
            ToldPart {
                day: a.day.clone(),
                alone: (title, a.reason.clone().unwrap_or_default()),
                short: day.clone(),
                line: format!(
                    "{day}: {}{}",
                    what.to_lowercase(),
                    suffix(&a.reason, " (", ")")
                ),
            },
        );
    }
    told.into_items(lang, subject, &ev.students)
}

pub fn homework_set(lang: Lang, ev: &events::HomeworkSet) -> Vec<NotifyItem> {
    let subject = &ev.journal.subject_name;
    let mut told = Told::default();
    for h in &ev.homework {
        let day = date(lang, &h.day);
        let text: String = h.text.chars().take(300).collect();
        let title = match lang {
            Lang::Ru => format!("Домашнее задание по предмету «{subject}» на {day}"),
            Lang::En => format!("Homework in {subject} for {day}"),
        };
        for student in &h.student_ids {
            told.add(
                *student,
                "homework",
                ToldPart {
                    day: h.day.clone(),
                    alone: (title.clone(), text.clone()),
                    short: day.clone(),
                    line: format!("{day}: {text}"),
                },
            );
        }
    }
    told.into_items(lang, subject, &ev.students)
}

pub fn lesson_changed(lang: Lang, ev: &events::LessonChanged) -> Vec<NotifyItem> {
    let (s, n) = (&ev.subject_name, ev.lesson_no);
    let day = date(lang, &ev.day);
    let (kind, title) = match (&ev.change, lang) {
        (LessonChangeFact::Substitution { teacher_name, .. }, Lang::Ru) => (
            "substitution",
            format!("Замена: {s} {day}, {n}-й урок — ведёт {teacher_name}"),
        ),
        (LessonChangeFact::Substitution { teacher_name, .. }, Lang::En) => (
            "substitution",
            format!("Substitution: {s} {day}, lesson {n} — taught by {teacher_name}"),
        ),
        (LessonChangeFact::Cancellation, Lang::Ru) => {
            ("cancellation", format!("Отмена: {s} {day}, {n}-й урок"))
        }
        (LessonChangeFact::Cancellation, Lang::En) => {
            ("cancellation", format!("Cancelled: {s} {day}, lesson {n}"))
        }
        (LessonChangeFact::Move { day: to, lesson_no }, Lang::Ru) => (
            "cancellation",
            format!(
                "Перенос: {s} {day}, {n}-й урок → {}, {lesson_no}-й урок",
                date(lang, to)
            ),
        ),
        (LessonChangeFact::Move { day: to, lesson_no }, Lang::En) => (
            "cancellation",
            format!(
                "Moved: {s} {day}, lesson {n} → {}, lesson {lesson_no}",
                date(lang, to)
            ),
        ),
    };
    ev.students
        .iter()
        .map(|st| NotifyItem {
            student: st.id,
            student_name: st.first_name.clone(),
            kind: kind.into(),
            title: title.clone(),
            body: ev.note.clone().unwrap_or_default(),
            link: Some(format!("/diary?student={}&week={}", st.id, ev.day)),
        })
        .collect()
}

/// The notification items of one school-day event; `None` for a kind this version
/// does not know (a newer producer): the consumer passes it by.
pub fn items(
    lang: Lang,
    kind: &str,
    payload: &str,
) -> Result<Option<Vec<NotifyItem>>, serde_json::Error> {
    Ok(Some(match kind {
        events::MARKS_SET => marks_set(lang, &serde_json::from_str(payload)?),
        events::ABSENCES_SET => absences_set(lang, &serde_json::from_str(payload)?),
        events::HOMEWORK_SET => homework_set(lang, &serde_json::from_str(payload)?),
        events::LESSON_CHANGED => lesson_changed(lang, &serde_json::from_str(payload)?),
        _ => return Ok(None),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use parta_core::ids::{ClassId, LessonId, OrganisationId};

    fn journal() -> events::JournalRef {
        events::JournalRef {
            organisation_id: OrganisationId::new(),
            class_id: ClassId::new(),
            subject_code: "math".into(),
            subject_name: "Математика".into(),
        }
    }

    #[test]
    fn several_marks_of_one_student_are_one_notification() {
        let st = PersonId::new();
        let mark = |v: &str, day: &str| events::MarkFact {
            student_id: st,
            lesson_id: LessonId::new(),
            day: day.into(),
            value: v.into(),
            work_type: "test".into(),
            work_type_name: "Контрольная работа".into(),
            comment: None,
            changed: false,
        };
        let ev = events::MarksSet {
            journal: journal(),
            students: vec![events::StudentRef {
                id: st,
                first_name: "Иван".into(),
            }],
            marks: vec![mark("5", "2026-11-23"), mark("4", "2026-11-24")],
        };
        let items = marks_set(Lang::Ru, &ev);
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].title, "Отметки по предмету «Математика»: 5, 4");
        assert_eq!(items[0].student_name, "Иван");
        assert_eq!(
            items[0].link.as_deref(),
            Some(format!("/diary?student={st}&week=2026-11-24").as_str())
        );
        let en = marks_set(Lang::En, &ev);
        assert_eq!(en[0].title, "Marks in Математика: 5, 4");
    }

    #[test]
    fn a_single_absence_names_the_day() {
        let st = PersonId::new();
        let ev = events::AbsencesSet {
            journal: journal(),
            students: vec![],
            absences: vec![events::AbsenceFact {
                student_id: st,
                lesson_id: LessonId::new(),
                day: "2026-11-24".into(),
                status: "late".into(),
                reason: Some("автобус".into()),
            }],
        };
        let items = absences_set(Lang::Ru, &ev);
        assert_eq!(items[0].title, "Опоздание на уроке «Математика» 24.11.2026");
        assert_eq!(items[0].body, "автобус");
    }

    #[test]
    fn unknown_kinds_are_passed_by() {
        assert!(items(Lang::Ru, "schoolday.something_new.v2", "{}")
            .unwrap()
            .is_none());
    }
}
