"""The report page, in place of the admin's change form.

A report is evidence: the page shows what the observer submitted read-only,
beside what the pipeline derived (geotag, flags, related reports), the photos
through their scoped door, and the audit trail. The triage panel's forms post
to the triage operations (reports.admin.triage); nothing here writes.

Reads come from `selectors.report_detail` in a fixed number of queries however
many photos, flags and events a report has.
"""

import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from monitoring.geo import haversine_m
from monitoring.localtime import format_local, format_utc

from ..models import TriageStatus
from ..permissions import may_decide_flags, may_triage
from ..rules import flag_text
from ..selectors import report_detail
from ..services.triage import TRIAGE_TRANSITIONS
from ..validation import reason_text

# The panel's buttons say what they do.
TRANSITION_VERBS = {
    TriageStatus.UNDER_REVIEW: _("Start review"),
    TriageStatus.VERIFIED: _("Verify"),
    TriageStatus.DISMISSED: _("Dismiss"),
    TriageStatus.ESCALATED: _("Escalate"),
    TriageStatus.RESOLVED: _("Resolve"),
    TriageStatus.NEW: _("Back to new"),
}


def _map_link(latitude, longitude) -> str:
    if latitude is None or longitude is None:
        return ""
    return settings.MAP_LINK_URL.format(lat=f"{latitude:.6f}", lon=f"{longitude:.6f}")


def _photos(detail) -> list[dict]:
    """Each photo through the scoped door, with how far its EXIF position is from the station."""
    station = detail.report.station
    return [
        {
            "photo": p,
            "url": reverse("web:photo", args=[p.pk]),
            "station_distance_m": (
                haversine_m(p.exif_latitude, p.exif_longitude, station.latitude, station.longitude) if p.exif_latitude is not None else None
            ),
        }
        for p in detail.photos
    ]


def _times(report) -> dict:
    """Times on the station's own clock, with UTC beside them."""
    zone = report.station.district.region.timezone
    return {
        "occurred": format_local(report.occurred_at, zone),
        "received": format_local(report.received_at, zone),
        "occurred_utc": format_utc(report.occurred_at),
        "received_utc": format_utc(report.received_at),
        "zone": zone,
    }


def _explain(flags, report):
    """Each flag's explanation in the reader's language (the stored one is the English rendering)."""
    category_name = report.category.name if report.category_id else None
    for flag in flags:
        flag.text = flag_text(flag.code, flag.params, category_name=category_name) if flag.params is not None else flag.explanation
    return flags


def _transitions(report) -> list[tuple[str, str]]:
    allowed = TRIAGE_TRANSITIONS.get(report.triage_status, set())
    return [(status, TRANSITION_VERBS[status]) for status in TriageStatus.values if status in allowed]


def report_page_view(model_admin, request, object_id):
    """GET only: a POST (the change form's save) is refused, so the evidence cannot be edited here."""
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    if not model_admin.has_view_or_change_permission(request):
        raise PermissionDenied
    try:
        report_id = uuid.UUID(str(object_id))
    except ValueError:
        raise Http404 from None
    detail = report_detail(user=request.user, report_id=report_id)
    if detail is None:
        raise Http404
    report = detail.report
    _explain(detail.flags, report)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": _("Report %(station)s · %(category)s") % {"station": report.station.code, "category": report.subject_label},
        "subtitle": str(report.pk),
        "detail": detail,
        "report": report,
        "local": _times(report),
        "rejection": [reason_text(r) for r in report.rejection_reasons or []],
        "map_link": _map_link(report.location_latitude, report.location_longitude),
        "station_map_link": _map_link(report.station.latitude, report.station.longitude),
        "device_map_link": _map_link(report.latitude, report.longitude),
        "photos": _photos(detail),
        "may_triage": may_triage(user=request.user, report=report),
        "may_decide_flags": may_decide_flags(user=request.user, report=report),
        "transitions": _transitions(report),
        "changelist_url": reverse("admin:reports_submission_changelist"),
    }
    return TemplateResponse(request, "admin/reports/submission/report_detail.html", context)
