-- The school day's start pages and the hand-in loop.

-- When the teacher took the lesson's attendance (absences are stored, presence is not:
-- without this a lesson where everyone came looks the same as one never marked).
ALTER TABLE lessons ADD COLUMN attendance_taken_at BIGINT;
-- Форма контроля of the lesson's column in the journal: new marks take it.
ALTER TABLE lessons ADD COLUMN work_type TEXT REFERENCES ref_work_types(code);
-- The teacher asks for the homework to be handed in (an answer or a file).
ALTER TABLE lessons ADD COLUMN handin BIGINT NOT NULL DEFAULT 0;
CREATE INDEX lessons_org_teacher_day ON lessons(organisation_id, teacher_id, day);

-- A hand-in: handed in → accepted (with a mark) or returned for rework.
ALTER TABLE homework_submissions ADD COLUMN status TEXT NOT NULL DEFAULT 'submitted';
ALTER TABLE homework_submissions ADD COLUMN teacher_comment TEXT;
ALTER TABLE homework_submissions ADD COLUMN reviewed_at BIGINT;
ALTER TABLE homework_submissions ADD COLUMN reviewed_by TEXT REFERENCES persons(id);

-- When someone last looked at a student's day (a parent per child, a student for self):
-- "new marks since the last visit".
-- A visit lasts while pages are opened less than half an hour apart: marks stay "new"
-- through it (`since`), and the next visit counts from its last page (`seen_at`).
CREATE TABLE diary_visits (
    viewer_id TEXT NOT NULL REFERENCES persons(id),
    student_id TEXT NOT NULL REFERENCES persons(id),
    seen_at BIGINT NOT NULL,
    since BIGINT NOT NULL,
    PRIMARY KEY (viewer_id, student_id)
);
CREATE INDEX marks_student_updated ON marks(student_id, updated_at);
