//! Onion requests: one storage RPC request through a path, its outcome judged.

use super::*;
use crate::rpc::request::Request;

/// The outcome of one onion request attempt.
pub(super) enum Attempt {
    /// The guard could not be reached.
    Transport(TransportError),
    /// A hop answered with an error (plain text).
    Path { status: u16, body: Vec<u8> },
    /// The reply did not open.
    Reply(onion::Error),
    /// The destination answered: its status and body, not yet decoded.
    Answer { status: u16, body: Vec<u8> },
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
        Ok(resp) => Attempt::Answer {
            status: resp.status,
            body: resp.body.into_bytes(),
        },
        Err(e) => Attempt::Reply(e),
    }
}
/// Whether a transport failure to the guard means the request never left this machine: the
/// connection (or its TLS) could not be made. A timeout may come after the guard took it.
fn never_sent(e: &TransportError) -> bool {
    matches!(
        e,
        TransportError::Connect { .. } | TransportError::Tls { .. } | TransportError::Policy { .. }
    )
}

/// What a plain-text path answer about an unreachable destination says, for the error.
fn unreachable_reason(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    if text.contains("unreachable") {
        "the last hop could not connect to it".into()
    } else {
        "the last hop does not know it".into()
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
            .book
            .as_ref()
            .and_then(|b| b.paths().get(index))
            .map(|p| p.path.clone())
            .ok_or(Error::Path(PathError::NotInPath {
                node: dest.ed25519,
                index,
            }))?;
        let outcome = self.exchange(path.hops(), dest, payload).await?;
        Ok((index, outcome))
    }

    /// Builds an onion request through `path` (guard first; may be empty) to `dest`, sends it
    /// and opens the reply: the outcome, not yet judged.
    ///
    /// # Errors
    /// [`Error::Onion`] when the request cannot be built.
    pub(super) async fn exchange(
        &mut self,
        path: &[Snode],
        dest: &Snode,
        payload: &[u8],
    ) -> Result<Attempt, Error> {
        let (target, body, pending) =
            build_request(path, dest, payload, self.config.enc_type, &mut self.rng)?;
        Ok(send_request(
            &self.transport,
            &target,
            body,
            &pending,
            self.config.onion_timeout,
        )
        .await)
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
        request: &Request,
    ) -> Result<(u16, Vec<u8>), Error> {
        let method = request.method();
        let payload = request.to_json();
        let outcome = self.exchange(path, dest, &payload).await?;
        let first = path.first().unwrap_or(dest);
        let mut reached = true;
        let last = match outcome {
            Attempt::Answer { status, body } => return Ok((status, body)),
            Attempt::Transport(e) => {
                reached = !never_sent(&e);
                format!("node {}: {e}", short_key(&first.ed25519))
            }
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
            reached,
        })
    }

    /// Sends the storage RPC `request` to `dest` as an onion request, and returns the
    /// destination's status and body, raw: decode it with [`crate::rpc::response::decode`]
    /// (the body comes from a node, which may lie).
    ///
    /// Path failures are retried on other paths ([`Config::onion_attempts`] in all) and
    /// counted per §7.7 by the path book (`client::router`): a plain-text "Next node not
    /// found" strikes the hop it names when that hop is on the path (and gives the path up),
    /// the destination when it names the destination (then the request ends with
    /// [`Error::NodeUnreachable`]), and changes nothing otherwise. A 406 resynchronises the network clock and retries once. Any
    /// status the destination gives is returned as is, for the caller to judge (a 5xx also
    /// strikes the destination). Any other plain-text answer (a 5xx, or a 421, which only
    /// counts when it comes sealed from the destination) and a reply that does not open fail
    /// the path and strike no one (a path retired for them costs its guard one strike); the
    /// next attempt prefers another path.
    ///
    /// # Errors
    /// [`Error::PathsFailed`] when every attempt failed on the way,
    /// [`Error::NodeUnreachable`] when the path could not reach `dest`, [`Error::NodeGone`]
    /// when that was its last strike, [`Error::ClockOutOfSync`] when the clock is still off
    /// after resynchronising, and the errors of building paths.
    pub async fn onion_rpc(
        &mut self,
        dest: &Snode,
        request: &Request,
    ) -> Result<(u16, Vec<u8>), Error> {
        self.onion_rpc_with(dest, request.method(), |_| request.clone())
            .await
    }

    /// [`Client::onion_rpc`] with the request made per attempt from the network time (so
    /// that a retry after a clock fix signs a fresh timestamp).
    pub(super) async fn onion_rpc_with(
        &mut self,
        dest: &Snode,
        method: &str,
        mut request: impl FnMut(u64) -> Request,
    ) -> Result<(u16, Vec<u8>), Error> {
        let node = short_key(&dest.ed25519);
        let mut clock_fixed = false;
        let mut attempts = 0;
        let mut last = String::new();
        let mut reached = false;
        let mut failed_guards = HashSet::new();
        // Guards of paths that failed for a reason no one can be blamed for: the next
        // attempt prefers another path.
        let mut shaky: HashSet<Ed25519Pub> = HashSet::new();
        let mut healed = false;
        while attempts < self.config.onion_attempts {
            attempts += 1;
            self.ensure_paths().await?;
            let avoid: HashSet<Ed25519Pub> = failed_guards.union(&shaky).copied().collect();
            let index = match self.tested_path_for(dest, &avoid).await {
                Ok(i) => i,
                // No path may carry a request to this node (it is every path's guard, or
                // shares its /24): another destination may do.
                Err(Error::Path(e)) => {
                    return Err(Error::PathsFailed {
                        method: method.to_owned(),
                        node,
                        attempts,
                        last: format!("no path can reach it: {e}"),
                        reached,
                    });
                }
                Err(e) => return Err(e),
            };
            let payload = request(self.network_now_ms()).to_json();
            let (index, outcome) = self.attempt(index, dest, &payload).await?;
            match outcome {
                Attempt::Transport(e) => {
                    reached |= !never_sent(&e);
                    if e.kind() != ErrorKind::Transient {
                        return Err(Error::PathsFailed {
                            method: method.to_owned(),
                            node,
                            attempts,
                            last: e.to_string(),
                            reached,
                        });
                    }
                    let guard = self.guard_of(index);
                    last = format!("guard {}: {e}", short_key(&guard));
                    failed_guards.insert(guard);
                    self.record(index, &PathEvent::GuardUnreachable)?;
                    // No guard can be reached: the pool may have moved (a restarted devnet)
                    // or gone stale. Refetch it once before giving up (issue 9).
                    if !healed && !self.pool_fetched_now && !self.refreshing && {
                        let policy = self.policy;
                        self.book_mut()?
                            .all_guards_failed(&failed_guards, dest, &policy)
                    } {
                        healed = true;
                        if self.refetch_pool().await.is_ok() {
                            failed_guards.clear();
                            attempts = 0;
                        }
                    }
                }
                Attempt::Path { status, body } => {
                    reached = true;
                    match status::of_path_reply(status, &body) {
                        Outcome::NextNodeNotFound(named) | Outcome::NextNodeUnreachable(named) => {
                            self.record(
                                index,
                                &PathEvent::NodeNotFound {
                                    node: named,
                                    dest: dest.ed25519,
                                },
                            )?;
                            if named == dest.ed25519 {
                                if self.pool_ref().get(&dest.ed25519).is_none() {
                                    return Err(Error::NodeGone { node });
                                }
                                return Err(Error::NodeUnreachable {
                                    node,
                                    reason: unreachable_reason(&body),
                                });
                            }
                            last =
                                format!("a hop says node {} cannot be reached", short_key(&named));
                        }
                        // Anything else in plain text (a 5xx, or a 421 or 406: the destination's
                        // own answers come sealed, so a plain-text 421 or 406 is a hop's or the
                        // wire's, never the swarm's word) is a failure of the path.
                        _ => {
                            last = format!(
                                "path through guard {} answered {status}: {}",
                                short_key(&self.guard_of(index)),
                                shorten(&String::from_utf8_lossy(&body))
                            );
                            shaky.insert(self.guard_of(index));
                            self.record(index, &PathEvent::Unattributed)?;
                        }
                    }
                }
                Attempt::Reply(e) => {
                    reached = true;
                    // The guard handed over these bytes: name it (any hop may have garbled
                    // them, so nobody is struck for it).
                    last = format!(
                        "reply through guard {}: {e}",
                        short_key(&self.guard_of(index))
                    );
                    shaky.insert(self.guard_of(index));
                    self.record(index, &PathEvent::Unattributed)?;
                }
                Attempt::Answer { status, body } => {
                    self.record(index, &PathEvent::Worked)?;
                    self.learn_time(&dest.ed25519, &body)?;
                    match status::of_status(status) {
                        Outcome::ClockOutOfSync if !clock_fixed => {
                            clock_fixed = true;
                            attempts -= 1;
                            self.resync_clock(dest, &body).await?;
                        }
                        Outcome::ClockOutOfSync => {
                            return Err(Error::ClockOutOfSync {
                                node,
                                method: method.to_owned(),
                            });
                        }
                        // The destination failed (not 501 or above 504: those say nothing
                        // about its health).
                        Outcome::Timeout
                        | Outcome::ServerError {
                            status: 500 | 502 | 503,
                        } => {
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
            reached,
        })
    }

    /// Runs a request on members of `account`'s swarm until one answers 200 with a body
    /// that `check` decodes and accepts: 421 per [`Client::wrong_swarm`]; transient
    /// failures, 5xx and answers `check` refuses (which also strike the member, and name it
    /// in the error) on another member; 400/401/403 strike the member and go on to another,
    /// and end it when a second member gives the same answer.
    pub(super) async fn swarm_request<F, A>(
        &mut self,
        account: &SessionId,
        method: &str,
        mut request: F,
        check: impl Fn(&[u8]) -> Result<A, String>,
    ) -> Result<(Snode, A), Error>
    where
        F: FnMut(&Snode, u64) -> Request,
    {
        let mut wrong = 0;
        let mut tried: HashSet<Ed25519Pub> = HashSet::new();
        let mut last: Option<Error> = None;
        let mut refusals: Vec<Outcome> = Vec::new();
        // Whether a member tried so far may have taken the request (a store may be stored
        // although a later member refused it).
        let mut reached = false;
        let mut refusers: Vec<Ed25519Pub> = Vec::new();
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
            let mut for_node = |now: u64| request(&node, now);
            let answer = self.onion_rpc_with(&node, method, &mut for_node).await;
            let outcome = answer
                .as_ref()
                .ok()
                .map(|(status, _)| status::of_status(*status));
            match (outcome, answer) {
                (Some(Outcome::Ok), Ok((200, body))) => match check(&body) {
                    Ok(answer) => {
                        // It answered, and truly: its earlier strikes were blips. A member
                        // that refused the same request before was wrong: now it is struck.
                        self.clear_strikes(&node.ed25519)?;
                        for r in &refusers {
                            self.strike_node(r)?;
                        }
                        return Ok((node, answer));
                    }
                    Err(reason) => {
                        // A member that claims success but does not confirm the request
                        // (a store under another hash) is lying or broken.
                        self.strike_node(&node.ed25519)?;
                        last = Some(Error::BadAnswer {
                            node: short,
                            method: method.to_owned(),
                            reason,
                        });
                    }
                },
                (Some(Outcome::WrongSwarm), Ok((_, body))) => {
                    // Not counted as an attempt: the swarm changed, not the node failed.
                    self.wrong_swarm(account, &body, &mut wrong).await?;
                    continue;
                }
                // The request was checked here before it left, so one member refusing it
                // may be that member lying or broken: a strike, and another member. A second
                // member giving the same answer ends it.
                (Some(o @ (Outcome::Refused { .. } | Outcome::Malformed)), Ok((status, body))) => {
                    let err = if o == Outcome::Malformed {
                        Error::BadRequest {
                            node: short,
                            method: method.to_owned(),
                            message: message_of(&body),
                            reached,
                        }
                    } else {
                        Error::Refused {
                            node: short,
                            method: method.to_owned(),
                            status,
                            message: message_of(&body),
                            reached,
                        }
                    };
                    if refusals.contains(&o) {
                        return Err(err);
                    }
                    refusals.push(o);
                    // Struck only once another member answers truly: if the request itself
                    // is at fault, every honest member refuses it, and none is struck.
                    refusers.push(node.ed25519);
                    last = Some(err);
                }
                (Some(Outcome::ClockOutOfSync), Ok(_)) => {
                    return Err(Error::ClockOutOfSync {
                        node: short,
                        method: method.to_owned(),
                    });
                }
                // Any other status (a 2xx other than 200 included) is a failure of the member.
                (_, Ok((status, body))) => {
                    last = Some(Error::NodeFailed {
                        node: short,
                        method: method.to_owned(),
                        status,
                        message: message_of(&body),
                    });
                }
                (_, Err(e)) if e.kind() == ErrorKind::Transient => last = Some(e),
                (_, Err(e)) => return Err(e.reached_before(reached)),
            }
            reached |= last.as_ref().is_some_and(Error::may_have_reached_swarm);
            attempts += 1;
        }
        Err(last
            .unwrap_or(Error::NoSwarm {
                account: account.short(),
            })
            .reached_before(reached))
    }
}
