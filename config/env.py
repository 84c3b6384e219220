"""Environment variables read with casts that fail loudly.

django-environ parses URLs, lists and paths well, but reads any unknown word
as a false boolean (`SECURE_SSL_REDIRECT=ture` would quietly turn HTTPS
redirects off) and reports a bad number without the variable's name. `Env`
keeps the library and replaces those three casts: a value they cannot read
stops the process with the variable's name in the message.
"""

import math

import environ
from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})
NOTSET = environ.Env.NOTSET


class Env(environ.Env):
    def _raw(self, var: str, default):
        """The variable's text, or `default` (a required variable that is unset is an error)."""
        raw = self.ENVIRON.get(var)
        if raw is None and default is NOTSET:
            raise ImproperlyConfigured(f"Set the {var} environment variable.")
        return raw

    def bool(self, var: str, default=NOTSET) -> bool:
        raw = self._raw(var, default)
        if raw is None:
            return default
        word = raw.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ImproperlyConfigured(f"{var}={raw!r} is not a boolean: write true or false (or 1/0, yes/no, on/off).")

    def int(self, var: str, default=NOTSET) -> int:
        raw = self._raw(var, default)
        if raw is None:
            return default
        try:
            return int(raw.strip())
        except ValueError:
            raise ImproperlyConfigured(f"{var}={raw!r} is not a whole number.") from None

    def float(self, var: str, default=NOTSET) -> float:
        raw = self._raw(var, default)
        if raw is None:
            return default
        try:
            value = float(raw.strip())
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise ImproperlyConfigured(f"{var}={raw!r} is not a number.")
        return value
