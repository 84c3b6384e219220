"""Cross-cutting HTTP guards: refuse oversized bodies before anything reads
them, refuse control characters in query parameters, and turn a lost
database into a clean 503 instead of a traceback."""

import logging
import re

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

JSON_BODY_LIMIT_SETTING = "DATA_UPLOAD_MAX_MEMORY_SIZE"


def _wants_json(request) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


def unavailable_response(request, message="The service is temporarily unavailable; please retry shortly."):
    if _wants_json(request):
        response = JsonResponse({"detail": message, "code": "service_unavailable"}, status=503)
    else:
        response = HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = "5"
    return response


class RequestSizeLimitMiddleware:
    """413 for bodies over MAX_REQUEST_BYTES, and for non-multipart bodies (JSON,
    forms) over DATA_UPLOAD_MAX_MEMORY_SIZE, judged from Content-Length before
    anything reads the body (DRF's parsers read the stream directly)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        content_type = request.META.get("CONTENT_TYPE", "")
        limit = settings.MAX_REQUEST_BYTES if content_type.startswith("multipart/") else getattr(settings, JSON_BODY_LIMIT_SETTING)
        if length > limit:
            return JsonResponse(
                {"detail": f"Request body too large ({length} bytes; limit {limit}).", "code": "request_too_large"}, status=413
            )
        return self.get_response(request)


# C0 controls and DEL. NUL above all: PostgreSQL refuses it in text, so a
# search for it would fail as a 500 deep inside a query.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def _bad_parameter(request) -> str | None:
    """The first query parameter with a control character in its name or value.
    (Bodies are left to the forms, serializers and services, which know which
    fields are text: Django's and DRF's text fields refuse NUL.)"""
    for name, values in request.GET.lists():
        if CONTROL_CHARACTERS.search(name) or any(CONTROL_CHARACTERS.search(v) for v in values):
            return name
    return None


class ControlCharacterMiddleware:
    """400 for a control character in a query parameter (`?q=` of the export
    URL, admin search and autocomplete, API filters...), whatever the view:
    nothing a person types into a search box holds one, and a NUL would
    otherwise reach PostgreSQL."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        name = _bad_parameter(request)
        if name is None:
            return self.get_response(request)
        shown = CONTROL_CHARACTERS.sub("?", name)[:64]
        message = f"The parameter {shown!r} holds a control character (such as NUL), which is not allowed."
        if _wants_json(request):
            return JsonResponse({"detail": message, "code": "control_character"}, status=400)
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            return self.get_response(request)
        except (OperationalError, InterfaceError) as exc:
            # Raised outside a view (session or auth middleware): same answer.
            logger.error("database unavailable: %s", type(exc).__name__)
            return unavailable_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, (OperationalError, InterfaceError)):
            logger.error("database unavailable during %s %s: %s", request.method, request.path, type(exception).__name__)
            return unavailable_response(request)
        return None
