from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports: incidents, flags, triage")

    def ready(self):
        # Registers the Celery tasks in every process (web, worker, command), so
        # `reports.enqueue` finds them by name without importing this adapter.
        from . import tasks  # noqa: F401
