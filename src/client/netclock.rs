//! The network clock: the offset between local time and the nodes' time.
//!
//! Every reply carries the node's time in `"t"` (§4.7). One node's word is not enough: a
//! node with a wrong clock, or a liar (a hop, or anyone on the unchecked TLS link to a
//! guard), would move every later timestamp, and with it what `send` seals and what
//! `receive` believes and prunes. So the offset moves only on a **quorum** ([`NetClock`],
//! pure):
//!
//! * the last [`CLOCK_SAMPLES`] offsets are kept, one per node (a node repeating itself
//!   counts once);
//! * a quorum is a cluster of samples that agree within [`SIGNATURE_WINDOW_MS`] of each other
//!   (the largest spread a node accepts), from at least [`QUORUM`] distinct nodes, of which at
//!   least [`SEALED_QUORUM`] answered inside an onion reply sealed with their own key (a
//!   direct answer, a guard test, can be forged by anyone on the link);
//! * the offset is the median of the largest such cluster; without one it stays where it
//!   was: the saved offset, or 0 on a fresh state. Only a quorum's offset is saved.
//!
//! A 406/425 "clock out of sync" adds that node's time to the others (it clears nothing) and
//! asks [`WITNESSES`] other pool nodes for theirs; the offset moves only if they agree.

use super::*;
use crate::rpc::limits::SIGNATURE_WINDOW_MS;

/// Offsets kept, one per node, newest last. Small enough that [`QUORUM`] fresh samples
/// outnumber the stale rest after the network's clock (or ours) moved.
pub(crate) const CLOCK_SAMPLES: usize = 5;
/// Distinct nodes that must agree before the offset moves.
pub(crate) const QUORUM: usize = 3;
/// Of those, how many must have answered in a sealed onion reply.
pub(crate) const SEALED_QUORUM: usize = 2;
/// Other nodes asked for their time after a 406, and at most how many are tried for them.
pub(crate) const WITNESSES: usize = 2;
const WITNESS_TRIES: usize = 4;

/// How a node's time reached us.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TimeSource {
    /// Inside an onion reply sealed with the node's key: its own word.
    Sealed,
    /// A direct plain answer over TLS whose certificate is not checked (a guard test):
    /// anyone on the link could have written it.
    Direct,
}

/// One node's offset (network minus local time, ms).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Sample {
    node: Ed25519Pub,
    offset_ms: i64,
    source: TimeSource,
}

/// The last few nodes' clock offsets; see the module docs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct NetClock {
    /// Oldest first; at most one per node.
    samples: Vec<Sample>,
}

impl NetClock {
    /// Records `node`'s offset, replacing its earlier one; the oldest goes beyond
    /// [`CLOCK_SAMPLES`].
    pub(crate) fn add(&mut self, node: Ed25519Pub, offset_ms: i64, source: TimeSource) {
        self.samples.retain(|s| s.node != node);
        self.samples.push(Sample {
            node,
            offset_ms,
            source,
        });
        if self.samples.len() > CLOCK_SAMPLES {
            self.samples.remove(0);
        }
    }

    /// Whether `node` gave a sample that is still kept.
    pub(crate) fn has(&self, node: &Ed25519Pub) -> bool {
        self.samples.iter().any(|s| s.node == *node)
    }

    /// The offset a quorum backs (see the module docs): the median of the largest cluster
    /// of samples within [`SIGNATURE_WINDOW_MS`] of each other that has [`QUORUM`] nodes,
    /// [`SEALED_QUORUM`] of them sealed. Between equal clusters, the one with more sealed
    /// samples, then the one nearest `current` (the offset in use). `None` without a quorum.
    pub(crate) fn trusted_offset(&self, current: i64) -> Option<i64> {
        let mut sorted = self.samples.clone();
        sorted.sort_unstable_by_key(|s| s.offset_ms);
        let offsets: Vec<i64> = sorted.iter().map(|s| s.offset_ms).collect();
        // (members, sealed members, distance from `current`, median) of the best cluster.
        let mut best: Option<(usize, usize, u64, i64)> = None;
        // Every maximal cluster starts at some sample and reaches as far as the spread allows.
        for start in 0..offsets.len() {
            let len = offsets[start..]
                .iter()
                .take_while(|o| o.abs_diff(offsets[start]) <= SIGNATURE_WINDOW_MS)
                .count();
            let cluster = start..start + len;
            let sealed = sorted[cluster.clone()]
                .iter()
                .filter(|s| s.source == TimeSource::Sealed)
                .count();
            if len < QUORUM || sealed < SEALED_QUORUM {
                continue;
            }
            // The median of the sealed samples only: direct answers (anyone on the guard's
            // link can write them) count towards the quorum, but cannot pull the offset
            // within the window.
            let sealed_offsets: Vec<i64> = sorted[cluster]
                .iter()
                .filter(|s| s.source == TimeSource::Sealed)
                .map(|s| s.offset_ms)
                .collect();
            let median = median(&sealed_offsets);
            let distance = median.abs_diff(current);
            let better = best.is_none_or(|(l, s, d, _)| {
                (len, sealed, std::cmp::Reverse(distance)) > (l, s, std::cmp::Reverse(d))
            });
            if better {
                best = Some((len, sealed, distance, median));
            }
        }
        best.map(|(_, _, _, median)| median)
    }
}

/// The median of `sorted` (the mean of the middle two for an even count; 0 when empty).
fn median(sorted: &[i64]) -> i64 {
    let n = sorted.len();
    match n {
        0 => 0,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => {
            let mean = (i128::from(sorted[n / 2 - 1]) + i128::from(sorted[n / 2])) / 2;
            i64::try_from(mean).unwrap_or(sorted[n / 2])
        }
    }
}

/// The offset of a node time `t` from local time `local` (ms).
/// Saturates at the ends of `i64`.
pub(crate) fn offset_of(t: u64, local: u64) -> i64 {
    let d = i128::from(t) - i128::from(local);
    i64::try_from(d).unwrap_or(if d < 0 { i64::MIN } else { i64::MAX })
}

impl<T: Transport, C: Clock, R: RngCore + CryptoRng> Client<T, C, R> {
    // ---- network time --------------------------------------------------------------------

    /// Learns `node`'s time from the `"t"` of its sealed onion reply (see
    /// [`storage::time_of`]).
    pub(super) fn learn_time(&mut self, node: &Ed25519Pub, body: &[u8]) -> Result<(), Error> {
        if let Some(t) = storage::time_of(body) {
            self.learn_time_sample(node, t)?;
        }
        Ok(())
    }

    /// Adds `node`'s time `t`, from its sealed onion reply; the offset moves only on a quorum.
    pub(super) fn learn_time_sample(&mut self, node: &Ed25519Pub, t: u64) -> Result<(), Error> {
        self.add_time_sample(node, t, TimeSource::Sealed)
    }

    /// Adds `node`'s time `t`, from a direct answer (a guard test): it counts toward a
    /// quorum, which also needs [`SEALED_QUORUM`] sealed answers.
    pub(super) fn learn_direct_time_sample(
        &mut self,
        node: &Ed25519Pub,
        t: u64,
    ) -> Result<(), Error> {
        self.add_time_sample(node, t, TimeSource::Direct)
    }

    fn add_time_sample(
        &mut self,
        node: &Ed25519Pub,
        t: u64,
        source: TimeSource,
    ) -> Result<(), Error> {
        let offset = offset_of(t, self.clock.now_ms());
        self.net_clock.add(*node, offset, source);
        match self.net_clock.trusted_offset(self.offset_ms) {
            Some(trusted) => self.set_offset(trusted),
            None => Ok(()),
        }
    }

    /// The network time to stamp what cannot be stamped again later (a sealed message's
    /// envelope): when no offset has been learned yet (a fresh state), the paths are built
    /// first, and their guard and path tests give the samples a quorum needs. A failure there
    /// is left for the request that follows to meet and report.
    pub async fn settled_now_ms(&mut self) -> u64 {
        if self.saved_offset_ms.is_none() {
            let _ = self.paths().await;
        }
        self.network_now_ms()
    }

    /// Uses `offset` (one a quorum backs), and saves it when it moved.
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

    /// After a 406/425 (from `dest`, or a plain-text one from a hop): adds `dest`'s time to
    /// the samples (from the answer's `"t"`, else from an `info` request to it), clearing
    /// nothing, and asks [`WITNESSES`] other pool nodes for theirs, each through an onion
    /// path. The offset moves only when a quorum agrees (see the module docs).
    pub(super) async fn resync_clock(&mut self, dest: &Snode, body: &[u8]) -> Result<(), Error> {
        let own = storage::time_of(body);
        if let Some(t) = own {
            self.learn_time_sample(&dest.ed25519, t)?;
        }
        self.ensure_paths().await?;
        if own.is_none()
            && let Some(t) = self.ask_time(dest).await?
        {
            self.learn_time_sample(&dest.ed25519, t)?;
        }
        let mut heard = 0;
        for witness in self.clock_witnesses(&dest.ed25519) {
            if heard == WITNESSES {
                break;
            }
            if let Some(t) = self.ask_time(&witness).await? {
                self.learn_time_sample(&witness.ed25519, t)?;
                heard += 1;
            }
        }
        Ok(())
    }

    /// `node`'s time from an `info` request through an onion path; `None` when no path
    /// can carry it or it did not answer 200 with a time.
    async fn ask_time(&mut self, node: &Snode) -> Result<Option<u64>, Error> {
        let index = match self.path_for(node, &HashSet::new()) {
            Ok(i) => i,
            Err(Error::Path(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        match self.attempt(index, node, &storage::info_request()).await {
            Ok((_, Attempt::Answer { status: 200, body })) => Ok(storage::info_time(&body)),
            Ok(_) | Err(Error::Onion { .. } | Error::Path(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Up to [`WITNESS_TRIES`] usable pool nodes other than `dest` to ask for the time, at
    /// random: first those that gave no kept sample (a new opinion) and are on no path.
    fn clock_witnesses(&mut self, dest: &Ed25519Pub) -> Vec<Snode> {
        let on_paths: HashSet<Ed25519Pub> = self
            .book
            .as_ref()
            .map(|b| {
                b.paths()
                    .iter()
                    .flat_map(|p| p.path.hops().iter().map(|h| h.ed25519))
                    .collect()
            })
            .unwrap_or_default();
        let mut nodes: Vec<Snode> = self
            .pool_ref()
            .nodes()
            .iter()
            .filter(|n| n.ed25519 != *dest && n.is_usable())
            .cloned()
            .collect();
        onion_path::shuffle(&mut nodes, &mut self.rng);
        // A stable sort: random within each group.
        nodes.sort_by_key(|n| {
            (
                self.net_clock.has(&n.ed25519),
                on_paths.contains(&n.ed25519),
            )
        });
        nodes.truncate(WITNESS_TRIES);
        nodes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 24 * 60 * 60 * 1000;

    fn k(i: u8) -> Ed25519Pub {
        Ed25519Pub([i; 32])
    }

    /// A clock with sealed samples `offsets` from nodes 1, 2, …
    fn sealed(offsets: &[i64]) -> NetClock {
        let mut c = NetClock::default();
        for (i, o) in offsets.iter().enumerate() {
            c.add(k(u8::try_from(i + 1).unwrap()), *o, TimeSource::Sealed);
        }
        c
    }

    #[test]
    fn direct_answers_count_for_the_quorum_but_do_not_pull_the_offset() {
        // Two sealed answers at 0 and three forged direct ones at the window's edge: a
        // quorum, at the sealed answers' offset, not dragged a whole window away.
        let mut c = NetClock::default();
        c.add(Ed25519Pub([1; 32]), 0, TimeSource::Sealed);
        c.add(Ed25519Pub([2; 32]), 0, TimeSource::Sealed);
        for k in 3..6u8 {
            c.add(
                Ed25519Pub([k; 32]),
                SIGNATURE_WINDOW_MS as i64,
                TimeSource::Direct,
            );
        }
        assert_eq!(c.trusted_offset(0), Some(0));
    }

    #[test]
    fn a_lone_sample_does_not_set_the_offset() {
        let mut c = NetClock::default();
        assert_eq!(c.trusted_offset(0), None);
        c.add(k(1), 120_000, TimeSource::Sealed);
        assert_eq!(c.trusted_offset(0), None);
        // Two agreeing nodes are not a quorum either.
        c.add(k(2), 121_000, TimeSource::Sealed);
        assert_eq!(c.trusted_offset(0), None);
        // The third is: the median of the three.
        c.add(k(3), 119_000, TimeSource::Sealed);
        assert_eq!(c.trusted_offset(0), Some(120_000));
    }

    #[test]
    fn a_liar_among_honest_nodes_does_not_move_the_offset() {
        for lie in [30 * DAY, -30 * DAY, 61_000] {
            // Wherever the liar's sample comes in, the honest cluster's median stays.
            for at in 0..4 {
                let mut honest = vec![100, 120, 90, 110];
                honest.insert(at, lie);
                let c = sealed(&honest);
                assert_eq!(c.trusted_offset(0), Some(105), "lie {lie} at {at}");
            }
        }
        // Two honest nodes and a liar: no quorum (not the mean of the middle two, which
        // moved the clock by half the lie), so the offset stays where it was.
        assert_eq!(sealed(&[100, 30 * DAY, 120]).trusted_offset(0), None);
        // A liar repeating itself counts once.
        let mut c = sealed(&[0, 10]);
        for _ in 0..10 {
            c.add(k(9), 30 * DAY, TimeSource::Sealed);
        }
        assert_eq!(c.trusted_offset(0), None);
        c.add(k(3), 20, TimeSource::Sealed);
        assert_eq!(c.trusted_offset(0), Some(10));
    }

    #[test]
    fn samples_further_apart_than_the_signature_window_are_no_quorum() {
        let w = i64::try_from(SIGNATURE_WINDOW_MS).unwrap();
        assert_eq!(sealed(&[0, w / 2, w]).trusted_offset(0), Some(w / 2));
        assert_eq!(sealed(&[0, w / 2, w + 1]).trusted_offset(0), None);
        assert_eq!(sealed(&[0, w, 2 * w]).trusted_offset(0), None);
    }

    #[test]
    fn direct_answers_alone_are_no_quorum() {
        // Anyone on the link to a guard can forge a direct answer's "t".
        let mut c = NetClock::default();
        for i in 1..=5 {
            c.add(k(i), 30 * DAY, TimeSource::Direct);
        }
        assert_eq!(c.trusted_offset(0), None);
        // One sealed answer is not enough either; two are, with a direct one.
        c.add(k(6), 30 * DAY, TimeSource::Sealed);
        assert_eq!(c.trusted_offset(0), None);
        c.add(k(7), 30 * DAY, TimeSource::Sealed);
        assert_eq!(c.trusted_offset(0), Some(30 * DAY));
        // Two guards and two paths' exits, as a fresh client's first paths give them.
        let mut c = NetClock::default();
        c.add(k(1), -120_000, TimeSource::Direct);
        c.add(k(2), -120_000, TimeSource::Direct);
        c.add(k(3), -120_500, TimeSource::Sealed);
        c.add(k(4), -119_500, TimeSource::Sealed);
        assert_eq!(c.trusted_offset(0), Some(-120_000));
    }

    #[test]
    fn fresh_samples_outvote_stale_ones() {
        // The network's clock moved 5 minutes after five nodes were heard: three nodes
        // that answer now outnumber what is left of the old ones.
        let mut c = sealed(&[0, 0, 0, 0, 0]);
        assert_eq!(c.trusted_offset(0), Some(0));
        for i in 10..12 {
            c.add(k(i), 300_000, TimeSource::Sealed);
            assert_eq!(c.trusted_offset(0), Some(0));
        }
        c.add(k(12), 300_000, TimeSource::Sealed);
        assert_eq!(c.samples.len(), CLOCK_SAMPLES);
        assert_eq!(c.trusted_offset(0), Some(300_000));
    }

    #[test]
    fn between_equal_clusters_the_nearest_wins() {
        let c = sealed(&[0, 30_000, 60_000, 90_000, 120_000]);
        assert_eq!(c.trusted_offset(0), Some(30_000));
        assert_eq!(c.trusted_offset(70_000), Some(60_000));
        assert_eq!(c.trusted_offset(200_000), Some(90_000));
        // A bigger cluster beats a nearer one.
        let c = sealed(&[0, 0, 0, 10 * DAY, 10 * DAY]);
        assert_eq!(c.trusted_offset(10 * DAY), Some(0));
    }

    #[test]
    fn offsets_saturate() {
        assert_eq!(offset_of(1_000, 400), 600);
        assert_eq!(offset_of(400, 1_000), -600);
        assert_eq!(offset_of(u64::MAX, 0), i64::MAX);
        assert_eq!(offset_of(0, u64::MAX), i64::MIN);
        // Far-off samples are compared without overflowing.
        let c = sealed(&[i64::MIN, i64::MAX, 0, 0, 0]);
        assert_eq!(c.trusted_offset(0), Some(0));
    }
}
