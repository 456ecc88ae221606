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
}

pub static RU: Strings = Strings {
    or: "или",
    sign_in_with: "Войти через",
    demo_title: "Демонстрационная версия",
    demo_text: "Пароли учётных записей демо-региона опубликованы: не вносите сюда настоящие данные детей и родителей.",
    demo_logins: "Логины: admin, region, municipality, director, teacher, parent, student; пароль Parta-demo-2026.",
};

pub static EN: Strings = Strings {
    or: "or",
    sign_in_with: "Sign in with",
    demo_title: "Demonstration",
    demo_text: "The passwords of the demo region are public: do not enter real data of children and parents here.",
    demo_logins: "Logins: admin, region, municipality, director, teacher, parent, student; password Parta-demo-2026.",
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
