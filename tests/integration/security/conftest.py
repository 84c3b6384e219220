"""A realistic production environment for security tests: DEBUG off, a real
secret, HTTPS behind a proxy, PostgreSQL, Redis as broker and as the shared
cache (a private Redis, so nothing is flushed on the shared one)."""

import secrets
import subprocess
import sys

import pytest

from testkit.private_services import PrivateRedis
from testkit.processes import ROOT, child_env
from testkit.signing_key import evidence_key_file

HOST = "reports.example.org"


@pytest.fixture(scope="session")
def static_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("static")
    env = child_env(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=HOST,
        CELERY_BROKER_URL="redis://127.0.0.1:1/0",
        STATIC_ROOT=root,
        EVIDENCE_SIGNING_KEY_FILE=evidence_key_file(root.parent / "key"),
    )
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True)
    return root


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path / "redis").start()
    yield server
    server.stop()


@pytest.fixture
def production_env(static_root, private_redis, tmp_path):
    def make(**overrides):
        values = dict(
            DEBUG="false",
            SECRET_KEY=secrets.token_urlsafe(50),
            ALLOWED_HOSTS=HOST,
            CSRF_TRUSTED_ORIGINS=f"https://{HOST}",
            USE_X_FORWARDED_PROTO="true",
            CELERY_BROKER_URL=private_redis.url(0),
            CELERY_KEY_PREFIX="",
            CACHE_URL=private_redis.url(1),
            STATIC_ROOT=static_root,
            MEDIA_ROOT=tmp_path / "media",
            EVIDENCE_SIGNING_KEY_FILE=evidence_key_file(tmp_path),
        )
        values.update(overrides)
        return child_env(**values)

    return make


def https_headers(**extra) -> dict:
    """What the TLS-terminating proxy forwards."""
    return {"Host": HOST, "X-Forwarded-Proto": "https", **extra}


@pytest.fixture
def real_passwords(world, settings):
    """The unit-test personas are hashed with MD5 for speed, which a production
    server does not accept: hash their password with the default hashers."""
    from django.conf import global_settings

    from tests.conftest import PASSWORD

    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    for who in (world.observer, world.observer_2, world.coordinator, world.auditor):
        who.user.set_password(PASSWORD)
        who.user.save(update_fields=["password"])
    return world
