//! The attachment decoders (`sesh::attachment`) on arbitrary bytes: legacy and "S" decryption,
//! profile pictures, file URLs, content types and file names. None may panic; a URL that
//! parses prints as one that parses to the same; a safe file name is safe, and stays itself.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sesh::attachment::{self, FileUrl};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    // A key of 32 or 64 bytes (or a wrong length), then the blob.
    let key_len = match flags & 3 {
        0 => 32,
        1 => 64,
        _ => usize::from(flags >> 2),
    }
    .min(rest.len());
    let (key, blob) = rest.split_at(key_len);
    let size = (flags & 4 != 0).then(|| u64::from(flags));
    let digest = (flags & 8 != 0).then(|| blob.get(..32).unwrap_or(blob));
    let _ = attachment::decrypt(blob, key, digest, size, flags & 16 != 0);
    let _ = attachment::decrypt_profile_picture(blob, key);
    let _ = attachment::content_type(None, blob);

    let text = String::from_utf8_lossy(rest);
    if let Ok(url) = FileUrl::parse(&text) {
        let again = FileUrl::parse(&url.to_string()).expect("a printed URL parses");
        assert_eq!(again, url);
    }
    let safe = attachment::safe_file_name(&text);
    assert!(!safe.is_empty() && safe != "." && safe != "..");
    assert!(!safe.contains(['/', '\\', '\0']) && !safe.chars().any(char::is_control));
    assert_eq!(attachment::safe_file_name(&safe), safe);
    let _ = attachment::content_type(Some(&text), b"");
});
