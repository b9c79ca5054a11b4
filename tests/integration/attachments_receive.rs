//! `sesh receive --save-attachments` and `--include-sent` on a devnet (issue 12): files are
//! downloaded through onion paths (v4, relayed by an exit node) from a stand-in file server
//! on loopback, saved under DIR/<sender>/ with safe, never-overwriting names; tampered blobs
//! are refused on the row; a failed download is tried again by the next run; a changed avatar
//! is saved; sync copies are skipped or shown as `sent` rows.
//!
//! The stand-in file server (`FakeFileServer`) answers only what these tests need: onion v4
//! `GET /file/<id>` from a map the test fills (so that a test can alter a blob, or add one
//! late), 503 for ids the test marks busy, 404 otherwise. The last test uses the devnet's own file server, with files uploaded
//! straight to it over HTTP as session-python does. The full sesh → sesh round trip is the
//! send side's test.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers: a failed unwrap is a failed test"
)]

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use rand_core::OsRng;
use serde_json::Value;
use sesh::attachment::{self, encrypt_profile_picture};
use sesh::client::Client;
use sesh::clock::{Clock, SystemClock};
use sesh::devnet::Devnet;
use sesh::message::wire::{AttachmentPointer, Content, DataMessage, LokiProfile};
use sesh::onion::hop::NodeKeys;
use sesh::onion::v4;
use sesh::transport::http::HttpTransport;
use sesh::{Identity, SessionId};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::devnet::{devnet, identity};

/// Files by id, served over onion v4.
type Files = Arc<Mutex<HashMap<String, Vec<u8>>>>;
/// Ids answered with 503 (a busy server: a failure that may pass).
type Busy = Arc<Mutex<HashSet<String>>>;

/// A file server on 127.0.0.1 that answers onion v4 `GET /file/<id>`.
struct FakeFileServer {
    url: String,
    keys: Identity,
    files: Files,
    busy: Busy,
    task: tokio::task::JoinHandle<()>,
}

impl FakeFileServer {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let keys = identity(200);
        let secret = *keys.x25519_secret();
        let files: Files = Arc::default();
        let busy: Busy = Arc::default();
        let (served, busy_ids) = (files.clone(), busy.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((conn, _)) = listener.accept().await else {
                    return;
                };
                let (files, busy) = (served.clone(), busy_ids.clone());
                tokio::spawn(async move {
                    let _ = serve(conn, &secret, &files, &busy).await;
                });
            }
        });
        Self {
            url,
            keys,
            files,
            busy,
            task,
        }
    }

    fn put(&self, id: &str, blob: Vec<u8>) {
        self.files.lock().unwrap().insert(id.to_owned(), blob);
    }

    /// The network file of `net` with this server as its `[file_server]` (instead of the
    /// devnet's own).
    fn network_file(&self, net: &Devnet, dir: &Path) -> PathBuf {
        let original = std::fs::read_to_string(net.network_file()).unwrap();
        let mut text = String::new();
        let mut in_file_server = false;
        for line in original.lines() {
            if line.starts_with('[') {
                in_file_server = line.trim() == "[file_server]";
            }
            if !in_file_server {
                text.push_str(line);
                text.push('\n');
            }
        }
        text.push_str(&format!(
            "\n[file_server]\nurl = \"{}\"\npubkey_ed25519 = \"{}\"\npubkey_x25519 = \"{}\"\n",
            self.url,
            self.keys.ed25519_pub(),
            self.keys.x25519_pub()
        ));
        let path = dir.join("network-with-files.toml");
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for FakeFileServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One HTTP/1.1 request on `conn`: the v4 layer in, the encrypted v4 answer out.
async fn serve(
    mut conn: tokio::net::TcpStream,
    secret: &[u8; 32],
    files: &Files,
    busy: &Busy,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let (head_end, len) = loop {
        let n = conn.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..i]).to_ascii_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse::<usize>().unwrap());
            break (i + 4, len);
        }
    };
    while buf.len() < head_end + len {
        let n = conn.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = &buf[head_end..head_end + len];
    let (status, answer) = match v4::open_request(&NodeKeys::new(secret), body) {
        Ok((req, reply)) => {
            let id = req.endpoint.strip_prefix("/file/").unwrap_or_default();
            let found = files.lock().unwrap().get(id).cloned();
            let response = match (req.method.as_str(), found) {
                ("GET", _) if busy.lock().unwrap().contains(id) => v4::Response {
                    code: 503,
                    headers: Vec::new(),
                    body: b"busy".to_vec(),
                },
                ("GET", Some(blob)) => v4::Response {
                    code: 200,
                    headers: vec![("content-type".into(), "application/octet-stream".into())],
                    body: blob,
                },
                _ => v4::Response {
                    code: 404,
                    headers: Vec::new(),
                    body: b"not found".to_vec(),
                },
            };
            (200, v4::respond(&reply, &response, &mut OsRng).unwrap())
        }
        Err(e) => e.http_reply(&mut OsRng),
    };
    let head = format!(
        "HTTP/1.1 {status} OK\r\ncontent-type: application/octet-stream\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        answer.len()
    );
    conn.write_all(head.as_bytes()).await?;
    conn.write_all(&answer).await?;
    conn.shutdown().await
}

/// Bob, a CLI user with a key file and a state directory, on the network file given.
struct Cli {
    key: PathBuf,
    state: PathBuf,
    network: PathBuf,
    id: SessionId,
}

impl Cli {
    fn new(dir: &Path, name: &str, network: PathBuf) -> Self {
        let (key, id) = super::support::keygen(dir, name);
        Self {
            key,
            state: dir.join(format!("{name}-state")),
            network,
            id: id.parse().unwrap(),
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut c = super::support::sesh_command();
        c.args(args)
            .arg("-i")
            .arg(&self.key)
            .env("SESH_NETWORK", &self.network)
            .env("SESH_STATE_DIR", &self.state)
            .env_remove("SESH_IDENTITY")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        super::support::output_within(&mut c, None, super::support::COMMAND_LIMIT)
    }

    fn receive_json(&self, extra: &[&str]) -> Vec<Value> {
        let (code, rows, stderr) = self.receive_json_status(extra);
        assert_eq!(code, Some(0), "receive failed: {stderr}");
        rows
    }

    /// `receive --json`: its exit status, rows and standard error.
    fn receive_json_status(&self, extra: &[&str]) -> (Option<i32>, Vec<Value>, String) {
        let mut args = vec!["receive", "--json"];
        args.extend_from_slice(extra);
        let out = self.run(&args);
        let rows = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
            .collect();
        (
            out.status.code(),
            rows,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

/// Seals `content` from `from` to `to` and stores it through the library client.
async fn store(net: &Devnet, state: &Path, from: &Identity, to: &SessionId, content: Content) {
    let now = SystemClock.now_ms();
    let mut content = content;
    content.sig_timestamp = Some(now);
    let data = sesh::message::seal_content(from, to, &content, now, &mut OsRng).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD.encode(data);
    let mut c = Client::open(
        net.network(),
        state,
        HttpTransport::new().unwrap(),
        SystemClock,
        OsRng,
    )
    .unwrap();
    tokio::time::timeout(
        Duration::from_secs(60),
        c.store(to, &b64, 10 * 60 * 1000, now),
    )
    .await
    .expect("stores within a minute")
    .unwrap();
}

/// A legacy-encrypted attachment uploaded as `id` on `fs`, and its pointer.
fn upload(fs: &FakeFileServer, id: &str, name: &str, data: &[u8]) -> AttachmentPointer {
    let enc = attachment::encrypt(data, &mut OsRng).unwrap();
    fs.put(id, enc.blob);
    AttachmentPointer {
        deprecated_id: id.parse().unwrap_or(0),
        content_type: Some("text/plain".into()),
        key: Some(enc.key.to_vec()),
        size: Some(u32::try_from(data.len()).unwrap()),
        digest: Some(enc.digest.to_vec()),
        file_name: Some(name.into()),
        url: Some(format!("{}/file/{id}", fs.url)),
        ..AttachmentPointer::default()
    }
}

fn with_attachments(text: &str, attachments: Vec<AttachmentPointer>) -> Content {
    Content {
        data_message: Some(DataMessage {
            body: Some(text.into()),
            attachments,
            ..DataMessage::default()
        }),
        ..Content::default()
    }
}

/// Every file under `dir`, relative to it.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_names_tampered_blobs_and_failed_downloads() {
    let (net, dir) = devnet(6, 3).await;
    let d = dir.path();
    let fs = FakeFileServer::start().await;
    let bob = Cli::new(d, "bob", fs.network_file(&net, d));
    let alice = identity(1);
    let save = d.join("saved");
    let save_arg = save.to_str().unwrap();

    let mut pointers = vec![
        upload(&fs, "101", "../../x", b"one"),
        upload(&fs, "102", "/etc/passwd", b"two"),
        upload(&fs, "103", "a\u{1b}[31mb\nc.txt", b"three"),
        upload(&fs, "104", "x", b"four"),
    ];
    // A blob altered on the server: the MAC fails.
    let mut mac = upload(&fs, "105", "mac.bin", b"five");
    fs.files.lock().unwrap().get_mut("105").unwrap()[20] ^= 1;
    mac.file_name = Some("mac.bin".into());
    pointers.push(mac);
    // A pointer whose digest is not the blob's.
    let mut digest = upload(&fs, "106", "digest.bin", b"six");
    digest.digest.as_mut().unwrap()[0] ^= 1;
    pointers.push(digest);
    // The server is busy (503): fails now, saved by the next run.
    let later = upload(&fs, "107", "later.txt", b"seven");
    fs.busy.lock().unwrap().insert("107".into());
    pointers.push(later);
    // As session-python writes it: the mainnet URL whatever server it used, and the id.
    let mut python = upload(&fs, "108", "python.txt", b"eight");
    python.url = Some("http://filev2.getsession.org/file/108".into());
    pointers.push(python);
    // An old pointer: no URL, only the id.
    let mut old = upload(&fs, "109", "old.txt", b"nine");
    old.url = None;
    pointers.push(old);
    // Another host, named with its own key: never contacted; the id is asked for on the
    // network's file server, and the MAC and digest say it is the file.
    let mut elsewhere = upload(&fs, "110", "elsewhere.txt", b"ten");
    elsewhere.url = Some(format!(
        "http://127.0.0.3:9/file/110#p={}&future=1",
        identity(201).ed25519_pub()
    ));
    pointers.push(elsewhere);
    // Not on the server: given up at once (404), not kept to try again.
    let mut missing = upload(&fs, "111", "missing.txt", b"eleven");
    fs.files.lock().unwrap().remove("111");
    missing.file_name = Some("missing.txt".into());
    pointers.push(missing);
    // Named like the sender's avatar: saved under another name.
    pointers.push(upload(&fs, "112", "Avatar.PNG", b"twelve"));
    store(
        &net,
        &d.join("alice-state"),
        &alice,
        &bob.id,
        with_attachments("files", pointers),
    )
    .await;
    store(
        &net,
        &d.join("alice-state"),
        &alice,
        &bob.id,
        with_attachments("after", Vec::new()),
    )
    .await;

    // --save-attachments refused up front when it cannot work: exit 2, nothing fetched.
    std::fs::write(d.join("a-file"), b"x").unwrap();
    let (code, rows, stderr) =
        bob.receive_json_status(&["--save-attachments", d.join("a-file").to_str().unwrap()]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(rows.is_empty());
    assert!(
        stderr.contains("is not a directory") && stderr.contains("hint:"),
        "{stderr}"
    );
    let bare = d.join("no-file-server.toml");
    let text = std::fs::read_to_string(&bob.network).unwrap();
    std::fs::write(&bare, &text[..text.find("\n[file_server]").unwrap()]).unwrap();
    let bare_bob = Cli {
        network: bare,
        ..Cli::new(d, "bob2", bob.network.clone())
    };
    let (code, _, stderr) = bare_bob.receive_json_status(&["--save-attachments", save_arg]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("no file server") && stderr.contains("hint:"),
        "{stderr}"
    );

    // The message with files is printed once they are saved, after the plain one. Files not
    // saved make the exit status 4, with a tally on standard error.
    let (code, rows, stderr) = bob.receive_json_status(&["--save-attachments", save_arg]);
    assert_eq!(code, Some(4), "{stderr}");
    assert!(
        stderr.contains("sesh: error: 4 attachment(s) could not be saved\nhint: "),
        "{stderr}"
    );
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0]["text"], "after");
    assert!(rows[0].get("attachments").is_none());
    let row = &rows[1];
    assert_eq!(row["type"], "message");
    assert_eq!(row["text"], "files");
    let atts = row["attachments"].as_array().unwrap();
    assert_eq!(atts.len(), 12);
    assert_eq!(atts[0]["file_name"], "../../x");
    assert_eq!(atts[0]["content_type"], "text/plain");
    assert_eq!(atts[0]["size"], 3);
    assert_eq!(atts[0]["url"], format!("{}/file/101", fs.url));
    let sender_dir = save.join(alice.session_id().to_string());
    let path = |i: usize| {
        PathBuf::from(
            atts[i]["path"]
                .as_str()
                .unwrap_or_else(|| panic!("{:?}", atts[i])),
        )
    };
    assert_eq!(path(0), sender_dir.join("x"));
    assert_eq!(path(1), sender_dir.join("passwd"));
    assert_eq!(path(2), sender_dir.join("a[31mbc.txt"));
    assert_eq!(path(3), sender_dir.join("x (1)"), "never overwritten");
    assert_eq!(std::fs::read(path(0)).unwrap(), b"one");
    assert_eq!(std::fs::read(path(3)).unwrap(), b"four");
    assert!(
        atts[4]["error"].as_str().unwrap().contains("MAC"),
        "{:?}",
        atts[4]
    );
    assert!(
        atts[5]["error"].as_str().unwrap().contains("digest"),
        "{:?}",
        atts[5]
    );
    assert!(atts[4].get("path").is_none() && atts[5].get("path").is_none());
    let err = atts[6]["error"].as_str().unwrap();
    assert!(err.contains("503") && err.contains("tries again"), "{err}");
    assert_eq!(std::fs::read(path(7)).unwrap(), b"eight");
    assert_eq!(std::fs::read(path(8)).unwrap(), b"nine");
    assert_eq!(std::fs::read(path(9)).unwrap(), b"ten");
    let err = atts[10]["error"].as_str().unwrap();
    assert!(err.contains("404") && !err.contains("tries again"), "{err}");
    assert_eq!(path(11), sender_dir.join("Avatar (attachment).PNG"));
    // Nothing outside DIR/<sender>/, nothing half-written, private files.
    let alice_dir = PathBuf::from(alice.session_id().to_string());
    let names: Vec<PathBuf> = [
        "Avatar (attachment).PNG",
        "a[31mbc.txt",
        "elsewhere.txt",
        "old.txt",
        "passwd",
        "python.txt",
        "x",
        "x (1)",
    ]
    .iter()
    .map(|n| alice_dir.join(n))
    .collect();
    assert_eq!(files_under(&save), names);
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(path(0)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // The next run delivers no message again, and saves the late file now there.
    fs.busy.lock().unwrap().clear();
    let rows = bob.receive_json(&["--save-attachments", save_arg]);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["type"], "attachment");
    assert_eq!(rows[0]["from"], alice.session_id().to_string());
    assert_eq!(rows[0]["hash"], row["hash"]);
    assert_eq!(rows[0]["file_name"], "later.txt");
    let later_path = PathBuf::from(rows[0]["path"].as_str().unwrap());
    assert_eq!(later_path, sender_dir.join("later.txt"));
    assert_eq!(std::fs::read(&later_path).unwrap(), b"seven");
    // Saved once: a third run has nothing to do. The tampered ones were not kept.
    assert!(
        bob.receive_json(&["--save-attachments", save_arg])
            .is_empty()
    );

    // Every download went through an exit node (onion v4), none straight to the server.
    let proxied: usize = net
        .nodes()
        .iter()
        .map(|n| {
            std::fs::read_to_string(n.log_file())
                .unwrap_or_default()
                .lines()
                .filter(|l| l.contains("onion_req proxy 200") && l.contains(&fs.url))
                .count()
        })
        .sum();
    assert_eq!(proxied, 13, "12 downloads, then the late one again");
    // The host a pointer named was never asked, not even through an exit.
    for n in net.nodes() {
        let log = std::fs::read_to_string(n.log_file()).unwrap_or_default();
        assert!(!log.contains("127.0.0.3"), "{log}");
    }

    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn avatars_are_saved_when_they_change_and_sync_copies_are_sent_rows() {
    let (net, dir) = devnet(6, 3).await;
    let d = dir.path();
    let fs = FakeFileServer::start().await;
    let network = fs.network_file(&net, d);
    let bob = Cli::new(d, "bob", network.clone());
    let alice = identity(1);
    let alice_state = d.join("alice-state");
    let save = d.join("saved");
    let save_arg = save.to_str().unwrap();

    let key = [7u8; 32];
    let png = b"\x89PNG\r\n\x1a\nnot really a picture".to_vec();
    fs.put("300", encrypt_profile_picture(&png, &key, &mut OsRng));
    let with_avatar = |text: &str| Content {
        data_message: Some(DataMessage {
            body: Some(text.into()),
            profile_key: Some(key.to_vec()),
            profile: Some(LokiProfile {
                display_name: Some("Alice".into()),
                profile_picture: Some(format!("{}/file/300", fs.url)),
                ..LokiProfile::default()
            }),
            ..DataMessage::default()
        }),
        ..Content::default()
    };
    store(&net, &alice_state, &alice, &bob.id, with_avatar("one")).await;
    let rows = bob.receive_json(&["--save-attachments", save_arg]);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["display_name"], "Alice");
    let avatar = save.join(alice.session_id().to_string()).join("avatar.png");
    assert_eq!(rows[0]["avatar"], avatar.to_str().unwrap());
    assert_eq!(std::fs::read(&avatar).unwrap(), png);
    // The same URL again: not downloaded again.
    store(&net, &alice_state, &alice, &bob.id, with_avatar("two")).await;
    let rows = bob.receive_json(&["--save-attachments", save_arg]);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].get("avatar").is_none(), "{rows:?}");

    // A new avatar (a GIF now) while a saved attachment is named avatar.gif on the sender's
    // side and another file avatar.png sits in the directory: only the avatar file saved
    // before is replaced, nothing else.
    let alice_dir = save.join(alice.session_id().to_string());
    std::fs::write(alice_dir.join("avatar.gif"), b"the user's own file").unwrap();
    let gif = b"GIF89a not really a picture".to_vec();
    fs.put("301", encrypt_profile_picture(&gif, &key, &mut OsRng));
    let mut three = with_avatar("three");
    let data = three.data_message.as_mut().unwrap();
    data.profile.as_mut().unwrap().profile_picture = Some(format!("{}/file/301", fs.url));
    data.attachments = vec![upload(&fs, "302", "avatar.png", b"an attachment")];
    store(&net, &alice_state, &alice, &bob.id, three).await;
    let rows = bob.receive_json(&["--save-attachments", save_arg]);
    assert_eq!(rows.len(), 1, "{rows:?}");
    let att = &rows[0]["attachments"][0];
    assert_eq!(
        att["path"],
        alice_dir.join("avatar (attachment).png").to_str().unwrap()
    );
    let new_avatar = alice_dir.join("avatar (1).gif");
    assert_eq!(rows[0]["avatar"], new_avatar.to_str().unwrap());
    assert_eq!(std::fs::read(&new_avatar).unwrap(), gif);
    assert_eq!(
        std::fs::read(alice_dir.join("avatar.gif")).unwrap(),
        b"the user's own file"
    );
    assert!(!avatar.exists(), "the old avatar is replaced");
    assert_eq!(
        std::fs::read(alice_dir.join("avatar (attachment).png")).unwrap(),
        b"an attachment"
    );

    // A symbolic link as a sender's directory is refused, on the row; and a message with
    // more than 32 attachments has the rest skipped, on the row.
    let carol_id = identity(4);
    let elsewhere = d.join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, save.join(carol_id.session_id().to_string())).unwrap();
    let one = upload(&fs, "303", "one.txt", b"1");
    store(
        &net,
        &alice_state,
        &carol_id,
        &bob.id,
        with_attachments("linked", vec![one.clone()]),
    )
    .await;
    let unusable = AttachmentPointer {
        url: Some(format!("{}/file/304", fs.url)),
        ..AttachmentPointer::default()
    };
    let mut many = vec![unusable; 33];
    many.push(one);
    store(
        &net,
        &alice_state,
        &alice,
        &bob.id,
        with_attachments("many", many),
    )
    .await;
    let (code, rows, stderr) = bob.receive_json_status(&["--save-attachments", save_arg]);
    assert_eq!(code, Some(4), "{stderr}");
    assert!(
        stderr.contains("sesh: error: 35 attachment(s) could not be saved"),
        "{stderr}"
    );
    assert_eq!(rows.len(), 2, "{rows:?}");
    let linked = rows.iter().find(|r| r["text"] == "linked").unwrap();
    let err = linked["attachments"][0]["error"].as_str().unwrap();
    assert!(err.contains("symbolic link"), "{err}");
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
    let many = rows.iter().find(|r| r["text"] == "many").unwrap();
    let atts = many["attachments"].as_array().unwrap();
    assert_eq!(atts.len(), 34);
    for a in &atts[..32] {
        assert!(a["error"].as_str().unwrap().contains("no key"), "{a:?}");
    }
    for a in &atts[32..] {
        assert!(a["error"].as_str().unwrap().contains("skipped"), "{a:?}");
    }

    // Sync copies: Bob's own messages to carol, as another of his devices would store them.
    let bob_identity = sesh::store::read_identity(&bob.key).unwrap();
    let carol = identity(3).session_id();
    let copy = |text: &str| Content {
        data_message: Some(DataMessage {
            body: Some(text.into()),
            sync_target: Some(carol.to_string()),
            ..DataMessage::default()
        }),
        ..Content::default()
    };
    let note = Content {
        data_message: Some(DataMessage {
            body: Some("note to self".into()),
            ..DataMessage::default()
        }),
        ..Content::default()
    };
    store(&net, &alice_state, &bob_identity, &bob.id, copy("skipped")).await;
    store(&net, &alice_state, &bob_identity, &bob.id, note).await;
    // Without --include-sent the copy is not printed, yet delivered: never shown later.
    let rows = bob.receive_json(&[]);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["type"], "message");
    assert_eq!(rows[0]["text"], "note to self");
    store(&net, &alice_state, &bob_identity, &bob.id, copy("shown")).await;
    let rows = bob.receive_json(&["--include-sent"]);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["type"], "sent");
    assert_eq!(rows[0]["to"], carol.to_string());
    assert_eq!(rows[0]["from"], bob.id.to_string());
    assert_eq!(rows[0]["text"], "shown");
    // Text output heads it `to …`.
    store(&net, &alice_state, &bob_identity, &bob.id, copy("as text")).await;
    let out = bob.run(&["receive", "--include-sent"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with(&format!("to {carol} at ")), "{text}");
    assert!(text.ends_with("\n  as text\n"), "{text}");

    net.shutdown().await;
}

/// Uploads `blob` straight to the devnet's file server over HTTP, as session-python does; the
/// id.
async fn upload_direct(net: &Devnet, blob: &[u8]) -> String {
    let addr = net.file_server().addr;
    let mut request = format!(
        "POST /file HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        blob.len()
    )
    .into_bytes();
    request.extend_from_slice(blob);
    let answer = tokio::time::timeout(Duration::from_secs(60), async {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(&request).await.unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).await.unwrap();
        out
    })
    .await
    .expect("the file server answers within a minute");
    let end = answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    assert!(answer.starts_with(b"HTTP/1.1 200"), "{answer:?}");
    let v: Value = serde_json::from_slice(&answer[end + 4..]).unwrap();
    v["id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_on_the_devnets_file_server_are_saved_with_identical_bytes() {
    let (net, dir) = devnet(6, 3).await;
    let d = dir.path();
    let bob = Cli::new(d, "bob", net.network_file());
    let alice = identity(1);
    let save = d.join("saved");

    // Legacy, with the URL session-python writes whatever server it used.
    let report: Vec<u8> = (0..1_500_000u32).map(|i| (i % 251) as u8).collect();
    let enc = attachment::encrypt(&report, &mut OsRng).unwrap();
    let id = upload_direct(&net, &enc.blob).await;
    let legacy = AttachmentPointer {
        deprecated_id: id.parse().unwrap(),
        content_type: Some("application/octet-stream".into()),
        key: Some(enc.key.to_vec()),
        size: Some(1_500_000),
        digest: Some(enc.digest.to_vec()),
        file_name: Some("report.bin".into()),
        url: Some(format!("http://filev2.getsession.org/file/{id}")),
        ..AttachmentPointer::default()
    };
    // Deterministic ("S"), on the devnet's URL with `#d`.
    let photo = b"\x89PNG\r\n\x1a\n a picture".repeat(3000);
    let det = attachment::encrypt_deterministic(&photo, &[9; 32], attachment::Domain::Attachment)
        .unwrap();
    let id = upload_direct(&net, &det.blob).await;
    let deterministic = AttachmentPointer {
        key: Some(det.key.to_vec()),
        size: Some(u32::try_from(photo.len()).unwrap()),
        file_name: Some("photo.png".into()),
        url: Some(format!("{}/file/{id}#d", net.file_server().server.url)),
        ..AttachmentPointer::default()
    };
    store(
        &net,
        &d.join("alice-state"),
        &alice,
        &bob.id,
        with_attachments("two files", vec![legacy, deterministic]),
    )
    .await;

    let rows = bob.receive_json(&["--save-attachments", save.to_str().unwrap()]);
    assert_eq!(rows.len(), 1, "{rows:?}");
    let atts = rows[0]["attachments"].as_array().unwrap();
    let sender_dir = save.join(alice.session_id().to_string());
    assert_eq!(
        atts[0]["path"],
        sender_dir.join("report.bin").to_str().unwrap()
    );
    assert_eq!(
        atts[1]["path"],
        sender_dir.join("photo.png").to_str().unwrap()
    );
    assert_eq!(
        std::fs::read(sender_dir.join("report.bin")).unwrap(),
        report
    );
    assert_eq!(std::fs::read(sender_dir.join("photo.png")).unwrap(), photo);

    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_retries_failed_downloads_while_running() {
    use std::io::BufRead as _;
    let (net, dir) = devnet(6, 3).await;
    let d = dir.path();
    let fs = FakeFileServer::start().await;
    let bob = Cli::new(d, "bob", fs.network_file(&net, d));
    let alice = identity(1);
    let save = d.join("saved");
    let pointer = upload(&fs, "400", "late.txt", b"late");
    fs.busy.lock().unwrap().insert("400".into());
    store(
        &net,
        &d.join("alice-state"),
        &alice,
        &bob.id,
        with_attachments("busy", vec![pointer]),
    )
    .await;

    let mut c = super::support::sesh_command();
    c.args(["receive", "--json", "--follow", "--interval", "200ms"])
        .arg("--save-attachments")
        .arg(&save)
        .arg("-i")
        .arg(&bob.key)
        .env("SESH_NETWORK", &bob.network)
        .env("SESH_STATE_DIR", &bob.state)
        .env_remove("SESH_IDENTITY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let next = || -> Value {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("a row within a minute")
            .unwrap();
        serde_json::from_str(&line).unwrap()
    };
    // The message, its download failed (busy server); then the server recovers and the
    // same process, still following, saves the file.
    let row = next();
    assert_eq!(row["text"], "busy");
    let err = row["attachments"][0]["error"].as_str().unwrap();
    assert!(err.contains("503"), "{err}");
    fs.busy.lock().unwrap().clear();
    let row = loop {
        let row = next();
        assert_eq!(row["type"], "attachment", "{row:?}");
        if row.get("path").is_some() {
            break row;
        }
    };
    let path = PathBuf::from(row["path"].as_str().unwrap());
    assert_eq!(std::fs::read(&path).unwrap(), b"late");

    // Saved in the end: a clean exit on SIGTERM.
    assert!(sesh::devnet::sigterm(child.id()), "SIGTERM was sent");
    let (tx2, rx2) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx2.send(child.wait_with_output());
    });
    let out = rx2
        .recv_timeout(Duration::from_secs(30))
        .expect("receive --follow stops on SIGTERM")
        .unwrap();
    assert!(
        out.status.success(),
        "{:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    net.shutdown().await;
}
