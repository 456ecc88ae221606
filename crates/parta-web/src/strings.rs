//! Strings of the start page that the composition itself shows (the domains' sections
//! bring their own).

use parta_http::i18n::Lang;

#[derive(serde::Serialize)]
pub struct HomeStrings {
    pub unread: &'static str,
    pub all_notifications: &'static str,
    pub staff: &'static str,
    pub accounts: &'static str,
    pub filling: &'static str,
    pub attendance: &'static str,
    pub week_hint: &'static str,
    pub people: &'static str,
    pub journals: &'static str,
    pub substitutions: &'static str,
    pub timetable: &'static str,
    pub calendar: &'static str,
    pub year_end: &'static str,
    pub administration: &'static str,
    pub no_data: &'static str,
    pub api_intro: &'static str,
    pub api_method: &'static str,
    pub api_path: &'static str,
    pub api_description: &'static str,
}

pub static RU: HomeStrings = HomeStrings {
    unread: "Непрочитанные уведомления",
    all_notifications: "Все уведомления",
    staff: "Сотрудников",
    accounts: "Вошли в систему",
    filling: "Журналы заполнены",
    attendance: "Посещаемость недели",
    week_hint: "Только сводные числа, без имён. Журналы — доля уроков за две недели с темой и посещаемостью; посещаемость — с понедельника по сегодня; «вошли в систему» — обучающиеся, родители и сотрудники, задавшие свой пароль.",
    people: "Люди школы",
    journals: "Журналы",
    substitutions: "Замены",
    timetable: "Расписание",
    calendar: "Календарь",
    year_end: "Конец учебного года",
    administration: "Управление школой",
    no_data: "—",
    api_intro: "Ошибки — <code>application/problem+json</code> (RFC 9457). Для запросов с cookie-сессией, меняющих данные, передавайте заголовок <code>X-CSRF-Token</code>; интеграции используют <code>Authorization: Bearer</code>.",
    api_method: "Метод",
    api_path: "Путь",
    api_description: "Описание",
};

pub static EN: HomeStrings = HomeStrings {
    unread: "Unread notifications",
    all_notifications: "All notifications",
    staff: "Staff",
    accounts: "Signed in",
    filling: "Journals filled",
    attendance: "Attendance this week",
    week_hint: "Aggregates only, nobody named. Journals: share of the last two weeks' lessons with a topic and attendance; attendance: Monday to today; signed in: students, parents and staff who set their own password.",
    people: "People of the school",
    journals: "Journals",
    substitutions: "Substitutions",
    timetable: "Timetable",
    calendar: "Calendar",
    year_end: "End of the school year",
    administration: "Running the school",
    no_data: "—",
    api_intro: "Errors are <code>application/problem+json</code> (RFC 9457). Requests with a cookie session that change data send the <code>X-CSRF-Token</code> header; integrations use <code>Authorization: Bearer</code>.",
    api_method: "Method",
    api_path: "Path",
    api_description: "Description",
};

pub fn home(lang: Lang) -> &'static HomeStrings {
    lang.pick(&RU, &EN)
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

#[cfg(test)]
mod templates {
    /// Words of the interface live in the strings tables (Russian and English), never in
    /// a template: a Cyrillic letter in a template is a string English does not have.
    /// (The low-vision panel's sample letters «А» and «Ц» are glyphs, not words.)
    #[test]
    fn no_template_holds_russian_words() {
        let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut found = Vec::new();
        for entry in std::fs::read_dir(&crates).unwrap().flatten() {
            let dir = entry.path().join("templates");
            let Ok(files) = std::fs::read_dir(&dir) else {
                continue;
            };
            for file in files.flatten() {
                let text = std::fs::read_to_string(file.path()).unwrap();
                for (n, line) in text.lines().enumerate() {
                    let sample = line.contains("class=\"size-") || line.contains("class=\"sw ");
                    let words = line
                        .split(|c: char| !c.is_alphabetic())
                        .filter(|w| w.chars().any(|c| ('\u{0400}'..='\u{04FF}').contains(&c)))
                        .filter(|w| !(sample && w.chars().count() == 1))
                        .count();
                    if words > 0 && !line.trim_start().starts_with("{#") {
                        found.push(format!("{}:{}", file.path().display(), n + 1));
                    }
                }
            }
        }
        assert_eq!(found, Vec::<String>::new());
    }
}
