-- A package's subjects the platform does not know (a course «ALG1», «Algebra One»), mapped
-- once by the school to the federal subject list; later imports of the school use the map.
CREATE TABLE roster_subject_map (
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    source_code TEXT NOT NULL,
    subject_code TEXT NOT NULL REFERENCES ref_subjects(code),
    mapped_by TEXT REFERENCES persons(id),
    mapped_at BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, source_code)
);
