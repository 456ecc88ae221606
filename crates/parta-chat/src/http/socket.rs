//! `/api/v1/chats/socket`: one WebSocket for all the chats a client has open. The client
//! subscribes to a chat from the last `seq` it has and gets what it missed, then what is
//! new — nothing lost, nothing twice after a dropped connection; it sends messages, read
//! marks and "typing" through the same socket. Every operation asks the policy as its HTTP
//! twin does; the socket's credentials are checked again every [`RECHECK`], so a signed-out
//! session or a pupil who left the class loses the socket or the chat within that time.
//!
//! Frames are JSON text. Client → server: `{"op":"subscribe","chat":…,"after":…}`,
//! `{"op":"unsubscribe","chat":…}`, `{"op":"send","chat":…,"text":…,"reply_to":…,"ref":…}`,
//! `{"op":"read","chat":…,"seq":…}`, `{"op":"typing","chat":…}`, `{"op":"ping"}`.
//! Server → client: `{"type":"message",…}` (a message, as `GET …/messages` gives it),
//! `{"type":"subscribed","chat_id":…,"last_seq":…}`, `{"type":"sent","ref":…,"chat_id":…,"seq":…}`,
//! `{"type":"typing",…}`, `{"type":"ended","chat_id":…}` (the chat can no longer be
//! followed), `{"type":"pong"}` and `{"type":"error","ref":…,"chat_id":…,"problem":{…}}`
//! (an RFC 9457 problem, as the HTTP API answers it).

use super::Web;
use crate::live::Follower;
use crate::{ChatKind, Chats};
use axum::extract::ws::{CloseFrame, Message as Frame, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::Response;
use futures_util::{FutureExt, SinkExt, StreamExt};
use parta_core::ids::ChatId;
use parta_core::principal::{Principal, Via};
use parta_core::Problem;
use parta_http::caller::{cookie, SESSION_COOKIE};
use parta_http::i18n::Lang;
use parta_http::{ApiResult, Caller, Door};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::pin::Pin;
use std::time::{Duration, Instant};
use tokio_stream::StreamMap;

/// How often a socket's session (or API token) and its chats are checked again.
const RECHECK: Duration = Duration::from_secs(30);
/// Chats one socket may follow at once (a person's chats fit; a crawler does not).
pub const MAX_SUBSCRIPTIONS: usize = 200;
/// The largest frame a client may send: a message of 4000 characters with its envelope.
const MAX_FRAME: usize = 32 * 1024;
/// Frames a client may send in [`OPS_WINDOW`] besides messages (which have their own
/// limit): more is a misbehaving client, and the socket is closed.
const MAX_OPS: usize = 120;
const OPS_WINDOW: Duration = Duration::from_secs(10);
/// "Typing" is passed on at most this often per chat and person, and not in the staff
/// room (many listeners, little use).
const TYPING_EVERY: Duration = Duration::from_secs(3);

pub fn router() -> utoipa_axum::router::OpenApiRouter<Web> {
    utoipa_axum::router::OpenApiRouter::new().routes(utoipa_axum::routes!(socket))
}

/// Opens the chats' WebSocket (see the module's description of its frames). The `Origin`
/// a browser sends must be this site's: another site cannot open a socket with the
/// visitor's session.
#[utoipa::path(get, path = "/api/v1/chats/socket", security(("session" = []), ("token" = ["chats:read"])), tag = "chats",
    responses((status = 101, description = "WebSocket of the caller's chats: JSON frames, see the module's documentation"),
        (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn socket(
    State(st): State<Web>,
    c: Caller,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> ApiResult<Response> {
    if !parta_http::csrf::same_origin(&headers) {
        return Err(Problem::forbidden()
            .with_detail("Соединение с чатами открыто с чужого сайта.")
            .into());
    }
    let credential = Credential::of(&headers).ok_or_else(Problem::unauthorized)?;
    let name = st.chats.name_of(c.principal.person_id).await?;
    let conn = Conn {
        chats: st.chats.clone(),
        door: st.door.clone(),
        credential,
        principal: c.principal,
        lang: parta_http::messages::api_lang(&headers),
        name,
        subs: StreamMap::new(),
        kinds: HashMap::new(),
        typed: HashMap::new(),
        ops: Vec::new(),
    };
    Ok(ws
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_message_size(MAX_FRAME)
        .max_frame_size(MAX_FRAME)
        .on_upgrade(move |socket| conn.run(socket)))
}

/// What the socket was opened with, to be checked again.
enum Credential {
    Session(String),
    Token(String),
}

impl Credential {
    fn of(headers: &HeaderMap) -> Option<Credential> {
        if let Some(auth) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        {
            return auth
                .strip_prefix("Bearer ")
                .map(|s| Credential::Token(s.trim().to_string()));
        }
        cookie(headers, SESSION_COOKIE).map(Credential::Session)
    }

    /// The principal it stands for now (`None`: signed out, expired, revoked).
    async fn principal(&self, door: &Door) -> Option<Principal> {
        match self {
            Credential::Session(t) => match door.auth.session(t).await {
                Ok(Some(s)) if !s.must_change_password => Some(s.principal),
                _ => None,
            },
            Credential::Token(t) => door.auth.token(t).await.ok(),
        }
    }
}

#[derive(Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
enum Op {
    Subscribe {
        chat: String,
        after: Option<i64>,
    },
    Unsubscribe {
        chat: String,
    },
    Send {
        chat: String,
        text: String,
        reply_to: Option<i64>,
        #[serde(default)]
        urgent: bool,
        r#ref: Option<String>,
    },
    Read {
        chat: String,
        seq: i64,
    },
    Typing {
        chat: String,
    },
    Ping,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Out<'a> {
    Subscribed {
        chat_id: ChatId,
        last_seq: i64,
    },
    Sent {
        r#ref: Option<&'a str>,
        chat_id: ChatId,
        seq: i64,
    },
    Ended {
        chat_id: ChatId,
    },
    Pong,
    Error {
        r#ref: Option<&'a str>,
        chat_id: Option<ChatId>,
        problem: Problem,
    },
}

type Feed = Pin<Box<dyn futures_util::Stream<Item = Utf8Bytes> + Send>>;

struct Conn {
    chats: Chats,
    door: Door,
    credential: Credential,
    principal: Principal,
    lang: Lang,
    name: String,
    subs: StreamMap<ChatId, Feed>,
    /// Each followed chat's kind and whether the caller may write there (typing).
    kinds: HashMap<ChatId, (ChatKind, bool)>,
    typed: HashMap<ChatId, Instant>,
    /// When the client's recent frames came (see [`MAX_OPS`]).
    ops: Vec<Instant>,
}

/// A chat's frames for the socket: the follower's, then one `ended` when it stops.
fn feed(follower: Follower) -> Feed {
    let chat = follower.chat();
    Box::pin(futures_util::stream::unfold(
        Some(follower),
        move |state| async move {
            let mut f = state?;
            match f.next().await {
                Some(p) => Some((p.frame.clone(), Some(f))),
                None => Some((frame(&Out::Ended { chat_id: chat }), None)),
            }
        },
    ))
}

fn frame(out: &Out) -> Utf8Bytes {
    serde_json::to_string(out).unwrap_or_default().into()
}

impl Conn {
    async fn run(mut self, mut socket: WebSocket) {
        let _open = self.chats.hub().opened();
        // Sockets opened together (a school's morning, a server's restart) spread their
        // checks over the interval instead of making them all at once.
        let jitter = RECHECK.mul_f64(
            (std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .subsec_nanos()
                % 1000) as f64
                / 1000.0,
        );
        let mut recheck =
            tokio::time::interval_at(tokio::time::Instant::now() + RECHECK + jitter, RECHECK);
        loop {
            tokio::select! {
                incoming = socket.recv() => {
                    let text = match incoming {
                        Some(Ok(Frame::Text(t))) => t,
                        Some(Ok(Frame::Binary(_))) => {
                            let p = Problem::invalid("op", "Сообщения сокета — текст в JSON.");
                            if reply(&mut socket, self.lang, None, None, p).await.is_err() { break; }
                            continue;
                        }
                        Some(Ok(Frame::Close(_))) | None | Some(Err(_)) => break,
                        Some(Ok(_)) => continue, // ping and pong: answered by the socket itself
                    };
                    if !self.admit_op() {
                        let _ = close(&mut socket, 1008, "too many frames").await;
                        break;
                    }
                    // Boxed: an idle socket's task does not carry the largest state of its
                    // handling.
                    if Box::pin(self.handle(&mut socket, &text)).await.is_err() { break; }
                }
                Some((_, out)) = self.subs.next(), if !self.subs.is_empty() => {
                    if socket.feed(Frame::Text(out)).await.is_err() { break; }
                    // What else is ready goes in the same write.
                    while let Some(Some((_, more))) = self.subs.next().now_or_never() {
                        if socket.feed(Frame::Text(more)).await.is_err() { break; }
                    }
                    if socket.flush().await.is_err() { break; }
                }
                _ = recheck.tick() => {
                    match self.credential.principal(&self.door).await {
                        Some(p) => {
                            self.principal = p;
                            if Box::pin(self.recheck(&mut socket)).await.is_err() { break; }
                        }
                        None => {
                            let _ = close(&mut socket, 4401, "session ended").await;
                            break;
                        }
                    }
                }
            }
        }
    }

    fn admit_op(&mut self) -> bool {
        let now = Instant::now();
        self.ops.retain(|t| now.duration_since(*t) < OPS_WINDOW);
        self.ops.push(now);
        self.ops.len() <= MAX_OPS
    }

    /// Drops the chats the caller may no longer read (each gets `ended`).
    async fn recheck(&mut self, socket: &mut WebSocket) -> Result<(), axum::Error> {
        let chats: Vec<ChatId> = self.subs.keys().copied().collect();
        for chat in chats {
            match self.chats.listen(&self.principal, chat, None).await {
                Ok((c, may_post)) => {
                    self.kinds.insert(chat, (c.kind, may_post));
                }
                Err(_) => {
                    self.subs.remove(&chat);
                    self.kinds.remove(&chat);
                    socket
                        .send(Frame::Text(frame(&Out::Ended { chat_id: chat })))
                        .await?;
                }
            }
        }
        Ok(())
    }

    /// Whether the socket's credential lets it change things (an API token needs
    /// `chats:write`).
    fn may_write(&self) -> Result<(), Problem> {
        match &self.principal.via {
            Via::ApiToken { scopes } if !scopes.iter().any(|s| s == "chats:write") => {
                Err(Problem::forbidden().with_detail(
                    "У API-токена нет области chats:write — она нужна для этой операции.",
                ))
            }
            _ => Ok(()),
        }
    }

    async fn handle(&mut self, socket: &mut WebSocket, text: &str) -> Result<(), axum::Error> {
        let op: Op = match serde_json::from_str(text) {
            Ok(op) => op,
            Err(_) => {
                let p = Problem::invalid(
                    "op",
                    "Непонятное сообщение сокета: нужен JSON с полем op (subscribe, unsubscribe, send, read, typing, ping).",
                );
                return reply(socket, self.lang, None, None, p).await;
            }
        };
        let chat_of = |raw: &str| -> Result<ChatId, Problem> {
            raw.parse()
                .map_err(|_| Problem::invalid("chat", "Неверный идентификатор чата."))
        };
        match op {
            Op::Ping => {
                socket.send(Frame::Text(frame(&Out::Pong))).await?;
            }
            Op::Subscribe { chat, after } => {
                let full = self.subs.len() >= MAX_SUBSCRIPTIONS;
                let (chats, principal, kinds) = (&self.chats, &self.principal, &self.kinds);
                let result = async {
                    let id = chat_of(&chat)?;
                    if full && !kinds.contains_key(&id) {
                        return Err(Problem::invalid(
                            "chat",
                            "Слишком много чатов открыто в одном соединении (не больше 200).",
                        ));
                    }
                    let (c, may_post) = chats.listen(principal, id, after).await?;
                    let follower = Follower::start(chats, principal.clone(), id, after).await?;
                    Ok((id, (c, may_post), follower))
                }
                .await;
                match result {
                    Ok((id, (c, may_post), follower)) => {
                        // Subscribing again starts again from the place given.
                        self.subs.insert(id, feed(follower));
                        self.kinds.insert(id, (c.kind, may_post));
                        socket
                            .send(Frame::Text(frame(&Out::Subscribed {
                                chat_id: id,
                                last_seq: c.last_seq,
                            })))
                            .await?;
                    }
                    Err(p) => {
                        let id = chat.parse().ok();
                        return reply(socket, self.lang, None, id, p).await;
                    }
                }
            }
            Op::Unsubscribe { chat } => {
                if let Ok(id) = chat.parse::<ChatId>() {
                    self.subs.remove(&id);
                    self.kinds.remove(&id);
                }
            }
            Op::Send {
                chat,
                text,
                reply_to,
                urgent,
                r#ref,
            } => {
                let writable = self.may_write();
                let (chats, principal, name) = (&self.chats, &self.principal, &self.name);
                let result = async {
                    writable?;
                    let id = chat_of(&chat)?;
                    chats
                        .post_as(
                            principal,
                            id,
                            crate::Outgoing {
                                text: &text,
                                reply_to,
                                urgent,
                                poll: None,
                                files: &[],
                            },
                            Some(name),
                        )
                        .await
                }
                .await;
                match result {
                    Ok(m) => {
                        socket
                            .send(Frame::Text(frame(&Out::Sent {
                                r#ref: r#ref.as_deref(),
                                chat_id: m.chat_id,
                                seq: m.seq,
                            })))
                            .await?;
                    }
                    Err(p) => {
                        let id = chat.parse().ok();
                        return reply(socket, self.lang, r#ref.as_deref(), id, p).await;
                    }
                }
            }
            Op::Read { chat, seq } => {
                let writable = self.may_write();
                let (chats, principal) = (&self.chats, &self.principal);
                let result = async {
                    writable?;
                    let id = chat_of(&chat)?;
                    chats.mark_read(principal, id, seq).await
                }
                .await;
                if let Err(p) = result {
                    let id = chat.parse().ok();
                    return reply(socket, self.lang, None, id, p).await;
                }
            }
            Op::Typing { chat } => {
                // Only in a chat this socket follows (its reading was allowed), at most
                // every few seconds, and not in the staff room.
                let Ok(id) = chat.parse::<ChatId>() else {
                    return Ok(());
                };
                let now = Instant::now();
                let recent = self
                    .typed
                    .get(&id)
                    .is_some_and(|t| now.duration_since(*t) < TYPING_EVERY);
                // A chat whose feed ended (access lost) is no longer followed.
                let kind = self
                    .subs
                    .contains_key(&id)
                    .then(|| self.kinds.get(&id).copied())
                    .flatten();
                // A muted member does not "type" either.
                if self.may_write().is_ok()
                    && !recent
                    && kind.is_some_and(|(k, may_post)| {
                        may_post
                            && !matches!(k, ChatKind::StaffRoom | ChatKind::Broadcast)
                            && !k.is_channel()
                    })
                {
                    self.typed.insert(id, now);
                    self.chats
                        .hub()
                        .typing(id, self.principal.person_id, &self.name);
                }
            }
        }
        Ok(())
    }
}

/// An error frame: the problem as the HTTP API answers it, in the caller's language.
async fn reply(
    socket: &mut WebSocket,
    lang: Lang,
    r#ref: Option<&str>,
    chat_id: Option<ChatId>,
    problem: Problem,
) -> Result<(), axum::Error> {
    let problem = parta_http::messages::localize(&problem, lang);
    socket
        .send(Frame::Text(frame(&Out::Error {
            r#ref,
            chat_id,
            problem,
        })))
        .await
}

async fn close(socket: &mut WebSocket, code: u16, reason: &'static str) -> Result<(), axum::Error> {
    socket
        .send(Frame::Close(Some(CloseFrame {
            code,
            reason: Utf8Bytes::from_static(reason),
        })))
        .await
}
