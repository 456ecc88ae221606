//! The start pages answer "what do I need today?" for each role, from live data.

use crate::fixtures::{self, login_of, parent_of};
use crate::harness::spawn;
use crate::school_day::{open_period_of, spot};
use serde_json::json;

/// Yesterday on the platform's clock.
fn yesterday() -> String {
    (parta_core::time::today() - chrono::Duration::days(1)).to_string()
}

#[tokio::test]
async fn a_teacher_sees_what_is_left_to_fill_in_and_it_goes_once_filled() {
    let app = spawn().await;
    let teacher = app.login("teacher").await;
    let s = spot(&app, &teacher).await;
    let me = app.person_of("teacher").await;
    // A lesson of hers given yesterday, left without a topic or attendance.
    let day = yesterday();
    sqlx::query("UPDATE lessons SET day = $2, teacher_id = $3, topic = NULL, attendance_taken_at = NULL, status = 'planned' WHERE id = $1")
        .bind(&s.lesson)
        .bind(&day)
        .bind(&me)
        .execute(&app.db.pool)
        .await
        .unwrap();
    open_period_of(&app, &s.class, &day).await;
    let home = teacher.get("/").await.text().await.unwrap();
    let unfilled = home
        .split("Не заполнено")
        .nth(1)
        .expect("the unfilled section");
    let line = unfilled
        .split("<li>")
        .find(|l| l.contains(&format!("/lessons/{}", s.lesson)))
        .expect("the lesson is listed");
    assert!(
        line.contains("нет темы") && line.contains("посещаемость не отмечена"),
        "{line}"
    );
    // The topic and one absence: the attendance counts as taken.
    let res = teacher
        .post(
            &format!("/api/v1/classes/{}/journal/{}", s.class, s.subject),
            &json!({"lessons": [{"lesson_id": s.lesson, "topic": "Сложносочинённое предложение"}],
                    "attendance": [{"lesson_id": s.lesson, "student_id": s.student, "status": "ill"}]}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM lessons WHERE id = '{}' AND attendance_taken_at IS NOT NULL",
            s.lesson
        ))
        .await,
        1
    );
    let home = teacher.get("/").await.text().await.unwrap();
    let unfilled = home
        .split("Не заполнено")
        .nth(1)
        .unwrap()
        .split("<h2>")
        .next()
        .unwrap();
    assert!(
        !unfilled.contains(&s.lesson),
        "the lesson is no longer listed as unfilled"
    );
    // A lesson where everyone came: «посещаемость отмечена» on the lesson page.
    sqlx::query("UPDATE lessons SET attendance_taken_at = NULL WHERE id = $1")
        .bind(&s.lesson)
        .execute(&app.db.pool)
        .await
        .unwrap();
    sqlx::query("DELETE FROM attendance WHERE lesson_id = $1")
        .bind(&s.lesson)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let res = teacher
        .form(
            &format!("/lessons/{}", s.lesson),
            &[
                ("topic", "Сложносочинённое предложение"),
                ("attendance_taken", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM lessons WHERE id = '{}' AND attendance_taken_at IS NOT NULL",
            s.lesson
        ))
        .await,
        1
    );
    // The director's control counts it, and names who is absent today.
    let today = parta_core::time::today().to_string();
    sqlx::query("UPDATE lessons SET day = $2 WHERE id = $1")
        .bind(&s.lesson)
        .bind(&today)
        .execute(&app.db.pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO attendance (lesson_id, student_id, day, status, updated_by, updated_at) VALUES ($1, $2, $3, 'absent', $4, 0)")
        .bind(&s.lesson)
        .bind(&s.student)
        .bind(&today)
        .bind(&me)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let director = app.login("director").await;
    let page = director.get("/").await.text().await.unwrap();
    assert!(page.contains("Заполнение журналов"), "the control is shown");
    let absent = page.split("Отсутствуют сегодня").nth(1).unwrap();
    let name = app
        .scalar(&format!(
            "SELECT last_name || ' ' || first_name FROM persons WHERE id = '{}'",
            s.student
        ))
        .await;
    assert!(
        absent.split("</ul>").next().unwrap().contains(&name),
        "{name} is absent"
    );
}

#[tokio::test]
async fn a_parent_sees_a_new_mark_and_the_next_day_of_each_child() {
    let app = spawn().await;
    let teacher = app.login("teacher").await;
    let s = spot(&app, &teacher).await;
    let parent = app
        .login(&login_of(&app, &parent_of(&app, &s.student).await).await)
        .await;
    let first = parent.get("/").await;
    assert_eq!(first.headers()["cache-control"], "no-store");
    let first = first.text().await.unwrap();
    let name = app
        .scalar(&format!(
            "SELECT last_name || ' ' || first_name FROM persons WHERE id = '{}'",
            s.student
        ))
        .await;
    assert!(first.contains(&name), "the child's day is shown");
    assert!(first.contains(&format!("/diary?student={}", s.student)));
    // The teacher puts a mark; the parent's next look shows it among the new ones.
    let res = teacher
        .post(
            &format!("/api/v1/classes/{}/journal/{}", s.class, s.subject),
            &json!({"marks": [{"lesson_id": s.lesson, "student_id": s.student, "value": "5", "work_type": "test"}]}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let page = parent.get("/").await.text().await.unwrap();
    let section = page
        .split(&format!("<h2>{name}"))
        .nth(1)
        .expect("the child's section");
    let new_marks = section
        .split("Новые отметки")
        .nth(1)
        .unwrap()
        .split("</ul>")
        .next()
        .unwrap();
    assert!(new_marks.contains("mark-5\">5</span>"), "{new_marks}");
    assert!(new_marks.contains("Контрольная работа"));
    // Nothing of another family's child.
    let class2 = fixtures::class_named(
        &app,
        &fixtures::other_school(&app, &app.director_school().await).await,
        "5А",
    )
    .await;
    let stranger = fixtures::student_of(&app, &class2).await;
    assert!(!page.contains(&stranger));
}

#[tokio::test]
async fn an_operator_sees_each_school_in_numbers_and_nobody_named() {
    let app = spawn().await;
    let m = app.login("municipality").await;
    let page = m.get("/").await.text().await.unwrap();
    let school = app.director_school().await;
    assert!(page.contains(&format!("href=\"/schools/{school}\"")));
    for column in [
        "Сотрудников",
        "Вошли в систему",
        "Журналы заполнены",
        "Посещаемость недели",
    ] {
        assert!(page.contains(column), "{column}");
    }
    let staff = app
        .count(&format!(
            "SELECT COUNT(DISTINCT person_id) FROM staff_positions WHERE organisation_id = '{school}' AND ended_on IS NULL"
        ))
        .await;
    let row = page
        .split(&format!("href=\"/schools/{school}\""))
        .nth(1)
        .unwrap()
        .split("</tr>")
        .next()
        .unwrap();
    assert!(row.contains(&format!("<td>{staff}</td>")), "{row}");
    // The school page the row leads to opens for the operator.
    assert_eq!(m.get(&format!("/schools/{school}")).await.status(), 200);
    // No person is named on an operator's start page.
    let teacher = app
        .scalar(&format!(
            "SELECT p.last_name FROM persons p JOIN staff_positions s ON s.person_id = p.id WHERE s.organisation_id = '{school}' LIMIT 1"
        ))
        .await;
    assert!(!page.contains(&teacher), "{teacher} is not named");
}

#[tokio::test]
async fn the_director_covers_an_absent_teachers_lessons_with_free_colleagues() {
    let app = spawn().await;
    let director = app.login("director").await;
    let school = app.director_school().await;
    // A day with lessons of the demo teacher (the latest on or before today, else the
    // first after it).
    let teacher = app.person_of("teacher").await;
    let today = parta_core::time::today().to_string();
    let day: Option<(String,)> = sqlx::query_as(
        "SELECT day FROM lessons WHERE teacher_id = $1 AND status = 'planned' AND day <= $2 ORDER BY day DESC LIMIT 1",
    )
    .bind(&teacher)
    .bind(&today)
    .fetch_optional(&app.db.pool)
    .await
    .unwrap();
    let day = match day {
        Some((d,)) => d,
        None => {
            app.scalar(&format!(
                "SELECT MIN(day) FROM lessons WHERE teacher_id = '{teacher}' AND status = 'planned'"
            ))
            .await
        }
    };
    let page = director
        .get(&format!(
            "/schools/{school}/substitutions?day={day}&teacher={teacher}"
        ))
        .await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    let (lesson, no): (String, i64) = sqlx::query_as(
        "SELECT id, lesson_no FROM lessons WHERE teacher_id = $1 AND day = $2 AND status = 'planned' ORDER BY lesson_no LIMIT 1",
    )
    .bind(&teacher)
    .bind(&day)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    let block = page
        .split(&format!("action=\"/lessons/{lesson}/change\""))
        .nth(1)
        .expect("the lesson is offered for a substitution");
    // The first offered teacher is free at that hour.
    let offered = block
        .split("<option value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    assert_ne!(offered, teacher);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM lessons WHERE teacher_id = '{offered}' AND day = '{day}' AND lesson_no = {no} AND status <> 'cancelled'"
        ))
        .await,
        0,
        "the offered teacher is free then"
    );
    let class: String = app
        .scalar(&format!(
            "SELECT class_id FROM lessons WHERE id = '{lesson}'"
        ))
        .await;
    open_period_of(&app, &class, &day).await;
    let back = format!("/schools/{school}/substitutions?day={day}&teacher={teacher}");
    let res = director
        .form(
            &format!("/lessons/{lesson}/change"),
            &[
                ("kind", "substitution"),
                ("teacher_id", &offered),
                ("back", &back),
            ],
        )
        .await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    assert!(res.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with(&back));
    assert_eq!(
        app.scalar(&format!(
            "SELECT teacher_id FROM lessons WHERE id = '{lesson}'"
        ))
        .await,
        offered
    );
    let page = director.get(&back).await.text().await.unwrap();
    let changes = page.split("Изменения этого дня").nth(1).unwrap();
    assert!(
        changes.contains(&format!("/lessons/{lesson}")),
        "listed among the day's changes"
    );
}

#[tokio::test]
async fn a_journal_column_keeps_its_form_of_assessment_and_todays_column_is_marked() {
    let app = spawn().await;
    let teacher = app.login("teacher").await;
    let s = spot(&app, &teacher).await;
    let journal = format!("/journal/{}/{}", s.class, s.subject);
    let page = teacher.get(&journal).await.text().await.unwrap();
    assert!(
        page.contains(&format!("name=\"wt.{}\"", s.lesson)),
        "a form of assessment per column"
    );
    assert!(
        !page.contains("name=\"g."),
        "no grade inputs outside the grades step"
    );
    if s.day == parta_core::time::today().to_string() {
        assert!(page.contains("class=\"c today\"") || page.contains(" today\""));
    }
    // The column becomes a test: saved at once, and a new mark in it weighs as a test.
    let res = teacher
        .form(
            &journal,
            &[
                (format!("owt.{}", s.lesson).as_str(), "classwork"),
                (format!("wt.{}", s.lesson).as_str(), "test"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    assert_eq!(
        app.scalar(&format!(
            "SELECT work_type FROM lessons WHERE id = '{}'",
            s.lesson
        ))
        .await,
        "test"
    );
    let res = teacher
        .post(
            &format!("/api/v1/classes/{}/journal/{}", s.class, s.subject),
            &json!({"marks": [{"lesson_id": s.lesson, "student_id": s.student, "value": "4"}]}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let saved: serde_json::Value = res.json().await.unwrap();
    let mark = saved["created"][0].as_str().unwrap().to_string();
    assert_eq!(
        app.scalar(&format!("SELECT work_type FROM marks WHERE id = '{mark}'"))
            .await,
        "test"
    );
    // A form of assessment that does not exist is named.
    let res = teacher
        .post(
            &format!("/api/v1/classes/{}/journal/{}", s.class, s.subject),
            &json!({"lessons": [{"lesson_id": s.lesson, "work_type": "party"}]}),
        )
        .await;
    assert_eq!(res.status(), 422);
    // The page shows the mark coloured by its value.
    let page = teacher.get(&journal).await.text().await.unwrap();
    assert!(page.contains("class=\"v"), "marks are colour-coded");
}

#[tokio::test]
async fn a_thematic_plan_fills_the_coming_lessons_without_a_topic() {
    let app = spawn().await;
    let teacher = app.login("teacher").await;
    let s = spot(&app, &teacher).await;
    // Three lessons of the journal: the spot's and the two before it (the year's last in
    // the summer), their periods open.
    let mut lessons: Vec<(String, String)> = sqlx::query_as(
        "SELECT id, day FROM lessons WHERE class_id = $1 AND subject_code = $2 AND day <= $3 AND status <> 'cancelled' \
         ORDER BY day DESC, lesson_no DESC LIMIT 3",
    )
    .bind(&s.class)
    .bind(&s.subject)
    .bind(&s.day)
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    lessons.reverse();
    if lessons.len() < 3 {
        // The year's first day: the spot's lesson and the next two.
        lessons = sqlx::query_as(
            "SELECT id, day FROM lessons WHERE class_id = $1 AND subject_code = $2 AND day >= $3 AND status <> 'cancelled' \
             ORDER BY day, lesson_no LIMIT 3",
        )
        .bind(&s.class)
        .bind(&s.subject)
        .bind(&s.day)
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    }
    assert_eq!(lessons.len(), 3);
    let from = lessons[0].1.clone();
    for (_, day) in &lessons {
        open_period_of(&app, &s.class, day).await;
    }
    // Later lessons keep their topics (the plan fills only these three).
    sqlx::query("UPDATE lessons SET topic = 'Дальше по плану' WHERE class_id = $1 AND subject_code = $2 AND day > $3 AND topic IS NULL")
        .bind(&s.class)
        .bind(&s.subject)
        .bind(&lessons[2].1)
        .execute(&app.db.pool)
        .await
        .unwrap();
    // The second keeps the topic it has; the others are blank.
    for (i, (id, _)) in lessons.iter().enumerate() {
        sqlx::query("UPDATE lessons SET topic = $2 WHERE id = $1")
            .bind(id)
            .bind((i == 1).then_some("Уже записано"))
            .execute(&app.db.pool)
            .await
            .unwrap();
    }
    let plan = format!("/journal/{}/{}/plan", s.class, s.subject);
    // A date nobody can read is named, and what was pasted is kept.
    let res = teacher
        .form(&plan, &[("from", "31.02.2026"), ("plan", "Тема А\nТема Б")])
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("id=\"from-error\"") && html.contains("Тема А\nТема Б"));
    let (y, m, d) = (&from[0..4], &from[5..7], &from[8..10]);
    let res = teacher
        .form(
            &plan,
            &[
                ("from", &format!("{d}.{m}.{y}")),
                ("plan", "1;Имя существительное;1\n2;Имя прилагательное;1\n"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let topic = |id: &str| {
        let app = &app;
        let id = id.to_string();
        async move {
            app.scalar(&format!(
                "SELECT COALESCE(topic, '') FROM lessons WHERE id = '{id}'"
            ))
            .await
        }
    };
    assert_eq!(topic(&lessons[0].0).await, "Имя существительное");
    assert_eq!(topic(&lessons[1].0).await, "Уже записано");
    assert_eq!(topic(&lessons[2].0).await, "Имя прилагательное");
}

#[tokio::test]
async fn closing_a_period_asks_for_confirmation() {
    let app = spawn().await;
    let director = app.login("director").await;
    let school = app.director_school().await;
    // (In the summer every period is closed: one is open again for the test.)
    let period = app
        .scalar(&format!(
            "SELECT id FROM study_periods WHERE organisation_id = '{school}' ORDER BY starts_on DESC LIMIT 1"
        ))
        .await;
    sqlx::query("UPDATE study_periods SET closed_at = NULL, closed_by = NULL WHERE id = $1")
        .bind(&period)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let res = director
        .form(&format!("/periods/{period}/close"), &[("closed", "1")])
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("Да, закрыть период"));
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM study_periods WHERE id = '{period}' AND closed_at IS NOT NULL"
        ))
        .await,
        0
    );
    let res = director
        .form(
            &format!("/periods/{period}/close"),
            &[("closed", "1"), ("confirm", "1")],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM study_periods WHERE id = '{period}' AND closed_at IS NOT NULL"
        ))
        .await,
        1
    );
}
