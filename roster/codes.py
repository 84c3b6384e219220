"""Activation codes and API token keys: generation, the typed form, hashing.

A code is 12 characters from a 30-character alphabet without look-alikes
(no 0/O, 1/I/L, U/V pairs to confuse: 0, 1, I, L, O and U are left out),
typed in three groups: `K7QF-93XB-2MWD`. 30**12 is about 2**58.9, above the
50 bits asked for a code that lives 72 hours and is throttled per address.
Only a keyed hash (HMAC with SECRET_KEY) is stored: a copy of the database
alone does not let anyone test guesses offline.
"""

import hashlib
import math
import secrets

from django.utils.crypto import salted_hmac

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
GROUPS = 3
GROUP_LENGTH = 4
CODE_LENGTH = GROUPS * GROUP_LENGTH
CODE_BITS = CODE_LENGTH * math.log2(len(ALPHABET))
_HASH_SALT = "roster.activation-code"


def code_generate() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return code_format(raw)


def code_format(raw: str) -> str:
    return "-".join(raw[i : i + GROUP_LENGTH] for i in range(0, CODE_LENGTH, GROUP_LENGTH))


def code_normalize(typed: str) -> str | None:
    """The code as typed (any case, spaces or dashes) in canonical form, or None
    when it cannot be a code at all."""
    raw = "".join(ch for ch in (typed or "").upper() if ch not in " -\t")
    if len(raw) != CODE_LENGTH or any(ch not in ALPHABET for ch in raw):
        return None
    return code_format(raw)


def code_hash(code: str) -> str:
    return salted_hmac(_HASH_SALT, code, algorithm="sha256").hexdigest()


def token_key_generate() -> str:
    # 256 random bits: a plain SHA-256 is enough to store it.
    return secrets.token_urlsafe(32)


def token_key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
