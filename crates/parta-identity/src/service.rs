//! Sign-in, sessions, role switching, password changes and API tokens.

use crate::store::{self, AccountRow};
use crate::throttle::{Attempt, Throttle};
use crate::{password, IdentityError};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use parta_core::config::SessionConfig;
use parta_core::ids::{AccountId, PersonId, RoleAssignmentId};
use parta_core::policy::{decide, Decision, Operation, Target};
use parta_core::principal::{Principal, RoleAssignment, Via};
use parta_core::time::now_ms;
use parta_db::audit::{AuditEntry, AuditLog};
use parta_db::Db;
use rand::RngCore;
use sha2::{Digest, Sha256};

pub(crate) type Result<T> = std::result::Result<T, IdentityError>;

/// Last-seen is written at most this often, so reads don't turn into writes.
const TOUCH_EVERY_MS: i64 = 60_000;
/// A resolved session is reused this long, so a burst of requests loads the principal
/// once. Revocations in this process take effect at once; other nodes of a cluster see
/// a revocation or a new class assignment within this time.
const CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(5);
const CACHE_MAX: usize = 100_000;

/// A resolved session with when it was cached and the times its expiry depends on.
struct CachedSession {
    cached: std::time::Instant,
    info: SessionInfo,
    created: i64,
    seen: i64,
}

/// Sessions resolved recently, by the hash of their id. A session signed out, or an
/// account's sessions ended (a password changed, an account locked), are forgotten here
/// and — through the bus — on every node of a cluster at once; `CACHE_TTL` bounds a
/// copy's age should a message be lost.
#[derive(Clone, Default)]
pub struct SessionCache {
    map: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, CachedSession>>>,
    bus: parta_bus::Bus,
}

impl SessionCache {
    /// Tells the other nodes what is forgotten here, and forgets what they tell.
    pub(crate) fn with_bus(mut self, bus: parta_bus::Bus) -> Self {
        let cache = self.clone();
        bus.on("sessions.forget", move |payload| {
            if let Ok(id_hash) = std::str::from_utf8(payload) {
                cache.forget_here(id_hash);
            }
        });
        let cache = self.clone();
        bus.on("sessions.forget_account", move |payload| {
            if let Some(account) = std::str::from_utf8(payload)
                .ok()
                .and_then(|s| s.parse::<AccountId>().ok())
            {
                cache.forget_account_here(account);
            }
        });
        self.bus = bus;
        self
    }

    fn get(&self, id_hash: &str, now: i64, idle: i64, absolute: i64) -> Option<SessionInfo> {
        let map = self.map.lock().ok()?;
        let c = map.get(id_hash)?;
        let fresh =
            c.cached.elapsed() < CACHE_TTL && now - c.seen <= idle && now - c.created <= absolute;
        fresh.then(|| c.info.clone())
    }
    fn put(&self, info: &SessionInfo, created: i64, seen: i64) {
        if let Ok(mut map) = self.map.lock() {
            if map.len() >= CACHE_MAX {
                map.retain(|_, c| c.cached.elapsed() < CACHE_TTL);
            }
            let entry = CachedSession {
                cached: std::time::Instant::now(),
                info: info.clone(),
                created,
                seen,
            };
            map.insert(info.id_hash.clone(), entry);
        }
    }
    fn forget(&self, id_hash: &str) {
        self.forget_here(id_hash);
        self.bus.publish("sessions.forget", id_hash.to_string());
    }
    pub(crate) fn forget_account(&self, account: AccountId) {
        self.forget_account_here(account);
        self.bus
            .publish("sessions.forget_account", account.to_string());
    }
    fn forget_here(&self, id_hash: &str) {
        if let Ok(mut map) = self.map.lock() {
            map.remove(id_hash);
        }
    }
    fn forget_account_here(&self, account: AccountId) {
        if let Ok(mut map) = self.map.lock() {
            map.retain(|_, c| c.info.principal.account_id != account);
        }
    }
}

#[derive(Clone)]
pub struct Identity {
    pub db: Db,
    pub audit: AuditLog,
    pub throttle: Throttle,
    pub session: SessionConfig,
    pub oidc: Option<crate::oidc::Oidc>,
    pub(crate) cache: SessionCache,
    hashing: crate::password::HashPool,
    /// Operators' aggregates of accounts per school, counted at most once a minute.
    pub(crate) activation: crate::letters::ActivationCache,
}

/// A fresh session: the secret for the cookie and the CSRF token for forms.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub session_token: String,
    pub csrf_token: String,
    /// The browser's device id, to keep in a long-lived cookie: a browser that has signed
    /// into the account before is not held back by throttling aimed at strangers. Set by a
    /// password sign-in.
    pub device_token: Option<String>,
    pub person_id: PersonId,
    pub display_name: String,
    pub active: RoleAssignment,
    pub roles: Vec<RoleAssignment>,
}

/// A session looked up from its cookie (the type lives in the kernel: the HTTP layer
/// carries it without knowing this crate).
pub type SessionInfo = parta_core::principal::Session;

pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

pub fn sha256_hex(s: &str) -> String {
    let d = Sha256::digest(s.as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

fn audit_entry(person: Option<PersonId>, action: &'static str, ip: Option<&str>) -> AuditEntry {
    AuditEntry {
        actor_person_id: person,
        action,
        subject_person_id: person,
        object_type: "account",
        ip: ip.map(str::to_string),
        ..Default::default()
    }
}

impl Identity {
    pub fn new(db: Db, audit: AuditLog, throttle: Throttle, session: SessionConfig) -> Self {
        Self {
            db,
            audit,
            throttle,
            session,
            oidc: None,
            cache: SessionCache::default(),
            hashing: crate::password::HashPool::start(),
            activation: Default::default(),
        }
    }

    /// Tells the other nodes of a cluster when sessions end (and hears them).
    pub fn with_bus(mut self, bus: parta_bus::Bus) -> Self {
        self.cache = std::mem::take(&mut self.cache).with_bus(bus);
        self
    }

    /// Turns on sign-in through an OpenID Connect provider.
    pub fn with_oidc(mut self, config: parta_core::config::OidcConfig) -> Result<Self> {
        self.oidc = Some(crate::oidc::Oidc::new(config)?);
        Ok(self)
    }

    /// Runs argon2 work on the hashing threads, one per core.
    async fn blocking_hash<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        self.hashing.run(f).await
    }

    pub(crate) async fn hash_password(&self, p: &str) -> Result<String> {
        let p = p.to_string();
        self.blocking_hash(move || password::hash(&p))
            .await
            .and_then(|r| r.ok())
            .ok_or(IdentityError::Problem(parta_core::Problem::internal()))
    }

    /// Local sign-in. The password check runs on the hashing threads; an unknown login
    /// costs the same time as a wrong password. `device` is the browser's device cookie,
    /// if it has one: a browser that signed into this account before is throttled only by
    /// its own failures (see [`crate::throttle`]).
    pub async fn sign_in(
        &self,
        login: &str,
        pass: &str,
        ip: &str,
        device: Option<&str>,
    ) -> Result<SignedIn> {
        let login = login.trim().to_lowercase();
        if login.is_empty() || pass.is_empty() {
            let mut errs = Vec::new();
            if login.is_empty() {
                errs.push(parta_core::FieldError::new("login", "Введите логин."));
            }
            if pass.is_empty() {
                errs.push(parta_core::FieldError::new("password", "Введите пароль."));
            }
            return Err(IdentityError::Invalid(errs));
        }
        if login.chars().count() > 200 || pass.chars().count() > 1024 {
            return Err(IdentityError::BadCredentials);
        }
        let account = store::account_by_login(&self.db, &login).await?;
        let device_hash = device.filter(|d| d.len() <= 64).map(sha256_hex);
        let known = match (&account, &device_hash) {
            (Some(a), Some(h)) => store::device_known(&self.db, h, a.id).await?,
            _ => false,
        };
        let attempt = Attempt {
            login: &login,
            address: ip,
            known_device: device_hash.as_deref().filter(|_| known),
        };
        self.throttle
            .check(&attempt)
            .map_err(IdentityError::Throttled)?;
        let pass = pass.to_string();
        let phc = account.as_ref().and_then(|a| a.password_hash.clone());
        let ok = self
            .blocking_hash(move || match phc {
                Some(phc) => password::verify(&pass, &phc),
                None => {
                    password::dummy_verify(&pass);
                    false
                }
            })
            .await
            .unwrap_or(false);
        let Some(account) = account.filter(|a| ok && a.disabled == 0) else {
            self.throttle.failed(&attempt);
            return Err(IdentityError::BadCredentials);
        };
        self.throttle.succeeded(&attempt);
        // The browser keeps its id only if the platform issued it (it is known to some
        // account); a browser without one, or with one it made up, gets a new one.
        let issued = match (device, &device_hash) {
            (Some(d), Some(h)) if known || store::device_exists(&self.db, h).await? => {
                Some(d.to_string())
            }
            _ => None,
        };
        let token = issued.unwrap_or_else(random_token);
        let audit = audit_entry(Some(account.person_id), "sign_in", Some(ip));
        let mut signed = self
            .open_session_on(
                &account,
                None,
                Some(ip),
                Some(audit),
                Some(&sha256_hex(&token)),
            )
            .await?;
        signed.device_token = Some(token);
        Ok(signed)
    }

    /// Opens a new session (a new id every time: the id is rotated at sign-in); the
    /// sign-in's audit record commits with it.
    pub async fn open_session(
        &self,
        account: &AccountRow,
        role: Option<RoleAssignmentId>,
        ip: Option<&str>,
        audit: Option<AuditEntry>,
    ) -> Result<SignedIn> {
        self.open_session_on(account, role, ip, audit, None).await
    }

    /// [`Self::open_session`], remembering the browser (its device id's hash) as one
    /// that signed into the account, in the same transaction.
    async fn open_session_on(
        &self,
        account: &AccountRow,
        role: Option<RoleAssignmentId>,
        ip: Option<&str>,
        audit: Option<AuditEntry>,
        device_hash: Option<&str>,
    ) -> Result<SignedIn> {
        let roles = store::roles(&self.db, account.person_id).await?;
        let active = match role {
            Some(r) => roles.iter().find(|x| x.id == r).cloned(),
            None => roles.first().cloned(),
        }
        .ok_or(IdentityError::Forbidden)?;
        let token = random_token();
        let csrf = random_token();
        let mut tx = self.db.begin_write().await?;
        store::insert_session(
            &mut tx,
            &sha256_hex(&token),
            account.id,
            active.id,
            &csrf,
            now_ms(),
            ip,
        )
        .await?;
        if let Some(entry) = audit {
            AuditLog::record_in(&mut tx, entry).await?;
        }
        if let Some(d) = device_hash {
            store::remember_device(&mut tx, d, account.id, now_ms()).await?;
        }
        tx.commit().await?;
        // The scope is resolved when the session is first used, not here.
        Ok(SignedIn {
            session_token: token,
            csrf_token: csrf,
            device_token: None,
            person_id: account.person_id,
            display_name: account.display_name.clone(),
            active,
            roles,
        })
    }

    async fn principal(
        &self,
        account: &AccountRow,
        active: RoleAssignment,
        roles: Vec<RoleAssignment>,
        via: Via,
    ) -> Result<Principal> {
        let scope = store::scope(&self.db, account.person_id, &active).await?;
        Ok(Principal {
            person_id: account.person_id,
            account_id: account.id,
            display_name: account.display_name.clone(),
            active,
            roles,
            scope,
            via,
        })
    }

    /// Resolves a session cookie, enforcing idle and absolute timeouts.
    pub async fn session(&self, token: &str) -> Result<SessionInfo> {
        let id_hash = sha256_hex(token);
        let now = now_ms();
        let idle = self.session.idle_minutes * 60_000;
        let absolute = self.session.absolute_hours * 3_600_000;
        if let Some(info) = self.cache.get(&id_hash, now, idle, absolute) {
            return Ok(info);
        }
        let row = store::session(&self.db, &id_hash)
            .await?
            .ok_or(IdentityError::Unauthenticated)?;
        if now - row.last_seen_at > idle || now - row.created_at > absolute {
            store::delete_session(&self.db, &id_hash).await?;
            return Err(IdentityError::Unauthenticated);
        }
        let mut seen = row.last_seen_at;
        if now - row.last_seen_at > TOUCH_EVERY_MS {
            store::touch_session(&self.db, &id_hash, now).await?;
            seen = now;
        }
        let account = store::account(&self.db, row.account_id)
            .await?
            .ok_or(IdentityError::Unauthenticated)?;
        if account.disabled != 0 {
            return Err(IdentityError::Unauthenticated);
        }
        let roles = store::roles(&self.db, account.person_id).await?;
        let active = roles
            .iter()
            .find(|r| r.id == row.active_role_id)
            .cloned()
            .ok_or(IdentityError::Unauthenticated)?;
        let principal = self
            .principal(&account, active, roles, Via::Session)
            .await?;
        let info = SessionInfo {
            id_hash,
            csrf_token: row.csrf_token,
            principal,
            must_change_password: account.must_change_password != 0,
        };
        self.cache.put(&info, row.created_at, seen);
        Ok(info)
    }

    pub async fn sign_out(&self, info: &SessionInfo) -> Result<()> {
        // Row first, cache second: a request in between cannot re-cache a revoked session.
        store::delete_session(&self.db, &info.id_hash).await?;
        self.cache.forget(&info.id_hash);
        self.audit
            .record(audit_entry(
                Some(info.principal.person_id),
                "sign_out",
                None,
            ))
            .await?;
        Ok(())
    }

    /// Switches the session to another of the person's roles.
    pub async fn switch_role(&self, info: &SessionInfo, role: RoleAssignmentId) -> Result<()> {
        if !info.principal.roles.iter().any(|r| r.id == role) {
            return Err(IdentityError::invalid("role_id", "У вас нет такой роли."));
        }
        store::set_session_role(&self.db, &info.id_hash, role).await?;
        self.cache.forget(&info.id_hash);
        Ok(())
    }

    /// Changes one's own password: all sessions are revoked and a new one opened.
    pub async fn change_password(
        &self,
        info: &SessionInfo,
        old: &str,
        new: &str,
        ip: &str,
    ) -> Result<SignedIn> {
        let account = store::account(&self.db, info.principal.account_id)
            .await?
            .ok_or(IdentityError::Unauthenticated)?;
        // Guessing the current password from a signed-in session is throttled by the
        // session: nobody else is slowed down by it.
        let attempt = Attempt {
            login: &account.login,
            address: ip,
            known_device: Some(&info.id_hash),
        };
        self.throttle
            .check(&attempt)
            .map_err(IdentityError::Throttled)?;
        let phc = account.password_hash.clone().unwrap_or_default();
        let old_pass = old.to_string();
        let ok = self
            .blocking_hash(move || password::verify(&old_pass, &phc))
            .await
            .unwrap_or(false);
        if !ok {
            self.throttle.failed(&attempt);
            return Err(IdentityError::invalid(
                "old_password",
                "Текущий пароль указан неверно.",
            ));
        }
        self.throttle.succeeded(&attempt);
        if new == old {
            return Err(IdentityError::invalid(
                "new_password",
                "Новый пароль совпадает с текущим — придумайте другой.",
            ));
        }
        password::check_strength(
            new,
            &password::context(&account.login, &account.display_name),
        )
        .map_err(|m| IdentityError::invalid("new_password", m))?;
        let hash = self.hash_password(new).await?;
        store::set_password(&self.db, account.id, &hash, now_ms()).await?;
        store::delete_sessions_of(&self.db, account.id).await?;
        store::forget_devices_of(&self.db, account.id).await?;
        self.cache.forget_account(account.id);
        self.audit
            .record(audit_entry(
                Some(account.person_id),
                "change_password",
                Some(ip),
            ))
            .await?;
        self.open_session(&account, Some(info.principal.active.id), Some(ip), None)
            .await
    }

    /// Creates an account for a person (CLI, demo, admin). The password must be strong.
    pub async fn create_account(
        &self,
        person: PersonId,
        login: &str,
        pass: Option<&str>,
    ) -> Result<AccountId> {
        let login = login.trim().to_lowercase();
        if login.len() < 3
            || !login
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c))
        {
            return Err(IdentityError::invalid(
                "login",
                "Логин — латинские буквы, цифры и знаки . _ - @, не короче 3 символов.",
            ));
        }
        let hash = match pass {
            Some(p) => {
                let name = store::person_name(&self.db, person)
                    .await?
                    .unwrap_or_default();
                password::check_strength(p, &password::context(&login, &name))
                    .map_err(|m| IdentityError::invalid("password", m))?;
                Some(self.hash_password(p).await?)
            }
            None => None,
        };
        let id = AccountId::new();
        store::insert_account(&self.db, id, person, &login, hash.as_deref(), now_ms())
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(d) if d.is_unique_violation() => IdentityError::invalid(
                    "login",
                    "Такой логин уже занят или у человека уже есть учётная запись.",
                ),
                _ => IdentityError::Db(e),
            })?;
        Ok(id)
    }

    /// Sets a new password by login (CLI `parta user reset-password`); revokes sessions.
    pub async fn reset_password(&self, login: &str, pass: &str) -> Result<()> {
        let account = store::account_by_login(&self.db, login)
            .await?
            .ok_or(IdentityError::NotFound)?;
        password::check_strength(
            pass,
            &password::context(&account.login, &account.display_name),
        )
        .map_err(|m| IdentityError::invalid("password", m))?;
        let current = account.password_hash.clone().unwrap_or_default();
        let candidate = pass.to_string();
        if self
            .blocking_hash(move || password::verify(&candidate, &current))
            .await
            .unwrap_or(false)
        {
            return Err(IdentityError::invalid(
                "password",
                "Новый пароль совпадает с текущим — придумайте другой.",
            ));
        }
        let hash = self.hash_password(pass).await?;
        store::set_password(&self.db, account.id, &hash, now_ms()).await?;
        store::delete_sessions_of(&self.db, account.id).await?;
        store::forget_devices_of(&self.db, account.id).await?;
        self.cache.forget_account(account.id);
        self.audit
            .record(audit_entry(Some(account.person_id), "reset_password", None))
            .await?;
        Ok(())
    }

    /// Issues an API token acting in `role` with `scopes`. The secret is returned once;
    /// only its hash is stored.
    pub async fn issue_token(
        &self,
        p: &Principal,
        name: &str,
        role: RoleAssignmentId,
        scopes: &[String],
    ) -> Result<(String, String)> {
        if decide(p, Operation::ManageApiTokens, Target::Platform) != Decision::Allow {
            return Err(IdentityError::Forbidden);
        }
        let mut errs = Vec::new();
        if name.trim().is_empty() {
            errs.push(parta_core::FieldError::new(
                "name",
                "Назовите токен (например, «Выгрузка в региональную систему»).",
            ));
        }
        let known = parta_core::policy::TOKEN_SCOPES;
        if scopes.is_empty()
            || scopes.len() > known.len()
            || scopes.iter().any(|s| !known.contains(&s.as_str()))
        {
            errs.push(parta_core::FieldError::new(
                "scopes",
                format!("Допустимые области: {}.", known.join(", ")),
            ));
        }
        if store::role_by_id(&self.db, role).await?.is_none() {
            errs.push(parta_core::FieldError::new("role_id", "Роль не найдена."));
        }
        if !errs.is_empty() {
            return Err(IdentityError::Invalid(errs));
        }
        let secret = format!("parta_{}", random_token());
        let id = uuid::Uuid::now_v7().to_string();
        sqlx::query(
            "INSERT INTO api_tokens (id, name, token_hash, role_id, scopes, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.clone())
        .bind(name.trim().to_string())
        .bind(sha256_hex(&secret))
        .bind(role)
        .bind(scopes.join(" "))
        .bind(p.person_id)
        .bind(now_ms())
        .execute(&self.db.pool)
        .await?;
        let mut e = audit_entry(Some(p.person_id), "issue_token", None);
        e.object_type = "api_token";
        e.object_id = Some(id.clone());
        self.audit.record(e).await?;
        Ok((id, secret))
    }

    pub async fn revoke_token(&self, p: &Principal, id: &str) -> Result<()> {
        if decide(p, Operation::ManageApiTokens, Target::Platform) != Decision::Allow {
            return Err(IdentityError::Forbidden);
        }
        let r = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
        )
        .bind(id.to_string())
        .bind(now_ms())
        .execute(&self.db.pool)
        .await?;
        if r.rows_affected() == 0 {
            return Err(IdentityError::NotFound);
        }
        Ok(())
    }

    pub async fn tokens(&self, p: &Principal) -> Result<Vec<store::ApiTokenRow>> {
        if decide(p, Operation::ManageApiTokens, Target::Platform) != Decision::Allow {
            return Err(IdentityError::Forbidden);
        }
        Ok(store::tokens(&self.db).await?)
    }

    /// Resolves a bearer token into a principal limited to the token's scopes.
    /// An OAuth access token (`parta_at_…`) acts as its client with the scopes granted.
    pub async fn token_principal(&self, secret: &str) -> Result<Principal> {
        let (client_hash, granted) = if secret.starts_with(crate::oauth::ACCESS_PREFIX) {
            let (hash, scopes) = self
                .access_token(secret)
                .await?
                .ok_or(IdentityError::Unauthenticated)?;
            (hash, Some(scopes))
        } else {
            (sha256_hex(secret), None)
        };
        let (id, role_id, scopes, revoked, used) = store::token_by_hash(&self.db, &client_hash)
            .await?
            .ok_or(IdentityError::Unauthenticated)?;
        let scopes = granted.unwrap_or(scopes);
        if revoked.is_some() {
            return Err(IdentityError::Unauthenticated);
        }
        // When it was last used, to the minute (one write a minute, not one a request).
        let now = now_ms();
        if used.is_none_or(|u| now - u >= 60_000) {
            store::touch_token(&self.db, &id, now).await?;
        }
        let (person, active) = store::role_by_id(&self.db, role_id)
            .await?
            .ok_or(IdentityError::Unauthenticated)?;
        let account = store::account_of_person(&self.db, person)
            .await?
            .filter(|a| a.disabled == 0)
            .ok_or(IdentityError::Unauthenticated)?;
        let scopes = scopes.split_whitespace().map(str::to_string).collect();
        self.principal(
            &account,
            active.clone(),
            vec![active],
            Via::ApiToken { scopes },
        )
        .await
    }

    /// Removes expired sessions and stale throttle keys.
    pub async fn housekeeping(&self) -> Result<u64> {
        self.throttle.housekeeping();
        let now = now_ms();
        sqlx::query("DELETE FROM oauth_access_tokens WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.db.pool)
            .await?;
        Ok(store::purge_sessions(
            &self.db,
            now - self.session.idle_minutes * 60_000,
            now - self.session.absolute_hours * 3_600_000,
        )
        .await?)
    }
}
