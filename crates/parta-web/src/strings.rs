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
