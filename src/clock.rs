//! Time as a value: the only module that reads the system clock.
//!
//! Protocol code takes the current time as an argument; the binaries pass [`SystemClock`], and
//! tests pass [`FixedClock`]. The network's clock offset (protocol.md §4.7) is applied here.
//! Round trips are measured with a [`Stopwatch`] on the monotonic clock, which jumps of the
//! wall clock do not disturb.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A source of the current time.
pub trait Clock {
    /// The current time.
    fn now(&self) -> SystemTime;

    /// The current time in milliseconds since the Unix epoch.
    fn now_ms(&self) -> u64 {
        to_ms(self.now())
    }
}

/// Milliseconds since the Unix epoch (0 for times before it).
pub fn to_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// The time `ms` milliseconds after the Unix epoch.
pub fn from_ms(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

/// The system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[expect(
        clippy::disallowed_methods,
        reason = "the one place that reads the system clock"
    )]
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// Another clock moved by a fixed offset (a node with a skewed clock, or a client applying
/// the network's time offset).
#[derive(Debug, Clone, Copy)]
pub struct OffsetClock<C> {
    /// The underlying clock.
    pub inner: C,
    /// Added to its time, ms.
    pub offset_ms: i64,
}

impl<C: Clock> Clock for OffsetClock<C> {
    fn now(&self) -> SystemTime {
        let t = self.inner.now();
        let d = Duration::from_millis(self.offset_ms.unsigned_abs());
        if self.offset_ms >= 0 {
            t + d
        } else {
            t.checked_sub(d).unwrap_or(UNIX_EPOCH)
        }
    }
}

/// A clock stopped at one instant, for tests.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub SystemTime);

impl FixedClock {
    /// A clock stopped `ms` milliseconds after the epoch.
    pub fn from_ms(ms: u64) -> Self {
        Self(from_ms(ms))
    }
}

impl Clock for FixedClock {
    fn now(&self) -> SystemTime {
        self.0
    }
}

/// Time elapsed since it was started, on the monotonic clock: for measuring round trips
/// (`sesh probe`, `sesh path test`), never for timestamps.
#[derive(Debug, Clone, Copy)]
pub struct Stopwatch(Instant);

impl Stopwatch {
    /// A stopwatch started now.
    #[expect(
        clippy::disallowed_methods,
        reason = "the one place that reads the monotonic clock"
    )]
    pub fn start() -> Self {
        Self(Instant::now())
    }

    /// The time since [`Stopwatch::start`].
    pub fn elapsed(&self) -> Duration {
        self.0.elapsed()
    }
}

/// A duration in whole milliseconds, rounded to the nearest (for `*_ms` fields).
pub fn round_ms(d: Duration) -> u64 {
    u64::try_from((d.as_micros() + 500) / 1000).unwrap_or(u64::MAX)
}

/// A duration as milliseconds with one decimal, for people: `0.4 ms`, `125.0 ms`.
pub fn format_ms(d: Duration) -> String {
    let tenths = (d.as_micros() + 50) / 100;
    format!("{}.{} ms", tenths / 10, tenths % 10)
}
