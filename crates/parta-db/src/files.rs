//! The file store: content addressed by SHA-256 (`<shard>/<sha256>`), through one
//! interface over `object_store` — a local directory (`<data dir>/files`, written to a
//! temporary name and renamed, so a reader never sees half a file) by default, or an
//! S3-compatible bucket (`[files.s3]`) that every node of a cluster shares. The same file
//! uploaded twice is kept once; each domain keeps its own part (`within`), swept by that
//! domain with the names its rows refer to.

use futures_util::StreamExt;
use object_store::path::Path as Key;
use object_store::{ObjectStore, PutPayload};
use parta_core::config::{Config, S3Config};
use sha2::{Digest, Sha256};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

#[derive(Clone)]
pub struct FileStore {
    store: Arc<dyn ObjectStore>,
    /// The domain's part (`chat`), or empty for the root.
    part: String,
}

impl std::fmt::Debug for FileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FileStore({}, part {:?})", self.store, self.part)
    }
}

fn io(e: object_store::Error) -> std::io::Error {
    match e {
        object_store::Error::NotFound { .. } => {
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such file")
        }
        e => std::io::Error::other(e.to_string()),
    }
}

impl FileStore {
    /// `files/` in the data directory (made if missing).
    pub fn new(data_dir: &Path) -> std::io::Result<Self> {
        let dir = data_dir.join("files");
        std::fs::create_dir_all(&dir)?;
        let local = object_store::local::LocalFileSystem::new_with_prefix(&dir).map_err(io)?;
        Ok(Self {
            store: Arc::new(local),
            part: String::new(),
        })
    }

    /// An S3-compatible bucket (path-style requests).
    pub fn s3(c: &S3Config) -> Result<Self, String> {
        let mut b = object_store::aws::AmazonS3Builder::from_env()
            .with_endpoint(c.endpoint.trim_end_matches('/'))
            .with_bucket_name(&c.bucket)
            .with_region(&c.region)
            .with_virtual_hosted_style_request(false)
            .with_allow_http(c.endpoint.starts_with("http://"));
        if let Some(k) = &c.access_key_id {
            b = b.with_access_key_id(k);
        }
        if let Some(s) = &c.secret_access_key {
            b = b.with_secret_access_key(s.expose());
        }
        let s3 = b.build().map_err(|e| format!("files.s3: {e}"))?;
        Ok(Self {
            store: Arc::new(s3),
            part: String::new(),
        })
    }

    /// The store the configuration names: the bucket, else the data directory.
    pub fn from_config(config: &Config) -> Result<Self, String> {
        match &config.files.s3 {
            Some(s3) => Self::s3(s3),
            None => Self::new(&config.data_dir)
                .map_err(|e| format!("{}/files: {e}", config.data_dir.display())),
        }
    }

    /// The store's own part for a domain (`chat/`): swept by that domain with the
    /// names its rows refer to, never by another's sweep.
    pub fn within(&self, part: &str) -> Self {
        Self {
            store: self.store.clone(),
            part: if self.part.is_empty() {
                part.to_string()
            } else {
                format!("{}/{part}", self.part)
            },
        }
    }

    fn prefix(&self) -> Option<Key> {
        (!self.part.is_empty()).then(|| Key::from(self.part.as_str()))
    }

    fn key(&self, sha: &str) -> Option<Key> {
        // Only our own names: 64 hex digits.
        if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let shard = &sha[..2];
        Some(if self.part.is_empty() {
            Key::from(format!("{shard}/{sha}"))
        } else {
            Key::from(format!("{}/{shard}/{sha}", self.part))
        })
    }

    fn key_or_not_found(&self, sha: &str) -> std::io::Result<Key> {
        self.key(sha)
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"))
    }

    /// Stores the bytes; returns their SHA-256 (hex). A file already there is written
    /// again, so that its age starts over and a sweep running before this upload's row
    /// commits leaves it alone.
    pub async fn put(&self, bytes: &[u8]) -> std::io::Result<String> {
        let sha = format!("{:x}", Sha256::digest(bytes));
        let key = self.key_or_not_found(&sha)?;
        self.store
            .put(&key, PutPayload::from(bytes.to_vec()))
            .await
            .map_err(io)?;
        Ok(sha)
    }

    pub async fn get(&self, sha: &str) -> std::io::Result<Vec<u8>> {
        let key = self.key_or_not_found(sha)?;
        let got = self.store.get(&key).await.map_err(io)?;
        Ok(got.bytes().await.map_err(io)?.to_vec())
    }

    /// The file's size in bytes.
    pub async fn size(&self, sha: &str) -> std::io::Result<u64> {
        let key = self.key_or_not_found(sha)?;
        Ok(self.store.head(&key).await.map_err(io)?.size)
    }

    /// A part of the file (an HTTP range request): `range` within its size.
    pub async fn get_range(&self, sha: &str, range: Range<u64>) -> std::io::Result<Vec<u8>> {
        let key = self.key_or_not_found(sha)?;
        Ok(self
            .store
            .get_range(&key, range)
            .await
            .map_err(io)?
            .to_vec())
    }

    /// Removes files that no row refers to (`referenced` holds the SHA-256 names that rows
    /// do), if older than `grace`: an upload stores its file before its row commits, and a
    /// failed commit leaves the file behind. Only this part's shards are looked at (a
    /// domain's own part is its own sweep's). Returns how many files were removed.
    pub async fn sweep(
        &self,
        referenced: &std::collections::HashSet<String>,
        grace: std::time::Duration,
    ) -> std::io::Result<usize> {
        let top = self
            .store
            .list_with_delimiter(self.prefix().as_ref())
            .await
            .map_err(io)?;
        let grace = chrono::Duration::from_std(grace).unwrap_or(chrono::Duration::MAX);
        let now = chrono::Utc::now();
        let mut removed = 0;
        for shard in top.common_prefixes {
            let name = shard.filename().unwrap_or_default();
            if name.len() != 2 || !name.bytes().all(|b| b.is_ascii_hexdigit()) {
                continue;
            }
            let mut files = self.store.list(Some(&shard));
            let mut old = Vec::new();
            while let Some(meta) = files.next().await {
                let meta = meta.map_err(io)?;
                let name = meta.location.filename().unwrap_or_default();
                let ours = self.key(name).is_some();
                if ours && !referenced.contains(name) && now - meta.last_modified >= grace {
                    old.push(meta.location);
                }
            }
            for key in old {
                match self.store.delete(&key).await {
                    Ok(()) => removed += 1,
                    Err(object_store::Error::NotFound { .. }) => {}
                    Err(e) => return Err(io(e)),
                }
            }
        }
        Ok(removed)
    }
}

/// Types a homework file may have, recognised by content, not by what the client says:
/// (extensions, MIME type).
const KINDS: &[(&[&str], &str)] = &[
    (&["pdf"], "application/pdf"),
    (&["png"], "image/png"),
    (&["jpg", "jpeg"], "image/jpeg"),
    (&["gif"], "image/gif"),
    (
        &["docx"],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    (
        &["xlsx"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    (
        &["pptx"],
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    (&["odt"], "application/vnd.oasis.opendocument.text"),
    (&["ods"], "application/vnd.oasis.opendocument.spreadsheet"),
    (&["odp"], "application/vnd.oasis.opendocument.presentation"),
    (&["txt"], "text/plain; charset=utf-8"),
];

/// The MIME type of an allowed file, judged by its first bytes and its extension; `None`
/// for anything else (an executable renamed to `.pdf`, an unknown format).
pub fn sniff(file_name: &str, bytes: &[u8]) -> Option<&'static str> {
    let ext = file_name.rsplit_once('.')?.1.to_ascii_lowercase();
    let (_, mime) = KINDS
        .iter()
        .find(|(exts, _)| exts.contains(&ext.as_str()))?;
    let ok = match ext.as_str() {
        "pdf" => bytes.starts_with(b"%PDF-"),
        "png" => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "jpg" | "jpeg" => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
        "gif" => bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a"),
        "docx" | "xlsx" | "pptx" | "odt" | "ods" | "odp" => bytes.starts_with(b"PK\x03\x04"),
        "txt" => std::str::from_utf8(bytes).is_ok() && !bytes.contains(&0),
        _ => false,
    };
    ok.then_some(*mime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sweep_removes_only_old_unreferenced_files() {
        let dir = std::env::temp_dir().join(format!("parta-sweep-{}", uuid::Uuid::new_v4()));
        let store = FileStore::new(&dir).unwrap();
        let kept = store.put(b"referenced").await.unwrap();
        let orphan = store.put(b"orphan").await.unwrap();
        let none = std::collections::HashSet::from([kept.clone()]);
        // Young files survive whatever refers to them.
        let young = std::time::Duration::from_secs(3600);
        assert_eq!(store.sweep(&none, young).await.unwrap(), 0);
        assert_eq!(
            store.sweep(&none, std::time::Duration::ZERO).await.unwrap(),
            1
        );
        assert!(store.get(&kept).await.is_ok());
        assert!(store.get(&orphan).await.is_err());
        // A domain's own part is left to that domain's sweep.
        let part = store.within("chat");
        let theirs = part.put(b"a chat's photo").await.unwrap();
        assert_eq!(
            store.sweep(&none, std::time::Duration::ZERO).await.unwrap(),
            0
        );
        assert!(part.get(&theirs).await.is_ok());
        assert_eq!(
            part.sweep(&none, std::time::Duration::ZERO).await.unwrap(),
            1
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn content_must_match_the_extension() {
        assert_eq!(sniff("a.pdf", b"%PDF-1.7 ..."), Some("application/pdf"));
        assert_eq!(sniff("a.PDF", b"%PDF-1.4"), Some("application/pdf"));
        assert_eq!(sniff("virus.pdf", b"MZ\x90\x00"), None);
        assert_eq!(sniff("a.exe", b"MZ\x90\x00"), None);
        assert_eq!(sniff("noext", b"%PDF-"), None);
        assert!(sniff("ответ.txt", "Решение: 42".as_bytes()).is_some());
        assert_eq!(sniff("a.txt", &[0xFF, 0xFE, 0x00]), None);
        assert!(sniff("a.docx", b"PK\x03\x04rest").is_some());
    }

    #[tokio::test]
    async fn stored_once_and_read_back() {
        let dir = std::env::temp_dir().join(format!("parta-files-{}", uuid::Uuid::new_v4()));
        let store = FileStore::new(&dir).unwrap();
        let a = store.put(b"hello").await.unwrap();
        let b = store.put(b"hello").await.unwrap();
        assert_eq!(a, b);
        assert_eq!(store.get(&a).await.unwrap(), b"hello");
        assert!(store.get("../../etc/passwd").await.is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}
