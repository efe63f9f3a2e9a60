"""A throttling reverse HTTP proxy for the benchmarks: a shared uplink in front of a loopback S3 server.

Every request is forwarded to the upstream server; request bodies (what a client uploads) are read
through ONE token bucket shared by all connections, so all uploads together get at most ``--mbit``
Mbit/s, like many uploads sharing one office uplink. Responses (downloads) are not limited.

Run as a child process: ``python bench/throttle.py --upstream 127.0.0.1:PORT --mbit 10`` prints the
port it listens on (127.0.0.1 only), serves until its stdin is closed or ``--lifetime`` s have
passed, then prints its counters as one JSON line and exits.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CHUNK = 16 * 1024
BURST = 64 * 1024
UPSTREAM_TIMEOUT = 120.0
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "expect",
        "content-length",
    }
)


class TokenBucket:
    """``rate`` bytes per second shared by every caller; at most ``burst`` bytes saved up.

    ``take(n)`` reserves ``n`` bytes at once (the bucket may go into debt) and sleeps until the
    reservation is covered, so callers are served in arrival order and the long-run rate is exact.
    """

    def __init__(self, rate: float, burst: int = BURST) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._last = time.monotonic()
        self._lock = threading.Lock()
        self.bytes_taken = 0
        self.waited = 0.0

    def take(self, n: int) -> None:
        """Take ``n`` bytes, sleeping as long as the rate requires."""
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            self._tokens -= n
            self.bytes_taken += n
            delay = -self._tokens / self.rate if self._tokens < 0 else 0.0
            self.waited += delay
        if delay > 0:
            time.sleep(delay)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hangs up is not the proxy's problem


class ThrottleProxy:
    """The proxy: 127.0.0.1, random port, upstream (host, port), one shared token bucket."""

    def __init__(self, upstream: tuple[str, int], mbit: float) -> None:
        self.upstream = upstream
        self.bucket = TokenBucket(mbit * 1_000_000 / 8)
        self.requests = 0
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, and "Expect: 100-continue" answered here

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                proxy.forward(self)

            def do_HEAD(self) -> None:
                proxy.forward(self)

            def do_PUT(self) -> None:
                proxy.forward(self)

            def do_POST(self) -> None:
                proxy.forward(self)

            def do_DELETE(self) -> None:
                proxy.forward(self)

        self.server = _Server(("127.0.0.1", 0), Handler)

    @property
    def port(self) -> int:
        """The port it listens on."""
        return int(self.server.server_address[1])

    def _read(self, h: BaseHTTPRequestHandler, n: int) -> bytes:
        """``n`` body bytes from the client, through the bucket chunk by chunk."""
        parts: list[bytes] = []
        while n > 0:
            want = min(CHUNK, n)
            self.bucket.take(want)
            data = h.rfile.read(want)
            if not data:
                raise ConnectionError("client closed the connection mid-body")
            parts.append(data)
            n -= len(data)
        return b"".join(parts)

    def read_body(self, h: BaseHTTPRequestHandler) -> bytes:
        """The whole request body (Content-Length or chunked), throttled."""
        if h.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(h.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while h.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self._read(h, size))
                h.rfile.readline()
        return self._read(h, int(h.headers.get("Content-Length") or 0))

    def forward(self, h: BaseHTTPRequestHandler) -> None:
        """Read the request (throttled), send it upstream, relay the answer."""
        with self._lock:
            self.requests += 1
        body = self.read_body(h)
        headers = {k: v for k, v in h.headers.items() if k.lower() not in HOP_BY_HOP}
        if body or h.command in ("PUT", "POST"):
            headers["Content-Length"] = str(len(body))
        conn = http.client.HTTPConnection(*self.upstream, timeout=UPSTREAM_TIMEOUT)
        try:
            conn.request(h.command, h.path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        h.send_response(response.status)
        for name, value in response.getheaders():
            if name.lower() not in HOP_BY_HOP or (h.command == "HEAD" and name.lower() == "content-length"):
                h.send_header(name, value)
        if h.command != "HEAD":
            h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(data)

    def counters(self) -> dict[str, float]:
        """Requests forwarded, body bytes throttled, total seconds callers slept in the bucket."""
        return {
            "requests": self.requests,
            "body_bytes": self.bucket.bytes_taken,
            "bucket_wait_s": round(self.bucket.waited, 3),
        }

    def serve(self) -> threading.Thread:
        """Serve in a daemon thread; returns it."""
        thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        thread.start()
        return thread

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.server.shutdown()
        self.server.server_close()


def main(argv: list[str] | None = None) -> int:
    """Serve until stdin closes or the lifetime ends; print the port first and the counters last."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True, help="host:port of the server to forward to")
    parser.add_argument("--mbit", type=float, default=10.0, help="shared upload rate, Mbit/s (default 10)")
    parser.add_argument("--lifetime", type=float, default=3600.0, help="stop after this many seconds")
    args = parser.parse_args(argv)
    host, port = args.upstream.rsplit(":", 1)
    proxy = ThrottleProxy((host, int(port)), args.mbit)
    proxy.serve()
    print(proxy.port, flush=True)
    watch = threading.Thread(target=sys.stdin.read, daemon=True)
    watch.start()
    watch.join(args.lifetime)
    proxy.stop()
    print(json.dumps(proxy.counters()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
