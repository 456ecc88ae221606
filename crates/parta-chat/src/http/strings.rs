//! Interface strings of the chat pages, Russian and English.

use axum::http::HeaderMap;
use parta_http::i18n::Lang;

#[derive(serde::Serialize)]
pub struct Strings {
    pub chats: &'static str,
    pub no_chats: &'static str,
    pub students_of: &'static str,
    pub parents_of: &'static str,
    pub staff_room: &'static str,
    pub unread: &'static str,
    pub no_messages: &'static str,
    pub earlier: &'static str,
    pub newest: &'static str,
    pub message: &'static str,
    pub send: &'static str,
    pub read_only: &'static str,
    pub all_chats: &'static str,
    pub live_hint: &'static str,
    pub offline: &'static str,
    pub write_to: &'static str,
    pub contacts: &'static str,
    pub no_contacts: &'static str,
    pub write: &'static str,
    pub group_teachers: &'static str,
    pub group_staff: &'static str,
    pub group_students: &'static str,
    pub group_parents: &'static str,
}

pub static RU: Strings = Strings {
    chats: "Чаты",
    no_chats: "Чатов пока нет: чаты класса появляются у его учеников, их родителей и классного руководителя, учительская — у сотрудников школы.",
    students_of: "ученики",
    parents_of: "родители",
    staff_room: "Учительская",
    unread: "непрочитанных",
    no_messages: "Сообщений пока нет. Напишите первым.",
    earlier: "Раньше",
    newest: "К последним сообщениям",
    message: "Сообщение",
    send: "Отправить",
    read_only: "В этом чате пишут только его модераторы.",
    all_chats: "Все чаты",
    live_hint: "Новые сообщения появляются сами; без JavaScript обновите страницу.",
    offline: "Нет связи с сервером: сообщение не отправлено или ответ не дошёл. Текст сохранён — проверьте список сообщений и отправьте снова.",
    write_to: "Написать лично…",
    contacts: "Кому написать",
    no_contacts: "Писать лично пока некому: список составляется по вашим классам и школе.",
    write: "Написать",
    group_teachers: "Учителя ваших детей",
    group_staff: "Сотрудники школы",
    group_students: "Ученики ваших классов",
    group_parents: "Родители учеников ваших классов",
};

pub static EN: Strings = Strings {
    chats: "Chats",
    no_chats: "No chats yet: a class's chats appear for its students, their parents and the class teacher; the staff room for the school's staff.",
    students_of: "students",
    parents_of: "parents",
    staff_room: "Staff room",
    unread: "unread",
    no_messages: "No messages yet. Be the first to write.",
    earlier: "Earlier",
    newest: "To the latest messages",
    message: "Message",
    send: "Send",
    read_only: "Only the moderators write in this chat.",
    all_chats: "All chats",
    live_hint: "New messages appear by themselves; without JavaScript, reload the page.",
    offline: "No connection to the server: the message was not sent or its answer was lost. The text is kept — check the messages and send it again.",
    write_to: "Write to someone…",
    contacts: "Whom to write to",
    no_contacts: "Nobody to write to yet: the list is made from your classes and school.",
    write: "Write",
    group_teachers: "Your children's teachers",
    group_staff: "School staff",
    group_students: "Students of your classes",
    group_parents: "Parents of your classes' students",
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
