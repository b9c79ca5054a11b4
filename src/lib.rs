//! sesh: a command-line client for the Session messenger, as a library.
//!
//! sesh speaks the Session protocol byte for byte as the official apps do: identities and
//! recovery phrases, the 1:1 message format, the storage RPC, swarms and onion requests. It
//! also runs a local service node (`sesh-node`) and a loopback network of them (`sesh
//! devnet`), so that all of this can be tested offline. The binaries in `src/bin` are thin:
//! they parse arguments, call this library and print.
//!
//! What sesh is **not**: a chat application (no conversation list, no contacts, no groups or
//! communities), a multi-device sync client, or an anonymity guarantee beyond
//! what the Session network itself provides (protocol v1 has no forward secrecy). Its node is
//! a stand-in for the storage server on a test network, not a mainnet service node.
//!
//! # The I/O boundary
//!
//! The protocol core does no I/O: it takes bytes, time and randomness as arguments and
//! returns values, so that it is tested with fixed vectors and property tests. Only the edge
//! touches sockets, files, the system clock and the OS random source; the core never calls
//! into the edge. Inside the client, policy (which node, which path, which swarm to believe)
//! is pure as well, and the async [`client::Client`] saves what it decides.
//!
//! The core:
//!
//! | module | what |
//! |---|---|
//! | [`identity`] | seeds, key pairs, Session IDs; [`identity::keyfile`] is the key file text |
//! | [`mnemonic`] | recovery phrases: Session's 13 words, and BIP39 |
//! | [`attachment`] | files: legacy AES-CBC + HMAC and deterministic "S" encryption, profile pictures, content types, safe file names, file URLs |
//! | [`message`] | 1:1 messages: [`message::seal`] and [`message::open`], byte-compatible with the apps; [`message::wire`] is the protobuf envelope and content, [`message::pad`] the padding |
//! | [`profile`] | the user's profile: display name, profile key and avatar, their limits, and when the avatar is uploaded again |
//! | [`rpc`] | the storage RPC codec both ends share: [`rpc::request`] and [`rpc::response`] (typed, size-bounded parsing of untrusted JSON), [`rpc::limits`] (data size, TTL range, clock window, retrieve caps), [`rpc::status`] (status → outcome), [`rpc::auth`] (signed request strings); namespaces and the message hash |
//! | [`onion`] | onion requests: build, peel, open replies; [`onion::hop`] is the per-hop layer crypto, [`onion::wire`] the layer framing, [`onion::path`] chooses paths |
//! | [`swarm`] | service nodes ([`swarm::Snode`]), the snode pool, and which swarm stores a Session ID |
//! | [`network`] | which network: seeds, certificate pins, known nodes, path rules; network files |
//! | [`clock`] | time as a value ([`clock::Clock`]); the only module that reads the system clock |
//! | [`error`] | [`ErrorKind`] and [`HasKind`]; [`Error`], the error of the identity, message and key-file operations |
//!
//! The edge:
//!
//! | module | what |
//! |---|---|
//! | [`transport`] | one HTTP POST to a seed or a service node ([`transport::Transport`]); [`transport::http`] is the one HTTPS client and its TLS policy; `transport::memory` (hidden, for tests) runs real node services in memory |
//! | [`client`] | the network client [`client::Client`]: node pool, swarms, onion paths, store and retrieve; [`client::state`] is its state database, [`client::probe`] the health checks |
//! | [`node`] | the local node `sesh-node`: [`node::run`] serves a [`node::Service`] over HTTPS; [`node::service`] is the storage server, [`node::roster`] who is on the network, [`node::peer`] a client to other nodes |
//! | [`devnet`] | a loopback network of `sesh-node` processes, and its network file |
//! | [`store`] | default paths; reading and writing key files (0600, atomic) |
//! | [`cli`] | the command-line definitions, shared by the binaries, man pages and completions |
//! | [`parallel`] | [`parallel::ordered_map`]: independent work (opening messages) on every core, delivered in input order, streaming |
//!
//! Everything else is crate-private: the client's pool, swarm, path-book, network-clock and
//! onion-RPC policy, the node's HTTP plumbing, rate limiter, certificate files, message
//! database and request checks.
//!
//! # Errors and exit statuses
//!
//! Errors are one `thiserror` enum per concept ([`Error`], [`client::Error`],
//! [`client::StateError`], [`node::Error`], [`devnet::Error`], [`transport::TransportError`],
//! [`onion::path::PathError`], …). Each implements [`HasKind`]: its [`ErrorKind`] decides the
//! exit status (see `sesh(1)`) and whether a retry may help, and it may carry a hint for the
//! user. The `sesh` binary takes the kind and hint of a failed command from `HasKind` alone,
//! through one conversion into its report; there is no list of downcasts, and no error type
//! gathers the others.

pub mod attachment;
pub mod cli;
pub mod client;
pub mod clock;
pub mod config;
pub mod curve;
pub mod devnet;
pub mod error;
pub mod identity;
pub mod message;
pub mod mnemonic;
pub mod network;
pub mod node;
pub mod onion;
pub mod ons;
pub mod parallel;
pub mod profile;
pub mod qr;
pub mod rpc;
pub mod store;
pub mod swarm;
pub mod transport;

pub use error::{Error, ErrorKind, HasKind};
pub use identity::{Identity, SessionId};
