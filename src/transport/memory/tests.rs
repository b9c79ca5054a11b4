use std::time::SystemTime;

use rand_core::OsRng;

use super::*;
use crate::clock::FixedClock;
use crate::onion::{self, Destination, EncType, HopKeys};
use crate::rpc::request::{Auth, Request, Retrieve, Store};
use crate::rpc::response::{self, JsonRpcReply, RetrieveResponse, ServiceNodes, StoreResponse};
use crate::rpc::{Namespace, auth, message_hash};
use crate::swarm::SnodePool;
use crate::transport::ONION_REQ_PATH;

const T: Duration = Duration::from_secs(10);

fn net() -> (MemoryNetwork, Vec<Snode>, u64) {
    let now = SystemTime::UNIX_EPOCH + Duration::from_millis(1_800_000_000_000);
    let clock: Arc<dyn Clock + Send + Sync> = Arc::new(FixedClock(now));
    let (net, nodes) = MemoryNetwork::devnet(2, 3, 7, Arc::clone(&clock)).unwrap();
    (net, nodes, clock.now_ms())
}

fn addr(n: &Snode) -> SocketAddrV4 {
    SocketAddrV4::new(n.ip, n.port)
}

/// Sends `req` as an onion request through `path` to `dest`; the destination's status and
/// body.
async fn onion_rpc(
    net: &MemoryNetwork,
    path: &[&Snode],
    dest: &Snode,
    req: &Request,
) -> (u16, String) {
    let hops: Vec<HopKeys> = path.iter().map(|n| HopKeys::from(*n)).collect();
    let (body, pending) = onion::build(
        &hops,
        &Destination::Snode(dest.into()),
        &req.to_json(),
        EncType::AesGcm,
        &mut OsRng,
    )
    .unwrap();
    let target = Target::Node {
        addr: addr(path[0]),
        path: ONION_REQ_PATH,
    };
    let reply = net.post(&target, body, T).await.unwrap();
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let opened = pending.open(&reply.body).unwrap();
    (opened.status, opened.body)
}

#[tokio::test]
async fn an_onion_store_replicates_and_a_signed_retrieve_reads_it() {
    let (net, nodes, now) = net();
    let account = Identity::from_seed(Seed::from_bytes([42; 32]));
    let pubkey = account.session_id().to_bytes();
    let pool = SnodePool::new(nodes.clone());
    let swarm = pool.swarm_of(&account.session_id()).unwrap();
    let members: Vec<&Snode> = nodes.iter().filter(|n| n.swarm_id == swarm).collect();
    let others: Vec<&Snode> = nodes.iter().filter(|n| n.swarm_id != swarm).collect();
    assert_eq!((members.len(), others.len()), (3, 3));

    let data = b"hello from memory".to_vec();
    let store = Request::Store(Store {
        pubkey,
        namespace: Namespace::DEFAULT,
        timestamp: now,
        expiry: now + 3_600_000,
        data: data.clone(),
        sig_timestamp: now,
        auth: None,
    });
    let (status, body) = onion_rpc(&net, &[others[0], others[1]], members[0], &store).await;
    assert_eq!(status, 200, "{body}");
    let stored: StoreResponse = response::decode(body.as_bytes()).unwrap();
    let hash = message_hash(&pubkey, Namespace::DEFAULT, &data);
    assert_eq!(stored.hash.as_deref(), Some(hash.as_str()));
    assert_eq!(stored.swarm.len(), 3, "every member answers");
    for (key, entry) in &stored.swarm {
        assert!(entry.is_stored(), "{key}: {entry:?}");
        assert_eq!(entry.hash.as_deref(), Some(hash.as_str()));
    }

    // Another member has the copy that was replicated to it.
    let retrieve = Request::Retrieve(Retrieve {
        pubkey,
        namespace: Namespace::DEFAULT,
        last_hash: None,
        max_count: None,
        max_size: 1_000_000,
        timestamp: Some(now),
        auth: Some(Auth {
            signature: account.sign(&auth::retrieve(Namespace::DEFAULT, now)),
            pubkey_ed25519: Some(account.ed25519_pub().0),
        }),
    });
    let (status, body) = onion_rpc(&net, &[others[2], others[0]], members[2], &retrieve).await;
    assert_eq!(status, 200, "{body}");
    let got: RetrieveResponse = response::decode(body.as_bytes()).unwrap();
    assert_eq!(got.messages.len(), 1);
    assert_eq!(got.messages[0].hash, hash);
    assert_eq!(got.messages[0].data_bytes().unwrap(), data);
    assert_eq!(got.t, Some(now));

    // Unsigned, the same retrieve is refused by the node's own rule.
    let Request::Retrieve(mut unsigned) = retrieve else {
        unreachable!()
    };
    unsigned.auth = None;
    let (status, body) = onion_rpc(
        &net,
        &[others[2], others[0]],
        members[1],
        &Request::Retrieve(unsigned),
    )
    .await;
    assert_eq!(
        (status, body.as_str()),
        (401, "retrieve: request signature required")
    );
}

#[tokio::test]
async fn a_hop_to_a_down_node_is_a_plaintext_path_error() {
    let (net, nodes, now) = net();
    let account = Identity::from_seed(Seed::from_bytes([43; 32]));
    let info = Request::GetSwarm {
        pubkey: account.session_id().to_bytes(),
    };
    let _ = now;
    net.set_down(addr(&nodes[1]), true);
    let hops = [HopKeys::from(&nodes[0]), HopKeys::from(&nodes[1])];
    let (body, _pending) = onion::build(
        &hops,
        &Destination::Snode((&nodes[2]).into()),
        &info.to_json(),
        EncType::AesGcm,
        &mut OsRng,
    )
    .unwrap();
    let target = Target::Node {
        addr: addr(&nodes[0]),
        path: ONION_REQ_PATH,
    };
    let reply = net.post(&target, body, T).await.unwrap();
    assert_eq!(
        crate::rpc::status::of_path_reply(reply.status, &reply.body),
        crate::rpc::status::Outcome::NextNodeUnreachable(nodes[1].ed25519)
    );
}

#[tokio::test]
async fn the_seed_lists_the_nodes() {
    let (net, nodes, _) = net();
    let call = crate::rpc::request::JsonRpcCall::get_n_service_nodes(&[
        "public_ip",
        "storage_port",
        "pubkey_ed25519",
        "pubkey_x25519",
        "swarm_id",
    ]);
    let reply = net
        .post(
            &Target::Seed(MemoryNetwork::seed()),
            serde_json::to_vec(&call).unwrap(),
            T,
        )
        .await
        .unwrap();
    let answer: JsonRpcReply<ServiceNodes> = response::decode(&reply.body).unwrap();
    let (listed, dropped) = answer.result.unwrap().usable();
    assert_eq!((listed, dropped), (nodes, 0));
    let err = net
        .post(
            &Target::Node {
                addr: SocketAddrV4::new(Ipv4Addr::new(127, 9, 9, 9), 1),
                path: ONION_REQ_PATH,
            },
            Vec::new(),
            T,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, TransportError::Connect { .. }), "{err:?}");
}

/// Answers every request with a fixed plaintext, as a lying node might.
struct Liar(&'static str);

impl Service for Liar {
    fn admit(&self, _method: &str, _path: &str) -> Admit {
        Admit::Read
    }

    fn handle(
        &self,
        _request: crate::node::http::Request,
    ) -> crate::node::BoxFuture<'_, crate::node::Response> {
        Box::pin(async move { crate::node::Response::text(502, self.0) })
    }
}

#[tokio::test]
async fn a_node_can_be_replaced_by_a_double() {
    let (net, nodes, _) = net();
    let old = net.set_service(addr(&nodes[0]), Arc::new(Liar("Next node not found: nope")));
    assert!(old.is_some());
    let reply = net
        .post(
            &Target::Node {
                addr: addr(&nodes[0]),
                path: ONION_REQ_PATH,
            },
            b"x".to_vec(),
            T,
        )
        .await
        .unwrap();
    assert_eq!(
        (reply.status, &reply.body[..]),
        (502, &b"Next node not found: nope"[..])
    );
    let distinct: HashSet<[u8; 3]> = nodes.iter().map(Snode::subnet24).collect();
    assert_eq!(distinct.len(), nodes.len(), "every node in its own /24");
}

#[tokio::test]
async fn a_signed_delete_all_reaches_every_member() {
    let (net, nodes, now) = net();
    let account = Identity::from_seed(Seed::from_bytes([44; 32]));
    let pubkey = account.session_id().to_bytes();
    let swarm = SnodePool::new(nodes.clone())
        .swarm_of(&account.session_id())
        .unwrap();
    let members: Vec<&Snode> = nodes.iter().filter(|n| n.swarm_id == swarm).collect();
    let net = &net;
    let post = |to: &Snode, req: &Request| {
        let target = Target::Node {
            addr: addr(to),
            path: crate::transport::STORAGE_RPC_PATH,
        };
        let body = req.to_json();
        async move { net.post(&target, body, T).await }
    };
    for i in 0..2u8 {
        let store = Request::Store(Store {
            pubkey,
            namespace: Namespace::DEFAULT,
            timestamp: now,
            expiry: now + 3_600_000,
            data: vec![i; 10],
            sig_timestamp: now,
            auth: None,
        });
        assert_eq!(post(members[0], &store).await.unwrap().status, 200);
    }
    let all = crate::rpc::request::Namespaces::All;
    let delete = Request::DeleteAll {
        pubkey,
        namespace: all,
        timestamp: now,
        auth: Auth {
            signature: account.sign(&auth::delete_all(all, now)),
            pubkey_ed25519: Some(account.ed25519_pub().0),
        },
    };
    let reply = post(members[1], &delete).await.unwrap();
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let answer: StoreResponse = response::decode(&reply.body).unwrap();
    assert_eq!(answer.swarm.len(), 3);
    for (key, entry) in &answer.swarm {
        let Some(response::Deleted::ByNamespace(by_ns)) = &entry.deleted else {
            panic!("{key}: {entry:?}");
        };
        assert_eq!(by_ns["0"].len(), 2, "{key}: {entry:?}");
        assert!(
            !entry.bad_peer_response && !entry.failed,
            "{key}: {entry:?}"
        );
    }
}

#[tokio::test]
async fn requests_are_logged_and_doubles_can_wrap_the_real_services() {
    let clock: Arc<dyn Clock + Send + Sync> = Arc::new(FixedClock::from_ms(1_800_000_000_000));
    let (net, nodes) = MemoryNetwork::devnet_on_port(2, 3, 7, 23000, clock).unwrap();
    assert!(nodes.iter().all(|n| n.port == 23000));
    // The keys a double needs to open what is sent to its node are the node's.
    let identity = net.identity(addr(&nodes[0])).unwrap();
    assert_eq!(identity.x25519_pub(), nodes[0].x25519);
    assert_eq!(identity.ed25519_pub(), nodes[0].ed25519);
    assert!(
        net.identity(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 9))
            .is_none()
    );

    // An onion request through nodes[0] to nodes[1]: the client's request and the hop's.
    let account = Identity::from_seed(Seed::from_bytes([45; 32]));
    let info = Request::GetSwarm {
        pubkey: account.session_id().to_bytes(),
    };
    let (status, _) = onion_rpc(&net, &[&nodes[0]], &nodes[1], &info).await;
    assert_eq!(status, 200);
    let onion = |a: &Snode| Target::Node {
        addr: addr(a),
        path: ONION_REQ_PATH,
    };
    assert_eq!(
        net.requests(),
        [
            Logged {
                target: onion(&nodes[1]),
                from_node: true,
                method: None,
                status: Some(200),
            },
            Logged {
                target: onion(&nodes[0]),
                from_node: false,
                method: None,
                status: Some(200),
            },
        ]
    );

    // The seed can be wrapped too; a refused request is logged without a status.
    let real = net.seed_service(SEED_URL).unwrap();
    let old = net.set_seed_service(SEED_URL, Arc::new(Liar("seed says no")));
    assert!(old.is_some_and(|o| Arc::ptr_eq(&o, &real)));
    let seed = Target::Seed(MemoryNetwork::seed());
    let reply = net
        .post(&seed, br#"{"method":"get_n_service_nodes"}"#.to_vec(), T)
        .await
        .unwrap();
    assert_eq!(reply.status, 502);
    net.set_down(addr(&nodes[2]), true);
    let refused = onion(&nodes[2]);
    assert!(net.post(&refused, Vec::new(), T).await.is_err());
    let log = net.requests();
    assert_eq!(
        log[2..],
        [
            Logged {
                target: seed,
                from_node: false,
                method: Some("get_n_service_nodes".into()),
                status: Some(502),
            },
            Logged {
                target: refused,
                from_node: false,
                method: None,
                status: None,
            },
        ]
    );
    assert!(net.service(addr(&nodes[0])).is_some());
    assert!(
        net.service(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 9))
            .is_none()
    );
}
