"""Cross-cutting HTTP guards: refuse oversized bodies before anything reads
them, and turn a lost database into a clean 503 instead of a traceback."""

import logging

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
