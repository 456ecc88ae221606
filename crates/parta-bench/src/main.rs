//! `parta-load`: an open-loop load generator. Requests start at a fixed rate whatever the
//! server answers (wrk and other closed-loop tools slow down with the server, so they
//! cannot offer twice its capacity); each request's latency is counted from the moment it
//! was planned to start, so waiting in the generator counts too.
//!
//!     parta-load --url http://127.0.0.1:18093 --mode diary|save --sessions FILE
//!                --rate 8000 --seconds 20 [--max-in-flight 20000]
//!
//! Sessions as for bench/overload.lua. Prints admitted (2xx), shed (503), other answers
//! and failures, and the latency of admitted and of shed requests.

use rand::Rng;
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Session {
    cookie: String,
    csrf: String,
    class: String,
    subject: String,
    lessons: Vec<String>,
    students: Vec<String>,
    student: String,
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn percentile(v: &mut [u64], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_unstable();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i.min(v.len() - 1)] as f64 / 1000.0
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(url), Some(file)) = (arg(&args, "--url"), arg(&args, "--sessions")) else {
        eprintln!(
            "usage: parta-load --url URL --mode diary|save --sessions FILE --rate N --seconds S"
        );
        std::process::exit(2);
    };
    let save = arg(&args, "--mode").as_deref() == Some("save");
    let rate: f64 = arg(&args, "--rate")
        .and_then(|r| r.parse().ok())
        .unwrap_or(1000.0);
    let seconds: f64 = arg(&args, "--seconds")
        .and_then(|r| r.parse().ok())
        .unwrap_or(20.0);
    let max_in_flight: usize = arg(&args, "--max-in-flight")
        .and_then(|r| r.parse().ok())
        .unwrap_or(20_000);
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    let sessions: Vec<Session> = text
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            if save && f.len() >= 6 {
                Some(Session {
                    cookie: f[0].into(),
                    csrf: f[1].into(),
                    class: f[2].into(),
                    subject: f[3].into(),
                    lessons: f[4].split(',').map(str::to_string).collect(),
                    students: f[5].split(',').map(str::to_string).collect(),
                    student: String::new(),
                })
            } else if !save && f.len() >= 2 {
                Some(Session {
                    cookie: f[0].into(),
                    csrf: String::new(),
                    class: String::new(),
                    subject: String::new(),
                    lessons: Vec::new(),
                    students: Vec::new(),
                    student: f[1].into(),
                })
            } else {
                None
            }
        })
        .collect();
    if sessions.is_empty() {
        eprintln!("no sessions in {file}");
        std::process::exit(2);
    }
    let sessions = Arc::new(sessions);
    let client = match reqwest::Client::builder()
        .pool_max_idle_per_host(max_in_flight)
        .timeout(Duration::from_secs(30))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let in_flight = Arc::new(tokio::sync::Semaphore::new(max_in_flight));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(u16, u64)>();
    let start = Instant::now();
    let total = (rate * seconds) as u64;
    let interval = Duration::from_secs_f64(1.0 / rate);
    let mut skipped = 0u64;
    for n in 0..total {
        let planned = start + interval.mul_f64(n as f64);
        tokio::time::sleep_until(planned.into()).await;
        let Ok(permit) = in_flight.clone().try_acquire_owned() else {
            skipped += 1;
            continue;
        };
        let (client, sessions, tx, url) =
            (client.clone(), sessions.clone(), tx.clone(), url.clone());
        tokio::spawn(async move {
            let s = &sessions[n as usize % sessions.len()];
            let req = if save {
                let lesson = &s.lessons[(n as usize / sessions.len()) % s.lessons.len()];
                let marks: Vec<String> = s
                    .students
                    .iter()
                    .map(|st| {
                        format!(
                            r#"{{"lesson_id":"{lesson}","student_id":"{st}","value":"{}","work_type":"classwork"}}"#,
                            rand::thread_rng().gen_range(2..=5)
                        )
                    })
                    .collect();
                client
                    .post(format!(
                        "{url}/api/v1/classes/{}/journal/{}",
                        s.class, s.subject
                    ))
                    .header("cookie", &s.cookie)
                    .header("x-csrf-token", &s.csrf)
                    .header("content-type", "application/json")
                    .body(format!(r#"{{"marks":[{}]}}"#, marks.join(",")))
            } else {
                client
                    .get(format!("{url}/api/v1/students/{}/diary", s.student))
                    .header("cookie", &s.cookie)
            };
            let status = match req.send().await {
                Ok(r) => {
                    let st = r.status().as_u16();
                    let _ = r.bytes().await;
                    st
                }
                Err(_) => 0,
            };
            let _ = tx.send((status, planned.elapsed().as_micros() as u64));
            drop(permit);
        });
    }
    drop(tx);
    let (mut ok, mut shed, mut other, mut failed) = (Vec::new(), Vec::new(), 0u64, 0u64);
    while let Some((status, us)) = rx.recv().await {
        match status {
            200..=299 => ok.push(us),
            503 => shed.push(us),
            0 => failed += 1,
            _ => other += 1,
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let (admitted, shed_n) = (ok.len(), shed.len());
    println!(
        "RESULT offered_rps={:.0} admitted_rps={:.0} shed_rps={:.0} other={other} failed={failed} not_sent={skipped} \
         admitted_p50_ms={:.1} admitted_p99_ms={:.1} admitted_max_ms={:.1} shed_p99_ms={:.1}",
        total as f64 / seconds,
        admitted as f64 / secs,
        shed_n as f64 / secs,
        percentile(&mut ok, 0.5),
        percentile(&mut ok, 0.99),
        percentile(&mut ok, 1.0),
        percentile(&mut shed, 0.99),
    );
}
