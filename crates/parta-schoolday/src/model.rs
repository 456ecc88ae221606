//! Types of the school day and their invariants (no I/O).

use chrono::NaiveDate;
use parta_core::ids::{
    AcademicYearId, CalendarDayId, ClassId, GroupId, LessonId, MarkId, OrganisationId, PeriodId,
    PersonId, SlotId,
};
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

/// Настройки школы.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
pub struct SchoolSettings {
    /// 5 or 6 school days a week.
    pub week_days: i64,
    /// Hundredths from which an average rounds up (60: 3.60 → 4).
    pub rounding_threshold: i64,
}

impl Default for SchoolSettings {
    fn default() -> Self {
        Self {
            week_days: 5,
            rounding_threshold: 60,
        }
    }
}

/// Учебный период.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Period {
    pub id: PeriodId,
    pub academic_year_id: AcademicYearId,
    /// quarter | trimester | semester
    pub kind: String,
    pub name: String,
    pub grade_from: i64,
    pub grade_to: i64,
    pub starts_on: String,
    pub ends_on: String,
    pub closed_at: Option<i64>,
}

impl Period {
    pub fn covers(&self, day: &str) -> bool {
        self.starts_on.as_str() <= day && day <= self.ends_on.as_str()
    }
    pub fn for_grade(&self, grade: i64) -> bool {
        self.grade_from <= grade && grade <= self.grade_to
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewPeriod {
    pub academic_year_id: AcademicYearId,
    pub kind: String,
    pub name: String,
    pub grade_from: i64,
    pub grade_to: i64,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

/// A holiday or vacation (no lessons), or a moved working day.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct CalendarDay {
    pub id: CalendarDayId,
    pub starts_on: String,
    pub ends_on: String,
    /// holiday | vacation | working
    pub kind: String,
    /// For a working day: whose weekday's timetable it follows (1 = Monday).
    pub follows_weekday: Option<i64>,
    pub name: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewCalendarDay {
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    pub kind: String,
    pub follows_weekday: Option<i64>,
    pub name: String,
}

/// Звонок: when a lesson of a shift starts and ends.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
pub struct Bell {
    pub shift: i64,
    pub lesson_no: i64,
    /// HH:MM
    pub starts_at: String,
    pub ends_at: String,
}

/// A school's calendar as a whole.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SchoolCalendarView {
    pub organisation_id: OrganisationId,
    pub settings: SchoolSettings,
    pub periods: Vec<Period>,
    pub days: Vec<CalendarDay>,
    pub bells: Vec<Bell>,
    /// The school's academic years, for new periods.
    pub years: Vec<AcademicYearRef>,
}

/// An academic year of a school.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct AcademicYearRef {
    pub id: AcademicYearId,
    pub name: String,
    pub starts_on: String,
    pub ends_on: String,
}

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
}

/// Whose timetable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimetableOf {
    Class(ClassId),
    Teacher(PersonId),
    Student(PersonId),
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

/// Period, annual or final grades for students of a class in a subject.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct GradesInput {
    pub class_id: ClassId,
    pub subject_code: String,
    /// A period id, `year` or `final`.
    pub period: String,
    pub grades: Vec<GradeInput>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct GradeInput {
    pub student_id: PersonId,
    /// Empty removes the grade.
    pub value: Option<String>,
}

/// A period grade as stored.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
pub struct Grade {
    pub student_id: PersonId,
    pub subject_code: String,
    pub period_key: String,
    pub value: String,
}

/// A day of the diary.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DiaryDay {
    pub day: String,
    pub weekday: String,
    pub lessons: Vec<DiaryLesson>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DiaryLesson {
    pub lesson: Lesson,
    pub marks: Vec<DiaryMark>,
    pub attendance: Option<String>,
    pub homework_done: bool,
    /// Homework files from the teacher and the student's own answers.
    pub files: Vec<DiaryFile>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DiaryFile {
    pub id: String,
    pub file_name: String,
    pub size: i64,
    /// true for the student's own answer.
    pub answer: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DiaryMark {
    pub value: String,
    pub work_type: String,
    pub work_type_name: String,
    pub weight: i64,
    pub comment: Option<String>,
}

/// Электронный дневник: one student's week.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DiaryWeek {
    pub student_id: PersonId,
    pub student_name: String,
    pub class_name: Option<String>,
    pub monday: String,
    pub days: Vec<DiaryDay>,
}

/// The marks page of a diary: per subject, in a period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubjectMarks {
    pub subject_code: String,
    pub subject_name: String,
    pub marks: Vec<DiaryMark>,
    pub average: Option<f64>,
    pub grade: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StudentMarks {
    pub student_id: PersonId,
    pub student_name: String,
    pub period: Option<Period>,
    pub periods: Vec<Period>,
    pub subjects: Vec<SubjectMarks>,
}

/// Class teacher's report (отчёт классного руководителя) for a period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClassReport {
    pub class_id: ClassId,
    pub class_name: String,
    pub period: Period,
    pub subjects: Vec<SubjectName>,
    pub rows: Vec<ReportRow>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct SubjectName {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportRow {
    pub student_id: PersonId,
    pub name: String,
    /// Per subject, in the order of `subjects`: average and grade.
    pub cells: Vec<ReportCell>,
    pub absent: i64,
    pub ill: i64,
    pub excused: i64,
    pub late: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportCell {
    pub average: Option<f64>,
    pub grade: Option<String>,
}

/// Homework hand-in by a student.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct HomeworkAnswer {
    pub answer: Option<String>,
    /// false takes the "done" mark back.
    #[serde(default = "yes")]
    pub done: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Submission {
    pub student_id: PersonId,
    pub student_name: String,
    pub done_at: Option<i64>,
    pub answer: Option<String>,
}

/// Who handed in the homework of a lesson.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HomeworkStatus {
    pub lesson: Lesson,
    pub submissions: Vec<Submission>,
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

/// A suggested grade of a student in a subject (school-wide view).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SchoolGrade {
    pub class_id: ClassId,
    pub student_id: PersonId,
    pub subject_code: String,
    pub average: f64,
    pub suggested: i64,
}

/// A file of a lesson's homework (`student_id` empty) or a student's answer to it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Attachment {
    pub id: parta_core::ids::AttachmentId,
    pub lesson_id: LessonId,
    pub student_id: Option<PersonId>,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub created_at: i64,
}
