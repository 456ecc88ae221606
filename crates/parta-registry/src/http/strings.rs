//! Interface strings of the registry's pages, Russian and English (the shared ones are in
//! the layout's `ctx.tr`).

use axum::http::HeaderMap;
use parta_http::i18n::Lang;

#[derive(serde::Serialize)]
pub struct Strings {
    pub calendar: &'static str,
    pub import: &'static str,
    pub change_requests: &'static str,
    pub people: &'static str,
    pub year_end: &'static str,
    pub new_class: &'static str,
    pub accounts: &'static str,
    pub manage: &'static str,
    pub inn_ogrn: &'static str,
    pub snils: &'static str,
    pub who: &'static str,
    pub now: &'static str,
    pub approve: &'static str,
    pub reject: &'static str,
    pub change_requests_of: &'static str,
    pub last_name: &'static str,
    pub first_name: &'static str,
    pub middle_name: &'static str,
    pub journals: &'static str,
    pub add_student: &'static str,
}

pub static RU: Strings = Strings {
    calendar: "Календарь и звонки",
    import: "Импорт списков",
    change_requests: "Запросы на исправление",
    people: "Люди школы",
    year_end: "Конец учебного года",
    new_class: "Новый класс",
    accounts: "Учётные записи и письма",
    manage: "Управление",
    inn_ogrn: "ИНН / ОГРН",
    snils: "СНИЛС",
    who: "Кто",
    now: "Сейчас",
    approve: "Исправить",
    reject: "Отклонить",
    change_requests_of: "Запросы на исправление данных",
    last_name: "Фамилия",
    first_name: "Имя",
    middle_name: "Отчество",
    journals: "Журналы",
    add_student: "Добавить обучающегося",
};

pub static EN: Strings = Strings {
    calendar: "Calendar and bells",
    import: "Import lists",
    change_requests: "Correction requests",
    people: "People of the school",
    year_end: "End of the school year",
    new_class: "New class",
    accounts: "Accounts and letters",
    manage: "Manage",
    inn_ogrn: "INN / OGRN",
    snils: "SNILS",
    who: "Who",
    now: "Now",
    approve: "Correct",
    reject: "Reject",
    change_requests_of: "Requests to correct data",
    last_name: "Last name",
    first_name: "First name",
    middle_name: "Patronymic",
    journals: "Journals",
    add_student: "Add a student",
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
