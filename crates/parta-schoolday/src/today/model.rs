//! What the start pages show of the school day.

use crate::diary::model::DiaryLesson;
use crate::timetable::model::Lesson;
use parta_core::ids::{ClassId, LessonId, OrganisationId, PersonId};
use serde::Serialize;
use utoipa::ToSchema;

/// Days back that journal filling is checked over (up to yesterday).
pub const FILLING_DAYS: i64 = 14;
/// A teacher's lessons listed as left to fill in, at most.
pub const UNFILLED_SHOWN: i64 = 30;

/// A teacher's day.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeacherToday {
    pub today: Vec<Lesson>,
    /// Lessons given in the last [`FILLING_DAYS`] days without a topic or attendance.
    pub unfilled: Vec<Lesson>,
    /// Lessons with hand-ins waiting to be marked.
    pub handins: Vec<HandInsWaiting>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct HandInsWaiting {
    #[schema(value_type = String)]
    pub lesson_id: LessonId,
    pub day: String,
    pub class_name: String,
    pub subject_name: String,
    pub waiting: i64,
}

/// A student's day, for them or a parent.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StudentToday {
    #[schema(value_type = String)]
    pub student_id: PersonId,
    pub student_name: String,
    pub class_name: Option<String>,
    pub today: Vec<DiaryLesson>,
    /// The next day with lessons after today.
    pub next_day: Option<String>,
    pub next: Vec<DiaryLesson>,
    /// Marks put or changed since the viewer last opened this page (the last week on a
    /// first visit).
    pub new_marks: Vec<NewMark>,
    /// Homework due on the next day with lessons.
    pub due: Vec<DueHomework>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct NewMark {
    pub day: String,
    pub subject_name: String,
    pub value: String,
    pub work_type_name: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct DueHomework {
    #[schema(value_type = String)]
    pub lesson_id: LessonId,
    pub subject_name: String,
    pub homework: String,
    /// To be handed in through the platform.
    pub handin: i64,
}

/// Journal filling of a teacher or a class: given lessons, and how many have a topic and
/// the attendance taken.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Filling {
    pub id: String,
    pub name: String,
    pub given: i64,
    pub with_topic: i64,
    pub with_attendance: i64,
}

impl Filling {
    /// Percent of given lessons with both a topic and the attendance (the lower of the two).
    pub fn percent(&self) -> i64 {
        if self.given == 0 {
            return 100;
        }
        self.with_topic.min(self.with_attendance) * 100 / self.given
    }
}

/// The administration's day in a school.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SchoolToday {
    #[schema(value_type = String)]
    pub organisation_id: OrganisationId,
    /// From which day filling is counted (up to yesterday).
    pub since: String,
    pub total: Filling,
    /// Per teacher, the least filled first.
    pub teachers: Vec<Filling>,
    /// Per class, the least filled first.
    pub classes: Vec<Filling>,
    /// Who is absent today, per class.
    pub absences: Vec<ClassAbsences>,
    /// Today's substitutions, cancellations and moves.
    pub changes: Vec<Lesson>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClassAbsences {
    #[schema(value_type = String)]
    pub class_id: ClassId,
    pub class_name: String,
    pub students: Vec<String>,
}

/// A school's week in numbers, for the territory's operators (no one named).
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct SchoolWeek {
    /// Percent of given lessons with topic and attendance (last [`FILLING_DAYS`] days).
    pub filling: Option<i64>,
    /// Percent of student-lessons attended this week (Monday to today).
    pub attendance: Option<i64>,
}
