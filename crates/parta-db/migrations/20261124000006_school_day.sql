-- Школьный день (REG-3, REG-4, REG-5, COM-4): calendar, timetable, lessons, journal,
-- homework, outbox events and notifications. Portable DDL (docs/adr/0002).

-- Виды работ with their default weight; the weight is copied onto each mark.
CREATE TABLE ref_work_types (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    weight BIGINT NOT NULL,
    source TEXT NOT NULL DEFAULT 'federal',
    version BIGINT NOT NULL DEFAULT 0
);

-- Settings of a school's calendar and grading.
CREATE TABLE school_settings (
    organisation_id TEXT PRIMARY KEY REFERENCES organisations(id),
    week_days BIGINT NOT NULL DEFAULT 5,
    -- Rounding of the weighted average, in hundredths: 60 means 3.60 → 4, 3.59 → 3.
    rounding_threshold BIGINT NOT NULL DEFAULT 60,
    updated_at BIGINT NOT NULL
);

-- Учебные периоды: quarters, trimesters or semesters, possibly different per grade range.
CREATE TABLE study_periods (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    academic_year_id TEXT NOT NULL REFERENCES academic_years(id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    grade_from BIGINT NOT NULL,
    grade_to BIGINT NOT NULL,
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    closed_at BIGINT,
    closed_by TEXT REFERENCES persons(id)
);
CREATE INDEX study_periods_year ON study_periods(academic_year_id, starts_on);

-- Праздники, каникулы и перенесённые рабочие дни. A 'working' day follows the timetable
-- of `follows_weekday` (1 = Monday).
CREATE TABLE calendar_days (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    kind TEXT NOT NULL,
    follows_weekday BIGINT,
    name TEXT NOT NULL
);
CREATE INDEX calendar_days_org ON calendar_days(organisation_id, starts_on);

-- Расписание звонков, per shift.
CREATE TABLE bell_times (
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    shift BIGINT NOT NULL,
    lesson_no BIGINT NOT NULL,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    PRIMARY KEY (organisation_id, shift, lesson_no)
);

ALTER TABLE classes ADD COLUMN shift BIGINT NOT NULL DEFAULT 1;
ALTER TABLE teaching_assignments ADD COLUMN mark_scale TEXT NOT NULL DEFAULT 'five_point';

-- Шаблон расписания: weekly slots of a class (or a group within it), each version valid
-- from a date until the next version starts.
CREATE TABLE timetable_slots (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    class_id TEXT NOT NULL REFERENCES classes(id),
    group_id TEXT REFERENCES study_groups(id),
    weekday BIGINT NOT NULL,
    lesson_no BIGINT NOT NULL,
    subject_code TEXT NOT NULL REFERENCES ref_subjects(code),
    teacher_id TEXT NOT NULL REFERENCES persons(id),
    room TEXT,
    valid_from TEXT NOT NULL,
    valid_to TEXT
);
CREATE INDEX timetable_slots_class ON timetable_slots(class_id, valid_from);
CREATE INDEX timetable_slots_org ON timetable_slots(organisation_id, weekday, lesson_no);

-- Уроки: one row per lesson of a date, derived from the template and then changed per
-- date (substitution, cancellation, move, extra lesson).
CREATE TABLE lessons (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    class_id TEXT NOT NULL REFERENCES classes(id),
    group_id TEXT REFERENCES study_groups(id),
    slot_id TEXT,
    day TEXT NOT NULL,
    lesson_no BIGINT NOT NULL,
    subject_code TEXT NOT NULL REFERENCES ref_subjects(code),
    teacher_id TEXT NOT NULL REFERENCES persons(id),
    planned_teacher_id TEXT REFERENCES persons(id),
    room TEXT,
    status TEXT NOT NULL,
    change_kind TEXT,
    change_note TEXT,
    topic TEXT,
    homework TEXT,
    homework_due TEXT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX lessons_class_day ON lessons(class_id, day);
CREATE INDEX lessons_class_subject ON lessons(class_id, subject_code, day);
CREATE INDEX lessons_teacher_day ON lessons(teacher_id, day);
CREATE INDEX lessons_org_day ON lessons(organisation_id, day, lesson_no);

-- Отметки. Several per lesson and student, each with a work type and its weight.
-- `score` is the number used for averages (null on the pass/fail scale).
CREATE TABLE marks (
    id TEXT PRIMARY KEY,
    lesson_id TEXT NOT NULL REFERENCES lessons(id),
    student_id TEXT NOT NULL REFERENCES persons(id),
    day TEXT NOT NULL,
    subject_code TEXT NOT NULL,
    value TEXT NOT NULL,
    score BIGINT,
    work_type TEXT NOT NULL REFERENCES ref_work_types(code),
    weight BIGINT NOT NULL,
    comment TEXT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX marks_lesson ON marks(lesson_id);
CREATE INDEX marks_student_day ON marks(student_id, day);

-- Every change or removal of a mark: who, when, the previous value.
CREATE TABLE mark_history (
    id TEXT PRIMARY KEY,
    mark_id TEXT NOT NULL,
    lesson_id TEXT NOT NULL,
    student_id TEXT NOT NULL,
    old_value TEXT NOT NULL,
    new_value TEXT,
    changed_by TEXT NOT NULL,
    changed_role TEXT NOT NULL,
    changed_at BIGINT NOT NULL
);
CREATE INDEX mark_history_mark ON mark_history(mark_id);
CREATE INDEX mark_history_lesson ON mark_history(lesson_id);

-- Посещаемость: only absences and lateness are stored; no row means present.
CREATE TABLE attendance (
    lesson_id TEXT NOT NULL REFERENCES lessons(id),
    student_id TEXT NOT NULL REFERENCES persons(id),
    day TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (lesson_id, student_id)
);
CREATE INDEX attendance_student_day ON attendance(student_id, day);

-- Четвертные, годовые и итоговые отметки. `period_key` is a study period id, 'year' or 'final'.
CREATE TABLE period_grades (
    student_id TEXT NOT NULL REFERENCES persons(id),
    subject_code TEXT NOT NULL,
    academic_year_id TEXT NOT NULL REFERENCES academic_years(id),
    period_key TEXT NOT NULL,
    class_id TEXT NOT NULL REFERENCES classes(id),
    value TEXT NOT NULL,
    set_by TEXT NOT NULL,
    set_at BIGINT NOT NULL,
    PRIMARY KEY (student_id, subject_code, academic_year_id, period_key)
);
CREATE INDEX period_grades_class ON period_grades(class_id, subject_code);

-- Домашнее задание: the student marks it done, may answer; the teacher may mark it.
CREATE TABLE homework_submissions (
    lesson_id TEXT NOT NULL REFERENCES lessons(id),
    student_id TEXT NOT NULL REFERENCES persons(id),
    done_at BIGINT NOT NULL,
    answer TEXT,
    PRIMARY KEY (lesson_id, student_id)
);

-- Outbox: events written in the same transaction as the data; a relay turns them into
-- notifications (and, later, other consumers).
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    relayed_at BIGINT
);
CREATE INDEX outbox_pending ON outbox(kind, relayed_at, id);

-- Уведомления (COM-4): the in-app list; other channels deliver the same rows.
CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES persons(id),
    kind TEXT NOT NULL,
    about_person_id TEXT,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    link TEXT,
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE INDEX notifications_person ON notifications(person_id, id);
CREATE INDEX notifications_unread ON notifications(person_id, read_at);

CREATE TABLE notification_prefs (
    person_id TEXT NOT NULL REFERENCES persons(id),
    kind TEXT NOT NULL,
    enabled BIGINT NOT NULL,
    PRIMARY KEY (person_id, kind)
);
