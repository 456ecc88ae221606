//! `parta-fuzz`: every parser of outside input under generated hostile inputs, on stable
//! Rust. Run it under a memory cap (`bench/fuzz.sh` sets `ulimit -v`): an allocation the
//! size of a sparse sheet's dense range aborts the process, which the script reports.
//!
//!     parta-fuzz [--seconds N] [--seed S] [--only NAME] [--out DIR] [--slow-ms MS]
//!     parta-fuzz --replay FILE --only NAME      (shows the panic)
//!
//! Prints, per target, cases run, crashes (panics, with the input saved), slow cases
//! (over a second) and the longest case; exits 1 on any crash or slow case.

mod mutate;
mod targets;

use rand::SeedableRng;
use std::time::{Duration, Instant};

static PANICS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A case longer than this is a finding (a parser that can be made to spin); `--slow-ms`
/// sets another bound (a debug build on a busy CI machine is slower).
const SLOW: Duration = Duration::from_secs(1);

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let seconds: u64 = arg("--seconds").and_then(|s| s.parse().ok()).unwrap_or(10);
    let seed: u64 = arg("--seed").and_then(|s| s.parse().ok()).unwrap_or(1);
    let only = arg("--only");
    let out = std::path::PathBuf::from(arg("--out").unwrap_or_else(|| "bench/out/fuzz".into()));
    let slow_after = arg("--slow-ms")
        .and_then(|s| s.parse().ok())
        .map(Duration::from_millis)
        .unwrap_or(SLOW);
    let env = match targets::Env::new() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("no runtime: {e}");
            std::process::exit(2);
        }
    };
    // Replays a saved input with the panic message shown: `--replay FILE --only NAME`.
    if let (Some(file), Some(name)) = (arg("--replay"), only.as_deref()) {
        let input = std::fs::read(&file).unwrap_or_default();
        for t in targets::all().iter().filter(|t| t.name == name) {
            (t.run)(&input, &env);
        }
        println!("replayed {file}: no panic");
        return;
    }
    let seeds = targets::Seeds::new();
    // Panics are findings, not noise on the terminal — counted even when the code under
    // test catches them (the XLSX reader is wrapped so that a panic refuses the file).
    std::panic::set_hook(Box::new(|_| {
        PANICS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }));
    let mut failed = false;
    let mut total = 0u64;
    for t in targets::all() {
        if only.as_deref().is_some_and(|o| o != t.name) {
            continue;
        }
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let (mut cases, mut crashes, mut slow) = (0u64, 0u64, 0u64);
        let (mut longest, mut biggest) = (Duration::ZERO, 0usize);
        let until = Instant::now() + Duration::from_secs(seconds);
        while Instant::now() < until {
            let input = (t.case)(&mut rng, &seeds);
            biggest = biggest.max(input.len());
            let started = Instant::now();
            let panics = PANICS.load(std::sync::atomic::Ordering::Relaxed);
            let r =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (t.run)(&input, &env)));
            let took = started.elapsed();
            let r = if PANICS.load(std::sync::atomic::Ordering::Relaxed) != panics {
                Err(())
            } else {
                r.map_err(|_| ())
            };
            cases += 1;
            longest = longest.max(took);
            let finding = if r.is_err() {
                crashes += 1;
                Some("crash")
            } else if took > slow_after {
                slow += 1;
                Some("slow")
            } else {
                None
            };
            if let Some(kind) = finding {
                let _ = std::fs::create_dir_all(&out);
                let file = out.join(format!("{}-{kind}-{cases}.bin", t.name));
                let _ = std::fs::write(&file, &input);
                eprintln!("{}: {kind} (input saved to {})", t.name, file.display());
            }
        }
        total += cases;
        failed |= crashes + slow > 0;
        println!(
            "RESULT target={} cases={cases} crashes={crashes} slow={slow} longest_ms={} largest_input_kb={}",
            t.name,
            longest.as_millis(),
            biggest / 1024
        );
    }
    println!("RESULT total_cases={total} failed={failed}");
    if failed {
        std::process::exit(1);
    }
}
