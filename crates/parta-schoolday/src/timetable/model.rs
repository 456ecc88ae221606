//! Types of timetable: Расписание: the weekly template, dated lessons and their changes. (no I/O)

use chrono::NaiveDate;
use parta_core::ids::{ClassId, GroupId, LessonId, PersonId, SlotId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub const WEEKDAYS_RU: [&str; 7] = [
    "понедельник",
    "вторник",
    "среда",
    "четверг",
    "пятница",
    "суббота",
    "воскресенье",
];

/// A weekly slot of the timetable template.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Slot {
    pub id: SlotId,
    pub class_id: ClassId,
    pub group_id: Option<GroupId>,
    pub weekday: i64,
    pub lesson_no: i64,
    pub subject_code: String,
    pub teacher_id: PersonId,
    pub room: Option<String>,
    pub valid_from: String,
    pub valid_to: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewSlot {
    /// 1 = Monday … 6 = Saturday.
    pub weekday: i64,
    pub lesson_no: i64,
    pub subject_code: String,
    pub teacher_id: PersonId,
    pub room: Option<String>,
    pub group_id: Option<GroupId>,
}

/// Slots of one template version: 6 days × 12 lessons, each split into up to 5 groups.
pub const MAX_TEMPLATE_SLOTS: usize = 360;

/// A new version of a class's weekly template, valid from a date.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct TemplateVersion {
    pub valid_from: NaiveDate,
    pub slots: Vec<NewSlot>,
}

/// A change to one dated lesson.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LessonChange {
    /// Замена: another teacher gives this lesson.
    Substitution {
        teacher_id: PersonId,
        note: Option<String>,
    },
    /// Отмена.
    Cancellation { note: Option<String> },
    /// Перенос to another date and/or lesson number (and room).
    Move {
        day: NaiveDate,
        lesson_no: i64,
        room: Option<String>,
        note: Option<String>,
    },
}

/// Дополнительный урок.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ExtraLesson {
    pub class_id: ClassId,
    pub group_id: Option<GroupId>,
    pub day: NaiveDate,
    pub lesson_no: i64,
    pub subject_code: String,
    pub teacher_id: PersonId,
    pub room: Option<String>,
}

/// A lesson of a date, as timetables and diaries show it.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
pub struct Lesson {
    pub id: LessonId,
    pub class_id: ClassId,
    pub class_name: String,
    pub group_id: Option<GroupId>,
    pub group_name: Option<String>,
    pub day: String,
    pub lesson_no: i64,
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    pub subject_code: String,
    pub subject_name: String,
    pub teacher_id: PersonId,
    pub teacher_name: String,
    pub planned_teacher_id: Option<PersonId>,
    pub room: Option<String>,
    /// planned | cancelled
    pub status: String,
    /// substitution | cancellation | move | extra
    pub change_kind: Option<String>,
    pub change_note: Option<String>,
    pub topic: Option<String>,
    pub homework: Option<String>,
    pub homework_due: Option<String>,
    /// When the teacher took the attendance (no absences stored does not tell it).
    pub attendance_taken_at: Option<i64>,
    /// 1 when the homework is to be handed in (an answer or a file).
    pub handin: i64,
    /// Форма контроля of the lesson's column: new marks take it.
    pub work_type: Option<String>,
}

/// Whose timetable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimetableOf {
    Class(ClassId),
    Teacher(PersonId),
    Student(PersonId),
}
