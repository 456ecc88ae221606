//! The file store: content addressed by SHA-256 under `<data dir>/files`, written to a
//! temporary name and renamed, so a reader never sees half a file and the same file
//! uploaded twice is kept once. (A cluster needs shared storage here: S3 is the next
//! backend, see docs/ARCHITECTURE.md.)

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct FileStore {
    dir: PathBuf,
}

impl FileStore {
    pub fn new(data_dir: &Path) -> Self {
        Self {
            dir: data_dir.join("files"),
        }
    }

    /// The store's own part for a domain (`files/<part>`): swept by that domain with the
    /// names its rows refer to, never by another's sweep.
    pub fn within(&self, part: &str) -> Self {
        Self {
            dir: self.dir.join(part),
        }
    }

    fn path(&self, sha: &str) -> Option<PathBuf> {
        // Only our own names: 64 hex digits.
        if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(self.dir.join(&sha[..2]).join(sha))
    }

    /// Stores the bytes; returns their SHA-256 (hex).
    pub async fn put(&self, bytes: &[u8]) -> std::io::Result<String> {
        let sha = format!("{:x}", Sha256::digest(bytes));
        let Some(path) = self.path(&sha) else {
            return Err(std::io::Error::other("bad file name"));
        };
        if tokio::fs::try_exists(&path).await.unwrap_or(false) {
            // Fresh again, so that a sweep running before this upload's row commits
            // leaves it alone.
            touch(&path);
            return Ok(sha);
        }
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent).await?;
        }
        let tmp = path.with_extension(format!("tmp-{}", uuid::Uuid::new_v4().simple()));
        tokio::fs::write(&tmp, bytes).await?;
        tokio::fs::rename(&tmp, &path).await?;
        Ok(sha)
    }

    /// Removes files that no row refers to (`referenced` holds the SHA-256 names that rows
    /// do) and unfinished temporary files, if older than `grace`: an upload stores its file
    /// before its row commits, and a failed commit leaves the file behind. Returns how many
    /// files were removed.
    pub async fn sweep(
        &self,
        referenced: &std::collections::HashSet<String>,
        grace: std::time::Duration,
    ) -> std::io::Result<usize> {
        let mut removed = 0;
        let mut dirs = match tokio::fs::read_dir(&self.dir).await {
            Ok(d) => d,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(e),
        };
        while let Some(d) = dirs.next_entry().await? {
            // Only the two-digit shards: a domain's own part (`chat/`) is not this sweep's.
            let shard = d.file_name();
            let shard = shard.to_string_lossy();
            if !d.file_type().await?.is_dir()
                || shard.len() != 2
                || !shard.bytes().all(|b| b.is_ascii_hexdigit())
            {
                continue;
            }
            let mut files = tokio::fs::read_dir(d.path()).await?;
            while let Some(f) = files.next_entry().await? {
                let name = f.file_name().to_string_lossy().into_owned();
                let ours = self.path(&name).is_some() || name.contains(".tmp-");
                if !ours || referenced.contains(&name) {
                    continue;
                }
                let old = f
                    .metadata()
                    .await?
                    .modified()
                    .ok()
                    .and_then(|m| m.elapsed().ok())
                    .is_some_and(|age| age >= grace);
                if old {
                    tokio::fs::remove_file(f.path()).await?;
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }

    pub async fn get(&self, sha: &str) -> std::io::Result<Vec<u8>> {
        match self.path(sha) {
            Some(p) => tokio::fs::read(p).await,
            None => Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no such file",
            )),
        }
    }
}

/// Marks a file as modified now (best effort: a failure only shortens its grace).
fn touch(path: &Path) {
    if let Ok(file) = std::fs::File::options().write(true).open(path) {
        let _ = file.set_modified(std::time::SystemTime::now());
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
        let store = FileStore::new(&dir);
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
        let store = FileStore::new(&dir);
        let a = store.put(b"hello").await.unwrap();
        let b = store.put(b"hello").await.unwrap();
        assert_eq!(a, b);
        assert_eq!(store.get(&a).await.unwrap(), b"hello");
        assert!(store.get("../../etc/passwd").await.is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}
