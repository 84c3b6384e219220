"""API tokens that expire and die with the credentials they were issued under.

A token is bound to a fingerprint of the user's password hash, role and active
flag (as Django binds a session to the password hash): changing any of them,
by whatever path (admin, shell, re-issue, import), revokes every token of the
user at its next use, with no signal to forget. Issuing a token at login
replaces the user's earlier ones (rotation).
"""

import datetime as dt
import hashlib

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from monitoring.models import Observer

from .codes import token_key_generate, token_key_hash
from .models import ApiToken


class TokenInvalid(Exception):
    """Unknown key, or revoked by a change of password, role or active flag."""


class TokenExpired(Exception):
    pass


def _role_of(user) -> str:
    try:
        return user.observer.role
    except Observer.DoesNotExist:
        return ""


def token_fingerprint(user) -> str:
    # Not keyed: it only detects a change, and stays valid across SECRET_KEY
    # rotations (the password hash it covers is in the same table anyway).
    material = f"roster.api-token|{user.password}|{_role_of(user)}|{user.is_active}|{user.is_superuser}"
    return hashlib.sha256(material.encode()).hexdigest()


def token_ttl() -> dt.timedelta:
    return dt.timedelta(hours=settings.API_TOKEN_TTL_HOURS)


@transaction.atomic
def token_issue(*, user, device_label: str = "") -> tuple[ApiToken, str]:
    """A new token for `user`, replacing its earlier ones. Returns the token and
    its key: the key is shown once and never stored."""
    ApiToken.objects.filter(user=user).delete()
    key = token_key_generate()
    token = ApiToken.objects.create(
        user=user,
        key_hash=token_key_hash(key),
        fingerprint=token_fingerprint(user),
        device_label=device_label[:100],
        expires_at=timezone.now() + token_ttl(),
    )
    return token, key


def token_authenticate(*, key: str) -> ApiToken:
    """The live token of `key` (with its user, the user's observer profile and
    organization loaded: the API's doors need them, `monitoring.selectors.observer_for`),
    or TokenInvalid / TokenExpired. One query."""
    try:
        token = ApiToken.objects.select_related("user__observer__organization").get(key_hash=token_key_hash(key))
    except ApiToken.DoesNotExist:
        raise TokenInvalid from None
    if not constant_time_compare(token.fingerprint, token_fingerprint(token.user)):
        token.delete()
        raise TokenInvalid
    if token.expires_at <= timezone.now():
        raise TokenExpired
    return token


def tokens_revoke(*, user, token: ApiToken | None = None) -> int:
    """Revoke one token of `user`, or all of them."""
    qs = ApiToken.objects.filter(user=user)
    if token is not None:
        qs = qs.filter(pk=token.pk)
    return qs.delete()[0]
