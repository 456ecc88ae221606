//! Тематическое планирование (КТП): a teacher's topics in order for a class and subject,
//! typed or pasted from a spreadsheet (one topic a line, or the topic column of a CSV),
//! fill the topics of the coming lessons that have none yet.

use crate::service::*;
use chrono::NaiveDate;
use parta_core::ids::LessonId;

/// Topics one plan may hold: a year of five lessons a week.
pub const MAX_PLAN_TOPICS: usize = 210;

/// The topics of a pasted plan: one a line; in a CSV line (`;`, `,` or a tab) the longest
/// field is the topic (numbers and dates around it are dropped); empty lines skipped.
pub fn parse_plan(text: &str) -> Vec<String> {
    text.lines()
        .map(|line| {
            line.split(['\t', ';'])
                .map(|f| f.trim().trim_matches('"').trim())
                .filter(|f| f.chars().any(char::is_alphabetic))
                .max_by_key(|f| f.chars().count())
                .unwrap_or("")
                .to_string()
        })
        .filter(|t| !t.is_empty())
        .collect()
}

impl Journal {
    /// Fills the topics of a journal's lessons from `from` on that have none, in order,
    /// with the plan's topics; returns how many were filled.
    pub async fn apply_plan(
        &self,
        p: &Principal,
        origin: &Origin,
        class: ClassId,
        subject: &str,
        topics: Vec<String>,
        from: NaiveDate,
    ) -> Result<usize> {
        self.authorize_journal(p, Operation::WriteJournal, class, subject, None)
            .await?;
        if topics.is_empty() {
            return Err(JournalError::invalid(
                "plan",
                "Вставьте темы уроков — по одной в строке.",
            ));
        }
        if topics.len() > MAX_PLAN_TOPICS {
            return Err(JournalError::invalid(
                "plan",
                format!("Не больше {MAX_PLAN_TOPICS} тем за раз."),
            ));
        }
        if let Some((i, _)) = topics
            .iter()
            .enumerate()
            .find(|(_, t)| t.chars().count() > 500)
        {
            return Err(JournalError::invalid(
                "plan",
                format!("Тема в строке {} длиннее 500 знаков.", i + 1),
            ));
        }
        let lessons: Vec<(LessonId,)> = sqlx::query_as(
            "SELECT id FROM lessons WHERE class_id = $1 AND subject_code = $2 AND day >= $3 \
             AND status <> 'cancelled' AND topic IS NULL ORDER BY day, lesson_no",
        )
        .bind(class)
        .bind(subject.to_string())
        .bind(from.to_string())
        .fetch_all(&self.db.pool)
        .await?;
        let save = JournalSave {
            lessons: lessons
                .iter()
                .zip(topics)
                .map(|((id,), topic)| LessonInput {
                    lesson_id: *id,
                    topic: Some(topic),
                    homework: None,
                    homework_due: None,
                    attendance_taken: None,
                    handin: None,
                    work_type: None,
                })
                .collect(),
            ..Default::default()
        };
        let n = save.lessons.len();
        if n == 0 {
            return Ok(0);
        }
        // In chunks the save accepts; each is the journal's own checks and events.
        for chunk in save.lessons.chunks(MAX_SAVE_LESSONS) {
            let part = JournalSave {
                lessons: chunk.to_vec(),
                ..Default::default()
            };
            self.save(p, origin, class, subject, part, None).await?;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pasted_plan_keeps_the_topics_in_order() {
        let text = "1;01.09;Натуральные числа и нуль;1\n\n2\tСравнение натуральных чисел\t1\nОбыкновенные дроби\n";
        assert_eq!(
            parse_plan(text),
            [
                "Натуральные числа и нуль",
                "Сравнение натуральных чисел",
                "Обыкновенные дроби"
            ]
        );
    }
}
