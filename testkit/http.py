"""HTTP requests to a real server over loopback, for integration tests and the
load bench. One connection per request (`Connection: close`), so a failure is
always the server's answer and never a stale keep-alive socket on the client side."""

import http.client
import json
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass
class Answer:
    status: int  # 0: no HTTP answer (connection refused/reset/timeout)
    body: bytes
    headers: dict
    error: str = ""

    def json(self):
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None


def request(base: str, method: str, path: str, *, body: bytes | None = None, headers: dict | None = None, timeout: float = 30) -> Answer:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers={"Connection": "close", **(headers or {})})
        response = conn.getresponse()
        return Answer(response.status, response.read(), {k.lower(): v for k, v in response.getheaders()})
    except (OSError, http.client.HTTPException) as exc:
        return Answer(0, b"", {}, error=f"{type(exc).__name__}: {exc}")
    finally:
        conn.close()


def post_json(base: str, path: str, payload, *, token: str | None = None, headers: dict | None = None, timeout: float = 30) -> Answer:
    all_headers = {"Content-Type": "application/json", "Accept": "application/json", **(headers or {})}
    if token:
        all_headers["Authorization"] = f"Token {token}"
    return request(base, "POST", path, body=json.dumps(payload).encode(), headers=all_headers, timeout=timeout)


def get(base: str, path: str, *, token: str | None = None, headers: dict | None = None, timeout: float = 30) -> Answer:
    all_headers = {"Accept": "application/json", **(headers or {})}
    if token:
        all_headers["Authorization"] = f"Token {token}"
    return request(base, "GET", path, headers=all_headers, timeout=timeout)


def multipart(fields: dict, files: list[tuple[str, str, str, bytes]]) -> tuple[bytes, str]:
    """Encode form fields and (field, filename, content_type, data) files."""
    boundary = f"----elmon{uuid.uuid4().hex}"
    out = bytearray()
    for name, value in fields.items():
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    for name, filename, content_type, data in files:
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'.encode()
        out += f"Content-Type: {content_type}\r\n\r\n".encode() + data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


def post_multipart(base: str, path: str, fields: dict, files, *, token: str, headers: dict | None = None, timeout: float = 60) -> Answer:
    body, content_type = multipart(fields, files)
    headers = {"Content-Type": content_type, "Accept": "application/json", "Authorization": f"Token {token}", **(headers or {})}
    return request(base, "POST", path, body=body, headers=headers, timeout=timeout)
