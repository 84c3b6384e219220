"""Request-level guards: the API token authentication and the throttle on
failed activation attempts (shared by the API and the web page)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from .tokens import TokenExpired, TokenInvalid, token_authenticate


class TokenExpiredError(exceptions.AuthenticationFailed):
    default_detail = _("Your session has expired. Log in again.")
    default_code = "token_expired"


class ExpiringTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>` against `roster.ApiToken`: 401 with code
    `token_expired` past its expiry, 401 `authentication_failed` when unknown or
    revoked. `request.auth` is the ApiToken."""

    def authenticate_credentials(self, key):
        try:
            token = token_authenticate(key=key)
        except TokenExpired:
            raise TokenExpiredError() from None
        except TokenInvalid:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (token.user, token)


class ActivationFailureThrottle(SimpleRateThrottle):
    """Counts failed activation attempts per client address (the same address
    login lockout and API throttling use). Successful activations do not count:
    a whole training room behind one address activates its phones freely, while
    guessing is cut off after a few misses."""

    scope = "activate"

    def get_rate(self):
        # Read at use, not at import (SimpleRateThrottle's class attribute), so settings changes apply.
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

    def get_cache_key(self, request, view=None):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def blocked(self, request) -> bool:
        self.key = self.get_cache_key(request)
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        return len(self.history) >= self.num_requests

    def record_failure(self, request) -> None:
        if not hasattr(self, "history"):
            self.blocked(request)
        self.history.insert(0, self.now)
        self.cache.set(self.key, self.history, self.duration)

    def retry_after(self) -> int:
        return int(self.wait() or 1)
