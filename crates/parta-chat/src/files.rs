//! Files in chats: a photo (with a small preview) or a document sent with a message.
//! Uploaded first (checked by content, size and quota; stored in the file store under
//! `files/chat`), then sent with a message that names it; a file not sent within an hour
//! is swept.

use crate::model::*;
use crate::service::{check, closed, Chats};
use crate::store;
use parta_core::ids::ChatId;
use parta_core::policy::{decide, Operation, Target};
use parta_core::principal::{Principal, Role};
use parta_core::time::now_ms;
use parta_core::Problem;

const MB: i64 = 1024 * 1024;

/// The largest side of a preview, in pixels.
const PREVIEW: u32 = 320;
/// Pictures larger than this a side are refused (a photo of a phone is 4000–6000).
const MAX_SIDE: u32 = 8192;
/// Memory one picture may take while it is decoded.
const MAX_DECODE_BYTES: u64 = 160 * 1024 * 1024;

/// A picture's size and a JPEG preview of at most [`PREVIEW`] pixels a side, turned as
/// the camera says (EXIF); `None`: not a picture this can read (a damaged or hostile
/// file).
pub fn preview(bytes: &[u8]) -> Option<(u32, u32, Vec<u8>)> {
    use image::ImageDecoder;
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .ok()?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().ok()?;
    let orientation = decoder.orientation().ok();
    let mut img = image::DynamicImage::from_decoder(decoder).ok()?;
    if let Some(o) = orientation {
        img.apply_orientation(o);
    }
    let (w, h) = (img.width(), img.height());
    let small = img.thumbnail(PREVIEW, PREVIEW).to_rgba8();
    // Transparent parts on white: a JPEG has no transparency.
    let mut rgb = image::RgbImage::new(small.width(), small.height());
    for (x, y, p) in small.enumerate_pixels() {
        let a = u32::from(p[3]);
        let mix = |c: u8| ((u32::from(c) * a + 255 * (255 - a)) / 255) as u8;
        rgb.put_pixel(x, y, image::Rgb([mix(p[0]), mix(p[1]), mix(p[2])]));
    }
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 75)
        .encode_image(&rgb)
        .ok()?;
    Some((w, h, out))
}

/// A file's name as shown and sent back: no folders, no control characters, at most
/// [`MAX_FILE_NAME`] characters (the extension kept).
pub fn clean_file_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let name: String = base.chars().filter(|c| !c.is_control()).collect();
    let name = name.trim().trim_start_matches('.').to_string();
    if name.chars().count() <= MAX_FILE_NAME {
        return name;
    }
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) if e.chars().count() <= 8 => (s.to_string(), format!(".{e}")),
        _ => (name.clone(), String::new()),
    };
    let keep = MAX_FILE_NAME - ext.chars().count();
    format!("{}{ext}", stem.chars().take(keep).collect::<String>())
}

fn mb(bytes: i64) -> String {
    format!("{:.1}", bytes as f64 / MB as f64).replace('.', ",")
}

fn quota_refusal(message: String) -> Problem {
    let mut p = Problem::invalid("file", message);
    p.code = "quota";
    p
}

impl Chats {
    /// Uploads a file to send in the chat: the caller must be able to write there. Checked
    /// by content (the extension must match it), size, how many the caller has waiting
    /// and sent today, and the quotas — the caller's by role and the school's.
    pub async fn upload(
        &self,
        p: &Principal,
        id: ChatId,
        name: &str,
        bytes: &[u8],
    ) -> Result<FileRef, Problem> {
        let (chat, f) = self.access(p, id).await?;
        // A muted member is refused here too: the policy decides by the restriction.
        check(decide(p, Operation::PostInChat, Target::Chat(&f)))?;
        if chat.kind == ChatKind::Personal && !self.still_related(&chat, p).await? {
            return Err(closed());
        }
        let name = clean_file_name(name);
        if name.is_empty() {
            return Err(Problem::invalid("file", "Выберите файл."));
        }
        if bytes.is_empty() {
            return Err(Problem::invalid("file", "Файл пустой."));
        }
        if bytes.len() > MAX_FILE_BYTES {
            return Err(Problem::payload_too_large(MAX_FILE_BYTES));
        }
        let Some(content_type) = parta_db::files::sniff(&name, bytes) else {
            return Err(Problem::invalid(
                "file",
                "Такой файл не принимается: подходят фото (JPG, PNG, GIF) и документы PDF, DOCX, XLSX, PPTX, ODT, ODS, ODP, TXT — и содержимое должно совпадать с расширением.",
            ));
        };
        let now = now_ms();
        let (waiting, today) =
            store::upload_counts(&self.db, p.person_id, now - 3_600_000, now - 86_400_000).await?;
        if waiting >= MAX_WAITING_FILES {
            return Err(Problem::too_many(
                "Слишком много неотправленных файлов: отправьте их или подождите час.",
                60,
            ));
        }
        if today >= FILES_A_DAY {
            return Err(Problem::too_many(
                "Сегодня вы уже отправили много файлов: продолжите завтра.",
                3600,
            ));
        }
        let size = bytes.len() as i64;
        self.check_file_quota(p, chat.organisation_id, size).await?;
        // A picture: its size and preview, decoded away from the request threads and one
        // or two at a time (a big photo takes a moment and memory).
        let picture = if content_type.starts_with("image/") {
            let _turn = self
                .decoding
                .acquire()
                .await
                .map_err(|_| Problem::internal())?;
            let owned = bytes.to_vec();
            let made = tokio::task::spawn_blocking(move || preview(&owned))
                .await
                .map_err(|_| Problem::internal())?;
            match made {
                Some(made) => Some(made),
                None => {
                    return Err(Problem::invalid(
                        "file",
                        "Фото не открывается: файл повреждён или слишком большой (не больше 8192 точек по стороне).",
                    ))
                }
            }
        } else {
            None
        };
        let stored = |e: std::io::Error| {
            tracing::error!(error = %e, "chat file not stored");
            Problem::internal().with_detail("Файл не сохранён: попробуйте ещё раз.")
        };
        let sha = self.files.put(bytes).await.map_err(stored)?;
        let preview_sha = match &picture {
            Some((_, _, small)) => Some(self.files.put(small).await.map_err(stored)?),
            None => None,
        };
        let file = FileRef {
            id: uuid::Uuid::now_v7().to_string(),
            name,
            content_type: content_type.to_string(),
            size,
            width: picture.as_ref().map(|p| p.0),
            height: picture.as_ref().map(|p| p.1),
            preview: preview_sha.is_some(),
        };
        let mut tx = self.db.begin_write().await?;
        // The quotas again inside the writing transaction, so that two uploads at once
        // cannot both take the last space (SQLite: one writer; PostgreSQL: a lock a
        // person and a school).
        if self.db.backend == parta_db::Backend::Postgres {
            for key in [
                format!("chat-quota:{}", chat.organisation_id),
                format!("chat-quota:{}", p.person_id),
            ] {
                sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
                    .bind(key)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        let (mine, school) = store::file_usage(&mut tx, p.person_id, chat.organisation_id).await?;
        self.quota_left(p, mine, school, size)?;
        store::add_file(
            &mut tx,
            &file,
            (id, chat.organisation_id, p.person_id),
            (&sha, preview_sha.as_deref()),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(file)
    }

    async fn check_file_quota(
        &self,
        p: &Principal,
        org: parta_core::ids::OrganisationId,
        size: i64,
    ) -> Result<(), Problem> {
        let mut conn = self.db.pool.acquire().await?;
        let (mine, school) = store::file_usage(&mut conn, p.person_id, org).await?;
        self.quota_left(p, mine, school, size)
    }

    /// Refuses a file over the caller's quota (by role) or the school's.
    fn quota_left(&self, p: &Principal, mine: i64, school: i64, size: i64) -> Result<(), Problem> {
        let person = match p.role() {
            Role::Student | Role::Parent => self.quotas.student_quota_mb,
            _ => self.quotas.staff_quota_mb,
        } as i64
            * MB;
        if mine + size > person {
            return Err(quota_refusal(format!(
                "Место для ваших файлов в чатах закончилось: занято {} из {} МБ, а файл — {} МБ. Удалите ненужные сообщения с файлами или обратитесь к администратору школы.",
                mb(mine),
                mb(person),
                mb(size)
            )));
        }
        let school_quota = self.quotas.school_quota_mb as i64 * MB;
        if school + size > school_quota {
            return Err(quota_refusal(format!(
                "Место для файлов чатов школы закончилось: занято {} из {} МБ. Обратитесь к администратору школы.",
                mb(school),
                mb(school_quota)
            )));
        }
        Ok(())
    }

    /// The files a new message names: the caller's own, uploaded to this chat and not
    /// sent yet; at most [`MAX_FILES_PER_MESSAGE`].
    pub(crate) async fn files_to_send(
        &self,
        p: &Principal,
        id: ChatId,
        ids: &[String],
    ) -> Result<Vec<FileRef>, Problem> {
        if ids.len() > MAX_FILES_PER_MESSAGE {
            return Err(Problem::invalid(
                "files",
                format!("К сообщению — не больше {MAX_FILES_PER_MESSAGE} файлов."),
            ));
        }
        let mut wanted: Vec<String> = ids.to_vec();
        wanted.sort();
        wanted.dedup();
        let rows = store::waiting_files(&self.db, id, p.person_id, &wanted).await?;
        if rows.len() != wanted.len() {
            return Err(Problem::invalid(
                "files",
                "Файл не найден: загрузите его снова (неотправленные файлы хранятся час).",
            ));
        }
        // In the order the caller named them.
        Ok(ids
            .iter()
            .filter_map(|i| rows.iter().find(|r| &r.id == i).cloned())
            .fold(Vec::new(), |mut out, f| {
                if !out.iter().any(|o: &FileRef| o.id == f.id) {
                    out.push(f);
                }
                out
            }))
    }

    /// A file of the chat to download (or its preview): the chat's readers, once it was
    /// sent with a message that is not deleted; its uploader before that. With a byte
    /// range, that part of the file.
    pub async fn file(
        &self,
        p: &Principal,
        id: ChatId,
        file: &str,
        small: bool,
        range: Option<parta_http::ByteRange>,
    ) -> Result<(FileRef, parta_http::FilePart), Problem> {
        self.chat_for(p, id, Operation::ReadChat).await?;
        let (f, seq, uploader, sha, preview_sha) = store::chat_file(&self.db, id, file)
            .await?
            .ok_or_else(Problem::not_found)?;
        match seq {
            Some(seq) => {
                let visible = store::message(&self.db, id, seq)
                    .await?
                    .is_some_and(|m| m.deleted_at.is_none());
                if !visible {
                    return Err(Problem::not_found());
                }
            }
            None if uploader == p.person_id => {}
            None => return Err(Problem::not_found()),
        }
        let sha = if small {
            preview_sha.ok_or_else(Problem::not_found)?
        } else {
            sha
        };
        let missing = |e: std::io::Error| {
            tracing::error!(error = %e, "chat file missing from the store");
            Problem::internal().with_detail("Файл не найден в хранилище.")
        };
        let part = match range {
            // A preview is small: whole.
            Some(r) if !small => {
                let total = f.size.max(0) as u64;
                let range = r
                    .within(total)
                    .ok_or_else(|| parta_http::ByteRange::refused(total))?;
                let bytes = self
                    .files
                    .get_range(&sha, range.clone())
                    .await
                    .map_err(missing)?;
                parta_http::FilePart {
                    bytes,
                    range: Some(range),
                    total,
                }
            }
            _ => {
                let bytes = self.files.get(&sha).await.map_err(missing)?;
                let total = bytes.len() as u64;
                parta_http::FilePart {
                    bytes,
                    range: None,
                    total,
                }
            }
        };
        Ok((f, part))
    }

    /// Removes files uploaded and not sent within an hour, and stored files no row
    /// refers to (after an hour's grace for uploads in flight). Run by the process's
    /// housekeeping; answers how many stored files were removed.
    pub async fn sweep_files(&self) -> Result<usize, Problem> {
        store::drop_unsent_files(&self.db, now_ms() - 3_600_000).await?;
        let referenced = store::referenced_files(&self.db).await?;
        self.files
            .sweep(&referenced, std::time::Duration::from_secs(3600))
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "chat file sweep failed");
                Problem::internal()
            })
    }

    /// Uploads a file and sends it with a caption (the page's form, in one go).
    pub async fn send_file(
        &self,
        p: &Principal,
        id: ChatId,
        name: &str,
        bytes: &[u8],
        caption: &str,
    ) -> Result<Message, Problem> {
        let f = self.upload(p, id, name, bytes).await?;
        let files = [f.id];
        let out = Outgoing {
            text: caption,
            files: &files,
            ..Default::default()
        };
        self.post_as(p, id, out, None).await
    }
}
