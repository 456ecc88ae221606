use parta_core::ids::{NotificationId, PersonId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a notification is about; each kind can be switched off per person.
pub const KINDS: [(&str, &str, &str); 7] = [
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
    (
        "announcement",
        "Важные объявления в чатах",
        "Important announcements in chats",
    ),
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
    /// For this person only (`student` names them, whoever they are): no copies to
    /// parents — a chat's announcement to its members.
    #[serde(default)]
    pub direct: bool,
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

/// A preference: is this kind delivered to me, and by which channels beyond the list?
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Preference {
    pub kind: String,
    /// In the platform (the list, the counter): off means not at all.
    pub enabled: bool,
    /// Also by e-mail (to the confirmed address); absent in a change: kept as it is.
    #[serde(default)]
    pub email: Option<bool>,
    /// Also through the messenger's bot; absent in a change: kept as it is.
    #[serde(default)]
    pub messenger: Option<bool>,
    /// Also as a push to the browsers one switched it on in (on unless switched off for
    /// the kind); absent in a change: kept as it is.
    #[serde(default)]
    pub push: Option<bool>,
}

/// How notifications reach a person beyond the list: quiet hours, the daily digest, and
/// what the platform has.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliverySettings {
    /// Тихие часы, `HH:MM` in the platform's time: no e-mail or messenger then (both
    /// absent: none).
    pub quiet_from: Option<String>,
    pub quiet_to: Option<String>,
    /// E-mail once a day (at `digest_at`) instead of one by one.
    pub digest: bool,
    pub digest_at: String,
    /// A student's nights (21:00–08:00) are quiet whatever is set.
    pub student_night: bool,
    /// Where e-mail goes (masked), when the person has a confirmed address.
    pub email: Option<String>,
    /// The channels this platform has beyond the list: `email`, `messenger`, `push`.
    pub channels: Vec<String>,
    /// The messenger's name, when there is one.
    pub messenger_name: Option<String>,
}

/// A change of the delivery settings.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SettingsChange {
    /// `HH:MM`, both or neither (none: no quiet hours of one's own).
    pub quiet_from: Option<String>,
    pub quiet_to: Option<String>,
    #[serde(default)]
    pub digest: bool,
}

/// Web Push on this platform and the caller's browsers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PushStatus {
    /// Whether the platform sends pushes at all.
    pub enabled: bool,
    /// The platform's public key (base64url): the browser's `applicationServerKey`.
    pub public_key: Option<String>,
    pub devices: Vec<PushDevice>,
}

/// One of the caller's browsers (its address at the push service is never shown).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PushDevice {
    pub id: parta_core::ids::PushSubscriptionId,
    /// The first 16 hex digits of the SHA-256 of its address: a browser's page tells
    /// whether the platform still knows it without the address being shown.
    pub tag: String,
    /// «Chrome, Android».
    pub device: String,
    /// Milliseconds since the epoch.
    pub created_at: i64,
    pub last_sent_at: Option<i64>,
}

/// Which browser to switch off: by its address (the browser itself knows it).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PushUnsubscribe {
    pub endpoint: String,
}
