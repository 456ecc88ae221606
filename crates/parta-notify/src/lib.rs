//! Уведомления (COM-4). Domains write their facts to the event stream in their own
//! transaction; the relay here (one consumer of the stream, with its own cursor) puts
//! them into words and turns each into notifications for the student and their parents, honouring
//! each person's preferences, stores them (the in-app list) and queues their delivery by
//! e-mail, a messenger's bot and Web Push to browsers (`push`) in the same transaction
//! (`delivery`: quiet hours, the digest, one send per notification and channel), without
//! touching the journal.

pub mod delivery;
pub mod http;
pub mod model;
pub mod push;
pub mod quiet;
pub mod relay;
pub mod render;
pub mod service;
pub mod store;

pub use model::*;
pub use relay::Relay;
pub use service::Notifications;
