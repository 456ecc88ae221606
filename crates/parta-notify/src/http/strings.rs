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
    pub kind: &'static str,
    pub in_app: &'static str,
    pub by_email: &'static str,
    pub email_to: &'static str,
    pub no_email: &'static str,
    pub my_data: &'static str,
    pub quiet_hours: &'static str,
    pub quiet_hint: &'static str,
    pub student_night: &'static str,
    pub quiet_from: &'static str,
    pub quiet_to: &'static str,
    pub digest: &'static str,
    pub by_push: &'static str,
    pub push_title: &'static str,
    pub push_hint: &'static str,
    pub push_on: &'static str,
    pub push_off: &'static str,
    pub push_unsupported: &'static str,
    pub push_insecure: &'static str,
    pub push_denied: &'static str,
    pub push_failed: &'static str,
    pub push_off_failed: &'static str,
    pub push_needs_js: &'static str,
    pub no_devices: &'static str,
    pub since: &'static str,
    pub switch_off: &'static str,
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
    kind: "О чём",
    in_app: "В Парте",
    by_email: "Письмом",
    email_to: "Письма приходят на",
    no_email: "Письма не придут: нет подтверждённой почты. Укажите и подтвердите её в разделе",
    my_data: "«Мои данные»",
    quiet_hours: "Тихие часы",
    quiet_hint: "В эти часы письма, сообщения и уведомления в браузере не отправляются — они придут, когда тихие часы закончатся. Оставьте оба поля пустыми, чтобы тихих часов не было.",
    student_night: "Ночью (с 21:00 до 8:00) ученикам ничего не отправляется.",
    quiet_from: "С",
    quiet_to: "До",
    digest: "Присылать письма одной сводкой раз в день, в",
    by_push: "В браузере",
    push_title: "Уведомления в браузере",
    push_hint: "Приходят на телефон или компьютер, даже когда Парта закрыта. Включите их в каждом браузере, где хотите их получать; на общем компьютере отключите, прежде чем уйти.",
    push_on: "Включить в этом браузере",
    push_off: "Отключить в этом браузере",
    push_unsupported: "Этот браузер не умеет получать уведомления.",
    push_insecure: "Уведомления в браузере работают только по защищённому соединению (адрес начинается с https://).",
    push_denied: "Браузер запретил Парте показывать уведомления. Разрешите их в настройках сайта и попробуйте ещё раз.",
    push_failed: "Не получилось включить уведомления. Попробуйте ещё раз позже.",
    push_off_failed: "Не получилось отключить уведомления. Попробуйте ещё раз позже.",
    push_needs_js: "Чтобы включить уведомления в браузере, нужен JavaScript.",
    no_devices: "Уведомления в браузере пока нигде не включены.",
    since: "включены",
    switch_off: "Отключить",
    kinds: [
        "Новые отметки",
        "Домашние задания",
        "Пропуски и опоздания",
        "Замены уроков",
        "Отмены и переносы уроков",
        "Видеоуроки",
        "Важные объявления в чатах",
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
    kind: "About",
    in_app: "In Parta",
    by_email: "By e-mail",
    email_to: "E-mail goes to",
    no_email: "No e-mail will come: there is no confirmed address. Give and confirm one in",
    my_data: "«My data»",
    quiet_hours: "Quiet hours",
    quiet_hint: "No e-mail, messages or browser notifications are sent in these hours — they come when the quiet hours end. Leave both fields empty for no quiet hours.",
    student_night: "At night (21:00 to 8:00) nothing is sent to students.",
    quiet_from: "From",
    quiet_to: "To",
    digest: "Send e-mail as one digest a day, at",
    by_push: "In the browser",
    push_title: "Browser notifications",
    push_hint: "They reach your phone or computer even when Parta is closed. Switch them on in every browser where you want them; on a shared computer, switch them off before you leave.",
    push_on: "Switch on in this browser",
    push_off: "Switch off in this browser",
    push_unsupported: "This browser cannot receive notifications.",
    push_insecure: "Browser notifications work only over a secure connection (an address starting with https://).",
    push_denied: "The browser does not let Parta show notifications. Allow them in the site's settings and try again.",
    push_failed: "Notifications could not be switched on. Please try again later.",
    push_off_failed: "Notifications could not be switched off. Please try again later.",
    push_needs_js: "Switching browser notifications on needs JavaScript.",
    no_devices: "Browser notifications are not on anywhere yet.",
    since: "on since",
    switch_off: "Switch off",
    kinds: [
        "New marks",
        "Homework",
        "Absences and lateness",
        "Substitutions",
        "Cancelled and moved lessons",
        "Video lessons",
        "Important announcements in chats",
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
