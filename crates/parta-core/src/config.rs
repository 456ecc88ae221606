//! Typed configuration: defaults → TOML file → `PARTA_*` environment variables →
//! command-line flags. Unknown keys are refused; secrets never print.

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};

/// A string that never appears in logs or `Debug` output.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("«скрыто»")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address to listen on; all interfaces by default so a school LAN can reach it.
    pub bind: String,
    pub port: u16,
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; defaults to `parta.db` in the data directory.
    pub database_url: Option<Secret>,
    /// Apply migrations on start (turn off where a DBA runs `parta migrate`).
    pub migrate_on_start: bool,
    /// Public URL; an `https://` one turns on `Secure` cookies.
    pub public_url: Option<String>,
    /// Reverse proxies (addresses or networks) whose `X-Forwarded-For` names the client;
    /// from anyone else the header is ignored.
    pub trusted_proxies: Vec<String>,
    pub log_format: LogFormat,
    pub session: SessionConfig,
    pub sign_in: SignInConfig,
    pub oidc: Option<OidcConfig>,
    pub metrics: MetricsConfig,
    pub storage: StorageConfig,
    /// Where files are kept: the data directory, or S3-compatible storage for a cluster.
    pub files: FilesConfig,
    /// A cluster's NATS server (`nats://host:4222`): the nodes tell each other what their
    /// caches must forget. Unset: one node.
    pub nats_url: Option<Secret>,
    pub admission: AdmissionConfig,
    pub chats: ChatsConfig,
    /// Video lessons (видеоуроки): the engines the school's or region's servers run.
    pub video: VideoConfig,
    /// Delivery of notifications beyond the in-app list: e-mail, a messenger's bot, quiet
    /// hours and the daily digest.
    pub notifications: NotificationsConfig,
    /// The platform's date (`PARTA_TODAY=2026-09-01`), for tests, drills and
    /// demonstrations; time goes on from there. Unset: the system clock.
    pub today: Option<chrono::NaiveDate>,
    /// The demo region is served (`serve --demo`): its passwords are public, and the
    /// sign-in page says so.
    pub demo: bool,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionConfig {
    /// Signed out after this many minutes without a request.
    pub idle_minutes: i64,
    /// Signed out after this many hours regardless of activity.
    pub absolute_hours: i64,
}

/// Sign-in throttling (see `parta_identity::throttle`): failures allowed before waits
/// begin, per login and source, per login from unknown devices, per address; then each
/// further failure doubles the wait up to `max_wait_secs`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SignInConfig {
    #[serde(alias = "per_account_burst")]
    pub pair_free_failures: u32,
    pub account_free_failures: u32,
    #[serde(alias = "per_ip_burst")]
    pub address_free_failures: u32,
    pub max_wait_secs: u64,
}

impl Default for SignInConfig {
    fn default() -> Self {
        Self {
            pair_free_failures: 5,
            account_free_failures: 20,
            address_free_failures: 300,
            max_wait_secs: 900,
        }
    }
}

/// Who may read `/metrics`: addresses or networks (`10.0.0.0/8`), or a request with
/// `Authorization: Bearer <token>`. By default only this machine.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    pub allow: Vec<String>,
    pub token: Option<Secret>,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self {
            allow: vec!["127.0.0.1/32".into(), "::1/128".into()],
            token: None,
        }
    }
}

/// Upload quotas (homework files and answers), in megabytes: per person by role, and
/// per school. The school's administration sees how much is used and by whom.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    pub student_quota_mb: u64,
    pub staff_quota_mb: u64,
    pub school_quota_mb: u64,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            student_quota_mb: 100,
            staff_quota_mb: 2048,
            school_quota_mb: 51_200,
        }
    }
}

/// Where uploaded files are kept: `files/` in the data directory by default; S3-compatible
/// object storage when `[files.s3]` is set (every node of a cluster reads the same).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FilesConfig {
    pub s3: Option<S3Config>,
}

/// An S3-compatible bucket (Garage, MinIO, Ceph, a cloud's). Credentials from here or, if
/// left out, from `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Config {
    /// `https://s3.region.example` (path-style requests; `http://` only on a private
    /// network).
    pub endpoint: String,
    pub bucket: String,
    #[serde(default = "default_s3_region")]
    pub region: String,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<Secret>,
}

fn default_s3_region() -> String {
    "us-east-1".into()
}

/// How long chats keep their messages, in days by the chat's kind (0: for good). Older
/// messages are deleted daily with their reactions, votes, confirmations, files and
/// history — except those with a complaint still open.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct ChatsConfig {
    /// A class's, its parents' and subject groups' chats: a school year and its summer.
    pub class_days: u32,
    /// The staff room.
    pub staff_room_days: u32,
    /// Personal chats.
    pub personal_days: u32,
    /// Channels (a school's news, a class's and a teacher's channels) with their comments.
    pub channel_days: u32,
    /// Communities (clubs, interest groups, teachers' professional communities).
    pub community_days: u32,
}

impl Default for ChatsConfig {
    fn default() -> Self {
        Self {
            class_days: 400,
            staff_room_days: 1100,
            personal_days: 400,
            channel_days: 1100,
            community_days: 400,
        }
    }
}

/// Video engines for video lessons, configured, not embedded: a BigBlueButton server (its
/// API address and shared secret, `bbb-conf --secret`) and/or a Jitsi Meet with token
/// authentication (its address, application id and secret). Neither set: no video lessons.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VideoConfig {
    pub bbb: Option<BbbConfig>,
    pub jitsi: Option<JitsiConfig>,
}

/// A BigBlueButton server.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BbbConfig {
    /// The API's address: `https://bbb.school.ru/bigbluebutton/api`.
    pub url: String,
    pub secret: Secret,
    /// sha1, sha256, sha384 or sha512 (what the server's `supportedChecksumAlgorithms` allow).
    #[serde(default = "default_checksum")]
    pub checksum: String,
}

fn default_checksum() -> String {
    "sha256".into()
}

/// A Jitsi Meet with JWT authentication (prosody `token` authentication).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JitsiConfig {
    /// The meeting site: `https://meet.school.ru`.
    pub url: String,
    /// `app_id` of the prosody configuration (the token's `iss`).
    pub app_id: String,
    /// `app_secret` of the prosody configuration (HS256).
    pub secret: Secret,
}

/// How notifications leave the platform. Quiet hours and the digest are in the platform's
/// local time: `utc_offset_minutes` east of UTC (Moscow: 180).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotificationsConfig {
    pub utc_offset_minutes: i32,
    /// When the daily digest leaves, `HH:MM`.
    pub digest_at: String,
    pub mail: Option<MailConfig>,
    pub messenger: Option<MessengerConfig>,
    pub push: PushConfig,
}

impl Default for NotificationsConfig {
    fn default() -> Self {
        Self {
            utc_offset_minutes: 180,
            digest_at: "18:00".into(),
            mail: None,
            messenger: None,
            push: PushConfig::default(),
        }
    }
}

/// Web Push (RFC 8030, VAPID RFC 8292, payload encrypted for the browser by RFC 8291): a
/// person switches it on in a browser, which gives the platform an address at its push
/// service. On by default; the key pair is made once and kept in the database unless
/// given here.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PushConfig {
    pub enabled: bool,
    /// Who runs this platform, for the push services (`mailto:` or `https:`); unset: the
    /// public address, else the mail sender's address.
    pub subject: Option<String>,
    /// The VAPID private key: the P-256 scalar, base64url (as `web-push
    /// generate-vapid-keys` prints it). Unset: made once and kept in the database.
    pub vapid_private_key: Option<Secret>,
    /// The push services browsers' addresses may point to (origins; `https://*.host` for
    /// its subdomains). Anything else is refused, so the platform never posts to an
    /// address a person made up (the school's own network, say).
    pub services: Vec<String>,
}

impl Default for PushConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            subject: None,
            vapid_private_key: None,
            services: [
                // Chrome, Yandex Browser, Edge's Chromium, Opera, Android.
                "https://fcm.googleapis.com",
                "https://android.googleapis.com",
                // Firefox.
                "https://updates.push.services.mozilla.com",
                // Safari (macOS; on iOS only for a site added to the home screen).
                "https://web.push.apple.com",
                // Edge on Windows.
                "https://*.notify.windows.com",
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}

impl PushConfig {
    /// Whether `endpoint` is at one of the allowed push services: its scheme, host and
    /// port are those of an entry (a `*.` entry: any subdomain of its host).
    pub fn allows(&self, endpoint: &str) -> bool {
        let Some((scheme, rest)) = endpoint.split_once("://") else {
            return false;
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        if authority.is_empty() || authority.contains('@') {
            return false;
        }
        self.services.iter().any(|s| {
            let Some((s_scheme, s_auth)) = s.trim_end_matches('/').split_once("://") else {
                return false;
            };
            if !s_scheme.eq_ignore_ascii_case(scheme) {
                return false;
            }
            match s_auth.strip_prefix("*.") {
                Some(domain) => {
                    let a = authority.to_ascii_lowercase();
                    a.len() > domain.len() + 1
                        && a.ends_with(&domain.to_ascii_lowercase())
                        && a.as_bytes()[a.len() - domain.len() - 1] == b'.'
                }
                None => s_auth.eq_ignore_ascii_case(authority),
            }
        })
    }
}

/// E-mail through an SMTP server: `smtp://host:25` (a relay on the school's network,
/// no password, no TLS), `smtp://user:password@host:587?tls=required` (STARTTLS),
/// `smtps://user:password@host:465`. A password over plain `smtp://` is refused at start.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailConfig {
    pub smtp_url: Secret,
    /// `Парта <noreply@school.example>`.
    pub from: String,
}

/// A domestic messenger's bot behind a bridge that takes the platform's signed webhook
/// (`X-Parta-Signature: sha256=HMAC(secret, timestamp + "." + body)`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessengerConfig {
    /// The messenger's name as people know it (shown on the preferences page).
    pub name: String,
    pub url: String,
    pub secret: Secret,
}

/// Load shedding: at most this many reads and writes are served at once; the rest wait
/// up to `max_wait_ms` for a place and are then answered 503 with `Retry-After`, so an
/// overloaded server stays quick for those it admits instead of queueing without bound.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdmissionConfig {
    pub max_reads: usize,
    pub max_writes: usize,
    pub max_wait_ms: u64,
}

impl Default for AdmissionConfig {
    fn default() -> Self {
        Self {
            max_reads: 128,
            max_writes: 32,
            max_wait_ms: 1000,
        }
    }
}

/// An OpenID Connect provider (ЕСИА speaks a dialect of it).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcConfig {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Secret,
    #[serde(default = "default_oidc_name")]
    pub display_name: String,
}

fn default_oidc_name() -> String {
    "Госуслуги".into()
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            idle_minutes: 60,
            absolute_hours: 12,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: "0.0.0.0".into(),
            port: 8080,
            data_dir: PathBuf::from("./parta-data"),
            database_url: None,
            migrate_on_start: true,
            public_url: None,
            trusted_proxies: Vec::new(),
            log_format: LogFormat::Text,
            session: SessionConfig::default(),
            sign_in: SignInConfig::default(),
            oidc: None,
            metrics: MetricsConfig::default(),
            storage: StorageConfig::default(),
            files: FilesConfig::default(),
            nats_url: None,
            admission: AdmissionConfig::default(),
            chats: ChatsConfig::default(),
            video: VideoConfig::default(),
            notifications: NotificationsConfig::default(),
            today: None,
            demo: false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("ошибка конфигурации: {0}")]
pub struct ConfigError(String);

impl Config {
    /// Loads defaults, then the TOML file (if given or `parta.toml` in the current
    /// directory exists), then `PARTA_*` variables (`PARTA_SESSION__IDLE_MINUTES`).
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) => {
                if !path.exists() {
                    return Err(ConfigError(format!("файл {} не найден", path.display())));
                }
                fig = fig.merge(Toml::file(path));
            }
            None => fig = fig.merge(Toml::file("parta.toml")),
        }
        // PARTA_LOG is the log filter, read by the binary before the configuration.
        fig = fig.merge(Env::prefixed("PARTA_").split("__").ignore(&["log"]));
        let config: Config = fig.extract().map_err(|e| ConfigError(e.to_string()))?;
        config.check_destinations()?;
        Ok(config)
    }

    /// Refuses outbound destinations that are foreign messengers (INT-8): no integration
    /// may send personal data there.
    pub fn check_destinations(&self) -> Result<(), ConfigError> {
        if let Some(oidc) = &self.oidc {
            crate::outbound::check_destination("oidc.issuer", &oidc.issuer).map_err(ConfigError)?;
        }
        for (name, url) in [
            (
                "video.bbb.url",
                self.video.bbb.as_ref().map(|b| b.url.as_str()),
            ),
            (
                "video.jitsi.url",
                self.video.jitsi.as_ref().map(|j| j.url.as_str()),
            ),
        ] {
            if let Some(url) = url {
                if !(url.starts_with("https://") || url.starts_with("http://")) {
                    return Err(ConfigError(format!(
                        "{name}: ожидается адрес, начинающийся с https://"
                    )));
                }
            }
        }
        if let Some(m) = &self.notifications.messenger {
            if !(m.url.starts_with("https://") || m.url.starts_with("http://")) {
                return Err(ConfigError(
                    "notifications.messenger.url: ожидается адрес, начинающийся с https://".into(),
                ));
            }
            crate::outbound::check_destination("notifications.messenger.url", &m.url)
                .map_err(ConfigError)?;
        }
        if !(-12 * 60..=14 * 60).contains(&self.notifications.utc_offset_minutes) {
            return Err(ConfigError(
                "notifications.utc_offset_minutes: ожидается от -720 до 840 (Москва: 180)".into(),
            ));
        }
        if let Some(mail) = &self.notifications.mail {
            let url = mail.smtp_url.expose().to_ascii_lowercase();
            // A password over a plain connection would travel readable.
            if url.starts_with("smtp://")
                && url.split('?').next().is_some_and(|u| u.contains('@'))
                && !url.contains("tls=required")
            {
                return Err(ConfigError(
                    "notifications.mail.smtp_url: с паролем — только smtps:// или smtp://…?tls=required".into(),
                ));
            }
        }
        if let Some(url) = &self.nats_url {
            let url = url.expose();
            if !(url.starts_with("nats://") || url.starts_with("tls://")) {
                return Err(ConfigError(
                    "nats_url: ожидается адрес вида nats://host:4222".into(),
                ));
            }
        }
        if let Some(s3) = &self.files.s3 {
            if !(s3.endpoint.starts_with("https://") || s3.endpoint.starts_with("http://")) {
                return Err(ConfigError(
                    "files.s3.endpoint: ожидается адрес, начинающийся с https:// (или http:// во внутренней сети)".into(),
                ));
            }
            if s3.bucket.trim().is_empty() {
                return Err(ConfigError("files.s3.bucket: укажите имя корзины".into()));
            }
        }
        let push = &self.notifications.push;
        if let Some(subject) = &push.subject {
            if !(subject.starts_with("mailto:") || subject.starts_with("https://")) {
                return Err(ConfigError(
                    "notifications.push.subject: ожидается mailto:адрес или https://адрес".into(),
                ));
            }
        }
        for s in &push.services {
            let loopback = s.starts_with("http://127.0.0.1") || s.starts_with("http://localhost");
            if !(s.starts_with("https://") || loopback) {
                return Err(ConfigError(format!(
                    "notifications.push.services: «{s}» — ожидается адрес, начинающийся с https://"
                )));
            }
            crate::outbound::check_destination("notifications.push.services", s)
                .map_err(ConfigError)?;
        }
        if crate::time::parse_hhmm(&self.notifications.digest_at).is_none() {
            return Err(ConfigError(
                "notifications.digest_at: ожидается время ЧЧ:ММ, например 18:00".into(),
            ));
        }
        if let Some(bbb) = &self.video.bbb {
            crate::outbound::check_destination("video.bbb.url", &bbb.url).map_err(ConfigError)?;
            if !["sha1", "sha256", "sha384", "sha512"].contains(&bbb.checksum.as_str()) {
                return Err(ConfigError(
                    "video.bbb.checksum: ожидается sha1, sha256, sha384 или sha512".into(),
                ));
            }
        }
        if let Some(jitsi) = &self.video.jitsi {
            crate::outbound::check_destination("video.jitsi.url", &jitsi.url)
                .map_err(ConfigError)?;
        }
        Ok(())
    }

    /// The database URL in force: explicit, or SQLite in the data directory.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.expose().to_string(),
            None => format!("sqlite://{}/parta.db?mode=rwc", self.data_dir.display()),
        }
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outbound_settings_are_checked_at_start() {
        let refused = |f: &dyn Fn(&mut Config)| {
            let mut c = Config::default();
            f(&mut c);
            c.check_destinations().unwrap_err().to_string()
        };
        let mail = |url: &str| MailConfig {
            smtp_url: Secret::new(url),
            from: "Парта <noreply@school.example>".into(),
        };
        let e =
            refused(&|c| c.notifications.mail = Some(mail("smtp://u:p@mail.school.example:587")));
        assert!(e.contains("notifications.mail.smtp_url"), "{e}");
        for ok in [
            "smtp://mail.school.example:25",
            "smtp://u:p@mail.school.example:587?tls=required",
            "smtps://u:p@mail.school.example:465",
        ] {
            let mut c = Config::default();
            c.notifications.mail = Some(mail(ok));
            assert!(c.check_destinations().is_ok(), "{ok}");
        }
        let e = refused(&|c| {
            c.notifications.messenger = Some(MessengerConfig {
                name: "Бот".into(),
                url: "https://api.telegram.org/bot1/sendMessage".into(),
                secret: Secret::new("s"),
            })
        });
        assert!(
            e.contains("notifications.messenger.url") && e.contains("Telegram"),
            "{e}"
        );
        let e = refused(&|c| c.notifications.utc_offset_minutes = 900);
        assert!(e.contains("utc_offset_minutes"), "{e}");
        let e = refused(&|c| c.notifications.digest_at = "6pm".into());
        assert!(e.contains("digest_at"), "{e}");
        let e = refused(&|c| {
            c.video.bbb = Some(BbbConfig {
                url: "bbb.school.example/bigbluebutton/api".into(),
                secret: Secret::new("s"),
                checksum: "sha256".into(),
            })
        });
        assert!(e.contains("video.bbb.url"), "{e}");
        let e = refused(&|c| {
            c.video.bbb = Some(BbbConfig {
                url: "https://bbb.school.example/bigbluebutton/api".into(),
                secret: Secret::new("s"),
                checksum: "md5".into(),
            })
        });
        assert!(e.contains("video.bbb.checksum"), "{e}");
        let e = refused(&|c| c.notifications.push.services = vec!["http://push.example".into()]);
        assert!(e.contains("notifications.push.services"), "{e}");
        let e = refused(&|c| c.notifications.push.services = vec!["https://t.me".into()]);
        assert!(e.contains("Telegram"), "{e}");
        let e = refused(&|c| c.notifications.push.subject = Some("admin@school.example".into()));
        assert!(e.contains("notifications.push.subject"), "{e}");
        let mut c = Config::default();
        c.notifications.push.subject = Some("mailto:admin@school.example".into());
        c.notifications
            .push
            .services
            .push("http://127.0.0.1:9000".into());
        assert!(c.check_destinations().is_ok());
    }

    #[test]
    fn example_file_loads_and_unknown_keys_are_refused() {
        let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../../parta.example.toml");
        let c = Config::load(Some(Path::new(example))).unwrap();
        assert_eq!(c.port, 8080);
        let dir = std::env::temp_dir().join(format!("parta-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let bad = dir.join("bad.toml");
        std::fs::write(&bad, "prot = 8080\n").unwrap();
        let err = Config::load(Some(&bad)).unwrap_err().to_string();
        assert!(err.contains("prot"), "{err}");
        assert!(Config::load(Some(&dir.join("missing.toml"))).is_err());
        // INT-8: a sign-in provider at a foreign messenger cannot be configured.
        let foreign = dir.join("foreign.toml");
        std::fs::write(
            &foreign,
            "[oidc]\nissuer = \"https://oauth.telegram.org\"\nclient_id = \"x\"\nclient_secret = \"y\"\n",
        )
        .unwrap();
        let err = Config::load(Some(&foreign)).unwrap_err().to_string();
        assert!(
            err.contains("Telegram") && err.contains("oidc.issuer"),
            "{err}"
        );
    }

    #[test]
    fn secrets_never_print() {
        let c = Config {
            database_url: Some(Secret::new("postgres://u:hunter2@db/x")),
            ..Config::default()
        };
        assert!(!format!("{c:?}").contains("hunter2"));
        assert_eq!(c.database_url(), "postgres://u:hunter2@db/x");
    }
}
