//! Web Push: a notification to a person's browsers through their push services
//! (RFC 8030), the application server identified by VAPID (RFC 8292: an ES256 token and
//! the public key in `Authorization`), the payload encrypted for the browser alone
//! (RFC 8291, `aes128gcm`): the push service carries it without reading it.
//!
//! The platform posts only to the push services the configuration names
//! ([`PushConfig::allows`]): a browser's address comes from the person, and the platform
//! must not be made to post to an address someone made up.

use crate::model::Notification;
use crate::store::{self, PushRow};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::EncodePrivateKey;
use parta_core::config::PushConfig;
use parta_core::ids::PersonId;
use parta_core::time::now_ms;
use parta_core::{FieldError, Problem};
use parta_db::Db;
use std::time::Duration;

/// A person's browsers kept at most (a new one beyond replaces the oldest).
pub const MAX_DEVICES: i64 = 10;
/// How long a push service keeps a message for a browser that is off.
const TTL: Duration = Duration::from_secs(24 * 3600);
/// How long a VAPID token is valid (RFC 8292 allows up to a day).
const TOKEN_SECS: i64 = 12 * 3600;
/// What fits a push message: 4,096 bytes less the encryption's header, tag and padding
/// (RFC 8291 §4), with room to spare.
const MAX_PAYLOAD: usize = 3_800;

/// The application server's key pair.
pub struct Keys {
    /// PKCS#8 DER of the private key, as the token's signer takes it.
    der: Vec<u8>,
    /// The uncompressed public point, base64url: the browser's `applicationServerKey`
    /// and the `k=` of every push.
    pub public: String,
}

/// Base64url with or without padding, or plain base64 (keys are copied from many tools).
pub fn decode_b64(s: &str) -> Option<Vec<u8>> {
    let s: String = s
        .trim()
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    B64.decode(s).ok()
}

impl Keys {
    /// From the private scalar, base64url (32 bytes).
    pub fn from_scalar(b64: &str) -> Result<Keys, String> {
        let bytes = decode_b64(b64).ok_or("не base64url")?;
        let secret = p256::SecretKey::from_slice(&bytes)
            .map_err(|_| "ожидается закрытый ключ P-256 (32 байта)")?;
        let der = secret
            .to_pkcs8_der()
            .map_err(|e| e.to_string())?
            .as_bytes()
            .to_vec();
        let public = B64.encode(secret.public_key().to_encoded_point(false).as_bytes());
        Ok(Keys { der, public })
    }

    /// A new key pair and its private scalar (base64url) to keep.
    pub fn generate() -> Result<(String, Keys), String> {
        use rand::RngCore;
        loop {
            let mut bytes = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            // A scalar of zero or past the group's order is refused: draw again.
            if p256::SecretKey::from_slice(&bytes).is_ok() {
                let scalar = B64.encode(bytes);
                let keys = Keys::from_scalar(&scalar)?;
                return Ok((scalar, keys));
            }
        }
    }

    /// `vapid t=<token>, k=<public key>` for a push to `endpoint`: the token names the
    /// push service's origin (`aud`), who runs the platform (`sub`) and expires in 12
    /// hours by the real clock (the push service checks it, not the platform's drill).
    pub fn authorization(&self, endpoint: &str, subject: &str) -> Result<String, String> {
        let aud = origin(endpoint).ok_or("неверный адрес службы уведомлений")?;
        #[derive(serde::Serialize)]
        struct Claims<'a> {
            aud: &'a str,
            exp: i64,
            sub: &'a str,
        }
        let claims = Claims {
            aud: &aud,
            exp: chrono::Utc::now().timestamp() + TOKEN_SECS,
            sub: subject,
        };
        let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
        let token = jsonwebtoken::encode(
            &header,
            &claims,
            &jsonwebtoken::EncodingKey::from_ec_der(&self.der),
        )
        .map_err(|e| e.to_string())?;
        Ok(format!("vapid t={token}, k={}", self.public))
    }
}

/// `https://host[:port]` of a URL.
fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    (!authority.is_empty()).then(|| format!("{scheme}://{authority}"))
}

/// Why the platform's keys could not be had.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error("notifications.push.vapid_private_key: {0}")]
    Bad(String),
}

impl From<KeyError> for Problem {
    fn from(e: KeyError) -> Self {
        match e {
            KeyError::Db(e) => e.into(),
            KeyError::Bad(e) => Problem::internal().with_detail(e),
        }
    }
}

/// The platform's keys: the configured pair, else the one kept in the database (made by
/// the first node that needs it; every node then reads the same).
pub async fn keys(db: &Db, config: &PushConfig) -> Result<Keys, KeyError> {
    if let Some(k) = &config.vapid_private_key {
        return Keys::from_scalar(k.expose()).map_err(KeyError::Bad);
    }
    if let Some((private, _)) = store::vapid(db).await? {
        return Keys::from_scalar(&private).map_err(KeyError::Bad);
    }
    let (scalar, keys) = Keys::generate().map_err(KeyError::Bad)?;
    store::keep_vapid(db, &scalar, &keys.public, now_ms()).await?;
    // Another node may have kept its own first: the stored one is the platform's.
    match store::vapid(db).await? {
        Some((private, _)) => Keys::from_scalar(&private).map_err(KeyError::Bad),
        None => Ok(keys),
    }
}

/// A browser's subscription as `PushSubscription.toJSON()` gives it.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct Subscription {
    /// The address at the browser's push service.
    pub endpoint: String,
    pub keys: SubscriptionKeys,
}

#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct SubscriptionKeys {
    /// The browser's P-256 public key, base64url (65 bytes).
    pub p256dh: String,
    /// The browser's authentication secret, base64url (16 bytes).
    pub auth: String,
}

impl Subscription {
    /// Refuses, by field, an address outside the allowed push services and keys that are
    /// not a browser's.
    pub fn check(&self, config: &PushConfig) -> Result<(), Problem> {
        let mut errors = Vec::new();
        if self.endpoint.len() > 2_048 || !config.allows(&self.endpoint) {
            errors.push(unusable_field());
        }
        let key = (self.keys.p256dh.len() <= 200)
            .then(|| decode_b64(&self.keys.p256dh))
            .flatten()
            .filter(|b| b.len() == 65)
            .and_then(|b| p256::PublicKey::from_sec1_bytes(&b).ok());
        if key.is_none() {
            errors.push(FieldError::new(
                "keys.p256dh",
                "Неверный ключ браузера (ожидается открытый ключ P-256).",
            ));
        }
        if (self.keys.auth.len() > 100) || decode_b64(&self.keys.auth).is_none_or(|b| b.len() != 16)
        {
            errors.push(FieldError::new(
                "keys.auth",
                "Неверный секрет браузера (ожидается 16 байт).",
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Problem::validation(errors))
        }
    }
}

fn unusable_field() -> FieldError {
    FieldError::new(
        "endpoint",
        "Этот браузер получает уведомления через службу, с которой Парта не работает.",
    )
}

/// A browser's address the platform will not use.
pub fn unusable_endpoint() -> Problem {
    Problem::validation(vec![unusable_field()])
}

/// The first 16 hex digits of the SHA-256 of a browser's address.
pub fn tag_of(endpoint: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(endpoint.as_bytes())
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// «Chrome, Android»: enough for a person to tell their browsers apart.
pub fn device_of(user_agent: Option<&str>) -> String {
    let ua = user_agent.unwrap_or("");
    let browser = [
        ("YaBrowser", "Яндекс Браузер"),
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Chromium/", "Chromium"),
        ("Safari/", "Safari"),
    ]
    .iter()
    .find(|(m, _)| ua.contains(m))
    .map(|(_, n)| *n);
    let os = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(m, _)| ua.contains(m))
    .map(|(_, n)| *n);
    match (browser, os) {
        (Some(b), Some(o)) => format!("{b}, {o}"),
        (Some(b), None) => b.to_string(),
        (None, Some(o)) => o.to_string(),
        (None, None) => "Браузер".to_string(),
    }
}

/// What the service worker shows: one notification, or how many came with the newest.
#[derive(serde::Serialize)]
struct Payload<'a> {
    title: String,
    body: String,
    url: &'a str,
    /// The notification's id: a browser shows one notification once (a retried push
    /// replaces it rather than adds one).
    tag: String,
}

fn cut(s: &str, chars: usize) -> String {
    if s.chars().count() <= chars {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(chars.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// The push message of a person's due notifications (oldest first).
pub fn payload(items: &[&Notification]) -> Vec<u8> {
    let p = match items {
        [one] => Payload {
            title: cut(&one.title, 120),
            body: cut(&one.body, 600),
            url: one
                .link
                .as_deref()
                .filter(|l| l.len() <= 500)
                .unwrap_or("/notifications"),
            tag: one.id.to_string(),
        },
        many => Payload {
            title: format!("Парта: новые уведомления ({})", many.len()),
            body: cut(
                &many
                    .iter()
                    .rev()
                    .map(|n| n.title.as_str())
                    .collect::<Vec<_>>()
                    .join("\n"),
                600,
            ),
            url: "/notifications",
            tag: many.last().map(|n| n.id.to_string()).unwrap_or_default(),
        },
    };
    // The cuts above keep it well under [`MAX_PAYLOAD`]; should it not fit (characters
    // escaped many bytes each), the text gives way.
    let bytes = serde_json::to_vec(&p).unwrap_or_default();
    if bytes.len() <= MAX_PAYLOAD {
        return bytes;
    }
    let short = Payload {
        title: cut(&p.title, 60),
        body: String::new(),
        ..p
    };
    serde_json::to_vec(&short).unwrap_or_default()
}

/// How one push went.
#[derive(Debug)]
pub enum Outcome {
    Sent,
    /// The push service no longer knows the browser (it was switched off): forget it.
    Gone,
    /// Try again later.
    Failed(String),
}

/// Sends pushes.
#[derive(Clone)]
pub struct Pusher {
    db: Db,
    config: PushConfig,
    subject: String,
    keys: std::sync::Arc<tokio::sync::OnceCell<Keys>>,
    http: reqwest::Client,
}

impl Pusher {
    pub fn new(db: Db, config: &PushConfig, subject: String) -> Result<Self, String> {
        if let Some(k) = &config.vapid_private_key {
            Keys::from_scalar(k.expose())
                .map_err(|e| format!("notifications.push.vapid_private_key: {e}"))?;
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("notifications.push: {e}"))?;
        Ok(Self {
            db,
            config: config.clone(),
            subject,
            keys: Default::default(),
            http,
        })
    }

    /// One encrypted push to one browser.
    pub async fn send(&self, sub: &PushRow, payload: &[u8], urgent: bool) -> Outcome {
        if !self.config.allows(&sub.endpoint) {
            // The configuration no longer has its service.
            return Outcome::Gone;
        }
        let keys = match self
            .keys
            .get_or_try_init(|| keys(&self.db, &self.config))
            .await
        {
            Ok(k) => k,
            Err(e) => return Outcome::Failed(e.to_string()),
        };
        let (Some(public), Some(auth)) = (
            decode_b64(&sub.p256dh).and_then(|b| p256::PublicKey::from_sec1_bytes(&b).ok()),
            decode_b64(&sub.auth).filter(|a| a.len() == 16),
        ) else {
            return Outcome::Gone;
        };
        let Ok(uri) = sub.endpoint.parse::<::http::Uri>() else {
            return Outcome::Gone;
        };
        let request = match web_push_native::WebPushBuilder::new(
            uri,
            public,
            *web_push_native::Auth::from_slice(&auth),
        )
        .with_valid_duration(TTL)
        .build(payload.to_vec())
        {
            Ok(r) => r,
            Err(e) => return Outcome::Failed(e.to_string()),
        };
        let authorization = match keys.authorization(&sub.endpoint, &self.subject) {
            Ok(a) => a,
            Err(e) => return Outcome::Failed(e),
        };
        let (parts, body) = request.into_parts();
        let res = self
            .http
            .post(&sub.endpoint)
            .headers(parts.headers)
            .header("authorization", authorization)
            .header("urgency", if urgent { "high" } else { "normal" })
            .body(body)
            .send()
            .await;
        match res {
            Ok(r) if r.status().is_success() => Outcome::Sent,
            Ok(r) if matches!(r.status().as_u16(), 404 | 410) => Outcome::Gone,
            Ok(r) => Outcome::Failed(format!("HTTP {}", r.status())),
            // Neither the address nor its token in the log.
            Err(e) => Outcome::Failed(e.without_url().to_string()),
        }
    }

    /// Sends a person's due notifications to each of their browsers. `Ok(Ok)` when one
    /// took it; `Ok(Err(None))` when they have none (left, or all switched off);
    /// `Ok(Err(Some))` to try again.
    pub async fn deliver(
        &self,
        person: PersonId,
        items: &[&Notification],
    ) -> Result<Result<(), Option<String>>, sqlx::Error> {
        let subs = store::subscriptions_of(&self.db, &[person]).await?;
        let body = payload(items);
        let urgent = items.iter().any(|n| n.kind == "announcement");
        let (mut any, mut failed) = (false, None);
        for sub in &subs {
            match self.send(sub, &body, urgent).await {
                Outcome::Sent => {
                    any = true;
                    store::pushed(&self.db, sub.id, now_ms()).await?;
                }
                Outcome::Gone => store::forget_subscription(&self.db, sub.id).await?,
                Outcome::Failed(e) => failed = Some(e),
            }
        }
        Ok(match (any, failed) {
            (true, _) => Ok(()),
            (false, Some(e)) => Err(Some(e)),
            (false, None) => Err(None),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_is_named_by_browser_and_system() {
        assert_eq!(
            device_of(Some("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36")),
            "Chrome, Android"
        );
        assert_eq!(
            device_of(Some("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 YaBrowser/24.1.0.0 Safari/537.36")),
            "Яндекс Браузер, Windows"
        );
        assert_eq!(
            device_of(Some(
                "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
            )),
            "Firefox, Linux"
        );
        assert_eq!(device_of(None), "Браузер");
    }

    /// RFC 8292 §2.4: the token is an ES256 JWT whose signature the public key in `k=`
    /// verifies, for the push service's origin.
    #[test]
    fn the_vapid_token_verifies_with_the_key_it_names() {
        let (scalar, keys) = Keys::generate().unwrap();
        assert_eq!(decode_b64(&scalar).unwrap().len(), 32);
        let auth = keys
            .authorization(
                "https://fcm.googleapis.com/fcm/send/abc?x=1",
                "mailto:admin@school.example",
            )
            .unwrap();
        let (t, k) = auth
            .strip_prefix("vapid t=")
            .unwrap()
            .split_once(", k=")
            .unwrap();
        assert_eq!(k, keys.public);
        let public = decode_b64(k).unwrap();
        assert_eq!(public.len(), 65);
        let point = p256::PublicKey::from_sec1_bytes(&public).unwrap();
        let xy = point.to_encoded_point(false);
        let key = jsonwebtoken::DecodingKey::from_ec_components(
            &B64.encode(xy.x().unwrap()),
            &B64.encode(xy.y().unwrap()),
        )
        .unwrap();
        let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
        v.set_audience(&["https://fcm.googleapis.com"]);
        let data = jsonwebtoken::decode::<serde_json::Value>(t, &key, &v).unwrap();
        assert_eq!(data.claims["sub"], "mailto:admin@school.example");
        // The same scalar gives the same public key (the configured key's path).
        assert_eq!(Keys::from_scalar(&scalar).unwrap().public, keys.public);
        assert!(Keys::from_scalar("AAAA").is_err());
    }

    #[test]
    fn only_the_configured_push_services_are_allowed() {
        let c = PushConfig::default();
        assert!(c.allows("https://fcm.googleapis.com/fcm/send/abc"));
        assert!(c.allows("https://wns2-par02p.notify.windows.com/w/?token=x"));
        assert!(!c.allows("https://notify.windows.com.evil.example/"));
        assert!(!c.allows("https://evilnotify.windows.com/"));
        assert!(!c.allows("http://fcm.googleapis.com/fcm/send/abc"));
        assert!(!c.allows("https://fcm.googleapis.com@127.0.0.1/x"));
        assert!(!c.allows("https://fcm.googleapis.com:8443/x"));
        assert!(!c.allows("https://127.0.0.1:5432/"));
        assert!(!c.allows("javascript:alert(1)"));
    }

    #[test]
    fn a_long_notification_still_fits_one_push() {
        let n = Notification {
            id: Default::default(),
            person_id: Default::default(),
            kind: "mark".into(),
            about_person_id: None,
            title: "Отметка ".repeat(500),
            body: "Очень длинный текст ".repeat(500),
            link: Some("/diary".into()),
            created_at: 0,
            read_at: None,
        };
        let one = payload(&[&n]);
        assert!(one.len() <= MAX_PAYLOAD);
        let v: serde_json::Value = serde_json::from_slice(&one).unwrap();
        assert_eq!(v["url"], "/diary");
        let many = payload(&[&n, &n, &n]);
        let v: serde_json::Value = serde_json::from_slice(&many).unwrap();
        assert_eq!(v["title"], "Парта: новые уведомления (3)");
    }
}
