#!/usr/bin/env python3
"""Answers every Session message: python3 echo-bot.py SOCKET (the path sesh daemon prints)."""
import json, socket, sys

conn = socket.socket(socket.AF_UNIX)
conn.connect(sys.argv[1])
f = conn.makefile("rw", encoding="utf-8")
def call(method, params, n=[0]):
    n[0] += 1
    f.write(json.dumps({"jsonrpc": "2.0", "id": n[0], "method": method, "params": params}) + "\n")
    f.flush()
call("subscribe", {"ack": True})  # each page is taken once acknowledged: never lost
for line in f:  # responses and notifications, one JSON object a line
    msg = json.loads(line)
    p = msg.get("params") or {}
    if msg.get("method") == "page_end":  # the page's messages are answered: acknowledge it
        f.write(json.dumps({"jsonrpc": "2.0", "method": "ack", "params": p}) + "\n")
        f.flush()
    text = p.get("text") or ""
    # Only messages (not receipts or reactions), and never its own answers (a note to self).
    if msg.get("method") == "receive" and p.get("type") == "message" and text \
            and not text.startswith("you said: "):
        call("send", {"recipients": [p["from"]], "message": "you said: " + text})
