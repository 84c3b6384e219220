"""The evidence signing key: Ed25519, from `EVIDENCE_SIGNING_KEY` (PEM PKCS#8)
or `EVIDENCE_SIGNING_KEY_FILE`. Without either (the embedded mode only:
settings refuses to start without one when DEBUG is false) a key is made on
first use in `EVIDENCE_SIGNING_KEY_EMBEDDED_FILE` and the log says where.

What is signed is `integrity.checkpoint_statement`; anyone verifies a
signature with the public key alone (tools/verify_export.py does, with the
standard library only)."""

import base64
import functools
import hashlib
import logging
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)


def _embedded_key(path: Path) -> bytes:
    """The embedded mode's key file, made on first use (exclusively: two
    processes starting at once end up with the same key)."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes()
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    logger.warning("made an evidence signing key for the embedded mode in %s (set EVIDENCE_SIGNING_KEY_FILE in production)", path)
    return pem


def _key_pem() -> bytes:
    if settings.EVIDENCE_SIGNING_KEY:
        return settings.EVIDENCE_SIGNING_KEY.encode("ascii")
    if settings.EVIDENCE_SIGNING_KEY_FILE:
        return Path(settings.EVIDENCE_SIGNING_KEY_FILE).read_bytes()
    return _embedded_key(Path(settings.EVIDENCE_SIGNING_KEY_EMBEDDED_FILE))


@functools.cache
def private_key() -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(_key_pem(), password=None)
    except (ValueError, TypeError, OSError) as exc:
        raise ImproperlyConfigured(f"the evidence signing key cannot be read: {type(exc).__name__}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured("the evidence signing key must be an Ed25519 key (PEM PKCS#8)")
    return key


def public_key() -> Ed25519PublicKey:
    return private_key().public_key()


def public_key_pem() -> str:
    return public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def public_key_sha256() -> str:
    """Names the key: SHA-256 of its 32 raw bytes."""
    raw = public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def sign(message: bytes) -> str:
    """The Ed25519 signature of `message`, base64."""
    return base64.b64encode(private_key().sign(message)).decode("ascii")
