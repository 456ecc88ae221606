//! Types of journal: Электронный журнал: marks, attendance, topics and homework of lessons; the grid and its save. (no I/O)

use chrono::NaiveDate;
use parta_core::ids::{ClassId, LessonId, MarkId, PersonId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::model::*;

/// Шкала отметок.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    FivePoint,
    PassFail,
}

impl Scale {
    pub fn parse(code: &str) -> Scale {
        if code == "pass_fail" {
            Scale::PassFail
        } else {
            Scale::FivePoint
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Scale::FivePoint => "five_point",
            Scale::PassFail => "pass_fail",
        }
    }

    pub fn values(self) -> &'static [&'static str] {
        match self {
            Scale::FivePoint => &["1", "2", "3", "4", "5"],
            Scale::PassFail => &["зач", "незач"],
        }
    }

    /// The stored value and the number used in averages, or `None` if not on the scale.
    pub fn check(self, raw: &str) -> Option<(String, Option<i64>)> {
        let v = raw.trim().to_lowercase();
        match self {
            Scale::FivePoint => v
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=5).contains(n))
                .map(|n| (n.to_string(), Some(n))),
            Scale::PassFail => {
                let v = match v.as_str() {
                    "з" | "зач" | "зачёт" | "зачет" => "зач",
                    "н" | "незач" | "незачёт" | "незачет" => "незач",
                    _ => return None,
                };
                Some((v.to_string(), None))
            }
        }
    }
}

/// The weighted average of (score, weight) pairs; `None` without scores.
pub fn weighted_average(marks: impl IntoIterator<Item = (i64, i64)>) -> Option<f64> {
    let (sum, weights) = marks
        .into_iter()
        .fold((0i64, 0i64), |(s, w), (score, weight)| {
            (s + score * weight, w + weight)
        });
    (weights > 0).then(|| sum as f64 / weights as f64)
}

/// The suggested grade by the school's rounding rule: the fractional part at or above
/// `threshold` hundredths rounds up (60: 3.60 → 4, 3.59 → 3).
pub fn suggest_grade(average: f64, threshold: i64) -> i64 {
    let hundredths = (average * 100.0).round() as i64;
    let whole = hundredths / 100;
    let frac = hundredths % 100;
    let g = if frac >= threshold { whole + 1 } else { whole };
    g.clamp(1, 5)
}

/// Виды посещаемости.
pub const ATTENDANCE: [(&str, &str); 4] = [
    ("absent", "Н"),
    ("ill", "Б"),
    ("excused", "УП"),
    ("late", "ОП"),
];

pub fn attendance_label(status: &str) -> &'static str {
    ATTENDANCE
        .iter()
        .find(|(s, _)| *s == status)
        .map(|(_, l)| *l)
        .unwrap_or("?")
}

/// An отметка as the journal and the diary show it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Mark {
    pub id: MarkId,
    pub lesson_id: LessonId,
    pub student_id: PersonId,
    pub day: String,
    pub subject_code: String,
    pub value: String,
    pub work_type: String,
    pub weight: i64,
    pub comment: Option<String>,
    pub updated_at: i64,
}

/// An absence or lateness.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Attendance {
    pub lesson_id: LessonId,
    pub student_id: PersonId,
    pub day: String,
    /// absent | ill | excused | late
    pub status: String,
    pub reason: Option<String>,
}

/// A previous value of a mark.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct MarkChange {
    pub mark_id: String,
    pub student_id: PersonId,
    pub old_value: String,
    pub new_value: Option<String>,
    pub changed_by: PersonId,
    pub changed_by_name: String,
    pub changed_role: String,
    pub changed_at: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct WorkType {
    pub code: String,
    pub name: String,
    pub weight: i64,
}

/// A student row of the journal.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
pub struct JournalStudent {
    pub id: PersonId,
    pub name: String,
}

/// A student's average and grade in the journal of a period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StudentSummary {
    pub student_id: PersonId,
    pub average: Option<f64>,
    pub suggested: Option<String>,
    pub grade: Option<String>,
}

/// Электронный журнал: a class (or group) and subject in a period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JournalGrid {
    pub class_id: ClassId,
    pub class_name: String,
    pub subject_code: String,
    pub subject_name: String,
    pub scale: String,
    pub scale_values: Vec<String>,
    pub period: Period,
    pub periods: Vec<Period>,
    pub rounding_threshold: i64,
    pub may_write: bool,
    pub students: Vec<JournalStudent>,
    pub lessons: Vec<Lesson>,
    pub marks: Vec<Mark>,
    pub attendance: Vec<Attendance>,
    pub summaries: Vec<StudentSummary>,
    pub work_types: Vec<WorkType>,
}

/// One mark to write: `mark_id` set to change or remove an existing one; `value`
/// empty removes it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct MarkInput {
    pub lesson_id: LessonId,
    pub student_id: PersonId,
    pub mark_id: Option<MarkId>,
    /// The id a new mark takes, when another system names it (a OneRoster result's
    /// sourcedId); not part of the journal's own API.
    #[serde(skip)]
    #[schema(ignore)]
    pub new_id: Option<MarkId>,
    pub value: Option<String>,
    pub work_type: Option<String>,
    pub comment: Option<String>,
}

/// Attendance of a student at a lesson; `status` absent removes the record (present).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct AttendanceInput {
    pub lesson_id: LessonId,
    pub student_id: PersonId,
    pub status: Option<String>,
    pub reason: Option<String>,
}

/// Topic and homework of a lesson.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct LessonInput {
    pub lesson_id: LessonId,
    pub topic: Option<String>,
    pub homework: Option<String>,
    pub homework_due: Option<NaiveDate>,
    /// The attendance is taken (everyone not marked absent was there); `false` undoes it.
    #[serde(default)]
    pub attendance_taken: Option<bool>,
    /// The homework is to be handed in through the platform.
    #[serde(default)]
    pub handin: Option<bool>,
    /// Форма контроля of the lesson's column (a code of the work types).
    #[serde(default)]
    pub work_type: Option<String>,
}

/// Marks one save may carry: a class of 40 over a quarter's ~50 lessons of a subject.
pub const MAX_SAVE_MARKS: usize = 2_000;

/// Attendance entries one save may carry.
pub const MAX_SAVE_ATTENDANCE: usize = 2_000;

/// Lessons (topic, homework) one save may carry.
pub const MAX_SAVE_LESSONS: usize = 200;

/// Marks one student may have for one lesson (a dictation gives two: spelling and grammar).
pub const MAX_MARKS_PER_LESSON: i64 = 3;

/// Period grades one request may set (a class).
pub const MAX_SAVE_GRADES: usize = 100;

/// Everything a teacher changed in a journal, saved at once (all or nothing).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct JournalSave {
    #[serde(default)]
    pub marks: Vec<MarkInput>,
    #[serde(default)]
    pub attendance: Vec<AttendanceInput>,
    #[serde(default)]
    pub lessons: Vec<LessonInput>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SaveResult {
    pub marks_written: usize,
    pub marks_removed: usize,
    pub attendance_written: usize,
    pub lessons_written: usize,
    /// Ids of the marks created, in the order of the request's new marks.
    pub created: Vec<MarkId>,
}

/// A class-subject a teacher keeps a journal for.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct JournalRef {
    pub class_id: ClassId,
    pub class_name: String,
    pub subject_code: String,
    pub subject_name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_follows_the_threshold() {
        assert_eq!(suggest_grade(3.60, 60), 4);
        assert_eq!(suggest_grade(3.59, 60), 3);
        assert_eq!(suggest_grade(3.50, 50), 4);
        assert_eq!(suggest_grade(4.99, 60), 5);
        assert_eq!(suggest_grade(1.2, 60), 1);
    }

    #[test]
    fn weights_count() {
        // 5 (weight 1) and 3 (weight 3): (5 + 9) / 4 = 3.5
        assert_eq!(weighted_average([(5, 1), (3, 3)]), Some(3.5));
        assert_eq!(weighted_average([]), None);
    }

    #[test]
    fn scales_refuse_other_values() {
        assert_eq!(
            Scale::FivePoint.check(" 4 "),
            Some(("4".to_string(), Some(4)))
        );
        assert_eq!(Scale::FivePoint.check("6"), None);
        assert_eq!(Scale::FivePoint.check("зач"), None);
        assert_eq!(
            Scale::PassFail.check("Зачёт"),
            Some(("зач".to_string(), None))
        );
        assert_eq!(Scale::PassFail.check("5"), None);
    }
}

/// A lesson with everything a teacher (or a substitute) needs for it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LessonSheet {
    pub lesson: Lesson,
    pub may_write: bool,
    pub scale_values: Vec<String>,
    pub students: Vec<JournalStudent>,
    pub marks: Vec<Mark>,
    pub attendance: Vec<Attendance>,
    pub history: Vec<MarkChange>,
    pub submissions: Vec<Submission>,
    pub attachments: Vec<Attachment>,
}
