//! OneRoster 1.2 CSV bulk packages: a ZIP with `manifest.csv` and the data files.

use crate::decode::decode;
use crate::limits::{MAX_CELL_CHARS, MAX_COLUMNS, MAX_TABLE_ROWS};
use crate::model::*;
use std::collections::{HashMap, HashSet};

/// The OneRoster version of a package: its manifest's `oneroster.version`, or, without
/// that line, what its files show (`roles.csv` is 1.2's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V1_1,
    V1_2,
}

impl Version {
    pub fn label(self) -> &'static str {
        match self {
            Version::V1_1 => "OneRoster 1.1",
            Version::V1_2 => "OneRoster 1.2",
        }
    }
}

/// Files of the package this importer reads, with the columns it needs. In 1.1 a user's
/// role and organisations are columns of `users.csv`; 1.2 moved them to `roles.csv`.
fn files_of(v: Version) -> Vec<(&'static str, &'static [&'static str])> {
    let mut files: Vec<(&'static str, &'static [&'static str])> = vec![
        ("orgs.csv", &["sourcedId", "name", "type"]),
        (
            "academicSessions.csv",
            &["sourcedId", "title", "type", "startDate", "endDate"],
        ),
        ("courses.csv", &["sourcedId", "title"]),
        (
            "classes.csv",
            &[
                "sourcedId",
                "title",
                "classType",
                "schoolSourcedId",
                "termSourcedIds",
            ],
        ),
        (
            "enrollments.csv",
            &["sourcedId", "classSourcedId", "userSourcedId", "role"],
        ),
    ];
    match v {
        Version::V1_1 => files.push((
            "users.csv",
            &[
                "sourcedId",
                "role",
                "givenName",
                "familyName",
                "orgSourcedIds",
            ],
        )),
        Version::V1_2 => {
            files.push(("users.csv", &["sourcedId", "givenName", "familyName"]));
            files.push((
                "roles.csv",
                &["userSourcedId", "roleType", "role", "orgSourcedId"],
            ));
        }
    }
    files
}

/// Files a package may leave out (the manifest says `absent`, or the file is not there).
const OPTIONAL: &[&str] = &["courses.csv", "demographics.csv"];

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

/// An enumeration value as the specification allows it: compared without regard to case.
fn is(v: Option<&str>, want: &str) -> bool {
    v.is_some_and(|v| v.eq_ignore_ascii_case(want))
}

/// A list field (`grades`, `termSourcedIds`, `agentSourcedIds` …): comma-separated values.
fn list(v: Option<&str>) -> Vec<&str> {
    v.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .collect()
}

/// A homeroom's title as schools write it — «5А», «5 А», «5-Б», «5 «В» класс», «Класс 10А»,
/// «7 класс Г», «Grade 6 B» — as its number (may be empty; the `grades` column wins) and its
/// letter (upper case, may be empty).
fn homeroom_title(title: &str) -> (String, String) {
    let lower = title.to_lowercase();
    let without_word = lower.replace("класс", " ").replace("grade", " ");
    let digits: String = without_word
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect();
    let letter: String = without_word
        .chars()
        .filter(|c| c.is_alphabetic())
        .collect::<String>()
        .to_uppercase();
    (digits, letter)
}

/// A user's role as OneRoster names it; `None` for one a school's registry does not hold.
fn person_role(v: &str) -> Option<PersonRole> {
    Some(match v.to_ascii_lowercase().as_str() {
        "student" => PersonRole::Student,
        "parent" => PersonRole::Parent,
        "guardian" => PersonRole::Guardian,
        "relative" => PersonRole::Relative,
        "teacher" => PersonRole::Teacher,
        "administrator" | "siteadministrator" | "principal" => PersonRole::Administrator,
        _ => return None,
    })
}

/// What the manifest says: the version and how each file comes.
struct Manifest {
    version: Option<(u64, String)>,
    /// `file.users` → (line, `bulk` | `delta` | `absent`).
    modes: HashMap<String, (u64, String)>,
}

fn read_manifest(text: &str, errors: &mut Vec<RowError>) -> Manifest {
    let mut m = Manifest {
        version: None,
        modes: HashMap::new(),
    };
    let Some(t) = table(
        "manifest.csv",
        text,
        b',',
        &["propertyName", "value"],
        MAX_TABLE_ROWS,
        errors,
    ) else {
        return m;
    };
    for (line, r) in &t.rows {
        let (Some(k), Some(v)) = (t.get(r, "propertyName"), t.get(r, "value")) else {
            continue;
        };
        if k == "oneroster.version" {
            m.version = Some((*line, v.to_string()));
        } else if let Some(file) = k.strip_prefix("file.") {
            let mode = v.to_ascii_lowercase();
            if !matches!(mode.as_str(), "bulk" | "delta" | "absent") {
                errors.push(RowError::new(
                    "manifest.csv",
                    *line,
                    "value",
                    format!("Файл {file}: режим «{v}» — ожидается bulk, delta или absent."),
                ));
            }
            m.modes.insert(format!("{file}.csv"), (*line, mode));
        }
    }
    m
}

/// Parses and validates a whole OneRoster package, 1.1 or 1.2.
pub fn parse(files: &[(String, Vec<u8>)]) -> Result<(Package, &'static str), Vec<RowError>> {
    parse_versioned(files).map(|(p, enc, _)| (p, enc))
}

/// As [`parse`], with the version found.
pub fn parse_versioned(
    files: &[(String, Vec<u8>)],
) -> Result<(Package, &'static str, Version), Vec<RowError>> {
    let mut errors = Vec::new();
    let mut encoding = "UTF-8";
    let present: HashMap<&str, &Vec<u8>> = files.iter().map(|(n, b)| (n.as_str(), b)).collect();
    let mut text_of = |name: &'static str, errors: &mut Vec<RowError>| -> Option<String> {
        let bytes = present.get(name)?;
        match decode(bytes) {
            Ok((t, enc)) => {
                if enc != "UTF-8" {
                    encoding = enc;
                }
                Some(t)
            }
            Err(m) => {
                errors.push(RowError::new(name, 0, "", m));
                None
            }
        }
    };
    let Some(manifest_text) = text_of("manifest.csv", &mut errors) else {
        if errors.is_empty() {
            errors.push(RowError::new(
                "manifest.csv",
                0,
                "",
                "В архиве нет manifest.csv — это не пакет OneRoster.",
            ));
        }
        return Err(errors);
    };
    let manifest = read_manifest(&manifest_text, &mut errors);
    let has_roles = present.contains_key("roles.csv");
    let version = match &manifest.version {
        Some((_, v)) if v == "1.1" || v.starts_with("1.1.") => Version::V1_1,
        Some((_, v)) if v == "1.2" || v.starts_with("1.2.") => Version::V1_2,
        Some((line, v)) => {
            errors.push(RowError::new(
                "manifest.csv",
                *line,
                "value",
                format!("Поддерживаются OneRoster 1.1 и 1.2, а не {v}."),
            ));
            return Err(errors);
        }
        None if has_roles => Version::V1_2,
        None => Version::V1_1,
    };
    let version_line = manifest.version.as_ref().map(|(l, _)| *l).unwrap_or(0);
    // A file the manifest calls absent is not read, whatever the archive holds.
    let mode = |name: &str| -> Option<&str> { manifest.modes.get(name).map(|(_, m)| m.as_str()) };
    let mut texts: HashMap<&'static str, String> = HashMap::new();
    for (name, _) in files_of(version)
        .iter()
        .chain(&[("demographics.csv", &[][..])])
    {
        if mode(name) == Some("absent") {
            continue;
        }
        if let Some(t) = text_of(name, &mut errors) {
            texts.insert(name, t);
        }
    }
    // A package of changes: its rows may name what the school already has, and a file
    // it leaves out is simply unchanged.
    let delta_files: HashSet<&str> = manifest
        .modes
        .iter()
        .filter(|(_, (_, m))| m == "delta")
        .map(|(f, _)| f.as_str())
        .collect();
    let delta = !delta_files.is_empty();
    // One version in one package: 1.2 keeps roles in roles.csv, 1.1 in users.csv.
    if let Some(users) = texts.get("users.csv") {
        let header = users.lines().next().unwrap_or_default();
        let has_role_column = header
            .split(',')
            .any(|c| c.trim().trim_matches('"') == "role");
        if version == Version::V1_2 && !has_roles && has_role_column {
            errors.push(RowError::new(
                "manifest.csv",
                version_line,
                "value",
                "Пакет объявлен как OneRoster 1.2, а users.csv записан по версии 1.1 (столбец role, нет roles.csv): смешаны версии. Укажите oneroster.version 1.1 или выгрузите пакет целиком в 1.2.",
            ));
        }
        if version == Version::V1_1 && has_roles {
            errors.push(RowError::new(
                "manifest.csv",
                version_line,
                "value",
                "Пакет объявлен как OneRoster 1.1, а в нём roles.csv из версии 1.2: смешаны версии.",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut tables: HashMap<&str, Table> = HashMap::new();
    for (name, required) in files_of(version) {
        match texts.get(name) {
            Some(t) => {
                if let Some(tab) = table(name, t, b',', required, MAX_TABLE_ROWS, &mut errors) {
                    tables.insert(name, tab);
                }
            }
            None if OPTIONAL.contains(&name) || delta => {}
            None => errors.push(RowError::new(
                name,
                0,
                "",
                match mode(name) {
                    Some("absent") => format!("manifest.csv называет файл {name} отсутствующим (absent), а без него пакет школы не собрать."),
                    _ => format!("В пакете нет файла {name}."),
                },
            )),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    // A file a package of changes leaves out changes nothing: read as empty.
    for (name, _) in files_of(version) {
        tables.entry(name).or_insert_with(|| Table {
            file: name,
            headers: HashMap::new(),
            rows: Vec::new(),
        });
    }
    let mut p = Package {
        delta,
        ..Package::default()
    };
    // Each id once a file; a repeat names the line that had it first.
    let mut seen: HashMap<(&str, String), u64> = HashMap::new();
    let mut dup = |file: &'static str, sid: &str, line: u64, errors: &mut Vec<RowError>| {
        if let Some(first) = seen.insert((file, sid.to_string()), line) {
            seen.insert((file, sid.to_string()), first);
            errors.push(RowError::new(
                file,
                line,
                "sourcedId",
                format!("Идентификатор {sid} повторяется: он уже есть в строке {first}."),
            ));
        }
    };
    // `tobedeleted`: in a delta file, the row ends what it names (true); a full (bulk)
    // file lists what is, so there it is a mistake.
    let gone = |t: &Table, r: &csv::StringRecord, line: u64, errors: &mut Vec<RowError>| -> bool {
        if !is(t.get(r, "status"), "tobedeleted") {
            return false;
        }
        if delta_files.contains(t.file) {
            return true;
        }
        errors.push(RowError::new(
            t.file,
            line,
            "status",
            "tobedeleted бывает только в файле с изменениями (delta); в полной выгрузке (bulk) уберите строку или отчислите человека в карточке.",
        ));
        false
    };
    let status_ok = |t: &Table, r: &csv::StringRecord, line: u64, errors: &mut Vec<RowError>| {
        if gone(t, r, line, errors) {
            errors.push(RowError::new(
                t.file,
                line,
                "status",
                "Эти записи пакет не удаляет: учебные годы и организации меняются в реестре.",
            ));
        }
    };
    let removal = |t: &Table, r: &csv::StringRecord, line: u64| Gone {
        sid: t.get(r, "sourcedId").unwrap_or_default().to_string(),
        file: t.file.to_string(),
        line,
    };

    // A set of files with headers only (a template): nothing to write, and said so.
    if errors.is_empty() && tables.values().all(|t| t.rows.is_empty()) {
        return Err(vec![RowError::new(
            "manifest.csv",
            1,
            "",
            "В файлах пакета только заголовки, строк с данными нет (это шаблон?): заполните файлы и загрузите снова. Ничего не записано.",
        )]);
    }

    // orgs: exactly one school.
    let orgs = &tables["orgs.csv"];
    let mut schools = Vec::new();
    let mut org_sids = HashSet::new();
    for (line, r) in &orgs.rows {
        status_ok(orgs, r, *line, &mut errors);
        let sid = orgs.get(r, "sourcedId").unwrap_or_default().to_string();
        org_sids.insert(sid.clone());
        if is(orgs.get(r, "type"), "school") {
            schools.push((sid, orgs.get(r, "identifier").map(str::to_string)));
        }
    }
    match schools.as_slice() {
        [(sid, ident)] => {
            p.org_sid = Some(sid.clone());
            p.org_identifier = ident.clone();
        }
        // A package of changes names its school by the rows' schoolSourcedId (below).
        [] if delta => {}
        [] => errors.push(RowError::new(
            "orgs.csv",
            1,
            "type",
            "В пакете нет организации с type = school.",
        )),
        _ => errors.push(RowError::new(
            "orgs.csv",
            1,
            "type",
            "В пакете несколько школ (type = school): загрузите пакет каждой школы в её карточке.",
        )),
    }
    let mut school = p.org_sid.clone().unwrap_or_default();
    if school.is_empty() && delta {
        // The school the changes are for: the one every row names.
        let mut named: Vec<String> = Vec::new();
        for (file, col) in [
            ("classes.csv", "schoolSourcedId"),
            ("enrollments.csv", "schoolSourcedId"),
            ("roles.csv", "orgSourcedId"),
        ] {
            if let Some(t) = tables.get(file) {
                for (_, r) in &t.rows {
                    if let Some(v) = t.get(r, col) {
                        if !named.iter().any(|n| n == v) {
                            named.push(v.to_string());
                        }
                    }
                }
            }
        }
        match named.as_slice() {
            [one] => {
                school = one.clone();
                p.org_sid = Some(one.clone());
            }
            [] => {}
            _ => errors.push(RowError::new(
                "orgs.csv",
                0,
                "sourcedId",
                format!(
                    "Пакет изменений называет несколько школ ({}): загрузите изменения каждой школы отдельно.",
                    named.join(", ")
                ),
            )),
        }
    }

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
        let kind = sessions.get(r, "type").unwrap_or_default();
        match kind.to_ascii_lowercase().as_str() {
            "schoolyear" => p.years.push(Year {
                sid: sid.clone(),
                title: sessions.get(r, "title").unwrap_or_default().to_string(),
                start: start.unwrap_or_default(),
                end: end.unwrap_or_default(),
            }),
            "term" | "semester" | "gradingperiod" => {
                terms.insert(
                    sid.clone(),
                    sessions
                        .get(r, "parentSourcedId")
                        .unwrap_or_default()
                        .to_string(),
                );
            }
            _ => errors.push(RowError::new(
                sessions.file,
                *line,
                "type",
                format!("Неизвестный тип периода «{kind}»."),
            )),
        }
    }
    let year_of = |term: &str| -> Option<String> {
        if p.years.iter().any(|y| y.sid == term) {
            return Some(term.to_string());
        }
        // A term's parent is its school year (a grading period's may be a term).
        let parent = terms.get(term)?;
        if p.years.iter().any(|y| &y.sid == parent) {
            return Some(parent.clone());
        }
        terms.get(parent).cloned()
    };

    // The names a course gives its subject, in the order they are tried: its code, its
    // subject codes, its subject titles.
    let mut course_subject: HashMap<String, Vec<String>> = HashMap::new();
    if let Some(courses) = tables.get("courses.csv") {
        for (line, r) in &courses.rows {
            let sid = courses.get(r, "sourcedId").unwrap_or_default().to_string();
            dup("courses.csv", &sid, *line, &mut errors);
            let mut names: Vec<String> = courses
                .get(r, "courseCode")
                .map(str::to_string)
                .into_iter()
                .collect();
            names.extend(
                list(courses.get(r, "subjectCodes"))
                    .iter()
                    .map(|s| s.to_string()),
            );
            names.extend(
                list(courses.get(r, "subjects"))
                    .iter()
                    .map(|s| s.to_string()),
            );
            names.retain(|n| !n.trim().is_empty());
            course_subject.insert(sid, names);
        }
    }

    let classes = &tables["classes.csv"];
    let mut class_sids = HashSet::new();
    for (line, r) in &classes.rows {
        if gone(classes, r, *line, &mut errors) {
            p.removed.classes.push(removal(classes, r, *line));
            continue;
        }
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
        let term = list(classes.get(r, "termSourcedIds"))
            .first()
            .map(|t| t.to_string())
            .unwrap_or_default();
        // A delta may name a school year the school already has: found when writing.
        let year_sid = year_of(&term).or_else(|| delta.then(|| term.clone()));
        let Some(year_sid) = year_sid else {
            errors.push(RowError::new(
                classes.file,
                *line,
                "termSourcedIds",
                format!("Учебный период {term} не найден в academicSessions.csv."),
            ));
            continue;
        };
        let title = classes.get(r, "title").unwrap_or_default();
        let kind = classes.get(r, "classType").unwrap_or_default();
        match kind.to_ascii_lowercase().as_str() {
            "homeroom" => {
                let (digits, letter) = homeroom_title(title);
                let grade = list(classes.get(r, "grades"))
                    .first()
                    .map(|g| g.trim_start_matches('0').to_string())
                    .filter(|g| !g.is_empty())
                    .unwrap_or(digits);
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
            "scheduled" => {
                let course = classes.get(r, "courseSourcedId").unwrap_or_default();
                let mut names = course_subject.get(course).cloned().unwrap_or_default();
                names.extend(
                    list(classes.get(r, "subjectCodes"))
                        .iter()
                        .map(|s| s.to_string()),
                );
                names.extend(
                    list(classes.get(r, "subjects"))
                        .iter()
                        .map(|s| s.to_string()),
                );
                names.retain(|n| !n.trim().is_empty());
                match names.first().cloned() {
                    Some(s) => p.groups.push(Group {
                        sid,
                        year_sid,
                        name: title.to_string(),
                        subject: s,
                        subject_names: names,
                        line: *line,
                    }),
                    _ => errors.push(RowError::new(
                        classes.file,
                        *line,
                        "courseSourcedId",
                        "Не найден предмет: укажите курс с courseCode из справочника предметов.",
                    )),
                }
            }
            _ => errors.push(RowError::new(
                classes.file,
                *line,
                "classType",
                format!("Тип класса «{kind}»: ожидается homeroom или scheduled."),
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
                        let sex = match d.get(r, "sex").map(str::to_ascii_lowercase).as_deref() {
                            Some("male") => Some("male".to_string()),
                            Some("female") => Some("female".to_string()),
                            _ => None,
                        };
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

    // 1.2: every role of every user, in this school, the primary one first.
    let mut roles_of: HashMap<String, Vec<(bool, PersonRole)>> = HashMap::new();
    if let Some(roles) = tables.get("roles.csv") {
        let mut seen_roles: HashSet<(String, String, String)> = HashSet::new();
        for (line, r) in &roles.rows {
            if gone(roles, r, *line, &mut errors) {
                // A role ends with its stay or position (enrollments, users); a role row
                // alone is noted and left.
                p.warnings.push(RowError::new(
                    roles.file,
                    *line,
                    "status",
                    "Роль не снята: роль заканчивается вместе с обучением или должностью — удалите пользователя или его запись в классе.",
                ));
                continue;
            }
            let user = roles
                .get(r, "userSourcedId")
                .unwrap_or_default()
                .to_string();
            let org = roles.get(r, "orgSourcedId").unwrap_or_default().to_string();
            let name = roles.get(r, "role").unwrap_or_default();
            if !seen_roles.insert((user.clone(), name.to_ascii_lowercase(), org.clone())) {
                errors.push(RowError::new(
                    roles.file,
                    *line,
                    "role",
                    format!("Роль «{name}» пользователя {user} в {org} повторяется."),
                ));
                continue;
            }
            if org != school {
                errors.push(RowError::new(
                    roles.file,
                    *line,
                    "orgSourcedId",
                    if org_sids.contains(&org) {
                        format!("Роль в организации {org}: пакет школы назначает роли только в самой школе.")
                    } else {
                        format!("Организации {org} нет в orgs.csv.")
                    },
                ));
                continue;
            }
            let primary = match roles
                .get(r, "roleType")
                .map(str::to_ascii_lowercase)
                .as_deref()
            {
                Some("primary") => true,
                Some("secondary") => false,
                other => {
                    errors.push(RowError::new(
                        roles.file,
                        *line,
                        "roleType",
                        format!(
                            "Тип роли «{}»: ожидается primary или secondary.",
                            other.unwrap_or("")
                        ),
                    ));
                    continue;
                }
            };
            match person_role(name) {
                Some(role) => roles_of.entry(user).or_default().push((primary, role)),
                None => errors.push(RowError::new(
                    roles.file,
                    *line,
                    "role",
                    format!("Роль «{name}» не поддерживается: student, parent, guardian, relative, teacher, administrator."),
                )),
            }
        }
    }

    let users = &tables["users.csv"];
    let mut user_sids = HashSet::new();
    // (line, parent, child) as the package links them, from either side.
    let mut agents: Vec<(u64, String, String)> = Vec::new();
    for (line, r) in &users.rows {
        if gone(users, r, *line, &mut errors) {
            p.removed.people.push(removal(users, r, *line));
            continue;
        }
        let sid = users.get(r, "sourcedId").unwrap_or_default().to_string();
        dup("users.csv", &sid, *line, &mut errors);
        user_sids.insert(sid.clone());
        let roles: Vec<PersonRole> = match version {
            Version::V1_1 => {
                let name = users.get(r, "role").unwrap_or_default();
                let Some(role) = person_role(name) else {
                    errors.push(RowError::new(
                        users.file,
                        *line,
                        "role",
                        format!("Роль «{name}» не поддерживается."),
                    ));
                    continue;
                };
                if !role.is_family()
                    && !list(users.get(r, "orgSourcedIds")).contains(&school.as_str())
                {
                    errors.push(RowError::new(
                        users.file,
                        *line,
                        "orgSourcedIds",
                        "Человек не относится к организации пакета.",
                    ));
                }
                vec![role]
            }
            Version::V1_2 => {
                let mut held = roles_of.remove(&sid).unwrap_or_default();
                // The primary role first; the rest in the file's order.
                held.sort_by_key(|(primary, _)| !*primary);
                let roles: Vec<PersonRole> = held.into_iter().map(|(_, r)| r).collect();
                // A change of a known user's name needs no roles; a new user without
                // one is refused when writing.
                if roles.is_empty() && !delta {
                    errors.push(RowError::new(
                        users.file,
                        *line,
                        "sourcedId",
                        format!("У пользователя {sid} нет ни одной роли в roles.csv."),
                    ));
                }
                roles
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
        for other in list(users.get(r, "agentSourcedIds")) {
            if roles.contains(&PersonRole::Student) {
                agents.push((*line, other.to_string(), sid.clone()));
            } else if roles.iter().any(|r| r.is_family()) {
                // 1.1 exports often link from the parent's side.
                agents.push((*line, sid.clone(), other.to_string()));
            }
        }
        let (birth, sex) = demographics.get(&sid).cloned().unwrap_or_default();
        p.people.push(PersonIn {
            sid,
            roles,
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
    // Roles of users the package does not have.
    let mut orphans: Vec<&String> = roles_of.keys().collect();
    orphans.sort();
    for user in orphans {
        errors.push(RowError::new(
            "roles.csv",
            0,
            "userSourcedId",
            format!("Пользователь {user} не найден в users.csv."),
        ));
    }
    let mut linked: HashSet<(String, String)> = HashSet::new();
    for (line, parent, child) in agents {
        let of = |sid: &str| p.people.iter().find(|x| x.sid == sid);
        match (of(&parent), of(&child)) {
            (Some(x), Some(c)) if x.is_family() && c.has(PersonRole::Student) => {
                if linked.insert((parent.clone(), child.clone())) {
                    p.guardians.push((parent, child));
                }
            }
            (Some(x), Some(_)) if !x.is_family() => errors.push(RowError::new(
                "users.csv",
                line,
                "agentSourcedIds",
                format!("{parent} не является родителем или опекуном."),
            )),
            (Some(_), Some(_)) => errors.push(RowError::new(
                "users.csv",
                line,
                "agentSourcedIds",
                format!("{child} не обучающийся: родителя связывают с ребёнком."),
            )),
            // A package of changes may link to someone the school has: tried when writing.
            _ if delta => {
                if linked.insert((parent.clone(), child.clone())) {
                    p.guardians.push((parent, child));
                }
            }
            // A link to someone outside the package is noted and left: the family is
            // linked when both are there.
            _ => p.warnings.push(RowError::new(
                "users.csv",
                line,
                "agentSourcedIds",
                format!(
                    "Связь {parent} — {child}: одного из них нет в users.csv, связь пропущена."
                ),
            )),
        }
    }

    let enrollments = &tables["enrollments.csv"];
    for (line, r) in &enrollments.rows {
        if gone(enrollments, r, *line, &mut errors) {
            p.removed.enrolments.push(removal(enrollments, r, *line));
            continue;
        }
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
        if !class_sids.contains(&class) && !delta {
            errors.push(RowError::new(
                enrollments.file,
                *line,
                "classSourcedId",
                format!("Класс {class} не найден в classes.csv."),
            ));
        }
        if !user_sids.contains(&user) && !delta {
            errors.push(RowError::new(
                enrollments.file,
                *line,
                "userSourcedId",
                format!("Пользователь {user} не найден в users.csv."),
            ));
        }
        let role = enrollments.get(r, "role").unwrap_or_default();
        let teacher = match role.to_ascii_lowercase().as_str() {
            "student" => false,
            "teacher" | "administrator" => true,
            _ => {
                errors.push(RowError::new(
                    enrollments.file,
                    *line,
                    "role",
                    format!("Роль «{role}» в классе не поддерживается."),
                ));
                continue;
            }
        };
        p.memberships.push(Membership {
            sid,
            line: *line,
            class_sid: class,
            person_sid: user,
            teacher,
            primary: is(enrollments.get(r, "primary"), "true"),
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
        Ok((p, encoding, version))
    } else {
        errors.sort_by(|a, b| (a.file.as_str(), a.line).cmp(&(b.file.as_str(), b.line)));
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(version: Option<&str>, users: &str, roles: Option<&str>) -> Vec<(String, Vec<u8>)> {
        let mut manifest = "propertyName,value\nmanifest.version,1.0\n".to_string();
        if let Some(v) = version {
            manifest.push_str(&format!("oneroster.version,{v}\n"));
        }
        let mut files = vec![
            ("manifest.csv".to_string(), manifest.into_bytes()),
            ("orgs.csv".into(), b"sourcedId,name,type,identifier\norg1,School,SCHOOL,\n".to_vec()),
            ("academicSessions.csv".into(), b"sourcedId,title,type,startDate,endDate,parentSourcedId\ny1,2026/27,schoolYear,2026-09-01,2027-05-31,\nt1,I,term,2026-09-01,2026-12-28,y1\n".to_vec()),
            ("classes.csv".into(), b"sourcedId,title,grades,courseSourcedId,classType,schoolSourcedId,termSourcedIds,subjectCodes\nk1,5A,\"05,06\",,homeroom,org1,\"t1,y1\",\ng1,Math,,,Scheduled,org1,t1,\"math,alg\"\n".to_vec()),
            ("users.csv".into(), users.as_bytes().to_vec()),
            ("enrollments.csv".into(), b"sourcedId,classSourcedId,schoolSourcedId,userSourcedId,role\ne1,k1,org1,u1,student\ne2,g1,org1,u2,Teacher\n".to_vec()),
        ];
        if let Some(r) = roles {
            files.push(("roles.csv".into(), r.as_bytes().to_vec()));
        }
        files
    }

    #[test]
    fn a_one_two_package_gives_each_user_their_roles_primary_first() {
        let files = package(
            Some("1.2"),
            "sourcedId,givenName,familyName,agentSourcedIds\nu1,Ivan,Petrov,u2\nu2,Anna,Petrova,\n",
            Some("sourcedId,userSourcedId,roleType,role,orgSourcedId\nr1,u1,primary,student,org1\nr3,u2,secondary,Parent,org1\nr2,u2,PRIMARY,teacher,org1\n"),
        );
        let (p, _, v) = parse_versioned(&files).unwrap();
        assert_eq!(v, Version::V1_2);
        let anna = p.people.iter().find(|x| x.sid == "u2").unwrap();
        assert_eq!(anna.roles, vec![PersonRole::Teacher, PersonRole::Parent]);
        assert_eq!(p.guardians, vec![("u2".to_string(), "u1".to_string())]);
        // List fields: the first grade, the first term (its year), the first subject code.
        assert_eq!(p.classes[0].grade, "5");
        assert_eq!(p.classes[0].year_sid, "y1");
        assert_eq!(p.groups[0].subject, "math");
    }

    #[test]
    fn homeroom_titles_as_schools_write_them() {
        for (title, grade, letter) in [
            ("5А", "5", "А"),
            ("5 а", "5", "А"),
            ("5-Б", "5", "Б"),
            ("5 «В» класс", "5", "В"),
            ("Класс 10А", "10", "А"),
            ("7 класс Г", "7", "Г"),
            ("11", "11", ""),
            ("Grade 6 B", "6", "B"),
        ] {
            assert_eq!(
                homeroom_title(title),
                (grade.to_string(), letter.to_string()),
                "{title}"
            );
        }
    }

    #[test]
    fn a_package_without_a_version_is_read_by_its_files() {
        let files = package(
            None,
            "sourcedId,role,givenName,familyName,orgSourcedIds,agentSourcedIds\nu1,student,Ivan,Petrov,org1,\nu2,guardian,Anna,Petrova,,u1\n",
            None,
        );
        let (p, _, v) = parse_versioned(&files).unwrap();
        assert_eq!(v, Version::V1_1);
        // The parent's side names the child.
        assert_eq!(p.guardians, vec![("u2".to_string(), "u1".to_string())]);
        // 1.1 with a 1.2 file is refused, naming the manifest.
        let mut mixed = package(
            Some("1.1"),
            "sourcedId,role,givenName,familyName,orgSourcedIds\nu1,student,Ivan,Petrov,org1\n",
            Some(
                "sourcedId,userSourcedId,roleType,role,orgSourcedId\nr1,u1,primary,student,org1\n",
            ),
        );
        let errors = parse_versioned(&mixed).unwrap_err();
        assert_eq!(errors[0].file, "manifest.csv");
        // A version this importer does not know.
        mixed[0].1 = b"propertyName,value\noneroster.version,2.0\n".to_vec();
        assert!(parse_versioned(&mixed).unwrap_err()[0]
            .message
            .contains("2.0"));
    }
}
