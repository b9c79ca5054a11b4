//! Onion paths: which service nodes a request goes through, chosen at random from the pool.
//!
//! Policy after session-desktop `ts/session/onions/onionPath.ts`, `onionPathConstants.ts` and
//! libsession-util `src/network.cpp` (protocol.md §7.6): two paths of three hops (guard,
//! middle, exit); no node in two paths; within a path, no two nodes in the same /24 subnet
//! (libsession's `enforce_subnet_diversity`, which a local test network turns off); the
//! destination of a request is never one of its hops.
//!
//! Testing guards is I/O and belongs to the client: it tries [`guard_candidates`] in order and
//! passes the ones that answered to [`select_with_guards`].

use std::collections::HashSet;

use rand_core::{CryptoRng, RngCore};

use crate::error::{ErrorKind, HasKind};
use crate::identity::Ed25519Pub;
use crate::onion::HopKeys;
use crate::swarm::Snode;

/// Hops in a path: the guard and two more (session-desktop `ONION_REQUEST_HOPS`).
pub(crate) const ONION_REQUEST_HOPS: usize = 3;
/// Paths a client keeps (session-desktop `desiredGuardCount`).
pub(crate) const DEFAULT_PATH_COUNT: usize = 2;

/// How many random attempts [`select`] makes before giving up on subnet diversity.
const ATTEMPTS: usize = 64;

/// What paths to build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PathPolicy {
    /// Nodes per path, guard included. At least 1.
    pub hops: usize,
    /// Paths to build.
    pub paths: usize,
    /// Whether the nodes of one path must be in distinct /24 subnets. Turn off for a local
    /// test network where every node is on 127.0.0.x.
    pub subnet_diversity: bool,
}

impl Default for PathPolicy {
    /// Two paths of three hops with subnet diversity, as the Session apps use.
    fn default() -> Self {
        Self {
            hops: ONION_REQUEST_HOPS,
            paths: DEFAULT_PATH_COUNT,
            subnet_diversity: true,
        }
    }
}

/// An ordered list of service nodes, guard first; a request's destination comes after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OnionPath {
    hops: Vec<Snode>,
}

impl OnionPath {
    /// A path through `hops`, guard first.
    ///
    /// # Errors
    /// [`PathError::Empty`] for no hops; [`PathError::RepeatedNode`] if a node appears twice.
    pub fn new(hops: Vec<Snode>) -> Result<Self, PathError> {
        if hops.is_empty() {
            return Err(PathError::Empty);
        }
        let mut seen = HashSet::new();
        for h in &hops {
            if !seen.insert(h.ed25519) {
                return Err(PathError::RepeatedNode { node: h.ed25519 });
            }
        }
        Ok(Self { hops })
    }

    /// The guard: the node the client connects to.
    pub fn guard(&self) -> &Snode {
        self.hops
            .first()
            .expect("should have a guard: OnionPath::new refuses empty paths")
    }

    /// The nodes, guard first.
    pub fn hops(&self) -> &[Snode] {
        &self.hops
    }

    /// The keys [`crate::onion::build`] needs, guard first.
    pub fn hop_keys(&self) -> Vec<HopKeys> {
        self.hops.iter().map(HopKeys::from).collect()
    }

    /// Whether the node is one of the hops.
    pub fn contains(&self, ed25519: &Ed25519Pub) -> bool {
        self.hops.iter().any(|h| h.ed25519 == *ed25519)
    }
}

/// Why paths could not be chosen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PathError {
    /// The pool has too few usable nodes. Refresh the pool from the seed nodes.
    #[error(
        "need {needed} service nodes for {paths} path(s) of {hops} hop(s), but only {available} are usable"
    )]
    TooFewNodes {
        /// Nodes needed.
        needed: usize,
        /// Usable nodes in the pool, after exclusions.
        available: usize,
        /// Paths asked for.
        paths: usize,
        /// Hops per path.
        hops: usize,
    },
    /// The pool's nodes are in too few /24 subnets for paths without two nodes in one subnet.
    /// Refresh the pool, or turn subnet diversity off on a test network.
    #[error(
        "need {needed} service nodes in distinct /24 subnets within each path, but the {available} usable nodes span {subnets} subnet(s), enough for at most {usable}"
    )]
    TooFewSubnets {
        /// Nodes needed.
        needed: usize,
        /// Usable nodes in the pool, after exclusions.
        available: usize,
        /// Distinct /24 subnets among them.
        subnets: usize,
        /// The most nodes any assignment could use.
        usable: usize,
    },
    /// Fewer working guards than paths. Test more guard candidates.
    #[error("need {needed} guard(s), got {available}")]
    TooFewGuards {
        /// Guards needed (one per path).
        needed: usize,
        /// Usable guards given.
        available: usize,
    },
    /// Random choice kept running into subnet clashes; the pool is barely diverse enough.
    #[error(
        "no {paths} path(s) of {hops} hop(s) with distinct /24 subnets found in {attempts} attempts"
    )]
    Exhausted {
        /// Paths asked for.
        paths: usize,
        /// Hops per path.
        hops: usize,
        /// Attempts made.
        attempts: usize,
    },
    /// No node can replace a failed hop.
    #[error("no service node can replace {failed} in the path")]
    NoReplacement {
        /// The failed node.
        failed: Ed25519Pub,
    },
    /// The node to replace is not in the path (or the path index is out of range).
    #[error("{node} is not in path {index}")]
    NotInPath {
        /// The node.
        node: Ed25519Pub,
        /// The path index given.
        index: usize,
    },
    /// A path with no hops.
    #[error("a path needs at least one hop")]
    Empty,
    /// A node appears twice in one path.
    #[error("{node} appears twice in the path")]
    RepeatedNode {
        /// The node.
        node: Ed25519Pub,
    },
}

impl HasKind for PathError {
    fn kind(&self) -> ErrorKind {
        match self {
            // A refreshed pool or other guards may do.
            Self::TooFewNodes { .. }
            | Self::TooFewSubnets { .. }
            | Self::TooFewGuards { .. }
            | Self::Exhausted { .. }
            | Self::NoReplacement { .. } => ErrorKind::Transient,
            Self::NotInPath { .. } | Self::Empty | Self::RepeatedNode { .. } => ErrorKind::Failure,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            Self::TooFewNodes { .. } | Self::NoReplacement { .. } => {
                Some("the service node list is too short; refresh it from the seed nodes".into())
            }
            Self::TooFewSubnets { .. } | Self::Exhausted { .. } => Some(
                "the service nodes share too few /24 subnets; on a test network, turn subnet diversity off".into(),
            ),
            _ => None,
        }
    }
}

/// A uniform index below `n` (`n > 0`), by rejection sampling.
pub(crate) fn uniform(rng: &mut (impl RngCore + CryptoRng), n: usize) -> usize {
    debug_assert!(n > 0);
    let n64 = n as u64;
    let limit = u64::MAX - u64::MAX % n64;
    loop {
        let v = rng.next_u64();
        if v < limit {
            return usize::try_from(v % n64).expect("should fit: below n, a usize");
        }
    }
}

/// Shuffles in place (Fisher–Yates).
pub(crate) fn shuffle<T>(items: &mut [T], rng: &mut (impl RngCore + CryptoRng)) {
    for i in (1..items.len()).rev() {
        let j = uniform(rng, i + 1);
        items.swap(i, j);
    }
}

/// The usable nodes of `pool` not in `exclude`, one per Ed25519 key, in pool order.
fn usable<'a>(pool: &'a [Snode], exclude: &[Ed25519Pub]) -> Vec<&'a Snode> {
    let mut seen: HashSet<Ed25519Pub> = exclude.iter().copied().collect();
    pool.iter()
        .filter(|n| n.is_usable() && seen.insert(n.ed25519))
        .collect()
}

/// Guard candidates in the order to test them: the usable nodes of `pool` not in `exclude`,
/// shuffled (session-desktop tests them two at a time with a direct `get_swarm`).
pub fn guard_candidates<'a>(
    pool: &'a [Snode],
    exclude: &[Ed25519Pub],
    rng: &mut (impl RngCore + CryptoRng),
) -> Vec<&'a Snode> {
    let mut c = usable(pool, exclude);
    shuffle(&mut c, rng);
    c
}

/// Chooses `policy.paths` paths from `pool`, guards included, none containing a node of
/// `exclude`.
///
/// # Errors
/// [`PathError::TooFewNodes`] or [`PathError::TooFewSubnets`] when the pool cannot supply
/// the paths; [`PathError::Exhausted`] when random choice kept failing.
pub fn select(
    pool: &[Snode],
    policy: &PathPolicy,
    exclude: &[Ed25519Pub],
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<Vec<OnionPath>, PathError> {
    let candidates = usable(pool, exclude);
    check_supply(&candidates, policy)?;
    attempts(&[], &candidates, policy, rng)
}

/// Chooses `policy.paths` paths whose guards are the first usable entries of `guards` (tested
/// by the client), the other hops from `pool`; no path contains a node of `exclude`.
///
/// # Errors
/// [`PathError::TooFewGuards`] if fewer than `policy.paths` guards remain after exclusions,
/// and the errors of [`select`].
pub fn select_with_guards(
    pool: &[Snode],
    guards: &[Snode],
    policy: &PathPolicy,
    exclude: &[Ed25519Pub],
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<Vec<OnionPath>, PathError> {
    let mut guards = usable(guards, exclude);
    if guards.len() < policy.paths {
        return Err(PathError::TooFewGuards {
            needed: policy.paths,
            available: guards.len(),
        });
    }
    guards.truncate(policy.paths);
    let mut taken: Vec<Ed25519Pub> = exclude.to_vec();
    taken.extend(guards.iter().map(|g| g.ed25519));
    let candidates = usable(pool, &taken);
    let mut all = guards.clone();
    all.extend(candidates.iter().copied());
    check_supply(&all, policy)?;
    attempts(&guards, &candidates, policy, rng)
}

/// Fails early, with numbers, when no assignment of paths can exist.
fn check_supply(nodes: &[&Snode], policy: &PathPolicy) -> Result<(), PathError> {
    let needed = policy.paths * policy.hops;
    if nodes.len() < needed {
        return Err(PathError::TooFewNodes {
            needed,
            available: nodes.len(),
            paths: policy.paths,
            hops: policy.hops,
        });
    }
    if policy.subnet_diversity {
        let mut per_subnet: std::collections::HashMap<[u8; 3], usize> = Default::default();
        for n in nodes {
            *per_subnet.entry(n.subnet24()).or_default() += 1;
        }
        // A subnet contributes at most one node to each path.
        let usable: usize = per_subnet.values().map(|&c| c.min(policy.paths)).sum();
        if per_subnet.len() < policy.hops || usable < needed {
            return Err(PathError::TooFewSubnets {
                needed,
                available: nodes.len(),
                subnets: per_subnet.len(),
                usable,
            });
        }
    }
    Ok(())
}

fn attempts(
    guards: &[&Snode],
    candidates: &[&Snode],
    policy: &PathPolicy,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<Vec<OnionPath>, PathError> {
    // Greedy random choice can paint itself into a corner when the pool is barely diverse
    // enough; fresh attempts are cheap.
    for _ in 0..ATTEMPTS {
        if let Some(paths) = attempt(guards, candidates, policy, rng) {
            return Ok(paths);
        }
    }
    Err(PathError::Exhausted {
        paths: policy.paths,
        hops: policy.hops,
        attempts: ATTEMPTS,
    })
}

fn attempt(
    guards: &[&Snode],
    candidates: &[&Snode],
    policy: &PathPolicy,
    rng: &mut (impl RngCore + CryptoRng),
) -> Option<Vec<OnionPath>> {
    let mut used: HashSet<Ed25519Pub> = guards.iter().map(|g| g.ed25519).collect();
    let mut paths = Vec::with_capacity(policy.paths);
    for p in 0..policy.paths {
        let mut hops: Vec<Snode> = guards.get(p).map(|g| (*g).clone()).into_iter().collect();
        while hops.len() < policy.hops {
            let eligible: Vec<&Snode> = candidates
                .iter()
                .copied()
                .filter(|n| !used.contains(&n.ed25519))
                .filter(|n| !policy.subnet_diversity || !same_subnet(n, &hops))
                .collect();
            if eligible.is_empty() {
                return None;
            }
            let pick = eligible[uniform(rng, eligible.len())];
            used.insert(pick.ed25519);
            hops.push(pick.clone());
        }
        paths.push(OnionPath::new(hops).ok()?);
    }
    Some(paths)
}

fn same_subnet(n: &Snode, hops: &[Snode]) -> bool {
    hops.iter().any(|h| h.subnet24() == n.subnet24())
}

/// Whether `path` may carry a request to `dest`: it does not contain `dest` and, with subnet
/// diversity, no hop shares a /24 with it (a subnet's operator would otherwise see both ends
/// of the request, as libsession's `enforce_subnet_diversity` guards against).
pub(crate) fn fits_destination(path: &OnionPath, dest: &Snode, policy: &PathPolicy) -> bool {
    let clash = policy.subnet_diversity && same_subnet(dest, &path.hops);
    !(clash || path.contains(&dest.ed25519))
}

/// Replaces the failed node `failed` in `paths[index]` with a random node of `pool`, keeping
/// the rules: the new node is in no path, not in `exclude`, and (with subnet diversity) not
/// in the /24 of any node of that path, the failed one included (session-desktop
/// `onionPath.ts`). Returns the new path; the others are unchanged.
///
/// # Errors
/// [`PathError::NotInPath`] if `failed` is not in `paths[index]`;
/// [`PathError::NoReplacement`] if no node qualifies.
pub fn replace_hop(
    paths: &[OnionPath],
    index: usize,
    failed: &Ed25519Pub,
    pool: &[Snode],
    policy: &PathPolicy,
    exclude: &[Ed25519Pub],
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<OnionPath, PathError> {
    let not_in_path = PathError::NotInPath {
        node: *failed,
        index,
    };
    let path = paths.get(index).ok_or(not_in_path.clone())?;
    let pos = path
        .hops
        .iter()
        .position(|h| h.ed25519 == *failed)
        .ok_or(not_in_path)?;
    let mut taken: Vec<Ed25519Pub> = exclude.to_vec();
    taken.extend(paths.iter().flat_map(|p| p.hops.iter().map(|h| h.ed25519)));
    let eligible: Vec<&Snode> = usable(pool, &taken)
        .into_iter()
        .filter(|n| !policy.subnet_diversity || !same_subnet(n, &path.hops))
        .collect();
    if eligible.is_empty() {
        return Err(PathError::NoReplacement { failed: *failed });
    }
    let pick = eligible[uniform(rng, eligible.len())];
    let mut hops = path.hops.clone();
    hops[pos] = pick.clone();
    OnionPath::new(hops)
}
