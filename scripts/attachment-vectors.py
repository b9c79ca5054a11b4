#!/usr/bin/env python3
"""Writes tests/vectors/attachments.json: attachment encryption vectors (protocol.md §10.2-10.4)
made by independent code, for tests/integration/attachment_vectors.rs.

* legacy (§10.2): session-python 1.0.5's own add_attachment_padding + encrypt_attachment_data
  with a fixed key and IV, checked by its decrypt_attachment;
* profile (§10.4): AES-256-GCM as session-python's encrypt_profile does it, with a fixed IV
  (encrypt_profile draws its IV itself, so the same two lines are repeated here with the
  `cryptography` package session-python uses), checked by session-python's decrypt_profile;
* deterministic "S" (§10.3): a Python re-implementation of libsession-util's
  src/attachments.cpp (key derivation, encrypted_padding, 32 KiB chunking) driven by libsodium's
  own secretstream_xchacha20poly1305 through PyNaCl, and read back with PyNaCl's pull. Neither
  session-python nor PyNaCl implements the "S" format itself: these vectors pin sesh to
  libsodium's secretstream and to our reading of attachments.cpp, not to libsession itself.

Usage: scripts/attachment-vectors.py [OUT]  (default tests/vectors/attachments.json)

Runs under the peer virtual environment target/peer-venv (or $PEER_PYTHON) when it exists;
otherwise it creates target/attachment-vectors-venv and installs session-python 1.0.5 and
PyNaCl into it from PyPI, then re-runs itself there.
"""

import hashlib
import json
import os
import subprocess
import sys

SESSION_PYTHON_VERSION = "1.0.5"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def ensure_venv():
    try:
        import nacl.bindings  # noqa: F401
        import session_python.crypto  # noqa: F401

        return
    except ImportError:
        pass
    if os.environ.get("ATTACHMENT_VECTORS_REEXEC"):
        sys.exit("session-python or PyNaCl is missing from the virtual environment")
    candidates = [os.environ.get("PEER_PYTHON"), os.path.join(REPO, "target/peer-venv/bin/python")]
    python = next((p for p in candidates if p and os.path.exists(p)), None)
    if python is None:
        venv = os.path.join(REPO, "target/attachment-vectors-venv")
        python = os.path.join(venv, "bin/python")
        if not os.path.exists(python):
            subprocess.run([sys.executable, "-m", "venv", venv], check=True)
            subprocess.run(
                [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                 f"session-python=={SESSION_PYTHON_VERSION}", "pynacl"],
                check=True,
            )
    env = dict(os.environ, ATTACHMENT_VECTORS_REEXEC="1")
    os.execve(python, [python, os.path.abspath(__file__), *sys.argv[1:]], env)


ensure_venv()

from importlib.metadata import version  # noqa: E402

import nacl.bindings as sodium  # noqa: E402
from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402
from session_python import crypto as sp  # noqa: E402

INLINE_MAX = 1024
PATTERN = "byte i = (i * 31 + 7) mod 256"


def pattern(n):
    return bytes((i * 31 + 7) & 0xFF for i in range(n))


def plaintext_fields(data):
    out = {"plaintext_len": len(data)}
    if len(data) <= INLINE_MAX:
        out["plaintext"] = data.hex()
    else:
        out["plaintext_pattern"] = PATTERN
    out["plaintext_sha256"] = hashlib.sha256(data).hexdigest()
    return out


# --- legacy (§10.2) ----------------------------------------------------------------------


def legacy_vectors():
    out = []
    for n in [0, 1, 540, 541, 542, 4096, 100_000]:
        data = pattern(n)
        key = bytes((0x40 + i) & 0xFF for i in range(64))
        iv = bytes((0xA0 + n + i) & 0xFF for i in range(16))
        padded = sp.add_attachment_padding(data)
        blob, digest = sp.encrypt_attachment_data(padded, key, iv)
        assert sp.decrypt_attachment(blob, key, digest, n) == data
        out.append({
            **plaintext_fields(data),
            "key": key.hex(),
            "iv": iv.hex(),
            "padded_len": len(padded),
            "blob": blob.hex(),
            "digest": digest.hex(),
        })
    return out


# --- profile pictures (§10.4) ------------------------------------------------------------


def profile_vectors():
    out = []
    for n in [1, 100, 5000]:
        image = pattern(n)
        key = bytes((0x11 * (i + 1)) & 0xFF for i in range(32))
        iv = bytes((0x30 + n + i) & 0xFF for i in range(12))
        # session-python's encrypt_profile with the IV fixed:
        blob = iv + AESGCM(key).encrypt(iv, image, None)
        assert sp.decrypt_profile(blob, key) == image
        out.append({**plaintext_fields(image), "key": key.hex(), "iv": iv.hex(), "blob": blob.hex()})
    return out


# --- deterministic "S" (§10.3), after libsession-util src/attachments.cpp ---------------

HEADER = sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES  # 24
ABYTES = sodium.crypto_secretstream_xchacha20poly1305_ABYTES  # 17
CHUNK = 32768
CHUNK_TOTAL = CHUNK + ABYTES
PERSONAL = {"attachment": b"SessionAttachmnt", "profile_picture": b"Session_Prof_Pic"}


def bit_floor(n):
    return 1 << (n.bit_length() - 1)


def encrypted_padding(size):
    prefix = 1 + HEADER
    chunks = (size + CHUNK - 1) // CHUNK
    enc = size + prefix + 1 + chunks * ABYTES
    factor = bit_floor(max(enc, 131072)) >> 5
    padded = (enc + factor - 1) // factor * factor
    padding = padded - enc + 1
    implicit = 0
    if padding >= CHUNK_TOTAL:
        implicit = (padding // CHUNK_TOTAL) * ABYTES
    free = chunks * CHUNK - size
    if padding % CHUNK_TOTAL > free:
        implicit += ABYTES
    return padding - implicit


def s_encrypt(data, seed, domain):
    # The current libsession (the streaming Encryptor): BLAKE2b-448 keyed with seed[0..32],
    # personal by domain. Earlier versions keyed it with the one Domain byte (0x00 attachment,
    # 0x01 profile picture) over seed[0..32] + data; only the key a file gets differs, every
    # reader decrypts either (checked against libsession-util src/attachments.cpp, issue 12).
    nonce_key = hashlib.blake2b(data, digest_size=56, key=seed, person=PERSONAL[domain]).digest()
    header, key = nonce_key[:HEADER], nonce_key[HEADER:]
    # libsession seeds secretstream's header from the hash instead of randombytes; init_pull
    # with that header sets exactly the state init_push would have.
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    sodium.crypto_secretstream_xchacha20poly1305_init_pull(state, header, key)
    stream = b"\x00" * (encrypted_padding(len(data)) - 1) + b"\x01" + data
    chunks = [stream[i:i + CHUNK] for i in range(0, len(stream), CHUNK)]
    out = b"S" + header
    for i, c in enumerate(chunks):
        tag = (sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL if i == len(chunks) - 1
               else sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE)
        out += sodium.crypto_secretstream_xchacha20poly1305_push(state, c, None, tag)
    return out, key


def s_decrypt(blob, key):
    assert blob[:1] == b"S"
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    sodium.crypto_secretstream_xchacha20poly1305_init_pull(state, blob[1:1 + HEADER], key)
    pos, plain, tag = 1 + HEADER, b"", None
    while pos < len(blob):
        c = blob[pos:pos + CHUNK_TOTAL]
        m, tag = sodium.crypto_secretstream_xchacha20poly1305_pull(state, c, None)
        plain += m
        pos += len(c)
    assert tag == sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
    marker = len(plain) - len(plain.lstrip(b"\x00"))
    assert plain[marker] == 1
    return plain[marker + 1:]


def deterministic_vectors():
    out = []
    for n, domain in [(0, "attachment"), (1, "attachment"), (100, "profile_picture"),
                      (32767, "attachment"), (40_000, "attachment"), (100_000, "attachment")]:
        data = pattern(n)
        seed = bytes((0x70 + i) & 0xFF for i in range(32))
        blob, key = s_encrypt(data, seed, domain)
        assert s_decrypt(blob, key) == data
        out.append({**plaintext_fields(data), "seed": seed.hex(), "domain": domain,
                    "key": key.hex(), "blob": blob.hex()})
    return out


def main():
    out_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, "tests/vectors/attachments.json")
    doc = {
        "meta": {
            "generator": "scripts/attachment-vectors.py",
            "session_python": version("session-python"),
            "pynacl": version("PyNaCl"),
            "libsodium": sodium.sodium_version_string().decode()
            if hasattr(sodium, "sodium_version_string") else "bundled with PyNaCl",
            "cryptography": version("cryptography"),
            "plaintext_pattern": PATTERN,
            "legacy": "session-python add_attachment_padding + encrypt_attachment_data with the "
                      "given key and iv; verified with its decrypt_attachment",
            "profile": "AES-256-GCM iv || ct || tag, as session-python encrypt_profile with the "
                       "given iv; verified with its decrypt_profile",
            "deterministic": "NOT from libsession: a Python re-implementation of libsession-util "
                             "src/attachments.cpp (BLAKE2b-448 keyed by the seed with personal "
                             "SessionAttachmnt / Session_Prof_Pic, encrypted_padding, 32 KiB "
                             "chunks, FINAL on the last) on libsodium secretstream_xchacha20poly1305 "
                             "(PyNaCl); verified by pulling the stream back with PyNaCl",
        },
        "legacy": legacy_vectors(),
        "profile": profile_vectors(),
        "deterministic": deterministic_vectors(),
    }
    with open(out_path, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"wrote {out_path}")


if __name__ == "__main__":
    main()
