//! `/api/v1` of the school day (calendar, timetable, journal, diary, homework) and the
//! OneRoster 1.2 gradebook view. Handlers parse, call one
//! service function, render.

use super::Web;
use crate::model::*;
use crate::service::{OneRosterCategory, OneRosterLineItem, OneRosterPeriod, OneRosterResult};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::NaiveDate;
use parta_core::ids::{ClassId, PersonId};
use parta_core::Problem;
use parta_http::Caller;
use parta_http::{path_id, ApiError, ApiJson};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use parta_http::ApiResult;

pub fn router() -> OpenApiRouter<Web> {
    OpenApiRouter::new()
        .routes(routes!(calendar))
        .routes(routes!(set_settings))
        .routes(routes!(add_period))
        .routes(routes!(close_period))
        .routes(routes!(add_calendar_day))
        .routes(routes!(remove_calendar_day))
        .routes(routes!(set_bells))
        .routes(routes!(template, set_template))
        .routes(routes!(import_template))
        .routes(routes!(timetable))
        .routes(routes!(change_lesson))
        .routes(routes!(add_extra_lesson))
        .routes(routes!(my_journals))
        .routes(routes!(journal_grid, journal_save))
        .routes(routes!(lesson_sheet))
        .routes(routes!(set_grades))
        .routes(routes!(class_report))
        .routes(routes!(school_grades))
        .routes(routes!(diary))
        .routes(routes!(student_marks))
        .routes(routes!(homework_status, submit_homework))
        .routes(routes!(review_handin))
        .routes(routes!(download))
        .routes(routes!(storage))
        .merge(OpenApiRouter::new().routes(routes!(attach)).layer(
            axum::extract::DefaultBodyLimit::max(crate::service::MAX_ATTACHMENT + 64 * 1024),
        ))
        .routes(routes!(gb_categories))
        .routes(routes!(gb_category))
        .routes(routes!(gb_periods))
        .routes(routes!(gb_line_items_all))
        .routes(routes!(gb_line_items_school))
        .routes(routes!(gb_line_items_class))
        .routes(routes!(gb_line_item))
        .routes(routes!(gb_results_all))
        .routes(routes!(gb_results_school))
        .routes(routes!(gb_results_class))
        .routes(routes!(gb_results_line_item, gb_post_results))
        .routes(routes!(gb_result, gb_put_result, gb_delete_result))
        .routes(routes!(gb_score_scales))
        .routes(routes!(gb_score_scale))
}

/// Parses an optional ISO date parameter, naming the field when it is malformed.
pub(crate) fn date_param(field: &str, raw: Option<&str>) -> ApiResult<Option<NaiveDate>> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| {
                Problem::invalid(field, "Дата — в виде ГГГГ-ММ-ДД, например 2026-11-24.").into()
            }),
    }
}

// ---- calendar ----

/// A school's calendar: settings, periods, holidays and moved days, bells.
#[utoipa::path(get, path = "/api/v1/organisations/{id}/calendar", security(("session" = []), ("token" = ["schedule:read"])), tag = "school-day",
    params(("id" = parta_core::ids::OrganisationId, Path)),
    responses((status = 200, body = SchoolCalendarView), (status = 404, body = Problem)))]
async fn calendar(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<SchoolCalendarView>> {
    Ok(Json(
        st.journal.calendar(&c.principal, path_id(&id)?).await?,
    ))
}

/// Five- or six-day week and the rounding threshold of averages (school admin).
#[utoipa::path(put, path = "/api/v1/organisations/{id}/calendar/settings", security(("session" = []), ("token" = ["schedule:write"])), tag = "school-day",
    params(("id" = parta_core::ids::OrganisationId, Path)), request_body = SchoolSettings,
    responses((status = 200, body = SchoolCalendarView), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn set_settings(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<SchoolSettings>,
) -> ApiResult<Json<SchoolCalendarView>> {
    Ok(Json(
        st.journal
            .set_settings(&c.principal, &c.origin, path_id(&id)?, req)
            .await?,
    ))
}

/// Adds a study period (quarter, trimester, semester) for a range of grades.
#[utoipa::path(post, path = "/api/v1/organisations/{id}/periods", security(("session" = []), ("token" = ["schedule:write"])), tag = "school-day",
    params(("id" = parta_core::ids::OrganisationId, Path)), request_body = NewPeriod,
    responses((status = 200, body = Period), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn add_period(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<NewPeriod>,
) -> ApiResult<Json<Period>> {
    Ok(Json(
        st.journal
            .add_period(&c.principal, &c.origin, path_id(&id)?, req)
            .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CloseRequest {
    /// true closes the period, false reopens it.
    pub closed: bool,
}

/// Closes or reopens a period: after closing only the administration edits it.
#[utoipa::path(post, path = "/api/v1/periods/{id}/close", security(("session" = []), ("token" = ["schedule:write"])), tag = "school-day",
    params(("id" = parta_core::ids::PeriodId, Path)), request_body = CloseRequest,
    responses((status = 200, body = Period), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn close_period(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<CloseRequest>,
) -> ApiResult<Json<Period>> {
    Ok(Json(
        st.journal
            .close_period(&c.principal, &c.origin, path_id(&id)?, req.closed)
            .await?,
    ))
}

/// Removes a holiday, vacation or moved working day; lessons of its dates come back.
#[utoipa::path(delete, path = "/api/v1/organisations/{id}/calendar-days/{day}", security(("session" = []), ("token" = ["schedule:write"])), tag = "school-day",
    params(("id" = parta_core::ids::OrganisationId, Path), ("day" = parta_core::ids::CalendarDayId, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn remove_calendar_day(
    State(st): State<Web>,
    c: Caller,
    Path((id, day)): Path<(String, String)>,
) -> ApiResult<axum::http::StatusCode> {
    st.journal
        .remove_calendar_day(&c.principal, &c.origin, path_id(&id)?, path_id(&day)?)
        .await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Adds a holiday, vacation or moved working day; lessons are re-derived.
#[utoipa::path(post, path = "/api/v1/organisations/{id}/calendar-days", security(("session" = []), ("token" = ["schedule:write"])), tag = "school-day",
    params(("id" = parta_core::ids::OrganisationId, Path)), request_body = NewCalendarDay,
    responses((status = 200, body = AddedDay), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn add_calendar_day(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<NewCalendarDay>,
) -> ApiResult<Json<AddedDay>> {
    Ok(Json(
        st.journal
            .add_calendar_day(&c.principal, &c.origin, path_id(&id)?, req)
            .await?,
    ))
}

/// Replaces the bell schedule of a shift.
#[utoipa::path(put, path = "/api/v1/organisations/{id}/bells/{shift}", security(("session" = []), ("token" = ["schedule:write"])), tag = "school-day",
    params(("id" = parta_core::ids::OrganisationId, Path), ("shift" = i64, Path)), request_body = [Bell],
    responses((status = 200, body = [Bell]), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn set_bells(
    State(st): State<Web>,
    c: Caller,
    Path((id, shift)): Path<(String, String)>,
    ApiJson(req): ApiJson<Vec<Bell>>,
) -> ApiResult<Json<Vec<Bell>>> {
    let shift = shift
        .parse()
        .map_err(|_| Problem::invalid("shift", "Смена — число 1, 2 или 3."))?;
    Ok(Json(
        st.journal
            .set_bells(&c.principal, &c.origin, path_id(&id)?, shift, req)
            .await?,
    ))
}

// ---- timetable ----

/// The weekly template of a class (current and future versions).
#[utoipa::path(get, path = "/api/v1/classes/{id}/timetable-template", security(("session" = []), ("token" = ["schedule:read"])), tag = "school-day",
    params(("id" = ClassId, Path)), responses((status = 200, body = [Slot]), (status = 404, body = Problem)))]
async fn template(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<Slot>>> {
    Ok(Json(
        st.journal.template(&c.principal, path_id(&id)?).await?,
    ))
}

/// Sets a new template version from a date; conflicts are refused naming both lessons.
#[utoipa::path(put, path = "/api/v1/classes/{id}/timetable-template", security(("session" = []), ("token" = ["schedule:write"])), tag = "school-day",
    params(("id" = ClassId, Path)), request_body = TemplateVersion,
    responses((status = 200, body = [Slot]), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn set_template(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<TemplateVersion>,
) -> ApiResult<Json<Vec<Slot>>> {
    Ok(Json(
        st.journal
            .set_template(&c.principal, &c.origin, path_id(&id)?, req)
            .await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// The date the imported version starts (ГГГГ-ММ-ДД).
    pub valid_from: Option<String>,
}

/// Imports a class's template from CSV (`день;урок;предмет;учитель;кабинет`, UTF-8).
#[utoipa::path(post, path = "/api/v1/classes/{id}/timetable-template/import", security(("session" = []), ("token" = ["schedule:write"])), tag = "school-day",
    params(("id" = ClassId, Path), ImportQuery), request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = [Slot]), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn import_template(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    Query(q): Query<ImportQuery>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Vec<Slot>>> {
    let from = date_param("valid_from", q.valid_from.as_deref())?.ok_or_else(|| {
        Problem::invalid("valid_from", "Укажите дату начала действия расписания.")
    })?;
    let text = std::str::from_utf8(&body)
        .map_err(|_| Problem::invalid("body", "Файл должен быть в кодировке UTF-8 (CSV)."))?;
    Ok(Json(
        st.journal
            .import_template(&c.principal, &c.origin, path_id(&id)?, from, text)
            .await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TimetableQuery {
    pub class: Option<String>,
    pub teacher: Option<String>,
    pub student: Option<String>,
    /// A room (кабинет) of the school given in `school`.
    pub room: Option<String>,
    pub school: Option<String>,
    /// First date (ГГГГ-ММ-ДД); default today's Monday.
    pub from: Option<String>,
    /// 1–31 days, default 7.
    pub days: Option<i64>,
}

/// Lessons of a class, a teacher, a student or a room (with `school`) for a range of dates.
#[utoipa::path(get, path = "/api/v1/timetable", security(("session" = []), ("token" = ["schedule:read"])), tag = "school-day", params(TimetableQuery),
    responses((status = 200, body = [Lesson]), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn timetable(
    State(st): State<Web>,
    c: Caller,
    Query(q): Query<TimetableQuery>,
) -> ApiResult<Json<Vec<Lesson>>> {
    let from = date_param("from", q.from.as_deref())?
        .unwrap_or_else(|| crate::calendar::monday_of(parta_core::time::today()));
    let of = match (&q.class, &q.teacher, &q.student, &q.room) {
        (Some(id), None, None, None) => TimetableOf::Class(path_id(id)?),
        (None, Some(id), None, None) => TimetableOf::Teacher(path_id(id)?),
        (None, None, Some(id), None) => TimetableOf::Student(path_id(id)?),
        (None, None, None, Some(room)) => {
            let Some(school) = &q.school else {
                return Err(parta_http::ApiError(Problem::invalid(
                    "school",
                    "Укажите школу кабинета (school).",
                )));
            };
            return Ok(Json(
                st.journal
                    .room_timetable(
                        &c.principal,
                        path_id(school)?,
                        room,
                        from,
                        q.days.unwrap_or(7),
                    )
                    .await?,
            ));
        }
        _ => {
            return Err(parta_http::ApiError(Problem::invalid(
                "class",
                "Укажите ровно одно: class, teacher, student или room (с school).",
            )))
        }
    };
    Ok(Json(
        st.journal
            .timetable(&c.principal, &c.origin, of, from, q.days.unwrap_or(7))
            .await?,
    ))
}

/// Substitution, cancellation or move of one dated lesson; students and parents are told.
#[utoipa::path(post, path = "/api/v1/lessons/{id}/change", security(("session" = []), ("token" = ["schedule:write"])), tag = "school-day",
    params(("id" = parta_core::ids::LessonId, Path)), request_body = LessonChange,
    responses((status = 200, body = Lesson), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn change_lesson(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<LessonChange>,
) -> ApiResult<Json<Lesson>> {
    Ok(Json(
        st.journal
            .change_lesson(&c.principal, &c.origin, path_id(&id)?, req)
            .await?,
    ))
}

/// An extra lesson on a date.
#[utoipa::path(post, path = "/api/v1/lessons", security(("session" = []), ("token" = ["schedule:write"])), tag = "school-day", request_body = ExtraLesson,
    responses((status = 200, body = Lesson), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn add_extra_lesson(
    State(st): State<Web>,
    c: Caller,
    ApiJson(req): ApiJson<ExtraLesson>,
) -> ApiResult<Json<Lesson>> {
    Ok(Json(
        st.journal
            .add_extra_lesson(&c.principal, &c.origin, req)
            .await?,
    ))
}

// ---- journal ----

/// The class-subjects the calling teacher keeps journals for.
#[utoipa::path(get, path = "/api/v1/journals", security(("session" = []), ("token" = ["journal:read"])), tag = "journal", responses((status = 200, body = [JournalRef])))]
async fn my_journals(State(st): State<Web>, c: Caller) -> ApiResult<Json<Vec<JournalRef>>> {
    Ok(Json(st.journal.my_journals(&c.principal).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// A study period id; default the current one.
    pub period: Option<String>,
}

fn period_param(raw: Option<&str>) -> ApiResult<Option<parta_core::ids::PeriodId>> {
    match raw.filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|_| Problem::invalid("period", "Неверный идентификатор периода.").into()),
    }
}

/// Электронный журнал: students × lessons of a class and subject in a period.
#[utoipa::path(get, path = "/api/v1/classes/{id}/journal/{subject}", security(("session" = []), ("token" = ["journal:read"])), tag = "journal",
    params(("id" = ClassId, Path), ("subject" = String, Path), PeriodQuery),
    responses((status = 200, body = JournalGrid), (status = 404, body = Problem)))]
async fn journal_grid(
    State(st): State<Web>,
    c: Caller,
    Path((id, subject)): Path<(String, String)>,
    Query(q): Query<PeriodQuery>,
) -> ApiResult<Json<JournalGrid>> {
    let period = period_param(q.period.as_deref())?;
    Ok(Json(
        st.journal
            .grid(&c.principal, &c.origin, path_id(&id)?, &subject, period)
            .await?,
    ))
}

/// Saves marks, attendance, topics and homework of a journal at once (all or nothing).
#[utoipa::path(post, path = "/api/v1/classes/{id}/journal/{subject}", security(("session" = []), ("token" = ["journal:write"])), tag = "journal",
    params(("id" = ClassId, Path), ("subject" = String, Path)), request_body = JournalSave,
    responses((status = 200, body = SaveResult), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn journal_save(
    State(st): State<Web>,
    c: Caller,
    Path((id, subject)): Path<(String, String)>,
    ApiJson(req): ApiJson<JournalSave>,
) -> ApiResult<Json<SaveResult>> {
    Ok(Json(
        st.journal
            .save(&c.principal, &c.origin, path_id(&id)?, &subject, req, None)
            .await?,
    ))
}

/// One lesson: students, marks, attendance, mark history, homework hand-ins.
#[utoipa::path(get, path = "/api/v1/lessons/{id}", security(("session" = []), ("token" = ["journal:read"])), tag = "journal",
    params(("id" = parta_core::ids::LessonId, Path)),
    responses((status = 200, body = LessonSheet), (status = 404, body = Problem)))]
async fn lesson_sheet(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<LessonSheet>> {
    Ok(Json(
        st.journal
            .lesson_sheet(&c.principal, &c.origin, path_id(&id)?)
            .await?,
    ))
}

/// Sets period, annual or final grades of a class in a subject.
#[utoipa::path(put, path = "/api/v1/grades", security(("session" = []), ("token" = ["journal:write"])), tag = "journal", request_body = GradesInput,
    responses((status = 200, body = [Grade]), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn set_grades(
    State(st): State<Web>,
    c: Caller,
    ApiJson(req): ApiJson<GradesInput>,
) -> ApiResult<Json<Vec<Grade>>> {
    Ok(Json(
        st.journal.set_grades(&c.principal, &c.origin, req).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    pub period: Option<String>,
    /// `json` (default), `csv` or `xlsx`.
    pub format: Option<String>,
}

/// Отчёт классного руководителя for a period, as JSON, CSV or an Excel workbook.
#[utoipa::path(get, path = "/api/v1/classes/{id}/report", security(("session" = []), ("token" = ["journal:read"])), tag = "journal",
    params(("id" = ClassId, Path), ReportQuery),
    responses((status = 200, body = ClassReport), (status = 200, content_type = "text/csv", body = String), (status = 404, body = Problem)))]
async fn class_report(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    Query(q): Query<ReportQuery>,
) -> ApiResult<Response> {
    let period = period_param(q.period.as_deref())?;
    let report = st
        .journal
        .class_report(&c.principal, &c.origin, path_id(&id)?, period)
        .await?;
    match q.format.as_deref() {
        Some("csv") => Ok(report_csv(&report)?.into_response()),
        Some("xlsx") => report_xlsx(&report),
        None | Some("json") => Ok(Json(report).into_response()),
        Some(_) => Err(parta_http::ApiError(Problem::invalid(
            "format",
            "Формат — json, csv или xlsx.",
        ))),
    }
}

/// The report as CSV with `;` and a BOM, so Excel opens it in Russian locales.
pub(crate) fn report_csv(r: &ClassReport) -> ApiResult<Response> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(vec![0xEF, 0xBB, 0xBF]);
    let mut head = vec!["Ученик".to_string()];
    head.extend(
        r.subjects
            .iter()
            .flat_map(|s| [format!("{} (ср.)", s.name), format!("{} (отм.)", s.name)]),
    );
    head.extend([
        "Пропуски".into(),
        "По болезни".into(),
        "По уважительной".into(),
        "Опоздания".into(),
    ]);
    w.write_record(&head).map_err(|_| Problem::internal())?;
    for row in &r.rows {
        let mut rec = vec![parta_core::text::spreadsheet_safe(&row.name).into_owned()];
        for cell in &row.cells {
            rec.push(
                cell.average
                    .map(|a| format!("{a:.2}").replace('.', ","))
                    .unwrap_or_default(),
            );
            rec.push(cell.grade.clone().unwrap_or_default());
        }
        rec.extend([row.absent, row.ill, row.excused, row.late].map(|n| n.to_string()));
        w.write_record(&rec).map_err(|_| Problem::internal())?;
    }
    let bytes = w.into_inner().map_err(|_| Problem::internal())?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"report-{}.csv\"", r.class_id),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// The report as an Excel workbook: names, per subject the average and the grade, absences.
pub(crate) fn report_xlsx(r: &ClassReport) -> ApiResult<Response> {
    use rust_xlsxwriter::{Format, Workbook};
    let fail = |_| Problem::internal();
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.set_name(
        format!("{} {}", r.class_name, r.period.name)
            .chars()
            .take(31)
            .collect::<String>(),
    )
    .map_err(fail)?;
    ws.write_string_with_format(0, 0, "Ученик", &bold)
        .map_err(fail)?;
    let mut col: u16 = 1;
    for s in &r.subjects {
        ws.write_string_with_format(0, col, format!("{} (ср.)", s.name), &bold)
            .map_err(fail)?;
        ws.write_string_with_format(0, col + 1, format!("{} (отм.)", s.name), &bold)
            .map_err(fail)?;
        col += 2;
    }
    for (i, h) in ["Пропуски", "По болезни", "По уважительной", "Опоздания"]
        .iter()
        .enumerate()
    {
        ws.write_string_with_format(0, col + i as u16, *h, &bold)
            .map_err(fail)?;
    }
    for (i, row) in r.rows.iter().enumerate() {
        let y = i as u32 + 1;
        // Written as a string cell, a name is never run as a formula (no apostrophe needed,
        // unlike the CSV).
        ws.write_string(y, 0, &row.name).map_err(fail)?;
        let mut x: u16 = 1;
        for cell in &row.cells {
            if let Some(a) = cell.average {
                ws.write_number(y, x, a).map_err(fail)?;
            }
            if let Some(g) = &cell.grade {
                match g.parse::<f64>() {
                    Ok(n) => ws.write_number(y, x + 1, n).map_err(fail)?,
                    Err(_) => ws.write_string(y, x + 1, g).map_err(fail)?,
                };
            }
            x += 2;
        }
        for (k, n) in [row.absent, row.ill, row.excused, row.late]
            .iter()
            .enumerate()
        {
            ws.write_number(y, x + k as u16, *n as f64).map_err(fail)?;
        }
    }
    ws.set_column_width(0, 28).map_err(fail)?;
    let bytes = wb.save_to_buffer().map_err(fail)?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"report-{}.xlsx\"", r.class_id),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RangeQuery {
    /// First date (ГГГГ-ММ-ДД).
    pub from: Option<String>,
    /// Last date (ГГГГ-ММ-ДД).
    pub to: Option<String>,
}

/// Suggested period grades of a whole school (weighted averages, the school's rounding).
#[utoipa::path(get, path = "/api/v1/organisations/{id}/grades", security(("session" = []), ("token" = ["journal:read"])), tag = "journal",
    params(("id" = parta_core::ids::OrganisationId, Path), RangeQuery),
    responses((status = 200, body = [SchoolGrade]), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn school_grades(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    Query(q): Query<RangeQuery>,
) -> ApiResult<Json<Vec<SchoolGrade>>> {
    let from = date_param("from", q.from.as_deref())?
        .ok_or_else(|| Problem::invalid("from", "Укажите начало периода."))?;
    let to = date_param("to", q.to.as_deref())?
        .ok_or_else(|| Problem::invalid("to", "Укажите конец периода."))?;
    Ok(Json(
        st.journal
            .school_grades(
                &c.principal,
                &c.origin,
                path_id(&id)?,
                &from.to_string(),
                &to.to_string(),
            )
            .await?,
    ))
}

// ---- diary ----

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WeekQuery {
    /// Any date of the week (ГГГГ-ММ-ДД); default this week.
    pub week: Option<String>,
}

/// Электронный дневник: a student's week.
#[utoipa::path(get, path = "/api/v1/students/{id}/diary", security(("session" = []), ("token" = ["journal:read"])), tag = "diary",
    params(("id" = PersonId, Path), WeekQuery),
    responses((status = 200, body = DiaryWeek), (status = 404, body = Problem)))]
async fn diary(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    Query(q): Query<WeekQuery>,
) -> ApiResult<Json<DiaryWeek>> {
    let day = date_param("week", q.week.as_deref())?.unwrap_or_else(parta_core::time::today);
    Ok(Json(
        st.journal
            .diary_week(&c.principal, &c.origin, path_id(&id)?, day)
            .await?,
    ))
}

/// A student's marks by subject in a period, with weighted averages and grades.
#[utoipa::path(get, path = "/api/v1/students/{id}/marks", security(("session" = []), ("token" = ["journal:read"])), tag = "diary",
    params(("id" = PersonId, Path), PeriodQuery),
    responses((status = 200, body = StudentMarks), (status = 404, body = Problem)))]
async fn student_marks(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    Query(q): Query<PeriodQuery>,
) -> ApiResult<Json<StudentMarks>> {
    let period = period_param(q.period.as_deref())?;
    Ok(Json(
        st.journal
            .student_marks(&c.principal, &c.origin, path_id(&id)?, period)
            .await?,
    ))
}

/// Who handed in the homework of a lesson (teacher).
#[utoipa::path(get, path = "/api/v1/lessons/{id}/homework", security(("session" = []), ("token" = ["journal:read"])), tag = "diary",
    params(("id" = parta_core::ids::LessonId, Path)),
    responses((status = 200, body = HomeworkStatus), (status = 404, body = Problem)))]
async fn homework_status(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<HomeworkStatus>> {
    Ok(Json(
        st.journal
            .homework_status(&c.principal, &c.origin, path_id(&id)?)
            .await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Done {
    pub ok: bool,
}

/// The calling student marks the homework done (with an optional answer) or not done.
#[utoipa::path(post, path = "/api/v1/lessons/{id}/homework", security(("session" = []), ("token" = ["journal:write"])), tag = "diary",
    params(("id" = parta_core::ids::LessonId, Path)), request_body = HomeworkAnswer,
    responses((status = 200, body = Done), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn submit_homework(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<HomeworkAnswer>,
) -> ApiResult<Json<Done>> {
    st.journal
        .submit_homework(&c.principal, path_id(&id)?, req)
        .await?;
    Ok(Json(Done { ok: true }))
}

/// The teacher accepts a hand-in (with a journal mark, if given) or returns it for rework
/// with a comment the student sees.
#[utoipa::path(post, path = "/api/v1/lessons/{id}/handins/{student}", security(("session" = []), ("token" = ["journal:write"])), tag = "journal",
    params(("id" = parta_core::ids::LessonId, Path), ("student" = parta_core::ids::PersonId, Path)), request_body = HandInReview,
    responses((status = 200, body = Done), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn review_handin(
    State(st): State<Web>,
    c: Caller,
    Path((id, student)): Path<(String, String)>,
    ApiJson(req): ApiJson<HandInReview>,
) -> ApiResult<Json<Done>> {
    st.journal
        .review_handin(
            &c.principal,
            &c.origin,
            path_id(&id)?,
            path_id(&student)?,
            req,
        )
        .await?;
    Ok(Json(Done { ok: true }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AttachQuery {
    /// The file's name with its extension, e.g. `задание.pdf`.
    pub file_name: Option<String>,
}

/// Attaches a file to a lesson's homework (its teacher) or to the caller's answer (a
/// student of the lesson). PDF, office documents, TXT and images up to 10 MB; the type is
/// checked by content.
#[utoipa::path(post, path = "/api/v1/lessons/{id}/attachments", security(("session" = []), ("token" = ["journal:write"])), tag = "diary",
    params(("id" = parta_core::ids::LessonId, Path), AttachQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = Attachment), (status = 403, body = Problem), (status = 404, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
async fn attach(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    Query(q): Query<AttachQuery>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Attachment>> {
    let name = q.file_name.unwrap_or_default();
    Ok(Json(
        st.journal
            .attach(&c.principal, &c.origin, path_id(&id)?, &name, &body)
            .await?,
    ))
}

/// Downloads a homework file.
#[utoipa::path(get, path = "/api/v1/attachments/{id}", security(("session" = []), ("token" = ["journal:read"])), tag = "diary",
    params(("id" = parta_core::ids::AttachmentId, Path)),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 206, description = "The part asked for by `Range: bytes=…`"), (status = 404, body = Problem), (status = 416, body = Problem)))]
async fn download(
    State(st): State<Web>,
    c: Caller,
    headers: axum::http::HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let range = parta_http::ByteRange::of(&headers);
    let (a, part) = st
        .journal
        .download(&c.principal, &c.origin, path_id(&id)?, range)
        .await?;
    Ok(parta_http::file_part_response(
        &a.content_type,
        &a.file_name,
        false,
        part,
    ))
}

/// How much of the school's file storage is used and by whom (school admin).
#[utoipa::path(get, path = "/api/v1/organisations/{id}/storage", security(("session" = []), ("token" = ["registry:read"])), tag = "diary",
    params(("id" = parta_core::ids::OrganisationId, Path)),
    responses((status = 200, body = crate::service::StorageUsage), (status = 403, body = Problem)))]
async fn storage(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<crate::service::StorageUsage>> {
    Ok(Json(
        st.journal
            .storage_usage(&c.principal, path_id(&id)?)
            .await?,
    ))
}

// ---- OneRoster 1.2 gradebook ----

use crate::gradebook::service::{score_scales, ResultIn, Scope};
use parta_http::imsx::{self, query::RawQuery, ImsxStatus};

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoriesDoc {
    pub categories: Vec<OneRosterCategory>,
}

/// Gradebook categories (виды работ with their weights).
#[utoipa::path(get, path = "/ims/oneroster/gradebook/v1p2/categories", security(("session" = []), ("token" = ["journal:read"])), tag = "gradebook", params(RawQuery), responses((status = 200, body = CategoriesDoc)))]
async fn gb_categories(
    State(st): State<Web>,
    _c: Caller,
    uri: axum::http::Uri,
    Query(q): Query<RawQuery>,
) -> ApiResult<Response> {
    let q = imsx::query::parse(&q, &["sourcedId", "status", "title", "weight"])?;
    let all = st.journal.gradebook_categories().await?;
    let all: Vec<serde_json::Value> = all
        .into_iter()
        .filter_map(|c| serde_json::to_value(c).ok())
        .collect();
    let (total, page) = imsx::query::apply(all, &q);
    Ok(imsx::collection("categories", total, page, &uri, &q))
}

/// One gradebook category.
#[utoipa::path(get, path = "/ims/oneroster/gradebook/v1p2/categories/{id}", security(("session" = []), ("token" = ["journal:read"])), tag = "gradebook", params(("id" = String, Path)), responses((status = 200, body = Object), (status = 404, body = ImsxStatus)))]
async fn gb_category(
    State(st): State<Web>,
    _c: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let c = st
        .journal
        .gradebook_categories()
        .await?
        .into_iter()
        .find(|c| c.sourced_id == id)
        .ok_or(ApiError(Problem::not_found()))?;
    Ok(imsx::single(
        "category",
        serde_json::to_value(c).unwrap_or_default(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PeriodsDoc {
    pub academic_sessions: Vec<OneRosterPeriod>,
}

/// Grading periods of a school.
#[utoipa::path(get, path = "/ims/oneroster/gradebook/v1p2/schools/{id}/gradingPeriods", security(("session" = []), ("token" = ["journal:read"])), tag = "gradebook",
    params(("id" = parta_core::ids::OrganisationId, Path)),
    responses((status = 200, body = PeriodsDoc), (status = 403, body = ImsxStatus)))]
async fn gb_periods(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<PeriodsDoc>> {
    Ok(Json(PeriodsDoc {
        academic_sessions: st
            .journal
            .gradebook_periods(&c.principal, path_id(&id)?)
            .await?,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LineItemsDoc {
    pub line_items: Vec<OneRosterLineItem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResultsDoc {
    pub results: Vec<OneRosterResult>,
}

const LINE_ITEM_FIELDS: &[&str] = &[
    "sourcedId",
    "status",
    "dateLastModified",
    "title",
    "assignDate",
    "dueDate",
    "class",
    "school",
    "category",
    "resultValueMin",
    "resultValueMax",
];
const RESULT_FIELDS: &[&str] = &[
    "sourcedId",
    "status",
    "dateLastModified",
    "lineItem",
    "student",
    "class",
    "scoreStatus",
    "score",
    "textScore",
    "scoreDate",
    "comment",
];

async fn gb_list(
    st: &Web,
    c: &Caller,
    uri: &axum::http::Uri,
    scope: Scope,
    results: bool,
    raw: &RawQuery,
) -> ApiResult<Response> {
    if results {
        let q = imsx::query::parse(raw, RESULT_FIELDS)?;
        let (total, page) = st
            .journal
            .gradebook_results(&c.principal, &c.origin, scope, &q)
            .await?;
        Ok(imsx::collection("results", total, page, uri, &q))
    } else {
        let q = imsx::query::parse(raw, LINE_ITEM_FIELDS)?;
        let (total, page) = st
            .journal
            .gradebook_line_items(&c.principal, scope, &q)
            .await?;
        Ok(imsx::collection("lineItems", total, page, uri, &q))
    }
}

/// Line items of every school the caller reads: one per lesson and work type that has marks.
#[utoipa::path(get, path = "/ims/oneroster/gradebook/v1p2/lineItems", security(("session" = []), ("token" = ["journal:read"])), tag = "gradebook", params(RawQuery),
    responses((status = 200, body = LineItemsDoc), (status = 400, body = ImsxStatus), (status = 403, body = ImsxStatus), (status = 404, body = ImsxStatus)))]
async fn gb_line_items_all(
    State(st): State<Web>,
    c: Caller,
    uri: axum::http::Uri,
    Query(q): Query<RawQuery>,
) -> ApiResult<Response> {
    gb_list(&st, &c, &uri, Scope::All, false, &q).await
}

/// Line items of a school.
#[utoipa::path(get, path = "/ims/oneroster/gradebook/v1p2/schools/{id}/lineItems", security(("session" = []), ("token" = ["journal:read"])), tag = "gradebook", params(("id" = parta_core::ids::OrganisationId, Path), RawQuery),
    responses((status = 200, body = LineItemsDoc), (status = 400, body = ImsxStatus), (status = 403, body = ImsxStatus), (status = 404, body = ImsxStatus)))]
async fn gb_line_items_school(
    State(st): State<Web>,
    c: Caller,
    uri: axum::http::Uri,
    Path(id): Path<String>,
    Query(q): Query<RawQuery>,
) -> ApiResult<Response> {
    gb_list(&st, &c, &uri, Scope::School(path_id(&id)?), false, &q).await
}

/// Line items of a class (filter, sort).
#[utoipa::path(get, path = "/ims/oneroster/gradebook/v1p2/classes/{id}/lineItems", security(("session" = []), ("token" = ["journal:read"])), tag = "gradebook", params(("id" = parta_core::ids::ClassId, Path), RawQuery),
    responses((status = 200, body = LineItemsDoc), (status = 400, body = ImsxStatus), (status = 403, body = ImsxStatus), (status = 404, body = ImsxStatus)))]
async fn gb_line_items_class(
    State(st): State<Web>,
    c: Caller,
    uri: axum::http::Uri,
    Path(id): Path<String>,
    Query(q): Query<RawQuery>,
) -> ApiResult<Response> {
    gb_list(&st, &c, &uri, Scope::Class(path_id(&id)?), false, &q).await
}

/// Results of every school the caller reads: one per mark.
#[utoipa::path(get, path = "/ims/oneroster/gradebook/v1p2/results", security(("session" = []), ("token" = ["journal:read"])), tag = "gradebook", params(RawQuery),
    responses((status = 200, body = ResultsDoc), (status = 400, body = ImsxStatus), (status = 403, body = ImsxStatus), (status = 404, body = ImsxStatus)))]
async fn gb_results_all(
    State(st): State<Web>,
    c: Caller,
    uri: axum::http::Uri,
    Query(q): Query<RawQuery>,
) -> ApiResult<Response> {
    gb_list(&st, &c, &uri, Scope::All, true, &q).await
}

/// Results of a school: one per mark.
#[utoipa::path(get, path = "/ims/oneroster/gradebook/v1p2/schools/{id}/results", security(("session" = []), ("token" = ["journal:read"])), tag = "gradebook", params(("id" = parta_core::ids::OrganisationId, Path), RawQuery),
    responses((status = 200, body = ResultsDoc), (status = 400, body = ImsxStatus), (status = 403, body = ImsxStatus), (status = 404, body = ImsxStatus)))]
async fn gb_results_school(
    State(st): State<Web>,
    c: Caller,
    uri: axum::http::Uri,
    Path(id): Path<String>,
    Query(q): Query<RawQuery>,
) -> ApiResult<Response> {
    gb_list(&st, &c, &uri, Scope::School(path_id(&id)?), true, &q).await
}

/// Results of a class (filter, sort).
#[utoipa::path(get, path = "/ims/oneroster/gradebook/v1p2/classes/{id}/results", security(("session" = []), ("token" = ["journal:read"])), tag = "gradebook", params(("id" = parta_core::ids::ClassId, Path), RawQuery),
    responses((status = 200, body = ResultsDoc), (status = 400, body = ImsxStatus), (status = 403, body = ImsxStatus), (status = 404, body = ImsxStatus)))]
async fn gb_results_class(
    State(st): State<Web>,
    c: Caller,
    uri: axum::http::Uri,
    Path(id): Path<String>,
    Query(q): Query<RawQuery>,
) -> ApiResult<Response> {
    gb_list(&st, &c, &uri, Scope::Class(path_id(&id)?), true, &q).await
}

/// Results of a line item.
#[utoipa::path(get, path = "/ims/oneroster/gradebook/v1p2/lineItems/{id}/results", security(("session" = []), ("token" = ["journal:read"])), tag = "gradebook", params(("id" = String, Path), RawQuery),
    responses((status = 200, body = ResultsDoc), (status = 400, body = ImsxStatus), (status = 403, body = ImsxStatus), (status = 404, body = ImsxStatus)))]
async fn gb_results_line_item(
    State(st): State<Web>,
    c: Caller,
    uri: axum::http::Uri,
    Path(id): Path<String>,
    Query(q): Query<RawQuery>,
) -> ApiResult<Response> {
    gb_list(&st, &c, &uri, Scope::LineItem(id), true, &q).await
}

/// One line item (`lesson.workType`).
#[utoipa::path(get, path = "/ims/oneroster/gradebook/v1p2/lineItems/{id}", security(("session" = []), ("token" = ["journal:read"])), tag = "gradebook", params(("id" = String, Path), RawQuery),
    responses((status = 200, body = Object), (status = 404, body = ImsxStatus)))]
async fn gb_line_item(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    Query(raw): Query<RawQuery>,
) -> ApiResult<Response> {
    let q = imsx::query::parse(&raw, LINE_ITEM_FIELDS)?;
    let (_, mut page) = st
        .journal
        .gradebook_line_items(&c.principal, Scope::LineItem(id), &q)
        .await?;
    Ok(imsx::single(
        "lineItem",
        page.pop().ok_or(ApiError(Problem::not_found()))?,
    ))
}

/// One result (a mark).
#[utoipa::path(get, path = "/ims/oneroster/gradebook/v1p2/results/{id}", security(("session" = []), ("token" = ["journal:read"])), tag = "gradebook", params(("id" = String, Path), RawQuery),
    responses((status = 200, body = Object), (status = 404, body = ImsxStatus)))]
async fn gb_result(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    Query(raw): Query<RawQuery>,
) -> ApiResult<Response> {
    let q = imsx::query::parse(&raw, RESULT_FIELDS)?;
    let (_, mut page) = st
        .journal
        .gradebook_results(&c.principal, &c.origin, Scope::Result(id), &q)
        .await?;
    Ok(imsx::single(
        "result",
        page.pop().ok_or(ApiError(Problem::not_found()))?,
    ))
}

/// A result written by another system (`{"result": {…}}`).
#[derive(Debug, Deserialize, ToSchema)]
pub struct ResultPut {
    pub result: ResultIn,
}

/// Create or replace a result: it becomes a journal mark of the line item's lesson with
/// its work type (the sourcedId — a UUID — is the mark's id). The journal's rules apply:
/// the teacher's or the administration's right to write, the scale, closed periods.
#[utoipa::path(put, path = "/ims/oneroster/gradebook/v1p2/results/{id}", security(("session" = []), ("token" = ["journal:write"])), tag = "gradebook", params(("id" = String, Path)), request_body = ResultPut,
    responses((status = 200, body = Object), (status = 403, body = ImsxStatus), (status = 404, body = ImsxStatus), (status = 422, body = ImsxStatus)))]
async fn gb_put_result(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ResultPut>,
) -> ApiResult<Response> {
    let r = st
        .journal
        .gradebook_put_result(&c.principal, &c.origin, &id, body.result)
        .await?;
    Ok(imsx::single("result", r))
}

/// One of the results posted for a line item.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PostedResult {
    /// The result's sourcedId (a UUID, the mark's id); allocated when absent.
    #[serde(rename = "sourcedId")]
    pub sourced_id: Option<String>,
    #[serde(flatten)]
    pub result: ResultIn,
}

/// Results of one line item (`{"results": […]}`).
#[derive(Debug, Deserialize, ToSchema)]
pub struct ResultsPost {
    pub results: Vec<PostedResult>,
}

/// A supplied sourcedId and the one the platform gave.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SourcedIdPair {
    pub supplied_sourced_id: String,
    pub allocated_sourced_id: String,
}

/// The answer to a POST of results (`{"sourcedIdPairs": […]}`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SourcedIdPairs {
    pub sourced_id_pairs: Vec<SourcedIdPair>,
}

/// Post several results of one line item (a class's marks for one work), written
/// together or not at all as journal marks with the line item's work type.
#[utoipa::path(post, path = "/ims/oneroster/gradebook/v1p2/lineItems/{id}/results", security(("session" = []), ("token" = ["journal:write"])), tag = "gradebook", params(("id" = String, Path)), request_body = ResultsPost,
    responses((status = 201, body = SourcedIdPairs), (status = 403, body = ImsxStatus), (status = 404, body = ImsxStatus), (status = 422, body = ImsxStatus)))]
async fn gb_post_results(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ResultsPost>,
) -> ApiResult<Response> {
    let (supplied, inputs): (Vec<Option<String>>, Vec<ResultIn>) = body
        .results
        .into_iter()
        .map(|r| (r.sourced_id, r.result))
        .unzip();
    let pairs = st
        .journal
        .gradebook_post_results(&c.principal, &c.origin, &id, inputs, supplied)
        .await?;
    let body = SourcedIdPairs {
        sourced_id_pairs: pairs
            .into_iter()
            .map(|(s, a)| SourcedIdPair {
                supplied_sourced_id: s,
                allocated_sourced_id: a,
            })
            .collect(),
    };
    Ok((axum::http::StatusCode::CREATED, Json(body)).into_response())
}

/// Delete a result: the journal mark is removed (its history is kept).
#[utoipa::path(delete, path = "/ims/oneroster/gradebook/v1p2/results/{id}", security(("session" = []), ("token" = ["journal:write"])), tag = "gradebook", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ImsxStatus)))]
async fn gb_delete_result(
    State(st): State<Web>,
    c: Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::http::StatusCode> {
    st.journal
        .gradebook_delete_result(&c.principal, &c.origin, &id)
        .await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Score scales: шкалы отметок (five-point, pass/fail).
#[utoipa::path(get, path = "/ims/oneroster/gradebook/v1p2/scoreScales", security(("session" = []), ("token" = ["journal:read"])), tag = "gradebook", params(RawQuery), responses((status = 200, body = Object)))]
async fn gb_score_scales(
    _c: Caller,
    uri: axum::http::Uri,
    Query(raw): Query<RawQuery>,
) -> ApiResult<Response> {
    let q = imsx::query::parse(
        &raw,
        &[
            "sourcedId",
            "status",
            "dateLastModified",
            "title",
            "type",
            "scoreScaleValue",
        ],
    )?;
    let (total, page) = imsx::query::apply(score_scales(), &q);
    Ok(imsx::collection("scoreScales", total, page, &uri, &q))
}

/// One score scale.
#[utoipa::path(get, path = "/ims/oneroster/gradebook/v1p2/scoreScales/{id}", security(("session" = []), ("token" = ["journal:read"])), tag = "gradebook", params(("id" = String, Path)), responses((status = 200, body = Object), (status = 404, body = ImsxStatus)))]
async fn gb_score_scale(_c: Caller, Path(id): Path<String>) -> ApiResult<Response> {
    let s = score_scales()
        .into_iter()
        .find(|s| s["sourcedId"] == id.as_str())
        .ok_or(ApiError(Problem::not_found()))?;
    Ok(imsx::single("scoreScale", s))
}
