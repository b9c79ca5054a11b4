"""Drive session-python (the PyPI package, unmodified) against a sesh devnet.

Used by scripts/interop-session-python.sh; not part of `cargo test`. session-python is not
modified: its seed list (the module constant `session_python.network.SEEDS`) is replaced at
run time by the devnet's seed, read from the devnet's network.toml. The seed serves the node
list over plain HTTP on the same port as HTTPS, which is what session-python asks for.

Every connection is checked to stay on 127.0.0.0/8: a name or address outside it is refused
before anything is sent.

  python interop_session_python.py new
      prints {"mnemonic": ..., "session_id": ...} for a fresh identity
  python interop_session_python.py send NETWORK_TOML MNEMONIC TO TEXT
      sends TEXT to the Session ID TO
  python interop_session_python.py poll NETWORK_TOML MNEMONIC FROM TEXT [TRIES]
      polls until a message from FROM with body TEXT arrives; exits 1 if none does
  python interop_session_python.py send-file NETWORK_TOML MNEMONIC TO FILE NAME TEXT
      sends FILE as an attachment called NAME, with the caption TEXT
  python interop_session_python.py fetch-file NETWORK_TOML MNEMONIC FROM OUT [TRIES]
      polls until a message from FROM with an attachment arrives, downloads and decrypts its
      first attachment with session-python's own get_file, writes it to OUT and prints its
      file name

  python interop_session_python.py kinds NETWORK_TOML MNEMONIC TO REACT_TS
      with session-python's own methods, sends TO a reaction to TO's message sent at REACT_TS,
      a text message, a read receipt of REACT_TS, a typing indicator and an unsend of the text
      message; prints what it sent as JSON

For attachments, session-python's two file-server functions (which hard-code
http://filev2.getsession.org) are replaced by copies that use the devnet's file server, the
`url` of the network file's [file_server] table, over plain HTTP as session-python does;
its encryption, pointers and get_file are its own.
"""

import ipaddress
import json
import socket
import sys
import time
import tomllib
from urllib.parse import urlparse

_real_getaddrinfo = socket.getaddrinfo


def _loopback_only(host, *args, **kwargs):
    infos = _real_getaddrinfo(host, *args, **kwargs)
    for info in infos:
        addr = ipaddress.ip_address(info[4][0])
        if not addr.is_loopback:
            raise OSError(f"interop driver: refusing to connect to {host} ({addr}): not loopback")
    return infos


socket.getaddrinfo = _loopback_only

import session_python.network  # noqa: E402
from session_python.client import Session  # noqa: E402
from session_python.polling import Poller  # noqa: E402


def point_at_devnet(network_toml):
    with open(network_toml, "rb") as f:
        net = tomllib.load(f)
    seeds = net.get("seed") or []
    if not seeds:
        sys.exit(f"{network_toml}: no [[seed]]")
    url = urlparse(seeds[0]["url"])
    # session-python builds http://{url}/json_rpc from each entry: host:port, no scheme.
    session_python.network.SEEDS = [{"url": f"{url.hostname}:{url.port}"}]
    return session_python.network.SEEDS[0]["url"]


def point_files_at_devnet(network_toml):
    """Replaces session-python's upload/download (hard-coded to filev2.getsession.org) with the
    same requests to the devnet's file server."""
    with open(network_toml, "rb") as f:
        net = tomllib.load(f)
    fs = net.get("file_server")
    if not fs:
        sys.exit(f"{network_toml}: no [file_server]")
    base = fs["url"].rstrip("/")
    cls = session_python.network.SessionNetwork

    def upload_attachment(self, data, timeout=30):
        r = self.session.post(f"{base}/file", data=data, headers={"User-Agent": "WhatsApp"},
                              timeout=timeout)
        if not r.ok:
            raise session_python.network.NetworkError(f"Upload failed with status code {r.status_code}")
        file_id = r.json()["id"]
        return {"id": int(file_id), "url": f"{base}/file/{file_id}"}

    def download_attachment(self, file_id, timeout=30):
        r = self.session.get(f"{base}/file/{file_id}", headers={"User-Agent": "WhatsApp"},
                             timeout=timeout)
        if not r.ok:
            raise session_python.network.NetworkError(f"Download failed with status code {r.status_code}")
        return r.content

    cls.upload_attachment = upload_attachment
    cls.download_attachment = download_attachment
    return base


def client(mnemonic):
    s = Session()
    s.set_mnemonic(mnemonic, display_name="session-python")
    return s


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "new":
        mnemonic = Session.generate_mnemonic()
        s = Session()
        s.set_mnemonic(mnemonic)
        print(json.dumps({"mnemonic": mnemonic, "session_id": s.get_session_id()}))
        return 0
    if cmd == "send" and len(argv) == 6:
        _, _, network_toml, mnemonic, to, text = argv
        seed = point_at_devnet(network_toml)
        with client(mnemonic) as s:
            res = s.send_message(to, text)
        print(f"session-python (seed {seed}) sent to {to}: hash {res['messageHash']}")
        return 0
    if cmd == "poll" and len(argv) in (6, 7):
        network_toml, mnemonic, sender, text = argv[2:6]
        tries = int(argv[6]) if len(argv) == 7 else 10
        seed = point_at_devnet(network_toml)
        with client(mnemonic) as s:
            poller = Poller(s)  # its default namespaces, as an app using it would
            seen = []
            for attempt in range(tries):
                for m in poller.poll():
                    seen.append(m)
                    if m["from"] == sender and m["type"] == "data" and m["body"] == text:
                        print(f"session-python (seed {seed}) received from {sender}: {text!r}")
                        return 0
                time.sleep(1)
        print(f"session-python did not receive {text!r} from {sender}; it saw {seen!r}",
              file=sys.stderr)
        return 1
    if cmd == "kinds" and len(argv) == 6:
        _, _, network_toml, mnemonic, to, react_ts = argv
        point_at_devnet(network_toml)
        with client(mnemonic) as s:
            me = s.get_session_id()
            # A reaction goes to the reacted message's author: a message TO sent at REACT_TS.
            s.add_reaction(int(react_ts), to, "\U0001F44D")
            sent = s.send_message(to, "forget me")
            ts, h = sent["timestamp"], sent["messageHash"]
            s.mark_messages_as_read(to, [int(react_ts)])
            s.show_typing_indicator(to)
            s.delete_message(to, ts, h)
        print(json.dumps({"from": me, "react_ts": int(react_ts), "emoji": "\U0001F44D",
                          "unsent_ts": ts}))
        return 0
    if cmd == "send-file" and len(argv) == 8:
        _, _, network_toml, mnemonic, to, path, name, text = argv
        point_at_devnet(network_toml)
        base = point_files_at_devnet(network_toml)
        with open(path, "rb") as f:
            data = f.read()
        with client(mnemonic) as s:
            res = s.send_message(to, text, attachments=[
                {"data": data, "name": name, "content_type": "application/octet-stream"}])
        print(f"session-python (file server {base}) sent {name} ({len(data)} bytes) to {to}: "
              f"hash {res['messageHash']}")
        return 0
    if cmd == "fetch-file" and len(argv) in (6, 7):
        network_toml, mnemonic, sender, out = argv[2:6]
        tries = int(argv[6]) if len(argv) == 7 else 10
        point_at_devnet(network_toml)
        base = point_files_at_devnet(network_toml)
        with client(mnemonic) as s:
            poller = Poller(s)
            seen = []
            for attempt in range(tries):
                for m in poller.poll():
                    seen.append(m)
                    if m["from"] == sender and m["type"] == "data" and m["attachments"]:
                        att = m["attachments"][0]
                        data = s.get_file(att)
                        with open(out, "wb") as f:
                            f.write(data)
                        print(att["name"])
                        print(f"session-python (file server {base}) downloaded {att['name']} "
                              f"({len(data)} bytes) from {sender}", file=sys.stderr)
                        return 0
                time.sleep(1)
        print(f"session-python received no attachment from {sender}; it saw {seen!r}",
              file=sys.stderr)
        return 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
