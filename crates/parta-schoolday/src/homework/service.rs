//! Files of homework: the teacher attaches material to a lesson's homework, a student
//! attaches an answer. Type is judged by content and extension, size is capped; the
//! content goes to the file store, the row to the database.

use crate::service::*;
use parta_core::ids::{AttachmentId, LessonId, OrganisationId};
use parta_core::principal::Role;
use parta_core::time::now_ms;
use parta_db::files::sniff;

/// Largest attachment accepted.
pub const MAX_ATTACHMENT: usize = 10 * 1024 * 1024;
/// Files one person may attach to one lesson.
const MAX_FILES_PER_LESSON: i64 = 10;

const ATT_COLS: &str = "id, lesson_id, student_id, file_name, content_type, size, created_at";

const MB: i64 = 1024 * 1024;

/// A school's file storage: used and allowed, and who uses it most.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct StorageUsage {
    pub organisation_id: OrganisationId,
    pub used_bytes: i64,
    pub quota_bytes: i64,
    pub files: i64,
    /// The largest users first (at most 50).
    pub people: Vec<PersonUsage>,
}

#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct PersonUsage {
    pub person_id: PersonId,
    pub name: String,
    pub files: i64,
    pub used_bytes: i64,
    /// The person's own quota (by the role they uploaded in).
    pub quota_bytes: i64,
}

pub(crate) fn mb(bytes: i64) -> String {
    format!("{:.1}", bytes as f64 / MB as f64).replace('.', ",")
}

impl Journal {
    /// Whose lesson is it for the caller: `Some(None)` a teacher who may write it,
    /// `Some(Some(student))` a student of it, `None` neither.
    pub(crate) async fn lesson_role(
        &self,
        p: &Principal,
        l: &store::LessonKey,
    ) -> Result<Option<Option<PersonId>>> {
        let facts = JournalFacts {
            class: self.class_facts(l.class_id).await?,
            subject: l.subject_code.clone(),
            lesson_teacher: Some(l.teacher_id),
        };
        if decide(p, Operation::WriteJournal, Target::Journal(&facts)) == Decision::Allow {
            return Ok(Some(None));
        }
        if p.role() == Role::Student && self.is_lesson_of(p.person_id, l).await? {
            return Ok(Some(Some(p.person_id)));
        }
        if decide(p, Operation::ReadJournal, Target::Journal(&facts)) == Decision::Allow {
            return Err(JournalError::Forbidden);
        }
        Ok(None)
    }

    pub(crate) async fn is_lesson_of(
        &self,
        student: PersonId,
        l: &store::LessonKey,
    ) -> Result<bool> {
        Ok(
            store::lessons_of(&self.db, TimetableOf::Student(student), &l.day, &l.day)
                .await?
                .iter()
                .any(|x| x.id == l.id),
        )
    }

    /// Whether the caller may attach files to this lesson (refusals as for `attach`), so a
    /// page can refuse before reading an upload.
    pub async fn check_attach(&self, p: &Principal, lesson: LessonId) -> Result<()> {
        let l = store::lesson_key(&self.db, lesson)
            .await?
            .ok_or(JournalError::NotFound)?;
        self.lesson_role(p, &l)
            .await?
            .ok_or(JournalError::NotFound)?;
        Ok(())
    }

    /// Attaches a file: homework material from its teacher, or an answer from a student.
    pub async fn attach(
        &self,
        p: &Principal,
        origin: &Origin,
        lesson: LessonId,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<Attachment> {
        let l = store::lesson_key(&self.db, lesson)
            .await?
            .ok_or(JournalError::NotFound)?;
        let student = self
            .lesson_role(p, &l)
            .await?
            .ok_or(JournalError::NotFound)?;
        if bytes.len() > MAX_ATTACHMENT {
            return Err(JournalError::Problem(
                parta_core::Problem::payload_too_large(MAX_ATTACHMENT),
            ));
        }
        let name: String = file_name
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or("")
            .trim()
            .chars()
            .filter(|c| !c.is_control())
            .collect();
        if name.is_empty() || name.chars().count() > 120 {
            return Err(JournalError::invalid(
                "file_name",
                "Укажите имя файла (до 120 знаков).",
            ));
        }
        if bytes.is_empty() {
            return Err(JournalError::invalid("file", "Файл пустой."));
        }
        let Some(content_type) = sniff(&name, bytes) else {
            return Err(JournalError::invalid(
                "file",
                "Такой файл не принимается: подходят PDF, DOCX, XLSX, PPTX, ODT, ODS, ODP, TXT (UTF-8), JPG, PNG, GIF — и содержимое должно совпадать с расширением.",
            ));
        };
        if student.is_some() {
            let full = store::lesson(&self.db, lesson).await?;
            if full.as_ref().is_none_or(|x| x.homework.is_none()) {
                return Err(JournalError::invalid(
                    "lesson_id",
                    "К этому уроку домашнее задание не задано.",
                ));
            }
            if full.is_none_or(|x| x.handin != 1) {
                return Err(JournalError::invalid(
                    "file",
                    "Учитель не просил сдавать эту работу в системе: отметьте её выполненной.",
                ));
            }
        }
        let (count,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM attachments WHERE lesson_id = $1 AND uploaded_by = $2",
        )
        .bind(lesson)
        .bind(p.person_id)
        .fetch_one(&self.db.pool)
        .await?;
        if count >= MAX_FILES_PER_LESSON {
            return Err(JournalError::invalid(
                "file",
                format!(
                    "К одному уроку — не больше {MAX_FILES_PER_LESSON} файлов от одного человека."
                ),
            ));
        }
        // The quotas before the file is stored at all.
        {
            let mut conn = self.db.pool.acquire().await?;
            self.check_quota(&mut conn, p, l.organisation_id, bytes.len() as i64)
                .await?;
        }
        let sha = self.files.put(bytes).await.map_err(|e| {
            JournalError::Problem(
                parta_core::Problem::internal().with_detail(format!("Файл не сохранён: {e}")),
            )
        })?;
        let id = AttachmentId::new();
        let mut e = entry(p, origin, "create", "attachment");
        e.organisation_id = Some(l.organisation_id);
        e.subject_person_id = student;
        e.object_id = Some(id.to_string());
        let mut tx = self.db.begin_write().await?;
        // The quotas again inside the writing transaction: two uploads at once cannot both
        // take the last space. SQLite has one writer at a time; on PostgreSQL the uploads of
        // a school and of a person take their turn on advisory locks first.
        if self.db.backend == parta_db::Backend::Postgres {
            for key in [
                format!("quota:{}", l.organisation_id),
                format!("quota:{}", p.person_id),
            ] {
                sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
                    .bind(key)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        self.check_quota(&mut tx, p, l.organisation_id, bytes.len() as i64)
            .await?;
        sqlx::query(
            "INSERT INTO attachments (id, lesson_id, student_id, uploaded_by, file_name, content_type, size, sha256, created_at, organisation_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(id)
        .bind(lesson)
        .bind(student)
        .bind(p.person_id)
        .bind(name)
        .bind(content_type)
        .bind(bytes.len() as i64)
        .bind(sha)
        .bind(now_ms())
        .bind(l.organisation_id)
        .execute(&mut *tx)
        .await?;
        // A student's file hands the work in (again, after a return for rework).
        if let Some(s) = student {
            store::hand_in(&mut tx, lesson, s, now_ms()).await?;
        }
        AuditLog::record_in(&mut tx, e).await?;
        tx.commit().await?;
        self.attachment(id)
            .await?
            .map(|a| a.0)
            .ok_or(JournalError::NotFound)
    }

    /// The person's quota, by the role they upload in, and the school's: refused with a
    /// message saying how much is used.
    pub(crate) async fn check_quota(
        &self,
        conn: &mut sqlx::AnyConnection,
        p: &Principal,
        org: OrganisationId,
        size: i64,
    ) -> Result<()> {
        let person_quota = self.person_quota(p);
        let (mine,): (i64,) = sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM attachments WHERE uploaded_by = $1",
        )
        .bind(p.person_id)
        .fetch_one(&mut *conn)
        .await?;
        if mine + size > person_quota {
            return Err(quota_refusal(format!(
                "Место для ваших файлов закончилось: занято {} из {} МБ, а файл — {} МБ. Обратитесь к администратору школы.",
                mb(mine),
                mb(person_quota),
                mb(size)
            )));
        }
        let school_quota = self.quotas.school_quota_mb as i64 * MB;
        let (school,): (i64,) = sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM attachments WHERE organisation_id = $1",
        )
        .bind(org)
        .fetch_one(&mut *conn)
        .await?;
        if school + size > school_quota {
            return Err(quota_refusal(format!(
                "Место для файлов школы закончилось: занято {} из {} МБ. Обратитесь к администратору школы.",
                mb(school),
                mb(school_quota)
            )));
        }
        Ok(())
    }

    pub(crate) fn person_quota(&self, p: &Principal) -> i64 {
        let mb_ = match p.role() {
            Role::Student | Role::Parent => self.quotas.student_quota_mb,
            _ => self.quotas.staff_quota_mb,
        };
        mb_ as i64 * MB
    }

    /// How much of the school's file storage is used, and by whom (the administration).
    pub async fn storage_usage(&self, p: &Principal, org: OrganisationId) -> Result<StorageUsage> {
        self.authorize_org(p, Operation::ManageOrganisation, org)
            .await?;
        let (used, files): (i64, i64) = sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT), COUNT(*) FROM attachments WHERE organisation_id = $1",
        )
        .bind(org)
        .fetch_one(&self.db.pool)
        .await?;
        #[derive(sqlx::FromRow)]
        struct Row {
            person_id: PersonId,
            name: String,
            files: i64,
            used_bytes: i64,
            student: i64,
        }
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT a.uploaded_by AS person_id, p.last_name || ' ' || p.first_name AS name, COUNT(*) AS files, \
                    CAST(SUM(a.size) AS BIGINT) AS used_bytes, MAX(CASE WHEN a.student_id = a.uploaded_by THEN 1 ELSE 0 END) AS student \
             FROM attachments a JOIN persons p ON p.id = a.uploaded_by WHERE a.organisation_id = $1 \
             GROUP BY a.uploaded_by, p.last_name, p.first_name ORDER BY SUM(a.size) DESC, a.uploaded_by LIMIT 50",
        )
        .bind(org)
        .fetch_all(&self.db.pool)
        .await?;
        let q = self.quotas;
        Ok(StorageUsage {
            organisation_id: org,
            used_bytes: used,
            quota_bytes: q.school_quota_mb as i64 * MB,
            files,
            people: rows
                .into_iter()
                .map(|r| PersonUsage {
                    person_id: r.person_id,
                    name: r.name,
                    files: r.files,
                    used_bytes: r.used_bytes,
                    quota_bytes: if r.student == 1 {
                        q.student_quota_mb
                    } else {
                        q.staff_quota_mb
                    } as i64
                        * MB,
                })
                .collect(),
        })
    }

    pub(crate) async fn attachment(
        &self,
        id: AttachmentId,
    ) -> Result<Option<(Attachment, String)>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            a: Attachment,
            sha256: String,
        }
        let row: Option<Row> = sqlx::query_as(&format!(
            "SELECT {ATT_COLS}, sha256 FROM attachments WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?;
        Ok(row.map(|r| (r.a, r.sha256)))
    }

    /// Removes stored files no attachment refers to any more (left by a failed commit),
    /// after an hour's grace for uploads in flight. Run by the process's housekeeping.
    pub async fn sweep_files(&self) -> Result<usize> {
        let referenced: std::collections::HashSet<String> =
            sqlx::query_scalar::<_, String>("SELECT DISTINCT sha256 FROM attachments")
                .fetch_all(&self.db.pool)
                .await?
                .into_iter()
                .collect();
        self.files
            .sweep(&referenced, std::time::Duration::from_secs(3600))
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "file sweep failed");
                JournalError::Problem(parta_core::Problem::internal())
            })
    }

    /// The files of a lesson (for those who see its journal).
    pub(crate) async fn lesson_attachments(&self, lesson: LessonId) -> Result<Vec<Attachment>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {ATT_COLS} FROM attachments WHERE lesson_id = $1 ORDER BY id"
        ))
        .bind(lesson)
        .fetch_all(&self.db.pool)
        .await?)
    }

    /// Downloads a file: homework material for the lesson's students, their parents and
    /// staff who see the journal; an answer for its student, their parents and staff.
    /// With a byte range, that part of it (read from the store as such).
    pub async fn download(
        &self,
        p: &Principal,
        origin: &Origin,
        id: AttachmentId,
        range: Option<parta_http::ByteRange>,
    ) -> Result<(Attachment, parta_http::FilePart)> {
        let (a, sha) = self.attachment(id).await?.ok_or(JournalError::NotFound)?;
        let l = store::lesson_key(&self.db, a.lesson_id)
            .await?
            .ok_or(JournalError::NotFound)?;
        let facts = JournalFacts {
            class: self.class_facts(l.class_id).await?,
            subject: l.subject_code.clone(),
            lesson_teacher: Some(l.teacher_id),
        };
        let mut family: Vec<PersonId> = vec![p.person_id];
        if p.role() == Role::Parent {
            family.extend(p.scope.children.iter().copied());
        }
        let mut family_in_lesson = false;
        if a.student_id.is_none() {
            for who in &family {
                if self.is_lesson_of(*who, &l).await? {
                    family_in_lesson = true;
                    break;
                }
            }
        }
        let facts = AttachmentFacts {
            journal: facts,
            answer_of: a.student_id,
            family_in_lesson,
        };
        check(decide(
            p,
            Operation::DownloadAttachment,
            Target::Attachment(&facts),
        ))?;
        let total = a.size.max(0) as u64;
        let range = match range {
            Some(r) => Some(
                r.within(total)
                    .ok_or_else(|| JournalError::Problem(parta_http::ByteRange::refused(total)))?,
            ),
            None => None,
        };
        // A student's answer opened by staff is a read of the student's work: audited,
        // each part read too (a part from the middle is still a read).
        if let Some(s) = a.student_id.filter(|s| !family.contains(s)) {
            let mut e = entry(p, origin, "read", "attachment");
            e.subject_person_id = Some(s);
            e.organisation_id = Some(l.organisation_id);
            e.object_id = Some(id.to_string());
            self.audit.record(e).await?;
        }
        let read = match &range {
            Some(r) => self.files.get_range(&sha, r.clone()).await,
            None => self.files.get(&sha).await,
        };
        let bytes = read.map_err(|_| {
            JournalError::Problem(
                parta_core::Problem::internal().with_detail("Файл не найден в хранилище."),
            )
        })?;
        Ok((
            a,
            parta_http::FilePart {
                bytes,
                range,
                total,
            },
        ))
    }
}

/// An upload over a quota: 422 with the stable code `quota`, naming the file field.
pub(crate) fn quota_refusal(message: String) -> JournalError {
    let mut p = parta_core::Problem::validation(vec![parta_core::FieldError::new("file", message)]);
    p.code = "quota";
    JournalError::Problem(p)
}

impl Journal {
    /// The teacher answers a hand-in: accepted — with a journal mark (as homework) when
    /// one is given — or returned for rework; the comment goes to the student (and their
    /// parents, in the diary). A hand-in is reviewed again after a new answer.
    pub async fn review_handin(
        &self,
        p: &Principal,
        origin: &Origin,
        lesson: LessonId,
        student: PersonId,
        review: HandInReview,
    ) -> Result<()> {
        let l = store::lesson_key(&self.db, lesson)
            .await?
            .ok_or(JournalError::NotFound)?;
        self.authorize_journal(
            p,
            Operation::WriteJournal,
            l.class_id,
            &l.subject_code,
            Some(l.teacher_id),
        )
        .await?;
        let comment = review
            .comment
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty());
        if comment.is_some_and(|c| c.chars().count() > 1000) {
            return Err(JournalError::invalid(
                "comment",
                "Комментарий — до 1000 знаков.",
            ));
        }
        let status = match review.decision.as_str() {
            "accept" => "accepted",
            "return" => {
                if comment.is_none() {
                    return Err(JournalError::invalid(
                        "comment",
                        "Напишите, что доработать: ученик увидит комментарий.",
                    ));
                }
                "returned"
            }
            _ => {
                return Err(JournalError::invalid(
                    "decision",
                    "Выберите: принять или вернуть на доработку.",
                ))
            }
        };
        let handed_in = store::submissions(&self.db, lesson)
            .await?
            .into_iter()
            .any(|s| s.0 == student);
        if !handed_in {
            return Err(JournalError::invalid(
                "student_id",
                "Этот ученик ещё ничего не сдал.",
            ));
        }
        // The mark goes through the journal's own checks (scale, closed period, group).
        let mark = review
            .mark
            .as_deref()
            .map(str::trim)
            .filter(|m| !m.is_empty());
        if let (Some(value), "accepted") = (mark, status) {
            let save = JournalSave {
                marks: vec![MarkInput {
                    lesson_id: lesson,
                    student_id: student,
                    mark_id: None,
                    new_id: None,
                    value: Some(value.to_string()),
                    work_type: Some("homework".into()),
                    comment: comment.map(str::to_string),
                }],
                ..Default::default()
            };
            self.save(p, origin, l.class_id, &l.subject_code, save, None)
                .await
                .map_err(|e| match e {
                    // The save names the field `marks[0].value`: here it is the mark.
                    JournalError::Invalid(errors) => JournalError::Invalid(
                        errors
                            .into_iter()
                            .map(|mut f| {
                                f.field = "mark".into();
                                f
                            })
                            .collect(),
                    ),
                    other => other,
                })?;
        }
        // The family is told (read before the write turn: a return with what to redo).
        let first_name = store::class_students(&self.db, l.class_id, None)
            .await?
            .into_iter()
            .find(|s| s.id == student)
            .map(|s| {
                s.name
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or(&s.name)
                    .to_string()
            })
            .unwrap_or_default();
        let fact = crate::events::HandInReviewed {
            journal: crate::events::JournalRef {
                organisation_id: l.organisation_id,
                class_id: l.class_id,
                subject_code: l.subject_code.clone(),
                subject_name: store::subject_name(&self.db, &l.subject_code)
                    .await?
                    .unwrap_or_default(),
            },
            lesson_id: lesson,
            day: l.day.clone(),
            student: crate::events::StudentRef {
                id: student,
                first_name,
            },
            status: status.to_string(),
            mark: if status == "accepted" {
                mark.map(str::to_string)
            } else {
                None
            },
            comment: comment.map(str::to_string),
        };
        let mut tx = self.db.begin_write().await?;
        store::review_submission(
            &mut tx,
            lesson,
            student,
            status,
            comment,
            p.person_id,
            now_ms(),
        )
        .await?;
        let mut e = entry(p, origin, "update", "homework");
        e.subject_person_id = Some(student);
        e.organisation_id = Some(l.organisation_id);
        e.object_id = Some(lesson.to_string());
        e.details = Some(status.to_string());
        AuditLog::record_in(&mut tx, e).await?;
        Outbox::push_in(
            &mut tx,
            crate::events::HANDIN_REVIEWED,
            &serde_json::to_value(&fact)?,
        )
        .await?;
        tx.commit().await?;
        self.outbox.wake();
        Ok(())
    }
}
