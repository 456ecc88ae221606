//! The `parta` command line against a real data directory.

use std::io::Write;
use std::process::{Command, Stdio};

fn parta(dir: &std::path::Path, args: &[&str], stdin: Option<&str>) -> (bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_parta"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("PARTA_DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(s) = stdin {
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir()
        .join(format!("parta-test-{}", std::process::id()))
        .join(format!("{name}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn gen_export_import_backup_restore_and_users() {
    let dir = tmp("cli");
    let (ok, out) = parta(&dir, &["gen", "--students", "500", "--seed", "7"], None);
    assert!(ok, "{out}");
    assert!(out.contains("обучающихся"), "{out}");
    let (ok, out) = parta(&dir, &["gen", "--students", "500"], None);
    assert!(
        !ok && out.contains("не пуста"),
        "generation only into an empty database: {out}"
    );

    let db = dir.join("parta.db");
    let org = {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let db = parta_db::Db::connect(&format!("sqlite://{}", db.display()))
                .await
                .unwrap();
            let (id,): (String,) =
                sqlx::query_as("SELECT id FROM organisations ORDER BY id LIMIT 1")
                    .fetch_one(&db.pool)
                    .await
                    .unwrap();
            id
        })
    };
    let zip = dir.join("roster.zip");
    let (ok, out) = parta(
        &dir,
        &["export", "--org", &org, "--to", zip.to_str().unwrap()],
        None,
    );
    assert!(ok, "{out}");
    let (ok, out) = parta(
        &dir,
        &["import", "--org", &org, "--file", zip.to_str().unwrap()],
        None,
    );
    assert!(ok, "{out}");
    assert!(out.contains("Создано: 0, изменено: 0"), "{out}");
    std::fs::write(dir.join("bad.csv"), "Фамилия;Имя\nА;Б\n").unwrap();
    let (ok, out) = parta(
        &dir,
        &[
            "import",
            "--org",
            &org,
            "--file",
            dir.join("bad.csv").to_str().unwrap(),
        ],
        None,
    );
    assert!(!ok && out.contains("шаблон.csv:1 [Дата рождения]"), "{out}");

    let (ok, out) = parta(
        &dir,
        &[
            "user",
            "add",
            "--login",
            "ivanova",
            "--last-name",
            "Иванова",
            "--first-name",
            "Мария",
        ],
        Some("qwerty\n"),
    );
    assert!(!ok && out.contains("короткий"), "{out}");
    let (ok, out) = parta(
        &dir,
        &[
            "user",
            "add",
            "--login",
            "ivanova",
            "--last-name",
            "Иванова",
            "--first-name",
            "Мария",
        ],
        Some("Зелёный-слон-42\n"),
    );
    assert!(ok, "{out}");
    let (ok, out) = parta(
        &dir,
        &["user", "reset-password", "--login", "ivanova"],
        Some("Синий-кит-2026\n"),
    );
    assert!(ok, "{out}");

    let copy = dir.join("copy.db");
    let (ok, out) = parta(&dir, &["backup", "--to", copy.to_str().unwrap()], None);
    assert!(ok, "{out}");
    let fresh = tmp("restore");
    let (ok, out) = parta(&fresh, &["restore", "--from", copy.to_str().unwrap()], None);
    assert!(ok, "{out}");
    let broken = dir.join("broken.db");
    let mut bytes = std::fs::read(&copy).unwrap();
    for b in bytes.iter_mut().skip(4096).take(8192) {
        *b = 0x55;
    }
    std::fs::write(&broken, bytes).unwrap();
    let (ok, out) = parta(
        &fresh,
        &["restore", "--from", broken.to_str().unwrap()],
        None,
    );
    assert!(!ok, "a damaged backup is refused: {out}");
}

#[test]
fn configuration_refuses_unknown_keys() {
    let dir = tmp("config");
    let out = Command::new(env!("CARGO_BIN_EXE_parta"))
        .args(["migrate"])
        .arg("--data-dir")
        .arg(&dir)
        .env("PARTA_PROT", "1")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("prot"));
}
