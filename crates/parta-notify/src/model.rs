use parta_core::ids::{NotificationId, PersonId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a notification is about; each kind can be switched off per person.
pub const KINDS: [(&str, &str, &str); 6] = [
    ("mark", "Новые отметки", "New marks"),
    ("homework", "Домашние задания", "Homework"),
    ("absence", "Пропуски и опоздания", "Absences and lateness"),
    ("substitution", "Замены уроков", "Substitutions"),
    (
        "cancellation",
        "Отмены и переносы уроков",
        "Cancelled and moved lessons",
    ),
    ("video", "Видеоуроки", "Video lessons"),
];

/// One thing to tell a student (and, through the relay, their parents), in words.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NotifyItem {
    pub student: PersonId,
    /// Short name of the student, shown to parents ("Иван").
    pub student_name: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    /// The link is the student's own (a video room): their parents get the words only.
    #[serde(default)]
    pub student_only_link: bool,
}

/// A stored notification.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Notification {
    pub id: NotificationId,
    pub person_id: PersonId,
    pub kind: String,
    /// The student it is about (for a parent with several children).
    pub about_person_id: Option<PersonId>,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    /// Milliseconds since the epoch.
    pub created_at: i64,
    pub read_at: Option<i64>,
}

/// The caller's notifications, newest first, with the unread count.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotificationList {
    pub unread: i64,
    pub items: Vec<Notification>,
    /// Pass as `before` for the next (older) page.
    pub next_cursor: Option<String>,
}

/// A preference: is this kind delivered to me?
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Preference {
    pub kind: String,
    pub enabled: bool,
}
