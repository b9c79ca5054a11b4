//! `sesh profile` and the profile every message carries, issue 12 (5).

use serde_json::Value;

use super::devnet::devnet;
use super::send_files::{User, download, files_stored, lines};
use super::support::{COMMAND_LIMIT, output_within};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0";

/// `profile set` checks its input before keeping anything: names, images, sizes; `show`
/// prints what is kept, never the profile key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_is_checked_kept_and_shown() {
    let (net, dir) = devnet(3, 3).await;
    let d = dir.path();
    let alice = User::new(d, "alice", &net);

    let empty = alice.json(&["profile", "show"]);
    assert_eq!(empty[0]["type"], "profile");
    assert_eq!(empty[0]["session_id"], alice.id.as_str());
    assert_eq!(empty[0]["display_name"], Value::Null);
    assert_eq!(empty[0]["updated_at"], Value::Null);

    let bad = |args: &[&str], status: i32, says: &str| {
        let out = alice.run(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(status), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    };
    let text = d.join("notes.txt");
    std::fs::write(&text, "not an image").unwrap();
    let huge = d.join("huge.png");
    let mut big = PNG.to_vec();
    big.resize(10_000_001, 0);
    std::fs::write(&huge, &big).unwrap();
    bad(&["profile", "set"], 2, "required");
    bad(&["profile", "set", "--name", ""], 2, "cannot be empty");
    bad(
        &["profile", "set", "--name", &"x".repeat(101)],
        2,
        "at most 100",
    );
    bad(
        &["profile", "set", "--name", "a\nb"],
        2,
        "control character",
    );
    bad(
        &["profile", "set", "--name", "a\nb"],
        2,
        "hint: give a name of 1 to 100 bytes",
    );
    bad(
        &["profile", "set", "--avatar", text.to_str().unwrap()],
        2,
        "not an image",
    );
    bad(
        &["profile", "set", "--avatar", huge.to_str().unwrap()],
        2,
        "the avatar is 10000001 bytes; at most 5242880",
    );
    let mut cmd = alice.cmd(&["profile", "set", "--avatar", "-"]);
    let piped = output_within(&mut cmd, Some(&big), COMMAND_LIMIT);
    let err = String::from_utf8_lossy(&piped.stderr);
    assert_eq!(piped.status.code(), Some(2), "{err}");
    assert!(
        err.contains("the avatar is more than 5242880 bytes"),
        "{err}"
    );
    bad(
        &["profile", "set", "--avatar", d.to_str().unwrap()],
        2,
        "hint: give a PNG",
    );
    bad(
        &["profile", "set", "--avatar", "missing.png"],
        1,
        "reading the avatar",
    );
    bad(
        &["profile", "set", "--avatar", "missing.png"],
        1,
        "hint: check the path",
    );
    bad(
        &["profile", "set", "--avatar", "x.png", "--no-avatar"],
        2,
        "cannot be used with",
    );
    // Nothing was kept by the refusals.
    assert_eq!(
        alice.json(&["profile", "show"])[0]["display_name"],
        Value::Null
    );

    let png = d.join("face.png");
    std::fs::write(&png, PNG).unwrap();
    let set = alice.json(&[
        "profile",
        "set",
        "--name",
        "Monitor",
        "--avatar",
        png.to_str().unwrap(),
    ]);
    assert_eq!(set[0]["display_name"], "Monitor");
    assert_eq!(set[0]["avatar"]["content_type"], "image/png");
    assert_eq!(set[0]["avatar"]["size"], PNG.len());
    assert_eq!(set[0]["avatar"]["url"], Value::Null);
    let first = set[0]["updated_at"].as_u64().unwrap();
    // A change is newer, even within the same second.
    let renamed = alice.json(&["profile", "set", "--name", "Monitor 2"]);
    assert!(renamed[0]["updated_at"].as_u64().unwrap() > first);
    assert_eq!(renamed[0]["avatar"]["content_type"], "image/png");
    let shown = alice.run(&["profile", "show"]);
    let text = String::from_utf8_lossy(&shown.stdout);
    assert!(text.contains("name: Monitor 2\n"), "{text}");
    assert!(text.contains("avatar: image/png, "), "{text}");
    // From standard input, as '-'.
    let mut cmd = alice.cmd(&["--json", "profile", "set", "--avatar", "-"]);
    let from_stdin = output_within(&mut cmd, Some(b"GIF89a\x01\0\x01\0"), COMMAND_LIMIT);
    assert!(from_stdin.status.success(), "{from_stdin:?}");
    assert_eq!(lines(&from_stdin)[0]["avatar"]["content_type"], "image/gif");
    let removed = alice.json(&["profile", "set", "--no-avatar"]);
    assert_eq!(removed[0]["avatar"], Value::Null);
    assert_eq!(removed[0]["display_name"], "Monitor 2");
    // The profile key is never printed: no 64-hex-character string but the Session ID's.
    let all = lines(&alice.run(&["--json", "profile", "show"]));
    assert_eq!(all[0].as_object().unwrap().len(), 5, "{all:?}");
    net.shutdown().await;
}

/// Every message carries the profile's display name; `send --name` overrides it for one
/// message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_carry_the_profile_name() {
    let (net, dir) = devnet(6, 3).await;
    let d = dir.path();
    let (alice, bob) = (User::new(d, "alice", &net), User::new(d, "bob", &net));
    alice.json(&["profile", "set", "--name", "Monitor"]);
    alice.json(&["send", "-m", "disk 91%", &bob.id]);
    alice.json(&["send", "--name", "Alarm", "-m", "disk 99%", &bob.id]);
    alice.json(&["send", "-m", "disk 80%", &bob.id]);
    alice.json(&["send", "-m", "disk 70%", &bob.id]);
    // A name the profile would refuse is refused here too, before anything is sent.
    for (name, says) in [
        ("a\u{1b}[31mb", "control character"),
        (&*"x".repeat(101), "at most 100"),
    ] {
        let out = alice.run(&["send", "--name", name, "-m", "x", &bob.id]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains(says) && err.contains("hint: give a name"),
            "{err}"
        );
    }
    let got = bob.json(&["receive"]);
    let names: Vec<_> = got
        .iter()
        .map(|m| (m["text"].as_str().unwrap(), m["display_name"].as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("disk 91%", Some("Monitor")),
            ("disk 99%", Some("Alarm")),
            ("disk 80%", Some("Monitor")),
            ("disk 70%", Some("Monitor")),
        ]
    );
    // The copies for alice's other devices carry it too, with the times by which receivers
    // keep the newest name: the override is newer than the profile, and the profile's name
    // after it newer still (so receivers show it again); the same name again is no change.
    let copies = alice.swarm_messages(&net).await;
    assert_eq!(copies.len(), 4);
    assert_eq!(copies[0].1.display_name.as_deref(), Some("Monitor"));
    let mut times: Vec<(u64, u64)> = copies
        .iter()
        .map(|(_, m)| {
            let t = m
                .content
                .data_message
                .as_ref()
                .and_then(|m| m.profile.as_ref())
                .and_then(|p| p.last_profile_update_seconds)
                .unwrap();
            (m.timestamp_ms, t)
        })
        .collect();
    times.sort_unstable();
    let t: Vec<u64> = times.iter().map(|(_, t)| *t).collect();
    assert!(t[1] > t[0] && t[2] > t[1] && t[3] == t[2], "{t:?}");
    net.shutdown().await;
}

/// Issue 12 (5): the avatar is encrypted with the profile key and uploaded by the first send
/// after `profile set --avatar`, once; every message then carries its URL and the key, and a
/// receiver decrypts the image from them. Less than a day before the upload expires, the next
/// send uploads it again, as a newer profile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_avatar_is_uploaded_once_and_again_before_it_expires() {
    let (net, dir) = devnet(6, 3).await;
    let d = dir.path();
    let (alice, bob) = (User::new(d, "alice", &net), User::new(d, "bob", &net));
    let png = d.join("face.png");
    std::fs::write(&png, PNG).unwrap();
    alice.json(&[
        "profile",
        "set",
        "--name",
        "Face",
        "--avatar",
        png.to_str().unwrap(),
    ]);
    let before = files_stored(&net);
    alice.json(&["send", "-m", "one", &bob.id]);
    alice.json(&["send", "-m", "two", &bob.id]);
    assert_eq!(files_stored(&net) - before, 1, "uploaded once");
    let shown = alice.json(&["profile", "show"]);
    let url = shown[0]["avatar"]["url"]
        .as_str()
        .expect("an upload")
        .to_owned();
    let now_ms = sesh::clock::Clock::now_ms(&sesh::clock::SystemClock);
    let expires = shown[0]["avatar"]["expires_at"].as_u64().unwrap();
    assert!(expires > now_ms + 86_400_000, "{expires}");

    let got = bob.swarm_messages(&net).await;
    assert_eq!(got.len(), 2);
    for (_, m) in &got {
        let data = m.content.data_message.as_ref().unwrap();
        let profile = data.profile.as_ref().unwrap();
        assert_eq!(profile.display_name.as_deref(), Some("Face"));
        assert_eq!(profile.profile_picture.as_deref(), Some(url.as_str()));
        let key = data.profile_key.as_deref().expect("the profile key");
        assert_eq!(key.len(), 32);
        let blob = download(&net, &url).await;
        let image = sesh::attachment::decrypt_profile_picture(&blob, key).unwrap();
        assert!(image == PNG, "the avatar decrypts to the image");
    }
    let first_update = got[0]
        .1
        .content
        .data_message
        .as_ref()
        .unwrap()
        .profile
        .as_ref()
        .unwrap()
        .last_profile_update_seconds
        .unwrap();

    // Less than a day left: the next send uploads it again, and says the profile changed.
    let db = alice.state.join(&net.network().name).join("state.sqlite3");
    let soon = i64::try_from(now_ms / 1000).unwrap() + 3_600;
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute("UPDATE profile SET avatar_expires_s = ?1", [soon])
        .unwrap();
    alice.json(&["send", "-m", "three", &bob.id]);
    assert_eq!(files_stored(&net) - before, 2, "uploaded again");
    let again = alice.json(&["profile", "show"]);
    let new_url = again[0]["avatar"]["url"].as_str().unwrap();
    assert_ne!(new_url, url);
    let got = bob.swarm_messages(&net).await;
    let last = got[2].1.content.data_message.as_ref().unwrap();
    let profile = last.profile.as_ref().unwrap();
    assert_eq!(profile.profile_picture.as_deref(), Some(new_url));
    assert!(profile.last_profile_update_seconds.unwrap() > first_update);
    // sesh receive saves the avatar, decrypted.
    let saved = d.join("saved");
    bob.json(&["receive", "--save-attachments", saved.to_str().unwrap()]);
    let avatar = saved.join(&alice.id).join("avatar.png");
    assert_eq!(std::fs::read(&avatar).unwrap(), PNG);
    net.shutdown().await;
}

/// The avatar's URL and key are counted before it is uploaded: a text that fits with the
/// profile's name but not with the avatar too is refused (exit status 2) before anything is
/// uploaded or sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_too_long_with_the_avatar_is_refused_before_the_upload() {
    let (net, dir) = devnet(6, 3).await;
    let d = dir.path();
    let (alice, bob) = (User::new(d, "alice", &net), User::new(d, "bob", &net));
    let png = d.join("face.png");
    std::fs::write(&png, PNG).unwrap();
    let set = alice.json(&[
        "profile",
        "set",
        "--name",
        "Face",
        "--avatar",
        png.to_str().unwrap(),
    ]);
    let updated_s = set[0]["updated_at"].as_u64().unwrap() / 1000;
    // The longest text whose sync copy seals with the name alone.
    let me = alice.identity();
    let to: sesh::SessionId = bob.id.parse().unwrap();
    let fits = |n: usize| {
        let mut out = sesh::message::Outgoing::new("a".repeat(n));
        out.display_name = Some("Face".into());
        out.profile_updated_s = Some(updated_s);
        let copy = out.sync_copy(&to);
        sesh::message::seal(&me, &to, &copy, 1_800_000_000_000, &mut rand_core::OsRng).is_ok()
    };
    let (mut lo, mut hi) = (70_000, 77_000);
    assert!(fits(lo) && !fits(hi));
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if fits(mid) { lo = mid } else { hi = mid }
    }
    let text = "a".repeat(lo);
    let out = alice.run(&["send", "-m", &text, &bob.id]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("the message is too long"), "{err}");
    assert_eq!(files_stored(&net), 0, "the avatar was not uploaded");
    // Without the avatar, the same text is sent.
    alice.json(&["profile", "set", "--no-avatar"]);
    alice.json(&["send", "-m", &text, &bob.id]);
    net.shutdown().await;
}
