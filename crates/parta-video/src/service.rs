//! Use cases of the video lessons. Each asks the access policy with the lesson's facts:
//! who may write the lesson's journal leads its video lesson; its students enter it.

use crate::bbb::{Bbb, EngineError, NewMeeting};
use crate::jitsi::Jitsi;
use crate::model::*;
use crate::{reads, store};
use parta_core::config::VideoConfig;
use parta_core::ids::{LessonId, PersonId};
use parta_core::policy::{decide, Decision, JournalFacts, Operation, Target, VideoFacts};
use parta_core::principal::{Origin, Principal};
use parta_core::time::{now_ms, today};
use parta_core::{FieldError, Problem};
use parta_db::audit::{AuditEntry, AuditLog};
use parta_db::outbox::Outbox;
use parta_db::Db;
use parta_registry::Registry;
use parta_schoolday::journal::model::{AttendanceInput, JournalSave, LessonInput};
use parta_schoolday::Journal;
use std::collections::{HashMap, HashSet};

#[derive(Clone)]
pub struct Videos {
    db: Db,
    audit: AuditLog,
    registry: Registry,
    journal: Journal,
    outbox: Outbox,
    bbb: Option<Bbb>,
    jitsi: Option<Jitsi>,
    /// The platform's public address: where engines call back and send people back to.
    public_url: Option<String>,
}

/// Minutes after which BigBlueButton ends a forgotten meeting by itself: a double lesson
/// and a margin.
const MEETING_MINUTES: u32 = 120;

/// At least this long in the room (by the engine's report) counts as present.
const PRESENT_SECS: i64 = 5 * 60;

fn check(decision: Decision) -> Result<(), Problem> {
    match decision {
        Decision::Allow => Ok(()),
        Decision::Hidden => Err(Problem::not_found()),
        Decision::Forbidden => Err(Problem::forbidden()),
    }
}

fn engine_problem(e: EngineError) -> Problem {
    tracing::warn!(error = %e, "video engine");
    Problem::new(
        axum::http::StatusCode::BAD_GATEWAY,
        "video_engine",
        "Сервер видеосвязи недоступен",
    )
    .with_detail(
        "Попробуйте ещё раз через минуту; если не получится — сообщите администратору школы.",
    )
}

fn random_secret() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

impl Videos {
    pub fn new(
        db: Db,
        audit: AuditLog,
        registry: Registry,
        journal: Journal,
        outbox: Outbox,
        config: &VideoConfig,
        public_url: Option<String>,
    ) -> Result<Self, String> {
        Ok(Self {
            db,
            audit,
            registry,
            journal,
            outbox,
            bbb: config.bbb.as_ref().map(Bbb::new).transpose()?,
            jitsi: config.jitsi.as_ref().map(Jitsi::new).transpose()?,
            public_url: public_url.map(|u| u.trim_end_matches('/').to_string()),
        })
    }

    /// The engines configured, BigBlueButton first.
    pub fn engines(&self) -> Vec<Engine> {
        let mut out = Vec::new();
        if self.bbb.is_some() {
            out.push(Engine::Bbb);
        }
        if self.jitsi.is_some() {
            out.push(Engine::Jitsi);
        }
        out
    }

    /// The lesson and the policy's facts about it and the caller.
    async fn facts(
        &self,
        p: &Principal,
        lesson: LessonId,
    ) -> Result<(reads::Lesson, VideoFacts), Problem> {
        let l = reads::lesson(&self.db, lesson)
            .await?
            .ok_or_else(Problem::not_found)?;
        let class = self
            .registry
            .class_facts(l.info.class_id)
            .await?
            .ok_or_else(Problem::not_found)?;
        let student_of_lesson = reads::studies_in(&self.db, p.person_id, &l).await?;
        let facts = VideoFacts {
            journal: JournalFacts {
                class,
                subject: l.info.subject_code.clone(),
                lesson_teacher: Some(l.info.teacher_id),
            },
            student_of_lesson,
        };
        Ok((l, facts))
    }

    fn open_now(l: &reads::Lesson, row: &store::Row) -> bool {
        row.ended_at.is_none() && l.info.status != "cancelled" && l.info.day == today().to_string()
    }

    /// The lesson is over for the suggestion: ended by its teacher, or its day past.
    fn over(l: &reads::Lesson, row: Option<&store::Row>) -> bool {
        row.is_some_and(|r| r.ended_at.is_some() || l.info.day < today().to_string())
    }

    fn view(l: &reads::Lesson, row: &store::Row, moderator: bool) -> VideoLesson {
        VideoLesson {
            lesson: l.info.clone(),
            engine: Engine::parse(&row.engine).unwrap_or(Engine::Bbb),
            created_at: row.created_at,
            started: row.started_at.is_some(),
            ended_at: row.ended_at,
            recording_url: row.recording_url.clone(),
            moderator,
            open_now: Self::open_now(l, row),
        }
    }

    fn entry(
        p: &Principal,
        origin: &Origin,
        action: &'static str,
        l: &reads::Lesson,
    ) -> AuditEntry {
        let mut e = AuditEntry::by(p, origin.ip.clone(), action, "video_lesson");
        e.organisation_id = Some(l.organisation_id);
        e.object_id = Some(l.info.lesson_id.to_string());
        e
    }

    /// A lesson's video page: the video lesson if there is one; for those who lead it,
    /// who of the students was there (a read of their attendance, audited).
    pub async fn page(
        &self,
        p: &Principal,
        origin: &Origin,
        lesson: LessonId,
    ) -> Result<VideoPage, Problem> {
        let (l, facts) = self.facts(p, lesson).await?;
        let lead = decide(p, Operation::LeadVideoLesson, Target::Video(&facts));
        if lead == Decision::Hidden {
            return Err(Problem::not_found());
        }
        let may_lead = lead == Decision::Allow;
        let row = store::get(&self.db, lesson).await?;
        let attendance = match (&row, may_lead) {
            (Some(_), true) => {
                self.audit
                    .record(Self::entry(p, origin, "read", &l))
                    .await?;
                self.attendees(&l).await?
            }
            _ => Vec::new(),
        };
        Ok(VideoPage {
            video: row.as_ref().map(|r| Self::view(&l, r, may_lead)),
            suggestion_ready: Self::over(&l, row.as_ref()),
            lesson: l.info,
            may_lead,
            engines: self.engines(),
            attendance,
        })
    }

    /// The lesson's students with what the platform knows of their presence, and — once
    /// the video lesson is over — the suggestion: absent when never entered, or, with the
    /// engine's report, when it saw them less than [`PRESENT_SECS`].
    async fn attendees(&self, l: &reads::Lesson) -> Result<Vec<Attendee>, Problem> {
        let students =
            parta_schoolday::registry_reads::class_students(&self.db, l.info.class_id, l.group_id)
                .await?;
        let seen: HashMap<PersonId, (Option<i64>, Option<i64>)> =
            store::attendance(&self.db, l.info.lesson_id)
                .await?
                .into_iter()
                .map(|(p, j, s)| (p, (j, s)))
                .collect();
        let row = store::get(&self.db, l.info.lesson_id).await?;
        let reported = row.as_ref().is_some_and(|r| r.attendance_at.is_some());
        // Nothing is suggested while the lesson goes on (only who is in): until its teacher
        // ends it, or its day is past (the engine reports rooms closing mid-lesson too).
        let over = Self::over(l, row.as_ref());
        let journal: HashMap<PersonId, String> =
            reads::journal_attendance(&self.db, l.info.lesson_id)
                .await?
                .into_iter()
                .collect();
        Ok(students
            .into_iter()
            .map(|s| {
                let (joined_at, engine_seconds) = seen.get(&s.id).copied().unwrap_or_default();
                let present = if reported {
                    engine_seconds.unwrap_or(0) >= PRESENT_SECS
                } else {
                    joined_at.is_some()
                };
                let journal_status = journal.get(&s.id).cloned();
                Attendee {
                    student_id: s.id,
                    name: s.name,
                    joined_at,
                    engine_seconds,
                    suggest_absent: over && !present && journal_status.is_none(),
                    journal_status,
                }
            })
            .collect())
    }

    /// Schedules a video lesson for a coming (or today's) lesson of the timetable.
    pub async fn schedule(
        &self,
        p: &Principal,
        origin: &Origin,
        lesson: LessonId,
        req: &NewVideoLesson,
    ) -> Result<VideoLesson, Problem> {
        let (l, facts) = self.facts(p, lesson).await?;
        check(decide(p, Operation::LeadVideoLesson, Target::Video(&facts)))?;
        let engines = self.engines();
        let engine = match req.engine {
            Some(e) if engines.contains(&e) => e,
            Some(_) => {
                return Err(Problem::invalid(
                    "engine",
                    "Этот сервер видеосвязи не подключён к платформе.",
                ))
            }
            None => *engines.first().ok_or_else(|| {
                Problem::invalid(
                    "engine",
                    "Видеоуроки не подключены: администратор платформы не указал сервер видеосвязи.",
                )
            })?,
        };
        if l.info.status == "cancelled" {
            return Err(Problem::invalid("lesson_id", "Урок отменён."));
        }
        if l.info.day < today().to_string() {
            return Err(Problem::invalid(
                "lesson_id",
                "Урок уже прошёл: видеоурок назначают на сегодняшний или будущий урок.",
            ));
        }
        let row = store::Row {
            lesson_id: lesson,
            organisation_id: l.organisation_id,
            engine: engine.code().to_string(),
            meeting_id: format!("parta-{}", random_secret()),
            moderator_pw: random_secret(),
            attendee_pw: random_secret(),
            created_by: p.person_id,
            created_at: now_ms(),
            started_at: None,
            ended_at: None,
            recording_url: None,
            attendance_at: None,
        };
        let fact = crate::events::VideoScheduled {
            lesson_id: lesson,
            day: l.info.day.clone(),
            lesson_no: l.info.lesson_no,
            subject_name: l.info.subject_name.clone(),
            students: reads::lesson_students(&self.db, &l).await?,
        };
        let payload = serde_json::to_value(&fact).map_err(|_| Problem::internal())?;
        let mut tx = self.db.begin_write().await?;
        if !store::insert(&mut tx, &row).await? {
            return Err(Problem::conflict(
                "lesson_id",
                "Для этого урока видеоурок уже назначен.",
            ));
        }
        AuditLog::record_in(&mut tx, Self::entry(p, origin, "create", &l)).await?;
        Outbox::push_in(&mut tx, crate::events::VIDEO_SCHEDULED, &payload).await?;
        tx.commit().await?;
        self.outbox.wake();
        Ok(Self::view(&l, &row, true))
    }

    /// The caller's own address into the room, on the lesson's day until it ends. Who
    /// leads it opens it (the engine's room is made then; BigBlueButton's `create` is
    /// idempotent, and made again if the engine closed it empty); students enter after.
    pub async fn join(
        &self,
        p: &Principal,
        origin: &Origin,
        lesson: LessonId,
    ) -> Result<JoinLink, Problem> {
        let (l, facts) = self.facts(p, lesson).await?;
        check(decide(p, Operation::JoinVideoLesson, Target::Video(&facts)))?;
        let moderator =
            decide(p, Operation::LeadVideoLesson, Target::Video(&facts)) == Decision::Allow;
        let row = store::get(&self.db, lesson)
            .await?
            .ok_or_else(Problem::not_found)?;
        if row.ended_at.is_some() {
            return Err(Problem::conflict("lesson_id", "Видеоурок уже завершён."));
        }
        if !Self::open_now(&l, &row) {
            return Err(Problem::conflict(
                "lesson_id",
                format!(
                    "Войти можно в день урока — {}.",
                    parta_schoolday::service::ru_date(&l.info.day)
                ),
            ));
        }
        if !moderator && row.started_at.is_none() {
            return Err(Problem::conflict(
                "lesson_id",
                "Учитель ещё не начал видеоурок. Войти можно, когда он начнёт, — попробуйте через минуту.",
            ));
        }
        let name = reads::display_name(&self.db, p.person_id).await?;
        let user_id = p.person_id.to_string();
        let url = match Engine::parse(&row.engine) {
            Some(Engine::Bbb) => {
                let bbb = self.bbb.as_ref().ok_or_else(not_configured)?;
                let title = format!(
                    "{} · {} · {}-й урок",
                    l.info.class_name, l.info.subject_name, l.info.lesson_no
                );
                let back = self
                    .public_url
                    .as_ref()
                    .map(|u| format!("{u}/lessons/{lesson}/video"));
                let analytics = self
                    .public_url
                    .as_ref()
                    .map(|u| format!("{u}/api/v1/video/bbb/analytics"));
                let ready = self
                    .public_url
                    .as_ref()
                    .map(|u| format!("{u}/api/v1/video/bbb/recording-ready"));
                bbb.create(&NewMeeting {
                    meeting_id: &row.meeting_id,
                    name: &title,
                    moderator_pw: &row.moderator_pw,
                    attendee_pw: &row.attendee_pw,
                    logout_url: back,
                    analytics_url: analytics,
                    recording_ready_url: ready,
                    duration_min: MEETING_MINUTES,
                })
                .await
                .map_err(engine_problem)?;
                let pw = if moderator {
                    &row.moderator_pw
                } else {
                    &row.attendee_pw
                };
                bbb.join_url(&row.meeting_id, &name, &user_id, moderator, pw)
            }
            Some(Engine::Jitsi) => {
                let jitsi = self.jitsi.as_ref().ok_or_else(not_configured)?;
                jitsi
                    // The engine checks the token by the real clock, not the platform's
                    // (which a drill may set to another day).
                    .join_url(
                        &row.meeting_id,
                        &user_id,
                        &name,
                        moderator,
                        chrono::Utc::now().timestamp(),
                    )
                    .map_err(|e| {
                        tracing::error!(error = %e, "jitsi token");
                        Problem::internal()
                    })?
            }
            None => return Err(not_configured()),
        };
        if moderator {
            store::set_started(&self.db, lesson, now_ms()).await?;
        }
        store::joined(&self.db, lesson, p.person_id, now_ms()).await?;
        self.audit
            .record(Self::entry(p, origin, "join", &l))
            .await?;
        Ok(JoinLink { url })
    }

    /// The lesson and its video lesson, for who leads it.
    async fn led(
        &self,
        p: &Principal,
        lesson: LessonId,
    ) -> Result<(reads::Lesson, store::Row), Problem> {
        let (l, facts) = self.facts(p, lesson).await?;
        check(decide(p, Operation::LeadVideoLesson, Target::Video(&facts)))?;
        let row = store::get(&self.db, lesson)
            .await?
            .ok_or_else(Problem::not_found)?;
        Ok((l, row))
    }

    /// Ends the video lesson for everyone (BigBlueButton: through its API) and looks for
    /// its recording.
    pub async fn end(
        &self,
        p: &Principal,
        origin: &Origin,
        lesson: LessonId,
    ) -> Result<VideoLesson, Problem> {
        let (l, row) = self.led(p, lesson).await?;
        if row.ended_at.is_none() {
            if let (Some(Engine::Bbb), Some(bbb)) = (Engine::parse(&row.engine), &self.bbb) {
                bbb.end(&row.meeting_id, &row.moderator_pw)
                    .await
                    .map_err(engine_problem)?;
            }
            store::set_ended(&self.db, lesson, now_ms()).await?;
            self.audit.record(Self::entry(p, origin, "end", &l)).await?;
        }
        self.find_recording(&row).await;
        let row = store::get(&self.db, lesson)
            .await?
            .ok_or_else(Problem::not_found)?;
        Ok(Self::view(&l, &row, true))
    }

    /// Asks the engine for the lesson's recording (who leads it; the recording-ready
    /// callback does the same by itself).
    pub async fn refresh_recording(
        &self,
        p: &Principal,
        lesson: LessonId,
    ) -> Result<VideoLesson, Problem> {
        let (l, row) = self.led(p, lesson).await?;
        if let Some(url) = self.recording_of(&row).await.map_err(engine_problem)? {
            store::set_recording(&self.db, lesson, &url).await?;
        }
        let row = store::get(&self.db, lesson)
            .await?
            .ok_or_else(Problem::not_found)?;
        Ok(Self::view(&l, &row, true))
    }

    /// The recording, if the engine has one already; a failure is only logged (the
    /// recording-ready callback or the teacher's button try again).
    async fn find_recording(&self, row: &store::Row) {
        match self.recording_of(row).await {
            Ok(Some(url)) => {
                if let Err(e) = store::set_recording(&self.db, row.lesson_id, &url).await {
                    tracing::warn!(error = %e, "recording not saved");
                }
            }
            Ok(None) => {}
            Err(e) => tracing::info!(error = %e, "recordings not read"),
        }
    }

    /// The first published recording's address the engine has (BigBlueButton only).
    async fn recording_of(&self, row: &store::Row) -> Result<Option<String>, EngineError> {
        match (Engine::parse(&row.engine), &self.bbb) {
            (Some(Engine::Bbb), Some(bbb)) => {
                Ok(bbb.recordings(&row.meeting_id).await?.into_iter().next())
            }
            _ => Ok(None),
        }
    }

    /// Writes the teacher's choice from the suggestion into the journal: these students
    /// absent, the attendance taken. Through the journal's own save (its policy, its
    /// closed periods, its audit and notifications).
    pub async fn apply_attendance(
        &self,
        p: &Principal,
        origin: &Origin,
        lesson: LessonId,
        req: &ApplyAttendance,
    ) -> Result<usize, Problem> {
        let (l, _) = self.led(p, lesson).await?;
        let students: HashSet<PersonId> =
            parta_schoolday::registry_reads::class_students(&self.db, l.info.class_id, l.group_id)
                .await?
                .into_iter()
                .map(|s| s.id)
                .collect();
        FieldError::check_len("absent", &req.absent, students.len().max(1))
            .map_err(|e| Problem::validation(vec![e]))?;
        let errors: Vec<FieldError> = req
            .absent
            .iter()
            .enumerate()
            .filter(|(_, s)| !students.contains(s))
            .map(|(i, _)| {
                FieldError::new(
                    format!("absent[{i}]"),
                    "Этот ученик не учится на этом уроке.",
                )
            })
            .collect();
        if !errors.is_empty() {
            return Err(Problem::validation(errors));
        }
        let journal_has: HashSet<PersonId> = reads::journal_attendance(&self.db, lesson)
            .await?
            .into_iter()
            .map(|(s, _)| s)
            .collect();
        // The journal's own marks (an excused absence, lateness) stay as they are.
        let attendance: Vec<AttendanceInput> = req
            .absent
            .iter()
            .collect::<HashSet<_>>()
            .into_iter()
            .filter(|s| !journal_has.contains(s))
            .map(|s| AttendanceInput {
                lesson_id: lesson,
                student_id: *s,
                status: Some("absent".into()),
                reason: Some("Не был(а) на видеоуроке".into()),
            })
            .collect();
        let written = attendance.len();
        let save = JournalSave {
            marks: Vec::new(),
            attendance,
            lessons: vec![LessonInput {
                lesson_id: lesson,
                topic: None,
                homework: None,
                homework_due: None,
                attendance_taken: Some(true),
                handin: None,
                work_type: None,
            }],
        };
        self.journal
            .save(p, origin, l.info.class_id, &l.info.subject_code, save, None)
            .await?;
        Ok(written)
    }

    /// The video lessons the caller sees from a week back: a student's (class, group),
    /// a teacher's own, a school's for its administration.
    pub async fn list(&self, p: &Principal) -> Result<Vec<VideoListItem>, Problem> {
        let from = (today() - chrono::Duration::days(7)).to_string();
        let admin_of: Vec<_> = if p.role() == parta_core::principal::Role::SchoolAdmin {
            p.scope.organisations.clone()
        } else {
            Vec::new()
        };
        let rows = store::listed(&self.db, p.person_id, &admin_of, &from).await?;
        let ids: Vec<LessonId> = rows.iter().map(|r| r.lesson_id).collect();
        let lessons: HashMap<LessonId, reads::Lesson> = reads::lessons(&self.db, &ids)
            .await?
            .into_iter()
            .map(|l| (l.info.lesson_id, l))
            .collect();
        let mut out = Vec::new();
        for row in rows {
            let Some(l) = lessons.get(&row.lesson_id) else {
                continue;
            };
            out.push(VideoListItem {
                lesson: l.info.clone(),
                engine: Engine::parse(&row.engine).unwrap_or(Engine::Bbb),
                ended: row.ended_at.is_some(),
                recording_url: row.recording_url.clone(),
                open_now: Self::open_now(l, &row),
            });
        }
        Ok(out)
    }

    /// BigBlueButton's analytics callback: who attended and how long. Believed only with
    /// the server's signature; people are named by the `userID` the platform gave them.
    pub async fn bbb_analytics(&self, bearer: Option<&str>, body: &[u8]) -> Result<(), Problem> {
        let bbb = self.bbb.as_ref().ok_or_else(Problem::not_found)?;
        if !bearer.is_some_and(|b| bbb.verify_analytics(b)) {
            return Err(Problem::unauthorized());
        }
        let data: crate::bbb::Analytics = serde_json::from_slice(body)
            .map_err(|_| Problem::invalid("data", "Неверный формат данных посещаемости."))?;
        FieldError::check_len("data.attendees", &data.data.attendees, 1_000)
            .map_err(|e| Problem::validation(vec![e]))?;
        let row = store::by_meeting(&self.db, &data.meeting_id)
            .await?
            .ok_or_else(Problem::not_found)?;
        let mut seconds: HashMap<PersonId, i64> = HashMap::new();
        for a in &data.data.attendees {
            if let Some(id) = a
                .ext_user_id
                .as_deref()
                .and_then(|s| s.parse::<PersonId>().ok())
            {
                let secs = a.duration.clamp(0.0, 86_400.0) as i64;
                *seconds.entry(id).or_default() += secs;
            }
        }
        let known =
            reads::existing_persons(&self.db, &seconds.keys().copied().collect::<Vec<_>>()).await?;
        let seconds: Vec<(PersonId, i64)> = seconds
            .into_iter()
            .filter(|(id, _)| known.contains(id))
            .collect();
        let mut tx = self.db.begin_write().await?;
        // Per room: a report sent again replaces its own figures; rooms made anew add up.
        let room = match data.internal_meeting_id.as_str() {
            "" => data.meeting_id.as_str(),
            id => id,
        };
        store::engine_report(&mut tx, row.lesson_id, room, &seconds, now_ms()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// BigBlueButton's recording-ready callback: the recording's address is read from
    /// the server (the callback only names the meeting, signed).
    pub async fn bbb_recording_ready(&self, signed: &str) -> Result<(), Problem> {
        let bbb = self.bbb.as_ref().ok_or_else(Problem::not_found)?;
        let meeting = bbb
            .verify_recording_ready(signed)
            .ok_or_else(Problem::unauthorized)?;
        let row = store::by_meeting(&self.db, &meeting)
            .await?
            .ok_or_else(Problem::not_found)?;
        self.find_recording(&row).await;
        Ok(())
    }
}

fn not_configured() -> Problem {
    Problem::conflict(
        "engine",
        "Сервер видеосвязи этого урока больше не подключён к платформе.",
    )
}
