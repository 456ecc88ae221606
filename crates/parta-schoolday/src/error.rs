use parta_core::{ErrorCode, FieldError, Problem};

/// Errors of the school-day domain, mapped to HTTP once (below).
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// Two lessons in one place at one time; the message names both.
    #[error("conflict on {0}")]
    Conflict(String, String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Problem(#[from] Problem),
}

impl JournalError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, message)])
    }

    pub fn coded(code: &ErrorCode, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::coded(code, field, message)])
    }
}

/// Stable codes of the school day's field errors (`errors[].code` of a problem).
pub mod codes {
    parta_core::error_codes! {
        LESSON_NOT_IN_JOURNAL = "journal.lesson_not_in_journal": "Урок не найден в этом журнале";
        PERIOD_CLOSED = "journal.period_closed": "Период закрыт: изменения вносит администрация школы";
        STUDENT_NOT_IN_CLASS = "journal.student_not_in_class": "Ученик не числится в классе (группе) урока";
        LESSON_CANCELLED = "journal.lesson_cancelled": "Урок отменён: отметки и посещаемость не ставятся";
        LESSON_NOT_GIVEN = "journal.lesson_not_given": "Урок ещё не прошёл";
        MARK_TWICE = "journal.mark_twice": "Одна отметка указана дважды";
        MARK_NOT_FOUND = "journal.mark_not_found": "Отметка не найдена";
        MARK_MISSING = "journal.mark_missing": "Не указана отметка";
        MARK_NOT_ON_SCALE = "journal.mark_not_on_scale": "Отметки нет на шкале журнала";
        UNKNOWN_WORK_TYPE = "journal.unknown_work_type": "Неизвестный вид работы";
        TOO_MANY_MARKS = "journal.too_many_marks": "Больше отметок за урок, чем можно одному ученику";
        TOO_LONG = "journal.too_long": "Текст длиннее допустимого";
        ATTENDANCE_TWICE = "journal.attendance_twice": "Посещаемость ученика на уроке указана дважды";
        UNKNOWN_ATTENDANCE = "journal.unknown_attendance": "Неизвестная отметка посещаемости";
        HOMEWORK_DUE = "journal.homework_due": "Срок сдачи вне урока и учебного года";
        GRADES_OTHER_JOURNAL = "journal.grades_other_journal": "Итоговые отметки из другого журнала";
        TIMETABLE_CONFLICT = "timetable.conflict": "Конфликт расписания: класс, учитель или кабинет заняты";
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn codes_are_unique_and_named_by_concept() {
            let mut seen = std::collections::HashSet::new();
            for c in super::ALL {
                assert!(seen.insert(c.code), "{} twice", c.code);
                assert!(
                    c.code.starts_with("journal.") || c.code.starts_with("timetable."),
                    "{}",
                    c.code
                );
                assert!(!c.meaning.is_empty());
            }
        }
    }
}

impl From<serde_json::Error> for JournalError {
    fn from(e: serde_json::Error) -> Self {
        tracing::error!(error = %e, "event not written");
        Self::Problem(Problem::internal())
    }
}

impl From<parta_registry::RegistryError> for JournalError {
    fn from(e: parta_registry::RegistryError) -> Self {
        Self::Problem(e.into())
    }
}

impl From<JournalError> for Problem {
    fn from(e: JournalError) -> Self {
        match e {
            JournalError::NotFound => Problem::not_found(),
            JournalError::Forbidden => Problem::forbidden(),
            JournalError::Invalid(errors) => Problem::validation(errors),
            JournalError::Conflict(field, msg) => {
                let mut p = Problem::conflict(field, msg);
                for e in &mut p.errors {
                    e.code = Some(codes::TIMETABLE_CONFLICT.code);
                }
                p
            }
            JournalError::Db(e) => Problem::from_db(e),
            JournalError::Problem(p) => p,
        }
    }
}
