//! Swarms: which nodes store an account's messages, and which answers to believe.
//!
//! A swarm named by one node (a `get_swarm` answer, or the body of a 421) is checked against
//! the pool, never taken as is ([`judge_claim`], pure): its members must be pool nodes with
//! the same X25519 key, and the pool's record of them (its address) is what gets used. When
//! the pool has swarm ids, the swarm it implies ([`implied_swarm`]) wins: a node naming
//! another swarm makes the client refresh the pool, not believe the node. Swarms learned
//! from nodes (pools without swarm ids) need [`MIN_SWARM_MEMBERS`] members the pool knows, or
//! a second node naming the same (smaller) swarm, and are cached for [`SWARM_MAX_AGE`].

use super::*;

/// How long a swarm learned from a node is used before it is asked again.
///
/// One hour: half the pool's lifetime ([`POOL_MAX_AGE`]), so that a swarm never outlives
/// the pool it was checked against by much, and a swarm that a lying or stale node named is
/// replaced within the hour; swarms themselves change rarely (when nodes join or leave), so a
/// `receive --follow` polling every few seconds still asks only once an hour.
pub const SWARM_MAX_AGE: Duration = Duration::from_secs(60 * 60);

/// The members of `claimed` that the pool knows by Ed25519 key with the same X25519 key, as
/// the pool records them (its address, not the claim's).
pub(crate) fn vet_swarm(claimed: &Swarm, pool: &SnodePool) -> Swarm {
    let mut seen = HashSet::new();
    Swarm {
        id: claimed.id,
        members: claimed
            .members
            .iter()
            .filter_map(|m| pool.get(&m.ed25519).filter(|p| p.x25519 == m.x25519))
            .filter(|p| seen.insert(p.ed25519))
            .cloned()
            .collect(),
    }
}

/// The swarm of `account` as the pool's swarm ids imply it (the storage servers' rule,
/// §12.7), when the pool has swarm ids.
pub(crate) fn implied_swarm(pool: &SnodePool, account: &SessionId) -> Option<Swarm> {
    let id = pool.swarm_of(account)?;
    let members: Vec<Snode> = pool.members_of(id).into_iter().cloned().collect();
    (!members.is_empty()).then_some(Swarm { id, members })
}

/// What to make of a swarm one node named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Claim {
    /// Use this swarm (the pool's records of the members).
    Use(Swarm),
    /// The pool implies another swarm: refresh the pool rather than believe the node.
    RefreshPool,
    /// Without swarm ids, a claim of fewer than [`MIN_SWARM_MEMBERS`] members, all pool
    /// nodes: used only when a second node names the same members.
    Unconfirmed(Swarm),
    /// Too few of the named members are pool nodes.
    Reject,
}

/// Judges a swarm `claimed` by one node for `account` (see the module docs).
pub(crate) fn judge_claim(claimed: &Swarm, pool: &SnodePool, account: &SessionId) -> Claim {
    let vetted = vet_swarm(claimed, pool);
    match implied_swarm(pool, account) {
        Some(implied) => {
            if vetted.members.len() == claimed.members.len() && same_members(&vetted, &implied) {
                Claim::Use(implied)
            } else {
                Claim::RefreshPool
            }
        }
        // Without swarm ids, one node's word is all there is: enough members that a liar
        // naming only itself (or a friend) cannot capture the account, unless a second node
        // confirms a small swarm.
        None if vetted.members.len() >= MIN_SWARM_MEMBERS => Claim::Use(vetted),
        None if !vetted.members.is_empty() && vetted.members.len() == claimed.members.len() => {
            Claim::Unconfirmed(vetted)
        }
        None => Claim::Reject,
    }
}

/// Whether two swarms have the same members (by Ed25519 key).
fn same_members(a: &Swarm, b: &Swarm) -> bool {
    let keys = |s: &Swarm| -> HashSet<Ed25519Pub> { s.members.iter().map(|m| m.ed25519).collect() };
    keys(a) == keys(b)
}

/// A cached swarm, if still usable at `now_ms`: younger than [`SWARM_MAX_AGE`], and with
/// enough members still in the pool (as the pool records them).
pub(crate) fn usable_cached(cached: &CachedSwarm, pool: &SnodePool, now_ms: u64) -> Option<Swarm> {
    let age = now_ms.saturating_sub(cached.fetched_ms);
    if u128::from(age) >= SWARM_MAX_AGE.as_millis() {
        return None;
    }
    let swarm = vet_swarm(&cached.swarm, pool);
    let enough = MIN_SWARM_MEMBERS.min(cached.swarm.members.len()).max(1);
    (swarm.members.len() >= enough).then_some(swarm)
}

impl<T: Transport, C: Clock, R: RngCore + CryptoRng> Client<T, C, R> {
    // ---- swarms --------------------------------------------------------------------------

    /// The swarm that stores messages for `account`: computed from the pool's swarm ids when
    /// it has them; else cached (younger than [`SWARM_MAX_AGE`]), or asked of a random node
    /// with `get_swarm` through an onion path.
    ///
    /// # Errors
    /// The pool's errors, [`Error::NoSwarm`], and those of [`Client::onion_rpc`].
    pub async fn swarm_for(&mut self, account: &SessionId) -> Result<Swarm, Error> {
        self.ensure_pool().await?;
        if let Some(swarm) = implied_swarm(self.pool_ref(), account) {
            return Ok(swarm);
        }
        if let Some(cached) = self.state.swarm(account).map_err(Error::State)?
            && let Some(swarm) = usable_cached(&cached, self.pool_ref(), self.clock.now_ms())
        {
            return Ok(swarm);
        }
        self.fetch_swarm(account).await
    }

    /// Asks random pool nodes for `account`'s swarm (`get_swarm` through an onion path),
    /// checks the answer against the pool, and caches it.
    ///
    /// # Errors
    /// [`Error::NoSwarm`] when no node named a swarm of pool nodes, and the errors of
    /// [`Client::onion_rpc`].
    pub async fn fetch_swarm(&mut self, account: &SessionId) -> Result<Swarm, Error> {
        self.ensure_pool().await?;
        let mut last = Error::NoSwarm {
            account: account.short(),
        };
        let mut tried = HashSet::new();
        let mut refreshed = false;
        // A small swarm one node named, waiting for a second node's word.
        let mut unconfirmed: Option<Swarm> = None;
        for _ in 0..self.config.node_attempts {
            let candidates: Vec<Snode> = self
                .pool_ref()
                .nodes()
                .iter()
                .filter(|n| !tried.contains(&n.ed25519))
                .cloned()
                .collect();
            if candidates.is_empty() {
                break;
            }
            let node = candidates[onion_path::uniform(&mut self.rng, candidates.len())].clone();
            tried.insert(node.ed25519);
            let bad = |reason: String| Error::BadAnswer {
                node: short_key(&node.ed25519),
                method: "get_swarm".into(),
                reason,
            };
            match self.onion_rpc(&node, &storage::get_swarm(account)).await {
                Ok((200, body)) => match storage::parse_swarm(&body) {
                    Ok(claimed) => match judge_claim(&claimed, self.pool_ref(), account) {
                        Claim::Use(swarm) => {
                            let now = self.clock.now_ms();
                            self.state
                                .save_swarm(account, &swarm, now)
                                .map_err(Error::State)?;
                            return Ok(swarm);
                        }
                        Claim::RefreshPool => {
                            last = bad("names a swarm other than the pool's".into());
                            if !refreshed {
                                refreshed = true;
                                self.refresh_pool_quietly().await?;
                            }
                            if let Some(swarm) = implied_swarm(self.pool_ref(), account) {
                                return Ok(swarm);
                            }
                        }
                        Claim::Unconfirmed(swarm) => {
                            if unconfirmed
                                .as_ref()
                                .is_some_and(|u| same_members(u, &swarm))
                            {
                                let now = self.clock.now_ms();
                                self.state
                                    .save_swarm(account, &swarm, now)
                                    .map_err(Error::State)?;
                                return Ok(swarm);
                            }
                            last = bad(format!(
                                "names {} member(s), fewer than {MIN_SWARM_MEMBERS}, and no other node confirmed them",
                                swarm.members.len()
                            ));
                            unconfirmed.get_or_insert(swarm);
                        }
                        Claim::Reject => last = bad("names too few nodes of the pool".into()),
                    },
                    Err(reason) => last = bad(reason),
                },
                Ok((status, body)) => {
                    last = Error::NodeFailed {
                        node: short_key(&node.ed25519),
                        method: "get_swarm".into(),
                        status,
                        message: message_of(&body),
                    };
                }
                Err(e) if e.kind() == ErrorKind::Transient => last = e,
                Err(e) => return Err(e),
            }
        }
        Err(last)
    }

    /// Refreshes the pool; a failed refresh leaves the old pool, which still serves.
    async fn refresh_pool_quietly(&mut self) -> Result<(), Error> {
        match self.pool(true).await {
            Err(e) if e.kind() != ErrorKind::Transient => Err(e),
            _ => Ok(()),
        }
    }

    /// Handles a wrong-swarm answer (421) for `account`. With swarm ids in the
    /// pool, the first refreshes the pool (the pool decides, not the node); without, the
    /// swarm in the answer, checked against the pool ([`judge_claim`]; a small one, which
    /// needs a second node's word, only drops the cached one), replaces the cached one and the second
    /// refreshes the pool. The third gives up.
    pub(super) async fn wrong_swarm(
        &mut self,
        account: &SessionId,
        body: &[u8],
        count: &mut u32,
    ) -> Result<(), Error> {
        *count += 1;
        if *count >= 3 {
            return Err(Error::WrongSwarm {
                account: account.short(),
            });
        }
        if implied_swarm(self.pool_ref(), account).is_some() {
            if *count == 1 {
                self.refresh_pool_quietly().await?;
            }
            return Ok(());
        }
        if *count == 2 {
            self.refresh_pool_quietly().await?;
        }
        let claim = storage::parse_swarm(body)
            .map(|claimed| judge_claim(&claimed, self.pool_ref(), account));
        match claim {
            Ok(Claim::Use(swarm)) => {
                let now = self.clock.now_ms();
                self.state
                    .save_swarm(account, &swarm, now)
                    .map_err(Error::State)
            }
            _ => self.state.forget_swarm(account).map_err(Error::State),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;
    use crate::identity::Seed;

    fn node(i: u8, swarm: u64) -> Snode {
        Snode {
            ed25519: Ed25519Pub([i; 32]),
            x25519: X25519Pub([i; 32]),
            ip: Ipv4Addr::new(10, 0, i, 1),
            port: 1000,
            swarm_id: swarm,
            version: Some([2, 11, 0]),
        }
    }

    fn account() -> SessionId {
        Identity::from_seed(Seed::from_legacy(&[7; 16])).session_id()
    }

    /// Nodes 1–4 in swarm 1<<62, 5–8 in 3<<62.
    fn pool(ids: bool) -> SnodePool {
        SnodePool::new((1..=8).map(|i| {
            let mut n = node(i, if i <= 4 { 1 << 62 } else { 3 << 62 });
            if !ids {
                n.swarm_id = u64::MAX;
            }
            n
        }))
    }

    #[test]
    fn a_claimed_swarm_uses_the_pools_records_of_pool_nodes_only() {
        let p = pool(false);
        let mut moved = node(2, 9);
        moved.ip = Ipv4Addr::new(6, 6, 6, 6);
        let mut rekeyed = node(3, 9);
        rekeyed.x25519 = X25519Pub([0xee; 32]);
        let claimed = Swarm {
            id: 9,
            members: vec![node(1, 9), moved, rekeyed, node(42, 9), node(1, 9)],
        };
        let got = vet_swarm(&claimed, &p);
        assert_eq!(
            got.members,
            vec![
                p.get(&node(1, 0).ed25519).unwrap().clone(),
                p.get(&node(2, 0).ed25519).unwrap().clone()
            ]
        );
        // Two pool nodes are fewer than MIN_SWARM_MEMBERS, and the claim names others.
        assert_eq!(judge_claim(&claimed, &p, &account()), Claim::Reject);
        let mut enough = claimed.clone();
        enough.members.push(node(4, 9));
        let mut with_four = got.clone();
        with_four
            .members
            .push(p.get(&node(4, 0).ed25519).unwrap().clone());
        assert_eq!(judge_claim(&enough, &p, &account()), Claim::Use(with_four));
        let strangers = Swarm {
            id: 9,
            members: vec![node(42, 9)],
        };
        assert_eq!(judge_claim(&strangers, &p, &account()), Claim::Reject);
    }

    #[test]
    fn without_swarm_ids_a_small_swarm_needs_a_second_node() {
        let p = pool(false);
        let who = account();
        // A node naming only itself (or a friend) does not capture the account.
        let alone = Swarm {
            id: 9,
            members: vec![node(1, 9)],
        };
        let vetted = vet_swarm(&alone, &p);
        assert_eq!(judge_claim(&alone, &p, &who), Claim::Unconfirmed(vetted));
        let with_stranger = Swarm {
            id: 9,
            members: vec![node(1, 9), node(42, 9)],
        };
        assert_eq!(judge_claim(&with_stranger, &p, &who), Claim::Reject);
        let three = Swarm {
            id: 9,
            members: (1..=3).map(|i| node(i, 9)).collect(),
        };
        assert!(matches!(judge_claim(&three, &p, &who), Claim::Use(_)));
    }

    #[test]
    fn with_swarm_ids_the_pools_swarm_wins() {
        let p = pool(true);
        let who = account();
        let implied = implied_swarm(&p, &who).unwrap();
        assert_eq!(implied.members.len(), 4);
        let other_id = if implied.id == 1 << 62 {
            3 << 62
        } else {
            1 << 62
        };
        let other = Swarm {
            id: other_id,
            members: p.members_of(other_id).into_iter().cloned().collect(),
        };
        assert_eq!(judge_claim(&other, &p, &who), Claim::RefreshPool);
        // Agreeing, even with addresses of its own: the pool's records.
        let mut same = implied.clone();
        same.members[0].ip = Ipv4Addr::new(6, 6, 6, 6);
        assert_eq!(judge_claim(&same, &p, &who), Claim::Use(implied.clone()));
        // A subset is a disagreement too.
        let mut fewer = implied.clone();
        fewer.members.pop();
        assert_eq!(judge_claim(&fewer, &p, &who), Claim::RefreshPool);
    }

    #[test]
    fn cached_swarms_expire() {
        let p = pool(false);
        let cached = CachedSwarm {
            swarm: Swarm {
                id: 1,
                members: (1..=4).map(|i| node(i, 1)).collect(),
            },
            fetched_ms: 1_000,
        };
        let max = u64::try_from(SWARM_MAX_AGE.as_millis()).unwrap();
        assert!(usable_cached(&cached, &p, 1_000 + max - 1).is_some());
        assert!(usable_cached(&cached, &p, 1_000 + max).is_none());
        // Too few members left in the pool.
        let gone = SnodePool::new(
            (1..=2)
                .map(|i| node(i, 1))
                .chain((5..=8).map(|i| node(i, 1))),
        );
        assert!(usable_cached(&cached, &gone, 1_000).is_none());
    }
}
