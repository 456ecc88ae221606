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

/// The words of notifications, Russian and English: the same mechanism as every page's
/// strings (a table per language, picked by [`Lang::pick`]); a message with values is a
/// function of them.
pub struct Wording {
    pub and_more: fn(&str, usize) -> String,
    pub marks_in: fn(&str, &str) -> String,
    pub absences_in: fn(&str, &str) -> String,
    pub homework_in_list: fn(&str, &str) -> String,
    pub new_mark: &'static str,
    pub changed_mark: &'static str,
    pub mark_title: fn(&str, &str, &str) -> String,
    pub late: &'static str,
    pub absent: &'static str,
    pub absence_title: fn(&str, &str, &str) -> String,
    pub homework_title: fn(&str, &str) -> String,
    pub substitution: fn(&str, &str, i64, &str) -> String,
    pub cancellation: fn(&str, &str, i64) -> String,
    pub moved: fn(&str, &str, i64, &str, i64) -> String,
    /// No lessons on a day (or days) — the name of the holiday.
    pub day_off: fn(&str, &str) -> String,
    pub days_off: fn(&str, &str, &str) -> String,
    /// A hand-in accepted (subject, day, mark or "") or returned for rework (subject, day).
    pub handin_accepted: fn(&str, &str, &str) -> String,
    pub handin_returned: fn(&str, &str) -> String,
    /// An urgent announcement in a chat, by its author.
    pub announced: fn(&str) -> String,
    /// A video lesson (subject, day, lesson number) and what to do.
    pub video_title: fn(&str, &str, i64) -> String,
    pub video_body: &'static str,
    /// A date as people write it.
    pub date: fn(&str) -> String,
}

pub static RU: Wording = Wording {
    and_more: |list, more| format!("{list} и ещё {more}"),
    marks_in: |s, list| format!("Отметки по предмету «{s}»: {list}"),
    absences_in: |s, list| format!("Пропуски уроков «{s}»: {list}"),
    homework_in_list: |s, list| format!("Домашние задания по предмету «{s}» на {list}"),
    new_mark: "Новая отметка",
    changed_mark: "Отметка изменена",
    mark_title: |verb, v, s| format!("{verb}: {v} по предмету «{s}»"),
    late: "Опоздание",
    absent: "Отсутствие",
    absence_title: |what, s, day| format!("{what} на уроке «{s}» {day}"),
    homework_title: |s, day| format!("Домашнее задание по предмету «{s}» на {day}"),
    substitution: |s, day, n, who| format!("Замена: {s} {day}, {n}-й урок — ведёт {who}"),
    cancellation: |s, day, n| format!("Отмена: {s} {day}, {n}-й урок"),
    moved: |s, day, n, to, m| format!("Перенос: {s} {day}, {n}-й урок → {to}, {m}-й урок"),
    day_off: |day, name| format!("Уроков {day} не будет: {name}"),
    days_off: |from, to, name| format!("Уроков с {from} по {to} не будет: {name}"),
    handin_accepted: |s, day, mark| match mark {
        "" => format!("Работа по предмету «{s}» к {day} принята"),
        m => format!("Работа по предмету «{s}» к {day} принята, отметка {m}"),
    },
    handin_returned: |s, day| format!("Работа по предмету «{s}» к {day} возвращена на доработку"),
    announced: |who| format!("Важное объявление: {who} просит подтвердить прочтение"),
    video_title: |s, day, n| format!("Видеоурок по предмету «{s}» {day}, {n}-й урок"),
    video_body:
        "Урок пройдёт по видеосвязи. Ученик входит в день урока из раздела «Видеоуроки» в «Чатах».",
    date: ru_date,
};

pub static EN: Wording = Wording {
    and_more: |list, more| format!("{list} and {more} more"),
    marks_in: |s, list| format!("Marks in {s}: {list}"),
    absences_in: |s, list| format!("Missed lessons of {s}: {list}"),
    homework_in_list: |s, list| format!("Homework in {s} for {list}"),
    new_mark: "New mark",
    changed_mark: "Mark changed",
    mark_title: |verb, v, s| format!("{verb}: {v} in {s}"),
    late: "Late",
    absent: "Absent",
    absence_title: |what, s, day| format!("{what} at {s} on {day}"),
    homework_title: |s, day| format!("Homework in {s} for {day}"),
    substitution: |s, day, n, who| format!("Substitution: {s} {day}, lesson {n} — taught by {who}"),
    cancellation: |s, day, n| format!("Cancelled: {s} {day}, lesson {n}"),
    moved: |s, day, n, to, m| format!("Moved: {s} {day}, lesson {n} → {to}, lesson {m}"),
    day_off: |day, name| format!("No lessons on {day}: {name}"),
    days_off: |from, to, name| format!("No lessons from {from} to {to}: {name}"),
    handin_accepted: |s, day, mark| match mark {
        "" => format!("Work in {s} for {day} accepted"),
        m => format!("Work in {s} for {day} accepted, mark {m}"),
    },
    handin_returned: |s, day| format!("Work in {s} for {day} returned for rework"),
    announced: |who| format!("Important announcement: {who} asks you to confirm reading"),
    video_title: |s, day, n| format!("Video lesson in {s} on {day}, lesson {n}"),
    video_body:
        "You can enter on the day of the lesson: open this notification or «Video lessons».",
    date: |iso| iso.to_string(),
};

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
        let w = lang.pick(&RU, &EN);
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
                        (w.and_more)(&shorts[..10].join(", "), shorts.len() - 10)
                    } else {
                        shorts.join(", ")
                    };
                    let title = match kind {
                        "mark" => (w.marks_in)(subject, &list),
                        "absence" => (w.absences_in)(subject, &list),
                        _ => (w.homework_in_list)(subject, &list),
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
                    student_only_link: false,
                    direct: false,
                }
            })
            .collect()
    }
}

fn suffix(text: &Option<String>, open: &str, close: &str) -> String {
    text.as_ref()
        .map(|c| format!("{open}{c}{close}"))
        .unwrap_or_default()
}

pub fn marks_set(lang: Lang, ev: &events::MarksSet) -> Vec<NotifyItem> {
    let subject = &ev.journal.subject_name;
    let w = lang.pick(&RU, &EN);
    let mut told = Told::default();
    for m in &ev.marks {
        let verb = if m.changed {
            w.changed_mark
        } else {
            w.new_mark
        };
        let day = (w.date)(&m.day);
        let title = (w.mark_title)(verb, &m.value, subject);
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
    let w = lang.pick(&RU, &EN);
    let mut told = Told::default();
    for a in &ev.absences {
        let what = if a.status == "late" { w.late } else { w.absent };
        let day = (w.date)(&a.day);
        let title = (w.absence_title)(what, subject, &day);
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
    let w = lang.pick(&RU, &EN);
    let mut told = Told::default();
    for h in &ev.homework {
        let day = (w.date)(&h.day);
        let text: String = h.text.chars().take(300).collect();
        let title = (w.homework_title)(subject, &day);
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
    let w = lang.pick(&RU, &EN);
    let (s, n) = (&ev.subject_name, ev.lesson_no);
    let day = (w.date)(&ev.day);
    let (kind, title) = match &ev.change {
        LessonChangeFact::Substitution { teacher_name, .. } => {
            ("substitution", (w.substitution)(s, &day, n, teacher_name))
        }
        LessonChangeFact::Cancellation => ("cancellation", (w.cancellation)(s, &day, n)),
        LessonChangeFact::Move { day: to, lesson_no } => (
            "cancellation",
            (w.moved)(s, &day, n, &(w.date)(to), *lesson_no),
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
            student_only_link: false,
            direct: false,
        })
        .collect()
}

/// Lessons of days taken off by a holiday or vacation: each student's family is told once.
pub fn days_off(lang: Lang, ev: &events::DaysOff) -> Vec<NotifyItem> {
    let w = lang.pick(&RU, &EN);
    let title = if ev.starts_on == ev.ends_on {
        (w.day_off)(&(w.date)(&ev.starts_on), &ev.name)
    } else {
        (w.days_off)(&(w.date)(&ev.starts_on), &(w.date)(&ev.ends_on), &ev.name)
    };
    ev.students
        .iter()
        .map(|st| NotifyItem {
            student: st.id,
            student_name: st.first_name.clone(),
            kind: "cancellation".into(),
            title: title.clone(),
            body: String::new(),
            link: Some(format!("/diary?student={}&week={}", st.id, ev.starts_on)),
            student_only_link: false,
            direct: false,
        })
        .collect()
}

/// A reviewed hand-in: the student and the family read the verdict and the comment.
pub fn handin_reviewed(lang: Lang, ev: &events::HandInReviewed) -> Vec<NotifyItem> {
    // An acceptance with a mark is told once, by the mark's own notification.
    if ev.status == "accepted" && ev.mark.is_some() {
        return Vec::new();
    }
    let w = lang.pick(&RU, &EN);
    let s = &ev.journal.subject_name;
    let day = (w.date)(&ev.day);
    let title = if ev.status == "returned" {
        (w.handin_returned)(s, &day)
    } else {
        (w.handin_accepted)(s, &day, ev.mark.as_deref().unwrap_or_default())
    };
    vec![NotifyItem {
        student: ev.student.id,
        student_name: ev.student.first_name.clone(),
        kind: "homework".into(),
        title,
        body: ev.comment.clone().unwrap_or_default(),
        link: Some(format!("/diary?student={}&week={}", ev.student.id, ev.day)),
        student_only_link: false,
        direct: false,
    }]
}

/// An urgent announcement in a chat: each member is told, by name, with the way to it.
pub fn announced(lang: Lang, ev: &parta_chat::events::Announced) -> Vec<NotifyItem> {
    let w = lang.pick(&RU, &EN);
    let title = (w.announced)(&ev.author);
    ev.to
        .iter()
        .map(|person| NotifyItem {
            student: *person,
            student_name: String::new(),
            kind: "announcement".into(),
            title: title.clone(),
            body: ev.text.clone(),
            link: Some(format!("/chats/{}/at/{}", ev.chat_id, ev.seq)),
            student_only_link: false,
            direct: true,
        })
        .collect()
}

/// A video lesson scheduled: each student is told when, and where to enter (their
/// parents learn of it, without the room's page, which is the student's).
pub fn video_scheduled(lang: Lang, ev: &parta_video::events::VideoScheduled) -> Vec<NotifyItem> {
    let w = lang.pick(&RU, &EN);
    let title = (w.video_title)(&ev.subject_name, &(w.date)(&ev.day), ev.lesson_no);
    ev.students
        .iter()
        .map(|s| NotifyItem {
            student: s.id,
            student_name: s.first_name.clone(),
            kind: "video".into(),
            title: title.clone(),
            body: w.video_body.to_string(),
            link: Some(format!("/lessons/{}/video", ev.lesson_id)),
            student_only_link: true,
            direct: false,
        })
        .collect()
}

/// Events of the previous release still waiting at the upgrade (migration
/// `20261130000003`).
pub const LEGACY: &str = "legacy.notify";

/// The notification items of one school-day event; `None` for a kind this version
/// does not know (a newer producer): the consumer passes it by.
pub fn items(
    lang: Lang,
    kind: &str,
    payload: &str,
) -> Result<Option<Vec<NotifyItem>>, serde_json::Error> {
    /// An event of the previous release, its words already made (delivered once).
    #[derive(serde::Deserialize)]
    struct Legacy {
        items: Vec<NotifyItem>,
    }
    Ok(Some(match kind {
        LEGACY => serde_json::from_str::<Legacy>(payload)?.items,
        events::MARKS_SET => marks_set(lang, &serde_json::from_str(payload)?),
        events::ABSENCES_SET => absences_set(lang, &serde_json::from_str(payload)?),
        events::HOMEWORK_SET => homework_set(lang, &serde_json::from_str(payload)?),
        events::LESSON_CHANGED => lesson_changed(lang, &serde_json::from_str(payload)?),
        events::DAYS_OFF => days_off(lang, &serde_json::from_str(payload)?),
        events::HANDIN_REVIEWED => handin_reviewed(lang, &serde_json::from_str(payload)?),
        parta_chat::events::ANNOUNCED => announced(lang, &serde_json::from_str(payload)?),
        parta_video::events::VIDEO_SCHEDULED => {
            video_scheduled(lang, &serde_json::from_str(payload)?)
        }
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

    /// Every message has words in both languages, and they differ.
    #[test]
    fn wording_is_complete_in_both_languages() {
        for w in [&RU, &EN] {
            for text in [
                (w.and_more)("a", 1),
                (w.marks_in)("s", "l"),
                (w.absences_in)("s", "l"),
                (w.homework_in_list)("s", "l"),
                w.new_mark.to_string(),
                w.changed_mark.to_string(),
                (w.mark_title)("v", "5", "s"),
                w.late.to_string(),
                w.absent.to_string(),
                (w.absence_title)("w", "s", "d"),
                (w.homework_title)("s", "d"),
                (w.substitution)("s", "d", 1, "t"),
                (w.cancellation)("s", "d", 1),
                (w.moved)("s", "d", 1, "t", 2),
                (w.day_off)("d", "n"),
                (w.days_off)("d", "e", "n"),
                (w.handin_accepted)("s", "d", "5"),
                (w.handin_returned)("s", "d"),
            ] {
                assert!(!text.trim().is_empty());
            }
        }
        assert_ne!(RU.new_mark, EN.new_mark);
        assert_ne!(
            (RU.moved)("s", "d", 1, "t", 2),
            (EN.moved)("s", "d", 1, "t", 2)
        );
    }

    #[test]
    fn unknown_kinds_are_passed_by() {
        assert!(items(Lang::Ru, "schoolday.something_new.v2", "{}")
            .unwrap()
            .is_none());
    }
}
