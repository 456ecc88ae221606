//! Types of calendar: Учебный календарь: settings, study periods, holidays and moved days, bells. (no I/O)

use chrono::NaiveDate;
use parta_core::ids::{AcademicYearId, CalendarDayId, OrganisationId, PeriodId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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

/// A day added to the calendar, and the lessons it could not take off because they
/// already hold content (a topic, homework, marks, attendance): the administration moves
/// or cancels them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AddedDay {
    #[serde(flatten)]
    pub day: CalendarDay,
    pub kept: Vec<crate::timetable::model::Lesson>,
}
