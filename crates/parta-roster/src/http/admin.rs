//! The school's administration in the browser (no command line): the people of the
//! school, a newcomer (pupil, parent, staff), a person's record (correct, move to another
//! class, leave the school, parents, positions, a new sign-in letter), a class's accounts
//! and letters, a new class, and the end of the year. Every form shows itself again with
//! what was typed and each error next to its field.

use super::strings::{strings, Strings};
use super::Web;
use crate::accounts::{self, PrintedLetter};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use parta_core::ids::{ClassId, OrganisationId, PersonId};
use parta_core::Problem;
use parta_http::page::{messages, render, Ctx, FormErrors, PageReq};
use parta_http::{fail, PageCaller, PageResult, Pages};
use parta_registry::admin::human_date;
use parta_registry::model::*;
use serde::Deserialize;
use std::collections::HashMap;

pub fn router() -> Pages<Web> {
    Pages::new()
        .get("/schools/{id}/people", people)
        .get("/schools/{id}/people/new", new_person_page)
        .post("/schools/{id}/people/new", new_person_submit)
        .get("/schools/{id}/classes/new", new_class_page)
        .post("/schools/{id}/classes/new", new_class_submit)
        .get("/schools/{id}/year-end", year_end_page)
        .post("/schools/{id}/year-end", year_end_submit)
        .post("/schools/{id}/academic-years", open_year_submit)
        .get("/persons/{id}/manage", manage_page)
        .post("/persons/{id}/edit", edit_submit)
        .post("/persons/{id}/move", move_submit)
        .post("/persons/{id}/leave", leave_submit)
        .post("/persons/{id}/guardians", guardian_submit)
        .post("/persons/{id}/positions", position_submit)
        .post("/persons/{id}/staff-leaves", staff_leaves_submit)
        .post("/persons/{id}/assignments", assign_submit)
        .post(
            "/persons/{id}/assignments/{assignment}/delete",
            unassign_submit,
        )
        .post("/persons/{id}/letter", letter_submit)
        .get("/classes/{id}/groups", groups_page)
        .post("/classes/{id}/groups", group_submit)
        .post("/groups/{id}/members", group_members_submit)
        .get("/classes/{id}/accounts", accounts_page)
        .post("/classes/{id}/letters", letters_submit)
}

fn parse<T: std::str::FromStr>(s: &str) -> Result<T, Problem> {
    s.parse().map_err(|_| Problem::not_found())
}

/// Answers a form again with the caller's input and the errors next to the fields.
fn again(problem: &Problem, page: Response) -> PageResult {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
    Ok((status, page).into_response())
}

fn form_ctx(r: &PageReq, problem: Option<&Problem>) -> (Ctx, FormErrors) {
    let mut c = r.ctx();
    match problem {
        Some(p) => {
            c.errors = messages(p, c.lang);
            let err = FormErrors::from_problem(p, c.lang);
            (c, err)
        }
        None => (c, FormErrors::default()),
    }
}

// ---- the school's people ----

#[derive(Template)]
#[template(path = "people.html")]
struct PeoplePage {
    ctx: Ctx,
    t: &'static Strings,
    org: Organisation,
    q: String,
    members: Vec<SchoolMember>,
    classes: Vec<ClassSummary>,
    limit: i64,
}

impl PeoplePage {
    fn kind(&self, k: &str) -> &'static str {
        match k {
            "student" => self.t.kind_student,
            "parent" => self.t.kind_parent,
            _ => self.t.kind_staff,
        }
    }
}

#[derive(Deserialize)]
struct PeopleQuery {
    q: Option<String>,
}

async fn people(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
    Query(q): Query<PeopleQuery>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let org: OrganisationId = parse(&id)?;
    let p = &r.caller.principal;
    let q = q.q.unwrap_or_default();
    let members = st
        .registry
        .members(
            p,
            &r.caller.origin,
            org,
            q.chars().take(100).collect::<String>().as_str(),
        )
        .await?;
    let (org, classes) = tokio::try_join!(
        st.registry.organisation(p, org),
        st.registry.classes(p, org)
    )?;
    Ok(render(&PeoplePage {
        t: strings(&r.headers),
        ctx: r.ctx(),
        org,
        q,
        members,
        classes: current_classes(classes),
        limit: parta_registry::admin::MEMBERS_SHOWN,
    }))
}

/// The classes of the latest academic year (the ones people are enrolled in now).
fn current_classes(mut classes: Vec<ClassSummary>) -> Vec<ClassSummary> {
    let latest = classes.first().map(|c| c.academic_year_id);
    classes.retain(|c| Some(c.academic_year_id) == latest);
    classes
}

// ---- a newcomer ----

#[derive(Deserialize, Default, Clone)]
struct PersonForm {
    #[serde(default)]
    role: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    middle_name: String,
    #[serde(default)]
    birth_date: String,
    #[serde(default)]
    sex: String,
    #[serde(default)]
    snils: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    class_id: String,
    #[serde(default)]
    child_id: String,
    #[serde(default)]
    guardian_kind: String,
    #[serde(default)]
    position: String,
}

fn opt(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

#[derive(Template)]
#[template(path = "person_new.html")]
struct NewPersonPage {
    ctx: Ctx,
    t: &'static Strings,
    err: FormErrors,
    org: Organisation,
    f: PersonForm,
    classes: Vec<ClassSummary>,
    positions: Vec<ReferenceEntry>,
    /// The child a parent is added for (from the child's record).
    child_name: Option<String>,
    kinds: &'static [(&'static str, &'static str)],
}

#[derive(Deserialize)]
struct NewPersonQuery {
    role: Option<String>,
    class: Option<String>,
    child: Option<String>,
}

async fn new_person_form(
    st: &Web,
    r: &PageReq,
    org: OrganisationId,
    f: PersonForm,
    problem: Option<&Problem>,
) -> PageResult<Response> {
    let p = &r.caller.principal;
    let (org, classes, positions) = tokio::try_join!(
        st.registry.organisation(p, org),
        st.registry.classes(p, org),
        st.registry.positions()
    )?;
    let child_name = match f.child_id.parse::<PersonId>() {
        Ok(c) => st
            .registry
            .manageable(p, &[c])
            .await?
            .first()
            .map(|b| b.full_name()),
        Err(_) => None,
    };
    let (ctx, err) = form_ctx(r, problem);
    Ok(render(&NewPersonPage {
        ctx,
        t: strings(&r.headers),
        err,
        org,
        f,
        classes: current_classes(classes),
        positions,
        child_name,
        kinds: &GUARDIAN_KINDS,
    }))
}

async fn new_person_page(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
    Query(q): Query<NewPersonQuery>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let org = parse(&id)?;
    let f = PersonForm {
        role: q.role.unwrap_or_else(|| "student".into()),
        class_id: q.class.unwrap_or_default(),
        child_id: q.child.unwrap_or_default(),
        guardian_kind: "mother".into(),
        position: "teacher".into(),
        ..Default::default()
    };
    new_person_form(&st, &r, org, f, None).await
}

async fn new_person_submit(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<PersonForm>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let org = parse(&id)?;
    let input = NewPerson {
        last_name: f.last_name.clone(),
        first_name: f.first_name.clone(),
        middle_name: opt(&f.middle_name),
        birth_date: opt(&f.birth_date),
        sex: opt(&f.sex),
        snils: opt(&f.snils),
        email: opt(&f.email),
        phone: opt(&f.phone),
        role: f.role.clone(),
        class_id: opt(&f.class_id).and_then(|c| c.parse().ok()),
        child_id: opt(&f.child_id).and_then(|c| c.parse().ok()),
        guardian_kind: opt(&f.guardian_kind),
        position: opt(&f.position),
    };
    match st
        .registry
        .create_person(&r.caller.principal, &r.caller.origin, org, input)
        .await
    {
        Ok(card) => {
            Ok(Redirect::to(&format!("/persons/{}/manage?n=created", card.id)).into_response())
        }
        Err(e) => {
            let problem = Problem::from(e);
            if problem.status == 404 || problem.status == 403 {
                return Err(problem.into());
            }
            let page = new_person_form(&st, &r, org, f, Some(&problem)).await?;
            again(&problem, page)
        }
    }
}

// ---- a person's record ----

#[derive(Template)]
#[template(path = "person_manage.html")]
struct ManagePage {
    ctx: Ctx,
    t: &'static Strings,
    err: FormErrors,
    card: PersonCard,
    /// The edit form's values (the card's, or what was typed).
    f: PersonForm,
    org: OrganisationId,
    /// The school's current classes (to move a student to).
    classes: Vec<ClassSummary>,
    positions: Vec<ReferenceEntry>,
    /// The current class of a student in this school.
    class: Option<(ClassId, String)>,
    is_staff: bool,
    /// What a member of staff teaches, and the subjects to choose from.
    assignments: Vec<Assignment>,
    subjects: Vec<ReferenceEntry>,
    /// The school's groups (a teacher may teach a group of a class).
    groups: Vec<parta_registry::model::SchoolGroup>,
    account: Option<parta_identity::letters::AccountState>,
    /// Parents found by the parent search.
    found: Vec<SchoolMember>,
    parent_q: String,
    kinds: &'static [(&'static str, &'static str)],
    today: String,
    /// Which form failed (to open it).
    failed: &'static str,
}

impl ManagePage {
    fn date(&self, iso: &str) -> String {
        human_date(iso)
    }
    fn kind(&self, k: &str) -> &'static str {
        GUARDIAN_KINDS
            .iter()
            .find(|(c, _)| *c == k)
            .map(|(_, n)| *n)
            .unwrap_or("")
    }
}

#[derive(Deserialize)]
struct ManageQuery {
    parent_q: Option<String>,
}

fn form_of(card: &PersonCard) -> PersonForm {
    PersonForm {
        last_name: card.last_name.clone(),
        first_name: card.first_name.clone(),
        middle_name: card.middle_name.clone().unwrap_or_default(),
        birth_date: card
            .birth_date
            .as_deref()
            .map(human_date)
            .unwrap_or_default(),
        sex: card.sex.clone().unwrap_or_default(),
        snils: card.snils.clone().unwrap_or_default(),
        email: card.email.clone().unwrap_or_default(),
        phone: card.phone.clone().unwrap_or_default(),
        ..Default::default()
    }
}

/// The school whose administration acts: the caller's, else (the platform's
/// administrator) the person's current one.
fn acting_org(r: &PageReq, card: &PersonCard) -> Option<OrganisationId> {
    r.caller.principal.active.organisation_id.or_else(|| {
        card.enrolments
            .iter()
            .find(|e| e.ended_on.is_none())
            .map(|e| e.organisation_id)
            .or_else(|| card.positions.first().map(|p| p.organisation_id))
    })
}

async fn manage_form(
    st: &Web,
    r: &PageReq,
    id: PersonId,
    typed: Option<PersonForm>,
    parent_q: String,
    problem: Option<(&Problem, &'static str)>,
) -> PageResult<Response> {
    let p = &r.caller.principal;
    // Hidden (404) for people the caller must not know, refused (403) for those seen.
    st.registry.manageable(p, &[id]).await?;
    let card = st.registry.person(p, &r.caller.origin, id).await?;
    let Some(org) = acting_org(r, &card) else {
        return Err(Problem::not_found().into());
    };
    let (classes, positions, accounts) = tokio::try_join!(
        async { Ok::<_, Problem>(st.registry.classes(p, org).await?) },
        async { Ok::<_, Problem>(st.registry.positions().await?) },
        async { Ok::<_, Problem>(st.identity.logins_of(&[id]).await?) }
    )?;
    let class = card
        .enrolments
        .iter()
        .find(|e| e.ended_on.is_none() && e.organisation_id == org)
        .and_then(|e| Some((e.class_id?, e.class_name.clone().unwrap_or_default())));
    let is_staff = card.positions.iter().any(|x| x.organisation_id == org);
    let (assignments, subjects, groups) = if is_staff {
        (
            st.registry.assignments_of(p, id).await?,
            st.registry.reference("subjects").await?,
            st.registry.school_groups(p, org).await?,
        )
    } else {
        (Vec::new(), Vec::new(), Vec::new())
    };
    let found = if parent_q.trim().chars().count() >= 2 && class.is_some() {
        let mut list = st
            .registry
            .members(p, &r.caller.origin, org, &parent_q)
            .await?;
        list.retain(|m| {
            m.kind != "student"
                && m.person.id != id
                && !card.parents.iter().any(|x| x.id == m.person.id)
        });
        list.dedup_by_key(|m| m.person.id);
        list.truncate(20);
        list
    } else {
        Vec::new()
    };
    let (mut ctx, err, failed) = match problem {
        Some((pr, which)) => {
            let (c, e) = form_ctx(r, Some(pr));
            (c, e, which)
        }
        None => {
            let (c, e) = form_ctx(r, None);
            (c, e, "")
        }
    };
    if ctx.notice.is_none() && uri_has(&r.uri, "n=letter") {
        ctx.notice = Some(strings(&r.headers).letter_done);
    }
    let f = typed.unwrap_or_else(|| form_of(&card));
    let mut accounts = accounts;
    Ok(render(&ManagePage {
        ctx,
        t: strings(&r.headers),
        err,
        f,
        org,
        classes: current_classes(classes),
        positions,
        class,
        is_staff,
        assignments,
        subjects,
        groups,
        account: accounts.remove(&id),
        found,
        parent_q,
        kinds: &GUARDIAN_KINDS,
        today: human_date(&parta_core::time::today().to_string()),
        failed,
        card,
    }))
}

/// The school acting on a person's record (see [`acting_org`]); not found otherwise.
async fn org_of(st: &Web, r: &PageReq, id: PersonId) -> PageResult<OrganisationId> {
    let card = st
        .registry
        .person(&r.caller.principal, &r.caller.origin, id)
        .await?;
    acting_org(r, &card).ok_or_else(|| Problem::not_found().into())
}

fn uri_has(uri: &Uri, kv: &str) -> bool {
    uri.query().is_some_and(|q| q.split('&').any(|x| x == kv))
}

async fn manage_page(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
    Query(q): Query<ManageQuery>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let id = parse(&id)?;
    manage_form(&st, &r, id, None, q.parent_q.unwrap_or_default(), None).await
}

/// After a failed form of the record: the page again, that form open with its errors.
async fn manage_again(
    st: &Web,
    r: &PageReq,
    id: PersonId,
    typed: Option<PersonForm>,
    e: impl Into<Problem>,
    which: &'static str,
) -> PageResult {
    let problem: Problem = e.into();
    if problem.status == 404 || problem.status == 403 {
        return Err(problem.into());
    }
    let page = manage_form(st, r, id, typed, String::new(), Some((&problem, which))).await?;
    again(&problem, page)
}

fn back_to(id: PersonId, n: &str) -> PageResult {
    Ok(Redirect::to(&format!("/persons/{id}/manage?n={n}")).into_response())
}

async fn edit_submit(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<PersonForm>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let id = parse(&id)?;
    let edit = PersonEdit {
        last_name: f.last_name.clone(),
        first_name: f.first_name.clone(),
        middle_name: opt(&f.middle_name),
        birth_date: opt(&f.birth_date),
        sex: opt(&f.sex),
        snils: opt(&f.snils),
        email: opt(&f.email),
        phone: opt(&f.phone),
    };
    match st
        .registry
        .edit_person(&r.caller.principal, &r.caller.origin, id, edit)
        .await
    {
        Ok(_) => back_to(id, "saved"),
        Err(e) => manage_again(&st, &r, id, Some(f), e, "edit").await,
    }
}

#[derive(Deserialize)]
struct MoveForm {
    #[serde(default)]
    class_id: String,
    #[serde(default)]
    date: String,
}

async fn move_submit(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<MoveForm>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let id = parse(&id)?;
    let Ok(class_id) = f.class_id.parse() else {
        let p = Problem::invalid("class_id", "Выберите класс.");
        return manage_again(&st, &r, id, None, p, "move").await;
    };
    let Some(date) = parse_human_date(&f.date) else {
        let p = Problem::invalid("date", "Дата — например, 01.12.2026.");
        return manage_again(&st, &r, id, None, p, "move").await;
    };
    let input = Enrol {
        person_id: id,
        class_id,
        date,
        order_ref: None,
        snils: None,
    };
    match st
        .registry
        .enrol(&r.caller.principal, &r.caller.origin, input)
        .await
    {
        Ok(_) => back_to(id, "saved"),
        Err(e) => manage_again(&st, &r, id, None, e, "move").await,
    }
}

#[derive(Deserialize)]
struct LeaveForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    order_ref: String,
    /// The confirmation box: leaving is not undone by a click.
    confirm: Option<String>,
}

async fn leave_submit(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<LeaveForm>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let id: PersonId = parse(&id)?;
    let org = org_of(&st, &r, id).await?;
    let reason = match f.reason.as_str() {
        "transferred" => EndReason::Transferred,
        "expelled" => EndReason::Expelled,
        "graduated" => EndReason::Graduated,
        _ => {
            let p = Problem::invalid("reason", "Выберите причину.");
            return manage_again(&st, &r, id, None, p, "leave").await;
        }
    };
    if f.confirm.is_none() {
        let p = Problem::invalid("confirm", "Поставьте отметку: «Да, оформить выбытие».");
        return manage_again(&st, &r, id, None, p, "leave").await;
    }
    let Some(date) = parse_human_date(&f.date) else {
        let p = Problem::invalid("date", "Дата — например, 31.05.2027.");
        return manage_again(&st, &r, id, None, p, "leave").await;
    };
    let input = EndEnrolment {
        person_id: id,
        date,
        reason,
        order_ref: opt(&f.order_ref),
    };
    match st
        .registry
        .end_enrolment(&r.caller.principal, &r.caller.origin, org, input)
        .await
    {
        Ok(_) => back_to(id, "saved"),
        Err(e) => manage_again(&st, &r, id, None, e, "leave").await,
    }
}

#[derive(Deserialize)]
struct GuardianForm {
    #[serde(default)]
    parent_id: String,
    #[serde(default)]
    kind: String,
}

async fn guardian_submit(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<GuardianForm>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let id = parse(&id)?;
    let Ok(parent_id) = f.parent_id.parse() else {
        let p = Problem::invalid("parent_id", "Выберите родителя из найденных.");
        return manage_again(&st, &r, id, None, p, "guardian").await;
    };
    let link = GuardianLink {
        parent_id,
        kind: f.kind,
    };
    match st
        .registry
        .link_guardian(&r.caller.principal, &r.caller.origin, id, link)
        .await
    {
        Ok(_) => back_to(id, "saved"),
        Err(e) => manage_again(&st, &r, id, None, e, "guardian").await,
    }
}

#[derive(Deserialize)]
struct PositionForm {
    #[serde(default)]
    position: String,
}

async fn position_submit(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<PositionForm>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let id: PersonId = parse(&id)?;
    let org = org_of(&st, &r, id).await?;
    let input = NewPosition {
        position: f.position,
    };
    match st
        .registry
        .add_position(&r.caller.principal, &r.caller.origin, org, id, input)
        .await
    {
        Ok(_) => back_to(id, "saved"),
        Err(e) => manage_again(&st, &r, id, None, e, "position").await,
    }
}

#[derive(Deserialize)]
struct StaffLeavesForm {
    #[serde(default)]
    date: String,
    confirm: Option<String>,
}

async fn staff_leaves_submit(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<StaffLeavesForm>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let id: PersonId = parse(&id)?;
    let org = org_of(&st, &r, id).await?;
    if f.confirm.is_none() {
        let p = Problem::invalid("confirm", "Поставьте отметку: «Да, оформить увольнение».");
        return manage_again(&st, &r, id, None, p, "staff_leaves").await;
    }
    match st
        .registry
        .staff_leaves(
            &r.caller.principal,
            &r.caller.origin,
            org,
            id,
            StaffLeaves { date: f.date },
        )
        .await
    {
        // The record is outside the school now: back to the school's people.
        Ok(()) => Ok(Redirect::to(&format!("/schools/{org}/people?n=saved")).into_response()),
        Err(e) => manage_again(&st, &r, id, None, e, "staff_leaves").await,
    }
}

#[derive(Deserialize)]
struct AssignForm {
    #[serde(default)]
    class_id: String,
    #[serde(default)]
    subject_code: String,
}

async fn assign_submit(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<AssignForm>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let id: PersonId = parse(&id)?;
    // One choice: a whole class (its id) or a group of a class (`g:` and its id).
    let (class_id, group_id) = match f.class_id.strip_prefix("g:") {
        Some(g) => (None, g.parse().ok()),
        None => (f.class_id.parse().ok(), None),
    };
    if class_id.is_none() && group_id.is_none() {
        let p = Problem::invalid("class_id", "Выберите класс.");
        return manage_again(&st, &r, id, None, p, "assign").await;
    }
    let input = NewAssignment {
        class_id,
        group_id,
        subject_code: f.subject_code,
    };
    match st
        .registry
        .assign(&r.caller.principal, &r.caller.origin, id, input)
        .await
    {
        Ok(_) => back_to(id, "saved"),
        Err(e) => manage_again(&st, &r, id, None, e, "assign").await,
    }
}

async fn unassign_submit(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path((id, assignment)): Path<(String, String)>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let id: PersonId = parse(&id)?;
    st.registry
        .unassign(&r.caller.principal, &r.caller.origin, id, &assignment)
        .await?;
    back_to(id, "saved")
}

// ---- sign-in letters ----

#[derive(Template)]
#[template(path = "letters.html")]
struct LettersPage {
    ctx: Ctx,
    t: &'static Strings,
    school: String,
    address: String,
    letters: Vec<PrintedLetter>,
    back: String,
}

/// The platform's address as the browser reached it: printed on the letters.
fn address(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("http");
    format!("{scheme}://{host}")
}

/// The letters, once: never cached, never stored.
fn letters_response(page: &LettersPage) -> Response {
    let mut res = render(page);
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    res
}

async fn school_name(st: &Web, r: &PageReq, org: Option<OrganisationId>) -> String {
    match org {
        Some(o) => st
            .registry
            .organisation(&r.caller.principal, o)
            .await
            .map(|o| o.short_name)
            .unwrap_or_default(),
        None => String::new(),
    }
}

async fn letter_submit(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let id: PersonId = parse(&id)?;
    let p = &r.caller.principal;
    let card = st.registry.person(p, &r.caller.origin, id).await?;
    let letters = accounts::letters(&st.registry, &st.identity, p, &r.caller.origin, &[id]).await?;
    let org = acting_org(&r, &card);
    let school = school_name(&st, &r, org).await;
    // An operator has no school: back to the platform's administration.
    let back = match org {
        Some(_) => format!("/persons/{id}/manage"),
        None => "/admin#operators".to_string(),
    };
    Ok(letters_response(&LettersPage {
        ctx: r.ctx(),
        t: strings(&r.headers),
        school,
        address: address(&r.headers),
        letters,
        back,
    }))
}

#[derive(Template)]
#[template(path = "accounts.html")]
struct AccountsPage {
    ctx: Ctx,
    t: &'static Strings,
    class: ClassSummary,
    members: Vec<FamilyMember>,
    accounts: HashMap<PersonId, parta_identity::letters::AccountState>,
}

impl AccountsPage {
    /// Ticked at first: those who have no account yet or have not signed in.
    fn ticked(&self, id: &PersonId) -> bool {
        self.accounts.get(id).is_none_or(|a| a.waiting)
    }
    fn login(&self, id: &PersonId) -> &str {
        self.accounts
            .get(id)
            .map(|a| a.login.as_str())
            .unwrap_or("")
    }
    fn state(&self, id: &PersonId) -> &'static str {
        match self.accounts.get(id) {
            None => self.t.account_none,
            Some(a) if a.waiting => self.t.account_waiting,
            Some(_) => self.t.account_active,
        }
    }
}

async fn accounts_form(
    st: &Web,
    r: &PageReq,
    class: ClassId,
    problem: Option<&Problem>,
) -> PageResult<Response> {
    let p = &r.caller.principal;
    let (class, members) = st.registry.class_families(p, class).await?;
    let ids: Vec<PersonId> = members.iter().map(|m| m.person.id).collect();
    let accounts = st.identity.logins_of(&ids).await?;
    let (ctx, _) = form_ctx(r, problem);
    Ok(render(&AccountsPage {
        ctx,
        t: strings(&r.headers),
        class,
        members,
        accounts,
    }))
}

async fn accounts_page(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let class = parse(&id)?;
    accounts_form(&st, &r, class, None).await
}

/// The ticked people of a class (repeated `person_id` fields).
async fn letters_submit(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let class: ClassId = parse(&id)?;
    let p = &r.caller.principal;
    let (summary, members) = st.registry.class_families(p, class).await?;
    // Only people of this class: a forged id of someone else is not even looked at.
    let wanted: Vec<PersonId> = form_urlencoded::parse(&body)
        .filter(|(k, _)| k == "person_id")
        .filter_map(|(_, v)| v.parse().ok())
        .filter(|id| members.iter().any(|m| m.person.id == *id))
        .collect();
    match accounts::letters(&st.registry, &st.identity, p, &r.caller.origin, &wanted).await {
        Ok(letters) => {
            let school = school_name(&st, &r, Some(summary.organisation_id)).await;
            Ok(letters_response(&LettersPage {
                ctx: r.ctx(),
                t: strings(&r.headers),
                school,
                address: address(&r.headers),
                letters,
                back: format!("/classes/{class}/accounts"),
            }))
        }
        Err(problem) if problem.status == 422 => {
            let page = accounts_form(&st, &r, class, Some(&problem)).await?;
            again(&problem, page)
        }
        Err(problem) => fail(problem),
    }
}

// ---- groups of a class ----

#[derive(Template)]
#[template(path = "groups.html")]
struct GroupsPage {
    ctx: Ctx,
    t: &'static Strings,
    err: FormErrors,
    class: ClassSummary,
    students: Vec<FamilyMember>,
    groups: Vec<ClassGroup>,
    subjects: Vec<ReferenceEntry>,
    /// The new group's name as typed.
    name: String,
}

impl GroupsPage {
    fn member(&self, g: &ClassGroup, id: &PersonId) -> bool {
        g.members.iter().any(|m| m.id == *id)
    }
}

async fn groups_form(
    st: &Web,
    r: &PageReq,
    class: ClassId,
    name: String,
    problem: Option<&Problem>,
) -> PageResult<Response> {
    let p = &r.caller.principal;
    let (class, mut students) = st.registry.class_families(p, class).await?;
    students.retain(|m| m.kind == "student");
    let groups = st.registry.class_groups(p, class.id).await?;
    let subjects = st.registry.reference("subjects").await?;
    let (ctx, err) = form_ctx(r, problem);
    Ok(render(&GroupsPage {
        ctx,
        t: strings(&r.headers),
        err,
        class,
        students,
        groups,
        subjects,
        name,
    }))
}

async fn groups_page(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let class = parse(&id)?;
    groups_form(&st, &r, class, String::new(), None).await
}

/// The group's fields of a form: its name, subject, the ticked students.
fn group_fields(body: &[u8]) -> (String, Option<String>, Vec<PersonId>) {
    let mut name = String::new();
    let mut subject = None;
    let mut members = Vec::new();
    for (k, v) in form_urlencoded::parse(body) {
        match k.as_ref() {
            "name" => name = v.to_string(),
            "subject_code" if !v.is_empty() => subject = Some(v.to_string()),
            "member" => members.extend(v.parse::<PersonId>().ok()),
            _ => {}
        }
    }
    (name, subject, members)
}

async fn group_submit(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let class: ClassId = parse(&id)?;
    let (name, subject_code, members) = group_fields(&body);
    let input = NewGroup {
        name: name.clone(),
        subject_code,
        members,
    };
    match st
        .registry
        .create_group(&r.caller.principal, &r.caller.origin, class, input)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/classes/{class}/groups?n=created")).into_response()),
        Err(e) => {
            let p = Problem::from(e);
            if p.status == 403 || p.status == 404 {
                return fail(p);
            }
            let page = groups_form(&st, &r, class, name, Some(&p)).await?;
            again(&p, page)
        }
    }
}

async fn group_members_submit(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let group: parta_core::ids::GroupId = parse(&id)?;
    let (_, _, members) = group_fields(&body);
    st.registry
        .set_group_members(&r.caller.principal, &r.caller.origin, group, members)
        .await?;
    // Back to the class's groups.
    let class = st
        .registry
        .group_class(group)
        .await?
        .ok_or(Problem::not_found())?;
    Ok(Redirect::to(&format!("/classes/{class}/groups?n=saved")).into_response())
}

// ---- a new class ----

#[derive(Deserialize, Default)]
struct ClassForm {
    #[serde(default)]
    grade_level: String,
    #[serde(default)]
    letter: String,
    #[serde(default)]
    class_teacher_id: String,
}

#[derive(Template)]
#[template(path = "class_new.html")]
struct NewClassPage {
    ctx: Ctx,
    t: &'static Strings,
    err: FormErrors,
    org: Organisation,
    f: ClassForm,
    year: String,
    teachers: Vec<SchoolMember>,
}

async fn new_class_form(
    st: &Web,
    r: &PageReq,
    org: OrganisationId,
    f: ClassForm,
    problem: Option<&Problem>,
) -> PageResult<Response> {
    let p = &r.caller.principal;
    let (o, classes) = tokio::try_join!(
        st.registry.organisation(p, org),
        st.registry.classes(p, org)
    )?;
    let mut teachers = st.registry.members(p, &r.caller.origin, org, "").await?;
    teachers.retain(|m| m.kind == "staff");
    let (ctx, err) = form_ctx(r, problem);
    Ok(render(&NewClassPage {
        ctx,
        t: strings(&r.headers),
        err,
        org: o,
        f,
        year: classes
            .first()
            .map(|c| c.academic_year.clone())
            .unwrap_or_default(),
        teachers,
    }))
}

async fn new_class_page(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let org = parse(&id)?;
    new_class_form(&st, &r, org, ClassForm::default(), None).await
}

async fn new_class_submit(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<ClassForm>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let org: OrganisationId = parse(&id)?;
    let p = &r.caller.principal;
    let classes = st.registry.classes(p, org).await?;
    let Some(year) = classes.first().map(|c| c.academic_year_id) else {
        return fail(Problem::invalid(
            "academic_year_id",
            "В школе ещё нет учебного года: откройте его на странице «Конец учебного года».",
        ));
    };
    let input = NewClass {
        academic_year_id: year,
        grade_level: f.grade_level.trim().to_string(),
        letter: f.letter.clone(),
        class_teacher_id: opt(&f.class_teacher_id).and_then(|t| t.parse().ok()),
    };
    match st
        .registry
        .create_class(p, &r.caller.origin, org, input)
        .await
    {
        Ok(c) => Ok(Redirect::to(&format!("/classes/{}?n=created", c.id)).into_response()),
        Err(e) => {
            let problem = Problem::from(e);
            if problem.status == 404 || problem.status == 403 {
                return fail(problem);
            }
            let page = new_class_form(&st, &r, org, f, Some(&problem)).await?;
            again(&problem, page)
        }
    }
}

// ---- the end of the year ----

#[derive(Template)]
#[template(path = "year_end.html")]
struct YearEndPage {
    ctx: Ctx,
    t: &'static Strings,
    err: FormErrors,
    org: Organisation,
    plan: Option<YearEndPlan>,
    graduate_ninth: bool,
    report: Option<YearEndReport>,
    /// Suggested name and dates of the next year, for the form that opens it.
    next_name: String,
    next_starts: String,
    next_ends: String,
}

impl YearEndPage {
    fn date(&self, iso: &str) -> String {
        human_date(iso)
    }
}

#[derive(Deserialize)]
struct YearEndQuery {
    graduate_ninth: Option<String>,
}

async fn year_end_form(
    st: &Web,
    r: &PageReq,
    org: OrganisationId,
    graduate_ninth: bool,
    report: Option<YearEndReport>,
    problem: Option<&Problem>,
) -> PageResult<Response> {
    let p = &r.caller.principal;
    let o = st.registry.organisation(p, org).await?;
    let plan = match st.registry.year_end_plan(p, org, graduate_ninth).await {
        Ok(plan) => Some(plan),
        Err(parta_registry::RegistryError::Invalid(_)) => None,
        Err(e) => return Err(e.into()),
    };
    // The next year follows the one that ends: 2026/2027 → 2027/2028, 1 Sep – 31 May.
    let first: i32 = plan
        .as_ref()
        .and_then(|pl| pl.from_year.split('/').nth(1))
        .and_then(|y| y.trim().parse().ok())
        .unwrap_or_else(|| {
            use chrono::Datelike;
            let t = parta_core::time::today();
            if t.month() >= 8 {
                t.year()
            } else {
                t.year() - 1
            }
        });
    let (ctx, err) = form_ctx(r, problem);
    Ok(render(&YearEndPage {
        ctx,
        t: strings(&r.headers),
        err,
        org: o,
        plan,
        graduate_ninth,
        report,
        next_name: format!("{first}/{}", first + 1),
        next_starts: format!("01.09.{first}"),
        next_ends: format!("31.05.{}", first + 1),
    }))
}

async fn year_end_page(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
    Query(q): Query<YearEndQuery>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let org = parse(&id)?;
    year_end_form(&st, &r, org, q.graduate_ninth.is_some(), None, None).await
}

#[derive(Deserialize)]
struct YearEndForm {
    graduate_ninth: Option<String>,
    confirm: Option<String>,
}

async fn year_end_submit(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<YearEndForm>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let org = parse(&id)?;
    let graduate_ninth = f.graduate_ninth.is_some();
    if f.confirm.is_none() {
        let p = Problem::invalid("confirm", "Поставьте отметку: «Да, перевести и выпустить».");
        let page = year_end_form(&st, &r, org, graduate_ninth, None, Some(&p)).await?;
        return again(&p, page);
    }
    match st
        .registry
        .year_end(
            &r.caller.principal,
            &r.caller.origin,
            org,
            YearEnd { graduate_ninth },
        )
        .await
    {
        Ok(report) => year_end_form(&st, &r, org, graduate_ninth, Some(report), None).await,
        Err(e) => {
            let p = Problem::from(e);
            if p.status == 404 || p.status == 403 {
                return fail(p);
            }
            let page = year_end_form(&st, &r, org, graduate_ninth, None, Some(&p)).await?;
            again(&p, page)
        }
    }
}

#[derive(Deserialize)]
struct OpenYearForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    ends_on: String,
}

async fn open_year_submit(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<OpenYearForm>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let org: OrganisationId = parse(&id)?;
    let input = NewAcademicYear {
        name: f.name,
        starts_on: parse_human_date(&f.starts_on).unwrap_or(f.starts_on),
        ends_on: parse_human_date(&f.ends_on).unwrap_or(f.ends_on),
    };
    match st
        .registry
        .create_academic_year(&r.caller.principal, &r.caller.origin, org, input)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/schools/{org}/year-end?n=created")).into_response()),
        Err(e) => {
            let p = Problem::from(e);
            if p.status == 404 || p.status == 403 {
                return fail(p);
            }
            let page = year_end_form(&st, &r, org, false, None, Some(&p)).await?;
            again(&p, page)
        }
    }
}
