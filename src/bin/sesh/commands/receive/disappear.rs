//! Messages that disappear after reading: once `sesh receive` has delivered one, its timer
//! starts, and the swarm is told to keep it no longer than that (a signed `expire` in
//! "shorten" mode), as the apps do when a message is read (session-desktop's
//! `UpdateMsgExpirySwarmJob`). Without this a message the sender wanted gone an hour after
//! reading would wait in the swarm for its full TTL.

use std::collections::BTreeMap;
use std::sync::Mutex;

use sesh::message::Message;
use sesh::message::wire::ExpirationType;
use sesh::rpc::limits::MAX_HASHES_PER_REQUEST;
use sesh::{Identity, SessionId};

use super::NetClient;

/// When a message read at `read_at_ms` and held by the swarm until `held_until_ms` is gone:
/// for one that disappears after reading, at most its timer after it was read.
pub(super) fn expires_at(msg: &Message, held_until_ms: u64, read_at_ms: u64) -> u64 {
    match (msg.expiration_type, msg.expiration_timer_s) {
        (Some(ExpirationType::DeleteAfterRead), Some(timer)) if timer > 0 => {
            held_until_ms.min(read_at_ms.saturating_add(u64::from(timer) * 1000))
        }
        _ => held_until_ms,
    }
}

/// The page's messages to disappear after reading: their hashes, by timer (seconds).
pub(super) struct ReadTimers {
    account: SessionId,
    by_timer: Mutex<BTreeMap<u32, Vec<String>>>,
}

impl ReadTimers {
    pub(super) fn new(account: SessionId) -> Self {
        Self {
            account,
            by_timer: Mutex::new(BTreeMap::new()),
        }
    }

    /// Notes `msg`, stored as `hash`, when it disappears after reading (and is not this
    /// account's own: the sender's copies are stored with the timer as their TTL).
    pub(super) fn note(&self, msg: &Message, hash: &str) {
        let (Some(ExpirationType::DeleteAfterRead), Some(timer)) =
            (msg.expiration_type, msg.expiration_timer_s)
        else {
            return;
        };
        if timer == 0 || msg.sender == self.account {
            return;
        }
        if let Ok(mut t) = self.by_timer.lock() {
            t.entry(timer).or_default().push(hash.to_owned());
        }
    }

    /// Once the page is recorded as delivered: shortens each noted message's expiry to now
    /// plus its timer. A failure is a warning: the messages were delivered, and expire at
    /// their TTL anyway.
    pub(super) async fn apply(&self, client: &mut NetClient, identity: &Identity) {
        let by_timer = match self.by_timer.lock() {
            Ok(mut t) => std::mem::take(&mut *t),
            Err(_) => return,
        };
        for (timer, hashes) in by_timer {
            let expiry = client
                .network_now_ms()
                .saturating_add(u64::from(timer) * 1000);
            for chunk in hashes.chunks(MAX_HASHES_PER_REQUEST) {
                if let Err(e) = client.shorten_expiry(identity, chunk, expiry).await {
                    crate::render::warning_line(&format!(
                        "{} message(s) that disappear after reading could not be set to expire \
                         from your swarm: {e}",
                        chunk.len()
                    ));
                }
            }
        }
    }
}
