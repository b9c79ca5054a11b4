//! Service nodes, the pool of them a client knows, and which swarm stores a Session ID.
//!
//! Mirrors session-storage-server `oxenss/snode/swarm.cpp` (`pubkey_to_swarm_space`,
//! `get_swarm_by_pk`) and libsession-util `src/network.cpp` (protocol.md §4.5, §5.1, §6).
//! Pure: the lists come in decoded by [`crate::rpc::response`], and nothing here talks to the
//! network.

use std::fmt;
use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::identity::{Ed25519Pub, SessionId, X25519Pub};

/// The swarm id of a node that is not (yet) in a swarm. No Session ID maps to it.
pub const INVALID_SWARM_ID: u64 = u64::MAX;

/// A service node ("snode"): its keys, where it listens for HTTPS, and its swarm.
///
/// # Format
/// Serializes as a `get_n_service_nodes` entry (protocol.md §5.1), which is also how the pool
/// is cached:
/// ```text
/// {"pubkey_ed25519": "<64 hex>", "pubkey_x25519": "<64 hex>", "public_ip": "1.2.3.4",
///  "storage_port": 22021, "swarm_id": 1234, "storage_server_version": [2, 11, 0]}
/// ```
/// `swarm_id` defaults to [`INVALID_SWARM_ID`] and `storage_server_version` to none; other
/// fields are ignored. `get_swarm` answers use another shape: see
/// [`crate::rpc::response::SwarmMember`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Snode {
    /// The node's Ed25519 key: its identity, and how onion relays name it.
    #[serde(rename = "pubkey_ed25519", with = "hex_key")]
    pub ed25519: Ed25519Pub,
    /// The node's X25519 key: onion layers for it are encrypted to this key.
    #[serde(rename = "pubkey_x25519", with = "hex_key")]
    pub x25519: X25519Pub,
    /// Its public IPv4 address.
    #[serde(rename = "public_ip")]
    pub ip: Ipv4Addr,
    /// Its HTTPS storage port.
    #[serde(rename = "storage_port")]
    pub port: u16,
    /// The swarm it belongs to.
    #[serde(default = "invalid_swarm_id")]
    pub swarm_id: u64,
    /// Its storage server version, when the list gave one.
    #[serde(
        rename = "storage_server_version",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub version: Option<[u16; 3]>,
}

fn invalid_swarm_id() -> u64 {
    INVALID_SWARM_ID
}

impl Snode {
    /// Whether a client can use the node: a real address and port, and non-zero keys.
    ///
    /// Nodes without an uptime proof are listed with ip `0.0.0.0` (protocol.md §4.5, §5.1).
    pub fn is_usable(&self) -> bool {
        !self.ip.is_unspecified()
            && !self.ip.is_broadcast()
            && self.port != 0
            && self.ed25519.0 != [0; 32]
            && self.x25519.0 != [0; 32]
    }

    /// The node's /24 subnet: the first three octets of its address.
    pub fn subnet24(&self) -> [u8; 3] {
        let [a, b, c, _] = self.ip.octets();
        [a, b, c]
    }

    /// The node as a `get_swarm` entry (without the legacy `address`/`pubkey_legacy` and the
    /// OMQ/QUIC ports, which sesh has no use for).
    ///
    /// # Format
    /// ```text
    /// {"pubkey_ed25519": hex, "pubkey_x25519": hex, "ip": "1.2.3.4", "port": "22021",
    ///  "port_https": 22021}
    /// ```
    pub fn to_swarm_entry(&self) -> Value {
        serde_json::json!({
            "pubkey_ed25519": self.ed25519.to_hex(),
            "pubkey_x25519": self.x25519.to_hex(),
            "ip": self.ip.to_string(),
            "port": self.port.to_string(),
            "port_https": self.port,
        })
    }
}

impl fmt::Display for Snode {
    /// `ip:port`, as errors and logs name a node.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.ip, self.port)
    }
}

/// Why a service node entry or list did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SnodeParseError {
    /// A required field is absent.
    #[error("service node entry has no '{0}'")]
    Missing(&'static str),
    /// A field has the wrong type or an unparsable value.
    #[error("service node entry has an invalid '{field}': {value}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// Its value, as JSON (shortened).
        value: String,
    },
    /// The answer does not have the expected shape.
    #[error("not a service node list: {0}")]
    Shape(&'static str),
}

/// The swarm space position of a 32-byte public key (the Session ID without its prefix byte).
///
/// The XOR of the key's four 8-byte words read as big-endian integers (session-storage-server
/// `pubkey_to_swarm_space`, protocol.md §6).
pub fn space(pubkey: &[u8; 32]) -> u64 {
    pubkey
        .chunks_exact(8)
        .map(|w| u64::from_be_bytes(w.try_into().expect("should be 8 bytes: chunks_exact(8)")))
        .fold(0, |acc, w| acc ^ w)
}

/// The swarm responsible for swarm space position `space`, among `swarm_ids`.
///
/// The nearest swarm id on the ring of u64 values; on a tie, the one *below* (which at the
/// wrap-around is the highest swarm). [`INVALID_SWARM_ID`] entries and duplicates are ignored;
/// the ids need not be sorted. `None` when there is no swarm at all. Mirrors
/// session-storage-server `get_swarm_by_pk` (protocol.md §6, §12.7).
pub fn swarm_for(space: u64, swarm_ids: &[u64]) -> Option<u64> {
    let mut ids: Vec<u64> = swarm_ids
        .iter()
        .copied()
        .filter(|&id| id != INVALID_SWARM_ID)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let first = *ids.first()?;
    let last = *ids.last()?;
    let r = ids.partition_point(|&id| id < space);
    let (right, left) = match r {
        0 => (first, last),
        r if r == ids.len() => (first, last),
        r => (ids[r], ids[r - 1]),
    };
    let dright = right.wrapping_sub(space);
    let dleft = space.wrapping_sub(left);
    Some(if dright < dleft { right } else { left })
}

/// A swarm as a `get_swarm` answer (or a 421 body) describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Swarm {
    /// The swarm id ([`INVALID_SWARM_ID`] if the answer named none).
    pub id: u64,
    /// Its usable members.
    pub members: Vec<Snode>,
}

impl Swarm {
    /// The swarm a typed `get_swarm` answer (or 421 body) describes; unusable entries are
    /// dropped. Decode it with [`crate::rpc::response::decode`].
    ///
    /// # Errors
    /// [`SnodeParseError`] if `swarm` is not hex or an entry is malformed.
    pub fn from_response(
        body: &crate::rpc::response::SwarmResponse,
    ) -> Result<Self, SnodeParseError> {
        body.to_swarm()
    }
}

/// The service nodes a client knows: usable nodes, one per Ed25519 key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SnodePool {
    nodes: Vec<Snode>,
}

impl SnodePool {
    /// A pool of the usable nodes among `nodes`; of two with the same Ed25519 key the first
    /// is kept.
    pub fn new(nodes: impl IntoIterator<Item = Snode>) -> Self {
        let mut pool = Self::default();
        for n in nodes {
            if n.is_usable() && pool.get(&n.ed25519).is_none() {
                pool.nodes.push(n);
            }
        }
        pool
    }

    /// A pool from a typed `get_n_service_nodes` result; returns it and how many entries
    /// were dropped as unusable, malformed or repeated.
    pub fn from_service_nodes(result: &crate::rpc::response::ServiceNodes) -> (Self, usize) {
        let (nodes, _) = result.usable();
        let pool = Self::new(nodes);
        let dropped = result.service_node_states.len() - pool.len();
        (pool, dropped)
    }

    /// The nodes, in the order they were added.
    pub fn nodes(&self) -> &[Snode] {
        &self.nodes
    }

    /// How many nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the pool is empty.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The node with this Ed25519 key.
    pub fn get(&self, ed25519: &Ed25519Pub) -> Option<&Snode> {
        self.nodes.iter().find(|n| n.ed25519 == *ed25519)
    }

    /// Removes the node with this Ed25519 key (e.g. after "Next node not found").
    pub fn remove(&mut self, ed25519: &Ed25519Pub) -> Option<Snode> {
        let i = self.nodes.iter().position(|n| n.ed25519 == *ed25519)?;
        Some(self.nodes.remove(i))
    }

    /// The distinct valid swarm ids, ascending.
    pub fn swarm_ids(&self) -> Vec<u64> {
        let mut ids: Vec<u64> = self
            .nodes
            .iter()
            .map(|n| n.swarm_id)
            .filter(|&id| id != INVALID_SWARM_ID)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The members of a swarm, in pool order.
    pub fn members_of(&self, swarm_id: u64) -> Vec<&Snode> {
        if swarm_id == INVALID_SWARM_ID {
            return Vec::new();
        }
        self.nodes
            .iter()
            .filter(|n| n.swarm_id == swarm_id)
            .collect()
    }

    /// The swarm that stores messages for a Session ID, computed from the pool's swarm ids.
    /// `None` if no node has a swarm id.
    pub fn swarm_of(&self, id: &SessionId) -> Option<u64> {
        swarm_for(space(id.x25519().as_bytes()), &self.swarm_ids())
    }
}

/// serde for the hex public key newtypes.
mod hex_key {
    use std::fmt::Display;
    use std::str::FromStr;

    use serde::{Deserialize, Deserializer, Serializer, de};

    pub(super) fn serialize<K: Display, S: Serializer>(k: &K, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(k)
    }

    pub(super) fn deserialize<'de, K, D>(d: D) -> Result<K, D::Error>
    where
        K: FromStr,
        K::Err: Display,
        D: Deserializer<'de>,
    {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(b: u8) -> String {
        hex::encode([b; 32])
    }

    #[test]
    fn parses_service_node_states_and_drops_unusable() {
        use crate::rpc::response::{JsonRpcReply, ServiceNodes, decode};
        let answer = json!({"jsonrpc": "2.0", "id": 0, "result": {"height": 5, "service_node_states": [
            {"public_ip": "1.2.3.4", "storage_port": 22021, "pubkey_ed25519": key(1),
             "pubkey_x25519": key(2), "swarm_id": 7, "storage_server_version": [2, 11, 0],
             "requested_unlock_height": 0, "storage_lmq_port": 22020},
            {"public_ip": "0.0.0.0", "storage_port": 22021, "pubkey_ed25519": key(3),
             "pubkey_x25519": key(4)},
            {"public_ip": "", "storage_port": 0, "pubkey_ed25519": key(5), "pubkey_x25519": key(6)},
            {"public_ip": "1.2.3.5", "storage_port": 22021, "pubkey_ed25519": "",
             "pubkey_x25519": key(6)},
            {"public_ip": "1.2.3.6", "storage_port": 22021, "pubkey_ed25519": "zz",
             "pubkey_x25519": key(8)},
            {"public_ip": "1.2.3.7", "storage_port": 1, "pubkey_ed25519": key(1),
             "pubkey_x25519": key(2)},
        ]}});
        let answer: JsonRpcReply<ServiceNodes> = decode(answer.to_string().as_bytes()).unwrap();
        let (pool, dropped) = SnodePool::from_service_nodes(answer.result.as_ref().unwrap());
        assert_eq!(pool.len(), 1);
        assert_eq!(dropped, 5);
        let n = &pool.nodes()[0];
        assert_eq!(n.ip, Ipv4Addr::new(1, 2, 3, 4));
        assert_eq!(n.version, Some([2, 11, 0]));
        assert_eq!(n.swarm_id, 7);
        assert_eq!(n.to_string(), "1.2.3.4:22021");
        assert!(decode::<JsonRpcReply<ServiceNodes>>(br#"{"result": {}}"#).is_err());
    }

    #[test]
    fn serde_uses_get_n_service_nodes_names() {
        let n = Snode {
            ed25519: Ed25519Pub([1; 32]),
            x25519: X25519Pub([2; 32]),
            ip: Ipv4Addr::new(127, 0, 0, 9),
            port: 4433,
            swarm_id: 99,
            version: None,
        };
        let v = serde_json::to_value(&n).unwrap();
        assert_eq!(
            v,
            json!({"pubkey_ed25519": key(1), "pubkey_x25519": key(2), "public_ip": "127.0.0.9",
                   "storage_port": 4433, "swarm_id": 99})
        );
        assert_eq!(serde_json::from_value::<Snode>(v).unwrap(), n);
        let bare = json!({"pubkey_ed25519": key(1), "pubkey_x25519": key(2),
                          "public_ip": "127.0.0.9", "storage_port": 4433, "other": true});
        assert_eq!(
            serde_json::from_value::<Snode>(bare).unwrap().swarm_id,
            INVALID_SWARM_ID
        );
        assert!(
            serde_json::from_value::<Snode>(
                json!({"pubkey_ed25519": "zz", "pubkey_x25519": key(2),
                   "public_ip": "127.0.0.9", "storage_port": 4433})
            )
            .is_err()
        );
    }

    #[test]
    fn parses_get_swarm_answers() {
        use crate::rpc::response::{SwarmMember, SwarmResponse, decode};
        let swarm = |body: Value| {
            decode::<SwarmResponse>(body.to_string().as_bytes())
                .map_err(|e| e.to_string())
                .and_then(|r| Swarm::from_response(&r).map_err(|e| e.to_string()))
        };
        let body = json!({"snodes": [
            {"address": "x.snode", "pubkey_legacy": key(1), "pubkey_ed25519": key(1),
             "pubkey_x25519": key(2), "port": "22021", "port_https": 22021, "port_omq": 22020,
             "ip": "1.2.3.4"},
            {"pubkey_ed25519": key(3), "pubkey_x25519": key(4), "port": "443", "ip": "5.6.7.8"},
            {"pubkey_ed25519": key(5), "pubkey_x25519": key(6), "port": "1", "ip": "0.0.0.0"},
        ], "swarm": "1bc", "t": 1, "hf": [19, 3]});
        let swarm_1bc = swarm(body).unwrap();
        assert_eq!(swarm_1bc.id, 0x1bc);
        assert_eq!(swarm_1bc.members.len(), 2);
        assert_eq!(swarm_1bc.members[1].port, 443);
        assert_eq!(swarm_1bc.members[1].swarm_id, 0x1bc);
        let entry = swarm_1bc.members[0].to_swarm_entry();
        let member: SwarmMember = serde_json::from_value(entry).unwrap();
        assert_eq!(
            member.to_snode(0x1bc).unwrap().as_ref(),
            Some(&swarm_1bc.members[0])
        );
        let empty = swarm(json!({"snodes": [], "swarm": "ffffffffffffffff"})).unwrap();
        assert_eq!(empty.id, INVALID_SWARM_ID);
        assert!(swarm(json!({"swarm": "1"})).unwrap_err().contains("snodes"));
        // A member without keys is unusable, and dropped; one with a bad key is refused.
        let keyless = swarm(json!({"snodes": [{"ip": "1.2.3.4", "port": "1"}], "swarm": "1"}));
        assert_eq!(keyless.unwrap().members, []);
        let err = swarm(json!({"snodes": [{"ip": "1.2.3.4", "port": "1",
            "pubkey_ed25519": "zz", "pubkey_x25519": key(2)}], "swarm": "1"}))
        .unwrap_err();
        assert!(err.contains("pubkey_ed25519"), "{err}");
    }

    #[test]
    fn pool_lookups() {
        let mk = |b: u8, swarm: u64| Snode {
            ed25519: Ed25519Pub([b; 32]),
            x25519: X25519Pub([b; 32]),
            ip: Ipv4Addr::new(10, 0, b, 1),
            port: 1000,
            swarm_id: swarm,
            version: None,
        };
        let mut pool = SnodePool::new([
            mk(1, 100),
            mk(2, 100),
            mk(3, 200),
            mk(4, INVALID_SWARM_ID),
            mk(1, 300),
        ]);
        assert_eq!(pool.len(), 4);
        assert_eq!(pool.swarm_ids(), vec![100, 200]);
        assert_eq!(pool.members_of(100).len(), 2);
        assert!(pool.members_of(INVALID_SWARM_ID).is_empty());
        let mut k = [0u8; 32];
        k[31] = 0xc8; // space 200
        let id = SessionId::from_x25519(X25519Pub(k));
        assert_eq!(pool.swarm_of(&id), Some(200));
        assert!(pool.remove(&Ed25519Pub([3; 32])).is_some());
        assert_eq!(pool.swarm_of(&id), Some(100));
        assert_eq!(SnodePool::default().swarm_of(&id), None);
    }
}
