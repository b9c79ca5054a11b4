//! The node pool: cached, refreshed from the pool's own nodes, bootstrapped from seeds (or
//! the network's known nodes when every seed fails), and refetched when it stops working.
//!
//! * A cached pool is used while it is fresh and big enough ([`cache_is_usable`]).
//! * A refresh asks [`POOL_SOURCES`] random pool nodes for the node list through onion paths
//!   and keeps only the nodes every answer agrees on ([`agreed`]), as libsession does
//!   (protocol.md §5.3): no single node decides the pool. The seeds are asked only to
//!   bootstrap (no usable pool, or the refresh failed), and the network's known nodes only
//!   when every seed fails (as the apps fall back to a bundled list).
//! * The cache belongs to the network's [`Network::fingerprint`]; see [`Client::open`].

use super::*;

/// Pool nodes asked for the node list in a refresh (libsession: 3).
pub(crate) const POOL_SOURCES: usize = 3;
/// Candidates tried to get [`POOL_SOURCES`] answers.
const POOL_SOURCE_TRIES: usize = 5;

/// Whether a cached pool of `len` nodes fetched at `fetched_ms` can be used at `now_ms`:
/// younger than [`POOL_MAX_AGE`] and at least [`MIN_POOL_SIZE`] nodes.
pub(crate) fn cache_is_usable(len: usize, fetched_ms: u64, now_ms: u64) -> bool {
    let age = now_ms.saturating_sub(fetched_ms);
    u128::from(age) < POOL_MAX_AGE.as_millis() && len >= MIN_POOL_SIZE
}

/// The nodes that every list names alike (same Ed25519 and X25519 keys, address, port and
/// swarm id), in the first list's order. Empty for no lists.
pub(crate) fn agreed(lists: &[SnodePool]) -> SnodePool {
    let Some((first, rest)) = lists.split_first() else {
        return SnodePool::new(Vec::new());
    };
    SnodePool::new(
        first
            .nodes()
            .iter()
            .filter(|n| {
                rest.iter().all(|l| {
                    l.get(&n.ed25519).is_some_and(|m| {
                        m.x25519 == n.x25519
                            && m.ip == n.ip
                            && m.port == n.port
                            && m.swarm_id == n.swarm_id
                    })
                })
            })
            .cloned(),
    )
}

/// Whether a node list that the known node `known` gave names that node itself, at the
/// address we asked: a list that leaves out the node that serves it is not believed.
pub(crate) fn lists_itself(pool: &SnodePool, known: &KnownNode) -> bool {
    known.ed25519().is_some_and(|k| {
        pool.get(&k)
            .is_some_and(|n| n.ip == known.public_ip && n.port == known.storage_port)
    })
}

impl<T: Transport, C: Clock, R: RngCore + CryptoRng> Client<T, C, R> {
    // ---- node pool -----------------------------------------------------------------------

    /// The node pool: the cached one if it is fresh (younger than [`POOL_MAX_AGE`]) and has
    /// at least [`MIN_POOL_SIZE`] nodes and `refresh` is false, else a new one (see the
    /// module docs of `client::pool`: from pool nodes when there is a pool to ask, else
    /// from the seeds).
    ///
    /// # Errors
    /// [`Error::NoSeed`] when no seed (nor known node) gave a usable list,
    /// [`Error::SeedPin`] when the only answering seed failed its pin, [`Error::State`].
    pub async fn pool(&mut self, refresh: bool) -> Result<&SnodePool, Error> {
        if refresh || self.pool.is_none() {
            self.load_pool(refresh).await?;
        }
        Ok(self
            .pool
            .as_ref()
            .expect("should have a pool: load_pool sets it"))
    }

    /// When the pool in use was fetched (local clock, ms), once known.
    pub fn pool_fetched_ms(&self) -> Option<u64> {
        self.pool_fetched_ms
    }

    /// Forgets what this client holds in memory (pool, paths, guards), so that the next
    /// request reads the shared state again — which another `sesh` may have refreshed — and
    /// may refetch the pool once more if it does not work. A long-running `sesh receive
    /// --follow` calls it after a network failure.
    pub fn reload(&mut self) {
        self.pool = None;
        self.pool_fetched_ms = None;
        self.book = None;
        self.pool_fetched_now = false;
        self.paths_short = false;
    }

    /// Loads what the state already holds — the cached pool when it is usable (as
    /// [`Client::pool`] would use it), and the path book — without touching the network.
    /// Returns whether a usable pool was loaded; if not, the first request fetches one.
    ///
    /// Requests do this themselves when needed: calling it first only moves the work
    /// (`sesh send` does, to time it apart from the round trips).
    ///
    /// # Errors
    /// [`Error::State`].
    pub fn load_cached(&mut self) -> Result<bool, Error> {
        if self.pool.is_none() {
            let Some(cached) = self.state.pool().map_err(Error::State)? else {
                return Ok(false);
            };
            if !cache_is_usable(cached.nodes.len(), cached.fetched_ms, self.clock.now_ms()) {
                return Ok(false);
            }
            self.pool = Some(SnodePool::new(cached.nodes));
            self.pool_fetched_ms = Some(cached.fetched_ms);
        }
        self.book_mut()?;
        Ok(true)
    }

    pub(super) async fn load_pool(&mut self, refresh: bool) -> Result<(), Error> {
        let cached = self.state.pool().map_err(Error::State)?;
        if !refresh
            && let Some(cached) = &cached
            && cache_is_usable(cached.nodes.len(), cached.fetched_ms, self.clock.now_ms())
        {
            self.pool = Some(SnodePool::new(cached.nodes.clone()));
            self.pool_fetched_ms = Some(cached.fetched_ms);
            return Ok(());
        }
        // What a refresh asks: the pool in use, else the cached one, however old.
        let basis = self
            .pool
            .clone()
            .or_else(|| cached.map(|c| SnodePool::new(c.nodes)));
        let pool = match basis {
            Some(basis) if basis.len() >= MIN_POOL_SIZE && !self.refreshing => {
                match Box::pin(self.fetch_from_nodes(basis)).await {
                    Ok(pool) => pool,
                    Err(_) => self.fetch_bootstrap().await?,
                }
            }
            _ => self.fetch_bootstrap().await?,
        };
        self.use_pool(pool)
    }

    /// Refetches the pool from the seeds (or known nodes), when the pool in use stopped
    /// working (its guards, or most of its nodes, do not answer).
    pub(super) async fn refetch_pool(&mut self) -> Result<(), Error> {
        let pool = self.fetch_bootstrap().await?;
        self.use_pool(pool)
    }

    fn use_pool(&mut self, pool: SnodePool) -> Result<(), Error> {
        let now = self.clock.now_ms();
        self.state
            .save_pool(pool.nodes(), now)
            .map_err(Error::State)?;
        self.pool = Some(pool);
        self.pool_fetched_ms = Some(now);
        self.pool_fetched_now = true;
        // Paths through nodes that left (or moved) are rebuilt.
        if let Some(mut book) = self.book.take() {
            let pool = self.pool.as_ref().expect("should have a pool: set above");
            let changes = book.retain_in_pool(pool);
            self.book = Some(book);
            self.apply(changes)?;
        }
        Ok(())
    }

    /// Asks [`POOL_SOURCES`] random nodes of `basis` for the node list through onion paths,
    /// and keeps the nodes they all agree on.
    async fn fetch_from_nodes(&mut self, basis: SnodePool) -> Result<SnodePool, Error> {
        self.pool = Some(basis.clone());
        self.refreshing = true;
        let mut candidates: Vec<Snode> = basis.nodes().to_vec();
        onion_path::shuffle(&mut candidates, &mut self.rng);
        let mut lists = Vec::new();
        let mut last = None;
        for node in candidates.iter().take(POOL_SOURCE_TRIES) {
            if lists.len() == POOL_SOURCES {
                break;
            }
            let answer = self.onion_rpc(node, &storage::oxend_node_list()).await;
            match answer {
                Ok((200, body)) => match storage::parse_node_list(&body) {
                    Ok(list) => lists.push(list),
                    Err(reason) => {
                        last = Some(Error::BadAnswer {
                            node: short_key(&node.ed25519),
                            method: "oxend_request".into(),
                            reason,
                        });
                    }
                },
                Ok((status, body)) => {
                    last = Some(Error::NodeFailed {
                        node: short_key(&node.ed25519),
                        method: "oxend_request".into(),
                        status,
                        message: message_of(&body),
                    });
                }
                Err(e) => last = Some(e),
            }
        }
        self.refreshing = false;
        if lists.len() < POOL_SOURCES {
            return Err(last.unwrap_or(Error::BadAnswer {
                node: "the pool".into(),
                method: "oxend_request".into(),
                reason: format!("fewer than {POOL_SOURCES} nodes gave a node list"),
            }));
        }
        let pool = agreed(&lists);
        if pool.len() < MIN_POOL_SIZE {
            return Err(Error::BadAnswer {
                node: format!("{POOL_SOURCES} pool nodes"),
                method: "oxend_request".into(),
                reason: format!("they agree on only {} nodes", pool.len()),
            });
        }
        Ok(pool)
    }

    /// The node list from the seeds, else from the network's known nodes.
    pub(super) async fn fetch_bootstrap(&mut self) -> Result<SnodePool, Error> {
        match self.fetch_from_seeds().await {
            Ok(pool) => Ok(pool),
            Err(e) if !self.network.known_nodes.is_empty() => {
                self.fetch_from_known().await.map_err(|_| e)
            }
            Err(e) => Err(e),
        }
    }

    async fn fetch_from_seeds(&mut self) -> Result<SnodePool, Error> {
        let mut seeds = self.network.seeds.clone();
        onion_path::shuffle(&mut seeds, &mut self.rng);
        let body = storage::get_n_service_nodes_request();
        let mut last = String::from("the network has no seeds");
        let mut pin_failure = None;
        for seed in &seeds {
            let reply = match self
                .transport
                .post(
                    &Target::Seed(seed.clone()),
                    body.clone(),
                    self.config.seed_timeout,
                )
                .await
            {
                Ok(r) => r,
                Err(e) => {
                    last = format!("seed '{}': {e}", seed.url);
                    if matches!(e, TransportError::PinMismatch { .. }) {
                        pin_failure = Some(e);
                    }
                    continue;
                }
            };
            match storage::parse_seed_reply(&reply) {
                Ok(pool) => return Ok(pool),
                Err(reason) => last = format!("seed '{}': {reason}", seed.url),
            }
        }
        if let Some(e) = pin_failure {
            return Err(Error::SeedPin(e));
        }
        Err(Error::NoSeed {
            network: self.network.name.clone(),
            tried: seeds.len(),
            last,
        })
    }

    /// Asks the network's known nodes, in random order, with a direct `oxend_request`; the
    /// first list that names the node that served it is used.
    async fn fetch_from_known(&mut self) -> Result<SnodePool, Error> {
        let mut known = self.network.known_nodes.clone();
        onion_path::shuffle(&mut known, &mut self.rng);
        let body = storage::oxend_node_list_request();
        for k in &known {
            let target = Target::Node {
                addr: SocketAddrV4::new(k.public_ip, k.storage_port),
                path: STORAGE_RPC_PATH,
            };
            let Ok(reply) = self
                .transport
                .post(&target, body.clone(), self.config.seed_timeout)
                .await
            else {
                continue;
            };
            if let Ok(pool) = storage::parse_node_reply(&reply)
                && lists_itself(&pool, k)
            {
                return Ok(pool);
            }
        }
        Err(Error::NoSeed {
            network: self.network.name.clone(),
            tried: known.len(),
            last: "no known node gave a node list".into(),
        })
    }

    pub(super) async fn ensure_pool(&mut self) -> Result<&SnodePool, Error> {
        // A pool that lost most of its nodes (struck out) since it was loaded is fetched again
        // (once per run) rather than routed through until it is empty.
        if self.pool.as_ref().is_some_and(|p| p.len() < MIN_POOL_SIZE)
            && !self.pool_fetched_now
            && !self.refreshing
        {
            self.pool = None;
        }
        self.pool(false).await
    }

    pub(super) fn pool_ref(&self) -> &SnodePool {
        self.pool
            .as_ref()
            .expect("should have a pool: ensure_pool ran first")
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

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

    #[test]
    fn a_cached_pool_is_used_while_fresh_and_big_enough() {
        let hour = 60 * 60 * 1000;
        assert!(cache_is_usable(MIN_POOL_SIZE, 0, hour));
        assert!(!cache_is_usable(MIN_POOL_SIZE - 1, 0, hour));
        assert!(!cache_is_usable(MIN_POOL_SIZE, 0, 2 * hour));
        // A clock that went backwards does not make it stale.
        assert!(cache_is_usable(MIN_POOL_SIZE, hour, 0));
    }

    #[test]
    fn a_refresh_keeps_only_the_nodes_every_source_agrees_on() {
        let a = SnodePool::new((1..=5).map(|i| node(i, 7)));
        // One source leaves node 5 out, another moved node 4 and gives node 3 another key.
        let b = SnodePool::new((1..=4).map(|i| node(i, 7)));
        let mut moved = node(4, 7);
        moved.ip = Ipv4Addr::new(10, 9, 9, 9);
        let mut rekeyed = node(3, 7);
        rekeyed.x25519 = X25519Pub([0xee; 32]);
        let c = SnodePool::new([node(1, 7), node(2, 7), rekeyed, moved, node(5, 7)]);
        let got = agreed(&[a.clone(), b, c]);
        let keys: Vec<u8> = got.nodes().iter().map(|n| n.ed25519.0[0]).collect();
        assert_eq!(keys, [1, 2]);
        // A node that invents nodes cannot add them.
        let liar = SnodePool::new((1..=9).map(|i| node(i, 7)));
        assert_eq!(agreed(&[liar, a.clone(), a.clone()]).len(), 5);
        assert!(agreed(&[]).is_empty());
    }

    #[test]
    fn a_known_node_must_list_itself() {
        let known = KnownNode {
            public_ip: Ipv4Addr::new(10, 0, 2, 1),
            storage_port: 1000,
            pubkey_ed25519: Ed25519Pub([2; 32]).to_hex(),
        };
        let pool = SnodePool::new((1..=3).map(|i| node(i, 7)));
        assert!(lists_itself(&pool, &known));
        let elsewhere = KnownNode {
            storage_port: 1001,
            ..known.clone()
        };
        assert!(!lists_itself(&pool, &elsewhere));
        let without = SnodePool::new([node(1, 7), node(3, 7)]);
        assert!(!lists_itself(&without, &known));
    }
}
