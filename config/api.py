"""API-wide error handling: every error is JSON with field-level messages where
there are fields, and nothing becomes a 500."""

import ipaddress
import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.throttling import BaseThrottle
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


def client_address(request) -> str | None:
    """The client's address for login lockout (settings.AXES_CLIENT_IP_CALLABLE):
    exactly what API throttling counts by (DRF's reading of NUM_PROXIES), so
    the two never disagree. Something that is not an IP address where a proxy
    should have written one falls back to REMOTE_ADDR (the lockout table stores
    addresses)."""
    address = BaseThrottle().get_ident(request)
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return request.META.get("REMOTE_ADDR")


class CappedLimitOffsetPagination(LimitOffsetPagination):
    """`?limit=` beyond this is served as this: a limit past the database's
    integer range would be a 500, and nobody needs more rows per page."""

    max_limit = 200


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(detail=as_serializer_error(exc))
    if isinstance(exc, (RequestDataTooBig, TooManyFilesSent, TooManyFieldsSent)):
        return Response({"detail": str(exc) or "Request too large.", "code": "request_too_large"}, status=413)
    if isinstance(exc, SuspiciousOperation):
        return Response({"detail": "Malformed request.", "code": "bad_request"}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, (OperationalError, InterfaceError)):
        logger.error("database unavailable in API: %s", type(exc).__name__)
        return Response(
            {"detail": "The service is temporarily unavailable; please retry shortly.", "code": "service_unavailable"},
            status=503,
            headers={"Retry-After": "5"},
        )
    if isinstance(exc, DjangoPermissionDenied) and not str(exc):
        exc = DjangoPermissionDenied("You do not have permission to perform this action.")
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" in response.data:
        code = getattr(getattr(exc, "detail", None), "code", None) or getattr(exc, "default_code", None)
        if code:
            response.data.setdefault("code", code)
    return response


# Every API error has one of two JSON shapes; the schema says so for every operation.
_ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
    "required": ["detail"],
}
_FIELD_ERRORS = {
    "type": "object",
    "description": "Field-level messages: {field: [message, …]}, or detail/code.",
    "additionalProperties": True,
}
_STANDARD_ERRORS = {
    "400": ("Invalid input.", _FIELD_ERRORS),
    "401": ("No valid credentials.", _ERROR),
    "403": ("Not allowed (or locked out after repeated failed logins).", _ERROR),
    "404": ("Not found, or not visible to you.", _ERROR),
    "405": ("Method not allowed.", _ERROR),
    "413": ("Request body too large.", _ERROR),
    "415": ("Unsupported media type.", _ERROR),
    "429": ("Too many requests; retry after the Retry-After delay.", _ERROR),
    "503": ("Database unavailable; retry shortly.", _ERROR),
}


def document_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: add the errors any operation can
    answer (see exception_handler and the middleware) where a view did not
    document them itself, and accept any field-error object for 400."""
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            for code, (description, schema) in _STANDARD_ERRORS.items():
                current = responses.get(code)
                if current is None or code == "400":
                    responses[code] = {
                        "description": (current or {}).get("description", description),
                        "content": {"application/json": {"schema": schema}},
                    }
    return result
