//! SQL of the school day, one file per concept; this module gathers them.

pub use crate::calendar::store::*;
pub use crate::diary::store::*;
pub use crate::gradebook::store::*;
pub use crate::homework::store::*;
pub use crate::journal::store::*;
pub use crate::registry_reads::*;
pub use crate::report::store::*;
pub use crate::timetable::store::*;

/// The row layouts shared by the concepts' SQL.
#[cfg(test)]
mod tests {
    use crate::model::*;
    use crate::store::*;
    use parta_core::ids::{ClassId, GroupId, LessonId, MarkId, PersonId};
    use serde_json::{json, Value};

    /// Rows of `json_rows_sql` are read by position: `columns` must follow the fields.
    fn as_array(object: &Value, columns: &[&str]) -> Value {
        Value::Array(columns.iter().map(|c| object[*c].clone()).collect())
    }

    #[test]
    fn lesson_columns_follow_the_fields() {
        let lesson = Lesson {
            id: LessonId::new(),
            class_id: ClassId::new(),
            class_name: "class_name".into(),
            group_id: Some(GroupId::new()),
            group_name: Some("group_name".into()),
            day: "day".into(),
            lesson_no: 3,
            starts_at: Some("starts_at".into()),
            ends_at: Some("ends_at".into()),
            subject_code: "subject_code".into(),
            subject_name: "subject_name".into(),
            teacher_id: PersonId::new(),
            teacher_name: "teacher_name".into(),
            planned_teacher_id: Some(PersonId::new()),
            room: Some("room".into()),
            status: "status".into(),
            change_kind: Some("change_kind".into()),
            change_note: Some("change_note".into()),
            topic: Some("topic".into()),
            homework: Some("homework".into()),
            homework_due: Some("homework_due".into()),
            attendance_taken_at: Some(11),
            handin: 1,
            work_type: Some("work_type".into()),
        };
        let object = serde_json::to_value(&lesson).unwrap();
        assert_eq!(object.as_object().unwrap().len(), LESSON_COLUMNS.len());
        let back: Lesson = serde_json::from_value(as_array(&object, &LESSON_COLUMNS)).unwrap();
        assert_eq!(serde_json::to_value(&back).unwrap(), object);
    }

    #[test]
    fn cell_columns_follow_the_fields() {
        let object = json!({"kind": "kind", "id": MarkId::new(), "lesson_id": LessonId::new(),
            "student_id": PersonId::new(), "day": "day", "value": "value", "work_type": "work_type",
            "weight": 2, "comment": "comment", "updated_at": 7});
        let cell: JournalCell = serde_json::from_value(as_array(&object, &CELL_COLUMNS)).unwrap();
        let seen = json!({"kind": cell.kind, "id": cell.id, "lesson_id": cell.lesson_id,
            "student_id": cell.student_id, "day": cell.day, "value": cell.value,
            "work_type": cell.work_type, "weight": cell.weight, "comment": cell.comment,
            "updated_at": cell.updated_at});
        assert_eq!(seen, object);
    }
}
