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

#[test]
fn delivery_moves_cursor_and_seen_together() {
    let dir = tempfile::tempdir().unwrap();
    let mut st = State::open(dir.path()).unwrap();
    let a = account(1);
    assert_eq!(st.cursor(&a, NS).unwrap(), None);
    assert!(!st.is_seen(&a, NS, "h1").unwrap());
    st.mark_delivered(&a, NS, "h1", 1_000).unwrap();
    assert_eq!(st.cursor(&a, NS).unwrap().as_deref(), Some("h1"));
    assert!(st.is_seen(&a, NS, "h1").unwrap());
    // Per account and namespace.
    assert_eq!(st.cursor(&a, NS2).unwrap(), None);
    assert!(!st.is_seen(&account(2), NS, "h1").unwrap());
    // Delivering again is harmless; the cursor follows the latest call.
    st.mark_delivered(&a, NS, "h2", 2_000).unwrap();
    st.mark_delivered(&a, NS, "h1", 500).unwrap();
    assert_eq!(st.cursor(&a, NS).unwrap().as_deref(), Some("h1"));
    // The later expiry is kept.
    assert_eq!(st.prune_seen(900).unwrap(), 0);
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
            st.mark_delivered(&a, NS, h, 10_000).unwrap();
        }
    }
    let st = State::open(dir.path()).unwrap();
    // The next run asks for messages after m1, and m2 comes again: delivered twice, not lost.
    assert_eq!(st.cursor(&a, NS).unwrap().as_deref(), Some("m1"));
    let again: Vec<&str> = retrieved
        .iter()
        .copied()
        .filter(|h| !st.is_seen(&a, NS, h).unwrap())
        .collect();
    assert_eq!(again, ["m2", "m3"]);
    assert_eq!(written, ["m1", "m2"]);
}

#[test]
fn a_failed_mark_changes_neither_cursor_nor_seen() {
    let dir = tempfile::tempdir().unwrap();
    let mut st = State::open(dir.path()).unwrap();
    let a = account(1);
    st.mark_delivered(&a, NS, "m1", 10_000).unwrap();
    // Another process holds the write lock; don't wait for it.
    let other = Connection::open(dir.path().join(DB_FILE)).unwrap();
    other.execute_batch("BEGIN EXCLUSIVE").unwrap();
    st.conn.busy_timeout(std::time::Duration::ZERO).unwrap();
    let err = st.mark_delivered(&a, NS, "m2", 10_000).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transient, "{err}");
    other.execute_batch("ROLLBACK").unwrap();
    assert_eq!(st.cursor(&a, NS).unwrap().as_deref(), Some("m1"));
    assert!(!st.is_seen(&a, NS, "m2").unwrap());
}

#[test]
fn expired_seen_entries_are_pruned() {
    let dir = tempfile::tempdir().unwrap();
    let mut st = State::open(dir.path()).unwrap();
    let a = account(1);
    st.mark_delivered(&a, NS, "old", 100).unwrap();
    st.mark_delivered(&a, NS, "new", 200).unwrap();
    assert_eq!(st.prune_seen(150).unwrap(), 1);
    assert!(!st.is_seen(&a, NS, "old").unwrap());
    assert!(st.is_seen(&a, NS, "new").unwrap());
    // The cursor is not part of the seen set.
    assert_eq!(st.cursor(&a, NS).unwrap().as_deref(), Some("new"));
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
    assert_eq!(st.swarm(&a).unwrap().unwrap().swarm.members, nodes[1..4]);
    assert_eq!(st.guards().unwrap(), nodes[1..2]);
    assert_eq!(st.strikes(&nodes[0].ed25519).unwrap(), 0);
    assert_eq!(st.paths().unwrap(), paths);
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
