//! Sign-in throttling per account and per IP address, in memory (a restart forgives).

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::sync::Arc;

#[derive(Clone)]
pub struct Throttle {
    per_account: Arc<DefaultKeyedRateLimiter<String>>,
    per_ip: Arc<DefaultKeyedRateLimiter<String>>,
}

impl Default for Throttle {
    fn default() -> Self {
        Self::new(5, 30)
    }
}

impl Throttle {
    /// `account_burst` failed attempts per account, then one per minute;
    /// `ip_burst` attempts per IP, then one every two seconds (a school shares one IP).
    pub fn new(account_burst: u32, ip_burst: u32) -> Self {
        let nz = |n: u32| NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN);
        Self {
            per_account: Arc::new(RateLimiter::keyed(
                Quota::per_minute(nz(1)).allow_burst(nz(account_burst)),
            )),
            per_ip: Arc::new(RateLimiter::keyed(
                Quota::per_second(nz(1)).allow_burst(nz(ip_burst)),
            )),
        }
    }

    /// Spends one attempt; `Err(seconds)` says how long to wait.
    pub fn attempt(&self, login: &str, ip: &str) -> Result<(), u64> {
        let clock = DefaultClock::default();
        if let Err(not_until) = self.per_ip.check_key(&ip.to_string()) {
            return Err(not_until.wait_time_from(clock.now()).as_secs().max(1));
        }
        if let Err(not_until) = self.per_account.check_key(&login.to_lowercase()) {
            return Err(not_until.wait_time_from(clock.now()).as_secs().max(1));
        }
        Ok(())
    }

    /// Drops stale keys; called now and then so memory stays flat.
    pub fn housekeeping(&self) {
        self.per_account.retain_recent();
        self.per_ip.retain_recent();
    }
}
