from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SmsConfig(AppConfig):
    name = "sms"
    verbose_name = _("SMS: codes in, replies out")

    def ready(self):
        # Every process knows the delivery task by name (services enqueue it by name).
        from . import tasks  # noqa: F401
