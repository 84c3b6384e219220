"""A stand-in for an SMS gateway's send API on loopback: a real HTTP server
that records every POST (headers and JSON body) and can be told to answer the
next N requests with a given status, for tests and the bench."""

import json
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Delivery:
    headers: dict
    raw: bytes
    body: dict


@dataclass
class Gateway:
    url: str
    deliveries: list[Delivery] = field(default_factory=list)  # accepted ones (2xx)
    refused: list[Delivery] = field(default_factory=list)  # answered with a failure status
    _failures: list[int] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, *statuses: int) -> None:
        """Answer the next requests with these statuses, in order, then accept again."""
        with self._lock:
            self._failures.extend(statuses)

    def to(self, phone: str) -> list[str]:
        with self._lock:
            return [d.body.get("text") for d in self.deliveries if d.body.get("to") == phone]

    def clear(self) -> None:
        with self._lock:
            self.deliveries.clear()
            self.refused.clear()
            self._failures.clear()

    def _take(self, delivery: Delivery) -> int:
        with self._lock:
            if self._failures:
                self.refused.append(delivery)
                return self._failures.pop(0)
            self.deliveries.append(delivery)
            return 200


@contextmanager
def sms_gateway():
    """Yields a Gateway whose `url` takes POSTs; stopped on exit."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = json.loads(raw)
            except ValueError:
                body = {}
            status = gateway._take(Delivery({k.lower(): v for k, v in self.headers.items()}, raw, body))
            answer = json.dumps({"id": f"gw-{body.get('id', '')}"} if status == 200 else {"error": status}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    gateway = Gateway(url=f"http://127.0.0.1:{server.server_address[1]}/send")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield gateway
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
