//! Swarms: which nodes store an account's messages, and which answers to believe.

use super::*;

impl<T: Transport, C: Clock, R: RngCore + CryptoRng> Client<T, C, R> {
    // ---- swarms --------------------------------------------------------------------------

    /// The swarm that stores messages for `account`: cached, or computed from the pool's
    /// swarm ids, or asked of a random node with `get_swarm` through an onion path.
    ///
    /// # Errors
    /// The pool's errors, [`Error::NoSwarm`], and those of [`Client::onion_rpc`].
    pub async fn swarm_for(&mut self, account: &SessionId) -> Result<Swarm, Error> {
        self.ensure_pool().await?;
        if let Some(cached) = self.state.swarm(account).map_err(Error::State)? {
            let pool = self.pool_ref();
            let members: Vec<Snode> = cached
                .swarm
                .members
                .iter()
                .filter(|m| pool.get(&m.ed25519).is_some())
                .cloned()
                .collect();
            if members.len() >= MIN_SWARM_MEMBERS.min(cached.swarm.members.len()).max(1) {
                return Ok(Swarm {
                    id: cached.swarm.id,
                    members,
                });
            }
        }
        let pool = self.pool_ref();
        if let Some(id) = pool.swarm_of(account) {
            let members: Vec<Snode> = pool.members_of(id).into_iter().cloned().collect();
            if !members.is_empty() {
                let swarm = Swarm { id, members };
                let now = self.clock.now_ms();
                self.state
                    .save_swarm(account, &swarm, now)
                    .map_err(Error::State)?;
                return Ok(swarm);
            }
        }
        self.fetch_swarm(account).await
    }

    /// Asks random pool nodes for `account`'s swarm (`get_swarm` through an onion path) and
    /// caches the answer.
    ///
    /// # Errors
    /// [`Error::NoSwarm`] when no node named a non-empty swarm, and the errors of
    /// [`Client::onion_rpc`].
    pub async fn fetch_swarm(&mut self, account: &SessionId) -> Result<Swarm, Error> {
        self.ensure_pool().await?;
        let mut last = Error::NoSwarm {
            account: account.short(),
        };
        let mut tried = HashSet::new();
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
            match self
                .onion_rpc(&node, "get_swarm", json!({"pubkey": account.to_string()}))
                .await
            {
                Ok((200, body)) => match Swarm::from_get_swarm(&body) {
                    Ok(swarm) if !swarm.members.is_empty() => {
                        let now = self.clock.now_ms();
                        self.state
                            .save_swarm(account, &swarm, now)
                            .map_err(Error::State)?;
                        return Ok(swarm);
                    }
                    Ok(_) => {}
                    Err(e) => {
                        last = Error::BadAnswer {
                            node: short_key(&node.ed25519),
                            method: "get_swarm".into(),
                            reason: e.to_string(),
                        };
                    }
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

    /// Handles a wrong-swarm answer (421) for `account` the way libsession does: the first
    /// replaces the cached swarm with the one in the answer; the second also refreshes the
    /// pool; the third gives up.
    pub(super) async fn wrong_swarm(
        &mut self,
        account: &SessionId,
        body: &Value,
        count: &mut u32,
    ) -> Result<(), Error> {
        *count += 1;
        if *count >= 3 {
            return Err(Error::WrongSwarm {
                account: account.short(),
            });
        }
        if *count == 2 {
            // A failed refresh leaves the old pool, which still serves.
            if let Err(e) = self.pool(true).await
                && e.kind() != ErrorKind::Transient
            {
                return Err(e);
            }
        }
        match Swarm::from_get_swarm(body) {
            Ok(swarm) if !swarm.members.is_empty() => {
                let now = self.clock.now_ms();
                self.state
                    .save_swarm(account, &swarm, now)
                    .map_err(Error::State)
            }
            _ => self.state.forget_swarm(account).map_err(Error::State),
        }
    }
}
