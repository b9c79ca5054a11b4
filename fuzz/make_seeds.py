#!/usr/bin/env python3
"""Writes the seed corpora of the targets added in issue 10 (phrase, keyfile, network_file,
onion_layer, onion_reply) and extra seeds for rpc_response and node_request, from the shared
vectors (tests/vectors/vectors.json, a copy of /work/shared/vectors). Rerunnable; the output
is committed under seeds/<target>/."""

import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = json.load(open(os.path.join(HERE, "..", "tests", "vectors", "vectors.json")))


def put(target, name, data):
    d = os.path.join(HERE, "seeds", target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# phrase: Session phrases (full words, prefixes, bad ones) and BIP39 phrases.
for i, c in enumerate(VECTORS["identity"][:4]):
    put("phrase", f"identity-{i}.txt", c["mnemonic"] + "\n")
for i, c in enumerate(VECTORS["mnemonic_decode"]):
    put("phrase", f"mnemonic_decode-{i}.txt", c["phrase"])
put("phrase", "bip39-zero.txt", "abandon " * 11 + "about")
put("phrase", "bip39-ones.txt", "zoo " * 11 + "wrong")

# keyfile: the format keyfile::encode writes, with and without the session id comment, and
# 16- and 32-byte seeds.
for i, c in enumerate(VECTORS["identity"][:3]):
    sid = c.get("session_id") or ("05" + c["x25519_pk_hex"])
    put("keyfile", f"identity-{i}.key",
        "# sesh identity: keep this file secret\n# created: 2026-11-26T07:50:00Z\n"
        f"# session id: {sid}\nSESH-SECRET-SEED-HEX-{c['ed25519_seed_hex']}\n")
    put("keyfile", f"legacy-{i}.key", f"SESH-SECRET-SEED-HEX-{c['seed_hex']}\n")

# network_file: a devnet-like file, a pinned HTTPS seed and known nodes.
put("network_file", "devnet.toml",
    'name = "devnet"\nsubnet_diversity = false\n\n[[seed]]\nurl = "http://127.0.0.1:22100/json_rpc"\n')
put("network_file", "pinned.toml",
    'name = "mainnet"\n\n[[seed]]\nurl = "https://seed1.getsession.org:4443/json_rpc"\n'
    'cert_sha256 = "36ea0b253537988551ee856e4fd20d55011e9c8b27eaa2f34b8f32a0bdf04f2d"\n\n'
    '[[node]]\npublic_ip = "127.0.0.1"\nstorage_port = 22101\n'
    'pubkey_ed25519 = "9946c2429016ae0834a13e078a60e1a5be5934673f3b3fcb9ffabd1002668601"\n')

# onion_layer: a selector byte (bit 0: XChaCha20, bit 1: hop_no 3), then the plaintext of a
# layer: a relay instruction, a final request, a proxy request.
inner = VECTORS["onion"]["requests"][0]["inner_payload"].encode()
relay = json.dumps({"destination": "57f0a7a9e336d23314e7e757f2061c2836b8d295b94a80508ad3d380b0973951",
                    "ephemeral_key": "424a2165fc1dc77a6fd3e3bf1734354692219b4c0f8a35fb966d8f9bfed80944",
                    "enc_type": "xchacha20"}).encode()
put("onion_layer", "relay.bin", b"\x01" + struct.pack("<I", 40) + bytes(40) + relay)
put("onion_layer", "final.bin", b"\x00" + struct.pack("<I", len(inner)) + inner + b'{"headers":""}')
put("onion_layer", "final-nobase64.bin", b"\x03" + struct.pack("<I", len(inner)) + inner
    + b'{"headers":{},"base64":false}')
put("onion_layer", "proxy.bin", b"\x01" + b'{"host":"open.getsession.org","target":"/room/x",'
    b'"method":"GET","protocol":"https","port":443}')
for i, l in enumerate(VECTORS["onion"]["requests"][0]["layers"]):
    rj = json.dumps(l["routing_json"]).encode()
    put("onion_layer", f"routing-{i}.bin", b"\x01" + struct.pack("<I", 4) + b"abcd" + rj)

# onion_reply: a selector byte, then the destination's plaintext.
for i, r in enumerate(VECTORS["onion"]["requests"][:3]):
    body = r["destination_reply"]["plaintext"]
    put("onion_reply", f"reply-{i}.bin", b"\x01" + json.dumps({"status": 200, "body": body}).encode())
put("onion_reply", "status_code.bin", b"\x00" + b'{"status_code":421,"body":{"snodes":[]}}')
put("onion_reply", "raw.bin", b"\x00" + bytes.fromhex(VECTORS["onion"]["requests"][0]["destination_reply"]["ciphertext_hex"]))

# rpc_response: the answer types the old seeds lacked.
put("rpc_response", "info.json", '{"version":[2,11,0],"timestamp":1700000000000,"t":1700000000000,"hf":[19,3]}')
put("rpc_response", "node_time.json", '{"t":1700000000000}')
put("rpc_response", "delete_entry.json",
    '{"deleted":["aGFzaA"],"signature":"c2ln","t":1700000000000}')
put("rpc_response", "expire_entry.json",
    '{"updated":["aGFzaA"],"unchanged":{"b3RoZXI":1700000100000},"expiry":1700000100000,"signature":"c2ln"}')
put("rpc_response", "oxend.json",
    '{"result":{"service_node_states":[{"public_ip":"127.0.0.1","storage_port":22101,'
    '"pubkey_ed25519":"9946c2429016ae0834a13e078a60e1a5be5934673f3b3fcb9ffabd1002668601",'
    '"pubkey_x25519":"8e09b5ac1f8d838a003621c734d8676d350ab74108001cf996ea41b3c76a5f2c","swarm_id":1}],'
    '"height":1,"status":"OK"},"t":1700000000000,"hf":[19,3]}')
put("rpc_response", "batch_store.json",
    '{"results":[{"code":200,"body":{"swarm":{"ab":{"hash":"aGFzaA","signature":"c2ln","expiry":1}},"hash":"aGFzaA"}},'
    '{"code":406,"body":"clock out of sync"}]}')

# node_request: every storage RPC method.
auth = VECTORS["storage_auth"][0]["auth_fields"]
def req(method, **params):
    p = dict(auth)
    p.update(params)
    return json.dumps({"method": method, "params": p})
put("node_request", "store.json", json.dumps({"method": "store", "params": {
    "pubkey": auth["pubkey"], "timestamp": 1700000000000, "ttl": 86400000, "data": "aGVsbG8="}}))
put("node_request", "delete.json", req("delete", messages=["aGFzaA"]))
put("node_request", "delete_all.json", req("delete_all", namespace="all"))
put("node_request", "delete_before.json", req("delete_before", before=1700000000000, namespace=0))
put("node_request", "expire_all.json", req("expire_all", expiry=1700000100000, namespace=0))
put("node_request", "get_expiries.json", req("get_expiries", messages=["aGFzaA"]))
put("node_request", "info.json", '{"method":"info","params":{}}')
put("node_request", "get_swarm.json", json.dumps({"method": "get_swarm", "params": {"pubkey": auth["pubkey"]}}))
put("node_request", "oxend.json", '{"method":"oxend_request","params":{"endpoint":"get_service_nodes",'
    '"params":{"fields":{"public_ip":true}}}}')
put("node_request", "sequence.json", json.dumps({"method": "sequence", "params": {"requests": [
    {"method": "info", "params": {}}, {"method": "get_swarm", "params": {"pubkey": auth["pubkey"]}}]}}))
put("node_request", "json_rpc.json", '{"jsonrpc":"2.0","id":0,"method":"get_n_service_nodes",'
    '"params":{"active_only":true,"fields":{"public_ip":true,"storage_port":true}}}')
