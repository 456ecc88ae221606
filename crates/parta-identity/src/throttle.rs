//! Sign-in throttling that slows guessing without locking the owner out.
//!
//! Failures fill leaky buckets; a bucket over its free level makes the next attempt wait,
//! the wait doubling with every failure beyond it (1 s, 2 s, 4 s … up to a cap), and
//! drains by itself over time. Three buckets:
//! - per **login and source** — the source is the browser's device id when it has signed
//!   into this account before (a device cookie), otherwise the address: a guesser slows
//!   down on their own pair, not on the owner's;
//! - per **login**, for sources the account has never signed in from (a guesser spread
//!   over many addresses): a known device is not held by it;
//! - per **address**, for unknown devices only, and far above what a school behind one
//!   NAT address produces (hundreds of mistyped passwords an hour).
//!
//! Successful sign-ins never count. Memory is bounded: at most [`MAX_KEYS`] keys a bucket
//! kind; full tables drop their drained entries first and then stop learning new keys
//! (the existing ones keep working). In memory per process (a restart forgives).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Keys a bucket kind holds at most.
pub const MAX_KEYS: usize = 200_000;

/// How a bucket fills and drains.
#[derive(Debug, Clone, Copy)]
pub struct Bucket {
    /// Failures allowed before any waiting.
    pub free: u32,
    /// One failure drains away every this often.
    pub drain: Duration,
}

/// The limits of the three buckets and the longest wait.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub pair: Bucket,
    pub account: Bucket,
    pub address: Bucket,
    pub max_wait: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            pair: Bucket {
                free: 5,
                drain: Duration::from_secs(300),
            },
            account: Bucket {
                free: 20,
                drain: Duration::from_secs(300),
            },
            address: Bucket {
                free: 300,
                drain: Duration::from_secs(2),
            },
            max_wait: Duration::from_secs(900),
        }
    }
}

impl From<&parta_core::config::SignInConfig> for Limits {
    fn from(c: &parta_core::config::SignInConfig) -> Self {
        let d = Limits::default();
        Self {
            pair: Bucket {
                free: c.pair_free_failures,
                ..d.pair
            },
            account: Bucket {
                free: c.account_free_failures,
                ..d.account
            },
            address: Bucket {
                free: c.address_free_failures,
                ..d.address
            },
            max_wait: Duration::from_secs(c.max_wait_secs.max(1)),
        }
    }
}

/// One attempt: who for, from where, and whether the browser is known to the account.
#[derive(Debug, Clone, Copy)]
pub struct Attempt<'a> {
    pub login: &'a str,
    pub address: &'a str,
    /// The device id's hash, when this browser has signed into this account before.
    pub known_device: Option<&'a str>,
}

#[derive(Debug, Clone, Copy)]
struct Level {
    failures: f64,
    at: Instant,
    wait_until: Option<Instant>,
}

impl Level {
    fn drained(&self, b: Bucket, now: Instant) -> f64 {
        let gone = now.saturating_duration_since(self.at).as_secs_f64() / b.drain.as_secs_f64();
        (self.failures - gone).max(0.0)
    }
}

#[derive(Default)]
struct Table(HashMap<String, Level>);

impl Table {
    fn wait(&self, key: &str, now: Instant) -> Option<Duration> {
        self.0
            .get(key)
            .and_then(|l| l.wait_until)
            .and_then(|t| t.checked_duration_since(now))
            .filter(|d| !d.is_zero())
    }

    fn fail(&mut self, key: &str, b: Bucket, max_wait: Duration, now: Instant) {
        if !self.0.contains_key(key) && self.0.len() >= MAX_KEYS {
            self.0.retain(|_, l| l.drained(b, now) >= 1.0);
            if self.0.len() >= MAX_KEYS {
                return;
            }
        }
        let l = self.0.entry(key.to_string()).or_insert(Level {
            failures: 0.0,
            at: now,
            wait_until: None,
        });
        l.failures = l.drained(b, now) + 1.0;
        l.at = now;
        let over = l.failures - f64::from(b.free);
        l.wait_until = (over > 0.0).then(|| {
            let secs = 2f64.powf(over - 1.0).min(max_wait.as_secs_f64());
            now + Duration::from_secs_f64(secs)
        });
    }

    fn forget(&mut self, key: &str) {
        self.0.remove(key);
    }

    fn sweep(&mut self, b: Bucket, now: Instant) {
        self.0
            .retain(|_, l| l.drained(b, now) >= 0.5 || l.wait_until.is_some_and(|t| t > now));
    }
}

#[derive(Default)]
struct State {
    pair: Table,
    account: Table,
    address: Table,
}

#[derive(Clone)]
pub struct Throttle {
    state: Arc<Mutex<State>>,
    limits: Limits,
}

impl Default for Throttle {
    fn default() -> Self {
        Self::new(Limits::default())
    }
}

/// An address as a key: an IPv6 host can take any address of its /64, so the /64 is one.
fn address_key(address: &str) -> String {
    match address.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        _ => address.to_string(),
    }
}

fn pair_key(a: &Attempt<'_>) -> String {
    match a.known_device {
        Some(d) => format!("{}\u{0}d:{d}", a.login.to_lowercase()),
        None => format!(
            "{}\u{0}a:{}",
            a.login.to_lowercase(),
            address_key(a.address)
        ),
    }
}

impl Throttle {
    pub fn new(limits: Limits) -> Self {
        Self {
            state: Arc::new(Mutex::new(State::default())),
            limits,
        }
    }

    /// Whether an attempt may proceed; `Err(seconds)` says how long to wait.
    pub fn check(&self, a: &Attempt<'_>) -> Result<(), u64> {
        let now = Instant::now();
        let s = self.state.lock().map_err(|_| 1u64)?;
        let mut wait = s.pair.wait(&pair_key(a), now);
        if a.known_device.is_none() {
            let login = a.login.to_lowercase();
            wait = wait
                .max(s.account.wait(&login, now))
                .max(s.address.wait(&address_key(a.address), now));
        }
        match wait {
            Some(d) => Err(d.as_secs_f64().ceil().max(1.0) as u64),
            None => Ok(()),
        }
    }

    pub fn failed(&self, a: &Attempt<'_>) {
        let now = Instant::now();
        let l = self.limits;
        if let Ok(mut s) = self.state.lock() {
            s.pair.fail(&pair_key(a), l.pair, l.max_wait, now);
            if a.known_device.is_none() {
                s.account
                    .fail(&a.login.to_lowercase(), l.account, l.max_wait, now);
                s.address
                    .fail(&address_key(a.address), l.address, l.max_wait, now);
            }
        }
    }

    /// The owner proved themselves: their pair and the account's count are forgiven (the
    /// address's is not — others behind it may still be guessing).
    pub fn succeeded(&self, a: &Attempt<'_>) {
        if let Ok(mut s) = self.state.lock() {
            s.pair.forget(&pair_key(a));
            s.account.forget(&a.login.to_lowercase());
        }
    }

    /// Drops drained keys; called now and then so memory stays flat.
    pub fn housekeeping(&self) {
        let now = Instant::now();
        let l = self.limits;
        if let Ok(mut s) = self.state.lock() {
            s.pair.sweep(l.pair, now);
            s.account.sweep(l.account, now);
            s.address.sweep(l.address, now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at<'a>(login: &'a str, address: &'a str, device: Option<&'a str>) -> Attempt<'a> {
        Attempt {
            login,
            address,
            known_device: device,
        }
    }

    #[test]
    fn a_guesser_is_slowed_but_the_owner_from_a_known_device_is_not() {
        let t = Throttle::default();
        let guesser = at("ivanova", "6.6.6.6", None);
        for _ in 0..5 {
            assert!(t.check(&guesser).is_ok());
            t.failed(&guesser);
        }
        // The sixth failure waits 1 s, the seventh 2 s, and so on.
        t.failed(&guesser);
        t.failed(&guesser);
        let wait = t.check(&guesser).unwrap_err();
        assert!((1..=2).contains(&wait), "{wait}");
        // The owner at school, on a browser that signed in before: not held.
        assert!(t.check(&at("Ivanova", "10.0.0.1", Some("dev1"))).is_ok());
        // Nor from another address on a new browser (their own pair is clean).
        assert!(t.check(&at("ivanova", "10.0.0.1", None)).is_ok());
    }

    #[test]
    fn many_addresses_hold_the_account_for_unknown_devices_only() {
        let t = Throttle::default();
        for i in 0..30 {
            t.failed(&at("petrov", &format!("7.7.7.{i}"), None));
        }
        assert!(t.check(&at("petrov", "8.8.8.8", None)).is_err());
        assert!(t.check(&at("petrov", "8.8.8.8", Some("owner"))).is_ok());
        t.succeeded(&at("petrov", "8.8.8.8", Some("owner")));
        assert!(t.check(&at("petrov", "8.8.8.8", None)).is_ok());
    }

    #[test]
    fn a_school_behind_one_address_is_not_blocked_by_junk() {
        let t = Throttle::default();
        // 31 junk attempts (the security test's number) and then some: far below the
        // address's free level, and the pairs are the junk logins'.
        for i in 0..250 {
            t.failed(&at(&format!("junk{i}"), "5.5.5.5", None));
        }
        assert!(t.check(&at("teacher", "5.5.5.5", None)).is_ok());
        for i in 250..320 {
            t.failed(&at(&format!("junk{i}"), "5.5.5.5", None));
        }
        assert!(t.check(&at("teacher", "5.5.5.5", None)).is_err());
        assert!(t.check(&at("teacher", "5.5.5.5", Some("known"))).is_ok());
    }

    #[test]
    fn an_ipv6_host_cannot_hop_addresses_within_its_network() {
        let t = Throttle::new(Limits {
            address: Bucket {
                free: 3,
                drain: Duration::from_secs(60),
            },
            ..Limits::default()
        });
        for i in 0..5 {
            t.failed(&at(&format!("x{i}"), &format!("2001:db8:1:2::{i:x}"), None));
        }
        assert!(t.check(&at("y", "2001:db8:1:2:ffff::1", None)).is_err());
        assert!(t.check(&at("y", "2001:db8:1:3::1", None)).is_ok());
    }

    #[test]
    fn tables_stay_bounded() {
        let t = Throttle::default();
        let mut s = t.state.lock().unwrap();
        let now = Instant::now();
        let b = t.limits.address;
        for i in 0..MAX_KEYS + 10 {
            s.address.fail(&format!("{i}"), b, t.limits.max_wait, now);
        }
        assert!(s.address.0.len() <= MAX_KEYS);
    }
}
