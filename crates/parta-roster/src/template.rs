//! The simple Russian template for a school: one row per student with one parent,
//! as a school secretary keeps it in Excel (`;`-separated, UTF-8 or Windows-1251).

use crate::decode::decode;
use crate::limits::{MAX_COLUMNS, MAX_TEMPLATE_ROWS};
use crate::model::*;
use crate::oneroster::table;

pub const COLUMNS: [&str; 15] = [
    "Фамилия",
    "Имя",
    "Отчество",
    "Дата рождения",
    "Пол",
    "СНИЛС",
    "Класс",
    "Дата зачисления",
    "Родитель: фамилия",
    "Родитель: имя",
    "Родитель: отчество",
    "Родитель: СНИЛС",
    "Родитель: телефон",
    "Родитель: эл. почта",
    "Кем приходится",
];

/// An empty template with an example row, in UTF-8 with BOM so Excel opens it right.
pub fn blank() -> String {
    let mut s = String::from("\u{FEFF}");
    s.push_str(&COLUMNS.join(";"));
    s.push_str("\r\nИванов;Пётр;Сергеевич;2015-03-14;м;112-233-445 95;4А;2022-09-01;Иванова;Мария;Петровна;;+7 912 345-67-89;ivanova@mail.ru;мать\r\n");
    s
}

/// Dates as people type them: `14.03.2015` or `2015-03-14`.
fn date(s: &str) -> Option<String> {
    chrono::NaiveDate::parse_from_str(s, "%d.%m.%Y")
        .or_else(|_| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d"))
        .ok()
        .map(|d| d.to_string())
}

/// A stable id for a templated person: СНИЛС if given, else name and birth date.
fn sid(snils: Option<&str>, parts: &[&str]) -> String {
    match snils {
        Some(s) => format!("snils:{s}"),
        None => format!("tpl:{}", parts.join("|").to_lowercase()),
    }
}

/// Whether a ZIP upload is an Excel workbook rather than a OneRoster package.
pub fn is_xlsx(bytes: &[u8]) -> bool {
    zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .is_ok_and(|z| z.file_names().any(|n| n == "xl/workbook.xml"))
}

/// The template saved as an Excel workbook: the first sheet, read as the CSV would be.
///
/// The sheet is read cell by cell, never as the dense range it claims to span (a sheet with
/// cells at `A1` and `XFD1048576` would otherwise mean 17 billion cells): the archive is
/// unpacked within [`crate::limits`] first, and a value beyond
/// [`MAX_TEMPLATE_ROWS`] rows or [`MAX_COLUMNS`] columns refuses the file.
pub fn parse_xlsx(bytes: &[u8]) -> Result<(Package, &'static str), Vec<RowError>> {
    const F: &str = "шаблон.xlsx";
    let refuse = |m: String| vec![RowError::new(F, 0, "", m)];
    let entries = crate::limits::read_zip(bytes, true, crate::limits::MAX_UNPACKED_XLSX, F)
        .map_err(|e| vec![e])?;
    // Cell references are checked before the reader sees them: it computes positions
    // from them without overflow checks (found by bench/fuzz.sh).
    for (name, xml) in &entries {
        if name.ends_with(".xml") {
            if let Some(bad) = bad_cell_reference(xml) {
                return Err(refuse(format!(
                    "В листе Excel неверная ссылка на ячейку «{bad}»: файл повреждён или создан не в Excel."
                )));
            }
        }
    }
    drop(entries);
    // The reader is third-party code fed an outside file: a panic in it refuses the file
    // instead of failing the request.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_sheet(bytes)))
        .unwrap_or_else(|_| Err(refuse("Лист Excel не удалось прочитать.".into())))
}

/// The first cell reference (`r="…"`, `ref="…"`) that is not a cell or a range within
/// Excel's sheet (at most 3 letters and 7 digits a part).
fn bad_cell_reference(xml: &[u8]) -> Option<String> {
    let mut i = 1;
    while i < xml.len() {
        let name_len = if xml[i..].starts_with(b"ref") {
            3
        } else if xml[i] == b'r' {
            1
        } else {
            i += 1;
            continue;
        };
        // An attribute `r` or `ref` (XML allows blanks around `=`), not the end of a name.
        let mut q = i + name_len;
        while xml.get(q).is_some_and(u8::is_ascii_whitespace) {
            q += 1;
        }
        if !xml[i - 1].is_ascii_whitespace() || xml.get(q) != Some(&b'=') {
            i += 1;
            continue;
        }
        q += 1;
        while xml.get(q).is_some_and(u8::is_ascii_whitespace) {
            q += 1;
        }
        let quote = *xml.get(q)?;
        if !matches!(quote, b'"' | b'\'') {
            i += 1;
            continue;
        }
        let start = q + 1;
        let end = start + xml[start..].iter().position(|b| *b == quote)?;
        let value = &xml[start..end];
        let bad = || Some(String::from_utf8_lossy(value).chars().take(40).collect());
        let mut corners = Vec::new();
        for part in value.split(|b| *b == b':') {
            let letters = part.iter().take_while(|b| b.is_ascii_alphabetic()).count();
            let digits = part[letters..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            if letters > 3 || digits > 7 || letters + digits != part.len() {
                return bad();
            }
            let col = part[..letters].iter().fold(0u32, |c, b| {
                c * 26 + u32::from(b.to_ascii_uppercase() - b'A') + 1
            });
            let row = part[letters..]
                .iter()
                .fold(0u32, |r, b| r * 10 + u32::from(b - b'0'));
            corners.push((row, col));
        }
        // A range runs from its top left to its bottom right.
        if let [a, b] = corners[..] {
            if b.0 < a.0 || b.1 < a.1 {
                return bad();
            }
        }
        i = end + 1;
    }
    None
}

/// The first sheet, cell by cell, into the template's CSV.
fn read_sheet(bytes: &[u8]) -> Result<(Package, &'static str), Vec<RowError>> {
    use calamine::{Data, DataType, Reader};
    const F: &str = "шаблон.xlsx";
    let refuse = |m: String| vec![RowError::new(F, 0, "", m)];
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes))
        .map_err(|_| refuse("Книгу Excel не удалось открыть.".into()))?;
    let Some(first) = book.sheet_names().into_iter().next() else {
        return Err(refuse("В книге Excel нет листа с данными.".into()));
    };
    let mut reader = book
        .worksheet_cells_reader(&first)
        .map_err(|_| refuse("Лист Excel не удалось прочитать.".into()))?;
    // Only cells with values, by position; the header is row 0. The text they hold is
    // bounded too: many small cells can point at one long shared string.
    let mut cells: std::collections::BTreeMap<(u32, u32), String> = Default::default();
    let mut text_bytes = 0usize;
    let (max_row, max_col) = (MAX_TEMPLATE_ROWS as u32, MAX_COLUMNS as u32);
    loop {
        let cell = match reader.next_cell() {
            Ok(Some(c)) => c,
            Ok(None) => break,
            Err(_) => return Err(refuse("Лист Excel не удалось прочитать.".into())),
        };
        let (row, col) = cell.get_position();
        let value = Data::from(cell.get_value().clone());
        let text = match &value {
            Data::Empty => continue,
            Data::String(s) => s.trim().to_string(),
            Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
            Data::DateTime(_) | Data::DateTimeIso(_) => {
                value.as_date().map(|d| d.to_string()).unwrap_or_default()
            }
            other => other.to_string(),
        };
        if text.is_empty() {
            continue;
        }
        if row > max_row || col >= max_col {
            return Err(refuse(format!(
                "В ячейке {}{} есть данные, а шаблон занимает не больше {MAX_TEMPLATE_ROWS} строк и {MAX_COLUMNS} столбцов (до {}). Удалите лишнее и загрузите файл снова.",
                crate::limits::column_letters(col),
                u64::from(row) + 1,
                crate::limits::column_letters(max_col - 1),
            )));
        }
        if text.chars().count() > crate::limits::MAX_CELL_CHARS {
            return Err(refuse(format!(
                "В ячейке {}{} больше {} знаков.",
                crate::limits::column_letters(col),
                u64::from(row) + 1,
                crate::limits::MAX_CELL_CHARS
            )));
        }
        text_bytes += text.len();
        if text_bytes > crate::limits::MAX_UNPACKED_XLSX as usize {
            return Err(refuse(format!(
                "В листе Excel больше {} МБ текста — это не шаблон одной школы.",
                crate::limits::MAX_UNPACKED_XLSX / 1024 / 1024
            )));
        }
        cells.insert((row, col), text);
    }
    // The table starts at its first row and column with data, wherever that is.
    let (row0, col0) = (
        cells.keys().map(|(r, _)| *r).min().unwrap_or(0),
        cells.keys().map(|(_, c)| *c).min().unwrap_or(0),
    );
    let rows = cells.keys().map(|(r, _)| r + 1).max().unwrap_or(0);
    let cols = cells
        .keys()
        .map(|(_, c)| c + 1)
        .max()
        .unwrap_or(0)
        .saturating_sub(col0);
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .flexible(true)
        .from_writer(Vec::new());
    let mut line = vec![String::new(); cols as usize];
    for row in row0..rows {
        line.iter_mut().for_each(String::clear);
        for (&(_, c), v) in cells.range((row, 0)..(row + 1, 0)) {
            line[(c - col0) as usize] = v.clone();
        }
        w.write_record(&line)
            .map_err(|_| refuse("Лист Excel не удалось прочитать.".into()))?;
    }
    let csv = w
        .into_inner()
        .map_err(|_| refuse("Лист Excel не удалось прочитать.".into()))?;
    let (package, _) = parse_as(&csv, F)?;
    Ok((package, "XLSX"))
}

pub fn parse(bytes: &[u8]) -> Result<(Package, &'static str), Vec<RowError>> {
    parse_as(bytes, "шаблон.csv")
}

fn parse_as(bytes: &[u8], file: &'static str) -> Result<(Package, &'static str), Vec<RowError>> {
    let (text, encoding) = decode(bytes).map_err(|m| vec![RowError::new(file, 0, "", m)])?;
    let first = text.lines().next().unwrap_or_default();
    let delimiter = if first.matches(';').count() >= first.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut errors = Vec::new();
    let Some(t) = table(
        file,
        &text,
        delimiter,
        &COLUMNS[..8],
        MAX_TEMPLATE_ROWS,
        &mut errors,
    ) else {
        return Err(errors);
    };
    let mut p = Package::default();
    let mut classes: Vec<String> = Vec::new();
    for (line, r) in &t.rows {
        let line = *line;
        let get = |c: &str| t.get(r, c);
        let need = |c: &str, errors: &mut Vec<RowError>| -> String {
            match get(c) {
                Some(v) => v.to_string(),
                None => {
                    errors.push(RowError::new(
                        file,
                        line,
                        c,
                        format!("Заполните столбец «{c}»."),
                    ));
                    String::new()
                }
            }
        };
        let last = need("Фамилия", &mut errors);
        let first = need("Имя", &mut errors);
        let middle = get("Отчество").map(str::to_string);
        let birth = match get("Дата рождения").map(|d| (d, date(d))) {
            Some((_, Some(d))) => Some(d),
            Some((raw, None)) => {
                errors.push(RowError::new(
                    file,
                    line,
                    "Дата рождения",
                    format!("«{raw}» — не дата (пример: 14.03.2015)."),
                ));
                None
            }
            None => None,
        };
        let sex = match get("Пол").map(str::to_lowercase).as_deref() {
            Some("м" | "муж" | "мужской" | "male") => Some("male".to_string()),
            Some("ж" | "жен" | "женский" | "female") => Some("female".to_string()),
            None => None,
            Some(other) => {
                errors.push(RowError::new(
                    file,
                    line,
                    "Пол",
                    format!("«{other}»: укажите «м» или «ж»."),
                ));
                None
            }
        };
        let snils = get("СНИЛС").map(str::to_string);
        if let Some(s) = &snils {
            if !parta_core::snils::valid_snils(s) {
                errors.push(RowError::new(
                    file,
                    line,
                    "СНИЛС",
                    format!("СНИЛС {s} с неверной контрольной суммой."),
                ));
            }
        }
        let class = need("Класс", &mut errors).to_uppercase().replace(' ', "");
        let digits: String = class.chars().take_while(char::is_ascii_digit).collect();
        let letter = class[digits.len()..].to_string();
        if !digits.parse::<u32>().is_ok_and(|g| (1..=11).contains(&g)) || letter.is_empty() {
            errors.push(RowError::new(
                file,
                line,
                "Класс",
                format!("«{class}»: укажите класс как «5А»."),
            ));
        }
        let begin = match get("Дата зачисления") {
            Some(d) => date(d).or_else(|| {
                errors.push(RowError::new(
                    file,
                    line,
                    "Дата зачисления",
                    format!("«{d}» — не дата."),
                ));
                None
            }),
            None => None,
        };
        let student = sid(
            snils.as_deref(),
            &[
                &last,
                &first,
                middle.as_deref().unwrap_or(""),
                birth.as_deref().unwrap_or(""),
            ],
        );
        if p.people.iter().any(|x| x.sid == student) {
            errors.push(RowError::new(
                file,
                line,
                "Фамилия",
                "Этот обучающийся уже есть в файле выше.",
            ));
        }
        let class_sid = format!("tpl-class:{class}");
        if !classes.contains(&class) {
            p.classes.push(HomeClass {
                sid: class_sid.clone(),
                year_sid: String::new(),
                grade: digits.clone(),
                letter: letter.clone(),
            });
            classes.push(class.clone());
        }
        p.memberships.push(Membership {
            sid: format!("tpl-enrol:{student}"),
            line,
            class_sid,
            person_sid: student.clone(),
            teacher: false,
            primary: false,
            begin,
        });
        p.people.push(PersonIn {
            sid: student.clone(),
            roles: vec![PersonRole::Student],
            last_name: last,
            first_name: first,
            middle_name: middle,
            birth_date: birth,
            sex,
            snils,
            email: None,
            phone: None,
            username: None,
            file: file.into(),
            line,
        });
        if let (Some(pl), Some(pf)) = (get("Родитель: фамилия"), get("Родитель: имя"))
        {
            let psnils = get("Родитель: СНИЛС").map(str::to_string);
            if let Some(s) = &psnils {
                if !parta_core::snils::valid_snils(s) {
                    errors.push(RowError::new(
                        file,
                        line,
                        "Родитель: СНИЛС",
                        format!("СНИЛС {s} с неверной контрольной суммой."),
                    ));
                }
            }
            let pm = get("Родитель: отчество").map(str::to_string);
            let phone = get("Родитель: телефон").map(str::to_string);
            let email = get("Родитель: эл. почта").map(str::to_lowercase);
            let parent = sid(
                psnils.as_deref(),
                &[
                    pl,
                    pf,
                    pm.as_deref().unwrap_or(""),
                    phone.as_deref().unwrap_or(""),
                ],
            );
            let role = match get("Кем приходится").map(str::to_lowercase).as_deref() {
                Some("опекун" | "попечитель") => PersonRole::Guardian,
                _ => PersonRole::Parent,
            };
            let sex = match get("Кем приходится").map(str::to_lowercase).as_deref() {
                Some("мать") => Some("female".to_string()),
                Some("отец") => Some("male".to_string()),
                _ => None,
            };
            if !p.people.iter().any(|x| x.sid == parent) {
                p.people.push(PersonIn {
                    sid: parent.clone(),
                    roles: vec![role],
                    last_name: pl.to_string(),
                    first_name: pf.to_string(),
                    middle_name: pm,
                    birth_date: None,
                    sex,
                    snils: psnils,
                    email,
                    phone,
                    username: None,
                    file: file.into(),
                    line,
                });
            }
            p.guardians.push((parent, student));
        }
    }
    if errors.is_empty() {
        Ok((p, encoding))
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::bad_cell_reference;

    #[test]
    fn cell_references_beyond_a_sheet_are_found() {
        assert_eq!(
            bad_cell_reference(br#"<c r="A1"/><dimension ref="A1:XFD1048576"/>"#),
            None
        );
        assert_eq!(
            bad_cell_reference(br#"<row r="1"><c r="AAAAAAAAAAAAAAAA1">"#).as_deref(),
            Some("AAAAAAAAAAAAAAAA1")
        );
        assert!(bad_cell_reference(b"<c r='A99999999999'/>").is_some());
        assert!(bad_cell_reference(b"<c r = \"AAAAAAAAAAAAA1\"/>").is_some());
        assert!(bad_cell_reference(br#"<dimension ref="A1:B2:C99999999"/>"#).is_some());
        assert!(bad_cell_reference(br#"<dimension ref="A5:H3"/>"#).is_some());
        assert_eq!(bad_cell_reference(br#"<x attr="ZZZZ1" sqref="A1"/>"#), None);
    }
}
