//! The TLS policy against local rustls servers with rcgen certificates (127.0.0.1 only).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddrV4, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;

use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

use super::*;
use crate::error::HasKind;
use crate::network::SeedNode;
use crate::transport::{ONION_REQ_PATH, STORAGE_RPC_PATH};

struct Cert {
    der: CertificateDer<'static>,
    key: Vec<u8>,
}

impl Cert {
    fn new() -> Self {
        let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        Self {
            der: ck.cert.der().clone(),
            key: ck.signing_key.serialize_der(),
        }
    }

    fn sha256(&self) -> [u8; 32] {
        Sha256::digest(self.der.as_ref()).into()
    }

    fn server_config(&self) -> Arc<rustls::ServerConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let cfg = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![self.der.clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key.clone())),
            )
            .unwrap();
        Arc::new(cfg)
    }
}

/// A TLS server on 127.0.0.1 that answers each connection with `reply` (after reading one
/// line), until the test process ends.
fn tls_line_server(cert: &Cert, reply: &'static [u8]) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let cfg = cert.server_config();
    thread::spawn(move || {
        for sock in listener.incoming() {
            let Ok(sock) = sock else { continue };
            let conn = rustls::ServerConnection::new(cfg.clone()).unwrap();
            let mut tls = rustls::StreamOwned::new(conn, sock);
            let mut line = String::new();
            if BufReader::new(&mut tls).read_line(&mut line).is_ok() {
                let _ = tls.write_all(reply);
                let _ = tls.flush();
            }
        }
    });
    port
}

/// A plain rustls client with our verifier: the handshake's outcome.
fn handshake(verifier: PinnedCertificate, port: u16) -> Result<Vec<u8>, std::io::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    // Any name: the pin, not the name, identifies the server.
    let name = ServerName::try_from("seed.invalid").unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(cfg), name).unwrap();
    let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, sock);
    tls.write_all(b"hello\n")?;
    tls.flush()?;
    let mut out = Vec::new();
    let mut buf = [0u8; 64];
    loop {
        match tls.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(e),
        }
        if out.ends_with(b"\n") {
            break;
        }
    }
    Ok(out)
}

#[test]
fn pin_verifier_accepts_the_pinned_certificate() {
    let cert = Cert::new();
    let port = tls_line_server(&cert, b"pinned\n");
    let got = handshake(PinnedCertificate::new(cert.sha256(), "https://seed"), port).unwrap();
    assert_eq!(got, b"pinned\n");
}

#[test]
fn pin_verifier_refuses_another_certificate() {
    let cert = Cert::new();
    let port = tls_line_server(&cert, b"pinned\n");
    let mut wrong = cert.sha256();
    wrong[0] ^= 1;
    let err = handshake(PinnedCertificate::new(wrong, "https://seed"), port).unwrap_err();
    let inner = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())
        .expect("a rustls error");
    let rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(o))) = inner else {
        panic!("not a certificate error: {inner:?}");
    };
    let m = o.downcast_ref::<PinMismatch>().expect("a pin mismatch");
    assert_eq!(m.got, hex::encode(cert.sha256()));
    assert_eq!(m.expected, hex::encode(wrong));
}

/// A minimal HTTP/1.1 server on 127.0.0.1 (TLS with `cert`, or plain): answers every
/// request with 200, `application/json`, and a body echoing the request.
fn http_server(cert: Option<&Cert>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let cfg = cert.map(Cert::server_config);
    thread::spawn(move || {
        for sock in listener.incoming() {
            let Ok(sock) = sock else { continue };
            let cfg = cfg.clone();
            thread::spawn(move || match cfg {
                Some(cfg) => {
                    let conn = rustls::ServerConnection::new(cfg).unwrap();
                    serve_http(rustls::StreamOwned::new(conn, sock));
                }
                None => serve_http(sock),
            });
        }
    });
    port
}

fn serve_http(stream: impl Read + Write) {
    let mut r = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        if r.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut len = 0usize;
        let mut headers = serde_json::Map::new();
        loop {
            let mut h = String::new();
            if r.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            let (k, v) = h.split_once(':').unwrap();
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_owned());
            if k == "content-length" {
                len = v.parse().unwrap();
            }
            headers.insert(k, v.into());
        }
        let mut body = vec![0u8; len];
        if r.read_exact(&mut body).is_err() {
            return;
        }
        let answer = serde_json::json!({
            "request": request_line.trim_end(),
            "headers": headers,
            "body": String::from_utf8_lossy(&body),
        })
        .to_string();
        let w = r.get_mut();
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            answer.len()
        );
        if w.write_all(head.as_bytes()).is_err()
            || w.write_all(answer.as_bytes()).is_err()
            || w.flush().is_err()
        {
            return;
        }
    }
}

fn seed(url: String, pin: Option<[u8; 32]>) -> Target {
    Target::Seed(SeedNode { url, pin })
}

const T: Duration = Duration::from_secs(30);

#[tokio::test]
async fn pinned_seed_is_reached_and_headers_are_sent() {
    let cert = Cert::new();
    let port = http_server(Some(&cert));
    let t = HttpTransport::new().unwrap();
    let target = seed(
        format!("https://127.0.0.1:{port}/json_rpc"),
        Some(cert.sha256()),
    );
    for _ in 0..2 {
        let reply = t.post(&target, b"{\"a\":1}".to_vec(), T).await.unwrap();
        assert_eq!(reply.status, 200);
        assert_eq!(reply.content_type.as_deref(), Some("application/json"));
        let v: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(v["request"], "POST /json_rpc HTTP/1.1");
        assert_eq!(v["headers"]["user-agent"], "WhatsApp");
        assert_eq!(v["headers"]["accept-language"], "en-us");
        assert_eq!(v["headers"]["content-type"], "application/json");
        assert_eq!(v["body"], "{\"a\":1}");
    }
}

#[tokio::test]
async fn seed_with_another_certificate_is_refused() {
    let cert = Cert::new();
    let port = http_server(Some(&cert));
    let t = HttpTransport::new().unwrap();
    let mut pin = cert.sha256();
    pin[31] ^= 0x80;
    let url = format!("https://127.0.0.1:{port}/json_rpc");
    let err = t
        .post(&seed(url.clone(), Some(pin)), Vec::new(), T)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        TransportError::PinMismatch {
            url,
            expected: hex::encode(pin),
            got: hex::encode(cert.sha256()),
        }
    );
    assert_eq!(err.kind(), crate::ErrorKind::Failure);
}

#[tokio::test]
async fn service_node_certificates_are_not_checked() {
    let cert = Cert::new();
    let port = http_server(Some(&cert));
    let t = HttpTransport::new().unwrap();
    let addr = SocketAddrV4::new([127, 0, 0, 1].into(), port);
    let reply = t
        .post(
            &Target::Node {
                addr,
                path: ONION_REQ_PATH,
            },
            b"x".to_vec(),
            T,
        )
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(v["request"], "POST /onion_req/v2 HTTP/1.1");
    // Onion requests are binary: no JSON content type.
    assert!(v["headers"].get("content-type").is_none());
    let reply = t
        .post(
            &Target::Node {
                addr,
                path: STORAGE_RPC_PATH,
            },
            b"{}".to_vec(),
            T,
        )
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(v["headers"]["content-type"], "application/json");
}

#[tokio::test]
async fn plain_http_only_without_a_pin() {
    let port = http_server(None);
    let t = HttpTransport::new().unwrap();
    let url = format!("http://127.0.0.1:{port}/json_rpc");
    let reply = t
        .post(&seed(url.clone(), None), Vec::new(), T)
        .await
        .unwrap();
    assert_eq!(reply.status, 200);
    let err = t
        .post(&seed(url, Some([1; 32])), Vec::new(), T)
        .await
        .unwrap_err();
    assert!(matches!(err, TransportError::Policy { .. }), "{err:?}");
    let err = t
        .post(
            &seed(format!("https://127.0.0.1:{port}/json_rpc"), None),
            Vec::new(),
            T,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, TransportError::Policy { .. }), "{err:?}");
}

#[tokio::test]
async fn connection_failures_and_timeouts_are_told_apart() {
    let t = HttpTransport::new().unwrap();
    // A port nothing listens on.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let err = t
        .post(
            &seed(format!("http://127.0.0.1:{port}/"), None),
            Vec::new(),
            T,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, TransportError::Connect { .. }), "{err:?}");
    assert_eq!(err.kind(), crate::ErrorKind::Transient);
    assert!(!err.to_string().contains("127.0.0.1"), "{err}");

    // A server that accepts and never answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = match silent.local_addr().unwrap() {
        std::net::SocketAddr::V4(a) => a,
        other => panic!("{other}"),
    };
    let _held = thread::spawn(move || {
        let conns: Vec<_> = silent.incoming().take(1).collect();
        thread::park();
        drop(conns);
    });
    let after = Duration::from_millis(200);
    let err = t
        .post(
            &Target::Node {
                addr,
                path: ONION_REQ_PATH,
            },
            Vec::new(),
            after,
        )
        .await
        .unwrap_err();
    assert_eq!(err, TransportError::Timeout { after });
    assert_eq!(err.kind(), crate::ErrorKind::Transient);
}

/// What a hostile node does after reading a request.
#[derive(Clone, Copy)]
enum Hostile {
    /// Announces a body far over the bound, and sends none of it.
    HugeLength,
    /// Streams a chunked body without end; stores how many bytes it managed to send.
    EndlessChunks(&'static std::sync::atomic::AtomicUsize),
    /// Sends the head, then one body byte every 20 ms.
    Drip,
    /// Answers with bytes that are not HTTP.
    Garbage,
}

/// A TLS server on 127.0.0.1 that reads one request and then misbehaves as told.
fn hostile_node(cert: &Cert, how: Hostile) -> SocketAddrV4 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let cfg = cert.server_config();
    thread::spawn(move || {
        for sock in listener.incoming() {
            let Ok(sock) = sock else { continue };
            let cfg = cfg.clone();
            thread::spawn(move || {
                let conn = rustls::ServerConnection::new(cfg).unwrap();
                let mut r = BufReader::new(rustls::StreamOwned::new(conn, sock));
                let mut len = 0usize;
                loop {
                    let mut h = String::new();
                    if r.read_line(&mut h).unwrap_or(0) == 0 {
                        return;
                    }
                    if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                    if h.trim_end().is_empty() {
                        break;
                    }
                }
                let mut body = vec![0u8; len];
                if r.read_exact(&mut body).is_err() {
                    return;
                }
                let w = r.get_mut();
                let _ = match how {
                    Hostile::HugeLength => w
                        .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1073741824\r\n\r\n")
                        .and_then(|()| w.flush())
                        .map(|()| thread::park()),
                    Hostile::EndlessChunks(sent) => (|| {
                        w.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")?;
                        let chunk = vec![b'a'; 64 * 1024];
                        loop {
                            w.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())?;
                            w.write_all(&chunk)?;
                            w.write_all(b"\r\n")?;
                            sent.fetch_add(chunk.len(), std::sync::atomic::Ordering::Relaxed);
                        }
                    })(),
                    Hostile::Drip => (|| {
                        w.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")?;
                        loop {
                            w.write_all(b"a")?;
                            w.flush()?;
                            thread::sleep(Duration::from_millis(20));
                        }
                    })(),
                    Hostile::Garbage => w
                        .write_all(b"\x00\x01\x02 not http at all\r\n\r\n")
                        .and_then(|()| w.flush()),
                };
            });
        }
    });
    SocketAddrV4::new([127, 0, 0, 1].into(), port)
}

fn node(addr: SocketAddrV4) -> Target {
    Target::Node {
        addr,
        path: STORAGE_RPC_PATH,
    }
}

#[tokio::test]
async fn a_content_length_over_the_bound_is_refused_before_the_body() {
    let cert = Cert::new();
    let addr = hostile_node(&cert, Hostile::HugeLength);
    let t = HttpTransport::new().unwrap();
    // The server never sends the body: reading it would end in a timeout, not TooLarge.
    let err = t.post(&node(addr), b"{}".to_vec(), T).await.unwrap_err();
    assert_eq!(err, TransportError::TooLarge { max: MAX_REPLY_LEN });
    assert_eq!(err.kind(), crate::ErrorKind::Transient);
}

#[tokio::test]
async fn an_endless_body_is_refused_while_it_streams() {
    static SENT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let cert = Cert::new();
    let addr = hostile_node(&cert, Hostile::EndlessChunks(&SENT));
    let t = HttpTransport::new().unwrap();
    let err = t.post(&node(addr), b"{}".to_vec(), T).await.unwrap_err();
    assert_eq!(err, TransportError::TooLarge { max: MAX_REPLY_LEN });
    // The client stopped reading soon after the bound (socket buffers aside).
    let sent = SENT.load(std::sync::atomic::Ordering::Relaxed);
    assert!(sent >= MAX_REPLY_LEN, "{sent}");
}

#[tokio::test]
async fn a_dripping_body_ends_at_the_timeout() {
    let cert = Cert::new();
    let addr = hostile_node(&cert, Hostile::Drip);
    let t = HttpTransport::new().unwrap();
    let after = Duration::from_millis(300);
    // The head arrives at once; the timeout still covers the whole body.
    let err = t
        .post(&node(addr), b"{}".to_vec(), after)
        .await
        .unwrap_err();
    assert_eq!(err, TransportError::Timeout { after });
}

#[tokio::test]
async fn garbage_is_an_http_error_without_the_address() {
    let cert = Cert::new();
    let addr = hostile_node(&cert, Hostile::Garbage);
    let t = HttpTransport::new().unwrap();
    let err = t.post(&node(addr), b"{}".to_vec(), T).await.unwrap_err();
    assert!(matches!(err, TransportError::Http { .. }), "{err:?}");
    assert!(!err.to_string().contains("127.0.0.1"), "{err}");
}

#[tokio::test]
async fn headers_reach_the_node() {
    let cert = Cert::new();
    let port = http_server(Some(&cert));
    let t = HttpTransport::new().unwrap();
    let addr = SocketAddrV4::new([127, 0, 0, 1].into(), port);
    let reply = t
        .post_with_headers(
            &node(addr),
            &[("x-sesh-test", "yes".into())],
            b"{}".to_vec(),
            T,
        )
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(v["headers"]["x-sesh-test"], "yes");
}

/// A TLS server on 127.0.0.1 that answers one request per connection with
/// `Connection: close`, recording whether each handshake was full or resumed.
fn closing_server(cert: &Cert) -> (u16, Arc<std::sync::Mutex<Vec<rustls::HandshakeKind>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let cfg = cert.server_config();
    let kinds = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = kinds.clone();
    thread::spawn(move || {
        for sock in listener.incoming() {
            let Ok(sock) = sock else { continue };
            let conn = rustls::ServerConnection::new(cfg.clone()).unwrap();
            let mut r = BufReader::new(rustls::StreamOwned::new(conn, sock));
            let mut len = 0usize;
            loop {
                let mut h = String::new();
                if r.read_line(&mut h).unwrap_or(0) == 0 {
                    break;
                }
                let h = h.trim_end().to_ascii_lowercase();
                if h.is_empty() {
                    break;
                }
                if let Some(v) = h.strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0u8; len];
            let _ = r.read_exact(&mut body);
            let tls = r.get_mut();
            if let Some(kind) = tls.conn.handshake_kind() {
                seen.lock().unwrap().push(kind);
            }
            let _ = tls
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");
            let _ = tls.flush();
            tls.conn.send_close_notify();
            let _ = tls.flush();
        }
    });
    (port, kinds)
}

#[tokio::test]
async fn a_kept_alive_connection_makes_one_handshake() {
    let cert = Cert::new();
    let addr = SocketAddrV4::new([127, 0, 0, 1].into(), http_server(Some(&cert)));
    let t = HttpTransport::new().unwrap();
    assert_eq!(t.tls_handshakes(), 0);
    for _ in 0..5 {
        let reply = t.post(&node(addr), b"{}".to_vec(), T).await.unwrap();
        assert_eq!(reply.status, 200);
    }
    assert_eq!(t.tls_handshakes(), 1);
    // Another node is another connection.
    let other = SocketAddrV4::new([127, 0, 0, 1].into(), http_server(Some(&cert)));
    t.post(&node(other), b"{}".to_vec(), T).await.unwrap();
    assert_eq!(t.tls_handshakes(), 2);
}

#[tokio::test]
async fn a_resumed_session_counts_as_a_handshake() {
    let cert = Cert::new();
    let (port, kinds) = closing_server(&cert);
    let addr = SocketAddrV4::new([127, 0, 0, 1].into(), port);
    let t = HttpTransport::new().unwrap();
    for _ in 0..3 {
        let reply = t.post(&node(addr), b"{}".to_vec(), T).await.unwrap();
        assert_eq!(reply.status, 200);
    }
    // The server closed every connection: three connections, the later ones resumed (which
    // skips the certificate verifier), and all three counted.
    let kinds = kinds.lock().unwrap().clone();
    assert_eq!(kinds.len(), 3, "{kinds:?}");
    assert!(
        kinds.contains(&rustls::HandshakeKind::Resumed),
        "no resumption to count: {kinds:?}"
    );
    assert_eq!(t.tls_handshakes(), 3);
}
