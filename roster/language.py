"""Pages in the user's own language, for the console as for the web app.

The language of a person's roster entry (from the organization's file, or set
by a coordinator) is remembered in the session at login and activated on each
of that session's requests, after LocaleMiddleware. A language this browser
chose itself (Django's language cookie, set by the language buttons) wins: the
person's explicit choice on this device. Users without a roster entry (platform
staff, demo accounts) keep the browser's languages.
"""

from django.conf import settings
from django.utils import translation

from .selectors import roster_language_of

SESSION_KEY = "roster_language"


def remember_language(sender, request, user, **kwargs):
    """user_logged_in receiver: one query at login, none on later requests."""
    session = getattr(request, "session", None)
    if session is None:
        return
    language = roster_language_of(user)
    if language:
        session[SESSION_KEY] = language
    else:
        session.pop(SESSION_KEY, None)


class UserLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        language = session.get(SESSION_KEY) if session is not None and session.session_key else None
        if language and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES and translation.check_for_language(language):
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
