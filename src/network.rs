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
//! A network may name its file server (protocol.md §10.1), where attachments and profile
//! pictures are uploaded through onion v4 requests (§7.5):
//!
//! ```toml
//! [file_server]
//! url = "http://127.0.0.1:4480"       # the base URL attachments carry: http(s)://host[:port]
//! pubkey_ed25519 = "b8eef982…"         # the server's Ed25519 key, 64 hex characters
//! pubkey_x25519 = "09324794…"          # its X25519 key: must be the one derived from pubkey_ed25519
//! ```
//!
//! The URL has no path, query or fragment (a trailing `/` is accepted and dropped). The X25519
//! key is checked against the Ed25519 key (libsodium's `crypto_sign_ed25519_pk_to_curve25519`),
//! so a network file cannot pair a server with a key it does not hold. Mainnet's and testnet's
//! file servers are built in.
//!
//! What the client caches about a network (pool, swarms, paths) belongs to its
//! [`Network::fingerprint`]: seeds, pins and known nodes, not the name (so that a devnet
//! restarted under the same name with new seeds starts afresh), nor the file server, which
//! nothing cached depends on.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::identity::{Ed25519Pub, X25519Pub};
use crate::onion::{Scheme, ServerDestination};

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
    /// The file server attachments are uploaded to (`[file_server]`), if the network has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_server: Option<FileServer>,
}

/// The onion v4 endpoint of a file server (protocol.md §7.5).
const FILE_SERVER_TARGET: &str = "/oxen/v4/lsrpc";

/// A Session file server (protocol.md §10.1): where it is and the keys onion requests to it are
/// encrypted to. See the module docs for the `[file_server]` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileServer {
    /// The base URL attachments carry, `http(s)://host[:port]`, without a trailing slash.
    pub url: String,
    /// The server's Ed25519 key (what a `p=` fragment of an attachment URL names).
    #[serde(rename = "pubkey_ed25519", with = "hex_key")]
    pub ed25519: Ed25519Pub,
    /// The server's X25519 key, derived from `ed25519`: onion v4 requests are encrypted to it.
    #[serde(rename = "pubkey_x25519", with = "hex_key")]
    pub x25519: X25519Pub,
}

impl FileServer {
    /// A file server at `url` with the Ed25519 key `ed25519`, its X25519 key derived.
    ///
    /// # Errors
    /// [`ConfigError::FileServerUrl`] when `url` is not `http(s)://host[:port][/]`;
    /// [`ConfigError::FileServerKey`] when `ed25519` is not a valid Edwards point.
    pub fn new(url: &str, ed25519: Ed25519Pub) -> Result<Self, ConfigError> {
        let x25519 = ed25519
            .to_x25519()
            .ok_or_else(|| ConfigError::FileServerKey(ed25519.to_hex()))?;
        let server = Self {
            url: url.strip_suffix('/').unwrap_or(url).to_owned(),
            ed25519,
            x25519,
        };
        server.validate()?;
        Ok(server)
    }

    /// Session's file server (protocol.md §10.1, with the X25519 key in use since Oct 2025).
    pub fn mainnet() -> Self {
        Self::builtin(
            "http://filev2.getsession.org",
            "b8eef9821445ae16e2e97ef8aa6fe782fd11ad5253cd6723b281341dba22e371",
            "09324794aa9c11948189762d198c618148e9136ac9582068180661208927ef34",
        )
    }

    /// The test network's file server, "potato" (protocol.md §10.1).
    pub fn testnet() -> Self {
        Self::builtin(
            "http://potatofiles.getsession.org",
            "ff86dcd4b26d1bfec944c59859494248626d6428efc12168749d65a1b92f5e28",
            "fc097b06821c98a2db75ce02e521cef5fd9d3446e42e81d843c4c8c4e9260f48",
        )
    }

    fn builtin(url: &str, ed: &str, x: &str) -> Self {
        Self {
            url: url.to_owned(),
            ed25519: ed.parse().expect("should be a valid built-in key"),
            x25519: x.parse().expect("should be a valid built-in key"),
        }
    }

    /// Where onion v4 requests to this server go: host, port and scheme from the URL, target
    /// `/oxen/v4/lsrpc`, encrypted to the X25519 key. An IPv6 host is given without brackets.
    pub fn destination(&self) -> ServerDestination {
        // The URL was validated when the server was made or read; a hand-built invalid one
        // (public fields) falls back to the whole text as the host, which no exit will reach.
        let (scheme, host, port) = parse_base_url(&self.url).unwrap_or_else(|| {
            (
                Scheme::Https,
                self.url.clone(),
                Scheme::Https.default_port(),
            )
        });
        ServerDestination {
            host,
            target: FILE_SERVER_TARGET.to_owned(),
            scheme,
            port,
            x25519: self.x25519,
        }
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if parse_base_url(&self.url).is_none() {
            return Err(ConfigError::FileServerUrl(self.url.clone()));
        }
        if self.ed25519.to_x25519() != Some(self.x25519) {
            return Err(ConfigError::FileServerKey(self.ed25519.to_hex()));
        }
        Ok(())
    }
}

/// `http(s)://host[:port]` (no trailing slash: callers strip it) as scheme, host (IPv6 without
/// brackets) and port; `None` when it has a path, query, fragment, user, or a bad host or port.
fn parse_base_url(url: &str) -> Option<(Scheme, String, u16)> {
    let (scheme, rest) = if let Some(rest) = url.strip_prefix("http://") {
        (Scheme::Http, rest)
    } else {
        (Scheme::Https, url.strip_prefix("https://")?)
    };
    let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
        let (host, after) = v6.split_once(']')?;
        if host.is_empty()
            || !host
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        {
            return None;
        }
        (host, after)
    } else {
        let end = rest.find(':').unwrap_or(rest.len());
        let host = &rest[..end];
        let name_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '.';
        if host.is_empty() || !host.chars().all(name_char) {
            return None;
        }
        (host, &rest[end..])
    };
    let port = match port.strip_prefix(':') {
        None if port.is_empty() => scheme.default_port(),
        None => return None,
        Some(p) if !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => {
            match p.parse::<u16>() {
                Ok(0) | Err(_) => return None,
                Ok(n) => n,
            }
        }
        Some(_) => return None,
    };
    Some((scheme, host.to_owned(), port))
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
            file_server: Some(FileServer::mainnet()),
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
            file_server: Some(FileServer::testnet()),
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
    /// [`ConfigError`] when the text is not valid TOML of this form, has no seeds, a seed
    /// uses HTTPS without a pin, or the file server's URL or keys are wrong.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let mut net: Self =
            toml::from_str(text).map_err(|e| ConfigError::Syntax(syntax_error(text, &e)))?;
        if let Some(fs) = &mut net.file_server
            && let Some(base) = fs.url.strip_suffix('/')
        {
            fs.url = base.to_owned();
        }
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
        if let Some(fs) = &self.file_server {
            fs.validate()?;
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
    /// A `[file_server]` URL that is not `http(s)://host[:port]`.
    #[error(
        "file server URL '{0}' must be http(s)://host[:port] without a path, query or fragment"
    )]
    FileServerUrl(String),
    /// A `[file_server]` whose `pubkey_ed25519` is not a valid key, or whose `pubkey_x25519`
    /// is not the one derived from it.
    #[error(
        "file server key '{0}' is not a valid Ed25519 key, or pubkey_x25519 is not derived from it"
    )]
    FileServerKey(String),
}

/// An [`Ed25519Pub`] or [`X25519Pub`] as 64 hex characters.
mod hex_key {
    use std::fmt::Display;
    use std::str::FromStr;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<K: Display, S: Serializer>(k: &K, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(k)
    }

    pub(super) fn deserialize<'de, K: FromStr, D: Deserializer<'de>>(d: D) -> Result<K, D::Error>
    where
        K::Err: Display,
    {
        let text = String::deserialize(d)?;
        text.parse()
            .map_err(|e| serde::de::Error::custom(format!("key '{text}': {e}")))
    }
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
    const DEV_ED: &str = "b8eef9821445ae16e2e97ef8aa6fe782fd11ad5253cd6723b281341dba22e371";
    const DEV_X: &str = "09324794aa9c11948189762d198c618148e9136ac9582068180661208927ef34";

    fn with_file_server(url: &str, ed: &str, x: &str) -> String {
        format!(
            "name = \"x\"\n[[seed]]\nurl = \"http://127.0.0.1:1/json_rpc\"\n\
             [file_server]\nurl = \"{url}\"\npubkey_ed25519 = \"{ed}\"\npubkey_x25519 = \"{x}\"\n"
        )
    }

    #[test]
    fn builtin_file_servers_use_derived_keys_and_the_new_mainnet_key() {
        for fs in [FileServer::mainnet(), FileServer::testnet()] {
            fs.validate().unwrap();
            assert_eq!(fs.ed25519.to_x25519(), Some(fs.x25519));
        }
        let main = Network::mainnet().file_server.unwrap();
        assert_eq!(main.url, "http://filev2.getsession.org");
        assert_eq!(main.x25519.to_hex(), DEV_X);
        assert_eq!(
            Network::testnet().file_server.unwrap().url,
            "http://potatofiles.getsession.org"
        );
    }

    #[test]
    fn file_server_table_round_trips() {
        let net =
            Network::from_toml(&with_file_server("http://127.0.0.1:4480/", DEV_ED, DEV_X)).unwrap();
        let fs = net.file_server.clone().unwrap();
        assert_eq!(fs.url, "http://127.0.0.1:4480", "trailing slash dropped");
        assert_eq!(fs.ed25519.to_hex(), DEV_ED);
        let text = net.to_toml();
        assert!(text.contains("[file_server]"), "{text}");
        assert!(
            text.contains(&format!("pubkey_x25519 = \"{DEV_X}\"")),
            "{text}"
        );
        assert_eq!(Network::from_toml(&text).unwrap(), net);
        // Without the table there is no file server, and none is written.
        let bare =
            Network::from_toml("name = \"x\"\n[[seed]]\nurl = \"http://127.0.0.1:1/j\"\n").unwrap();
        assert_eq!(bare.file_server, None);
        assert!(!bare.to_toml().contains("file_server"));
    }

    #[test]
    fn file_server_new_derives_the_x25519_key() {
        let fs = FileServer::new("https://files.example:8443/", DEV_ED.parse().unwrap()).unwrap();
        assert_eq!(fs.url, "https://files.example:8443");
        assert_eq!(fs.x25519.to_hex(), DEV_X);
        assert_eq!(
            FileServer::new("ftp://x", DEV_ED.parse().unwrap()),
            Err(ConfigError::FileServerUrl("ftp://x".into()))
        );
    }

    #[test]
    fn file_server_refuses_a_key_not_derived_from_its_ed25519_key() {
        // The pre-Oct-2025 X25519 key of the same server: valid, but not derived.
        let old = "da21e1d886c6fbaea313f75298bd64aab03a97ce985b46bb2dad9f2089c8ee59";
        assert_eq!(
            Network::from_toml(&with_file_server("http://a", DEV_ED, old)),
            Err(ConfigError::FileServerKey(DEV_ED.into()))
        );
        assert!(matches!(
            Network::from_toml(&with_file_server("http://a", "zz", DEV_X)),
            Err(ConfigError::Syntax(_))
        ));
    }

    #[test]
    fn file_server_url_is_scheme_host_and_port_only() {
        for bad in [
            "filev2.getsession.org",
            "ftp://a",
            "http://",
            "http://a/file",
            "http://a//",
            "http://a?x=1",
            "http://a#p",
            "http://u@a",
            "http://a:",
            "http://a:0",
            "http://a:65536",
            "http://a:+80",
            "http://a b",
            "http://[]:1",
        ] {
            assert_eq!(
                Network::from_toml(&with_file_server(bad, DEV_ED, DEV_X)),
                Err(ConfigError::FileServerUrl(
                    bad.strip_suffix('/').unwrap_or(bad).into()
                )),
                "{bad}"
            );
        }
    }

    #[test]
    fn file_server_destination_is_the_v4_endpoint() {
        let d = FileServer::mainnet().destination();
        assert_eq!(
            (d.scheme, d.host.as_str(), d.port, d.target.as_str()),
            (Scheme::Http, "filev2.getsession.org", 80, "/oxen/v4/lsrpc")
        );
        assert_eq!(d.x25519.to_hex(), DEV_X);
        let ed = DEV_ED.parse().unwrap();
        let d = FileServer::new("https://127.0.0.1:4480", ed)
            .unwrap()
            .destination();
        assert_eq!(
            (d.scheme, d.host.as_str(), d.port),
            (Scheme::Https, "127.0.0.1", 4480)
        );
        let d = FileServer::new("https://[::1]", ed).unwrap().destination();
        assert_eq!(
            (d.scheme, d.host.as_str(), d.port),
            (Scheme::Https, "::1", 443)
        );
    }
}
