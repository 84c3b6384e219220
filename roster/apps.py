from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RosterConfig(AppConfig):
    name = "roster"
    verbose_name = _("Roster: observers' personal data, plan import and credentials")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from . import language

        user_logged_in.connect(language.remember_language, dispatch_uid="roster.remember_language")
