//! Общение (COM-1, COM-7): chats of a school. A class's chats (its students with the class
//! teacher; their parents with the class teacher) and the staff room are built from the
//! registry and follow it: who reads and writes them is decided from the caller's current
//! classes, children and school at each request, so a student who leaves the class leaves
//! its chat at once. Messages have their place in the chat (`seq`); a client that lost its
//! connection asks for what came after the last one it has, and live delivery (`live`)
//! hands each new message to the chat's listeners in this process.

pub mod broadcasts;
pub mod channels;
pub mod communities;
pub mod demo;
pub mod events;
pub mod files;
pub mod http;
pub mod live;
pub mod model;
pub mod registry_reads;
pub mod retention;
pub mod scheduled;
pub mod search;
pub mod service;
pub mod store;
pub mod writer;

pub use model::*;
pub use service::Chats;
