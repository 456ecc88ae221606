//! Registry types and their invariants. No I/O here.

use parta_core::ids::{AcademicYearId, ClassId, MunicipalityId, OrganisationId, PersonId};
use parta_core::FieldError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Субъект РФ.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Region {
    pub code: String,
    pub name: String,
}

/// An entry of a reference book (НСИ); `source` is `federal` or `local`.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct ReferenceEntry {
    pub code: String,
    pub name: String,
    pub source: String,
}

/// Request: a local entry of a reference book (a regional subject, a position).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewReferenceEntry {
    /// Latin letters, digits and `_`, 2–32 characters.
    pub code: String,
    pub name: String,
    /// For subjects: the grades it is taught in.
    pub grade_from: Option<i64>,
    pub grade_to: Option<i64>,
}

/// Reference books by their API name: (table, may an operator add local entries).
pub const REFERENCE_BOOKS: [(&str, &str, bool); 7] = [
    ("regions", "ref_regions", false),
    ("org-types", "ref_org_types", true),
    ("grade-levels", "ref_grade_levels", false),
    ("subjects", "ref_subjects", true),
    ("mark-scales", "ref_mark_scales", false),
    ("positions", "ref_positions", true),
    ("work-types", "ref_work_types", false),
];

/// Муниципальное образование.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Municipality {
    pub id: MunicipalityId,
    pub region_code: String,
    pub region_name: String,
    pub name: String,
    pub oktmo: Option<String>,
}

/// Образовательная организация.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Organisation {
    pub id: OrganisationId,
    pub municipality_id: MunicipalityId,
    pub municipality_name: String,
    pub region_code: String,
    pub kind: String,
    pub kind_name: String,
    pub full_name: String,
    pub short_name: String,
    pub inn: String,
    pub ogrn: String,
    pub address: String,
    pub head_id: Option<PersonId>,
    pub head_name: Option<String>,
    pub student_count: i64,
}

/// A page of results with an opaque cursor for the next one.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Класс, as listed on a school page.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct ClassSummary {
    pub id: ClassId,
    pub organisation_id: OrganisationId,
    pub academic_year_id: AcademicYearId,
    pub academic_year: String,
    pub grade_level: String,
    pub letter: String,
    pub name: String,
    pub class_teacher_id: Option<PersonId>,
    pub class_teacher_name: Option<String>,
    pub student_count: i64,
}

/// A person named in a list.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct PersonBrief {
    pub id: PersonId,
    pub last_name: String,
    pub first_name: String,
    pub middle_name: Option<String>,
}

impl PersonBrief {
    pub fn full_name(&self) -> String {
        full_name(
            &self.last_name,
            &self.first_name,
            self.middle_name.as_deref(),
        )
    }
}

pub fn full_name(last: &str, first: &str, middle: Option<&str>) -> String {
    match middle {
        Some(m) if !m.is_empty() => format!("{last} {first} {m}"),
        _ => format!("{last} {first}"),
    }
}

/// A teacher of a class with the subjects they teach there.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClassTeacher {
    pub person: PersonBrief,
    pub subjects: Vec<String>,
}

/// Class page: who studies and who teaches.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClassDetail {
    pub class: ClassSummary,
    pub organisation_name: String,
    pub students: Vec<PersonBrief>,
    pub teachers: Vec<ClassTeacher>,
}

/// A school's privacy settings (what it shares beyond the law's minimum).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PrivacySettings {
    /// Teachers see the phone and e-mail of their students' parents.
    pub parent_contacts_to_teachers: bool,
}

/// Person card (карточка человека).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PersonCard {
    pub id: PersonId,
    pub last_name: String,
    pub first_name: String,
    pub middle_name: Option<String>,
    pub birth_date: Option<String>,
    pub sex: Option<String>,
    pub snils: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub enrolments: Vec<Enrolment>,
    pub positions: Vec<StaffPosition>,
    pub parents: Vec<Relative>,
    pub children: Vec<Relative>,
    /// Fields the caller's role does not see (152-FZ art. 5), as named here: they come
    /// empty. Empty for the person, their parents and their school.
    pub hidden: Vec<String>,
}

impl PersonCard {
    /// Keeps what `view` shows; `caller_orgs` are the caller's schools, for views that
    /// show stays and positions only there.
    pub fn restrict(
        mut self,
        view: &parta_core::policy::PersonView,
        caller_orgs: &[parta_core::ids::OrganisationId],
    ) -> Self {
        if !view.birth_date {
            self.birth_date = None;
        }
        if !view.sex {
            self.sex = None;
        }
        if !view.snils {
            self.snils = None;
        }
        if !view.contacts {
            self.email = None;
            self.phone = None;
        }
        if !view.full_history {
            self.enrolments.retain(|e| {
                view.current_class
                    && e.ended_on.is_none()
                    && caller_orgs.contains(&e.organisation_id)
            });
        }
        if !view.positions {
            self.positions.clear();
        } else if view.own_schools_only {
            self.positions
                .retain(|p| caller_orgs.contains(&p.organisation_id));
        }
        if !view.relatives {
            self.parents.clear();
            self.children.clear();
        }
        self.hidden = view.hidden().into_iter().map(str::to_string).collect();
        self
    }
}

/// One stay in a school (история обучения).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Enrolment {
    pub id: String,
    pub organisation_id: OrganisationId,
    pub organisation_name: String,
    pub class_id: Option<ClassId>,
    pub class_name: Option<String>,
    pub started_on: String,
    /// `admitted` (зачислен) or `transferred_in` (переведён из другой школы).
    pub start_reason: String,
    pub ended_on: Option<String>,
    /// `transferred` (переведён), `expelled` (отчислен), `graduated` (выпущен).
    pub end_reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct StaffPosition {
    pub organisation_id: OrganisationId,
    pub organisation_name: String,
    pub position: String,
    pub position_name: String,
    pub started_on: String,
}

/// A parent or child with the kind of link (mother, father, guardian, trustee).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Relative {
    pub id: PersonId,
    pub last_name: String,
    pub first_name: String,
    pub middle_name: Option<String>,
    pub kind: String,
}

/// The kinds of link between a parent and a child.
pub const GUARDIAN_KINDS: [(&str, &str); 5] = [
    ("mother", "мать"),
    ("father", "отец"),
    ("guardian", "опекун"),
    ("trustee", "попечитель"),
    ("other", "иной законный представитель"),
];

/// Why a stay in a school ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    Transferred,
    Expelled,
    Graduated,
}

impl EndReason {
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Transferred => "transferred",
            EndReason::Expelled => "expelled",
            EndReason::Graduated => "graduated",
        }
    }
}

/// Request: a new organisation.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewOrganisation {
    pub municipality_id: MunicipalityId,
    pub kind: String,
    pub full_name: String,
    pub short_name: String,
    pub inn: String,
    pub ogrn: String,
    pub address: String,
}

/// Request: a new class in an academic year.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewClass {
    pub academic_year_id: AcademicYearId,
    pub grade_level: String,
    /// Литера: «А», «Б», …
    pub letter: String,
    pub class_teacher_id: Option<PersonId>,
}

/// Request: enrol a student (зачисление) or transfer them in from another school.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct Enrol {
    pub person_id: PersonId,
    pub class_id: ClassId,
    /// ISO date `YYYY-MM-DD`.
    pub date: String,
    pub order_ref: Option<String>,
    /// The student's СНИЛС: required when they come from another school, as proof
    /// that the school admitting them holds their documents.
    pub snils: Option<String>,
}

/// Request: end a student's stay in a school.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct EndEnrolment {
    pub person_id: PersonId,
    pub date: String,
    pub reason: EndReason,
    pub order_ref: Option<String>,
}

/// Request: a person corrects their own contact data (DATA-4).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ContactUpdate {
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// Request: ask the school to correct official data (name, birth date, SNILS).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ChangeRequestInput {
    /// `last_name`, `first_name`, `middle_name`, `birth_date` or `snils`.
    pub field: String,
    pub new_value: String,
    pub comment: Option<String>,
}

/// A request to correct official data, as the school sees it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct ChangeRequest {
    pub id: String,
    pub person_id: PersonId,
    pub person_name: String,
    pub requested_by: PersonId,
    pub field: String,
    pub current_value: Option<String>,
    pub new_value: String,
    pub comment: Option<String>,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    pub created_at: i64,
}

/// Request: the school's decision on a correction request.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ChangeDecision {
    pub approve: bool,
    pub comment: Option<String>,
}

/// Request: a new academic year of a school.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewAcademicYear {
    /// «2027/2028»
    pub name: String,
    pub starts_on: String,
    pub ends_on: String,
}

/// Request: a person the school registers (a newcomer with no record anywhere yet).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewPerson {
    pub last_name: String,
    pub first_name: String,
    pub middle_name: Option<String>,
    pub birth_date: Option<String>,
    /// `male` or `female`.
    pub sex: Option<String>,
    pub snils: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// `student`, `parent` or `teacher`.
    pub role: String,
    /// For a student: enrol at once in this class of the school.
    pub class_id: Option<ClassId>,
    /// For a parent: the child of this school they represent (required: a parent is
    /// known to a school through a child).
    #[serde(default)]
    pub child_id: Option<PersonId>,
    /// For a parent: `mother`, `father`, `guardian`, `trustee` or `other`.
    #[serde(default)]
    pub guardian_kind: Option<String>,
    /// For staff: the position (`teacher` when not given; `head` and `deputy_head` make
    /// a school administrator).
    #[serde(default)]
    pub position: Option<String>,
}

/// Request: the school corrects a person's card.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct PersonEdit {
    pub last_name: String,
    pub first_name: String,
    pub middle_name: Option<String>,
    pub birth_date: Option<String>,
    /// `male` or `female`.
    pub sex: Option<String>,
    pub snils: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// A card's fields, checked and normalised.
#[derive(Debug, Clone, Default)]
pub struct CheckedPerson {
    pub last_name: String,
    pub first_name: String,
    pub middle_name: Option<String>,
    pub birth_date: Option<String>,
    pub sex: Option<String>,
    pub snils: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

impl PersonEdit {
    /// Every problem at once, each on its field, in plain Russian.
    pub fn check(&self) -> Result<CheckedPerson, Vec<FieldError>> {
        let mut errors = Vec::new();
        let none_if_empty = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let (last, first) = (self.last_name.trim(), self.first_name.trim());
        if last.is_empty() || last.chars().count() > 100 {
            errors.push(FieldError::new("last_name", "Укажите фамилию."));
        }
        if first.is_empty() || first.chars().count() > 100 {
            errors.push(FieldError::new("first_name", "Укажите имя."));
        }
        let middle = none_if_empty(&self.middle_name);
        if middle.as_deref().is_some_and(|m| m.chars().count() > 100) {
            errors.push(FieldError::new("middle_name", "Отчество слишком длинное."));
        }
        let birth_date = none_if_empty(&self.birth_date).map(|d| parse_human_date(&d).unwrap_or(d));
        if birth_date.as_deref().is_some_and(|d| {
            !valid_date(d) || d < "1900-01-01" || d > parta_core::time::today().to_string().as_str()
        }) {
            errors.push(FieldError::new(
                "birth_date",
                "Дата рождения — например, 04.07.2015.",
            ));
        }
        let sex = none_if_empty(&self.sex);
        if sex.as_deref().is_some_and(|s| s != "male" && s != "female") {
            errors.push(FieldError::new("sex", "Пол — мужской или женский."));
        }
        let snils = none_if_empty(&self.snils);
        if snils.as_deref().is_some_and(|s| !valid_snils(s)) {
            errors.push(FieldError::new(
                "snils",
                "СНИЛС указан с ошибкой: проверьте цифры (11 цифр, например 112-233-445 95).",
            ));
        }
        let contacts = ContactUpdate {
            email: self.email.clone(),
            phone: self.phone.clone(),
        }
        .validate();
        let (email, phone) = match contacts {
            Ok(c) => c,
            Err(e) => {
                errors.extend(e);
                (None, None)
            }
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(CheckedPerson {
            last_name: last.to_string(),
            first_name: first.to_string(),
            middle_name: middle,
            birth_date,
            sex,
            snils: snils.as_deref().and_then(parta_core::snils::normalise),
            email,
            phone,
        })
    }
}

/// A date as people type it (04.07.2015) or as forms send it (2015-07-04), in ISO.
pub fn parse_human_date(s: &str) -> Option<String> {
    let s = s.trim();
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| chrono::NaiveDate::parse_from_str(s, "%d.%m.%Y"))
        .ok()
        .map(|d| d.to_string())
}

impl From<&NewPerson> for PersonEdit {
    fn from(n: &NewPerson) -> Self {
        PersonEdit {
            last_name: n.last_name.clone(),
            first_name: n.first_name.clone(),
            middle_name: n.middle_name.clone(),
            birth_date: n.birth_date.clone(),
            sex: n.sex.clone(),
            snils: n.snils.clone(),
            email: n.email.clone(),
            phone: n.phone.clone(),
        }
    }
}

/// Request: a parent (legal representative) linked to a child.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct GuardianLink {
    pub parent_id: PersonId,
    /// `mother`, `father`, `guardian`, `trustee` or `other`.
    pub kind: String,
}

/// Request: a staff position in the school.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewPosition {
    /// A code of the positions reference book (`teacher`, `deputy_head` …).
    pub position: String,
}

/// Request: a member of staff leaves the school (their positions and roles there end).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct StaffLeaves {
    pub date: String,
}

/// A person as the school's people list shows them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SchoolMember {
    pub person: PersonBrief,
    /// `student`, `staff` or `parent`.
    pub kind: String,
    /// The class of a student, the position of staff, the children's classes of a parent.
    pub detail: String,
}

/// A student or a parent of a class, for accounts and letters.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FamilyMember {
    pub person: PersonBrief,
    /// `student` or `parent`.
    pub kind: String,
    /// A parent's children in the class, by name.
    pub children: Vec<String>,
}

/// The end of a school year (перевод в следующий класс, выпуск): what happens to each
/// class of the year that ends.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct YearEndPlan {
    #[schema(value_type = String)]
    pub from_year_id: AcademicYearId,
    #[schema(value_type = Option<String>)]
    pub to_year_id: Option<AcademicYearId>,
    pub from_year: String,
    pub from_ends_on: String,
    /// `None` when the next year is not opened yet.
    pub to_year: Option<String>,
    pub to_starts_on: Option<String>,
    pub classes: Vec<YearEndClass>,
    /// The year is over (the last day has passed) and the step may be taken.
    pub ready: bool,
    /// Done already: the classes of the next year hold the students.
    pub done: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct YearEndClass {
    pub class_id: ClassId,
    pub name: String,
    pub grade: i64,
    pub students: i64,
    /// The class it becomes («6А»), or `None` when it graduates.
    pub becomes: Option<String>,
}

/// Request: take the end-of-year step.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct YearEnd {
    /// 9th-grade classes graduate too (those who leave after the basic school); their
    /// students who stay are enrolled in the 10th by hand.
    #[serde(default)]
    pub graduate_ninth: bool,
}

/// What the end-of-year step did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct YearEndReport {
    pub promoted: i64,
    pub graduated: i64,
    pub classes_created: i64,
}

pub const OFFICIAL_FIELDS: [&str; 5] = [
    "last_name",
    "first_name",
    "middle_name",
    "birth_date",
    "snils",
];

/// Checks ИНН of a legal entity: 10 digits with the federal checksum.
pub fn valid_inn(inn: &str) -> bool {
    let d: Vec<u32> = inn.chars().filter_map(|c| c.to_digit(10)).collect();
    if d.len() != 10 || inn.len() != 10 {
        return false;
    }
    const W: [u32; 9] = [2, 4, 10, 3, 5, 9, 4, 6, 8];
    let sum: u32 = W.iter().zip(&d).map(|(w, x)| w * x).sum();
    (sum % 11) % 10 == d[9]
}

/// Checks ОГРН: 13 digits, the last is (first 12 mod 11) mod 10.
pub fn valid_ogrn(ogrn: &str) -> bool {
    if ogrn.len() != 13 || !ogrn.chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    let Ok(body) = ogrn[..12].parse::<u64>() else {
        return false;
    };
    let check = (body % 11) % 10;
    ogrn[12..].parse::<u64>().is_ok_and(|c| c == check)
}

pub use parta_core::snils::valid_snils;

pub fn valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && s.len() <= 254
        && !s.contains(char::is_whitespace)
}

/// Russian phone numbers: +7 and ten digits, spaces, dashes and brackets allowed.
pub fn normalise_phone(s: &str) -> Option<String> {
    let digits: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
    let digits = match digits.len() {
        11 if digits.starts_with('8') || digits.starts_with('7') => digits[1..].to_string(),
        10 => digits,
        _ => return None,
    };
    if s.chars()
        .any(|c| !(c.is_ascii_digit() || " +-()".contains(c)))
    {
        return None;
    }
    Some(format!("+7{digits}"))
}

pub fn valid_date(s: &str) -> bool {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
}

impl NewOrganisation {
    /// All problems at once, so a form shows every field to fix.
    pub fn validate(&self) -> Vec<FieldError> {
        let mut e = Vec::new();
        if self.full_name.trim().len() < 3 {
            e.push(FieldError::new(
                "full_name",
                "Укажите полное наименование организации.",
            ));
        }
        if self.short_name.trim().is_empty() {
            e.push(FieldError::new(
                "short_name",
                "Укажите краткое наименование.",
            ));
        }
        if !valid_inn(&self.inn) {
            e.push(FieldError::new(
                "inn",
                "ИНН организации — 10 цифр с верной контрольной цифрой.",
            ));
        }
        if !valid_ogrn(&self.ogrn) {
            e.push(FieldError::new(
                "ogrn",
                "ОГРН — 13 цифр с верной контрольной цифрой.",
            ));
        }
        if self.address.trim().len() < 5 {
            e.push(FieldError::new("address", "Укажите адрес организации."));
        }
        e
    }
}

impl ContactUpdate {
    /// Validated and normalised values.
    pub fn validate(&self) -> Result<(Option<String>, Option<String>), Vec<FieldError>> {
        let mut e = Vec::new();
        let email = match self.email.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(s) if valid_email(s) => Some(s.to_lowercase()),
            Some(_) => {
                e.push(FieldError::new(
                    "email",
                    "Адрес электронной почты указан неверно (пример: ivanova@mail.ru).",
                ));
                None
            }
        };
        let phone = match self.phone.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(s) => match normalise_phone(s) {
                Some(p) => Some(p),
                None => {
                    e.push(FieldError::new(
                        "phone",
                        "Телефон указан неверно (пример: +7 912 345-67-89).",
                    ));
                    None
                }
            },
        };
        if e.is_empty() {
            Ok((email, phone))
        } else {
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums() {
        assert!(valid_inn("7707083893"));
        assert!(!valid_inn("7707083894"));
        assert!(valid_ogrn("1027700132195"));
        assert!(!valid_ogrn("1027700132196"));
        assert!(valid_snils("112-233-445 95"));
        assert!(!valid_snils("112-233-445 96"));
    }

    #[test]
    fn phones_and_emails() {
        assert_eq!(
            normalise_phone("8 (912) 345-67-89").as_deref(),
            Some("+79123456789")
        );
        assert_eq!(normalise_phone("12345"), None);
        assert!(valid_email("a.b@school.ru"));
        assert!(!valid_email("a b@school.ru"));
    }
}

/// What a teacher teaches: a subject to a class (or to a group of it).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Assignment {
    pub id: String,
    pub class_id: ClassId,
    pub class_name: String,
    pub group_name: Option<String>,
    pub subject_code: String,
    pub subject_name: String,
}

/// Request: a teacher teaches a subject to a class.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewAssignment {
    /// The class taught whole; or `group_id` for a group of a class (подгруппа).
    pub class_id: Option<ClassId>,
    pub group_id: Option<parta_core::ids::GroupId>,
    pub subject_code: String,
}

/// A group of a school's class, for choosing whom a teacher teaches.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct SchoolGroup {
    pub id: parta_core::ids::GroupId,
    pub class_id: ClassId,
    pub class_name: String,
    pub name: String,
    pub subject_code: Option<String>,
}

/// A group of a class (подгруппа): a subject taught in halves, an elective.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClassGroup {
    pub id: parta_core::ids::GroupId,
    pub name: String,
    pub subject_code: Option<String>,
    pub members: Vec<PersonBrief>,
}

/// Request: a new group of a class, or its members.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewGroup {
    pub name: String,
    pub subject_code: Option<String>,
    /// Students of the class.
    pub members: Vec<PersonId>,
}
