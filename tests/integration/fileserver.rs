//! Issue 12, deliverable 1: the devnet's file server (`sesh-node --file-server`), directly
//! over HTTP as third-party libraries use it, and as the destination of onion v4 requests.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns unwrap too"
)]

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use sesh::identity::{Ed25519Pub, X25519Pub};
use sesh::network::{FileServer, Network};
use sesh::onion::{self, Destination, EncType, v4};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::process::{Child, ChildStdin, Command};

use super::support::{is_alive, node_bin, one_node_devnet};

/// A file server process started for one test; killed when dropped.
struct Proc {
    child: Child,
    stdin: Option<ChildStdin>,
    addr: SocketAddr,
    ed25519: Ed25519Pub,
    x25519: X25519Pub,
}

impl Proc {
    /// Starts `sesh-node --file-server` in `dir` (the test-only TTL `ttl_secs` if given) and
    /// reads its listening line.
    async fn start(dir: &Path, ttl_secs: Option<u64>) -> Self {
        let mut cmd = Command::new(node_bin());
        cmd.arg("--file-server")
            .arg("--dir")
            .arg(dir)
            .args(["--listen", "127.0.0.1:0", "--json", "--stop-on-stdin-eof"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .env_remove("SESH_FILE_SERVER_TTL_SECS");
        if let Some(t) = ttl_secs {
            cmd.env("SESH_FILE_SERVER_TTL_SECS", t.to_string());
        }
        let mut child = cmd.spawn().expect("sesh-node runs");
        let stdout = child.stdout.take().expect("piped");
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("the file server reports within 30 s")
            .expect("reading its stdout")
            .expect("a listening line");
        let v: Value = serde_json::from_str(&line).expect("JSON");
        assert_eq!(v["type"], "listening", "{line}");
        let addr: SocketAddr = v["address"].as_str().unwrap().parse().unwrap();
        assert_eq!(v["url"].as_str(), Some(format!("http://{addr}").as_str()));
        Self {
            stdin: child.stdin.take(),
            child,
            addr,
            ed25519: v["pubkey_ed25519"].as_str().unwrap().parse().unwrap(),
            x25519: v["pubkey_x25519"].as_str().unwrap().parse().unwrap(),
        }
    }

    fn server(&self) -> FileServer {
        FileServer::new(&format!("http://{}", self.addr), self.ed25519).expect("a valid server")
    }

    /// Stops it as a launcher does (closing its standard input) and waits for it.
    async fn stop(mut self) {
        drop(self.stdin.take());
        let status = tokio::time::timeout(Duration::from_secs(15), self.child.wait())
            .await
            .expect("the file server stops within 15 s")
            .expect("waiting for it");
        assert!(status.success(), "{status}");
    }
}

/// One HTTP/1.1 request on a fresh connection: status, content type, body.
async fn http(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> (u16, String, Vec<u8>) {
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    head.extend_from_slice(body);
    exchange(addr, &head).await
}

/// Writes `request` on a fresh connection and reads the whole answer.
async fn exchange(addr: SocketAddr, request: &[u8]) -> (u16, String, Vec<u8>) {
    let fut = async {
        let mut s = tokio::net::TcpStream::connect(addr)
            .await
            .expect("connects");
        s.write_all(request).await.expect("writes the request");
        let mut out = Vec::new();
        s.read_to_end(&mut out).await.expect("reads the answer");
        out
    };
    let out = tokio::time::timeout(Duration::from_secs(60), fut)
        .await
        .expect("an answer within 60 s");
    let end = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a whole head");
    let head = String::from_utf8_lossy(&out[..end]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status");
    let content_type = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-type")
                .then(|| v.trim().to_owned())
        })
        .unwrap_or_default();
    (status, content_type, out[end + 4..].to_vec())
}

fn json(body: &[u8]) -> Value {
    serde_json::from_slice(body).expect("a JSON body")
}

/// Uploads `data` directly; the id.
async fn upload(addr: SocketAddr, data: &[u8]) -> String {
    let (status, ct, body) = http(addr, "POST", "/file", data).await;
    assert_eq!((status, ct.as_str()), (200, "application/json"));
    let v = json(&body);
    let id = v["id"].as_str().expect("a string id").to_owned();
    assert!(
        !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()),
        "{id}"
    );
    assert!(id.parse::<u64>().unwrap() < 1 << 53, "{id}");
    assert!(v["expires"].as_f64().is_some(), "{v}");
    id
}

fn data(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_http_upload_download_info_and_404() {
    let tmp = tempfile::tempdir().unwrap();
    let fs = Proc::start(&tmp.path().join("files"), None).await;
    let blob = data(100_000, 1);
    let id = upload(fs.addr, &blob).await;

    let (status, ct, body) = http(fs.addr, "GET", &format!("/file/{id}"), b"").await;
    assert_eq!((status, ct.as_str()), (200, "application/octet-stream"));
    assert!(body == blob, "downloaded bytes differ");

    let (status, _, body) = http(fs.addr, "GET", &format!("/file/{id}/info"), b"").await;
    assert_eq!(status, 200);
    let info = json(&body);
    assert_eq!(info["size"], 100_000);
    let (uploaded, expires) = (
        info["uploaded"].as_f64().unwrap(),
        info["expires"].as_f64().unwrap(),
    );
    // The default TTL: 14 days.
    assert!((expires - uploaded - 14.0 * 86_400.0).abs() < 1.0, "{info}");

    // A second upload of the same bytes is another file.
    assert_ne!(upload(fs.addr, &blob).await, id);

    for missing in [
        "/file/1",
        "/file/1/info",
        "/file/abc",
        "/file/99999999999999999999",
    ] {
        let (status, ct, body) = http(fs.addr, "GET", missing, b"").await;
        assert_eq!(
            (status, ct.as_str()),
            (404, "application/json"),
            "{missing}"
        );
        assert_eq!(json(&body), serde_json::json!({"status_code": 404}));
    }
    assert_eq!(http(fs.addr, "GET", "/file", b"").await.0, 405);
    assert_eq!(http(fs.addr, "POST", "/nothing", b"x").await.0, 404);
    fs.stop().await;
}

/// The real server's refusal (413 `{"status_code": 413}`), sent for a declared length over
/// the limit before any of the body is sent; an empty file is refused alike; exactly the
/// limit is taken.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_the_limit_is_refused_before_the_body() {
    let tmp = tempfile::tempdir().unwrap();
    let fs = Proc::start(&tmp.path().join("files"), None).await;
    let head = format!(
        "POST /file HTTP/1.1\r\nHost: {}\r\nContent-Length: 10000001\r\n\r\n",
        fs.addr
    );
    let (status, ct, body) = exchange(fs.addr, head.as_bytes()).await;
    assert_eq!((status, ct.as_str()), (413, "application/json"));
    assert_eq!(json(&body), serde_json::json!({"status_code": 413}));

    let (status, _, body) = http(fs.addr, "POST", "/file", b"").await;
    assert_eq!(status, 413);
    assert_eq!(json(&body), serde_json::json!({"status_code": 413}));

    let max = data(10_000_000, 2);
    let id = upload(fs.addr, &max).await;
    let (status, _, body) = http(fs.addr, "GET", &format!("/file/{id}/info"), b"").await;
    assert_eq!(
        (status, json(&body)["size"].as_u64()),
        (200, Some(10_000_000))
    );
    fs.stop().await;
}

/// With the test-only TTL of 1 s, a file is gone (404) once expired, and the cleanup task
/// removes it from the store (its log says so).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_expire_after_their_ttl() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("files");
    let fs = Proc::start(&dir, Some(1)).await;
    let (status, _, body) = http(fs.addr, "POST", "/file", b"short-lived").await;
    assert_eq!(status, 200);
    let v = json(&body);
    let id = v["id"].as_str().unwrap().to_owned();
    let expires = v["expires"].as_f64().unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (status, _, body) = http(fs.addr, "GET", &format!("/file/{id}/info"), b"").await;
        match status {
            200 => {
                let info = json(&body);
                assert_eq!(info["expires"].as_f64(), Some(expires));
                let uploaded = info["uploaded"].as_f64().unwrap();
                assert!((expires - uploaded - 1.0).abs() < 1e-6, "{info}");
            }
            404 => break,
            other => panic!("status {other}"),
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "still there after 30 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        http(fs.addr, "GET", &format!("/file/{id}"), b"").await.0,
        404
    );
    let log = dir.join("node.log");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("removed 1 expired files")
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no cleanup within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    fs.stop().await;
}

/// Stopped and started again on its directory, the server has the same key and the files.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_keeps_files_and_key() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("files");
    let fs = Proc::start(&dir, None).await;
    let blob = data(5_000, 3);
    let id = upload(fs.addr, &blob).await;
    let key = fs.ed25519;
    fs.stop().await;

    let fs = Proc::start(&dir, None).await;
    assert_eq!(fs.ed25519, key);
    assert_eq!(fs.ed25519.to_x25519(), Some(fs.x25519));
    let (status, _, body) = http(fs.addr, "GET", &format!("/file/{id}"), b"").await;
    assert_eq!(status, 200);
    assert!(body == blob, "the file changed across the restart");
    fs.stop().await;
}

/// POSTs a v4 request built by the library's onion builder (no path: straight to the server)
/// and opens the answer.
async fn v4_request(fs: &Proc, req: &v4::Request, enc: EncType) -> v4::Response {
    let dest = Destination::Server(fs.server().destination());
    let (body, pending) =
        onion::build(&[], &dest, &req.encode(), enc, &mut rand_core::OsRng).expect("builds");
    let (status, ct, answer) = http(fs.addr, "POST", v4::TARGET, &body).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
    assert_eq!(ct, "application/octet-stream");
    v4::open_response(&pending, &answer).expect("a v4 answer")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn onion_v4_requests_upload_download_and_info() {
    let tmp = tempfile::tempdir().unwrap();
    let fs = Proc::start(&tmp.path().join("files"), None).await;
    let blob = data(300_000, 4);
    let up = v4::Request {
        method: "POST".into(),
        endpoint: "/file".into(),
        headers: vec![("Content-Type".into(), "application/octet-stream".into())],
        body: Some(blob.clone()),
    };
    let r = v4_request(&fs, &up, EncType::XChaCha20).await;
    assert_eq!(r.code, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let id = json(&r.body)["id"].as_str().unwrap().to_owned();

    let get = |endpoint: String| v4::Request {
        method: "GET".into(),
        endpoint,
        headers: Vec::new(),
        body: None,
    };
    let r = v4_request(&fs, &get(format!("/file/{id}")), EncType::AesGcm).await;
    assert_eq!(r.code, 200);
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));
    assert!(r.body == blob, "downloaded bytes differ");
    // What came in over onion v4 is there over plain HTTP too.
    let (_, _, direct) = http(fs.addr, "GET", &format!("/file/{id}"), b"").await;
    assert!(direct == blob);

    let r = v4_request(
        &fs,
        &get(format!("/file/{id}/info?x=1")),
        EncType::XChaCha20,
    )
    .await;
    assert_eq!(
        (r.code, json(&r.body)["size"].as_u64()),
        (200, Some(300_000))
    );
    let r = v4_request(&fs, &get("/file/42".into()), EncType::XChaCha20).await;
    assert_eq!(r.code, 404);
    assert_eq!(json(&r.body), serde_json::json!({"status_code": 404}));

    // Over the limit inside an onion request: the same refusal, encrypted.
    let big = v4::Request {
        body: Some(vec![7; 10_000_001]),
        ..up
    };
    let r = v4_request(&fs, &big, EncType::XChaCha20).await;
    assert_eq!(r.code, 413);
    assert_eq!(json(&r.body), serde_json::json!({"status_code": 413}));
    fs.stop().await;
}

/// Bodies that are not onion requests to this server get a plain 400; ones that decrypt to
/// something other than a v4 request get the real server's encrypted `400 Invalid v4 onion
/// request`; the server keeps serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_v4_bodies_get_400_and_no_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let fs = Proc::start(&tmp.path().join("files"), None).await;
    let mut garbage: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"x".to_vec(),
        vec![0xff; 4],
        vec![0xff; 64],
        [&8u32.to_le_bytes()[..], b"12345678{}"].concat(),
        [&3u32.to_le_bytes()[..], b"abc{\"ephemeral_key\":\"zz\"}"].concat(),
        data(5_000, 5),
    ];
    // A well-formed layer, to another key.
    let other = FileServer::new("http://127.0.0.1:1", FileServer::mainnet().ed25519).unwrap();
    let (to_other, _) = onion::build(
        &[],
        &Destination::Server(other.destination()),
        &v4::Request {
            method: "GET".into(),
            endpoint: "/file/1".into(),
            headers: Vec::new(),
            body: None,
        }
        .encode(),
        EncType::XChaCha20,
        &mut rand_core::OsRng,
    )
    .unwrap();
    garbage.push(to_other);
    for (i, body) in garbage.iter().enumerate() {
        let (status, _, _) = http(fs.addr, "POST", v4::TARGET, body).await;
        assert_eq!(status, 400, "garbage {i}");
    }

    let dest = Destination::Server(fs.server().destination());
    for plaintext in [
        &b"not bencoded"[..],
        b"le",
        b"l2:{}e",
        b"l42:{\"method\":\"GET\",\"endpoint\":\"file/1\",\"headers\":{}}e",
        b"l3:abc1:x1:ye",
        b"l99999999999:e",
    ] {
        let (body, pending) = onion::build(
            &[],
            &dest,
            plaintext,
            EncType::XChaCha20,
            &mut rand_core::OsRng,
        )
        .unwrap();
        let (status, _, answer) = http(fs.addr, "POST", v4::TARGET, &body).await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(plaintext));
        let r = v4::open_response(&pending, &answer).expect("an encrypted answer");
        assert_eq!(r.code, 400, "{}", String::from_utf8_lossy(plaintext));
        assert_eq!(r.body, b"Invalid v4 onion request");
        assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    }
    assert_eq!(http(fs.addr, "GET", v4::TARGET, b"").await.0, 405);

    let id = upload(fs.addr, b"still serving").await;
    assert_eq!(
        http(fs.addr, "GET", &format!("/file/{id}"), b"").await.0,
        200
    );
    let pid = fs.child.id().expect("running");
    assert!(is_alive(pid));
    fs.stop().await;
}

/// `sesh devnet` starts the file server as its own process (pid file, log), writes it into
/// the network file, stops it with the rest; started again on the same directory it has the
/// same key, address and files.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_devnet_runs_a_file_server_and_names_it() {
    let (net, _tmp) = one_node_devnet(node_bin()).await;
    let fs = net.file_server();
    let text = std::fs::read_to_string(net.network_file()).unwrap();
    let written = Network::from_toml(&text).expect("a valid network file");
    let entry = written.file_server.clone().expect("a [file_server] table");
    assert_eq!(entry, fs.server);
    assert_eq!(entry.url, format!("http://{}", fs.addr));
    assert_eq!(entry.ed25519.to_x25519(), Some(entry.x25519));

    let pid = fs.pid().expect("the file server runs");
    let pid_file = std::fs::read_to_string(fs.dir.join("pid")).unwrap();
    assert_eq!(pid_file.trim(), pid.to_string());
    let blob = data(20_000, 6);
    let id = upload(fs.addr, &blob).await;
    assert!(
        std::fs::read_to_string(fs.log_file())
            .unwrap()
            .contains(&format!("stored file {id}")),
        "the upload is in the file server's log"
    );

    let opts = sesh::devnet::Options {
        dir: net.dir().to_owned(),
        nodes: 1,
        swarm_size: 1,
        node_bin: node_bin().to_owned(),
        clock_offset_ms: 0,
    };
    net.shutdown().await;
    assert!(!is_alive(pid), "the file server stopped with the devnet");

    let again = tokio::time::timeout(Duration::from_secs(60), sesh::devnet::Devnet::start(opts))
        .await
        .expect("the devnet starts within a minute")
        .expect("the devnet starts again");
    assert_eq!(again.file_server().server, entry, "same key and address");
    let (status, _, body) =
        http(again.file_server().addr, "GET", &format!("/file/{id}"), b"").await;
    assert_eq!(status, 200);
    assert!(body == blob, "the file survived the restart");
    again.shutdown().await;
}
