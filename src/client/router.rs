//! Onion paths, guards and strikes: which path a request takes, and whom a failure blames.

use super::*;

/// Whom a path failure is counted against.
#[derive(Clone, Copy, Debug)]
pub(super) enum Blame {
    /// The guard could not be reached: its fault alone. (session-desktop strikes the other
    /// hops in this case too; sesh doesn't, so that one dead guard does not get two healthy
    /// nodes dropped from the pool.)
    Guard,
    /// A hop answered with an error, or the reply was garbled somewhere along the path: the
    /// hops after the guard take a strike each (§7.7).
    Relays,
}

pub(super) fn addr(n: &Snode) -> SocketAddrV4 {
    SocketAddrV4::new(n.ip, n.port)
}

/// Whether `n` is the pool's node of that key at the same address.
pub(super) fn same_node(pool: &SnodePool, n: &Snode) -> bool {
    pool.get(&n.ed25519)
        .is_some_and(|p| p.x25519 == n.x25519 && p.ip == n.ip && p.port == n.port)
}

impl<T: Transport, C: Clock, R: RngCore + CryptoRng> Client<T, C, R> {
    // ---- guards and paths ----------------------------------------------------------------

    /// The onion paths in use, building (and testing guards for) any that are missing.
    ///
    /// # Errors
    /// The pool's errors, [`Error::NoGuards`], [`Error::Path`], [`Error::State`].
    pub async fn paths(&mut self) -> Result<Vec<OnionPath>, Error> {
        self.ensure_paths().await?;
        Ok(self
            .paths
            .iter()
            .flatten()
            .map(|p| p.path.clone())
            .collect())
    }

    /// Drops the onion paths and their guards, and builds new ones, testing new guards
    /// (`sesh path new`).
    ///
    /// # Errors
    /// Those of [`Client::paths`].
    pub async fn new_paths(&mut self) -> Result<Vec<OnionPath>, Error> {
        self.ensure_pool().await?;
        self.paths = Some(Vec::new());
        self.save_paths()?;
        self.state.save_guards(&[]).map_err(Error::State)?;
        self.paths().await
    }

    /// Paths whose hops are all still in the pool at the same address.
    pub(super) fn valid_paths(&self, paths: Vec<PathRecord>) -> Vec<PathRecord> {
        let Some(pool) = &self.pool else {
            return paths;
        };
        paths
            .into_iter()
            .filter(|p| p.path.hops().iter().all(|h| same_node(pool, h)))
            .collect()
    }

    pub(super) fn save_paths(&mut self) -> Result<(), Error> {
        let paths = self.paths.clone().unwrap_or_default();
        self.state.save_paths(&paths).map_err(Error::State)
    }

    pub(super) async fn ensure_paths(&mut self) -> Result<(), Error> {
        self.ensure_pool().await?;
        if self.paths.is_none() {
            let stored = self.state.paths().map_err(Error::State)?;
            let valid = self.valid_paths(stored);
            self.paths = Some(valid);
        }
        let have = self.paths.as_ref().map_or(0, Vec::len);
        if have >= self.policy.paths {
            return Ok(());
        }
        let needed = self.policy.paths - have;
        let used: Vec<Ed25519Pub> = self
            .paths
            .iter()
            .flatten()
            .flat_map(|p| p.path.hops().iter().map(|h| h.ed25519))
            .collect();
        let pool = self.pool_ref().clone();
        let mut guards: Vec<Snode> = self
            .state
            .guards()
            .map_err(Error::State)?
            .into_iter()
            .filter(|g| same_node(&pool, g))
            .collect();
        let mut free: Vec<Snode> = guards
            .iter()
            .filter(|g| !used.contains(&g.ed25519))
            .cloned()
            .collect();
        if free.len() < needed {
            let mut exclude = used.clone();
            exclude.extend(guards.iter().map(|g| g.ed25519));
            let found = self
                .test_guards(&pool, &exclude, needed - free.len())
                .await?;
            guards.extend(found.iter().cloned());
            free.extend(found);
            self.state.save_guards(&guards).map_err(Error::State)?;
        }
        let policy = PathPolicy {
            paths: needed,
            ..self.policy
        };
        let new =
            onion_path::select_with_guards(pool.nodes(), &free, &policy, &used, &mut self.rng)
                .map_err(Error::Path)?;
        self.paths
            .get_or_insert_with(Vec::new)
            .extend(new.into_iter().map(|path| PathRecord { path, failures: 0 }));
        self.save_paths()
    }

    /// Tests guard candidates two at a time with a direct `get_swarm` (§7.6) until `needed`
    /// answered.
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
            let body = json!({
                "method": "get_swarm",
                "params": {"pubkey": SessionId::from_x25519(X25519Pub(key)).to_string()},
            })
            .to_string()
            .into_bytes();
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
                    && (200..300).contains(&r.status)
                {
                    if let Ok(v) = serde_json::from_slice::<Value>(&r.body) {
                        self.learn_time(&v)?;
                    }
                    found.push(g.clone());
                }
            }
            if found.len() >= needed {
                found.truncate(needed);
                return Ok(found);
            }
        }
        if candidates.is_empty() {
            return Err(Error::Path(PathError::TooFewGuards {
                needed,
                available: 0,
            }));
        }
        Err(Error::NoGuards { tested })
    }

    /// A random path not containing `dest`, by index; replaces `dest` in a path if every path
    /// has it.
    pub(super) fn path_for(&mut self, dest: &Snode) -> Result<usize, Error> {
        let paths = self.paths.as_ref().map_or(&[][..], Vec::as_slice);
        let ok: Vec<usize> = (0..paths.len())
            .filter(|&i| !paths[i].path.contains(&dest.ed25519))
            .collect();
        if !ok.is_empty() {
            return Ok(ok[onion_path::uniform(&mut self.rng, ok.len())]);
        }
        // Only possible with a single path: swap the destination out of it.
        let records = self.paths.clone().unwrap_or_default();
        let index = records
            .iter()
            .position(|p| p.path.contains(&dest.ed25519))
            .ok_or(Error::Path(PathError::TooFewGuards {
                needed: 1,
                available: 0,
            }))?;
        let plain: Vec<OnionPath> = records.iter().map(|p| p.path.clone()).collect();
        let pool = self.pool_ref().nodes().to_vec();
        let new = onion_path::replace_hop(
            &plain,
            index,
            &dest.ed25519,
            &pool,
            &self.policy,
            &[dest.ed25519],
            &mut self.rng,
        )
        .map_err(Error::Path)?;
        if let Some(p) = self.paths.as_mut().and_then(|p| p.get_mut(index)) {
            p.path = new;
            p.failures = 0;
        }
        self.save_paths()?;
        Ok(index)
    }

    /// Drops a node everywhere (§7.7): pool, swarms, guards, and paths (a path through it
    /// gets a replacement hop, or is dropped when it was the guard or none qualifies).
    pub(super) fn drop_node(&mut self, node: &Ed25519Pub) -> Result<(), Error> {
        self.state.drop_node(node).map_err(Error::State)?;
        if let Some(pool) = self.pool.as_mut() {
            pool.remove(node);
        }
        let Some(records) = self.paths.clone() else {
            return Ok(());
        };
        let pool = self.pool_ref().nodes().to_vec();
        let mut kept: Vec<PathRecord> = Vec::with_capacity(records.len());
        let plain: Vec<OnionPath> = records.iter().map(|p| p.path.clone()).collect();
        for (i, rec) in records.into_iter().enumerate() {
            if !rec.path.contains(node) {
                kept.push(rec);
                continue;
            }
            if rec.path.guard().ed25519 == *node {
                continue;
            }
            if let Ok(path) = onion_path::replace_hop(
                &plain,
                i,
                node,
                &pool,
                &self.policy,
                &[*node],
                &mut self.rng,
            ) {
                kept.push(PathRecord {
                    path,
                    failures: rec.failures,
                });
            }
        }
        self.paths = Some(kept);
        self.save_paths()
    }

    /// A failure of path `index` (§7.7): +1 for the path and a strike for whom `blame`
    /// names; a path at [`STRIKE_LIMIT`] failures is dropped with its guard, a node at
    /// [`STRIKE_LIMIT`] strikes is dropped everywhere.
    pub(super) fn path_failed(&mut self, index: usize, blame: Blame) -> Result<(), Error> {
        let Some(rec) = self.paths.as_mut().and_then(|p| p.get_mut(index)) else {
            return Ok(());
        };
        rec.failures += 1;
        let rec = rec.clone();
        let mut to_drop = Vec::new();
        let struck = match blame {
            Blame::Guard => &rec.path.hops()[..1],
            Blame::Relays => &rec.path.hops()[1..],
        };
        for h in struck {
            if self.state.strike(&h.ed25519).map_err(Error::State)? >= STRIKE_LIMIT {
                to_drop.push(h.ed25519);
            }
        }
        if rec.failures >= STRIKE_LIMIT {
            if let Some(paths) = self.paths.as_mut() {
                paths.remove(index);
            }
            let guard = rec.path.guard().ed25519;
            let guards: Vec<Snode> = self
                .state
                .guards()
                .map_err(Error::State)?
                .into_iter()
                .filter(|g| g.ed25519 != guard)
                .collect();
            self.state.save_guards(&guards).map_err(Error::State)?;
        }
        for n in &to_drop {
            self.drop_node(n)?;
        }
        self.save_paths()
    }

    pub(super) fn path_worked(&mut self, index: usize) -> Result<(), Error> {
        if let Some(rec) = self.paths.as_mut().and_then(|p| p.get_mut(index))
            && rec.failures > 0
        {
            rec.failures = 0;
            return self.save_paths();
        }
        Ok(())
    }

    /// A strike against a destination that answered 5xx; dropped at [`STRIKE_LIMIT`].
    pub(super) fn strike_node(&mut self, node: &Ed25519Pub) -> Result<(), Error> {
        if self.state.strike(node).map_err(Error::State)? >= STRIKE_LIMIT {
            self.drop_node(node)?;
        }
        Ok(())
    }
}
