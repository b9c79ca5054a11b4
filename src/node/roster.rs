//! The network as a node sees it: every service node with its keys, address and swarm.
//!
//! On the real network oxend tells each storage server the node list; on the devnet the
//! launcher writes it to a roster file that every node watches. The file is exactly the
//! `result` of a `get_n_service_nodes` answer (protocol.md §5.1), so a seed serves it as is.
//!
//! # Format
//! ```text
//! {"service_node_states": [{"public_ip": "127.0.1.1", "storage_port": 40001,
//!   "pubkey_ed25519": hex, "pubkey_x25519": hex, "swarm_id": 1234,
//!   "storage_server_version": [2, 11, 0], "requested_unlock_height": 0}, ...],
//!  "height": 1}
//! ```

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use serde_json::{Value, json};

use crate::identity::Ed25519Pub;
use crate::rpc::response::{ServiceNodeState, ServiceNodes, SwarmResponse};
use crate::swarm::{Snode, SnodePool, space, swarm_for};

/// The version every sesh-node reports (the storage server release it follows).
pub const VERSION: [u16; 3] = [2, 11, 0];
/// The hard fork the devnet claims to be on.
pub const HARDFORK: [u16; 2] = [21, 0];

/// A snapshot of the node list.
#[derive(Debug, Clone, Default)]
pub struct Roster {
    pool: SnodePool,
    height: u64,
}

impl Roster {
    /// A roster of these nodes.
    pub fn new(nodes: Vec<Snode>, height: u64) -> Self {
        Self {
            pool: SnodePool::new(nodes),
            height,
        }
    }

    /// Parses a roster file.
    ///
    /// # Errors
    /// A message saying what is wrong.
    pub fn from_json(text: &[u8]) -> Result<Self, String> {
        let list: ServiceNodes =
            serde_json::from_slice(text).map_err(|e| format!("not a roster: {e}"))?;
        let (pool, _) = SnodePool::from_service_nodes(&list);
        Ok(Self {
            pool,
            height: list.height.unwrap_or(1),
        })
    }

    /// The roster file text.
    pub fn to_json(&self) -> Value {
        json!({
            "service_node_states": self.pool.nodes().iter().map(state_json).collect::<Vec<_>>(),
            "height": self.height,
        })
    }

    /// The nodes.
    pub fn pool(&self) -> &SnodePool {
        &self.pool
    }

    /// The chain height to report.
    pub fn height(&self) -> u64 {
        self.height
    }

    /// The node with this key.
    pub fn node(&self, ed25519: &Ed25519Pub) -> Option<&Snode> {
        self.pool.get(ed25519)
    }

    /// The swarm that stores a pubkey's messages (the 32 bytes after the prefix, §6).
    pub fn swarm_of(&self, pubkey: &[u8; 33]) -> Option<u64> {
        let mut key = [0u8; 32];
        key.copy_from_slice(&pubkey[1..]);
        swarm_for(space(&key), &self.pool.swarm_ids())
    }

    /// The members of a swarm.
    pub fn members(&self, swarm_id: u64) -> Vec<&Snode> {
        self.pool.members_of(swarm_id)
    }

    /// The `get_swarm` / 421 body for a swarm (protocol.md §4.5).
    pub fn swarm_answer(&self, swarm_id: Option<u64>) -> SwarmResponse {
        match swarm_id {
            Some(id) => SwarmResponse::of(Some(id), &self.members(id)),
            None => SwarmResponse::of(None, &[]),
        }
    }

    /// The `get_n_service_nodes` result, keeping only the requested `fields` when given.
    pub fn service_nodes(&self, fields: Option<&[String]>) -> ServiceNodes {
        let wanted: Option<Vec<&str>> =
            fields.map(|f| f.iter().map(String::as_str).collect::<Vec<_>>());
        let states = self
            .pool
            .nodes()
            .iter()
            .map(|n| {
                let full = ServiceNodeState::of(n, VERSION);
                match &wanted {
                    Some(w) if !w.is_empty() => full.only(w),
                    _ => full,
                }
            })
            .collect();
        ServiceNodes {
            service_node_states: states,
            height: Some(self.height),
            target_height: Some(self.height),
            hardfork: Some(HARDFORK[0]),
            snode_revision: Some(HARDFORK[1]),
            status: Some("OK".into()),
        }
    }
}

fn state_json(n: &Snode) -> Value {
    json!({
        "public_ip": n.ip.to_string(),
        "storage_port": n.port,
        "storage_lmq_port": 0,
        "pubkey_ed25519": n.ed25519.to_hex(),
        "pubkey_x25519": n.x25519.to_hex(),
        "swarm_id": n.swarm_id,
        "storage_server_version": n.version.unwrap_or(VERSION),
        "requested_unlock_height": 0,
    })
}

/// The roster last read, and the file's stamp then.
type Loaded = (Option<Stamp>, Option<Arc<Roster>>);

/// What tells one version of the roster file from the next: its modification time alone does
/// not, as the kernel's file clock is coarse (a few milliseconds) and two writes in one tick
/// share it. The devnet replaces the file by a rename, which always gives it an inode other
/// than the one it replaces; the length catches most edits in place.
type Stamp = (SystemTime, u64, u64);

fn stamp(path: &Path) -> Option<Stamp> {
    use std::os::unix::fs::MetadataExt as _;
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok()?, m.ino(), m.len()))
}

/// A roster file that is re-read when it changes, so the devnet can move swarms while the
/// nodes run.
#[derive(Debug, Clone)]
pub struct RosterFile {
    path: PathBuf,
    inner: Arc<Mutex<Loaded>>,
}

impl RosterFile {
    /// Watches `path` (which may not exist yet).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            inner: Arc::new(Mutex::new((None, None))),
        }
    }

    /// A roster that lives in memory only and never changes (for in-process nodes).
    pub fn fixed(roster: Roster) -> Self {
        Self {
            path: PathBuf::new(),
            inner: Arc::new(Mutex::new((None, Some(Arc::new(roster))))),
        }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The current roster: re-read if the file changed since the last call; `None` until the
    /// file exists and parses (the node is not ready).
    pub fn current(&self) -> Option<Arc<Roster>> {
        let now = stamp(&self.path);
        let mut guard = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if now.is_some()
            && now != guard.0
            && let Ok(text) = std::fs::read(&self.path)
            && let Ok(r) = Roster::from_json(&text)
        {
            *guard = (now, Some(Arc::new(r)));
        }
        guard.1.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes `roster` as the devnet does: a temporary file renamed over the old one.
    fn replace(path: &Path, roster: &Roster) {
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, roster.to_json().to_string()).unwrap();
        std::fs::rename(&tmp, path).unwrap();
    }

    #[test]
    fn a_rewrite_in_the_same_clock_tick_is_seen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("roster.json");
        replace(&path, &Roster::new(Vec::new(), 1));
        let file = RosterFile::new(&path);
        assert_eq!(file.current().unwrap().height(), 1);
        let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();

        // The next version, stamped with the very same modification time (as two writes in
        // one tick of the kernel's coarse file clock are).
        replace(&path, &Roster::new(Vec::new(), 2));
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(mtime)
            .unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), mtime);
        assert_eq!(file.current().unwrap().height(), 2);
        // And read once: unchanged since, the same roster.
        assert!(Arc::ptr_eq(
            &file.current().unwrap(),
            &file.current().unwrap()
        ));
    }
}
