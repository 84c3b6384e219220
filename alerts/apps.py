from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = _("Alerts to coordinators")

    def ready(self):
        # Registers the Celery tasks in every process, so `reports.enqueue`
        # finds the alert task by its name without importing this app.
        from . import tasks  # noqa: F401
