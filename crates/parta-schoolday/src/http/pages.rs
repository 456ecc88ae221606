//! Pages of the school day: the teacher's journals and the journal grid (a form that
//! works without JavaScript; `static/journal.js` adds keyboard entry and saving each
//! cell at once), a lesson, the diary and marks of a student, timetables,
//! the class report and the school calendar.

use super::Web;
use crate::calendar::monday_of;
use crate::model::*;
use crate::service::ru_date;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use chrono::{Datelike, Duration, NaiveDate};
use parta_core::ids::{ClassId, LessonId, MarkId, PersonId};
use parta_core::principal::Role;
use parta_core::Problem;
use parta_http::json::ProblemResponse as _;
use parta_http::PageCaller;
use parta_http::{fail, PageResult};
use parta_http::{render, Ctx, PageReq, Pages};
use serde::Deserialize;
use std::collections::HashMap;

const JOURNAL_JS: &str = include_str!("../../static/journal.js");

pub fn router() -> Pages<Web> {
    Pages::new()
        .get("/journal", journals)
        .get("/journal/{class}/{subject}", journal)
        .post("/journal/{class}/{subject}", journal_save)
        .get("/journal/{class}/{subject}/plan", plan_page)
        .post("/journal/{class}/{subject}/plan", plan_submit)
        .get("/lessons/{id}", lesson)
        .post("/lessons/{id}", lesson_save)
        .post("/lessons/{id}/handins/{student}", handin_review)
        .get("/schools/{id}/substitutions", substitutions_page)
        .post("/lessons/{id}/change", lesson_change)
        .get("/diary", diary)
        .get("/diary/marks", marks)
        .post("/diary/homework/{id}", homework_done)
        .get("/timetable", timetable)
        .get("/classes/{id}/report", report)
        .get("/schools/{id}/calendar", calendar)
        .post("/periods/{id}/close", close_period)
        .post("/schools/{id}/calendar/settings", calendar_settings)
        .post("/schools/{id}/calendar/days", calendar_day)
        .post("/schools/{id}/calendar/kept/cancel", calendar_cancel_kept)
        .post("/classes/{id}/template/kept/cancel", template_cancel_stale)
        .post(
            "/schools/{id}/calendar/days/{day}/delete",
            calendar_day_delete,
        )
        .post("/schools/{id}/calendar/bells", calendar_bells)
        .post("/schools/{id}/calendar/periods", calendar_period)
        .get("/classes/{id}/template", template_page)
        .post("/classes/{id}/template", template_save)
        .get("/static/journal.js", js)
        .get("/schools/{id}/storage", school_storage)
        .merge(
            Pages::new()
                .post("/lessons/{id}/attachments", upload_page)
                .post("/diary/attachments/{id}", upload_page)
                .layer(axum::extract::DefaultBodyLimit::max(
                    crate::service::MAX_ATTACHMENT + 64 * 1024,
                )),
        )
}

/// A file from a page form (multipart): the teacher's homework material from the lesson
/// page, a student's answer from the diary. Back to where it came from.
async fn upload_page(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
    form: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let Ok(lesson) = id.parse::<LessonId>() else {
        return fail(Problem::not_found());
    };
    // Who may not attach here learns nothing, whatever the body.
    if let Err(e) = st.journal.check_attach(&r.caller.principal, lesson).await {
        return fail(e);
    }
    let Ok(mut form) = form else {
        return fail(Problem::invalid(
            "file",
            "Отправьте файл формой (multipart/form-data).",
        ));
    };
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or_default().to_string();
            match field.bytes().await {
                Ok(b) => file = Some((name, b.to_vec())),
                Err(_) => return fail(Problem::payload_too_large(crate::service::MAX_ATTACHMENT)),
            }
        }
    }
    let Some((name, bytes)) = file else {
        return fail(Problem::invalid("file", "Выберите файл."));
    };
    match st
        .journal
        .attach(&r.caller.principal, &r.caller.origin, lesson, &name, &bytes)
        .await
    {
        Ok(a) => {
            let back = if r.uri.path().starts_with("/diary/") {
                "/diary?n=saved".to_string()
            } else {
                format!("/lessons/{}?n=saved", a.lesson_id)
            };
            Ok(Redirect::to(&back).into_response())
        }
        Err(e) => fail(e),
    }
}

async fn js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        JOURNAL_JS,
    )
        .into_response()
}

pub use super::strings::{dm, strings, Strings};

// ---- journals ----

#[derive(Template)]
#[template(path = "journals.html")]
struct JournalsPage {
    ctx: Ctx,
    t: &'static Strings,
    journals: Vec<JournalRef>,
    today: Vec<Lesson>,
    timetable: bool,
    /// The administration's view: (class id, class, its journals).
    by_class: Vec<(String, String, Vec<JournalRef>)>,
}

async fn journals(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let p = &r.caller.principal;
    let journals = st.journal.my_journals(p).await?;
    let today = if p.role() == Role::Teacher {
        st.journal
            .timetable(
                p,
                &r.caller.origin,
                TimetableOf::Teacher(p.person_id),
                parta_core::time::today(),
                1,
            )
            .await?
    } else {
        Vec::new()
    };
    // The platform's administrator and operators have no timetable of their own.
    let timetable = matches!(p.role(), Role::Teacher | Role::SchoolAdmin);
    // The administration sees every journal of the school: a line per class.
    let mut by_class: Vec<(String, String, Vec<JournalRef>)> = Vec::new();
    if p.role() == Role::SchoolAdmin {
        for j in &journals {
            match by_class.last_mut() {
                Some(last) if last.0 == j.class_id.to_string() => last.2.push(j.clone()),
                _ => by_class.push((
                    j.class_id.to_string(),
                    j.class_name.clone(),
                    vec![j.clone()],
                )),
            }
        }
    }
    Ok(render(&JournalsPage {
        ctx: r.ctx(),
        t: strings(&r.headers),
        journals,
        today,
        timetable,
        by_class,
    }))
}

struct GridColumn {
    id: String,
    label: String,
    title: String,
    cancelled: bool,
    /// Форма контроля of the column (new marks take it).
    work_type: String,
    /// Today's column: highlighted and scrolled into view.
    today: bool,
}

struct GridCell {
    key: String,
    label: String,
    value: String,
    orig: String,
    title: String,
    locked: bool,
    /// `v5`… by the first mark (colour), `today` for today's column.
    class: String,
}

struct GridRow {
    id: String,
    name: String,
    cells: Vec<GridCell>,
    avg: String,
    suggested: String,
    grade: String,
}

#[derive(Template)]
#[template(path = "journal.html")]
struct JournalPage {
    ctx: Ctx,
    t: &'static Strings,
    g: JournalGrid,
    cols: Vec<GridColumn>,
    rows: Vec<GridRow>,
    /// The caller may read the class report (class teacher, administration).
    report: bool,
    /// Period grades are set in their own step (marks read-only then): arrow keys
    /// never wander into the grade column by accident.
    grades_step: bool,
}

impl JournalPage {
    /// A work type's name cut for a column header: «Контрольная работа» → «Контр.».
    fn short(&self, name: &str) -> String {
        let first = name.split_whitespace().next().unwrap_or(name);
        if first.chars().count() <= 6 {
            first.to_string()
        } else {
            format!("{}.", first.chars().take(5).collect::<String>())
        }
    }
}

/// Letters for attendance in a journal cell.
const ATT_LETTERS: [(&str, &str); 4] = [
    ("absent", "н"),
    ("ill", "б"),
    ("excused", "у"),
    ("late", "о"),
];

fn att_letter(status: &str) -> &'static str {
    ATT_LETTERS
        .iter()
        .find(|(s, _)| *s == status)
        .map(|(_, l)| *l)
        .unwrap_or("")
}

fn att_status(token: &str) -> Option<&'static str> {
    let t = token.to_lowercase();
    ATT_LETTERS
        .iter()
        .find(|(s, l)| t == *l || t == *s || (t == "n" && *s == "absent"))
        .map(|(s, _)| *s)
}

fn grid_view(g: &JournalGrid) -> (Vec<GridColumn>, Vec<GridRow>) {
    let wt: HashMap<&str, &str> = g
        .work_types
        .iter()
        .map(|w| (w.code.as_str(), w.name.as_str()))
        .collect();
    let today = parta_core::time::today().to_string();
    let cols = g
        .lessons
        .iter()
        .map(|l| GridColumn {
            id: l.id.to_string(),
            work_type: l
                .work_type
                .clone()
                .unwrap_or_else(|| "classwork".to_string()),
            today: l.day == today,
            label: dm(&l.day),
            title: format!(
                "{}, {}-й урок{}",
                ru_date(&l.day),
                l.lesson_no,
                l.topic
                    .as_ref()
                    .map(|t| format!(": {t}"))
                    .unwrap_or_default()
            ),
            cancelled: l.status == "cancelled",
        })
        .collect();
    let mut by_cell: HashMap<(LessonId, PersonId), Vec<&Mark>> = HashMap::new();
    for m in &g.marks {
        by_cell
            .entry((m.lesson_id, m.student_id))
            .or_default()
            .push(m);
    }
    let att: HashMap<(LessonId, PersonId), &str> = g
        .attendance
        .iter()
        .map(|a| ((a.lesson_id, a.student_id), a.status.as_str()))
        .collect();
    let rows = g
        .students
        .iter()
        .map(|s| {
            let sum = g.summaries.iter().find(|x| x.student_id == s.id);
            GridRow {
                id: s.id.to_string(),
                name: s.name.clone(),
                cells: g
                    .lessons
                    .iter()
                    .map(|l| {
                        let marks = by_cell.get(&(l.id, s.id)).cloned().unwrap_or_default();
                        let a = att.get(&(l.id, s.id)).map(|x| att_letter(x)).unwrap_or("");
                        let mut value: Vec<String> =
                            marks.iter().map(|m| m.value.clone()).collect();
                        let mut orig: Vec<String> = marks
                            .iter()
                            .map(|m| format!("{}@{}", m.value, m.id))
                            .collect();
                        if !a.is_empty() {
                            value.push(a.to_uppercase());
                            orig.push(a.to_string());
                        }
                        GridCell {
                            key: format!("{}.{}", l.id, s.id),
                            label: dm(&l.day),
                            value: value.join(" "),
                            orig: orig.join(" "),
                            title: marks
                                .iter()
                                .map(|m| {
                                    format!(
                                        "{}: {} ×{}{}",
                                        m.value,
                                        wt.get(m.work_type.as_str()).unwrap_or(&""),
                                        m.weight,
                                        m.comment
                                            .as_ref()
                                            .map(|c| format!(" — {c}"))
                                            .unwrap_or_default()
                                    )
                                })
                                .collect::<Vec<_>>()
                                .join("; "),
                            // Marks go on lessons given, not on cancelled or future ones.
                            locked: l.status == "cancelled" || l.day > today,
                            class: [
                                marks
                                    .first()
                                    .map(|m| format!("v{}", m.value))
                                    .unwrap_or_default(),
                                if l.day == today {
                                    "today".into()
                                } else {
                                    String::new()
                                },
                            ]
                            .join(" ")
                            .trim()
                            .to_string(),
                        }
                    })
                    .collect(),
                avg: sum
                    .and_then(|x| x.average)
                    .map(|a| format!("{a:.2}"))
                    .unwrap_or_default(),
                suggested: sum.and_then(|x| x.suggested.clone()).unwrap_or_default(),
                grade: sum.and_then(|x| x.grade.clone()).unwrap_or_default(),
            }
        })
        .collect();
    (cols, rows)
}

#[derive(Deserialize)]
struct PeriodQuery {
    period: Option<String>,
    /// The step of period grades.
    grades: Option<String>,
}

async fn journal(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path((class, subject)): Path<(String, String)>,
    Query(q): Query<PeriodQuery>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let Ok(class) = class.parse::<ClassId>() else {
        return fail(Problem::not_found());
    };
    let period = q.period.as_deref().and_then(|p| p.parse().ok());
    match st
        .journal
        .grid(
            &r.caller.principal,
            &r.caller.origin,
            class,
            &subject,
            period,
        )
        .await
    {
        Ok(g) => {
            let (cols, rows) = grid_view(&g);
            let report = st
                .registry
                .may_read_class_journal(&r.caller.principal, class)
                .await?;
            Ok(render(&JournalPage {
                ctx: r.ctx(),
                t: strings(&r.headers),
                grades_step: q.grades.is_some() && g.may_write,
                g,
                cols,
                rows,
                report,
            }))
        }
        Err(e) => fail(e),
    }
}

#[derive(Template)]
#[template(path = "plan.html")]
struct PlanPage {
    ctx: Ctx,
    t: &'static Strings,
    class_id: String,
    class_name: String,
    subject: String,
    subject_name: String,
    text: String,
    from: String,
    err: parta_http::page::FormErrors,
    /// Topics filled by the last submit.
    filled: Option<usize>,
}

#[derive(Deserialize, Default)]
struct PlanForm {
    #[serde(default)]
    plan: String,
    #[serde(default)]
    from: String,
}

async fn plan_form(
    st: &Web,
    r: &PageReq,
    class: ClassId,
    subject: &str,
    f: PlanForm,
    problem: Option<&Problem>,
    filled: Option<usize>,
) -> PageResult<Response> {
    let g = st
        .journal
        .grid(&r.caller.principal, &r.caller.origin, class, subject, None)
        .await?;
    if !g.may_write {
        return Err(Problem::forbidden().into());
    }
    let mut ctx = r.ctx();
    let err = match problem {
        Some(p) => {
            ctx.errors = parta_http::page::messages(p, ctx.lang);
            parta_http::page::FormErrors::from_problem(p, ctx.lang)
        }
        None => Default::default(),
    };
    Ok(render(&PlanPage {
        ctx,
        t: strings(&r.headers),
        class_id: class.to_string(),
        class_name: g.class_name.clone(),
        subject: subject.to_string(),
        subject_name: g.subject_name.clone(),
        text: f.plan,
        from: if f.from.is_empty() {
            ru_date(&parta_core::time::today().to_string())
        } else {
            f.from
        },
        err,
        filled,
    }))
}

/// Тематическое планирование: topics in order fill the coming lessons without one.
async fn plan_page(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path((class, subject)): Path<(String, String)>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let Ok(class) = class.parse::<ClassId>() else {
        return fail(Problem::not_found());
    };
    plan_form(&st, &r, class, &subject, PlanForm::default(), None, None).await
}

async fn plan_submit(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path((class, subject)): Path<(String, String)>,
    Form(f): Form<PlanForm>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let Ok(class) = class.parse::<ClassId>() else {
        return fail(Problem::not_found());
    };
    if f.plan.len() > 200_000 {
        return fail(Problem::invalid("plan", "План слишком длинный."));
    }
    let from = match form_date("from", &f.from) {
        Ok(d) => d,
        Err(p) => {
            let page = plan_form(&st, &r, class, &subject, f, Some(&p), None).await?;
            return Ok((p.status_code(), page).into_response());
        }
    };
    let topics = crate::journal::plan::parse_plan(&f.plan);
    match st
        .journal
        .apply_plan(
            &r.caller.principal,
            &r.caller.origin,
            class,
            &subject,
            topics,
            from,
        )
        .await
    {
        Ok(n) => plan_form(&st, &r, class, &subject, PlanForm::default(), None, Some(n)).await,
        Err(e) => {
            let p = Problem::from(e);
            if p.status == 403 || p.status == 404 {
                return fail(p);
            }
            let page = plan_form(&st, &r, class, &subject, f, Some(&p), None).await?;
            Ok((p.status_code(), page).into_response())
        }
    }
}

/// What the teacher changed on the journal form: the save, grades (student, value), and
/// the keys of the changed cells.
type FormChanges = (JournalSave, Vec<(PersonId, Option<String>)>, Vec<String>);

/// Turns changed cells of the journal form into one save. A cell holds marks and an
/// attendance letter separated by spaces; its hidden twin holds what the page showed
/// (`value@mark-id` and the letter), so only what the teacher changed is written.
fn cells_to_save(fields: &[(String, String)], work_type: &str) -> Result<FormChanges, Problem> {
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let mut save = JournalSave::default();
    let mut grades = Vec::new();
    let mut keys = Vec::new();
    for (name, value) in fields {
        if let Some(key) = name.strip_prefix("m.") {
            let orig = get(&format!("o.{key}")).unwrap_or("");
            let shown: String = orig
                .split_whitespace()
                .map(|t| t.split('@').next().unwrap_or(""))
                .map(|t| {
                    att_status(t)
                        .map(|_| t.to_uppercase())
                        .unwrap_or(t.to_string())
                })
                .collect::<Vec<_>>()
                .join(" ");
            if value.split_whitespace().collect::<Vec<_>>().join(" ") == shown {
                continue;
            }
            let (lesson, student) = key
                .split_once('.')
                .and_then(|(l, s)| Some((l.parse::<LessonId>().ok()?, s.parse::<PersonId>().ok()?)))
                .ok_or_else(|| Problem::invalid(name.as_str(), "Неверная ячейка журнала."))?;
            keys.push(key.to_string());
            let old_marks: Vec<(String, Option<MarkId>)> = orig
                .split_whitespace()
                .filter_map(|t| t.split_once('@'))
                .map(|(v, id)| (v.to_string(), id.parse().ok()))
                .collect();
            let old_att = orig
                .split_whitespace()
                .find(|t| !t.contains('@') && att_status(t).is_some());
            let tokens: Vec<&str> = value
                .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
                .filter(|t| !t.is_empty())
                .collect();
            let new_att = tokens.iter().find_map(|t| att_status(t));
            let new_marks: Vec<&str> = tokens
                .iter()
                .filter(|t| att_status(t).is_none())
                .copied()
                .collect();
            for i in 0..old_marks.len().max(new_marks.len()) {
                match (old_marks.get(i), new_marks.get(i)) {
                    (Some((v, id)), Some(n)) if v != n => save.marks.push(MarkInput {
                        lesson_id: lesson,
                        student_id: student,
                        mark_id: *id,
                        new_id: None,
                        value: Some(n.to_string()),
                        work_type: None,
                        comment: None,
                    }),
                    (Some(_), Some(_)) => {}
                    (Some((_, id)), None) => save.marks.push(MarkInput {
                        lesson_id: lesson,
                        student_id: student,
                        mark_id: *id,
                        new_id: None,
                        value: None,
                        work_type: None,
                        comment: None,
                    }),
                    (None, Some(n)) => save.marks.push(MarkInput {
                        lesson_id: lesson,
                        student_id: student,
                        mark_id: None,
                        new_id: None,
                        value: Some(n.to_string()),
                        // The column's форма контроля, else the form's default.
                        work_type: Some(
                            get(&format!("wt.{lesson}"))
                                .unwrap_or(work_type)
                                .to_string(),
                        ),
                        comment: None,
                    }),
                    (None, None) => {}
                }
            }
            if old_att.and_then(att_status) != new_att {
                save.attendance.push(AttendanceInput {
                    lesson_id: lesson,
                    student_id: student,
                    status: new_att.map(str::to_string),
                    reason: None,
                });
            }
        } else if let Some(lesson) = name.strip_prefix("wt.") {
            // A column's форма контроля changed.
            if get(&format!("owt.{lesson}")).unwrap_or("") != value.as_str() {
                let lesson_id = lesson
                    .parse::<LessonId>()
                    .map_err(|_| Problem::invalid(name.as_str(), "Неверный столбец журнала."))?;
                save.lessons.push(LessonInput {
                    lesson_id,
                    topic: None,
                    homework: None,
                    homework_due: None,
                    attendance_taken: None,
                    handin: None,
                    work_type: Some(value.clone()),
                });
            }
        } else if let Some(student) = name.strip_prefix("g.") {
            if get(&format!("og.{student}")).unwrap_or("") != value.trim() {
                let id = student
                    .parse::<PersonId>()
                    .map_err(|_| Problem::invalid(name.as_str(), "Неверная строка журнала."))?;
                grades.push((id, Some(value.trim().to_string()).filter(|v| !v.is_empty())));
            }
        }
    }
    Ok((save, grades, keys))
}

async fn journal_save(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path((class, subject)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let wants_json = r
        .headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    let Ok(class_id) = class.parse::<ClassId>() else {
        return fail(Problem::not_found());
    };
    // Subject codes are Latin letters, digits and `_`; anything else is no journal.
    if !subject
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return fail(Problem::not_found());
    }
    let work_type = fields
        .iter()
        .find(|(k, _)| k == "work_type")
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| "classwork".into());
    let period = fields
        .iter()
        .find(|(k, _)| k == "period")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let p = &r.caller.principal;
    let result = async {
        let (save, grades, keys) = cells_to_save(&fields, &work_type)?;
        // Marks and grades of one form are written together or not at all.
        let grades = (!grades.is_empty()).then(|| GradesInput {
            class_id,
            subject_code: subject.clone(),
            period: period.clone(),
            grades: grades
                .into_iter()
                .map(|(student_id, value)| GradeInput { student_id, value })
                .collect(),
        });
        let saved = st
            .journal
            .save(
                p,
                &r.caller.origin,
                class_id,
                &subject,
                save.clone(),
                grades,
            )
            .await
            .map_err(Problem::from)?;
        Ok::<_, Problem>((save, saved, keys))
    }
    .await;
    match (result, wants_json) {
        (Ok((save, saved, keys)), true) => {
            // The new hidden value of each saved cell, so the next edit diffs against it.
            let mut created = saved.created.iter();
            let mut cells: HashMap<String, Vec<String>> = HashMap::new();
            for m in &save.marks {
                let key = format!("{}.{}", m.lesson_id, m.student_id);
                if let (Some(v), Some(id)) =
                    (&m.value, m.mark_id.or_else(|| created.next().copied()))
                {
                    cells.entry(key).or_default().push(format!("{v}@{id}"));
                }
            }
            Ok(
                Json(serde_json::json!({"ok": true, "saved": keys, "marks": cells}))
                    .into_response(),
            )
        }
        (Ok(_), false) => {
            let period = if period.parse::<parta_core::ids::PeriodId>().is_ok() {
                period
            } else {
                String::new()
            };
            let q = if period.is_empty() {
                String::new()
            } else {
                format!("period={period}&")
            };
            Ok(Redirect::to(&format!("/journal/{class}/{subject}?{q}n=saved")).into_response())
        }
        (Err(p), true) => Ok(p.into_response()),
        (Err(p), false) => fail(p),
    }
}

// ---- a lesson ----

struct LessonRow {
    name: String,
    marks: String,
    attendance: String,
    homework: String,
}

/// A student's hand-in as the teacher reviews it.
struct HandInView {
    student_id: String,
    name: String,
    answer: String,
    files: Vec<Attachment>,
    /// submitted | accepted | returned
    status: String,
    comment: String,
    /// The student's marks at this lesson, for the teacher to see.
    marks: String,
}

#[derive(Template)]
#[template(path = "lesson.html")]
struct LessonPage {
    ctx: Ctx,
    t: &'static Strings,
    s: LessonSheet,
    day: String,
    rows: Vec<LessonRow>,
    handins: Vec<HandInView>,
    /// The school administration changes the lesson here: (id, name) of the staff.
    manage: Option<Vec<(String, String)>>,
    /// A review that failed, shown again at its student: (student, problem lines).
    review_errors: Option<(String, parta_http::page::FormErrors)>,
    /// A change that failed: its form open again with what was typed and the errors.
    change: Option<ChangeAgain>,
}

/// A lesson change form shown again: which one, the input, the errors by field.
struct ChangeAgain {
    kind: String,
    teacher_id: String,
    day: String,
    lesson_no: String,
    note: String,
    err: parta_http::page::FormErrors,
}

async fn lesson(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let Ok(id) = id.parse::<LessonId>() else {
        return fail(Problem::not_found());
    };
    lesson_page(&st, &r, id, None).await
}

/// The lesson page; with a failed change, its form open again with the input kept.
async fn lesson_page(
    st: &Web,
    r: &PageReq,
    id: LessonId,
    change: Option<(ChangeForm, Problem)>,
) -> PageResult {
    match st
        .journal
        .lesson_sheet(&r.caller.principal, &r.caller.origin, id)
        .await
    {
        Ok(s) => {
            let rows = rows_of(&s);
            let handins = handins_of(&s);
            let p = &r.caller.principal;
            let org = match st.registry.class_facts(s.lesson.class_id).await {
                Ok(f) => f.map(|f| f.org.organisation),
                Err(e) => return fail(Problem::from(e)),
            };
            let manage = match org {
                Some(o) => match st.journal.may_manage(p, o).await {
                    Ok(true) => match st.registry.staff(p, &r.caller.origin, o).await {
                        Ok(staff) => Some(
                            staff
                                .into_iter()
                                .map(|(b, _)| (b.id.to_string(), b.full_name()))
                                .collect(),
                        ),
                        Err(e) => return fail(Problem::from(e)),
                    },
                    Ok(false) => None,
                    Err(e) => return fail(Problem::from(e)),
                },
                None => None,
            };
            let mut ctx = r.ctx();
            let status = change
                .as_ref()
                .map(|(_, p)| p.status_code())
                .unwrap_or(StatusCode::OK);
            let change = change.map(|(f, problem)| {
                ctx.errors = parta_http::page::messages(&problem, ctx.lang);
                ChangeAgain {
                    kind: f.kind,
                    teacher_id: f.teacher_id.unwrap_or_default(),
                    day: f.day.unwrap_or_default(),
                    lesson_no: f.lesson_no.unwrap_or_default(),
                    note: f.note.unwrap_or_default(),
                    err: parta_http::page::FormErrors::from_problem(&problem, ctx.lang),
                }
            });
            let page = render(&LessonPage {
                ctx,
                t: strings(&r.headers),
                day: ru_date(&s.lesson.day),
                s,
                rows,
                handins,
                manage,
                review_errors: None,
                change,
            });
            Ok((status, page).into_response())
        }
        Err(e) => fail(e),
    }
}

/// A row per student: marks, attendance and homework at this lesson.
fn rows_of(s: &LessonSheet) -> Vec<LessonRow> {
    s.students
        .iter()
        .map(|st_| LessonRow {
            name: st_.name.clone(),
            marks: s
                .marks
                .iter()
                .filter(|m| m.student_id == st_.id)
                .map(|m| m.value.clone())
                .collect::<Vec<_>>()
                .join(" "),
            attendance: s
                .attendance
                .iter()
                .find(|a| a.student_id == st_.id)
                .map(|a| attendance_label(&a.status).to_string())
                .unwrap_or_default(),
            homework: s
                .submissions
                .iter()
                .find(|x| x.student_id == st_.id && x.done_at.is_some())
                .map(|x| format!("✓ {}", x.answer.clone().unwrap_or_default()))
                .unwrap_or_default(),
        })
        .collect()
}

/// Who handed in what: answers, files with their sizes, the review so far.
fn handins_of(s: &LessonSheet) -> Vec<HandInView> {
    s.submissions
        .iter()
        .filter(|x| {
            x.done_at.is_some()
                || s.attachments
                    .iter()
                    .any(|a| a.student_id == Some(x.student_id))
        })
        .map(|x| HandInView {
            student_id: x.student_id.to_string(),
            name: x.student_name.clone(),
            answer: x.answer.clone().unwrap_or_default(),
            files: s
                .attachments
                .iter()
                .filter(|a| a.student_id == Some(x.student_id))
                .cloned()
                .collect(),
            status: x.status.clone().unwrap_or_else(|| "submitted".into()),
            comment: x.teacher_comment.clone().unwrap_or_default(),
            marks: s
                .marks
                .iter()
                .filter(|m| m.student_id == x.student_id)
                .map(|m| m.value.clone())
                .collect::<Vec<_>>()
                .join(" "),
        })
        .collect()
}

#[derive(Deserialize)]
struct ReviewForm {
    #[serde(default)]
    decision: String,
    mark: Option<String>,
    comment: Option<String>,
}

/// The teacher accepts a hand-in (with a mark) or returns it for rework.
async fn handin_review(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path((id, student)): Path<(String, String)>,
    Form(f): Form<ReviewForm>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let (Ok(id), Ok(student)) = (id.parse::<LessonId>(), student.parse()) else {
        return fail(Problem::not_found());
    };
    let p = &r.caller.principal;
    let review = HandInReview {
        decision: f.decision,
        mark: f.mark,
        comment: f.comment,
    };
    match st
        .journal
        .review_handin(p, &r.caller.origin, id, student, review)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/lessons/{id}?n=saved#handins")).into_response()),
        Err(e) => {
            let problem = Problem::from(e);
            if problem.status == 404 || problem.status == 403 {
                return fail(problem);
            }
            // The lesson page again, the error at the student's form.
            let s = st.journal.lesson_sheet(p, &r.caller.origin, id).await?;
            let mut ctx = r.ctx();
            ctx.errors = parta_http::page::messages(&problem, ctx.lang);
            let handins = handins_of(&s);
            let page = LessonPage {
                ctx,
                t: strings(&r.headers),
                day: ru_date(&s.lesson.day),
                rows: rows_of(&s),
                handins,
                manage: None,
                review_errors: Some((
                    student.to_string(),
                    parta_http::page::FormErrors::from_problem(&problem, r.lang()),
                )),
                change: None,
                s,
            };
            Ok((problem.status_code(), render(&page)).into_response())
        }
    }
}

#[derive(Deserialize)]
struct LessonForm {
    topic: Option<String>,
    homework: Option<String>,
    /// The box «Посещаемость отмечена».
    attendance_taken: Option<String>,
    /// The box «Сдать работу через систему».
    handin: Option<String>,
}

async fn lesson_save(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<LessonForm>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let Ok(id) = id.parse::<LessonId>() else {
        return fail(Problem::not_found());
    };
    let p = &r.caller.principal;
    let l = match st.journal.lesson_sheet(p, &r.caller.origin, id).await {
        Ok(s) => s.lesson,
        Err(e) => return fail(e),
    };
    let save = JournalSave {
        lessons: vec![LessonInput {
            lesson_id: id,
            topic: f.topic,
            homework: f.homework,
            homework_due: None,
            attendance_taken: Some(f.attendance_taken.is_some()),
            handin: Some(f.handin.is_some()),
            work_type: None,
        }],
        ..Default::default()
    };
    match st
        .journal
        .save(p, &r.caller.origin, l.class_id, &l.subject_code, save, None)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/lessons/{id}?n=saved")).into_response()),
        Err(e) => fail(e),
    }
}

#[derive(Template)]
#[template(path = "substitutions.html")]
struct SubstitutionsPage {
    ctx: Ctx,
    t: &'static Strings,
    org: String,
    d: crate::timetable::substitutions::SubstitutionDay,
    label: String,
    /// Where the change forms come back to.
    back: String,
}

#[derive(Deserialize)]
struct SubstitutionsQuery {
    day: Option<String>,
    teacher: Option<String>,
}

/// The administration's day of substitutions: the absent teacher's lessons, the free
/// teachers offered for each.
async fn substitutions_page(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
    Query(q): Query<SubstitutionsQuery>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let Ok(org) = id.parse() else {
        return fail(Problem::not_found());
    };
    let day = q
        .day
        .as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .unwrap_or_else(parta_core::time::today);
    let absent = q.teacher.as_deref().and_then(|t| t.parse().ok());
    let d = st
        .journal
        .substitution_day(&r.caller.principal, org, day, absent)
        .await?;
    let back = format!(
        "/schools/{org}/substitutions?day={day}{}",
        absent
            .map(|a: parta_core::ids::PersonId| format!("&teacher={a}"))
            .unwrap_or_default()
    );
    Ok(render(&SubstitutionsPage {
        ctx: r.ctx(),
        t: strings(&r.headers),
        org: id,
        label: ru_date(&d.day),
        d,
        back,
    }))
}

#[derive(Deserialize, Default)]
struct ChangeForm {
    #[serde(default)]
    kind: String,
    teacher_id: Option<String>,
    day: Option<String>,
    /// Kept as typed, so a wrong number comes back in its box.
    lesson_no: Option<String>,
    note: Option<String>,
    /// The page to come back to (the substitutions of the day); the lesson's otherwise.
    back: Option<String>,
    /// The box «Да, отменить урок»: a cancellation is not done by a stray click.
    confirm: Option<String>,
}

/// What the form asks for, or the field that is wrong.
fn change_of(f: &ChangeForm) -> Result<LessonChange, Problem> {
    let note = f.note.clone().filter(|n| !n.trim().is_empty());
    Ok(match f.kind.as_str() {
        "substitution" => match f.teacher_id.as_deref().and_then(|t| t.parse().ok()) {
            Some(teacher_id) => LessonChange::Substitution { teacher_id, note },
            None => {
                return Err(Problem::invalid(
                    "teacher_id",
                    "Выберите учителя на замену.",
                ))
            }
        },
        "cancellation" if f.confirm.is_none() => {
            return Err(Problem::invalid(
                "confirm",
                "Урок не отменён: поставьте отметку «Да, отменить урок» рядом с кнопкой.",
            ))
        }
        "cancellation" => LessonChange::Cancellation { note },
        "move" => {
            // A date as a date field sends it, or as people type it (05.12.2026).
            let day = f.day.as_deref().map(str::trim).and_then(|d| {
                NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .or_else(|_| NaiveDate::parse_from_str(d, "%d.%m.%Y"))
                    .ok()
            });
            let Some(day) = day else {
                return Err(Problem::invalid(
                    "day",
                    "Укажите новую дату урока, например 05.12.2026.",
                ));
            };
            let no = f
                .lesson_no
                .as_deref()
                .map(str::trim)
                .and_then(|n| n.parse().ok());
            match no {
                Some(lesson_no @ 1..=12) => LessonChange::Move {
                    day,
                    lesson_no,
                    room: None,
                    note,
                },
                _ => {
                    return Err(Problem::invalid(
                        "lesson_no",
                        "Номер урока — число от 1 до 12.",
                    ))
                }
            }
        }
        _ => {
            return Err(Problem::invalid(
                "kind",
                "Выберите: замена, отмена или перенос.",
            ))
        }
    })
}

/// Замена, отмена или перенос from the lesson page (the school administration).
async fn lesson_change(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<ChangeForm>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let Ok(id) = id.parse::<LessonId>() else {
        return fail(Problem::not_found());
    };
    let done = match change_of(&f) {
        Ok(change) => st
            .journal
            .change_lesson(&r.caller.principal, &r.caller.origin, id, change)
            .await
            .map_err(Problem::from),
        Err(p) => Err(p),
    };
    match done {
        Ok(_) => {
            let to = match f.back.as_deref() {
                Some(b) if b.starts_with("/schools/") => {
                    format!("{}&n=saved", parta_http::caller::safe_next(Some(b)))
                }
                _ => format!("/lessons/{id}?n=saved"),
            };
            Ok(Redirect::to(&to).into_response())
        }
        // What was typed comes back in the lesson's change form, the error at its field.
        Err(p) if p.status == 422 || p.status == 409 => {
            lesson_page(&st, &r, id, Some((f, p))).await
        }
        Err(p) => fail(p),
    }
}

// ---- diary ----

struct DiaryMarkView {
    value: String,
    title: String,
}

struct DiaryLessonView {
    id: String,
    no: i64,
    time: String,
    subject: String,
    teacher: String,
    room: String,
    change: String,
    cancelled: bool,
    topic: String,
    homework: String,
    done: bool,
    /// The teacher asked for a hand-in: the answer controls are shown.
    handin: bool,
    /// The hand-in's state in words, and the teacher's comment.
    review: String,
    teacher_comment: String,
    marks: Vec<DiaryMarkView>,
    attendance: String,
    files: Vec<DiaryFile>,
}

struct DiaryDayView {
    weekday: String,
    label: String,
    lessons: Vec<DiaryLessonView>,
}

struct DiaryWeekView {
    student_id: PersonId,
    student_name: String,
    class_name: Option<String>,
    monday: String,
    days: Vec<DiaryDayView>,
}

#[derive(Template)]
#[template(path = "diary.html")]
struct DiaryPage {
    ctx: Ctx,
    t: &'static Strings,
    w: DiaryWeekView,
    people: Vec<(String, String)>,
    student_self: bool,
    prev: String,
    next: String,
}

#[derive(Deserialize)]
struct DiaryQuery {
    student: Option<String>,
    week: Option<String>,
    period: Option<String>,
}

/// The student the diary is about: asked for, else the caller (a student) or their
/// first child (a parent).
async fn diary_student(
    st: &Web,
    r: &PageReq,
    asked: Option<&str>,
) -> Result<(PersonId, Vec<(String, String)>), Problem> {
    let people = st
        .journal
        .diary_people(&r.caller.principal)
        .await
        .map_err(Problem::from)?;
    let list: Vec<(String, String)> = people
        .iter()
        .map(|(id, n)| (id.to_string(), n.clone()))
        .collect();
    match asked {
        Some(s) => Ok((s.parse().map_err(|_| Problem::not_found())?, list)),
        None => people
            .first()
            .map(|(id, _)| (*id, list))
            .ok_or_else(Problem::not_found),
    }
}

async fn diary(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Query(q): Query<DiaryQuery>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let t = strings(&r.headers);
    let (student, people) = diary_student(&st, &r, q.student.as_deref()).await?;
    let day = q
        .week
        .as_deref()
        .and_then(|w| NaiveDate::parse_from_str(w, "%Y-%m-%d").ok())
        .unwrap_or_else(parta_core::time::today);
    let week = st
        .journal
        .diary_week(&r.caller.principal, &r.caller.origin, student, day)
        .await?;
    let monday = monday_of(day);
    let w = DiaryWeekView {
        student_id: week.student_id,
        student_name: week.student_name,
        class_name: week.class_name,
        monday: week.monday,
        days: week
            .days
            .into_iter()
            .map(|d| {
                let wd = NaiveDate::parse_from_str(&d.day, "%Y-%m-%d")
                    .map(|x| x.weekday().num_days_from_monday() as usize)
                    .unwrap_or(0);
                DiaryDayView {
                    weekday: t.weekdays[wd].to_string(),
                    label: ru_date(&d.day),
                    lessons: d
                        .lessons
                        .into_iter()
                        .map(|l| DiaryLessonView {
                            id: l.lesson.id.to_string(),
                            no: l.lesson.lesson_no,
                            time: match (&l.lesson.starts_at, &l.lesson.ends_at) {
                                (Some(a), Some(b)) => format!("{a}–{b}"),
                                _ => String::new(),
                            },
                            subject: l.lesson.subject_name.clone(),
                            teacher: l.lesson.teacher_name.clone(),
                            room: l.lesson.room.clone().unwrap_or_default(),
                            change: l
                                .lesson
                                .change_kind
                                .as_deref()
                                .map(|k| t.change_label(k).to_string())
                                .unwrap_or_default(),
                            cancelled: l.lesson.status == "cancelled",
                            topic: l.lesson.topic.clone().unwrap_or_default(),
                            homework: l.lesson.homework.clone().unwrap_or_default(),
                            done: l.homework_done,
                            handin: l.lesson.handin == 1,
                            review: match l.handin_status.as_deref() {
                                Some("accepted") => t.handin_accepted.to_string(),
                                Some("returned") => t.handin_returned.to_string(),
                                Some(_) if l.lesson.handin == 1 => t.handin_sent.to_string(),
                                _ => String::new(),
                            },
                            teacher_comment: l.teacher_comment.clone().unwrap_or_default(),
                            marks: l
                                .marks
                                .iter()
                                .map(|m| DiaryMarkView {
                                    value: m.value.clone(),
                                    title: format!(
                                        "{} ×{}{}",
                                        m.work_type_name,
                                        m.weight,
                                        m.comment
                                            .as_ref()
                                            .map(|c| format!(" — {c}"))
                                            .unwrap_or_default()
                                    ),
                                })
                                .collect(),
                            attendance: l
                                .attendance
                                .as_deref()
                                .map(attendance_label)
                                .unwrap_or("")
                                .to_string(),
                            files: l.files.clone(),
                        })
                        .collect(),
                }
            })
            .collect(),
    };
    Ok(render(&DiaryPage {
        ctx: r.ctx(),
        t,
        student_self: r.caller.principal.person_id == student,
        prev: (monday - Duration::days(7)).to_string(),
        next: (monday + Duration::days(7)).to_string(),
        people,
        w,
    }))
}

struct SubjectMarksRow {
    name: String,
    marks: Vec<(String, String)>,
    avg: String,
    grade: String,
}

#[derive(Template)]
#[template(path = "marks.html")]
struct MarksPage {
    ctx: Ctx,
    t: &'static Strings,
    m: StudentMarks,
    rows: Vec<SubjectMarksRow>,
    selected: String,
}

async fn marks(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Query(q): Query<DiaryQuery>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let (student, _) = diary_student(&st, &r, q.student.as_deref()).await?;
    let period = q.period.as_deref().and_then(|p| p.parse().ok());
    match st
        .journal
        .student_marks(&r.caller.principal, &r.caller.origin, student, period)
        .await
    {
        Ok(m) => {
            let rows = m
                .subjects
                .iter()
                .map(|s| SubjectMarksRow {
                    name: s.subject_name.clone(),
                    marks: s
                        .marks
                        .iter()
                        .map(|x| {
                            (
                                x.value.clone(),
                                format!("{} ×{}", x.work_type_name, x.weight),
                            )
                        })
                        .collect(),
                    avg: s.average.map(|a| format!("{a:.2}")).unwrap_or_default(),
                    grade: s.grade.clone().unwrap_or_default(),
                })
                .collect();
            Ok(render(&MarksPage {
                ctx: r.ctx(),
                t: strings(&r.headers),
                selected: m
                    .period
                    .as_ref()
                    .map(|p| p.id.to_string())
                    .unwrap_or_default(),
                rows,
                m,
            }))
        }
        Err(e) => fail(e),
    }
}

#[derive(Deserialize)]
struct DoneForm {
    done: Option<String>,
    back: Option<String>,
}

async fn homework_done(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<DoneForm>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let Ok(id) = id.parse::<LessonId>() else {
        return fail(Problem::not_found());
    };
    let input = HomeworkAnswer {
        answer: None,
        done: f.done.as_deref() != Some("0"),
    };
    match st
        .journal
        .submit_homework(&r.caller.principal, id, input)
        .await
    {
        Ok(()) => {
            let week = f
                .back
                .filter(|b| NaiveDate::parse_from_str(b, "%Y-%m-%d").is_ok())
                .unwrap_or_default();
            Ok(Redirect::to(&format!("/diary?week={week}&n=saved")).into_response())
        }
        Err(e) => fail(e),
    }
}

// ---- timetable ----

#[derive(Template)]
#[template(path = "timetable.html")]
struct TimetablePage {
    ctx: Ctx,
    t: &'static Strings,
    whose: String,
    query: String,
    choices: Vec<(String, String)>,
    monday: String,
    prev: String,
    next: String,
    days: Vec<(String, Vec<Lesson>)>,
    /// The class's template page, for its school's administration.
    edit: Option<String>,
    /// Lessons whose page the caller may open (teachers, the administration).
    open: std::collections::HashSet<LessonId>,
}

#[derive(Deserialize)]
struct TimetablePageQuery {
    class: Option<String>,
    teacher: Option<String>,
    student: Option<String>,
    /// A room (кабинет) of `school`.
    room: Option<String>,
    school: Option<String>,
    week: Option<String>,
}

async fn timetable(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Query(q): Query<TimetablePageQuery>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let t = strings(&r.headers);
    let p = &r.caller.principal;
    fn parse<I: std::str::FromStr>(s: &Option<String>) -> Option<Result<I, Problem>> {
        s.as_deref()
            .map(|x| x.parse().map_err(|_| Problem::not_found()))
    }
    let day = q
        .week
        .as_deref()
        .and_then(|w| NaiveDate::parse_from_str(w, "%Y-%m-%d").ok())
        .unwrap_or_else(parta_core::time::today);
    let monday = monday_of(day);
    if let (Some(room), Some(school)) = (&q.room, &q.school) {
        let Ok(org) = school.parse::<parta_core::ids::OrganisationId>() else {
            return fail(Problem::not_found());
        };
        let lessons = st.journal.room_timetable(p, org, room, monday, 7).await?;
        let room_q = |x: &str| {
            format!(
                "school={org}&room={}",
                form_urlencoded::byte_serialize(x.as_bytes()).collect::<String>()
            )
        };
        let choices = match st.journal.rooms(p, org).await {
            Ok(rooms) => rooms
                .into_iter()
                .map(|x| (room_q(&x), format!("{} {x}", t.room)))
                .collect(),
            Err(e) => return fail(e),
        };
        let whose = format!("{} {room}", t.room);
        let open = st.journal.readable_lessons(p, &lessons).await?;
        return Ok(week_page(
            &r,
            t,
            whose,
            room_q(room),
            choices,
            monday,
            lessons,
            None,
            open,
        ));
    }
    let mut choices = Vec::new();
    let of = match (
        parse::<ClassId>(&q.class),
        parse::<PersonId>(&q.teacher),
        parse::<PersonId>(&q.student),
    ) {
        (Some(Ok(c)), _, _) => TimetableOf::Class(c),
        (_, Some(Ok(t)), _) => TimetableOf::Teacher(t),
        (_, _, Some(Ok(s))) => TimetableOf::Student(s),
        (Some(Err(e)), _, _) | (_, Some(Err(e)), _) | (_, _, Some(Err(e))) => return fail(e),
        (None, None, None) => {
            // Whose timetable to start with, by role.
            let people = st.journal.diary_people(p).await?;
            for (id, name) in &people {
                choices.push((format!("student={id}"), name.clone()));
            }
            match p.role() {
                Role::Teacher => TimetableOf::Teacher(p.person_id),
                Role::Student | Role::Parent => match people.first() {
                    Some((id, _)) => TimetableOf::Student(*id),
                    None => return fail(Problem::not_found()),
                },
                _ => {
                    let mut classes = Vec::new();
                    for org in &p.scope.organisations {
                        match st.registry.classes(p, *org).await {
                            Ok(c) => classes.extend(c),
                            Err(e) => return fail(e),
                        }
                    }
                    for c in &classes {
                        choices.push((format!("class={}", c.id), c.name.clone()));
                    }
                    for org in &p.scope.organisations {
                        let rooms = st.journal.rooms(p, *org).await?;
                        for x in rooms {
                            let q =
                                form_urlencoded::byte_serialize(x.as_bytes()).collect::<String>();
                            choices.push((
                                format!("school={org}&room={q}"),
                                format!("{} {x}", t.room),
                            ));
                        }
                    }
                    match classes.first() {
                        Some(c) => TimetableOf::Class(c.id),
                        None => return fail(Problem::not_found()),
                    }
                }
            }
        }
    };
    let lessons = st
        .journal
        .timetable(p, &r.caller.origin, of, monday, 7)
        .await?;
    let (whose, query) = match of {
        TimetableOf::Class(c) => (
            lessons
                .first()
                .map(|l| l.class_name.clone())
                .unwrap_or_default(),
            format!("class={c}"),
        ),
        TimetableOf::Teacher(x) => (
            lessons
                .iter()
                .find(|l| l.teacher_id == x)
                .map(|l| l.teacher_name.clone())
                .unwrap_or_default(),
            format!("teacher={x}"),
        ),
        TimetableOf::Student(s) => (
            choices
                .iter()
                .find(|c| c.0 == format!("student={s}"))
                .map(|c| c.1.clone())
                .unwrap_or_default(),
            format!("student={s}"),
        ),
    };
    let mut edit = None;
    if let TimetableOf::Class(c) = of {
        let facts = st.registry.class_facts(c).await?;
        if let Some(f) = facts {
            match st.journal.may_manage(p, f.org.organisation).await {
                Ok(true) => edit = Some(format!("/classes/{c}/template")),
                Ok(false) => {}
                Err(e) => return fail(e),
            }
        }
    }
    let open = st.journal.readable_lessons(p, &lessons).await?;
    Ok(week_page(
        &r, t, whose, query, choices, monday, lessons, edit, open,
    ))
}

/// A week of lessons by day, for any whose timetable.
#[allow(clippy::too_many_arguments)]
fn week_page(
    r: &PageReq,
    t: &'static Strings,
    whose: String,
    query: String,
    choices: Vec<(String, String)>,
    monday: NaiveDate,
    lessons: Vec<Lesson>,
    edit: Option<String>,
    open: std::collections::HashSet<LessonId>,
) -> Response {
    let mut days: Vec<(String, Vec<Lesson>)> = (0..6)
        .map(|i| {
            let d = monday + Duration::days(i);
            (
                format!("{}, {}", t.weekdays[i as usize], ru_date(&d.to_string())),
                Vec::new(),
            )
        })
        .collect();
    for l in lessons {
        if let Ok(d) = NaiveDate::parse_from_str(&l.day, "%Y-%m-%d") {
            let i = (d - monday).num_days();
            if let Some(slot) = days.get_mut(i as usize) {
                slot.1.push(l);
            }
        }
    }
    if days.last().is_some_and(|d| d.1.is_empty()) {
        days.pop();
    }
    render(&TimetablePage {
        ctx: r.ctx(),
        t,
        whose,
        query,
        choices,
        monday: monday.to_string(),
        prev: (monday - Duration::days(7)).to_string(),
        next: (monday + Duration::days(7)).to_string(),
        days,
        edit,
        open,
    })
}

// ---- report and calendar ----

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    ctx: Ctx,
    t: &'static Strings,
    r: ClassReport,
    periods: Vec<Period>,
}

async fn report(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
    Query(q): Query<PeriodQuery>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let Ok(id) = id.parse::<ClassId>() else {
        return fail(Problem::not_found());
    };
    let period = q.period.as_deref().and_then(|p| p.parse().ok());
    let p = &r.caller.principal;
    match st
        .journal
        .class_report(p, &r.caller.origin, id, period)
        .await
    {
        Ok(rep) => {
            let org = match st.registry.class_facts(id).await {
                Ok(f) => f.map(|f| f.org.organisation),
                Err(e) => return fail(e),
            };
            let periods = match org {
                Some(o) => match st.journal.calendar(p, o).await {
                    Ok(c) => c
                        .periods
                        .into_iter()
                        .filter(|x| x.academic_year_id == rep.period.academic_year_id)
                        .collect(),
                    // Who may read the class report but not the school's calendar (a class
                    // teacher of another school's class is not one) sees no period switch.
                    Err(crate::JournalError::Forbidden | crate::JournalError::NotFound) => {
                        Vec::new()
                    }
                    Err(e) => return fail(e),
                },
                None => Vec::new(),
            };
            Ok(render(&ReportPage {
                ctx: r.ctx(),
                t: strings(&r.headers),
                r: rep,
                periods,
            }))
        }
        Err(e) => fail(e),
    }
}

#[derive(Template)]
#[template(path = "calendar.html")]
struct CalendarPage {
    ctx: Ctx,
    t: &'static Strings,
    c: SchoolCalendarView,
    manage: bool,
    /// After a day off was added: its dates and the lessons it could not take off.
    kept: Option<(String, String, Vec<Lesson>)>,
    /// A form that failed (`settings`, `days`, `periods`, `bells`) and what was typed in it.
    failed: &'static str,
    typed: Vec<(&'static str, String)>,
}

#[derive(Deserialize)]
struct CalendarQuery {
    kept_from: Option<String>,
    kept_to: Option<String>,
}

impl CalendarPage {
    /// A date as people write it: 01.09.2026.
    fn date(&self, iso: &str) -> String {
        ru_date(iso)
    }
    /// What was typed into a field of the failed form ("" otherwise).
    fn v(&self, form: &str, field: &str) -> &str {
        if self.failed != form {
            return "";
        }
        self.typed
            .iter()
            .find(|(k, _)| *k == field)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }
}

async fn calendar(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
    Query(q): Query<CalendarQuery>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let Ok(id) = id.parse() else {
        return fail(Problem::not_found());
    };
    let p = &r.caller.principal;
    let (c, manage) = tokio::try_join!(st.journal.calendar(p, id), st.journal.may_manage(p, id))?;
    let day = |v: &Option<String>| {
        v.as_deref()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    };
    let kept = match (day(&q.kept_from), day(&q.kept_to), manage) {
        (Some(from), Some(to), true) => {
            let lessons = st.journal.kept_lessons(p, id, from, to).await?;
            (!lessons.is_empty()).then(|| (from.to_string(), to.to_string(), lessons))
        }
        _ => None,
    };
    Ok(render(&CalendarPage {
        ctx: r.ctx(),
        t: strings(&r.headers),
        manage,
        c,
        kept,
        failed: "",
        typed: Vec::new(),
    }))
}

#[derive(Deserialize)]
struct CloseForm {
    closed: Option<String>,
    /// The box «Да, закрыть период»: closing locks the marks of the whole school.
    confirm: Option<String>,
}

async fn close_period(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<CloseForm>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let Ok(id) = id.parse() else {
        return fail(Problem::not_found());
    };
    let closing = f.closed.as_deref() != Some("0");
    if closing && f.confirm.is_none() {
        return fail(Problem::invalid(
            "confirm",
            "Период не закрыт: поставьте отметку «Да, закрыть период» рядом с кнопкой.",
        ));
    }
    match st
        .journal
        .close_period(
            &r.caller.principal,
            &r.caller.origin,
            id,
            f.closed.as_deref() != Some("0"),
        )
        .await
    {
        Ok(_) => {
            let org = r
                .caller
                .principal
                .scope
                .organisations
                .first()
                .map(|o| o.to_string())
                .unwrap_or_default();
            Ok(Redirect::to(&format!("/schools/{org}/calendar?n=saved")).into_response())
        }
        Err(e) => fail(e),
    }
}

// ---- the school administration edits the calendar and the timetable ----

/// Answers a calendar form: back to the calendar with "saved", or the problem as a page.
fn calendar_answer(r: &PageReq, org: &str, done: Result<(), Problem>) -> Response {
    match done {
        Ok(()) => Redirect::to(&format!("/schools/{org}/calendar?n=saved")).into_response(),
        Err(e) => r.fail(e),
    }
}

/// Answers a calendar form: back to the calendar with "saved"; on a mistake the calendar
/// again with that form as it was typed and the errors above it; refusals as pages.
async fn calendar_reply(
    st: &Web,
    r: &PageReq,
    org: &str,
    form: &'static str,
    typed: Vec<(&'static str, String)>,
    done: Result<(), Problem>,
) -> Response {
    let problem = match done {
        Err(p) if p.status == 422 || p.status == 409 => p,
        other => return calendar_answer(r, org, other),
    };
    let page = async {
        let id = org_id(org)?;
        let p = &r.caller.principal;
        let (c, manage) =
            tokio::try_join!(st.journal.calendar(p, id), st.journal.may_manage(p, id))?;
        let mut ctx = r.ctx();
        ctx.errors = parta_http::page::messages(&problem, ctx.lang);
        Ok::<_, Problem>(render(&CalendarPage {
            ctx,
            t: strings(&r.headers),
            manage,
            c,
            kept: None,
            failed: form,
            typed,
        }))
    }
    .await;
    match page {
        Ok(page) => (problem.status_code(), page).into_response(),
        Err(e) => r.fail(e),
    }
}

fn org_id(id: &str) -> Result<parta_core::ids::OrganisationId, Problem> {
    id.parse().map_err(|_| Problem::not_found())
}

/// A whole number from a form field, or a problem naming the field.
fn form_number(field: &str, value: &str) -> Result<i64, Problem> {
    value.trim().parse().map_err(|_| {
        Problem::validation(vec![parta_core::FieldError::new(
            field,
            "Введите целое число.",
        )])
    })
}

/// A date from a form field (`YYYY-MM-DD`, or `ДД.ММ.ГГГГ` as people type it).
fn form_date(field: &str, value: &str) -> Result<NaiveDate, Problem> {
    let v = value.trim();
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(v, "%d.%m.%Y"))
        .map_err(|_| {
            Problem::validation(vec![parta_core::FieldError::new(
                field,
                "Дата — в виде ДД.ММ.ГГГГ.",
            )])
        })
}

#[derive(Deserialize)]
struct SettingsForm {
    week_days: String,
    rounding_threshold: String,
}

impl SettingsForm {
    fn input(&self) -> Result<SchoolSettings, Problem> {
        Ok(SchoolSettings {
            week_days: form_number("week_days", &self.week_days)?,
            rounding_threshold: form_number("rounding_threshold", &self.rounding_threshold)?,
        })
    }
}

async fn calendar_settings(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<SettingsForm>,
) -> Response {
    let r = PageReq::new(headers, uri, pc);
    let c = &r.caller;
    let typed = vec![
        ("week_days", f.week_days.clone()),
        ("rounding_threshold", f.rounding_threshold.clone()),
    ];
    let done = async {
        let org = org_id(&id)?;
        let input = f.input()?;
        st.journal
            .set_settings(&c.principal, &c.origin, org, input)
            .await?;
        Ok(())
    }
    .await;
    calendar_reply(&st, &r, &id, "settings", typed, done).await
}

#[derive(Deserialize)]
struct DayForm {
    kind: String,
    starts_on: String,
    #[serde(default)]
    ends_on: String,
    name: String,
    #[serde(default)]
    follows_weekday: String,
}

impl DayForm {
    fn input(self) -> Result<NewCalendarDay, Problem> {
        Ok(NewCalendarDay {
            starts_on: form_date("starts_on", &self.starts_on)?,
            ends_on: match self.ends_on.trim() {
                "" => None,
                v => Some(form_date("ends_on", v)?),
            },
            kind: self.kind,
            follows_weekday: self.follows_weekday.trim().parse().ok(),
            name: self.name,
        })
    }
}

async fn calendar_day(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<DayForm>,
) -> Response {
    let r = PageReq::new(headers, uri, pc);
    let c = &r.caller;
    let typed = vec![
        ("kind", f.kind.clone()),
        ("starts_on", f.starts_on.clone()),
        ("ends_on", f.ends_on.clone()),
        ("name", f.name.clone()),
        ("follows_weekday", f.follows_weekday.clone()),
    ];
    let added = async {
        let org = org_id(&id)?;
        let input = f.input()?;
        Ok::<_, Problem>(
            st.journal
                .add_calendar_day(&c.principal, &c.origin, org, input)
                .await?,
        )
    }
    .await;
    match added {
        // Lessons holding content stay: the calendar lists them to move or cancel.
        Ok(a) if !a.kept.is_empty() => Redirect::to(&format!(
            "/schools/{id}/calendar?kept_from={}&kept_to={}#kept",
            a.day.starts_on, a.day.ends_on
        ))
        .into_response(),
        Ok(_) => calendar_answer(&r, &id, Ok(())),
        Err(e) => calendar_reply(&st, &r, &id, "days", typed, Err(e)).await,
    }
}

#[derive(Deserialize)]
struct CancelKeptForm {
    from: String,
    to: String,
    note: Option<String>,
    confirm: Option<String>,
}

/// Cancels the lessons a day off kept (they held content); families are told.
async fn calendar_cancel_kept(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<CancelKeptForm>,
) -> Response {
    let r = PageReq::new(headers, uri, pc);
    let c = &r.caller;
    let done = async {
        let org = org_id(&id)?;
        if f.confirm.is_none() {
            return Err(Problem::invalid(
                "confirm",
                "Уроки не отменены: поставьте отметку «Да, отменить эти уроки».",
            ));
        }
        let (from, to) = (form_date("from", &f.from)?, form_date("to", &f.to)?);
        let note = f.note.filter(|n| !n.trim().is_empty());
        st.journal
            .cancel_kept(&c.principal, &c.origin, org, from, to, note)
            .await?;
        Ok(())
    }
    .await;
    calendar_answer(&r, &id, done)
}

/// Removes a holiday (the page asks for confirmation first).
async fn calendar_day_delete(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path((id, day)): Path<(String, String)>,
) -> Response {
    let r = PageReq::new(headers, uri, pc);
    let c = &r.caller;
    let done = async {
        let org = org_id(&id)?;
        let day = day.parse().map_err(|_| Problem::not_found())?;
        st.journal
            .remove_calendar_day(&c.principal, &c.origin, org, day)
            .await?;
        Ok(())
    }
    .await;
    calendar_answer(&r, &id, done)
}

#[derive(Deserialize)]
struct BellsForm {
    shift: String,
    /// One lesson a line: `08:30-09:10`.
    bells: String,
}

impl BellsForm {
    fn input(&self) -> Result<(i64, Vec<Bell>), Problem> {
        let shift = form_number("shift", &self.shift)?;
        let mut bells = Vec::new();
        for line in self.bells.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let times: Vec<&str> = line
                .split(|c: char| c == '-' || c == '–' || c == '—' || c.is_whitespace())
                .filter(|s| !s.is_empty())
                .collect();
            let [starts_at, ends_at] = times.as_slice() else {
                return Err(Problem::validation(vec![parta_core::FieldError::new(
                    "bells",
                    format!("Строка «{line}»: нужно начало и конец урока, например 08:30-09:10."),
                )]));
            };
            bells.push(Bell {
                shift,
                lesson_no: bells.len() as i64 + 1,
                starts_at: starts_at.to_string(),
                ends_at: ends_at.to_string(),
            });
        }
        Ok((shift, bells))
    }
}

async fn calendar_bells(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<BellsForm>,
) -> Response {
    let r = PageReq::new(headers, uri, pc);
    let c = &r.caller;
    let typed = vec![("shift", f.shift.clone()), ("bells", f.bells.clone())];
    let done = async {
        let org = org_id(&id)?;
        let (shift, bells) = f.input()?;
        st.journal
            .set_bells(&c.principal, &c.origin, org, shift, bells)
            .await?;
        Ok(())
    }
    .await;
    calendar_reply(&st, &r, &id, "bells", typed, done).await
}

#[derive(Deserialize)]
struct PeriodForm {
    academic_year_id: String,
    kind: String,
    name: String,
    grade_from: String,
    grade_to: String,
    starts_on: String,
    ends_on: String,
}

impl PeriodForm {
    fn input(self) -> Result<NewPeriod, Problem> {
        Ok(NewPeriod {
            academic_year_id: self.academic_year_id.parse().map_err(|_| {
                Problem::validation(vec![parta_core::FieldError::new(
                    "academic_year_id",
                    "Выберите учебный год.",
                )])
            })?,
            grade_from: form_number("grade_from", &self.grade_from)?,
            grade_to: form_number("grade_to", &self.grade_to)?,
            starts_on: form_date("starts_on", &self.starts_on)?,
            ends_on: form_date("ends_on", &self.ends_on)?,
            kind: self.kind,
            name: self.name,
        })
    }
}

async fn calendar_period(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<PeriodForm>,
) -> Response {
    let r = PageReq::new(headers, uri, pc);
    let c = &r.caller;
    let typed = vec![
        ("academic_year_id", f.academic_year_id.clone()),
        ("kind", f.kind.clone()),
        ("name", f.name.clone()),
        ("grade_from", f.grade_from.clone()),
        ("grade_to", f.grade_to.clone()),
        ("starts_on", f.starts_on.clone()),
        ("ends_on", f.ends_on.clone()),
    ];
    let done = async {
        let org = org_id(&id)?;
        let input = f.input()?;
        st.journal
            .add_period(&c.principal, &c.origin, org, input)
            .await?;
        Ok(())
    }
    .await;
    calendar_reply(&st, &r, &id, "periods", typed, done).await
}

#[derive(Template)]
#[template(path = "template.html")]
struct TemplatePage {
    ctx: Ctx,
    t: &'static Strings,
    class_id: String,
    csv: String,
    valid_from: String,
    /// After a new version: the lessons with content it could not replace.
    stale: Option<(String, Vec<Lesson>)>,
}

#[derive(Deserialize)]
struct TemplateQuery {
    kept_from: Option<String>,
}

async fn template_page(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
    Query(q): Query<TemplateQuery>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let Ok(class) = id.parse::<ClassId>() else {
        return fail(Problem::not_found());
    };
    let p = &r.caller.principal;
    // Only the school's administration edits; others learn nothing more than the API says.
    if let Err(e) = st.journal.check_manage_class(p, class).await {
        return fail(e);
    }
    let stale = match q
        .kept_from
        .as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    {
        Some(from) => {
            let lessons = st.journal.stale_lessons(p, class, from).await?;
            (!lessons.is_empty()).then(|| (from.to_string(), lessons))
        }
        None => None,
    };
    let csv = st.journal.template_csv(p, class).await?;
    Ok(render(&TemplatePage {
        ctx: r.ctx(),
        t: strings(&r.headers),
        class_id: class.to_string(),
        csv,
        valid_from: monday_of(parta_core::time::today() + Duration::days(7)).to_string(),
        stale,
    }))
}

#[derive(Deserialize)]
struct CancelStaleForm {
    from: String,
    confirm: Option<String>,
}

/// Cancels the lessons a new timetable version could not replace.
async fn template_cancel_stale(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<CancelStaleForm>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let Ok(class) = id.parse::<ClassId>() else {
        return fail(Problem::not_found());
    };
    if f.confirm.is_none() {
        return fail(Problem::invalid(
            "confirm",
            "Уроки не отменены: поставьте отметку «Да, отменить эти уроки».",
        ));
    }
    let from = form_date("from", &f.from)?;
    st.journal
        .cancel_stale(&r.caller.principal, &r.caller.origin, class, from)
        .await?;
    Ok(Redirect::to(&format!("/timetable?class={class}&week={from}&n=saved")).into_response())
}

#[derive(Deserialize)]
struct TemplateForm {
    valid_from: String,
    csv: String,
}

async fn template_save(
    State(st): State<Web>,
    headers: HeaderMap,
    uri: Uri,
    pc: PageCaller,
    Path(id): Path<String>,
    Form(f): Form<TemplateForm>,
) -> PageResult {
    let r = PageReq::new(headers, uri, pc);
    let Ok(class) = id.parse::<ClassId>() else {
        return fail(Problem::not_found());
    };
    let c = &r.caller;
    let saved = async {
        let valid_from = form_date("valid_from", &f.valid_from)?;
        st.journal
            .import_template(&c.principal, &c.origin, class, valid_from, &f.csv)
            .await?;
        let stale = st
            .journal
            .stale_lessons(&c.principal, class, valid_from)
            .await?;
        Ok::<_, Problem>((valid_from, stale.is_empty()))
    }
    .await;
    match saved {
        // Lessons holding content stayed from the old version: the page lists them.
        Ok((from, false)) => Ok(Redirect::to(&format!(
            "/classes/{class}/template?kept_from={from}#kept"
        ))
        .into_response()),
        Ok((from, true)) => Ok(Redirect::to(&format!(
            "/timetable?class={class}&week={from}&n=saved"
        ))
        .into_response()),
        // The text typed or pasted comes back with the errors (each line named).
        Err(p) if p.status == 422 || p.status == 409 => {
            let mut ctx = r.ctx();
            ctx.errors = parta_http::page::messages(&p, ctx.lang);
            let page = TemplatePage {
                ctx,
                t: strings(&r.headers),
                class_id: class.to_string(),
                csv: f.csv,
                valid_from: f.valid_from,
                stale: None,
            };
            Ok((p.status_code(), render(&page)).into_response())
        }
        Err(p) => fail(p),
    }
}

// ---- the school's file storage ----

#[derive(Template)]
#[template(path = "storage.html")]
struct StoragePage {
    ctx: Ctx,
    org_name: String,
    usage: crate::service::StorageUsage,
}

impl StoragePage {
    /// "3,4 МБ", "50,0 ГБ".
    fn size(&self, bytes: &i64) -> String {
        let mb = *bytes as f64 / 1_048_576.0;
        let (n, unit) = if mb >= 1024.0 {
            (mb / 1024.0, self.ctx.tr.gb)
        } else {
            (mb, self.ctx.tr.mb)
        };
        format!("{n:.1} {unit}").replace('.', ",")
    }
    fn percent(&self, used: &i64, of: &i64) -> i64 {
        if *of <= 0 {
            0
        } else {
            (*used * 100 / *of).clamp(0, 100)
        }
    }
}

/// The school's file storage: used, allowed, and the largest users (administration).
async fn school_storage(
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
    let (usage, org) = tokio::try_join!(
        async { st.journal.storage_usage(p, id).await.map_err(Problem::from) },
        async { st.registry.organisation(p, id).await.map_err(Problem::from) }
    )?;
    Ok(render(&StoragePage {
        ctx: r.ctx(),
        org_name: org.short_name,
        usage,
    }))
}
