//! Message padding: the padded Content hides the length of a message to within 160 bytes.
//!
//! Two forms exist in the wild (protocol.md §3.3, vectors `padding`); both are
//! `content ‖ 0x80 ‖ 0x00*` and differ only in the total length:
//!
//! * [`pad`], the form sesh emits: libsession-util `pad_message` (`src/session_protocol.cpp`,
//!   `COMMUNITY_OR_1O1_MSG_PADDING = 160`). The total is a multiple of 160 and at least one byte
//!   longer than the content: `160 · (⌊(n + 1) / 160⌋ + 1)` for `n` content bytes.
//! * [`pad_legacy`]: session-desktop `ts/session/crypto/BufferPadding.ts` `addMessagePadding`
//!   (also session.js and session-python): `160 · ⌈(n + 2) / 160⌉ − 1` bytes.
//!
//! [`unpad`] accepts both, and anything else of the same shape.

/// The padding block size of 1:1 and community messages.
pub const BLOCK: usize = 160;

/// The byte that ends the content and starts the padding.
const MARKER: u8 = 0x80;

/// The padded length of `n` content bytes in the form sesh emits ([`pad`]).
pub fn padded_len(n: usize) -> usize {
    BLOCK * ((n + 1) / BLOCK + 1)
}

/// Pads `content` to a multiple of 160 bytes, as libsession does (the form sesh emits).
///
/// # Format
/// ```text
/// content ‖ 0x80 ‖ 0x00 × k     total = 160 · (⌊(|content| + 1) / 160⌋ + 1)
/// ```
pub fn pad(content: &[u8]) -> Vec<u8> {
    pad_to(content, padded_len(content.len()))
}

/// Pads `content` one byte short of a multiple of 160, as session-desktop and session-python do.
///
/// # Format
/// ```text
/// content ‖ 0x80 ‖ 0x00 × k     total = 160 · ⌈(|content| + 2) / 160⌉ − 1
/// ```
pub fn pad_legacy(content: &[u8]) -> Vec<u8> {
    pad_to(content, (content.len() + 2).div_ceil(BLOCK) * BLOCK - 1)
}

fn pad_to(content: &[u8], total: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(content);
    out.push(MARKER);
    out.resize(total, 0);
    out
}

/// Why a padded message could not be unpadded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// After the trailing zero bytes there is no `0x80` marker.
    #[error("no 0x80 padding marker after the trailing zero bytes")]
    NoMarker,
}

/// Strips the padding of either form: trailing `0x00` bytes, then one `0x80`.
///
/// Every real sender pads (protocol.md §3.3), so a message without the marker is refused
/// rather than guessed at; implementations disagree about what such a message would mean.
///
/// # Errors
/// [`Error::NoMarker`] when the last non-zero byte is not `0x80` (or there is none).
pub fn unpad(padded: &[u8]) -> Result<&[u8], Error> {
    match padded.iter().rposition(|&b| b != 0) {
        Some(i) if padded[i] == MARKER => Ok(&padded[..i]),
        _ => Err(Error::NoMarker),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_at_block_edges() {
        for (n, libsession, legacy) in [
            (0, 160, 159),
            (157, 160, 159),
            (158, 160, 159),
            (159, 320, 319),
            (318, 320, 319),
            (319, 480, 479),
        ] {
            let c = vec![7u8; n];
            assert_eq!(pad(&c).len(), libsession, "n = {n}");
            assert_eq!(pad_legacy(&c).len(), legacy, "n = {n}");
            assert_eq!(unpad(&pad(&c)), Ok(&c[..]));
            assert_eq!(unpad(&pad_legacy(&c)), Ok(&c[..]));
        }
    }

    #[test]
    fn unpad_refuses_missing_marker() {
        assert_eq!(unpad(&[]), Err(Error::NoMarker));
        assert_eq!(unpad(&[0, 0, 0]), Err(Error::NoMarker));
        assert_eq!(unpad(&[1, 2, 0]), Err(Error::NoMarker));
        assert_eq!(unpad(&[0x80, 0x80]), Ok(&[0x80][..]));
        assert_eq!(unpad(&[0x80]), Ok(&[][..]));
    }
}
