//! Which Session network to talk to: its seed nodes, their certificate pins, and path rules.
//!
//! `mainnet` (the default) and `testnet` are built in; any other network, such as the local
//! devnet that `sesh devnet` starts, is described by a network file:
//!
//! # Format
//! ```toml
//! name = "devnet"
//! subnet_diversity = true          # paths use nodes from distinct /24 subnets (default true)
//!
//! [[seed]]
//! url = "https://127.0.0.1:4443/json_rpc"
//! cert_sha256 = "36ea0b25…"        # SHA-256 of the seed's certificate (DER), 64 hex characters
//! ```
//!
//! A seed without `cert_sha256` must use plain `http` (the testnet seed does). Everything else
//! about a network (the node pool, swarms, paths) is learned from the seeds, on the same code
//! path for every network.
//!
//! A network may also list known service nodes (`[[node]]` with `public_ip`, `storage_port`
//! and `pubkey_ed25519`), asked for the node list when every seed fails, as the Session apps
//! fall back to a bundled list. Mainnet bundles libsession's; testnet and devnet have none
//! unless their file lists some.
//!
//! What the client caches about a network (pool, swarms, paths) belongs to its
//! [`Network::fingerprint`]: seeds, pins and known nodes, not the name, so that a devnet
//! restarted under the same name with new seeds starts afresh.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A seed node: where the node list is fetched from, and the certificate it must present.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedNode {
    /// The full URL of the seed's JSON-RPC endpoint, e.g. `https://seed1.getsession.org:4443/json_rpc`.
    pub url: String,
    /// SHA-256 of the certificate the seed must present (DER); `None` only for plain HTTP.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "opt_hex32",
        rename = "cert_sha256"
    )]
    pub pin: Option<[u8; 32]>,
}

/// A Session network: its name, seeds, and the rules the client follows on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Network {
    /// A short name for people and for the state directory (`mainnet`, `testnet`, `devnet`).
    pub name: String,
    /// Whether the nodes of one onion path must come from distinct /24 subnets.
    #[serde(default = "default_true")]
    pub subnet_diversity: bool,
    /// The seed nodes.
    #[serde(rename = "seed", default)]
    pub seeds: Vec<SeedNode>,
    /// Known service nodes, asked for the node list when every seed fails.
    #[serde(rename = "node", default, skip_serializing_if = "Vec::is_empty")]
    pub known_nodes: Vec<KnownNode>,
}

/// A service node known in advance (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownNode {
    /// Its IPv4 address.
    pub public_ip: std::net::Ipv4Addr,
    /// Its storage server's HTTPS port.
    pub storage_port: u16,
    /// Its Ed25519 key, 64 hex characters: the node list it gives must contain it at this
    /// address.
    pub pubkey_ed25519: String,
}

impl KnownNode {
    /// The Ed25519 key, when it is valid hex.
    pub fn ed25519(&self) -> Option<crate::identity::Ed25519Pub> {
        self.pubkey_ed25519.parse().ok()
    }
}

fn default_true() -> bool {
    true
}

/// Parses `36:EA:0B:…` (a fingerprint as tools print it) at compile-time-known call sites.
fn fingerprint(s: &str) -> [u8; 32] {
    let hex: String = s.chars().filter(|c| *c != ':').collect();
    let mut out = [0u8; 32];
    hex::decode_to_slice(hex, &mut out).expect("should be a valid built-in fingerprint");
    out
}

impl Network {
    /// The Session main network.
    ///
    /// Seeds and pins mirror session-desktop `ts/session/apis/seed_node_api/SeedNodeAPI.ts`
    /// (protocol.md §5.1, §8): each seed serves a self-signed certificate, pinned exactly.
    pub fn mainnet() -> Self {
        let seed = |n: u8, fp: &str| SeedNode {
            url: format!("https://seed{n}.getsession.org:4443/json_rpc"),
            pin: Some(fingerprint(fp)),
        };
        // libsession-util `include/session/network/network_opt.hpp` (`netid::mainnet`, the
        // nodes it bootstraps from; protocol.md §5.2): key, address, HTTPS storage port.
        let node = |key: &str, ip: [u8; 4], port: u16| KnownNode {
            public_ip: ip.into(),
            storage_port: port,
            pubkey_ed25519: key.to_owned(),
        };
        Self {
            name: "mainnet".to_owned(),
            subnet_diversity: true,
            known_nodes: vec![
                node(
                    "1f000f09a7b07828dcb72af7cd16857050c10c02bd58afb0e38111fb6cda1fef",
                    [95, 216, 33, 113],
                    22100,
                ),
                node(
                    "1f101f0acee4db6f31aaa8b4df134e85ca8a4878efaef7f971e88ab144c1a7ce",
                    [37, 27, 236, 229],
                    22101,
                ),
                node(
                    "1f202f00f4d2d4acc01e20773999a291cf3e3136c325474d159814e06199919f",
                    [172, 96, 140, 124],
                    22102,
                ),
                node(
                    "1f303f1d7523c46fa5398826740d13282d26b5de90fbae5749442f66afb6d78b",
                    [208, 73, 207, 54],
                    22103,
                ),
                node(
                    "1f604f1c858a121a681d8f9b470ef72e6946ee1b9c5ad15a35e16b50c28db7b0",
                    [104, 194, 8, 115],
                    22104,
                ),
            ],
            seeds: vec![
                seed(
                    1,
                    "36:EA:0B:25:35:37:98:85:51:EE:85:6E:4F:D2:0D:55:01:1E:9C:8B:27:EA:A2:F3:4B:8F:32:A0:BD:F0:4F:2D",
                ),
                seed(
                    2,
                    "C5:90:8D:D4:13:9A:CD:96:AE:DD:1E:45:57:65:97:65:08:09:C8:A5:EA:02:AF:55:6D:48:53:D4:53:96:E0:E7",
                ),
                seed(
                    3,
                    "8A:0A:F2:C7:12:34:2F:22:CE:00:E5:3C:16:01:41:0E:F8:D8:41:56:AE:E0:A9:80:9C:32:F6:F7:EF:BE:55:6E",
                ),
            ],
        }
    }

    /// The Session test network (protocol.md §5.1: its seed speaks plain HTTP).
    pub fn testnet() -> Self {
        Self {
            name: "testnet".to_owned(),
            subnet_diversity: true,
            known_nodes: Vec::new(),
            seeds: vec![SeedNode {
                url: "http://seed2.getsession.org:38157/json_rpc".to_owned(),
                pin: None,
            }],
        }
    }

    /// A built-in network by name.
    pub fn builtin(name: &str) -> Option<Self> {
        match name {
            "mainnet" => Some(Self::mainnet()),
            "testnet" => Some(Self::testnet()),
            _ => None,
        }
    }

    /// What identifies the network for the client's cache: a hash of its seeds (URL and pin)
    /// and known nodes, as an i64 (the state's `meta` values are integers). The name is left
    /// out on purpose: a devnet restarted under the same name is another network.
    pub fn fingerprint(&self) -> i64 {
        use sha2::Digest as _;
        let mut h = sha2::Sha256::new();
        for s in &self.seeds {
            h.update(b"seed\0");
            h.update(s.url.as_bytes());
            h.update([0]);
            h.update(s.pin.unwrap_or([0; 32]));
        }
        for n in &self.known_nodes {
            h.update(b"node\0");
            h.update(n.public_ip.octets());
            h.update(n.storage_port.to_be_bytes());
            h.update(n.pubkey_ed25519.to_ascii_lowercase().as_bytes());
        }
        let d = h.finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&d[..8]);
        i64::from_be_bytes(first)
    }

    /// Parses a network file.
    ///
    /// # Errors
    /// [`ConfigError`] when the text is not valid TOML of this form, has no seeds, or a seed
    /// uses HTTPS without a pin.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let net: Self =
            toml::from_str(text).map_err(|e| ConfigError::Syntax(syntax_error(text, &e)))?;
        net.validate()?;
        Ok(net)
    }

    /// The network file text.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("should serialize a network as TOML")
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.name.is_empty()
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(ConfigError::Name(self.name.clone()));
        }
        if self.seeds.is_empty() {
            return Err(ConfigError::NoSeeds);
        }
        for n in &self.known_nodes {
            if n.ed25519().is_none() {
                return Err(ConfigError::NodeKey(n.pubkey_ed25519.clone()));
            }
        }
        for s in &self.seeds {
            let https = s.url.starts_with("https://");
            if !https && !s.url.starts_with("http://") {
                return Err(ConfigError::SeedUrl(s.url.clone()));
            }
            if https && s.pin.is_none() {
                return Err(ConfigError::NoPin(s.url.clone()));
            }
            if !https && s.pin.is_some() {
                return Err(ConfigError::PinnedHttp(s.url.clone()));
            }
        }
        Ok(())
    }
}

/// A TOML error on one line, `line L, column C: what` (toml's own text quotes the source over
/// several lines).
fn syntax_error(text: &str, e: &toml::de::Error) -> String {
    let what = e.message().trim().replace('\n', " ");
    match e.span() {
        Some(span) => {
            let before = &text.as_bytes()[..span.start.min(text.len())];
            let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
            let line_start = before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            let column = String::from_utf8_lossy(&before[line_start..])
                .chars()
                .count()
                + 1;
            format!("line {line}, column {column}: {what}")
        }
        None => what,
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// Why a network file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Not TOML of the expected form.
    #[error("{0}")]
    Syntax(String),
    /// The name is empty or has characters other than letters, digits, `-` and `_`.
    #[error("network name '{0}' must be letters, digits, '-' or '_'")]
    Name(String),
    /// No `[[seed]]`.
    #[error("the network has no [[seed]]")]
    NoSeeds,
    /// A seed URL that is not http or https.
    #[error("seed URL '{0}' is not an http or https URL")]
    SeedUrl(String),
    /// A known node whose `pubkey_ed25519` is not 64 hex characters.
    #[error("node key '{0}' is not 64 hex characters")]
    NodeKey(String),
    /// An HTTPS seed without a certificate pin.
    #[error("seed '{0}' uses https but has no cert_sha256 pin")]
    NoPin(String),
    /// A seed with a certificate pin and a plain-HTTP URL: a pin is checked only over HTTPS.
    #[error("seed '{0}' has a cert_sha256 pin but uses http: a pinned seed must use https")]
    PinnedHttp(String),
}

mod opt_hex32 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(v: &Option<[u8; 32]>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(b) => s.serialize_str(&hex::encode(b)),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<[u8; 32]>, D::Error> {
        let text: Option<String> = Option::deserialize(d)?;
        text.map(|t| {
            let t: String = t.chars().filter(|c| *c != ':').collect();
            let mut out = [0u8; 32];
            hex::decode_to_slice(&t, &mut out)
                .map_err(|_| serde::de::Error::custom("cert_sha256 must be 64 hex characters"))?;
            Ok(out)
        })
        .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_are_valid_and_round_trip() {
        for net in [Network::mainnet(), Network::testnet()] {
            net.validate().unwrap();
            assert_eq!(Network::from_toml(&net.to_toml()).unwrap(), net);
        }
        assert_eq!(
            hex::encode(Network::mainnet().seeds[0].pin.unwrap()),
            "36ea0b253537988551ee856e4fd20d55011e9c8b27eaa2f34b8f32a0bdf04f2d"
        );
    }

    #[test]
    fn fingerprint_follows_seeds_pins_and_nodes_not_the_name() {
        let text = "name = \"dev\"\n[[seed]]\nurl = \"http://127.0.0.1:1/json_rpc\"\n";
        let a = Network::from_toml(text).unwrap();
        let mut renamed = a.clone();
        renamed.name = "other".into();
        assert_eq!(a.fingerprint(), renamed.fingerprint());
        let mut moved = a.clone();
        moved.seeds[0].url = "http://127.0.0.1:2/json_rpc".into();
        assert_ne!(a.fingerprint(), moved.fingerprint());
        let mut repinned = Network::mainnet();
        repinned.seeds[0].pin = Some([1; 32]);
        assert_ne!(Network::mainnet().fingerprint(), repinned.fingerprint());
        let mut more = a.clone();
        more.known_nodes = Network::mainnet().known_nodes;
        assert_ne!(a.fingerprint(), more.fingerprint());
        assert_eq!(
            Network::mainnet().fingerprint(),
            Network::mainnet().fingerprint()
        );
    }

    #[test]
    fn known_nodes_parse_and_mainnet_bundles_some() {
        assert_eq!(Network::mainnet().known_nodes.len(), 5);
        assert!(Network::testnet().known_nodes.is_empty());
        let text = "name = \"x\"\n[[seed]]\nurl = \"http://127.0.0.1:1/json_rpc\"\n\
                    [[node]]\npublic_ip = \"127.0.0.1\"\nstorage_port = 2\npubkey_ed25519 = \"zz\"\n";
        assert_eq!(
            Network::from_toml(text),
            Err(ConfigError::NodeKey("zz".into()))
        );
    }

    #[test]
    fn refuses_a_pinned_http_seed() {
        let text = "name = \"x\"\n[[seed]]\nurl = \"http://127.0.0.1:1/json_rpc\"\n\
                    cert_sha256 = \"8ba7c857123f662cf05d15e8a48aa6953bc6c3ab1702633fa6ef9d89c63e27c5\"\n";
        assert_eq!(
            Network::from_toml(text),
            Err(ConfigError::PinnedHttp(
                "http://127.0.0.1:1/json_rpc".into()
            ))
        );
    }

    #[test]
    fn refuses_unpinned_https() {
        let text = "name = \"x\"\n[[seed]]\nurl = \"https://127.0.0.1:1/json_rpc\"\n";
        assert_eq!(
            Network::from_toml(text),
            Err(ConfigError::NoPin("https://127.0.0.1:1/json_rpc".into()))
        );
        assert_eq!(
            Network::from_toml("name = \"x\"\n"),
            Err(ConfigError::NoSeeds)
        );
        assert!(matches!(
            Network::from_toml("name = 3"),
            Err(ConfigError::Syntax(_))
        ));
    }

    #[test]
    fn a_syntax_error_is_one_line_with_its_place() {
        let one_line = |text: &str| match Network::from_toml(text) {
            Err(ConfigError::Syntax(s)) => s,
            other => panic!("not a syntax error: {other:?}"),
        };
        assert_eq!(one_line(""), "line 1, column 1: missing field `name`");
        let e = one_line("name = \"x\"\n[[seed]]\nurl = = 3\n");
        assert!(e.starts_with("line 3, column 7: "), "{e}");
        assert!(!e.contains('\n'), "{e}");
        let e = one_line("é = [\n");
        assert!(!e.contains('\n'), "{e}");
    }
}
