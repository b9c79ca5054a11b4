//! The network file parser (`Network::from_toml`, what `--network FILE` reads) on arbitrary
//! text. It may not panic or hang; a network that parses writes out (`to_toml`) as a file that
//! parses to the same network, and its fingerprint is computable.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sesh::network::Network;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(net) = Network::from_toml(text) {
        let _ = net.fingerprint();
        for n in &net.known_nodes {
            let _ = n.ed25519();
        }
        let again = Network::from_toml(&net.to_toml()).expect("a written network file parses");
        assert_eq!(again, net);
    }
});
