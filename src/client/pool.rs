//! The node pool: cached, fetched from seeds, and when to fetch it again.

use super::*;

impl<T: Transport, C: Clock, R: RngCore + CryptoRng> Client<T, C, R> {
    // ---- node pool -----------------------------------------------------------------------

    /// The node pool: the cached one if it is fresh (younger than [`POOL_MAX_AGE`]) and has
    /// at least [`MIN_POOL_SIZE`] nodes and `refresh` is false, else one fetched from the
    /// network's seeds.
    ///
    /// # Errors
    /// [`Error::NoSeed`] when no seed gave a usable list, [`Error::SeedPin`] when the only
    /// answering seed failed its pin, [`Error::State`].
    pub async fn pool(&mut self, refresh: bool) -> Result<&SnodePool, Error> {
        if refresh || self.pool.is_none() {
            self.load_pool(refresh).await?;
        }
        Ok(self
            .pool
            .as_ref()
            .expect("should have a pool: load_pool sets it"))
    }

    /// When the pool in use was fetched from a seed (local clock, ms), once known.
    pub fn pool_fetched_ms(&self) -> Option<u64> {
        self.pool_fetched_ms
    }

    pub(super) async fn load_pool(&mut self, refresh: bool) -> Result<(), Error> {
        if !refresh && let Some(cached) = self.state.pool().map_err(Error::State)? {
            let age = self.clock.now_ms().saturating_sub(cached.fetched_ms);
            let fresh = u128::from(age) < POOL_MAX_AGE.as_millis();
            if fresh && cached.nodes.len() >= MIN_POOL_SIZE {
                self.pool = Some(SnodePool::new(cached.nodes));
                self.pool_fetched_ms = Some(cached.fetched_ms);
                return Ok(());
            }
        }
        let pool = self.fetch_pool().await?;
        let now = self.clock.now_ms();
        self.state
            .save_pool(pool.nodes(), now)
            .map_err(Error::State)?;
        self.pool = Some(pool);
        self.pool_fetched_ms = Some(now);
        // Paths through nodes that left (or moved) are rebuilt.
        if let Some(paths) = self.paths.take() {
            self.paths = Some(self.valid_paths(paths));
            self.save_paths()?;
        }
        Ok(())
    }

    /// The request for the node list (§5.1), plus the fields libsession asks for, which
    /// `sesh nodes` shows and swarms are computed from. No `limit`: the whole list.
    pub(super) fn get_n_service_nodes_body() -> Vec<u8> {
        json!({
            "jsonrpc": "2.0",
            "method": "get_n_service_nodes",
            "params": {
                "active_only": true,
                "fields": {
                    "public_ip": true,
                    "storage_port": true,
                    "pubkey_x25519": true,
                    "pubkey_ed25519": true,
                    "requested_unlock_height": true,
                    "height": true,
                    "swarm_id": true,
                    "storage_server_version": true,
                },
            },
        })
        .to_string()
        .into_bytes()
    }

    pub(super) async fn fetch_pool(&mut self) -> Result<SnodePool, Error> {
        let mut seeds = self.network.seeds.clone();
        onion_path::shuffle(&mut seeds, &mut self.rng);
        let body = Self::get_n_service_nodes_body();
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
            match Self::parse_seed_reply(&reply) {
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

    pub(super) fn parse_seed_reply(reply: &crate::transport::Reply) -> Result<SnodePool, String> {
        if reply.status != 200 {
            return Err(format!(
                "HTTP status {}: {}",
                reply.status,
                shorten(&String::from_utf8_lossy(&reply.body))
            ));
        }
        // session-desktop refuses any other content type (§5.1).
        if reply.content_type.as_deref() != Some("application/json") {
            return Err(format!(
                "content type is {}, not application/json",
                reply.content_type.as_deref().unwrap_or("missing")
            ));
        }
        let v: Value = serde_json::from_slice(&reply.body).map_err(|e| format!("not JSON: {e}"))?;
        if let Some(err) = v.get("error").filter(|e| !e.is_null()) {
            return Err(format!("JSON-RPC error {}", shorten(&err.to_string())));
        }
        let (pool, _dropped) =
            SnodePool::from_get_n_service_nodes(&v).map_err(|e| e.to_string())?;
        // libsession rejects nodes that report version 0 (§5.5).
        let pool = SnodePool::new(
            pool.nodes()
                .iter()
                .filter(|n| n.version != Some([0, 0, 0]))
                .cloned(),
        );
        if pool.is_empty() {
            return Err("no usable service nodes in the list".into());
        }
        Ok(pool)
    }

    pub(super) async fn ensure_pool(&mut self) -> Result<&SnodePool, Error> {
        self.pool(false).await
    }

    pub(super) fn pool_ref(&self) -> &SnodePool {
        self.pool
            .as_ref()
            .expect("should have a pool: ensure_pool ran first")
    }
}
