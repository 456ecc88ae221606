//! The file store (issue 13): homework files in the data directory by default and in an
//! S3-compatible bucket when configured — tested against Garage, a production S3 store run
//! here (built by `scripts/ensure-services`); downloads answer byte ranges from either;
//! the orphan sweep works on both.

use crate::harness::{free_port, problem, spawn_with, Client, TestApp};
use crate::school_day::{spot, upload};
use parta_core::config::{Config, FilesConfig, S3Config, Secret};
use parta_db::files::FileStore;
use serde_json::Value;
use std::time::Duration;

const KEY_ID: &str = "GK31c2f218a2e44f485b94239e";
const SECRET: &str = "b892c0665f0ada8a4755dae98baa3b133590e11dae3bcc1f9d38d9d3b7a4e7b3";

/// Garage, one node on free ports, with a bucket `parta` and a key allowed to it.
pub(crate) struct Garage {
    endpoint: String,
    dir: std::path::PathBuf,
    _child: tokio::process::Child,
}

fn garage_bin() -> String {
    std::env::var("PARTA_GARAGE_BIN").unwrap_or_else(|_| "/var/tmp/parta-tools/bin/garage".into())
}

impl Garage {
    async fn cli(&self, args: &[&str]) -> String {
        let out = tokio::process::Command::new(garage_bin())
            .arg("-c")
            .arg(self.dir.join("garage.toml"))
            .args(args)
            .output()
            .await
            .expect("garage (scripts/ensure-services builds it)");
        assert!(
            out.status.success(),
            "garage {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

pub(crate) async fn garage() -> Garage {
    let dir = std::env::temp_dir().join(format!("parta-garage-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let (rpc, s3, admin) = (free_port(), free_port(), free_port());
    let secret: String = (0..32)
        .map(|i| format!("{:02x}", (i * 7 + 3) as u8))
        .collect();
    std::fs::write(
        dir.join("garage.toml"),
        format!(
            r#"metadata_dir = "{d}/meta"
data_dir = "{d}/data"
db_engine = "lmdb"
replication_factor = 1
rpc_bind_addr = "127.0.0.1:{rpc}"
rpc_public_addr = "127.0.0.1:{rpc}"
rpc_secret = "{secret}"

[s3_api]
s3_region = "garage"
api_bind_addr = "127.0.0.1:{s3}"

[admin]
api_bind_addr = "127.0.0.1:{admin}"
"#,
            d = dir.display()
        ),
    )
    .unwrap();
    let child = tokio::process::Command::new(garage_bin())
        .arg("-c")
        .arg(dir.join("garage.toml"))
        .arg("server")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("garage (scripts/ensure-services builds it)");
    let g = Garage {
        endpoint: format!("http://127.0.0.1:{s3}"),
        dir,
        _child: child,
    };
    // The node's id once it answers.
    let mut id = String::new();
    for _ in 0..100 {
        let out = tokio::process::Command::new(garage_bin())
            .arg("-c")
            .arg(g.dir.join("garage.toml"))
            .args(["node", "id", "-q"])
            .output()
            .await
            .unwrap();
        if out.status.success() {
            id = String::from_utf8_lossy(&out.stdout)
                .trim()
                .split('@')
                .next()
                .unwrap_or_default()
                .to_string();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!id.is_empty(), "garage started");
    g.cli(&["layout", "assign", "-z", "dc1", "-c", "1G", &id])
        .await;
    g.cli(&["layout", "apply", "--version", "1"]).await;
    g.cli(&["bucket", "create", "parta"]).await;
    g.cli(&["key", "import", "--yes", "-n", "parta", KEY_ID, SECRET])
        .await;
    g.cli(&[
        "bucket", "allow", "--read", "--write", "--owner", "parta", "--key", KEY_ID,
    ])
    .await;
    g
}

pub(crate) fn s3_of(g: &Garage) -> S3Config {
    S3Config {
        endpoint: g.endpoint.clone(),
        bucket: "parta".into(),
        region: "garage".into(),
        access_key_id: Some(KEY_ID.into()),
        secret_access_key: Some(Secret::new(SECRET)),
    }
}

/// A PDF-looking file of 3,000 bytes, each byte telling its place.
fn document() -> Vec<u8> {
    let mut bytes = b"%PDF-1.7\n".to_vec();
    bytes.extend((bytes.len()..3_000).map(|i| (i % 251) as u8));
    bytes
}

/// Uploads the document to a lesson as its teacher and reads it back whole and in
/// parts; returns the file's SHA-256 name.
async fn round_trip(app: &TestApp) -> String {
    let teacher = app.login("teacher").await;
    let s = spot(app, &teacher).await;
    let doc = document();
    let res = upload(&teacher, &s.lesson, "задание.pdf", doc.clone()).await;
    assert_eq!(res.status(), 200);
    let a: Value = res.json().await.unwrap();
    let url = format!("/api/v1/attachments/{}", a["id"].as_str().unwrap());
    let ranged = |c: &Client, range: &'static str| {
        c.http
            .get(format!("{}{url}", c.base))
            .header("range", range)
            .send()
    };
    let whole = teacher.get(&url).await;
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.headers()["accept-ranges"], "bytes");
    assert_eq!(whole.bytes().await.unwrap().to_vec(), doc);
    let part = ranged(&teacher, "bytes=1000-1099").await.unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.headers()["content-range"], "bytes 1000-1099/3000");
    assert_eq!(
        part.bytes().await.unwrap().to_vec(),
        doc[1000..1100].to_vec()
    );
    let tail = ranged(&teacher, "bytes=-10").await.unwrap();
    assert_eq!(tail.status(), 206);
    assert_eq!(tail.bytes().await.unwrap().to_vec(), doc[2990..].to_vec());
    let past = ranged(&teacher, "bytes=3000-").await.unwrap();
    assert_eq!(past.headers()["content-range"], "bytes */3000");
    problem(past, 416).await;
    // Several ranges at once: the whole file.
    let many = ranged(&teacher, "bytes=0-1,5-6").await.unwrap();
    assert_eq!(many.status(), 200);
    app.scalar(&format!(
        "SELECT sha256 FROM attachments WHERE id = '{}'",
        a["id"].as_str().unwrap()
    ))
    .await
}

#[tokio::test]
async fn homework_files_in_the_data_directory_answer_ranges() {
    let app = spawn_with(Config::default()).await;
    round_trip(&app).await;
}

#[tokio::test]
async fn homework_files_in_s3_answer_ranges_reach_every_node_and_are_swept() {
    let g = garage().await;
    let app = spawn_with(Config {
        files: FilesConfig {
            s3: Some(s3_of(&g)),
        },
        ..Config::default()
    })
    .await;
    let sha = round_trip(&app).await;
    // Another node's store (its own client of the bucket) reads the same file.
    let other = FileStore::s3(&s3_of(&g)).unwrap();
    assert_eq!(other.size(&sha).await.unwrap(), 3_000);
    assert_eq!(other.get(&sha).await.unwrap(), document());
    // Nothing of it in the data directory.
    assert!(!app
        .data_dir
        .join("files")
        .join(&sha[..2])
        .join(&sha)
        .exists());

    // The sweep on S3: an orphan older than the grace goes, the referenced file stays,
    // a chat's part is not this sweep's.
    let orphan = other
        .put(b"an upload whose row never committed")
        .await
        .unwrap();
    let chat = other.within("chat");
    let theirs = chat.put(b"a chat's photo").await.unwrap();
    let referenced = std::collections::HashSet::from([sha.clone()]);
    assert_eq!(
        other
            .sweep(&referenced, Duration::from_secs(3600))
            .await
            .unwrap(),
        0,
        "young files are left alone"
    );
    assert_eq!(other.sweep(&referenced, Duration::ZERO).await.unwrap(), 1);
    assert!(other.get(&orphan).await.is_err());
    assert!(other.get(&sha).await.is_ok());
    assert!(chat.get(&theirs).await.is_ok());
}
