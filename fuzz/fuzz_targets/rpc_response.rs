//! The client's storage RPC answer decoders on arbitrary bytes: `rpc::response::decode` for
//! every answer type of the codec (retrieve, store and the swarm entry of every recursive
//! request, get_swarm, info, the node time, a seed's get_n_service_nodes, an oxend_request,
//! and batch/sequence of each), then the conversions a client makes (swarm members and node
//! lists into `Snode`s, message data from base64), and the classification of a path reply
//! (`rpc::status::of_path_reply`). None may panic or hang; whatever decodes re-encodes and
//! decodes to the same value.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sesh::rpc::response::{
    self, BatchResponse, InfoResponse, JsonRpcReply, NodeTime, OxendResponse, RetrieveResponse,
    ServiceNodes, StoreEntry, StoreResponse, SubBody, SwarmResponse,
};

fn round_trip<T>(v: &T)
where
    T: response::Answer + serde::Serialize + PartialEq + std::fmt::Debug,
{
    let bytes = serde_json::to_vec(v).expect("an answer serializes");
    let back: T = response::decode(&bytes).expect("an encoded answer decodes");
    assert_eq!(&back, v);
}

/// Decodes as `T` and as a batch of `T`, round-tripping both; returns the single answer.
fn both<T>(data: &[u8]) -> Option<T>
where
    T: response::Answer + serde::Serialize + PartialEq + std::fmt::Debug,
{
    if let Ok(b) = response::decode::<BatchResponse<T>>(data) {
        round_trip(&b);
        for r in &b.results {
            if let SubBody::Ok(body) = &r.body {
                round_trip(body);
            }
        }
    }
    let r = response::decode::<T>(data).ok()?;
    round_trip(&r);
    Some(r)
}

fn retrieved(r: &RetrieveResponse) {
    for m in &r.messages {
        let _ = m.data_bytes();
    }
}

fuzz_target!(|data: &[u8]| {
    if let Some(r) = both::<RetrieveResponse>(data) {
        retrieved(&r);
        let _ = r.misc();
    }
    if let Some(r) = both::<StoreResponse>(data) {
        let _ = r.misc();
        for e in r.swarm.values() {
            let _ = e.is_stored();
        }
    }
    if let Some(e) = both::<StoreEntry>(data) {
        let _ = e.is_stored();
    }
    if let Some(r) = both::<SwarmResponse>(data) {
        let _ = r.swarm_id();
        let _ = r.to_swarm();
        for m in &r.snodes {
            let _ = m.to_snode(1);
        }
    }
    let _ = both::<InfoResponse>(data);
    let _ = both::<NodeTime>(data);
    if let Ok(r) = response::decode::<JsonRpcReply<ServiceNodes>>(data) {
        if let Some(n) = &r.result {
            let _ = n.usable();
        }
        round_trip(&r);
    }
    if let Ok(r) = response::decode::<OxendResponse<ServiceNodes>>(data) {
        let _ = r.result.usable();
        round_trip(&r);
    }
    for status in [200, 400, 406, 421, 502, 503] {
        let _ = sesh::rpc::status::of_path_reply(status, data);
    }
});
