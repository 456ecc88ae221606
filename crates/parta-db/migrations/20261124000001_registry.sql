-- Portable DDL: this file runs unchanged on SQLite and PostgreSQL (see docs/adr/0002).
-- Ids are UUID text, instants BIGINT milliseconds, dates ISO text, flags BIGINT 0/1.

-- Reference books (НСИ). `source` is 'federal' for rows from the versioned data files,
-- 'local' for rows an operator added.
CREATE TABLE ref_regions (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT 'federal',
    version BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE ref_org_types (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT 'federal',
    version BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE ref_grade_levels (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    stage TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT 'federal',
    version BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE ref_subjects (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    grade_from BIGINT NOT NULL,
    grade_to BIGINT NOT NULL,
    source TEXT NOT NULL DEFAULT 'federal',
    version BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE ref_mark_scales (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    marks TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT 'federal',
    version BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE ref_positions (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT 'federal',
    version BIGINT NOT NULL DEFAULT 0
);

-- Реестр: территории, организации, люди.
CREATE TABLE municipalities (
    id TEXT PRIMARY KEY,
    region_code TEXT NOT NULL REFERENCES ref_regions(code),
    name TEXT NOT NULL,
    oktmo TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX municipalities_region ON municipalities(region_code);

CREATE TABLE persons (
    id TEXT PRIMARY KEY,
    last_name TEXT NOT NULL,
    first_name TEXT NOT NULL,
    middle_name TEXT,
    birth_date TEXT,
    sex TEXT,
    snils TEXT UNIQUE,
    email TEXT,
    phone TEXT,
    source_id TEXT UNIQUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX persons_name ON persons(last_name, first_name);
CREATE INDEX persons_email ON persons(email);

CREATE TABLE organisations (
    id TEXT PRIMARY KEY,
    municipality_id TEXT NOT NULL REFERENCES municipalities(id),
    kind TEXT NOT NULL REFERENCES ref_org_types(code),
    full_name TEXT NOT NULL,
    short_name TEXT NOT NULL,
    inn TEXT NOT NULL UNIQUE,
    ogrn TEXT NOT NULL UNIQUE,
    address TEXT NOT NULL,
    head_id TEXT REFERENCES persons(id),
    source_id TEXT UNIQUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX organisations_municipality ON organisations(municipality_id);

CREATE TABLE academic_years (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    name TEXT NOT NULL,
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    source_id TEXT UNIQUE,
    UNIQUE (organisation_id, name)
);

CREATE TABLE classes (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    academic_year_id TEXT NOT NULL REFERENCES academic_years(id),
    grade_level TEXT NOT NULL REFERENCES ref_grade_levels(code),
    letter TEXT NOT NULL,
    name TEXT NOT NULL,
    class_teacher_id TEXT REFERENCES persons(id),
    source_id TEXT UNIQUE,
    UNIQUE (academic_year_id, name)
);
CREATE INDEX classes_org ON classes(organisation_id);
CREATE INDEX classes_teacher ON classes(class_teacher_id);

-- Группы: подгруппы класса (class_id set) and cross-class groups (class_id null).
CREATE TABLE study_groups (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    academic_year_id TEXT NOT NULL REFERENCES academic_years(id),
    class_id TEXT REFERENCES classes(id),
    name TEXT NOT NULL,
    subject_code TEXT REFERENCES ref_subjects(code),
    source_id TEXT UNIQUE
);
CREATE INDEX study_groups_class ON study_groups(class_id);
CREATE TABLE group_members (
    group_id TEXT NOT NULL REFERENCES study_groups(id),
    person_id TEXT NOT NULL REFERENCES persons(id),
    PRIMARY KEY (group_id, person_id)
);
CREATE INDEX group_members_person ON group_members(person_id);

-- История обучения: one row per stay in a school; the open row (ended_on null) is current.
CREATE TABLE enrolments (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES persons(id),
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    class_id TEXT REFERENCES classes(id),
    started_on TEXT NOT NULL,
    start_reason TEXT NOT NULL,
    ended_on TEXT,
    end_reason TEXT,
    order_ref TEXT,
    source_id TEXT UNIQUE,
    created_at BIGINT NOT NULL
);
CREATE INDEX enrolments_person ON enrolments(person_id);
CREATE INDEX enrolments_class ON enrolments(class_id, ended_on);
CREATE INDEX enrolments_org ON enrolments(organisation_id, ended_on);

-- Законные представители.
CREATE TABLE guardianships (
    parent_id TEXT NOT NULL REFERENCES persons(id),
    child_id TEXT NOT NULL REFERENCES persons(id),
    kind TEXT NOT NULL,
    PRIMARY KEY (parent_id, child_id)
);
CREATE INDEX guardianships_child ON guardianships(child_id);

CREATE TABLE staff_positions (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES persons(id),
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    position TEXT NOT NULL REFERENCES ref_positions(code),
    started_on TEXT NOT NULL,
    ended_on TEXT
);
CREATE INDEX staff_positions_person ON staff_positions(person_id);
CREATE INDEX staff_positions_org ON staff_positions(organisation_id);

-- Who teaches which subject to which class or group.
CREATE TABLE teaching_assignments (
    id TEXT PRIMARY KEY,
    teacher_id TEXT NOT NULL REFERENCES persons(id),
    class_id TEXT REFERENCES classes(id),
    group_id TEXT REFERENCES study_groups(id),
    subject_code TEXT NOT NULL REFERENCES ref_subjects(code),
    academic_year_id TEXT NOT NULL REFERENCES academic_years(id)
);
CREATE INDEX teaching_assignments_teacher ON teaching_assignments(teacher_id);
CREATE INDEX teaching_assignments_class ON teaching_assignments(class_id);

-- Roles a person holds, each in a scope.
CREATE TABLE role_assignments (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES persons(id),
    role TEXT NOT NULL,
    organisation_id TEXT REFERENCES organisations(id),
    municipality_id TEXT REFERENCES municipalities(id),
    region_code TEXT REFERENCES ref_regions(code),
    personal_data_granted BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX role_assignments_person ON role_assignments(person_id);

-- Requests to correct official data, answered by the school.
CREATE TABLE change_requests (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES persons(id),
    requested_by TEXT NOT NULL REFERENCES persons(id),
    field TEXT NOT NULL,
    new_value TEXT NOT NULL,
    comment TEXT,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX change_requests_person ON change_requests(person_id);
