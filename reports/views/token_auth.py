"""API tokens at the evidence doors (exports, photos): the API hands out
`/photos/<id>/` URLs and auditors script their downloads, so these plain
Django views accept `Authorization: Token …` too, through the API's own token
authentication (`REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]`: the same
expiry and revocation), with the same scoping as a session."""

from functools import wraps

from django.http import HttpResponse
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework.settings import api_settings


def _refused(message: str) -> HttpResponse:
    response = HttpResponse(f"{message}\n", status=401, content_type="text/plain; charset=utf-8")
    response["WWW-Authenticate"] = "Token"
    return response


def accepts_api_token(view):
    """A request with `Authorization: Token …` is the token's user (a bad,
    expired or revoked token: 401, never the login page); without one, the
    session decides as before."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        keyword = request.META.get("HTTP_AUTHORIZATION", "").split(" ", 1)[0].lower()
        if keyword != "token":
            return view(request, *args, **kwargs)
        api_request = Request(request)
        for authentication in api_settings.DEFAULT_AUTHENTICATION_CLASSES:
            if not issubclass(authentication, TokenAuthentication):
                continue
            try:
                found = authentication().authenticate(api_request)
            except AuthenticationFailed as exc:
                return _refused(str(exc.detail))
            if found is not None:
                request.user = found[0]
                return view(request, *args, **kwargs)
        return _refused("Invalid token.")

    return wrapped
