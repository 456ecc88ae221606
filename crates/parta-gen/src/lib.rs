//! Synthetic regions: the deterministic demo (`parta serve --demo`) and large
//! datasets for benchmarks (`parta gen --students N --seed S`). Same seed, same data.

pub mod bulk;
pub mod names;
pub mod plans;
mod school_day;

use bulk::{Bulk, V};
use chrono::{Datelike, NaiveDate};
use parta_core::ids::seeded_uuid;
use parta_core::time::now_ms;
use parta_db::Db;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The password of every generated account.
pub const DEMO_PASSWORD: &str = "Parta-demo-2026";

#[derive(Debug, Clone)]
pub struct Spec {
    pub students: u64,
    pub seed: u64,
    /// The small showcase region with named sign-ins for each role.
    pub demo: bool,
    /// Calendar, timetable, lessons, marks and attendance (always in the demo).
    pub school_day: bool,
}

impl Spec {
    pub fn demo() -> Self {
        Spec {
            students: 600,
            seed: 2026,
            demo: true,
            school_day: true,
        }
    }
}

/// A sign-in printed for people to try the platform.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub role: &'static str,
    pub login: String,
    pub name: String,
}

#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub municipalities: u64,
    pub schools: u64,
    pub classes: u64,
    pub students: u64,
    pub parents: u64,
    pub staff: u64,
    pub rows: u64,
    pub accounts: Vec<DemoAccount>,
}

#[derive(Debug, thiserror::Error)]
pub enum GenError {
    #[error("база данных не пуста: генерация выполняется только в пустую базу")]
    NotEmpty,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error("не удалось вычислить хеш пароля")]
    Hash,
}

/// Whether the registry holds no organisations yet.
pub async fn is_empty(db: &Db) -> Result<bool, sqlx::Error> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM organisations")
        .fetch_one(&db.pool)
        .await?;
    Ok(n == 0)
}

const TABLES: &[(&str, &[&str])] = &[
    (
        "municipalities",
        &["id", "region_code", "name", "oktmo", "created_at"],
    ),
    (
        "persons",
        &[
            "id",
            "last_name",
            "first_name",
            "middle_name",
            "birth_date",
            "sex",
            "snils",
            "email",
            "phone",
            "created_at",
            "updated_at",
            "email_confirmed",
        ],
    ),
    (
        "organisations",
        &[
            "id",
            "municipality_id",
            "kind",
            "full_name",
            "short_name",
            "inn",
            "ogrn",
            "address",
            "head_id",
            "created_at",
            "updated_at",
        ],
    ),
    (
        "academic_years",
        &["id", "organisation_id", "name", "starts_on", "ends_on"],
    ),
    (
        "classes",
        &[
            "id",
            "organisation_id",
            "academic_year_id",
            "grade_level",
            "letter",
            "name",
            "class_teacher_id",
        ],
    ),
    (
        "enrolments",
        &[
            "id",
            "person_id",
            "organisation_id",
            "class_id",
            "started_on",
            "start_reason",
            "ended_on",
            "end_reason",
            "created_at",
        ],
    ),
    ("guardianships", &["parent_id", "child_id", "kind"]),
    (
        "staff_positions",
        &[
            "id",
            "person_id",
            "organisation_id",
            "position",
            "started_on",
        ],
    ),
    (
        "teaching_assignments",
        &[
            "id",
            "teacher_id",
            "class_id",
            "subject_code",
            "academic_year_id",
        ],
    ),
    (
        "role_assignments",
        &[
            "id",
            "person_id",
            "role",
            "organisation_id",
            "municipality_id",
            "region_code",
            "personal_data_granted",
            "created_at",
        ],
    ),
    (
        "accounts",
        &[
            "id",
            "person_id",
            "login",
            "password_hash",
            "disabled",
            "created_at",
            "password_changed_at",
        ],
    ),
    (
        "school_settings",
        &[
            "organisation_id",
            "week_days",
            "rounding_threshold",
            "updated_at",
        ],
    ),
    (
        "study_periods",
        &[
            "id",
            "organisation_id",
            "academic_year_id",
            "kind",
            "name",
            "grade_from",
            "grade_to",
            "starts_on",
            "ends_on",
            "closed_at",
        ],
    ),
    (
        "calendar_days",
        &[
            "id",
            "organisation_id",
            "starts_on",
            "ends_on",
            "kind",
            "follows_weekday",
            "name",
        ],
    ),
    (
        "bell_times",
        &[
            "organisation_id",
            "shift",
            "lesson_no",
            "starts_at",
            "ends_at",
        ],
    ),
    (
        "timetable_slots",
        &[
            "id",
            "organisation_id",
            "class_id",
            "weekday",
            "lesson_no",
            "subject_code",
            "teacher_id",
            "room",
            "valid_from",
        ],
    ),
    (
        "lessons",
        &[
            "id",
            "organisation_id",
            "class_id",
            "slot_id",
            "day",
            "lesson_no",
            "subject_code",
            "teacher_id",
            "room",
            "status",
            "topic",
            "homework",
            "updated_at",
            "attendance_taken_at",
        ],
    ),
    (
        "marks",
        &[
            "id",
            "lesson_id",
            "student_id",
            "day",
            "subject_code",
            "value",
            "score",
            "work_type",
            "weight",
            "comment",
            "created_by",
            "created_at",
            "updated_by",
            "updated_at",
        ],
    ),
    (
        "attendance",
        &[
            "lesson_id",
            "student_id",
            "day",
            "status",
            "reason",
            "updated_by",
            "updated_at",
        ],
    ),
    (
        "period_grades",
        &[
            "student_id",
            "subject_code",
            "academic_year_id",
            "period_key",
            "class_id",
            "value",
            "set_by",
            "set_at",
        ],
    ),
];

/// Id kinds for [`seeded_uuid`].
mod kind {
    pub const PERSON: u8 = 1;
    pub const ORG: u8 = 2;
    pub const MUN: u8 = 3;
    pub const YEAR: u8 = 4;
    pub const CLASS: u8 = 5;
    pub const ENROL: u8 = 6;
    pub const POS: u8 = 7;
    pub const TEACH: u8 = 8;
    pub const ROLE: u8 = 9;
    pub const ACCOUNT: u8 = 10;
    pub const SLOT: u8 = 11;
    pub const LESSON: u8 = 12;
    pub const MARK: u8 = 13;
    pub const PERIOD: u8 = 14;
    pub const CALDAY: u8 = 15;
}

/// Subjects taught by subject teachers in grades 5–11, grouped by specialisation.
const SPECIALITIES: &[&[&str]] = &[
    &["rus", "lit"],
    &["math", "algebra", "geometry", "prob_stat", "math_adv"],
    &["foreign_en"],
    &["history", "social", "odnknr"],
    &["biology", "chemistry", "geography"],
    &["physics", "informatics"],
    &["pe", "obzr"],
    &["music", "art", "technology"],
];

/// Subjects per grade with their range, from the reference book.
const SUBJECTS: &[(&str, u32, u32)] = &[
    ("rus", 1, 11),
    ("lit_read", 1, 4),
    ("lit", 5, 11),
    ("foreign_en", 2, 11),
    ("math", 1, 6),
    ("algebra", 7, 9),
    ("geometry", 7, 9),
    ("prob_stat", 7, 11),
    ("math_adv", 10, 11),
    ("informatics", 7, 11),
    ("world", 1, 4),
    ("orkse", 4, 4),
    ("odnknr", 5, 6),
    ("history", 5, 11),
    ("social", 6, 11),
    ("geography", 5, 11),
    ("biology", 5, 11),
    ("physics", 7, 11),
    ("chemistry", 8, 11),
    ("music", 1, 8),
    ("art", 1, 7),
    ("technology", 1, 9),
    ("pe", 1, 11),
    ("obzr", 8, 11),
];

const LETTERS: &[&str] = &["А", "Б", "В", "Г", "Д", "Е", "Ж"];

struct Gen {
    seed: u64,
    rng: ChaCha8Rng,
    bulk: Bulk,
    n: [u64; 16],
    now: i64,
    hash: String,
    year_start: i32,
    school_day: bool,
    summary: Summary,
}

struct Family {
    surname: &'static str,
    father: &'static str,
    kids: Vec<(String, u32)>,
}

struct Person {
    id: String,
    last: String,
    first: String,
}

impl Gen {
    fn id(&mut self, k: u8) -> String {
        self.n[k as usize] += 1;
        seeded_uuid(self.seed, k, self.n[k as usize]).to_string()
    }

    fn date(y: i32, m: u32, d: u32) -> String {
        NaiveDate::from_ymd_opt(y, m, d)
            .map(|d| d.to_string())
            .unwrap_or_default()
    }

    /// A person with a valid СНИЛС, born in `year`.
    async fn person(
        &mut self,
        male: bool,
        year: i32,
        surname: Option<&str>,
        first: Option<&str>,
        father: Option<&str>,
        contacts: bool,
    ) -> Result<Person, sqlx::Error> {
        let id = self.id(kind::PERSON);
        let n = self.n[kind::PERSON as usize];
        let base = surname.map(str::to_string).unwrap_or_else(|| {
            names::SURNAMES
                .choose(&mut self.rng)
                .copied()
                .unwrap_or("Иванов")
                .to_string()
        });
        let last = if male {
            base.clone()
        } else {
            names::female_surname(&base)
        };
        let first = match first {
            Some(f) => f.to_string(),
            None => if male { names::MALE } else { names::FEMALE }
                .choose(&mut self.rng)
                .copied()
                .unwrap_or("Анна")
                .to_string(),
        };
        let father = father.map(str::to_string).unwrap_or_else(|| {
            names::MALE
                .choose(&mut self.rng)
                .copied()
                .unwrap_or("Иван")
                .to_string()
        });
        let middle = names::patronymic(&father, male);
        let birth = Self::date(year, self.rng.gen_range(1..=12), self.rng.gen_range(1..=28));
        let phone = contacts.then(|| format!("+79{:09}", (n * 7919) % 1_000_000_000));
        let email = contacts.then(|| format!("user{n}@example.ru"));
        self.bulk
            .push(
                "persons",
                vec![
                    V::from(id.clone()),
                    last.clone().into(),
                    first.clone().into(),
                    middle.into(),
                    birth.into(),
                    (if male { "male" } else { "female" }).into(),
                    snils(100_000_000 + n).into(),
                    email.into(),
                    phone.into(),
                    self.now.into(),
                    self.now.into(),
                    // The school recorded these addresses.
                    V::I(i64::from(contacts)),
                ],
            )
            .await?;
        Ok(Person {
            id,
            last: base,
            first,
        })
    }

    async fn role(
        &mut self,
        person: &str,
        role: &str,
        org: Option<&str>,
        mun: Option<&str>,
        region: Option<&str>,
    ) -> Result<(), sqlx::Error> {
        let id = self.id(kind::ROLE);
        self.bulk
            .push(
                "role_assignments",
                vec![
                    id.into(),
                    person.into(),
                    role.into(),
                    org.map(str::to_string).into(),
                    mun.map(str::to_string).into(),
                    region.map(str::to_string).into(),
                    0i64.into(),
                    self.now.into(),
                ],
            )
            .await
    }

    async fn account(
        &mut self,
        person: &str,
        login: Option<String>,
    ) -> Result<String, sqlx::Error> {
        let id = self.id(kind::ACCOUNT);
        let login = login.unwrap_or_else(|| format!("u{}", self.n[kind::ACCOUNT as usize]));
        self.bulk
            .push(
                "accounts",
                vec![
                    id.into(),
                    person.into(),
                    login.clone().into(),
                    self.hash.clone().into(),
                    0i64.into(),
                    self.now.into(),
                    self.now.into(),
                ],
            )
            .await?;
        Ok(login)
    }

    async fn staff(
        &mut self,
        org: &str,
        position: &str,
        born_from: i32,
        spread: i32,
    ) -> Result<Person, sqlx::Error> {
        let year = born_from + self.rng.gen_range(0..spread);
        let male = self.rng.gen_bool(0.25);
        let p = self.person(male, year, None, None, None, true).await?;
        let pid = self.id(kind::POS);
        let started = Self::date(self.year_start - self.rng.gen_range(0..20), 9, 1);
        self.bulk
            .push(
                "staff_positions",
                vec![
                    pid.into(),
                    p.id.clone().into(),
                    org.into(),
                    position.into(),
                    started.into(),
                ],
            )
            .await?;
        self.summary.staff += 1;
        Ok(p)
    }
}

/// СНИЛС with its check number, formatted `123-456-789 01`.
pub fn snils(n: u64) -> String {
    let digits: Vec<u64> = format!("{:09}", n % 1_000_000_000)
        .bytes()
        .map(|b| u64::from(b - b'0'))
        .collect();
    let sum: u64 = digits
        .iter()
        .enumerate()
        .map(|(i, d)| d * (9 - i as u64))
        .sum();
    let check = match sum % 101 {
        100 => 0,
        s => s,
    };
    let s: String = digits.iter().map(|d| char::from(b'0' + *d as u8)).collect();
    format!("{}-{}-{} {:02}", &s[0..3], &s[3..6], &s[6..9], check)
}

/// ИНН of a legal entity from a region code and a counter.
pub fn inn(region: &str, n: u64) -> String {
    let body = format!("{region}{:07}", n % 10_000_000);
    let d: Vec<u32> = body.chars().filter_map(|c| c.to_digit(10)).collect();
    const W: [u32; 9] = [2, 4, 10, 3, 5, 9, 4, 6, 8];
    let sum: u32 = W.iter().zip(&d).map(|(w, x)| w * x).sum();
    format!("{body}{}", (sum % 11) % 10)
}

/// ОГРН from a region code and a counter.
pub fn ogrn(region: &str, n: u64) -> String {
    let body = format!("102{region}{:07}", n % 10_000_000);
    let v: u64 = body.parse().unwrap_or(0);
    format!("{body}{}", (v % 11) % 10)
}

/// The academic year that contains `today` starts on 1 September of this year.
pub fn academic_year_start(today: NaiveDate) -> i32 {
    if today.month() >= 9 {
        today.year()
    } else {
        today.year() - 1
    }
}

/// Generates a region into an empty database.
pub async fn generate(db: &Db, spec: &Spec, progress: bool) -> Result<Summary, GenError> {
    if !is_empty(db).await? {
        return Err(GenError::NotEmpty);
    }
    let hash = tokio::task::spawn_blocking(|| parta_identity::password::hash(DEMO_PASSWORD))
        .await
        .map_err(|_| GenError::Hash)?
        .map_err(|_| GenError::Hash)?;
    let mut g = Gen {
        seed: spec.seed,
        rng: ChaCha8Rng::seed_from_u64(spec.seed),
        bulk: Bulk::new(db.clone(), TABLES),
        n: [0; 16],
        now: now_ms(),
        hash,
        year_start: academic_year_start(parta_core::time::today()),
        school_day: spec.school_day,
        summary: Summary::default(),
    };
    let bar = if progress {
        let b = indicatif::ProgressBar::new(spec.students);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {bar:40} {pos}/{len} обучающихся, {per_sec}, осталось {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    } else {
        indicatif::ProgressBar::hidden()
    };
    let region = "52";
    let mun_count = if spec.demo {
        2
    } else {
        (spec.students / 40_000).max(2)
    };
    let mut muns = Vec::new();
    for i in 0..mun_count {
        let id = g.id(kind::MUN);
        let name = match (spec.demo, i) {
            (true, 0) => "Городской округ Заречный".to_string(),
            (true, _) => "Сосновский муниципальный округ".to_string(),
            (false, _) => format!("Муниципальный округ № {}", i + 1),
        };
        g.bulk
            .push(
                "municipalities",
                vec![
                    id.clone().into(),
                    region.into(),
                    name.into(),
                    format!("22{:06}", i + 1).into(),
                    g.now.into(),
                ],
            )
            .await?;
        muns.push(id);
        g.summary.municipalities += 1;
    }

    // The showcase people of the demo: one sign-in per role.
    let mut demo_accounts = Vec::new();
    if spec.demo {
        let admin = g
            .person(true, 1985, Some("Администратов"), None, Some("Пётр"), true)
            .await?;
        g.role(&admin.id, "platform_admin", None, None, None)
            .await?;
        let login = g.account(&admin.id, Some("admin".into())).await?;
        demo_accounts.push(DemoAccount {
            role: "Администратор платформы",
            login,
            name: format!("{} {}", admin.last, admin.first),
        });
        let reg = g
            .person(false, 1979, Some("Регионов"), None, Some("Олег"), true)
            .await?;
        g.role(&reg.id, "regional_operator", None, None, Some(region))
            .await?;
        let login = g.account(&reg.id, Some("region".into())).await?;
        demo_accounts.push(DemoAccount {
            role: "Региональный оператор",
            login,
            name: format!("{} {}", names::female_surname(&reg.last), reg.first),
        });
        let mun = g
            .person(true, 1981, Some("Муниципалов"), None, Some("Игорь"), true)
            .await?;
        let m0 = muns[0].clone();
        g.role(&mun.id, "municipal_operator", None, Some(&m0), None)
            .await?;
        let login = g.account(&mun.id, Some("municipality".into())).await?;
        demo_accounts.push(DemoAccount {
            role: "Муниципальный оператор",
            login,
            name: format!("{} {}", mun.last, mun.first),
        });
    }

    let mut remaining = spec.students;
    let mut school_no = 0u64;
    while remaining > 0 {
        let size = if spec.demo {
            200.min(remaining)
        } else {
            g.rng.gen_range(200..=1500).min(remaining)
        };
        let mun = muns[(school_no % muns.len() as u64) as usize].clone();
        let (_, students) = school(&mut g, &mun, region, school_no, size, spec.demo).await?;
        school_no += 1;
        // Classes round the school's size; count who was really made, and make no
        // school for a remainder smaller than a class.
        remaining = remaining.saturating_sub(students.len() as u64);
        if remaining < 20 {
            remaining = 0;
        }
        bar.set_position(spec.students - remaining);
    }
    g.bulk.flush().await?;
    bar.finish_and_clear();
    // PostgreSQL plans by table statistics, and a bulk load leaves none until autovacuum
    // comes round: without them the diary took 1.7 s a week (a scan) instead of ~2 ms.
    if db.backend == parta_db::Backend::Postgres {
        sqlx::query("ANALYZE").execute(&db.pool).await?;
    }
    g.summary.rows = g.bulk.written;
    if spec.demo {
        demo_accounts.extend(showcase(db, spec.seed).await?);
    }
    g.summary.accounts = demo_accounts;
    Ok(g.summary)
}

/// One school with its staff, classes, students and their families.
/// Returns the organisation id and (student id, class id) pairs.
async fn school(
    g: &mut Gen,
    mun: &str,
    region: &str,
    no: u64,
    size: u64,
    demo: bool,
) -> Result<(String, Vec<(String, String)>), sqlx::Error> {
    let org = g.id(kind::ORG);
    let ys = g.year_start;
    // Classes: 11 grades, 20–30 students each (one per grade in the small demo schools).
    let per_grade = size / 11;
    let classes_per_grade = if demo {
        1
    } else {
        ((per_grade as f64) / 25.0).round().max(1.0) as u64
    };
    let head = g.staff(&org, "head", 1970, 15).await?;
    let deputy = g.staff(&org, "deputy_head", 1975, 15).await?;
    let number = no + 1;
    let full_name = format!("Муниципальное бюджетное общеобразовательное учреждение «Средняя общеобразовательная школа № {number}»");
    let short = format!("МБОУ СОШ № {number}");
    let street = names::STREETS
        .choose(&mut g.rng)
        .copied()
        .unwrap_or("ул. Школьная");
    let address = format!(
        "606{:03}, Нижегородская обл., {street}, д. {}",
        no % 1000,
        g.rng.gen_range(1..120)
    );
    g.bulk
        .push(
            "organisations",
            vec![
                org.clone().into(),
                mun.into(),
                "school".into(),
                full_name.into(),
                short.into(),
                inn(region, number).into(),
                ogrn(region, number).into(),
                address.into(),
                head.id.clone().into(),
                g.now.into(),
                g.now.into(),
            ],
        )
        .await?;
    g.summary.schools += 1;
    let year = g.id(kind::YEAR);
    g.bulk
        .push(
            "academic_years",
            vec![
                year.clone().into(),
                org.clone().into(),
                format!("{}/{}", ys, ys + 1).into(),
                Gen::date(ys, 9, 1).into(),
                Gen::date(ys + 1, 5, 31).into(),
            ],
        )
        .await?;
    for p in [&head, &deputy] {
        g.role(&p.id, "school_admin", Some(&org), None, None)
            .await?;
        g.account(&p.id, None).await?;
    }

    // Subject teachers for grades 5–11 by speciality; primary classes have their own teacher.
    let senior_classes = classes_per_grade * 7;
    let mut specialists: Vec<Vec<Person>> = Vec::new();
    for _ in SPECIALITIES {
        let count = senior_classes.div_ceil(5).max(2);
        let mut v = Vec::new();
        for _ in 0..count {
            v.push(g.staff(&org, "teacher", 1965, 35).await?);
        }
        specialists.push(v);
    }
    let mut all_teachers: Vec<String> =
        specialists.iter().flatten().map(|p| p.id.clone()).collect();

    // Families first, so siblings share a surname and a patronymic from their father.
    let class_size = if demo {
        size / 11
    } else {
        (per_grade / classes_per_grade).clamp(20, 30)
    };
    let total = (11 * classes_per_grade * class_size) as usize;
    let mut order: Vec<usize> = (0..total).collect();
    order.shuffle(&mut g.rng);
    let mut family_of = vec![0usize; total];
    let mut families: Vec<Family> = Vec::new();
    let mut i = 0;
    while i < total {
        let kids = g.rng.gen_range(1..=3usize).min(total - i);
        for slot in &order[i..i + kids] {
            family_of[*slot] = families.len();
        }
        families.push(Family {
            surname: names::SURNAMES
                .choose(&mut g.rng)
                .copied()
                .unwrap_or("Иванов"),
            father: names::MALE.choose(&mut g.rng).copied().unwrap_or("Иван"),
            kids: Vec::new(),
        });
        i += kids;
    }
    let mut slot = 0usize;
    let mut students_out = Vec::new();
    let mut day_classes: Vec<school_day::ClassPlan> = Vec::new();
    let mut senior_ct = 0usize;
    for grade in 1..=11u32 {
        for c in 0..classes_per_grade {
            let class = g.id(kind::CLASS);
            let letter = LETTERS[(c as usize) % LETTERS.len()];
            let teacher = if grade <= 4 {
                let t = g.staff(&org, "teacher", 1965, 35).await?;
                all_teachers.push(t.id.clone());
                t.id
            } else {
                let flat: Vec<&Person> = specialists.iter().flatten().collect();
                let t = flat[senior_ct % flat.len()].id.clone();
                senior_ct += 1;
                t
            };
            g.bulk
                .push(
                    "classes",
                    vec![
                        class.clone().into(),
                        org.clone().into(),
                        year.clone().into(),
                        grade.to_string().into(),
                        letter.into(),
                        format!("{grade}{letter}").into(),
                        teacher.clone().into(),
                    ],
                )
                .await?;
            g.summary.classes += 1;
            let mut plan = school_day::ClassPlan {
                id: class.clone(),
                grade,
                subjects: Vec::new(),
                students: Vec::new(),
            };
            // Who teaches what here.
            for (subject, from, to) in SUBJECTS {
                if grade < *from || grade > *to {
                    continue;
                }
                let t = if grade <= 4 && !matches!(*subject, "foreign_en" | "pe" | "music") {
                    teacher.clone()
                } else {
                    let spec = SPECIALITIES
                        .iter()
                        .position(|s| s.contains(subject))
                        .unwrap_or(0);
                    let pool = &specialists[spec];
                    // A class teacher teaches their own subject to their class.
                    if pool.iter().any(|p| p.id == teacher) {
                        teacher.clone()
                    } else {
                        pool[(grade as usize + c as usize) % pool.len()].id.clone()
                    }
                };
                plan.subjects.push((*subject, t.clone()));
                let tid = g.id(kind::TEACH);
                g.bulk
                    .push(
                        "teaching_assignments",
                        vec![
                            tid.into(),
                            t.into(),
                            class.clone().into(),
                            (*subject).into(),
                            year.clone().into(),
                        ],
                    )
                    .await?;
            }
            for _ in 0..class_size {
                let male = g.rng.gen_bool(0.5);
                let birth = ys - 6 - grade as i32 + g.rng.gen_range(0..2);
                let f = family_of[slot];
                slot += 1;
                let (surname, father) = (families[f].surname, families[f].father);
                let s = g
                    .person(male, birth, Some(surname), None, Some(father), grade >= 7)
                    .await?;
                families[f].kids.push((s.id.clone(), grade));
                let eid = g.id(kind::ENROL);
                let started = Gen::date(ys - grade as i32 + 1, 9, 1);
                g.bulk
                    .push(
                        "enrolments",
                        vec![
                            eid.into(),
                            s.id.clone().into(),
                            org.clone().into(),
                            class.clone().into(),
                            started.into(),
                            "admitted".into(),
                            V::N,
                            V::N,
                            g.now.into(),
                        ],
                    )
                    .await?;
                g.role(&s.id, "student", Some(&org), None, None).await?;
                plan.students.push(s.id.clone());
                students_out.push((s.id.clone(), class.clone()));
                g.summary.students += 1;
            }
            day_classes.push(plan);
        }
    }
    for t in &all_teachers {
        g.role(t, "teacher", Some(&org), None, None).await?;
        g.account(t, None).await?;
    }

    // Families: shuffle, then take 1–3 children at a time; siblings share a surname.
    for fam in &families {
        let Some(eldest) = fam.kids.iter().map(|k| k.1).max() else {
            continue;
        };
        let grade = eldest as i32;
        let age = g.rng.gen_range(0..8);
        let mother = g
            .person(
                false,
                ys - 30 - grade - age,
                Some(fam.surname),
                None,
                None,
                true,
            )
            .await?;
        let father = if g.rng.gen_bool(0.7) {
            let age = g.rng.gen_range(0..8);
            Some(
                g.person(
                    true,
                    ys - 32 - grade - age,
                    Some(fam.surname),
                    Some(fam.father),
                    None,
                    true,
                )
                .await?,
            )
        } else {
            None
        };
        for (child, _) in &fam.kids {
            g.bulk
                .push(
                    "guardianships",
                    vec![
                        mother.id.clone().into(),
                        child.clone().into(),
                        "mother".into(),
                    ],
                )
                .await?;
            if let Some(f) = &father {
                g.bulk
                    .push(
                        "guardianships",
                        vec![f.id.clone().into(), child.clone().into(), "father".into()],
                    )
                    .await?;
            }
        }
        for p in std::iter::once(&mother).chain(father.as_ref()) {
            g.role(&p.id, "parent", None, None, None).await?;
            g.account(&p.id, None).await?;
            g.summary.parents += 1;
        }
    }
    for (sid, _) in &students_out {
        g.account(sid, None).await?;
    }
    if g.school_day {
        school_day::generate(g, &org, &year, &day_classes, demo).await?;
    }
    Ok((org, students_out))
}

/// The demo's showcase class (5А of its first school), whose chats the demo fills.
pub async fn demo_class(db: &Db) -> Result<Option<String>, sqlx::Error> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT id FROM classes WHERE organisation_id = $1 AND name = '5А'")
            .bind(seeded_uuid(Spec::demo().seed, kind::ORG, 1).to_string())
            .fetch_optional(&db.pool)
            .await?;
    Ok(row.map(|r| r.0))
}

/// Gives the showcase people of the demo friendly logins and makes the class teacher
/// of the first school's 5А also a parent, so one role switch can be tried.
async fn showcase(db: &Db, seed: u64) -> Result<Vec<DemoAccount>, sqlx::Error> {
    let first_org = seeded_uuid(seed, kind::ORG, 1).to_string();
    let class: Option<(String, String)> = sqlx::query_as(
        "SELECT id, class_teacher_id FROM classes WHERE organisation_id = $1 AND name = '5А'",
    )
    .bind(first_org.clone())
    .fetch_optional(&db.pool)
    .await?;
    let Some((class_id, teacher)) = class else {
        return Ok(Vec::new());
    };
    let student: (String,) = sqlx::query_as(
        "SELECT p.id FROM enrolments e JOIN persons p ON p.id = e.person_id WHERE e.class_id = $1 \
         AND EXISTS (SELECT 1 FROM guardianships g WHERE g.child_id = p.id AND g.kind = 'mother') \
         ORDER BY p.last_name, p.first_name LIMIT 1",
    )
    .bind(class_id)
    .fetch_one(&db.pool)
    .await?;
    let parent: (String,) = sqlx::query_as(
        "SELECT parent_id FROM guardianships WHERE child_id = $1 AND kind = 'mother'",
    )
    .bind(student.0.clone())
    .fetch_one(&db.pool)
    .await?;
    let head: (String,) = sqlx::query_as("SELECT head_id FROM organisations WHERE id = $1")
        .bind(first_org.clone())
        .fetch_one(&db.pool)
        .await?;
    // A child of the teacher: the first pupil of 2А of the same school.
    let child: (String,) = sqlx::query_as(
        "SELECT e.person_id FROM enrolments e JOIN classes c ON c.id = e.class_id JOIN persons p ON p.id = e.person_id \
         WHERE c.organisation_id = $1 AND c.name = '2А' ORDER BY p.last_name LIMIT 1",
    )
    .bind(first_org)
    .fetch_one(&db.pool)
    .await?;
    let (sex,): (String,) = sqlx::query_as("SELECT sex FROM persons WHERE id = $1")
        .bind(teacher.clone())
        .fetch_one(&db.pool)
        .await?;
    // The first school lets its teachers reach their students' parents (a school's choice,
    // off by default); the others keep the default.
    sqlx::query("UPDATE organisations SET parent_contacts_to_teachers = 1 WHERE id = $1")
        .bind(seeded_uuid(seed, kind::ORG, 1).to_string())
        .execute(&db.pool)
        .await?;
    sqlx::query("INSERT INTO guardianships (parent_id, child_id, kind) VALUES ($1, $2, $3)")
        .bind(teacher.clone())
        .bind(child.0)
        .bind(if sex == "male" { "father" } else { "mother" })
        .execute(&db.pool)
        .await?;
    sqlx::query(
        "INSERT INTO role_assignments (id, person_id, role, personal_data_granted, created_at) VALUES ($1, $2, 'parent', 0, $3)",
    )
    .bind(seeded_uuid(seed, kind::ROLE, 1 << 40).to_string())
    .bind(teacher.clone())
    .bind(now_ms() + 1)
    .execute(&db.pool)
    .await?;
    // Three pupils of the second school came from the first: their history follows them.
    let second_org = seeded_uuid(seed, kind::ORG, 2).to_string();
    let movers: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT e.id, e.person_id, e.started_on FROM enrolments e JOIN classes c ON c.id = e.class_id \
         WHERE c.organisation_id = $1 AND c.grade_level IN ('5', '6', '7') ORDER BY e.person_id LIMIT 3",
    )
    .bind(second_org)
    .fetch_all(&db.pool)
    .await?;
    let ys = academic_year_start(parta_core::time::today());
    for (i, (eid, person, started)) in movers.into_iter().enumerate() {
        sqlx::query(
            "INSERT INTO enrolments (id, person_id, organisation_id, class_id, started_on, start_reason, ended_on, end_reason, created_at) \
             VALUES ($1, $2, $3, NULL, $4, 'admitted', $5, 'transferred', $6)",
        )
        .bind(seeded_uuid(seed, kind::ENROL, (1 << 40) + i as u64).to_string())
        .bind(person)
        .bind(seeded_uuid(seed, kind::ORG, 1).to_string())
        .bind(started)
        .bind(Gen::date(ys, 5, 31))
        .bind(now_ms())
        .execute(&db.pool)
        .await?;
        sqlx::query(
            "UPDATE enrolments SET started_on = $2, start_reason = 'transferred_in' WHERE id = $1",
        )
        .bind(eid)
        .bind(Gen::date(ys, 9, 1))
        .execute(&db.pool)
        .await?;
    }
    let mut out = Vec::new();
    for (role, login, person) in [
        ("Директор (администратор школы)", "director", head.0),
        (
            "Педагог, классный руководитель 5А (и родитель)",
            "teacher",
            teacher,
        ),
        ("Родитель", "parent", parent.0),
        ("Обучающийся 5А", "student", student.0),
    ] {
        sqlx::query("UPDATE accounts SET login = $1 WHERE person_id = $2")
            .bind(login)
            .bind(person.clone())
            .execute(&db.pool)
            .await?;
        let (name,): (String,) =
            sqlx::query_as("SELECT last_name || ' ' || first_name FROM persons WHERE id = $1")
                .bind(person)
                .fetch_one(&db.pool)
                .await?;
        out.push(DemoAccount {
            role,
            login: login.to_string(),
            name,
        });
    }
    Ok(out)
}
