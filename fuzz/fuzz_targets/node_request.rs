//! The local node's request parsing on arbitrary bytes: the storage RPC JSON
//! (`rpc::request::parse`, every method, batch and sequence included; then the string its
//! signature covers and its re-encoding), a seed's JSON-RPC call (`JsonRpcCall::parse`), and
//! onion layers (`onion::peel`, the node's side; `onion_layer` goes past the crypto). Nothing
//! may panic or hang; a parsed request reports a method name, and what parses re-encodes
//! (`to_json`, what the client sends) to a body that parses to the same request.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sesh::rpc::request::{self, JsonRpcCall};

/// A fixed node key, so that layers built for it in the seed corpus decrypt.
const NODE_SECRET: [u8; 32] = [
    0x2f, 0x4d, 0x1c, 0x0d, 0x28, 0xe1, 0x37, 0x77, 0x7e, 0xc0, 0xa3, 0x16, 0xe9, 0xf4, 0xf7, 0x63,
    0xe3, 0xe6, 0x66, 0x62, 0xa6, 0xc5, 0x19, 0x94, 0xc6, 0x31, 0x5c, 0x9e, 0xf3, 0x4b, 0x6d, 0xeb,
];

fuzz_target!(|data: &[u8]| {
    if let Ok(req) = request::parse(data) {
        assert!(!req.method().is_empty());
        let _ = req.pubkey();
        let _ = req.is_recursive();
        let _ = req.signed_message();
        let body = req.to_json();
        let again = request::parse(&body)
            .unwrap_or_else(|e| panic!("re-encoded {body:?} does not parse: {e:?}"));
        assert_eq!(again, req);
    }
    let _ = JsonRpcCall::parse(data);
    let _ = sesh::onion::peel(&sesh::onion::NodeKeys::new(&NODE_SECRET), data);
});
