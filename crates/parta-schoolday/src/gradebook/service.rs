//! The OneRoster 1.2 gradebook view of a school's journal (categories, grading periods,
//! line items, results), so another system reads marks without re-entry. A line item is
//! one lesson and one work type; a result is one mark.

use crate::service::*;
use chrono::{TimeZone, Utc};
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

    pub async fn gradebook_line_items(
        &self,
        p: &Principal,
        org: OrganisationId,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<OneRosterLineItem>> {
        self.authorize_org(p, Operation::ReadGradebook, org).await?;
        let rows =
            store::school_line_items(&self.db, org, offset.max(0), limit.clamp(1, 1000)).await?;
        Ok(rows
            .into_iter()
            .map(
                |(lesson, work_type, class, day, subject, wt_name, modified)| OneRosterLineItem {
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
                },
            )
            .collect())
    }

    pub async fn gradebook_results(
        &self,
        p: &Principal,
        origin: &Origin,
        org: OrganisationId,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<OneRosterResult>> {
        self.authorize_org(p, Operation::ReadGradebook, org).await?;
        let rows =
            store::school_marks_page(&self.db, org, offset.max(0), limit.clamp(1, 1000)).await?;
        let mut e = entry(p, origin, "read", "gradebook");
        e.organisation_id = Some(org);
        e.details = Some(format!("results offset {offset}, {} rows", rows.len()));
        self.audit.record(e).await?;
        Ok(rows
            .into_iter()
            .map(|(m, class)| OneRosterResult {
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
            .collect())
    }
}
