from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SmsConfig(AppConfig):
    name = "sms"
    verbose_name = _("SMS: codes in, replies out")

    def ready(self):
        # Every process knows the delivery task by name (services enqueue it by name);
        # the badge sheet (roster, which never imports this app) prints the SMS card beside each badge.
        from roster.badges import badge_sms_card_provide

        from . import tasks  # noqa: F401
        from .badges import sms_card

        badge_sms_card_provide(sms_card)
