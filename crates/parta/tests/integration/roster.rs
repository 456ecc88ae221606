//! Roster exchange: OneRoster 1.2 packages and the Russian template — validated whole,
//! written all or nothing, idempotent, round-tripping.

use crate::fixtures;
use crate::harness::{fields_of, problem, spawn, Client, TestApp, PASSWORD};
use serde_json::{json, Value};
use std::io::{Read, Write};

async fn upload(c: &Client, org: &str, body: Vec<u8>, dry_run: bool) -> reqwest::Response {
    c.post_raw(
        &format!("/api/v1/organisations/{org}/roster?dry_run={dry_run}"),
        "application/zip",
        body,
    )
    .await
}

async fn counts(app: &TestApp) -> Vec<i64> {
    let mut v = Vec::new();
    for t in [
        "persons",
        "enrolments",
        "guardianships",
        "classes",
        "role_assignments",
        "accounts",
        "academic_years",
    ] {
        v.push(app.count(&format!("SELECT COUNT(*) FROM {t}")).await);
    }
    v
}

fn unzip(bytes: &[u8]) -> Vec<(String, String)> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut out = Vec::new();
    for i in 0..z.len() {
        let mut f = z.by_index(i).unwrap();
        let mut s = String::new();
        f.read_to_string(&mut s).unwrap();
        out.push((f.name().to_string(), s));
    }
    out
}

/// The school's roster as its administration downloads it (OneRoster ZIP).
async fn export(c: &Client, org: &str) -> Vec<u8> {
    let res = c.get(&format!("/api/v1/organisations/{org}/roster")).await;
    assert_eq!(res.status(), 200);
    res.bytes().await.unwrap().to_vec()
}

/// The school's sourcedId in an exported package (the only row of `orgs.csv`).
fn school_sid(files: &[(String, String)]) -> String {
    let orgs = &files.iter().find(|(n, _)| n == "orgs.csv").unwrap().1;
    orgs.lines()
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .to_string()
}

fn rezip(files: &[(String, String)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, text) in files {
        w.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(text.as_bytes()).unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[tokio::test]
async fn export_round_trips_and_reimport_changes_nothing() {
    let app = spawn().await;
    let d = app.login("director").await;
    let org = app.director_school().await;
    // Found by the security test: a name starting with "=" reached the export raw, where a
    // spreadsheet would run it as a formula. It goes out neutralised and comes back whole.
    let student = app
        .scalar(&format!("SELECT person_id FROM enrolments WHERE organisation_id = '{org}' AND ended_on IS NULL ORDER BY person_id LIMIT 1"))
        .await;
    sqlx::query("UPDATE persons SET last_name = '=HYPERLINK(\"http://evil\";\"x\")', middle_name = '@SUM(1)' WHERE id = $1")
        .bind(&student)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let res = d.get(&format!("/api/v1/organisations/{org}/roster")).await;
    assert_eq!(res.status(), 200);
    let zip = res.bytes().await.unwrap().to_vec();
    let files = unzip(&zip);
    let users = &files.iter().find(|(n, _)| n == "users.csv").unwrap().1;
    assert!(
        users.contains("'=HYPERLINK")
            && !users.contains(",=HYPERLINK")
            && !users.contains("\"=HYPERLINK"),
        "{}",
        &users[..500.min(users.len())]
    );
    assert!(!users.contains(",@SUM"));
    assert!(
        users.lines().count() > 300,
        "students, parents and staff of the school"
    );
    assert!(users.contains("{snils:"));
    let before = counts(&app).await;
    let res = upload(&d, &org, zip.clone(), false).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let report: Value = res.json().await.unwrap();
    assert_eq!(
        (report["created"].as_u64(), report["updated"].as_u64()),
        (Some(0), Some(0)),
        "{report}"
    );
    assert!(report["unchanged"].as_u64().unwrap() > 300);
    assert_eq!(report["format"], "OneRoster 1.2");
    assert_eq!(counts(&app).await, before);
    // Another school's package is refused.
    let other = app
        .scalar(&format!(
            "SELECT id FROM organisations WHERE id <> '{org}' ORDER BY id LIMIT 1"
        ))
        .await;
    let admin = app.login("admin").await;
    let p = problem(upload(&admin, &other, zip, false).await, 422).await;
    assert!(p["errors"][0]["field"]
        .as_str()
        .unwrap()
        .starts_with("orgs.csv"));
}

#[tokio::test]
async fn every_bad_row_is_reported_and_nothing_is_written() {
    let app = spawn().await;
    let d = app.login("director").await;
    let org = app.director_school().await;
    let zip = export(&d, &org).await;
    let mut files = unzip(&zip);
    for (name, text) in files.iter_mut() {
        if name == "users.csv" {
            let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
            // Line 2: a brand-new student without a given name; line 3 duplicated.
            let given = lines[0].split(',').position(|c| c == "givenName").unwrap();
            let mut cols: Vec<String> = lines[1].split(',').map(str::to_string).collect();
            cols[0] = "new-student-1".into();
            cols[given] = String::new();
            lines[1] = cols.join(",");
            lines.push(lines[2].clone());
            *text = lines.join("\n") + "\n";
        }
        if name == "enrollments.csv" {
            text.push_str("e-bad,active,,no-such-class,x,no-such-user,student,false,,\n");
        }
    }
    let before = counts(&app).await;
    let p = problem(upload(&d, &org, rezip(&files), false).await, 422).await;
    let fields: Vec<String> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect();
    assert!(
        fields.contains(&"users.csv:2:givenName".to_string()),
        "{fields:?}"
    );
    assert!(
        fields
            .iter()
            .any(|f| f.starts_with("users.csv:") && f.ends_with(":sourcedId")),
        "{fields:?}"
    );
    assert!(
        fields.iter().any(|f| f.ends_with(":classSourcedId")),
        "{fields:?}"
    );
    assert!(
        fields.iter().any(|f| f.ends_with(":userSourcedId")),
        "{fields:?}"
    );
    assert!(p["title"].as_str().unwrap().contains("Ничего не записано"));
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .chars()
            .any(|c| ('а'..='я').contains(&c)),
        "messages in Russian"
    );
    assert_eq!(counts(&app).await, before);
    // Not a package at all, and a UTF-16 file: clear refusals.
    let p = problem(
        upload(&d, &org, b"\xFF\xFEh\x00i\x00".to_vec(), false).await,
        422,
    )
    .await;
    assert!(p["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("UTF-16"));
    let mut no_manifest = files.clone();
    no_manifest.retain(|(n, _)| n != "manifest.csv");
    let p = problem(upload(&d, &org, rezip(&no_manifest), false).await, 422).await;
    assert!(p["errors"][0]["field"]
        .as_str()
        .unwrap()
        .starts_with("manifest.csv"));
}

fn cp1251(s: &str) -> Vec<u8> {
    encoding_rs::WINDOWS_1251.encode(s).0.into_owned()
}

#[tokio::test]
async fn the_russian_template_in_windows_1251_with_a_dry_run_first() {
    let app = spawn().await;
    let d = app.login("director").await;
    let org = app.director_school().await;
    let template = d.get("/api/v1/roster/template").await.text().await.unwrap();
    assert!(template.starts_with('\u{FEFF}') && template.contains("Родитель: фамилия"));
    // A transfer from school 2: known by СНИЛС, their record follows them.
    let mover = app
        .scalar(&format!("SELECT e.person_id FROM enrolments e WHERE e.organisation_id <> '{org}' AND e.ended_on IS NULL ORDER BY e.person_id LIMIT 1"))
        .await;
    let mover_snils = app
        .scalar(&format!("SELECT snils FROM persons WHERE id = '{mover}'"))
        .await;
    // Admitted today (the platform's date: the tests run on any date) — or, on the
    // year's first day, when the mover's current stay began today, tomorrow.
    let started = app
        .scalar(&format!(
            "SELECT started_on FROM enrolments WHERE person_id = '{mover}' AND ended_on IS NULL"
        ))
        .await;
    let mut today = parta_core::time::today();
    if today.to_string() <= started {
        today = started.parse::<chrono::NaiveDate>().unwrap() + chrono::Duration::days(1);
    }
    let csv = format!(
        "Фамилия;Имя;Отчество;Дата рождения;Пол;СНИЛС;Класс;Дата зачисления;Родитель: фамилия;Родитель: имя;Родитель: отчество;Родитель: СНИЛС;Родитель: телефон;Родитель: эл. почта;Кем приходится\r\n\
         Новикова;Алёна;Игоревна;03.02.2015;ж;;5Б;{today};Новикова;Ирина;Петровна;;+7 912 111-22-33;novikova@mail.ru;мать\r\n\
         Новиков;Глеб;Игоревич;11.09.2016;м;;5Б;{today};Новикова;Ирина;Петровна;;+7 912 111-22-33;novikova@mail.ru;мать\r\n\
         Переходов;Савелий;;01.01.2014;м;{mover_snils};5Б;{today};;;;;;;\r\n"
    );
    let before = counts(&app).await;
    let res = upload(&d, &org, cp1251(&csv), true).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let dry: Value = res.json().await.unwrap();
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["encoding"], "Windows-1251");
    assert!(dry["created"].as_u64().unwrap() >= 4);
    assert_eq!(counts(&app).await, before, "a dry run writes nothing");
    let real: Value = upload(&d, &org, cp1251(&csv), false)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(real["created"], dry["created"]);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'import' AND organisation_id = '{org}'"
        ))
        .await,
        1,
        "the import is audited, the dry run is not"
    );
    let siblings = app
        .count("SELECT COUNT(*) FROM guardianships g JOIN persons p ON p.id = g.parent_id WHERE p.first_name = 'Ирина' AND p.last_name = 'Новикова' AND g.kind = 'mother'")
        .await;
    assert_eq!(siblings, 2, "one mother for both children");
    let history: Vec<(String, Option<String>, String)> = sqlx::query_as(&format!("SELECT start_reason, end_reason, organisation_id FROM enrolments WHERE person_id = '{mover}' ORDER BY started_on"))
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    let last = history.last().unwrap();
    assert_eq!(
        (last.0.as_str(), last.2.as_str()),
        ("transferred_in", org.as_str())
    );
    assert_eq!(history[history.len() - 2].1.as_deref(), Some("transferred"));
    let again: Value = upload(&d, &org, cp1251(&csv), false)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (again["created"].as_u64(), again["updated"].as_u64()),
        (Some(0), Some(0)),
        "{again}"
    );
    // A row with mistakes: every one named, in Russian.
    let bad = "Фамилия;Имя;Отчество;Дата рождения;Пол;СНИЛС;Класс;Дата зачисления\r\n;Пётр;;31.02.2015;x;123;12Я;\r\n";
    let p = problem(upload(&d, &org, cp1251(bad), false).await, 422).await;
    let fields = fields_of(&p);
    for f in [
        "шаблон.csv:2:Фамилия",
        "шаблон.csv:2:Дата рождения",
        "шаблон.csv:2:Пол",
        "шаблон.csv:2:СНИЛС",
        "шаблон.csv:2:Класс",
    ] {
        assert!(fields.contains(&f), "{f} in {fields:?}");
    }
}

#[tokio::test]
async fn the_import_wizard_page() {
    let app = spawn().await;
    let c = app.anonymous();
    c.form("/login", &[("login", "director"), ("password", PASSWORD)])
        .await;
    let org = app.director_school().await;
    let page = c
        .get(&format!("/schools/{org}/import"))
        .await
        .text()
        .await
        .unwrap();
    // The token is a field of the form, never in its address (found by the security
    // test: it reached logs and the Referer).
    assert!(!page.contains("_csrf="), "no token in a URL");
    let csrf = page
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    // A name the generated demo never gives.
    let csv = "Фамилия;Имя;Отчество;Дата рождения;Пол;СНИЛС;Класс;Дата зачисления\r\nЛебедева-Импортова;Вера;;2016-05-05;ж;;4В;\r\n";
    let form_of = |dry: bool, body: &'static str, token: &str| {
        let mut form = reqwest::multipart::Form::new()
            .text("_csrf", token.to_string())
            .part(
                "file",
                reqwest::multipart::Part::bytes(body.as_bytes().to_vec()).file_name("spisok.csv"),
            );
        if dry {
            form = form.text("dry_run", "1");
        }
        form
    };
    let send = |dry: bool, body: &'static str| {
        c.http
            .post(format!("{}/schools/{org}/import", c.base))
            .multipart(form_of(dry, body, &csrf))
            .send()
    };
    // A token in the address, or a wrong one in the form, is refused.
    for (url, token) in [
        (
            format!("{}/schools/{org}/import?_csrf={csrf}", c.base),
            "wrong",
        ),
        (format!("{}/schools/{org}/import", c.base), "wrong"),
    ] {
        let res = c
            .http
            .post(url)
            .multipart(form_of(true, "x", token))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403);
    }
    let res = send(true, csv).await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("Проверка пройдена"));
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM persons WHERE last_name = 'Лебедева-Импортова' AND first_name = 'Вера'"
        )
        .await,
        0
    );
    let res = send(false, csv).await.unwrap();
    assert!(res.text().await.unwrap().contains("Импорт выполнен"));
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM persons WHERE last_name = 'Лебедева-Импортова' AND first_name = 'Вера'"
        )
        .await,
        1
    );
    let res = send(false, "Фамилия;Имя\r\nА;Б\r\n").await.unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("ничего не записано") && html.contains("Дата рождения"));
}

/// A minimal Excel workbook (inline strings) with the template's columns.
fn xlsx(rows: &[&[&str]]) -> Vec<u8> {
    fn col(i: usize) -> String {
        let mut s = String::new();
        let mut n = i + 1;
        while n > 0 {
            let r = (n - 1) % 26;
            s.insert(0, (b'A' + r as u8) as char);
            n = (n - 1) / 26;
        }
        s
    }
    let mut cells = Vec::new();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            cells.push((format!("{}{}", col(c), r + 1), v.to_string()));
        }
    }
    xlsx_cells(&cells, None)
}

/// A workbook with the given cells (`A1` → text), one `<row>` per cell, and the
/// dimension the sheet claims.
fn xlsx_cells(cells: &[(String, String)], dimension: Option<&str>) -> Vec<u8> {
    let mut sheet = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#,
    );
    if let Some(d) = dimension {
        sheet.push_str(&format!(r#"<dimension ref="{d}"/>"#));
    }
    sheet.push_str("<sheetData>");
    for (at, v) in cells {
        let row: String = at.chars().filter(char::is_ascii_digit).collect();
        sheet.push_str(&format!(
            r#"<row r="{row}"><c r="{at}" t="inlineStr"><is><t>{v}</t></is></c></row>"#
        ));
    }
    sheet.push_str("</sheetData></worksheet>");
    let files = [
        ("[Content_Types].xml", r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_string()),
        ("_rels/.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_string()),
        ("xl/workbook.xml", r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Ученики" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_string()),
        ("xl/_rels/workbook.xml.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_string()),
        ("xl/worksheets/sheet1.xml", sheet),
    ];
    let files: Vec<(String, String)> = files.into_iter().map(|(n, t)| (n.to_string(), t)).collect();
    rezip(&files)
}

#[tokio::test]
async fn the_template_as_an_excel_workbook() {
    let app = spawn().await;
    let d = app.login("director").await;
    let org = app.director_school().await;
    let header: &[&str] = &[
        "Фамилия",
        "Имя",
        "Отчество",
        "Дата рождения",
        "Пол",
        "СНИЛС",
        "Класс",
        "Дата зачисления",
    ];
    let good = xlsx(&[
        header,
        &[
            "Морозова",
            "Ульяна",
            "Олеговна",
            "14.03.2015",
            "ж",
            "",
            "5В",
            "",
        ],
    ]);
    let res = upload(&d, &org, good, false).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let report: Value = res.json().await.unwrap();
    assert_eq!(report["format"], "шаблон XLSX");
    assert_eq!(app.count("SELECT COUNT(*) FROM persons WHERE last_name = 'Морозова' AND first_name = 'Ульяна' AND birth_date = '2015-03-14'").await, 1);
    let bad = xlsx(&[header, &["Морозов", "", "", "вчера", "", "", "5В", ""]]);
    let p = problem(upload(&d, &org, bad, false).await, 422).await;
    let fields = fields_of(&p);
    assert!(
        fields.contains(&"шаблон.xlsx:2:Имя") && fields.contains(&"шаблон.xlsx:2:Дата рождения"),
        "{fields:?}"
    );
}

/// Found by the security test: a 1.5 KB workbook with cells only at A1 and XFD1048576 made
/// the reader allocate the dense range (~512 GB), even on a dry run.
#[tokio::test]
async fn a_sparse_workbook_cannot_take_the_server_down() {
    let app = spawn().await;
    let d = app.login("director").await;
    let org = app.director_school().await;
    let bomb = xlsx_cells(
        &[
            ("A1".into(), "Фамилия".into()),
            ("XFD1048576".into(), "x".into()),
        ],
        Some("A1:XFD1048576"),
    );
    assert!(bomb.len() < 4096, "{}", bomb.len());
    for dry_run in [true, false] {
        let p = problem(upload(&d, &org, bomb.clone(), dry_run).await, 422).await;
        let text = p.to_string();
        assert!(text.contains("XFD1048576"), "{text}");
        assert!(text.contains("10000 строк"), "{text}");
    }
    // Rows a little beyond the template's bound are refused the same way.
    let far = xlsx_cells(
        &[
            ("A1".into(), "Фамилия".into()),
            ("A10002".into(), "Иванов".into()),
        ],
        None,
    );
    let p = problem(upload(&d, &org, far, true).await, 422).await;
    assert!(p.to_string().contains("A10002"), "{p}");
    // Found by bench/fuzz.sh: a reference longer than a sheet overflowed the reader.
    let odd = xlsx_cells(&[("AAAAAAAAAAAAAAAA1".into(), "x".into())], None);
    let p = problem(upload(&d, &org, odd, true).await, 422).await;
    assert!(p.to_string().contains("неверная ссылка на ячейку"), "{p}");
    // A CSV of more rows than a school has is refused before it is built.
    let mut csv =
        String::from("Фамилия;Имя;Отчество;Дата рождения;Пол;СНИЛС;Класс;Дата зачисления\n");
    for _ in 0..10_001 {
        csv.push_str(";;;;;;;\n");
    }
    let res = d
        .post_raw(
            &format!("/api/v1/organisations/{org}/roster?dry_run=true"),
            "text/csv",
            csv,
        )
        .await;
    let p = problem(res, 422).await;
    assert!(p.to_string().contains("10000 строк"), "{p}");
    assert_eq!(app.anonymous().get("/healthz").await.status(), 200);
}

#[tokio::test]
async fn a_package_cannot_reach_people_of_another_school_by_id() {
    let app = spawn().await;
    let d = app.login("director").await;
    let org = app.director_school().await;
    let stranger = app
        .scalar(&format!("SELECT person_id FROM enrolments WHERE organisation_id <> '{org}' AND ended_on IS NULL ORDER BY person_id LIMIT 1"))
        .await;
    let name_before = app
        .scalar(&format!(
            "SELECT last_name FROM persons WHERE id = '{stranger}'"
        ))
        .await;
    let zip = export(&d, &org).await;
    let mut files = unzip(&zip);
    let school = school_sid(&files);
    for (name, text) in files.iter_mut() {
        if name == "users.csv" {
            // A "student" row that names another school's child by their id.
            let mut row = vec![String::new(); 23];
            row[0] = stranger.clone();
            row[1] = "active".into();
            row[3] = "true".into();
            row[6] = "Чужой".into();
            row[7] = "Ребёнок".into();
            text.push_str(&(row.join(",") + "\n"));
        }
        if name == "roles.csv" {
            text.push_str(&format!(
                "r-stranger,active,,{stranger},primary,student,,,{school},\n"
            ));
        }
    }
    let p = problem(upload(&d, &org, rezip(&files), false).await, 422).await;
    assert!(
        p["errors"].as_array().unwrap().iter().any(|e| e["field"]
            .as_str()
            .unwrap()
            .ends_with(":sourcedId")
            && e["message"]
                .as_str()
                .unwrap()
                .contains("другой организации")),
        "{p}"
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT last_name FROM persons WHERE id = '{stranger}'"
        ))
        .await,
        name_before
    );
}

/// A CSV file as its header and rows.
fn read_csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let header = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

fn write_csv(header: &[String], rows: &[Vec<String>]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).unwrap();
    for r in rows {
        w.write_record(r).unwrap();
    }
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}

fn file<'a>(files: &'a mut [(String, String)], name: &str) -> &'a mut String {
    &mut files.iter_mut().find(|(n, _)| n == name).unwrap().1
}

/// The same package written as OneRoster 1.1 writes it: a user's (primary) role and
/// organisations are columns of `users.csv`, there is no `roles.csv`; parents are linked
/// from the parent's side (`agentSourcedIds` of the parent), as several 1.1 exporters do.
fn as_one_one(files: &[(String, String)]) -> Vec<(String, String)> {
    let mut files = files.to_vec();
    let roles = files
        .iter()
        .find(|(n, _)| n == "roles.csv")
        .unwrap()
        .1
        .clone();
    let (_, role_rows) = read_csv(&roles);
    let primary: std::collections::HashMap<String, (String, String)> = role_rows
        .iter()
        .filter(|r| r[4] == "primary")
        .map(|r| (r[3].clone(), (r[5].clone(), r[8].clone())))
        .collect();
    let (mut header, mut users) = read_csv(file(&mut files, "users.csv"));
    let agents = header.iter().position(|h| h == "agentSourcedIds").unwrap();
    // Links turned around: each parent names their children.
    let mut children: std::collections::HashMap<String, Vec<String>> = Default::default();
    for u in users.iter_mut() {
        for parent in u[agents].split(',').filter(|s| !s.is_empty()) {
            children
                .entry(parent.to_string())
                .or_default()
                .push(u[0].clone());
        }
        u[agents].clear();
    }
    header.push("role".into());
    header.push("orgSourcedIds".into());
    for u in users.iter_mut() {
        let (role, org) = primary[&u[0]].clone();
        if let Some(kids) = children.get(&u[0]) {
            u[agents] = kids.join(",");
        }
        let family = role == "parent" || role == "guardian";
        u.push(role);
        u.push(if family { String::new() } else { org });
    }
    *file(&mut files, "users.csv") = write_csv(&header, &users);
    files.retain(|(n, _)| n != "roles.csv");
    let manifest = file(&mut files, "manifest.csv");
    *manifest = manifest
        .lines()
        .filter(|l| !l.starts_with("file.roles"))
        .map(|l| {
            if l.starts_with("oneroster.version") {
                "oneroster.version,1.1"
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    files
}

#[tokio::test]
async fn one_two_with_roles_and_one_one_with_parents_linked_from_their_side() {
    let app = spawn().await;
    let d = app.login("director").await;
    let org = app.director_school().await;
    let zip = export(&d, &org).await;
    let mut files = unzip(&zip);
    // The 1.2 layout: roles in their own file, none in users.csv.
    let (users_header, _) = read_csv(file(&mut files, "users.csv"));
    assert!(
        !users_header.contains(&"role".to_string()),
        "{users_header:?}"
    );
    assert!(!users_header.contains(&"orgSourcedIds".to_string()));
    assert!(file(&mut files, "manifest.csv").contains("file.roles,bulk"));
    let before = counts(&app).await;
    // The same school as a 1.1 package, parents naming their children: a family link
    // lost in the registry comes back from the parent's side, and a second import
    // changes nothing.
    let old = as_one_one(&files);
    let (parent, kid): (String, String) = sqlx::query_as(
        "SELECT g.parent_id, g.child_id FROM guardianships g JOIN enrolments e ON e.person_id = g.child_id \
         WHERE e.organisation_id = $1 AND e.ended_on IS NULL ORDER BY g.child_id LIMIT 1",
    )
    .bind(&org)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    sqlx::query("DELETE FROM guardianships WHERE parent_id = $1 AND child_id = $2")
        .bind(&parent)
        .bind(&kid)
        .execute(&app.db.pool)
        .await
        .unwrap();
    for created in [1, 0] {
        let res = upload(&d, &org, rezip(&old), false).await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        let report: Value = res.json().await.unwrap();
        assert_eq!(report["format"], "OneRoster 1.1");
        assert_eq!(
            (report["created"].as_u64(), report["updated"].as_u64()),
            (Some(created), Some(0)),
            "{report}"
        );
        assert_eq!(counts(&app).await, before);
    }
    // Enumerations compare without regard to case, as the specification allows.
    let mut shouting = files.clone();
    let roles = file(&mut shouting, "roles.csv");
    *roles = roles
        .replace(",primary,student,", ",Primary,Student,")
        .replace(",secondary,parent,", ",SECONDARY,Parent,");
    let classes = file(&mut shouting, "classes.csv");
    *classes = classes.replace(",homeroom,", ",HomeRoom,");
    let res = upload(&d, &org, rezip(&shouting), false).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_eq!(counts(&app).await, before);

    // A teacher of the school who becomes a parent of one of its students: two roles.
    let teacher = app
        .scalar(&format!(
            "SELECT person_id FROM staff_positions WHERE organisation_id = '{org}' AND ended_on IS NULL AND position = 'teacher' \
             AND person_id NOT IN (SELECT person_id FROM role_assignments WHERE role = 'parent') ORDER BY person_id LIMIT 1"
        ))
        .await;
    let child = fixtures::student_of(&app, &fixtures::class_named(&app, &org, "6А").await).await;
    sqlx::query("INSERT INTO guardianships (parent_id, child_id, kind) VALUES ($1, $2, 'father')")
        .bind(&teacher)
        .bind(&child)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let zip = export(&d, &org).await;
    let mut files = unzip(&zip);
    let (_, roles) = read_csv(file(&mut files, "roles.csv"));
    let held: Vec<(String, String)> = roles
        .iter()
        .filter(|r| r[3] == teacher)
        .map(|r| (r[4].clone(), r[5].clone()))
        .collect();
    assert_eq!(
        held,
        vec![
            ("primary".to_string(), "teacher".to_string()),
            ("secondary".to_string(), "parent".to_string())
        ]
    );
    let (uh, users) = read_csv(file(&mut files, "users.csv"));
    let agents = uh.iter().position(|h| h == "agentSourcedIds").unwrap();
    let child_row = users.iter().find(|u| u[0] == child).unwrap();
    assert!(child_row[agents].contains(&teacher), "{child_row:?}");
    assert_eq!(
        users.iter().filter(|u| u[0] == teacher).count(),
        1,
        "one user, two roles"
    );
    // The import gives the teacher their parent's role (the link was made by hand).
    let res = upload(&d, &org, zip.clone(), false).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let report: Value = res.json().await.unwrap();
    assert_eq!(
        (report["created"].as_u64(), report["updated"].as_u64()),
        (Some(1), Some(0)),
        "{report}"
    );
    let before = counts(&app).await;
    let res = upload(&d, &org, zip, false).await;
    let report: Value = res.json().await.unwrap();
    assert_eq!(
        (report["created"].as_u64(), report["updated"].as_u64()),
        (Some(0), Some(0)),
        "{report}"
    );
    assert_eq!(counts(&app).await, before);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM role_assignments WHERE person_id = '{teacher}' AND role IN ('teacher', 'parent') AND ended_at IS NULL"
        ))
        .await,
        2
    );

    // Mixed versions: a 1.2 manifest over a 1.1 users.csv without roles.csv.
    let mut mixed = as_one_one(&files);
    let manifest = file(&mut mixed, "manifest.csv");
    *manifest = manifest.replace("oneroster.version,1.1", "oneroster.version,1.2");
    let p = problem(upload(&d, &org, rezip(&mixed), false).await, 422).await;
    assert!(
        p["errors"][0]["field"]
            .as_str()
            .unwrap()
            .starts_with("manifest.csv:"),
        "{p}"
    );
    assert!(p["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("смешаны версии"));
    // A role in an organisation outside the package, and a role given twice.
    let mut bad = files.clone();
    let roles = file(&mut bad, "roles.csv");
    roles.push_str(&format!(
        "x-1,active,,{teacher},secondary,teacher,,,no-such-org,\n"
    ));
    roles.push_str(&format!(
        "x-2,active,,{teacher},secondary,parent,,,{},\n",
        school_sid(&files)
    ));
    let p = problem(upload(&d, &org, rezip(&bad), false).await, 422).await;
    let fields = fields_of(&p);
    assert!(
        fields
            .iter()
            .any(|f| f.starts_with("roles.csv:") && f.ends_with(":orgSourcedId")),
        "{fields:?}"
    );
    assert!(
        fields
            .iter()
            .any(|f| f.starts_with("roles.csv:") && f.ends_with(":role")),
        "{fields:?}"
    );
    assert_eq!(counts(&app).await, before);
    // A parent named but not in the package: the import goes on and says what it left.
    let mut ghost = files.clone();
    let (uh, mut users) = read_csv(file(&mut ghost, "users.csv"));
    let row = users.iter_mut().find(|u| u[0] == child).unwrap();
    row[agents] = format!("{},ghost-parent", row[agents]);
    *file(&mut ghost, "users.csv") = write_csv(&uh, &users);
    let res = upload(&d, &org, rezip(&ghost), false).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let report: Value = res.json().await.unwrap();
    assert_eq!(
        report["warnings"][0]["column"], "agentSourcedIds",
        "{report}"
    );
    assert!(report["warnings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("ghost-parent"));
    assert_eq!(counts(&app).await, before);
}

#[tokio::test]
async fn students_only_in_subject_groups_round_trip() {
    let app = spawn().await;
    let d = app.login("director").await;
    let org = app.director_school().await;
    // A student of another class is put into a group of this school only.
    let class = fixtures::class_named(&app, &org, "5А").await;
    let student = fixtures::student_of(&app, &class).await;
    let res = d
        .post(
            &format!("/api/v1/classes/{class}/groups"),
            &json!({"name": "Кружок", "subject_code": "math", "members": [student]}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    // …and leaves the class (stays in the group's list).
    sqlx::query("UPDATE enrolments SET ended_on = $2, end_reason = 'transferred' WHERE person_id = $1 AND ended_on IS NULL")
        .bind(&student)
        .bind(parta_core::time::today().to_string())
        .execute(&app.db.pool)
        .await
        .unwrap();
    let zip = export(&d, &org).await;
    let mut files = unzip(&zip);
    let (_, users) = read_csv(file(&mut files, "users.csv"));
    assert!(
        users.iter().any(|u| u[0] == student),
        "a student of a group is a user of the package"
    );
    let res = upload(&d, &org, zip, false).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

/// A school's package as another system writes it (OneRoster 1.2, its own small ids).
fn foreign_package(year: &(String, String, String), extra_users: &str) -> Vec<(String, String)> {
    let (title, start, end) = year;
    vec![
        ("manifest.csv".into(), "propertyName,value\nmanifest.version,1.0\noneroster.version,1.2\nfile.orgs,bulk\nfile.academicSessions,bulk\nfile.classes,bulk\nfile.users,bulk\nfile.roles,bulk\nfile.enrollments,bulk\nfile.courses,absent\nfile.demographics,absent\nsource.systemName,Школьная система\n".into()),
        ("orgs.csv".into(), "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\n1,active,,Школа,school,,\n".into()),
        ("academicSessions.csv".into(), format!("sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,schoolYear\n1,active,,{title},schoolYear,{start},{end},,\n")),
        ("classes.csv".into(), "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods\n1,active,,9Я,09,,,homeroom,,1,1,,,\n".into()),
        ("users.csv".into(), format!("sourcedId,status,dateLastModified,enabledUser,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds\n1,active,,true,,,Пётр,Новиков,Ильич,,,,,2\n2,active,,true,,,Ольга,Новикова,Андреевна,,,,,\n{extra_users}")),
        ("roles.csv".into(), "sourcedId,status,dateLastModified,userSourcedId,roleType,role,beginDate,endDate,orgSourcedId,userProfileSourcedId\n1,active,,1,primary,student,,,1,\n2,active,,2,primary,parent,,,1,\n".into()),
        ("enrollments.csv".into(), "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate\n1,active,,1,1,1,student,false,,\n".into()),
    ]
}

async fn latest_year(app: &TestApp, org: &str) -> (String, String, String) {
    sqlx::query_as(
        "SELECT name, starts_on, ends_on FROM academic_years WHERE organisation_id = $1 ORDER BY starts_on DESC LIMIT 1",
    )
    .bind(org)
    .fetch_one(&app.db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn two_schools_whose_systems_reuse_ids_import_side_by_side() {
    let app = spawn().await;
    let d = app.login("director").await;
    let admin = app.login("admin").await;
    let a = app.director_school().await;
    let b = app
        .scalar(&format!(
            "SELECT o.id FROM organisations o WHERE o.id <> '{a}' AND o.kind = 'school' \
             AND EXISTS (SELECT 1 FROM academic_years y WHERE y.organisation_id = o.id) ORDER BY o.id LIMIT 1"
        ))
        .await;
    let persons = app.count("SELECT COUNT(*) FROM persons").await;
    // School A's first package: no INN, its own ids (1, 2 …) — accepted, the ids recorded.
    let pa = foreign_package(&latest_year(&app, &a).await, "");
    let res = upload(&d, &a, rezip(&pa), false).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    // The report counts what was written, kind by kind, and the kinds add up.
    let report: Value = res.json().await.unwrap();
    let written = &report["written"];
    assert_eq!(
        (
            written["people"].as_u64(),
            written["roles"].as_u64(),
            written["classes"].as_u64(),
            written["enrolments"].as_u64(),
            written["guardians"].as_u64()
        ),
        (Some(2), Some(2), Some(1), Some(1), Some(1)),
        "{report}"
    );
    let sum: u64 = written
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(
        sum,
        report["created"].as_u64().unwrap() + report["updated"].as_u64().unwrap()
    );
    // School B's system numbers its people the same way: other people, side by side.
    let pb = foreign_package(&latest_year(&app, &b).await, "");
    let res = upload(&admin, &b, rezip(&pb), false).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_eq!(app.count("SELECT COUNT(*) FROM persons").await, persons + 4);
    for org in [&a, &b] {
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM enrolments e JOIN classes c ON c.id = e.class_id JOIN persons p ON p.id = e.person_id \
                 WHERE e.organisation_id = '{org}' AND c.name = '9Я' AND p.last_name = 'Новиков' AND e.ended_on IS NULL"
            ))
            .await,
            1
        );
    }
    // Each school's ids stay its own: A's package again changes nothing.
    let before = counts(&app).await;
    let res = upload(&d, &a, rezip(&pa), false).await;
    let report: Value = res.json().await.unwrap();
    assert_eq!(
        (report["created"].as_u64(), report["updated"].as_u64()),
        (Some(0), Some(0)),
        "{report}"
    );
    assert_eq!(counts(&app).await, before);
    // A package of another school's system is not taken for A's once A has its own.
    let mut stranger = pa.clone();
    stranger[1].1 = "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\nschool-77,active,,Школа,school,,\n".into();
    stranger[3].1 = stranger[3]
        .1
        .replace(",homeroom,,1,1,", ",homeroom,,school-77,1,");
    stranger[5].1 = stranger[5].1.replace(",,,1,\n", ",,,school-77,\n");
    let p = problem(upload(&d, &a, rezip(&stranger), false).await, 422).await;
    assert!(
        p["errors"][0]["field"]
            .as_str()
            .unwrap()
            .starts_with("orgs.csv"),
        "{p}"
    );
    // A real conflict names both lines.
    let dup = foreign_package(
        &latest_year(&app, &a).await,
        "2,active,,true,,,Анна,Новикова,,,,,,\n",
    );
    let p = problem(upload(&d, &a, rezip(&dup), false).await, 422).await;
    let e = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["field"] == "users.csv:4:sourcedId")
        .unwrap_or_else(|| panic!("{p}"));
    assert!(e["message"].as_str().unwrap().contains("строке 3"), "{e}");
    assert_eq!(counts(&app).await, before);
}

/// A package of changes (OneRoster `delta`) for a school imported with [`foreign_package`].
fn delta_package(
    users: &str,
    roles: &str,
    enrollments: &str,
    classes: Option<&str>,
) -> Vec<(String, String)> {
    let mut files = vec![
        ("manifest.csv".to_string(), format!("propertyName,value\nmanifest.version,1.0\noneroster.version,1.2\nfile.orgs,absent\nfile.academicSessions,absent\nfile.courses,absent\nfile.classes,{}\nfile.users,delta\nfile.roles,delta\nfile.enrollments,delta\nfile.demographics,absent\n", if classes.is_some() { "delta" } else { "absent" })),
        ("users.csv".into(), format!("sourcedId,status,dateLastModified,enabledUser,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds\n{users}")),
        ("roles.csv".into(), format!("sourcedId,status,dateLastModified,userSourcedId,roleType,role,beginDate,endDate,orgSourcedId,userProfileSourcedId\n{roles}")),
        ("enrollments.csv".into(), format!("sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate\n{enrollments}")),
    ];
    if let Some(c) = classes {
        files.push(("classes.csv".into(), format!("sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods\n{c}")));
    }
    files
}

#[tokio::test]
async fn a_delta_package_enrols_and_ends_and_never_deletes() {
    let app = spawn().await;
    let d = app.login("director").await;
    let org = app.director_school().await;
    let year = latest_year(&app, &org).await;
    let res = upload(&d, &org, rezip(&foreign_package(&year, "")), false).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let petr = app
        .scalar("SELECT id FROM persons WHERE last_name = 'Новиков' AND first_name = 'Пётр'")
        .await;
    // Пётр leaves; Дарья comes to the same class (named by its id in the school's system).
    let delta = delta_package(
        "1,tobedeleted,,,,,,,,,,,,\n3,active,,true,,,Дарья,Зайцева,Олеговна,,,,,\n",
        "3,active,,3,primary,student,,,1,\n",
        "2,active,,1,1,3,student,false,,\n",
        None,
    );
    let res = upload(&d, &org, rezip(&delta), false).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let report: Value = res.json().await.unwrap();
    assert!(
        report["ended"].as_u64().unwrap() >= 2,
        "stay and role: {report}"
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT end_reason FROM enrolments WHERE person_id = '{petr}' AND organisation_id = '{org}' ORDER BY started_on DESC LIMIT 1"
        ))
        .await,
        "transferred",
        "ended, not deleted"
    );
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM persons WHERE id = '{petr}'"))
            .await,
        1,
        "the record stays"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM enrolments e JOIN classes c ON c.id = e.class_id JOIN persons p ON p.id = e.person_id \
             WHERE e.organisation_id = '{org}' AND c.name = '9Я' AND p.last_name = 'Зайцева' AND e.ended_on IS NULL"
        ))
        .await,
        1
    );
    // The same changes again change nothing.
    let before = counts(&app).await;
    let res = upload(&d, &org, rezip(&delta), false).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let report: Value = res.json().await.unwrap();
    assert_eq!(
        (
            report["created"].as_u64(),
            report["updated"].as_u64(),
            report["ended"].as_u64()
        ),
        (Some(0), Some(0), Some(0)),
        "{report}"
    );
    assert_eq!(counts(&app).await, before);
    // The class cannot be closed while Дарья is in it: said at the row, nothing written.
    let close = delta_package("", "", "", Some("1,tobedeleted,,,,,,,,,,,,\n"));
    let p = problem(upload(&d, &org, rezip(&close), false).await, 422).await;
    assert_eq!(p["errors"][0]["field"], "classes.csv:2:status", "{p}");
    assert_eq!(counts(&app).await, before);
    // A new user without a role, and a stay in a class nobody has: named, nothing written.
    let bad = delta_package(
        "4,active,,true,,,Без,Роли,,,,,,\n",
        "",
        "5,active,,no-such-class,1,3,student,false,,\n",
        None,
    );
    let p = problem(upload(&d, &org, rezip(&bad), false).await, 422).await;
    let fields = fields_of(&p);
    assert!(fields.contains(&"users.csv:2:sourcedId"), "{fields:?}");
    assert!(
        fields.contains(&"enrollments.csv:2:classSourcedId"),
        "{fields:?}"
    );
    assert_eq!(counts(&app).await, before);
    // Пётр comes back: his school's system sends him again, with a new stay.
    let back = delta_package(
        "1,active,,true,,,Пётр,Новиков,Ильич,,,,,\n",
        "1,active,,1,primary,student,,,1,\n",
        "6,active,,1,1,1,student,false,,\n",
        None,
    );
    let res = upload(&d, &org, rezip(&back), false).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM enrolments WHERE person_id = '{petr}' AND organisation_id = '{org}' AND ended_on IS NULL"
        ))
        .await,
        1
    );
    // …but once he studies at another school, this school's package no longer reaches him.
    let other = app
        .scalar(&format!("SELECT id FROM organisations WHERE id <> '{org}' AND kind = 'school' ORDER BY id LIMIT 1"))
        .await;
    let other_class = app
        .scalar(&format!(
            "SELECT id FROM classes WHERE organisation_id = '{other}' ORDER BY id LIMIT 1"
        ))
        .await;
    let today = parta_core::time::today().to_string();
    sqlx::query("UPDATE enrolments SET ended_on = $2, end_reason = 'transferred' WHERE person_id = $1 AND ended_on IS NULL")
        .bind(&petr)
        .bind(&today)
        .execute(&app.db.pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO enrolments (id, person_id, organisation_id, class_id, started_on, start_reason, created_at) VALUES ('moved-on', $1, $2, $3, $4, 'transferred_in', 0)")
        .bind(&petr)
        .bind(&other)
        .bind(&other_class)
        .bind(&today)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let rename = delta_package("1,active,,true,,,Пётр,Другой,,,,,,\n", "", "", None);
    let p = problem(upload(&d, &org, rezip(&rename), false).await, 422).await;
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("другой организации"),
        "{p}"
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT last_name FROM persons WHERE id = '{petr}'"
        ))
        .await,
        "Новиков"
    );
    // tobedeleted in a full (bulk) package is a mistake, not a deletion.
    let mut full = foreign_package(&year, "");
    full[4].1 = full[4].1.replace("\n2,active,", "\n2,tobedeleted,");
    let p = problem(upload(&d, &org, rezip(&full), false).await, 422).await;
    assert!(
        p["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["field"] == "users.csv:3:status"),
        "{p}"
    );
}

/// A package under `tests/data/oneroster/` (public samples; see the README there).
fn sample(name: &str) -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/oneroster")
        .join(name);
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

/// Public packages written by another project (LongsightGroup/oneroster, MIT): a 1.2 bulk
/// package with roles, user profiles and a district above the school, its delta form, the
/// same with the gradebook files, and a header-only template — imported without edits,
/// again without changes, and beside another school that uses the same ids.
#[tokio::test]
async fn public_sample_packages_import_without_edits() {
    let app = spawn().await;
    let d = app.login("director").await;
    let org = app.director_school().await;
    for name in [
        "longsight-1.2-bulk",
        "longsight-1.2-full-bulk",
        "longsight-1.2-delta",
        "longsight-1.2-full-delta",
    ] {
        let res = upload(&d, &org, rezip(&sample(name)), false).await;
        assert_eq!(res.status(), 200, "{name}: {}", res.text().await.unwrap());
        let report: Value = res.json().await.unwrap();
        if name == "longsight-1.2-bulk" {
            assert_eq!(report["written"]["groups"], 1, "{report}");
            assert_eq!(report["written"]["people"], 2, "{report}");
            assert_eq!(report["written"]["teaching"], 1, "{report}");
        } else {
            assert_eq!(
                report["created"], 0,
                "{name}: the same people and class again: {report}"
            );
            assert_eq!(report["updated"], 0, "{name}: {report}");
        }
    }
    // The course «ALG1» with subject code «MATH» is the platform's mathematics.
    let subject = app
        .scalar(&format!("SELECT subject_code FROM study_groups WHERE organisation_id = '{org}' AND name = 'Algebra One A'"))
        .await;
    assert_eq!(subject, "math");
    // Another school's system numbers its records the same way: side by side.
    let other = app
        .scalar(&format!(
            "SELECT id FROM organisations WHERE id <> '{org}' ORDER BY id LIMIT 1"
        ))
        .await;
    let admin = app.login("admin").await;
    let res = upload(&admin, &other, rezip(&sample("longsight-1.2-bulk")), false).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    // Sign-in names are one across the platform: the people land, the taken logins are
    // reported (the school hands out sign-in letters instead).
    let report: Value = res.json().await.unwrap();
    let warnings: Vec<&str> = report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["column"].as_str().unwrap())
        .collect();
    assert_eq!(
        warnings.iter().filter(|c| **c == "username").count(),
        2,
        "{report}"
    );
    // What the platform does not keep is named, column by column.
    assert!(
        warnings.contains(&"classCode, location, periods")
            && warnings.contains(&"beginDate, userProfileSourcedId"),
        "{report}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM study_groups WHERE name = 'Algebra One A'")
            .await,
        2
    );
    // A template: headers only — said so, nothing written.
    let before = counts(&app).await;
    let p = problem(
        upload(&d, &org, rezip(&sample("longsight-1.2-template")), false).await,
        422,
    )
    .await;
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("только заголовки"),
        "{p}"
    );
    assert_eq!(counts(&app).await, before);
}

/// A subject the platform does not know is mapped once by the school, in the wizard, and
/// the same package is accepted after that.
#[tokio::test]
async fn unknown_subjects_are_mapped_once_per_school() {
    let app = spawn().await;
    let d = app.login("director").await;
    let org = app.director_school().await;
    let files: Vec<(String, String)> = sample("longsight-1.2-bulk")
        .into_iter()
        .map(|(n, t)| {
            let t = if n == "courses.csv" {
                t.replace(",Math,MATH", ",Basketry,BSKT")
            } else {
                t
            };
            let t = if n == "classes.csv" {
                t.replace(",Math,MATH,", ",Basketry,BSKT,")
            } else {
                t
            };
            (n, t)
        })
        .collect();
    let p = problem(upload(&d, &org, rezip(&files), false).await, 422).await;
    assert!(
        fields_of(&p).contains(&"classes.csv:2:courseSourcedId"),
        "{p}"
    );
    // The wizard asks which subject «ALG1» is.
    let page = d
        .http
        .post(format!("{}/schools/{org}/import", d.base))
        .multipart(
            reqwest::multipart::Form::new()
                .text("_csrf", d.csrf.clone().unwrap())
                .part(
                    "file",
                    reqwest::multipart::Part::bytes(rezip(&files)).file_name("p.zip"),
                ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 422);
    let html = page.text().await.unwrap();
    assert!(html.contains("name=\"source\" value=\"ALG1\""), "{html}");
    // Another school's director may not map this school's subjects.
    let res = d
        .form(
            &format!(
                "/schools/{}/import/subjects",
                app.scalar(&format!(
                    "SELECT id FROM organisations WHERE id <> '{org}' ORDER BY id LIMIT 1"
                ))
                .await
            ),
            &[("source", "ALG1"), ("subject", "math")],
        )
        .await;
    assert_eq!(res.status(), 403);
    let res = d
        .form(
            &format!("/schools/{org}/import/subjects"),
            &[("source", "ALG1"), ("subject", "no-such-subject")],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM roster_subject_map").await,
        0
    );
    let res = d
        .form(
            &format!("/schools/{org}/import/subjects"),
            &[("source", "ALG1"), ("subject", "math")],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("ALG1 →"));
    let res = upload(&d, &org, rezip(&files), false).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_eq!(
        app.scalar(&format!("SELECT subject_code FROM study_groups WHERE organisation_id = '{org}' AND name = 'Algebra One A'")).await,
        "math"
    );
}

/// A district's package (OneRoster 1.2): the district, two schools (one with a building),
/// a teacher of both schools, a parent of children in both, the district's own staff.
fn district_package(year: &(String, String, String), inn: &str) -> Vec<(String, String)> {
    let (title, start, end) = year;
    vec![
        ("manifest.csv".into(), "propertyName,value\nmanifest.version,1.0\noneroster.version,1.2\nfile.orgs,bulk\nfile.academicSessions,bulk\nfile.classes,bulk\nfile.users,bulk\nfile.roles,bulk\nfile.enrollments,bulk\nfile.courses,absent\nfile.demographics,absent\nfile.userProfiles,bulk\nsource.systemName,Муниципальная система\n".into()),
        ("orgs.csv".into(), format!("sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\nd1,active,,Управление образования,district,,\ns1,active,,Школа № 1,school,{inn},d1\ns2,active,,Школа № 2,school,,d1\ns2-b,active,,Школа № 2 (корпус Б),department,,s2\n")),
        ("academicSessions.csv".into(), format!("sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,schoolYear\ny1,active,,{title},schoolYear,{start},{end},,\n")),
        ("classes.csv".into(), "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods\nk1,active,,9Ю,09,,,homeroom,,s1,y1,,,\nk2,active,,9Ю,09,,,homeroom,,s2,y1,,,\n".into()),
        ("users.csv".into(), "sourcedId,status,dateLastModified,enabledUser,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds\nu1,active,,true,,,Глеб,Районов,,ID-1,,,,p1\nu2,active,,true,,,Вера,Районова,,ID-2,,,,p1\np1,active,,true,,,Марина,Районова,,,,,,\nt1,active,,true,,,Лев,Учителев,,,,,,\nx1,active,,true,,,Инна,Начальникова,,,,,,\n".into()),
        ("roles.csv".into(), "sourcedId,status,dateLastModified,userSourcedId,roleType,role,beginDate,endDate,orgSourcedId,userProfileSourcedId\nr1,active,,u1,primary,student,,,s1,\nr2,active,,u2,primary,student,,,s2,\nr3,active,,p1,primary,parent,,,d1,\nr4,active,,t1,primary,teacher,,,s1,\nr5,active,,t1,secondary,teacher,,,s2-b,\nr6,active,,x1,primary,administrator,,,d1,\n".into()),
        ("enrollments.csv".into(), "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate\ne1,active,,k1,s1,u1,student,false,,\ne2,active,,k2,s2,u2,student,false,,\ne3,active,,k1,s1,t1,teacher,true,,\ne4,active,,k2,s2,t1,teacher,true,,\n".into()),
        ("userProfiles.csv".into(), "sourcedId,status,dateLastModified,userSourcedId,profileType,vendorId,applicationId,description,credentialType,username,password\nup1,active,,u1,lms,v,a,,password,gleb,secret\n".into()),
    ]
}

async fn upload_several(c: &Client, body: Vec<u8>, dry_run: bool) -> reqwest::Response {
    c.post_raw(
        &format!("/api/v1/roster?dry_run={dry_run}"),
        "application/zip",
        body,
    )
    .await
}

/// The district package's two schools: the director's (its INN in the package) and
/// another with a year (none in the package: the operator picks it), and the package.
async fn district_schools(
    app: &TestApp,
) -> (
    String,
    String,
    (String, String, String),
    Vec<(String, String)>,
) {
    let a = app.director_school().await;
    let b = app
        .scalar(&format!(
            "SELECT o.id FROM organisations o WHERE o.id <> '{a}' AND o.kind = 'school' \
             AND EXISTS (SELECT 1 FROM academic_years y WHERE y.organisation_id = o.id) ORDER BY o.id LIMIT 1"
        ))
        .await;
    let inn = app
        .scalar(&format!("SELECT inn FROM organisations WHERE id = '{a}'"))
        .await;
    let year = latest_year(app, &a).await;
    let files = district_package(&year, &inn);
    (a, b, year, files)
}

/// A district's package is taken apart by school: each organisation matched to a school
/// of the operator's territory (by INN, or picked once), a teacher of two schools and a
/// parent of children in two schools one person each, the district's own staff and the
/// files the platform does not keep reported; written all or nothing, idempotent.
#[tokio::test]
async fn a_district_package_with_its_schools() {
    let app = spawn().await;
    let region = app.login("region").await;
    let (a, b, _, files) = district_schools(&app).await;
    let before = counts(&app).await;

    // School 2 has no INN: the operator is asked to pick it; nothing is written.
    let p = problem(upload_several(&region, rezip(&files), true).await, 422).await;
    let unmatched: Vec<&Value> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["field"].as_str().unwrap().starts_with("orgs.csv:4"))
        .collect();
    assert_eq!(unmatched.len(), 1, "{p}");
    assert!(
        unmatched[0]["message"]
            .as_str()
            .unwrap()
            .contains("Школа № 2"),
        "{p}"
    );
    assert_eq!(counts(&app).await, before);

    // A school admin cannot import a district's package, nor match its organisations.
    let d = app.login("director").await;
    problem(upload_several(&d, rezip(&files), true).await, 403).await;
    problem(
        d.send(
            "PUT",
            "/api/v1/roster/orgs",
            Some(&json!([{"source": "s2", "organisation": b}])),
        )
        .await,
        403,
    )
    .await;
    // A school outside the territory is refused, naming the field.
    let muni = app.login("municipality").await;
    let far = app
        .scalar(
            "SELECT o.id FROM organisations o JOIN municipalities m ON m.id = o.municipality_id \
             WHERE m.id NOT IN (SELECT municipality_id FROM role_assignments r JOIN accounts a ON a.person_id = r.person_id WHERE a.login = 'municipality' AND r.municipality_id IS NOT NULL) ORDER BY o.id LIMIT 1",
        )
        .await;
    let p = problem(
        muni.send(
            "PUT",
            "/api/v1/roster/orgs",
            Some(&json!([{"source": "s2", "organisation": far}])),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields_of(&p), vec!["orgs[0].organisation"], "{p}");

    // The operator picks school 2 once.
    let res = region
        .send(
            "PUT",
            "/api/v1/roster/orgs",
            Some(&json!([{"source": "s2", "organisation": b}])),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());

    // A dry run reports both schools and writes nothing.
    let res = upload_several(&region, rezip(&files), true).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let report: Value = res.json().await.unwrap();
    assert_eq!(report["schools"].as_array().unwrap().len(), 2, "{report}");
    assert_eq!(counts(&app).await, before);

    let res = upload_several(&region, rezip(&files), false).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let report: Value = res.json().await.unwrap();
    let schools = report["schools"].as_array().unwrap();
    assert_eq!(
        schools
            .iter()
            .map(|s| (
                s["source_id"].as_str().unwrap(),
                s["organisation_id"].as_str().unwrap(),
                s["matched_by"].as_str().unwrap()
            ))
            .collect::<Vec<_>>(),
        vec![("s1", a.as_str(), "identifier"), ("s2", b.as_str(), "map")],
        "{report}"
    );
    // Four people (the district's administrator is reported, not written).
    assert_eq!(
        app.count("SELECT COUNT(*) FROM persons WHERE last_name IN ('Районов', 'Районова', 'Учителев', 'Начальникова')")
            .await,
        4
    );
    // The teacher works in both schools; the parent is one person with two children.
    for org in [&a, &b] {
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM staff_positions s JOIN persons p ON p.id = s.person_id WHERE p.last_name = 'Учителев' AND s.organisation_id = '{org}' AND s.ended_on IS NULL"
            ))
            .await,
            1
        );
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM guardianships g JOIN persons p ON p.id = g.parent_id WHERE p.first_name = 'Марина' AND p.last_name = 'Районова'")
            .await,
        2
    );
    // Nothing lost in silence: the profiles file, the unused column, the district's staff.
    let all_warnings: Vec<String> = report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            format!(
                "{}:{}:{}",
                w["file"].as_str().unwrap(),
                w["line"],
                w["column"].as_str().unwrap()
            )
        })
        .collect();
    for want in [
        "userProfiles.csv:0:",
        "users.csv:1:identifier",
        "roles.csv:7:orgSourcedId",
        "users.csv:6:sourcedId",
    ] {
        assert!(
            all_warnings.iter().any(|w| w == want),
            "{want} in {all_warnings:?}"
        );
    }
    // The same package again changes nothing.
    let after = counts(&app).await;
    let res = upload_several(&region, rezip(&files), false).await;
    let report: Value = res.json().await.unwrap();
    assert_eq!(
        (report["created"].as_u64(), report["updated"].as_u64()),
        (Some(0), Some(0)),
        "{report}"
    );
    assert_eq!(counts(&app).await, after);

    // Bad input: organisations subordinate to each other in a circle; an enrolment into
    // another school's class. Reported with file and line; nothing written.
    let mut circle = files.clone();
    circle[1].1 = circle[1].1.replace(
        "d1,active,,Управление образования,district,,",
        "d1,active,,Управление образования,district,,s1",
    );
    let p = problem(upload_several(&region, rezip(&circle), false).await, 422).await;
    assert!(
        p["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["field"] == "orgs.csv:2:parentSourcedId"
                && e["message"].as_str().unwrap().contains("по кругу")),
        "{p}"
    );
    let mut crossed = files.clone();
    crossed[6].1 = crossed[6]
        .1
        .replace("e2,active,,k2,s2,u2", "e2,active,,k1,s2,u2");
    let p = problem(upload_several(&region, rezip(&crossed), false).await, 422).await;
    assert!(
        p["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["field"] == "enrollments.csv:3:classSourcedId"),
        "{p}"
    );
    assert_eq!(counts(&app).await, after);
}

/// The district's package as its 1.1 system writes it (roles and organisations in
/// `users.csv`, the parent naming the children), then a package of changes for two of its
/// schools: both taken apart by school like the 1.2 package, the 1.1 one changing nothing.
#[tokio::test]
async fn a_district_package_in_one_one_and_as_changes() {
    let app = spawn().await;
    let region = app.login("region").await;
    let (a, b, year, files) = district_schools(&app).await;
    let res = region
        .send(
            "PUT",
            "/api/v1/roster/orgs",
            Some(&json!([{"source": "s2", "organisation": b}])),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let res = upload_several(&region, rezip(&files), false).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let after = counts(&app).await;

    // 1.1: the same people, classes and stays; nothing changes.
    let (title, start, end) = &year;
    let one_one: Vec<(String, String)> = vec![
        ("manifest.csv".into(), "propertyName,value\nmanifest.version,1.0\noneroster.version,1.1\nfile.orgs,bulk\nfile.academicSessions,bulk\nfile.classes,bulk\nfile.users,bulk\nfile.enrollments,bulk\nfile.courses,absent\nfile.demographics,absent\n".into()),
        files[1].clone(),
        ("academicSessions.csv".into(), format!("sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,schoolYear\ny1,active,,{title},schoolYear,{start},{end},,\n")),
        files[3].clone(),
        ("users.csv".into(), "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password\nu1,active,,true,s1,student,,,Глеб,Районов,,,,,,,09,\nu2,active,,true,s2,student,,,Вера,Районова,,,,,,,09,\np1,active,,true,d1,parent,,,Марина,Районова,,,,,,\"u1,u2\",,\nt1,active,,true,\"s1,s2-b\",teacher,,,Лев,Учителев,,,,,,,,\n".into()),
        files[6].clone(),
    ];
    let res = upload_several(&region, rezip(&one_one), false).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let report: Value = res.json().await.unwrap();
    assert_eq!(report["format"], "OneRoster 1.1", "{report}");
    assert_eq!(report["schools"].as_array().unwrap().len(), 2, "{report}");
    assert_eq!(
        (report["created"].as_u64(), report["updated"].as_u64()),
        (Some(0), Some(0)),
        "{report}"
    );
    assert_eq!(counts(&app).await, after);

    // Changes: Вера leaves school 2's class; Нина comes to school 1 as a new student.
    let when = "2026-11-30T08:00:00Z";
    let delta: Vec<(String, String)> = vec![
        ("manifest.csv".into(), "propertyName,value\nmanifest.version,1.0\noneroster.version,1.2\nfile.orgs,bulk\nfile.academicSessions,absent\nfile.classes,absent\nfile.users,delta\nfile.roles,delta\nfile.enrollments,delta\nfile.courses,absent\nfile.demographics,absent\n".into()),
        files[1].clone(),
        ("users.csv".into(), format!("sourcedId,status,dateLastModified,enabledUser,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds\nu3,active,{when},true,,,Нина,Районова-Новая,,,,,,\n")),
        ("roles.csv".into(), format!("sourcedId,status,dateLastModified,userSourcedId,roleType,role,beginDate,endDate,orgSourcedId,userProfileSourcedId\nr7,active,{when},u3,primary,student,,,s1,\n")),
        ("enrollments.csv".into(), format!("sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate\ne2,tobedeleted,{when},k2,s2,u2,student,false,,\ne5,active,{when},k1,s1,u3,student,false,,\n")),
    ];
    let res = upload_several(&region, rezip(&delta), false).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let report: Value = res.json().await.unwrap();
    assert_eq!(report["schools"].as_array().unwrap().len(), 2, "{report}");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM enrolments e JOIN persons p ON p.id = e.person_id \
             WHERE p.last_name = 'Районова-Новая' AND e.organisation_id = '{a}' AND e.ended_on IS NULL"
        ))
        .await,
        1
    );
    // Her stay ends; the record and its history stay.
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM enrolments e JOIN persons p ON p.id = e.person_id \
             WHERE p.first_name = 'Вера' AND p.last_name = 'Районова' AND e.organisation_id = '{b}' AND e.ended_on IS NOT NULL"
        ))
        .await,
        1
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM persons WHERE first_name = 'Вера' AND last_name = 'Районова'"
        )
        .await,
        1
    );
}
