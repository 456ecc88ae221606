//! Электронный дневник: a student's week and marks, and homework hand-in.

use crate::calendar::monday_of;
use crate::service::*;
use chrono::{Datelike, Duration, NaiveDate};
use parta_core::ids::{LessonId, PeriodId};
use parta_core::principal::Role;
use parta_core::time::now_ms;
use std::collections::{HashMap, HashSet};

impl Journal {
    /// Audits a read of a student's school record, unless it is the student's own or
    /// their parent's (the people the record belongs to).
    pub(crate) async fn audit_diary_read(
        &self,
        p: &Principal,
        origin: &Origin,
        facts: &PersonFacts,
        what: &'static str,
    ) -> Result<()> {
        let own = p.person_id == facts.person
            || (p.role() == Role::Parent && p.scope.children.contains(&facts.person));
        if !own {
            let mut e = entry(p, origin, "read", what);
            e.subject_person_id = Some(facts.person);
            e.organisation_id = facts.orgs.first().map(|o| o.organisation);
            e.object_id = Some(facts.person.to_string());
            self.audit.record(e).await?;
        }
        Ok(())
    }

    /// The diary week containing `day` for a student.
    pub async fn diary_week(
        &self,
        p: &Principal,
        origin: &Origin,
        student: PersonId,
        day: NaiveDate,
    ) -> Result<DiaryWeek> {
        let facts = self.person_facts(student).await?;
        check(decide(p, Operation::ReadDiary, Target::Person(&facts)))?;
        let monday = monday_of(day);
        let sunday = monday + Duration::days(6);
        let (from, to) = (monday.to_string(), sunday.to_string());
        let week = store::student_week(&self.db, student, &from, &to).await?;
        let mut lessons = Vec::new();
        for (class, _) in &week.classes {
            lessons.extend(
                self.class_week(*class, monday)
                    .await?
                    .iter()
                    .filter(|l| l.group_id.is_none_or(|g| week.groups.contains(&g)))
                    .cloned(),
            );
        }
        if week.classes.len() > 1 {
            lessons.sort_by(|a, b| {
                (&a.day, a.lesson_no, &a.class_name).cmp(&(&b.day, b.lesson_no, &b.class_name))
            });
        }
        let class_name = (!week.classes.is_empty()).then(|| {
            week.classes
                .iter()
                .map(|(_, n)| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        });
        let student_name = week.student_name;
        let mut by_lesson: HashMap<LessonId, Vec<DiaryMark>> = HashMap::new();
        let mut absent: HashMap<LessonId, String> = HashMap::new();
        let mut done: HashSet<LessonId> = HashSet::new();
        let mut reviews: HashMap<LessonId, (Option<String>, Option<String>)> = HashMap::new();
        let mut files: HashMap<LessonId, Vec<DiaryFile>> = HashMap::new();
        for f in week.facts {
            let Some(lesson_id) = f.lesson_id else {
                continue;
            };
            match f.kind.as_str() {
                "f" => files.entry(lesson_id).or_default().push(DiaryFile {
                    id: f.id.unwrap_or_default(),
                    file_name: f.value.unwrap_or_default(),
                    size: f.weight.unwrap_or(0),
                    answer: f.comment.is_some(),
                }),
                "m" => by_lesson.entry(lesson_id).or_default().push(DiaryMark {
                    value: f.value.unwrap_or_default(),
                    work_type: f.work_type.unwrap_or_default(),
                    work_type_name: f.work_type_name.unwrap_or_default(),
                    weight: f.weight.unwrap_or(1),
                    comment: f.comment,
                }),
                "a" => {
                    absent.insert(lesson_id, f.value.unwrap_or_default());
                }
                _ => {
                    done.insert(lesson_id);
                    reviews.insert(lesson_id, (f.value, f.work_type_name));
                }
            }
        }
        let mut days: Vec<DiaryDay> = (0..6)
            .map(|i| {
                let d = monday + Duration::days(i);
                DiaryDay {
                    day: d.to_string(),
                    weekday: WEEKDAYS_RU[d.weekday().num_days_from_monday() as usize].to_string(),
                    lessons: Vec::new(),
                }
            })
            .collect();
        for l in lessons {
            let Some(day) = days.iter_mut().find(|d| d.day == l.day) else {
                continue;
            };
            day.lessons.push(DiaryLesson {
                marks: by_lesson.remove(&l.id).unwrap_or_default(),
                attendance: absent.get(&l.id).cloned(),
                homework_done: done.contains(&l.id),
                handin_status: reviews.get(&l.id).and_then(|r| r.0.clone()),
                teacher_comment: reviews.get(&l.id).and_then(|r| r.1.clone()),
                files: files.remove(&l.id).unwrap_or_default(),
                lesson: l,
            });
        }
        // Saturday only when it has lessons (a six-day school or a moved working day).
        if days.last().is_some_and(|d| d.lessons.is_empty()) {
            days.pop();
        }
        self.audit_diary_read(p, origin, &facts, "diary").await?;
        Ok(DiaryWeek {
            student_id: student,
            student_name,
            class_name,
            monday: from,
            days,
        })
    }

    /// The lessons of a class's week, from memory when another student of the class
    /// opened it a moment ago.
    pub(crate) async fn class_week(
        &self,
        class: ClassId,
        monday: NaiveDate,
    ) -> Result<std::sync::Arc<Vec<crate::model::Lesson>>> {
        let (hit, ticket) = self.weeks.get(class, monday);
        if let Some(lessons) = hit {
            return Ok(lessons);
        }
        let sunday = monday + Duration::days(6);
        let lessons = std::sync::Arc::new(
            store::lessons_of(
                &self.db,
                TimetableOf::Class(class),
                &monday.to_string(),
                &sunday.to_string(),
            )
            .await?,
        );
        self.weeks.put(class, monday, ticket, lessons.clone());
        Ok(lessons)
    }

    /// A student's marks by subject in a period, with weighted averages and grades.
    pub async fn student_marks(
        &self,
        p: &Principal,
        origin: &Origin,
        student: PersonId,
        period: Option<PeriodId>,
    ) -> Result<StudentMarks> {
        let facts = self.person_facts(student).await?;
        check(decide(p, Operation::ReadDiary, Target::Person(&facts)))?;
        let (class, _, student_name) = store::student_class(&self.db, student)
            .await?
            .ok_or(JournalError::NotFound)?;
        let Some(class) = class else {
            return Ok(StudentMarks {
                student_id: student,
                student_name,
                period: None,
                periods: Vec::new(),
                subjects: Vec::new(),
            });
        };
        let c = self.class_info(class).await?;
        let periods = self.class_periods(&c).await?;
        let t = parta_core::time::today().to_string();
        let chosen = match period {
            Some(id) => Some(
                periods
                    .iter()
                    .find(|p| p.id == id)
                    .cloned()
                    .ok_or(JournalError::NotFound)?,
            ),
            None => periods
                .iter()
                .find(|p| p.covers(&t))
                .or_else(|| periods.iter().rev().find(|p| p.starts_on <= t))
                .cloned(),
        };
        let (from, to) = match &chosen {
            Some(per) => (per.starts_on.clone(), per.ends_on.clone()),
            None => (c.year_starts_on.clone(), c.year_ends_on.clone()),
        };
        let marks = store::student_marks(&self.db, student, &from, &to).await?;
        let grades = store::student_grades(&self.db, student, c.academic_year_id).await?;
        let key = chosen
            .as_ref()
            .map(|p| p.id.to_string())
            .unwrap_or_default();
        let subjects = store::class_subjects(&self.db, class).await?;
        let out =
            subjects
                .into_iter()
                .map(|s| {
                    let mine: Vec<&(Mark, String)> = marks
                        .iter()
                        .filter(|(m, _)| m.subject_code == s.code)
                        .collect();
                    SubjectMarks {
                        average: weighted_average(mine.iter().filter_map(|(m, _)| {
                            m.value.parse::<i64>().ok().map(|v| (v, m.weight))
                        }))
                        .map(|a| (a * 100.0).round() / 100.0),
                        marks: mine
                            .iter()
                            .map(|(m, wt)| DiaryMark {
                                value: m.value.clone(),
                                work_type: m.work_type.clone(),
                                work_type_name: wt.clone(),
                                weight: m.weight,
                                comment: m.comment.clone(),
                            })
                            .collect(),
                        grade: grades
                            .iter()
                            .find(|g| g.subject_code == s.code && g.period_key == key)
                            .map(|g| g.value.clone()),
                        subject_code: s.code,
                        subject_name: s.name,
                    }
                })
                .collect();
        self.audit_diary_read(p, origin, &facts, "marks").await?;
        Ok(StudentMarks {
            student_id: student,
            student_name,
            period: chosen,
            periods,
            subjects: out,
        })
    }

    /// A student marks a lesson's homework done (with an optional answer) or not done.
    pub async fn submit_homework(
        &self,
        p: &Principal,
        lesson: LessonId,
        input: HomeworkAnswer,
    ) -> Result<()> {
        let facts = self.person_facts(p.person_id).await?;
        check(decide(p, Operation::SubmitHomework, Target::Person(&facts)))?;
        let l = store::lesson_key(&self.db, lesson)
            .await?
            .ok_or(JournalError::NotFound)?;
        // Only the student's own lessons exist for them.
        let mine = store::lessons_of(&self.db, TimetableOf::Student(p.person_id), &l.day, &l.day)
            .await?
            .into_iter()
            .find(|x| x.id == lesson)
            .ok_or(JournalError::NotFound)?;
        if mine.homework.is_none() {
            return Err(JournalError::invalid(
                "lesson_id",
                "К этому уроку домашнее задание не задано.",
            ));
        }
        let answer = input
            .answer
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty());
        if answer.is_some_and(|a| a.chars().count() > 4000) {
            return Err(JournalError::invalid("answer", "Ответ — до 4000 знаков."));
        }
        if answer.is_some() && mine.handin != 1 {
            return Err(JournalError::invalid(
                "answer",
                "Учитель не просил сдавать эту работу в системе: отметьте её выполненной.",
            ));
        }
        let mut tx = self.db.begin_write().await?;
        if input.done {
            store::upsert_submission(&mut tx, lesson, p.person_id, answer, now_ms()).await?;
        } else {
            store::delete_submission(&mut tx, lesson, p.person_id).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Who handed in a lesson's homework (the teacher's view).
    pub async fn homework_status(
        &self,
        p: &Principal,
        origin: &Origin,
        lesson: LessonId,
    ) -> Result<HomeworkStatus> {
        let sheet = self.lesson_sheet(p, origin, lesson).await?;
        Ok(HomeworkStatus {
            lesson: sheet.lesson,
            submissions: sheet.submissions,
        })
    }

    /// A parent's children (or the student themself) whose diaries the caller opens.
    pub async fn diary_people(&self, p: &Principal) -> Result<Vec<(PersonId, String)>> {
        let ids: Vec<PersonId> = match p.role() {
            Role::Student => vec![p.person_id],
            Role::Parent => p.scope.children.clone(),
            _ => Vec::new(),
        };
        let mut out = Vec::new();
        for id in ids {
            if let Some((_, class, name)) = store::student_class(&self.db, id).await? {
                out.push((
                    id,
                    match class {
                        Some(c) => format!("{name}, {c}"),
                        None => name,
                    },
                ));
            }
        }
        Ok(out)
    }
}
