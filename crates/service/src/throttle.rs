//! Guessing made slow (issue 19). Before this, 60 wrong passwords took
//! 1.6 s and the right one was taken at once after them.
//!
//! Two rules, after OWASP's "Blocking Brute Force Attacks" and its device
//! cookie scheme (with the address in the cookie's place):
//! - **Per address**: failed attempts at each door (the login form; the
//!   token and revocation endpoints; the admin token) are a GCRA quota
//!   (governor) of N a minute per client address, an IPv6 /64 counting as
//!   one. Past it, the address is refused every attempt, right or wrong,
//!   until the quota lets one more through: 429 with `Retry-After`
//!   (RFC 9110 §10.2.3; RFC 6585 §4). A success anywhere resets nothing.
//! - **Per account** (a user name at the login form, a client id at the
//!   token endpoint): after `lockout_after` failures from anywhere within
//!   15 minutes, each further failure locks it for 1 s, then 2, 4 ... at
//!   most `lockout_max`. The lock binds only addresses the account has
//!   never signed in from, so an attacker elsewhere slows himself and
//!   cannot lock the real user out.
//!
//! Only failures count: a client that knows its secrets is never slowed.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::Clock as _;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::ThrottleConfig;

/// Failures older than this are forgotten (an account's count starts over).
const FORGET: Duration = Duration::from_secs(15 * 60);
/// Addresses remembered per account as ones it signed in from.
const KNOWN_PER_ACCOUNT: usize = 32;
/// Past this many entries, forgotten ones are swept out.
const SWEEP_ABOVE: usize = 10_000;

/// Where guesses are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Door {
    /// `POST /oauth/authorize`: user name and password.
    Login,
    /// The token endpoints (both forms) and revocation: client secrets,
    /// codes, verifiers, refresh tokens.
    Token,
    /// The admin token of the `/admin` routes.
    Admin,
}

/// An attempt refused before it is looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooMany {
    /// When the next attempt may be made.
    pub retry_after: Duration,
}

impl TooMany {
    /// Whole seconds for `Retry-After`, at least 1.
    pub fn seconds(&self) -> u64 {
        self.retry_after.as_secs() + u64::from(self.retry_after.subsec_nanos() > 0)
    }
}

/// The key of a client address: IPv4 as is (an IPv4-mapped IPv6 address
/// as its IPv4), IPv6 by its /64 (what one subscriber is given).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Peer(IpAddr);

impl From<IpAddr> for Peer {
    fn from(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(_) => Self(ip),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self(IpAddr::V4(v4)),
                None => {
                    let s = v6.segments();
                    Self(IpAddr::V6(Ipv6Addr::new(
                        s[0], s[1], s[2], s[3], 0, 0, 0, 0,
                    )))
                }
            },
        }
    }
}

#[derive(Debug)]
struct PerAddress {
    quota: DefaultKeyedRateLimiter<Peer>,
    /// Addresses refused until then (the quota's answer to their last
    /// failure).
    blocked: Mutex<HashMap<Peer, Instant>>,
}

impl PerAddress {
    fn new(per_minute: u32) -> Self {
        let n = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        Self {
            quota: RateLimiter::keyed(Quota::per_minute(n)),
            blocked: Mutex::default(),
        }
    }
}

#[derive(Debug, Default)]
struct Account {
    failures: u32,
    last_failure: Option<Instant>,
    locked_until: Option<Instant>,
    known: HashSet<Peer>,
}

/// The counts of every door.
#[derive(Debug)]
pub struct Throttle {
    config: ThrottleConfig,
    login: PerAddress,
    token: PerAddress,
    admin: PerAddress,
    accounts: Mutex<HashMap<(Door, String), Account>>,
}

impl Throttle {
    pub fn new(config: &ThrottleConfig) -> Self {
        Self {
            login: PerAddress::new(config.login_per_minute),
            token: PerAddress::new(config.token_per_minute),
            admin: PerAddress::new(config.admin_per_minute),
            config: config.clone(),
            accounts: Mutex::default(),
        }
    }

    fn door(&self, door: Door) -> &PerAddress {
        match door {
            Door::Login => &self.login,
            Door::Token => &self.token,
            Door::Admin => &self.admin,
        }
    }

    /// Before an attempt is looked at: is this address, or this account
    /// from this address, refused for now?
    pub fn check(&self, door: Door, ip: IpAddr, account: Option<&str>) -> Result<(), TooMany> {
        let peer = Peer::from(ip);
        let now = Instant::now();
        let mut wait = Duration::ZERO;
        {
            let mut blocked = lock(&self.door(door).blocked);
            match blocked.get(&peer) {
                Some(&until) if until > now => wait = until - now,
                Some(_) => {
                    blocked.remove(&peer);
                }
                None => {}
            }
        }
        if let Some(name) = account {
            let accounts = lock(&self.accounts);
            if let Some(a) = accounts.get(&(door, name.to_owned())) {
                if let Some(until) = a.locked_until.filter(|u| *u > now) {
                    if !a.known.contains(&peer) {
                        wait = wait.max(until - now);
                    }
                }
            }
        }
        if wait.is_zero() {
            Ok(())
        } else {
            Err(TooMany { retry_after: wait })
        }
    }

    /// A wrong password, secret, code or token: counted against the
    /// address and the account.
    pub fn failed(&self, door: Door, ip: IpAddr, account: Option<&str>) {
        let peer = Peer::from(ip);
        let now = Instant::now();
        let per = self.door(door);
        if let Err(not_until) = per.quota.check_key(&peer) {
            let wait = not_until.wait_time_from(per.quota.clock().now());
            let mut blocked = lock(&per.blocked);
            if blocked.len() > SWEEP_ABOVE {
                blocked.retain(|_, until| *until > now);
                per.quota.retain_recent();
            }
            blocked.insert(peer, now + wait);
            tracing::warn!(door = ?door, peer = %ip, wait_ms = wait.as_millis() as u64, "too many failed attempts from one address");
        }
        let Some(name) = account.filter(|n| !n.is_empty()) else {
            return;
        };
        let mut accounts = lock(&self.accounts);
        if accounts.len() > SWEEP_ABOVE {
            accounts.retain(|_, a| {
                !a.known.is_empty() || a.last_failure.is_some_and(|t| now - t < FORGET)
            });
        }
        let a = accounts.entry((door, name.to_owned())).or_default();
        if a.last_failure.is_some_and(|t| now - t >= FORGET) {
            a.failures = 0;
        }
        a.failures = a.failures.saturating_add(1);
        a.last_failure = Some(now);
        if a.failures >= self.config.lockout_after {
            let doublings = (a.failures - self.config.lockout_after).min(30);
            let lock_for = Duration::from_secs(1u64 << doublings).min(self.config.lockout_max);
            a.locked_until = Some(now + lock_for);
            tracing::warn!(door = ?door, failures = a.failures, lock_ms = lock_for.as_millis() as u64, "an account keeps failing: locked for new addresses");
        }
    }

    /// A success: the address becomes one the account has signed in from.
    /// Nobody's count is reset.
    pub fn succeeded(&self, door: Door, ip: IpAddr, account: &str) {
        let peer = Peer::from(ip);
        let mut accounts = lock(&self.accounts);
        let a = accounts.entry((door, account.to_owned())).or_default();
        if a.known.len() >= KNOWN_PER_ACCOUNT && !a.known.contains(&peer) {
            if let Some(&any) = a.known.iter().next() {
                a.known.remove(&any);
            }
        }
        a.known.insert(peer);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(per_minute: u32) -> ThrottleConfig {
        ThrottleConfig {
            login_per_minute: per_minute,
            token_per_minute: per_minute,
            admin_per_minute: per_minute,
            lockout_after: 3,
            lockout_max: Duration::from_secs(4),
        }
    }

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(198, 51, 100, 7));

    #[test]
    fn an_address_past_its_quota_is_refused_and_others_are_not() {
        let t = Throttle::new(&config(5));
        for _ in 0..5 {
            assert_eq!(t.check(Door::Login, A, None), Ok(()));
            t.failed(Door::Login, A, None);
        }
        assert_eq!(t.check(Door::Login, A, None), Ok(()));
        t.failed(Door::Login, A, None);
        let refused = t.check(Door::Login, A, None).unwrap_err();
        // 5 a minute: the next one in about 12 s.
        assert!(
            refused.retry_after <= Duration::from_secs(12),
            "{refused:?}"
        );
        assert!(refused.retry_after > Duration::from_secs(10), "{refused:?}");
        assert_eq!(refused.seconds(), 12);
        assert_eq!(t.check(Door::Login, B, None), Ok(()));
        // Another door counts apart.
        assert_eq!(t.check(Door::Token, A, None), Ok(()));
        // A success elsewhere resets nothing.
        t.succeeded(Door::Login, B, "alice");
        assert!(t.check(Door::Login, A, None).is_err());
    }

    #[test]
    fn an_account_locks_for_new_addresses_only_and_the_lock_is_bounded() {
        let t = Throttle::new(&config(1_000));
        t.succeeded(Door::Login, B, "alice");
        for _ in 0..3 {
            t.failed(Door::Login, A, Some("alice"));
        }
        let r = t.check(Door::Login, A, Some("alice")).unwrap_err();
        assert!(r.retry_after <= Duration::from_secs(1));
        // Where alice has signed in before, she still can.
        assert_eq!(t.check(Door::Login, B, Some("alice")), Ok(()));
        // Another account from the attacker's address is not locked.
        assert_eq!(t.check(Door::Login, A, Some("bob")), Ok(()));
        // Doubling, to the most configured (4 s).
        for _ in 0..10 {
            t.failed(Door::Login, A, Some("alice"));
        }
        let r = t.check(Door::Login, A, Some("alice")).unwrap_err();
        assert!(r.retry_after <= Duration::from_secs(4) && r.retry_after > Duration::from_secs(3));
    }

    #[test]
    fn ipv6_counts_by_its_64_and_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        assert_eq!(Peer::from(a), Peer::from(b));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(Peer::from(mapped), Peer::from(A));
    }
}
