//! Delivery beyond the in-app list: the queue the relay fills in the notifications' own
//! transaction (`notification_deliveries`, one row per notification and channel) and the
//! sender that empties it — e-mail over SMTP, a domestic messenger's bot through a
//! signed webhook, and Web Push to the person's browsers ([`crate::push`]). A person's notifications due together leave as one message (a digest is
//! just many due at the digest's time). A failed send is tried again later; a row is
//! taken by one sender at a time, so several nodes never send it twice.

use crate::model::Notification;
use crate::quiet;
use crate::store::{self, Due, NewDelivery};
use parta_core::config::NotificationsConfig;
use parta_core::ids::{NotificationId, PersonId};
use parta_core::time::{now_ms, parse_hhmm};
use parta_db::Db;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

pub const EMAIL: &str = "email";
pub const MESSENGER: &str = "messenger";
pub const PUSH: &str = "push";

/// How long a sender holds what it took before another may take it.
const CLAIM_MS: i64 = 5 * 60_000;
/// Deliveries taken per round.
const BATCH: i64 = 500;
/// Done deliveries are remembered this long (why an e-mail did not come), then forgotten.
pub const KEEP_DONE_DAYS: i64 = 30;
/// Waits before the next try, by the number of tries so far; then it is given up.
const RETRY_MIN: [i64; 5] = [1, 5, 30, 120, 600];

/// When deliveries are due: the platform's time zone and digest time, and which channels
/// it has.
#[derive(Clone, Debug)]
pub struct Schedule {
    pub offset_min: i32,
    pub digest_min: u32,
    pub email: bool,
    pub messenger: bool,
    pub push: bool,
}

impl Schedule {
    pub fn from_config(c: &NotificationsConfig) -> Self {
        Self {
            offset_min: c.utc_offset_minutes,
            digest_min: parse_hhmm(&c.digest_at).unwrap_or(18 * 60),
            email: c.mail.is_some(),
            messenger: c.messenger.is_some(),
            push: c.push.enabled,
        }
    }

    pub fn any(&self) -> bool {
        self.email || self.messenger || self.push
    }

    /// The deliveries of new notifications: per channel the person switched on for the
    /// kind, due after their quiet hours (a student's night always), e-mail of those who
    /// chose the digest at its time; a push to whoever has a browser subscribed, unless
    /// they switched it off for the kind.
    pub async fn plan(
        &self,
        db: &Db,
        rows: &[Notification],
    ) -> Result<Vec<NewDelivery>, sqlx::Error> {
        if !self.any() || rows.is_empty() {
            return Ok(Vec::new());
        }
        let mut people: Vec<PersonId> = rows.iter().map(|n| n.person_id).collect();
        people.sort();
        people.dedup();
        let prefs: HashMap<(PersonId, String), (bool, bool)> = store::channel_prefs(db, &people)
            .await?
            .into_iter()
            .map(|(p, k, e, m)| ((p, k), (e == Some(1), m == Some(1))))
            .collect();
        let subscribed: std::collections::HashSet<PersonId> = if self.push {
            store::subscribed_among(db, &people)
                .await?
                .into_iter()
                .collect()
        } else {
            Default::default()
        };
        if prefs.is_empty() && subscribed.is_empty() {
            return Ok(Vec::new());
        }
        let push_off: std::collections::HashSet<(PersonId, String)> = if subscribed.is_empty() {
            Default::default()
        } else {
            store::push_off(db, &people).await?.into_iter().collect()
        };
        let settings: HashMap<PersonId, (Option<(u32, u32)>, bool)> = store::settings(db, &people)
            .await?
            .into_iter()
            .map(|(p, from, to, digest)| {
                let window = from
                    .as_deref()
                    .and_then(parse_hhmm)
                    .zip(to.as_deref().and_then(parse_hhmm));
                (p, (window, digest == 1))
            })
            .collect();
        // E-mail is queued only for whom it can reach (a confirmed address).
        let mailable: std::collections::HashSet<PersonId> = if self.email {
            store::confirmed_emails(db, &people)
                .await?
                .into_iter()
                .map(|(p, _)| p)
                .collect()
        } else {
            Default::default()
        };
        // Students' nights are quiet: who studies now, by the registry.
        let students: std::collections::HashSet<PersonId> = store::students_among(db, &people)
            .await?
            .into_iter()
            .collect();
        let now = now_ms();
        let mut out = Vec::new();
        for n in rows {
            let key = (n.person_id, n.kind.clone());
            let (email, messenger) = prefs.get(&key).copied().unwrap_or_default();
            let push = subscribed.contains(&n.person_id) && !push_off.contains(&key);
            if !(email || messenger || push) {
                continue;
            }
            let student = students.contains(&n.person_id);
            let (own, digest) = match settings.get(&n.person_id) {
                Some(s) => *s,
                None => ((!student).then_some(quiet::ADULT_DEFAULT), false),
            };
            let after_quiet = quiet::after_quiet(now, self.offset_min, own, student);
            if self.email && email && mailable.contains(&n.person_id) {
                let due = if digest {
                    quiet::after_quiet(
                        quiet::next_digest(now, self.offset_min, self.digest_min),
                        self.offset_min,
                        own,
                        student,
                    )
                } else {
                    after_quiet
                };
                out.push(NewDelivery {
                    notification_id: n.id,
                    channel: EMAIL,
                    person_id: n.person_id,
                    due_at: due,
                });
            }
            if self.messenger && messenger {
                out.push(NewDelivery {
                    notification_id: n.id,
                    channel: MESSENGER,
                    person_id: n.person_id,
                    due_at: after_quiet,
                });
            }
            // No push at night to children (nor in anyone's own quiet hours).
            if push {
                out.push(NewDelivery {
                    notification_id: n.id,
                    channel: PUSH,
                    person_id: n.person_id,
                    due_at: after_quiet,
                });
            }
        }
        Ok(out)
    }
}

/// A person's own quiet hours and whether they study now (for retries: a failed send
/// tried again later waits out the night too).
async fn quiet_of(db: &Db, person: PersonId) -> Result<(Option<(u32, u32)>, bool), sqlx::Error> {
    let student = !store::students_among(db, &[person]).await?.is_empty();
    let own = match store::settings(db, &[person]).await?.pop() {
        Some((_, from, to, _)) => from
            .as_deref()
            .and_then(parse_hhmm)
            .zip(to.as_deref().and_then(parse_hhmm)),
        None => (!student).then_some(quiet::ADULT_DEFAULT),
    };
    Ok((own, student))
}

/// Who runs the platform, for the push services: the configured contact, else the public
/// address (https), else the mail sender's address.
fn push_subject(config: &NotificationsConfig, public_url: Option<&str>) -> String {
    if let Some(s) = &config.push.subject {
        return s.clone();
    }
    if let Some(u) = public_url.filter(|u| u.starts_with("https://")) {
        return u.trim_end_matches('/').to_string();
    }
    if let Some(m) = &config.mail {
        if let Ok(mb) = m.from.parse::<lettre::message::Mailbox>() {
            return format!("mailto:{}", mb.email);
        }
    }
    "mailto:parta@localhost".into()
}

/// E-mail over SMTP.
#[derive(Clone)]
pub struct Mail {
    transport: lettre::AsyncSmtpTransport<lettre::Tokio1Executor>,
    from: lettre::message::Mailbox,
}

impl Mail {
    pub fn new(c: &parta_core::config::MailConfig) -> Result<Self, String> {
        let transport =
            lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(c.smtp_url.expose())
                .map_err(|e| format!("notifications.mail.smtp_url: {e}"))?
                .timeout(Some(Duration::from_secs(20)))
                .build();
        let from = c
            .from
            .parse()
            .map_err(|e| format!("notifications.mail.from: {e}"))?;
        Ok(Self { transport, from })
    }

    async fn send(&self, to: &str, subject: &str, text: String) -> Result<(), String> {
        use lettre::AsyncTransport;
        let to: lettre::message::Mailbox = to.parse().map_err(|e| format!("адрес: {e}"))?;
        let message = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(lettre::message::header::ContentType::TEXT_PLAIN)
            .body(text)
            .map_err(|e| e.to_string())?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// A messenger's bot behind a bridge: a JSON POST signed with HMAC-SHA256.
#[derive(Clone)]
pub struct Messenger {
    url: String,
    secret: parta_core::config::Secret,
    http: reqwest::Client,
}

/// What the bridge receives.
#[derive(serde::Serialize)]
struct Webhook<'a> {
    person_id: PersonId,
    notifications: Vec<WebhookItem<'a>>,
}

#[derive(serde::Serialize)]
struct WebhookItem<'a> {
    id: NotificationId,
    kind: &'a str,
    title: &'a str,
    body: &'a str,
    link: Option<String>,
    created_at: i64,
}

/// `sha256=` and the hex HMAC-SHA256 of `timestamp.body` with the secret.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    use hmac::Mac;
    let mut mac = match hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        // HMAC takes a key of any length.
        Err(_) => return String::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}

impl Messenger {
    pub fn new(c: &parta_core::config::MessengerConfig) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("notifications.messenger: {e}"))?;
        Ok(Self {
            url: c.url.clone(),
            secret: c.secret.clone(),
            http,
        })
    }

    async fn send(&self, body: Vec<u8>) -> Result<(), String> {
        // The bridge checks the timestamp by the real clock, not the platform's (which a
        // drill may set to another day).
        let ts = chrono::Utc::now().timestamp();
        let res = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .header("x-parta-timestamp", ts.to_string())
            .header(
                "x-parta-signature",
                signature(self.secret.expose(), ts, &body),
            )
            .body(body)
            .send()
            .await
            .map_err(|e| e.without_url().to_string())?;
        if res.status().is_success() {
            Ok(())
        } else {
            Err(format!("HTTP {}", res.status()))
        }
    }
}

/// The sender: takes due deliveries, sends each person's together, marks them.
#[derive(Clone)]
pub struct Sender {
    db: Db,
    mail: Option<Mail>,
    messenger: Option<Messenger>,
    push: Option<crate::push::Pusher>,
    public_url: Option<String>,
    wake: Arc<tokio::sync::Notify>,
    /// Offsets the platform's time for quiet hours.
    offset_min: i32,
}

impl Sender {
    pub fn new(
        db: Db,
        config: &NotificationsConfig,
        public_url: Option<String>,
    ) -> Result<Self, String> {
        let push = if config.push.enabled {
            Some(crate::push::Pusher::new(
                db.clone(),
                &config.push,
                push_subject(config, public_url.as_deref()),
            )?)
        } else {
            None
        };
        Ok(Self {
            db,
            mail: config.mail.as_ref().map(Mail::new).transpose()?,
            messenger: config.messenger.as_ref().map(Messenger::new).transpose()?,
            push,
            public_url: public_url.map(|u| u.trim_end_matches('/').to_string()),
            wake: Arc::new(tokio::sync::Notify::new()),
            offset_min: config.utc_offset_minutes,
        })
    }

    /// Tells the sender that deliveries were queued (the relay, after its commit).
    pub fn waker(&self) -> Arc<tokio::sync::Notify> {
        self.wake.clone()
    }

    /// Sends for ever: when woken, and every few seconds for what became due.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            if self.mail.is_none() && self.messenger.is_none() && self.push.is_none() {
                return;
            }
            loop {
                match self.step().await {
                    Ok(n) if n as i64 >= BATCH => continue,
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "notification delivery"),
                }
                let _ = tokio::time::timeout(Duration::from_secs(5), self.wake.notified()).await;
            }
        })
    }

    /// Forgets delivery records done (sent or given up) more than [`KEEP_DONE_DAYS`] ago:
    /// the notifications themselves stay in the list.
    pub async fn forget_done(&self) -> Result<u64, sqlx::Error> {
        store::forget_done(&self.db, now_ms() - KEEP_DONE_DAYS * 86_400_000).await
    }

    /// One round: what is due now; returns how many deliveries were handled.
    pub async fn step(&self) -> Result<usize, sqlx::Error> {
        let now = now_ms();
        let claim = now + CLAIM_MS;
        let due = store::claim_due(&self.db, now, claim, BATCH).await?;
        if due.is_empty() {
            return Ok(0);
        }
        let ids: Vec<NotificationId> = due.iter().map(|d| d.notification_id).collect();
        let notes: HashMap<NotificationId, Notification> = store::by_ids(&self.db, &ids)
            .await?
            .into_iter()
            .map(|n| (n.id, n))
            .collect();
        // Per person and channel, oldest first.
        let mut groups: BTreeMap<(PersonId, String), Vec<&Due>> = BTreeMap::new();
        for d in &due {
            groups
                .entry((d.person_id, d.channel.clone()))
                .or_default()
                .push(d);
        }
        let people: Vec<PersonId> = groups.keys().map(|(p, _)| *p).collect();
        let emails: HashMap<PersonId, String> = if self.mail.is_some() {
            store::confirmed_emails(&self.db, &people)
                .await?
                .into_iter()
                .collect()
        } else {
            HashMap::new()
        };
        for ((person, channel), list) in groups {
            // Never past half the claim (counted from when it was taken): what is left goes
            // back for the next round (here or on another node), so nothing is sent by two.
            if now_ms() > claim - CLAIM_MS / 2 {
                for d in list {
                    store::release(&self.db, d, claim).await?;
                }
                continue;
            }
            let mut items: Vec<&Notification> = list
                .iter()
                .filter_map(|d| notes.get(&d.notification_id))
                .collect();
            items.sort_by_key(|n| n.created_at);
            let result = match channel.as_str() {
                EMAIL => match (&self.mail, emails.get(&person)) {
                    (Some(mail), Some(to)) => {
                        let (subject, text) = self.letter(&items);
                        mail.send(to, &subject, text).await.map_err(Some)
                    }
                    // Nothing to send it with or to: done, with the reason.
                    (None, _) => Err(None),
                    (_, None) => Err(None),
                },
                MESSENGER => match &self.messenger {
                    Some(m) => m.send(self.webhook(person, &items)).await.map_err(Some),
                    None => Err(None),
                },
                PUSH => match &self.push {
                    Some(p) => p.deliver(person, &items).await?,
                    None => Err(None),
                },
                _ => Err(None),
            };
            let now = now_ms();
            for d in list {
                match &result {
                    Ok(()) => store::finish(&self.db, d, claim, now, None).await?,
                    Err(None) => {
                        let why = match channel.as_str() {
                            EMAIL => "нет подтверждённой почты",
                            PUSH => "нет браузеров с включёнными уведомлениями",
                            _ => "канал не подключён",
                        };
                        store::finish(&self.db, d, claim, now, Some(why)).await?
                    }
                    Err(Some(e)) => {
                        tracing::warn!(channel = %channel, error = %e, "delivery failed; tried again later");
                        match RETRY_MIN.get(d.attempts as usize) {
                            Some(min) => {
                                let (own, student) = quiet_of(&self.db, person).await?;
                                let at = quiet::after_quiet(
                                    now + min * 60_000,
                                    self.offset_min,
                                    own,
                                    student,
                                );
                                store::retry(&self.db, d, claim, at, e).await?
                            }
                            None => store::finish(&self.db, d, claim, now, Some(e)).await?,
                        }
                    }
                }
            }
        }
        Ok(due.len())
    }

    fn absolute(&self, link: &Option<String>) -> Option<String> {
        match (link, &self.public_url) {
            (Some(l), Some(base)) => Some(format!("{base}{l}")),
            _ => None,
        }
    }

    /// The subject and text of one person's letter (persons have no stored language yet:
    /// the platform's, Russian).
    fn letter(&self, items: &[&Notification]) -> (String, String) {
        let subject = match items {
            [one] => one.title.clone(),
            many => format!("Парта: новые уведомления ({})", many.len()),
        };
        let mut text = String::from("Здравствуйте!\n\n");
        for n in items {
            text.push_str(&format!("• {}\n", n.title));
            if !n.body.is_empty() {
                text.push_str(&format!("  {}\n", n.body));
            }
            if let Some(url) = self.absolute(&n.link) {
                text.push_str(&format!("  {url}\n"));
            }
            text.push('\n');
        }
        text.push_str("Это письмо от «Парты».");
        if let Some(base) = &self.public_url {
            text.push_str(&format!(
                " Какие уведомления получать и когда: {base}/notifications"
            ));
        }
        text.push('\n');
        (subject, text)
    }

    fn webhook(&self, person: PersonId, items: &[&Notification]) -> Vec<u8> {
        let body = Webhook {
            person_id: person,
            notifications: items
                .iter()
                .map(|n| WebhookItem {
                    id: n.id,
                    kind: &n.kind,
                    title: &n.title,
                    body: &n.body,
                    link: self.absolute(&n.link),
                    created_at: n.created_at,
                })
                .collect(),
        };
        serde_json::to_vec(&body).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231, test case 2 ("Jefe"), as the bridge would check it: HMAC-SHA256 of
    /// `timestamp.body`.
    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_and_body() {
        let mut mac = <hmac::Hmac<sha2::Sha256> as hmac::Mac>::new_from_slice(b"Jefe").unwrap();
        hmac::Mac::update(&mut mac, b"what do ya want for nothing?");
        let rfc: String = hmac::Mac::finalize(mac)
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            rfc,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // The same key over "<ts>.<body>" split as the platform writes it.
        assert_eq!(signature("Jefe", 1_800_000_000, b"{}"), {
            let mut mac = <hmac::Hmac<sha2::Sha256> as hmac::Mac>::new_from_slice(b"Jefe").unwrap();
            hmac::Mac::update(&mut mac, b"1800000000.{}");
            let hex: String = hmac::Mac::finalize(mac)
                .into_bytes()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            format!("sha256={hex}")
        });
    }
}
