//! `parta-chat-load`: the load of the chats' benchmark (`bench/chat.sh`; results in bench/RESULTS.md).
//!
//! Signs in every login of a file (students of whole classes), opens one WebSocket per
//! person subscribed to their class's chat (a connect storm, timed), measures the
//! server's memory per idle socket, then sends messages at a fixed rate from random
//! people through their sockets (open loop) and times each delivery from the moment the
//! message was planned to be sent to the moment a receiving socket read it.
//!
//! `parta-chat-load <url> <logins file> [rate msg/s] [seconds]`; `SERVER_PID` names the server
//! process whose memory is read; `SESSIONS_OUT` a file to write each session's cookie and
//! chat to (for `bench/chat.lua`).

use futures_util::{SinkExt, StreamExt};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Semaphore};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

type Error = Box<dyn std::error::Error + Send + Sync>;

struct Counters {
    subscribed: AtomicUsize,
    accepted: AtomicU64,
    refused: AtomicU64,
    delivered: AtomicU64,
    failed: AtomicUsize,
    retried: AtomicUsize,
}

fn rss_kb(pid: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// User and system CPU time of a process, in clock ticks (1/100 s).
fn cpu_ticks(pid: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            let rest = s.rsplit_once(')')?.1.to_string();
            let f: Vec<&str> = rest.split_whitespace().collect();
            Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
        })
        .unwrap_or(0)
}

async fn sign_in(
    http: &reqwest::Client,
    url: &str,
    login: &str,
) -> Result<(String, String), Error> {
    let res = http
        .post(format!("{url}/api/v1/session"))
        .header("content-type", "application/json")
        .body(serde_json::json!({"login": login, "password": "Parta-demo-2026"}).to_string())
        .send()
        .await?;
    if !res.status().is_success() {
        return Err(format!("sign-in of {login}: {}", res.status()).into());
    }
    let cookie = res
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .ok_or("no cookie")?
        .to_string();
    let chats: serde_json::Value = serde_json::from_str(
        &http
            .get(format!("{url}/api/v1/chats"))
            .header("cookie", &cookie)
            .send()
            .await?
            .text()
            .await?,
    )?;
    let chat = chats
        .as_array()
        .and_then(|l| l.iter().find(|c| c["kind"] == "class_students"))
        .and_then(|c| c["id"].as_str())
        .ok_or("no class chat")?
        .to_string();
    Ok((cookie, chat))
}

/// The send time (µs since the start) a load message carries: `lt:<µs>:…`.
fn sent_at(frame: &str) -> Option<u64> {
    let at = frame.find("\"text\":\"lt:")? + 11;
    let rest = &frame[at..];
    rest[..rest.find(':')?].parse().ok()
}

#[allow(clippy::too_many_arguments)]
async fn client(
    url: String,
    cookie: String,
    chat: String,
    start: Instant,
    counters: Arc<Counters>,
    gate: Arc<Semaphore>,
    mut outbox: mpsc::Receiver<u64>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> Vec<u32> {
    let mut latencies = Vec::new();
    let ws_url = url.replace("http://", "ws://") + "/api/v1/chats/socket";
    let Ok(mut req) = ws_url.into_client_request() else {
        return latencies;
    };
    if let Ok(v) = cookie.parse() {
        req.headers_mut().insert("cookie", v);
    }
    // A refused handshake (the server sheds load with 503 and Retry-After) is tried again
    // a second later, as the page's script does, at most three times.
    let mut tries = 0;
    let ws = loop {
        let permit = gate.acquire().await;
        let attempt = tokio_tungstenite::connect_async(req.clone()).await;
        drop(permit);
        match attempt {
            Ok((ws, _)) => break ws,
            Err(_) if tries < 3 => {
                tries += 1;
                counters.retried.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(_) => {
                counters.failed.fetch_add(1, Ordering::Relaxed);
                return latencies;
            }
        }
    };
    let (mut tx, mut rx) = ws.split();
    let sub = serde_json::json!({"op": "subscribe", "chat": chat}).to_string();
    if tx.send(Message::text(sub)).await.is_err() {
        counters.failed.fetch_add(1, Ordering::Relaxed);
        return latencies;
    }
    let mut n = 0u64;
    loop {
        tokio::select! {
            frame = rx.next() => {
                let Some(Ok(Message::Text(t))) = frame else {
                    if matches!(frame, None | Some(Err(_))) { break; }
                    continue;
                };
                let t = t.as_str();
                if t.starts_with("{\"type\":\"message\"") {
                    if let Some(at) = sent_at(t) {
                        let now = start.elapsed().as_micros() as u64;
                        latencies.push(now.saturating_sub(at).min(u32::MAX as u64) as u32);
                        counters.delivered.fetch_add(1, Ordering::Relaxed);
                    }
                } else if t.starts_with("{\"type\":\"sent\"") {
                    counters.accepted.fetch_add(1, Ordering::Relaxed);
                } else if t.starts_with("{\"type\":\"subscribed\"") {
                    counters.subscribed.fetch_add(1, Ordering::Relaxed);
                } else if t.starts_with("{\"type\":\"error\"") {
                    counters.refused.fetch_add(1, Ordering::Relaxed);
                }
            }
            Some(at) = outbox.recv() => {
                n += 1;
                let text = format!("lt:{at}:{n}");
                let f = serde_json::json!({"op": "send", "chat": chat, "text": text}).to_string();
                if tx.send(Message::text(f)).await.is_err() { break; }
            }
            _ = stop.changed() => break,
        }
    }
    latencies
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().collect();
    let url = args
        .get(1)
        .cloned()
        .unwrap_or("http://127.0.0.1:18093".into());
    let logins: Vec<String> = std::fs::read_to_string(args.get(2).ok_or("logins file")?)?
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    let rate: f64 = args.get(3).and_then(|v| v.parse().ok()).unwrap_or(2000.0);
    let seconds: u64 = args.get(4).and_then(|v| v.parse().ok()).unwrap_or(20);
    let pid = std::env::var("SERVER_PID").unwrap_or_default();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(32)
        .build()?;

    // Sign-ins (argon2 on the server: its floor sets the pace) — or the sessions of an
    // earlier run against the same server (`SESSIONS_IN`: lines of cookie and chat).
    let t0 = Instant::now();
    let earlier: Option<Vec<(String, String)>> = std::env::var("SESSIONS_IN").ok().map(|p| {
        std::fs::read_to_string(p)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split_once('\t'))
            .map(|(c, h)| (c.to_string(), h.to_string()))
            .collect()
    });
    let sessions: Vec<(String, String)> = if let Some(s) = earlier {
        s
    } else {
        futures_util::stream::iter(logins.iter().cloned())
            .map(|login| {
                let (http, url) = (http.clone(), url.clone());
                async move { sign_in(&http, &url, &login).await }
            })
            .buffer_unordered(8)
            .filter_map(|r| async move {
                match r {
                    Ok(s) => Some(s),
                    Err(e) => {
                        eprintln!("{e}");
                        None
                    }
                }
            })
            .collect()
            .await
    };
    // The sessions for the history benchmark (wrk): cookie and chat.
    if let Ok(path) = std::env::var("SESSIONS_OUT") {
        let lines: Vec<String> = sessions
            .iter()
            .map(|(c, chat)| format!("{c}\t{chat}"))
            .collect();
        std::fs::write(path, lines.join("\n") + "\n")?;
    }
    let chats: std::collections::HashSet<&String> = sessions.iter().map(|s| &s.1).collect();
    println!(
        "RESULT sessions={} chats={} sign_in_s={:.1}",
        sessions.len(),
        chats.len(),
        t0.elapsed().as_secs_f64()
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_before = rss_kb(&pid);
    let cpu_before = cpu_ticks(&pid);

    // The connect storm: every socket at once (at most 1,000 handshakes in flight).
    let counters = Arc::new(Counters {
        subscribed: AtomicUsize::new(0),
        accepted: AtomicU64::new(0),
        refused: AtomicU64::new(0),
        delivered: AtomicU64::new(0),
        failed: AtomicUsize::new(0),
        retried: AtomicUsize::new(0),
    });
    let start = Instant::now();
    let gate = Arc::new(Semaphore::new(1000));
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let mut outboxes = Vec::new();
    let mut tasks = Vec::new();
    for (cookie, chat) in &sessions {
        let (otx, orx) = mpsc::channel(64);
        outboxes.push(otx);
        tasks.push(tokio::spawn(client(
            url.clone(),
            cookie.clone(),
            chat.clone(),
            start,
            counters.clone(),
            gate.clone(),
            orx,
            stop.clone(),
        )));
    }
    let n = sessions.len();
    let connect_start = Instant::now();
    while counters.subscribed.load(Ordering::Relaxed) + counters.failed.load(Ordering::Relaxed) < n
    {
        if connect_start.elapsed() > Duration::from_secs(300) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let storm = connect_start.elapsed().as_secs_f64();
    println!(
        "RESULT connected={} failed={} retried_handshakes={} connect_storm_s={storm:.1}",
        counters.subscribed.load(Ordering::Relaxed),
        counters.failed.load(Ordering::Relaxed),
        counters.retried.load(Ordering::Relaxed)
    );
    tokio::time::sleep(Duration::from_secs(5)).await;
    let rss_idle = rss_kb(&pid);
    if rss_before > 0 {
        println!(
            "RESULT server_rss_before_kb={rss_before} server_rss_idle_kb={rss_idle} per_socket_kb={:.1}",
            (rss_idle.saturating_sub(rss_before)) as f64 / n.max(1) as f64
        );
    }

    // The load: `rate` messages a second from random people.
    let delivered0 = counters.delivered.load(Ordering::Relaxed);
    let cpu_at_load = cpu_ticks(&pid);
    let own_at_load = cpu_ticks("self");
    let load_start = Instant::now();
    let load_offset = start.elapsed().as_micros() as f64;
    let mut sent = 0u64;
    let mut skipped = 0u64;
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut tick = tokio::time::interval(Duration::from_millis(2));
    while load_start.elapsed() < Duration::from_secs(seconds) {
        tick.tick().await;
        let due = (load_start.elapsed().as_secs_f64() * rate) as u64;
        while sent < due {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let who = (seed % outboxes.len().max(1) as u64) as usize;
            // A person whose socket is backed up skips this one (counted as offered).
            let planned = (load_offset + sent as f64 / rate * 1e6) as u64;
            if outboxes[who].try_send(planned).is_err() {
                skipped += 1;
            }
            sent += 1;
        }
    }
    let load_time = load_start.elapsed().as_secs_f64();
    let cpu_load = cpu_ticks(&pid);
    let own_load = cpu_ticks("self");
    // Deliveries in flight land.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let accepted = counters.accepted.load(Ordering::Relaxed);
    let delivered = counters.delivered.load(Ordering::Relaxed) - delivered0;
    let refused = counters.refused.load(Ordering::Relaxed);
    let _ = stop_tx.send(true);
    let mut all: Vec<u32> = Vec::new();
    for t in tasks {
        if let Ok(v) = t.await {
            all.extend(v);
        }
    }
    all.sort_unstable();
    let pct = |p: f64| -> f64 {
        if all.is_empty() {
            return 0.0;
        }
        let i = ((all.len() as f64 - 1.0) * p).round() as usize;
        all[i] as f64 / 1000.0
    };
    println!(
        "RESULT offered={sent} skipped={skipped} accepted={accepted} refused={refused} accepted_per_s={:.0} delivered={delivered} deliveries_per_s={:.0} \
         p50_ms={:.1} p99_ms={:.1} max_ms={:.1} samples={}",
        accepted as f64 / load_time,
        delivered as f64 / load_time,
        pct(0.5),
        pct(0.99),
        pct(1.0),
        all.len()
    );
    println!(
        "RESULT server_rss_after_kb={} server_cpu_s={:.1} load_cpu_s={:.1} load_generator_cpu_s={:.1} load_s={load_time:.0}",
        rss_kb(&pid),
        (cpu_load.saturating_sub(cpu_before)) as f64 / 100.0,
        (cpu_load.saturating_sub(cpu_at_load)) as f64 / 100.0,
        (own_load.saturating_sub(own_at_load)) as f64 / 100.0
    );
    Ok(())
}
