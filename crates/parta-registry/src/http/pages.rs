//! Pages of the registry: schools, a school, a class, a person, access logs, my data,
//! correction requests.

use super::Web;
use crate::model::*;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Redirect};
use axum::Form;
use parta_core::policy::Operation;
use parta_core::principal::Role;
use parta_core::Problem;
use parta_db::audit::AuditRecord;
use parta_http::caller as auth;
use parta_http::i18n::Lang;
use parta_http::page::{messages, render, role_title, Ctx, PageReq};
use parta_http::PageCaller;
use parta_http::Pages;
use parta_http::{fail, PageResult};
use serde::Deserialize;

pub fn router() -> Pages<Web> {
    Pages::new()
        .get("/schools", schools)
        .get("/schools/{id}", school)
        .get("/schools/{id}/audit", school_audit)
        .post("/schools/{id}/privacy", school_privacy)
        .get("/classes/{id}", class_page)
        .get("/persons/{id}", person_page)
        .get("/persons/{id}/audit", person_audit)
        .get("/my-data", my_data)
        .post("/my-data/contacts", my_contacts)
        .post("/my-data/change-request", my_change_request)
        .get("/schools/{id}/change-requests", change_requests_page)
        .post("/change-requests/{id}/decision", change_decision)
        .merge(super::admin::router())
}

// ---- registry pages ----

pub struct MunicipalityOption {
    pub id: String,
    pub name: String,
    pub region_name: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "schools.html")]
struct SchoolsPage {
    ctx: Ctx,
    municipalities: Vec<MunicipalityOption>,
    selected: Option<String>,
    page: Page<Organisation>,
}

#[derive(Deserialize)]
struct SchoolsQuery {
    municipality_id: Option<String>,
    cursor: Option<String>,
}

async fn schools(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Query(q): Query<SchoolsQuery>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let selected = q.municipality_id.filter(|s| !s.is_empty());
    let mun = match &selected {
        Some(s) => match s.parse() {
            Ok(id) => Some(id),
            Err(_) => {
                return fail(Problem::invalid(
                    "municipality_id",
                    "Неизвестный муниципалитет.",
                ))
            }
        },
        None => None,
    };
    let page = st
        .registry
        .organisations(&r.caller.principal, mun, q.cursor.as_deref(), Some(50))
        .await?;
    let municipalities = st.registry.municipalities(None).await?;
    let municipalities = municipalities
        .into_iter()
        .map(|m| MunicipalityOption {
            selected: selected.as_deref() == Some(m.id.to_string().as_str()),
            id: m.id.to_string(),
            name: m.name,
            region_name: m.region_name,
        })
        .collect();
    Ok(render(&SchoolsPage {
        ctx: r.ctx(),
        municipalities,
        selected,
        page,
    }))
}

#[derive(Template)]
#[template(path = "school.html")]
struct SchoolPage {
    ctx: Ctx,
    t: &'static super::strings::Strings,
    org: Organisation,
    classes: Vec<ClassSummary>,
    /// The caller may see the school's classes.
    list: bool,
    /// Classes the caller may open (others are listed without a link).
    open: std::collections::HashSet<parta_core::ids::ClassId>,
    staff: Vec<(PersonBrief, String)>,
    manage: bool,
    privacy: Option<crate::model::PrivacySettings>,
}

#[derive(Deserialize)]
struct PrivacyForm {
    parent_contacts_to_teachers: Option<String>,
}

/// The school administration changes what the school shares.
async fn school_privacy(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<PrivacyForm>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let Ok(org) = id.parse() else {
        return fail(Problem::not_found());
    };
    let input = crate::model::PrivacySettings {
        parent_contacts_to_teachers: f.parent_contacts_to_teachers.is_some(),
    };
    match st
        .registry
        .set_privacy(&r.caller.principal, &r.caller.origin, org, input)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/schools/{org}?n=saved")).into_response()),
        Err(e) => fail(e),
    }
}

async fn school(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let Ok(id) = id.parse() else {
        return fail(Problem::not_found());
    };
    let p = &r.caller.principal;
    let org = st.registry.organisation(p, id).await?;
    // The classes for the school's staff and operators; the staff list and the privacy
    // settings for those who manage the school; others see the public part.
    let may = |op| st.registry.may_on_organisation(p, op, id);
    let (list, manage) = tokio::try_join!(
        may(Operation::ListClasses),
        may(Operation::ManageOrganisation)
    )?;
    let classes = if list {
        st.registry.classes(p, id).await?
    } else {
        Vec::new()
    };
    let ids: Vec<_> = classes.iter().map(|c| c.id).collect();
    let open = st.registry.readable_classes(p, id, &ids).await?;
    let (staff, privacy) = if manage {
        match tokio::try_join!(
            st.registry.staff(p, &r.caller.origin, id),
            st.registry.privacy(p, id)
        ) {
            Ok(v) => (v.0, Some(v.1)),
            Err(e) => return fail(e),
        }
    } else {
        (Vec::new(), None)
    };
    Ok(render(&SchoolPage {
        t: super::strings::strings(&r.headers),
        ctx: r.ctx(),
        org,
        classes,
        list,
        open,
        staff,
        manage,
        privacy,
    }))
}

#[derive(Template)]
#[template(path = "class.html")]
struct ClassPage {
    ctx: Ctx,
    t: &'static super::strings::Strings,
    detail: ClassDetail,
    /// People whose card the caller may open (others are listed without a link).
    open: std::collections::HashSet<parta_core::ids::PersonId>,
    /// The caller may read the class report (class teacher, administration).
    report: bool,
    /// The school's administration: accounts, adding a student, managing each.
    manage: bool,
}

async fn class_page(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let Ok(id) = id.parse() else {
        return fail(Problem::not_found());
    };
    let p = &r.caller.principal;
    let detail = st.registry.class(p, &r.caller.origin, id).await?;
    let people: Vec<_> = detail
        .students
        .iter()
        .map(|s| s.id)
        .chain(detail.teachers.iter().map(|t| t.person.id))
        .collect();
    let (open, report, manage) = tokio::try_join!(
        st.registry.readable_people(p, &people),
        st.registry.may_read_class_journal(p, id),
        st.registry.may_on_organisation(
            p,
            Operation::ManageOrganisation,
            detail.class.organisation_id
        )
    )?;
    Ok(render(&ClassPage {
        t: super::strings::strings(&r.headers),
        manage,
        ctx: r.ctx(),
        detail,
        open,
        report,
    }))
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage {
    ctx: Ctx,
    t: &'static super::strings::Strings,
    card: PersonCard,
    can_audit: bool,
    /// The school's administration may manage this person.
    manage: bool,
}

impl PersonPage {
    fn reason(&self, r: &str) -> &'static str {
        match (self.ctx.lang, r) {
            (Lang::Ru, "admitted") => "зачислен(а)",
            (Lang::Ru, "transferred_in") => "переведён(а) из другой школы",
            (Lang::Ru, "transferred") => "переведён(а) в другую школу",
            (Lang::Ru, "moved_class") => "переведён(а) в другой класс",
            (Lang::Ru, "expelled") => "отчислен(а)",
            (Lang::Ru, "graduated") => "выпущен(а)",
            (Lang::Ru, "promoted") => "переведён(а) в следующий класс",
            (Lang::En, "admitted") => "admitted",
            (Lang::En, "transferred_in") => "transferred in",
            (Lang::En, "transferred") => "transferred out",
            (Lang::En, "moved_class") => "moved to another class",
            (Lang::En, "expelled") => "expelled",
            (Lang::En, "graduated") => "graduated",
            (Lang::En, "promoted") => "promoted to the next grade",
            _ => "",
        }
    }
    /// Dates as people read them: 04.07.2009.
    fn date(&self, iso: &str) -> String {
        chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d")
            .map(|d| d.format("%d.%m.%Y").to_string())
            .unwrap_or_else(|_| iso.to_string())
    }
    fn kind(&self, k: &str) -> &'static str {
        GUARDIAN_KINDS
            .iter()
            .find(|(c, _)| *c == k)
            .map(|(_, n)| *n)
            .unwrap_or("")
    }
}

async fn person_page(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let Ok(id) = id.parse() else {
        return fail(Problem::not_found());
    };
    let p = &r.caller.principal;
    match st.registry.person(p, &r.caller.origin, id).await {
        Ok(card) => {
            let can_audit = st
                .registry
                .may_on_person(p, Operation::ReadPersonAudit, id)
                .await?;
            Ok(render(&PersonPage {
                t: super::strings::strings(&r.headers),
                manage: st.registry.may_manage(p, id).await?,
                ctx: r.ctx(),
                card,
                can_audit,
            }))
        }
        Err(e) => fail(e),
    }
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    ctx: Ctx,
    subject: String,
    records: Vec<AuditRecord>,
}

impl AuditPage {
    fn when(&self, at: &i64) -> String {
        parta_core::time::format_ms(*at)
    }
    fn role(&self, r: &str) -> &'static str {
        Role::parse(r)
            .map(|r| role_title(self.ctx.lang, r))
            .unwrap_or("")
    }
    fn action(&self, a: &str) -> String {
        let ru = match a {
            "read" => "просмотр",
            "update" => "изменение",
            "create" => "создание",
            "export" => "выгрузка",
            "sign_in" => "вход",
            "sign_out" => "выход",
            "change_password" => "смена пароля",
            "reset_password" => "сброс пароля",
            "request_change" => "запрос исправления",
            "enrol" => "зачисление",
            "expelled" => "отчисление",
            "transferred" => "перевод",
            "graduated" => "выпуск",
            "import" => "импорт",
            "refused" => "отказ в доступе",
            other => other,
        };
        match self.ctx.lang {
            Lang::Ru => ru.to_string(),
            Lang::En => a.replace('_', " "),
        }
    }

    /// What was touched, in words.
    fn object(&self, o: &str) -> String {
        let ru = match o {
            "person" => "карточка человека",
            "class" => "класс",
            "organisation" => "организация",
            "account" => "учётная запись",
            "journal" => "журнал",
            "diary" => "дневник",
            "timetable" => "расписание",
            "attachment" => "файл",
            "staff" => "список сотрудников",
            "audit_log" => "журнал доступа",
            "privacy" => "настройки персональных данных",
            "request" => "запрос",
            "roster" => "списки",
            other => other,
        };
        match self.ctx.lang {
            Lang::Ru => ru.to_string(),
            Lang::En => o.replace('_', " "),
        }
    }
}

async fn person_audit(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let Ok(id) = id.parse() else {
        return fail(Problem::not_found());
    };
    let p = &r.caller.principal;
    let records = st.registry.person_audit(p, &r.caller.origin, id).await?;
    let subject = match st.registry.person(p, &r.caller.origin, id).await {
        Ok(card) => full_name(
            &card.last_name,
            &card.first_name,
            card.middle_name.as_deref(),
        ),
        Err(e) => return fail(e),
    };
    Ok(render(&AuditPage {
        ctx: r.ctx(),
        subject,
        records,
    }))
}

async fn school_audit(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let Ok(id) = id.parse() else {
        return fail(Problem::not_found());
    };
    let p = &r.caller.principal;
    let records = st
        .registry
        .organisation_audit(p, &r.caller.origin, id)
        .await?;
    let subject = match st.registry.organisation(p, id).await {
        Ok(o) => o.short_name,
        Err(e) => return fail(e),
    };
    Ok(render(&AuditPage {
        ctx: r.ctx(),
        subject,
        records,
    }))
}

// ---- my data ----

#[derive(Template)]
#[template(path = "my_data.html")]
struct MyDataPage {
    ctx: Ctx,
    t: &'static super::strings::Strings,
    card: PersonCard,
}

async fn my_data(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let p = &r.caller.principal;
    match st.registry.person(p, &r.caller.origin, p.person_id).await {
        Ok(card) => Ok(render(&MyDataPage {
            t: super::strings::strings(&r.headers),
            ctx: r.ctx(),
            card,
        })),
        Err(e) => fail(e),
    }
}

#[derive(Deserialize)]
struct ContactsForm {
    email: Option<String>,
    phone: Option<String>,
}

async fn my_contacts(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Form(f): Form<ContactsForm>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let p = &r.caller.principal;
    let input = ContactUpdate {
        email: f.email,
        phone: f.phone,
    };
    match st
        .registry
        .update_contacts(p, &r.caller.origin, p.person_id, input)
        .await
    {
        Ok(_) => Ok(Redirect::to("/my-data?n=saved").into_response()),
        Err(e) => my_data_with_errors(&st, &r, Problem::from(e)).await,
    }
}

#[derive(Deserialize)]
struct ChangeForm {
    field: String,
    new_value: String,
    comment: Option<String>,
}

async fn my_change_request(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Form(f): Form<ChangeForm>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let p = &r.caller.principal;
    let input = ChangeRequestInput {
        field: f.field,
        new_value: f.new_value,
        comment: f.comment.filter(|c| !c.is_empty()),
    };
    match st
        .registry
        .request_change(p, &r.caller.origin, p.person_id, input)
        .await
    {
        Ok(_) => Ok(Redirect::to("/my-data?n=sent").into_response()),
        Err(e) => my_data_with_errors(&st, &r, Problem::from(e)).await,
    }
}

async fn my_data_with_errors(st: &Web, r: &PageReq, problem: Problem) -> PageResult {
    let p = &r.caller.principal;
    match st.registry.person(p, &r.caller.origin, p.person_id).await {
        Ok(card) => {
            let mut c = r.ctx();
            c.errors = messages(&problem, c.lang);
            Ok((
                problem.status_code(),
                render(&MyDataPage {
                    t: super::strings::strings(&r.headers),
                    ctx: c,
                    card,
                }),
            )
                .into_response())
        }
        Err(e) => fail(e),
    }
}

// ---- correction requests ----

#[derive(Template)]
#[template(path = "change_requests.html")]
struct ChangeRequestsPage {
    ctx: Ctx,
    t: &'static super::strings::Strings,
    org_id: String,
    org_name: String,
    requests: Vec<ChangeRequest>,
}

impl ChangeRequestsPage {
    fn field(&self, f: &str) -> &'static str {
        match f {
            "last_name" => "Фамилия",
            "first_name" => "Имя",
            "middle_name" => "Отчество",
            "birth_date" => "Дата рождения",
            "snils" => "СНИЛС",
            _ => "",
        }
    }
}

async fn change_requests_page(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let Ok(org) = id.parse() else {
        return fail(Problem::not_found());
    };
    let p = &r.caller.principal;
    let requests = st.registry.change_requests(p, org).await?;
    match st.registry.organisation(p, org).await {
        Ok(o) => Ok(render(&ChangeRequestsPage {
            t: super::strings::strings(&r.headers),
            ctx: r.ctx(),
            org_id: id,
            org_name: o.short_name,
            requests,
        })),
        Err(e) => fail(e),
    }
}

#[derive(Deserialize)]
struct DecisionForm {
    approve: String,
    org: String,
}

async fn change_decision(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<DecisionForm>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let decision = ChangeDecision {
        approve: f.approve == "1",
        comment: None,
    };
    match st
        .registry
        .decide_change(&r.caller.principal, &r.caller.origin, &id, decision)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!(
            "/schools/{}/change-requests?n=saved",
            auth::urlencode(&f.org)
        ))
        .into_response()),
        Err(e) => fail(e),
    }
}
