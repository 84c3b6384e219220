"""A fresh evidence signing key on disk, for child processes run with
production settings (which refuse to start without one)."""

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def evidence_key_file(folder) -> str:
    """The path of an Ed25519 private key (PEM PKCS#8) in `folder`, made once."""
    path = Path(folder) / "evidence-signing-key.pem"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path.write_bytes(pem)
    return str(path)
