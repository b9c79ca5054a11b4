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
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
