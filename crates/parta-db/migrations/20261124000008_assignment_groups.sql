-- Teaching assignments by study group: "the assignments of a class, directly or through
-- its groups" scanned the whole table without it (4 ms per journal page on a region).
CREATE INDEX teaching_assignments_group ON teaching_assignments(group_id);
-- A school's periods are read on every journal page.
CREATE INDEX study_periods_org ON study_periods(organisation_id, starts_on);
-- Редакция расписания школы: every timetable change bumps it first, inside its
-- transaction, so that two administrators saving at once are serialised and the second
-- one's conflict check sees the first one's lessons.
CREATE TABLE timetable_revisions (
    organisation_id TEXT PRIMARY KEY REFERENCES organisations(id),
    revision BIGINT NOT NULL
);
