//! The local node's request parsing on arbitrary bytes: the storage RPC JSON
//! (`rpc::request::parse`) and onion layers (`onion::peel`, the node's side). Neither may panic
//! or hang; a parsed request reports a method name.

#![no_main]

use libfuzzer_sys::fuzz_target;

/// A fixed node key, so that layers built for it in the seed corpus decrypt.
const NODE_SECRET: [u8; 32] = [
    0x2f, 0x4d, 0x1c, 0x0d, 0x28, 0xe1, 0x37, 0x77, 0x7e, 0xc0, 0xa3, 0x16, 0xe9, 0xf4, 0xf7, 0x63,
    0xe3, 0xe6, 0x66, 0x62, 0xa6, 0xc5, 0x19, 0x94, 0xc6, 0x31, 0x5c, 0x9e, 0xf3, 0x4b, 0x6d, 0xeb,
];

fuzz_target!(|data: &[u8]| {
    if let Ok(req) = sesh::rpc::request::parse(data) {
        assert!(!req.method().is_empty());
        let _ = req.signed_message();
    }
    let _ = sesh::onion::peel(&NODE_SECRET, data);
});
