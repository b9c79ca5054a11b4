//! Onion v4 requests to a server (protocol.md §7.5) through a devnet of `sesh-node`s: the
//! client's `upload_file`/`download_file`, the exit node's proxying, and a fake file server on
//! loopback that opens requests with `sesh::onion::v4::open_request` and answers with
//! `respond` — honestly, or with garbage, another key's seal, or an oversized answer.
//!
//! Every test starts its own devnet on 127.0.X.1 (X ≥ 2) and a fake server on 127.0.0.1, and
//! stops both when done; every wait is bounded.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::rt::TokioIo;
use rand_core::OsRng;
use sesh::HasKind as _;
use sesh::client::{Client, Error, MAX_UPLOAD_LEN};
use sesh::clock::SystemClock;
use sesh::devnet::Devnet;
use sesh::identity::Identity;
use sesh::network::FileServer;
use sesh::onion::{self, Destination, EncType, HopKeys, NodeKeys, ServerDestination, v4};
use sesh::transport::http::HttpTransport;
use sesh::transport::{ONION_REQ_PATH, Reply, Target, Transport, TransportError};

use super::devnet::{devnet, identity};

/// How the fake server answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Mode {
    /// As a file server does.
    Honest,
    /// 200 with bytes that are no one's ciphertext.
    Garbage,
    /// A well-formed answer sealed with another request's key.
    WrongKey,
    /// 200 with a body larger than an exit relays.
    Oversized,
    /// A sealed answer that is not a v4 response.
    NotV4,
}

#[derive(Default)]
struct Seen {
    /// The address each connection came from.
    peers: Vec<IpAddr>,
    /// The path of each HTTP request.
    paths: Vec<String>,
    /// Each v4 request: method and endpoint.
    requests: Vec<(String, String)>,
}

struct FakeServer {
    addr: SocketAddr,
    identity: Identity,
    mode: AtomicU8,
    files: Mutex<HashMap<u64, Vec<u8>>>,
    seen: Mutex<Seen>,
}

impl FakeServer {
    async fn start() -> (Arc<Self>, tokio::task::JoinHandle<()>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port for the fake file server");
        let server = Arc::new(Self {
            addr: listener.local_addr().expect("its address"),
            identity: identity(200),
            mode: AtomicU8::new(Mode::Honest as u8),
            files: Mutex::new(HashMap::new()),
            seen: Mutex::new(Seen::default()),
        });
        let s = Arc::clone(&server);
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, peer)) = listener.accept().await else {
                    return;
                };
                s.seen.lock().expect("not poisoned").peers.push(peer.ip());
                let s = Arc::clone(&s);
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let s = Arc::clone(&s);
                        async move { Ok::<_, Infallible>(s.answer(req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        (server, task)
    }

    fn file_server(&self) -> FileServer {
        FileServer::new(
            &format!("http://{}", self.addr),
            self.identity.ed25519_pub(),
        )
        .expect("a valid file server")
    }

    fn set_mode(&self, mode: Mode) {
        self.mode.store(mode as u8, Ordering::SeqCst);
    }

    fn mode(&self) -> Mode {
        match self.mode.load(Ordering::SeqCst) {
            0 => Mode::Honest,
            1 => Mode::Garbage,
            2 => Mode::WrongKey,
            3 => Mode::Oversized,
            _ => Mode::NotV4,
        }
    }

    async fn answer(
        &self,
        req: hyper::Request<hyper::body::Incoming>,
    ) -> hyper::Response<Full<Bytes>> {
        let path = req.uri().path().to_owned();
        self.seen
            .lock()
            .expect("not poisoned")
            .paths
            .push(path.clone());
        let body = req
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        if path != v4::TARGET {
            return reply(404, b"not found".to_vec());
        }
        let keys = NodeKeys::from(&self.identity);
        let (request, key) = match v4::open_request(&keys, &body) {
            Ok(opened) => opened,
            Err(e) => {
                let (status, body) = e.http_reply(&mut OsRng);
                return reply(status, body);
            }
        };
        self.seen
            .lock()
            .expect("test helper")
            .requests
            .push((request.method.clone(), request.endpoint.clone()));
        match self.mode() {
            Mode::Honest => {}
            Mode::Garbage => return reply(200, b"\x00\x01garbage, not a sealed answer".repeat(9)),
            Mode::Oversized => return reply(200, vec![7u8; 11 * 1024 * 1024]),
            Mode::WrongKey => {
                // Another request's key: what a server that mixes up its answers sends.
                let (other, _) = onion::build(
                    &[],
                    &Destination::Server(ServerDestination {
                        host: "x".into(),
                        target: v4::TARGET.into(),
                        scheme: onion::Scheme::Http,
                        port: 1,
                        x25519: self.identity.x25519_pub(),
                    }),
                    b"x",
                    EncType::AesGcm,
                    &mut OsRng,
                )
                .expect("test helper");
                let other = onion::decrypt_layer(&keys, &other)
                    .expect("test helper")
                    .reply;
                let sealed = v4::respond(&other, &ok_json(br#"{"id":"1"}"#), &mut OsRng)
                    .expect("test helper");
                return reply(200, sealed);
            }
            Mode::NotV4 => {
                return reply(200, key.seal(b"l5:hello", &mut OsRng).expect("test helper"));
            }
        }
        let answer = self.run(&request);
        reply(
            200,
            v4::respond(&key, &answer, &mut OsRng).expect("test helper"),
        )
    }

    /// The file server's API, as the contract states it.
    fn run(&self, request: &v4::Request) -> v4::Response {
        let mut files = self.files.lock().expect("not poisoned");
        match (request.method.as_str(), request.endpoint.as_str()) {
            ("POST", "/file") => {
                let id = 1_000_000 + files.len() as u64;
                files.insert(id, request.body.clone().unwrap_or_default());
                ok_json(format!(r#"{{"id":"{id}","expires":1893456000.25}}"#).as_bytes())
            }
            ("GET", endpoint) => {
                let file = endpoint
                    .strip_prefix("/file/")
                    .and_then(|id| id.parse::<u64>().ok())
                    .and_then(|id| files.get(&id));
                match file {
                    Some(data) => v4::Response {
                        code: 200,
                        headers: vec![("content-type".into(), "application/octet-stream".into())],
                        body: data.clone(),
                    },
                    None => v4::Response {
                        code: 404,
                        headers: vec![],
                        body: b"File not found".to_vec(),
                    },
                }
            }
            _ => v4::Response {
                code: 405,
                headers: vec![],
                body: vec![],
            },
        }
    }

    fn seen_peers(&self) -> Vec<IpAddr> {
        self.seen.lock().expect("not poisoned").peers.clone()
    }
}

fn ok_json(body: &[u8]) -> v4::Response {
    v4::Response {
        code: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.to_vec(),
    }
}

fn reply(status: u16, body: Vec<u8>) -> hyper::Response<Full<Bytes>> {
    let mut r = hyper::Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = hyper::StatusCode::from_u16(status).expect("test helper");
    r
}

/// The real transport, recording every target the client sends to.
#[derive(Clone)]
struct Recording(Arc<(HttpTransport, Mutex<Vec<Target>>)>);

impl Recording {
    fn new() -> Self {
        Self(Arc::new((
            HttpTransport::new().expect("an HTTP client"),
            Mutex::new(Vec::new()),
        )))
    }

    fn targets(&self) -> Vec<Target> {
        self.0.1.lock().expect("not poisoned").clone()
    }
}

impl Transport for Recording {
    fn post(
        &self,
        target: &Target,
        body: Vec<u8>,
        timeout: Duration,
    ) -> impl Future<Output = Result<Reply, TransportError>> + Send {
        self.0.1.lock().expect("not poisoned").push(target.clone());
        self.0.0.post(target, body, timeout)
    }
}

type DevClient = Client<Recording, SystemClock, OsRng>;

fn client(net: &Devnet, dir: &std::path::Path, t: &Recording, fs: &FileServer) -> DevClient {
    let mut network = net.network();
    network.file_server = Some(fs.clone());
    Client::open(network, &dir.join("client"), t.clone(), SystemClock, OsRng)
        .expect("the client opens")
}

/// Bounds a client call: a devnet answers in milliseconds, a few MB in a second or two.
async fn bounded<F: Future>(f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(90), f)
        .await
        .expect("the client finishes within 90 s")
}

fn node_ips(net: &Devnet) -> Vec<IpAddr> {
    net.roster()
        .pool()
        .nodes()
        .iter()
        .map(|n| IpAddr::V4(n.ip))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_go_up_and_come_back_through_onion_paths_only() {
    let (net, dir) = devnet(8, 4).await;
    let (server, task) = FakeServer::start().await;
    let fs = server.file_server();
    let t = Recording::new();
    let mut c = client(&net, dir.path(), &t, &fs);

    let small = b"hello, file server".to_vec();
    let mut big = vec![0u8; 3 * 1024 * 1024 + 17];
    for (i, b) in big.iter_mut().enumerate() {
        *b = (i * 31 % 251) as u8;
    }
    let up = bounded(c.upload_file(&fs, small.clone())).await.unwrap();
    assert_eq!(up.url, format!("{}/file/{}", fs.url, up.id));
    assert_eq!(up.expires, Some(1_893_456_000.25));
    let up_big = bounded(c.upload_file(&fs, big.clone())).await.unwrap();
    assert_ne!(up.id, up_big.id);
    assert_eq!(bounded(c.download_file(&fs, &up.id)).await.unwrap(), small);
    assert_eq!(
        bounded(c.download_file(&fs, &up_big.id)).await.unwrap(),
        big
    );

    // The server's own refusal is the server's error, with its status; not retried.
    let before = server.seen.lock().expect("not poisoned").requests.len();
    let err = bounded(c.download_file(&fs, "999")).await.unwrap_err();
    assert!(
        matches!(&err, Error::ServerFailed { status: 404, message, .. } if message == "File not found"),
        "{err:?}"
    );
    assert_eq!(
        server.seen.lock().expect("not poisoned").requests.len(),
        before + 1
    );
    // An id that could leave /file/ is refused before anything is sent.
    let sent = t.targets().len();
    let err = bounded(c.download_file(&fs, "../oxen/v4/lsrpc"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    let err = bounded(c.upload_file(&fs, vec![0; MAX_UPLOAD_LEN + 1]))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::FileTooLarge { .. }), "{err:?}");
    assert_eq!(t.targets().len(), sent);

    // The network's file server is found by its URL (whatever key a URL names); no other
    // host is ever a file server, not even one named with a `p=` key.
    assert_eq!(c.file_server_for_base(&fs.url, None), Some(fs.clone()));
    assert_eq!(c.file_server_for_base("http://10.9.9.9:1", None), None);
    let other = identity(201).ed25519_pub();
    assert_eq!(
        c.file_server_for_base("http://10.9.9.9:1", Some(&other)),
        None
    );
    assert_eq!(
        c.file_server_for_base(&fs.url, Some(&other)),
        Some(fs.clone())
    );

    // The client only ever talked to the seed and to nodes; the server only ever heard from
    // nodes (the exits), over its v4 route.
    let nodes = node_ips(&net);
    for target in t.targets() {
        if let Target::Node { addr, .. } = target {
            assert!(nodes.contains(&IpAddr::V4(*addr.ip())), "{addr}");
        }
    }
    let peers = server.seen_peers();
    assert!(!peers.is_empty());
    assert!(peers.iter().all(|p| nodes.contains(p)), "{peers:?}");
    assert!(
        server
            .seen
            .lock()
            .unwrap()
            .paths
            .iter()
            .all(|p| p == v4::TARGET)
    );
    // The exits logged that they proxied (sizes only: what they relay is sealed to the
    // server).
    let logs: String = net
        .nodes()
        .iter()
        .map(|n| std::fs::read_to_string(n.log_file()).unwrap_or_default())
        .collect();
    assert!(logs.contains("onion_req proxy 200"), "{logs}");
    task.abort();
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_server_answers_are_clean_errors() {
    let (net, dir) = devnet(8, 4).await;
    let (server, task) = FakeServer::start().await;
    let fs = server.file_server();
    let t = Recording::new();
    let mut c = client(&net, dir.path(), &t, &fs);
    let up = bounded(c.upload_file(&fs, b"x".to_vec())).await.unwrap();
    let paths = bounded(c.paths()).await.unwrap();

    for mode in [Mode::Garbage, Mode::WrongKey, Mode::NotV4, Mode::Oversized] {
        server.set_mode(mode);
        let err = bounded(c.download_file(&fs, &up.id)).await.unwrap_err();
        // Each is a failure of the way (a hop or the exit could have done it): retried on
        // other paths, then reported; nobody is struck.
        assert!(
            matches!(&err, Error::ServerPathsFailed { attempts: 3, .. }),
            "{mode:?}: {err:?}"
        );
        assert!(err.kind().is_retriable(), "{mode:?}");
        let text = err.to_string();
        match mode {
            Mode::Garbage | Mode::WrongKey => assert!(text.contains("does not decrypt"), "{text}"),
            Mode::NotV4 => assert!(text.contains("not a v4 response"), "{text}"),
            // The exit refuses to relay it.
            _ => assert!(text.contains("answered 502"), "{text}"),
        }
    }
    // Twelve failed attempts, and the paths that messages use are the same: a hostile
    // server does not wear them out.
    assert_eq!(bounded(c.paths()).await.unwrap(), paths);
    server.set_mode(Mode::Honest);
    assert_eq!(bounded(c.download_file(&fs, &up.id)).await.unwrap(), b"x");

    // A server that is not there: the exit says so, 502.
    let gone = FileServer::new("http://127.0.0.1:1", server.identity.ed25519_pub()).unwrap();
    let err = bounded(c.download_file(&gone, &up.id)).await.unwrap_err();
    assert!(
        matches!(&err, Error::ServerPathsFailed { last, .. } if last.contains("answered 502")),
        "{err:?}"
    );
    task.abort();
    net.shutdown().await;
}

/// A raw onion request through three devnet nodes to `dest`: the guard's HTTP answer and the
/// key that opens it.
async fn raw_request(
    net: &Devnet,
    dest: &ServerDestination,
    payload: &[u8],
) -> (Reply, onion::PendingReply) {
    let nodes = net.roster().pool().nodes();
    let hops: Vec<HopKeys> = nodes[..3].iter().map(HopKeys::from).collect();
    let (body, pending) = onion::build(
        &hops,
        &Destination::Server(dest.clone()),
        payload,
        EncType::AesGcm,
        &mut OsRng,
    )
    .expect("test helper");
    let target = Target::Node {
        addr: std::net::SocketAddrV4::new(nodes[0].ip, nodes[0].port),
        path: ONION_REQ_PATH,
    };
    let reply = HttpTransport::new()
        .expect("test helper")
        .post(&target, body, Duration::from_secs(30))
        .await
        .expect("the guard answers");
    (reply, pending)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exits_refuse_targets_the_storage_server_refuses() {
    let (net, _dir) = devnet(8, 4).await;
    let (server, task) = FakeServer::start().await;
    let mut dest = server.file_server().destination();
    let get = v4::Request {
        method: "GET".into(),
        endpoint: "/file/1".into(),
        headers: vec![],
        body: None,
    }
    .encode();

    for target in ["/file/1", "/oxen/v4/lsrpc?x=1", "/oxen/v4/other"] {
        dest.target = target.into();
        let (reply, pending) = raw_request(&net, &dest, &get).await;
        // The storage server's answer: a 200 carrying base64 of `{"status":400,"body":"Invalid
        // url"}` sealed with the exit's own layer key (12-byte IV, 35 bytes, 16-byte tag),
        // which the server's key does not open.
        assert_eq!(reply.status, 200, "{target}");
        let sealed = base64::engine::general_purpose::STANDARD
            .decode(&reply.body)
            .expect("base64");
        assert_eq!(sealed.len(), 12 + 35 + 16, "{target}");
        assert!(matches!(
            pending.open(&reply.body),
            Err(onion::Error::ReplyDecrypt(_))
        ));
    }
    assert!(server.seen_peers().is_empty(), "the server heard nothing");

    // The allowed target, relayed as is: the server's answer comes back sealed by the server.
    dest.target = v4::TARGET.into();
    let (reply, pending) = raw_request(&net, &dest, &get).await;
    assert_eq!(reply.status, 200);
    let answer = v4::open_response(&pending, &reply.body).unwrap();
    assert_eq!(answer.code, 404);
    // And the server's plain-text refusal of a layer it cannot open, status and all.
    dest.x25519 = identity(202).x25519_pub();
    let (reply, _) = raw_request(&net, &dest, &get).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.body, b"Invalid ciphertext");
    task.abort();
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_devnet_file_server_through_onion_paths() {
    let (net, dir) = devnet(8, 4).await;
    let fs = net
        .network()
        .file_server
        .expect("the devnet has a file server");
    let t = Recording::new();
    let mut c = Client::open(
        net.network(),
        &dir.path().join("client"),
        t.clone(),
        SystemClock,
        OsRng,
    )
    .expect("the client opens");
    let blob: Vec<u8> = (0..1_000_003u32).map(|i| (i % 253) as u8).collect();
    let up = bounded(c.upload_file(&fs, blob.clone())).await.unwrap();
    assert!(up.id.bytes().all(|b| b.is_ascii_digit()), "{}", up.id);
    assert!(up.expires.is_some());
    assert_eq!(bounded(c.download_file(&fs, &up.id)).await.unwrap(), blob);
    let err = bounded(c.download_file(&fs, "1")).await.unwrap_err();
    assert!(
        matches!(err, Error::ServerFailed { status: 404, .. }),
        "{err:?}"
    );
    let nodes = node_ips(&net);
    assert!(t.targets().iter().all(|target| match target {
        Target::Node { addr, .. } => nodes.contains(&IpAddr::V4(*addr.ip())),
        Target::Seed(_) => true,
        other => panic!("unexpected target {other:?}"),
    }));
    net.shutdown().await;
}
