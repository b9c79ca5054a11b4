"""sesh side by side with session-python (PyPI, MIT): seal, open, and a 1,000-message receive.

Run through benches/peer.sh, which builds sesh (release), installs session-python into its own
virtual environment and runs this file with that environment's Python. Not part of
`cargo test`. Every connection stays on 127.0.0.0/8 (the guard in
scripts/interop_session_python.py refuses anything else).

  python benches/peer.py SESH [--quick]

SESH is the release `sesh` binary; `sesh devnet` (with `sesh-node` beside it) provides the
network for the receive part. Prints Markdown tables on standard output, progress on standard
error.

What is compared, and how (each pair in the same run, on the same payloads):

* open: `sesh open --json` of N payloads (a fresh process: start, identity, decrypt, JSON
  Lines out) against session-python's decrypt loop over the same payloads in-process
  (base64, WebSocketMessage, Envelope, `decrypt_with_session_protocol`, unpadding, Content,
  one JSON line out) -- its interpreter start and imports NOT counted, which favours
  session-python. sesh also runs pinned to one core (`taskset -c 0`) for the scaling ratio.
* seal: one `sesh seal` command against one Python process that imports session-python and
  seals one message (both include process start); and per message in-process: session-python's
  loop against sesh's `message/seal/5` criterion estimate when benches/peer.sh ran it.
* receive: M messages stored by session-python to a sesh-made identity on a 10-node devnet,
  then fetched, decrypted and printed: `sesh receive --json` (fresh process, fresh state, one
  onion request per page through three nodes) against session-python's Poller polling until it
  has all M (direct requests to a swarm node, no onion) -- interpreter start not counted.
"""

import base64
import binascii
import json
import os
import platform
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "scripts"))

# Installs the loopback-only guard and points session-python at a devnet on demand.
import interop_session_python as interop  # noqa: E402
from session_python.client import Session  # noqa: E402
from session_python.crypto import (  # noqa: E402
    SessionKeys,
    add_message_padding,
    decrypt_with_session_protocol,
    encrypt_using_session_protocol,
    remove_message_padding,
    wrap_envelope,
)
from session_python.polling import Poller  # noqa: E402
from session_python.protobuf.signalservice_pb2 import (  # noqa: E402
    Content,
    Envelope,
    WebSocketMessage,
)


def log(msg):
    print(f"peer: {msg}", file=sys.stderr, flush=True)


def keys_of(mnemonic):
    s = Session()
    s.set_mnemonic(mnemonic)
    return s.keys, s.get_session_id()


def seal_one(keys, to, text, timestamp):
    """One message as session-python's send_message builds it (without the sync copy)."""
    content = Content()
    content.dataMessage.body = text
    content.dataMessage.timestamp = timestamp
    ciphertext = encrypt_using_session_protocol(
        keys, to, add_message_padding(content.SerializeToString())
    )
    envelope = Envelope(
        type=Envelope.Type.SESSION_MESSAGE, timestamp=timestamp, content=ciphertext
    )
    return binascii.b2a_base64(
        wrap_envelope(envelope.SerializeToString()), newline=False
    ).decode()


def open_one(keys, line):
    """One payload as session-python's Poller opens it, as a JSON line."""
    ws = WebSocketMessage.FromString(binascii.a2b_base64(line))
    envelope = Envelope.FromString(ws.request.body)
    padded, sender = decrypt_with_session_protocol(keys, envelope.content)
    content = Content.FromString(remove_message_padding(padded))
    row = {
        "from": sender,
        "timestamp": envelope.timestamp,
        "type": "data" if content.HasField("dataMessage") else "unknown",
        "body": content.dataMessage.body,
    }
    return json.dumps(row)


def run_timed(argv, stdin=None, stdout=subprocess.DEVNULL, env=None):
    """Runs a command; returns (wall seconds, CPU seconds, exit status)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(argv, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE, env=env)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if p.returncode != 0:
        log(f"{argv[1]} exited {p.returncode}: {p.stderr.decode(errors='replace')[-500:]}")
    return wall, cpu, p.returncode


def best(xs):
    return min(xs)


def ms(s):
    return f"{s * 1000:.1f} ms"


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    import nacl.bindings

    sodium = getattr(nacl.bindings, "sodium_version_string", lambda: "?")
    try:
        sodium = sodium() if callable(sodium) else sodium
    except Exception:  # noqa: BLE001
        sodium = "?"
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, session-python "
        f"{_version('session-python')}, PyNaCl {_version('PyNaCl')}"
    )


def _version(dist):
    try:
        from importlib.metadata import version

        return version(dist)
    except Exception:  # noqa: BLE001
        return "?"


def phrase_to_identity(sesh, mnemonic, path, env):
    p = subprocess.run(
        [sesh, "recover", "-q", "-o", path],
        input=(mnemonic + "\n").encode(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    if p.returncode != 0:
        sys.exit(f"sesh recover failed: {p.stderr.decode(errors='replace')}")
    return p.stdout.decode().strip()


def part_open(sesh, work, n, runs, env, rows):
    recipient = Session.generate_mnemonic()
    rkeys, rid = keys_of(recipient)
    skeys, _ = keys_of(Session.generate_mnemonic())
    key = os.path.join(work, "recipient.key")
    sid = phrase_to_identity(sesh, recipient, key, env)
    if sid != rid:
        sys.exit(f"sesh and session-python disagree on the Session ID: {sid} vs {rid}")
    payloads = os.path.join(work, "payloads.txt")
    now = int(time.time() * 1000)
    with open(payloads, "w") as f:
        for i in range(n):
            f.write(seal_one(skeys, rid, f"message {i} from session-python", now - n + i) + "\n")
    lines = open(payloads).read().split()

    # session-python: the decrypt loop in-process, interpreter start and imports not counted.
    py = []
    for _ in range(runs):
        out = []
        t0 = time.perf_counter()
        for line in lines:
            out.append(open_one(rkeys, line))
        with open(os.devnull, "w") as sink:
            sink.write("\n".join(out))
        py.append(time.perf_counter() - t0)

    def sesh_open(pin):
        argv = [sesh, "open", "--json", "-i", key]
        if pin:
            argv = ["taskset", "-c", "0"] + argv
        walls = []
        for _ in range(runs):
            with open(payloads, "rb") as stdin, open(os.path.join(work, "open.out"), "wb") as o:
                wall, _cpu, rc = run_timed(argv, stdin=stdin, stdout=o, env=env)
            if rc != 0:
                sys.exit("sesh open failed")
            walls.append(wall)
        return walls

    all_cores = sesh_open(False)
    got = sum(1 for _ in open(os.path.join(work, "open.out")))
    if got != n:
        sys.exit(f"sesh open printed {got} lines for {n} payloads")
    one_core = sesh_open(True) if have_taskset() else None

    rows.append(
        (
            f"open {n} payloads",
            f"`sesh open --json` (process) {ms(best(all_cores))}",
            f"decrypt loop in-process {ms(best(py))}",
            f"{best(all_cores) / best(py):.2f}",
        )
    )
    if one_core:
        rows.append(
            (
                f"open {n} payloads, 1 core vs {os.cpu_count()}",
                f"`taskset -c 0 sesh open --json` {ms(best(one_core))}",
                "",
                f"1 core / all cores: {best(one_core) / best(all_cores):.2f}",
            )
        )
    return skeys, rid, key


def have_taskset():
    return subprocess.run(["sh", "-c", "command -v taskset"], stdout=subprocess.DEVNULL).returncode == 0


def part_seal(sesh, work, runs, env, skeys, rid, key, criterion_seal_ns, rows):
    n = 2000
    t0 = time.perf_counter()
    now = int(time.time() * 1000)
    for i in range(n):
        seal_one(skeys, rid, "hello", now + i)
    py_each = (time.perf_counter() - t0) / n

    walls = []
    for _ in range(runs * 5):
        wall, _cpu, rc = run_timed([sesh, "seal", "-i", key, rid, "-m", "hello"], env=env)
        if rc != 0:
            sys.exit("sesh seal failed")
        walls.append(wall)
    script = (
        "import sys, time; sys.path.insert(0, sys.argv[1]); "
        "import peer; from session_python.client import Session; "
        "k, i = peer.keys_of(Session.generate_mnemonic()); "
        "print(peer.seal_one(k, i, 'hello', int(time.time() * 1000)))"
    )
    pywalls = []
    for _ in range(runs * 5):
        wall, _cpu, rc = run_timed([sys.executable, "-c", script, HERE])
        if rc != 0:
            sys.exit("python seal failed")
        pywalls.append(wall)
    rows.append(
        (
            "seal one message, a command",
            f"`sesh seal` {ms(best(walls))}",
            f"`python` + import + seal {ms(best(pywalls))}",
            f"{best(walls) / best(pywalls):.2f}",
        )
    )
    if criterion_seal_ns:
        rows.append(
            (
                "seal one message, in-process",
                f"`message::seal` {criterion_seal_ns / 1000:.0f} µs (criterion median)",
                f"loop of {n}: {py_each * 1e6:.0f} µs each",
                f"{criterion_seal_ns / 1e9 / py_each:.2f}",
            )
        )


def part_receive(sesh, work, m, runs, env, rows):
    devdir = os.path.join(work, "devnet")
    out = open(os.path.join(work, "devnet.out"), "w+")
    err = open(os.path.join(work, "devnet.err"), "w")
    dev = subprocess.Popen(
        [sesh, "devnet", "--dir", devdir, "--nodes", "10", "--swarm-size", "5"],
        stdout=out,
        stderr=err,
        env=env,
    )
    try:
        network = None
        for _ in range(600):
            out.seek(0)
            first = out.readline().strip()
            if first and os.path.exists(first):
                network = first
                break
            if dev.poll() is not None:
                sys.exit("the devnet exited")
            time.sleep(0.1)
        if not network:
            sys.exit("the devnet did not start")
        interop.point_at_devnet(network)
        denv = dict(env, SESH_NETWORK=network)

        recipient = Session.generate_mnemonic()
        key = os.path.join(work, "receiver.key")
        rid = phrase_to_identity(sesh, recipient, key, denv)
        log(f"session-python stores {m} messages to {rid[:10]}… on the devnet")
        sender = Session()
        sender.set_mnemonic(Session.generate_mnemonic(), display_name="peer bench")
        with sender:
            for i in range(m):
                sender.send_message(rid, f"message {i} of {m}")

        walls, cpus = [], []
        for r in range(runs):
            state = os.path.join(work, f"state{r}")
            o = os.path.join(work, "receive.out")
            with open(o, "wb") as f:
                wall, cpu, rc = run_timed(
                    [sesh, "receive", "-q", "--json", "-i", key, "--state-dir", state],
                    stdout=f,
                    env=denv,
                )
            got = sum(1 for _ in open(o))
            if rc != 0 or got != m:
                sys.exit(f"sesh receive printed {got} of {m} messages (exit {rc})")
            walls.append(wall)
            cpus.append(cpu)

        py = []
        for _ in range(runs):
            with interop.client(recipient) as s:
                poller = Poller(s)
                got = 0
                t0 = time.perf_counter()
                for _attempt in range(100):
                    page = poller.poll()
                    for x in page:
                        json.dumps(x, default=lambda b: base64.b64encode(b).decode())
                    got += sum(1 for x in page if x["type"] == "data")
                    if not page or got >= m:
                        break
                py.append(time.perf_counter() - t0)
            if got < m:
                sys.exit(f"session-python received {got} of {m}")
        rows.append(
            (
                f"receive {m} messages (10-node devnet)",
                f"`sesh receive --json` (process, onion) {ms(best(walls))}, CPU {ms(best(cpus))}",
                f"Poller until all in (direct) {ms(best(py))}",
                f"{best(walls) / best(py):.2f}",
            )
        )
    finally:
        dev.send_signal(signal.SIGTERM)
        try:
            dev.wait(timeout=30)
        except subprocess.TimeoutExpired:
            dev.kill()
            dev.wait()


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    sesh = os.path.abspath(argv[1])
    quick = "--quick" in argv[2:]
    n = 500 if quick else 2000
    m = 200 if quick else 1000
    runs = 3 if quick else 5
    criterion_seal_ns = None
    est = os.environ.get("SESH_CRITERION_SEAL")
    if est and os.path.exists(est):
        with open(est) as f:
            criterion_seal_ns = json.load(f)["median"]["point_estimate"]

    rows = []
    with tempfile.TemporaryDirectory(prefix="sesh-peer.") as work:
        env = dict(os.environ, SESH_STATE_DIR=os.path.join(work, "state"))
        env.pop("SESH_NETWORK", None)
        env.pop("SESH_IDENTITY", None)
        log(f"open: {n} payloads sealed by session-python")
        skeys, rid, key = part_open(sesh, work, n, runs, env, rows)
        log("seal")
        part_seal(sesh, work, runs, env, skeys, rid, key, criterion_seal_ns, rows)
        log(f"receive: {m} messages")
        part_receive(sesh, work, m, runs, env, rows)

    print(f"Machine: {machine()}; best of {runs} runs each.\n")
    print("| what | sesh | session-python | sesh / session-python |")
    print("|---|---|---|---:|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
