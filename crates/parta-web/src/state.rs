use parta_core::config::Config;
use parta_db::audit::AuditLog;
use parta_db::outbox::Outbox;
use parta_db::Db;
use parta_identity::throttle::Throttle;
use parta_identity::Identity;
use parta_notify::{Notifications, Relay};
use parta_registry::Registry;
use parta_roster::Roster;
use parta_schoolday::Journal;
use std::sync::Arc;

/// Everything a handler may need; one reference count to clone. (Cloned per request by
/// every middleware and extractor that takes the state: with its fields cloned one by one,
/// some thirty atomic counts bounced between the cores on every request — 9 % of the
/// diary's CPU, measured.)
#[derive(Clone)]
pub struct AppState(Arc<AppInner>);

impl axum::extract::FromRef<AppState> for parta_http::Door {
    fn from_ref(st: &AppState) -> Self {
        st.door.clone()
    }
}

/// The identity domain answers the door's questions.
struct IdentityDoor(Identity);

impl parta_http::Authenticator for IdentityDoor {
    fn session<'a>(
        &'a self,
        token: &'a str,
    ) -> parta_http::door::BoxFuture<
        'a,
        Result<Option<parta_core::principal::Session>, parta_core::Problem>,
    > {
        Box::pin(async move {
            match self.0.session(token).await {
                Ok(s) => Ok(Some(s)),
                Err(parta_identity::IdentityError::Unauthenticated) => Ok(None),
                Err(e) => Err(e.into()),
            }
        })
    }

    fn token<'a>(
        &'a self,
        secret: &'a str,
    ) -> parta_http::door::BoxFuture<
        'a,
        Result<parta_core::principal::Principal, parta_core::Problem>,
    > {
        Box::pin(async move { self.0.token_principal(secret).await.map_err(Into::into) })
    }
}

/// Each domain's HTTP state.
#[derive(Clone)]
pub struct DomainWebs {
    pub identity: parta_identity::http::Web,
    pub registry: parta_registry::http::Web,
    pub roster: parta_roster::http::Web,
    pub school_day: parta_schoolday::http::Web,
    pub notifications: parta_notify::http::Web,
    pub chats: parta_chat::http::Web,
    pub video: parta_video::http::Web,
}

impl std::ops::Deref for AppState {
    type Target = AppInner;
    fn deref(&self) -> &AppInner {
        &self.0
    }
}

pub struct AppInner {
    pub db: Db,
    /// The cluster's bus (silent on one node).
    pub bus: parta_bus::Bus,
    /// The access log, for what the HTTP layer itself records (refused attempts).
    pub audit: AuditLog,
    pub config: Arc<Config>,
    pub registry: Registry,
    pub identity: Identity,
    pub roster: Roster,
    pub journal: Journal,
    pub notifications: Notifications,
    /// Turns outbox events into notifications; started by [`AppState::start_relay`].
    pub relay: Relay,
    /// Sends queued e-mail and messenger deliveries; started with the relay.
    pub sender: parta_notify::delivery::Sender,
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
    /// Operations of the OpenAPI document, as `METHOD /path/{param}`.
    pub documented: Arc<std::collections::HashSet<String>>,
    /// Page routes of every domain, as `METHOD /path/{param}` (read off the routers).
    pub pages: Arc<std::collections::HashSet<String>>,
    /// Each domain's HTTP state: what its handlers need.
    pub web: DomainWebs,
    /// Sessions, API tokens and their scopes, proxies: what every domain's HTTP asks of
    /// a request (`parta_http::Door`, taken from this state with `FromRef`).
    pub door: parta_http::Door,
    /// Refused attempts written per caller and minute.
    pub refusals: crate::ops::RefusalLimiter,
    /// Load shedding: places for reads and writes.
    pub admission: crate::ops::Admission,
}

impl AppState {
    pub fn new(
        db: Db,
        config: Config,
        throttle: Throttle,
    ) -> Result<Self, parta_identity::IdentityError> {
        let audit = AuditLog::start(db.clone());
        let registry = Registry::new(db.clone(), audit.clone());
        let roster = Roster::new(db.clone(), audit.clone());
        let outbox = Outbox::new();
        let files = parta_db::files::FileStore::from_config(&config).map_err(|e| {
            parta_identity::IdentityError::Problem(parta_core::Problem::internal().with_detail(e))
        })?;
        // The cluster's bus: what one node's caches forget, every node's do.
        let bus = match &config.nats_url {
            Some(url) => parta_bus::Bus::nats(url.expose()),
            None => parta_bus::Bus::single(),
        };
        let journal = Journal::new(
            db.clone(),
            audit.clone(),
            registry.clone(),
            outbox.clone(),
            files.clone(),
        )
        .with_quotas(config.storage)
        .with_bus(bus.clone());
        let sender = parta_notify::delivery::Sender::new(
            db.clone(),
            &config.notifications,
            config.public_url.clone(),
        )
        .map_err(|e| {
            parta_identity::IdentityError::Problem(parta_core::Problem::internal().with_detail(e))
        })?;
        let relay = Relay::new(db.clone(), registry.clone(), outbox.clone()).with_delivery(
            parta_notify::delivery::Schedule::from_config(&config.notifications),
            sender.waker(),
        );
        let notifications =
            Notifications::new(db.clone()).with_config(config.notifications.clone());
        let chats = parta_chat::Chats::new(
            db.clone(),
            parta_chat::search::open(&parta_chat::search::dir_in(&config.data_dir), db.clone())?,
            &files,
            config.storage,
            config.chats,
        );
        let mut identity =
            Identity::new(db.clone(), audit.clone(), throttle, config.session.clone())
                .with_bus(bus.clone());
        if let Some(oidc) = &config.oidc {
            identity = identity.with_oidc(oidc.clone())?;
        }
        let videos = parta_video::Videos::new(
            db.clone(),
            audit.clone(),
            registry.clone(),
            journal.clone(),
            outbox,
            &config.video,
            config.public_url.clone(),
        )
        .map_err(|e| {
            parta_identity::IdentityError::Problem(parta_core::Problem::internal().with_detail(e))
        })?;
        let admission = crate::ops::Admission::new(&config.admission);
        let secure_cookies = config.secure_cookies();
        let public_url = config.public_url.clone();
        let demo = config.demo;
        let door = parta_http::Door {
            auth: Arc::new(IdentityDoor(identity.clone())),
            token_access: Arc::new(crate::api::token_access()),
            trusted_proxies: Arc::new(crate::ops::networks(&config.trusted_proxies)),
        };
        Ok(Self(Arc::new(AppInner {
            db,
            bus,
            audit,
            config: Arc::new(config),
            registry: registry.clone(),
            identity: identity.clone(),
            roster: roster.clone(),
            journal: journal.clone(),
            notifications: notifications.clone(),
            relay,
            sender,
            metrics: crate::ops::metrics_handle(),
            documented: Arc::new(crate::api::documented_operations()),
            pages: Arc::new(crate::router::page_routes().into_iter().collect()),
            web: DomainWebs {
                identity: parta_http::Web::new(parta_identity::http::Deps {
                    identity: identity.clone(),
                    secure_cookies,
                    public_url,
                    demo,
                    door: door.clone(),
                }),
                registry: parta_http::Web::new(parta_registry::http::Deps {
                    registry: registry.clone(),
                    door: door.clone(),
                }),
                roster: parta_http::Web::new(parta_roster::http::Deps {
                    roster: roster.clone(),
                    identity: identity.clone(),
                    registry: registry.clone(),
                    door: door.clone(),
                }),
                school_day: parta_http::Web::new(parta_schoolday::http::Deps {
                    journal: journal.clone(),
                    registry: registry.clone(),
                    door: door.clone(),
                }),
                notifications: parta_http::Web::new(parta_notify::http::Deps {
                    notifications: notifications.clone(),
                    door: door.clone(),
                }),
                chats: parta_http::Web::new(parta_chat::http::Deps {
                    chats,
                    door: door.clone(),
                }),
                video: parta_http::Web::new(parta_video::http::Deps {
                    videos,
                    door: door.clone(),
                }),
            },

            admission,
            door,
            refusals: Default::default(),
        })))
    }

    /// Starts the notification relay of this process and the sender of what it queues
    /// for e-mail and the messenger (call once, inside the runtime).
    pub fn start_relay(&self) -> tokio::task::JoinHandle<()> {
        self.sender.clone().spawn();
        self.relay.clone().spawn()
    }

    /// Starts sending scheduled chat messages at their time.
    pub fn start_chat_scheduler(&self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(self.web.chats.chats.clone().run_scheduler())
    }

    /// Starts housekeeping that needs nobody to look after it, once per cluster
    /// whichever node comes first (a lease in the database, [`parta_db::jobs`]): a sweep
    /// of orphaned homework files, the chats' retention and forgetting old delivery
    /// records daily; a sweep of chat files uploaded and never sent hourly. Each node looks
    /// every five minutes, so a node that dies mid-job leaves it to another within the
    /// job's lease.
    pub fn start_housekeeping(&self) -> tokio::task::JoinHandle<()> {
        let journal = self.journal.clone();
        let chats = self.web.chats.chats.clone();
        let sender = self.sender.clone();
        let jobs = parta_db::jobs::Jobs::new(self.db.clone());
        /// What a job gave, when it was this node's turn; a lease that could not be read
        /// is logged and tried at the next look.
        fn took<T>(r: Result<Option<T>, sqlx::Error>, job: &str) -> Option<T> {
            r.unwrap_or_else(|e| {
                tracing::warn!(job, error = %e, "job's lease not taken or not given back");
                None
            })
        }
        tokio::spawn(async move {
            const HOUR: std::time::Duration = std::time::Duration::from_secs(3600);
            const DAY: std::time::Duration = std::time::Duration::from_secs(24 * 3600);
            let mut every = tokio::time::interval(std::time::Duration::from_secs(300));
            loop {
                every.tick().await;
                match took(
                    jobs.run("homework-files", DAY, HOUR, journal.sweep_files())
                        .await,
                    "homework-files",
                ) {
                    Some(Ok(0)) | None => {}
                    Some(Ok(n)) => tracing::info!(removed = n, "orphaned files removed"),
                    Some(Err(_)) => {} // logged by the sweep
                }
                match took(
                    jobs.run("chat-retention", DAY, HOUR, chats.apply_retention())
                        .await,
                    "chat-retention",
                ) {
                    Some(Ok(0)) | None => {}
                    Some(Ok(n)) => {
                        tracing::info!(deleted = n, "chat messages past their keeping deleted")
                    }
                    Some(Err(e)) => tracing::warn!(error = %e.title, "chat retention not applied"),
                }
                match took(
                    jobs.run("delivery-records", DAY, HOUR, sender.forget_done())
                        .await,
                    "delivery-records",
                ) {
                    Some(Ok(0)) | None => {}
                    Some(Ok(n)) => tracing::info!(forgotten = n, "old delivery records removed"),
                    Some(Err(e)) => tracing::warn!(error = %e, "delivery records not removed"),
                }
                match took(
                    jobs.run("chat-files", HOUR, HOUR / 2, chats.sweep_files())
                        .await,
                    "chat-files",
                ) {
                    Some(Ok(0)) | None => {}
                    Some(Ok(n)) => tracing::info!(removed = n, "unsent chat files removed"),
                    Some(Err(_)) => {} // logged by the sweep
                }
            }
        })
    }
}
