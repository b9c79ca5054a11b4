//! The per-client token bucket behind the storage RPC's and onion route's 429 (protocol.md
//! §4.1), and the per-client counters of open connections and body bytes ([`PerClient`]).
//! A client is its address, an IPv6 client its /64 ([`client_key`]).
//!
//! Mirrors SS `oxenss/rpc/rate_limiter.{h,cpp}`: each client IP has a bucket of 600 tokens,
//! refilled at 300 tokens a second; a request takes one token, and a client with an empty bucket
//! is refused. At most 10 000 clients are tracked; when the table is full, buckets that have
//! refilled completely are forgotten, and a new client is refused if none could be.
//!
//! Pure: time is an argument (`now`, a [`Duration`] since any fixed origin), so tests need not
//! sleep.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A bucket size and refill rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Tokens in a full bucket: the largest burst.
    pub bucket_size: u32,
    /// Tokens added per second (0: none, the bucket never refills).
    pub per_second: u32,
}

impl Rate {
    /// The storage server's client limit: 600 tokens, 300 a second (SS `RateLimiter`).
    pub const STORAGE_SERVER: Self = Self {
        bucket_size: 600,
        per_second: 300,
    };

    /// The storage server's limit for other service nodes, counted per node key: 600 tokens,
    /// 600 a second (SS `RateLimiter::TOKEN_RATE_SN`). `sesh-node` gives it to onion relays
    /// from a roster member at its listed address.
    pub const SERVICE_NODE: Self = Self {
        bucket_size: 600,
        per_second: 600,
    };

    /// The time one token takes to refill, in microseconds (at least 1).
    fn token_period_us(self) -> u64 {
        (1_000_000 / u64::from(self.per_second.max(1))).max(1)
    }
}

/// How many clients are tracked at most (SS `RateLimiter::MAX_CLIENTS`).
pub(crate) const MAX_CLIENTS: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: u32,
    /// When the tokens were last counted: refills are whole tokens, and the remainder of a
    /// period is kept by advancing this by whole periods only.
    counted_at_us: u64,
}

/// Token buckets per client: per IP ([`RateLimiter::allow`]) or per any key
/// ([`RateLimiter::allow_key`], e.g. a service node's key).
#[derive(Debug, Clone)]
pub(crate) struct RateLimiter<K = IpAddr> {
    rate: Rate,
    max_clients: usize,
    buckets: HashMap<K, Bucket>,
}

impl RateLimiter<IpAddr> {
    /// Takes a token for `ip` at time `now`: `true` if the request may go ahead, `false` if it
    /// is to be refused with 429.
    ///
    /// Clients are counted by [`client_key`]: an IPv6 client by its /64, an IPv4-mapped IPv6
    /// address as its IPv4 address.
    pub(crate) fn allow(&mut self, ip: IpAddr, now: Duration) -> bool {
        self.allow_key(client_key(ip), now)
    }
}

impl<K: std::hash::Hash + Eq> RateLimiter<K> {
    /// A limiter with the given rate, tracking at most [`MAX_CLIENTS`] clients.
    pub(crate) fn new(rate: Rate) -> Self {
        Self::with_max_clients(rate, MAX_CLIENTS)
    }

    /// A limiter tracking at most `max_clients` clients.
    pub(crate) fn with_max_clients(rate: Rate, max_clients: usize) -> Self {
        Self {
            rate,
            max_clients,
            buckets: HashMap::new(),
        }
    }

    /// Takes a token for the client `ip` (any key) at time `now`: `true` if the request may
    /// go ahead, `false` if it is to be refused with 429.
    pub(crate) fn allow_key(&mut self, ip: K, now: Duration) -> bool {
        let now_us = micros(now);
        let rate = self.rate;
        if let Some(bucket) = self.buckets.get_mut(&ip) {
            refill(bucket, rate, now_us);
            if bucket.tokens == 0 {
                return false;
            }
            bucket.tokens -= 1;
            return true;
        }
        if self.buckets.len() >= self.max_clients {
            self.forget_full(now);
            if self.buckets.len() >= self.max_clients {
                return false;
            }
        }
        if rate.bucket_size == 0 {
            return false;
        }
        self.buckets.insert(
            ip,
            Bucket {
                tokens: rate.bucket_size - 1,
                counted_at_us: now_us,
            },
        );
        true
    }

    /// Forgets the clients whose buckets have refilled completely by `now` (they would start
    /// full anyway). Called by [`RateLimiter::allow`] when the table is full (SS instead sweeps
    /// every 10 s); the table never holds more than its maximum of clients either way.
    pub(crate) fn forget_full(&mut self, now: Duration) {
        let now_us = micros(now);
        let rate = self.rate;
        self.buckets.retain(|_, b| {
            refill(b, rate, now_us);
            b.tokens < rate.bucket_size
        });
    }

    /// How many clients are tracked.
    #[cfg(test)]
    fn clients(&self) -> usize {
        self.buckets.len()
    }
}

/// The address a client is counted under by every per-client limit (rate, connections, body
/// bytes): an IPv4 address as it is (an IPv4-mapped IPv6 address counts as its IPv4 address),
/// an IPv6 address by its /64 prefix, since one host is commonly given a whole /64.
pub(crate) fn client_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 @ IpAddr::V4(_) => v4,
    }
}

/// An amount (open connections, request body bytes in flight) counted per client
/// ([`client_key`]), each client's total kept at or under a limit.
#[derive(Debug)]
pub(crate) struct PerClient {
    limit: usize,
    used: Mutex<HashMap<IpAddr, usize>>,
}

impl PerClient {
    /// A counter allowing each client at most `limit`.
    pub(crate) fn new(limit: usize) -> Arc<Self> {
        Arc::new(Self {
            limit,
            used: Mutex::new(HashMap::new()),
        })
    }

    /// Takes `n` for the client at `ip` if its total stays within the limit; the [`Claim`]
    /// gives it back when dropped. `None` when it would not fit.
    pub(crate) fn claim(self: &Arc<Self>, ip: IpAddr, n: usize) -> Option<Claim> {
        let key = client_key(ip);
        if !self.add(key, n) {
            return None;
        }
        Some(Claim {
            owner: Arc::clone(self),
            key,
            n,
        })
    }

    fn add(&self, key: IpAddr, n: usize) -> bool {
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        let now = used.get(&key).copied().unwrap_or(0);
        match now.checked_add(n).filter(|&t| t <= self.limit) {
            Some(total) => {
                if total > 0 {
                    used.insert(key, total);
                }
                true
            }
            None => false,
        }
    }

    /// Takes `n` for the client at `ip` whether or not it fits (memory bounded elsewhere, such
    /// as a small answer per connection), so that later claims see it.
    pub(crate) fn claim_over(self: &Arc<Self>, ip: IpAddr, n: usize) -> Claim {
        let key = client_key(ip);
        {
            let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
            let total = used.get(&key).copied().unwrap_or(0).saturating_add(n);
            if total > 0 {
                used.insert(key, total);
            }
        }
        Claim {
            owner: Arc::clone(self),
            key,
            n,
        }
    }

    fn sub(&self, key: IpAddr, n: usize) {
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(v) = used.get_mut(&key) {
            *v = v.saturating_sub(n);
            if *v == 0 {
                used.remove(&key);
            }
        }
    }

    /// What the client at `ip` holds now.
    #[cfg(test)]
    pub(crate) fn used(&self, ip: IpAddr) -> usize {
        let used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        used.get(&client_key(ip)).copied().unwrap_or(0)
    }
}

/// A share of a [`PerClient`] limit, given back when dropped.
#[derive(Debug)]
pub(crate) struct Claim {
    owner: Arc<PerClient>,
    key: IpAddr,
    n: usize,
}

impl Claim {
    /// Takes `more` on top of what is held, if the client's total stays within the limit.
    pub(crate) fn grow(&mut self, more: usize) -> bool {
        if !self.owner.add(self.key, more) {
            return false;
        }
        self.n += more;
        true
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.owner.sub(self.key, self.n);
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

fn refill(bucket: &mut Bucket, rate: Rate, now_us: u64) {
    if rate.per_second == 0 {
        return;
    }
    let period = rate.token_period_us();
    // Time going backwards (it cannot with a monotonic clock) adds nothing.
    let elapsed = now_us.saturating_sub(bucket.counted_at_us);
    let periods = elapsed / period;
    let room = u64::from(rate.bucket_size - bucket.tokens.min(rate.bucket_size));
    if periods >= room {
        bucket.tokens = rate.bucket_size;
        bucket.counted_at_us = now_us;
    } else {
        // periods < room <= u32::MAX, so the conversion cannot fail.
        bucket.tokens += u32::try_from(periods).unwrap_or(0);
        bucket.counted_at_us += periods * period;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 2));

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn burst_of_600_then_refused() {
        let mut r = RateLimiter::new(Rate::STORAGE_SERVER);
        for i in 0..600 {
            assert!(r.allow(A, ms(0)), "request {i} should pass");
        }
        assert!(!r.allow(A, ms(0)));
        // Another client has its own bucket.
        assert!(r.allow(B, ms(0)));
    }

    #[test]
    fn refills_300_per_second() {
        let mut r = RateLimiter::new(Rate::STORAGE_SERVER);
        for _ in 0..600 {
            assert!(r.allow(A, ms(0)));
        }
        assert!(!r.allow(A, ms(0)));
        // 3.333 ms per token: nothing after 3 ms, one token after 4 ms.
        assert!(!r.allow(A, ms(3)));
        assert!(r.allow(A, ms(4)));
        assert!(!r.allow(A, ms(4)));
        // One second later: 300 tokens (the partial period carried over, so no token is lost).
        let mut n = 0;
        while r.allow(A, ms(1004)) {
            n += 1;
        }
        assert_eq!(n, 300);
    }

    #[test]
    fn refill_is_capped_at_bucket_size() {
        let mut r = RateLimiter::new(Rate::STORAGE_SERVER);
        assert!(r.allow(A, ms(0)));
        let mut n = 0;
        while r.allow(A, ms(3_600_000)) {
            n += 1;
        }
        assert_eq!(n, 600);
    }

    #[test]
    fn mapped_ipv6_is_the_ipv4_client() {
        let mut r = RateLimiter::new(Rate {
            bucket_size: 1,
            per_second: 1,
        });
        assert!(r.allow(A, ms(0)));
        let mapped: IpAddr = "::ffff:127.0.0.1".parse().unwrap();
        assert!(!r.allow(mapped, ms(0)));
    }

    #[test]
    fn ipv6_is_limited_per_slash_64() {
        let mut r = RateLimiter::new(Rate {
            bucket_size: 1,
            per_second: 0,
        });
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let same_64: IpAddr = "2001:db8:1:2:ffff:1:2:3".parse().unwrap();
        let other_64: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert!(r.allow(a, ms(0)));
        assert!(!r.allow(same_64, ms(0)), "the same /64 shares a bucket");
        assert!(r.allow(other_64, ms(0)));
        assert_eq!(
            client_key(same_64),
            "2001:db8:1:2::".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            client_key("::ffff:10.1.2.3".parse().unwrap()),
            IpAddr::from([10, 1, 2, 3])
        );
    }

    #[test]
    fn per_client_claims_are_bounded_and_given_back() {
        let c = PerClient::new(10);
        let mapped: IpAddr = "::ffff:127.0.0.1".parse().unwrap();
        let mut first = c.claim(A, 4).unwrap();
        let second = c.claim(mapped, 6).unwrap();
        assert_eq!(c.used(A), 10);
        assert!(
            c.claim(A, 1).is_none(),
            "the mapped address is the same client"
        );
        assert!(!first.grow(1));
        let other = c.claim(B, 10).unwrap();
        drop(second);
        assert!(first.grow(6));
        assert_eq!(c.used(A), 10);
        drop(first);
        assert_eq!(c.used(A), 0);
        assert!(c.claim(A, 10).is_some());
        assert!(c.claim(A, 11).is_none());
        drop(other);
        assert_eq!(c.used(B), 0);
        assert!(
            c.used.lock().unwrap().is_empty(),
            "no entry is kept for an idle client"
        );
    }

    #[test]
    fn full_table_forgets_full_buckets_or_refuses() {
        let mut r = RateLimiter::with_max_clients(Rate::STORAGE_SERVER, 1);
        assert!(r.allow(A, ms(0)));
        // A's bucket is not full yet: B is refused.
        assert!(!r.allow(B, ms(1)));
        assert_eq!(r.clients(), 1);
        // Once A's bucket has refilled, A is forgotten and B fits.
        assert!(r.allow(B, ms(10)));
        assert_eq!(r.clients(), 1);
    }

    #[test]
    fn zero_rate_never_refills() {
        let mut r = RateLimiter::new(Rate {
            bucket_size: 1,
            per_second: 0,
        });
        assert!(r.allow(A, ms(0)));
        assert!(!r.allow(A, ms(u64::MAX / 2)));
    }

    #[test]
    fn time_going_backwards_adds_nothing() {
        let mut r = RateLimiter::new(Rate {
            bucket_size: 1,
            per_second: 1,
        });
        assert!(r.allow(A, ms(5000)));
        assert!(!r.allow(A, ms(0)));
        assert!(r.allow(A, ms(6000)));
    }
}
