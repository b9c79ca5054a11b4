use std::net::Ipv4Addr;

use super::*;
use crate::identity::X25519Pub;

const NS: Namespace = Namespace::DEFAULT;
const NS2: Namespace = Namespace::USER_PROFILE;

fn account(b: u8) -> SessionId {
    SessionId::from_x25519(X25519Pub([b; 32]))
}

fn node(b: u8, swarm_id: u64) -> Snode {
    Snode {
        ed25519: Ed25519Pub([b; 32]),
        x25519: X25519Pub([b.wrapping_add(100); 32]),
        ip: Ipv4Addr::new(127, 0, b, 1),
        port: 20000 + u16::from(b),
        swarm_id,
        version: b.is_multiple_of(2).then_some([2, 11, u16::from(b)]),
    }
}

const MEMBER: Ed25519Pub = Ed25519Pub([0xee; 32]);

/// The cursor of swarm member [`MEMBER`].
fn cursor(st: &State, a: &SessionId, ns: Namespace) -> Option<String> {
    st.node_cursors(a, ns).unwrap().remove(&MEMBER)
}

fn deliver(st: &mut State, a: &SessionId, ns: Namespace, hash: &str, expires_ms: u64) {
    st.mark_delivered_from(a, ns, &MEMBER, hash, expires_ms)
        .unwrap();
}

#[test]
fn delivery_moves_cursor_and_seen_together() {
    let dir = tempfile::tempdir().unwrap();
    let mut st = State::open(dir.path()).unwrap();
    let a = account(1);
    assert_eq!(cursor(&st, &a, NS), None);
    assert!(!st.is_seen(&a, NS, "h1").unwrap());
    deliver(&mut st, &a, NS, "h1", 1_000);
    assert_eq!(cursor(&st, &a, NS).as_deref(), Some("h1"));
    assert!(st.is_seen(&a, NS, "h1").unwrap());
    // Per account and namespace.
    assert_eq!(cursor(&st, &a, NS2), None);
    assert!(!st.is_seen(&account(2), NS, "h1").unwrap());
    // Delivering again is harmless; the cursor follows the latest call.
    deliver(&mut st, &a, NS, "h2", 2_000);
    deliver(&mut st, &a, NS, "h1", 500);
    assert_eq!(cursor(&st, &a, NS).as_deref(), Some("h1"));
    // The later expiry is kept.
    assert_eq!(st.prune_seen(900).unwrap(), 0);
    // Per member.
    let other = Ed25519Pub([0xdd; 32]);
    st.mark_delivered_from(&a, NS, &other, "h3", 3_000).unwrap();
    let cursors = st.node_cursors(&a, NS).unwrap();
    assert_eq!(cursors.len(), 2);
    assert_eq!(cursors[&other], "h3");
    assert_eq!(cursors[&MEMBER], "h1");
}

#[test]
fn a_crash_before_marking_redelivers_and_never_loses() {
    let dir = tempfile::tempdir().unwrap();
    let a = account(1);
    let retrieved = ["m1", "m2", "m3"];
    let mut written = Vec::new();
    {
        let mut st = State::open(dir.path()).unwrap();
        // Deliver m1 fully; write m2 out but "crash" before marking it.
        for (i, h) in retrieved.iter().enumerate() {
            assert!(!st.is_seen(&a, NS, h).unwrap());
            written.push(*h);
            if i == 1 {
                break;
            }
            deliver(&mut st, &a, NS, h, 10_000);
        }
    }
    let st = State::open(dir.path()).unwrap();
    // The next run asks for messages after m1, and m2 comes again: delivered twice, not lost.
    assert_eq!(cursor(&st, &a, NS).as_deref(), Some("m1"));
    let again: Vec<&str> = retrieved
        .iter()
        .copied()
        .filter(|h| !st.is_seen(&a, NS, h).unwrap())
        .collect();
    assert_eq!(again, ["m2", "m3"]);
    assert_eq!(written, ["m1", "m2"]);
}

/// Another process's exclusive transaction on the state database, which `st` does not wait
/// for: its writes fail at once until the returned connection rolls back.
fn hold_write_lock(dir: &Path, st: &State) -> Connection {
    let other = Connection::open(dir.join(DB_FILE)).unwrap();
    other.execute_batch("BEGIN EXCLUSIVE").unwrap();
    st.conn.busy_timeout(std::time::Duration::ZERO).unwrap();
    other
}

#[test]
fn a_failed_mark_changes_neither_cursor_nor_seen() {
    let dir = tempfile::tempdir().unwrap();
    let mut st = State::open(dir.path()).unwrap();
    let a = account(1);
    deliver(&mut st, &a, NS, "m1", 10_000);
    // Another process holds the write lock; don't wait for it.
    let other = hold_write_lock(dir.path(), &st);
    let err = st
        .mark_delivered_from(&a, NS, &MEMBER, "m2", 10_000)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transient, "{err}");
    other.execute_batch("ROLLBACK").unwrap();
    assert_eq!(cursor(&st, &a, NS).as_deref(), Some("m1"));
    assert!(!st.is_seen(&a, NS, "m2").unwrap());
}

#[test]
fn a_page_is_marked_in_one_batch_as_one_by_one_would() {
    let (one, batch) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (mut st1, mut stb) = (
        State::open(one.path()).unwrap(),
        State::open(batch.path()).unwrap(),
    );
    let a = account(1);
    // A member may name a message differently (its cursor), and may serve one twice.
    let page = [
        Delivered {
            hash: "h1",
            node_hash: "n1",
            expires_ms: 1_000,
        },
        Delivered {
            hash: "h2",
            node_hash: "n2",
            expires_ms: 3_000,
        },
        Delivered {
            hash: "h1",
            node_hash: "n3",
            expires_ms: 500,
        },
        Delivered {
            hash: "h4",
            node_hash: "n4",
            expires_ms: 2_000,
        },
    ];
    for m in &page {
        st1.mark_delivered_as(&a, NS, &MEMBER, m.hash, m.node_hash, m.expires_ms)
            .unwrap();
    }
    assert_eq!(
        stb.seen_among(&a, NS, page.iter().map(|m| m.hash)).unwrap(),
        HashSet::new()
    );
    stb.mark_delivered_batch(&a, NS, &MEMBER, &page).unwrap();
    for st in [&mut st1, &mut stb] {
        assert_eq!(cursor(st, &a, NS).as_deref(), Some("n4"));
        let asked = ["h1", "h2", "h3", "h4", "h5"];
        let seen = st.seen_among(&a, NS, asked).unwrap();
        let want: HashSet<String> = ["h1", "h2", "h4"].map(String::from).into();
        assert_eq!(seen, want);
        for h in asked {
            assert_eq!(st.is_seen(&a, NS, h).unwrap(), want.contains(h), "{h}");
        }
        // Per account and namespace.
        assert!(st.seen_among(&account(2), NS, asked).unwrap().is_empty());
        assert!(st.seen_among(&a, NS2, asked).unwrap().is_empty());
        // The later expiry of h1 is kept: 1 000, not 500.
        assert_eq!(st.prune_seen(999).unwrap(), 0);
        assert_eq!(st.prune_seen(1_001).unwrap(), 1);
        assert!(!st.is_seen(&a, NS, "h1").unwrap());
    }
    // An empty page changes nothing.
    stb.mark_delivered_batch(&a, NS, &MEMBER, &[]).unwrap();
    assert_eq!(cursor(&stb, &a, NS).as_deref(), Some("n4"));
}

#[test]
fn a_failed_batch_marks_nothing_of_the_page() {
    let dir = tempfile::tempdir().unwrap();
    let mut st = State::open(dir.path()).unwrap();
    let a = account(1);
    deliver(&mut st, &a, NS, "m1", 10_000);
    let other = hold_write_lock(dir.path(), &st);
    let page = [
        Delivered {
            hash: "m2",
            node_hash: "m2",
            expires_ms: 10_000,
        },
        Delivered {
            hash: "m3",
            node_hash: "m3",
            expires_ms: 10_000,
        },
    ];
    let err = st.mark_delivered_batch(&a, NS, &MEMBER, &page).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transient, "{err}");
    other.execute_batch("ROLLBACK").unwrap();
    assert_eq!(cursor(&st, &a, NS).as_deref(), Some("m1"));
    assert!(st.seen_among(&a, NS, ["m2", "m3"]).unwrap().is_empty());
}

#[test]
fn expired_seen_entries_are_pruned() {
    let dir = tempfile::tempdir().unwrap();
    let mut st = State::open(dir.path()).unwrap();
    let a = account(1);
    deliver(&mut st, &a, NS, "old", 100);
    deliver(&mut st, &a, NS, "new", 200);
    assert_eq!(st.prune_seen(150).unwrap(), 1);
    assert!(!st.is_seen(&a, NS, "old").unwrap());
    assert!(st.is_seen(&a, NS, "new").unwrap());
    // The cursor is not part of the seen set.
    assert_eq!(cursor(&st, &a, NS).as_deref(), Some("new"));
}

#[test]
fn receive_lock_is_exclusive_per_account() {
    let dir = tempfile::tempdir().unwrap();
    let one = State::open(dir.path()).unwrap();
    let two = State::open(dir.path()).unwrap();
    let a = account(1);
    let held = one.lock_receive(&a).unwrap();
    let err = two.lock_receive(&a).unwrap_err();
    match &err {
        StateError::ReceiveBusy { pid, account, .. } => {
            assert_eq!(*pid, Some(std::process::id()));
            assert_eq!(account, &a.short());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.kind(), ErrorKind::Transient);
    assert!(
        err.to_string()
            .contains(&format!("(pid {})", std::process::id())),
        "{err}"
    );
    // Another account is independent.
    let _b = two.lock_receive(&account(2)).unwrap();
    drop(held);
    let _again = two.lock_receive(&a).unwrap();
}

#[test]
fn network_knowledge_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let mut st = State::open(dir.path()).unwrap();
    assert_eq!(st.pool().unwrap(), None);
    let nodes: Vec<Snode> = (1..=8).map(|b| node(b, u64::from(b % 3) << 62)).collect();
    let mut with_invalid = nodes.clone();
    with_invalid.push(node(9, crate::swarm::INVALID_SWARM_ID));
    st.save_pool(&with_invalid, 1234).unwrap();
    let pool = st.pool().unwrap().unwrap();
    assert_eq!(pool.nodes, with_invalid);
    assert_eq!(pool.fetched_ms, 1234);

    let a = account(7);
    let swarm = Swarm {
        id: u64::MAX - 5,
        members: nodes[..4].to_vec(),
    };
    st.save_swarm(&a, &swarm, 99).unwrap();
    assert_eq!(
        st.swarm(&a).unwrap(),
        Some(CachedSwarm {
            swarm: swarm.clone(),
            fetched_ms: 99
        })
    );
    st.save_guards(&nodes[..2]).unwrap();
    assert_eq!(st.guards().unwrap(), nodes[..2]);
    let paths = vec![
        PathRecord {
            path: OnionPath::new(nodes[0..3].to_vec()).unwrap(),
            failures: 2,
        },
        PathRecord {
            path: OnionPath::new(nodes[3..6].to_vec()).unwrap(),
            failures: 0,
        },
    ];
    st.save_paths(&paths).unwrap();
    assert_eq!(st.paths().unwrap(), paths);
    assert_eq!(st.strike(&nodes[0].ed25519).unwrap(), 1);
    assert_eq!(st.strike(&nodes[0].ed25519).unwrap(), 2);
    assert_eq!(st.strikes(&nodes[0].ed25519).unwrap(), 2);
    assert_eq!(st.clock_offset_ms().unwrap(), None);
    st.save_clock_offset_ms(-4321).unwrap();
    assert_eq!(st.clock_offset_ms().unwrap(), Some(-4321));

    // Dropping a node removes it from the pool, swarms, guards and strikes.
    st.drop_node(&nodes[0].ed25519).unwrap();
    drop(st);
    let st = State::open(dir.path()).unwrap();
    let pool = st.pool().unwrap().unwrap();
    assert!(pool.nodes.iter().all(|n| n.ed25519 != nodes[0].ed25519));
    assert_eq!(pool.nodes.len(), 8);
    // The network still lists it: the list and the pool are different things (issue 9).
    let listed = st.listed_nodes().unwrap().unwrap();
    assert_eq!(listed.nodes, with_invalid);
    assert_eq!(listed.fetched_ms, 1234);
    assert_eq!(st.swarm(&a).unwrap().unwrap().swarm.members, nodes[1..4]);
    assert_eq!(st.guards().unwrap(), nodes[1..2]);
    assert_eq!(st.strikes(&nodes[0].ed25519).unwrap(), 0);
    assert_eq!(st.paths().unwrap(), paths);
    // A fetched pool replaces the list, and nothing is dropped from it any more.
    let mut st = st;
    st.save_pool(&nodes, 5678).unwrap();
    assert_eq!(st.pool().unwrap().unwrap().nodes, nodes);
    assert_eq!(st.listed_nodes().unwrap().unwrap().nodes, nodes);
}

#[test]
fn refuses_a_newer_schema() {
    let dir = tempfile::tempdir().unwrap();
    drop(State::open(dir.path()).unwrap());
    let c = Connection::open(dir.path().join(DB_FILE)).unwrap();
    c.pragma_update(None, "user_version", 99).unwrap();
    drop(c);
    let err = State::open(dir.path()).unwrap_err();
    assert!(
        matches!(err, StateError::NewerSchema { found: 99, .. }),
        "{err:?}"
    );
}

#[cfg(unix)]
#[test]
fn state_directory_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("net");
    drop(State::open(&sub).unwrap());
    let mode = fs::metadata(&sub).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
}

#[cfg(unix)]
fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Issue 10: the database, its -wal and -shm files and the receive lock file are 0600 (the lock
/// file was created 0644 under the usual umask).
#[cfg(unix)]
#[test]
fn state_files_are_private() {
    let dir = tempfile::tempdir().unwrap();
    let mut st = State::open(dir.path()).unwrap();
    deliver(&mut st, &account(1), NS, "h1", 1_000);
    let lock = st.lock_receive(&account(1)).unwrap();
    let db = dir.path().join(DB_FILE);
    let mut names = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let f = PathBuf::from(format!("{}{suffix}", db.display()));
        assert!(f.exists(), "{} missing (WAL is on)", f.display());
        names.push(f);
    }
    names.push(dir.path().join(format!("receive-{}.lock", account(1))));
    for f in &names {
        assert_eq!(mode_of(f), PRIVATE_FILE_MODE, "{}", f.display());
    }
    drop(lock);
    drop(st);
}

/// The database file exists, private, before SQLite opens it: created 0600 whatever the
/// umask allows, never truncated, and an older, wider one is tightened.
#[cfg(unix)]
#[test]
fn the_database_is_created_private_and_never_truncated() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join(DB_FILE);
    create_private(&db).unwrap();
    assert_eq!(mode_of(&db), PRIVATE_FILE_MODE);
    assert_eq!(fs::metadata(&db).unwrap().len(), 0);
    fs::write(&db, b"kept").unwrap();
    fs::set_permissions(&db, fs::Permissions::from_mode(0o644)).unwrap();
    create_private(&db).unwrap();
    assert_eq!(mode_of(&db), PRIVATE_FILE_MODE);
    assert_eq!(fs::read(&db).unwrap(), b"kept");
    // A lock file left wider by an older sesh is tightened when taken.
    let lock = dir.path().join(format!("receive-{}.lock", account(3)));
    fs::write(&lock, b"").unwrap();
    fs::set_permissions(&lock, fs::Permissions::from_mode(0o644)).unwrap();
    fs::remove_file(&db).unwrap();
    let st = State::open(dir.path()).unwrap();
    let _held = st.lock_receive(&account(3)).unwrap();
    assert_eq!(mode_of(&lock), PRIVATE_FILE_MODE);
}

/// Issue 9: cron jobs firing in the same minute open one fresh state at once. Each opener
/// must get a working database (no "table meta already exists", no "database is locked"),
/// and each one's write must land.
#[test]
fn many_open_one_fresh_state_at_once() {
    const OPENERS: usize = 24;
    let dir = tempfile::tempdir().unwrap();
    // A state directory that does not exist yet, nested: its creation races too.
    let state_dir = dir.path().join("state").join("devnet");
    let barrier = std::sync::Barrier::new(OPENERS);
    let results: Vec<Result<(), String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..OPENERS)
            .map(|i| {
                let (barrier, state_dir) = (&barrier, &state_dir);
                s.spawn(move || {
                    barrier.wait();
                    let mut st = State::open(state_dir).map_err(|e| format!("open: {e:?}"))?;
                    let node = Ed25519Pub([u8::try_from(i).unwrap(); 32]);
                    st.mark_delivered_from(&account(1), NS, &node, &format!("h{i}"), 10_000)
                        .map_err(|e| format!("write: {e:?}"))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let failures: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(failures.is_empty(), "{failures:#?}");
    let st = State::open(&state_dir).unwrap();
    assert_eq!(st.node_cursors(&account(1), NS).unwrap().len(), OPENERS);
    assert_eq!(user_version(&st.conn).unwrap(), SCHEMA_VERSION);
    let mode: String = st
        .conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

/// The schema-1 tables as sesh wrote them, with the per-member cursors that late schema-1
/// code added when missing.
const SCHEMA_1: &str = "
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT;
CREATE TABLE pool_node (
    pubkey_ed25519 TEXT PRIMARY KEY, pubkey_x25519 TEXT NOT NULL, public_ip TEXT NOT NULL,
    storage_port INTEGER NOT NULL, swarm_id INTEGER NOT NULL, storage_server_version TEXT,
    position INTEGER NOT NULL) STRICT;
CREATE TABLE swarm (pubkey TEXT PRIMARY KEY, swarm_id INTEGER NOT NULL, members TEXT NOT NULL,
    fetched_ms INTEGER NOT NULL) STRICT;
CREATE TABLE guard (position INTEGER PRIMARY KEY, node TEXT NOT NULL) STRICT;
CREATE TABLE path (position INTEGER PRIMARY KEY, hops TEXT NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0) STRICT;
CREATE TABLE strike (pubkey_ed25519 TEXT PRIMARY KEY, count INTEGER NOT NULL) STRICT;
CREATE TABLE cursor (account TEXT NOT NULL, namespace INTEGER NOT NULL,
    last_hash TEXT NOT NULL, PRIMARY KEY (account, namespace)) STRICT;
CREATE TABLE seen (account TEXT NOT NULL, namespace INTEGER NOT NULL, hash TEXT NOT NULL,
    expires_ms INTEGER NOT NULL, PRIMARY KEY (account, namespace, hash)) STRICT;
CREATE INDEX seen_expiry ON seen (expires_ms);
PRAGMA user_version = 1;
";

const NODE_CURSOR_1: &str = "CREATE TABLE IF NOT EXISTS node_cursor (
    account TEXT NOT NULL, namespace INTEGER NOT NULL, node TEXT NOT NULL,
    last_hash TEXT NOT NULL, PRIMARY KEY (account, namespace, node)) STRICT;";

fn tables(conn: &Connection) -> Vec<String> {
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn schema_1_migrates_keeping_member_cursors_and_seen() {
    let dir = tempfile::tempdir().unwrap();
    let a = account(3);
    let (m1, m2) = (Ed25519Pub([0x11; 32]), Ed25519Pub([0x22; 32]));
    {
        let c = Connection::open(dir.path().join(DB_FILE)).unwrap();
        c.execute_batch(SCHEMA_1).unwrap();
        c.execute_batch(NODE_CURSOR_1).unwrap();
        let acc = a.to_string();
        for (node, hash) in [(m1, "c1"), (m2, "c2")] {
            c.execute(
                "INSERT INTO node_cursor VALUES (?1, ?2, ?3, ?4)",
                params![acc, NS.0, node.to_hex(), hash],
            )
            .unwrap();
        }
        c.execute(
            "INSERT INTO cursor VALUES (?1, ?2, 'c2')",
            params![acc, NS.0],
        )
        .unwrap();
        for (hash, exp) in [("c1", 5_000), ("c2", 6_000)] {
            c.execute(
                "INSERT INTO seen VALUES (?1, ?2, ?3, ?4)",
                params![acc, NS.0, hash, exp],
            )
            .unwrap();
        }
        c.execute("INSERT INTO meta VALUES ('clock_offset_ms', -7)", [])
            .unwrap();
        c.execute("INSERT INTO meta VALUES ('pool_fetched_ms', 42)", [])
            .unwrap();
        for (i, b) in [1u8, 2].into_iter().enumerate() {
            let n = node(b, 5);
            c.execute(
                "INSERT INTO pool_node VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6)",
                params![
                    n.ed25519.to_hex(),
                    n.x25519.to_hex(),
                    n.ip.to_string(),
                    n.port,
                    5,
                    i64::try_from(i).unwrap()
                ],
            )
            .unwrap();
        }
    }
    let mut st = State::open(dir.path()).unwrap();
    assert_eq!(user_version(&st.conn).unwrap(), SCHEMA_VERSION);
    assert!(!tables(&st.conn).contains(&"cursor".to_owned()));
    let cursors = st.node_cursors(&a, NS).unwrap();
    assert_eq!(cursors.len(), 2);
    assert_eq!((cursors[&m1].as_str(), cursors[&m2].as_str()), ("c1", "c2"));
    assert!(st.is_seen(&a, NS, "c1").unwrap() && st.is_seen(&a, NS, "c2").unwrap());
    assert_eq!(st.prune_seen(5_500).unwrap(), 1);
    assert_eq!(st.clock_offset_ms().unwrap(), Some(-7));
    // The cached pool survives, and dropping a node now only marks it.
    let pool_nodes = |p: Option<CachedPool>| -> Vec<Ed25519Pub> {
        p.unwrap().nodes.iter().map(|n| n.ed25519).collect()
    };
    let (k1, k2) = (Ed25519Pub([1; 32]), Ed25519Pub([2; 32]));
    assert_eq!(pool_nodes(st.pool().unwrap()), [k1, k2]);
    st.drop_node(&k1).unwrap();
    assert_eq!(pool_nodes(st.pool().unwrap()), [k2]);
    assert_eq!(pool_nodes(st.listed_nodes().unwrap()), [k1, k2]);
    // Delivering works on the migrated database.
    st.mark_delivered_from(&a, NS, &m1, "c3", 9_000).unwrap();
    assert_eq!(st.node_cursors(&a, NS).unwrap()[&m1], "c3");
    drop(st);
    // Opening again changes nothing.
    let st = State::open(dir.path()).unwrap();
    assert_eq!(st.node_cursors(&a, NS).unwrap().len(), 2);
}

#[test]
fn early_schema_1_without_member_cursors_migrates() {
    let dir = tempfile::tempdir().unwrap();
    let a = account(4);
    {
        let c = Connection::open(dir.path().join(DB_FILE)).unwrap();
        c.execute_batch(SCHEMA_1).unwrap();
        c.execute(
            "INSERT INTO seen VALUES (?1, ?2, 'old', 5000)",
            params![a.to_string(), NS.0],
        )
        .unwrap();
    }
    let mut st = State::open(dir.path()).unwrap();
    let names = tables(&st.conn);
    assert!(names.contains(&"node_cursor".to_owned()), "{names:?}");
    assert!(!names.contains(&"cursor".to_owned()), "{names:?}");
    assert!(st.is_seen(&a, NS, "old").unwrap());
    st.mark_delivered_from(&a, NS, &MEMBER, "new", 9_000)
        .unwrap();
    assert_eq!(cursor(&st, &a, NS).as_deref(), Some("new"));
}

/// A fresh database has exactly the tables of schema 3 (no account-wide cursor).
#[test]
fn a_new_database_has_no_account_cursor() {
    let dir = tempfile::tempdir().unwrap();
    let st = State::open(dir.path()).unwrap();
    assert_eq!(
        tables(&st.conn),
        [
            "guard",
            "meta",
            "node_cursor",
            "path",
            "pool_node",
            "profile",
            "seen",
            "strike",
            "swarm"
        ]
    );
}

/// Issue 9: several `sesh receive` of one account starting at once on a fresh state: whoever
/// comes first creates the lock file and holds it; every other one is told the receive is
/// busy (exit status 3), none fails on the file itself.
#[test]
fn receive_lock_on_a_fresh_state_goes_to_exactly_one() {
    const RECEIVERS: usize = 16;
    let dir = tempfile::tempdir().unwrap();
    let state_dir = dir.path().join("fresh");
    let barrier = std::sync::Barrier::new(RECEIVERS);
    let results: Vec<Result<ReceiveLock, StateError>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..RECEIVERS)
            .map(|_| {
                let (barrier, state_dir) = (&barrier, &state_dir);
                s.spawn(move || {
                    barrier.wait();
                    State::open(state_dir)?.lock_receive(&account(1))
                })
            })
            .collect();
        // The locks taken stay held until every thread is done.
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let held = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(held, 1, "{results:?}");
    for r in &results {
        if let Err(e) = r {
            assert!(matches!(e, StateError::ReceiveBusy { .. }), "{e:?}");
        }
    }
}

/// A schema-1 state opened by many processes at once after an upgrade (cron jobs again):
/// exactly one migrates it (no "duplicate column name: dropped"), every opener works, and
/// nothing of the old state is lost.
#[test]
fn many_open_one_schema_1_state_at_once() {
    const OPENERS: usize = 16;
    let dir = tempfile::tempdir().unwrap();
    let a = account(5);
    {
        let c = Connection::open(dir.path().join(DB_FILE)).unwrap();
        // As schema-1 sesh left it: in WAL mode.
        c.pragma_update(None, "journal_mode", "WAL").unwrap();
        c.execute_batch(SCHEMA_1).unwrap();
        c.execute(
            "INSERT INTO seen VALUES (?1, ?2, 'old', 5000)",
            params![a.to_string(), NS.0],
        )
        .unwrap();
    }
    let barrier = std::sync::Barrier::new(OPENERS);
    let results: Vec<Result<(), String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..OPENERS)
            .map(|i| {
                let barrier = &barrier;
                let path = dir.path();
                let a = &a;
                s.spawn(move || {
                    barrier.wait();
                    let mut st = State::open(path).map_err(|e| format!("open: {e:?}"))?;
                    let node = Ed25519Pub([u8::try_from(i).unwrap(); 32]);
                    st.mark_delivered_from(a, NS, &node, &format!("h{i}"), 10_000)
                        .map_err(|e| format!("write: {e:?}"))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let failures: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(failures.is_empty(), "{failures:#?}");
    let st = State::open(dir.path()).unwrap();
    assert_eq!(user_version(&st.conn).unwrap(), SCHEMA_VERSION);
    assert_eq!(st.node_cursors(&a, NS).unwrap().len(), OPENERS);
    assert!(st.is_seen(&a, NS, "old").unwrap());
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

#[test]
fn a_profile_round_trips_per_account() {
    use crate::profile::{Avatar, AvatarUpload, Profile};
    let dir = tempfile::tempdir().unwrap();
    let mut st = State::open(dir.path()).unwrap();
    let a = account(7);
    assert_eq!(st.profile(&a).unwrap(), None);
    let mut p = Profile::new([9; 32], 1_000);
    p.display_name = Some("bot".into());
    st.save_profile(&a, &p).unwrap();
    assert_eq!(st.profile(&a).unwrap(), Some(p.clone()));
    assert_eq!(st.profile(&account(8)).unwrap(), None);
    // An avatar, then its upload.
    p.avatar = Some(Avatar::new(PNG.to_vec()).unwrap());
    p.updated_s = 2_000;
    st.save_profile(&a, &p).unwrap();
    let up = AvatarUpload::new("http://fs/file/5", 99_000);
    assert!(st.save_avatar_upload(&a, PNG, &up, 3_000).unwrap());
    let got = st.profile(&a).unwrap().unwrap();
    assert_eq!(got.avatar.as_ref().unwrap().upload, Some(up.clone()));
    assert_eq!((got.updated_s, *got.key), (3_000, [9; 32]));
    // An upload of an image that is no longer the avatar is not recorded.
    let mut other = PNG.to_vec();
    other.push(1);
    assert!(!st.save_avatar_upload(&a, &other, &up, 4_000).unwrap());
    assert_eq!(st.profile(&a).unwrap().unwrap().updated_s, 3_000);
    // A damaged key is called corrupt, not used.
    st.conn
        .execute("UPDATE profile SET profile_key = x'01'", [])
        .unwrap();
    assert!(matches!(
        st.profile(&a),
        Err(StateError::Corrupt {
            what: "profile key",
            ..
        })
    ));
}

#[test]
fn schema_2_migrates_to_3_with_a_profile_table() {
    let dir = tempfile::tempdir().unwrap();
    let a = account(5);
    {
        let c = Connection::open(dir.path().join(DB_FILE)).unwrap();
        c.execute_batch(SCHEMA_1).unwrap();
        c.execute_batch(MIGRATE_1_TO_2).unwrap();
        c.pragma_update(None, "user_version", 2).unwrap();
        c.execute(
            "INSERT INTO seen VALUES (?1, ?2, 'kept', 5000)",
            params![a.to_string(), NS.0],
        )
        .unwrap();
    }
    let mut st = State::open(dir.path()).unwrap();
    assert_eq!(user_version(&st.conn).unwrap(), SCHEMA_VERSION);
    assert!(st.is_seen(&a, NS, "kept").unwrap());
    let p = crate::profile::Profile::new([1; 32], 10);
    st.save_profile(&a, &p).unwrap();
    assert_eq!(st.profile(&a).unwrap(), Some(p));
}

/// The WAL is kept when the state closes (no checkpoint, so no fsync at exit, and no new WAL
/// for the next process), and checkpointed into the database and truncated by the first open
/// that finds it over `WAL_TRUNCATE_BYTES`, losing nothing.
#[test]
fn the_wal_outlives_the_state_and_is_truncated_at_open_when_large() {
    let dir = tempfile::tempdir().unwrap();
    let wal = dir.path().join(format!("{DB_FILE}-wal"));
    {
        let mut st = State::open(dir.path()).unwrap();
        st.save_clock_offset_ms(7).unwrap();
    }
    assert!(
        wal.metadata().unwrap().len() > 0,
        "the WAL was checkpointed away"
    );
    {
        let mut st = State::open(dir.path()).unwrap();
        assert_eq!(st.clock_offset_ms().unwrap(), Some(7));
        for i in 0..100 {
            st.save_clock_offset_ms(i).unwrap();
        }
    }
    assert!(wal.metadata().unwrap().len() > WAL_TRUNCATE_BYTES);
    let st = State::open(dir.path()).unwrap();
    assert_eq!(wal.metadata().unwrap().len(), 0);
    assert_eq!(st.clock_offset_ms().unwrap(), Some(99));
}
