//! sesh: a command-line client for the Session messenger, as a library.
//!
//! sesh speaks the Session protocol byte for byte as the official apps do: identities and
//! recovery phrases, the 1:1 message format, storage RPC, swarms and onion requests. The
//! binaries in `src/bin` are thin: they parse arguments, call this library and print.
//!
//! # Layout
//!
//! The protocol core does no I/O: it takes bytes, time and randomness as arguments.
//!
//! | module | what |
//! |---|---|
//! | [`identity`] | seeds, key pairs, Session IDs; [`identity::keyfile`] is the key file text |
//! | [`mnemonic`] | recovery phrases: Session's 13 words, and BIP39 |
//! | [`message`] | 1:1 messages: [`message::seal`] and [`message::open`], byte-compatible with the apps |
//! | [`rpc`] | storage RPC values: namespaces, the message hash, signed request fields ([`rpc::auth`]) |
//! | [`clock`] | time as a value; the only module that reads the system clock |
//! | [`network`] | which network: seeds, certificate pins, path rules; network files |
//! | [`onion`] | onion requests: build, peel, open replies; [`onion::path`] chooses paths |
//! | [`swarm`] | service nodes, the snode pool, and which swarm stores a Session ID |
//!
//! The I/O edge:
//!
//! | module | what |
//! |---|---|
//! | [`store`] | default paths; reading and writing key files (0600, atomic) |
//! | [`cli`] | the command-line definitions, shared by the binary, man pages and completions |
//! | [`node`] | the local node `sesh-node`: HTTPS server, message database, client to other nodes |
//! | [`transport`] | one HTTP POST to a seed or a service node; the TLS policy ([`transport::http`]) |
//! | [`client`] | the network client: node pool, swarms, onion paths, store and retrieve; its state |
//!
//! Errors are one enum per concept; [`Error`] gathers them for the commands, and its
//! [`ErrorKind`] decides the exit status (see `sesh(1)`) and whether a retry may help.

pub mod cli;
pub mod client;
pub mod clock;
pub mod devnet;
pub mod error;
pub mod identity;
pub mod message;
pub mod mnemonic;
pub mod network;
pub mod node;
pub mod onion;
pub mod rpc;
pub mod store;
pub mod swarm;
pub mod transport;

pub use error::{Error, ErrorKind, HasKind};
pub use identity::{Identity, SessionId};
