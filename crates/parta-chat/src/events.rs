//! Facts the chats publish on the event stream (written in the message's transaction;
//! the words are the consumers').

use parta_core::ids::{ChatId, PersonId};
use serde::{Deserialize, Serialize};

/// An urgent announcement (важное объявление) was posted: its members are told.
pub const ANNOUNCED: &str = "chat.announced.v1";

/// The announcement's text carried in the event (the notification's body).
pub const EXCERPT_CHARS: usize = 300;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Announced {
    pub chat_id: ChatId,
    pub seq: i64,
    /// «Фамилия И. О.» of its author.
    pub author: String,
    pub text: String,
    /// The chat's members when it was posted, its author aside.
    pub to: Vec<PersonId>,
}
