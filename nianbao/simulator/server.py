"""Threaded loopback HTTP servers: one per simulated site, all on one port number, each on its own 127.0.0.x."""
from __future__ import annotations

import errno
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str                 # without the query
    query: dict[str, str]     # first value of each parameter
    target: str               # path with query, as sent
    body: bytes
    headers: dict[str, str]   # lower-case names

    def param(self, name: str, default: str = "") -> str:
        """A parameter from the query string or, for a form POST, from the body."""
        if name in self.query:
            return self.query[name]
        form = parse_qs(self.body.decode("latin-1"), keep_blank_values=True)
        return form.get(name, [default])[0]


@dataclass
class Response:
    status: int = 200
    body: bytes | Iterable[bytes] = b""
    content_type: str | None = "text/html; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)
    length: int | None = None  # required when body is an iterable of chunks (streamed)


Handler = Callable[[Request], Response]


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SimGov/1.0"
    timeout = 15  # an idle keep-alive connection is dropped after this many seconds
    server: SiteServer

    def _serve(self) -> None:
        split = urlsplit(self.path)
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        req = Request(
            method=self.command,
            path=split.path,
            query={k: v[0] for k, v in parse_qs(split.query, keep_blank_values=True).items()},
            target=self.path,
            body=body,
            headers={k.lower(): v for k, v in self.headers.items()},
        )
        try:
            resp = self.server.handle(req)
        except Exception as e:  # noqa: BLE001 — a simulator bug must show up as a 500, not kill the connection
            resp = Response(500, f"simulator error: {type(e).__name__}: {e}".encode(), "text/plain; charset=utf-8")
        self.server.record(self.command, self.path, resp.status)
        chunks = [resp.body] if isinstance(resp.body, bytes) else resp.body
        length = len(resp.body) if isinstance(resp.body, bytes) else resp.length
        self.send_response(resp.status)
        if resp.content_type:
            self.send_header("Content-Type", resp.content_type)
        for name, value in resp.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        if self.command == "HEAD":
            return
        try:
            for chunk in chunks:
                self.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_GET = do_POST = do_HEAD = _serve

    def log_message(self, format, *args):  # the network keeps its own log
        pass


class SiteServer(ThreadingHTTPServer):
    """Serves one host; `handle(Request) -> Response` does the routing."""

    daemon_threads = True
    allow_reuse_address = False
    request_queue_size = 128  # bursts of concurrent connections must not wait on SYN retransmits

    def __init__(self, addr: tuple[str, int], handle: Handler, log: list, lock: threading.Lock):
        self.ip = addr[0]
        self.handle = handle
        self._log = log
        self._lock = lock
        super().__init__(addr, _RequestHandler)

    def record(self, method: str, target: str, status: int) -> None:
        with self._lock:
            self._log.append((self.ip, method, target, status))


def start_servers(hosts: dict[str, Handler], log: list, lock: threading.Lock,
                  attempts: int = 20) -> tuple[int, list[SiteServer]]:
    """Bind every host on one common free port (retrying on collisions) and serve each in a thread."""
    ips = list(hosts)
    for _ in range(attempts):
        servers: list[SiteServer] = []
        try:
            first = SiteServer((ips[0], 0), hosts[ips[0]], log, lock)
            servers.append(first)
            port = first.server_address[1]
            for ip in ips[1:]:
                servers.append(SiteServer((ip, port), hosts[ip], log, lock))
        except OSError as e:
            for s in servers:
                s.server_close()
            if e.errno in (errno.EADDRINUSE, errno.EACCES):
                continue
            raise
        for s in servers:
            threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.2},
                             name=f"sim-{s.ip}", daemon=True).start()
        return port, servers
    raise OSError(errno.EADDRINUSE, f"no common free port for {len(ips)} loopback hosts")


def stop_servers(servers: list[SiteServer]) -> None:
    for s in servers:
        s.shutdown()
        s.server_close()

