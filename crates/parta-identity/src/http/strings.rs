//! Interface strings of the sign-in pages, Russian and English.

use axum::http::HeaderMap;
use parta_http::i18n::Lang;

#[derive(serde::Serialize)]
pub struct Strings {
    pub or: &'static str,
    pub sign_in_with: &'static str,
    pub demo_title: &'static str,
    pub demo_text: &'static str,
    pub demo_logins: &'static str,
    pub first_title: &'static str,
    pub first_text: &'static str,
    pub letter_password: &'static str,
    pub password_hint: &'static str,
}

pub static RU: Strings = Strings {
    or: "или",
    sign_in_with: "Войти через",
    demo_title: "Демонстрационная версия",
    demo_text: "Пароли учётных записей демо-региона опубликованы: не вносите сюда настоящие данные детей и родителей.",
    demo_logins: "Логины: admin, region, municipality, director, teacher, parent, student; пароль Parta-demo-2026.",
    first_title: "Добро пожаловать! Придумайте свой пароль",
    first_text: "Пароль из письма действует только для первого входа. Введите его ещё раз и придумайте свой — не короче 10 знаков, лучше несколько слов. Никому его не сообщайте.",
    letter_password: "Пароль из письма",
    password_hint: "Не короче 10 знаков. Хорошо запоминается фраза из нескольких слов.",
};

pub static EN: Strings = Strings {
    or: "or",
    sign_in_with: "Sign in with",
    demo_title: "Demonstration",
    demo_text: "The passwords of the demo region are public: do not enter real data of children and parents here.",
    demo_logins: "Logins: admin, region, municipality, director, teacher, parent, student; password Parta-demo-2026.",
    first_title: "Welcome! Choose your own password",
    first_text: "The password from the letter works for the first sign-in only. Enter it once more and choose your own — at least 10 characters, a few words are best. Tell it to nobody.",
    letter_password: "Password from the letter",
    password_hint: "At least 10 characters. A phrase of a few words is easy to remember.",
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
