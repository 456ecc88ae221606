//! Who is asking: the authenticated person, the role they act in now, and the
//! scope that role reaches. Built once per session by the identity domain.

use crate::ids::{
    AccountId, ClassId, MunicipalityId, OrganisationId, PersonId, RegionCode, RoleAssignmentId,
};
use serde::{Deserialize, Serialize};

/// A role a person holds (роль участника образовательных отношений).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Обучающийся
    Student,
    /// Родитель (законный представитель)
    Parent,
    /// Педагог (incl. классный руководитель — a teacher who leads a class)
    Teacher,
    /// Администрация школы
    SchoolAdmin,
    /// Оператор муниципалитета
    MunicipalOperator,
    /// Региональный оператор
    RegionalOperator,
    /// Администратор платформы
    PlatformAdmin,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Student,
        Role::Parent,
        Role::Teacher,
        Role::SchoolAdmin,
        Role::MunicipalOperator,
        Role::RegionalOperator,
        Role::PlatformAdmin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Student => "student",
            Role::Parent => "parent",
            Role::Teacher => "teacher",
            Role::SchoolAdmin => "school_admin",
            Role::MunicipalOperator => "municipal_operator",
            Role::RegionalOperator => "regional_operator",
            Role::PlatformAdmin => "platform_admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Name shown to people, in Russian.
    pub fn title_ru(self) -> &'static str {
        match self {
            Role::Student => "Обучающийся",
            Role::Parent => "Родитель",
            Role::Teacher => "Педагог",
            Role::SchoolAdmin => "Администратор школы",
            Role::MunicipalOperator => "Муниципальный оператор",
            Role::RegionalOperator => "Региональный оператор",
            Role::PlatformAdmin => "Администратор платформы",
        }
    }

    pub fn title_en(self) -> &'static str {
        match self {
            Role::Student => "Student",
            Role::Parent => "Parent",
            Role::Teacher => "Teacher",
            Role::SchoolAdmin => "School administrator",
            Role::MunicipalOperator => "Municipal operator",
            Role::RegionalOperator => "Regional operator",
            Role::PlatformAdmin => "Platform administrator",
        }
    }
}

/// A role held in a scope: a school for staff roles, a territory for operators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RoleAssignment {
    pub id: RoleAssignmentId,
    pub role: Role,
    pub organisation_id: Option<OrganisationId>,
    pub municipality_id: Option<MunicipalityId>,
    pub region_code: Option<RegionCode>,
    /// Operators see personal data only where this is explicitly granted.
    pub personal_data_granted: bool,
}

/// What the active role reaches, resolved from the registry when the session loads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// Parent: own children.
    pub children: Vec<PersonId>,
    /// Teacher: classes where they teach a subject.
    pub taught_classes: Vec<ClassId>,
    /// Teacher: the (class, subject) pairs they teach.
    pub taught_subjects: Vec<TaughtSubject>,
    /// Teacher: classes they lead as классный руководитель.
    pub led_classes: Vec<ClassId>,
    /// Student: their current classes.
    pub own_classes: Vec<ClassId>,
    /// Parent: current classes of their children.
    pub children_classes: Vec<ClassId>,
    /// Organisations where the role applies (staff, admin, student).
    pub organisations: Vec<OrganisationId>,
    /// Operator territory.
    pub municipalities: Vec<MunicipalityId>,
    pub regions: Vec<RegionCode>,
}

/// A subject a teacher teaches in a class (from the teaching assignments).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaughtSubject {
    pub class: ClassId,
    pub subject: String,
}

/// How the request was authenticated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Via {
    Session,
    /// An API token with its scopes (`registry:read`, `roster:write`, …).
    ApiToken {
        scopes: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    pub person_id: PersonId,
    pub account_id: AccountId,
    pub display_name: String,
    pub active: RoleAssignment,
    pub roles: Vec<RoleAssignment>,
    pub scope: Scope,
    pub via: Via,
}

impl Principal {
    pub fn role(&self) -> Role {
        self.active.role
    }
}

/// Where a request came from, for the access log.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub ip: Option<String>,
}

/// A session looked up from its cookie: the hash of its id (the id itself is only in the
/// browser), its CSRF token and who it is.
#[derive(Debug, Clone)]
pub struct Session {
    pub id_hash: String,
    pub csrf_token: String,
    pub principal: Principal,
    /// The password was handed out on a sign-in letter (or reset by the school): nothing
    /// but changing it is allowed until it is changed.
    pub must_change_password: bool,
}
