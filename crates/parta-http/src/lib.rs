//! What every domain's HTTP needs, and only that: the door (sessions, API tokens and their
//! scopes, proxies), the caller extractors, CSRF, JSON and path extractors that answer
//! problem+json naming the field, and the page frame (layout, language, error pages).
//! Domain crates build their routers on it; `parta-web` composes them.

pub mod caller;
pub mod csrf;
pub mod door;
pub mod i18n;
pub mod imsx;
pub mod json;
pub mod messages;
pub mod page;
pub mod routes;
pub mod web;

pub use caller::{Caller, MaybeCaller, PageCaller};
pub use door::{Authenticator, Door};
pub use json::{
    file_part_response, file_response, path_id, problem_response, ApiError, ApiJson, ApiResult,
    ByteRange, FilePart,
};
pub use page::{ctx, error_pages, fail, render, Ctx, PageError, PageReq, PageResult};
pub use routes::Pages;
pub use web::{HasDoor, Web};
