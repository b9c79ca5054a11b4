//! Files on a file server: upload and download as onion v4 requests through a path
//! (protocol.md §7.5, §10.1). sesh never contacts a file server directly: the path's last hop
//! POSTs the request to the server and relays its encrypted answer.
//!
//! The paths are the storage requests' (`client::router`), and so are the distrust rules: a
//! guard that cannot be reached takes a strike, a hop's plain-text answer naming a hop of the
//! path strikes that hop (protocol.md §7.7), and a success clears the path's failures. Any
//! other plain-text answer (the exit's 502/504 for a server it cannot reach) or an answer that
//! does not open strikes no one and, unlike for a storage request, does not count against the
//! path either: it is most likely the server's doing, and a broken or hostile file server must
//! not wear out the paths that messages use (libsession reports a server destination's
//! failures without penalising the path). Every failure is retried on another path when there
//! is one ([`Config::onion_attempts`] in all). The server's own answer (sealed to the
//! request's key) ends the request: 200 is success, anything else the server's error, never
//! retried.

use serde::Deserialize;

use super::*;
use crate::network::FileServer;
use crate::onion::v4;

/// The largest blob [`Client::upload_file`] sends: the file server's upload limit
/// (`attachment::MAX_FILE_SIZE`; session-file-server refuses larger uploads with 413).
pub const MAX_UPLOAD_LEN: usize = crate::attachment::MAX_FILE_SIZE;

/// The largest file [`Client::download_file`] accepts: the storage servers' 10 MiB relay
/// limit, which holds the largest upload with room (what a node relays can be no larger).
pub const MAX_DOWNLOAD_LEN: usize = crate::rpc::limits::MAX_REQUEST_BODY;

/// The largest JSON answer read from a file server (an upload's `{"id","expires"}`).
const MAX_JSON_ANSWER: usize = 64 * 1024;

/// The longest file id accepted (the real server's are a few dozen digits at most).
const MAX_ID_LEN: usize = 128;

/// A file request's timeout, all hops and the server included, at least: a 10 MB upload
/// through three hops takes longer than a storage request, and the exit gives the server 25 s.
const FILE_TIMEOUT: Duration = Duration::from_secs(60);

/// A file stored on a file server.
#[derive(Clone, Debug, PartialEq)]
pub struct Uploaded {
    /// The server's id for it.
    pub id: String,
    /// Where to download it: `{server.url}/file/{id}`.
    pub url: String,
    /// When the server will delete it (Unix seconds), if it said.
    pub expires: Option<f64>,
}

/// One attempt of a server request through one path, not yet judged.
enum ServerAttempt {
    /// The guard could not be reached.
    Transport(TransportError),
    /// A hop (or the exit, for the server) answered with a plain-text error.
    Path { status: u16, body: Vec<u8> },
    /// The answer did not open with the request's key, or is not a v4 response.
    Reply(v4::ReplyError),
    /// The server answered.
    Answer(v4::Response),
}

/// The file server as a destination for path selection: no node has its key, and its
/// address is the unspecified one, which shares no /24 with any node (the path's hops are
/// chosen among nodes, whatever the server's address).
fn as_destination(server: &FileServer) -> Snode {
    Snode {
        ed25519: server.ed25519,
        x25519: server.x25519,
        ip: std::net::Ipv4Addr::UNSPECIFIED,
        port: 0,
        swarm_id: 0,
        version: None,
    }
}

/// Whether `id` is a file id sesh puts in a URL path: 1 to [`MAX_ID_LEN`] ASCII letters,
/// digits, `-` or `_` (the real server's are decimal).
fn valid_id(id: &str) -> bool {
    (1..=MAX_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// An upload's answer, `{"id": "<digits>" | <integer>, "expires": <seconds>}`.
fn parse_upload(body: &[u8]) -> Result<(String, Option<f64>), String> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        Text(String),
        Number(u64),
    }
    #[derive(Deserialize)]
    struct Answer {
        id: Id,
        #[serde(default)]
        expires: Option<f64>,
    }
    if body.len() > MAX_JSON_ANSWER {
        return Err(format!(
            "answer of {} bytes exceeds {MAX_JSON_ANSWER}",
            body.len()
        ));
    }
    // serde would take a struct from a JSON array too.
    if !body.trim_ascii_start().starts_with(b"{") {
        return Err("not a JSON object".into());
    }
    let answer: Answer =
        serde_json::from_slice(body).map_err(|e| format!("not {{\"id\", \"expires\"}}: {e}"))?;
    let id = match answer.id {
        Id::Text(s) => s,
        Id::Number(n) => n.to_string(),
    };
    if !valid_id(&id) {
        return Err(format!("invalid file id {:?}", shorten(&id)));
    }
    if answer.expires.is_some_and(|e| !e.is_finite()) {
        return Err("invalid expiry".into());
    }
    Ok((id, answer.expires))
}

impl<T: Transport, C: Clock, R: RngCore + CryptoRng> Client<T, C, R> {
    /// Uploads `blob` (an encrypted attachment) to `server` through an onion path.
    ///
    /// # Errors
    /// [`Error::FileTooLarge`] beyond [`MAX_UPLOAD_LEN`] (nothing is sent); the errors of
    /// [`Client::file_request`]; [`Error::ServerBadAnswer`] when the server's 200 is not
    /// `{"id", "expires"}` with a plausible id.
    pub async fn upload_file(
        &mut self,
        server: &FileServer,
        blob: Vec<u8>,
    ) -> Result<Uploaded, Error> {
        if blob.len() > MAX_UPLOAD_LEN {
            return Err(Error::FileTooLarge {
                len: blob.len(),
                max: MAX_UPLOAD_LEN,
            });
        }
        let request = v4::Request {
            method: "POST".into(),
            endpoint: "/file".into(),
            headers: vec![("Content-Type".into(), "application/octet-stream".into())],
            body: Some(blob),
        };
        let answer = self.file_request(server, &request).await?;
        let (id, expires) =
            parse_upload(&answer.body).map_err(|reason| Error::ServerBadAnswer {
                server: server.url.clone(),
                request: "POST /file".into(),
                reason,
            })?;
        Ok(Uploaded {
            url: format!("{}/file/{id}", server.url),
            id,
            expires,
        })
    }

    /// Downloads file `id` from `server` through an onion path: the blob as stored.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an id that is not 1–128 letters, digits, `-` or `_`
    /// (nothing is sent); the errors of [`Client::file_request`] (a missing or expired file
    /// is [`Error::ServerFailed`] with status 404); [`Error::ServerBadAnswer`] for a file
    /// larger than [`MAX_DOWNLOAD_LEN`].
    pub async fn download_file(&mut self, server: &FileServer, id: &str) -> Result<Vec<u8>, Error> {
        if !valid_id(id) {
            return Err(Error::InvalidInput(format!(
                "invalid file id {:?}: expected 1 to {MAX_ID_LEN} letters, digits, '-' or '_'",
                shorten(id)
            )));
        }
        let request = v4::Request {
            method: "GET".into(),
            endpoint: format!("/file/{id}"),
            headers: Vec::new(),
            body: None,
        };
        let answer = self.file_request(server, &request).await?;
        if answer.body.len() > MAX_DOWNLOAD_LEN {
            return Err(Error::ServerBadAnswer {
                server: server.url.clone(),
                request: "GET /file".into(),
                reason: format!(
                    "file of {} bytes exceeds the {MAX_DOWNLOAD_LEN}-byte limit",
                    answer.body.len()
                ),
            });
        }
        Ok(answer.body)
    }

    /// The file server to download from an attachment URL whose base (`scheme://host[:port]`)
    /// is `base`: the network's file server when the base is its URL, `None` otherwise.
    ///
    /// A URL's `p=` key (`ed25519`) never makes another host a file server: a sender could
    /// otherwise have sesh send onion requests to any host it names. A URL naming another
    /// host is for the caller to fetch by id from the network's file server (the MAC and
    /// digest decide whether the answer is the file). `ed25519` is accepted and ignored.
    ///
    /// (The contract's `file_server_for(&FileUrl)` is this with the URL's `base` and
    /// `server_ed25519`.)
    pub fn file_server_for_base(
        &self,
        base: &str,
        _ed25519: Option<&Ed25519Pub>,
    ) -> Option<FileServer> {
        let norm = |s: &str| s.trim_end_matches('/').to_ascii_lowercase();
        self.network
            .file_server
            .as_ref()
            .filter(|fs| norm(&fs.url) == norm(base))
            .cloned()
    }

    /// Sends one v4 request to `server` through an onion path and returns the server's 200
    /// answer. Path failures are retried on other paths and counted as for storage requests
    /// (see the module docs).
    ///
    /// # Errors
    /// [`Error::ServerPathsFailed`] when every attempt failed on the way (the exit's 502/504
    /// for a server it cannot reach included), [`Error::ServerFailed`] when the server
    /// answered with another status, [`Error::Onion`] when the request is too large for an
    /// onion request, and the errors of building paths.
    pub async fn file_request(
        &mut self,
        server: &FileServer,
        request: &v4::Request,
    ) -> Result<v4::Response, Error> {
        let what = format!(
            "{} {}",
            request.method,
            request.endpoint.split('?').next().unwrap_or_default()
        );
        let payload = request.encode();
        let dest = as_destination(server);
        let timeout = self.config.onion_timeout.max(FILE_TIMEOUT);
        let mut failed_guards: HashSet<Ed25519Pub> = HashSet::new();
        let mut shaky: HashSet<Ed25519Pub> = HashSet::new();
        let mut last = String::new();
        let mut attempts = 0;
        let failed = |attempts, last: String| Error::ServerPathsFailed {
            server: server.url.clone(),
            request: what.clone(),
            attempts,
            last,
        };
        while attempts < self.config.onion_attempts {
            attempts += 1;
            self.ensure_paths().await?;
            let avoid: HashSet<Ed25519Pub> = failed_guards.union(&shaky).copied().collect();
            let index = match self.tested_path_for(&dest, &avoid).await {
                Ok(i) => i,
                Err(Error::Path(e)) => {
                    return Err(failed(attempts, format!("no path: {e}")));
                }
                Err(e) => return Err(e),
            };
            let path = self
                .book
                .as_ref()
                .and_then(|b| b.paths().get(index))
                .map(|p| p.path.hops().to_vec())
                .unwrap_or_default();
            let guard = self.guard_of(index);
            match self
                .server_exchange(&path, server, &payload, timeout)
                .await?
            {
                ServerAttempt::Transport(e) => {
                    if e.kind() != ErrorKind::Transient {
                        return Err(failed(attempts, e.to_string()));
                    }
                    last = format!("guard {}: {e}", short_key(&guard));
                    failed_guards.insert(guard);
                    self.record(index, &PathEvent::GuardUnreachable)?;
                }
                ServerAttempt::Path { status, body } => {
                    match status::of_path_reply(status, &body) {
                        Outcome::NextNodeNotFound(named) | Outcome::NextNodeUnreachable(named) => {
                            self.record(
                                index,
                                &PathEvent::NodeNotFound {
                                    node: named,
                                    dest: dest.ed25519,
                                },
                            )?;
                            last =
                                format!("a hop says node {} cannot be reached", short_key(&named));
                        }
                        // The exit's word about the server (502: unreachable or an answer
                        // too large, 504: no answer), or any hop's: unauthenticated, and
                        // most likely the server's fault, so it costs the path nothing
                        // (libsession: a server destination's failure is reported, not held
                        // against the path).
                        _ => {
                            last = format!(
                                "path through guard {} answered {status}: {}",
                                short_key(&guard),
                                shorten(&String::from_utf8_lossy(&body))
                            );
                            shaky.insert(guard);
                        }
                    }
                }
                // As above: a server that seals with the wrong key or sends garbage must not
                // wear out the paths that messages use.
                ServerAttempt::Reply(e) => {
                    last = format!("reply through guard {}: {e}", short_key(&guard));
                    shaky.insert(guard);
                }
                ServerAttempt::Answer(answer) => {
                    // Sealed with the request's key: the path delivered it unaltered.
                    self.record(index, &PathEvent::Worked)?;
                    if answer.code != 200 {
                        let message = if answer.body.len() <= MAX_JSON_ANSWER {
                            message_of(&answer.body)
                        } else {
                            format!("({} bytes)", answer.body.len())
                        };
                        return Err(Error::ServerFailed {
                            server: server.url.clone(),
                            request: what,
                            status: answer.code,
                            message,
                        });
                    }
                    return Ok(answer);
                }
            }
        }
        Err(failed(attempts, last))
    }

    /// Builds the onion request through `path` (guard first, never empty) to `server`, sends
    /// it to the guard and opens the answer.
    async fn server_exchange(
        &mut self,
        path: &[Snode],
        server: &FileServer,
        payload: &[u8],
        timeout: Duration,
    ) -> Result<ServerAttempt, Error> {
        // Never direct: with no path, there is no guard to send to.
        let Some(guard) = path.first() else {
            return Err(Error::Path(PathError::TooFewGuards {
                needed: 1,
                available: 0,
            }));
        };
        let hops: Vec<onion::HopKeys> = path.iter().map(onion::HopKeys::from).collect();
        let (body, pending) = onion::build(
            &hops,
            &Destination::Server(server.destination()),
            payload,
            self.config.enc_type,
            &mut self.rng,
        )
        .map_err(|source| Error::Onion {
            node: server.url.clone(),
            source,
        })?;
        let target = Target::Node {
            addr: addr(guard),
            path: ONION_REQ_PATH,
        };
        let reply = match self.transport.post(&target, body, timeout).await {
            Ok(r) => r,
            Err(e) => return Ok(ServerAttempt::Transport(e)),
        };
        if reply.status != 200 {
            return Ok(ServerAttempt::Path {
                status: reply.status,
                body: reply.body,
            });
        }
        Ok(match v4::open_response(&pending, &reply.body) {
            Ok(answer) => ServerAttempt::Answer(answer),
            Err(e) => ServerAttempt::Reply(e),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_answers_are_checked() {
        assert_eq!(
            parse_upload(br#"{"id":"123","expires":1700000000.5}"#),
            Ok(("123".into(), Some(1_700_000_000.5)))
        );
        assert_eq!(parse_upload(br#"{"id":42}"#), Ok(("42".into(), None)));
        for bad in [
            &br#"{"id":"../x"}"#[..],
            br#"{"id":""}"#,
            br#"{"id":-1}"#,
            br#"{"id":"1","expires":"soon"}"#,
            br#"{"expires":1}"#,
            br#"[1]"#,
            b"\xff",
        ] {
            assert!(
                parse_upload(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        let long = format!(r#"{{"id":"1","pad":"{}"}}"#, "x".repeat(MAX_JSON_ANSWER));
        assert!(parse_upload(long.as_bytes()).is_err());
    }

    #[test]
    fn file_ids_cannot_leave_the_file_path() {
        assert!(valid_id("1234567890"));
        assert!(valid_id("aB-_9"));
        for bad in [
            "",
            "..",
            "1/2",
            "1?x=2",
            "a b",
            "%2e",
            &"1".repeat(MAX_ID_LEN + 1),
        ] {
            assert!(!valid_id(bad), "{bad:?}");
        }
    }
}
