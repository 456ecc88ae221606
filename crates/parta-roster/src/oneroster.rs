//! OneRoster 1.2 CSV bulk packages: a ZIP with `manifest.csv` and the data files.

use crate::decode::decode;
use crate::limits::{MAX_CELL_CHARS, MAX_COLUMNS, MAX_TABLE_ROWS};
use crate::model::*;
use std::collections::{HashMap, HashSet};

/// Files of the package this importer reads, with the columns it needs.
const FILES: &[(&str, &[&str])] = &[
    ("orgs.csv", &["sourcedId", "name", "type", "identifier"]),
    (
        "academicSessions.csv",
        &["sourcedId", "title", "type", "startDate", "endDate"],
    ),
    ("courses.csv", &["sourcedId", "title", "courseCode"]),
    (
        "classes.csv",
        &[
            "sourcedId",
            "title",
            "grades",
            "courseSourcedId",
            "classType",
            "schoolSourcedId",
            "termSourcedIds",
        ],
    ),
    (
        "users.csv",
        &[
            "sourcedId",
            "role",
            "givenName",
            "familyName",
            "orgSourcedIds",
        ],
    ),
    (
        "enrollments.csv",
        &[
            "sourcedId",
            "classSourcedId",
            "schoolSourcedId",
            "userSourcedId",
            "role",
        ],
    ),
];

/// Reads a ZIP into named file contents, within [`crate::limits`].
pub fn unzip(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, RowError> {
    crate::limits::read_zip(bytes, true, crate::limits::MAX_UNPACKED, "(архив)")
}

/// One CSV file as rows addressable by column name.
pub struct Table {
    pub file: &'static str,
    headers: HashMap<String, usize>,
    pub rows: Vec<(u64, csv::StringRecord)>,
}

impl Table {
    pub fn get<'a>(&self, row: &'a csv::StringRecord, col: &str) -> Option<&'a str> {
        self.headers
            .get(col)
            .and_then(|i| row.get(*i))
            .map(|s| parta_core::text::spreadsheet_unescape(s.trim()))
            .filter(|s| !s.is_empty())
    }
}

/// Parses a CSV text; `delimiter` is `,` for OneRoster, `;` or `,` for the template.
/// At most `max_rows` data rows, [`MAX_COLUMNS`] columns and [`MAX_CELL_CHARS`]
/// characters a cell are read; a file beyond them is refused whole.
pub fn table(
    file: &'static str,
    text: &str,
    delimiter: u8,
    required: &[&str],
    max_rows: usize,
    errors: &mut Vec<RowError>,
) -> Option<Table> {
    // The csv crate counts lines by '\n' seen *before* a record; with CRLF the '\n' of
    // the previous line is read late, so line numbers would be off by one.
    let text = text.replace("\r\n", "\n");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers: HashMap<String, usize> = match reader.headers() {
        Ok(h) if h.len() > MAX_COLUMNS => {
            errors.push(RowError::new(
                file,
                1,
                "",
                format!(
                    "В заголовке {} столбцов — больше допустимых {MAX_COLUMNS}.",
                    h.len()
                ),
            ));
            return None;
        }
        Ok(h) => h
            .iter()
            .enumerate()
            .map(|(i, name)| (name.trim().to_string(), i))
            .collect(),
        Err(_) => {
            errors.push(RowError::new(
                file,
                1,
                "",
                "Не удалось прочитать заголовок файла.",
            ));
            return None;
        }
    };
    let mut ok = true;
    for col in required {
        if !headers.contains_key(*col) {
            errors.push(RowError::new(
                file,
                1,
                col,
                format!("Нет обязательного столбца «{col}»."),
            ));
            ok = false;
        }
    }
    let mut rows = Vec::new();
    for rec in reader.records() {
        if rows.len() >= max_rows {
            errors.push(RowError::new(
                file,
                0,
                "",
                format!(
                    "В файле больше {max_rows} строк — это больше, чем бывает в одной школе. Загрузите данные одной школы."
                ),
            ));
            return None;
        }
        match rec {
            Ok(r)
                if r.iter().any(|c| {
                    c.len() > MAX_CELL_CHARS * 4 || c.chars().count() > MAX_CELL_CHARS
                }) =>
            {
                let line = r.position().map(|p| p.line()).unwrap_or(0);
                errors.push(RowError::new(
                    file,
                    line,
                    "",
                    format!("Значение длиннее {MAX_CELL_CHARS} знаков."),
                ));
                ok = false;
            }
            Ok(r) => rows.push((r.position().map(|p| p.line()).unwrap_or(0), r)),
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                errors.push(RowError::new(
                    file,
                    line,
                    "",
                    "Строка не разбирается: неверное число столбцов или кавычек.",
                ));
                ok = false;
            }
        }
    }
    ok.then_some(Table {
        file,
        headers,
        rows,
    })
}

fn date(s: Option<&str>) -> Option<String> {
    s.and_then(|s| chrono::NaiveDate::parse_from_str(s.get(..10).unwrap_or(s), "%Y-%m-%d").ok())
        .map(|d| d.to_string())
}

/// `{snils:112-233-445 95},{esia:123}` → the СНИЛС.
fn snils_from_user_ids(s: &str) -> Option<String> {
    s.split('}')
        .filter_map(|p| p.trim_start_matches([',', ' ', '{']).split_once(':'))
        .find(|(k, _)| k.eq_ignore_ascii_case("snils"))
        .map(|(_, v)| v.trim().to_string())
}

/// Parses and validates a whole OneRoster package.
pub fn parse(files: &[(String, Vec<u8>)]) -> Result<(Package, &'static str), Vec<RowError>> {
    let mut errors = Vec::new();
    let mut encoding = "UTF-8";
    let mut texts: HashMap<&str, String> = HashMap::new();
    let present: HashMap<&str, &Vec<u8>> = files.iter().map(|(n, b)| (n.as_str(), b)).collect();
    let Some(manifest) = present.get("manifest.csv") else {
        return Err(vec![RowError::new(
            "manifest.csv",
            0,
            "",
            "В архиве нет manifest.csv — это не пакет OneRoster.",
        )]);
    };
    for (name, _) in FILES
        .iter()
        .chain(&[("manifest.csv", &[][..]), ("demographics.csv", &[][..])])
    {
        if let Some(bytes) = present.get(name) {
            match decode(bytes) {
                Ok((t, enc)) => {
                    if enc != "UTF-8" {
                        encoding = enc;
                    }
                    texts.insert(name, t);
                }
                Err(m) => errors.push(RowError::new(name, 0, "", m)),
            }
        }
    }
    let _ = manifest;
    if let Some(t) = texts.get("manifest.csv") {
        if let Some(m) = table(
            "manifest.csv",
            t,
            b',',
            &["propertyName", "value"],
            MAX_TABLE_ROWS,
            &mut errors,
        ) {
            for (line, r) in &m.rows {
                let (Some(k), Some(v)) = (m.get(r, "propertyName"), m.get(r, "value")) else {
                    continue;
                };
                if k == "oneroster.version" && !v.starts_with("1.") {
                    errors.push(RowError::new(
                        "manifest.csv",
                        *line,
                        "value",
                        format!("Поддерживается OneRoster 1.x, а не {v}."),
                    ));
                }
                if let Some(file) = k.strip_prefix("file.") {
                    if v == "delta" {
                        errors.push(RowError::new(
                            "manifest.csv",
                            *line,
                            "value",
                            format!(
                                "Файл {file}: поддерживается только режим bulk (полная выгрузка)."
                            ),
                        ));
                    }
                }
            }
        }
    }
    let mut tables: HashMap<&str, Table> = HashMap::new();
    for (name, required) in FILES {
        match texts.get(name) {
            Some(t) => {
                if let Some(tab) = table(name, t, b',', required, MAX_TABLE_ROWS, &mut errors) {
                    tables.insert(name, tab);
                }
            }
            None if *name == "courses.csv" => {}
            None => errors.push(RowError::new(
                name,
                0,
                "",
                format!("В пакете нет файла {name}."),
            )),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut p = Package::default();
    let mut seen: HashSet<(&str, String)> = HashSet::new();
    let mut dup = |file: &'static str, sid: &str, line: u64, errors: &mut Vec<RowError>| {
        if !seen.insert((file, sid.to_string())) {
            errors.push(RowError::new(
                file,
                line,
                "sourcedId",
                format!("Идентификатор {sid} повторяется."),
            ));
        }
    };
    let status_ok = |t: &Table, r: &csv::StringRecord, line: u64, errors: &mut Vec<RowError>| {
        if t.get(r, "status")
            .is_some_and(|s| s.eq_ignore_ascii_case("tobedeleted"))
        {
            errors.push(RowError::new(
                t.file,
                line,
                "status",
                "Удаление через импорт не поддерживается: отчислите или переведите в карточке.",
            ));
        }
    };

    // orgs: exactly one school.
    let orgs = &tables["orgs.csv"];
    let mut schools = Vec::new();
    for (line, r) in &orgs.rows {
        status_ok(orgs, r, *line, &mut errors);
        if orgs.get(r, "type") == Some("school") {
            schools.push((
                orgs.get(r, "sourcedId").unwrap_or_default().to_string(),
                orgs.get(r, "identifier").map(str::to_string),
            ));
        }
    }
    match schools.as_slice() {
        [(sid, ident)] => {
            p.org_sid = Some(sid.clone());
            p.org_identifier = ident.clone();
        }
        _ => errors.push(RowError::new(
            "orgs.csv",
            0,
            "type",
            "В пакете должна быть ровно одна организация с type = school.",
        )),
    }
    let school = p.org_sid.clone().unwrap_or_default();

    let sessions = &tables["academicSessions.csv"];
    let mut terms: HashMap<String, String> = HashMap::new(); // term → school year
    for (line, r) in &sessions.rows {
        status_ok(sessions, r, *line, &mut errors);
        let sid = sessions.get(r, "sourcedId").unwrap_or_default().to_string();
        dup("academicSessions.csv", &sid, *line, &mut errors);
        let (start, end) = (
            date(sessions.get(r, "startDate")),
            date(sessions.get(r, "endDate")),
        );
        if start.is_none() {
            errors.push(RowError::new(
                sessions.file,
                *line,
                "startDate",
                "Дата в формате ГГГГ-ММ-ДД.",
            ));
        }
        if end.is_none() {
            errors.push(RowError::new(
                sessions.file,
                *line,
                "endDate",
                "Дата в формате ГГГГ-ММ-ДД.",
            ));
        }
        match sessions.get(r, "type") {
            Some("schoolYear") => p.years.push(Year {
                sid: sid.clone(),
                title: sessions.get(r, "title").unwrap_or_default().to_string(),
                start: start.unwrap_or_default(),
                end: end.unwrap_or_default(),
            }),
            Some("term" | "semester" | "gradingPeriod") => {
                terms.insert(
                    sid.clone(),
                    sessions
                        .get(r, "parentSourcedId")
                        .unwrap_or_default()
                        .to_string(),
                );
            }
            other => errors.push(RowError::new(
                sessions.file,
                *line,
                "type",
                format!("Неизвестный тип периода «{}».", other.unwrap_or("")),
            )),
        }
    }
    let year_of = |term: &str| -> Option<String> {
        if p.years.iter().any(|y| y.sid == term) {
            return Some(term.to_string());
        }
        terms.get(term).cloned()
    };

    let mut course_subject: HashMap<String, String> = HashMap::new();
    if let Some(courses) = tables.get("courses.csv") {
        for (line, r) in &courses.rows {
            let sid = courses.get(r, "sourcedId").unwrap_or_default().to_string();
            dup("courses.csv", &sid, *line, &mut errors);
            course_subject.insert(
                sid,
                courses.get(r, "courseCode").unwrap_or_default().to_string(),
            );
        }
    }

    let classes = &tables["classes.csv"];
    let mut class_sids = HashSet::new();
    for (line, r) in &classes.rows {
        status_ok(classes, r, *line, &mut errors);
        let sid = classes.get(r, "sourcedId").unwrap_or_default().to_string();
        dup("classes.csv", &sid, *line, &mut errors);
        class_sids.insert(sid.clone());
        if classes.get(r, "schoolSourcedId") != Some(school.as_str()) {
            errors.push(RowError::new(
                classes.file,
                *line,
                "schoolSourcedId",
                "Класс относится к другой организации.",
            ));
        }
        let term = classes
            .get(r, "termSourcedIds")
            .unwrap_or_default()
            .split(',')
            .next()
            .unwrap_or_default()
            .trim()
            .to_string();
        let Some(year_sid) = year_of(&term) else {
            errors.push(RowError::new(
                classes.file,
                *line,
                "termSourcedIds",
                format!("Учебный период {term} не найден в academicSessions.csv."),
            ));
            continue;
        };
        let title = classes.get(r, "title").unwrap_or_default();
        match classes.get(r, "classType") {
            Some("homeroom") => {
                let digits: String = title.chars().take_while(char::is_ascii_digit).collect();
                let grade = classes
                    .get(r, "grades")
                    .map(|g| g.trim_start_matches('0').to_string())
                    .filter(|g| !g.is_empty())
                    .unwrap_or(digits.clone());
                let letter = title[digits.len()..].trim().to_uppercase();
                let grade_ok = grade.parse::<u32>().is_ok_and(|g| (1..=11).contains(&g));
                if !grade_ok {
                    errors.push(RowError::new(
                        classes.file,
                        *line,
                        "grades",
                        "Параллель должна быть от 1 до 11.",
                    ));
                }
                if letter.is_empty() || letter.chars().count() > 3 {
                    errors.push(RowError::new(
                        classes.file,
                        *line,
                        "title",
                        "Название класса — номер и литера, например «5А».",
                    ));
                }
                p.classes.push(HomeClass {
                    sid,
                    year_sid,
                    grade,
                    letter,
                });
            }
            Some("scheduled") => {
                let course = classes.get(r, "courseSourcedId").unwrap_or_default();
                let subject = course_subject
                    .get(course)
                    .cloned()
                    .or_else(|| classes.get(r, "subjectCodes").map(str::to_string));
                match subject {
                    Some(s) if !s.is_empty() => p.groups.push(Group {
                        sid,
                        year_sid,
                        name: title.to_string(),
                        subject: s,
                    }),
                    _ => errors.push(RowError::new(
                        classes.file,
                        *line,
                        "courseSourcedId",
                        "Не найден предмет: укажите курс с courseCode из справочника предметов.",
                    )),
                }
            }
            other => errors.push(RowError::new(
                classes.file,
                *line,
                "classType",
                format!(
                    "Тип класса «{}»: ожидается homeroom или scheduled.",
                    other.unwrap_or("")
                ),
            )),
        }
    }

    let demographics: HashMap<String, (Option<String>, Option<String>)> =
        match texts.get("demographics.csv") {
            Some(t) => match table(
                "demographics.csv",
                t,
                b',',
                &["sourcedId"],
                MAX_TABLE_ROWS,
                &mut errors,
            ) {
                Some(d) => d
                    .rows
                    .iter()
                    .map(|(_, r)| {
                        let sex = d.get(r, "sex").and_then(|s| match s {
                            "male" => Some("male".to_string()),
                            "female" => Some("female".to_string()),
                            _ => None,
                        });
                        (
                            d.get(r, "sourcedId").unwrap_or_default().to_string(),
                            (date(d.get(r, "birthDate")), sex),
                        )
                    })
                    .collect(),
                None => HashMap::new(),
            },
            None => HashMap::new(),
        };

    let users = &tables["users.csv"];
    let mut user_sids = HashSet::new();
    let mut agents: Vec<(u64, String, String)> = Vec::new();
    for (line, r) in &users.rows {
        status_ok(users, r, *line, &mut errors);
        let sid = users.get(r, "sourcedId").unwrap_or_default().to_string();
        dup("users.csv", &sid, *line, &mut errors);
        user_sids.insert(sid.clone());
        let role = match users.get(r, "role") {
            Some("student") => PersonRole::Student,
            Some("parent" | "relative") => PersonRole::Parent,
            Some("guardian") => PersonRole::Guardian,
            Some("teacher") => PersonRole::Teacher,
            Some("administrator") => PersonRole::Administrator,
            other => {
                errors.push(RowError::new(
                    users.file,
                    *line,
                    "role",
                    format!("Роль «{}» не поддерживается.", other.unwrap_or("")),
                ));
                continue;
            }
        };
        let first = users.get(r, "givenName").unwrap_or_default().to_string();
        let last = users.get(r, "familyName").unwrap_or_default().to_string();
        if first.is_empty() {
            errors.push(RowError::new(
                users.file,
                *line,
                "givenName",
                "Не указано имя.",
            ));
        }
        if last.is_empty() {
            errors.push(RowError::new(
                users.file,
                *line,
                "familyName",
                "Не указана фамилия.",
            ));
        }
        let snils = users.get(r, "userIds").and_then(snils_from_user_ids);
        if let Some(s) = &snils {
            if !parta_core::snils::valid_snils(s) {
                errors.push(RowError::new(
                    users.file,
                    *line,
                    "userIds",
                    format!("СНИЛС {s} с неверной контрольной суммой."),
                ));
            }
        }
        if role != PersonRole::Parent
            && role != PersonRole::Guardian
            && !users
                .get(r, "orgSourcedIds")
                .unwrap_or_default()
                .split(',')
                .any(|o| o.trim() == school)
        {
            errors.push(RowError::new(
                users.file,
                *line,
                "orgSourcedIds",
                "Человек не относится к организации пакета.",
            ));
        }
        if let Some(a) = users.get(r, "agentSourcedIds") {
            if role == PersonRole::Student {
                for parent in a.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    agents.push((*line, parent.to_string(), sid.clone()));
                }
            }
        }
        let (birth, sex) = demographics.get(&sid).cloned().unwrap_or_default();
        p.people.push(PersonIn {
            sid,
            role,
            last_name: last,
            first_name: first,
            middle_name: users.get(r, "middleName").map(str::to_string),
            birth_date: birth,
            sex,
            snils,
            email: users.get(r, "email").map(str::to_lowercase),
            phone: users.get(r, "phone").map(str::to_string),
            username: users.get(r, "username").map(str::to_lowercase),
            file: users.file.to_string(),
            line: *line,
        });
    }
    for (line, parent, child) in agents {
        match p.people.iter().find(|x| x.sid == parent) {
            Some(x) if matches!(x.role, PersonRole::Parent | PersonRole::Guardian) => {
                p.guardians.push((parent, child))
            }
            Some(_) => errors.push(RowError::new(
                "users.csv",
                line,
                "agentSourcedIds",
                format!("{parent} не является родителем или опекуном."),
            )),
            None => errors.push(RowError::new(
                "users.csv",
                line,
                "agentSourcedIds",
                format!("Родитель {parent} не найден в users.csv."),
            )),
        }
    }

    let enrollments = &tables["enrollments.csv"];
    for (line, r) in &enrollments.rows {
        status_ok(enrollments, r, *line, &mut errors);
        let sid = enrollments
            .get(r, "sourcedId")
            .unwrap_or_default()
            .to_string();
        dup("enrollments.csv", &sid, *line, &mut errors);
        let class = enrollments
            .get(r, "classSourcedId")
            .unwrap_or_default()
            .to_string();
        let user = enrollments
            .get(r, "userSourcedId")
            .unwrap_or_default()
            .to_string();
        if !class_sids.contains(&class) {
            errors.push(RowError::new(
                enrollments.file,
                *line,
                "classSourcedId",
                format!("Класс {class} не найден в classes.csv."),
            ));
        }
        if !user_sids.contains(&user) {
            errors.push(RowError::new(
                enrollments.file,
                *line,
                "userSourcedId",
                format!("Пользователь {user} не найден в users.csv."),
            ));
        }
        let teacher = match enrollments.get(r, "role") {
            Some("student") => false,
            Some("teacher" | "administrator") => true,
            other => {
                errors.push(RowError::new(
                    enrollments.file,
                    *line,
                    "role",
                    format!("Роль «{}» в классе не поддерживается.", other.unwrap_or("")),
                ));
                continue;
            }
        };
        p.memberships.push(Membership {
            sid,
            class_sid: class,
            person_sid: user,
            teacher,
            primary: enrollments
                .get(r, "primary")
                .is_some_and(|v| v.eq_ignore_ascii_case("true")),
            begin: date(enrollments.get(r, "beginDate")),
        });
    }
    // One homeroom per student.
    let mut homeroom_of: HashMap<&str, &str> = HashMap::new();
    for m in p.memberships.iter().filter(|m| !m.teacher) {
        if p.classes.iter().any(|c| c.sid == m.class_sid) {
            if let Some(prev) = homeroom_of.insert(&m.person_sid, &m.class_sid) {
                if prev != m.class_sid {
                    errors.push(RowError::new(
                        "enrollments.csv",
                        0,
                        "classSourcedId",
                        format!("Обучающийся {} записан в два класса.", m.person_sid),
                    ));
                }
            }
        }
    }
    if errors.is_empty() {
        Ok((p, encoding))
    } else {
        errors.sort_by(|a, b| (a.file.as_str(), a.line).cmp(&(b.file.as_str(), b.line)));
        Err(errors)
    }
}
