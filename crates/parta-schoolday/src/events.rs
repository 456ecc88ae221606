//! Events of the school day: facts this domain owns, with ids and values and no rendered
//! text, written to the outbox in the transaction of the change. Each kind carries its
//! version; a change that breaks readers gets a new kind (`.v2`) written beside the old
//! one until every consumer reads it (docs/adr/0012). Consumers: notifications (the
//! text is theirs, in the reader's language), later the search index and live
//! indicators.

use parta_core::ids::{ClassId, GroupId, LessonId, OrganisationId, PersonId};
use serde::{Deserialize, Serialize};

/// Отметки выставлены или изменены (one journal save).
pub const MARKS_SET: &str = "schoolday.marks_set.v1";
/// Пропуски и опоздания отмечены (one journal save).
pub const ABSENCES_SET: &str = "schoolday.absences_set.v1";
/// Домашнее задание задано или изменено (one journal save).
pub const HOMEWORK_SET: &str = "schoolday.homework_set.v1";
/// Урок заменён, отменён или перенесён.
pub const LESSON_CHANGED: &str = "schoolday.lesson_changed.v1";

/// Дни без уроков: a holiday or vacation took a class's lessons of some days.
pub const DAYS_OFF: &str = "schoolday.days_off.v1";

/// Сданная работа проверена: accepted (with the mark, told by `marks_set`) or returned
/// for rework with the teacher's comment.
pub const HANDIN_REVIEWED: &str = "schoolday.handin_reviewed.v1";

/// Every kind this domain writes.
pub const KINDS: [&str; 6] = [
    MARKS_SET,
    ABSENCES_SET,
    HOMEWORK_SET,
    LESSON_CHANGED,
    DAYS_OFF,
    HANDIN_REVIEWED,
];

/// A teacher reviewed a student's hand-in.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HandInReviewed {
    pub journal: JournalRef,
    pub lesson_id: LessonId,
    /// ISO date of the lesson.
    pub day: String,
    pub student: StudentRef,
    /// `accepted` or `returned`.
    pub status: String,
    /// The mark put in the journal with the acceptance, if any.
    pub mark: Option<String>,
    pub comment: Option<String>,
}

/// A class's lessons of some days are gone: a holiday or vacation was added.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DaysOff {
    pub organisation_id: OrganisationId,
    pub class_id: ClassId,
    /// ISO dates, inclusive.
    pub starts_on: String,
    pub ends_on: String,
    /// The holiday's or vacation's name.
    pub name: String,
    /// How many lessons of the class were taken off.
    pub lessons: i64,
    pub students: Vec<StudentRef>,
}

/// The journal a save was made in.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct JournalRef {
    pub organisation_id: OrganisationId,
    pub class_id: ClassId,
    pub subject_code: String,
    /// The subject's name at the time (a value of the fact, not a rendering).
    pub subject_name: String,
}

/// A student the fact is about, with the first name parents see.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StudentRef {
    pub id: PersonId,
    pub first_name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MarkFact {
    pub student_id: PersonId,
    pub lesson_id: LessonId,
    /// ISO date of the lesson.
    pub day: String,
    pub value: String,
    pub work_type: String,
    pub work_type_name: String,
    pub comment: Option<String>,
    /// The mark replaced an earlier value.
    pub changed: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MarksSet {
    pub journal: JournalRef,
    pub students: Vec<StudentRef>,
    pub marks: Vec<MarkFact>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AbsenceFact {
    pub student_id: PersonId,
    pub lesson_id: LessonId,
    pub day: String,
    /// `absent` or `late`.
    pub status: String,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AbsencesSet {
    pub journal: JournalRef,
    pub students: Vec<StudentRef>,
    pub absences: Vec<AbsenceFact>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HomeworkFact {
    pub lesson_id: LessonId,
    pub day: String,
    pub text: String,
    /// The students of the lesson (a class or a group).
    pub student_ids: Vec<PersonId>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HomeworkSet {
    pub journal: JournalRef,
    pub students: Vec<StudentRef>,
    pub homework: Vec<HomeworkFact>,
}

/// What happened to a lesson.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LessonChangeFact {
    Substitution {
        teacher_id: PersonId,
        /// Short name of the substitute teacher ("Петрова А. И.").
        teacher_name: String,
    },
    Cancellation,
    Move {
        day: String,
        lesson_no: i64,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LessonChanged {
    pub lesson_id: LessonId,
    pub organisation_id: OrganisationId,
    pub class_id: ClassId,
    pub group_id: Option<GroupId>,
    pub subject_name: String,
    /// The lesson's date and number before the change.
    pub day: String,
    pub lesson_no: i64,
    pub change: LessonChangeFact,
    pub note: Option<String>,
    /// The students of the lesson.
    pub students: Vec<StudentRef>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The wire form is the contract with every consumer: a change to it must be a new
    /// version of the kind, not an edit of this one.
    #[test]
    fn lesson_changed_v1_wire_form_is_stable() {
        let id = PersonId(uuid::Uuid::nil());
        let fact = LessonChangeFact::Substitution {
            teacher_id: id,
            teacher_name: "Петрова А. И.".into(),
        };
        let json = serde_json::to_value(&fact).unwrap();
        assert_eq!(json["kind"], "substitution");
        assert_eq!(json["teacher_name"], "Петрова А. И.");
        let back: LessonChangeFact = serde_json::from_value(json).unwrap();
        assert_eq!(back, fact);
        assert!(KINDS
            .iter()
            .all(|k| k.starts_with("schoolday.") && k.ends_with(".v1")));
    }
}
