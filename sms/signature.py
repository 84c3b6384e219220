"""The webhook's and the send API's signature: `sha256=<hex HMAC-SHA256 of the raw body>`."""

import hashlib
import hmac

PREFIX = "sha256="


def sign(body: bytes, secret: str) -> str:
    return PREFIX + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def signature_valid(body: bytes, header: str | None, secret: str) -> bool:
    """True only for a configured secret and the exact signature (compared in constant time)."""
    if not secret or not header:
        return False
    return hmac.compare_digest(sign(body, secret).encode("ascii"), header.strip().lower().encode("utf-8", "replace"))
