//! The normalised content of a roster package, whatever its format.

use serde::Serialize;

/// One problem in an uploaded file, named so a person can find and fix it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RowError {
    pub file: String,
    /// 1-based line in the file (1 is the header).
    pub line: u64,
    pub column: String,
    pub message: String,
    /// A course's subject the package names and the platform does not know: the school
    /// maps it once to the federal subject list (the import wizard asks).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unmapped_subject: Option<String>,
    /// An organisation of a package of several schools that no school of the territory
    /// matches (its sourcedId): the operator picks the school (the wizard asks).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unmatched_org: Option<String>,
}

impl RowError {
    pub fn new(file: &str, line: u64, column: &str, message: impl Into<String>) -> Self {
        Self {
            file: file.to_string(),
            line,
            column: column.to_string(),
            message: message.into(),
            unmapped_subject: None,
            unmatched_org: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonRole {
    Student,
    Parent,
    Guardian,
    /// A relative acting for the child (OneRoster `relative`): a family role of kind «other».
    Relative,
    Teacher,
    Administrator,
}

impl PersonRole {
    pub fn role(self) -> &'static str {
        match self {
            PersonRole::Student => "student",
            PersonRole::Parent | PersonRole::Guardian | PersonRole::Relative => "parent",
            PersonRole::Teacher => "teacher",
            PersonRole::Administrator => "school_admin",
        }
    }

    /// A family role: held in no organisation, linked to children instead.
    pub fn is_family(self) -> bool {
        matches!(
            self,
            PersonRole::Parent | PersonRole::Guardian | PersonRole::Relative
        )
    }
}

#[derive(Debug, Clone)]
pub struct Year {
    pub sid: String,
    pub title: String,
    pub start: String,
    pub end: String,
}

/// A homeroom class («5А»).
#[derive(Debug, Clone)]
pub struct HomeClass {
    pub sid: String,
    pub year_sid: String,
    pub grade: String,
    pub letter: String,
}

/// A scheduled class: a subject group, possibly across classes.
#[derive(Debug, Clone)]
pub struct Group {
    pub sid: String,
    pub year_sid: String,
    pub name: String,
    /// The subject as the package names it: the course's code, else its first subject
    /// code (what the school maps when the platform does not know it).
    pub subject: String,
    /// Every name the package gives the subject (course code, subject codes, subject
    /// titles of the course and the class), tried in order against the subject list.
    pub subject_names: Vec<String>,
    /// The class's row in `classes.csv`.
    pub line: u64,
}

#[derive(Debug, Clone)]
pub struct PersonIn {
    pub sid: String,
    /// Every role the person holds here, the primary one first (a teacher who is also
    /// a parent of a student of the school holds both).
    pub roles: Vec<PersonRole>,
    pub last_name: String,
    pub first_name: String,
    pub middle_name: Option<String>,
    pub birth_date: Option<String>,
    pub sex: Option<String>,
    pub snils: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub username: Option<String>,
    /// Where it came from, for errors found while writing.
    pub file: String,
    pub line: u64,
}

#[derive(Debug, Clone)]
pub struct Membership {
    pub sid: String,
    /// The line of `enrollments.csv`, for errors found while writing.
    pub line: u64,
    /// A homeroom or a group sourcedId.
    pub class_sid: String,
    pub person_sid: String,
    pub teacher: bool,
    pub primary: bool,
    pub begin: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Package {
    /// sourcedId (or identifier) of the school the package is for.
    pub org_sid: Option<String>,
    pub org_identifier: Option<String>,
    pub years: Vec<Year>,
    pub classes: Vec<HomeClass>,
    pub groups: Vec<Group>,
    pub people: Vec<PersonIn>,
    /// (parent sid, child sid)
    pub guardians: Vec<(String, String)>,
    pub memberships: Vec<Membership>,
    /// What was read but not applied, and why (a link to someone outside the package):
    /// reported with the import, never dropped in silence.
    pub warnings: Vec<RowError>,
    /// A package of changes (OneRoster `delta`): what it names may already be in the
    /// school rather than in the package, and its `tobedeleted` rows end things.
    pub delta: bool,
    pub removed: Removed,
    /// Whose ids the package's sourcedIds are (`roster_ids.namespace`): `None` for the
    /// school's own system (the school's id); a territory's (`municipality:…`,
    /// `region:…`) for a package of several schools, whose system knows a teacher of two
    /// schools or a parent of children in two schools under one id.
    pub namespace: Option<String>,
}

/// What a delta package ends (`status = tobedeleted`): never deleted, closed with a date.
#[derive(Debug, Clone, Default)]
pub struct Removed {
    /// Users who leave the school: their stays, positions and roles here end.
    pub people: Vec<Gone>,
    /// Stays in a class, memberships of a group, a teacher's class or group.
    pub enrolments: Vec<Gone>,
    /// Classes: kept with their journals; refused while students are still in them.
    pub classes: Vec<Gone>,
}

/// A `tobedeleted` row: its sourcedId and where it was.
#[derive(Debug, Clone)]
pub struct Gone {
    pub sid: String,
    pub file: String,
    pub line: u64,
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    pub format: String,
    pub encoding: String,
    pub dry_run: bool,
    pub people: u64,
    pub classes: u64,
    pub enrolments: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Rows created or changed, by kind (people, roles, classes, groups, enrolments,
    /// memberships, guardians, positions, teaching, class_teachers, years): their sum is
    /// `created + updated`.
    pub written: std::collections::BTreeMap<String, u64>,
    /// Stays, positions, roles and memberships a delta package ended.
    #[serde(default)]
    pub ended: u64,
    /// Rows read and left, each with its file, line and reason.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<RowError>,
}

impl PersonIn {
    pub fn has(&self, role: PersonRole) -> bool {
        self.roles.contains(&role)
    }
    /// Holds a family role (parent, guardian, relative).
    pub fn is_family(&self) -> bool {
        self.roles.iter().any(|r| r.is_family())
    }
}
