//! Onion paths, guards and strikes: which path a request takes, and whom a failure blames.
//!
//! [`PathBook`] is the policy, and does no I/O: it holds the paths and the tested guards,
//! takes what happened to a request ([`PathEvent`]) and returns the [`Changes`] for the
//! client to save (which nodes take a strike, whether the paths or guards changed). The
//! client keeps the strike counts in its state (they are shared by every process of the
//! account) and drops a node at [`STRIKE_LIMIT`] strikes with [`PathBook::drop_node`].
//!
//! What a hop says in plain text can be forged by any hop or by anyone on the wire (node
//! certificates are not checked), so one such message never drops a node: a "Next node not
//! found" about a hop of the path strikes that hop, about the destination strikes the
//! destination, and about anyone else changes nothing.

use super::*;

/// What happened to a request sent through a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PathEvent {
    /// The guard could not be reached: its fault alone. (session-desktop strikes the other
    /// hops in this case too; sesh doesn't, so that one dead guard does not get two healthy
    /// nodes dropped from the pool.)
    GuardUnreachable,
    /// A hop answered with an error that names no one (a plain-text 5xx or 421), or the
    /// reply did not open: a failure of the path, which strikes no one. Any hop could have
    /// caused it, the guard included (it delivers every byte of the reply), so striking the
    /// relays would let a guard that garbles replies get honest relays dropped. A path that
    /// reaches the failure limit this way is retired and its guard, the one hop on every
    /// retry through it, takes one strike ([`PathBook::retire_failed`]).
    Unattributed,
    /// A hop said it could not find or reach `node` (`Next node not found: <key>`), on the
    /// way to `dest`.
    NodeNotFound {
        /// The node named.
        node: Ed25519Pub,
        /// The request's destination.
        dest: Ed25519Pub,
    },
    /// The destination answered.
    Worked,
}

/// What a [`PathBook`] change asks the state store to do.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Changes {
    /// Nodes that take a strike (dropped at [`STRIKE_LIMIT`]).
    pub(crate) strike: Vec<Ed25519Pub>,
    /// Nodes whose strikes are forgotten: they carried a request that worked, so strikes
    /// only add up to a drop when they come in a row, not as blips weeks apart.
    pub(crate) clear: Vec<Ed25519Pub>,
    /// Whether the paths changed (save them).
    pub(crate) paths: bool,
    /// Whether the guards changed (save them).
    pub(crate) guards: bool,
}

impl Changes {
    fn merge(&mut self, other: Self) {
        self.strike.extend(other.strike);
        self.clear.extend(other.clear);
        self.paths |= other.paths;
        self.guards |= other.guards;
    }
}

/// The paths in use and the guards that answered their test: pure policy (see the module
/// docs).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct PathBook {
    paths: Vec<PathRecord>,
    guards: Vec<Snode>,
    /// Failures of paths given up for a relay a hop could not reach, by guard: the guard's
    /// next path starts with them, so that a guard that keeps claiming its relays are
    /// unreachable is still retired at [`STRIKE_LIMIT`].
    carried: HashMap<Ed25519Pub, u32>,
    /// Paths mended with a new hop and not yet tested: the client tests one before its
    /// first use ([`PathBook::untested`]). Kept in memory only: a run that ends before the
    /// use leaves the next run a path of nodes that were each tested when first chosen.
    untested: Vec<OnionPath>,
}

impl PathBook {
    /// A book of these paths and guards (as the state holds them).
    pub(crate) fn new(paths: Vec<PathRecord>, guards: Vec<Snode>) -> Self {
        Self {
            paths,
            guards,
            carried: HashMap::new(),
            untested: Vec::new(),
        }
    }

    /// Path `index`, when it was mended and not yet tested.
    pub(crate) fn untested(&self, index: usize) -> Option<&OnionPath> {
        self.paths
            .get(index)
            .map(|p| &p.path)
            .filter(|p| self.untested.contains(p))
    }

    /// Marks path `index` tested (it answered its test).
    pub(crate) fn mark_tested(&mut self, index: usize) {
        if let Some(rec) = self.paths.get(index) {
            let path = rec.path.clone();
            self.untested.retain(|p| *p != path);
        }
    }

    /// Gives up path `index`, which failed its test (its guard stays, for a new path).
    pub(crate) fn remove_path(&mut self, index: usize) -> Changes {
        if index >= self.paths.len() {
            return Changes::default();
        }
        let rec = self.paths.remove(index);
        self.untested.retain(|p| *p != rec.path);
        Changes {
            paths: true,
            ..Changes::default()
        }
    }

    pub(crate) fn paths(&self) -> &[PathRecord] {
        &self.paths
    }

    pub(crate) fn guards(&self) -> &[Snode] {
        &self.guards
    }

    fn plain(&self) -> Vec<OnionPath> {
        self.paths.iter().map(|p| p.path.clone()).collect()
    }

    /// Every node on a path.
    pub(crate) fn used(&self) -> Vec<Ed25519Pub> {
        self.paths
            .iter()
            .flat_map(|p| p.path.hops().iter().map(|h| h.ed25519))
            .collect()
    }

    /// Guards that lead no path.
    pub(crate) fn free_guards(&self) -> Vec<Snode> {
        let used = self.used();
        self.guards
            .iter()
            .filter(|g| !used.contains(&g.ed25519))
            .cloned()
            .collect()
    }

    /// Keeps only the paths and guards whose nodes are all still in `pool` at the same
    /// address and with the same keys.
    pub(crate) fn retain_in_pool(&mut self, pool: &SnodePool) -> Changes {
        let (paths, guards) = (self.paths.len(), self.guards.len());
        self.paths
            .retain(|p| p.path.hops().iter().all(|h| same_node(pool, h)));
        self.guards.retain(|g| same_node(pool, g));
        Changes {
            paths: paths != self.paths.len(),
            guards: guards != self.guards.len(),
            ..Changes::default()
        }
    }

    /// Forgets every path and guard (`sesh path new`).
    pub(crate) fn clear(&mut self) -> Changes {
        *self = Self::default();
        Changes {
            paths: true,
            guards: true,
            ..Changes::default()
        }
    }

    /// Adds newly tested guards.
    pub(crate) fn add_guards(&mut self, guards: impl IntoIterator<Item = Snode>) -> Changes {
        let before = self.guards.len();
        for g in guards {
            if !self.guards.iter().any(|h| h.ed25519 == g.ed25519) {
                self.guards.push(g);
            }
        }
        Changes {
            guards: before != self.guards.len(),
            ..Changes::default()
        }
    }

    /// Forgets a guard that failed its test or its path.
    pub(crate) fn forget_guard(&mut self, guard: &Ed25519Pub) -> Changes {
        let before = self.guards.len();
        self.guards.retain(|g| g.ed25519 != *guard);
        Changes {
            guards: before != self.guards.len(),
            ..Changes::default()
        }
    }

    /// Adds newly built paths.
    pub(crate) fn add_paths(&mut self, paths: impl IntoIterator<Item = OnionPath>) -> Changes {
        let before = self.paths.len();
        for path in paths {
            let failures = self
                .carried
                .remove(&path.guard().ed25519)
                .unwrap_or_default();
            self.paths.push(PathRecord { path, failures });
        }
        Changes {
            paths: before != self.paths.len(),
            ..Changes::default()
        }
    }

    /// What happened to a request through path `index` (§7.7): a failure counts +1 for the
    /// path and strikes whom it blames. Once the strikes are counted (and struck-out nodes
    /// dropped, which mends their paths), [`PathBook::retire_failed`] drops paths at the
    /// limit.
    pub(crate) fn record(&mut self, index: usize, event: &PathEvent) -> Changes {
        let Some(rec) = self.paths.get_mut(index) else {
            return Changes::default();
        };
        let hops: Vec<Ed25519Pub> = rec.path.hops().iter().map(|h| h.ed25519).collect();
        let strike = match event {
            // Every hop did its part: their strikes go, and the path's failures.
            PathEvent::Worked => {
                let paths = rec.failures != 0;
                rec.failures = 0;
                return Changes {
                    clear: hops,
                    paths,
                    ..Changes::default()
                };
            }
            PathEvent::GuardUnreachable => hops[..1].to_vec(),
            PathEvent::Unattributed => Vec::new(),
            // A relay of the path cannot be reached: it takes a strike, and the path is given
            // up at once (its guard stays, for a path of tested nodes), rather than sent
            // into the same dead end again.
            PathEvent::NodeNotFound { node, .. } if hops[1..].contains(node) => {
                rec.failures += 1;
                if rec.failures < STRIKE_LIMIT {
                    let guard = hops[0];
                    self.carried.insert(guard, rec.failures);
                    self.paths.remove(index);
                }
                return Changes {
                    strike: vec![*node],
                    paths: true,
                    ..Changes::default()
                };
            }
            PathEvent::NodeNotFound { node, .. } if hops.contains(node) => vec![*node],
            // The path carried the request to its end: the destination alone is at fault,
            // if the message is true.
            PathEvent::NodeNotFound { node, dest } if node == dest => {
                return Changes {
                    strike: vec![*dest],
                    ..Changes::default()
                };
            }
            // About a node we did not route through: a lie, or news about someone else.
            PathEvent::NodeNotFound { .. } => return Changes::default(),
        };
        rec.failures += 1;
        Changes {
            strike,
            paths: true,
            ..Changes::default()
        }
    }

    /// Drops the paths that failed [`STRIKE_LIMIT`] times, with their guards; each such
    /// guard takes one strike (it was on every failed attempt, whoever else was at fault),
    /// so that a guard retired for garbling replies is not simply tested and chosen again.
    pub(crate) fn retire_failed(&mut self) -> Changes {
        let mut changes = Changes::default();
        let failed: Vec<Ed25519Pub> = self
            .paths
            .iter()
            .filter(|p| p.failures >= STRIKE_LIMIT)
            .map(|p| p.path.guard().ed25519)
            .collect();
        for guard in failed {
            self.paths.retain(|p| p.path.guard().ed25519 != guard);
            changes.paths = true;
            changes.merge(self.forget_guard(&guard));
            if !changes.strike.contains(&guard) {
                changes.strike.push(guard);
            }
        }
        changes
    }

    /// Drops `node` (struck out, §7.7): a path through it gets a replacement hop from `pool`
    /// (which no longer has it), or is dropped when it was the guard or none qualifies; a
    /// guard is forgotten.
    pub(crate) fn drop_node(
        &mut self,
        node: &Ed25519Pub,
        pool: &[Snode],
        policy: &PathPolicy,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Changes {
        let mut changes = self.forget_guard(node);
        let plain = self.plain();
        let records = std::mem::take(&mut self.paths);
        for (i, rec) in records.into_iter().enumerate() {
            if !rec.path.contains(node) {
                self.paths.push(rec);
                continue;
            }
            changes.paths = true;
            if rec.path.guard().ed25519 == *node {
                continue;
            }
            // The mended path is a new path: its failures start again, and it is tested
            // before its first use.
            if let Ok(path) = onion_path::replace_hop(&plain, i, node, pool, policy, &[*node], rng)
            {
                self.untested.push(path.clone());
                self.paths.push(PathRecord { path, failures: 0 });
            }
        }
        changes
    }

    /// A path for a request to `dest`, by index: one that does not contain it nor (with
    /// subnet diversity) a node of its /24, chosen at random, preferring paths whose guard is
    /// not in `avoid` (guards that just failed). When none fits, a relay of a path is swapped
    /// for another node of `pool`.
    ///
    /// # Errors
    /// [`PathError::NoReplacement`] when no path qualifies and none can be mended (every
    /// path's guard clashes with `dest`), [`PathError::TooFewGuards`] when there are no paths.
    pub(crate) fn path_for(
        &mut self,
        dest: &Snode,
        avoid: &HashSet<Ed25519Pub>,
        pool: &[Snode],
        policy: &PathPolicy,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<(usize, Changes), PathError> {
        let fits: Vec<usize> = (0..self.paths.len())
            .filter(|&i| onion_path::fits_destination(&self.paths[i].path, dest, policy))
            .collect();
        let fresh: Vec<usize> = fits
            .iter()
            .copied()
            .filter(|&i| !avoid.contains(&self.paths[i].path.guard().ed25519))
            .collect();
        let ok = if fresh.is_empty() { fits } else { fresh };
        if !ok.is_empty() {
            return Ok((ok[onion_path::uniform(rng, ok.len())], Changes::default()));
        }
        if self.paths.is_empty() {
            return Err(PathError::TooFewGuards {
                needed: 1,
                available: 0,
            });
        }
        // Mend a path whose guard is not the problem: replace every relay that is `dest` or
        // shares its /24.
        let clashes = |h: &Snode| {
            h.ed25519 == dest.ed25519
                || (policy.subnet_diversity && h.subnet24() == dest.subnet24())
        };
        let index = (0..self.paths.len())
            .find(|&i| !clashes(self.paths[i].path.guard()))
            .ok_or(PathError::NoReplacement {
                failed: dest.ed25519,
            })?;
        let mut exclude = vec![dest.ed25519];
        exclude.extend(
            pool.iter()
                .filter(|n| policy.subnet_diversity && n.subnet24() == dest.subnet24())
                .map(|n| n.ed25519),
        );
        let bad: Vec<Ed25519Pub> = self.paths[index]
            .path
            .hops()
            .iter()
            .filter(|h| clashes(h))
            .map(|h| h.ed25519)
            .collect();
        for b in bad {
            let plain = self.plain();
            let new = onion_path::replace_hop(&plain, index, &b, pool, policy, &exclude, rng)?;
            self.untested.push(new.clone());
            self.paths[index] = PathRecord {
                path: new,
                failures: 0,
            };
        }
        Ok((
            index,
            Changes {
                paths: true,
                ..Changes::default()
            },
        ))
    }

    /// Whether the guard of every path that could carry a request to `dest` is in `failed`:
    /// the request could not leave through any of them.
    pub(crate) fn all_guards_failed(
        &self,
        failed: &HashSet<Ed25519Pub>,
        dest: &Snode,
        policy: &PathPolicy,
    ) -> bool {
        self.paths
            .iter()
            .filter(|p| onion_path::fits_destination(&p.path, dest, policy))
            .all(|p| failed.contains(&p.path.guard().ed25519))
    }

    /// The guard of path `index`.
    pub(crate) fn guard_of(&self, index: usize) -> Option<Ed25519Pub> {
        self.paths.get(index).map(|p| p.path.guard().ed25519)
    }
}

pub(super) fn addr(n: &Snode) -> SocketAddrV4 {
    SocketAddrV4::new(n.ip, n.port)
}

/// Whether `n` is the pool's node of that key at the same address.
pub(super) fn same_node(pool: &SnodePool, n: &Snode) -> bool {
    pool.get(&n.ed25519)
        .is_some_and(|p| p.x25519 == n.x25519 && p.ip == n.ip && p.port == n.port)
}

/// Path-building rounds before giving up when new paths fail their test.
const BUILD_ROUNDS: usize = 8;

impl<T: Transport, C: Clock, R: RngCore + CryptoRng> Client<T, C, R> {
    // ---- guards and paths ----------------------------------------------------------------

    /// The onion paths in use, building (and testing) any that are missing.
    ///
    /// # Errors
    /// The pool's errors, [`Error::NoGuards`], [`Error::DeadHops`], [`Error::Path`],
    /// [`Error::State`].
    pub async fn paths(&mut self) -> Result<Vec<OnionPath>, Error> {
        self.ensure_paths().await?;
        Ok(self
            .book
            .iter()
            .flat_map(PathBook::paths)
            .map(|p| p.path.clone())
            .collect())
    }

    /// Drops the onion paths and their guards, and builds new ones, testing new guards
    /// and every new path (`sesh path new`).
    ///
    /// # Errors
    /// Those of [`Client::paths`].
    pub async fn new_paths(&mut self) -> Result<Vec<OnionPath>, Error> {
        self.ensure_pool().await?;
        let changes = self.book_mut()?.clear();
        self.apply(changes)?;
        self.paths_short = false;
        self.paths().await
    }

    /// The path book, loaded from the state (and checked against the pool) on first use.
    pub(super) fn book_mut(&mut self) -> Result<&mut PathBook, Error> {
        if self.book.is_none() {
            let paths = self.state.paths().map_err(Error::State)?;
            let guards = self.state.guards().map_err(Error::State)?;
            let mut book = PathBook::new(paths, guards);
            if let Some(pool) = &self.pool {
                let changes = book.retain_in_pool(pool);
                self.book = Some(book);
                self.apply(changes)?;
            } else {
                self.book = Some(book);
            }
        }
        Ok(self.book.as_mut().expect("should have a book: set above"))
    }

    /// Saves what a [`PathBook`] change asks for, and counts its strikes: a node at
    /// [`STRIKE_LIMIT`] is dropped everywhere (pool, swarms, guards, paths).
    pub(super) fn apply(&mut self, changes: Changes) -> Result<(), Error> {
        let Changes {
            strike,
            clear,
            mut paths,
            mut guards,
        } = changes;
        for node in clear {
            self.state.clear_strikes(&node).map_err(Error::State)?;
        }
        for node in strike {
            if self.state.strike(&node).map_err(Error::State)? >= STRIKE_LIMIT {
                self.state.drop_node(&node).map_err(Error::State)?;
                if let Some(pool) = self.pool.as_mut() {
                    pool.remove(&node);
                }
                let pool = self
                    .pool
                    .as_ref()
                    .map(|p| p.nodes().to_vec())
                    .unwrap_or_default();
                if let Some(book) = self.book.as_mut() {
                    let c = book.drop_node(&node, &pool, &self.policy, &mut self.rng);
                    paths |= c.paths;
                    guards |= c.guards;
                }
            }
        }
        if let Some(book) = &self.book {
            if paths {
                self.state.save_paths(book.paths()).map_err(Error::State)?;
            }
            if guards {
                self.state
                    .save_guards(book.guards())
                    .map_err(Error::State)?;
            }
        }
        Ok(())
    }

    /// Builds missing paths; when the guards or the new paths' hops do not answer and the
    /// pool did not come from the network in this run, refetches the pool and tries once
    /// more (a devnet restarted with new addresses, or a pool that went stale).
    pub(super) async fn ensure_paths(&mut self) -> Result<(), Error> {
        self.ensure_pool().await?;
        match self.build_paths().await {
            Err(e @ (Error::NoGuards { .. } | Error::DeadHops { .. }))
                if !self.pool_fetched_now && !self.refreshing =>
            {
                if self.refetch_pool().await.is_err() {
                    return Err(e);
                }
                self.build_paths().await
            }
            other => other,
        }
    }

    /// Builds the missing paths from nodes that answer: new guards are tested, and every new
    /// path carries a test request before it is kept; nodes that fail are avoided in the next
    /// round. When the live nodes cannot make every path, fewer paths are kept (and not
    /// rebuilt again until [`Client::reload`]); none at all is an error that says what is
    /// missing.
    async fn build_paths(&mut self) -> Result<(), Error> {
        let want = self.policy.paths;
        let have = self.book_mut()?.paths().len();
        if have >= want || (have > 0 && self.paths_short) {
            return Ok(());
        }
        let mut dead: Vec<Ed25519Pub> = Vec::new();
        let mut last_err = None;
        for _ in 0..BUILD_ROUNDS {
            let book = self.book_mut()?;
            let have = book.paths().len();
            if have >= want {
                return Ok(());
            }
            let needed = want - have;
            let used = book.used();
            let mut free = book.free_guards();
            let pool = self.pool_ref().clone();
            if free.len() < needed {
                let mut exclude = used.clone();
                exclude.extend(self.book_mut()?.guards().iter().map(|g| g.ed25519));
                exclude.extend(dead.iter().copied());
                match self.test_guards(&pool, &exclude, needed - free.len()).await {
                    Ok(found) => {
                        free.extend(found.iter().cloned());
                        let c = self.book_mut()?.add_guards(found);
                        self.apply(c)?;
                    }
                    Err(e) if free.is_empty() => {
                        last_err = Some(e);
                        break;
                    }
                    Err(_) => {}
                }
            }
            let mut exclude = used;
            exclude.extend(dead.iter().copied());
            // As many paths as the live nodes allow, up to the number missing.
            let mut new = None;
            for k in (1..=needed.min(free.len())).rev() {
                let policy = PathPolicy {
                    paths: k,
                    ..self.policy
                };
                match onion_path::select_with_guards(
                    pool.nodes(),
                    &free,
                    &policy,
                    &exclude,
                    &mut self.rng,
                ) {
                    Ok(paths) => {
                        new = Some(paths);
                        break;
                    }
                    Err(e) => last_err = Some(Error::Path(e)),
                }
            }
            let Some(new) = new else {
                break;
            };
            for path in new {
                match self.test_path(&path).await {
                    Ok(()) => {
                        let c = self.book_mut()?.add_paths([path]);
                        self.apply(c)?;
                    }
                    Err(culprits) => {
                        for c in &culprits {
                            if *c == path.guard().ed25519 {
                                let ch = self.book_mut()?.forget_guard(c);
                                self.apply(ch)?;
                            }
                        }
                        dead.extend(culprits);
                    }
                }
            }
        }
        let have = self.book_mut()?.paths().len();
        if have >= want {
            return Ok(());
        }
        if have > 0 {
            // Degraded, but working: fewer paths through nodes that answered.
            self.paths_short = true;
            return Ok(());
        }
        if dead.is_empty() {
            return Err(last_err.unwrap_or(Error::NoGuards { tested: 0 }));
        }
        dead.sort_unstable_by_key(Ed25519Pub::to_hex);
        dead.dedup();
        let mut nodes: Vec<String> = dead.iter().take(5).map(short_key).collect();
        if dead.len() > nodes.len() {
            nodes.push("…".into());
        }
        Err(Error::DeadHops {
            nodes: nodes.join(", "),
            needed: self.policy.hops,
            live: self.pool_ref().len().saturating_sub(dead.len()),
            dead: dead.len(),
        })
    }

    /// Tests a new path with an `info` request through its guard and middle hop to its exit
    /// (so that no hop but the guard sees our address). On failure, who to avoid: the hop a
    /// relay says it cannot reach, the guard when it cannot be reached, else the relays.
    async fn test_path(&mut self, path: &OnionPath) -> Result<(), Vec<Ed25519Pub>> {
        let hops = path.hops();
        let Some((exit, relays)) = hops.split_last() else {
            return Ok(());
        };
        let payload = storage::info_request();
        let Ok(outcome) = self.exchange(relays, exit, &payload).await else {
            return Err(hops[1..].iter().map(|h| h.ed25519).collect());
        };
        match outcome {
            Attempt::Answer { status: 200, body } => {
                let _ = self.learn_time(&exit.ed25519, &body);
                Ok(())
            }
            Attempt::Transport(_) => Err(vec![path.guard().ed25519]),
            Attempt::Path { status, body } => match status::of_path_reply(status, &body) {
                Outcome::NextNodeNotFound(k) | Outcome::NextNodeUnreachable(k)
                    if path.contains(&k) =>
                {
                    Err(vec![k])
                }
                _ => Err(hops[1..].iter().map(|h| h.ed25519).collect()),
            },
            _ => Err(hops[1..].iter().map(|h| h.ed25519).collect()),
        }
    }

    /// Tests guard candidates two at a time with a direct `get_swarm` (§7.6) until `needed`
    /// answered (or the rounds run out: then those that answered, if any).
    ///
    /// The `pubkey` asked about is a random one, not the user's: a direct request shows the
    /// guard our IP address, and it should not learn which account goes with it.
    pub(super) async fn test_guards(
        &mut self,
        pool: &SnodePool,
        exclude: &[Ed25519Pub],
        needed: usize,
    ) -> Result<Vec<Snode>, Error> {
        let candidates: Vec<Snode> =
            onion_path::guard_candidates(pool.nodes(), exclude, &mut self.rng)
                .into_iter()
                .cloned()
                .collect();
        let mut found = Vec::new();
        let mut tested = 0;
        for batch in candidates.chunks(GUARD_BATCH).take(GUARD_ROUNDS) {
            let mut key = [0u8; 32];
            self.rng.fill_bytes(&mut key);
            let body = storage::guard_test_request(&SessionId::from_x25519(X25519Pub(key)));
            let t = &self.transport;
            let timeout = self.config.guard_timeout;
            let targets: Vec<Target> = batch
                .iter()
                .map(|g| Target::Node {
                    addr: addr(g),
                    path: STORAGE_RPC_PATH,
                })
                .collect();
            let replies = match targets.as_slice() {
                [a, b] => {
                    let (ra, rb) =
                        tokio::join!(t.post(a, body.clone(), timeout), t.post(b, body, timeout));
                    vec![ra, rb]
                }
                [a] => vec![t.post(a, body, timeout).await],
                _ => Vec::new(),
            };
            tested += batch.len();
            for (g, reply) in batch.iter().zip(replies) {
                if let Ok(r) = reply
                    && status::of_status(r.status) == Outcome::Ok
                {
                    if let Some(t) = storage::time_of(&r.body) {
                        self.learn_direct_time_sample(&g.ed25519, t)?;
                    }
                    found.push(g.clone());
                }
            }
            if found.len() >= needed {
                found.truncate(needed);
                return Ok(found);
            }
        }
        // Fewer than asked for still make some paths.
        if !found.is_empty() {
            return Ok(found);
        }
        if candidates.is_empty() {
            return Err(Error::Path(PathError::TooFewGuards {
                needed,
                available: 0,
            }));
        }
        Err(Error::NoGuards { tested })
    }

    /// A path for a request to `dest` (see [`PathBook::path_for`]), saving any mended path.
    pub(super) fn path_for(
        &mut self,
        dest: &Snode,
        avoid: &HashSet<Ed25519Pub>,
    ) -> Result<usize, Error> {
        let pool = self.pool_ref().nodes().to_vec();
        let policy = self.policy;
        self.book_mut()?;
        let book = self
            .book
            .as_mut()
            .expect("should have a book: loaded above");
        let (index, changes) = book
            .path_for(dest, avoid, &pool, &policy, &mut self.rng)
            .map_err(Error::Path)?;
        self.apply(changes)?;
        Ok(index)
    }

    /// [`Client::path_for`], with a mended path tested before its first use: one that fails
    /// its test is given up (its guard too, when the guard did not answer) and another path
    /// is chosen, built when needed.
    pub(super) async fn tested_path_for(
        &mut self,
        dest: &Snode,
        avoid: &HashSet<Ed25519Pub>,
    ) -> Result<usize, Error> {
        for _ in 0..BUILD_ROUNDS {
            let index = self.path_for(dest, avoid)?;
            let Some(path) = self.book_mut()?.untested(index).cloned() else {
                return Ok(index);
            };
            match self.test_path(&path).await {
                Ok(()) => {
                    self.book_mut()?.mark_tested(index);
                    return Ok(index);
                }
                Err(culprits) => {
                    let mut changes = self.book_mut()?.remove_path(index);
                    if culprits.contains(&path.guard().ed25519) {
                        changes.merge(self.book_mut()?.forget_guard(&path.guard().ed25519));
                    }
                    self.apply(changes)?;
                    self.ensure_paths().await?;
                }
            }
        }
        self.path_for(dest, avoid)
    }

    /// Records what happened to a request through path `index`, counts the strikes, then
    /// retires paths at the failure limit, saving the changes.
    pub(super) fn record(&mut self, index: usize, event: &PathEvent) -> Result<(), Error> {
        let changes = self.book_mut()?.record(index, event);
        self.apply(changes)?;
        let changes = self.book_mut()?.retire_failed();
        self.apply(changes)
    }

    /// Forgets a node's strikes: a destination whose answer was accepted.
    pub(super) fn clear_strikes(&mut self, node: &Ed25519Pub) -> Result<(), Error> {
        self.book_mut()?;
        self.apply(Changes {
            clear: vec![*node],
            ..Changes::default()
        })
    }

    /// A strike against a node (a destination that answered 5xx, or a member that lied);
    /// dropped at [`STRIKE_LIMIT`].
    pub(super) fn strike_node(&mut self, node: &Ed25519Pub) -> Result<(), Error> {
        self.book_mut()?;
        self.apply(Changes {
            strike: vec![*node],
            ..Changes::default()
        })
    }

    pub(super) fn guard_of(&self, index: usize) -> Ed25519Pub {
        self.book
            .as_ref()
            .and_then(|b| b.guard_of(index))
            .unwrap_or(Ed25519Pub([0; 32]))
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    fn node(i: u8) -> Snode {
        Snode {
            ed25519: Ed25519Pub([i; 32]),
            x25519: X25519Pub([i; 32]),
            ip: Ipv4Addr::new(10, 0, i, 1),
            port: 1000 + u16::from(i),
            swarm_id: 0,
            version: Some([2, 11, 0]),
        }
    }

    fn book() -> PathBook {
        let p = |a, b, c| PathRecord {
            path: OnionPath::new(vec![node(a), node(b), node(c)]).unwrap(),
            failures: 0,
        };
        PathBook::new(vec![p(1, 2, 3), p(4, 5, 6)], vec![node(1), node(4)])
    }

    #[test]
    fn not_found_about_a_stranger_changes_nothing() {
        let mut b = book();
        let before = b.clone();
        let c = b.record(
            0,
            &PathEvent::NodeNotFound {
                node: node(9).ed25519,
                dest: node(8).ed25519,
            },
        );
        assert_eq!(c, Changes::default());
        assert_eq!(b, before);
        // Not even a hop of the other path.
        let c = b.record(
            0,
            &PathEvent::NodeNotFound {
                node: node(5).ed25519,
                dest: node(8).ed25519,
            },
        );
        assert_eq!(c, Changes::default());
        assert_eq!(b, before);
    }

    #[test]
    fn not_found_about_a_hop_strikes_only_that_hop() {
        let mut b = book();
        let c = b.record(
            0,
            &PathEvent::NodeNotFound {
                node: node(3).ed25519,
                dest: node(8).ed25519,
            },
        );
        assert_eq!(c.strike, vec![node(3).ed25519]);
        assert!(!c.guards);
        // The path is given up, its guard kept for a new one, which inherits the failure.
        assert_eq!(b.paths().len(), 1);
        assert_eq!(b.guards().len(), 2);
        assert_eq!(b.free_guards(), [node(1)]);
        b.add_paths([OnionPath::new(vec![node(1), node(9), node(10)]).unwrap()]);
        assert_eq!(b.paths()[1].failures, 1);
        // About the destination: it alone takes the strike; the path did its job.
        let c = b.record(
            0,
            &PathEvent::NodeNotFound {
                node: node(8).ed25519,
                dest: node(8).ed25519,
            },
        );
        assert_eq!(c.strike, vec![node(8).ed25519]);
        assert_eq!(b.paths()[0].failures, 0);
    }

    #[test]
    fn a_guard_that_keeps_blaming_its_relays_is_retired() {
        let mut b = book();
        for i in 0..STRIKE_LIMIT {
            let relay = b.paths()[1].path.hops()[1].ed25519;
            b.record(
                1,
                &PathEvent::NodeNotFound {
                    node: relay,
                    dest: node(8).ed25519,
                },
            );
            b.retire_failed();
            if i + 1 < STRIKE_LIMIT {
                let j = 20 + u8::try_from(i).unwrap() * 2;
                b.add_paths([OnionPath::new(vec![node(4), node(j), node(j + 1)]).unwrap()]);
            }
        }
        assert_eq!(b.paths().len(), 1);
        assert_eq!(b.guards(), [node(1)]);
    }

    #[test]
    fn guard_failures_blame_the_guard_and_drop_the_path_at_the_limit() {
        let mut b = book();
        for i in 1..STRIKE_LIMIT {
            let c = b.record(0, &PathEvent::GuardUnreachable);
            assert_eq!(c.strike, vec![node(1).ed25519]);
            assert_eq!(b.paths()[0].failures, i);
        }
        let c = b.record(0, &PathEvent::GuardUnreachable);
        assert!(c.paths && !c.guards);
        assert_eq!(b.paths().len(), 2);
        let c = b.retire_failed();
        assert!(c.paths && c.guards);
        assert_eq!(b.paths().len(), 1);
        assert_eq!(b.guards(), [node(4)]);
        // An error no one can be blamed for strikes no one; success resets the count and
        // clears the hops' strikes.
        let c = b.record(0, &PathEvent::Unattributed);
        assert!(c.strike.is_empty());
        assert_eq!(b.paths()[0].failures, 1);
        let hops = vec![node(4).ed25519, node(5).ed25519, node(6).ed25519];
        let c = b.record(0, &PathEvent::Worked);
        assert!(c.paths);
        assert_eq!(c.clear, hops);
        assert_eq!(b.paths()[0].failures, 0);
        let c = b.record(0, &PathEvent::Worked);
        assert!(!c.paths && c.strike.is_empty());
        assert_eq!(c.clear, hops);
    }

    #[test]
    fn a_path_that_keeps_failing_unattributably_costs_its_guard_one_strike() {
        let mut b = book();
        for _ in 0..STRIKE_LIMIT {
            let c = b.record(0, &PathEvent::Unattributed);
            assert!(c.strike.is_empty(), "{c:?}");
        }
        let c = b.retire_failed();
        assert_eq!(c.strike, vec![node(1).ed25519]);
        assert!(c.paths && c.guards);
        assert_eq!(b.paths().len(), 1);
        assert_eq!(b.guards(), [node(4)]);
    }

    #[test]
    fn dropping_a_relay_mends_the_path_and_dropping_a_guard_removes_it() {
        let mut b = book();
        let pool: Vec<Snode> = (1..=12).filter(|&i| i != 2).map(node).collect();
        let mut rng = crate::client::tests::TestRng(1);
        let c = b.drop_node(&node(2).ed25519, &pool, &PathPolicy::default(), &mut rng);
        assert!(c.paths);
        assert_eq!(b.paths().len(), 2);
        assert!(!b.paths()[0].path.contains(&node(2).ed25519));
        assert_eq!(b.paths()[0].path.guard(), &node(1));
        let c = b.drop_node(&node(4).ed25519, &pool, &PathPolicy::default(), &mut rng);
        assert!(c.paths && c.guards);
        assert_eq!(b.paths().len(), 1);
        assert_eq!(b.guards(), [node(1)]);
    }

    #[test]
    fn a_mended_path_is_untested_until_marked() {
        let mut b = book();
        assert!(b.untested(0).is_none() && b.untested(1).is_none());
        let pool: Vec<Snode> = (1..=12).filter(|&i| i != 2).map(node).collect();
        let mut rng = crate::client::tests::TestRng(1);
        b.drop_node(&node(2).ed25519, &pool, &PathPolicy::default(), &mut rng);
        assert_eq!(b.untested(0), Some(&b.paths()[0].path));
        assert!(b.untested(1).is_none());
        b.mark_tested(0);
        assert!(b.untested(0).is_none());
        // Mended for a destination in its subnet: untested too; given up, gone.
        let mut dest = node(20);
        dest.ip = Ipv4Addr::new(10, 0, 3, 9);
        let mut b = PathBook::new(book().paths()[..1].to_vec(), vec![node(1)]);
        let pool: Vec<Snode> = (1..=12).map(node).collect();
        let (i, _) = b
            .path_for(
                &dest,
                &HashSet::new(),
                &pool,
                &PathPolicy::default(),
                &mut rng,
            )
            .unwrap();
        assert!(b.untested(i).is_some());
        assert!(b.remove_path(i).paths);
        assert!(b.paths().is_empty());
    }

    #[test]
    fn a_path_never_shares_a_subnet_with_the_destination() {
        let mut b = book();
        let mut rng = crate::client::tests::TestRng(2);
        let pool: Vec<Snode> = (1..=12).map(node).collect();
        let policy = PathPolicy::default();
        // Node 3's /24 neighbour: path 0 does not qualify; path 1 does.
        let mut dest = node(20);
        dest.ip = Ipv4Addr::new(10, 0, 3, 9);
        for _ in 0..10 {
            let (i, c) = b
                .path_for(&dest, &HashSet::new(), &pool, &policy, &mut rng)
                .unwrap();
            assert_eq!(i, 1);
            assert_eq!(c, Changes::default());
        }
        // A destination in both paths' subnets: a relay is swapped out.
        let mut b = PathBook::new(b.paths()[..1].to_vec(), vec![node(1)]);
        let (i, c) = b
            .path_for(&dest, &HashSet::new(), &pool, &policy, &mut rng)
            .unwrap();
        assert_eq!(i, 0);
        assert!(c.paths);
        let hops = b.paths()[0].path.hops();
        assert!(hops.iter().all(|h| h.subnet24() != dest.subnet24()));
        assert_eq!(hops[0], node(1));
        // Without subnet diversity only the destination itself matters.
        let mut b = book();
        let off = PathPolicy {
            subnet_diversity: false,
            ..policy
        };
        let (_, c) = b
            .path_for(&dest, &HashSet::new(), &pool, &off, &mut rng)
            .unwrap();
        assert_eq!(c, Changes::default());
    }
}
