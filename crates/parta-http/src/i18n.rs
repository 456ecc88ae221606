//! Interface strings: Russian first, English switchable (cookie `lang`).
//! A struct rather than string keys, so a missing translation fails to compile.

use axum::http::HeaderMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ru,
    En,
}

impl Lang {
    pub fn from_headers(h: &HeaderMap) -> Lang {
        match crate::caller::cookie(h, "lang").as_deref() {
            Some("en") => Lang::En,
            _ => Lang::Ru,
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }
    /// One mechanism for every domain's strings: each domain keeps a struct of its
    /// strings with a Russian and an English value, and picks by the request's language.
    pub fn pick<T>(self, ru: &'static T, en: &'static T) -> &'static T {
        match self {
            Lang::Ru => ru,
            Lang::En => en,
        }
    }
    pub fn tr(self) -> &'static LayoutStrings {
        match self {
            Lang::Ru => &RU,
            Lang::En => &EN,
        }
    }
}

#[derive(serde::Serialize)]
pub struct LayoutStrings {
    pub app: &'static str,
    pub sign_in: &'static str,
    pub sign_out: &'static str,
    pub login: &'static str,
    pub password: &'static str,
    pub home: &'static str,
    pub schools: &'static str,
    pub my_data: &'static str,
    pub nav_diary: &'static str,
    pub nav_journal: &'static str,
    pub nav_timetable: &'static str,
    pub nav_notifications: &'static str,
    pub nav_chats: &'static str,
    pub class_report: &'static str,
    pub audit: &'static str,
    pub a11y_on: &'static str,
    pub a11y_off: &'static str,
    pub a11y_size: &'static str,
    pub a11y_colors: &'static str,
    pub a11y_spacing: &'static str,
    pub a11y_images: &'static str,
    pub a11y_normal: &'static str,
    pub a11y_wide: &'static str,
    pub a11y_shown: &'static str,
    pub a11y_hidden: &'static str,
    pub a11y_scheme_bw: &'static str,
    pub a11y_scheme_wb: &'static str,
    pub a11y_scheme_blue: &'static str,
    pub a11y_scheme_brown: &'static str,
    pub a11y_scheme_green: &'static str,
    pub a11y_settings: &'static str,
    pub other_lang: &'static str,
    pub role: &'static str,
    pub switch: &'static str,
    pub classes: &'static str,
    pub class: &'static str,
    pub students: &'static str,
    pub teachers: &'static str,
    pub staff: &'static str,
    pub class_teacher: &'static str,
    pub address: &'static str,
    pub head: &'static str,
    pub municipality: &'static str,
    pub all: &'static str,
    pub show: &'static str,
    pub next_page: &'static str,
    pub birth_date: &'static str,
    pub contacts: &'static str,
    pub email: &'static str,
    pub phone: &'static str,
    pub save: &'static str,
    pub saved: &'static str,
    pub sections: &'static str,
    pub administration: &'static str,
    pub created: &'static str,
    pub password_set: &'static str,
    pub history: &'static str,
    pub parents: &'static str,
    pub children: &'static str,
    pub positions: &'static str,
    pub download: &'static str,
    pub download_hint: &'static str,
    pub correction: &'static str,
    pub correction_hint: &'static str,
    pub field: &'static str,
    pub new_value: &'static str,
    pub comment: &'static str,
    pub send: &'static str,
    pub sent: &'static str,
    pub when: &'static str,
    pub who: &'static str,
    pub action: &'static str,
    pub object: &'static str,
    pub from_where: &'static str,
    pub nothing: &'static str,
    pub change_password: &'static str,
    pub old_password: &'static str,
    pub new_password: &'static str,
    pub my_children: &'static str,
    pub my_classes: &'static str,
    pub my_card: &'static str,
    pub my_school: &'static str,
    pub students_count: &'static str,
    /// The operator's link to the import of a package of several schools.
    pub import_several: &'static str,
    pub privacy: &'static str,
    pub privacy_parent_contacts: &'static str,
    pub privacy_hint: &'static str,
    pub hidden_by_policy: &'static str,
    pub storage: &'static str,
    pub storage_used: &'static str,
    pub storage_quota: &'static str,
    pub storage_people: &'static str,
    pub storage_hint: &'static str,
    pub files: &'static str,
    pub mb: &'static str,
    pub gb: &'static str,
    pub to_top: &'static str,
    pub api_docs: &'static str,
    pub since: &'static str,
    pub until_now: &'static str,
    pub error: &'static str,
}

pub static RU: LayoutStrings = LayoutStrings {
    app: "Парта",
    sign_in: "Войти",
    sign_out: "Выйти",
    login: "Логин",
    password: "Пароль",
    home: "Главная",
    schools: "Школы",
    my_data: "Мои данные",
    nav_diary: "Дневник",
    nav_journal: "Журнал",
    nav_timetable: "Расписание",
    nav_notifications: "Уведомления",
    nav_chats: "Чаты",
    class_report: "Успеваемость и посещаемость",
    audit: "Журнал доступа",
    a11y_on: "Версия для слабовидящих",
    a11y_off: "Обычная версия",
    a11y_size: "Размер шрифта",
    a11y_colors: "Цвета",
    a11y_spacing: "Интервал между буквами",
    a11y_images: "Изображения",
    a11y_normal: "обычный",
    a11y_wide: "увеличенный",
    a11y_shown: "показывать",
    a11y_hidden: "скрыть",
    a11y_scheme_bw: "чёрным по белому",
    a11y_scheme_wb: "белым по чёрному",
    a11y_scheme_blue: "тёмно-синим по голубому",
    a11y_scheme_brown: "коричневым по бежевому",
    a11y_scheme_green: "зелёным по тёмно-коричневому",
    a11y_settings: "Настройки для слабовидящих",
    other_lang: "English",
    role: "Роль",
    switch: "Сменить",
    classes: "Классы",
    class: "Класс",
    students: "Обучающиеся",
    teachers: "Педагоги",
    staff: "Сотрудники",
    class_teacher: "Классный руководитель",
    address: "Адрес",
    head: "Руководитель",
    municipality: "Муниципалитет",
    all: "Все",
    show: "Показать",
    next_page: "Следующая страница",
    birth_date: "Дата рождения",
    contacts: "Контакты",
    email: "Эл. почта",
    phone: "Телефон",
    save: "Сохранить",
    saved: "Сохранено",
    sections: "Разделы",
    administration: "Управление",
    created: "Добавлено",
    password_set: "Пароль сохранён: теперь входите с ним. Письмо с прежним паролем можно выбросить.",
    history: "История обучения",
    parents: "Родители (законные представители)",
    children: "Дети",
    positions: "Должности",
    download: "Скачать все мои данные (ZIP)",
    download_hint: "Архив с данными о вас и ваших детях и журналом доступа к ним, в формате JSON.",
    correction: "Исправить официальные данные",
    correction_hint: "ФИО, дату рождения и СНИЛС исправляет школа: отправьте запрос.",
    field: "Поле",
    new_value: "Верное значение",
    comment: "Комментарий",
    send: "Отправить",
    sent: "Запрос отправлен в школу",
    when: "Когда",
    who: "Кто",
    action: "Действие",
    object: "Объект",
    from_where: "Откуда",
    nothing: "Записей нет",
    change_password: "Сменить пароль",
    old_password: "Текущий пароль",
    new_password: "Новый пароль (не короче 10 символов)",
    my_children: "Мои дети",
    my_classes: "Мои классы",
    my_card: "Моя карточка",
    my_school: "Моя школа",
    students_count: "Обучающихся",
    import_several: "Загрузить списки нескольких школ (пакет OneRoster)",
    privacy: "Персональные данные",
    privacy_parent_contacts: "Педагоги видят телефон и электронную почту родителей своих учеников",
    privacy_hint: "Без этой отметки педагог видит только имена родителей. СНИЛС, дату рождения и документы педагоги не видят никогда.",
    hidden_by_policy: "Остальные сведения скрыты: вашей роли они не нужны (152-ФЗ, ст. 5).",
    storage: "Хранилище файлов",
    storage_used: "Занято",
    storage_quota: "Можно",
    storage_people: "Кто занимает больше всех",
    storage_hint: "Файлы домашних заданий и ответов учеников. Лимиты задаются в настройках платформы: для ученика, для сотрудника и для школы.",
    files: "Файлов",
    mb: "МБ",
    gb: "ГБ",
    to_top: "Наверх",
    api_docs: "API",
    since: "с",
    until_now: "по настоящее время",
    error: "Ошибка",
};

pub static EN: LayoutStrings = LayoutStrings {
    app: "Parta",
    sign_in: "Sign in",
    sign_out: "Sign out",
    login: "Login",
    password: "Password",
    home: "Home",
    schools: "Schools",
    my_data: "My data",
    nav_diary: "Diary",
    nav_journal: "Journal",
    nav_timetable: "Timetable",
    nav_notifications: "Notifications",
    nav_chats: "Chats",
    class_report: "Progress and attendance",
    audit: "Access log",
    a11y_on: "Low-vision version",
    a11y_off: "Standard version",
    a11y_size: "Font size",
    a11y_colors: "Colours",
    a11y_spacing: "Letter spacing",
    a11y_images: "Images",
    a11y_normal: "normal",
    a11y_wide: "wide",
    a11y_shown: "show",
    a11y_hidden: "hide",
    a11y_scheme_bw: "black on white",
    a11y_scheme_wb: "white on black",
    a11y_scheme_blue: "dark blue on light blue",
    a11y_scheme_brown: "brown on beige",
    a11y_scheme_green: "green on dark brown",
    a11y_settings: "Low-vision settings",
    other_lang: "Русский",
    role: "Role",
    switch: "Switch",
    classes: "Classes",
    class: "Class",
    students: "Students",
    teachers: "Teachers",
    staff: "Staff",
    class_teacher: "Class teacher",
    address: "Address",
    head: "Head",
    municipality: "Municipality",
    all: "All",
    show: "Show",
    next_page: "Next page",
    birth_date: "Date of birth",
    contacts: "Contacts",
    email: "E-mail",
    phone: "Phone",
    save: "Save",
    saved: "Saved",
    sections: "Sections",
    administration: "Administration",
    created: "Added",
    password_set: "Your password is saved: sign in with it from now on. The letter can be thrown away.",
    history: "Enrolment history",
    parents: "Parents (legal representatives)",
    children: "Children",
    positions: "Positions",
    download: "Download all my data (ZIP)",
    download_hint:
        "An archive of what is held about you and your children, with its access log, as JSON.",
    correction: "Correct official data",
    correction_hint: "The school corrects names, date of birth and SNILS: send a request.",
    field: "Field",
    new_value: "Correct value",
    comment: "Comment",
    send: "Send",
    sent: "The request was sent to the school",
    when: "When",
    who: "Who",
    action: "Action",
    object: "Object",
    from_where: "From",
    nothing: "No records",
    change_password: "Change password",
    old_password: "Current password",
    new_password: "New password (at least 10 characters)",
    my_children: "My children",
    my_classes: "My classes",
    my_card: "My card",
    my_school: "My school",
    students_count: "Students",
    import_several: "Upload the lists of several schools (a OneRoster package)",
    privacy: "Personal data",
    privacy_parent_contacts: "Teachers see the phone and e-mail of their students' parents",
    privacy_hint: "Without this, a teacher sees only the parents' names. Teachers never see СНИЛС, birth dates or documents.",
    hidden_by_policy: "Other details are hidden: your role does not need them (152-FZ, art. 5).",
    storage: "File storage",
    storage_used: "Used",
    storage_quota: "Allowed",
    storage_people: "The largest users",
    storage_hint: "Homework files and students' answers. Limits are set in the platform's configuration: per student, per staff member and per school.",
    files: "Files",
    mb: "MB",
    gb: "GB",
    to_top: "Top",
    api_docs: "API",
    since: "from",
    until_now: "until now",
    error: "Error",
};

/// Every key of a domain's strings has a Russian and an English text: the two tables
/// (serialized) have the same keys and no empty text. Each domain's tests call this for
/// its tables; the compiler already refuses a key missing from one of them.
pub fn missing_translations<S: serde::Serialize>(ru: &S, en: &S) -> Vec<String> {
    fn walk(path: &str, ru: &serde_json::Value, en: &serde_json::Value, out: &mut Vec<String>) {
        use serde_json::Value as V;
        match (ru, en) {
            (V::Object(a), V::Object(b)) => {
                for (k, v) in a {
                    match b.get(k) {
                        Some(w) => walk(&format!("{path}.{k}"), v, w, out),
                        None => out.push(format!("{path}.{k}: no English")),
                    }
                }
                for k in b.keys().filter(|k| !a.contains_key(*k)) {
                    out.push(format!("{path}.{k}: no Russian"));
                }
            }
            (V::Array(a), V::Array(b)) if a.len() == b.len() => {
                for (i, (v, w)) in a.iter().zip(b).enumerate() {
                    walk(&format!("{path}[{i}]"), v, w, out);
                }
            }
            (V::String(a), V::String(b)) => {
                if a.trim().is_empty() {
                    out.push(format!("{path}: empty in Russian"));
                }
                if b.trim().is_empty() {
                    out.push(format!("{path}: empty in English"));
                }
            }
            (a, b) if std::mem::discriminant(a) == std::mem::discriminant(b) => {}
            _ => out.push(format!("{path}: the two languages differ in shape")),
        }
    }
    let mut out = Vec::new();
    match (serde_json::to_value(ru), serde_json::to_value(en)) {
        (Ok(a), Ok(b)) => walk("", &a, &b, &mut out),
        _ => out.push("the strings do not serialize".into()),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_speaks_russian_and_english() {
        assert_eq!(missing_translations(&RU, &EN), Vec::<String>::new());
    }
}
