//! The access policy (DATA-3): the one place that decides who may read or change
//! what. Services load the *facts* about a target and ask [`decide`]; handlers never
//! decide. A refused read of an object the caller must not know is [`Decision::Hidden`]
//! (answered 404); a refused action on a visible object is [`Decision::Forbidden`] (403).

use crate::ids::{ClassId, MunicipalityId, OrganisationId, PersonId, RegionCode};
use crate::principal::{Principal, Role, Via};

/// Every operation the platform offers, named once. The cross-tenant test table in
/// the integration suite must have a row for each of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    ReadPerson,
    UpdateOwnContacts,
    ExportPersonData,
    ReadPersonAudit,
    ReadOrganisation,
    ManageOrganisation,
    CreateOrganisation,
    ReadOrganisationAudit,
    ImportRoster,
    ReadClass,
    /// A school's classes with their class teachers: its staff and the territory's
    /// operators, not any signed-in user.
    ListClasses,
    ManageReferenceData,
    ManageApiTokens,
    /// Расписание класса (and of its lessons).
    ReadTimetable,
    /// Calendar, bells, timetable template and per-date changes, closing periods.
    ManageSchoolDay,
    /// Электронный журнал of a class and subject.
    ReadJournal,
    /// Marks, attendance, topic and homework; period grades.
    WriteJournal,
    /// Электронный дневник of a student.
    ReadDiary,
    /// A student marks homework done and answers it.
    SubmitHomework,
    /// OneRoster gradebook of a school, for other systems.
    ReadGradebook,
    /// Marks and attendance of a closed study period: the school's administration
    /// corrects them (and the edit is logged); teachers are refused.
    EditClosedPeriod,
    /// A homework file: material of a lesson, or a student's answer.
    DownloadAttachment,
    /// A period grade of one student: a teacher of a group subject (a foreign language in
    /// halves) grades their own group only.
    GradeStudent,
    /// A person's record and account in a school: edit the card, archive, link a parent,
    /// hand out a sign-in letter. The school's administration, for people of its school
    /// who hold no authority beyond it (an operator who is also a parent there is managed
    /// by the platform's administrator, never by the school).
    ManagePerson,
    /// Appoint a municipal or regional operator (or list them): the platform's
    /// administrator only.
    AppointOperator,
    /// A school's roster through the OneRoster Rostering service (people, classes,
    /// enrolments, demographics): the school's administration and its territory's
    /// operators — the systems a region integrates act with their tokens.
    ReadRoster,
    /// A chat's messages and members: its members only (a class's chat: the class and its
    /// class teacher, or their parents and the class teacher — by the registry, now).
    ReadChat,
    /// A message in a chat: its members, unless the chat is read-only (then its
    /// moderators only).
    PostInChat,
    /// A personal chat with someone: who may write to whom follows roles and the registry
    /// (a student reaches the staff of their school; a parent the teachers of their
    /// children's classes; a teacher colleagues and the students and parents of the
    /// classes they teach; the administration its school).
    StartChat,
    /// Moderation of a chat: urgent announcements, read-only mode, slow mode, the pinned
    /// message, hiding others' messages, muting and removing members, complaints, who
    /// confirmed an announcement — its moderators (the class teacher for a class's chats)
    /// and the school's administration for every chat of its school (complaints about a
    /// personal chat reach it).
    ModerateChat,
    /// Activity in a school's chats by week (MON-4): its administration and its
    /// territory's operators — figures, no messages.
    ReadChatActivity,
    /// A teacher's own channel (канал учителя) in a school: its teachers, one each.
    CreateChannel,
    /// A community (сообщество) founded in a school: its teachers and administration.
    CreateCommunity,
    /// A broadcast (трансляция): the school's — its administration; a class's — its class
    /// teacher, a teacher of it, or the administration.
    CreateBroadcast,
    /// A video lesson (видеоурок) of a timetable lesson: schedule it, end it, and take
    /// the engine's attendance into the journal — who may write the lesson's journal.
    LeadVideoLesson,
    /// Enter a lesson's video room: who may write its journal (as its moderators) and
    /// the lesson's students (its class, its group); not parents, not other classes.
    JoinVideoLesson,
}

/// Every scope an API token may hold. Each API operation names the one it needs in its
/// OpenAPI `security` (checked at the door), and the policy checks [`Operation::token_scope`]
/// again for operations on objects. Tokens are managed in a session only: no token can
/// mint another (`tokens:manage` is not issued).
pub const TOKEN_SCOPES: &[&str] = &[
    "registry:read",
    "registry:write",
    "reference:write",
    "schedule:read",
    "schedule:write",
    "journal:read",
    "journal:write",
    "notifications:read",
    "notifications:write",
    "chats:read",
    "chats:write",
];

impl Operation {
    pub const ALL: [Operation; 36] = [
        Operation::ReadPerson,
        Operation::UpdateOwnContacts,
        Operation::ExportPersonData,
        Operation::ReadPersonAudit,
        Operation::ReadOrganisation,
        Operation::ManageOrganisation,
        Operation::CreateOrganisation,
        Operation::ReadOrganisationAudit,
        Operation::ImportRoster,
        Operation::ReadClass,
        Operation::ListClasses,
        Operation::ManageReferenceData,
        Operation::ManageApiTokens,
        Operation::ReadTimetable,
        Operation::ManageSchoolDay,
        Operation::ReadJournal,
        Operation::WriteJournal,
        Operation::ReadDiary,
        Operation::SubmitHomework,
        Operation::ReadGradebook,
        Operation::EditClosedPeriod,
        Operation::DownloadAttachment,
        Operation::GradeStudent,
        Operation::ManagePerson,
        Operation::AppointOperator,
        Operation::ReadRoster,
        Operation::ReadChat,
        Operation::PostInChat,
        Operation::StartChat,
        Operation::ModerateChat,
        Operation::ReadChatActivity,
        Operation::CreateChannel,
        Operation::CreateCommunity,
        Operation::CreateBroadcast,
        Operation::LeadVideoLesson,
        Operation::JoinVideoLesson,
    ];

    /// The operation's place in [`Operation::ALL`]. The match is exhaustive, so a new
    /// operation does not compile until it has a place; a test checks that `ALL` holds
    /// each place once (so `ALL` cannot forget one).
    pub const fn index(self) -> usize {
        match self {
            Operation::ReadPerson => 0,
            Operation::UpdateOwnContacts => 1,
            Operation::ExportPersonData => 2,
            Operation::ReadPersonAudit => 3,
            Operation::ReadOrganisation => 4,
            Operation::ManageOrganisation => 5,
            Operation::CreateOrganisation => 6,
            Operation::ReadOrganisationAudit => 7,
            Operation::ImportRoster => 8,
            Operation::ReadClass => 9,
            Operation::ListClasses => 10,
            Operation::ManageReferenceData => 11,
            Operation::ManageApiTokens => 12,
            Operation::ReadTimetable => 13,
            Operation::ManageSchoolDay => 14,
            Operation::ReadJournal => 15,
            Operation::WriteJournal => 16,
            Operation::ReadDiary => 17,
            Operation::SubmitHomework => 18,
            Operation::ReadGradebook => 19,
            Operation::EditClosedPeriod => 20,
            Operation::DownloadAttachment => 21,
            Operation::GradeStudent => 22,
            Operation::ManagePerson => 23,
            Operation::AppointOperator => 24,
            Operation::ReadRoster => 25,
            Operation::ReadChat => 26,
            Operation::PostInChat => 27,
            Operation::StartChat => 28,
            Operation::ModerateChat => 29,
            Operation::ReadChatActivity => 30,
            Operation::CreateChannel => 31,
            Operation::CreateCommunity => 32,
            Operation::CreateBroadcast => 33,
            Operation::LeadVideoLesson => 34,
            Operation::JoinVideoLesson => 35,
        }
    }

    /// The API-token scope that covers this operation.
    pub fn token_scope(self) -> &'static str {
        match self {
            Operation::ReadPerson
            | Operation::ReadOrganisation
            | Operation::ReadClass
            | Operation::ListClasses
            | Operation::ExportPersonData
            | Operation::ReadPersonAudit
            | Operation::ReadOrganisationAudit
            | Operation::ReadRoster => "registry:read",
            Operation::ImportRoster
            | Operation::ManageOrganisation
            | Operation::CreateOrganisation
            | Operation::ManagePerson
            | Operation::AppointOperator
            | Operation::UpdateOwnContacts => "registry:write",
            Operation::ManageReferenceData => "reference:write",
            Operation::ManageApiTokens => "tokens:manage",
            Operation::ReadTimetable | Operation::JoinVideoLesson => "schedule:read",
            Operation::ManageSchoolDay | Operation::LeadVideoLesson => "schedule:write",
            Operation::ReadJournal
            | Operation::ReadDiary
            | Operation::ReadGradebook
            | Operation::DownloadAttachment => "journal:read",
            Operation::WriteJournal
            | Operation::SubmitHomework
            | Operation::EditClosedPeriod
            | Operation::GradeStudent => "journal:write",
            Operation::ReadChat | Operation::ReadChatActivity => "chats:read",
            Operation::PostInChat
            | Operation::StartChat
            | Operation::ModerateChat
            | Operation::CreateChannel
            | Operation::CreateCommunity
            | Operation::CreateBroadcast => "chats:write",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// The caller must not learn that the object exists.
    Hidden,
    /// The caller sees the object but may not do this.
    Forbidden,
}

/// Where an organisation sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgFacts {
    pub organisation: OrganisationId,
    pub municipality: MunicipalityId,
    pub region: RegionCode,
}

/// Where a class sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassFacts {
    pub class: ClassId,
    pub org: OrgFacts,
}

/// Everything the policy needs to know about a person.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonFacts {
    pub person: PersonId,
    /// Current classes as a student.
    pub student_classes: Vec<ClassId>,
    /// Organisations where the person studies, works, or has a child studying.
    pub orgs: Vec<OrgFacts>,
    /// Organisations where the person works now.
    pub staff_orgs: Vec<OrganisationId>,
    /// Organisations where the person studies now.
    pub student_orgs: Vec<OrgFacts>,
    /// The person's children (if a parent).
    pub children: Vec<PersonId>,
    /// Current classes of the person's children.
    pub children_classes: Vec<ClassId>,
    /// The person's parents / legal representatives (if a student).
    pub parents: Vec<PersonId>,
    /// Schools the person administers (a school administrator's role).
    pub admin_of: Vec<OrganisationId>,
    /// The person holds a territory's or the platform's role.
    pub operator: bool,
}

/// A journal: one class (or a group within it) and one subject. `lesson_teacher` is
/// set when the operation concerns one lesson — its teacher (a substitute) may write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalFacts {
    pub class: ClassFacts,
    pub subject: String,
    pub lesson_teacher: Option<PersonId>,
}

/// A lesson's video room: the lesson's journal (its teacher may lead it) and whether the
/// caller is one of the lesson's students now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoFacts {
    pub journal: JournalFacts,
    pub student_of_lesson: bool,
}

/// A homework file and who it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentFacts {
    /// The journal of the lesson it belongs to.
    pub journal: JournalFacts,
    /// The student whose answer it is; `None` for the lesson's material.
    pub answer_of: Option<PersonId>,
    /// The caller, or a child of theirs, is a student of the lesson.
    pub family_in_lesson: bool,
}

/// A student's grade in a journal, and the groups of the one grading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GradeFacts {
    pub journal: JournalFacts,
    pub student: PersonId,
    /// When the caller teaches this class-subject only to groups: their groups' students.
    pub grader_groups: Option<Vec<PersonId>>,
}

/// Who a chat is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChatAudience {
    /// The class's students and its class teacher.
    ClassStudents(ClassId),
    /// The parents of the class's students and its class teacher.
    ClassParents(ClassId),
    /// The school's staff (учительская).
    StaffRoom,
    /// Members by name (a personal or a group chat): whether the caller is one, and a
    /// moderator of it.
    Members { member: bool, moderator: bool },
    /// A community (сообщество): members and moderators by its own list, while it reaches
    /// them. The school's administration settles complaints about it, member or not.
    Community { member: bool, moderator: bool },
    /// A channel (канал): whether the caller is among its readers now (a school's news:
    /// the school's staff, students and their parents; a class's channel: the class's
    /// students, parents and teachers; a teacher's channel: the school's staff and the
    /// families of the classes its owner teaches) and among its authors (the school's
    /// administration; the class teacher; the owner). Readers comment on posts when the
    /// channel is not read-only.
    Channel { reader: bool, author: bool },
}

/// What a chat's moderators have imposed on the caller there.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ChatRestriction {
    #[default]
    None,
    /// Reads, does not write (until the mute ends).
    Muted,
    /// Removed from the chat: neither reads nor writes it (a registry-built chat keeps
    /// them out although the registry still counts them in).
    Removed,
}

/// A chat: its school, who it is for, whether only its moderators write, and what its
/// moderators imposed on the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatFacts {
    pub org: OrganisationId,
    pub audience: ChatAudience,
    pub read_only: bool,
    pub restriction: ChatRestriction,
}

/// Someone to write to: where they work, teach, study and have children, now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactFacts {
    pub person: PersonId,
    pub staff_orgs: Vec<OrganisationId>,
    /// Classes they teach (or a group of) or lead.
    pub teaches: Vec<ClassId>,
    pub student_classes: Vec<ClassId>,
    pub student_orgs: Vec<OrganisationId>,
    pub children_classes: Vec<ClassId>,
    pub children_orgs: Vec<OrganisationId>,
}

/// What an operation is applied to.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    Person(&'a PersonFacts),
    Organisation(&'a OrgFacts),
    Class(&'a ClassFacts),
    Journal(&'a JournalFacts),
    Attachment(&'a AttachmentFacts),
    Grade(&'a GradeFacts),
    /// A territory: an organisation to be created in this municipality/region.
    Territory {
        municipality: &'a MunicipalityId,
        region: &'a RegionCode,
    },
    /// Platform-wide things (reference data, tokens).
    Platform,
    Chat(&'a ChatFacts),
    Contact(&'a ContactFacts),
    Video(&'a VideoFacts),
}

tokio::task_local! {
    /// The operations refused while a request is handled (see [`observe_refusals`]).
    static REFUSED: std::cell::RefCell<Vec<Operation>>;
}

/// Runs `fut` noting every operation the policy refuses inside it: the refusal audit
/// names the operation, and the refusal table is checked per operation.
pub async fn observe_refusals<F: std::future::Future>(fut: F) -> (F::Output, Vec<Operation>) {
    REFUSED
        .scope(std::cell::RefCell::new(Vec::new()), async move {
            let out = fut.await;
            let refused = REFUSED.try_with(|r| r.take()).unwrap_or_default();
            (out, refused)
        })
        .await
}

/// Decides whether `p` may perform `op` on `target`.
pub fn decide(p: &Principal, op: Operation, target: Target<'_>) -> Decision {
    let decision = decided(p, op, target);
    if decision != Decision::Allow {
        let _ = REFUSED.try_with(|r| r.borrow_mut().push(op));
    }
    decision
}

fn decided(p: &Principal, op: Operation, target: Target<'_>) -> Decision {
    let decision = decide_for_role(p, op, target);
    // A token without the scope learns no more than the role would: what is hidden stays
    // hidden, and what is allowed becomes forbidden.
    if let Via::ApiToken { scopes } = &p.via {
        if decision == Decision::Allow && !scopes.iter().any(|s| s == op.token_scope()) {
            return Decision::Forbidden;
        }
    }
    decision
}

fn decide_for_role(p: &Principal, op: Operation, target: Target<'_>) -> Decision {
    let role = p.role();
    use Operation as Op;
    // Conversations are their members' own: no role reads into them, the platform's
    // administrator included (moderation acts on complaints, not by reading along).
    if let Target::Chat(f) = target {
        return match op {
            Op::ReadChat => allow_or_hide(chat_member(p, f).is_some()),
            Op::PostInChat => match chat_member(p, f) {
                None => Decision::Hidden,
                Some(moderator) => read_then(
                    true,
                    moderator || (!f.read_only && f.restriction == ChatRestriction::None),
                ),
            },
            // The administration settles complaints about every chat of its school — but
            // not in a personal chat it is itself part of.
            Op::ModerateChat
                if p.role() == Role::SchoolAdmin
                    && p.scope.organisations.contains(&f.org)
                    && !matches!(f.audience, ChatAudience::Members { member: true, .. }) =>
            {
                Decision::Allow
            }
            Op::ModerateChat => match chat_member(p, f) {
                None => Decision::Hidden,
                Some(moderator) => read_then(true, moderator),
            },
            _ => Decision::Hidden,
        };
    }
    if let Target::Contact(f) = target {
        return match op {
            Op::StartChat if f.person == p.person_id => Decision::Forbidden,
            Op::StartChat => allow_or_hide(may_contact(p, f)),
            _ => Decision::Hidden,
        };
    }
    // A teacher's channel is a teacher's own: no other role opens one in their name, the
    // platform's administrator included.
    if let (Op::CreateChannel, Target::Organisation(o)) = (op, target) {
        let teacher = role == Role::Teacher && p.scope.organisations.contains(&o.organisation);
        return read_then(true, teacher);
    }
    // A community is founded by the staff of a school in it (children do not found
    // groups of their own).
    // A broadcast is the school's staff's to hold: the administration for the school, a
    // class's teachers for the class.
    match (op, target) {
        (Op::CreateBroadcast, Target::Organisation(o)) => {
            let admin =
                role == Role::SchoolAdmin && p.scope.organisations.contains(&o.organisation);
            return read_then(true, admin);
        }
        (Op::CreateBroadcast, Target::Class(c)) => {
            let s = &p.scope;
            let ok = match role {
                Role::SchoolAdmin => s.organisations.contains(&c.org.organisation),
                // In the school of their role (a teacher of two schools holds a role in
                // each).
                Role::Teacher => {
                    s.organisations.contains(&c.org.organisation)
                        && (s.led_classes.contains(&c.class) || s.taught_classes.contains(&c.class))
                }
                _ => false,
            };
            return read_then(true, ok);
        }
        _ => {}
    }
    if let (Op::CreateCommunity, Target::Organisation(o)) = (op, target) {
        let staff = matches!(role, Role::Teacher | Role::SchoolAdmin)
            && p.scope.organisations.contains(&o.organisation);
        return read_then(true, staff);
    }
    if role == Role::PlatformAdmin {
        return Decision::Allow;
    }
    match (op, target) {
        (Op::ReadPerson, Target::Person(f)) => allow_or_hide(can_see_person(p, f, false)),
        (Op::ReadPersonAudit, Target::Person(f)) => {
            let see = can_see_person(p, f, false);
            let own = p.person_id == f.person
                || (role == Role::Parent && p.scope.children.contains(&f.person))
                || (role == Role::SchoolAdmin && in_orgs(p, &f.orgs));
            read_then(see, own)
        }
        (Op::UpdateOwnContacts | Op::ExportPersonData, Target::Person(f)) => {
            let see = can_see_person(p, f, false);
            let own = p.person_id == f.person
                || (role == Role::Parent && p.scope.children.contains(&f.person));
            read_then(see, own)
        }
        // The school manages its own people, but never someone whose authority reaches
        // beyond it: their password would open more than the school.
        (Op::ManagePerson, Target::Person(f)) => {
            let manage = role == Role::SchoolAdmin
                && in_orgs(p, &f.orgs)
                && !f.operator
                && f.admin_of.iter().all(|o| p.scope.organisations.contains(o));
            read_then(can_see_person(p, f, true), manage)
        }
        (Op::ReadOrganisation, Target::Organisation(_)) => Decision::Allow,
        (Op::ManageOrganisation | Op::ReadOrganisationAudit, Target::Organisation(o)) => {
            let manage =
                role == Role::SchoolAdmin && p.scope.organisations.contains(&o.organisation);
            read_then(true, manage)
        }
        // A school's lists come from the school, or — a package of several schools from a
        // municipal or regional system — from the operator of its territory.
        (Op::ImportRoster, Target::Organisation(o)) => {
            let manage = (role == Role::SchoolAdmin
                && p.scope.organisations.contains(&o.organisation))
                || in_territory(p, o);
            read_then(true, manage)
        }
        (
            Op::CreateOrganisation,
            Target::Territory {
                municipality,
                region,
            },
        ) => {
            let ok = match role {
                Role::MunicipalOperator => p.scope.municipalities.contains(municipality),
                Role::RegionalOperator => p.scope.regions.contains(region),
                _ => false,
            };
            read_then(true, ok)
        }
        (Op::ReadClass, Target::Class(c)) => allow_or_hide(can_see_class(p, c)),
        (Op::ReadChatActivity, Target::Organisation(o)) => {
            let admin =
                role == Role::SchoolAdmin && p.scope.organisations.contains(&o.organisation);
            read_then(true, admin || in_territory(p, o))
        }
        (Op::ListClasses, Target::Organisation(o)) => {
            let staff = matches!(role, Role::Teacher | Role::SchoolAdmin)
                && p.scope.organisations.contains(&o.organisation);
            read_then(true, staff || in_territory(p, o))
        }
        (Op::ManageReferenceData, Target::Platform) => {
            read_then(true, role == Role::RegionalOperator)
        }
        (Op::ManageApiTokens | Op::AppointOperator, Target::Platform) => read_then(true, false),
        (Op::ReadTimetable, Target::Class(c)) => allow_or_hide(can_see_timetable(p, c)),
        // A school's rooms: its staff and the territory's operators, not families.
        (Op::ReadTimetable, Target::Organisation(o)) => {
            allow_or_hide(can_see_school_timetable(p, o))
        }
        (Op::ManageSchoolDay, Target::Organisation(o)) => {
            let manage =
                role == Role::SchoolAdmin && p.scope.organisations.contains(&o.organisation);
            read_then(true, manage)
        }
        // A closed period is corrected by the school's administration only.
        (Op::EditClosedPeriod, Target::Class(c)) => {
            let admin =
                role == Role::SchoolAdmin && p.scope.organisations.contains(&c.org.organisation);
            read_then(true, admin)
        }
        (Op::ReadJournal, Target::Journal(j)) => allow_or_hide(can_read_journal(p, j)),
        (Op::GradeStudent, Target::Grade(g)) => {
            let in_group = match (&g.grader_groups, role) {
                (Some(members), Role::Teacher) => members.contains(&g.student),
                _ => true,
            };
            read_then(
                can_read_journal(p, &g.journal),
                can_write_journal(p, &g.journal) && in_group,
            )
        }
        // Material: staff who see the journal, the lesson's students and their parents;
        // an answer: staff who see the journal, its student and their parents.
        (Op::DownloadAttachment, Target::Attachment(a)) => {
            let family = match a.answer_of {
                Some(s) => {
                    p.person_id == s || (role == Role::Parent && p.scope.children.contains(&s))
                }
                None => a.family_in_lesson,
            };
            allow_or_hide(can_read_journal(p, &a.journal) || family)
        }
        // The lesson's students see its video lesson (and enter it); those who write its
        // journal lead it. Parents and other classes do not learn it exists.
        (Op::LeadVideoLesson, Target::Video(v)) => {
            let student = role == Role::Student && v.student_of_lesson;
            read_then(
                can_read_journal(p, &v.journal) || student,
                can_write_journal(p, &v.journal),
            )
        }
        (Op::JoinVideoLesson, Target::Video(v)) => {
            let student = role == Role::Student && v.student_of_lesson;
            read_then(
                can_read_journal(p, &v.journal) || student,
                can_write_journal(p, &v.journal) || student,
            )
        }
        (Op::WriteJournal, Target::Journal(j)) => {
            read_then(can_read_journal(p, j), can_write_journal(p, j))
        }
        (Op::ReadDiary, Target::Person(f)) => allow_or_hide(can_see_diary(p, f)),
        // Only a student hands in their own homework (a parent sees it, but does not
        // answer for the child).
        (Op::SubmitHomework, Target::Person(f)) => read_then(
            can_see_diary(p, f),
            p.person_id == f.person && role == Role::Student,
        ),
        (Op::ReadRoster, Target::Organisation(o)) => {
            let admin =
                role == Role::SchoolAdmin && p.scope.organisations.contains(&o.organisation);
            read_then(true, admin || in_territory(p, o))
        }
        (Op::ReadGradebook, Target::Organisation(o)) => {
            let admin =
                role == Role::SchoolAdmin && p.scope.organisations.contains(&o.organisation);
            read_then(true, admin)
        }
        // An operation applied to the wrong kind of target is a programming error:
        // refuse rather than guess.
        _ => Decision::Hidden,
    }
}

/// What of a person's card a caller sees once [`Operation::ReadPerson`] is allowed
/// (152-FZ art. 5: no more personal data than the purpose needs). The name is always
/// shown; everything else only to the roles that need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PersonView {
    pub birth_date: bool,
    pub sex: bool,
    /// СНИЛС (a document number): the person, their parents and the school only.
    pub snils: bool,
    /// E-mail and phone.
    pub contacts: bool,
    /// The whole history of schools; otherwise only current stays in the caller's schools.
    pub full_history: bool,
    /// Current stays in the caller's schools (the class), when not the whole history.
    pub current_class: bool,
    /// Positions; `own_schools_only` limits them to the caller's schools.
    pub positions: bool,
    /// Parents and children by name.
    pub relatives: bool,
    /// Stays and positions are shown only where the caller works or studies.
    pub own_schools_only: bool,
}

impl PersonView {
    pub const FULL: PersonView = PersonView {
        birth_date: true,
        sex: true,
        snils: true,
        contacts: true,
        full_history: true,
        current_class: true,
        positions: true,
        relatives: true,
        own_schools_only: false,
    };

    /// Names of the card's fields this view hides, as the API names them.
    pub fn hidden(&self) -> Vec<&'static str> {
        let mut h = Vec::new();
        for (shown, names) in [
            (self.birth_date, &["birth_date"][..]),
            (self.sex, &["sex"][..]),
            (self.snils, &["snils"][..]),
            (self.contacts, &["email", "phone"][..]),
            (self.full_history || self.current_class, &["enrolments"][..]),
            (self.positions, &["positions"][..]),
            (self.relatives, &["parents", "children"][..]),
        ] {
            if !shown {
                h.extend_from_slice(names);
            }
        }
        h
    }

    fn union(self, o: PersonView) -> PersonView {
        PersonView {
            birth_date: self.birth_date || o.birth_date,
            sex: self.sex || o.sex,
            snils: self.snils || o.snils,
            contacts: self.contacts || o.contacts,
            full_history: self.full_history || o.full_history,
            current_class: self.current_class || o.current_class,
            positions: self.positions || o.positions,
            relatives: self.relatives || o.relatives,
            own_schools_only: self.own_schools_only && o.own_schools_only,
        }
    }
}

/// The view of `f` for `p`, who may read the person. `parent_contacts_shared`: the school
/// of `p`'s active role lets its teachers see the contacts of their students' parents.
pub fn person_view(p: &Principal, f: &PersonFacts, parent_contacts_shared: bool) -> PersonView {
    if p.person_id == f.person {
        return PersonView::FULL;
    }
    let s = &p.scope;
    match p.role() {
        Role::PlatformAdmin => PersonView::FULL,
        // The school keeps the record (личное дело) of its students, parents and staff.
        Role::SchoolAdmin if in_orgs(p, &f.orgs) => PersonView::FULL,
        // A legal representative sees the child's whole card.
        Role::Parent if s.children.contains(&f.person) => PersonView::FULL,
        // A student sees how to reach their parents.
        Role::Student if f.children.contains(&p.person_id) => PersonView {
            contacts: true,
            relatives: true,
            ..PersonView::default()
        },
        Role::Teacher => {
            let classes: Vec<ClassId> = s
                .taught_classes
                .iter()
                .chain(&s.led_classes)
                .copied()
                .collect();
            let mut v = PersonView {
                own_schools_only: true,
                ..PersonView::default()
            };
            // Their student: the class and who the parents are.
            if intersects(&classes, &f.student_classes) {
                v = v.union(PersonView {
                    current_class: true,
                    relatives: true,
                    own_schools_only: true,
                    ..PersonView::default()
                });
            }
            // A parent of their student: the contacts, where the school allows it.
            if intersects(&classes, &f.children_classes) && parent_contacts_shared {
                v = v.union(PersonView {
                    contacts: true,
                    own_schools_only: true,
                    ..PersonView::default()
                });
            }
            // A colleague: the staff directory — name and positions.
            if intersects(&f.staff_orgs, &s.organisations) {
                v = v.union(PersonView {
                    positions: true,
                    own_schools_only: true,
                    ..PersonView::default()
                });
            }
            v
        }
        // Operators with the grant see the official record, not contacts or documents.
        Role::MunicipalOperator | Role::RegionalOperator => PersonView {
            birth_date: true,
            sex: true,
            full_history: true,
            current_class: true,
            positions: true,
            ..PersonView::default()
        },
        _ => PersonView::default(),
    }
}

fn allow_or_hide(allowed: bool) -> Decision {
    if allowed {
        Decision::Allow
    } else {
        Decision::Hidden
    }
}

/// Visible but not permitted → 403; not visible → 404.
fn read_then(visible: bool, permitted: bool) -> Decision {
    match (visible, permitted) {
        (_, true) => Decision::Allow,
        (true, false) => Decision::Forbidden,
        (false, false) => Decision::Hidden,
    }
}

fn in_orgs(p: &Principal, orgs: &[OrgFacts]) -> bool {
    orgs.iter()
        .any(|o| p.scope.organisations.contains(&o.organisation))
}

fn in_territory(p: &Principal, org: &OrgFacts) -> bool {
    match p.role() {
        Role::MunicipalOperator => p.scope.municipalities.contains(&org.municipality),
        Role::RegionalOperator => p.scope.regions.contains(&org.region),
        _ => false,
    }
}

fn intersects<T: PartialEq>(a: &[T], b: &[T]) -> bool {
    a.iter().any(|x| b.contains(x))
}

/// Whether `p`, in the active role, may see the person card of `f`.
fn can_see_person(p: &Principal, f: &PersonFacts, _write: bool) -> bool {
    if p.person_id == f.person {
        return true;
    }
    let s = &p.scope;
    match p.role() {
        Role::Student => f.children.contains(&p.person_id), // own parents
        Role::Parent => s.children.contains(&f.person),
        Role::Teacher => {
            let classes: Vec<ClassId> = s
                .taught_classes
                .iter()
                .chain(&s.led_classes)
                .copied()
                .collect();
            intersects(&classes, &f.student_classes)
                || intersects(&classes, &f.children_classes)
                // colleagues: staff of the same school
                || intersects(&f.staff_orgs, &s.organisations)
        }
        Role::SchoolAdmin => in_orgs(p, &f.orgs),
        Role::MunicipalOperator | Role::RegionalOperator => {
            p.active.personal_data_granted && f.orgs.iter().any(|o| in_territory(p, o))
        }
        Role::PlatformAdmin => true,
    }
}

/// Whether the caller (in their active role) is a member of the chat, and if so whether
/// they moderate it: a class's chats follow the registry (the class teacher moderates),
/// the staff room is the school's staff (its administration moderates).
fn chat_member(p: &Principal, f: &ChatFacts) -> Option<bool> {
    let s = &p.scope;
    let role = p.role();
    if f.restriction == ChatRestriction::Removed {
        return None;
    }
    match &f.audience {
        ChatAudience::ClassStudents(class) | ChatAudience::ClassParents(class)
            if role == Role::Teacher && s.led_classes.contains(class) =>
        {
            Some(true)
        }
        ChatAudience::ClassStudents(class) => {
            (role == Role::Student && s.own_classes.contains(class)).then_some(false)
        }
        ChatAudience::ClassParents(class) => {
            (role == Role::Parent && s.children_classes.contains(class)).then_some(false)
        }
        ChatAudience::StaffRoom => match role {
            Role::Teacher if s.organisations.contains(&f.org) => Some(false),
            Role::SchoolAdmin if s.organisations.contains(&f.org) => Some(true),
            _ => None,
        },
        ChatAudience::Members { member, moderator }
        | ChatAudience::Community { member, moderator } => member.then_some(*moderator),
        ChatAudience::Channel { reader, author } => (*reader || *author).then_some(*author),
    }
}

/// Who may start a conversation with whom (children's safety first): a student only with
/// the staff of their school, never privately with another child or an outside adult.
fn may_contact(p: &Principal, f: &ContactFacts) -> bool {
    let s = &p.scope;
    let meets = |a: &[OrganisationId], b: &[OrganisationId]| a.iter().any(|x| b.contains(x));
    let shares = |a: &[ClassId], b: &[ClassId]| a.iter().any(|x| b.contains(x));
    match p.role() {
        Role::Student => meets(&f.staff_orgs, &s.organisations),
        Role::Parent => shares(&f.teaches, &s.children_classes),
        Role::Teacher => {
            let mine: Vec<ClassId> = s
                .taught_classes
                .iter()
                .chain(&s.led_classes)
                .copied()
                .collect();
            meets(&f.staff_orgs, &s.organisations)
                || shares(&f.student_classes, &mine)
                || shares(&f.children_classes, &mine)
        }
        Role::SchoolAdmin => {
            meets(&f.staff_orgs, &s.organisations)
                || meets(&f.student_orgs, &s.organisations)
                || meets(&f.children_orgs, &s.organisations)
        }
        _ => false,
    }
}

/// Whether two people of a personal chat are still in touch through a school, whichever
/// of them asks: staff with staff, staff with a student or with a student's parent of the
/// school they work at. Never two children, never two parents, never an adult who no longer
/// works at the child's school (their own child there does not count): the conversation
/// then takes no new messages.
pub fn in_touch(a: &ContactFacts, b: &ContactFacts) -> bool {
    let meets = |x: &[OrganisationId], y: &[OrganisationId]| x.iter().any(|o| y.contains(o));
    meets(&a.staff_orgs, &b.staff_orgs)
        || meets(&a.staff_orgs, &b.student_orgs)
        || meets(&b.staff_orgs, &a.student_orgs)
        || meets(&a.staff_orgs, &b.children_orgs)
        || meets(&b.staff_orgs, &a.children_orgs)
}

fn can_see_class(p: &Principal, c: &ClassFacts) -> bool {
    let s = &p.scope;
    match p.role() {
        Role::Student => s.own_classes.contains(&c.class),
        Role::Parent => false, // parents see their child's class through the child
        Role::Teacher => s.taught_classes.contains(&c.class) || s.led_classes.contains(&c.class),
        Role::SchoolAdmin => s.organisations.contains(&c.org.organisation),
        Role::MunicipalOperator | Role::RegionalOperator => {
            p.active.personal_data_granted && in_territory(p, &c.org)
        }
        Role::PlatformAdmin => true,
    }
}

/// Timetables are school-wide for staff; students and parents see their own classes.
fn can_see_timetable(p: &Principal, c: &ClassFacts) -> bool {
    let s = &p.scope;
    match p.role() {
        Role::Student => s.own_classes.contains(&c.class),
        Role::Parent => s.children_classes.contains(&c.class),
        _ => can_see_school_timetable(p, &c.org),
    }
}

/// The whole school's timetable (every class, every room): staff and operators.
fn can_see_school_timetable(p: &Principal, o: &OrgFacts) -> bool {
    match p.role() {
        Role::Student | Role::Parent => false,
        Role::Teacher | Role::SchoolAdmin => p.scope.organisations.contains(&o.organisation),
        Role::MunicipalOperator | Role::RegionalOperator => {
            p.active.personal_data_granted && in_territory(p, o)
        }
        Role::PlatformAdmin => true,
    }
}

fn teaches(p: &Principal, j: &JournalFacts) -> bool {
    p.scope
        .taught_subjects
        .iter()
        .any(|t| t.class == j.class.class && t.subject == j.subject)
        || j.lesson_teacher == Some(p.person_id)
}

/// Teachers read what they teach (a substitute: that lesson); a class teacher reads every
/// subject of their class; the school administration reads the school.
fn can_read_journal(p: &Principal, j: &JournalFacts) -> bool {
    match p.role() {
        Role::Teacher => teaches(p, j) || p.scope.led_classes.contains(&j.class.class),
        Role::SchoolAdmin => p.scope.organisations.contains(&j.class.org.organisation),
        Role::MunicipalOperator | Role::RegionalOperator => {
            p.active.personal_data_granted && in_territory(p, &j.class.org)
        }
        Role::PlatformAdmin => true,
        Role::Student | Role::Parent => false,
    }
}

fn can_write_journal(p: &Principal, j: &JournalFacts) -> bool {
    match p.role() {
        Role::Teacher => teaches(p, j),
        Role::SchoolAdmin => p.scope.organisations.contains(&j.class.org.organisation),
        Role::PlatformAdmin => true,
        _ => false,
    }
}

/// A diary is the student's own, their parents', their class teacher's and the school's.
fn can_see_diary(p: &Principal, f: &PersonFacts) -> bool {
    if p.person_id == f.person {
        return !f.student_classes.is_empty() || p.role() == Role::Student;
    }
    let s = &p.scope;
    match p.role() {
        Role::Parent => s.children.contains(&f.person),
        Role::Teacher => intersects(&s.led_classes, &f.student_classes),
        // Only where the person studies: working at a school or having a child there does
        // not open one's own school record to it.
        Role::SchoolAdmin => in_orgs(p, &f.student_orgs),
        Role::MunicipalOperator | Role::RegionalOperator => {
            p.active.personal_data_granted && f.student_orgs.iter().any(|o| in_territory(p, o))
        }
        Role::PlatformAdmin => true,
        Role::Student => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::*;
    use crate::principal::*;

    fn principal(role: Role, scope: Scope) -> Principal {
        Principal {
            person_id: PersonId::new(),
            account_id: AccountId::new(),
            display_name: "x".into(),
            active: RoleAssignment {
                id: RoleAssignmentId::new(),
                role,
                organisation_id: None,
                municipality_id: None,
                region_code: None,
                personal_data_granted: false,
            },
            roles: vec![],
            scope,
            via: Via::Session,
        }
    }

    fn org() -> OrgFacts {
        OrgFacts {
            organisation: OrganisationId::new(),
            municipality: MunicipalityId::new(),
            region: RegionCode("77".into()),
        }
    }

    #[test]
    fn chat_restrictions_and_the_schools_moderation() {
        let o = org().organisation;
        let class = ClassId::new();
        let chat = |restriction| ChatFacts {
            org: o,
            audience: ChatAudience::ClassStudents(class),
            read_only: false,
            restriction,
        };
        let student = principal(
            Role::Student,
            Scope {
                own_classes: vec![class],
                organisations: vec![o],
                ..Scope::default()
            },
        );
        let free = chat(ChatRestriction::None);
        let muted = chat(ChatRestriction::Muted);
        let removed = chat(ChatRestriction::Removed);
        let d = |p: &Principal, op, f: &ChatFacts| decide(p, op, Target::Chat(f));
        assert_eq!(d(&student, Operation::PostInChat, &free), Decision::Allow);
        // Muted: reads, does not write; removed: neither, the chat hidden.
        assert_eq!(d(&student, Operation::ReadChat, &muted), Decision::Allow);
        assert_eq!(
            d(&student, Operation::PostInChat, &muted),
            Decision::Forbidden
        );
        assert_eq!(d(&student, Operation::ReadChat, &removed), Decision::Hidden);
        assert_eq!(
            d(&student, Operation::PostInChat, &removed),
            Decision::Hidden
        );
        assert_eq!(
            d(&student, Operation::ModerateChat, &free),
            Decision::Forbidden
        );
        // The school's administration moderates every chat of its school (complaints), not
        // another school's, and reads none it is not a member of.
        let admin = |orgs| {
            principal(
                Role::SchoolAdmin,
                Scope {
                    organisations: orgs,
                    ..Scope::default()
                },
            )
        };
        assert_eq!(
            d(&admin(vec![o]), Operation::ModerateChat, &free),
            Decision::Allow
        );
        assert_eq!(
            d(&admin(vec![o]), Operation::ReadChat, &free),
            Decision::Hidden
        );
        assert_eq!(
            d(
                &admin(vec![OrganisationId::new()]),
                Operation::ModerateChat,
                &free
            ),
            Decision::Hidden
        );
        // A personal chat: the administration settles complaints about others', not one
        // it is part of.
        let personal = |member| ChatFacts {
            audience: ChatAudience::Members {
                member,
                moderator: false,
            },
            ..free.clone()
        };
        assert_eq!(
            d(&admin(vec![o]), Operation::ModerateChat, &personal(false)),
            Decision::Allow
        );
        assert_eq!(
            d(&admin(vec![o]), Operation::ModerateChat, &personal(true)),
            Decision::Forbidden
        );
        // A community of its school: the administration settles complaints, a member of
        // it or not.
        let community = |member| ChatFacts {
            audience: ChatAudience::Community {
                member,
                moderator: false,
            },
            ..free.clone()
        };
        for member in [true, false] {
            assert_eq!(
                d(&admin(vec![o]), Operation::ModerateChat, &community(member)),
                Decision::Allow
            );
        }
    }

    #[test]
    fn a_channel_is_written_by_its_authors_and_commented_by_its_readers() {
        let o = OrganisationId::new();
        let channel = |reader, author, read_only, restriction| ChatFacts {
            org: o,
            audience: ChatAudience::Channel { reader, author },
            read_only,
            restriction,
        };
        let parent = principal(Role::Parent, Scope::default());
        let d = |p: &Principal, op, f: &ChatFacts| decide(p, op, Target::Chat(f));
        let none = ChatRestriction::None;
        // A reader reads; comments only when the channel is not read-only, not muted.
        let closed = channel(true, false, true, none);
        let open = channel(true, false, false, none);
        assert_eq!(d(&parent, Operation::ReadChat, &closed), Decision::Allow);
        assert_eq!(
            d(&parent, Operation::PostInChat, &closed),
            Decision::Forbidden
        );
        assert_eq!(d(&parent, Operation::PostInChat, &open), Decision::Allow);
        let muted = channel(true, false, false, ChatRestriction::Muted);
        assert_eq!(
            d(&parent, Operation::PostInChat, &muted),
            Decision::Forbidden
        );
        assert_eq!(
            d(&parent, Operation::ModerateChat, &open),
            Decision::Forbidden
        );
        // Not a reader: the channel is hidden.
        let stranger = channel(false, false, false, none);
        assert_eq!(d(&parent, Operation::ReadChat, &stranger), Decision::Hidden);
        assert_eq!(
            d(&parent, Operation::PostInChat, &stranger),
            Decision::Hidden
        );
        // An author posts in a read-only channel and moderates it.
        let author = channel(false, true, true, none);
        assert_eq!(d(&parent, Operation::PostInChat, &author), Decision::Allow);
        assert_eq!(
            d(&parent, Operation::ModerateChat, &author),
            Decision::Allow
        );
        // A teacher opens their own channel in their school; nobody else, the platform's
        // administrator included.
        let school = OrgFacts {
            organisation: o,
            municipality: MunicipalityId::new(),
            region: RegionCode("77".into()),
        };
        let in_school = Scope {
            organisations: vec![o],
            ..Scope::default()
        };
        let create =
            |p: &Principal| decide(p, Operation::CreateChannel, Target::Organisation(&school));
        assert_eq!(
            create(&principal(Role::Teacher, in_school.clone())),
            Decision::Allow
        );
        assert_eq!(
            create(&principal(Role::Teacher, Scope::default())),
            Decision::Forbidden
        );
        assert_eq!(
            create(&principal(Role::SchoolAdmin, in_school)),
            Decision::Forbidden
        );
        assert_eq!(
            create(&principal(Role::PlatformAdmin, Scope::default())),
            Decision::Forbidden
        );
        // A class's broadcast: a teacher of it in the school of their role — not the same
        // teacher acting in their other school's role.
        let class = ClassId::new();
        let facts = ClassFacts {
            class,
            org: school.clone(),
        };
        let teaching = |orgs: Vec<OrganisationId>| {
            principal(
                Role::Teacher,
                Scope {
                    organisations: orgs,
                    taught_classes: vec![class],
                    ..Scope::default()
                },
            )
        };
        let broadcast =
            |p: &Principal| decide(p, Operation::CreateBroadcast, Target::Class(&facts));
        assert_eq!(broadcast(&teaching(vec![o])), Decision::Allow);
        assert_eq!(
            broadcast(&teaching(vec![OrganisationId::new()])),
            Decision::Forbidden
        );
    }

    #[test]
    fn a_schools_rooms_are_for_its_staff() {
        let o = org();
        let staff = Scope {
            organisations: vec![o.organisation],
            ..Scope::default()
        };
        let teacher = principal(Role::Teacher, staff.clone());
        let parent = principal(Role::Parent, staff);
        let elsewhere = principal(Role::SchoolAdmin, Scope::default());
        let target = Target::Organisation(&o);
        assert_eq!(
            decide(&teacher, Operation::ReadTimetable, target),
            Decision::Allow
        );
        assert_eq!(
            decide(&parent, Operation::ReadTimetable, target),
            Decision::Hidden
        );
        assert_eq!(
            decide(&elsewhere, Operation::ReadTimetable, target),
            Decision::Hidden
        );
    }

    #[test]
    fn a_school_manages_its_people_but_not_an_operator_among_them() {
        let o = org();
        let admin = principal(
            Role::SchoolAdmin,
            Scope {
                organisations: vec![o.organisation],
                ..Scope::default()
            },
        );
        let parent = PersonFacts {
            person: PersonId::new(),
            orgs: vec![o.clone()],
            ..Default::default()
        };
        let op = Operation::ManagePerson;
        assert_eq!(decide(&admin, op, Target::Person(&parent)), Decision::Allow);
        // A regional operator whose child studies here: seen, not managed.
        let operator = PersonFacts {
            operator: true,
            ..parent.clone()
        };
        assert_eq!(
            decide(&admin, op, Target::Person(&operator)),
            Decision::Forbidden
        );
        // The director of another school who is a parent here.
        let other_director = PersonFacts {
            admin_of: vec![OrganisationId::new()],
            ..parent.clone()
        };
        assert_eq!(
            decide(&admin, op, Target::Person(&other_director)),
            Decision::Forbidden
        );
        // A colleague administering the same school is managed.
        let colleague = PersonFacts {
            admin_of: vec![o.organisation],
            ..parent.clone()
        };
        assert_eq!(
            decide(&admin, op, Target::Person(&colleague)),
            Decision::Allow
        );
        // Someone of another school is not even seen; a teacher manages nobody.
        let stranger = PersonFacts {
            orgs: vec![org()],
            ..parent.clone()
        };
        assert_eq!(
            decide(&admin, op, Target::Person(&stranger)),
            Decision::Hidden
        );
        let teacher = principal(
            Role::Teacher,
            Scope {
                organisations: vec![o.organisation],
                ..Scope::default()
            },
        );
        let colleague_teacher = PersonFacts {
            staff_orgs: vec![o.organisation],
            ..parent
        };
        assert_eq!(
            decide(&teacher, op, Target::Person(&colleague_teacher)),
            Decision::Forbidden
        );
    }

    #[test]
    fn parent_sees_own_child_only() {
        let child = PersonId::new();
        let p = principal(
            Role::Parent,
            Scope {
                children: vec![child],
                ..Scope::default()
            },
        );
        let mine = PersonFacts {
            person: child,
            ..Default::default()
        };
        let other = PersonFacts {
            person: PersonId::new(),
            ..Default::default()
        };
        assert_eq!(
            decide(&p, Operation::ReadPerson, Target::Person(&mine)),
            Decision::Allow
        );
        assert_eq!(
            decide(&p, Operation::ReadPerson, Target::Person(&other)),
            Decision::Hidden
        );
    }

    #[test]
    fn teacher_sees_students_of_taught_classes_only() {
        let class = ClassId::new();
        let o = org();
        let p = principal(
            Role::Teacher,
            Scope {
                taught_classes: vec![class],
                organisations: vec![o.organisation],
                ..Scope::default()
            },
        );
        let inside = PersonFacts {
            person: PersonId::new(),
            student_classes: vec![class],
            orgs: vec![o.clone()],
            ..Default::default()
        };
        let same_school_other_class = PersonFacts {
            person: PersonId::new(),
            student_classes: vec![ClassId::new()],
            orgs: vec![o],
            ..Default::default()
        };
        assert_eq!(
            decide(&p, Operation::ReadPerson, Target::Person(&inside)),
            Decision::Allow
        );
        assert_eq!(
            decide(
                &p,
                Operation::ReadPerson,
                Target::Person(&same_school_other_class)
            ),
            Decision::Hidden
        );
        assert_eq!(
            decide(&p, Operation::UpdateOwnContacts, Target::Person(&inside)),
            Decision::Forbidden
        );
    }

    #[test]
    fn operator_needs_grant_for_personal_data() {
        let o = org();
        let mut p = principal(
            Role::MunicipalOperator,
            Scope {
                municipalities: vec![o.municipality],
                ..Scope::default()
            },
        );
        let f = PersonFacts {
            person: PersonId::new(),
            orgs: vec![o.clone()],
            ..Default::default()
        };
        assert_eq!(
            decide(&p, Operation::ReadPerson, Target::Person(&f)),
            Decision::Hidden
        );
        p.active.personal_data_granted = true;
        assert_eq!(
            decide(&p, Operation::ReadPerson, Target::Person(&f)),
            Decision::Allow
        );
    }

    #[test]
    fn all_holds_every_operation_once() {
        for (i, op) in Operation::ALL.iter().enumerate() {
            assert_eq!(op.index(), i, "{op:?} is out of place in Operation::ALL");
        }
    }

    #[test]
    fn only_the_administration_edits_a_closed_period() {
        let o = org();
        let class = ClassFacts {
            class: ClassId::new(),
            org: o.clone(),
        };
        let scope = Scope {
            organisations: vec![o.organisation],
            ..Scope::default()
        };
        let admin = principal(Role::SchoolAdmin, scope.clone());
        assert_eq!(
            decide(&admin, Operation::EditClosedPeriod, Target::Class(&class)),
            Decision::Allow
        );
        let teacher = principal(Role::Teacher, scope);
        assert_eq!(
            decide(&teacher, Operation::EditClosedPeriod, Target::Class(&class)),
            Decision::Forbidden
        );
        let other = principal(
            Role::SchoolAdmin,
            Scope {
                organisations: vec![OrganisationId::new()],
                ..Scope::default()
            },
        );
        assert_eq!(
            decide(&other, Operation::EditClosedPeriod, Target::Class(&class)),
            Decision::Forbidden
        );
    }

    #[test]
    fn a_homework_answer_reaches_its_family_and_the_journal_staff_only() {
        let o = org();
        let class = ClassFacts {
            class: ClassId::new(),
            org: o.clone(),
        };
        let child = PersonId::new();
        let a = AttachmentFacts {
            journal: JournalFacts {
                class: class.clone(),
                subject: "math".into(),
                lesson_teacher: Some(PersonId::new()),
            },
            answer_of: Some(child),
            family_in_lesson: true,
        };
        let parent = principal(
            Role::Parent,
            Scope {
                children: vec![child],
                ..Scope::default()
            },
        );
        assert_eq!(
            decide(
                &parent,
                Operation::DownloadAttachment,
                Target::Attachment(&a)
            ),
            Decision::Allow
        );
        // A classmate's parent: the lesson is their child's too, the answer is not.
        let other = principal(
            Role::Parent,
            Scope {
                children: vec![PersonId::new()],
                ..Scope::default()
            },
        );
        assert_eq!(
            decide(
                &other,
                Operation::DownloadAttachment,
                Target::Attachment(&a)
            ),
            Decision::Hidden
        );
        let material = AttachmentFacts {
            answer_of: None,
            ..a.clone()
        };
        assert_eq!(
            decide(
                &other,
                Operation::DownloadAttachment,
                Target::Attachment(&material)
            ),
            Decision::Allow
        );
        let admin = principal(
            Role::SchoolAdmin,
            Scope {
                organisations: vec![o.organisation],
                ..Scope::default()
            },
        );
        assert_eq!(
            decide(
                &admin,
                Operation::DownloadAttachment,
                Target::Attachment(&a)
            ),
            Decision::Allow
        );
    }

    #[test]
    fn a_group_teacher_grades_their_group_only() {
        let o = org();
        let class = ClassFacts {
            class: ClassId::new(),
            org: o.clone(),
        };
        let teacher = principal(
            Role::Teacher,
            Scope {
                organisations: vec![o.organisation],
                taught_subjects: vec![crate::principal::TaughtSubject {
                    class: class.class,
                    subject: "english".into(),
                }],
                ..Scope::default()
            },
        );
        let (mine, other) = (PersonId::new(), PersonId::new());
        let g = |student| GradeFacts {
            journal: JournalFacts {
                class: class.clone(),
                subject: "english".into(),
                lesson_teacher: None,
            },
            student,
            grader_groups: Some(vec![mine]),
        };
        assert_eq!(
            decide(&teacher, Operation::GradeStudent, Target::Grade(&g(mine))),
            Decision::Allow
        );
        assert_eq!(
            decide(&teacher, Operation::GradeStudent, Target::Grade(&g(other))),
            Decision::Forbidden
        );
    }

    #[test]
    fn every_operation_scope_is_a_known_scope() {
        for op in Operation::ALL {
            if op != Operation::ManageApiTokens {
                assert!(TOKEN_SCOPES.contains(&op.token_scope()), "{op:?}");
            }
        }
        assert!(!TOKEN_SCOPES.contains(&Operation::ManageApiTokens.token_scope()));
    }

    #[test]
    fn token_without_scope_is_refused() {
        let mut p = principal(Role::PlatformAdmin, Scope::default());
        p.via = Via::ApiToken {
            scopes: vec!["registry:read".into()],
        };
        assert_eq!(
            decide(&p, Operation::ManageApiTokens, Target::Platform),
            Decision::Forbidden
        );
        let o = org();
        assert_eq!(
            decide(&p, Operation::ReadOrganisation, Target::Organisation(&o)),
            Decision::Allow
        );
    }

    #[test]
    fn a_token_without_scope_learns_nothing_more_than_its_role() {
        let mut p = principal(Role::Parent, Scope::default());
        p.via = Via::ApiToken {
            scopes: vec!["tokens:manage".into()],
        };
        let stranger = PersonFacts {
            person: PersonId::new(),
            ..Default::default()
        };
        assert_eq!(
            decide(&p, Operation::ReadPerson, Target::Person(&stranger)),
            Decision::Hidden
        );
        let me = PersonFacts {
            person: p.person_id,
            ..Default::default()
        };
        assert_eq!(
            decide(&p, Operation::ReadPerson, Target::Person(&me)),
            Decision::Forbidden
        );
    }

    #[test]
    fn a_school_sees_the_diary_of_its_students_only() {
        let o = org();
        let p = principal(
            Role::SchoolAdmin,
            Scope {
                organisations: vec![o.organisation],
                ..Scope::default()
            },
        );
        let student = PersonFacts {
            person: PersonId::new(),
            student_classes: vec![ClassId::new()],
            orgs: vec![o.clone()],
            student_orgs: vec![o.clone()],
            ..Default::default()
        };
        // Works here (or has a child here) but studies elsewhere.
        let staff_elsewhere_student = PersonFacts {
            person: PersonId::new(),
            student_classes: vec![ClassId::new()],
            orgs: vec![o.clone(), org()],
            staff_orgs: vec![o.organisation],
            student_orgs: vec![org()],
            ..Default::default()
        };
        assert_eq!(
            decide(&p, Operation::ReadDiary, Target::Person(&student)),
            Decision::Allow
        );
        assert_eq!(
            decide(
                &p,
                Operation::ReadDiary,
                Target::Person(&staff_elsewhere_student)
            ),
            Decision::Hidden
        );
    }

    #[test]
    fn each_role_sees_only_the_fields_it_needs() {
        let o = org();
        let class = ClassId::new();
        let teacher = principal(
            Role::Teacher,
            Scope {
                taught_classes: vec![class],
                organisations: vec![o.organisation],
                ..Scope::default()
            },
        );
        let student = PersonFacts {
            person: PersonId::new(),
            student_classes: vec![class],
            orgs: vec![o.clone()],
            student_orgs: vec![o.clone()],
            parents: vec![PersonId::new()],
            ..Default::default()
        };
        let parent = PersonFacts {
            person: student.parents[0],
            children: vec![student.person],
            children_classes: vec![class],
            orgs: vec![o.clone()],
            ..Default::default()
        };
        let colleague = PersonFacts {
            person: PersonId::new(),
            staff_orgs: vec![o.organisation],
            orgs: vec![o.clone()],
            ..Default::default()
        };
        // A teacher: the student's name, class and parents; never СНИЛС, birth date or
        // contacts.
        let v = person_view(&teacher, &student, true);
        assert!(v.current_class && v.relatives && v.own_schools_only);
        assert!(!v.snils && !v.birth_date && !v.contacts && !v.full_history && !v.sex);
        assert_eq!(
            v.hidden(),
            ["birth_date", "sex", "snils", "email", "phone", "positions"]
        );
        // The parents' contacts only where the school allows it.
        assert!(person_view(&teacher, &parent, true).contacts);
        let v = person_view(&teacher, &parent, false);
        assert!(!v.contacts && !v.snils && !v.relatives);
        // Colleagues: the staff directory.
        let v = person_view(&teacher, &colleague, true);
        assert!(v.positions && !v.contacts && !v.birth_date && !v.snils);
        // The school, the parents of a child and the person see everything.
        let admin = principal(
            Role::SchoolAdmin,
            Scope {
                organisations: vec![o.organisation],
                ..Scope::default()
            },
        );
        assert_eq!(person_view(&admin, &student, false), PersonView::FULL);
        let mut mum = principal(
            Role::Parent,
            Scope {
                children: vec![student.person],
                ..Scope::default()
            },
        );
        mum.person_id = parent.person;
        assert_eq!(person_view(&mum, &student, false), PersonView::FULL);
        assert_eq!(person_view(&mum, &parent, false), PersonView::FULL);
        // A student sees how to reach their parents, not their documents.
        let mut child = principal(Role::Student, Scope::default());
        child.person_id = student.person;
        let v = person_view(&child, &parent, false);
        assert!(v.contacts && !v.snils && !v.birth_date);
        // Operators with the grant: the official record without documents or contacts.
        let mut op = principal(
            Role::RegionalOperator,
            Scope {
                regions: vec![o.region.clone()],
                ..Scope::default()
            },
        );
        op.active.personal_data_granted = true;
        let v = person_view(&op, &student, false);
        assert!(v.birth_date && v.full_history && !v.snils && !v.contacts);
    }

    #[test]
    fn teachers_see_colleagues_not_classless_students() {
        let o = org();
        let p = principal(
            Role::Teacher,
            Scope {
                organisations: vec![o.organisation],
                ..Scope::default()
            },
        );
        let colleague = PersonFacts {
            person: PersonId::new(),
            orgs: vec![o.clone()],
            staff_orgs: vec![o.organisation],
            ..Default::default()
        };
        let classless = PersonFacts {
            person: PersonId::new(),
            orgs: vec![o],
            ..Default::default()
        };
        assert_eq!(
            decide(&p, Operation::ReadPerson, Target::Person(&colleague)),
            Decision::Allow
        );
        assert_eq!(
            decide(&p, Operation::ReadPerson, Target::Person(&classless)),
            Decision::Hidden
        );
    }
}
