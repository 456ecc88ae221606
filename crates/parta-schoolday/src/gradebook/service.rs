//! The OneRoster 1.2 gradebook view of a school's journal (categories, grading periods,
//! line items, results), so another system reads marks without re-entry. A line item is
//! one lesson and one work type; a result is one mark.

use crate::service::*;
use chrono::{TimeZone, Utc};
use parta_core::ids::{LessonId, MarkId};
use parta_http::imsx::query::{self, ListQuery, QueryError};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GuidRef {
    pub href: String,
    #[serde(rename = "sourcedId")]
    pub sourced_id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

pub(crate) fn gref(kind: &'static str, path: &str, id: impl ToString) -> GuidRef {
    let id = id.to_string();
    GuidRef {
        href: format!("/ims/oneroster/gradebook/v1p2/{path}/{id}"),
        sourced_id: id,
        kind,
    }
}

pub(crate) fn iso(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OneRosterCategory {
    pub sourced_id: String,
    pub status: &'static str,
    pub title: String,
    pub weight: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OneRosterPeriod {
    pub sourced_id: String,
    pub status: &'static str,
    pub title: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub start_date: String,
    pub end_date: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OneRosterLineItem {
    pub sourced_id: String,
    pub status: &'static str,
    pub date_last_modified: String,
    pub title: String,
    pub assign_date: String,
    pub due_date: String,
    pub class: GuidRef,
    pub school: GuidRef,
    pub category: GuidRef,
    pub result_value_min: f64,
    pub result_value_max: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OneRosterResult {
    pub sourced_id: String,
    pub status: &'static str,
    pub date_last_modified: String,
    pub line_item: GuidRef,
    pub student: GuidRef,
    pub class: GuidRef,
    pub score_status: &'static str,
    /// Five-point marks as numbers; pass/fail as `textScore`.
    pub score: Option<f64>,
    pub text_score: String,
    pub score_date: String,
    pub comment: Option<String>,
}

impl Journal {
    /// Виды работ as gradebook categories.
    pub async fn gradebook_categories(&self) -> Result<Vec<OneRosterCategory>> {
        Ok(store::work_types(&self.db)
            .await?
            .into_iter()
            .map(|w| OneRosterCategory {
                sourced_id: w.code,
                status: "active",
                title: w.name,
                weight: w.weight as f64,
            })
            .collect())
    }

    pub async fn gradebook_periods(
        &self,
        p: &Principal,
        org: OrganisationId,
    ) -> Result<Vec<OneRosterPeriod>> {
        self.authorize_org(p, Operation::ReadGradebook, org).await?;
        Ok(store::periods(&self.db, org)
            .await?
            .into_iter()
            .map(|per| OneRosterPeriod {
                sourced_id: per.id.to_string(),
                status: "active",
                title: per.name,
                kind: "gradingPeriod",
                start_date: per.starts_on,
                end_date: per.ends_on,
            })
            .collect())
    }

    /// The schools whose gradebook the caller reads: a school's administration its own
    /// (the platform's administrator every school).
    async fn gradebook_orgs(&self, p: &Principal) -> Result<Vec<OrganisationId>> {
        let candidates: Vec<OrganisationId> =
            if p.role() == parta_core::principal::Role::PlatformAdmin {
                sqlx::query_as::<_, (OrganisationId,)>("SELECT id FROM organisations ORDER BY id")
                    .fetch_all(&self.db.pool)
                    .await?
                    .into_iter()
                    .map(|r| r.0)
                    .collect()
            } else {
                p.scope.organisations.clone()
            };
        let asked = !candidates.is_empty();
        // One read for all (a platform administrator's hundreds of schools).
        let out = self
            .registry
            .allowed_organisations(p, Operation::ReadGradebook, &candidates)
            .await?;
        if out.is_empty() {
            // Nobody's gradebook: refused, and on the record as such (once).
            if !asked {
                let _ = decide(p, Operation::ReadGradebook, Target::Platform);
            }
            return Err(JournalError::Forbidden);
        }
        Ok(out)
    }

    /// Resolves what a gradebook path names into marks it covers, checking the caller
    /// reads that school's gradebook; an object the caller must not see is not found.
    async fn gradebook_within(&self, p: &Principal, scope: &Scope) -> Result<store::Within> {
        let org = match scope {
            Scope::All => return Ok(store::Within::Orgs(self.gradebook_orgs(p).await?)),
            Scope::School(org) => *org,
            Scope::Class(class) => store::class_org(&self.db, *class)
                .await?
                .ok_or(JournalError::NotFound)?,
            Scope::LineItem(id) => {
                let (lesson, _) = parse_line_item(id)?;
                store::lesson_place(&self.db, lesson)
                    .await?
                    .ok_or(JournalError::NotFound)?
                    .2
            }
            Scope::Result(id) => {
                let mark: MarkId = id.parse().map_err(|_| JournalError::NotFound)?;
                let (lesson, _) = store::mark_lesson(&self.db, mark)
                    .await?
                    .ok_or(JournalError::NotFound)?;
                store::lesson_place(&self.db, lesson)
                    .await?
                    .ok_or(JournalError::NotFound)?
                    .2
            }
        };
        let facts = self.org_facts(org).await?;
        match decide(p, Operation::ReadGradebook, Target::Organisation(&facts)) {
            Decision::Allow => {}
            // Another school's class, lesson or mark: as if it did not exist.
            _ if !matches!(scope, Scope::School(_)) => return Err(JournalError::NotFound),
            d => check(d)?,
        }
        Ok(match scope {
            Scope::All | Scope::School(_) => store::Within::Orgs(vec![org]),
            Scope::Class(c) => store::Within::Class(*c),
            Scope::LineItem(id) => {
                let (lesson, work_type) = parse_line_item(id)?;
                store::Within::LineItem(lesson, work_type)
            }
            Scope::Result(id) => {
                store::Within::Mark(id.parse().map_err(|_| JournalError::NotFound)?)
            }
        })
    }

    /// Line items (a lesson and a work type that have marks) of a scope, as OneRoster
    /// objects, with the query applied: (total, page).
    pub async fn gradebook_line_items(
        &self,
        p: &Principal,
        scope: Scope,
        q: &ListQuery,
    ) -> Result<(usize, Vec<serde_json::Value>)> {
        let within = self.gradebook_within(p, &scope).await?;
        let org_of = |class: ClassId| store::class_org(&self.db, class);
        let page = |offset: i64, limit: i64| store::line_items(&self.db, &within, offset, limit);
        let (total, rows) = if in_sql(&scope, q)? {
            let total = store::line_items_total(&self.db, &within).await? as usize;
            (total, page(q.offset as i64, q.limit as i64).await?)
        } else {
            (0, page(0, MAX_IN_MEMORY).await?)
        };
        let mut items = Vec::new();
        let mut orgs: std::collections::HashMap<ClassId, OrganisationId> = Default::default();
        for (lesson, work_type, class, day, subject, wt_name, modified) in rows {
            let org = match orgs.get(&class) {
                Some(o) => *o,
                None => {
                    let o = org_of(class).await?.ok_or(JournalError::NotFound)?;
                    orgs.insert(class, o);
                    o
                }
            };
            let item = OneRosterLineItem {
                sourced_id: format!("{lesson}.{work_type}"),
                status: "active",
                date_last_modified: iso(modified),
                title: format!("{subject}, {}: {wt_name}", ru_date(&day)),
                assign_date: day.clone(),
                due_date: day,
                class: gref("class", "classes", class),
                school: gref("org", "orgs", org),
                category: gref("category", "categories", work_type),
                result_value_min: 1.0,
                result_value_max: 5.0,
            };
            items.push(
                serde_json::to_value(item)
                    .map_err(|_| JournalError::Problem(parta_core::Problem::internal()))?,
            );
        }
        Ok(finish(total, items, &scope, q))
    }

    /// Results (marks) of a scope, as OneRoster objects, with the query applied; the
    /// read of marks is audited.
    pub async fn gradebook_results(
        &self,
        p: &Principal,
        origin: &Origin,
        scope: Scope,
        q: &ListQuery,
    ) -> Result<(usize, Vec<serde_json::Value>)> {
        let within = self.gradebook_within(p, &scope).await?;
        let (total, rows) = if in_sql(&scope, q)? {
            let total = store::marks_total(&self.db, &within).await? as usize;
            (
                total,
                store::marks_page(&self.db, &within, q.offset as i64, q.limit as i64).await?,
            )
        } else {
            (
                0,
                store::marks_page(&self.db, &within, 0, MAX_IN_MEMORY).await?,
            )
        };
        let mut e = entry(p, origin, "read", "gradebook");
        if let store::Within::Orgs(orgs) = &within {
            e.organisation_id = orgs.first().copied();
        }
        e.details = Some(format!("results {scope:?}, {} rows", rows.len()));
        self.audit.record(e).await?;
        let items = rows
            .into_iter()
            .map(|(m, class)| result_of(m, class))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|_| JournalError::Problem(parta_core::Problem::internal()))?;
        Ok(finish(total, items, &scope, q))
    }

    /// PUT `/results/{id}`: a result written by another system becomes a journal mark
    /// (the sourcedId is the mark's id), through the journal's own save and its rules.
    pub async fn gradebook_put_result(
        &self,
        p: &Principal,
        origin: &Origin,
        id: &str,
        input: ResultIn,
    ) -> Result<serde_json::Value> {
        let mark: MarkId = id.parse().map_err(|_| {
            JournalError::invalid(
                "sourcedId",
                "sourcedId результата — UUID (он же номер отметки в журнале).",
            )
        })?;
        let line_item = input.line_item.sourced_id.clone();
        let (class, subject, lesson, work_type) = self.line_item_place(p, &line_item).await?;
        let m = self
            .result_mark(lesson, &work_type, mark, &input, "")
            .await?;
        let save = crate::journal::model::JournalSave {
            marks: vec![m],
            attendance: Vec::new(),
            lessons: Vec::new(),
        };
        self.save(p, origin, class, &subject, save, None).await?;
        let q = ListQuery::first(1);
        let (_, mut found) = self
            .gradebook_results(p, origin, Scope::Result(mark.to_string()), &q)
            .await?;
        found.pop().ok_or(JournalError::NotFound)
    }

    /// POST `/lineItems/{id}/results`: several results of one line item (a class's marks
    /// for one work), written together or not at all. A result without a sourcedId gets
    /// one; the answer pairs what was supplied with what was allocated.
    pub async fn gradebook_post_results(
        &self,
        p: &Principal,
        origin: &Origin,
        line_item: &str,
        inputs: Vec<ResultIn>,
        supplied: Vec<Option<String>>,
    ) -> Result<Vec<(String, String)>> {
        if inputs.is_empty() || inputs.len() > MAX_POSTED_RESULTS {
            return Err(JournalError::invalid(
                "results",
                format!("От 1 до {MAX_POSTED_RESULTS} результатов за один запрос."),
            ));
        }
        let (class, subject, lesson, work_type) = self.line_item_place(p, line_item).await?;
        let mut marks = Vec::new();
        let mut pairs = Vec::new();
        for (i, (input, given)) in inputs.iter().zip(supplied).enumerate() {
            let at = format!("results[{i}].");
            if input.line_item.sourced_id != line_item && !input.line_item.sourced_id.is_empty() {
                return Err(JournalError::invalid(
                    format!("{at}lineItem.sourcedId"),
                    "Результат другого элемента журнала: в этом запросе — только результаты элемента из адреса.",
                ));
            }
            let mark: MarkId = match &given {
                Some(g) => g.parse().map_err(|_| {
                    JournalError::invalid(
                        format!("{at}sourcedId"),
                        "sourcedId результата — UUID (он же номер отметки в журнале).",
                    )
                })?,
                None => MarkId::new(),
            };
            if marks.iter().any(|m: &crate::journal::model::MarkInput| {
                m.student_id.to_string() == input.student.sourced_id
            }) {
                return Err(JournalError::invalid(
                    format!("{at}student.sourcedId"),
                    "У ученика уже есть результат в этом запросе.",
                ));
            }
            marks.push(
                self.result_mark(lesson, &work_type, mark, input, &at)
                    .await?,
            );
            pairs.push((given.unwrap_or_default(), mark.to_string()));
        }
        let save = crate::journal::model::JournalSave {
            marks,
            attendance: Vec::new(),
            lessons: Vec::new(),
        };
        self.save(p, origin, class, &subject, save, None).await?;
        Ok(pairs)
    }

    /// A line item's class, subject, lesson and work type, once the caller may see it.
    async fn line_item_place(
        &self,
        p: &Principal,
        line_item: &str,
    ) -> Result<(ClassId, String, LessonId, String)> {
        let (lesson, work_type) = parse_line_item(line_item).map_err(|_| {
            JournalError::invalid(
                "lineItem.sourcedId",
                "Элемент журнала не найден: ожидается «урок.вид работы».",
            )
        })?;
        // Another school's lesson is not found, before anything about it is said.
        self.gradebook_within(p, &Scope::LineItem(line_item.to_string()))
            .await?;
        let (class, subject, _) = store::lesson_place(&self.db, lesson)
            .await?
            .ok_or_else(|| JournalError::invalid("lineItem.sourcedId", "Урок не найден."))?;
        Ok((class, subject, lesson, work_type))
    }

    /// A result as the journal's mark input: the student, the value, a new or the same
    /// mark (a sourcedId never moves a mark to another lesson or student).
    async fn result_mark(
        &self,
        lesson: LessonId,
        work_type: &str,
        mark: MarkId,
        input: &ResultIn,
        at: &str,
    ) -> Result<crate::journal::model::MarkInput> {
        let student: PersonId = input.student.sourced_id.parse().map_err(|_| {
            JournalError::invalid(format!("{at}student.sourcedId"), "Ученик не найден.")
        })?;
        let existing = store::mark_lesson(&self.db, mark).await?;
        if existing.is_some_and(|(l, s)| l != lesson || s != student) {
            return Err(JournalError::Conflict(
                format!("{at}sourcedId"),
                "Этот sourcedId уже у другой отметки (другой урок или ученик).".into(),
            ));
        }
        let value = match (&input.text_score, input.score) {
            (Some(t), _) if !t.trim().is_empty() => Some(t.trim().to_string()),
            (_, Some(n)) if n.fract() == 0.0 => Some(format!("{n:.0}")),
            (_, Some(n)) => Some(n.to_string()),
            _ => None,
        };
        if value.is_none() {
            return Err(JournalError::invalid(
                format!("{at}score"),
                "Укажите score или textScore.",
            ));
        }
        Ok(crate::journal::model::MarkInput {
            lesson_id: lesson,
            student_id: student,
            mark_id: existing.map(|_| mark),
            new_id: existing.is_none().then_some(mark),
            value,
            work_type: Some(work_type.to_string()),
            comment: input.comment.clone(),
        })
    }

    /// DELETE `/results/{id}`: the mark is removed through the journal's save (kept in
    /// the mark's history).
    pub async fn gradebook_delete_result(
        &self,
        p: &Principal,
        origin: &Origin,
        id: &str,
    ) -> Result<()> {
        let mark: MarkId = id.parse().map_err(|_| JournalError::NotFound)?;
        let (lesson, student) = store::mark_lesson(&self.db, mark)
            .await?
            .ok_or(JournalError::NotFound)?;
        let (class, subject, _) = store::lesson_place(&self.db, lesson)
            .await?
            .ok_or(JournalError::NotFound)?;
        // The caller must see the mark before learning anything of its journal.
        self.gradebook_within(p, &Scope::Result(id.to_string()))
            .await?;
        let save = crate::journal::model::JournalSave {
            marks: vec![crate::journal::model::MarkInput {
                lesson_id: lesson,
                student_id: student,
                mark_id: Some(mark),
                new_id: None,
                value: None,
                work_type: None,
                comment: None,
            }],
            attendance: Vec::new(),
            lessons: Vec::new(),
        };
        self.save(p, origin, class, &subject, save, None).await?;
        Ok(())
    }
}

/// What a gradebook path narrows to.
#[derive(Debug, Clone)]
pub enum Scope {
    /// Every school the caller reads.
    All,
    School(OrganisationId),
    Class(ClassId),
    /// `lesson.work_type`
    LineItem(String),
    /// A mark's id.
    Result(String),
}

/// The most rows a class-level read holds in memory to filter and sort.
const MAX_IN_MEMORY: i64 = 50_000;

/// School-wide reads are paged in SQL (a school has hundreds of thousands of marks a
/// year): no filter or sort there — those are applied on a class or a line item.
fn in_sql(scope: &Scope, q: &ListQuery) -> Result<bool> {
    let wide = matches!(scope, Scope::All | Scope::School(_));
    if wide && (q.filter.is_some() || q.sort.is_some()) {
        return Err(parta_core::Problem::from(QueryError::filter(
            "Для всей школы — без filter и sort: фильтруйте в классе (/classes/…/results, /classes/…/lineItems).",
        ))
        .into());
    }
    Ok(wide)
}

/// The query applied in memory (class, line item) or only `fields` (already paged).
fn finish(
    total: usize,
    items: Vec<serde_json::Value>,
    scope: &Scope,
    q: &ListQuery,
) -> (usize, Vec<serde_json::Value>) {
    if matches!(scope, Scope::All | Scope::School(_)) {
        let page = items
            .into_iter()
            .map(|o| query::select(o, q.fields.as_deref()))
            .collect();
        (total, page)
    } else {
        query::apply(items, q)
    }
}

fn parse_line_item(id: &str) -> Result<(LessonId, String)> {
    let (lesson, work_type) = id.split_once('.').ok_or(JournalError::NotFound)?;
    Ok((
        lesson.parse().map_err(|_| JournalError::NotFound)?,
        work_type.to_string(),
    ))
}

fn result_of(m: Mark, class: ClassId) -> serde_json::Result<serde_json::Value> {
    serde_json::to_value(OneRosterResult {
        sourced_id: m.id.to_string(),
        status: "active",
        date_last_modified: iso(m.updated_at),
        line_item: gref(
            "lineItem",
            "lineItems",
            format!("{}.{}", m.lesson_id, m.work_type),
        ),
        student: gref("user", "students", m.student_id),
        class: gref("class", "classes", class),
        score_status: "fully graded",
        score: m.value.parse::<f64>().ok(),
        text_score: m.value,
        score_date: m.day,
        comment: m.comment,
    })
}

/// Results posted together for one line item (a class's marks for one work).
pub const MAX_POSTED_RESULTS: usize = 200;

/// A reference in a written result: `{"sourcedId": …}`.
#[derive(Debug, Clone, Default, serde::Deserialize, ToSchema)]
pub struct RefIn {
    #[serde(rename = "sourcedId")]
    pub sourced_id: String,
}

/// A result as another system writes it (the OneRoster 1.2 `Result`; the fields the
/// journal keeps).
#[derive(Debug, Clone, serde::Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResultIn {
    /// Required in PUT `/results/{id}`; in POST `/lineItems/{id}/results` the address
    /// names it.
    #[serde(default)]
    pub line_item: RefIn,
    pub student: RefIn,
    pub score_status: Option<String>,
    pub score: Option<f64>,
    pub text_score: Option<String>,
    pub comment: Option<String>,
}

/// Шкалы отметок as OneRoster score scales.
pub fn score_scales() -> Vec<serde_json::Value> {
    use crate::journal::model::Scale;
    [(Scale::FivePoint, "Пятибалльная шкала"), (Scale::PassFail, "Зачёт / незачёт")]
        .into_iter()
        .map(|(s, title)| {
            let labels: &[&str] = match s {
                Scale::FivePoint => &["плохо", "неудовлетворительно", "удовлетворительно", "хорошо", "отлично"],
                Scale::PassFail => &["зачтено", "не зачтено"],
            };
            serde_json::json!({
                "sourcedId": s.code(), "status": "active", "dateLastModified": "2026-01-01T00:00:00.000Z",
                "title": title, "type": "marks",
                "scoreScaleValue": s.values().iter().zip(labels).map(|(v, l)| serde_json::json!({"itemValueLHS": v, "itemValueRHS": l})).collect::<Vec<_>>(),
            })
        })
        .collect()
}
