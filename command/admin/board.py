"""The coverage board: totals, regions, the observers' table (with the
"silent now" filter, longest silent first), the plan's stations on a map,
refreshing itself; and each observer's page, where a coordinator records a
call or message. The figures come from `command.services.coverage`; this
module picks the election, shapes rows for the templates and serves the map's
points as JSON. No inline script (CSP): the map is static/command/board.js."""

import json
from functools import partial
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from monitoring.localtime import to_local
from monitoring.models import Election, Region
from reports.admin.situation_page import tile_csp

from ..coverage import State, silent_now
from ..models import ContactAttempt
from ..permissions import may_record_contact, may_view_coverage
from ..services.contacts import ContactDenied, contact_record
from ..services.coverage import coverage_for, observer_page, with_last_seen
from ..services.gc_pause import gc_paused

ROWS_PER_PAGE = 200
FILTERS = {
    "silent": _("silent now"),
    "missing": _("missing"),
    "unreachable": _("unreachable"),
    "present": _("present"),
    "planned": _("not yet due"),
    "left": _("left"),
}
# Problems first: the longest silent, then the longest missing, then the unreachable.
ORDER = {State.SILENT: 0, State.MISSING: 1, State.ARRIVED: 3, State.REPORTING: 3, State.PLANNED: 4, State.LEFT: 5}


def urls(model_admin) -> list:
    wrap = model_admin.admin_site.admin_view
    return [
        path("board/", wrap(partial(board_view, model_admin)), name="command_board"),
        path("board/points.json", wrap(partial(points_view, model_admin)), name="command_board_points"),
        path("board/observer/<str:public_code>/", wrap(partial(observer_view, model_admin)), name="command_board_observer"),
    ]


def _election(request):
    elections = list(Election.objects.order_by("-voting_day", "code"))
    code = request.GET.get("election") or (elections[0].code if elections else "")
    selected = next((e for e in elections if e.code == code), None)
    if code and selected is None:
        raise Http404
    return elections, selected


def _clock(moment, zone: str) -> str:
    return to_local(moment, zone).strftime("%H:%M") if moment else ""


def _minutes(delta) -> int:
    return int(delta.total_seconds() // 60)


def row(o, now) -> dict:
    seen = o.last_seen
    return {
        "o": o,
        "state": str(o.state),
        "for_minutes": _minutes(now - o.since) if o.since and o.state in (State.SILENT, State.MISSING) else None,
        "shift": f"{_clock(o.shift_start, o.zone)}–{_clock(o.shift_end, o.zone)}" if o.shift_start else "",
        "last_seen": _clock(seen.at, o.zone) if seen else "",
        "last_seen_ago": _minutes(now - seen.at) if seen else None,
        "last_station": seen.station_code if seen else "",
        "last_distance": round(seen.distance_m) if seen and seen.distance_m is not None else None,
        "next_shift": f"{o.next_shift_station} {_clock(o.next_shift_start, o.zone)}" if o.next_shift_start else "",
        "contact": o.contact,
        "contact_label": ContactAttempt.Outcome(o.contact.outcome).label if o.contact else "",
        "contact_at": _clock(o.contact.at, o.zone) if o.contact else "",
    }


def json_block(value, element_id: str) -> str:
    """What django.utils.html.json_script writes (a JSON data block with <, >
    and & escaped), for the map's 10,000 points: compact separators, and the
    three escapes by str.replace; json_script's str.translate over the
    megabyte was most of its 15 ms."""
    text = json.dumps(value, separators=(",", ":")).replace("<", "\\u003C").replace(">", "\\u003E").replace("&", "\\u0026")
    return format_html('<script id="{}" type="application/json">{}</script>', element_id, mark_safe(text))  # noqa: S308 - escaped above


def _chosen(coverage, wanted: str) -> list:
    observers = coverage.observers
    if wanted == "silent":
        return silent_now(coverage)
    if wanted == "unreachable":
        return [o for o in observers if o.unreachable]
    if wanted == "present":
        return [o for o in observers if o.state in (State.ARRIVED, State.REPORTING)]
    if wanted in FILTERS:
        return [o for o in observers if o.state == wanted]
    return sorted(
        observers,
        key=lambda o: (ORDER[o.state] if not o.unreachable or o.state != State.PLANNED else 2, o.since or coverage.as_of, o.public_code),
    )


def board_view(model_admin, request):
    if not may_view_coverage(request.user):
        raise PermissionDenied
    with gc_paused():  # the reading, the rows and the page: see command.services.gc_pause
        response = _board(model_admin, request)
        response.render()
    return response


def _board(model_admin, request):
    elections, election = _election(request)
    now = timezone.now()
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": _("Coverage board"),
        "elections": elections,
        "election": election,
        "refresh_seconds": max(settings.COVERAGE_REFRESH_SECONDS, 5),
        "filters": FILTERS.items(),
        "tile_url": settings.MAP_TILE_URL,
        "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
    }
    if election is not None:
        # Every observer's state (the totals, the filters and the order need
        # them), but the last submission only of the page's rows.
        coverage = coverage_for(user=request.user, election=election, now=now, points=True, last_seen=False)
        wanted = request.GET.get("show", "")
        page = Paginator(_chosen(coverage, wanted), ROWS_PER_PAGE).get_page(request.GET.get("page"))
        with_last_seen(coverage, list(page.object_list))
        names = {r.code: r.name for r in Region.objects.filter(code__in=[code for code, _ in coverage.regions])}
        base = {"election": election.code, **({"show": wanted} if wanted in FILTERS else {})}
        context.update(
            coverage=coverage,
            regions=[(code, names.get(code, code), counts) for code, counts in coverage.regions],
            rows=[row(o, now) for o in page.object_list],
            points_json=json_block(coverage.points, "coverage-points"),
            page=page,
            page_query=urlencode(base),
            show=wanted if wanted in FILTERS else "",
            counts={"silent": coverage.totals.silent, "unreachable": sum(o.unreachable for o in coverage.observers)},
            generated_at=now,
        )
    response = TemplateResponse(request, "admin/command/board.html", context)
    response._csp_update = tile_csp()
    return response


def points_view(model_admin, request):
    """The plan's stations with their coverage state (station coordinates, never an observer's fix)."""
    if not may_view_coverage(request.user):
        raise PermissionDenied
    _elections, election = _election(request)
    points = coverage_for(user=request.user, election=election, now=timezone.now(), points=True, last_seen=False).points if election else []
    response = JsonResponse({"election": election.code if election else None, "points": points})
    response["Cache-Control"] = "no-store"
    return response


class ContactForm(forms.Form):
    outcome = forms.ChoiceField(label=_("outcome"), choices=ContactAttempt.Outcome.choices, widget=forms.RadioSelect)
    text = forms.CharField(label=_("what was said or tried"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


def observer_view(model_admin, request, public_code: str):
    if not may_view_coverage(request.user):
        raise PermissionDenied
    _elections, election = _election(request)
    if election is None:
        raise Http404
    now = timezone.now()
    page = observer_page(user=request.user, election=election, public_code=public_code, now=now)
    if page is None:
        raise Http404
    may_record = may_record_contact(user=request.user, observer=page.observer)
    form = ContactForm(request.POST or None)
    if request.method == "POST":
        if not may_record:
            raise PermissionDenied
        if form.is_valid():
            try:
                contact_record(user=request.user, observer=page.observer, election=election, **form.cleaned_data)
            except ContactDenied:
                raise PermissionDenied from None
            messages.success(request, _("Contact recorded."))
            return HttpResponseRedirect(request.get_full_path())
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": _("Observer %(code)s") % {"code": page.observer.public_code},
        "election": election,
        "page": page,
        "row": row(page.row, now) if page.row else None,
        "form": form if may_record else None,
        "board_url": reverse("admin:command_board") + "?" + urlencode({"election": election.code}),
        "observer_admin_url": reverse("admin:monitoring_observer_change", args=[page.observer.pk]),
        "report_url": "admin:reports_submission_change",
    }
    return TemplateResponse(request, "admin/command/observer.html", context)
