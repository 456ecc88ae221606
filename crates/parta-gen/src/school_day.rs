//! The school day of a generated school: calendar (quarters, vacations, holidays,
//! bells), a weekly timetable without conflicts, the year's lessons, and — for lessons
//! already given — topics, homework, marks and attendance; first-quarter grades set and
//! the quarter closed when it is over.

use crate::bulk::V;
use crate::{kind, Gen};
use chrono::{Datelike, Duration, NaiveDate};
use rand::Rng;
use std::collections::{HashMap, HashSet};

/// A class as the school generator made it.
pub struct ClassPlan {
    pub id: String,
    pub grade: u32,
    /// (subject, teacher)
    pub subjects: Vec<(&'static str, String)>,
    pub students: Vec<String>,
}

/// (weekday, lesson number, subject, teacher, room) of a placed timetable slot.
type PlacedSlot = (i64, i64, &'static str, String, String);

/// Weekly hours of a subject in a grade (close to the federal curriculum).
fn hours(subject: &str, grade: u32) -> u32 {
    match (subject, grade) {
        ("rus", 1..=4) => 4,
        ("rus", 5..=6) => 5,
        ("rus", 7) => 4,
        ("rus", _) => 3,
        ("lit_read", 1..=3) => 4,
        ("lit_read", _) => 3,
        ("lit", 5..=6) | ("lit", 9..=11) => 3,
        ("lit", _) => 2,
        ("foreign_en", 2..=4) => 2,
        ("foreign_en", _) => 3,
        ("math", 1..=4) => 4,
        ("math", _) => 5,
        ("algebra", _) => 3,
        ("geometry", _) | ("world", _) | ("history", _) | ("pe", _) => 2,
        ("math_adv", _) => 4,
        ("geography", 7..=11) | ("biology", 7..=11) | ("physics", _) | ("chemistry", _) => 2,
        _ => 1,
    }
}

fn max_per_day(grade: u32) -> i64 {
    match grade {
        1 => 4,
        2..=4 => 5,
        5..=6 => 6,
        _ => 7,
    }
}

const BELLS: [(&str, &str); 8] = [
    ("08:30", "09:10"),
    ("09:20", "10:00"),
    ("10:20", "11:00"),
    ("11:20", "12:00"),
    ("12:10", "12:50"),
    ("13:00", "13:40"),
    ("13:50", "14:30"),
    ("14:40", "15:20"),
];

/// (weight-ordered) work types with their chance and weight.
const WORK: [(&str, u32, i64); 7] = [
    ("oral", 30, 1),
    ("classwork", 30, 1),
    ("homework", 15, 1),
    ("independent", 10, 2),
    ("dictation", 3, 2),
    ("practical", 5, 2),
    ("test", 7, 3),
];

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
}

pub(crate) async fn generate(
    g: &mut Gen,
    org: &str,
    year: &str,
    classes: &[ClassPlan],
    demo: bool,
) -> Result<(), sqlx::Error> {
    let ys = g.year_start;
    let today = parta_core::time::today();
    let now = g.now;
    g.bulk
        .push(
            "school_settings",
            vec![org.into(), V::I(5), V::I(60), now.into()],
        )
        .await?;
    for (i, (from, to)) in BELLS.iter().enumerate() {
        g.bulk
            .push(
                "bell_times",
                vec![
                    org.into(),
                    V::I(1),
                    V::I(i as i64 + 1),
                    (*from).into(),
                    (*to).into(),
                ],
            )
            .await?;
    }
    let quarters = [
        ("1 четверть", d(ys, 9, 1), d(ys, 10, 24)),
        ("2 четверть", d(ys, 11, 5), d(ys, 12, 28)),
        ("3 четверть", d(ys + 1, 1, 12), d(ys + 1, 3, 20)),
        ("4 четверть", d(ys + 1, 3, 30), d(ys + 1, 5, 26)),
    ];
    let mut period_ids = Vec::new();
    for (name, from, to) in quarters {
        let id = g.id(kind::PERIOD);
        // A quarter that is over is graded and closed, as a school would have done.
        let closed = (to < today).then_some(now);
        g.bulk
            .push(
                "study_periods",
                vec![
                    id.clone().into(),
                    org.into(),
                    year.into(),
                    "quarter".into(),
                    name.into(),
                    V::I(1),
                    V::I(11),
                    from.to_string().into(),
                    to.to_string().into(),
                    V::int(closed),
                ],
            )
            .await?;
        period_ids.push((id, from, to));
    }
    let breaks = [
        ("vacation", d(ys, 10, 25), d(ys, 11, 4), "Осенние каникулы"),
        (
            "vacation",
            d(ys, 12, 29),
            d(ys + 1, 1, 11),
            "Зимние каникулы",
        ),
        (
            "vacation",
            d(ys + 1, 3, 21),
            d(ys + 1, 3, 29),
            "Весенние каникулы",
        ),
        // The year's last lessons are on the last day of the 4th quarter.
        (
            "vacation",
            d(ys + 1, 5, 27),
            d(ys + 1, 5, 31),
            "Летние каникулы",
        ),
        (
            "holiday",
            d(ys + 1, 2, 23),
            d(ys + 1, 2, 23),
            "День защитника Отечества",
        ),
        (
            "holiday",
            d(ys + 1, 3, 8),
            d(ys + 1, 3, 8),
            "Международный женский день",
        ),
        (
            "holiday",
            d(ys + 1, 5, 1),
            d(ys + 1, 5, 1),
            "Праздник Весны и Труда",
        ),
        (
            "holiday",
            d(ys + 1, 5, 11),
            d(ys + 1, 5, 11),
            "День Победы (перенос)",
        ),
    ];
    for (k, from, to, name) in breaks {
        let id = g.id(kind::CALDAY);
        g.bulk
            .push(
                "calendar_days",
                vec![
                    id.into(),
                    org.into(),
                    from.to_string().into(),
                    to.to_string().into(),
                    k.into(),
                    V::NI,
                    name.into(),
                ],
            )
            .await?;
    }
    let off = |day: NaiveDate| breaks.iter().any(|(_, f, t, _)| *f <= day && day <= *t);
    let year_start = d(ys, 9, 1);
    let year_end = d(ys + 1, 5, 31);

    // The timetable: place each weekly hour where the class and the teacher are free.
    let mut busy: HashSet<(String, i64, i64)> = HashSet::new();
    let mut plans: Vec<Vec<PlacedSlot>> = Vec::new();
    for (ci, c) in classes.iter().enumerate() {
        let mut class_busy: HashSet<(i64, i64)> = HashSet::new();
        let mut per_day = [0i64; 6];
        let mut slots = Vec::new();
        let mut units: Vec<(&'static str, &String)> = Vec::new();
        for (subject, teacher) in &c.subjects {
            for _ in 0..hours(subject, c.grade) {
                units.push((subject, teacher));
            }
        }
        for (ui, (subject, teacher)) in units.iter().enumerate() {
            'place: for shift in 0..5 {
                let wd = ((ui + ci + shift) % 5) as i64 + 1;
                for no in 1..=max_per_day(c.grade) {
                    if per_day[wd as usize] >= max_per_day(c.grade)
                        || class_busy.contains(&(wd, no))
                        || busy.contains(&((*teacher).clone(), wd, no))
                    {
                        continue;
                    }
                    class_busy.insert((wd, no));
                    busy.insert(((*teacher).clone(), wd, no));
                    per_day[wd as usize] += 1;
                    let room = format!("{}", 100 + (ci % 40) + 1);
                    slots.push((wd, no, *subject, (*teacher).clone(), room));
                    break 'place;
                }
            }
        }
        plans.push(slots);
    }

    // Lessons: the whole year from the template; marks and attendance for past days.
    // About 20 M marks for 100,000 students by late November (issue 3's bench).
    let mark_chance = if demo { 0.3 } else { 0.78 };
    let q1 = &period_ids[0];
    let q1_over = q1.2 < today;
    for (c, slots) in classes.iter().zip(&plans) {
        let mut slot_ids = Vec::new();
        for (wd, no, subject, teacher, room) in slots {
            let id = g.id(kind::SLOT);
            g.bulk
                .push(
                    "timetable_slots",
                    vec![
                        id.clone().into(),
                        org.into(),
                        c.id.clone().into(),
                        V::I(*wd),
                        V::I(*no),
                        (*subject).into(),
                        teacher.clone().into(),
                        room.clone().into(),
                        year_start.to_string().into(),
                    ],
                )
                .await?;
            slot_ids.push(id);
        }
        // Each student's tendency, so averages differ between students.
        let ability: Vec<f64> = c
            .students
            .iter()
            .map(|_| g.rng.gen_range(2.8..4.9))
            .collect();
        let mut q1_sums: HashMap<(usize, &'static str), (i64, i64)> = HashMap::new();
        let mut lesson_count: HashMap<&'static str, u32> = HashMap::new();
        let mut day = year_start;
        while day <= year_end {
            let wd = day.weekday().number_from_monday() as i64;
            if wd <= 5 && !off(day) {
                let ds = day.to_string();
                let past = day < today;
                let near = (day - today).num_days().abs() <= 7;
                for ((swd, no, subject, teacher, room), slot_id) in slots.iter().zip(&slot_ids) {
                    if *swd != wd {
                        continue;
                    }
                    let n = lesson_count.entry(subject).or_insert(0);
                    *n += 1;
                    let lesson = g.id(kind::LESSON);
                    let (topic, homework) = if past || near {
                        // Topics of the subject's plan in order; homework as its teachers
                        // write it (none in PE, music, art, technology).
                        let hw = crate::plans::homework(subject, *n);
                        (
                            // A few given lessons are left without a topic: the
                            // administration's control has something to show.
                            if past && g.rng.gen_bool(0.97) {
                                V::T(crate::plans::topic(subject, i64::from(c.grade), *n))
                            } else {
                                V::N
                            },
                            match hw {
                                Some(hw) if g.rng.gen_bool(0.6) => V::T(hw),
                                _ => V::N,
                            },
                        )
                    } else {
                        (V::N, V::N)
                    };
                    g.bulk
                        .push(
                            "lessons",
                            vec![
                                lesson.clone().into(),
                                org.into(),
                                c.id.clone().into(),
                                slot_id.clone().into(),
                                ds.clone().into(),
                                V::I(*no),
                                (*subject).into(),
                                teacher.clone().into(),
                                room.clone().into(),
                                "planned".into(),
                                topic,
                                homework,
                                now.into(),
                                if past && g.rng.gen_bool(0.96) {
                                    now.into()
                                } else {
                                    V::NI
                                },
                            ],
                        )
                        .await?;
                    if !past {
                        continue;
                    }
                    for (si, student) in c.students.iter().enumerate() {
                        let r: f64 = g.rng.gen();
                        if r < 0.04 {
                            let status =
                                ["ill", "absent", "excused", "ill"][(si + *n as usize) % 4];
                            g.bulk
                                .push(
                                    "attendance",
                                    vec![
                                        lesson.clone().into(),
                                        student.clone().into(),
                                        ds.clone().into(),
                                        status.into(),
                                        V::N,
                                        teacher.clone().into(),
                                        now.into(),
                                    ],
                                )
                                .await?;
                            continue;
                        }
                        if !g.rng.gen_bool(mark_chance) {
                            continue;
                        }
                        let pick = g.rng.gen_range(0..100);
                        let mut acc = 0;
                        let (work, _, weight) = WORK
                            .iter()
                            .find(|(_, p, _)| {
                                acc += p;
                                pick < acc
                            })
                            .copied()
                            .unwrap_or(WORK[0]);
                        let score = (ability[si] + g.rng.gen_range(-1.2..1.2))
                            .round()
                            .clamp(2.0, 5.0) as i64;
                        let id = g.id(kind::MARK);
                        g.bulk
                            .push(
                                "marks",
                                vec![
                                    id.into(),
                                    lesson.clone().into(),
                                    student.clone().into(),
                                    ds.clone().into(),
                                    (*subject).into(),
                                    score.to_string().into(),
                                    V::I(score),
                                    work.into(),
                                    V::I(weight),
                                    V::N,
                                    teacher.clone().into(),
                                    now.into(),
                                    teacher.clone().into(),
                                    now.into(),
                                ],
                            )
                            .await?;
                        if q1_over && day <= q1.2 {
                            let e = q1_sums.entry((si, subject)).or_insert((0, 0));
                            e.0 += score * weight;
                            e.1 += weight;
                        }
                    }
                }
            }
            day += Duration::days(1);
        }
        // First-quarter grades, as the teachers set them from the suggestion.
        let mut keys: Vec<_> = q1_sums.into_iter().collect();
        keys.sort_by(|a, b| (a.0 .0, a.0 .1).cmp(&(b.0 .0, b.0 .1)));
        for ((si, subject), (sum, w)) in keys {
            if w == 0 {
                continue;
            }
            let grade = parta_schoolday::model::suggest_grade(
                sum as f64 / w as f64,
                parta_schoolday::model::SchoolSettings::default().rounding_threshold,
            );
            let teacher = c
                .subjects
                .iter()
                .find(|(s, _)| *s == subject)
                .map(|(_, t)| t.clone())
                .unwrap_or_default();
            g.bulk
                .push(
                    "period_grades",
                    vec![
                        c.students[si].clone().into(),
                        subject.into(),
                        year.into(),
                        q1.0.clone().into(),
                        c.id.clone().into(),
                        grade.to_string().into(),
                        teacher.into(),
                        now.into(),
                    ],
                )
                .await?;
        }
    }
    Ok(())
}
