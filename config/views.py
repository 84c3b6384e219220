"""Project-level views: health check and error handlers."""

import sys

from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.defaults import page_not_found

from .middleware import unavailable_response


def _database_status() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return {"ok": True, "engine": connection.vendor}
    except Exception as exc:  # any failure means "not reachable"; details stay in logs
        return {"ok": False, "engine": connection.vendor, "error": type(exc).__name__}


def _broker_status() -> dict:
    from django.conf import settings

    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"ok": True, "mode": "eager", "detail": "no broker configured; tasks run in-process"}
    from config.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return {"ok": True, "mode": "broker"}
    except Exception as exc:
        return {"ok": False, "mode": "broker", "error": type(exc).__name__}


@never_cache
@require_GET
def healthz(request):
    """200 when the database answers (the broker being down degrades but does not
    stop intake: reports wait in `received`); 503 when the database is unreachable."""
    database, broker = _database_status(), _broker_status()
    status = 200 if database["ok"] else 503
    return JsonResponse(
        {
            "status": "ok" if database["ok"] and broker["ok"] else ("degraded" if database["ok"] else "unavailable"),
            "database": database,
            "broker": broker,
        },
        status=status,
    )


def not_found(request, exception):
    """API clients get JSON even for paths that match no route (e.g. a report id
    that is not a UUID); everyone else gets Django's page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
    return page_not_found(request, exception)


def server_error(request):
    exc = sys.exc_info()[1]
    if isinstance(exc, (OperationalError, InterfaceError)):
        return unavailable_response(request)
    return HttpResponse("Server error. The team has been notified.", status=500, content_type="text/plain; charset=utf-8")
