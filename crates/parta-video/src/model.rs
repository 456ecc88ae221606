use parta_core::ids::{ClassId, LessonId, PersonId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A video engine the platform can hold lessons in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// BigBlueButton: rooms made through its API, recordings, attendance afterwards.
    Bbb,
    /// Jitsi Meet with token authentication.
    Jitsi,
}

impl Engine {
    pub fn code(self) -> &'static str {
        match self {
            Engine::Bbb => "bbb",
            Engine::Jitsi => "jitsi",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "bbb" => Some(Engine::Bbb),
            "jitsi" => Some(Engine::Jitsi),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Engine::Bbb => "BigBlueButton",
            Engine::Jitsi => "Jitsi Meet",
        }
    }
}

/// A timetable lesson as the video lessons see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LessonInfo {
    pub lesson_id: LessonId,
    pub class_id: ClassId,
    pub class_name: String,
    pub subject_code: String,
    pub subject_name: String,
    pub day: String,
    pub lesson_no: i64,
    pub teacher_id: PersonId,
    /// planned | cancelled
    pub status: String,
}

/// Видеоурок: a lesson held in a video engine.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VideoLesson {
    pub lesson: LessonInfo,
    pub engine: Engine,
    /// Milliseconds since the epoch.
    pub created_at: i64,
    /// Who leads it has entered: students may enter now.
    pub started: bool,
    pub ended_at: Option<i64>,
    /// The recording's playback address, once the engine published one.
    pub recording_url: Option<String>,
    /// The caller leads it (the lesson's teacher, the school's administration).
    pub moderator: bool,
    /// The caller may enter now: the lesson's day, not ended.
    pub open_now: bool,
}

/// A lesson's video page: the lesson, its video lesson if there is one, and what the
/// caller may do.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VideoPage {
    pub lesson: LessonInfo,
    pub video: Option<VideoLesson>,
    /// The caller may schedule, end and apply attendance (who may write the journal).
    pub may_lead: bool,
    /// Engines configured on this platform.
    pub engines: Vec<Engine>,
    /// For those who lead it: who of the lesson's students was there.
    pub attendance: Vec<Attendee>,
    /// The suggestion for the journal is ready: its teacher ended the lesson, or its day
    /// is past.
    pub suggestion_ready: bool,
}

/// A student of the lesson and what the platform knows of their presence.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Attendee {
    pub student_id: PersonId,
    pub name: String,
    /// Entered the room through the platform (ms).
    pub joined_at: Option<i64>,
    /// Seconds the engine saw them (BigBlueButton's attendance; its rooms added up), when
    /// it reported.
    pub engine_seconds: Option<i64>,
    /// The journal already holds an absence or lateness for the lesson.
    pub journal_status: Option<String>,
    /// The suggestion, once the video lesson is over: mark absent (never entered — or,
    /// with the engine's report, seen by it for less than five minutes).
    pub suggest_absent: bool,
}

/// A video lesson to schedule.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewVideoLesson {
    /// bbb | jitsi; the first configured when absent.
    pub engine: Option<Engine>,
}

/// Where to go to enter.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JoinLink {
    /// The person's own signed address into the room: follow it at once, do not keep it.
    pub url: String,
}

/// Students to mark absent from the video lesson's attendance (the teacher's choice).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ApplyAttendance {
    pub absent: Vec<PersonId>,
}

/// A video lesson in a list (the caller's coming and recent ones).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VideoListItem {
    pub lesson: LessonInfo,
    pub engine: Engine,
    pub ended: bool,
    pub recording_url: Option<String>,
    pub open_now: bool,
}
