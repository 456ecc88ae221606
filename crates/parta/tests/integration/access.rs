//! The cross-tenant refusal table (DATA-3): for every API operation and page, a user
//! of another school, class or family is refused — 404 for what they must not know
//! exists, 403 for what they see but may not change. The test fails when an operation
//! in the OpenAPI document, or a page route, has no row here.

use crate::fixtures;
use crate::harness::{spawn, Client, TestApp};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// `op` is `METHOD /template` as in the OpenAPI document (or the page router);
/// `path` and `body` use `@name` placeholders filled from the fixture.
struct Row {
    op: &'static str,
    actor: Option<&'static str>,
    path: &'static str,
    body: Option<&'static str>,
    expect: u16,
}

const fn row(
    op: &'static str,
    actor: Option<&'static str>,
    path: &'static str,
    body: Option<&'static str>,
    expect: u16,
) -> Row {
    Row {
        op,
        actor,
        path,
        body,
        expect,
    }
}

#[rustfmt::skip]
const API: &[Row] = &[
    row("POST /api/v1/session", None, "/api/v1/session", Some(r#"{"login":"parent","password":"not-the-password-1"}"#), 401),
    row("DELETE /api/v1/session", None, "/api/v1/session", None, 401),
    row("PUT /api/v1/session/role", Some("student"), "/api/v1/session/role", Some(r#"{"role_id":"@parent_role"}"#), 422),
    row("GET /api/v1/me", None, "/api/v1/me", None, 401),
    row("POST /api/v1/me/password", None, "/api/v1/me/password", Some(r#"{"old_password":"a","new_password":"b"}"#), 401),
    row("GET /api/v1/regions", None, "/api/v1/regions", None, 401),
    row("GET /api/v1/municipalities", None, "/api/v1/municipalities", None, 401),
    row("GET /api/v1/organisations", None, "/api/v1/organisations", None, 401),
    row("POST /api/v1/organisations", Some("municipality"), "/api/v1/organisations", Some( r#"{"municipality_id":"@mun2","kind":"school","full_name":"Школа в чужом округе","short_name":"Чужая","inn":"5200000001","ogrn":"1025200000001","address":"ул. Чужая, 1"}"#, ), 403),
    row("POST /api/v1/organisations", Some("director"), "/api/v1/organisations", Some( r#"{"municipality_id":"@mun1","kind":"school","full_name":"Новая школа","short_name":"Новая","inn":"5200000001","ogrn":"1025200000001","address":"ул. Новая, 1"}"#, ), 403),
    row("GET /api/v1/organisations/{id}", None, "/api/v1/organisations/@school2", None, 401),
    row("GET /api/v1/organisations/{id}/classes", None, "/api/v1/organisations/@school2/classes", None, 401),
    row("GET /api/v1/organisations/{id}/classes", Some("student"), "/api/v1/organisations/@school1/classes", None, 403),
    row("GET /api/v1/organisations/{id}/classes", Some("parent"), "/api/v1/organisations/@school1/classes", None, 403),
    row("GET /api/v1/organisations/{id}/classes", Some("teacher"), "/api/v1/organisations/@school2/classes", None, 403),
    row("GET /api/v1/organisations/{id}/classes", Some("director"), "/api/v1/organisations/@school2/classes", None, 403),
    row("GET /api/v1/organisations/{id}/storage", Some("director"), "/api/v1/organisations/@school2/storage", None, 403),
    row("GET /api/v1/organisations/{id}/storage", Some("teacher"), "/api/v1/organisations/@school1/storage", None, 403),
    row("GET /api/v1/organisations/{id}/privacy", None, "/api/v1/organisations/@school2/privacy", None, 401),
    row("PUT /api/v1/organisations/{id}/privacy", Some("director"), "/api/v1/organisations/@school2/privacy", Some(r#"{"parent_contacts_to_teachers":true}"#), 403),
    row("PUT /api/v1/organisations/{id}/privacy", Some("teacher"), "/api/v1/organisations/@school1/privacy", Some(r#"{"parent_contacts_to_teachers":true}"#), 403),
    row("POST /api/v1/organisations/{id}/classes", Some("director"), "/api/v1/organisations/@school2/classes", Some(r#"{"academic_year_id":"@year2","grade_level":"5","letter":"Я"}"#), 403),
    row("GET /api/v1/organisations/{id}/staff", Some("director"), "/api/v1/organisations/@school2/staff", None, 403),
    row("GET /api/v1/organisations/{id}/staff", Some("teacher"), "/api/v1/organisations/@school1/staff", None, 403),
    row("GET /api/v1/organisations/{id}/audit", Some("director"), "/api/v1/organisations/@school2/audit", None, 403),
    row("POST /api/v1/organisations/{id}/enrolment-ends", Some("director"), "/api/v1/organisations/@school2/enrolment-ends", Some(r#"{"person_id":"@other_child","date":"2026-12-01","reason":"expelled"}"#), 403),
    row("POST /api/v1/enrolments", Some("director"), "/api/v1/enrolments", Some(r#"{"person_id":"@own_child","class_id":"@class2","date":"2026-12-01"}"#), 403),
    row("GET /api/v1/classes/{id}", Some("teacher"), "/api/v1/classes/@class2", None, 404),
    row("GET /api/v1/classes/{id}", Some("parent"), "/api/v1/classes/@class1", None, 404),
    row("GET /api/v1/classes/{id}", Some("student"), "/api/v1/classes/@class2", None, 404),
    row("GET /api/v1/classes/{id}", Some("municipality"), "/api/v1/classes/@class1", None, 404),
    row("GET /api/v1/classes/{id}", Some("director"), "/api/v1/classes/@class2", None, 404),
    row("GET /api/v1/persons/{id}", Some("parent"), "/api/v1/persons/@other_child", None, 404),
    row("GET /api/v1/persons/{id}", Some("teacher"), "/api/v1/persons/@other_child", None, 404),
    row("GET /api/v1/persons/{id}", Some("student"), "/api/v1/persons/@classmate", None, 404),
    row("GET /api/v1/persons/{id}", Some("director"), "/api/v1/persons/@other_child", None, 404),
    row("GET /api/v1/persons/{id}", Some("municipality"), "/api/v1/persons/@own_child", None, 404),
    row("GET /api/v1/persons/{id}", Some("region"), "/api/v1/persons/@own_child", None, 404),
    row("PATCH /api/v1/persons/{id}/contacts", Some("parent"), "/api/v1/persons/@other_child/contacts", Some(r#"{"phone":"+79120000000"}"#), 404),
    row("PATCH /api/v1/persons/{id}/contacts", Some("teacher"), "/api/v1/persons/@own_child/contacts", Some(r#"{"phone":"+79120000000"}"#), 403),
    row("POST /api/v1/persons/{id}/change-requests", Some("parent"), "/api/v1/persons/@other_child/change-requests", Some(r#"{"field":"last_name","new_value":"Чужой"}"#), 404),
    row("GET /api/v1/persons/{id}/audit", Some("parent"), "/api/v1/persons/@other_child/audit", None, 404),
    row("GET /api/v1/persons/{id}/audit", Some("student"), "/api/v1/persons/@parent/audit", None, 403),
    row("GET /api/v1/persons/{id}/export", Some("parent"), "/api/v1/persons/@other_child/export", None, 404),
    row("GET /api/v1/persons/{id}/export", Some("teacher"), "/api/v1/persons/@own_child/export", None, 403),
    row("GET /api/v1/tokens", Some("director"), "/api/v1/tokens", None, 403),
    row("POST /api/v1/tokens", Some("director"), "/api/v1/tokens", Some(r#"{"name":"x","role_id":"@parent_role","scopes":["registry:read"]}"#), 403),
    row("DELETE /api/v1/tokens/{id}", Some("director"), "/api/v1/tokens/@random", None, 403),
    row("GET /api/v1/openapi.json", None, "/api/v1/openapi.json", None, 200),
    row("GET /api/v1/organisations/{id}/roster", Some("director"), "/api/v1/organisations/@school2/roster", None, 403),
    row("GET /api/v1/organisations/{id}/roster", Some("teacher"), "/api/v1/organisations/@school1/roster", None, 403),
    row("POST /api/v1/organisations/{id}/roster", Some("director"), "/api/v1/organisations/@school2/roster", Some("{}"), 403),
    row("GET /api/v1/roster/template", None, "/api/v1/roster/template", None, 401),
    row("POST /api/v1/roster", Some("director"), "/api/v1/roster", Some("{}"), 403),
    row("PUT /api/v1/roster/orgs", Some("director"), "/api/v1/roster/orgs", Some(r#"[{"source":"s2","organisation":"@school2"}]"#), 403),
    row("GET /api/v1/organisations/{id}/change-requests", Some("director"), "/api/v1/organisations/@school2/change-requests", None, 403),
    row("POST /api/v1/change-requests/{id}/decision", Some("director"), "/api/v1/change-requests/@request2/decision", Some(r#"{"approve":true}"#), 404),
    row("POST /api/v1/organisations/{id}/academic-years", Some("director"), "/api/v1/organisations/@school2/academic-years", Some(r#"{"name":"2030/2031","starts_on":"2030-09-01","ends_on":"2031-05-31"}"#), 403),
    row("POST /api/v1/organisations/{id}/persons", Some("director"), "/api/v1/organisations/@school2/persons", Some(r#"{"last_name":"Новенький","first_name":"Пётр","role":"student"}"#), 403),
    // The school's administration.
    row("GET /api/v1/organisations/{id}/people", Some("director"), "/api/v1/organisations/@school2/people", None, 403),
    row("GET /api/v1/organisations/{id}/people", Some("teacher"), "/api/v1/organisations/@school1/people", None, 403),
    row("PUT /api/v1/persons/{id}", Some("director"), "/api/v1/persons/@other_child", Some(r#"{"last_name":"Чужой","first_name":"Пётр"}"#), 404),
    row("PUT /api/v1/persons/{id}", Some("teacher"), "/api/v1/persons/@own_child", Some(r#"{"last_name":"Чужой","first_name":"Пётр"}"#), 403),
    row("PUT /api/v1/persons/{id}", Some("parent"), "/api/v1/persons/@own_child", Some(r#"{"last_name":"Чужой","first_name":"Пётр"}"#), 403),
    row("POST /api/v1/persons/{id}/guardians", Some("director"), "/api/v1/persons/@other_child/guardians", Some(r#"{"parent_id":"@parent","kind":"mother"}"#), 404),
    row("POST /api/v1/persons/{id}/guardians", Some("parent"), "/api/v1/persons/@classmate/guardians", Some(r#"{"parent_id":"@parent","kind":"mother"}"#), 404),
    row("POST /api/v1/persons/{id}/guardians", Some("teacher"), "/api/v1/persons/@own_child/guardians", Some(r#"{"parent_id":"@parent","kind":"mother"}"#), 403),
    row("POST /api/v1/organisations/{id}/staff/{person}/positions", Some("director"), "/api/v1/organisations/@school2/staff/@teacher2/positions", Some(r#"{"position":"tutor"}"#), 403),
    row("POST /api/v1/organisations/{id}/staff/{person}/positions", Some("teacher"), "/api/v1/organisations/@school1/staff/@teacher_self/positions", Some(r#"{"position":"head"}"#), 403),
    row("POST /api/v1/organisations/{id}/staff/{person}/leave", Some("director"), "/api/v1/organisations/@school2/staff/@teacher2/leave", Some(r#"{"date":"2026-12-01"}"#), 403),
    row("POST /api/v1/organisations/{id}/staff/{person}/leave", Some("teacher"), "/api/v1/organisations/@school1/staff/@teacher_self/leave", Some(r#"{"date":"2026-12-01"}"#), 403),
    row("GET /api/v1/organisations/{id}/year-end", Some("director"), "/api/v1/organisations/@school2/year-end", None, 403),
    row("GET /api/v1/organisations/{id}/year-end", Some("teacher"), "/api/v1/organisations/@school1/year-end", None, 403),
    row("POST /api/v1/organisations/{id}/year-end", Some("director"), "/api/v1/organisations/@school2/year-end", Some("{}"), 403),
    row("GET /api/v1/persons/{id}/assignments", Some("director"), "/api/v1/persons/@teacher2/assignments", None, 404),
    row("GET /api/v1/persons/{id}/assignments", Some("teacher"), "/api/v1/persons/@teacher_self/assignments", None, 403),
    row("POST /api/v1/persons/{id}/assignments", Some("director"), "/api/v1/persons/@teacher2/assignments", Some(r#"{"class_id":"@class2","subject_code":"math"}"#), 403),
    row("POST /api/v1/persons/{id}/assignments", Some("teacher"), "/api/v1/persons/@teacher_self/assignments", Some(r#"{"class_id":"@class1","subject_code":"math"}"#), 403),
    row("POST /api/v1/persons/{id}/assignments", Some("director"), "/api/v1/persons/@teacher_self/assignments", Some(r#"{"group_id":"@group2","subject_code":"math"}"#), 403),
    row("DELETE /api/v1/persons/{id}/assignments/{assignment}", Some("director"), "/api/v1/persons/@teacher2/assignments/@random", None, 404),
    row("GET /api/v1/classes/{id}/groups", Some("director"), "/api/v1/classes/@class2/groups", None, 403),
    row("GET /api/v1/classes/{id}/groups", Some("teacher"), "/api/v1/classes/@class1/groups", None, 403),
    row("POST /api/v1/classes/{id}/groups", Some("director"), "/api/v1/classes/@class2/groups", Some(r#"{"name":"Чужая","members":[]}"#), 403),
    row("PUT /api/v1/groups/{id}/members", Some("director"), "/api/v1/groups/@random/members", Some("[]"), 404),
    row("GET /api/v1/operators", Some("region"), "/api/v1/operators", None, 403),
    row("GET /api/v1/operators", Some("director"), "/api/v1/operators", None, 403),
    row("POST /api/v1/operators", Some("region"), "/api/v1/operators", Some(r#"{"last_name":"Самозванов","first_name":"Иван","role":"regional_operator","region_code":"52"}"#), 403),
    row("POST /api/v1/letters", Some("director"), "/api/v1/letters", Some(r#"{"person_ids":["@other_child"]}"#), 404),
    row("POST /api/v1/letters", Some("teacher"), "/api/v1/letters", Some(r#"{"person_ids":["@own_child"]}"#), 403),
    row("POST /api/v1/letters", Some("parent"), "/api/v1/letters", Some(r#"{"person_ids":["@own_child"]}"#), 403),
    row("GET /api/v1/reference/{book}", None, "/api/v1/reference/subjects", None, 401),
    row("POST /api/v1/reference/{book}", Some("director"), "/api/v1/reference/subjects", Some(r#"{"code":"chess","name":"Шахматы"}"#), 403),
    row("POST /api/v1/reference/{book}", Some("municipality"), "/api/v1/reference/subjects", Some(r#"{"code":"chess","name":"Шахматы"}"#), 403),
    // The school day.
    row("GET /api/v1/organisations/{id}/calendar", None, "/api/v1/organisations/@school2/calendar", None, 401),
    row("PUT /api/v1/organisations/{id}/calendar/settings", Some("director"), "/api/v1/organisations/@school2/calendar/settings", Some(r#"{"week_days":6,"rounding_threshold":50}"#), 403),
    row("PUT /api/v1/organisations/{id}/calendar/settings", Some("teacher"), "/api/v1/organisations/@school1/calendar/settings", Some(r#"{"week_days":6,"rounding_threshold":50}"#), 403),
    row("POST /api/v1/organisations/{id}/periods", Some("director"), "/api/v1/organisations/@school2/periods", Some(r#"{"academic_year_id":"@year2","kind":"semester","name":"x","grade_from":1,"grade_to":11,"starts_on":"2026-09-01","ends_on":"2026-12-28"}"#), 403),
    row("POST /api/v1/periods/{id}/close", Some("director"), "/api/v1/periods/@period2/close", Some(r#"{"closed":true}"#), 403),
    row("POST /api/v1/periods/{id}/close", Some("teacher"), "/api/v1/periods/@period1/close", Some(r#"{"closed":true}"#), 403),
    row("POST /api/v1/organisations/{id}/calendar-days", Some("director"), "/api/v1/organisations/@school2/calendar-days", Some(r#"{"starts_on":"2026-12-01","kind":"holiday","name":"x"}"#), 403),
    row("DELETE /api/v1/organisations/{id}/calendar-days/{day}", Some("director"), "/api/v1/organisations/@school2/calendar-days/@holiday2", None, 403),
    row("DELETE /api/v1/organisations/{id}/calendar-days/{day}", Some("teacher"), "/api/v1/organisations/@school1/calendar-days/@holiday1", None, 403),
    row("PUT /api/v1/organisations/{id}/bells/{shift}", Some("director"), "/api/v1/organisations/@school2/bells/1", Some(r#"[{"shift":1,"lesson_no":1,"starts_at":"08:00","ends_at":"08:40"}]"#), 403),
    row("GET /api/v1/classes/{id}/timetable-template", Some("parent"), "/api/v1/classes/@class2/timetable-template", None, 404),
    row("GET /api/v1/classes/{id}/timetable-template", Some("teacher"), "/api/v1/classes/@class2/timetable-template", None, 404),
    row("PUT /api/v1/classes/{id}/timetable-template", Some("director"), "/api/v1/classes/@class2/timetable-template", Some(r#"{"valid_from":"2026-12-01","slots":[]}"#), 404),
    row("PUT /api/v1/classes/{id}/timetable-template", Some("teacher"), "/api/v1/classes/@class1/timetable-template", Some(r#"{"valid_from":"2026-12-01","slots":[]}"#), 403),
    row("POST /api/v1/classes/{id}/timetable-template/import", Some("director"), "/api/v1/classes/@class2/timetable-template/import?valid_from=2026-12-01", Some(r#""день;урок""#), 404),
    row("GET /api/v1/timetable", Some("student"), "/api/v1/timetable?class=@class2", None, 404),
    row("GET /api/v1/timetable", Some("parent"), "/api/v1/timetable?student=@other_child", None, 404),
    row("GET /api/v1/timetable", Some("teacher"), "/api/v1/timetable?teacher=@teacher2", None, 404),
    row("GET /api/v1/timetable", Some("student"), "/api/v1/timetable?school=@school1&room=101", None, 404),
    row("GET /api/v1/timetable", Some("director"), "/api/v1/timetable?school=@school2&room=101", None, 404),
    row("POST /api/v1/lessons/{id}/change", Some("director"), "/api/v1/lessons/@lesson2/change", Some(r#"{"kind":"cancellation"}"#), 404),
    row("POST /api/v1/lessons/{id}/change", Some("teacher"), "/api/v1/lessons/@lesson1/change", Some(r#"{"kind":"cancellation"}"#), 403),
    row("POST /api/v1/lessons", Some("director"), "/api/v1/lessons", Some(r#"{"class_id":"@class2","day":"2026-12-01","lesson_no":8,"subject_code":"math","teacher_id":"@teacher2"}"#), 404),
    row("GET /api/v1/journals", None, "/api/v1/journals", None, 401),
    row("GET /api/v1/classes/{id}/journal/{subject}", Some("teacher"), "/api/v1/classes/@class2/journal/math", None, 404),
    row("GET /api/v1/classes/{id}/journal/{subject}", Some("parent"), "/api/v1/classes/@class1/journal/@subject1", None, 404),
    row("GET /api/v1/classes/{id}/journal/{subject}", Some("student"), "/api/v1/classes/@class1/journal/@subject1", None, 404),
    row("GET /api/v1/classes/{id}/journal/{subject}", Some("director"), "/api/v1/classes/@class2/journal/math", None, 404),
    row("POST /api/v1/classes/{id}/journal/{subject}", Some("teacher"), "/api/v1/classes/@class2/journal/math", Some(r#"{"marks":[]}"#), 404),
    row("POST /api/v1/classes/{id}/journal/{subject}", Some("teacher"), "/api/v1/classes/@class1/journal/@subject1", Some(r#"{"lessons":[{"lesson_id":"@lesson1","topic":"x"}]}"#), 403),
    row("GET /api/v1/lessons/{id}", Some("teacher"), "/api/v1/lessons/@lesson2", None, 404),
    row("GET /api/v1/lessons/{id}", Some("student"), "/api/v1/lessons/@lesson1", None, 404),
    row("PUT /api/v1/grades", Some("teacher"), "/api/v1/grades", Some(r#"{"class_id":"@class2","subject_code":"math","period":"year","grades":[]}"#), 404),
    row("PUT /api/v1/grades", Some("teacher"), "/api/v1/grades", Some(r#"{"class_id":"@class1","subject_code":"@subject1","period":"year","grades":[]}"#), 403),
    row("GET /api/v1/classes/{id}/report", Some("teacher"), "/api/v1/classes/@class2/report", None, 404),
    row("GET /api/v1/classes/{id}/report", Some("student"), "/api/v1/classes/@class1/report", None, 404),
    row("GET /api/v1/organisations/{id}/grades", Some("director"), "/api/v1/organisations/@school2/grades?from=2026-09-01&to=2026-12-28", None, 403),
    row("GET /api/v1/organisations/{id}/grades", Some("teacher"), "/api/v1/organisations/@school1/grades?from=2026-09-01&to=2026-12-28", None, 403),
    row("GET /api/v1/students/{id}/diary", Some("parent"), "/api/v1/students/@other_child/diary", None, 404),
    row("GET /api/v1/students/{id}/diary", Some("student"), "/api/v1/students/@classmate/diary", None, 404),
    row("GET /api/v1/students/{id}/diary", Some("teacher"), "/api/v1/students/@other_child/diary", None, 404),
    row("GET /api/v1/students/{id}/diary", Some("director"), "/api/v1/students/@other_child/diary", None, 404),
    row("GET /api/v1/students/{id}/marks", Some("parent"), "/api/v1/students/@other_child/marks", None, 404),
    row("GET /api/v1/students/{id}/marks", Some("student"), "/api/v1/students/@classmate/marks", None, 404),
    row("GET /api/v1/lessons/{id}/homework", Some("student"), "/api/v1/lessons/@lesson1/homework", None, 404),
    row("GET /api/v1/lessons/{id}/homework", Some("teacher"), "/api/v1/lessons/@lesson2/homework", None, 404),
    row("POST /api/v1/lessons/{id}/homework", Some("student"), "/api/v1/lessons/@lesson2/homework", Some(r#"{"answer":"x"}"#), 404),
    row("POST /api/v1/lessons/{id}/homework", Some("parent"), "/api/v1/lessons/@lesson1/homework", Some(r#"{"answer":"x"}"#), 404),
    row("POST /api/v1/lessons/{id}/handins/{student}", Some("teacher"), "/api/v1/lessons/@lesson2/handins/@other_child", Some(r#"{"decision":"accept"}"#), 404),
    row("POST /api/v1/lessons/{id}/handins/{student}", Some("student"), "/api/v1/lessons/@lesson1/handins/@own_child", Some(r#"{"decision":"accept"}"#), 404),
    row("POST /api/v1/lessons/{id}/handins/{student}", Some("director"), "/api/v1/lessons/@lesson2/handins/@other_child", Some(r#"{"decision":"accept"}"#), 404),
    row("POST /api/v1/lessons/{id}/attachments", Some("teacher"), "/api/v1/lessons/@lesson2/attachments?file_name=a.txt", Some(r#""x""#), 404),
    row("POST /api/v1/lessons/{id}/attachments", Some("parent"), "/api/v1/lessons/@lesson1/attachments?file_name=a.txt", Some(r#""x""#), 404),
    row("POST /api/v1/lessons/{id}/attachments", Some("director"), "/api/v1/lessons/@lesson2/attachments?file_name=a.txt", Some(r#""x""#), 404),
    row("GET /api/v1/attachments/{id}", Some("parent"), "/api/v1/attachments/@attachment2", None, 404),
    row("GET /api/v1/attachments/{id}", Some("teacher"), "/api/v1/attachments/@attachment2", None, 404),
    row("GET /api/v1/attachments/{id}", Some("student"), "/api/v1/attachments/@attachment2", None, 404),
    row("GET /api/v1/notifications", None, "/api/v1/notifications", None, 401),
    row("GET /api/v1/chats", None, "/api/v1/chats", None, 401),
    row("GET /api/v1/chats/contacts", None, "/api/v1/chats/contacts", None, 401),
    row("GET /api/v1/chats/activity", Some("director"), "/api/v1/chats/activity?org=@school2", None, 403),
    row("GET /api/v1/chats/activity", Some("teacher"), "/api/v1/chats/activity", None, 403),
    row("GET /api/v1/chats/search", Some("parent"), "/api/v1/chats/search?q=собрание&chat=@parents2", None, 404),
    row("POST /api/v1/chats/personal", Some("student"), "/api/v1/chats/personal", Some(r#"{"person":"@teacher2"}"#), 404),
    row("GET /api/v1/chats/{id}/messages", Some("student"), "/api/v1/chats/@chat2/messages", None, 404),
    row("GET /api/v1/chats/{id}/messages", Some("teacher"), "/api/v1/chats/@groupchat2/messages", None, 404),
    row("POST /api/v1/chats/{id}/messages", Some("parent"), "/api/v1/chats/@chat2/messages", Some(r#"{"text":"привет"}"#), 404),
    row("POST /api/v1/chats/{id}/read", Some("teacher"), "/api/v1/chats/@chat2/read", Some(r#"{"seq":0}"#), 404),
    row("GET /api/v1/chats/{id}/events", Some("director"), "/api/v1/chats/@staff2/events", None, 404),
    row("GET /api/v1/chats/socket", None, "/api/v1/chats/socket", None, 401),
    row("GET /api/v1/channels", None, "/api/v1/channels", None, 401),
    row("GET /api/v1/communities", None, "/api/v1/communities", None, 401),
    row("GET /api/v1/video-lessons", None, "/api/v1/video-lessons", None, 401),
    row("GET /api/v1/lessons/{id}/video", Some("teacher"), "/api/v1/lessons/@lesson2/video", None, 404),
    row("GET /api/v1/lessons/{id}/video", Some("parent"), "/api/v1/lessons/@lesson1/video", None, 404),
    row("POST /api/v1/lessons/{id}/video", Some("teacher"), "/api/v1/lessons/@lesson1/video", Some(r#"{}"#), 403),
    row("POST /api/v1/lessons/{id}/video", Some("director"), "/api/v1/lessons/@lesson2/video", Some(r#"{}"#), 404),
    row("POST /api/v1/lessons/{id}/video/join", Some("parent"), "/api/v1/lessons/@lesson1/video/join", Some(r#"{}"#), 404),
    row("POST /api/v1/lessons/{id}/video/join", Some("student"), "/api/v1/lessons/@lesson2/video/join", Some(r#"{}"#), 404),
    row("POST /api/v1/lessons/{id}/video/end", Some("director"), "/api/v1/lessons/@lesson2/video/end", Some(r#"{}"#), 404),
    row("POST /api/v1/lessons/{id}/video/recording", Some("teacher"), "/api/v1/lessons/@lesson2/video/recording", Some(r#"{}"#), 404),
    row("POST /api/v1/lessons/{id}/video/attendance", Some("teacher"), "/api/v1/lessons/@lesson2/video/attendance", Some(r#"{"absent":[]}"#), 404),
    // Without a configured BigBlueButton its callbacks do not exist.
    row("POST /api/v1/video/bbb/analytics", None, "/api/v1/video/bbb/analytics", Some(r#"{}"#), 404),
    row("POST /api/v1/video/bbb/recording-ready", None, "/api/v1/video/bbb/recording-ready", Some(r#"{}"#), 404),
    row("GET /api/v1/broadcasts", None, "/api/v1/broadcasts", None, 401),
    row("POST /api/v1/broadcasts", Some("parent"), "/api/v1/broadcasts", Some(r#"{"title":"Родительское собрание","starts_at":"2026-12-20T18:00","stream_url":"https://video.school.ru/live.m3u8"}"#), 403),
    row("GET /api/v1/broadcasts/{id}", Some("student"), "/api/v1/broadcasts/@broadcast2", None, 404),
    row("POST /api/v1/broadcasts/{id}/end", Some("director"), "/api/v1/broadcasts/@broadcast2/end", Some(r#"{}"#), 404),
    row("POST /api/v1/chats/{id}/messages", Some("parent"), "/api/v1/chats/@broadcast2/messages", Some(r#"{"text":"здравствуйте"}"#), 404),
    row("POST /api/v1/communities", Some("parent"), "/api/v1/communities", Some(r#"{"title":"Родительский клуб","reach":"school","join_mode":"open"}"#), 403),
    row("POST /api/v1/communities/{id}/membership", Some("student"), "/api/v1/communities/@community2/membership", None, 404),
    row("DELETE /api/v1/communities/{id}/membership", Some("teacher"), "/api/v1/communities/@community2/membership", None, 404),
    row("GET /api/v1/communities/{id}/people", Some("director"), "/api/v1/communities/@community2/people", None, 404),
    row("PUT /api/v1/communities/{id}/people/{person}", Some("teacher"), "/api/v1/communities/@community2/people/@teacher2", Some(r#"{"standing":"member"}"#), 404),
    row("GET /api/v1/chats/{id}/messages", Some("student"), "/api/v1/chats/@community2/messages", None, 404),
    row("POST /api/v1/channels", Some("director"), "/api/v1/channels", Some(r#"{"title":"Директорский"}"#), 403),
    row("PUT /api/v1/channels/{id}/subscription", Some("parent"), "/api/v1/channels/@tchannel2/subscription", None, 404),
    row("DELETE /api/v1/channels/{id}/subscription", Some("student"), "/api/v1/channels/@tchannel2/subscription", None, 404),
    row("GET /api/v1/chats/{id}/messages", Some("parent"), "/api/v1/chats/@news2/messages", None, 404),
    row("POST /api/v1/chats/{id}/messages", Some("director"), "/api/v1/chats/@news2/messages", Some(r#"{"text":"чужие новости"}"#), 404),
    row("PATCH /api/v1/chats/{id}/messages/{seq}", Some("parent"), "/api/v1/chats/@parents2/messages/1", Some(r#"{"text":"x"}"#), 404),
    row("DELETE /api/v1/chats/{id}/messages/{seq}", Some("teacher"), "/api/v1/chats/@chat2/messages/1", None, 404),
    row("POST /api/v1/chats/{id}/messages/{seq}/ack", Some("parent"), "/api/v1/chats/@parents2/messages/1/ack", None, 404),
    row("GET /api/v1/chats/{id}/messages/{seq}/acks", Some("teacher"), "/api/v1/chats/@chat2/messages/1/acks", None, 404),
    row("POST /api/v1/chats/{id}/messages/{seq}/reactions", Some("parent"), "/api/v1/chats/@parents2/messages/1/reactions", Some(r#"{"reaction":"like"}"#), 404),
    row("PUT /api/v1/chats/{id}/messages/{seq}/vote", Some("student"), "/api/v1/chats/@chat2/messages/1/vote", Some(r#"{"options":[0]}"#), 404),
    row("GET /api/v1/chats/{id}/messages/{seq}/vote", Some("teacher"), "/api/v1/chats/@chat2/messages/1/vote", None, 404),
    row("POST /api/v1/chats/{id}/messages/{seq}/close", Some("director"), "/api/v1/chats/@chat2/messages/1/close", None, 404),
    row("POST /api/v1/chats/{id}/files", Some("student"), "/api/v1/chats/@chat2/files?file_name=a.txt", Some(r#"{"text":"x"}"#), 404),
    row("POST /api/v1/chats/{id}/scheduled", Some("parent"), "/api/v1/chats/@parents2/scheduled", Some(r#"{"text":"x","send_at":"2030-01-01T09:00"}"#), 404),
    row("GET /api/v1/chats/{id}/scheduled", Some("teacher"), "/api/v1/chats/@chat2/scheduled", None, 404),
    row("DELETE /api/v1/chats/{id}/scheduled/{scheduled}", Some("student"), "/api/v1/chats/@chat2/scheduled/00000000-0000-7000-8000-000000000000", None, 404),
    row("GET /api/v1/chats/{id}/files/{file}", Some("parent"), "/api/v1/chats/@parents2/files/00000000-0000-7000-8000-000000000000", None, 404),
    row("PATCH /api/v1/chats/{id}", Some("director"), "/api/v1/chats/@staff2", Some(r#"{"read_only":true}"#), 404),
    row("PATCH /api/v1/chats/{id}", Some("student"), "/api/v1/chats/@chat1", Some(r#"{"read_only":true}"#), 403),
    row("POST /api/v1/chats/{id}/messages/{seq}/complaints", Some("parent"), "/api/v1/chats/@parents2/messages/1/complaints", Some(r#"{"reason":"abuse"}"#), 404),
    row("GET /api/v1/chats/complaints", None, "/api/v1/chats/complaints", None, 401),
    row("POST /api/v1/chats/{id}/messages/{seq}/moderation", Some("director"), "/api/v1/chats/@chat2/messages/1/moderation", Some(r#"{"action":"hide"}"#), 404),
    row("POST /api/v1/chats/{id}/messages/{seq}/moderation", Some("student"), "/api/v1/chats/@chat1/messages/1/moderation", Some(r#"{"action":"hide"}"#), 403),
    row("GET /api/v1/chats/{id}/restrictions", Some("teacher"), "/api/v1/chats/@chat2/restrictions", None, 404),
    row("PUT /api/v1/chats/{id}/restrictions/{person}", Some("director"), "/api/v1/chats/@staff2/restrictions/@teacher2", Some(r#"{"kind":"remove"}"#), 404),
    row("GET /api/v1/notifications/unread", None, "/api/v1/notifications/unread", None, 401),
    row("POST /api/v1/notifications/{id}/read", Some("parent"), "/api/v1/notifications/@notification2/read", None, 404),
    row("POST /api/v1/notifications/read-all", None, "/api/v1/notifications/read-all", None, 401),
    row("GET /api/v1/notifications/preferences", None, "/api/v1/notifications/preferences", None, 401),
    row("PUT /api/v1/notifications/preferences", None, "/api/v1/notifications/preferences", Some("[]"), 401),
    // One's own settings only: there is no one else's to ask for.
    row("GET /api/v1/notifications/settings", None, "/api/v1/notifications/settings", None, 401),
    row("PUT /api/v1/notifications/settings", None, "/api/v1/notifications/settings", Some(r#"{"digest":false}"#), 401),
    row("GET /api/v1/notifications/push", None, "/api/v1/notifications/push", None, 401),
    row("POST /api/v1/notifications/push/subscriptions", None, "/api/v1/notifications/push/subscriptions", Some(r#"{"endpoint":"https://fcm.googleapis.com/fcm/send/x","keys":{"p256dh":"x","auth":"y"}}"#), 401),
    // Another family's browser: as unknown.
    row("DELETE /api/v1/notifications/push/subscriptions/{id}", Some("parent"), "/api/v1/notifications/push/subscriptions/@push2", None, 404),
    row("POST /api/v1/notifications/push/unsubscribe", Some("parent"), "/api/v1/notifications/push/unsubscribe", Some(r#"{"endpoint":"https://fcm.googleapis.com/fcm/send/@push2"}"#), 404),
    row("GET /ims/oneroster/rostering/v1p2/orgs", Some("teacher"), "/ims/oneroster/rostering/v1p2/orgs", None, 403),
    row("GET /ims/oneroster/rostering/v1p2/orgs/{id}", Some("director"), "/ims/oneroster/rostering/v1p2/orgs/@school2", None, 404),
    row("GET /ims/oneroster/rostering/v1p2/schools", Some("teacher"), "/ims/oneroster/rostering/v1p2/schools", None, 403),
    row("GET /ims/oneroster/rostering/v1p2/schools/{id}", Some("director"), "/ims/oneroster/rostering/v1p2/schools/@school2", None, 404),
    row("GET /ims/oneroster/rostering/v1p2/academicSessions", Some("teacher"), "/ims/oneroster/rostering/v1p2/academicSessions", None, 403),
    row("GET /ims/oneroster/rostering/v1p2/academicSessions/{id}", Some("director"), "/ims/oneroster/rostering/v1p2/academicSessions/@random", None, 404),
    row("GET /ims/oneroster/rostering/v1p2/terms", Some("teacher"), "/ims/oneroster/rostering/v1p2/terms", None, 403),
    row("GET /ims/oneroster/rostering/v1p2/terms/{id}", Some("director"), "/ims/oneroster/rostering/v1p2/terms/@random", None, 404),
    row("GET /ims/oneroster/rostering/v1p2/gradingPeriods", Some("teacher"), "/ims/oneroster/rostering/v1p2/gradingPeriods", None, 403),
    row("GET /ims/oneroster/rostering/v1p2/gradingPeriods/{id}", Some("director"), "/ims/oneroster/rostering/v1p2/gradingPeriods/@random", None, 404),
    row("GET /ims/oneroster/rostering/v1p2/courses", Some("teacher"), "/ims/oneroster/rostering/v1p2/courses", None, 403),
    row("GET /ims/oneroster/rostering/v1p2/courses/{id}", Some("director"), "/ims/oneroster/rostering/v1p2/courses/@random", None, 404),
    row("GET /ims/oneroster/rostering/v1p2/classes", Some("teacher"), "/ims/oneroster/rostering/v1p2/classes", None, 403),
    row("GET /ims/oneroster/rostering/v1p2/classes/{id}", Some("director"), "/ims/oneroster/rostering/v1p2/classes/@class2", None, 404),
    row("GET /ims/oneroster/rostering/v1p2/users", Some("teacher"), "/ims/oneroster/rostering/v1p2/users", None, 403),
    row("GET /ims/oneroster/rostering/v1p2/users/{id}", Some("director"), "/ims/oneroster/rostering/v1p2/users/@other_child", None, 404),
    row("GET /ims/oneroster/rostering/v1p2/students", Some("teacher"), "/ims/oneroster/rostering/v1p2/students", None, 403),
    row("GET /ims/oneroster/rostering/v1p2/students/{id}", Some("director"), "/ims/oneroster/rostering/v1p2/students/@other_child", None, 404),
    row("GET /ims/oneroster/rostering/v1p2/teachers", Some("teacher"), "/ims/oneroster/rostering/v1p2/teachers", None, 403),
    row("GET /ims/oneroster/rostering/v1p2/teachers/{id}", Some("director"), "/ims/oneroster/rostering/v1p2/teachers/@random", None, 404),
    row("GET /ims/oneroster/rostering/v1p2/enrollments", Some("teacher"), "/ims/oneroster/rostering/v1p2/enrollments", None, 403),
    row("GET /ims/oneroster/rostering/v1p2/enrollments/{id}", Some("director"), "/ims/oneroster/rostering/v1p2/enrollments/@random", None, 404),
    row("GET /ims/oneroster/rostering/v1p2/demographics", Some("teacher"), "/ims/oneroster/rostering/v1p2/demographics", None, 403),
    row("GET /ims/oneroster/rostering/v1p2/demographics/{id}", Some("director"), "/ims/oneroster/rostering/v1p2/demographics/@other_child", None, 404),
    row("GET /ims/oneroster/rostering/v1p2/schools/{id}/classes", Some("director"), "/ims/oneroster/rostering/v1p2/schools/@school2/classes", None, 404),
    row("GET /ims/oneroster/rostering/v1p2/schools/{id}/students", Some("director"), "/ims/oneroster/rostering/v1p2/schools/@school2/students", None, 404),
    row("GET /ims/oneroster/rostering/v1p2/schools/{id}/teachers", Some("director"), "/ims/oneroster/rostering/v1p2/schools/@school2/teachers", None, 404),
    row("GET /ims/oneroster/rostering/v1p2/schools/{id}/enrollments", Some("director"), "/ims/oneroster/rostering/v1p2/schools/@school2/enrollments", None, 404),
    row("GET /ims/oneroster/rostering/v1p2/schools/{id}/courses", Some("director"), "/ims/oneroster/rostering/v1p2/schools/@school2/courses", None, 404),
    row("GET /ims/oneroster/rostering/v1p2/schools/{id}/terms", Some("director"), "/ims/oneroster/rostering/v1p2/schools/@school2/terms", None, 404),
    row("GET /ims/oneroster/rostering/v1p2/schools/{id}/academicSessions", Some("director"), "/ims/oneroster/rostering/v1p2/schools/@school2/academicSessions", None, 404),
    row("GET /ims/oneroster/rostering/v1p2/classes/{id}/students", Some("director"), "/ims/oneroster/rostering/v1p2/classes/@class2/students", None, 404),
    row("GET /ims/oneroster/rostering/v1p2/classes/{id}/teachers", Some("director"), "/ims/oneroster/rostering/v1p2/classes/@class2/teachers", None, 404),
    row("GET /ims/oneroster/rostering/v1p2/users/{id}/classes", Some("director"), "/ims/oneroster/rostering/v1p2/users/@other_child/classes", None, 404),
    row("GET /ims/oneroster/rostering/v1p2/students/{id}/classes", Some("director"), "/ims/oneroster/rostering/v1p2/students/@other_child/classes", None, 404),
    row("GET /ims/oneroster/rostering/v1p2/teachers/{id}/classes", Some("director"), "/ims/oneroster/rostering/v1p2/teachers/@other_child/classes", None, 404),
    row("GET /ims/oneroster/rostering/v1p2/users", Some("parent"), "/ims/oneroster/rostering/v1p2/users", None, 403),
    row("GET /ims/oneroster/rostering/v1p2/users", None, "/ims/oneroster/rostering/v1p2/users", None, 401),
    row("POST /api/v1/oauth/token", None, "/api/v1/oauth/token", Some(r#"{"grant_type":"client_credentials"}"#), 400),
    row("GET /ims/oneroster/gradebook/v1p2/categories/{id}", None, "/ims/oneroster/gradebook/v1p2/categories/homework", None, 401),
    row("GET /ims/oneroster/gradebook/v1p2/lineItems", Some("teacher"), "/ims/oneroster/gradebook/v1p2/lineItems", None, 403),
    row("GET /ims/oneroster/gradebook/v1p2/lineItems/{id}", Some("director"), "/ims/oneroster/gradebook/v1p2/lineItems/@line_item2", None, 404),
    row("GET /ims/oneroster/gradebook/v1p2/classes/{id}/lineItems", Some("director"), "/ims/oneroster/gradebook/v1p2/classes/@class2/lineItems", None, 404),
    row("GET /ims/oneroster/gradebook/v1p2/results", Some("parent"), "/ims/oneroster/gradebook/v1p2/results", None, 403),
    row("GET /ims/oneroster/gradebook/v1p2/results/{id}", Some("director"), "/ims/oneroster/gradebook/v1p2/results/@mark2", None, 404),
    row("PUT /ims/oneroster/gradebook/v1p2/results/{id}", Some("director"), "/ims/oneroster/gradebook/v1p2/results/@mark2", Some(r#"{"result":{"lineItem":{"sourcedId":"@line_item2"},"student":{"sourcedId":"@other_child"},"scoreStatus":"fully graded","score":5}}"#), 404),
    row("DELETE /ims/oneroster/gradebook/v1p2/results/{id}", Some("director"), "/ims/oneroster/gradebook/v1p2/results/@mark2", None, 404),
    row("GET /ims/oneroster/gradebook/v1p2/classes/{id}/results", Some("director"), "/ims/oneroster/gradebook/v1p2/classes/@class2/results", None, 404),
    row("GET /ims/oneroster/gradebook/v1p2/lineItems/{id}/results", Some("director"), "/ims/oneroster/gradebook/v1p2/lineItems/@line_item2/results", None, 404),
    row("POST /ims/oneroster/gradebook/v1p2/lineItems/{id}/results", Some("director"), "/ims/oneroster/gradebook/v1p2/lineItems/@line_item2/results", Some(r#"{"results":[{"student":{"sourcedId":"@other_child"},"scoreStatus":"fully graded","score":5}]}"#), 404),
    row("GET /ims/oneroster/gradebook/v1p2/scoreScales", None, "/ims/oneroster/gradebook/v1p2/scoreScales", None, 401),
    row("GET /ims/oneroster/gradebook/v1p2/scoreScales/{id}", None, "/ims/oneroster/gradebook/v1p2/scoreScales/five_point", None, 401),
    row("GET /ims/oneroster/gradebook/v1p2/categories", None, "/ims/oneroster/gradebook/v1p2/categories", None, 401),
    row("GET /ims/oneroster/gradebook/v1p2/schools/{id}/gradingPeriods", Some("director"), "/ims/oneroster/gradebook/v1p2/schools/@school2/gradingPeriods", None, 403),
    row("GET /ims/oneroster/gradebook/v1p2/schools/{id}/lineItems", Some("teacher"), "/ims/oneroster/gradebook/v1p2/schools/@school1/lineItems", None, 403),
    row("GET /ims/oneroster/gradebook/v1p2/schools/{id}/results", Some("director"), "/ims/oneroster/gradebook/v1p2/schools/@school2/results", None, 403),
    row("GET /ims/oneroster/gradebook/v1p2/schools/{id}/results", Some("parent"), "/ims/oneroster/gradebook/v1p2/schools/@school1/results", None, 403),
];

#[rustfmt::skip]
const PAGES: &[Row] = &[
    row("GET /schools/{id}/storage", Some("director"), "/schools/@school2/storage", None, 403),
    row("GET /schools/{id}/storage", Some("teacher"), "/schools/@school1/storage", None, 403),
    row("POST /schools/{id}/privacy", Some("director"), "/schools/@school2/privacy", Some("parent_contacts_to_teachers=1"), 403),
    row("POST /schools/{id}/privacy", Some("teacher"), "/schools/@school1/privacy", Some("parent_contacts_to_teachers=1"), 403),
    row("GET /", None, "/", None, 303),
    row("GET /login", None, "/login", None, 200),
    row("POST /logout", None, "/logout", None, 401),
    row("POST /role", Some("student"), "/role", Some("role_id=@parent_role"), 422),
    row("GET /password", None, "/password", None, 303),
    row("POST /password", None, "/password", Some("old_password=a&new_password=b"), 303),
    row("GET /schools", None, "/schools", None, 303),
    row("GET /schools/{id}", None, "/schools/@school2", None, 303),
    row("GET /schools/{id}/audit", Some("director"), "/schools/@school2/audit", None, 403),
    row("GET /classes/{id}", Some("teacher"), "/classes/@class2", None, 404),
    row("GET /persons/{id}", Some("parent"), "/persons/@other_child", None, 404),
    row("GET /persons/{id}", Some("teacher"), "/persons/@other_child", None, 404),
    row("GET /persons/{id}/audit", Some("parent"), "/persons/@other_child/audit", None, 404),
    row("GET /my-data", None, "/my-data", None, 303),
    row("POST /my-data/contacts", None, "/my-data/contacts", Some("phone=1"), 303),
    row("POST /my-data/change-request", None, "/my-data/change-request", Some("field=snils&new_value=1"), 303),
    row("GET /prefs", None, "/prefs?a11y=1&back=//evil.example", None, 303),
    row("GET /static/parta.css", None, "/static/parta.css", None, 200),
    row("GET /static/favicon.svg", None, "/static/favicon.svg", None, 200),
    row("GET /favicon.ico", None, "/favicon.ico", None, 308),
    row("POST /login", None, "/login", Some("login=parent&password=wrong-password-1"), 401),
    row("GET /schools/{id}/import", Some("director"), "/schools/@school2/import", None, 403),
    row("GET /schools/{id}/change-requests", Some("director"), "/schools/@school2/change-requests", None, 403),
    row("POST /change-requests/{id}/decision", Some("director"), "/change-requests/@request2/decision", Some("approve=1&org=@school2"), 404),
    row("POST /schools/{id}/import", None, "/schools/@school2/import", Some("x=1"), 303),
    row("GET /schools/import", Some("director"), "/schools/import", None, 403),
    row("POST /schools/import", None, "/schools/import", Some("x=1"), 303),
    row("POST /schools/import/orgs", Some("director"), "/schools/import/orgs", Some("source=s2&organisation=@school2"), 403),
    row("POST /schools/{id}/import/subjects", Some("director"), "/schools/@school2/import/subjects", Some("source=ALG1&subject=math"), 403),
    // Without a configured provider the external sign-in does not exist.
    row("GET /auth/oidc/start", None, "/auth/oidc/start", None, 404),
    row("GET /auth/oidc/callback", None, "/auth/oidc/callback?code=x&state=y", None, 404),
    // The school day.
    row("GET /journal", None, "/journal", None, 303),
    row("GET /journal/{class}/{subject}", Some("teacher"), "/journal/@class2/math", None, 404),
    row("GET /journal/{class}/{subject}", Some("parent"), "/journal/@class1/@subject1", None, 404),
    row("POST /journal/{class}/{subject}", Some("teacher"), "/journal/@class1/@subject1", Some("o.@lesson1.@own_child=&m.@lesson1.@own_child=5"), 403),
    row("POST /journal/{class}/{subject}", Some("teacher"), "/journal/@class2/math", Some("work_type=test"), 404),
    row("GET /journal/{class}/{subject}/plan", Some("teacher"), "/journal/@class2/math/plan", None, 404),
    row("GET /journal/{class}/{subject}/plan", Some("teacher"), "/journal/@class1/@subject1/plan", None, 403),
    row("POST /journal/{class}/{subject}/plan", Some("teacher"), "/journal/@class1/@subject1/plan", Some("from=01.12.2026&plan=Тема"), 403),
    row("GET /lessons/{id}", Some("teacher"), "/lessons/@lesson2", None, 404),
    row("POST /lessons/{id}", Some("teacher"), "/lessons/@lesson2", Some("topic=x"), 404),
    row("GET /diary", Some("parent"), "/diary?student=@other_child", None, 404),
    row("GET /diary", Some("teacher"), "/diary?student=@other_child", None, 404),
    row("GET /diary/marks", Some("parent"), "/diary/marks?student=@other_child", None, 404),
    row("POST /diary/homework/{id}", Some("student"), "/diary/homework/@lesson2", Some("done=1"), 404),
    row("GET /timetable", Some("student"), "/timetable?class=@class2", None, 404),
    row("GET /timetable", Some("parent"), "/timetable?student=@other_child", None, 404),
    row("GET /timetable", Some("parent"), "/timetable?school=@school1&room=101", None, 404),
    row("GET /notifications", None, "/notifications", None, 303),
    row("GET /chats", None, "/chats", None, 303),
    row("GET /chats/contacts", None, "/chats/contacts", None, 303),
    row("GET /chats/search", Some("student"), "/chats/search?q=контрольная&chat=@chat2", None, 404),
    row("POST /chats/personal", Some("parent"), "/chats/personal", Some("person=@teacher2"), 404),
    row("GET /chats/{id}", Some("parent"), "/chats/@parents2", None, 404),
    row("GET /chats/{id}", Some("teacher"), "/chats/@tchannel2?thread=1", None, 404),
    row("GET /chats/{id}/at/{seq}", Some("student"), "/chats/@news2/at/1", None, 404),
    row("GET /channels", None, "/channels", None, 303),
    row("GET /communities", None, "/communities", None, 303),
    row("GET /broadcasts", None, "/broadcasts", None, 303),
    row("GET /video", None, "/video", None, 303),
    row("GET /lessons/{id}/video", Some("teacher"), "/lessons/@lesson2/video", None, 404),
    row("GET /lessons/{id}/video", Some("parent"), "/lessons/@lesson1/video", None, 404),
    row("POST /lessons/{id}/video", Some("teacher"), "/lessons/@lesson1/video", Some("engine=bbb"), 403),
    row("POST /lessons/{id}/video/join", Some("parent"), "/lessons/@lesson1/video/join", Some(""), 404),
    row("POST /lessons/{id}/video/end", Some("director"), "/lessons/@lesson2/video/end", Some(""), 404),
    row("POST /lessons/{id}/video/recording", Some("teacher"), "/lessons/@lesson2/video/recording", Some(""), 404),
    row("POST /lessons/{id}/video/attendance", Some("teacher"), "/lessons/@lesson2/video/attendance", Some("absent=@other_child"), 404),
    row("POST /broadcasts", Some("student"), "/broadcasts", Some("title=Концерт&starts_at=2026-12-20T18:00&stream_url=https://video.school.ru/live.m3u8"), 403),
    row("POST /broadcasts/{id}/end", Some("director"), "/broadcasts/@broadcast2/end", Some("recording_url="), 404),
    row("POST /communities", Some("student"), "/communities", Some("title=Клуб&reach=school&join_mode=open"), 403),
    row("POST /communities/{id}/join", Some("student"), "/communities/@community2/join", Some(""), 404),
    row("POST /communities/{id}/leave", Some("teacher"), "/communities/@community2/leave", Some(""), 404),
    row("GET /communities/{id}/people", Some("director"), "/communities/@community2/people", None, 404),
    row("POST /communities/{id}/invite", Some("director"), "/communities/@community2/invite", Some("person=@teacher2"), 404),
    row("POST /communities/{id}/people/{person}", Some("teacher"), "/communities/@community2/people/@teacher2", Some("standing=member"), 404),
    row("POST /channels", Some("parent"), "/channels", Some("title=Родительский"), 403),
    row("POST /channels/{id}/follow", Some("parent"), "/channels/@tchannel2/follow", Some("on=1"), 404),
    row("POST /chats/{id}", Some("student"), "/chats/@chat2", Some("text=x"), 404),
    row("POST /chats/{id}/ack/{seq}", Some("parent"), "/chats/@parents2/ack/1", Some(""), 404),
    row("GET /chats/{id}/acks/{seq}", Some("teacher"), "/chats/@chat2/acks/1", None, 404),
    row("POST /chats/{id}/react/{seq}", Some("student"), "/chats/@chat2/react/1", Some("reaction=like:on"), 404),
    row("POST /chats/{id}/vote/{seq}", Some("parent"), "/chats/@parents2/vote/1", Some("option=0"), 404),
    row("GET /chats/{id}/vote/{seq}", Some("teacher"), "/chats/@chat2/vote/1", None, 404),
    row("POST /chats/{id}/close/{seq}", Some("director"), "/chats/@chat2/close/1", Some(""), 404),
    row("POST /chats/{id}/files", Some("teacher"), "/chats/@chat2/files", Some("text=x"), 404),
    row("POST /chats/{id}/scheduled/{scheduled}/cancel", Some("student"), "/chats/@chat2/scheduled/00000000-0000-7000-8000-000000000000/cancel", Some(""), 404),
    row("POST /chats/{id}/delete/{seq}", Some("student"), "/chats/@chat2/delete/1", Some(""), 404),
    row("POST /chats/{id}/pin/{seq}", Some("director"), "/chats/@staff2/pin/1", Some(""), 404),
    row("POST /chats/{id}/settings", Some("director"), "/chats/@staff2/settings", Some("read_only=1"), 404),
    row("POST /chats/{id}/settings", Some("student"), "/chats/@chat1/settings", Some("read_only=1"), 403),
    row("GET /chats/complaints", None, "/chats/complaints", None, 303),
    row("GET /chats/activity", Some("parent"), "/chats/activity", None, 403),
    row("GET /chats/{id}/complain/{seq}", Some("student"), "/chats/@chat2/complain/1", None, 404),
    row("POST /chats/{id}/complain/{seq}", Some("parent"), "/chats/@parents2/complain/1", Some("reason=abuse"), 404),
    row("POST /chats/{id}/moderate/{seq}", Some("director"), "/chats/@chat2/moderate/1", Some("action=hide"), 404),
    row("POST /chats/{id}/moderate/{seq}", Some("student"), "/chats/@chat1/moderate/1", Some("action=hide"), 403),
    row("GET /chats/{id}/restrictions", Some("teacher"), "/chats/@chat2/restrictions", None, 404),
    row("POST /chats/{id}/restrictions/{person}", Some("director"), "/chats/@staff2/restrictions/@teacher2", Some("kind=remove"), 404),
    row("GET /chats/{id}/edit/{seq}", Some("student"), "/chats/@chat2/edit/1", None, 404),
    row("POST /chats/{id}/edit/{seq}", Some("student"), "/chats/@chat2/edit/1", Some("text=x"), 404),
    row("GET /static/chat.js", None, "/static/chat.js", None, 200),
    row("POST /notifications/read-all", None, "/notifications/read-all", Some("x=1"), 303),
    row("POST /notifications/preferences", None, "/notifications/preferences", Some("on=mark"), 303),
    row("POST /notifications/push/{id}/delete", Some("parent"), "/notifications/push/@push2/delete", Some("x=1"), 404),
    row("GET /sw.js", None, "/sw.js", None, 200),
    row("GET /static/push.js", None, "/static/push.js", None, 200),
    row("GET /classes/{id}/report", Some("teacher"), "/classes/@class2/report", None, 404),
    row("GET /classes/{id}/report", Some("student"), "/classes/@class1/report", None, 404),
    row("GET /schools/{id}/calendar", None, "/schools/@school2/calendar", None, 303),
    row("POST /periods/{id}/close", Some("director"), "/periods/@period2/close", Some("closed=1&confirm=1"), 403),
    row("GET /static/journal.js", None, "/static/journal.js", None, 200),
    row("POST /lessons/{id}/handins/{student}", Some("teacher"), "/lessons/@lesson2/handins/@other_child", Some("decision=accept"), 404),
    row("POST /lessons/{id}/handins/{student}", Some("parent"), "/lessons/@lesson1/handins/@own_child", Some("decision=accept"), 404),
    row("POST /lessons/{id}/attachments", Some("teacher"), "/lessons/@lesson2/attachments", Some("x=1"), 404),
    row("POST /diary/attachments/{id}", Some("student"), "/diary/attachments/@lesson2", Some("x=1"), 404),
    row("POST /lessons/{id}/change", Some("director"), "/lessons/@lesson2/change", Some("kind=cancellation&confirm=1"), 404),
    row("POST /lessons/{id}/change", Some("teacher"), "/lessons/@lesson1/change", Some("kind=cancellation&confirm=1"), 403),
    row("GET /schools/{id}/substitutions", Some("director"), "/schools/@school2/substitutions", None, 403),
    row("GET /schools/{id}/substitutions", Some("teacher"), "/schools/@school1/substitutions", None, 403),
    row("POST /schools/{id}/calendar/settings", Some("director"), "/schools/@school2/calendar/settings", Some("week_days=6&rounding_threshold=50"), 403),
    row("POST /schools/{id}/calendar/settings", Some("teacher"), "/schools/@school1/calendar/settings", Some("week_days=6&rounding_threshold=50"), 403),
    row("POST /schools/{id}/calendar/days", Some("director"), "/schools/@school2/calendar/days", Some("kind=holiday&starts_on=2026-12-01&name=x"), 403),
    row("POST /schools/{id}/calendar/kept/cancel", Some("director"), "/schools/@school2/calendar/kept/cancel", Some("from=2026-12-01&to=2026-12-01&confirm=1"), 403),
    row("POST /schools/{id}/calendar/days/{day}/delete", Some("director"), "/schools/@school2/calendar/days/@holiday2/delete", Some("x=1"), 403),
    row("POST /schools/{id}/calendar/bells", Some("director"), "/schools/@school2/calendar/bells", Some("shift=1&bells=08:30-09:10"), 403),
    row("POST /schools/{id}/calendar/periods", Some("director"), "/schools/@school2/calendar/periods", Some("academic_year_id=@year2&kind=quarter&name=x&grade_from=1&grade_to=11&starts_on=2026-09-01&ends_on=2026-10-01"), 403),
    // The school's administration.
    row("GET /schools/{id}/people", Some("director"), "/schools/@school2/people", None, 403),
    row("GET /schools/{id}/people", Some("teacher"), "/schools/@school1/people", None, 403),
    row("GET /schools/{id}/people/new", Some("director"), "/schools/@school2/people/new", None, 403),
    row("POST /schools/{id}/people/new", Some("director"), "/schools/@school2/people/new", Some("role=student&last_name=Чужой&first_name=Пётр"), 403),
    row("GET /schools/{id}/classes/new", Some("director"), "/schools/@school2/classes/new", None, 403),
    row("POST /schools/{id}/classes/new", Some("director"), "/schools/@school2/classes/new", Some("grade_level=5&letter=Я"), 403),
    row("GET /schools/{id}/year-end", Some("director"), "/schools/@school2/year-end", None, 403),
    row("POST /schools/{id}/year-end", Some("director"), "/schools/@school2/year-end", Some("confirm=1"), 403),
    row("POST /schools/{id}/academic-years", Some("director"), "/schools/@school2/academic-years", Some("name=2030/2031&starts_on=01.09.2030&ends_on=31.05.2031"), 403),
    row("GET /persons/{id}/manage", Some("director"), "/persons/@other_child/manage", None, 404),
    row("GET /persons/{id}/manage", Some("teacher"), "/persons/@own_child/manage", None, 403),
    row("POST /persons/{id}/edit", Some("director"), "/persons/@other_child/edit", Some("last_name=Чужой&first_name=Пётр"), 404),
    row("POST /persons/{id}/edit", Some("parent"), "/persons/@own_child/edit", Some("last_name=Чужой&first_name=Пётр"), 403),
    row("POST /persons/{id}/move", Some("director"), "/persons/@other_child/move", Some("class_id=@class1&date=01.12.2026"), 404),
    row("POST /persons/{id}/leave", Some("director"), "/persons/@other_child/leave", Some("reason=expelled&date=01.12.2026&confirm=1"), 404),
    row("POST /persons/{id}/guardians", Some("director"), "/persons/@other_child/guardians", Some("parent_id=@parent&kind=mother"), 404),
    row("POST /persons/{id}/positions", Some("director"), "/persons/@teacher2/positions", Some("position=tutor"), 404),
    row("POST /persons/{id}/staff-leaves", Some("director"), "/persons/@teacher2/staff-leaves", Some("date=01.12.2026&confirm=1"), 404),
    row("POST /persons/{id}/letter", Some("director"), "/persons/@other_child/letter", Some("x=1"), 404),
    row("POST /persons/{id}/letter", Some("teacher"), "/persons/@own_child/letter", Some("x=1"), 403),
    row("POST /persons/{id}/assignments", Some("director"), "/persons/@teacher2/assignments", Some("class_id=@class2&subject_code=math"), 403),
    row("POST /persons/{id}/assignments", Some("director"), "/persons/@teacher_self/assignments", Some("class_id=g:@group2&subject_code=math"), 403),
    row("POST /persons/{id}/assignments/{assignment}/delete", Some("director"), "/persons/@teacher2/assignments/@random/delete", Some("x=1"), 404),
    row("GET /classes/{id}/groups", Some("director"), "/classes/@class2/groups", None, 403),
    row("POST /classes/{id}/groups", Some("director"), "/classes/@class2/groups", Some("name=Чужая"), 403),
    row("POST /groups/{id}/members", Some("director"), "/groups/@random/members", Some("member=@other_child"), 404),
    row("GET /classes/{id}/accounts", Some("director"), "/classes/@class2/accounts", None, 403),
    row("GET /classes/{id}/accounts", Some("teacher"), "/classes/@class1/accounts", None, 403),
    row("POST /classes/{id}/letters", Some("director"), "/classes/@class2/letters", Some("person_id=@other_child"), 403),
    row("GET /static/print.js", None, "/static/print.js", None, 200),
    row("GET /admin", Some("director"), "/admin", None, 403),
    row("GET /admin", Some("teacher"), "/admin", None, 403),
    row("POST /admin/organisations", Some("director"), "/admin/organisations", Some("municipality_id=@mun1&kind=school&full_name=Новая школа&short_name=Новая&inn=5200000001&ogrn=1025200000001&address=ул. Новая, 1"), 403),
    row("POST /admin/organisations", Some("municipality"), "/admin/organisations", Some("municipality_id=@mun2&kind=school&full_name=Чужая школа&short_name=Чужая&inn=5200000001&ogrn=1025200000001&address=ул. Чужая, 1"), 403),
    row("POST /admin/operators", Some("region"), "/admin/operators", Some("role=regional_operator&last_name=Самозванов&first_name=Иван&region_code=52"), 403),
    row("POST /admin/reference", Some("director"), "/admin/reference", Some("book=subjects&code=chess&name=Шахматы"), 403),
    row("POST /admin/reference", Some("municipality"), "/admin/reference", Some("book=subjects&code=chess&name=Шахматы"), 403),
    row("GET /classes/{id}/template", Some("director"), "/classes/@class2/template", None, 404),
    row("GET /classes/{id}/template", Some("teacher"), "/classes/@class1/template", None, 403),
    row("POST /classes/{id}/template/kept/cancel", Some("director"), "/classes/@class2/template/kept/cancel", Some("from=2026-12-01&confirm=1"), 404),
    row("POST /classes/{id}/template/kept/cancel", Some("teacher"), "/classes/@class1/template/kept/cancel", Some("from=2026-12-01&confirm=1"), 403),
    row("POST /classes/{id}/template", Some("director"), "/classes/@class2/template", Some("valid_from=2026-12-07&csv=x"), 404),
    row("POST /classes/{id}/template", Some("student"), "/classes/@class1/template", Some("valid_from=2026-12-07&csv=x"), 403),
];

/// Ids of the demo region the rows refer to.
async fn fixture(app: &TestApp) -> HashMap<&'static str, String> {
    let mut f = HashMap::new();
    let parent = app.person_of("parent").await;
    let student = app.person_of("student").await;
    let school1 = app.director_school().await;
    let school2 = fixtures::other_school(app, &school1).await;
    let class1 = fixtures::class_named(app, &school1, "5А").await;
    let class2 = fixtures::class_named(app, &school2, "5А").await;
    let other_child = fixtures::student_of(app, &class2).await;
    let classmate = app
        .scalar(&format!(
            "SELECT person_id FROM enrolments WHERE class_id = '{class1}' AND ended_on IS NULL AND person_id <> '{student}' \
             AND person_id NOT IN (SELECT child_id FROM guardianships WHERE parent_id = '{parent}') ORDER BY person_id LIMIT 1"
        ))
        .await;
    f.insert("parent", parent.clone());
    f.insert("own_child", student);
    f.insert("other_child", other_child);
    f.insert("classmate", classmate);
    f.insert("school1", school1.clone());
    f.insert("school2", school2.clone());
    f.insert("class1", class1);
    f.insert("class2", class2);
    f.insert(
        "year2",
        app.scalar(&format!(
            "SELECT id FROM academic_years WHERE organisation_id = '{school2}'"
        ))
        .await,
    );
    f.insert(
        "mun1",
        app.scalar(&format!(
            "SELECT municipality_id FROM organisations WHERE id = '{school1}'"
        ))
        .await,
    );
    f.insert(
        "mun2",
        app.scalar(&format!("SELECT id FROM municipalities WHERE id <> (SELECT municipality_id FROM organisations WHERE id = '{school1}')")).await,
    );
    f.insert(
        "parent_role",
        app.scalar(&format!(
            "SELECT id FROM role_assignments WHERE person_id = '{parent}'"
        ))
        .await,
    );
    f.insert("random", uuid::Uuid::new_v4().to_string());
    // A pending correction request about a student of the other school.
    let request = fixtures::pending_change_request(app, &f["other_child"]).await;
    f.insert("request2", request);
    // The school day: a lesson of 5А in a subject the demo teacher does not teach, a
    // lesson of the other school, its periods and a teacher, another's notification.
    let teacher = app.person_of("teacher").await;
    let (lesson1, subject1): (String, String) = sqlx::query_as(&format!(
        "SELECT l.id, l.subject_code FROM lessons l WHERE l.class_id = '{}' AND NOT EXISTS          (SELECT 1 FROM teaching_assignments a WHERE a.teacher_id = '{teacher}' AND a.class_id = l.class_id AND a.subject_code = l.subject_code)          AND l.teacher_id <> '{teacher}' ORDER BY l.day, l.id LIMIT 1",
        f["class1"]
    ))
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    f.insert("lesson1", lesson1);
    f.insert("subject1", subject1);
    f.insert("lesson2", fixtures::first_lesson(app, &f["class2"]).await);
    // A mark in the other school (its own row: on the year's first day the demo has none).
    let mark2 = fixtures::mark_row(app, &f["lesson2"], &f["other_child"]).await;
    f.insert("line_item2", format!("{}.test", f["lesson2"]));
    f.insert("mark2", mark2);
    f.insert("period1", fixtures::first_period(app, &school1).await);
    f.insert(
        "holiday1",
        fixtures::first_calendar_day(app, &school1).await,
    );
    f.insert(
        "holiday2",
        fixtures::first_calendar_day(app, &school2).await,
    );
    f.insert("period2", fixtures::first_period(app, &school2).await);
    f.insert("teacher2", fixtures::teacher_of_school(app, &school2).await);
    f.insert("teacher_self", teacher.clone());
    // A group of the other school's class (the demo has none).
    let group2 = uuid::Uuid::new_v4().to_string();
    sqlx::query(
        "INSERT INTO study_groups (id, organisation_id, academic_year_id, class_id, name, subject_code) \
         SELECT $1, organisation_id, academic_year_id, id, 'Группа', 'math' FROM classes WHERE id = $2",
    )
    .bind(&group2)
    .bind(&f["class2"])
    .execute(&app.db.pool)
    .await
    .unwrap();
    f.insert("group2", group2);
    let notification = fixtures::notification_of(app, &f["other_child"]).await;
    f.insert("notification2", notification);
    let push2 = fixtures::push_subscription_of(app, &f["other_child"]).await;
    f.insert("push2", push2);
    // A homework file of the other school (its content is never reached: refused first).
    let attachment = fixtures::attachment_row(app, &f["lesson2"], &f["teacher2"]).await;
    f.insert("attachment2", attachment);
    // The other school's chats: its 5А's, its parents', its staff room.
    // And the demo student's own class chat (moderated by its class teacher, not by them).
    let class2 = f["class2"].clone();
    let class1 = f["class1"].clone();
    for (name, kind, class, school) in [
        ("chat2", "class_students", Some(&class2), &school2),
        ("parents2", "class_parents", Some(&class2), &school2),
        ("staff2", "staff_room", None, &school2),
        ("chat1", "class_students", Some(&class1), &school1),
    ] {
        let key = format!("{kind}:{}", class.cloned().unwrap_or(school.clone()));
        sqlx::query(
            "INSERT INTO chats (id, organisation_id, kind, class_id, source_key, title, created_at) VALUES ($1, $2, $3, $4, $5, '5А', 0) \
             ON CONFLICT (source_key) DO NOTHING",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(school)
        .bind(kind)
        .bind(class.cloned())
        .bind(&key)
        .execute(&app.db.pool)
        .await
        .unwrap();
        let id = app
            .scalar(&format!("SELECT id FROM chats WHERE source_key = '{key}'"))
            .await;
        f.insert(name, id);
    }
    // The other school's group's chat.
    let group_chat = uuid::Uuid::now_v7().to_string();
    sqlx::query(
        "INSERT INTO chats (id, organisation_id, kind, group_id, source_key, title, created_at) \
         VALUES ($1, $2, 'subject_group', $3, $4, '5А · Математика · Группа', 0)",
    )
    .bind(&group_chat)
    .bind(&school2)
    .bind(&f["group2"])
    .bind(format!("subject_group:{}", f["group2"]))
    .execute(&app.db.pool)
    .await
    .unwrap();
    f.insert("groupchat2", group_chat);
    // The other school's news and its teacher's channel.
    for (name, kind, key, owner) in [
        (
            "news2",
            "school_channel",
            format!("school_channel:{school2}"),
            None,
        ),
        (
            "tchannel2",
            "teacher_channel",
            format!("teacher_channel:{school2}:{}", f["teacher2"]),
            Some(f["teacher2"].clone()),
        ),
    ] {
        sqlx::query(
            "INSERT INTO chats (id, organisation_id, kind, source_key, title, owner_id, created_at) \
             VALUES ($1, $2, $3, $4, 'Канал', $5, 0) ON CONFLICT (source_key) DO NOTHING",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(&school2)
        .bind(kind)
        .bind(&key)
        .bind(owner)
        .execute(&app.db.pool)
        .await
        .unwrap();
        let id = app
            .scalar(&format!("SELECT id FROM chats WHERE source_key = '{key}'"))
            .await;
        f.insert(name, id);
    }
    // The other school's open club, founded by its teacher.
    let club = uuid::Uuid::now_v7().to_string();
    sqlx::query(
        "INSERT INTO chats (id, organisation_id, kind, source_key, title, owner_id, reach, join_mode, created_at) \
         VALUES ($1, $2, 'community', $3, 'Шахматы', $4, 'school', 'open', 0)",
    )
    .bind(&club)
    .bind(&school2)
    .bind(format!("community:{club}"))
    .bind(&f["teacher2"])
    .execute(&app.db.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO community_members (chat_id, person_id, state, at) VALUES ($1, $2, 'moderator', 0)",
    )
    .bind(&club)
    .bind(&f["teacher2"])
    .execute(&app.db.pool)
    .await
    .unwrap();
    f.insert("community2", club);
    // The other school's broadcast.
    let show = uuid::Uuid::now_v7().to_string();
    sqlx::query(
        "INSERT INTO chats (id, organisation_id, kind, source_key, title, owner_id, created_at) \
         VALUES ($1, $2, 'broadcast', $3, 'Концерт', $4, 0)",
    )
    .bind(&show)
    .bind(&school2)
    .bind(format!("broadcast:{show}"))
    .bind(&f["teacher2"])
    .execute(&app.db.pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO chat_broadcasts (chat_id, starts_at, stream_url) VALUES ($1, 0, 'https://video.school.ru/live.m3u8')",
    )
    .bind(&show)
    .execute(&app.db.pool)
    .await
    .unwrap();
    f.insert("broadcast2", show);
    f
}

fn fill(s: &str, f: &HashMap<&'static str, String>) -> String {
    let mut out = s.to_string();
    // Longest names first so `@parent_role` is not eaten by `@parent`.
    let mut keys: Vec<&&str> = f.keys().collect();
    keys.sort_by_key(|k| std::cmp::Reverse(k.len()));
    for k in keys {
        out = out.replace(&format!("@{k}"), &f[*k]);
    }
    out
}

/// Runs the rows; returns the policy operations that refused a signed-in caller (read
/// off the debug header the refusal audit sets).
async fn run(app: &TestApp, rows: &[Row], form: bool) -> HashSet<String> {
    let f = fixture(app).await;
    let mut refused_by = HashSet::new();
    let mut clients: HashMap<&str, Client> = HashMap::new();
    let mut failures = Vec::new();
    for r in rows {
        let client = match r.actor {
            Some(a) => {
                if !clients.contains_key(a) {
                    clients.insert(a, app.login(a).await);
                }
                &clients[a]
            }
            None => {
                clients.entry("").or_insert_with(|| app.anonymous());
                &clients[""]
            }
        };
        let method = r.op.split(' ').next().unwrap_or("GET");
        let path = fill(r.path, &f);
        let res = match (r.body, form) {
            (Some(b), true) => {
                let mut body = fill(b, &f);
                if let Some(t) = &client.csrf {
                    body.push_str(&format!("&_csrf={t}"));
                }
                client
                    .http
                    .post(format!("{}{path}", client.base))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(body)
                    .send()
                    .await
                    .unwrap()
            }
            (Some(b), false) => {
                let v: Value = serde_json::from_str(&fill(b, &f)).unwrap();
                client.send(method, &path, Some(&v)).await
            }
            (None, _) => client.send(method, &path, None).await,
        };
        let status = res.status().as_u16();
        if r.actor.is_some() && matches!(status, 403 | 404) {
            if let Some(op) = res
                .headers()
                .get("x-parta-refused-by")
                .and_then(|v| v.to_str().ok())
            {
                refused_by.insert(op.to_string());
            }
        }
        if status != r.expect {
            failures.push(format!(
                "{} as {:?}: expected {}, got {status} — {}",
                r.op,
                r.actor,
                r.expect,
                res.text().await.unwrap_or_default()
            ));
        } else if !form && status >= 400 {
            let ct = res
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
            // OneRoster answers its own payload (imsx_StatusInfo), OAuth the RFC's.
            let expected =
                if r.path.starts_with("/ims/oneroster/") || r.path.starts_with("/api/v1/oauth/") {
                    "application/json"
                } else {
                    "application/problem+json"
                };
            if ct != expected {
                failures.push(format!(
                    "{} as {:?}: {status} is not {expected}",
                    r.op, r.actor
                ));
            }
        }
        // A refusal must not leak the object: the answer equals the one for an id
        // that does not exist at all.
        if status == 404 && !form && r.body.is_none() {
            if let Some(at) = r.path.find('@') {
                let name: String = r.path[at + 1..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                let unknown_path = fill(&r.path.replacen(&format!("@{name}"), "@random", 1), &f);
                let unknown = client.send(method, &unknown_path, None).await;
                let (a, b) = (
                    unknown.status().as_u16(),
                    unknown.text().await.unwrap_or_default(),
                );
                let refused = client
                    .send(method, &path, None)
                    .await
                    .text()
                    .await
                    .unwrap_or_default();
                if a != 404 || b != refused {
                    failures.push(format!(
                        "{} as {:?}: refusal differs from an unknown id ({a})",
                        r.op, r.actor
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "refusal table failures:\n{}",
        failures.join("\n")
    );
    refused_by
}

/// Operations shown refused by a test of their own, not a row here, and why.
const REFUSED_ELSEWHERE: &[(&str, &str)] = &[
    // A teacher's edit of a closed period is a 422 naming the field (the form is kept),
    // not a 403: `school_day::a_closed_period_refuses_teachers_but_not_the_administration`
    // checks that this operation refused it.
    (
        "EditClosedPeriod",
        "school_day::a_closed_period_refuses_teachers_but_not_the_administration",
    ),
    // The card of an educational organisation is public information (the registry of
    // educational organisations is published); the policy allows every signed-in user,
    // and `parta_core::policy` tests that it does.
    ("ReadOrganisation", "public by law"),
    // A teacher grading a student outside their group is a 422 naming the field:
    // `school_day::a_group_teacher_grades_only_their_group` checks this operation refused it.
    (
        "GradeStudent",
        "school_day::a_group_teacher_grades_only_their_group",
    ),
];

#[tokio::test]
async fn every_api_operation_refuses_other_tenants() {
    let app = spawn().await;
    let doc: Value = app
        .anonymous()
        .get("/api/v1/openapi.json")
        .await
        .json()
        .await
        .unwrap();
    let mut documented = HashSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for m in ["get", "post", "put", "patch", "delete"] {
            if item.get(m).is_some() {
                documented.insert(format!("{} {path}", m.to_uppercase()));
            }
        }
    }
    documented.insert("GET /api/v1/openapi.json".into());
    let covered: HashSet<String> = API.iter().map(|r| r.op.to_string()).collect();
    let missing: Vec<_> = documented.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "operations without a row in the refusal table: {missing:?}"
    );
    let stale: Vec<_> = covered.difference(&documented).collect();
    assert!(
        stale.is_empty(),
        "rows for operations that are not documented: {stale:?}"
    );
    let mut refused_by = run(&app, API, false).await;
    refused_by.extend(run(&app, PAGES, true).await);
    // Keyed by the policy's operations: each has a row in which a signed-in user of
    // another school, class or family is refused by it (anonymous rows do not count).
    let missing: Vec<String> = parta_core::policy::Operation::ALL
        .iter()
        .map(|op| format!("{op:?}"))
        .filter(|op| !refused_by.contains(op))
        .filter(|op| !REFUSED_ELSEWHERE.iter().any(|(o, _)| o == op))
        .collect();
    assert!(
        missing.is_empty(),
        "policy operations no signed-in row of the refusal table is refused by: {missing:?}"
    );
}

#[tokio::test]
async fn every_page_refuses_other_tenants() {
    let covered: HashSet<&str> = PAGES.iter().map(|r| r.op).collect();
    let missing: Vec<_> = parta_web::page_routes()
        .into_iter()
        .filter(|r| !covered.contains(r.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "pages without a row in the refusal table: {missing:?}"
    );
    let app = spawn().await;
    run(&app, PAGES, true).await;
}

/// The other side of the table: the rightful user gets in, so the refusals above are
/// not just a server that refuses everyone.
#[tokio::test]
async fn rightful_users_are_let_in() {
    let app = spawn().await;
    let f = fixture(&app).await;
    let cases: &[(&str, &str)] = &[
        ("parent", "/api/v1/persons/@own_child"),
        ("parent", "/api/v1/persons/@own_child/audit"),
        ("parent", "/api/v1/persons/@own_child/export"),
        ("student", "/api/v1/persons/@own_child"),
        ("student", "/api/v1/persons/@parent"),
        ("student", "/api/v1/classes/@class1"),
        ("teacher", "/api/v1/classes/@class1"),
        ("teacher", "/api/v1/persons/@own_child"),
        ("teacher", "/api/v1/persons/@parent"),
        ("director", "/api/v1/classes/@class1"),
        ("director", "/api/v1/organisations/@school1/staff"),
        ("director", "/api/v1/organisations/@school1/audit"),
        ("director", "/api/v1/persons/@own_child"),
        ("admin", "/api/v1/persons/@other_child"),
        ("admin", "/api/v1/tokens"),
        ("municipality", "/api/v1/organisations/@school1"),
        ("parent", "/persons/@own_child"),
        ("teacher", "/classes/@class1"),
        ("director", "/schools/@school1/audit"),
        ("teacher", "/api/v1/classes/@class1/journal/@subject1"),
        ("teacher", "/api/v1/classes/@class1/report"),
        ("teacher", "/api/v1/timetable?class=@class1"),
        ("director", "/api/v1/classes/@class1/journal/@subject1"),
        ("director", "/api/v1/lessons/@lesson1"),
        (
            "director",
            "/ims/oneroster/gradebook/v1p2/schools/@school1/results",
        ),
        ("director", "/ims/oneroster/rostering/v1p2/users"),
        (
            "director",
            "/ims/oneroster/rostering/v1p2/schools/@school1/students",
        ),
        (
            "director",
            "/ims/oneroster/rostering/v1p2/classes/@class1/students",
        ),
        ("director", "/ims/oneroster/rostering/v1p2/users/@own_child"),
        (
            "municipality",
            "/ims/oneroster/rostering/v1p2/schools/@school1/classes",
        ),
        ("parent", "/api/v1/students/@own_child/diary"),
        ("parent", "/api/v1/students/@own_child/marks"),
        ("parent", "/api/v1/timetable?student=@own_child"),
        ("student", "/api/v1/students/@own_child/diary"),
        ("student", "/api/v1/timetable?class=@class1"),
        ("municipality", "/api/v1/organisations/@school1/calendar"),
        ("teacher", "/journal/@class1/@subject1"),
        ("teacher", "/journal"),
        ("teacher", "/timetable"),
        ("teacher", "/classes/@class1/report"),
        ("director", "/lessons/@lesson1"),
        ("director", "/timetable"),
        ("director", "/schools/@school1/calendar"),
        ("parent", "/diary"),
        ("parent", "/diary?student=@own_child"),
        ("parent", "/diary/marks?student=@own_child"),
        ("parent", "/timetable"),
        ("student", "/diary"),
        ("student", "/diary/marks"),
        ("student", "/notifications"),
    ];
    let mut clients: HashMap<&str, Client> = HashMap::new();
    for (who, path) in cases {
        if !clients.contains_key(who) {
            clients.insert(who, app.login(who).await);
        }
        let res = clients[who].get(&fill(path, &f)).await;
        assert_eq!(
            res.status(),
            200,
            "{who} {path}: {}",
            res.text().await.unwrap_or_default()
        );
    }
}
