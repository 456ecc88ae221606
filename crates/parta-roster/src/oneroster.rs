//! OneRoster 1.2 CSV bulk packages: a ZIP with `manifest.csv` and the data files.

use crate::decode::decode_owned;
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

/// Reads a region's ZIP (several schools), within its larger bounds.
pub fn unzip_region(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, RowError> {
    crate::limits::read_zip(bytes, true, crate::limits::MAX_REGION_UNPACKED, "(архив)")
}

/// One CSV file as rows addressable by column name.
pub struct Table {
    pub file: &'static str,
    headers: HashMap<String, usize>,
    pub rows: Vec<(u64, Row)>,
}

/// One data row, held compactly: its cells' text one after another and where each ends.
/// A region's package has ~1 M rows; as `Row`s (a boxed record with a
/// position, a grown buffer and a `usize` bound a cell) they took about three times
/// their text.
#[derive(Debug, Clone)]
pub struct Row {
    text: Box<str>,
    ends: Box<[u32]>,
}

impl Row {
    fn of(r: &csv::StringRecord) -> Row {
        let mut text = String::with_capacity(r.as_slice().len());
        let mut ends = Vec::with_capacity(r.len());
        for cell in r {
            text.push_str(cell);
            // A package is bounded well below 4 GiB (`limits`): an offset fits.
            ends.push(u32::try_from(text.len()).unwrap_or(u32::MAX));
        }
        Row {
            text: text.into_boxed_str(),
            ends: ends.into_boxed_slice(),
        }
    }

    /// The `i`-th cell.
    pub fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)? as usize;
        let start = match i {
            0 => 0,
            _ => self.ends[i - 1] as usize,
        };
        self.text.get(start..end)
    }
}

impl Table {
    pub fn get<'a>(&self, row: &'a Row, col: &str) -> Option<&'a str> {
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
    let text: std::borrow::Cow<str> = if text.contains('\r') {
        text.replace("\r\n", "\n").into()
    } else {
        text.into()
    };
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
    let mut record = csv::StringRecord::new();
    loop {
        // One record read into again and again; each row kept as a compact [`Row`].
        let rec = match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => Ok(&record),
            Err(e) => Err(e),
        };
        if rows.len() >= max_rows {
            errors.push(RowError::new(
                file,
                0,
                "",
                format!(
                    "В файле больше {max_rows} строк — больше, чем принимается за одну загрузку. Разделите пакет (по школам или муниципалитетам)."
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
            Ok(r) => rows.push((r.position().map(|p| p.line()).unwrap_or(0), Row::of(r))),
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
    rows.shrink_to_fit();
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

/// One organisation of `orgs.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgRow {
    pub sid: String,
    pub name: String,
    /// `school`, `district`, `department`, … (lower case).
    pub kind: String,
    pub identifier: Option<String>,
    pub parent: Option<String>,
    pub line: u64,
}

/// Birth date and sex by user sourcedId (`demographics.csv`).
type Demographics = HashMap<String, (Option<String>, Option<String>)>;

/// A package read and checked as a whole, before it is taken apart by school.
struct Source {
    version: Version,
    encoding: &'static str,
    delta: bool,
    delta_files: HashSet<String>,
    tables: HashMap<&'static str, Table>,
    demographics: Demographics,
    orgs: Vec<OrgRow>,
    /// Every organisation's sourcedId → the school it is part of: a school is its own, a
    /// building or department the school above it; a district or a state has none.
    home: HashMap<String, String>,
    org_sids: HashSet<String>,
    /// Files and columns read and not applied, each named.
    warnings: Vec<RowError>,
}

/// Organisation types of OneRoster (1.1 and 1.2).
const ORG_TYPES: &[&str] = &[
    "department",
    "school",
    "district",
    "local",
    "state",
    "national",
];

/// `orgs.csv`: types known, parents present, no cycles; each organisation's school.
fn read_orgs(
    orgs: &Table,
    delta_files: &HashSet<String>,
    errors: &mut Vec<RowError>,
) -> (Vec<OrgRow>, HashMap<String, String>) {
    let mut out: Vec<OrgRow> = Vec::new();
    for (line, r) in &orgs.rows {
        if is(orgs.get(r, "status"), "tobedeleted") {
            errors.push(RowError::new(
                orgs.file,
                *line,
                "status",
                "Эти записи пакет не удаляет: учебные годы и организации меняются в реестре.",
            ));
        }
        let kind = orgs.get(r, "type").unwrap_or_default().to_ascii_lowercase();
        if !ORG_TYPES.contains(&kind.as_str()) {
            errors.push(RowError::new(
                orgs.file,
                *line,
                "type",
                format!(
                    "Тип организации «{kind}»: ожидается school, district, department, local, state или national."
                ),
            ));
        }
        out.push(OrgRow {
            sid: orgs.get(r, "sourcedId").unwrap_or_default().to_string(),
            name: orgs.get(r, "name").unwrap_or_default().to_string(),
            kind,
            identifier: orgs.get(r, "identifier").map(str::to_string),
            parent: orgs.get(r, "parentSourcedId").map(str::to_string),
            line: *line,
        });
    }
    let by_sid: HashMap<&str, &OrgRow> = out.iter().map(|o| (o.sid.as_str(), o)).collect();
    let mut home = HashMap::new();
    for o in &out {
        // Up the parents: a cycle or a missing parent is the file's mistake.
        let mut chain = vec![o.sid.as_str()];
        let mut at = o;
        let mut school = (at.kind == "school").then(|| at.sid.clone());
        while let Some(parent) = at.parent.as_deref() {
            if chain.contains(&parent) {
                chain.push(parent);
                errors.push(RowError::new(
                    orgs.file,
                    o.line,
                    "parentSourcedId",
                    format!(
                        "Организации подчинены друг другу по кругу: {}.",
                        chain.join(" → ")
                    ),
                ));
                break;
            }
            let Some(next) = by_sid.get(parent) else {
                // A package of changes may name a parent the region has.
                if !delta_files.contains(orgs.file) {
                    errors.push(RowError::new(
                        orgs.file,
                        o.line,
                        "parentSourcedId",
                        format!("Вышестоящей организации {parent} нет в orgs.csv."),
                    ));
                }
                break;
            };
            chain.push(parent);
            at = next;
            if school.is_none() && at.kind == "school" {
                school = Some(at.sid.clone());
            }
        }
        if let Some(s) = school {
            home.insert(o.sid.clone(), s);
        }
    }
    (out, home)
}

/// Files a package may hold that the platform reads and does not apply: 0 sign-in profiles,
/// 1 the gradebook, 2 resources.
const NOT_APPLIED: &[(&str, u8)] = &[
    ("userProfiles.csv", 0),
    ("lineItems.csv", 1),
    ("results.csv", 1),
    ("categories.csv", 1),
    ("scoreScales.csv", 1),
    ("lineItemScoreScales.csv", 1),
    ("resultScoreScales.csv", 1),
    ("lineItemLearningObjectiveIds.csv", 1),
    ("resultLearningObjectiveIds.csv", 1),
    ("resources.csv", 2),
    ("classResources.csv", 2),
    ("courseResources.csv", 2),
];

/// Columns each file's rows are applied from; any other column with a value is reported.
fn applied_columns(file: &str) -> &'static [&'static str] {
    match file {
        "orgs.csv" => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "name",
            "type",
            "identifier",
            "parentSourcedId",
        ],
        "academicSessions.csv" => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "title",
            "type",
            "startDate",
            "endDate",
            "parentSourcedId",
            "schoolYear",
        ],
        "courses.csv" => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "title",
            "courseCode",
            "subjectCodes",
            "subjects",
            "orgSourcedId",
            "schoolYearSourcedId",
            "grades",
        ],
        "classes.csv" => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "title",
            "grades",
            "courseSourcedId",
            "classType",
            "schoolSourcedId",
            "termSourcedIds",
            "subjects",
            "subjectCodes",
        ],
        "users.csv" => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "enabledUser",
            "role",
            "orgSourcedIds",
            "username",
            "userIds",
            "givenName",
            "familyName",
            "middleName",
            "email",
            "phone",
            "agentSourcedIds",
            "grades",
            "primaryOrgSourcedId",
        ],
        "roles.csv" => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "userSourcedId",
            "roleType",
            "role",
            "orgSourcedId",
        ],
        "enrollments.csv" => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "classSourcedId",
            "schoolSourcedId",
            "userSourcedId",
            "role",
            "primary",
            "beginDate",
        ],
        "demographics.csv" => &[
            "sourcedId",
            "status",
            "dateLastModified",
            "birthDate",
            "sex",
        ],
        _ => &[],
    }
}

/// What a package holds and the platform does not keep — whole files and columns with
/// values — each reported with the file and the reason: nothing is dropped in silence.
fn unapplied(
    files: &HashMap<String, Vec<u8>>,
    tables: &HashMap<&'static str, Table>,
    demographics: Option<&Table>,
) -> Vec<RowError> {
    let mut out = Vec::new();
    for (name, bytes) in files {
        if name == "manifest.csv"
            || tables.contains_key(name.as_str())
            || name == "demographics.csv"
        {
            continue;
        }
        let rows = bytes
            .split(|b| *b == b'\n')
            .skip(1)
            .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
            .count();
        if rows == 0 {
            continue;
        }
        let kind = NOT_APPLIED
            .iter()
            .find(|(f, _)| f.eq_ignore_ascii_case(name))
            .map(|(_, k)| *k);
        let message = match kind {
            Some(0) => format!("Файл прочитан, но не перенесён (строк: {rows}): профили входа во внешние системы платформа не хранит."),
            Some(1) => format!("Файл прочитан, но не перенесён (строк: {rows}): оценки и работы передаются через сервис Gradebook (REST), а не пакетом CSV."),
            Some(_) => format!("Файл прочитан, но не перенесён (строк: {rows}): ссылки на ресурсы курсов платформа не хранит."),
            None => format!("Файл прочитан, но не перенесён (строк: {rows}): это не файл спецификации OneRoster."),
        };
        out.push(RowError::new(name, 0, "", message));
    }
    for t in tables.values().chain(demographics) {
        let applied = applied_columns(t.file);
        let mut unused: Vec<(&str, usize)> = t
            .headers
            .iter()
            .filter(|(h, _)| !applied.contains(&h.as_str()))
            .map(|(h, i)| (h.as_str(), *i))
            .collect();
        unused.sort_by_key(|(_, i)| *i);
        let mut named = Vec::new();
        let mut rows = 0usize;
        // A class's code equal to its title is kept (as its name).
        let title = t.headers.get("title").copied();
        for (h, i) in unused {
            let n = t
                .rows
                .iter()
                .filter(|(_, r)| {
                    r.get(i).is_some_and(|v| {
                        let kept_as_name =
                            h == "classCode" && title.and_then(|ti| r.get(ti)) == Some(v);
                        !v.trim().is_empty() && !kept_as_name
                    })
                })
                .count();
            if n > 0 {
                named.push(h);
                rows = rows.max(n);
            }
        }
        if !named.is_empty() {
            let passwords = named.contains(&"password");
            out.push(RowError::new(
                t.file,
                1,
                &named.join(", "),
                if passwords {
                    format!("Столбцы прочитаны, но платформа их не хранит: значения не перенесены (строк со значениями: {rows}). Пароли из пакета не переносятся никогда — выдайте письма со входом.")
                } else {
                    format!("Столбцы прочитаны, но платформа их не хранит: значения не перенесены (строк со значениями: {rows}).")
                },
            ));
        }
    }
    out
}

/// Bounds of one upload: a school's package or a region's.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub rows: usize,
    pub unpacked: u64,
}

impl Bounds {
    pub const SCHOOL: Bounds = Bounds {
        rows: MAX_TABLE_ROWS,
        unpacked: crate::limits::MAX_UNPACKED,
    };
    pub const REGION: Bounds = Bounds {
        rows: crate::limits::MAX_REGION_TABLE_ROWS,
        unpacked: crate::limits::MAX_REGION_UNPACKED,
    };
}

/// Reads a package: its manifest, version and files, each within `bounds`.
/// Each file's bytes are let go as soon as its text is read, and each text once its rows
/// are (a region's package is ~100 MB).
fn read(files: Vec<(String, Vec<u8>)>, bounds: Bounds) -> Result<Source, Vec<RowError>> {
    let mut errors = Vec::new();
    let mut encoding = "UTF-8";
    let mut present: HashMap<String, Vec<u8>> = files.into_iter().collect();
    let has_roles = present.contains_key("roles.csv");
    let mut text_of = |name: &'static str,
                       present: &mut HashMap<String, Vec<u8>>,
                       errors: &mut Vec<RowError>|
     -> Option<String> {
        let bytes = present.remove(name)?;
        match decode_owned(bytes) {
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
    let Some(manifest_text) = text_of("manifest.csv", &mut present, &mut errors) else {
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
        if let Some(t) = text_of(name, &mut present, &mut errors) {
            texts.insert(name, t);
        }
    }
    // A package of changes: its rows may name what the school already has, and a file
    // it leaves out is simply unchanged.
    let delta_files: HashSet<String> = manifest
        .modes
        .iter()
        .filter(|(_, (_, m))| m == "delta")
        .map(|(f, _)| f.clone())
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
        // Each text is let go once its rows are read (a region's are ~100 MB).
        match texts.remove(name) {
            Some(t) => {
                if let Some(tab) = table(name, &t, b',', required, bounds.rows, &mut errors) {
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
    // A set of files with headers only (a template): nothing to write, and said so.
    if errors.is_empty() && tables.values().all(|t| t.rows.is_empty()) {
        return Err(vec![RowError::new(
            "manifest.csv",
            1,
            "",
            "В файлах пакета только заголовки, строк с данными нет (это шаблон?): заполните файлы и загрузите снова. Ничего не записано.",
        )]);
    }

    let (orgs, home) = read_orgs(&tables["orgs.csv"], &delta_files, &mut errors);
    let org_sids: HashSet<String> = orgs.iter().map(|o| o.sid.clone()).collect();
    let demo_table = match texts.get("demographics.csv") {
        Some(t) => table(
            "demographics.csv",
            t,
            b',',
            &["sourcedId"],
            bounds.rows,
            &mut errors,
        ),
        None => None,
    };
    let demographics: Demographics = demo_table
        .as_ref()
        .map(|d| {
            d.rows
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
                .collect()
        })
        .unwrap_or_default();
    // What is left of the archive was not read: reported.
    let mut warnings = unapplied(&present, &tables, demo_table.as_ref());
    drop(demo_table);

    if !errors.is_empty() {
        return Err(errors);
    }
    warnings.sort_by(|a, b| (a.file.as_str(), a.line).cmp(&(b.file.as_str(), b.line)));
    Ok(Source {
        version,
        encoding,
        delta,
        delta_files,
        tables,
        demographics,
        orgs,
        home,
        org_sids,
        warnings,
    })
}

/// Parses and validates a whole OneRoster package of one school, 1.1 or 1.2.
pub fn parse(files: Vec<(String, Vec<u8>)>) -> Result<(Package, &'static str), Vec<RowError>> {
    parse_versioned(files).map(|(p, enc, _)| (p, enc))
}

/// As [`parse`], with the version found.
pub fn parse_versioned(
    files: Vec<(String, Vec<u8>)>,
) -> Result<(Package, &'static str, Version), Vec<RowError>> {
    let mut src = read(files, Bounds::SCHOOL)?;
    let tables = std::mem::take(&mut src.tables);
    let mut errors = Vec::new();
    let mut p = Package {
        delta: src.delta,
        warnings: std::mem::take(&mut src.warnings),
        ..Package::default()
    };
    let schools: Vec<&OrgRow> = src.orgs.iter().filter(|o| o.kind == "school").collect();
    match schools.as_slice() {
        [one] => {
            p.org_sid = Some(one.sid.clone());
            p.org_identifier = one.identifier.clone();
        }
        // A package of changes names its school by the rows' schoolSourcedId (below).
        [] if src.delta => {}
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
            format!(
                "В пакете несколько школ (type = school: {}): такой пакет загружает оператор муниципалитета или региона на странице «Загрузка пакета OneRoster» своей территории, либо загрузите пакет каждой школы в её карточке.",
                schools.len()
            ),
        )),
    }
    let mut school = p.org_sid.clone().unwrap_or_default();
    if school.is_empty() && src.delta {
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
    if !errors.is_empty() {
        return Err(errors);
    }
    school_package(&src, &tables, &school, None, &mut p, &mut errors);
    finish(errors)?;
    Ok((p, src.encoding, src.version))
}

/// A package of several schools (a district with its schools, a region's export): each
/// school's part as its own [`Package`], read and checked together.
#[derive(Debug)]
pub struct RegionPackage {
    pub version: Version,
    pub encoding: &'static str,
    pub delta: bool,
    pub orgs: Vec<OrgRow>,
    /// One a school, in the order of `orgs.csv`.
    pub schools: Vec<Package>,
    /// Read and not applied: files, columns, people of no school, district staff.
    pub warnings: Vec<RowError>,
}

/// Parses and validates a package of several schools whole; rows are taken apart by the
/// school they belong to (a class and its enrolments by `schoolSourcedId`, a user by the
/// schools of their roles, a parent by their children's schools).
pub fn parse_region(files: Vec<(String, Vec<u8>)>) -> Result<RegionPackage, Vec<RowError>> {
    let mut src = read(files, Bounds::REGION)?;
    let tables = std::mem::take(&mut src.tables);
    let mut errors = Vec::new();
    let mut warnings = std::mem::take(&mut src.warnings);
    // A package of changes may name schools by its rows only.
    if src.delta {
        for (file, col) in [
            ("classes.csv", "schoolSourcedId"),
            ("enrollments.csv", "schoolSourcedId"),
        ] {
            if let Some(t) = tables.get(file) {
                for (_, r) in &t.rows {
                    if let Some(v) = t.get(r, col) {
                        if !src.org_sids.contains(v) {
                            src.home.insert(v.to_string(), v.to_string());
                        }
                    }
                }
            }
        }
    }
    let mut school_sids: Vec<String> = src
        .orgs
        .iter()
        .filter(|o| o.kind == "school")
        .map(|o| o.sid.clone())
        .collect();
    for h in src.home.values() {
        if !school_sids.contains(h) {
            school_sids.push(h.clone());
        }
    }
    if school_sids.is_empty() {
        return Err(vec![RowError::new(
            "orgs.csv",
            1,
            "type",
            "В пакете нет организации с type = school.",
        )]);
    }
    if school_sids.len() > crate::limits::MAX_REGION_SCHOOLS {
        return Err(vec![RowError::new(
            "orgs.csv",
            0,
            "type",
            format!(
                "В пакете {} школ — больше допустимых {} за одну загрузку: разделите пакет по муниципалитетам.",
                school_sids.len(),
                crate::limits::MAX_REGION_SCHOOLS
            ),
        )]);
    }
    let everyone: HashSet<String> = tables
        .get("users.csv")
        .map(|t| {
            t.rows
                .iter()
                .filter_map(|(_, r)| t.get(r, "sourcedId").map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let parts = split(tables, &school_sids, &src, &mut errors, &mut warnings);
    let mut schools = Vec::new();
    for (sid, t) in school_sids.iter().zip(parts) {
        let mut p = Package {
            delta: src.delta,
            org_sid: Some(sid.clone()),
            org_identifier: src
                .orgs
                .iter()
                .find(|o| &o.sid == sid)
                .and_then(|o| o.identifier.clone()),
            ..Package::default()
        };
        school_package(&src, &t, sid, Some(&everyone), &mut p, &mut errors);
        drop(t);
        schools.push(p);
    }
    finish(errors)?;
    warnings.sort_by(|a, b| (a.file.as_str(), a.line).cmp(&(b.file.as_str(), b.line)));
    Ok(RegionPackage {
        version: src.version,
        encoding: src.encoding,
        delta: src.delta,
        orgs: src.orgs,
        schools,
        warnings,
    })
}

/// Errors sorted by file and line, once each.
fn finish(mut errors: Vec<RowError>) -> Result<(), Vec<RowError>> {
    if errors.is_empty() {
        return Ok(());
    }
    errors.sort_by(|a, b| {
        (
            a.file.as_str(),
            a.line,
            a.column.as_str(),
            a.message.as_str(),
        )
            .cmp(&(
                b.file.as_str(),
                b.line,
                b.column.as_str(),
                b.message.as_str(),
            ))
    });
    errors.dedup();
    Err(errors)
}

/// Takes a region's tables apart into one set a school, in the order of `schools`. The
/// small files (orgs, sessions, courses) go to every school whole; classes and
/// enrolments to the school they name; users to each school they hold a role in, parents
/// to their children's schools. What belongs to no school is reported.
fn split(
    mut tables: HashMap<&'static str, Table>,
    schools: &[String],
    src: &Source,
    errors: &mut Vec<RowError>,
    warnings: &mut Vec<RowError>,
) -> Vec<HashMap<&'static str, Table>> {
    let index: HashMap<&str, usize> = schools
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    let school_of = |org: &str| -> Option<usize> {
        src.home
            .get(org)
            .and_then(|h| index.get(h.as_str()).copied())
    };
    let empty_like = |t: &Table| Table {
        file: t.file,
        headers: t.headers.clone(),
        rows: Vec::new(),
    };
    let mut parts: Vec<HashMap<&'static str, Table>> = (0..schools.len())
        .map(|_| {
            tables
                .iter()
                .map(|(name, t)| {
                    let whole = matches!(*name, "orgs.csv" | "academicSessions.csv");
                    (
                        *name,
                        if whole {
                            Table {
                                file: t.file,
                                headers: t.headers.clone(),
                                rows: t.rows.clone(),
                            }
                        } else {
                            empty_like(t)
                        },
                    )
                })
                .collect()
        })
        .collect();
    let mut take = |name: &str| tables.remove(name);
    // Courses: a school's to the school, a district's (or no one's) to every school.
    if let Some(courses) = take("courses.csv") {
        for (line, r) in courses.rows.iter() {
            let to: Vec<usize> = match courses.get(r, "orgSourcedId").and_then(school_of) {
                Some(i) => vec![i],
                None => (0..schools.len()).collect(),
            };
            for i in to {
                if let Some(t) = parts[i].get_mut("courses.csv") {
                    t.rows.push((*line, r.clone()));
                }
            }
        }
    }
    // Each id once a file across the whole package.
    let once = |t: &Table,
                r: &Row,
                line: u64,
                seen: &mut HashMap<String, u64>,
                errors: &mut Vec<RowError>| {
        let sid = t.get(r, "sourcedId").unwrap_or_default();
        if let Some(first) = seen.get(sid) {
            errors.push(RowError::new(
                t.file,
                line,
                "sourcedId",
                format!("Идентификатор {sid} повторяется: он уже есть в строке {first}."),
            ));
        } else {
            seen.insert(sid.to_string(), line);
        }
    };

    // Classes by their school.
    let mut class_school: HashMap<String, usize> = HashMap::new();
    if let Some(mut classes) = take("classes.csv") {
        let mut seen = HashMap::new();
        // Rows move to their school's part (no copy of the file held beside it).
        for (line, row) in std::mem::take(&mut classes.rows) {
            let line = &line;
            let r = &row;
            once(&classes, r, *line, &mut seen, errors);
            let org = classes.get(r, "schoolSourcedId").unwrap_or_default();
            match school_of(org) {
                Some(i) => {
                    class_school.insert(
                        classes.get(r, "sourcedId").unwrap_or_default().to_string(),
                        i,
                    );
                    if let Some(t) = parts[i].get_mut("classes.csv") {
                        t.rows.push((*line, row));
                    }
                }
                None => errors.push(RowError::new(
                    classes.file,
                    *line,
                    "schoolSourcedId",
                    format!(
                        "Класс относится к организации «{org}», которой нет среди школ orgs.csv."
                    ),
                )),
            }
        }
    }
    // Enrolments by their school; the class must be of the same school.
    let mut user_schools: HashMap<String, Vec<usize>> = HashMap::new();
    let add = |user: &str, i: usize, m: &mut HashMap<String, Vec<usize>>| {
        let v = m.entry(user.to_string()).or_default();
        if !v.contains(&i) {
            v.push(i);
        }
    };
    if let Some(mut enrollments) = take("enrollments.csv") {
        let mut seen = HashMap::new();
        for (line, row) in std::mem::take(&mut enrollments.rows) {
            let line = &line;
            let r = &row;
            once(&enrollments, r, *line, &mut seen, errors);
            let class = enrollments.get(r, "classSourcedId").unwrap_or_default();
            let named = enrollments.get(r, "schoolSourcedId");
            let by_class = class_school.get(class).copied();
            let i = match (named.map(|o| (o, school_of(o))), by_class) {
                (Some((_, Some(a))), Some(b)) if a != b => {
                    errors.push(RowError::new(
                        enrollments.file,
                        *line,
                        "classSourcedId",
                        format!(
                            "Класс {class} относится к школе {}, а запись — к школе {}.",
                            schools[b], schools[a]
                        ),
                    ));
                    continue;
                }
                (Some((_, Some(a))), _) => a,
                (_, Some(b)) => b,
                (Some((o, None)), None) => {
                    errors.push(RowError::new(
                        enrollments.file,
                        *line,
                        "schoolSourcedId",
                        format!("Организации «{o}» нет среди школ orgs.csv."),
                    ));
                    continue;
                }
                (None, None) => {
                    errors.push(RowError::new(
                        enrollments.file,
                        *line,
                        "classSourcedId",
                        format!("Класс {class} не найден в classes.csv."),
                    ));
                    continue;
                }
            };
            if let Some(u) = enrollments.get(r, "userSourcedId") {
                add(u, i, &mut user_schools);
            }
            if let Some(t) = parts[i].get_mut("enrollments.csv") {
                t.rows.push((*line, row));
            }
        }
    }
    // Roles (1.2): at a school, or (family roles) anywhere in the package.
    let mut family: HashSet<String> = HashSet::new();
    let mut family_roles: Vec<(u64, Row, String)> = Vec::new();
    let roles = take("roles.csv");
    if let Some(roles) = &roles {
        for (line, r) in roles.rows.iter() {
            let user = roles
                .get(r, "userSourcedId")
                .unwrap_or_default()
                .to_string();
            let org = roles.get(r, "orgSourcedId").unwrap_or_default();
            let is_family = roles
                .get(r, "role")
                .and_then(person_role)
                .is_some_and(PersonRole::is_family);
            if is_family && src.org_sids.contains(org) {
                // Held in no organisation: it goes with the user to each of their schools.
                family.insert(user.clone());
                if let Some(i) = school_of(org) {
                    add(&user, i, &mut user_schools);
                }
                family_roles.push((*line, r.clone(), user));
                continue;
            }
            match school_of(org) {
                Some(i) => {
                    add(&user, i, &mut user_schools);
                    if let Some(t) = parts[i].get_mut("roles.csv") {
                        t.rows.push((*line, r.clone()));
                    }
                }
                None if src.org_sids.contains(org) => warnings.push(RowError::new(
                    roles.file,
                    *line,
                    "orgSourcedId",
                    format!(
                        "Роль в организации {org} (не школа) не перенесена: сотрудников органов управления назначает оператор в карточке территории."
                    ),
                )),
                None => errors.push(RowError::new(
                    roles.file,
                    *line,
                    "orgSourcedId",
                    format!("Организации {org} нет в orgs.csv."),
                )),
            }
        }
    }
    // Users: 1.1 names their organisations; family by the children either side links.
    let users = take("users.csv");
    let mut links: Vec<(String, String)> = Vec::new();
    if let Some(users) = &users {
        let mut seen = HashMap::new();
        for (line, r) in users.rows.iter() {
            once(users, r, *line, &mut seen, errors);
            let sid = users.get(r, "sourcedId").unwrap_or_default().to_string();
            if src.version == Version::V1_1 {
                let role = users.get(r, "role").and_then(person_role);
                if role.is_some_and(PersonRole::is_family) {
                    family.insert(sid.clone());
                } else {
                    for o in list(users.get(r, "orgSourcedIds")) {
                        if let Some(i) = school_of(o) {
                            add(&sid, i, &mut user_schools);
                        }
                    }
                }
            }
            for other in list(users.get(r, "agentSourcedIds")) {
                links.push((sid.clone(), other.to_string()));
            }
        }
    }
    // A parent goes where their children study (links from either side).
    for (a, b) in &links {
        let (parent, child) = if family.contains(a) { (a, b) } else { (b, a) };
        if !family.contains(parent) {
            continue;
        }
        let of_child = user_schools.get(child).cloned().unwrap_or_default();
        for i in of_child {
            add(parent, i, &mut user_schools);
        }
    }
    for (line, r, user) in family_roles {
        for i in user_schools.get(&user).cloned().unwrap_or_default() {
            if let Some(t) = parts[i].get_mut("roles.csv") {
                t.rows.push((line, r.clone()));
            }
        }
    }
    if let Some(mut users) = users {
        let rows = std::mem::take(&mut users.rows);
        for (line, r) in rows {
            let sid = users.get(&r, "sourcedId").unwrap_or_default().to_string();
            match user_schools.get(&sid).map(Vec::as_slice) {
                Some([]) | None => warnings.push(RowError::new(
                    users.file,
                    line,
                    "sourcedId",
                    format!("Пользователь {sid} не относится ни к одной школе пакета (нет роли в школе, записи в класс или ребёнка в школе): строка не перенесена."),
                )),
                Some([one]) => {
                    if let Some(t) = parts[*one].get_mut("users.csv") {
                        t.rows.push((line, r));
                    }
                }
                Some(many) => {
                    for i in many {
                        if let Some(t) = parts[*i].get_mut("users.csv") {
                            t.rows.push((line, r.clone()));
                        }
                    }
                }
            }
        }
    }
    drop(roles);
    parts
}

/// One school's part of a package: its years, classes, groups, people, families and
/// enrolments, every row checked; `p` gets what is read, `errors` what is refused.
fn school_package(
    src: &Source,
    tables: &HashMap<&'static str, Table>,
    school: &str,
    // In a package of several schools: every user of it (a link to someone in another
    // school's part is made there).
    everyone: Option<&HashSet<String>>,
    p: &mut Package,
    errors: &mut Vec<RowError>,
) {
    let errors = &mut *errors;
    // The school itself, or a part of it (a building, a department).
    let at_school = |org: &str| org == school || src.home.get(org).is_some_and(|h| h == school);
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
    let gone = |t: &Table, r: &Row, line: u64, errors: &mut Vec<RowError>| -> bool {
        if !is(t.get(r, "status"), "tobedeleted") {
            return false;
        }
        if src.delta_files.contains(t.file) {
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
    let status_ok = |t: &Table, r: &Row, line: u64, errors: &mut Vec<RowError>| {
        if gone(t, r, line, errors) {
            errors.push(RowError::new(
                t.file,
                line,
                "status",
                "Эти записи пакет не удаляет: учебные годы и организации меняются в реестре.",
            ));
        }
    };
    let removal = |t: &Table, r: &Row, line: u64| Gone {
        sid: t.get(r, "sourcedId").unwrap_or_default().to_string(),
        file: t.file.to_string(),
        line,
    };

    let sessions = &tables["academicSessions.csv"];
    let mut terms: HashMap<String, String> = HashMap::new(); // term → school year
    for (line, r) in &sessions.rows {
        status_ok(sessions, r, *line, errors);
        let sid = sessions.get(r, "sourcedId").unwrap_or_default().to_string();
        dup("academicSessions.csv", &sid, *line, errors);
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
            dup("courses.csv", &sid, *line, errors);
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
        if gone(classes, r, *line, errors) {
            p.removed.classes.push(removal(classes, r, *line));
            continue;
        }
        let sid = classes.get(r, "sourcedId").unwrap_or_default().to_string();
        dup("classes.csv", &sid, *line, errors);
        class_sids.insert(sid.clone());
        if !at_school(classes.get(r, "schoolSourcedId").unwrap_or_default()) {
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
        let year_sid = year_of(&term).or_else(|| src.delta.then(|| term.clone()));
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

    // 1.2: every role of every user, in this school, the primary one first.
    let mut roles_of: HashMap<String, Vec<(bool, PersonRole)>> = HashMap::new();
    if let Some(roles) = tables.get("roles.csv") {
        let mut seen_roles: HashSet<(String, String, String)> = HashSet::new();
        for (line, r) in &roles.rows {
            if gone(roles, r, *line, errors) {
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
            // A family role is held in no organisation: a package may give it in the
            // district (the region's packages do).
            let family = person_role(name).is_some_and(PersonRole::is_family);
            let here = at_school(&org) || (family && src.org_sids.contains(&org));
            if !here {
                errors.push(RowError::new(
                    roles.file,
                    *line,
                    "orgSourcedId",
                    if src.org_sids.contains(&org) {
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
        if gone(users, r, *line, errors) {
            p.removed.people.push(removal(users, r, *line));
            continue;
        }
        let sid = users.get(r, "sourcedId").unwrap_or_default().to_string();
        dup("users.csv", &sid, *line, errors);
        user_sids.insert(sid.clone());
        let roles: Vec<PersonRole> = match src.version {
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
                    && !list(users.get(r, "orgSourcedIds"))
                        .iter()
                        .any(|o| at_school(o))
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
                if roles.is_empty() && !src.delta {
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
        let (birth, sex) = src.demographics.get(&sid).cloned().unwrap_or_default();
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
    let index: HashMap<String, usize> = p
        .people
        .iter()
        .enumerate()
        .map(|(i, x)| (x.sid.clone(), i))
        .collect();
    for (line, parent, child) in agents {
        let of = |sid: &str| index.get(sid).map(|i| &p.people[*i]);
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
            _ if src.delta => {
                if linked.insert((parent.clone(), child.clone())) {
                    p.guardians.push((parent, child));
                }
            }
            // Both in the package, in another school's part: linked there.
            _ if everyone.is_some_and(|all| all.contains(&parent) && all.contains(&child)) => {}
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
        if gone(enrollments, r, *line, errors) {
            p.removed.enrolments.push(removal(enrollments, r, *line));
            continue;
        }
        let sid = enrollments
            .get(r, "sourcedId")
            .unwrap_or_default()
            .to_string();
        dup("enrollments.csv", &sid, *line, errors);
        let class = enrollments
            .get(r, "classSourcedId")
            .unwrap_or_default()
            .to_string();
        let user = enrollments
            .get(r, "userSourcedId")
            .unwrap_or_default()
            .to_string();
        if !class_sids.contains(&class) && !src.delta {
            errors.push(RowError::new(
                enrollments.file,
                *line,
                "classSourcedId",
                format!("Класс {class} не найден в classes.csv."),
            ));
        }
        if !user_sids.contains(&user) && !src.delta {
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
    let homerooms: HashSet<&str> = p.classes.iter().map(|c| c.sid.as_str()).collect();
    for m in p.memberships.iter().filter(|m| !m.teacher) {
        if homerooms.contains(m.class_sid.as_str()) {
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
        let (p, _, v) = parse_versioned(files.clone()).unwrap();
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
        let (p, _, v) = parse_versioned(files.clone()).unwrap();
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
        let errors = parse_versioned(mixed.clone()).unwrap_err();
        assert_eq!(errors[0].file, "manifest.csv");
        // A version this importer does not know.
        mixed[0].1 = b"propertyName,value\noneroster.version,2.0\n".to_vec();
        assert!(parse_versioned(mixed.clone()).unwrap_err()[0]
            .message
            .contains("2.0"));
    }
}
