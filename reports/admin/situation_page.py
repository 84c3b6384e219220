"""The situation page: counts, charts, flags by code and a map of one election,
scoped to the user, refreshing itself.

The figures come from reports.situation (one query each); this module picks
the election, renders the page (or its live fragment, which the page's script
fetches on a timer) and serves the map's points as JSON. The page runs no
inline script (CSP); the map's tile host is allowed as an image source on this
page only.
"""

from functools import partial
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import situation as situation_reads
from ..enqueue import queue_depth
from ..pipeline_reads import pipeline_health


def urls(model_admin) -> list:
    wrap = model_admin.admin_site.admin_view
    return [
        path("situation/", wrap(partial(situation_view, model_admin)), name="reports_submission_situation"),
        path("situation/points.json", wrap(partial(situation_points_view, model_admin)), name="reports_submission_situation_points"),
    ]


def tile_csp() -> dict:
    """Allow the map tile host (settings.MAP_TILE_URL) as an image source on the situation page only."""
    parts = urlsplit(settings.MAP_TILE_URL.replace("{s}", "*"))
    if not parts.scheme or not parts.netloc:
        return {}
    return {"img-src": [f"{parts.scheme}://{parts.netloc}"]}


def _election(request):
    """The elections to choose from and the chosen one (the latest by default); 404 for a code that names none."""
    elections = situation_reads.elections_for_situation()
    code = request.GET.get("election") or (elections[0].code if elections else "")
    selected = next((e for e in elections if e.code == code), None)
    if code and selected is None:
        raise Http404
    return elections, selected


def situation_view(model_admin, request):
    if not model_admin.has_view_or_change_permission(request):
        raise PermissionDenied
    elections, election = _election(request)
    changelist_url = reverse("admin:reports_submission_changelist")
    situation = (
        situation_reads.situation_for(user=request.user, election=election, changelist_url=changelist_url, now=timezone.now())
        if election
        else None
    )
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": _("Situation"),
        "elections": elections,
        "election": election,
        "situation": situation,
        "refresh_seconds": settings.SITUATION_REFRESH_SECONDS,
        "tile_url": settings.MAP_TILE_URL,
        "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
        "points_url": reverse("admin:reports_submission_situation_points") + (f"?election={election.code}" if election else ""),
        "changelist_url": changelist_url,
        # Platform-wide, and no report's content: how far behind the pipeline is.
        "pipeline": pipeline_health(timezone.now()),
        "queue_depth": queue_depth(),
    }
    template = "admin/reports/situation_live.html" if request.GET.get("fragment") else "admin/reports/situation.html"
    response = TemplateResponse(request, template, context)
    # django-csp reads this per-response update.
    response._csp_update = tile_csp()
    return response


def situation_points_view(model_admin, request):
    """The map's points: reports per polling station, each linking to the queue filtered to it."""
    if not model_admin.has_view_or_change_permission(request):
        raise PermissionDenied
    _elections, election = _election(request)
    points = situation_reads.situation_points(user=request.user, election=election) if election else []
    changelist_url = reverse("admin:reports_submission_changelist")
    for point in points:
        point["href"] = f"{changelist_url}?{urlencode({'kind': 'incident', 'election': election.code, 'station': point['station']})}"
    response = JsonResponse({"election": election.code if election else None, "points": points})
    # Live figures: a cached copy would show a stale map.
    response["Cache-Control"] = "no-store"
    return response
