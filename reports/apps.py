from django.apps import AppConfig
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


def evidence_key_check(app_configs, **kwargs):
    """The evidence signing key can be read and is Ed25519 (settings already
    refuses production without one; this catches a wrong file or value at
    `manage.py check` and start-up, not at the first signature)."""
    from .signing import private_key

    try:
        private_key()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), hint="EVIDENCE_SIGNING_KEY or EVIDENCE_SIGNING_KEY_FILE (docs/export.md)", id="reports.E001")]
    return []


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports: incidents, flags, triage")

    def ready(self):
        # Registers the Celery tasks in every process (web, worker, command), so
        # `reports.enqueue` finds them by name without importing this adapter.
        from . import signals, tasks  # noqa: F401

        checks.register(evidence_key_check)
