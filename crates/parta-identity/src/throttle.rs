//! Sign-in throttling, in memory (a restart forgives):
//! - per address: every attempt counts (a burst, then one a second), against spraying
//!   many accounts from one place — a whole school may share one address, so the burst
//!   is generous;
//! - per account: only failures count; after `account_burst` failures in a row, one
//!   attempt a minute until a success.

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const LOCKOUT: Duration = Duration::from_secs(60);

#[derive(Clone)]
pub struct Throttle {
    per_ip: Arc<DefaultKeyedRateLimiter<String>>,
    failures: Arc<Mutex<HashMap<String, (u32, Instant)>>>,
    account_burst: u32,
}

impl Default for Throttle {
    fn default() -> Self {
        Self::new(5, 30)
    }
}

impl Throttle {
    pub fn new(account_burst: u32, ip_burst: u32) -> Self {
        let nz = |n: u32| NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN);
        Self {
            per_ip: Arc::new(RateLimiter::keyed(
                Quota::per_second(nz(1)).allow_burst(nz(ip_burst)),
            )),
            failures: Arc::new(Mutex::new(HashMap::new())),
            account_burst: account_burst.max(1),
        }
    }

    /// Whether an attempt may proceed; `Err(seconds)` says how long to wait.
    pub fn check(&self, login: &str, ip: &str) -> Result<(), u64> {
        if let Err(not_until) = self.per_ip.check_key(&ip.to_string()) {
            return Err(not_until
                .wait_time_from(DefaultClock::default().now())
                .as_secs()
                .max(1));
        }
        let failures = self.failures.lock().map_err(|_| 1u64)?;
        if let Some((count, last)) = failures.get(&login.to_lowercase()) {
            let since = last.elapsed();
            if *count >= self.account_burst && since < LOCKOUT {
                return Err((LOCKOUT - since).as_secs().max(1));
            }
        }
        Ok(())
    }

    pub fn failed(&self, login: &str) {
        if let Ok(mut f) = self.failures.lock() {
            let e = f.entry(login.to_lowercase()).or_insert((0, Instant::now()));
            e.0 += 1;
            e.1 = Instant::now();
        }
    }

    pub fn succeeded(&self, login: &str) {
        if let Ok(mut f) = self.failures.lock() {
            f.remove(&login.to_lowercase());
        }
    }

    /// Drops stale keys; called now and then so memory stays flat.
    pub fn housekeeping(&self) {
        self.per_ip.retain_recent();
        if let Ok(mut f) = self.failures.lock() {
            f.retain(|_, (_, last)| last.elapsed() < LOCKOUT * 60);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_lock_an_account_and_success_forgives() {
        let t = Throttle::new(2, 100);
        assert!(t.check("ivanova", "1.1.1.1").is_ok());
        t.failed("ivanova");
        t.failed("Ivanova");
        assert!(t.check("IVANOVA", "1.1.1.1").is_err());
        assert!(t.check("petrov", "1.1.1.1").is_ok());
        t.succeeded("ivanova");
        assert!(t.check("ivanova", "1.1.1.1").is_ok());
    }
}
