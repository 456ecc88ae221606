//! `/api/v1`: JSON handlers (extract, call one service function, render) and the
//! OpenAPI 3.1 document generated from them.

use parta_http::caller as auth;
use std::collections::HashSet;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

#[derive(OpenApi)]
#[openapi(
    info(title = "Parta API", version = "1", description = "Цифровая образовательная среда: реестр, вход, персональные данные."),
    tags(
        (name = "identity", description = "Вход, сессии, роли, токены"),
        (name = "registry", description = "Реестр: территории, организации, классы, люди"),
        (name = "personal-data", description = "Персональные данные: выгрузка, исправление, журнал доступа"),
        (name = "roster", description = "Обмен списками: OneRoster 1.2 CSV и шаблон для школы"),
        (name = "school-day", description = "Календарь, звонки, расписание, замены"),
        (name = "journal", description = "Электронный журнал: отметки, посещаемость, темы, итоговые отметки, отчёты"),
        (name = "diary", description = "Электронный дневник и домашние задания"),
        (name = "notifications", description = "Уведомления и их настройки"),
        (name = "video", description = "Видеоуроки: урок расписания по видеосвязи (BigBlueButton, Jitsi Meet), вход, запись, посещаемость"),
        (name = "chats", description = "Чаты класса, родителей и учительская: сообщения и их живой поток"),
        (name = "rostering", description = "OneRoster 1.2 Rostering: школы, классы, люди и зачисления для других систем"),
        (name = "gradebook", description = "OneRoster 1.2 Gradebook: отметки для других систем")
    ),
    modifiers(&SecuritySchemes, &ErrorCodes)
)]
struct ApiDoc;

/// The stable error codes, listed in the document's description: the problem's `code`
/// (shared by every domain) and the `errors[].code` of each domain's table.
struct ErrorCodes;

/// Every domain's table of field error codes.
pub const DOMAIN_CODES: &[(&str, &[parta_core::ErrorCode])] = &[
    ("Реестр", parta_registry::error::codes::ALL),
    ("Школьный день", parta_schoolday::error::codes::ALL),
];

impl utoipa::Modify for ErrorCodes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let mut text = String::from(
            "\n\n## Коды ошибок\n\nОтвет с ошибкой — `application/problem+json` (RFC 9457): `code` — общий код, `errors[]` — поля с их `code`.\n\n",
        );
        text.push_str("Общие коды (`code`):\n\n");
        for c in parta_core::error::SHARED_CODES {
            text.push_str(&format!("- `{}` — {}\n", c.code, c.meaning));
        }
        for (domain, codes) in DOMAIN_CODES {
            text.push_str(&format!("\n{domain} (`errors[].code`):\n\n"));
            for c in *codes {
                text.push_str(&format!("- `{}` — {}\n", c.code, c.meaning));
            }
        }
        let d = openapi.info.description.get_or_insert_with(String::new);
        d.push_str(&text);
    }
}

/// `session`: the sign-in cookie (with `X-CSRF-Token` on changes); `token`: an API token
/// (`Authorization: Bearer parta_…`) whose scopes each operation names.
struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let c = openapi.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                auth::SESSION_COOKIE,
                "Сеанс пользователя (вход на /api/v1/session)",
            ))),
        );
        c.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(format!(
                        "API-токен с областями: {}",
                        parta_core::policy::TOKEN_SCOPES.join(", ")
                    )))
                    .build(),
            ),
        );
    }
}

/// What each operation accepts from API tokens, read from the document's `security`:
/// `Some(scopes)` (empty: any token) or `None` (sessions only).
pub fn token_access() -> std::collections::HashMap<String, Option<Vec<String>>> {
    let doc = document();
    let json = serde_json::to_value(&doc).unwrap_or_default();
    let mut out = std::collections::HashMap::new();
    if let Some(paths) = json["paths"].as_object() {
        for (path, item) in paths {
            for m in ["get", "post", "put", "patch", "delete"] {
                let Some(op) = item.get(m) else { continue };
                let token = op["security"].as_array().and_then(|reqs| {
                    reqs.iter().find_map(|r| {
                        r.get("token").and_then(|t| t.as_array()).map(|scopes| {
                            scopes
                                .iter()
                                .filter_map(|s| s.as_str().map(str::to_string))
                                .collect::<Vec<_>>()
                        })
                    })
                });
                out.insert(format!("{} {path}", m.to_uppercase()), token);
            }
        }
    }
    out
}

/// Every domain's API routers, each with its own state, and the whole document.
pub struct Apis {
    pub identity: OpenApiRouter<parta_identity::http::Web>,
    pub registry: OpenApiRouter<parta_registry::http::Web>,
    pub roster: OpenApiRouter<parta_roster::http::Web>,
    pub school_day: OpenApiRouter<parta_schoolday::http::Web>,
    pub notifications: OpenApiRouter<parta_notify::http::Web>,
    pub chats: OpenApiRouter<parta_chat::http::Web>,
    pub video: OpenApiRouter<parta_video::http::Web>,
}

pub fn apis() -> Apis {
    Apis {
        identity: parta_identity::http::api::router(),
        registry: parta_registry::http::api::router(),
        roster: parta_roster::http::api::router(),
        school_day: parta_schoolday::http::api::router(),
        notifications: parta_notify::http::api::router(),
        chats: parta_chat::http::api::router(),
        video: parta_video::http::api::router(),
    }
}

/// The OpenAPI document: the root (tags, security schemes) and every domain's operations.
pub fn document() -> utoipa::openapi::OpenApi {
    let a = apis();
    let mut doc = ApiDoc::openapi();
    doc.merge(a.identity.into_openapi());
    doc.merge(a.registry.into_openapi());
    doc.merge(a.roster.into_openapi());
    doc.merge(a.school_day.into_openapi());
    doc.merge(a.notifications.into_openapi());
    doc.merge(a.chats.into_openapi());
    doc.merge(a.video.into_openapi());
    doc
}

/// `GET /api/v1/...` operations in the document, as `METHOD /path`.
pub fn documented_operations() -> HashSet<String> {
    let doc = document();
    let mut out = HashSet::new();
    out.insert("GET /api/v1/openapi.json".to_string());
    for (path, item) in doc.paths.paths {
        let ops = [
            ("GET", item.get.is_some()),
            ("POST", item.post.is_some()),
            ("PUT", item.put.is_some()),
            ("PATCH", item.patch.is_some()),
            ("DELETE", item.delete.is_some()),
        ];
        for (m, present) in ops {
            if present {
                out.insert(format!("{m} {path}"));
            }
        }
    }
    out
}

pub fn openapi_json() -> String {
    let doc = document();
    doc.to_pretty_json().unwrap_or_default()
}

pub use parta_http::json::{path_id, ApiJson};
