"""Settings of the channels that leave the platform: alerts to coordinators by
e-mail and webhook (alerts app; docs/alerts.md) and the SMS gateway (sms app;
README "SMS"). Read from the environment like the rest of config/settings.py,
which merges what `channel_settings` returns into its own names."""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from .env import Env


def _mail(env: Env, base_dir: Path) -> dict:
    """EMAIL_URL (django-environ: smtp://user:password@host:587, smtp+tls://…,
    smtps://…, consolemail://, filemail:////absolute/folder). Unset, each mail is
    written as a file under var/mail/ in the project folder."""
    if env.str("EMAIL_URL", default=""):
        mail = env.email_url("EMAIL_URL")
    else:
        mail = {"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend", "EMAIL_FILE_PATH": base_dir / "var" / "mail"}
    mail["DEFAULT_FROM_EMAIL"] = env.str("DEFAULT_FROM_EMAIL", default="alerts@localhost")
    mail["EMAIL_TIMEOUT"] = env.int("EMAIL_TIMEOUT", default=10)
    return mail


def _alerts(env: Env, broker_visibility_timeout: float) -> dict:
    alerts = {
        # A webhook that does not answer within this many seconds counts as failed (and is retried).
        "ALERTS_WEBHOOK_TIMEOUT_SECONDS": env.float("ALERTS_WEBHOOK_TIMEOUT_SECONDS", default=10.0),
        # Attempts per delivery (e-mail or webhook) before it is marked failed; the
        # wait between them doubles from the first value up to the second (seconds).
        "ALERTS_MAX_ATTEMPTS": env.int("ALERTS_MAX_ATTEMPTS", default=8),
        "ALERTS_RETRY_BACKOFF_SECONDS": env.float("ALERTS_RETRY_BACKOFF_SECONDS", default=30.0),
        "ALERTS_RETRY_BACKOFF_MAX": env.float("ALERTS_RETRY_BACKOFF_MAX", default=900.0),
        # A delivery nobody tried this long after it was raised is handed to the workers again (its enqueue was lost).
        "ALERTS_SWEEP_PENDING_AFTER_SECONDS": env.int("ALERTS_SWEEP_PENDING_AFTER_SECONDS", default=120),
        # Silent and missing observers: COVERAGE_SILENT_AFTER_MINUTES and COVERAGE_MISSING_AFTER_MINUTES (settings).
    }
    if alerts["ALERTS_MAX_ATTEMPTS"] < 1 or alerts["ALERTS_RETRY_BACKOFF_SECONDS"] <= 0:
        raise ImproperlyConfigured("ALERTS_MAX_ATTEMPTS must be 1 or more and ALERTS_RETRY_BACKOFF_SECONDS positive.")
    # A retry waits in the broker: with its jitter (a quarter) it must come back before Redis redelivers it.
    if alerts["ALERTS_RETRY_BACKOFF_MAX"] * 1.25 >= broker_visibility_timeout:
        raise ImproperlyConfigured("ALERTS_RETRY_BACKOFF_MAX (with a quarter of jitter) must stay below CELERY_BROKER_VISIBILITY_TIMEOUT.")
    return alerts


def _sms(env: Env, base_dir: Path, broker_visibility_timeout: float) -> dict:
    sms = {
        # The gateway's webhook, POST /sms/inbound/ (README "SMS"). Every delivery must carry
        # X-Signature: sha256=<hex HMAC-SHA256 of the raw body with this secret>; without a
        # secret the webhook refuses everything (403).
        "SMS_GATEWAY_SECRET": env.str("SMS_GATEWAY_SECRET", default=""),
        # The number observers text (the gateway's), printed on the SMS card beside each badge.
        "SMS_GATEWAY_NUMBER": env.str("SMS_GATEWAY_NUMBER", default=""),
        # Where replies go: the gateway's send API (POST JSON {id, to, text}), with a bearer
        # token and/or an X-Signature HMAC of the body. Unset: replies are written to
        # SMS_OUTBOX_DIR, one file each, and shown in the admin (the embedded default).
        "SMS_GATEWAY_SEND_URL": env.str("SMS_GATEWAY_SEND_URL", default=""),
        "SMS_GATEWAY_SEND_TOKEN": env.str("SMS_GATEWAY_SEND_TOKEN", default=""),
        "SMS_GATEWAY_SEND_SECRET": env.str("SMS_GATEWAY_SEND_SECRET", default=""),
        "SMS_GATEWAY_SEND_TIMEOUT": env.float("SMS_GATEWAY_SEND_TIMEOUT", default=10.0),
        # Attempts at handing a message to the gateway before it is marked failed (backoff doubles, capped).
        "SMS_SEND_MAX_ATTEMPTS": env.int("SMS_SEND_MAX_ATTEMPTS", default=6),
        "SMS_SEND_BACKOFF_MAX": env.int("SMS_SEND_BACKOFF_MAX", default=300),
        "SMS_OUTBOX_DIR": env.path("SMS_OUTBOX_DIR", default=base_dir / "sms-outbox"),
        # A number that is no active observer's gets at most one reply in this many seconds.
        "SMS_UNKNOWN_SENDER_REPLY_SECONDS": env.int("SMS_UNKNOWN_SENDER_REPLY_SECONDS", default=3600),
    }
    if sms["SMS_SEND_BACKOFF_MAX"] >= broker_visibility_timeout:
        raise ImproperlyConfigured("SMS_SEND_BACKOFF_MAX must stay below CELERY_BROKER_VISIBILITY_TIMEOUT.")
    return sms


def channel_settings(env: Env, *, base_dir: Path, broker_visibility_timeout: float) -> dict:
    return {**_mail(env, base_dir), **_alerts(env, broker_visibility_timeout), **_sms(env, base_dir, broker_visibility_timeout)}
