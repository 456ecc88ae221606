-- Видеоуроки (issue 12, COM-1, EDU-1): a timetable lesson held in a video engine
-- (BigBlueButton or Jitsi Meet, configured, not embedded). One room per lesson; its
-- class and subject are the lesson's (read from `lessons` at each request, not copied).
-- The engine's meeting id is random: knowing a lesson's id gives no way into its room.
CREATE TABLE video_lessons (
    lesson_id TEXT PRIMARY KEY REFERENCES lessons(id),
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    engine TEXT NOT NULL,
    meeting_id TEXT NOT NULL UNIQUE,
    -- BigBlueButton's passwords of the meeting (its API still takes them).
    moderator_pw TEXT NOT NULL,
    attendee_pw TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES persons(id),
    created_at BIGINT NOT NULL,
    -- Who leads it entered (the room exists from then; students enter after that).
    started_at BIGINT,
    -- Its teacher ended it (not the engine closing an empty room).
    ended_at BIGINT,
    recording_url TEXT,
    -- The engine's attendance arrived (BigBlueButton's analytics callback).
    attendance_at BIGINT
);
CREATE INDEX video_lessons_org ON video_lessons(organisation_id, created_at);

-- Who was in a video lesson: who entered through the platform, and how long the engine
-- saw them — per room the engine made (it makes the room anew when an empty one closed;
-- a report sent again replaces its own row). A suggestion for the teacher's attendance,
-- never written into the journal by itself.
CREATE TABLE video_attendance (
    lesson_id TEXT NOT NULL REFERENCES video_lessons(lesson_id),
    person_id TEXT NOT NULL REFERENCES persons(id),
    joined_at BIGINT,
    PRIMARY KEY (lesson_id, person_id)
);
CREATE TABLE video_engine_seconds (
    lesson_id TEXT NOT NULL REFERENCES video_lessons(lesson_id),
    person_id TEXT NOT NULL REFERENCES persons(id),
    room TEXT NOT NULL,
    seconds BIGINT NOT NULL,
    PRIMARY KEY (lesson_id, person_id, room)
);
