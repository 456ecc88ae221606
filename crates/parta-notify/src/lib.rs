//! Уведомления (COM-4). Domains write events to the outbox in their own transaction; the
//! relay here turns each into notifications for the student and their parents, honouring
//! each person's preferences, stores them (the in-app list) and hands them to the
//! delivery [`Channel`]s. Push, e-mail or a messenger plug in as channels without
//! touching the journal.

pub mod http;
pub mod model;
pub mod relay;
pub mod service;
pub mod store;

pub use model::*;
pub use relay::{Channel, Relay};
pub use service::Notifications;
