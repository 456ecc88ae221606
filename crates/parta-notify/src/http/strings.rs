//! Interface strings of the notifications page, Russian and English.

use axum::http::HeaderMap;
use parta_http::i18n::Lang;

#[derive(serde::Serialize)]
pub struct Strings {
    pub notifications: &'static str,
    pub unread: &'static str,
    pub read_all: &'static str,
    pub no_notifications: &'static str,
    pub older: &'static str,
    pub preferences: &'static str,
    pub save: &'static str,
    /// Titles of [`crate::KINDS`], in their order.
    pub kinds: [&'static str; crate::model::KINDS.len()],
}

pub static RU: Strings = Strings {
    notifications: "Уведомления",
    unread: "непрочитанных",
    read_all: "Отметить все прочитанными",
    no_notifications: "Уведомлений нет.",
    older: "Раньше",
    preferences: "Какие уведомления получать",
    save: "Сохранить",
    kinds: [
        "Новые отметки",
        "Домашние задания",
        "Пропуски и опоздания",
        "Замены уроков",
        "Отмены и переносы уроков",
        "Видеоуроки",
    ],
};

pub static EN: Strings = Strings {
    notifications: "Notifications",
    unread: "unread",
    read_all: "Mark all read",
    no_notifications: "No notifications.",
    older: "Older",
    preferences: "Which notifications to receive",
    save: "Save",
    kinds: [
        "New marks",
        "Homework",
        "Absences and lateness",
        "Substitutions",
        "Cancelled and moved lessons",
        "Video lessons",
    ],
};

pub fn strings(headers: &HeaderMap) -> &'static Strings {
    Lang::from_headers(headers).pick(&RU, &EN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_russian_and_english() {
        assert_eq!(
            parta_http::i18n::missing_translations(&RU, &EN),
            Vec::<String>::new()
        );
    }
}
