"""config/env.py: environment variables that cannot be read stop the process
with the variable's name, instead of turning into a quiet false or a bare
ValueError; and the pipeline's thresholds are one frozen, typed value."""

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from config.env import Env

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    "raw, value",
    [
        ("true", True),
        ("TRUE", True),
        ("1", True),
        ("yes", True),
        (" on ", True),
        ("false", False),
        ("0", False),
        ("No", False),
        ("off", False),
    ],
)
def test_booleans_in_the_usual_words(monkeypatch, raw, value):
    monkeypatch.setenv("SOME_SWITCH", raw)
    assert Env().bool("SOME_SWITCH", default=not value) is value


@pytest.mark.parametrize("raw", ["ture", "flase", "", "2", "enabled", "ok"])
def test_a_boolean_it_cannot_read_names_the_variable(monkeypatch, raw):
    monkeypatch.setenv("SECURE_SSL_REDIRECT", raw)
    with pytest.raises(ImproperlyConfigured, match="SECURE_SSL_REDIRECT=") as refused:
        Env().bool("SECURE_SSL_REDIRECT", default=True)
    assert "not a boolean" in str(refused.value)


@pytest.mark.parametrize(
    "cast, raw", [("int", "12.5"), ("int", "ten"), ("int", ""), ("float", "1,5"), ("float", "nan"), ("float", "inf"), ("float", "")]
)
def test_a_number_it_cannot_read_names_the_variable(monkeypatch, cast, raw):
    monkeypatch.setenv("FLAG_OFF_SITE_METERS", raw)
    with pytest.raises(ImproperlyConfigured, match="FLAG_OFF_SITE_METERS="):
        getattr(Env(), cast)("FLAG_OFF_SITE_METERS", default=1)


def test_numbers_and_defaults(monkeypatch):
    monkeypatch.setenv("SOME_COUNT", " 42 ")
    monkeypatch.setenv("SOME_RATIO", "0.25")
    monkeypatch.delenv("SOME_UNSET", raising=False)
    env = Env()
    assert env.int("SOME_COUNT", default=1) == 42
    assert env.float("SOME_RATIO", default=1.0) == 0.25
    assert env.int("SOME_UNSET", default=7) == 7 and env.bool("SOME_UNSET", default=False) is False
    with pytest.raises(ImproperlyConfigured, match="Set the SOME_UNSET environment variable"):
        env.int("SOME_UNSET")


@pytest.mark.parametrize(
    "variable, raw",
    [("SECURE_SSL_REDIRECT", "ture"), ("DEBUG", "yes please"), ("FLAG_OFF_SITE_METERS", "500m"), ("PIPELINE_MAX_ATTEMPTS", "five")],
)
def test_the_settings_refuse_to_start_on_a_bad_value(variable, raw):
    child = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    child.update({variable: raw, "DJANGO_SETTINGS_MODULE": "config.settings"})
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=child, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert f"ImproperlyConfigured: {variable}={raw!r}" in result.stderr


def test_thresholds_are_one_frozen_value_that_tests_replace(settings):
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.PIPELINE.off_site_meters = 1.0
    settings.PIPELINE = dataclasses.replace(settings.PIPELINE, off_site_meters=1.0)
    assert settings.PIPELINE.off_site_meters == 1.0


def test_thresholds_read_from_the_environment_with_their_types():
    assert isinstance(settings.PIPELINE.off_site_meters, float) and isinstance(settings.PIPELINE.max_attempts, int)
    assert settings.PIPELINE.neighbourhood_seconds == 60 * max(
        settings.PIPELINE.hotspot_window_minutes, settings.PIPELINE.duplicate_window_minutes
    )
