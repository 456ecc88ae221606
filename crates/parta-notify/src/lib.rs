//! Уведомления (COM-4). Domains write their facts to the event stream in their own
//! transaction; the relay here (one consumer of the stream, with its own cursor) puts
//! them into words and turns each into notifications for the student and their parents, honouring
//! each person's preferences, stores them (the in-app list) and hands them to the
//! delivery [`Channel`]s. Push, e-mail or a messenger plug in as channels without
//! touching the journal.

pub mod http;
pub mod model;
pub mod relay;
pub mod render;
pub mod service;
pub mod store;

pub use model::*;
pub use relay::{Channel, Relay};
pub use service::Notifications;
