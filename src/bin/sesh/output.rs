//! The `--json` records: one type per kind of row, each a JSON Lines object whose `"type"`
//! names it (as ripgrep's `printer/json.rs`).
//!
//! One thing has one name everywhere. A service node is named by [`NodeFields`], flattened
//! into `node`, `path` hops, `hop`, `probe` and `swarm` members alike: `pubkey_ed25519`,
//! `pubkey_x25519`, `public_ip`, `storage_port` (the names `get_n_service_nodes` uses). The
//! address fields are always present and `null` unless `--reveal`; a node's storage server
//! version is `version` wherever it is shown. Field order is the
//! declaration order; adding a field is compatible, renaming or removing one is not.

use serde::Serialize;
use sesh::swarm::{INVALID_SWARM_ID, Snode};

/// One row of `--json` output.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum Record<'a> {
    /// `sesh keygen`, `recover`, `id`.
    Identity(IdentityRecord),
    /// `sesh phrase`.
    Phrase(PhraseRecord<'a>),
    /// `sesh seal`.
    Sealed(SealedRecord),
    /// `sesh send`, per recipient.
    Sent(SentRecord),
    /// `sesh delete`.
    Deleted(DeletedRecord),
    /// `sesh unsend`, per hash.
    Unsent(UnsentRecord),
    /// `sesh open` and `sesh receive`, per message.
    Message(MessageRecord),
    /// `sesh receive --include-sent`: a copy of a message sent from another device.
    #[serde(rename = "sent")]
    SentCopy(MessageRecord),
    /// `sesh receive --save-attachments`: an attachment tried again after an earlier failure.
    Attachment(AttachmentRecord),
    /// `sesh nodes`, per node.
    Node(NodeRecord),
    /// `sesh path show|new`, per path.
    Path(PathRecord),
    /// `sesh path test`, per hop.
    Hop(HopRecord),
    /// `sesh probe`, per node asked about.
    Probe(ProbeRecord),
    /// `sesh probe`, last.
    Summary(SummaryRecord),
    /// `sesh swarm`.
    Swarm(SwarmRecord),
    /// `sesh profile set|show`.
    Profile(ProfileRecord),
    /// `sesh devnet`, once every node answers.
    Devnet(DevnetRecord),
    /// `sesh resolve`.
    Resolved(ResolvedRecord),
    /// `sesh open` and `sesh receive`, per Content that is not a visible message (a
    /// reaction, a read receipt, …): its own `"type"`.
    #[serde(untagged)]
    Kind(KindRecord),
}

/// `sesh resolve`: the name (lowercased) and the Session ID registered for it.
#[derive(Debug, Serialize)]
pub(crate) struct ResolvedRecord {
    pub(crate) name: String,
    pub(crate) session_id: String,
}

/// A Content that is not a visible message, as `open` and `receive` print it.
#[derive(Debug, Serialize)]
pub(crate) struct KindRecord {
    /// Its kind: `reaction`, `receipt`, `typing`, `unsend`, `request_accepted`,
    /// `data_extraction`, `expiration_update` or `unknown`.
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    /// A copy sent from another device only: the conversation's Session ID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) to: Option<String>,
    pub(crate) from: String,
    /// When it was sent: the envelope's timestamp (ms).
    pub(crate) sent_at: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) display_name: Option<String>,
    pub(crate) sender_ed25519: String,
    #[serde(flatten)]
    pub(crate) fields: KindFields,
    /// `receive` only: the message's hash.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) hash: Option<String>,
    /// `receive` only: when the swarm deletes it (ms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) expires_at: Option<u64>,
}

/// The fields of a [`KindRecord`] that its kind has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub(crate) enum KindFields {
    /// `dataMessage.reaction`: `timestamp` and `author` name the message reacted to.
    Reaction {
        emoji: Option<String>,
        removed: bool,
        timestamp: u64,
        author: String,
    },
    /// `receiptMessage` of type READ.
    Receipt { timestamps: Vec<u64> },
    /// `typingMessage`.
    Typing { started: bool },
    /// `unsendRequest`: the message to delete.
    Unsend { timestamp: u64, author: String },
    /// `messageRequestResponse` with `isApproved`.
    RequestAccepted {},
    /// `dataExtractionNotification`: `screenshot` or `media_saved`.
    DataExtraction { event: &'static str },
    /// A `dataMessage` flagged EXPIRATION_TIMER_UPDATE: the Content's setting.
    ExpirationUpdate {
        expiration_type: Option<&'static str>,
        expiration_timer: Option<u32>,
    },
    /// Anything else: the Content's fields that are set.
    Unknown { fields: Vec<&'static str> },
}

impl KindFields {
    /// The row kind these fields are of.
    pub(crate) fn kind(&self) -> sesh::cli::RowKind {
        use sesh::cli::RowKind;
        match self {
            Self::Reaction { .. } => RowKind::Reaction,
            Self::Receipt { .. } => RowKind::Receipt,
            Self::Typing { .. } => RowKind::Typing,
            Self::Unsend { .. } => RowKind::Unsend,
            Self::RequestAccepted {} => RowKind::RequestAccepted,
            Self::DataExtraction { .. } => RowKind::DataExtraction,
            Self::ExpirationUpdate { .. } => RowKind::ExpirationUpdate,
            Self::Unknown { .. } => RowKind::Unknown,
        }
    }
}

/// A service node's keys and address: flattened into every record about a node.
#[derive(Debug, Default, Serialize)]
pub(crate) struct NodeFields {
    /// Its Ed25519 key, hex (`null` only for a probed node the network does not list).
    pub(crate) pubkey_ed25519: Option<String>,
    /// Its X25519 key, hex.
    pub(crate) pubkey_x25519: Option<String>,
    /// Its IPv4 address; `null` unless `--reveal`.
    pub(crate) public_ip: Option<String>,
    /// Its HTTPS storage port; `null` unless `--reveal`.
    pub(crate) storage_port: Option<u16>,
}

impl NodeFields {
    /// The fields of `n`, its address only when `reveal`.
    pub(crate) fn of(n: &Snode, reveal: bool) -> Self {
        Self {
            pubkey_ed25519: Some(n.ed25519.to_hex()),
            pubkey_x25519: Some(n.x25519.to_hex()),
            public_ip: reveal.then(|| n.ip.to_string()),
            storage_port: reveal.then_some(n.port),
        }
    }
}

/// A node's swarm ID, unless it has none.
pub(crate) fn swarm_id(n: &Snode) -> Option<u64> {
    Some(n.swarm_id).filter(|&id| id != INVALID_SWARM_ID)
}

#[derive(Debug, Serialize)]
pub(crate) struct IdentityRecord {
    pub(crate) session_id: String,
    pub(crate) pubkey_ed25519: String,
    pub(crate) pubkey_x25519: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct PhraseRecord<'a> {
    pub(crate) format: &'static str,
    /// Borrowed from a zeroizing buffer: never copied.
    pub(crate) phrase: &'a str,
    pub(crate) session_id: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct SealedRecord {
    pub(crate) to: String,
    pub(crate) timestamp: u64,
    pub(crate) data: String,
    pub(crate) hash: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct SentRecord {
    pub(crate) to: String,
    pub(crate) hash: String,
    pub(crate) timestamp: u64,
    /// The hash of the copy stored in the sender's own swarm for their other devices;
    /// `null` when none was stored (`--no-sync`, a message to oneself, or the copy failed).
    pub(crate) sync_hash: Option<String>,
    /// The files the message carries (`--attach`); absent when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) attachments: Vec<SentAttachment>,
}

/// What `sesh delete` deleted.
#[derive(Debug, Serialize)]
pub(crate) struct DeletedRecord {
    pub(crate) deleted: Vec<String>,
    /// How many swarm members confirmed, of `members`.
    pub(crate) confirmed: usize,
    pub(crate) members: usize,
}

/// A message `sesh unsend` unsent.
#[derive(Debug, Serialize)]
pub(crate) struct UnsentRecord {
    pub(crate) hash: String,
    pub(crate) to: String,
    pub(crate) timestamp: u64,
    /// The copies deleted from the sender's own swarm.
    pub(crate) deleted: Vec<String>,
}

/// One file of a [`SentRecord`], as uploaded.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct SentAttachment {
    pub(crate) file_name: Option<String>,
    pub(crate) content_type: String,
    /// Its size before encryption, bytes.
    pub(crate) size: u32,
    pub(crate) url: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct ProfileRecord {
    pub(crate) session_id: String,
    pub(crate) display_name: Option<String>,
    pub(crate) avatar: Option<AvatarFields>,
    /// When the profile last changed (ms); `null` when there is no profile yet.
    pub(crate) updated_at: Option<u64>,
}

/// The avatar of a [`ProfileRecord`].
#[derive(Debug, Serialize)]
pub(crate) struct AvatarFields {
    pub(crate) content_type: String,
    pub(crate) size: usize,
    /// `null` until uploaded.
    pub(crate) url: Option<String>,
    /// When the file server deletes the upload (ms); `null` until uploaded.
    pub(crate) expires_at: Option<u64>,
}

#[derive(Debug, Serialize)]
pub(crate) struct MessageRecord {
    /// A sent copy only (`"type": "sent"`): the conversation's Session ID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) to: Option<String>,
    pub(crate) from: String,
    pub(crate) timestamp: u64,
    /// `null` for a message without text.
    pub(crate) text: Option<String>,
    pub(crate) kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) display_name: Option<String>,
    /// `sesh receive`: the sender's name in the address book, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) contact: Option<String>,
    pub(crate) sender_ed25519: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) expiration_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) expiration_timer: Option<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) attachments: Vec<AttachmentRow>,
    /// `receive` only: the message's hash.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) hash: Option<String>,
    /// `receive` only: when the swarm deletes it (ms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) expires_at: Option<u64>,
    /// `receive --save-attachments` only: where the sender's new avatar was saved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) avatar: Option<String>,
    /// `receive --save-attachments` only: why the sender's new avatar was not saved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) avatar_error: Option<String>,
}

/// One attachment of a [`MessageRecord`], as its sender describes it.
#[derive(Debug, Serialize)]
pub(crate) struct AttachmentRow {
    pub(crate) file_name: Option<String>,
    pub(crate) content_type: Option<String>,
    pub(crate) size: Option<u32>,
    pub(crate) url: Option<String>,
    /// `receive --save-attachments` only: where it was saved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) path: Option<String>,
    /// `receive --save-attachments` only: why it was not saved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<String>,
}

/// An attachment of an earlier message, saved (or failed again) by a later `receive`.
#[derive(Debug, Serialize)]
pub(crate) struct AttachmentRecord {
    pub(crate) from: String,
    pub(crate) hash: String,
    pub(crate) timestamp: u64,
    #[serde(flatten)]
    pub(crate) attachment: AttachmentRow,
}

#[derive(Debug, Serialize)]
pub(crate) struct NodeRecord {
    #[serde(flatten)]
    pub(crate) node: NodeFields,
    pub(crate) swarm_id: Option<u64>,
    /// The storage server's version: `version`, as in `path`, `probe` and `swarm`.
    pub(crate) version: Option<[u16; 3]>,
    /// The same, by its `get_n_service_nodes` name: kept, since removing a field breaks
    /// readers.
    pub(crate) storage_server_version: Option<[u16; 3]>,
    /// Whether sesh still routes through the node: `false` once it dropped the node from its
    /// pool (the network still lists it).
    pub(crate) routed: bool,
}

#[derive(Debug, Serialize)]
pub(crate) struct PathRecord {
    /// The path's number, from 1.
    pub(crate) index: usize,
    /// The same, by the name the `hop` records of `sesh path test` give it.
    pub(crate) path: usize,
    pub(crate) hops: Vec<PathHop>,
}

/// One hop of a [`PathRecord`].
#[derive(Debug, Serialize)]
pub(crate) struct PathHop {
    #[serde(flatten)]
    pub(crate) node: NodeFields,
    pub(crate) version: Option<[u16; 3]>,
    /// With `--geoip` only: the country code, `null` when unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) country: Option<Option<String>>,
}

#[derive(Debug, Serialize)]
pub(crate) struct HopRecord {
    pub(crate) path: usize,
    pub(crate) hop: usize,
    #[serde(flatten)]
    pub(crate) node: NodeFields,
    pub(crate) latency_ms: Option<u64>,
    pub(crate) increment_ms: Option<i64>,
    pub(crate) error: Option<String>,
    /// With `--geoip` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) country: Option<Option<String>>,
}

/// The same keys for every verdict.
#[derive(Debug, Serialize)]
pub(crate) struct ProbeRecord {
    /// The node as given on the command line (or its key, with `--all`).
    pub(crate) node: String,
    #[serde(flatten)]
    pub(crate) fields: NodeFields,
    /// `pass`, `fail` or `not_found`.
    pub(crate) verdict: &'static str,
    pub(crate) reason: Option<String>,
    pub(crate) reachable: bool,
    pub(crate) version: Option<[u16; 3]>,
    pub(crate) latency_ms: Option<u64>,
    pub(crate) clock_offset_ms: Option<i64>,
    pub(crate) swarm_id: Option<u64>,
    pub(crate) onion: Option<bool>,
}

#[derive(Debug, Serialize)]
pub(crate) struct SummaryRecord {
    pub(crate) probed: usize,
    pub(crate) passed: usize,
    pub(crate) failed: usize,
    pub(crate) not_found: usize,
    pub(crate) elapsed_ms: u64,
}

#[derive(Debug, Serialize)]
pub(crate) struct SwarmRecord {
    pub(crate) session_id: String,
    pub(crate) swarm_id: u64,
    pub(crate) members: Vec<SwarmMember>,
}

/// One member of a [`SwarmRecord`].
#[derive(Debug, Serialize)]
pub(crate) struct SwarmMember {
    #[serde(flatten)]
    pub(crate) node: NodeFields,
    pub(crate) version: Option<[u16; 3]>,
}

#[derive(Debug, Serialize)]
pub(crate) struct DevnetRecord {
    /// The network file to give `--network` or `SESH_NETWORK`.
    pub(crate) network_file: String,
    /// The seed's address (`IP:PORT`).
    pub(crate) seed: String,
    /// The file server's URL (`http://IP:PORT`), as the network file's `[file_server]` has it.
    pub(crate) file_server: String,
    pub(crate) nodes: usize,
    pub(crate) swarm_size: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_start_with_their_type_and_name_nodes_one_way() {
        let r = Record::Node(NodeRecord {
            node: NodeFields {
                pubkey_ed25519: Some("aa".into()),
                pubkey_x25519: Some("bb".into()),
                public_ip: None,
                storage_port: None,
            },
            swarm_id: Some(7),
            version: Some([2, 8, 0]),
            storage_server_version: Some([2, 8, 0]),
            routed: true,
        });
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"type":"node","pubkey_ed25519":"aa","pubkey_x25519":"bb","public_ip":null,"storage_port":null,"swarm_id":7,"version":[2,8,0],"storage_server_version":[2,8,0],"routed":true}"#
        );
    }

    #[test]
    fn a_missing_geoip_country_is_absent_an_unknown_one_null() {
        let hop = |country| PathHop {
            node: NodeFields::default(),
            version: None,
            country,
        };
        let without = serde_json::to_value(hop(None)).unwrap();
        assert!(without.get("country").is_none());
        let unknown = serde_json::to_value(hop(Some(None))).unwrap();
        assert_eq!(unknown["country"], serde_json::Value::Null);
    }
}
