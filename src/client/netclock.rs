//! The network clock: the offset between local time and the nodes' time.
//!
//! Every reply carries the node's time in `"t"` (§4.7). One node's word is not enough (a
//! node with a wrong clock, or a liar, would move every later timestamp), so the offset is
//! the median of the last [`CLOCK_SAMPLES`] nodes' offsets, one per node ([`NetClock`], pure).
//! A 406/425 "clock out of sync" clears the samples: the node says they are wrong, and the
//! next answers rebuild them.

use super::*;

/// Offsets kept, one per node, for the median.
pub(crate) const CLOCK_SAMPLES: usize = 5;

/// The last few nodes' clock offsets (network minus local time, ms); see the module docs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct NetClock {
    /// Oldest first; at most one per node.
    samples: Vec<(Ed25519Pub, i64)>,
}

impl NetClock {
    /// Records `node`'s offset, replacing its earlier one; the oldest goes beyond
    /// [`CLOCK_SAMPLES`].
    pub(crate) fn add(&mut self, node: Ed25519Pub, offset_ms: i64) {
        self.samples.retain(|(n, _)| *n != node);
        self.samples.push((node, offset_ms));
        if self.samples.len() > CLOCK_SAMPLES {
            self.samples.remove(0);
        }
    }

    /// Forgets every sample.
    pub(crate) fn clear(&mut self) {
        self.samples.clear();
    }

    /// The median offset (the mean of the middle two for an even count), once any is known.
    pub(crate) fn offset_ms(&self) -> Option<i64> {
        let mut v: Vec<i64> = self.samples.iter().map(|(_, o)| *o).collect();
        v.sort_unstable();
        let n = v.len();
        match n {
            0 => None,
            _ if n % 2 == 1 => Some(v[n / 2]),
            _ => Some(((i128::from(v[n / 2 - 1]) + i128::from(v[n / 2])) / 2) as i64),
        }
    }
}

/// The offset of a node time `t` from local time `local` (ms).
pub(crate) fn offset_of(t: u64, local: u64) -> i64 {
    i64::try_from(i128::from(t) - i128::from(local)).unwrap_or(0)
}

impl<T: Transport, C: Clock, R: RngCore + CryptoRng> Client<T, C, R> {
    // ---- network time --------------------------------------------------------------------

    /// Learns `node`'s time from a reply's `"t"` (see [`storage::time_of`]).
    pub(super) fn learn_time(&mut self, node: &Ed25519Pub, body: &[u8]) -> Result<(), Error> {
        if let Some(t) = storage::time_of(body) {
            self.learn_time_sample(node, t)?;
        }
        Ok(())
    }

    /// Adds `node`'s time `t` to the samples and moves the offset to their median.
    pub(super) fn learn_time_sample(&mut self, node: &Ed25519Pub, t: u64) -> Result<(), Error> {
        let offset = offset_of(t, self.clock.now_ms());
        self.net_clock.add(*node, offset);
        let median = self.net_clock.offset_ms().unwrap_or(offset);
        self.set_offset(median)
    }

    fn set_offset(&mut self, offset: i64) -> Result<(), Error> {
        self.offset_ms = offset;
        let stale = self
            .saved_offset_ms
            .is_none_or(|s| (s - self.offset_ms).abs() >= OFFSET_SAVE_THRESHOLD_MS);
        if stale {
            self.state
                .save_clock_offset_ms(self.offset_ms)
                .map_err(Error::State)?;
            self.saved_offset_ms = Some(self.offset_ms);
        }
        Ok(())
    }

    /// After a 406: forget the samples (the node says they are wrong), then learn the time
    /// from the answer's `"t"`, else from an `info` request to the same node.
    pub(super) async fn resync_clock(&mut self, dest: &Snode, body: &[u8]) -> Result<(), Error> {
        self.net_clock.clear();
        if let Some(t) = storage::time_of(body) {
            return self.learn_time_sample(&dest.ed25519, t);
        }
        let payload = storage::info_request();
        self.ensure_paths().await?;
        let index = self.path_for(dest, &HashSet::new())?;
        if let (_, Attempt::Answer { status: 200, body }) =
            self.attempt(index, dest, &payload).await?
            && let Some(t) = storage::info_time(&body)
        {
            self.learn_time_sample(&dest.ed25519, t)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(i: u8) -> Ed25519Pub {
        Ed25519Pub([i; 32])
    }

    #[test]
    fn offset_is_the_median_not_the_last_reply() {
        let mut c = NetClock::default();
        assert_eq!(c.offset_ms(), None);
        c.add(k(1), 100);
        assert_eq!(c.offset_ms(), Some(100));
        c.add(k(2), 120);
        assert_eq!(c.offset_ms(), Some(110));
        c.add(k(3), 90);
        // One node far off does not move it.
        c.add(k(4), 3_600_000);
        assert_eq!(c.offset_ms(), Some(110));
        c.add(k(5), -3_600_000);
        assert_eq!(c.offset_ms(), Some(100));
    }

    #[test]
    fn one_sample_per_node_and_the_oldest_go() {
        let mut c = NetClock::default();
        // A liar repeating itself counts once.
        c.add(k(1), 0);
        c.add(k(2), 0);
        for _ in 0..10 {
            c.add(k(9), 1_000_000);
        }
        assert_eq!(c.offset_ms(), Some(0));
        for i in 10..20 {
            c.add(k(i), 5);
        }
        assert_eq!(c.samples.len(), CLOCK_SAMPLES);
        assert_eq!(c.offset_ms(), Some(5));
        c.clear();
        assert_eq!(c.offset_ms(), None);
    }

    #[test]
    fn offsets_saturate() {
        assert_eq!(offset_of(1_000, 400), 600);
        assert_eq!(offset_of(400, 1_000), -600);
    }
}
