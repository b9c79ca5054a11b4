//! File URLs: `http[s]://host[:port]/file/<id>` with an optional fragment (§10.1):
//! `p=<hex>` the file server's Ed25519 key (when it is not the default server), `d` for
//! deterministic ("S") encryption, `e=<hex>` a profile key.

use std::fmt;
use std::str::FromStr as _;

use super::Error;
use crate::identity::Ed25519Pub;

/// The longest URL [`FileUrl::parse`] reads.
const MAX_URL_LEN: usize = 1024;
/// The longest file id (new servers use 44 characters of URL-safe base64).
const MAX_ID_LEN: usize = 128;
/// The longest profile key in an `e=` parameter, in bytes.
const MAX_KEY_LEN: usize = 64;

/// A file on a file server, as an attachment pointer's or a profile's URL names it.
#[derive(Clone, PartialEq, Eq)]
pub struct FileUrl {
    /// `scheme://host[:port]`, without a trailing slash.
    pub base: String,
    /// The file id (`<id>` in `/file/<id>`).
    pub id: String,
    /// The server's Ed25519 key, from `p=`.
    pub server_ed25519: Option<Ed25519Pub>,
    /// Whether the file is in the deterministic "S" format (`d`).
    pub deterministic: bool,
    /// A profile key, from `e=`.
    pub profile_key: Option<Vec<u8>>,
}

impl fmt::Debug for FileUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileUrl")
            .field("base", &self.base)
            .field("id", &self.id)
            .field("server_ed25519", &self.server_ed25519)
            .field("deterministic", &self.deterministic)
            .field(
                "profile_key",
                &self.profile_key.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

fn bad(why: impl Into<String>) -> Error {
    Error::BadUrl(why.into())
}

impl FileUrl {
    /// Parses a file URL; anything but `http[s]://host[:port]/file/<id>[#fragment]` with a
    /// plain host name or IPv4 address, an id of letters, digits, `-` and `_`, and a fragment
    /// whose `p=<64 hex>` and `e=<hex>` are well formed is refused (`d` may be spelled `d=…`;
    /// other fragment parameters are ignored).
    ///
    /// # Errors
    /// [`Error::BadUrl`] saying what is wrong.
    pub fn parse(url: &str) -> Result<Self, Error> {
        if url.len() > MAX_URL_LEN {
            return Err(bad(format!("longer than {MAX_URL_LEN} bytes")));
        }
        let (scheme, rest) = url.split_once("://").ok_or_else(|| bad("no scheme"))?;
        if scheme != "http" && scheme != "https" {
            return Err(bad("scheme is not http or https"));
        }
        let (before_fragment, fragment) = match rest.split_once('#') {
            Some((a, f)) => (a, Some(f)),
            None => (rest, None),
        };
        let (authority, path) = before_fragment
            .split_once('/')
            .ok_or_else(|| bad("no path"))?;
        check_authority(authority)?;
        let id = path
            .strip_prefix("file/")
            .ok_or_else(|| bad("path is not /file/<id>"))?;
        if id.is_empty() || id.len() > MAX_ID_LEN {
            return Err(bad("file id is empty or too long"));
        }
        if !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(bad(
                "file id has characters other than letters, digits, - and _",
            ));
        }
        let mut out = Self {
            base: format!("{scheme}://{authority}"),
            id: id.to_owned(),
            server_ed25519: None,
            deterministic: false,
            profile_key: None,
        };
        if let Some(fragment) = fragment {
            out.parse_fragment(fragment)?;
        }
        Ok(out)
    }

    /// The fragment, read as session-desktop reads it (`URLSearchParams`): `&`-separated
    /// parameters; `d` in any spelling (`d`, `d=`, `d=1`, …) marks the deterministic format
    /// (presence counts, not the value); the first `p` and the first `e` count, and must be
    /// well formed; later repeats, empty and unknown parameters are ignored.
    fn parse_fragment(&mut self, fragment: &str) -> Result<(), Error> {
        for part in fragment.split('&') {
            let (name, value) = part.split_once('=').unwrap_or((part, ""));
            match name {
                "d" => self.deterministic = true,
                "p" if self.server_ed25519.is_none() => {
                    let key = Ed25519Pub::from_str(value)
                        .map_err(|_| bad("p is not a 64-hex-digit key"))?;
                    self.server_ed25519 = Some(key);
                }
                "e" if self.profile_key.is_none() => {
                    if value.is_empty() || value.len() > 2 * MAX_KEY_LEN {
                        return Err(bad("e is empty or too long"));
                    }
                    let key = hex::decode(value).map_err(|_| bad("e is not hex"))?;
                    self.profile_key = Some(key);
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// `host[:port]`: a DNS name or IPv4 address (letters, digits, `.`, `-`), port 1–65535.
fn check_authority(authority: &str) -> Result<(), Error> {
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (authority, None),
    };
    if host.is_empty()
        || host.len() > 253
        || !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
    {
        return Err(bad("host is not a plain host name"));
    }
    if let Some(port) = port {
        let ok = !port.is_empty()
            && port.len() <= 5
            && port.bytes().all(|b| b.is_ascii_digit())
            && port.parse::<u16>().is_ok_and(|p| p != 0);
        if !ok {
            return Err(bad("port is not a number from 1 to 65535"));
        }
    }
    Ok(())
}

impl fmt::Display for FileUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/file/{}", self.base, self.id)?;
        let mut parts = Vec::new();
        if let Some(key) = &self.server_ed25519 {
            parts.push(format!("p={key}"));
        }
        if self.deterministic {
            parts.push("d".to_owned());
        }
        if let Some(key) = &self.profile_key {
            parts.push(format!("e={}", hex::encode(key)));
        }
        if !parts.is_empty() {
            write!(f, "#{}", parts.join("&"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const KEY: &str = "b8eef9821445ae16e2e97ef8aa6fe782fd11ad5253cd6723b281341dba22e371";

    #[test]
    fn parses_plain_and_fragment_urls() {
        let u = FileUrl::parse("http://filev2.getsession.org/file/12345").expect("ok");
        assert_eq!(u.base, "http://filev2.getsession.org");
        assert_eq!(u.id, "12345");
        assert!(!u.deterministic && u.server_ed25519.is_none() && u.profile_key.is_none());
        assert_eq!(u.to_string(), "http://filev2.getsession.org/file/12345");

        let s = format!("http://127.0.0.1:8080/file/aB-_9#p={KEY}&d&e=00ff");
        let u = FileUrl::parse(&s).expect("ok");
        assert_eq!(u.base, "http://127.0.0.1:8080");
        assert_eq!(u.server_ed25519.map(|k| k.to_hex()), Some(KEY.to_owned()));
        assert!(u.deterministic);
        assert_eq!(u.profile_key, Some(vec![0, 0xff]));
        assert_eq!(u.to_string(), s);
        // Parameter order does not matter; Display writes p, d, e.
        let u2 = FileUrl::parse(&format!("https://h/file/1#d&e=00ff&p={KEY}")).expect("ok");
        assert_eq!(u2.to_string(), format!("https://h/file/1#p={KEY}&d&e=00ff"));
    }

    #[test]
    fn refuses_everything_else() {
        for url in [
            "",
            "filev2.getsession.org/file/1",
            "ftp://h/file/1",
            "http:///file/1",
            "http://h/files/1",
            "http://h/file/",
            "http://h/file/1/info",
            "http://h/file/../1",
            "http://h/file/1?x=y",
            "http://user@h/file/1",
            "http://h:0/file/1",
            "http://h:99999/file/1",
            "http://h:/file/1",
            "http://[::1]/file/1",
            "http://h/file/1#p=abc",
            "http://h/file/1#e=zz",
            "http://h/file/1#e=",
        ] {
            assert!(
                matches!(FileUrl::parse(url), Err(Error::BadUrl(_))),
                "{url}"
            );
        }
        let long = format!("http://h/file/{}", "1".repeat(2000));
        assert!(FileUrl::parse(&long).is_err());
    }

    #[test]
    fn fragments_are_read_as_the_apps_read_them() {
        // The legacy spelling `d=<anything>`, repeats, empty and unknown parameters.
        for (url, deterministic) in [
            ("http://h/file/1#d=1", true),
            ("http://h/file/1#d=", true),
            ("http://h/file/1#d=true&d", true),
            ("http://h/file/1#x", false),
            ("http://h/file/1#d&", true),
            ("http://h/file/1#&&future=1&d", true),
            ("http://h/file/1#", false),
        ] {
            let u = FileUrl::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
            assert_eq!(u.deterministic, deterministic, "{url}");
            assert_eq!((u.id.as_str(), u.base.as_str()), ("1", "http://h"));
        }
        let u = FileUrl::parse(&format!("http://h/file/1#q=2&p={KEY}&p={KEY}")).expect("ok");
        assert_eq!(u.server_ed25519.map(|k| k.to_hex()), Some(KEY.to_owned()));
        // As URLSearchParams.get: the first one counts.
        let u = FileUrl::parse(&format!("http://h/file/1#p={KEY}&p=zz&e=01&e=02")).expect("ok");
        assert_eq!(u.server_ed25519.map(|k| k.to_hex()), Some(KEY.to_owned()));
        assert_eq!(u.profile_key, Some(vec![1]));
    }

    proptest! {
        #[test]
        fn parse_never_panics_and_display_round_trips(s in ".{0,200}") {
            if let Ok(u) = FileUrl::parse(&s) {
                prop_assert_eq!(FileUrl::parse(&u.to_string()), Ok(u));
            }
        }
    }
}
