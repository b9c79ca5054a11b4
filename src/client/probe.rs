//! Probing service nodes: is each one up, healthy, and usable as a relay (`sesh probe`).
//!
//! A probe is a **direct** HTTPS request to the node, not an onion request: that is what
//! probing a node means, and it shows the probed node our IP address, as a guard test does
//! (protocol.md §4.1, §7.6). Per node:
//!
//! 1. `info` on `/storage_rpc/v1` opens the connection (TCP and TLS); the node must answer 200
//!    with its storage server version (§4.3).
//! 2. A second `info` on the open connection gives the round trip (the latency, without the
//!    handshakes) and the node's time `"t"`, compared with ours at the middle of the round
//!    trip (the clock offset). A node more than the 60 s signature window off (§4.7) refuses
//!    or is refused every signed request, so it fails.
//! 3. With [`Options::onion`]: an onion request through the node as the only relay to another
//!    node that passed step 1 (an `info` again), with the client's onion code (§7). The
//!    destination is known to answer, so a failure is the relay's.
//!
//! The judging ([`read_info`], [`clock_offset_ms`], [`check_clock`]) is pure; only
//! [`Client::probe`] does I/O, through the client's [`Transport`], with bounded concurrency.
//! Probing learns nothing into the client's state: no strikes, no clock offset.

use std::net::SocketAddrV4;
use std::str::FromStr;
use std::time::Duration;

use futures_util::stream::{self, StreamExt as _};
use rand_core::{CryptoRng, RngCore};

use super::{Attempt, Client, Error, build_request, send_request, shorten};
use crate::clock::{Clock, Stopwatch, round_ms};
use crate::error::{ErrorKind, HasKind};
use crate::onion::path as onion_path;
use crate::rpc::limits::SIGNATURE_WINDOW_MS;
use crate::rpc::request::Request;
use crate::rpc::response::{self, DecodeError, InfoResponse};
use crate::swarm::{Snode, SnodePool};
use crate::transport::{STORAGE_RPC_PATH, Target, Transport, TransportError};

/// When fewer than two probed nodes passed, this many other pool nodes are tried as
/// destinations for the onion test.
const EXTRA_DESTINATIONS: usize = 4;

/// How to probe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// Nodes probed at once (at least 1).
    pub concurrency: usize,
    /// The time each request may take.
    pub timeout: Duration,
    /// Whether to test each node as an onion relay.
    pub onion: bool,
}

impl Default for Options {
    /// 100 at once, 5 s per request, no onion test: a 2 000-node pool in seconds.
    fn default() -> Self {
        Self {
            concurrency: 100,
            timeout: Duration::from_secs(5),
            onion: false,
        }
    }
}

/// Why a node failed its probe. The text is the reason `sesh probe` prints.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Failure {
    /// No HTTP answer: connection refused, TLS failure, or timeout. The text names the
    /// cause in a few words (`unreachable: connection refused`).
    #[error("unreachable: {}", unreachable_cause(.0))]
    Unreachable(TransportError),
    /// An HTTP answer other than 200.
    #[error("answered HTTP {status}: {message}")]
    Status {
        /// The HTTP status.
        status: u16,
        /// The body, shortened.
        message: String,
    },
    /// A 200 answer that is not an `info` answer.
    #[error("garbled answer: {0}")]
    Garbled(String),
    /// The `info` answer has no storage server version.
    #[error("no storage server version in its answer")]
    NoVersion,
    /// The node's clock is further from ours than [`SIGNATURE_WINDOW_MS`], the storage
    /// servers' window for signed request timestamps.
    #[error(
        "clock off by {} (signed requests allow ±{} s)",
        format_offset(*offset_ms),
        SIGNATURE_WINDOW_MS / 1000
    )]
    Clock {
        /// Its time minus ours, ms.
        offset_ms: i64,
    },
    /// The onion request through it as a relay failed.
    #[error("onion request through it failed: {0}")]
    Relay(String),
}

/// Why a node gave no HTTP answer, in the operating system's words where they are known
/// (`connection refused`, `no route to host`, …), else the transport's whole explanation.
/// A node that refuses connections is down or not listening: it is still a node the
/// network lists, and the probe says so rather than that the network does not know it.
pub(crate) fn unreachable_cause(e: &TransportError) -> String {
    /// Causes a connect error can carry (from the OS, through hyper), and how to say them.
    const CAUSES: [(&str, &str); 6] = [
        ("connection refused", "connection refused"),
        ("connection reset", "connection reset"),
        ("no route to host", "no route to host"),
        ("network is unreachable", "network unreachable"),
        ("host is down", "host is down"),
        ("timed out", "connection timed out"),
    ];
    match e {
        TransportError::Timeout { after } => format!(
            "no answer within {} (timeout)",
            humantime::format_duration(*after)
        ),
        TransportError::Connect { reason } => {
            let lower = reason.to_ascii_lowercase();
            CAUSES
                .iter()
                .find(|(pattern, _)| lower.contains(pattern))
                .map_or_else(|| e.to_string(), |(_, cause)| (*cause).to_owned())
        }
        other => other.to_string(),
    }
}

/// `+75.2 s`, `-0.3 s`.
pub fn format_offset(offset_ms: i64) -> String {
    let sign = if offset_ms < 0 { '-' } else { '+' };
    let abs = offset_ms.unsigned_abs();
    format!("{sign}{}.{} s", abs / 1000, (abs % 1000) / 100)
}

/// The outcome of the onion test of a node.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RelayCheck {
    /// Not asked for, or the node failed before it.
    NotTested,
    /// The onion request through the node was answered.
    Passed,
    /// It failed: see the report's [`Failure::Relay`].
    Failed,
    /// No other node answered, so there was nowhere to relay to.
    NoDestination,
}

/// What a probe found about one node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// The node, as the pool lists it.
    pub node: Snode,
    /// Whether it gave an HTTP answer at all.
    pub reachable: bool,
    /// Its storage server version, from its `info` answer.
    pub version: Option<[u16; 3]>,
    /// The round trip of an `info` request on an open connection.
    pub latency: Option<Duration>,
    /// Its clock minus ours (ms), at the middle of that round trip.
    pub clock_offset_ms: Option<i64>,
    /// The onion test.
    pub relay: RelayCheck,
    /// Why it failed, or `None`: it passed.
    pub failure: Option<Failure>,
}

impl Report {
    fn new(node: Snode) -> Self {
        Self {
            node,
            reachable: false,
            version: None,
            latency: None,
            clock_offset_ms: None,
            relay: RelayCheck::NotTested,
            failure: None,
        }
    }

    /// Whether the node passed.
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }

    /// Its latency in whole milliseconds.
    pub fn latency_ms(&self) -> Option<u64> {
        self.latency.map(round_ms)
    }
}

/// What a node's `info` answer says: its version, and its time (`"t"`, else `"timestamp"`).
///
/// # Errors
/// [`Failure::Status`] for a status other than 200, [`Failure::Garbled`] for a body that is
/// not a JSON object or has no time, [`Failure::NoVersion`] for a missing version.
pub fn read_info(status: u16, body: &[u8]) -> Result<([u16; 3], u64), Failure> {
    if status != 200 {
        return Err(Failure::Status {
            status,
            message: shorten(&String::from_utf8_lossy(body)),
        });
    }
    let info: InfoResponse = response::decode(body).map_err(|e| match &e {
        DecodeError::Invalid { reason, .. }
            if reason.starts_with("missing field `version`")
                || reason.starts_with("in 'version': invalid type: null") =>
        {
            Failure::NoVersion
        }
        DecodeError::Invalid { reason, .. } if reason.starts_with("missing field `timestamp`") => {
            Failure::Garbled("no time (\"t\")".into())
        }
        _ => Failure::Garbled(e.to_string()),
    })?;
    let version: [u16; 3] = info.version.as_slice().try_into().map_err(|_| {
        Failure::Garbled(format!(
            "version {:?} is not [major, minor, patch]",
            info.version
        ))
    })?;
    Ok((version, info.t.unwrap_or(info.timestamp)))
}

/// The node's clock minus ours: its time `node_t_ms` against ours at the middle of the round
/// trip, which started at `sent_ms` (our clock) and took `round_trip`.
pub fn clock_offset_ms(node_t_ms: u64, sent_ms: u64, round_trip: Duration) -> i64 {
    let middle = i128::from(sent_ms) + (round_trip.as_millis() / 2) as i128;
    let offset = i128::from(node_t_ms) - middle;
    i64::try_from(offset).unwrap_or(if offset < 0 { i64::MIN } else { i64::MAX })
}

/// Passes an offset within [`SIGNATURE_WINDOW_MS`].
///
/// # Errors
/// [`Failure::Clock`] beyond it.
pub fn check_clock(offset_ms: i64) -> Result<(), Failure> {
    if offset_ms.unsigned_abs() > SIGNATURE_WINDOW_MS {
        return Err(Failure::Clock { offset_ms });
    }
    Ok(())
}

/// A node as the command line names it: its Ed25519 key or a unique prefix of it (hex), or
/// its `ip:port`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeQuery {
    /// A key or key prefix, lowercase hex.
    Key(String),
    /// A public address and storage port.
    Addr(SocketAddrV4),
}

/// Why a node could not be named.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QueryError {
    /// Neither hex (at most 64 digits) nor `ip:port`.
    #[error("invalid node '{input}': not an Ed25519 key, a prefix of one, or IP:PORT")]
    Invalid {
        /// The text given.
        input: String,
    },
    /// The prefix matches several nodes of the pool.
    #[error("node '{prefix}' is ambiguous: {matches} nodes have keys starting with it")]
    Ambiguous {
        /// The prefix given.
        prefix: String,
        /// How many nodes match.
        matches: usize,
    },
}

impl HasKind for QueryError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::InvalidInput
    }

    fn hint(&self) -> Option<String> {
        match self {
            Self::Invalid { .. } => {
                Some("name a node by its Ed25519 key (see 'sesh nodes') or by IP:PORT".to_owned())
            }
            Self::Ambiguous { .. } => Some("give more of the key".to_owned()),
        }
    }
}

impl FromStr for NodeQuery {
    type Err = QueryError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Ok(addr) = s.parse::<SocketAddrV4>() {
            return Ok(Self::Addr(addr));
        }
        if !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(Self::Key(s.to_ascii_lowercase()));
        }
        Err(QueryError::Invalid {
            input: s.to_owned(),
        })
    }
}

impl NodeQuery {
    /// The node of `pool` this names, or `None` when no node matches.
    ///
    /// # Errors
    /// [`QueryError::Ambiguous`] for a key prefix of several nodes.
    pub fn find<'a>(&self, pool: &'a SnodePool) -> Result<Option<&'a Snode>, QueryError> {
        let matches: Vec<&Snode> = match self {
            Self::Addr(a) => pool
                .nodes()
                .iter()
                .filter(|n| n.ip == *a.ip() && n.port == a.port())
                .collect(),
            Self::Key(prefix) => pool
                .nodes()
                .iter()
                .filter(|n| n.ed25519.to_hex().starts_with(prefix.as_str()))
                .collect(),
        };
        match (self, matches.as_slice()) {
            (_, []) => Ok(None),
            (_, [one]) => Ok(Some(one)),
            (Self::Key(prefix), many) => Err(QueryError::Ambiguous {
                prefix: prefix.clone(),
                matches: many.len(),
            }),
            // Two listings at one address: the first, as the pool is ordered.
            (Self::Addr(_), [first, ..]) => Ok(Some(first)),
        }
    }
}

fn info_body() -> Vec<u8> {
    Request::Info.to_json()
}

/// One direct `info`: the version and time, or why not.
async fn info<T: Transport>(
    transport: &T,
    node: &Snode,
    timeout: Duration,
) -> Result<([u16; 3], u64), Failure> {
    let target = Target::Node {
        addr: SocketAddrV4::new(node.ip, node.port),
        path: STORAGE_RPC_PATH,
    };
    let reply = transport
        .post(&target, info_body(), timeout)
        .await
        .map_err(Failure::Unreachable)?;
    read_info(reply.status, &reply.body)
}

/// Steps 1 and 2 of the module docs.
async fn direct<T: Transport, C: Clock>(
    transport: &T,
    clock: &C,
    node: &Snode,
    timeout: Duration,
) -> Report {
    let mut report = Report::new(node.clone());
    let failure = |report: &mut Report, f: Failure| {
        report.reachable = !matches!(f, Failure::Unreachable(_));
        report.failure = Some(f);
    };
    if let Err(f) = info(transport, node, timeout).await {
        failure(&mut report, f);
        return report;
    }
    report.reachable = true;
    let sent_ms = clock.now_ms();
    let watch = Stopwatch::start();
    let answer = info(transport, node, timeout).await;
    let round_trip = watch.elapsed();
    let (version, t) = match answer {
        Ok(a) => a,
        Err(f) => {
            failure(&mut report, f);
            return report;
        }
    };
    let offset = clock_offset_ms(t, sent_ms, round_trip);
    report.version = Some(version);
    report.latency = Some(round_trip);
    report.clock_offset_ms = Some(offset);
    report.failure = check_clock(offset).err();
    report
}

/// Judges the outcome of the onion request through a relay.
fn relay_outcome(outcome: Attempt) -> Result<(), String> {
    match outcome {
        Attempt::Answer { status: 200, .. } => Ok(()),
        Attempt::Answer { status, body } => Err(format!(
            "the destination answered {status}: {}",
            super::message_of(&body)
        )),
        Attempt::Path { status, body } => Err(format!(
            "answered {status}: {}",
            shorten(&String::from_utf8_lossy(&body))
        )),
        Attempt::Transport(e) => Err(e.to_string()),
        Attempt::Reply(e) => Err(format!("the reply did not open: {e}")),
    }
}

impl<T: Transport, C: Clock, R: RngCore + CryptoRng> Client<T, C, R> {
    /// The nodes the network lists now, fetched from its seeds: what a health check probes.
    ///
    /// Not the pool sesh routes through ([`Client::pool`]), which leaves out the nodes that
    /// failed since it was fetched: a check of that pool would pass while nodes are down.
    /// Neither the pool nor the state changes.
    ///
    /// # Errors
    /// [`Error::NoSeed`] when no seed gave a usable list, [`Error::SeedPin`] when the only
    /// answering seed failed its pin.
    pub async fn fetch_listed_nodes(&mut self) -> Result<SnodePool, Error> {
        self.fetch_bootstrap().await
    }

    /// Probes `nodes` (see the module docs), at most [`Options::concurrency`] at once, and
    /// returns a report per node, in the order given. `progress(done, total)` is called
    /// after each request's outcome; `total` grows once the onion tests are known.
    ///
    /// The probes are direct requests: each probed node sees our IP address.
    ///
    /// # Errors
    /// Only with [`Options::onion`] and fewer than two nodes passing: the errors of loading
    /// the pool, where other destinations come from.
    pub async fn probe(
        &mut self,
        nodes: &[Snode],
        options: &Options,
        mut progress: impl FnMut(usize, usize),
    ) -> Result<Vec<Report>, Error> {
        let concurrency = options.concurrency.max(1);
        let timeout = options.timeout;
        let mut total = nodes.len() * if options.onion { 2 } else { 1 };
        let mut done = 0;
        let mut reports: Vec<Option<Report>> = vec![None; nodes.len()];
        {
            let (transport, clock) = (&self.transport, &self.clock);
            let mut direct_probes = stream::iter(nodes.iter().enumerate())
                .map(|(i, n)| async move { (i, direct(transport, clock, n, timeout).await) })
                .buffer_unordered(concurrency);
            while let Some((i, report)) = direct_probes.next().await {
                reports[i] = Some(report);
                done += 1;
                progress(done, total);
            }
        }
        let mut reports: Vec<Report> = reports
            .into_iter()
            .zip(nodes)
            .map(|(r, n)| r.unwrap_or_else(|| Report::new(n.clone())))
            .collect();
        if !options.onion {
            return Ok(reports);
        }

        // Destinations for the onion tests: nodes known to answer.
        let mut destinations: Vec<Snode> = reports
            .iter()
            .filter(|r| r.passed())
            .map(|r| r.node.clone())
            .collect();
        let relays = destinations.len();
        if relays == 0 {
            progress(done, done);
            return Ok(reports);
        }
        if relays < 2 {
            destinations.extend(self.extra_destinations(nodes, timeout).await?);
        }

        let payload = info_body();
        let mut jobs = Vec::with_capacity(relays);
        for (i, report) in reports.iter_mut().enumerate() {
            if !report.passed() {
                continue;
            }
            let others: Vec<&Snode> = destinations
                .iter()
                .filter(|d| d.ed25519 != report.node.ed25519)
                .collect();
            if others.is_empty() {
                report.relay = RelayCheck::NoDestination;
                continue;
            }
            let dest = others[onion_path::uniform(&mut self.rng, others.len())];
            match build_request(
                std::slice::from_ref(&report.node),
                dest,
                &payload,
                self.config.enc_type,
                &mut self.rng,
            ) {
                Ok((target, body, pending)) => jobs.push((i, target, body, pending)),
                Err(e) => {
                    report.relay = RelayCheck::Failed;
                    report.failure = Some(Failure::Relay(e.to_string()));
                }
            }
        }
        total = done + jobs.len();
        progress(done, total);
        let transport = &self.transport;
        let mut relay_probes = stream::iter(jobs)
            .map(|(i, target, body, pending)| async move {
                let outcome = send_request(transport, &target, body, &pending, timeout).await;
                (i, relay_outcome(outcome))
            })
            .buffer_unordered(concurrency);
        while let Some((i, outcome)) = relay_probes.next().await {
            let report = &mut reports[i];
            match outcome {
                Ok(()) => report.relay = RelayCheck::Passed,
                Err(reason) => {
                    report.relay = RelayCheck::Failed;
                    report.failure = Some(Failure::Relay(reason));
                }
            }
            done += 1;
            progress(done, total);
        }
        Ok(reports)
    }

    /// Up to [`EXTRA_DESTINATIONS`] random pool nodes other than `probed` that pass a direct
    /// probe.
    async fn extra_destinations(
        &mut self,
        probed: &[Snode],
        timeout: Duration,
    ) -> Result<Vec<Snode>, Error> {
        let pool = self.pool(false).await?.clone();
        let exclude: Vec<_> = probed.iter().map(|n| n.ed25519).collect();
        let candidates: Vec<Snode> =
            onion_path::guard_candidates(pool.nodes(), &exclude, &mut self.rng)
                .into_iter()
                .take(EXTRA_DESTINATIONS)
                .cloned()
                .collect();
        let (transport, clock) = (&self.transport, &self.clock);
        let found: Vec<Snode> = stream::iter(&candidates)
            .map(|n| async move { direct(transport, clock, n, timeout).await })
            .buffer_unordered(EXTRA_DESTINATIONS)
            .filter(|r| std::future::ready(r.passed()))
            .map(|r| r.node)
            .collect()
            .await;
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::{Ed25519Pub, X25519Pub};
    use std::net::Ipv4Addr;

    fn node(k: u8, ip: [u8; 4], port: u16) -> Snode {
        Snode {
            ed25519: Ed25519Pub([k; 32]),
            x25519: X25519Pub([k; 32]),
            ip: Ipv4Addr::from(ip),
            port,
            swarm_id: 7,
            version: Some([2, 8, 0]),
        }
    }

    #[test]
    fn info_answers_are_read_and_judged() {
        let ok = br#"{"version":[2,11,0],"timestamp":5,"t":1700000000000,"hf":[19,0]}"#;
        assert_eq!(read_info(200, ok), Ok(([2, 11, 0], 1_700_000_000_000)));
        // "timestamp" stands in for a missing "t".
        assert_eq!(
            read_info(200, br#"{"version":[2,8,0],"timestamp":9}"#),
            Ok(([2, 8, 0], 9))
        );
        assert_eq!(
            read_info(503, b"Service node is not ready: not in any swarm"),
            Err(Failure::Status {
                status: 503,
                message: "Service node is not ready: not in any swarm".into()
            })
        );
        assert_eq!(read_info(200, br#"{"t":1}"#), Err(Failure::NoVersion));
        assert_eq!(
            read_info(200, br#"{"version":null,"timestamp":1}"#),
            Err(Failure::NoVersion)
        );
        // What is wrong, and where.
        let Err(Failure::Garbled(why)) = read_info(200, br#"{"version":[2,8,0],"timestamp":"x"}"#)
        else {
            panic!("a string time is garbled");
        };
        assert!(why.contains("'timestamp'"), "{why}");
        assert!(matches!(
            read_info(200, br#"{"version":[2,8],"timestamp":1}"#),
            Err(Failure::Garbled(_))
        ));
        assert!(matches!(
            read_info(200, b"<html>"),
            Err(Failure::Garbled(_))
        ));
        assert!(matches!(read_info(200, b"[1]"), Err(Failure::Garbled(_))));
        assert!(matches!(
            read_info(200, br#"{"version":"2.8.0","t":1}"#),
            Err(Failure::Garbled(_))
        ));
        assert_eq!(
            read_info(200, br#"{"version":[2,8,0]}"#),
            Err(Failure::Garbled("no time (\"t\")".into()))
        );
    }

    #[test]
    fn an_unreachable_node_is_reported_with_its_cause() {
        let connect = |reason: &str| {
            Failure::Unreachable(TransportError::Connect {
                reason: reason.into(),
            })
            .to_string()
        };
        assert_eq!(
            connect("tcp connect error: Connection refused (os error 111)"),
            "unreachable: connection refused"
        );
        assert_eq!(
            connect("tcp connect error: No route to host (os error 113)"),
            "unreachable: no route to host"
        );
        assert_eq!(
            connect("tcp connect error: Connection timed out (os error 110)"),
            "unreachable: connection timed out"
        );
        assert_eq!(
            connect("dns error: failed to lookup"),
            "unreachable: connection failed: dns error: failed to lookup"
        );
        assert_eq!(
            Failure::Unreachable(TransportError::Timeout {
                after: Duration::from_secs(5)
            })
            .to_string(),
            "unreachable: no answer within 5s (timeout)"
        );
        assert_eq!(
            Failure::Unreachable(TransportError::Tls {
                reason: "bad record".into()
            })
            .to_string(),
            "unreachable: TLS handshake failed: bad record"
        );
    }

    #[test]
    fn clock_offset_is_taken_at_the_middle_of_the_round_trip() {
        let rtt = Duration::from_millis(200);
        assert_eq!(clock_offset_ms(1_100, 1_000, rtt), 0);
        assert_eq!(clock_offset_ms(1_000, 1_000, rtt), -100);
        assert_eq!(clock_offset_ms(91_100, 1_000, rtt), 90_000);
        assert_eq!(check_clock(60_000), Ok(()));
        assert_eq!(check_clock(-60_000), Ok(()));
        assert_eq!(
            check_clock(-60_001),
            Err(Failure::Clock { offset_ms: -60_001 })
        );
        assert_eq!(
            Failure::Clock { offset_ms: 75_250 }.to_string(),
            "clock off by +75.2 s (signed requests allow ±60 s)"
        );
        assert_eq!(format_offset(-300), "-0.3 s");
    }

    #[test]
    fn nodes_are_found_by_key_prefix_or_address() {
        let pool = SnodePool::new([
            node(0xab, [10, 0, 0, 1], 22021),
            node(0xac, [10, 0, 0, 2], 22021),
            node(0x12, [10, 0, 0, 3], 443),
        ]);
        let q = |s: &str| s.parse::<NodeQuery>().unwrap();
        let key = |n: &Snode| n.ed25519;
        assert_eq!(
            q("ABAB").find(&pool).unwrap().map(key),
            Some(Ed25519Pub([0xab; 32]))
        );
        assert_eq!(
            q(&"12".repeat(32)).find(&pool).unwrap().map(key),
            Some(Ed25519Pub([0x12; 32]))
        );
        assert_eq!(
            q("10.0.0.2:22021").find(&pool).unwrap().map(key),
            Some(Ed25519Pub([0xac; 32]))
        );
        assert_eq!(q("10.0.0.2:1").find(&pool), Ok(None));
        assert_eq!(q("ff").find(&pool), Ok(None));
        assert_eq!(
            q("a").find(&pool),
            Err(QueryError::Ambiguous {
                prefix: "a".into(),
                matches: 2
            })
        );
        for bad in ["", "xyz", "10.0.0.1", "[::1]:22021", &"a".repeat(65)] {
            assert!(
                matches!(bad.parse::<NodeQuery>(), Err(QueryError::Invalid { .. })),
                "{bad}"
            );
        }
    }
}
