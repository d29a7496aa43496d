"""Loaded by the crawl process when this directory is on PYTHONPATH (tests only): every DNS lookup and
every socket connect is appended, as one JSON line, to the file NIANBAO_AUDIT_LOG names."""
import json
import os
import sys

_LOG = os.environ.get("NIANBAO_AUDIT_LOG")


def _hook(event, args):
    if event == "socket.getaddrinfo":
        row = {"event": "lookup", "host": args[0] if isinstance(args[0], str) else repr(args[0])}
    elif event in ("socket.gethostbyname", "socket.gethostbyname_ex", "socket.gethostbyaddr"):
        row = {"event": "lookup", "host": str(args[0])}
    elif event == "socket.connect":
        address = args[1]
        row = {"event": "connect", "host": str(address[0]) if isinstance(address, tuple) else str(address)}
    else:
        return
    with open(_LOG, "a", encoding="utf-8") as f:
        f.write(json.dumps(row) + "\n")


if _LOG:
    sys.addaudithook(_hook)
