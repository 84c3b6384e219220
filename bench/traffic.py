"""HTTP traffic at fixed concurrency over keep-alive connections, and its
latency percentiles."""

import http.client
import threading
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def post_load(
    base: str,
    path: str,
    bodies: Callable[[int], Iterator[bytes | tuple[bytes, dict]]],
    headers: dict | list,
    clients: int,
    seconds: float,
    *,
    ok: tuple[int, ...] = (201,),
) -> dict:
    """`clients` threads, each on one keep-alive connection, POSTing `bodies(n)`
    to `path` for `seconds` (`headers`: one dict, or one per client; a body may
    come with headers of its own, such as a signature). `per_s` counts the
    answers with an `ok` status."""
    netloc = urlsplit(base)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(n: int):
        conn = http.client.HTTPConnection(netloc.hostname, netloc.port, timeout=60)
        mine, codes = [], {}
        mine_headers = headers[n] if isinstance(headers, list) else headers
        for body in bodies(n):
            if time.monotonic() >= stop_at:
                break
            body, own = body if isinstance(body, tuple) else (body, {})
            started = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers={**mine_headers, **own})
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(netloc.hostname, netloc.port, timeout=60)
                status = 0
            mine.append(time.perf_counter() - started)
            codes[status] = codes.get(status, 0) + 1
        conn.close()
        with lock:
            latencies.extend(mine)
            for k, v in codes.items():
                statuses[k] = statuses.get(k, 0) + v

    wall = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - wall
    created = sum(statuses.get(status, 0) for status in ok)
    return {
        "requests": len(latencies),
        "created": created,
        "per_s": round(created / wall, 1),
        "p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "p95_ms": round(percentile(latencies, 95) * 1000, 1),
        "p99_ms": round(percentile(latencies, 99) * 1000, 1),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }
