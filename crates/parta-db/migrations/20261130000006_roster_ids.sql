-- Ids of other systems belong to their source (issue 11): a roster package's sourcedIds are
-- unique within the system that wrote it, not across the region — two schools whose systems
-- both number people from 1 import side by side. An import records here, per namespace (the
-- importing school), which of our objects each of its ids names.
CREATE TABLE roster_ids (
    namespace TEXT NOT NULL,
    -- year, class, group, person, enrolment
    kind TEXT NOT NULL,
    source_id TEXT NOT NULL,
    object_id TEXT NOT NULL,
    imported_at BIGINT NOT NULL,
    PRIMARY KEY (namespace, kind, source_id)
);
CREATE INDEX roster_ids_object ON roster_ids(kind, object_id);

-- The ids imported before move into their school's namespace; the global columns are
-- cleared so that they can no longer collide (they stay for the organisations' own ids).
INSERT INTO roster_ids (namespace, kind, source_id, object_id, imported_at)
SELECT organisation_id, 'year', source_id, id, 0 FROM academic_years WHERE source_id IS NOT NULL;
INSERT INTO roster_ids (namespace, kind, source_id, object_id, imported_at)
SELECT organisation_id, 'class', source_id, id, 0 FROM classes WHERE source_id IS NOT NULL;
INSERT INTO roster_ids (namespace, kind, source_id, object_id, imported_at)
SELECT organisation_id, 'group', source_id, id, 0 FROM study_groups WHERE source_id IS NOT NULL;
INSERT INTO roster_ids (namespace, kind, source_id, object_id, imported_at)
SELECT organisation_id, 'enrolment', source_id, id, 0 FROM enrolments WHERE source_id IS NOT NULL;
INSERT INTO roster_ids (namespace, kind, source_id, object_id, imported_at)
SELECT ns, 'person', source_id, id, 0 FROM (
    -- The school whose import wrote the person's stays (those carry ids), else where
    -- they study or work now, else where their children study.
    SELECT p.id, p.source_id, COALESCE(
        (SELECT MIN(e.organisation_id) FROM enrolments e WHERE e.person_id = p.id AND e.source_id IS NOT NULL),
        (SELECT MIN(e.organisation_id) FROM enrolments e WHERE e.person_id = p.id AND e.ended_on IS NULL),
        (SELECT MIN(s.organisation_id) FROM staff_positions s WHERE s.person_id = p.id),
        (SELECT MIN(e.organisation_id) FROM guardianships g JOIN enrolments e ON e.person_id = g.child_id AND e.ended_on IS NULL WHERE g.parent_id = p.id)
    ) AS ns
    FROM persons p WHERE p.source_id IS NOT NULL
) known WHERE ns IS NOT NULL;
UPDATE academic_years SET source_id = NULL WHERE source_id IS NOT NULL;
UPDATE classes SET source_id = NULL WHERE source_id IS NOT NULL;
UPDATE study_groups SET source_id = NULL WHERE source_id IS NOT NULL;
UPDATE enrolments SET source_id = NULL WHERE source_id IS NOT NULL;
UPDATE persons SET source_id = NULL WHERE id IN (SELECT object_id FROM roster_ids WHERE kind = 'person');
