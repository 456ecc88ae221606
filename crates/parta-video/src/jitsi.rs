//! Jitsi Meet with token authentication (prosody's `token` authentication, as Jitsi's
//! `tokens.md` gives it): a room's address carries `?jwt=`, a token signed HS256 with the
//! application's secret, naming the application (`iss`), the audience `jitsi`, the site
//! (`sub`), the room, the time it is valid, and the user (`context.user`: id, name,
//! moderator). Jitsi has no attendance callback: who entered is what the platform saw.

use parta_core::config::{JitsiConfig, Secret};
use serde::Serialize;

#[derive(Clone)]
pub struct Jitsi {
    site: String,
    /// The host, the token's `sub`.
    host: String,
    app_id: String,
    secret: Secret,
}

#[derive(Serialize)]
struct Claims<'a> {
    aud: &'a str,
    iss: &'a str,
    sub: &'a str,
    room: &'a str,
    nbf: i64,
    exp: i64,
    context: Context<'a>,
}

#[derive(Serialize)]
struct Context<'a> {
    user: User<'a>,
}

#[derive(Serialize)]
struct User<'a> {
    id: &'a str,
    name: &'a str,
    moderator: bool,
}

/// How long a join address stays usable: a double lesson (the page gives a new one for
/// each entry, and none once the lesson is ended).
pub const TOKEN_SECS: i64 = 2 * 3600;

impl Jitsi {
    pub fn new(cfg: &JitsiConfig) -> Result<Self, String> {
        let site = cfg.url.trim_end_matches('/').to_string();
        let host = site
            .strip_prefix("https://")
            .or_else(|| site.strip_prefix("http://"))
            .and_then(|rest| rest.split(['/', ':']).next())
            .filter(|h| !h.is_empty())
            .ok_or("video.jitsi.url: ожидается адрес, начинающийся с https://")?
            .to_string();
        if cfg.app_id.trim().is_empty() {
            return Err("video.jitsi.app_id: не задан".into());
        }
        Ok(Self {
            site,
            host,
            app_id: cfg.app_id.clone(),
            secret: cfg.secret.clone(),
        })
    }

    /// The person's own address into the room, valid from `now` (seconds) for
    /// [`TOKEN_SECS`].
    pub fn join_url(
        &self,
        room: &str,
        user_id: &str,
        name: &str,
        moderator: bool,
        now: i64,
    ) -> Result<String, String> {
        let claims = Claims {
            aud: "jitsi",
            iss: &self.app_id,
            sub: &self.host,
            room,
            nbf: now - 60,
            exp: now + TOKEN_SECS,
            context: Context {
                user: User {
                    id: user_id,
                    name,
                    moderator,
                },
            },
        };
        let token = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(self.secret.expose().as_bytes()),
        )
        .map_err(|e| e.to_string())?;
        Ok(format!("{}/{room}?jwt={token}", self.site))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_the_one_prosody_checks() {
        let j = Jitsi::new(&JitsiConfig {
            url: "https://meet.school.example/".into(),
            app_id: "parta".into(),
            secret: Secret::new("app-secret"),
        })
        .unwrap();
        let url = j
            .join_url("parta-0a1b", "p-1", "Иванова М. П.", true, 1_800_000_000)
            .unwrap();
        let token = url
            .strip_prefix("https://meet.school.example/parta-0a1b?jwt=")
            .unwrap();
        let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        v.set_audience(&["jitsi"]);
        v.set_issuer(&["parta"]);
        v.validate_exp = false;
        let data = jsonwebtoken::decode::<serde_json::Value>(
            token,
            &jsonwebtoken::DecodingKey::from_secret(b"app-secret"),
            &v,
        )
        .unwrap();
        let c = data.claims;
        assert_eq!(c["sub"], "meet.school.example");
        assert_eq!(c["room"], "parta-0a1b");
        assert_eq!(c["exp"], 1_800_000_000i64 + TOKEN_SECS);
        assert_eq!(c["context"]["user"]["name"], "Иванова М. П.");
        assert_eq!(c["context"]["user"]["moderator"], true);
        // Signed with the secret: another secret does not verify it.
        assert!(jsonwebtoken::decode::<serde_json::Value>(
            token,
            &jsonwebtoken::DecodingKey::from_secret(b"other"),
            &v,
        )
        .is_err());
    }

    #[test]
    fn a_site_without_a_host_is_refused() {
        let bad = JitsiConfig {
            url: "https://".into(),
            app_id: "parta".into(),
            secret: Secret::new("s"),
        };
        assert!(Jitsi::new(&bad).is_err());
    }
}
