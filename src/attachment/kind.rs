//! What a file is (its content type, from its first bytes or its name) and what it may be
//! called on disk.

/// Magic numbers at offset 0, with their content types.
const MAGIC: &[(&[u8], &str)] = &[
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
    (b"PK\x05\x06", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
    (b"ID3", "audio/mpeg"),
    (b"OggS", "audio/ogg"),
    (b"fLaC", "audio/flac"),
    (b"\x1a\x45\xdf\xa3", "video/webm"),
    (b"BM", "image/bmp"),
    (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (b"\xfd7zXZ\x00", "application/x-xz"),
    (b"BZh", "application/x-bzip2"),
];

/// File extensions (lower case) and their content types; the first entry for a type is the
/// extension [`extension_for`] gives.
const EXTENSIONS: &[(&str, &str)] = &[
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("gif", "image/gif"),
    ("webp", "image/webp"),
    ("bmp", "image/bmp"),
    ("svg", "image/svg+xml"),
    ("heic", "image/heic"),
    ("tiff", "image/tiff"),
    ("tif", "image/tiff"),
    ("pdf", "application/pdf"),
    ("zip", "application/zip"),
    ("gz", "application/gzip"),
    ("tgz", "application/gzip"),
    ("tar", "application/x-tar"),
    ("bz2", "application/x-bzip2"),
    ("xz", "application/x-xz"),
    ("7z", "application/x-7z-compressed"),
    ("mp4", "video/mp4"),
    ("m4v", "video/mp4"),
    ("mov", "video/quicktime"),
    ("webm", "video/webm"),
    ("mkv", "video/x-matroska"),
    ("mp3", "audio/mpeg"),
    ("m4a", "audio/mp4"),
    ("aac", "audio/aac"),
    ("ogg", "audio/ogg"),
    ("oga", "audio/ogg"),
    ("opus", "audio/ogg"),
    ("flac", "audio/flac"),
    ("wav", "audio/wav"),
    ("txt", "text/plain"),
    ("log", "text/plain"),
    ("text", "text/plain"),
    ("md", "text/markdown"),
    ("csv", "text/csv"),
    ("html", "text/html"),
    ("htm", "text/html"),
    ("json", "application/json"),
    ("xml", "application/xml"),
    ("doc", "application/msword"),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    ("odt", "application/vnd.oasis.opendocument.text"),
];

const OCTET_STREAM: &str = "application/octet-stream";

/// The content type of a file: from its first bytes (`head`, a few hundred are plenty) when
/// they are a known format, else from the extension of `file_name`, else `text/plain` when
/// `head` looks like text, else `application/octet-stream`.
pub fn content_type(file_name: Option<&str>, head: &[u8]) -> &'static str {
    if let Some(t) = sniff(head) {
        return t;
    }
    if let Some(t) = file_name.and_then(by_extension) {
        return t;
    }
    if looks_like_text(head) {
        return "text/plain";
    }
    OCTET_STREAM
}

fn sniff(head: &[u8]) -> Option<&'static str> {
    for (magic, t) in MAGIC {
        if head.starts_with(magic) {
            return Some(t);
        }
    }
    if head.len() >= 12 && head.starts_with(b"RIFF") {
        match &head[8..12] {
            b"WEBP" => return Some("image/webp"),
            b"WAVE" => return Some("audio/wav"),
            b"AVI " => return Some("video/x-msvideo"),
            _ => {}
        }
    }
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        return Some(match &head[8..12] {
            b"M4A " | b"M4B " => "audio/mp4",
            b"qt  " => "video/quicktime",
            b"heic" | b"heix" | b"mif1" => "image/heic",
            _ => "video/mp4",
        });
    }
    // MPEG audio frame sync without an ID3 tag (layer III, the common bit rates).
    if head.len() >= 2 && head[0] == 0xff && matches!(head[1], 0xfb | 0xf3 | 0xf2) {
        return Some("audio/mpeg");
    }
    None
}

fn by_extension(name: &str) -> Option<&'static str> {
    let (_, ext) = name.rsplit_once('.')?;
    let ext = ext.to_ascii_lowercase();
    EXTENSIONS.iter().find(|(e, _)| *e == ext).map(|(_, t)| *t)
}

/// Text: valid UTF-8 (a character cut at the end of `head` allowed) without control
/// characters other than tab, line feed, carriage return and form feed.
fn looks_like_text(head: &[u8]) -> bool {
    if head.is_empty() {
        return false;
    }
    let valid = match std::str::from_utf8(head) {
        Ok(s) => s,
        Err(e) if e.error_len().is_none() && head.len() - e.valid_up_to() < 4 => {
            // Cut in the middle of a character at the end: the valid part decides.
            match std::str::from_utf8(&head[..e.valid_up_to()]) {
                Ok(s) => s,
                Err(_) => return false,
            }
        }
        Err(_) => return false,
    };
    valid
        .chars()
        .all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r' | '\x0c'))
}

/// The usual file extension (without the dot) for a content type, if sesh knows it.
/// Parameters (`; charset=…`) and case are ignored.
pub fn extension_for(content_type: &str) -> Option<&'static str> {
    let base = content_type.split(';').next().unwrap_or_default().trim();
    let base = base.to_ascii_lowercase();
    EXTENSIONS.iter().find(|(_, t)| *t == base).map(|(e, _)| *e)
}

/// The longest name [`safe_file_name`] returns, in bytes: room is left under the usual
/// 255-byte limit for a ` (123)` suffix and a temporary-file prefix.
const MAX_NAME_LEN: usize = 200;
/// The longest extension kept whole when a name is shortened.
const MAX_EXT_LEN: usize = 16;
/// What an attachment without a usable name is called.
const FALLBACK: &str = "attachment";

/// A file name that is safe to create in a directory: the last component of `name` (after
/// the last `/` or `\`), without control or bidirectional-formatting characters, with
/// characters Windows forbids (`<>:"|?*`) replaced by `_`, without leading dots or spaces
/// or trailing dots or spaces, not a Windows device name, at most 200 bytes (the extension
/// kept), and never empty, `.` or `..` (`attachment` then).
pub fn safe_file_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !is_bidi_control(*c))
        .map(|c| {
            if matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let trimmed = cleaned
        .trim_start_matches(|c: char| c == '.' || c.is_whitespace())
        .trim_end_matches(|c: char| c == '.' || c.is_whitespace());
    let mut out = if trimmed.is_empty() {
        FALLBACK.to_owned()
    } else {
        trimmed.to_owned()
    };
    if is_windows_device(&out) {
        out.insert(0, '_');
    }
    shorten(out)
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

fn is_windows_device(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or_default().trim_end();
    let upper = stem.to_ascii_uppercase();
    matches!(upper.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((upper.starts_with("COM") || upper.starts_with("LPT"))
            && upper.len() == 4
            && upper.as_bytes()[3].is_ascii_digit())
}

/// Cuts `name` to [`MAX_NAME_LEN`] bytes on a character boundary, keeping a short extension.
fn shorten(name: String) -> String {
    if name.len() <= MAX_NAME_LEN {
        return name;
    }
    let (stem, ext) = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && ext.len() <= MAX_EXT_LEN => (stem, Some(ext)),
        _ => (name.as_str(), None),
    };
    let room = MAX_NAME_LEN - ext.map_or(0, |e| e.len() + 1);
    let mut cut = room.min(stem.len());
    while !stem.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut out = stem[..cut]
        .trim_end_matches(|c: char| c == '.' || c.is_whitespace())
        .to_owned();
    if out.is_empty() {
        out = FALLBACK.to_owned();
    }
    if let Some(ext) = ext {
        out.push('.');
        out.push_str(ext);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sniffs_magic_before_extension() {
        assert_eq!(
            content_type(Some("x.txt"), b"\x89PNG\r\n\x1a\n...."),
            "image/png"
        );
        assert_eq!(content_type(None, b"\xff\xd8\xff\xe0"), "image/jpeg");
        assert_eq!(content_type(None, b"GIF89a"), "image/gif");
        assert_eq!(content_type(None, b"RIFF\0\0\0\0WEBPVP8 "), "image/webp");
        assert_eq!(content_type(None, b"RIFF\0\0\0\0WAVEfmt "), "audio/wav");
        assert_eq!(content_type(None, b"%PDF-1.7"), "application/pdf");
        assert_eq!(
            content_type(Some("a.docx"), b"PK\x03\x04"),
            "application/zip"
        );
        assert_eq!(content_type(None, b"\x1f\x8b\x08"), "application/gzip");
        assert_eq!(content_type(None, b"\0\0\0\x20ftypisom"), "video/mp4");
        assert_eq!(content_type(None, b"\0\0\0\x20ftypM4A "), "audio/mp4");
        assert_eq!(content_type(None, b"ID3\x04"), "audio/mpeg");
        assert_eq!(content_type(None, b"\xff\xfb\x90"), "audio/mpeg");
        assert_eq!(content_type(None, b"OggS\0"), "audio/ogg");
    }

    #[test]
    fn falls_back_to_extension_then_text_then_octets() {
        assert_eq!(
            content_type(Some("data.JSON"), b"{\"a\":1}"),
            "application/json"
        );
        assert_eq!(content_type(Some("notes"), b"hello\nworld\n"), "text/plain");
        assert_eq!(content_type(None, "caf\u{e9}".as_bytes()), "text/plain");
        // A character cut at the end of the head is still text.
        assert_eq!(
            content_type(None, &"caf\u{e9}".as_bytes()[..4]),
            "text/plain"
        );
        assert_eq!(content_type(None, b"\0\x01\x02"), OCTET_STREAM);
        assert_eq!(content_type(None, b""), OCTET_STREAM);
        assert_eq!(
            content_type(Some("x.unknownext"), b"\x00\x01"),
            OCTET_STREAM
        );
    }

    #[test]
    fn extensions_for_types() {
        assert_eq!(extension_for("image/jpeg"), Some("jpg"));
        assert_eq!(extension_for("IMAGE/PNG"), Some("png"));
        assert_eq!(extension_for("text/plain; charset=utf-8"), Some("txt"));
        assert_eq!(extension_for("application/x-nothing"), None);
    }

    #[test]
    fn hostile_names_are_made_safe() {
        assert_eq!(safe_file_name("../../x"), "x");
        assert_eq!(safe_file_name("/etc/passwd"), "passwd");
        assert_eq!(safe_file_name("..\\..\\win.ini"), "win.ini");
        assert_eq!(safe_file_name("a\u{0}b\nc\x1b[31m.txt"), "abc[31m.txt");
        assert_eq!(safe_file_name(""), "attachment");
        assert_eq!(safe_file_name("."), "attachment");
        assert_eq!(safe_file_name(".."), "attachment");
        assert_eq!(safe_file_name("dir/"), "attachment");
        assert_eq!(safe_file_name(".bashrc"), "bashrc");
        assert_eq!(safe_file_name("evil\u{202e}gpj.exe"), "evilgpj.exe");
        assert_eq!(safe_file_name("a<b>:c?.txt"), "a_b__c_.txt");
        assert_eq!(safe_file_name("CON.txt"), "_CON.txt");
        assert_eq!(safe_file_name("com1"), "_com1");
        assert_eq!(safe_file_name("report.pdf"), "report.pdf");
        assert_eq!(safe_file_name("résumé 2024.pdf"), "résumé 2024.pdf");
    }

    #[test]
    fn long_names_keep_their_extension() {
        let long = format!("{}.png", "é".repeat(300));
        let safe = safe_file_name(&long);
        assert!(safe.len() <= MAX_NAME_LEN, "{}", safe.len());
        assert!(safe.ends_with(".png"));
        let long = "x".repeat(1000);
        assert_eq!(safe_file_name(&long).len(), MAX_NAME_LEN);
    }

    proptest! {
        #[test]
        fn safe_names_are_safe(name in any::<String>()) {
            let safe = safe_file_name(&name);
            prop_assert!(!safe.is_empty());
            prop_assert!(safe != "." && safe != "..");
            prop_assert!(!safe.contains(['/', '\\', '\0']));
            prop_assert!(!safe.chars().any(char::is_control));
            prop_assert!(!safe.starts_with('.'));
            prop_assert!(safe.len() <= MAX_NAME_LEN);
            prop_assert_eq!(safe_file_name(&safe), safe.clone(), "idempotent");
        }

        #[test]
        fn content_type_never_panics(name in proptest::option::of(any::<String>()), head in proptest::collection::vec(any::<u8>(), 0..64)) {
            let t = content_type(name.as_deref(), &head);
            prop_assert!(t.contains('/'));
        }
    }
}
