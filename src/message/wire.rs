//! The protobuf messages of the 1:1 format: encode and decode only, no crypto.
//!
//! The subset of session-desktop `protos/SignalService.proto` (package `signalservice`) and
//! libsession-util `proto/SessionProtos.proto` / `proto/WebSocketResources.proto` that 1:1
//! messaging needs (protocol.md §3.4), as proto2: optional fields are `Option`s, so that "absent"
//! and "zero" stay apart, and the fields marked `required` upstream (§15.13) are always emitted,
//! because protobufjs (session-desktop) and C++ `ParseFromArray` (libsession) drop messages
//! without them. Decoding is lenient: unknown fields are skipped and missing required fields
//! read as zero; [`super::open`] decides what it needs.
//!
//! # Format
//! ```text
//! WebSocketMessage { 1 type: enum, 2 request: WebSocketRequestMessage }
//! WebSocketRequestMessage { 1 verb: string, 2 path: string, 3 body: bytes, 4 requestId: uint64,
//!                           5 headers: repeated string }
//! Envelope { 1 type: enum (required), 2 source: string, 5 timestamp: uint64 (required),
//!            7 sourceDevice: uint32, 8 content: bytes, 10 serverTimestamp: uint64, 11 proSig: bytes }
//! Content { 1 dataMessage, 3 callMessage, 5 receiptMessage, 6 typingMessage,
//!           8 dataExtractionNotification, 9 unsendRequest, 10 messageRequestResponse,
//!           12 expirationType: enum, 13 expirationTimer: uint32, 15 sigTimestamp: uint64 }
//! ```
//! The field tables of every message are in protocol.md §3.4.

// The structs mirror the .proto files field for field; their docs name the proto field.

/// Decodes a protobuf message of type `M` from `bytes`.
///
/// # Errors
/// [`prost::DecodeError`] when the bytes are not a well-formed `M`.
pub fn decode<M: prost::Message + Default>(bytes: &[u8]) -> Result<M, prost::DecodeError> {
    M::decode(bytes)
}

/// Encodes a protobuf message.
pub fn encode<M: prost::Message>(msg: &M) -> Vec<u8> {
    msg.encode_to_vec()
}

/// The outermost layer of a stored 1:1 message: a WebSocket request whose body is the
/// [`Envelope`] (a leftover of the Signal server protocol Session forked from).
#[derive(Clone, PartialEq, prost::Message)]
pub struct WebSocketMessage {
    /// `type`: [`WebSocketType`]; `REQUEST` for messages.
    #[prost(enumeration = "WebSocketType", optional, tag = "1")]
    pub r#type: Option<i32>,
    /// `request`: the request carrying the envelope.
    #[prost(message, optional, tag = "2")]
    pub request: Option<WebSocketRequestMessage>,
}

/// The kinds of [`WebSocketMessage`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum WebSocketType {
    /// Not set.
    Unknown = 0,
    /// A request: what every stored message is.
    Request = 1,
    /// A response (unused).
    Response = 2,
}

/// The request inside a [`WebSocketMessage`]; receivers use only `body`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct WebSocketRequestMessage {
    /// `verb`: `""` (libsession) or `"PUT"` (older session-desktop).
    #[prost(string, optional, tag = "1")]
    pub verb: Option<String>,
    /// `path`: `""` (libsession) or `"/api/v1/message"` (older session-desktop).
    #[prost(string, optional, tag = "2")]
    pub path: Option<String>,
    /// `body`: the encoded [`Envelope`].
    #[prost(bytes = "vec", optional, tag = "3")]
    pub body: Option<Vec<u8>>,
    /// `requestId` (`id` in session-desktop): 0.
    #[prost(uint64, optional, tag = "4")]
    pub request_id: Option<u64>,
    /// `headers`: unused.
    #[prost(string, repeated, tag = "5")]
    pub headers: Vec<String>,
}

/// The envelope: who may read it (by its type), when it was sent, and the sealed content.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Envelope {
    /// `type` (required): [`EnvelopeType`].
    #[prost(enumeration = "EnvelopeType", required, tag = "1")]
    pub r#type: i32,
    /// `source`: not set for 1:1 messages (the sender is inside the sealed box).
    #[prost(string, optional, tag = "2")]
    pub source: Option<String>,
    /// `timestamp` (required): the sender's network time in ms; the message's "sent at" id.
    #[prost(uint64, required, tag = "5")]
    pub timestamp: u64,
    /// `sourceDevice`: libsession sets 1; session-desktop ignores it.
    #[prost(uint32, optional, tag = "7")]
    pub source_device: Option<u32>,
    /// `content`: the sealed box (protocol.md §3.2).
    #[prost(bytes = "vec", optional, tag = "8")]
    pub content: Option<Vec<u8>>,
    /// `serverTimestamp`: unused.
    #[prost(uint64, optional, tag = "10")]
    pub server_timestamp: Option<u64>,
    /// `proSig`: a Session Pro signature over `content`, or a random decoy (libsession).
    #[prost(bytes = "vec", optional, tag = "11")]
    pub pro_sig: Option<Vec<u8>>,
}

/// The kinds of [`Envelope`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum EnvelopeType {
    /// A 1:1 (or sync) message sealed to the recipient's X25519 key.
    SessionMessage = 6,
    /// A group message.
    ClosedGroupMessage = 7,
}

/// The plaintext of a message: exactly one of the message kinds, plus expiry settings.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Content {
    /// `dataMessage`: a visible message.
    #[prost(message, optional, tag = "1")]
    pub data_message: Option<DataMessage>,
    /// `callMessage`: call signalling.
    #[prost(message, optional, tag = "3")]
    pub call_message: Option<CallMessage>,
    /// `receiptMessage`: read receipts.
    #[prost(message, optional, tag = "5")]
    pub receipt_message: Option<ReceiptMessage>,
    /// `typingMessage`: typing indicators.
    #[prost(message, optional, tag = "6")]
    pub typing_message: Option<TypingMessage>,
    /// `dataExtractionNotification`: screenshot or media-saved notices.
    #[prost(message, optional, tag = "8")]
    pub data_extraction_notification: Option<DataExtractionNotification>,
    /// `unsendRequest` (`unsendMessage` in session-desktop): delete a sent message.
    #[prost(message, optional, tag = "9")]
    pub unsend_request: Option<Unsend>,
    /// `messageRequestResponse`: a message request was accepted.
    #[prost(message, optional, tag = "10")]
    pub message_request_response: Option<MessageRequestResponse>,
    /// `expirationType`: [`ExpirationType`] of disappearing messages.
    #[prost(enumeration = "ExpirationType", optional, tag = "12")]
    pub expiration_type: Option<i32>,
    /// `expirationTimer`: seconds until a disappearing message goes.
    #[prost(uint32, optional, tag = "13")]
    pub expiration_timer: Option<u32>,
    /// `sigTimestamp`: must equal [`Envelope::timestamp`] when present (protocol.md §3.6).
    #[prost(uint64, optional, tag = "15")]
    pub sig_timestamp: Option<u64>,
}

/// How a disappearing message counts down.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum ExpirationType {
    /// Not set.
    Unknown = 0,
    /// From when the recipient reads it.
    DeleteAfterRead = 1,
    /// From when it was sent.
    DeleteAfterSend = 2,
}

/// A visible message.
#[derive(Clone, PartialEq, prost::Message)]
pub struct DataMessage {
    /// `body`: the text.
    #[prost(string, optional, tag = "1")]
    pub body: Option<String>,
    /// `attachments`: files, stored encrypted on the file server (protocol.md §10).
    #[prost(message, repeated, tag = "2")]
    pub attachments: Vec<AttachmentPointer>,
    /// `flags`: [`DATA_FLAG_EXPIRATION_TIMER_UPDATE`].
    #[prost(uint32, optional, tag = "4")]
    pub flags: Option<u32>,
    /// `profileKey`: the key of the sender's profile picture.
    #[prost(bytes = "vec", optional, tag = "6")]
    pub profile_key: Option<Vec<u8>>,
    /// `timestamp`: the sent time in ms. Reserved in session-desktop's proto, but session-python
    /// and libsession's proto still carry it; sesh sets it to the envelope timestamp.
    #[prost(uint64, optional, tag = "7")]
    pub timestamp: Option<u64>,
    /// `quote`: the message replied to.
    #[prost(message, optional, tag = "8")]
    pub quote: Option<Quote>,
    /// `preview`: link previews.
    #[prost(message, repeated, tag = "10")]
    pub preview: Vec<Preview>,
    /// `reaction`: an emoji reaction to another message.
    #[prost(message, optional, tag = "11")]
    pub reaction: Option<Reaction>,
    /// `profile`: the sender's display name and picture.
    #[prost(message, optional, tag = "101")]
    pub profile: Option<LokiProfile>,
    /// `openGroupInvitation` (`communityInvitation`): an invitation to a community.
    #[prost(message, optional, tag = "102")]
    pub open_group_invitation: Option<OpenGroupInvitation>,
    /// `syncTarget`: for a copy sent to one's own devices, the conversation's Session ID.
    #[prost(string, optional, tag = "105")]
    pub sync_target: Option<String>,
    /// `blocksCommunityMessageRequests`.
    #[prost(bool, optional, tag = "106")]
    pub blocks_community_message_requests: Option<bool>,
}

/// [`DataMessage::flags`]: the message changes the disappearing-message timer.
pub const DATA_FLAG_EXPIRATION_TIMER_UPDATE: u32 = 2;

/// A sender's public profile.
#[derive(Clone, PartialEq, prost::Message)]
pub struct LokiProfile {
    /// `displayName`.
    #[prost(string, optional, tag = "1")]
    pub display_name: Option<String>,
    /// `profilePicture`: the picture's URL.
    #[prost(string, optional, tag = "2")]
    pub profile_picture: Option<String>,
    /// `lastProfileUpdateSeconds`.
    #[prost(uint64, optional, tag = "3")]
    pub last_profile_update_seconds: Option<u64>,
}

/// A reference to an attachment on the file server.
#[derive(Clone, PartialEq, prost::Message)]
pub struct AttachmentPointer {
    /// `deprecated_id` (required): the file id, for old clients.
    #[prost(fixed64, required, tag = "1")]
    pub deprecated_id: u64,
    /// `contentType`: a MIME type.
    #[prost(string, optional, tag = "2")]
    pub content_type: Option<String>,
    /// `key`: the decryption key.
    #[prost(bytes = "vec", optional, tag = "3")]
    pub key: Option<Vec<u8>>,
    /// `size`: the plaintext size.
    #[prost(uint32, optional, tag = "4")]
    pub size: Option<u32>,
    /// `digest`.
    #[prost(bytes = "vec", optional, tag = "6")]
    pub digest: Option<Vec<u8>>,
    /// `fileName`.
    #[prost(string, optional, tag = "7")]
    pub file_name: Option<String>,
    /// `flags`: 1 = voice message.
    #[prost(uint32, optional, tag = "8")]
    pub flags: Option<u32>,
    /// `width`.
    #[prost(uint32, optional, tag = "9")]
    pub width: Option<u32>,
    /// `height`.
    #[prost(uint32, optional, tag = "10")]
    pub height: Option<u32>,
    /// `caption`.
    #[prost(string, optional, tag = "11")]
    pub caption: Option<String>,
    /// `url`: where to download it, possibly with a `#p=…&d` fragment.
    #[prost(string, optional, tag = "101")]
    pub url: Option<String>,
}

/// A quoted message.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Quote {
    /// `id` (required): the quoted message's timestamp.
    #[prost(uint64, required, tag = "1")]
    pub id: u64,
    /// `author` (required): its sender's Session ID.
    #[prost(string, required, tag = "2")]
    pub author: String,
}

/// A link preview.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Preview {
    /// `url` (required).
    #[prost(string, required, tag = "1")]
    pub url: String,
    /// `title`.
    #[prost(string, optional, tag = "2")]
    pub title: Option<String>,
    /// `image`.
    #[prost(message, optional, tag = "3")]
    pub image: Option<AttachmentPointer>,
}

/// An emoji reaction.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Reaction {
    /// `id` (required): the timestamp of the message reacted to.
    #[prost(uint64, required, tag = "1")]
    pub id: u64,
    /// `author` (required): its sender's Session ID.
    #[prost(string, required, tag = "2")]
    pub author: String,
    /// `emoji`.
    #[prost(string, optional, tag = "3")]
    pub emoji: Option<String>,
    /// `action` (required): 0 = react, 1 = remove.
    #[prost(uint32, required, tag = "4")]
    pub action: u32,
}

/// An invitation to a community.
#[derive(Clone, PartialEq, prost::Message)]
pub struct OpenGroupInvitation {
    /// `url` (required).
    #[prost(string, required, tag = "1")]
    pub url: String,
    /// `name` (required).
    #[prost(string, required, tag = "3")]
    pub name: String,
}

/// Call signalling.
#[derive(Clone, PartialEq, prost::Message)]
pub struct CallMessage {
    /// `type` (required): 6 pre-offer, 1 offer, 2 answer, 3 provisional answer, 4 ICE
    /// candidates, 5 end call.
    #[prost(uint32, required, tag = "1")]
    pub r#type: u32,
    /// `sdps`.
    #[prost(string, repeated, tag = "2")]
    pub sdps: Vec<String>,
    /// `sdpMLineIndexes`.
    #[prost(uint32, repeated, packed = "false", tag = "3")]
    pub sdp_m_line_indexes: Vec<u32>,
    /// `sdpMids`.
    #[prost(string, repeated, tag = "4")]
    pub sdp_mids: Vec<String>,
    /// `uuid` (required).
    #[prost(string, required, tag = "5")]
    pub uuid: String,
}

/// Read receipts.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ReceiptMessage {
    /// `type` (required): 1 = read.
    #[prost(uint32, required, tag = "1")]
    pub r#type: u32,
    /// `timestamp`: the timestamps of the messages read.
    #[prost(uint64, repeated, packed = "false", tag = "2")]
    pub timestamp: Vec<u64>,
}

/// A typing indicator.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TypingMessage {
    /// `timestamp` (required).
    #[prost(uint64, required, tag = "1")]
    pub timestamp: u64,
    /// `action` (required): 0 = started, 1 = stopped.
    #[prost(uint32, required, tag = "2")]
    pub action: u32,
}

/// A screenshot or media-saved notice.
#[derive(Clone, PartialEq, prost::Message)]
pub struct DataExtractionNotification {
    /// `type` (required): 1 = screenshot, 2 = media saved.
    #[prost(uint32, required, tag = "1")]
    pub r#type: u32,
    /// `timestamp`.
    #[prost(uint64, optional, tag = "2")]
    pub timestamp: Option<u64>,
}

/// A request to delete a message already sent.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Unsend {
    /// `timestamp` (required): the message's timestamp.
    #[prost(uint64, required, tag = "1")]
    pub timestamp: u64,
    /// `author` (required): its sender's Session ID.
    #[prost(string, required, tag = "2")]
    pub author: String,
}

/// The answer to a message request.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MessageRequestResponse {
    /// `isApproved` (required).
    #[prost(bool, required, tag = "1")]
    pub is_approved: bool,
    /// `profileKey`.
    #[prost(bytes = "vec", optional, tag = "2")]
    pub profile_key: Option<Vec<u8>>,
    /// `profile`.
    #[prost(message, optional, tag = "3")]
    pub profile: Option<LokiProfile>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_fields_are_emitted_even_when_zero() {
        let env = Envelope {
            r#type: EnvelopeType::SessionMessage as i32,
            timestamp: 0,
            ..Default::default()
        };
        assert_eq!(encode(&env), [0x08, 0x06, 0x28, 0x00]);
        let a = AttachmentPointer::default();
        assert_eq!(encode(&a), [0x09, 0, 0, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn unknown_fields_are_skipped() {
        // Content { 16: bytes "x" (proMessage), 15: 7 }
        let bytes = [0x82, 0x01, 0x01, b'x', 0x78, 0x07];
        let c: Content = decode(&bytes).unwrap();
        assert_eq!(c.sig_timestamp, Some(7));
    }

    #[test]
    fn encodes_the_protocol_md_content() {
        // protocol.md §12.4: Content { dataMessage { body "hello" }, sigTimestamp T }
        let c = Content {
            data_message: Some(DataMessage {
                body: Some("hello".into()),
                ..Default::default()
            }),
            sig_timestamp: Some(1_700_000_000_000),
            ..Default::default()
        };
        assert_eq!(hex::encode(encode(&c)), "0a070a0568656c6c6f7880d095ffbc31");
    }
}
