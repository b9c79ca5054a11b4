//! The client's storage RPC answer decoders on arbitrary bytes (`rpc::response::decode` for
//! every answer type, then the conversions a client makes: swarm members and node lists into
//! `Snode`s, message data from base64). None may panic or hang; whatever decodes re-encodes
//! and decodes to the same value.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sesh::rpc::response::{
    self, BatchResponse, InfoResponse, JsonRpcReply, RetrieveResponse, ServiceNodes,
    StoreResponse, SwarmResponse,
};

fn round_trip<T>(v: &T)
where
    T: response::Answer + serde::Serialize + PartialEq + std::fmt::Debug,
{
    let bytes = serde_json::to_vec(v).expect("an answer serializes");
    let back: T = response::decode(&bytes).expect("an encoded answer decodes");
    assert_eq!(&back, v);
}

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = response::decode::<RetrieveResponse>(data) {
        for m in &r.messages {
            let _ = m.data_bytes();
        }
        round_trip(&r);
    }
    if let Ok(r) = response::decode::<StoreResponse>(data) {
        round_trip(&r);
    }
    if let Ok(r) = response::decode::<SwarmResponse>(data) {
        let _ = r.to_swarm();
        round_trip(&r);
    }
    if let Ok(r) = response::decode::<InfoResponse>(data) {
        round_trip(&r);
    }
    if let Ok(r) = response::decode::<JsonRpcReply<ServiceNodes>>(data) {
        if let Some(n) = &r.result {
            let _ = n.usable();
        }
    }
    let _ = response::decode::<BatchResponse<RetrieveResponse>>(data);
});
