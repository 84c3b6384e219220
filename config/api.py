"""API-wide error handling: every error is JSON with field-level messages where
there are fields, and nothing becomes a 500."""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


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
