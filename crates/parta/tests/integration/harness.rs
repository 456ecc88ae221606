//! Test server and clients.

use parta_core::config::Config;
use parta_db::Db;
use parta_identity::throttle::Throttle;
use parta_web::AppState;
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::redirect::Policy;
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::OnceLock;

pub const PASSWORD: &str = parta_gen::DEMO_PASSWORD;

/// Which backend this run uses.
pub fn base_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
}

/// The demo region is generated once per run into a template; each test copies it.
fn template() -> &'static String {
    static T: OnceLock<String> = OnceLock::new();
    T.get_or_init(|| {
        std::thread::spawn(|| {
            let rt = tokio::runtime::Runtime::new().expect("runtime");
            rt.block_on(async {
                let (url, db) = match base_url() {
                    Some(base) => {
                        let name = format!("parta_tpl_{}", uuid::Uuid::new_v4().simple());
                        let admin = Db::connect(&base).await.expect("postgres");
                        sqlx::query(&format!("CREATE DATABASE {name}"))
                            .execute(&admin.pool)
                            .await
                            .expect("create db");
                        let url = replace_db(&base, &name);
                        (name, Db::connect(&url).await.expect("connect template"))
                    }
                    None => {
                        sweep_stale_runs();
                        let dir =
                            std::env::temp_dir().join(format!("parta-test-{}", std::process::id()));
                        std::fs::create_dir_all(&dir).expect("tmp");
                        let file = dir.join("template.db");
                        let _ = std::fs::remove_file(&file);
                        let url = format!("sqlite://{}?mode=rwc", file.display());
                        (
                            file.display().to_string(),
                            Db::connect(&url).await.expect("sqlite"),
                        )
                    }
                };
                db.migrate().await.expect("migrate");
                parta_gen::generate(&db, &parta_gen::Spec::demo(), false)
                    .await
                    .expect("demo");
                if db.backend == parta_db::Backend::Sqlite {
                    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                        .execute(&db.pool)
                        .await
                        .expect("checkpoint");
                }
                db.pool.close().await;
                url
            })
        })
        .join()
        .expect("template thread")
    })
}

fn replace_db(url: &str, name: &str) -> String {
    let (head, _) = url.rsplit_once('/').unwrap_or((url, ""));
    format!("{head}/{name}")
}

/// A fresh copy of the demo database.
pub async fn fresh_db() -> Db {
    fresh_db_file().await.0
}

/// A fresh copy of the demo database and, on SQLite, its file.
async fn fresh_db_file() -> (Db, Option<std::path::PathBuf>) {
    let tpl = template();
    match base_url() {
        Some(base) => {
            let name = format!("parta_t_{}", uuid::Uuid::new_v4().simple());
            let admin = Db::connect(&base).await.expect("postgres");
            sqlx::query(&format!("CREATE DATABASE {name} TEMPLATE {tpl}"))
                .execute(&admin.pool)
                .await
                .expect("create db");
            admin.pool.close().await;
            let db = Db::connect(&replace_db(&base, &name))
                .await
                .expect("connect");
            db.migrate().await.expect("migrate");
            (db, None)
        }
        None => {
            let dir = std::env::temp_dir().join(format!("parta-test-{}", std::process::id()));
            let file = dir.join(format!("{}.db", uuid::Uuid::new_v4().simple()));
            std::fs::copy(tpl, &file).expect("copy template");
            let db = Db::connect(&format!("sqlite://{}", file.display()))
                .await
                .expect("sqlite");
            db.migrate().await.expect("migrate");
            (db, Some(file))
        }
    }
}

pub struct TestApp {
    pub base: String,
    pub db: Db,
    /// The chats' service, for housekeeping a test runs now (retention, sweeps).
    pub chats: parta_chat::Chats,
    /// The server's data directory (its own, removed when the test ends).
    pub data_dir: std::path::PathBuf,
    /// A real OpenID provider (node oidc-provider), killed with the app.
    _provider: Option<tokio::process::Child>,
    /// Files of this test (its SQLite copy, its data directory), removed when it ends;
    /// the server still running in this process keeps them open until the process exits.
    files: Vec<std::path::PathBuf>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        for f in &self.files {
            let _ = std::fs::remove_dir_all(f);
            for ext in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{ext}", f.display()));
            }
        }
    }
}

/// Removes what test runs that are over left in the temporary directory (their process
/// is gone): a suite run on several dates would otherwise fill the disk.
fn sweep_stale_runs() {
    let Ok(dir) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for e in dir.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if let Some(pid) = name
            .strip_prefix("parta-test-")
            .and_then(|p| p.parse::<u32>().ok())
        {
            if pid != std::process::id() && !std::path::Path::new(&format!("/proc/{pid}")).exists()
            {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
}

pub async fn spawn() -> TestApp {
    spawn_with(Config::default()).await
}

pub async fn spawn_with(config: Config) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    serve(listener, config, None, None).await
}

/// A second node of `app`'s cluster: another server (its own caches, its own data
/// directory) on the same database; it waits until its bus is connected.
pub async fn spawn_beside(app: &TestApp, config: Config) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    serve(listener, config, None, Some(app.db.clone())).await
}

/// The app with sign-in through a real OpenID Connect provider run locally.
pub async fn spawn_with_oidc() -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let provider_port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oidc");
    assert!(
        std::path::Path::new(dir).join("node_modules/oidc-provider").exists(),
        "the test OpenID provider is not installed: run `npm ci --prefix {dir}` (scripts/test does)"
    );
    let mut child = tokio::process::Command::new("node")
        .arg(format!("{dir}/provider.mjs"))
        .arg(provider_port.to_string())
        .arg(format!("http://127.0.0.1:{port}/auth/oidc/callback"))
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node");
    // Keep draining the provider's output: it logs, and a closed pipe would kill it.
    let stdout = child.stdout.take().expect("stdout");
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        use tokio::io::AsyncBufReadExt;
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let mut ready = Some(ready_tx);
        while let Ok(Some(line)) = lines.next_line().await {
            if line.contains("ready") {
                if let Some(tx) = ready.take() {
                    let _ = tx.send(());
                }
            }
        }
    });
    tokio::time::timeout(std::time::Duration::from_secs(30), ready_rx)
        .await
        .expect("provider did not start")
        .expect("provider exited");
    let config = Config {
        oidc: Some(parta_core::config::OidcConfig {
            issuer: format!("http://127.0.0.1:{provider_port}"),
            client_id: "parta".into(),
            client_secret: parta_core::config::Secret::new("parta-test-secret"),
            display_name: "Госуслуги".into(),
        }),
        ..Config::default()
    };
    serve(listener, config, Some(child), None).await
}

async fn serve(
    listener: tokio::net::TcpListener,
    mut config: Config,
    provider: Option<tokio::process::Child>,
    beside: Option<Db>,
) -> TestApp {
    // The tests run on the demo region.
    config.demo = true;
    // Uploaded files go to a directory of this test, not into the source tree.
    config.data_dir =
        std::env::temp_dir().join(format!("parta-test-data-{}", uuid::Uuid::new_v4().simple()));
    let data_dir = config.data_dir.clone();
    // Server errors show in a failing test's output.
    let _ = tracing_subscriber::fmt()
        .with_env_filter("warn")
        .with_test_writer()
        .try_init();
    let (db, file) = match beside {
        Some(db) => (db, None),
        None => fresh_db_file().await,
    };
    let throttle = Throttle::new((&config.sign_in).into());
    let state = AppState::new(db.clone(), config, throttle).expect("state");
    assert!(
        state.bus.ready(std::time::Duration::from_secs(10)).await,
        "the bus (NATS on 127.0.0.1:4222) is not reachable: scripts/ensure-services starts it"
    );
    state.start_relay();
    state.start_chat_scheduler();
    let chats = state.web.chats.chats.clone();
    let addr = listener.local_addr().expect("addr");
    let app = parta_web::app(state).into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serve");
    });
    TestApp {
        base: format!("http://{addr}"),
        db,
        chats,
        _provider: provider,
        files: file.into_iter().chain([data_dir.clone()]).collect(),
        data_dir,
    }
}

/// A browser-like client: keeps cookies, does not follow redirects.
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub csrf: Option<String>,
}

impl TestApp {
    pub fn anonymous(&self) -> Client {
        Client {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(Policy::none())
                .build()
                .expect("client"),
            base: self.base.clone(),
            csrf: None,
        }
    }

    /// Signs in through the API with a demo login.
    pub async fn login(&self, login: &str) -> Client {
        let mut c = self.anonymous();
        let res = c
            .post(
                "/api/v1/session",
                &serde_json::json!({"login": login, "password": PASSWORD}),
            )
            .await;
        assert_eq!(
            res.status(),
            200,
            "sign-in of {login} failed: {}",
            res.text().await.unwrap_or_default()
        );
        let me: Value = res.json().await.expect("json");
        c.csrf = me["csrf_token"].as_str().map(str::to_string);
        c
    }

    pub async fn scalar(&self, sql: &str) -> String {
        let (v,): (String,) = sqlx::query_as(sql)
            .fetch_one(&self.db.pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        v
    }

    pub async fn count(&self, sql: &str) -> i64 {
        let (v,): (i64,) = sqlx::query_as(sql)
            .fetch_one(&self.db.pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        v
    }

    /// The school of the demo director (school № 1).
    pub async fn director_school(&self) -> String {
        self.scalar("SELECT r.organisation_id FROM role_assignments r JOIN accounts a ON a.person_id = r.person_id WHERE a.login = 'director'").await
    }

    /// Person id behind a demo login.
    pub async fn person_of(&self, login: &str) -> String {
        self.scalar(&format!(
            "SELECT person_id FROM accounts WHERE login = '{login}'"
        ))
        .await
    }
}

impl Client {
    fn headers(&self) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(t) = &self.csrf {
            h.insert("x-csrf-token", HeaderValue::from_str(t).expect("header"));
        }
        h
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request")
    }

    pub async fn post(&self, path: &str, body: &Value) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .headers(self.headers())
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// POSTs a body as it is (a file, a package, broken JSON) with its content type.
    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .headers(self.headers())
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn send(&self, method: &str, path: &str, body: Option<&Value>) -> reqwest::Response {
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut r = self
            .http
            .request(m, format!("{}{path}", self.base))
            .headers(self.headers());
        if let Some(b) = body {
            r = r.json(b);
        }
        r.send().await.expect("request")
    }

    pub async fn form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        if let Some(t) = &self.csrf {
            all.push(("_csrf", t));
        }
        self.http
            .post(format!("{}{path}", self.base))
            .form(&all)
            .send()
            .await
            .expect("request")
    }
}

/// The fields a problem names (`users.csv:2:givenName`, `last_name`), in its order.
pub fn fields_of(p: &Value) -> Vec<&str> {
    p["errors"]
        .as_array()
        .map(|e| e.iter().filter_map(|e| e["field"].as_str()).collect())
        .unwrap_or_default()
}

/// Asserts an RFC 9457 problem with the status, and returns it.
pub async fn problem(res: reqwest::Response, status: u16) -> Value {
    assert_eq!(res.status().as_u16(), status, "unexpected status");
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert_eq!(ct, "application/problem+json");
    let v: Value = res.json().await.expect("problem json");
    assert_eq!(v["status"].as_u64(), Some(u64::from(status)));
    v
}

/// A free port on the loopback (for a peer the test starts).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// A peer written in Python under `tests/` (an SMTP server, a push service), started with
/// `args` and waited for until it prints `ready`; killed with its handle.
pub async fn python_peer(script: &str, args: &[String], needs: &str) -> tokio::process::Child {
    use tokio::io::AsyncBufReadExt;
    let path = format!("{}/tests/{script}", env!("CARGO_MANIFEST_DIR"));
    let mut child = tokio::process::Command::new("python3")
        .arg(&path)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| {
            panic!("python3 with {needs} (scripts/ensure-services installs it): {e}")
        });
    let out = child.stdout.take().expect("stdout");
    let mut lines = tokio::io::BufReader::new(out).lines();
    let ready = tokio::time::timeout(std::time::Duration::from_secs(20), lines.next_line())
        .await
        .unwrap_or_else(|_| panic!("{script} did not start"))
        .expect("output");
    assert_eq!(ready.as_deref(), Some("ready"), "{script}");
    child
}
