//! The parsers of outside input, each with valid seeds and a way to build a case from
//! them: raw byte mutations, and for archives also mutations of the files inside,
//! zipped again (so the parsers behind the ZIP reader are reached).

use crate::mutate::{mutate, MAX_INPUT};
use rand::rngs::StdRng;
use rand::Rng;
use std::io::Write;

pub struct Target {
    pub name: &'static str,
    /// Builds the next case.
    pub case: fn(&mut StdRng, &Seeds) -> Vec<u8>,
    /// Runs the parser on it; errors are answers, only panics and aborts are crashes.
    pub run: fn(&[u8], &Env),
}

/// What the runs need beyond the bytes.
pub struct Env {
    pub rt: tokio::runtime::Runtime,
    staff: Vec<(parta_core::ids::PersonId, String, Option<String>)>,
    subjects: Vec<parta_registry::model::ReferenceEntry>,
    groups: Vec<(parta_core::ids::GroupId, String)>,
}

impl Env {
    pub fn new() -> std::io::Result<Self> {
        let id = |n: u128| uuid::Uuid::from_u128(n);
        Ok(Self {
            rt: tokio::runtime::Builder::new_current_thread().build()?,
            staff: vec![
                (
                    parta_core::ids::PersonId(id(1)),
                    "Иванова Мария Петровна".into(),
                    Some("112-233-445 95".into()),
                ),
                (parta_core::ids::PersonId(id(2)), "Петров Пётр".into(), None),
            ],
            subjects: [
                ("math", "Математика"),
                ("rus", "Русский язык"),
                ("phys", "Физика"),
            ]
            .iter()
            .map(|(c, n)| parta_registry::model::ReferenceEntry {
                code: c.to_string(),
                name: n.to_string(),
                source: "federal".into(),
            })
            .collect(),
            groups: vec![(parta_core::ids::GroupId(id(3)), "1 группа".into())],
        })
    }
}

pub struct Seeds {
    pub template_csv: Vec<Vec<u8>>,
    pub sheet_xml: Vec<Vec<u8>>,
    pub oneroster: Vec<(String, Vec<u8>)>,
    pub timetable: Vec<Vec<u8>>,
    pub json: Vec<Vec<u8>>,
    pub multipart: Vec<Vec<u8>>,
}

const BOUNDARY: &str = "----parta-fuzz-boundary";

impl Seeds {
    pub fn new() -> Self {
        let blank = parta_roster::template::blank().into_bytes();
        let mut rows = blank.clone();
        for i in 0..20 {
            rows.extend_from_slice(
                format!("Сидоров{i};Иван;;01.02.2014;м;;5Б;;Сидорова;Анна;;;+7 900 000-00-0{};;мать\r\n", i % 10).as_bytes(),
            );
        }
        let cp1251 = encoding_rs::WINDOWS_1251
            .encode(&String::from_utf8_lossy(&rows))
            .0
            .into_owned();
        let sheet = |cells: &str| {
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:H3"/><sheetData>{cells}</sheetData></worksheet>"#
            )
            .into_bytes()
        };
        let cell =
            |r: &str, v: &str| format!(r#"<c r="{r}" t="inlineStr"><is><t>{v}</t></is></c>"#);
        let header: String = parta_roster::template::COLUMNS[..8]
            .iter()
            .enumerate()
            .map(|(i, c)| cell(&format!("{}1", (b'A' + i as u8) as char), c))
            .collect();
        let row2 = ["Морозова", "Ульяна", "", "14.03.2015", "ж", "", "5В", ""]
            .iter()
            .enumerate()
            .map(|(i, c)| cell(&format!("{}2", (b'A' + i as u8) as char), c))
            .collect::<String>();
        let num = r#"<c r="D3" t="n"><v>41000</v></c><c r="A3" t="s"><v>0</v></c>"#;
        let oneroster = vec![
            ("manifest.csv".to_string(), b"propertyName,value\noneroster.version,1.2\nfile.users,bulk\n".to_vec()),
            ("orgs.csv".into(), b"sourcedId,name,type,identifier\norg1,School,school,5200000001\n".to_vec()),
            ("academicSessions.csv".into(), b"sourcedId,title,type,startDate,endDate\ny1,2026/27,schoolYear,2026-09-01,2027-05-31\n".to_vec()),
            ("courses.csv".into(), b"sourcedId,title,courseCode\nc1,Math,math\n".to_vec()),
            ("classes.csv".into(), b"sourcedId,title,grades,courseSourcedId,classType,schoolSourcedId,termSourcedIds\nk1,5A,05,c1,homeroom,org1,y1\n".to_vec()),
            ("users.csv".into(), b"sourcedId,givenName,familyName,middleName,userIds,agentSourcedIds\nu1,Ivan,Petrov,,{snils:112-233-445 95},u2\nu2,Anna,Ivanova,,,\n".to_vec()),
            ("roles.csv".into(), b"sourcedId,userSourcedId,roleType,role,orgSourcedId\nr1,u1,primary,student,org1\nr2,u2,primary,teacher,org1\nr3,u2,secondary,parent,org1\n".to_vec()),
            ("enrollments.csv".into(), b"sourcedId,classSourcedId,schoolSourcedId,userSourcedId,role,beginDate\ne1,k1,org1,u1,student,2026-09-01\ne2,k1,org1,u2,teacher,2026-09-01\n".to_vec()),
        ];
        let timetable = vec![
            "день;урок;предмет;учитель;кабинет;группа\nпонедельник;1;Математика;Иванова Мария Петровна;21;\nвторник;2;rus;112-233-445 95;;1 группа\n".as_bytes().to_vec(),
            b"den,urok\n1,1,math,x,1\n".to_vec(),
        ];
        let json = vec![
            br#"{"marks":[{"lesson_id":"00000000-0000-0000-0000-000000000001","student_id":"00000000-0000-0000-0000-000000000002","value":"5","work_type":"test","comment":"x"}],"attendance":[{"lesson_id":"00000000-0000-0000-0000-000000000001","student_id":"00000000-0000-0000-0000-000000000002","status":"absent"}],"lessons":[{"lesson_id":"00000000-0000-0000-0000-000000000001","topic":"t","homework":"h","homework_due":"2026-12-01"}]}"#.to_vec(),
            br#"{"valid_from":"2026-12-01","slots":[{"weekday":1,"lesson_no":1,"subject_code":"math","teacher_id":"00000000-0000-0000-0000-000000000001","room":"1"}]}"#.to_vec(),
            br#"{"class_id":"00000000-0000-0000-0000-000000000001","subject_code":"math","period":"year","grades":[{"student_id":"00000000-0000-0000-0000-000000000002","value":"5"}]}"#.to_vec(),
            br#"[{"lesson_no":1,"starts_at":"08:30","ends_at":"09:10"}]"#.to_vec(),
            br#"[{"kind":"mark","enabled":false}]"#.to_vec(),
            br#"{"municipality_id":"00000000-0000-0000-0000-000000000001","kind":"school","full_name":"x","short_name":"x","inn":"5200000001","ogrn":"1025200000001","address":"x"}"#.to_vec(),
            br#"{"email":"a@b.ru","phone":"+79120000000"}"#.to_vec(),
        ];
        let part = |name: &str, file: Option<&str>, body: &str| {
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"{}\r\n\r\n{body}\r\n",
                file.map(|f| format!("; filename=\"{f}\"")).unwrap_or_default()
            )
        };
        let multipart = vec![
            format!(
                "{}{}{}--{BOUNDARY}--\r\n",
                part("_csrf", None, "token-123"),
                part("file", Some("spisok.csv"), "Фамилия;Имя\r\nА;Б"),
                part("dry_run", None, "1")
            )
            .into_bytes(),
            format!("{}--{BOUNDARY}--\r\n", part("file", Some("a.txt"), "x")).into_bytes(),
        ];
        Seeds {
            template_csv: vec![blank, rows, cp1251],
            sheet_xml: vec![
                sheet(&format!(
                    "<row r=\"1\">{header}</row><row r=\"2\">{row2}</row>"
                )),
                sheet(&format!(
                    "<row r=\"1\">{header}</row><row r=\"3\">{num}</row>"
                )),
            ],
            oneroster,
            timetable,
            json,
            multipart,
        }
    }
}

fn zip_of(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in files {
        if w.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .is_err()
            || w.write_all(data).is_err()
        {
            break;
        }
    }
    w.finish().map(|c| c.into_inner()).unwrap_or_default()
}

/// An Excel workbook around a sheet (and, sometimes, shared strings).
fn workbook(sheet: Vec<u8>, shared: Option<Vec<u8>>) -> Vec<u8> {
    let mut files: Vec<(String, Vec<u8>)> = vec![
        ("[Content_Types].xml".into(), br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_vec()),
        ("_rels/.rels".into(), br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_vec()),
        ("xl/workbook.xml".into(), br#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_vec()),
        ("xl/_rels/workbook.xml.rels".into(), br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_vec()),
        ("xl/worksheets/sheet1.xml".into(), sheet),
    ];
    if let Some(s) = shared {
        files.push(("xl/sharedStrings.xml".into(), s));
    }
    zip_of(&files)
}

fn pick<'a>(rng: &mut StdRng, v: &'a [Vec<u8>]) -> &'a [u8] {
    &v[rng.gen_range(0..v.len())]
}

fn template_csv_case(rng: &mut StdRng, s: &Seeds) -> Vec<u8> {
    {
        let seed = pick(rng, &s.template_csv);
        mutate(rng, seed, &s.template_csv)
    }
}

fn xlsx_case(rng: &mut StdRng, s: &Seeds) -> Vec<u8> {
    let sheet = {
        let seed = pick(rng, &s.sheet_xml);
        mutate(rng, seed, &s.sheet_xml)
    };
    let sheet = if rng.gen_bool(0.2) {
        // Far cells: the dense-range bomb and its relatives.
        let (r, c) = (rng.gen_range(1..=1_048_576u32), rng.gen_range(0..16_384u32));
        let col = parta_roster::limits::column_letters(c);
        String::from_utf8_lossy(&sheet)
            .replacen("</sheetData>", &format!(r#"<row r="{r}"><c r="{col}{r}" t="inlineStr"><is><t>x</t></is></c></row></sheetData>"#), 1)
            .into_bytes()
    } else {
        sheet
    };
    let shared = rng.gen_bool(0.3).then(|| {
        let n = rng.gen_range(0..5000);
        let mut s = String::from(r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#);
        for i in 0..n {
            s.push_str(&format!("<si><t>{i}</t></si>"));
        }
        s.push_str("</sst>");
        mutate(rng, s.as_bytes(), &[])
    });
    let book = workbook(sheet, shared);
    if rng.gen_bool(0.25) {
        mutate(rng, &book, &[])
    } else {
        book
    }
}

fn oneroster_case(rng: &mut StdRng, s: &Seeds) -> Vec<u8> {
    let mut files = s.oneroster.clone();
    for _ in 0..rng.gen_range(1..=3) {
        let i = rng.gen_range(0..files.len());
        let others: Vec<Vec<u8>> = s.oneroster.iter().map(|f| f.1.clone()).collect();
        files[i].1 = mutate(rng, &files[i].1, &others);
    }
    if rng.gen_bool(0.1) {
        files.remove(rng.gen_range(0..files.len()));
    }
    if rng.gen_bool(0.05) {
        // Many entries, or a highly compressible one.
        let n = rng.gen_range(1..300);
        for i in 0..n {
            files.push((
                format!("extra{i}.csv"),
                vec![b'a'; rng.gen_range(0..(MAX_INPUT / n))],
            ));
        }
    }
    let zip = zip_of(&files);
    if rng.gen_bool(0.25) {
        mutate(rng, &zip, &[])
    } else {
        zip
    }
}

fn timetable_case(rng: &mut StdRng, s: &Seeds) -> Vec<u8> {
    {
        let seed = pick(rng, &s.timetable);
        mutate(rng, seed, &s.timetable)
    }
}

fn json_case(rng: &mut StdRng, s: &Seeds) -> Vec<u8> {
    if rng.gen_bool(0.05) {
        // Deep nesting.
        let d = rng.gen_range(1..200_000);
        let mut v = vec![b'['; d];
        v.extend(std::iter::repeat_n(b']', rng.gen_range(0..=d)));
        return v;
    }
    {
        let seed = pick(rng, &s.json);
        mutate(rng, seed, &s.json)
    }
}

fn multipart_case(rng: &mut StdRng, s: &Seeds) -> Vec<u8> {
    {
        let seed = pick(rng, &s.multipart);
        mutate(rng, seed, &s.multipart)
    }
}

pub fn all() -> Vec<Target> {
    vec![
        Target {
            name: "roster-template-csv",
            case: template_csv_case,
            run: |b, _| {
                let _ = parta_roster::template::parse(b);
            },
        },
        Target {
            name: "roster-template-xlsx",
            case: xlsx_case,
            run: |b, _| {
                let _ = parta_roster::template::is_xlsx(b);
                let _ = parta_roster::template::parse_xlsx(b);
            },
        },
        Target {
            name: "oneroster-zip",
            case: oneroster_case,
            run: |b, _| {
                if let Ok(files) = parta_roster::oneroster::unzip(b) {
                    let _ = parta_roster::oneroster::parse(files);
                }
            },
        },
        Target {
            name: "timetable-text",
            case: timetable_case,
            run: |b, env| {
                let text = String::from_utf8_lossy(b);
                let _ = parta_schoolday::service::parse_template_text(
                    &text,
                    &env.staff,
                    &env.subjects,
                    &env.groups,
                );
            },
        },
        Target {
            name: "json-bodies",
            case: json_case,
            run: |b, _| {
                use parta_schoolday::model as j;
                let _ = serde_json::from_slice::<j::JournalSave>(b);
                let _ = serde_json::from_slice::<j::TemplateVersion>(b);
                let _ = serde_json::from_slice::<j::GradesInput>(b);
                let _ = serde_json::from_slice::<Vec<j::Bell>>(b);
                let _ = serde_json::from_slice::<j::NewCalendarDay>(b);
                let _ = serde_json::from_slice::<j::ExtraLesson>(b);
                let _ = serde_json::from_slice::<j::LessonChange>(b);
                let _ = serde_json::from_slice::<Vec<parta_notify::Preference>>(b);
                let _ = serde_json::from_slice::<parta_registry::model::NewOrganisation>(b);
                let _ = serde_json::from_slice::<parta_registry::model::NewPerson>(b);
                let _ = serde_json::from_slice::<parta_registry::model::ContactUpdate>(b);
                let _ = serde_json::from_slice::<serde_json::Value>(b);
            },
        },
        Target {
            name: "multipart-forms",
            case: multipart_case,
            run: |b, env| {
                let body = axum::body::Bytes::copy_from_slice(b);
                let ct = format!("multipart/form-data; boundary={BOUNDARY}");
                let _ = env
                    .rt
                    .block_on(parta_http::csrf::multipart_token(&ct, body));
            },
        },
    ]
}
