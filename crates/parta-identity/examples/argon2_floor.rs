//! The argon2 floor: raw password verifications per second with the parameters Parta
//! uses, on all cores. Sign-in throughput is measured against this (bench/run.sh).

use std::time::{Duration, Instant};

fn main() {
    let phc = parta_identity::password::hash("Parta-demo-2026").unwrap_or_default();
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let run_for = Duration::from_secs(10);
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let phc = phc.clone();
            std::thread::spawn(move || {
                let mut n = 0u64;
                while start.elapsed() < run_for {
                    if parta_identity::password::verify("Parta-demo-2026", &phc) {
                        n += 1;
                    }
                }
                n
            })
        })
        .collect();
    let total: u64 = handles.into_iter().map(|h| h.join().unwrap_or(0)).sum();
    let secs = start.elapsed().as_secs_f64();
    println!(
        "RESULT argon2id m=19456 t=2 p=1 threads={threads} verifications={total} per_s={:.1}",
        total as f64 / secs
    );
}
