-- Вложения домашних заданий: the teacher's files for a lesson's homework (student_id
-- null) and a student's files answering it. Content lives in the file store by SHA-256.
CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    lesson_id TEXT NOT NULL REFERENCES lessons(id),
    student_id TEXT REFERENCES persons(id),
    uploaded_by TEXT NOT NULL REFERENCES persons(id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX attachments_lesson ON attachments(lesson_id, student_id);
