//! BigBlueButton's API, as its documentation gives it: every call is a GET (or POST) to
//! `<api>/<call>?<query>&checksum=<hex>` where the checksum is a hash (SHA-1 by the old
//! servers, SHA-256…512 by the new) of the call's name, the query string and the shared
//! secret. The platform creates the meeting when the first person enters (`create` is
//! idempotent), sends each entitled person to their own signed `join` address, ends it,
//! and reads the recordings. After the meeting BigBlueButton posts the learning
//! dashboard's data (who was there and how long) to the analytics callback, with a JWT
//! (HS512, the shared secret) in `Authorization`, and tells the recording-ready callback
//! that a recording is published (`signed_parameters`: a JWT, HS256, the shared secret).

use parta_core::config::{BbbConfig, Secret};
use quick_xml::events::Event;
use serde::Deserialize;
use sha1::Digest;
use std::time::Duration;

/// What went wrong talking to a video server.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// No answer (down, unreachable, too slow) or an answer that is not the API's.
    #[error("сервер видеосвязи не отвечает: {0}")]
    Unreachable(String),
    /// The server answered FAILED with this `messageKey` and message.
    #[error("сервер видеосвязи отказал: {0} ({1})")]
    Refused(String, String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checksum {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl Checksum {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "sha1" => Some(Self::Sha1),
            "sha256" => Some(Self::Sha256),
            "sha384" => Some(Self::Sha384),
            "sha512" => Some(Self::Sha512),
            _ => None,
        }
    }

    fn hex(self, input: &[u8]) -> String {
        let bytes: Vec<u8> = match self {
            Self::Sha1 => sha1::Sha1::digest(input).to_vec(),
            Self::Sha256 => sha2::Sha256::digest(input).to_vec(),
            Self::Sha384 => sha2::Sha384::digest(input).to_vec(),
            Self::Sha512 => sha2::Sha512::digest(input).to_vec(),
        };
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// A meeting to create: one video lesson.
pub struct NewMeeting<'a> {
    pub meeting_id: &'a str,
    pub name: &'a str,
    pub moderator_pw: &'a str,
    pub attendee_pw: &'a str,
    /// Where people go when they leave (the lesson's video page).
    pub logout_url: Option<String>,
    /// The platform's callbacks, when it has a public address.
    pub analytics_url: Option<String>,
    pub recording_ready_url: Option<String>,
    /// Minutes after which the server ends the meeting by itself.
    pub duration_min: u32,
}

#[derive(Clone)]
pub struct Bbb {
    api: String,
    secret: Secret,
    checksum: Checksum,
    http: reqwest::Client,
}

/// The analytics callback's body (version 1.0): the meeting and who attended.
#[derive(Debug, Deserialize)]
pub struct Analytics {
    pub meeting_id: String,
    /// The engine's own id of the room (a new one each time it makes the room anew).
    #[serde(default)]
    pub internal_meeting_id: String,
    pub data: AnalyticsData,
}

#[derive(Debug, Deserialize)]
pub struct AnalyticsData {
    #[serde(default)]
    pub attendees: Vec<AnalyticsAttendee>,
}

#[derive(Debug, Deserialize)]
pub struct AnalyticsAttendee {
    /// The `userID` the platform gave at join: the person's id.
    #[serde(default)]
    pub ext_user_id: Option<String>,
    #[serde(default)]
    pub moderator: bool,
    /// Seconds in the meeting, all sessions together.
    #[serde(default)]
    pub duration: f64,
}

#[derive(Deserialize)]
struct Expiring {
    #[allow(dead_code)]
    exp: i64,
}

#[derive(Deserialize)]
struct RecordingReady {
    meeting_id: String,
    #[allow(dead_code)]
    record_id: String,
}

impl Bbb {
    /// The server of the configuration; `None` with a reason when it cannot be used.
    pub fn new(cfg: &BbbConfig) -> Result<Self, String> {
        let checksum = Checksum::parse(&cfg.checksum)
            .ok_or("video.bbb.checksum: ожидается sha1, sha256, sha384 или sha512")?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("video.bbb: {e}"))?;
        Ok(Self {
            api: cfg.url.trim_end_matches('/').to_string(),
            secret: cfg.secret.clone(),
            checksum,
            http,
        })
    }

    /// The checksum of a call: hash(call + query + secret), in hex.
    pub fn checksum(&self, call: &str, query: &str) -> String {
        self.checksum
            .hex(format!("{call}{query}{}", self.secret.expose()).as_bytes())
    }

    /// The signed address of a call with these parameters (form-encoded, in order).
    pub fn url(&self, call: &str, params: &[(&str, &str)]) -> String {
        let query = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        let sum = self.checksum(call, &query);
        if query.is_empty() {
            format!("{}/{call}?checksum={sum}", self.api)
        } else {
            format!("{}/{call}?{query}&checksum={sum}", self.api)
        }
    }

    async fn call(&self, call: &str, params: &[(&str, &str)]) -> Result<Answer, EngineError> {
        let res = self
            .http
            .get(self.url(call, params))
            .send()
            .await
            .map_err(|e| EngineError::Unreachable(e.without_url().to_string()))?;
        if !res.status().is_success() {
            return Err(EngineError::Unreachable(format!("HTTP {}", res.status())));
        }
        let body = res
            .text()
            .await
            .map_err(|e| EngineError::Unreachable(e.without_url().to_string()))?;
        let answer = Answer::parse(&body)?;
        if answer.returncode != "SUCCESS" {
            return Err(EngineError::Refused(answer.message_key, answer.message));
        }
        Ok(answer)
    }

    /// Creates the meeting (again: the server answers with the one that exists).
    pub async fn create(&self, m: &NewMeeting<'_>) -> Result<(), EngineError> {
        let duration = m.duration_min.to_string();
        let mut params: Vec<(&str, &str)> = vec![
            ("name", m.name),
            ("meetingID", m.meeting_id),
            ("attendeePW", m.attendee_pw),
            ("moderatorPW", m.moderator_pw),
            ("record", "true"),
            ("autoStartRecording", "false"),
            ("allowStartStopRecording", "true"),
            ("meetingKeepEvents", "true"),
            ("duration", &duration),
        ];
        if let Some(u) = &m.logout_url {
            params.push(("logoutURL", u));
        }
        if let Some(u) = &m.analytics_url {
            params.push(("meta_analytics-callback-url", u));
        }
        if let Some(u) = &m.recording_ready_url {
            params.push(("meta_bbb-recording-ready-url", u));
        }
        self.call("create", &params).await.map(|_| ())
    }

    /// A person's own address into the meeting: moderators lead it, attendees watch and
    /// speak. The `userID` is the person's id, so attendance comes back named.
    pub fn join_url(
        &self,
        meeting_id: &str,
        full_name: &str,
        user_id: &str,
        moderator: bool,
        password: &str,
    ) -> String {
        self.url(
            "join",
            &[
                ("fullName", full_name),
                ("meetingID", meeting_id),
                ("password", password),
                ("role", if moderator { "MODERATOR" } else { "VIEWER" }),
                ("userID", user_id),
                ("redirect", "true"),
            ],
        )
    }

    /// Ends the meeting for everyone. A meeting the server no longer has is ended already.
    pub async fn end(&self, meeting_id: &str, moderator_pw: &str) -> Result<(), EngineError> {
        match self
            .call(
                "end",
                &[("meetingID", meeting_id), ("password", moderator_pw)],
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(EngineError::Refused(key, _)) if key == "notFound" => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The playback addresses of the meeting's published recordings.
    pub async fn recordings(&self, meeting_id: &str) -> Result<Vec<String>, EngineError> {
        Ok(self
            .call("getRecordings", &[("meetingID", meeting_id)])
            .await?
            .playback_urls)
    }

    /// Whether `Authorization: Bearer <jwt>` of the analytics callback is the server's
    /// (HS512 with the shared secret, not expired).
    pub fn verify_analytics(&self, bearer: &str) -> bool {
        let key = jsonwebtoken::DecodingKey::from_secret(self.secret.expose().as_bytes());
        let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS512);
        v.required_spec_claims = ["exp".to_string()].into_iter().collect();
        jsonwebtoken::decode::<Expiring>(bearer, &key, &v).is_ok()
    }

    /// The meeting a recording-ready callback's `signed_parameters` names, if the server
    /// signed it (HS256 with the shared secret).
    pub fn verify_recording_ready(&self, signed: &str) -> Option<String> {
        let key = jsonwebtoken::DecodingKey::from_secret(self.secret.expose().as_bytes());
        let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        v.required_spec_claims.clear();
        v.validate_exp = false;
        jsonwebtoken::decode::<RecordingReady>(signed, &key, &v)
            .ok()
            .map(|d| d.claims.meeting_id)
    }
}

/// What the platform reads of an API answer.
#[derive(Debug, Default)]
struct Answer {
    returncode: String,
    message_key: String,
    message: String,
    /// `recordings/recording/playback/format/url`.
    playback_urls: Vec<String>,
}

/// Answers larger than this are not an API answer the platform asked for.
const MAX_ANSWER: usize = 4 * 1024 * 1024;

impl Answer {
    fn parse(xml: &str) -> Result<Self, EngineError> {
        if xml.len() > MAX_ANSWER {
            return Err(EngineError::Unreachable("слишком длинный ответ".into()));
        }
        let bad = |e: &dyn std::fmt::Display| EngineError::Unreachable(format!("не XML: {e}"));
        let mut reader = quick_xml::Reader::from_str(xml);
        let mut path: Vec<String> = Vec::new();
        let mut out = Answer::default();
        loop {
            match reader.read_event().map_err(|e| bad(&e))? {
                Event::Start(e) => {
                    if path.len() > 32 {
                        return Err(EngineError::Unreachable("слишком глубокий XML".into()));
                    }
                    path.push(String::from_utf8_lossy(e.name().as_ref()).into_owned());
                }
                Event::End(_) => {
                    path.pop();
                }
                Event::Text(t) => {
                    let text = t.decode().map_err(|e| bad(&e))?;
                    let text = quick_xml::escape::unescape(&text).map_err(|e| bad(&e))?;
                    out.take(&path, text.trim());
                }
                Event::CData(t) => {
                    let text = String::from_utf8_lossy(&t).into_owned();
                    out.take(&path, text.trim());
                }
                Event::Eof => break,
                _ => {}
            }
        }
        if out.returncode.is_empty() {
            return Err(EngineError::Unreachable("ответ без returncode".into()));
        }
        Ok(out)
    }

    fn take(&mut self, path: &[String], text: &str) {
        let names: Vec<&str> = path.iter().map(String::as_str).collect();
        match names.as_slice() {
            ["response", "returncode"] => self.returncode = text.to_string(),
            ["response", "messageKey"] => self.message_key = text.to_string(),
            ["response", "message"] => self.message = text.to_string(),
            // Shown as a link: only web addresses, never `javascript:`.
            [.., "playback", "format", "url"]
                if text.starts_with("https://") || text.starts_with("http://") =>
            {
                self.playback_urls.push(text.to_string())
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(checksum: &str, secret: &str) -> Bbb {
        Bbb::new(&BbbConfig {
            url: "https://bbb.example.com/bigbluebutton/api/".into(),
            secret: Secret::new(secret),
            checksum: checksum.into(),
        })
        .unwrap()
    }

    /// The example of the API's documentation («Usage»): the create call of «Test Meeting».
    #[test]
    fn the_documented_checksum_example() {
        let bbb = server("sha1", "639259d4-9dd8-4b25-bf01-95f9567eaf4b");
        let query = "name=Test+Meeting&meetingID=abc123&attendeePW=111222&moderatorPW=333444";
        assert_eq!(
            bbb.checksum("create", query),
            "1fcbb0c4fc1f039f73aa6d697d2db9ba7f803f17"
        );
        assert_eq!(
            bbb.url(
                "create",
                &[
                    ("name", "Test Meeting"),
                    ("meetingID", "abc123"),
                    ("attendeePW", "111222"),
                    ("moderatorPW", "333444"),
                ]
            ),
            format!("https://bbb.example.com/bigbluebutton/api/create?{query}&checksum=1fcbb0c4fc1f039f73aa6d697d2db9ba7f803f17")
        );
    }

    /// SHA-256 of the same string (computed independently: `printf %s … | sha256sum`).
    #[test]
    fn newer_servers_take_sha256() {
        let bbb = server("sha256", "639259d4-9dd8-4b25-bf01-95f9567eaf4b");
        let query = "name=Test+Meeting&meetingID=abc123&attendeePW=111222&moderatorPW=333444";
        assert_eq!(
            bbb.checksum("create", query),
            "da9185f7f333cfdfcd6eeac32dca3777510c4c436020d8b887ba5515bd1d189e"
        );
    }

    #[test]
    fn names_in_cyrillic_are_form_encoded_before_the_checksum() {
        let bbb = server("sha1", "s");
        let url = bbb.join_url("m-1", "Иванов Иван", "p1", false, "ap");
        let query = "fullName=%D0%98%D0%B2%D0%B0%D0%BD%D0%BE%D0%B2+%D0%98%D0%B2%D0%B0%D0%BD&meetingID=m-1&password=ap&role=VIEWER&userID=p1&redirect=true";
        assert!(url.starts_with(&format!(
            "https://bbb.example.com/bigbluebutton/api/join?{query}&checksum="
        )));
        assert!(url.ends_with(&bbb.checksum("join", query)));
    }

    #[test]
    fn answers_are_read_and_failures_named() {
        let ok = Answer::parse(
            "<response><returncode>SUCCESS</returncode><meetingID>m</meetingID></response>",
        )
        .unwrap();
        assert_eq!(ok.returncode, "SUCCESS");
        let failed = Answer::parse("<response><returncode>FAILED</returncode><messageKey>checksumError</messageKey><message>You did not pass the checksum security check</message></response>").unwrap();
        assert_eq!(failed.message_key, "checksumError");
        let recs = Answer::parse("<response><returncode>SUCCESS</returncode><recordings><recording><recordID>r1</recordID><playback><format><type>presentation</type><url>https://bbb.example.com/playback/presentation/2.3/r1</url></format></playback></recording></recordings></response>").unwrap();
        assert_eq!(
            recs.playback_urls,
            vec!["https://bbb.example.com/playback/presentation/2.3/r1"]
        );
        let hostile = Answer::parse("<response><returncode>SUCCESS</returncode><recordings><recording><playback><format><url>javascript:alert(1)</url></format></playback></recording></recordings></response>").unwrap();
        assert!(hostile.playback_urls.is_empty());
        assert!(Answer::parse("<html>502 Bad Gateway</html>").is_err());
        assert!(Answer::parse("not xml <<<").is_err());
    }

    #[test]
    fn callbacks_are_believed_only_when_signed_with_the_secret() {
        let bbb = server("sha256", "shared-secret");
        let exp = chrono::Utc::now().timestamp() + 3600;
        let sign = |alg, secret: &str, claims: serde_json::Value| {
            jsonwebtoken::encode(
                &jsonwebtoken::Header::new(alg),
                &claims,
                &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
            )
            .unwrap()
        };
        let hs512 = jsonwebtoken::Algorithm::HS512;
        assert!(bbb.verify_analytics(&sign(
            hs512,
            "shared-secret",
            serde_json::json!({"exp": exp})
        )));
        assert!(!bbb.verify_analytics(&sign(hs512, "other", serde_json::json!({"exp": exp}))));
        assert!(!bbb.verify_analytics(&sign(
            hs512,
            "shared-secret",
            serde_json::json!({"exp": exp - 7200})
        )));
        assert!(!bbb.verify_analytics("not.a.jwt"));
        let hs256 = jsonwebtoken::Algorithm::HS256;
        let claims = serde_json::json!({"meeting_id": "m-1", "record_id": "r-1"});
        assert_eq!(
            bbb.verify_recording_ready(&sign(hs256, "shared-secret", claims.clone())),
            Some("m-1".to_string())
        );
        assert_eq!(
            bbb.verify_recording_ready(&sign(hs256, "other", claims)),
            None
        );
    }
}
