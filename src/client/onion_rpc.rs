//! Onion requests: one storage RPC request through a path, its outcome judged.

use super::*;

/// The outcome of one onion request attempt.
pub(super) enum Attempt {
    /// The guard could not be reached.
    Transport(TransportError),
    /// A hop answered with an error (plain text).
    Path { status: u16, body: Vec<u8> },
    /// The reply did not open.
    Reply(onion::Error),
    /// The destination answered.
    Answer { status: u16, body: Value },
}

/// Builds an onion request through `path` (guard first; may be empty) to `dest`: where to
/// POST it, the body, and what opens the reply.
pub(super) fn build_request(
    path: &[Snode],
    dest: &Snode,
    payload: &[u8],
    enc: EncType,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<(Target, Vec<u8>, onion::PendingReply), Error> {
    let hops: Vec<onion::HopKeys> = path.iter().map(onion::HopKeys::from).collect();
    let (body, pending) = onion::build(&hops, &Destination::Snode(dest.into()), payload, enc, rng)
        .map_err(|source| Error::Onion {
            node: short_key(&dest.ed25519),
            source,
        })?;
    let first = path.first().unwrap_or(dest);
    let target = Target::Node {
        addr: addr(first),
        path: ONION_REQ_PATH,
    };
    Ok((target, body, pending))
}

/// POSTs an onion request built by [`build_request`] and opens the reply: the outcome, not
/// yet judged.
pub(super) async fn send_request<T: Transport>(
    transport: &T,
    target: &Target,
    body: Vec<u8>,
    pending: &onion::PendingReply,
    timeout: Duration,
) -> Attempt {
    let reply = match transport.post(target, body, timeout).await {
        Ok(r) => r,
        Err(e) => return Attempt::Transport(e),
    };
    if reply.status != 200 {
        return Attempt::Path {
            status: reply.status,
            body: reply.body,
        };
    }
    match pending.open(&reply.body) {
        Ok(resp) => {
            let body = resp.body_json().unwrap_or(Value::String(resp.body));
            Attempt::Answer {
                status: resp.status,
                body,
            }
        }
        Err(e) => Attempt::Reply(e),
    }
}

impl<T: Transport, C: Clock, R: RngCore + CryptoRng> Client<T, C, R> {
    // ---- onion requests ------------------------------------------------------------------

    /// One onion request through path `index`; the outcome, not yet judged.
    pub(super) async fn attempt(
        &mut self,
        index: usize,
        dest: &Snode,
        payload: &[u8],
    ) -> Result<(usize, Attempt), Error> {
        let path = self
            .paths
            .as_ref()
            .and_then(|p| p.get(index))
            .map(|p| p.path.clone())
            .ok_or(Error::Path(PathError::NotInPath {
                node: dest.ed25519,
                index,
            }))?;
        let (target, body, pending) = build_request(
            path.hops(),
            dest,
            payload,
            self.config.enc_type,
            &mut self.rng,
        )?;
        let outcome = send_request(
            &self.transport,
            &target,
            body,
            &pending,
            self.config.onion_timeout,
        )
        .await;
        Ok((index, outcome))
    }

    /// Sends one storage RPC request as an onion request through exactly `path` (guard
    /// first; empty: straight to `dest`'s onion endpoint) to `dest`, and returns the
    /// destination's status and body, as [`Client::onion_rpc`] does.
    ///
    /// For diagnostics: one attempt, no retry, and nothing learned or counted (no strikes,
    /// no path changes, no clock offset). `sesh path test` times a path prefix by prefix
    /// with it.
    ///
    /// # Errors
    /// [`Error::Onion`] when the request cannot be built (e.g. `dest` is in `path`);
    /// [`Error::PathsFailed`] (with one attempt) when the request failed on the way: the
    /// first hop could not be reached, a hop answered with an error, or the reply did not
    /// open.
    pub async fn onion_rpc_via(
        &mut self,
        path: &[Snode],
        dest: &Snode,
        method: &str,
        params: Value,
    ) -> Result<(u16, Value), Error> {
        let payload = json!({"method": method, "params": params}).to_string();
        let (target, body, pending) = build_request(
            path,
            dest,
            payload.as_bytes(),
            self.config.enc_type,
            &mut self.rng,
        )?;
        let outcome = send_request(
            &self.transport,
            &target,
            body,
            &pending,
            self.config.onion_timeout,
        )
        .await;
        let first = path.first().unwrap_or(dest);
        let last = match outcome {
            Attempt::Answer { status, body } => return Ok((status, body)),
            Attempt::Transport(e) => format!("node {}: {e}", short_key(&first.ed25519)),
            // The hop's own words: which hop failed, and how, is what a diagnosis needs.
            Attempt::Path { status, body } => format!(
                "path answered {status}: {}",
                shorten(&String::from_utf8_lossy(&body))
            ),
            Attempt::Reply(e) => e.to_string(),
        };
        Err(Error::PathsFailed {
            method: method.to_owned(),
            node: short_key(&dest.ed25519),
            attempts: 1,
            last,
        })
    }

    /// Sends the storage RPC request `{"method": method, "params": params}` to `dest` as an
    /// onion request, and returns the destination's status and body (JSON, or a JSON string
    /// for a plain-text body).
    ///
    /// Path failures are retried on other paths ([`Config::onion_attempts`] in all) and
    /// counted against the path per §7.7; a "Next node not found" drops that node and mends
    /// the path. A 406 resynchronises the network clock and retries once. Any status the
    /// destination gives is returned as is, for the caller to judge (a 5xx also strikes the
    /// destination).
    ///
    /// # Errors
    /// [`Error::PathsFailed`] when every attempt failed on the way, [`Error::NodeGone`]
    /// when the network no longer knows `dest`, [`Error::ClockOutOfSync`] when the clock
    /// is still off after resynchronising, and the errors of building paths.
    pub async fn onion_rpc(
        &mut self,
        dest: &Snode,
        method: &str,
        params: Value,
    ) -> Result<(u16, Value), Error> {
        self.onion_rpc_with(dest, method, |_| params.clone()).await
    }

    /// [`Client::onion_rpc`] with the params made per attempt from the network time (so that
    /// a retry after a clock fix signs a fresh timestamp).
    pub(super) async fn onion_rpc_with(
        &mut self,
        dest: &Snode,
        method: &str,
        mut params: impl FnMut(u64) -> Value,
    ) -> Result<(u16, Value), Error> {
        let node = short_key(&dest.ed25519);
        let mut clock_fixed = false;
        let mut attempts = 0;
        let mut last = String::new();
        while attempts < self.config.onion_attempts {
            attempts += 1;
            self.ensure_paths().await?;
            let index = self.path_for(dest)?;
            let payload =
                json!({"method": method, "params": params(self.network_now_ms())}).to_string();
            let (index, outcome) = self.attempt(index, dest, payload.as_bytes()).await?;
            match outcome {
                Attempt::Transport(e) => {
                    if e.kind() != ErrorKind::Transient {
                        return Err(Error::PathsFailed {
                            method: method.to_owned(),
                            node,
                            attempts,
                            last: e.to_string(),
                        });
                    }
                    last = format!("guard {}: {e}", short_key(&self.guard_of(index)));
                    self.path_failed(index, Blame::Guard)?;
                }
                Attempt::Path { status, body } => match onion::path_failure(status, &body) {
                    PathFailure::NodeNotFound(gone) => {
                        self.drop_node(&gone)?;
                        if gone == dest.ed25519 {
                            return Err(Error::NodeGone { node });
                        }
                        last = format!("node {} is unknown to the network", short_key(&gone));
                    }
                    PathFailure::ClockOutOfSync if !clock_fixed => {
                        clock_fixed = true;
                        attempts -= 1;
                        self.resync_clock(dest, &Value::Null).await?;
                    }
                    PathFailure::ClockOutOfSync => {
                        return Err(Error::ClockOutOfSync {
                            node,
                            method: method.to_owned(),
                        });
                    }
                    PathFailure::WrongSwarm => {
                        let text = String::from_utf8_lossy(&body).into_owned();
                        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
                        return Ok((421, body));
                    }
                    _ => {
                        last = format!(
                            "path answered {status}: {}",
                            shorten(&String::from_utf8_lossy(&body))
                        );
                        self.path_failed(index, Blame::Relays)?;
                    }
                },
                Attempt::Reply(e) => {
                    last = e.to_string();
                    self.path_failed(index, Blame::Relays)?;
                }
                Attempt::Answer { status, body } => {
                    self.path_worked(index)?;
                    self.learn_time(&body)?;
                    match status {
                        406 | 425 if !clock_fixed => {
                            clock_fixed = true;
                            attempts -= 1;
                            self.resync_clock(dest, &body).await?;
                        }
                        406 | 425 => {
                            return Err(Error::ClockOutOfSync {
                                node,
                                method: method.to_owned(),
                            });
                        }
                        500 | 502 | 503 | 504 => {
                            self.strike_node(&dest.ed25519)?;
                            return Ok((status, body));
                        }
                        _ => return Ok((status, body)),
                    }
                }
            }
        }
        Err(Error::PathsFailed {
            method: method.to_owned(),
            node,
            attempts,
            last,
        })
    }

    pub(super) fn guard_of(&self, index: usize) -> Ed25519Pub {
        self.paths
            .as_ref()
            .and_then(|p| p.get(index))
            .map_or(Ed25519Pub([0; 32]), |p| p.path.guard().ed25519)
    }

    /// Runs a request on members of `account`'s swarm until one answers 200: 421 per
    /// [`Client::wrong_swarm`], transient failures and 5xx on another member; 400/401/403
    /// end it.
    pub(super) async fn swarm_request<F>(
        &mut self,
        account: &SessionId,
        method: &str,
        mut params: F,
    ) -> Result<(Snode, Value), Error>
    where
        F: FnMut(&Snode, u64) -> Value,
    {
        let mut wrong = 0;
        let mut tried: HashSet<Ed25519Pub> = HashSet::new();
        let mut last: Option<Error> = None;
        let mut attempts = 0;
        while attempts < self.config.node_attempts {
            let swarm = self.swarm_for(account).await?;
            let candidates: Vec<&Snode> = swarm
                .members
                .iter()
                .filter(|m| !tried.contains(&m.ed25519))
                .collect();
            if candidates.is_empty() {
                break;
            }
            let node = candidates[onion_path::uniform(&mut self.rng, candidates.len())].clone();
            tried.insert(node.ed25519);
            let short = short_key(&node.ed25519);
            let mut for_node = |now: u64| params(&node, now);
            match self.onion_rpc_with(&node, method, &mut for_node).await {
                Ok((200, body)) => return Ok((node, body)),
                Ok((421, body)) => {
                    // Not counted as an attempt: the swarm changed, not the node failed.
                    self.wrong_swarm(account, &body, &mut wrong).await?;
                    continue;
                }
                Ok((status @ (401 | 403), body)) => {
                    return Err(Error::Refused {
                        node: short,
                        method: method.to_owned(),
                        status,
                        message: message_of(&body),
                    });
                }
                Ok((400, body)) => {
                    return Err(Error::BadRequest {
                        node: short,
                        method: method.to_owned(),
                        message: message_of(&body),
                    });
                }
                Ok((406 | 425, _)) => {
                    return Err(Error::ClockOutOfSync {
                        node: short,
                        method: method.to_owned(),
                    });
                }
                Ok((status, body)) => {
                    last = Some(Error::NodeFailed {
                        node: short,
                        method: method.to_owned(),
                        status,
                        message: message_of(&body),
                    });
                }
                Err(e) if e.kind() == ErrorKind::Transient => last = Some(e),
                Err(e) => return Err(e),
            }
            attempts += 1;
        }
        Err(last.unwrap_or(Error::NoSwarm {
            account: account.short(),
        }))
    }
}
