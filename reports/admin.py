"""The coordinators' triage console (Django admin).

- The queue: worst first (risk, then newest), filters that share their names and
  meaning with the export doors (reports.filters), no N+1 queries and no full
  COUNT(*) of the report table (a capped count).
- The report page: read-only evidence, geotag, photos, flags with confirm /
  clear, audit trail, related reports, and the triage panel.
- The situation page: counts, charts, flags by code, map; auto-refreshing.

Every action and button is a thin adapter over `reports.services.triage` or
`reports.services.exports`, which check permission per report and record a
ReportEvent or an ExportRecord. Querysets are scoped to the user's organization.
"""

import datetime as dt
import uuid
from urllib.parse import urlencode, urlsplit

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpResponseNotAllowed, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from monitoring.admin import CodeFixedOnceCreated
from monitoring.geo import haversine_m
from monitoring.localtime import format_local, format_utc
from monitoring.models import District, Election, Observer, ObserverOrganization, Region

from . import permissions
from . import situation as situation_reads
from .filters import (
    RECEIVED_WINDOWS,
    URL_PARAMETERS,
    FilterError,
    ReportFilters,
    apply_report_filters,
    parse_id,
    parse_report_filters,
    search_reports,
)
from .models import ExportRecord, Flag, IncidentCategory, IncidentReport, ReportEvent, ReportState, Severity, TriageStatus
from .permissions import report_scope, user_public_label
from .rules import FLAG_TEXT
from .selectors import export_records_visible_to, report_detail, reports_visible_to
from .services.exports import reports_export
from .services.pipeline import report_reprocess, reports_reprocess
from .services.triage import (
    TRIAGE_TRANSITIONS,
    TriageConflict,
    TriageInputError,
    flag_decide,
    report_add_note,
    report_assign,
    report_decide,
    reports_assign,
    reports_decide,
)
from .validation import reason_text

SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}
# The report page's buttons say what they do.
TRANSITION_VERBS = {
    TriageStatus.UNDER_REVIEW: _("Start review"),
    TriageStatus.VERIFIED: _("Verify"),
    TriageStatus.DISMISSED: _("Dismiss"),
    TriageStatus.ESCALATED: _("Escalate"),
    TriageStatus.RESOLVED: _("Resolve"),
    TriageStatus.NEW: _("Back to new"),
}
# Bulk actions run report by report (each its own permission check, lock and
# event); beyond this many the coordinator is asked to narrow the filter.
BULK_LIMIT = 1000


@admin.register(IncidentCategory)
class IncidentCategoryAdmin(CodeFixedOnceCreated, admin.ModelAdmin):
    list_display = ["code", "name_en", "name_ru", "name_kk", "phase", "default_severity", "critical", "is_active"]
    list_filter = ["phase", "critical", "is_active"]
    search_fields = ["code", "name_en", "name_ru", "name_kk"]


# --- Queue filters --------------------------------------------------------------------------
# Each filter's parameter is the export's parameter of the same name, applied by
# reports.filters, so "export this view" means exactly what is on screen.


class ReportFilter(admin.SimpleListFilter):
    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        try:
            # The codes were checked once for the whole request (changelist_view).
            filters = parse_report_filters({self.parameter_name: value}, check_codes=False)
        except FilterError as exc:
            raise IncorrectLookupParameters(str(exc)) from exc
        return apply_report_filters(queryset, filters, user=request.user)


class ElectionFilter(ReportFilter):
    title = _("election")
    parameter_name = "election"

    def lookups(self, request, model_admin):
        return [(e.code, e.name) for e in Election.objects.order_by("-voting_day", "code")]


class RegionFilter(ReportFilter):
    title = _("region")
    parameter_name = "region"

    def lookups(self, request, model_admin):
        return [(r.code, r.name) for r in Region.objects.order_by("code")]


class DistrictFilter(ReportFilter):
    """Districts of the chosen region (a country has too many to list at once)."""

    title = _("district")
    parameter_name = "district"

    def lookups(self, request, model_admin):
        region = request.GET.get("region")
        if not region:
            return [("", gettext("choose a region first"))] if not self.value() else [(self.value(), self.value())]
        return [(d.code, d.name) for d in District.objects.filter(region__code=region).order_by("code")]

    def choices(self, changelist):
        for choice in super().choices(changelist):
            if choice["display"] == gettext("choose a region first"):
                choice["query_string"] = "#"
            yield choice


class TextInputFilter(ReportFilter):
    """A filter typed in (a station code: too many to list)."""

    template = "admin/reports/filter_input.html"
    placeholder = ""

    def lookups(self, request, model_admin):
        return [("", "")]

    def has_output(self):
        return True

    def choices(self, changelist):
        keep = [(k, v) for k, values in self.request.GET.lists() if k not in (self.parameter_name, "p") for v in values]
        yield {
            "name": self.parameter_name,
            "value": self.value() or "",
            "hidden": keep,
            "placeholder": self.placeholder,
            "clear_url": changelist.get_query_string(remove=[self.parameter_name]),
        }


class StationFilter(TextInputFilter):
    title = _("station")
    parameter_name = "station"
    placeholder = _("station code")


class CategoryFilter(ReportFilter):
    title = _("category")
    parameter_name = "category"

    def lookups(self, request, model_admin):
        return [(c.code, c.name) for c in IncidentCategory.objects.order_by("sort_order", "code")]


class ChoicesFilter(ReportFilter):
    choices_list = ()

    def lookups(self, request, model_admin):
        return list(self.choices_list)


class PhaseFilter(ChoicesFilter):
    title = _("phase")
    parameter_name = "phase"
    choices_list = IncidentCategory.Phase.choices


class SeverityFilter(ChoicesFilter):
    title = _("severity")
    parameter_name = "severity"
    choices_list = list(reversed(Severity.choices))


class StateFilter(ChoicesFilter):
    title = _("pipeline state")
    parameter_name = "state"
    choices_list = ReportState.choices


class TriageStatusFilter(ChoicesFilter):
    title = _("triage status")
    parameter_name = "triage_status"
    choices_list = [("open", _("open (new, under review, escalated; not rejected)")), *TriageStatus.choices]


class FlagCodeFilter(ReportFilter):
    title = _("flag (not cleared)")
    parameter_name = "flag"

    def lookups(self, request, model_admin):
        return [(code, code) for code in sorted(FLAG_TEXT)]


class OrganizationFilter(ReportFilter):
    title = _("organization")
    parameter_name = "organization"

    def lookups(self, request, model_admin):
        scope = report_scope(request.user)
        if scope is not None:
            return []  # one organization: nothing to choose
        return [(str(o.pk), o.name) for o in ObserverOrganization.objects.order_by("name")]


class AssigneeFilter(ReportFilter):
    title = _("assignee")
    parameter_name = "assignee"

    def lookups(self, request, model_admin):
        coordinators = Observer.objects.filter(role=Observer.Role.COORDINATOR, user__is_active=True).select_related("user")
        observer = getattr(request.user, "observer", None)
        if not request.user.is_superuser and observer is not None and observer.organization_id:
            coordinators = coordinators.filter(organization_id=observer.organization_id)
        return [
            ("me", _("me")),
            ("none", _("nobody")),
            *[(str(o.user_id), o.user.get_username()) for o in coordinators.order_by("user__username")[:50]],
        ]


class HasPhotosFilter(ChoicesFilter):
    title = _("photos")
    parameter_name = "has_photos"
    choices_list = [("yes", _("with photos")), ("no", _("without photos"))]


class ReceivedFilter(admin.ListFilter):
    """Received within the last hour / 6 h / 24 h / 7 days, or between two dates."""

    title = _("received")
    template = "admin/reports/filter_received.html"
    parameters = ("received_within", "received_from", "received_to")

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        for name in self.parameters:
            if name in params:
                self.used_parameters[name] = params.pop(name)[-1]

    def has_output(self):
        return True

    def expected_parameters(self):
        return list(self.parameters)

    def queryset(self, request, queryset):
        wanted = {k: v for k, v in self.used_parameters.items() if v}
        if not wanted:
            return queryset
        try:
            filters = parse_report_filters(wanted)
        except FilterError as exc:
            raise IncorrectLookupParameters(str(exc)) from exc
        return apply_report_filters(queryset, filters, user=request.user)

    def choices(self, changelist):
        current = self.used_parameters.get("received_within")
        keep = [(k, v) for k, values in self.request.GET.lists() if k not in (*self.parameters, "p") for v in values]
        yield {
            "windows": [
                {
                    "selected": current is None and not any(self.used_parameters.get(p) for p in self.parameters[1:]),
                    "query_string": changelist.get_query_string(remove=list(self.parameters)),
                    "display": gettext("Any time"),
                },
                *[
                    {
                        "selected": current == key,
                        "query_string": changelist.get_query_string({"received_within": key}, remove=list(self.parameters[1:])),
                        "display": label,
                    }
                    for key, (_delta, label) in RECEIVED_WINDOWS.items()
                ],
            ],
            "hidden": keep,
            "received_from": self.used_parameters.get("received_from", ""),
            "received_to": self.used_parameters.get("received_to", ""),
        }


# --- The queue ------------------------------------------------------------------------------------


class CappedCountPaginator(Paginator):
    """Counts the filtered queue only up to CAP rows (`SELECT COUNT(*) FROM
    (… LIMIT CAP+1)`), so the changelist never counts a huge table; beyond that
    it shows "10000+" and the worst-first order makes the first pages the ones
    that matter."""

    CAP = 10_000

    @cached_property
    def count(self):
        counted = self.object_list.order_by()[: self.CAP + 1].count()
        self.capped = counted > self.CAP
        return min(counted, self.CAP)

    capped = False


class TriageActionForm(ActionForm):
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.TextInput(attrs={"placeholder": _("note for the audit trail (optional)"), "size": 32}),
    )


def _age(received_at: dt.datetime, now: dt.datetime) -> str:
    minutes = max(int((now - received_at).total_seconds() // 60), 0)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h {minutes % 60:02d} min"
    return f"{minutes // (24 * 60)} d"


def _flag_badges(flags) -> str:
    ordered = sorted(flags, key=lambda f: (SEVERITY_RANK.get(f.severity, 9), f.code))
    return format_html_join(
        " ",
        '<span class="flag-badge sev-{} flag-{}" title="{}">{}{}</span>',
        (
            (
                f.severity,
                f.state,
                f"{f.explanation} [{f.state}]" if f.state != Flag.State.OPEN else f.explanation,
                f.code,
                " ✓" if f.state == Flag.State.CONFIRMED else "",
            )
            for f in ordered
        ),
    )


def tile_csp() -> dict:
    """Allow the map tile host (settings.MAP_TILE_URL) as an image source on the situation page only."""
    parts = urlsplit(settings.MAP_TILE_URL.replace("{s}", "*"))
    if not parts.scheme or not parts.netloc:
        return {}
    return {"img-src": [f"{parts.scheme}://{parts.netloc}"]}


@admin.register(IncidentReport)
class IncidentReportAdmin(admin.ModelAdmin):
    list_display = [
        "station_column",
        "region_column",
        "category_column",
        "severity_column",
        "flags_column",
        "state",
        "triage_column",
        "assignee_column",
        "age_column",
        "risk_score",
    ]
    list_display_links = ["station_column"]
    list_filter = [
        ElectionFilter,
        RegionFilter,
        DistrictFilter,
        StationFilter,
        CategoryFilter,
        PhaseFilter,
        SeverityFilter,
        StateFilter,
        TriageStatusFilter,
        FlagCodeFilter,
        OrganizationFilter,
        AssigneeFilter,
        HasPhotosFilter,
        ReceivedFilter,
    ]
    # The search itself is reports.filters.search_reports (see get_search_results).
    search_fields = ["description"]
    search_help_text = _("A report id, an observer code (OBS-…), a station code or name, or words of the description.")
    list_select_related = ["station__district__region", "category", "assignee"]
    ordering = ["-risk_score", "-received_at"]
    paginator = CappedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50
    list_max_show_all = 200
    action_form = TriageActionForm
    actions = [
        "start_review",
        "verify",
        "dismiss",
        "escalate",
        "resolve",
        "assign_to_me",
        "unassign",
        "rerun_pipeline",
        "export_csv",
    ]

    class Media:
        css = {"all": ["reports/admin/triage.css"]}

    # --- Access -----------------------------------------------------------------

    def get_queryset(self, request):
        qs = (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch("flags", queryset=Flag.objects.only("id", "report_id", "code", "severity", "state", "explanation").order_by())
            )
        )
        scope = report_scope(request.user)
        return qs if scope is None else qs.filter(scope)

    def get_search_results(self, request, queryset, search_term):
        return search_reports(queryset, search_term), False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_export_permission(self, request):
        return permissions.may_export(request.user)

    # --- Columns -----------------------------------------------------------------

    @admin.display(description=_("station"), ordering="station__code")
    def station_column(self, obj):
        return format_html('<span class="station-code" title="{}">{}</span>', obj.station.name, obj.station.code)

    @admin.display(description=_("region"), ordering="station__district__region__code")
    def region_column(self, obj):
        return obj.station.district.region.name

    @admin.display(description=_("category"), ordering="category__sort_order")
    def category_column(self, obj):
        return obj.category.name

    @admin.display(description=_("severity"), ordering="severity")
    def severity_column(self, obj):
        return format_html('<span class="sev-label sev-{}">{}</span>', obj.severity, obj.get_severity_display())

    @admin.display(description=_("flags"))
    def flags_column(self, obj):
        return _flag_badges(obj.flags.all())

    @admin.display(description=_("triage status"), ordering="triage_status")
    def triage_column(self, obj):
        # The version the coordinator saw travels with a bulk action, so a report
        # changed by someone else meanwhile is refused, not overwritten.
        return format_html(
            '<span class="triage-{}">{}</span><input type="hidden" name="v-{}" value="{}">',
            obj.triage_status,
            obj.get_triage_status_display(),
            obj.pk,
            obj.triage_version,
        )

    @admin.display(description=_("assignee"), ordering="assignee__username")
    def assignee_column(self, obj):
        return obj.assignee.get_username() if obj.assignee_id else "–"

    @admin.display(description=_("age"), ordering="-received_at")
    def age_column(self, obj):
        return format_html('<span title="{}">{}</span>', format_utc(obj.received_at), _age(obj.received_at, timezone.now()))

    # --- Changelist extras -------------------------------------------------------

    def changelist_view(self, request, extra_context=None):
        try:
            parse_report_filters(request.GET, ignore_unknown=True)
        except FilterError as exc:
            # Say what is wrong (a code that names nothing, a bad value) instead of Django's "?e=1" page.
            self.message_user(request, gettext("Filter not applied: %(reason)s") % {"reason": exc}, messages.ERROR)
            return redirect("admin:reports_incidentreport_changelist")
        extra_context = extra_context or {}
        if permissions.may_export(request.user):
            params = [(k, v) for k in request.GET if k in URL_PARAMETERS for v in request.GET.getlist(k)[-1:] if v]
            extra_context["export_url"] = reverse("web:export-csv") + ("?" + urlencode(params) if params else "")
        extra_context["situation_url"] = reverse("admin:reports_incidentreport_situation")
        return super().changelist_view(request, extra_context=extra_context)

    # --- Bulk actions ------------------------------------------------------------

    @staticmethod
    def _versions(request) -> dict[str, int]:
        versions = {}
        for key, value in request.POST.items():
            if key.startswith("v-") and parse_id(value) is not None:
                versions[key[2:]] = parse_id(value)
        return versions

    def _selected_ids(self, request, queryset) -> list | None:
        ids = list(queryset.order_by().values_list("pk", flat=True)[: BULK_LIMIT + 1])
        if len(ids) > BULK_LIMIT:
            self.message_user(
                request,
                _("More than %(limit)d reports selected: narrow the filter first.") % {"limit": BULK_LIMIT},
                messages.ERROR,
            )
            return None
        return ids

    def _report_outcome(self, request, outcome, done_message):
        if outcome.done:
            self.message_user(request, done_message % {"count": outcome.done}, messages.SUCCESS)
        if outcome.unchanged:
            self.message_user(request, _("%(count)d report(s) were already so.") % {"count": outcome.unchanged}, messages.INFO)
        if outcome.conflicts:
            self.message_user(
                request,
                _(
                    "%(count)d report(s) were not changed: someone else changed them meanwhile, or the step is not "
                    "allowed from their status. Reload and check them."
                )
                % {"count": len(outcome.conflicts)},
                messages.WARNING,
            )
        if outcome.forbidden:
            self.message_user(
                request, _("%(count)d report(s) are not yours to triage.") % {"count": len(outcome.forbidden)}, messages.ERROR
            )

    def _decide(self, request, queryset, status, done_message):
        ids = self._selected_ids(request, queryset)
        if ids is None:
            return
        outcome = reports_decide(
            report_ids=ids, actor=request.user, status=status, note=request.POST.get("note", ""), expected_versions=self._versions(request)
        )
        self._report_outcome(request, outcome, done_message)

    @admin.action(description=_("Start review of selected reports"), permissions=["change"])
    def start_review(self, request, queryset):
        self._decide(request, queryset, TriageStatus.UNDER_REVIEW, _("%(count)d report(s) under review."))

    @admin.action(description=_("Verify selected reports"), permissions=["change"])
    def verify(self, request, queryset):
        self._decide(request, queryset, TriageStatus.VERIFIED, _("%(count)d report(s) verified."))

    @admin.action(description=_("Dismiss selected reports"), permissions=["change"])
    def dismiss(self, request, queryset):
        self._decide(request, queryset, TriageStatus.DISMISSED, _("%(count)d report(s) dismissed."))

    @admin.action(description=_("Escalate selected reports"), permissions=["change"])
    def escalate(self, request, queryset):
        self._decide(request, queryset, TriageStatus.ESCALATED, _("%(count)d report(s) escalated."))

    @admin.action(description=_("Resolve selected reports"), permissions=["change"])
    def resolve(self, request, queryset):
        self._decide(request, queryset, TriageStatus.RESOLVED, _("%(count)d report(s) resolved."))

    @admin.action(description=_("Assign selected reports to me"), permissions=["change"])
    def assign_to_me(self, request, queryset):
        ids = self._selected_ids(request, queryset)
        if ids is not None:
            outcome = reports_assign(
                report_ids=ids,
                actor=request.user,
                assignee=request.user,
                note=request.POST.get("note", ""),
                expected_versions=self._versions(request),
            )
            self._report_outcome(request, outcome, _("%(count)d report(s) assigned to you."))

    @admin.action(description=_("Unassign selected reports"), permissions=["change"])
    def unassign(self, request, queryset):
        ids = self._selected_ids(request, queryset)
        if ids is not None:
            outcome = reports_assign(
                report_ids=ids,
                actor=request.user,
                assignee=None,
                note=request.POST.get("note", ""),
                expected_versions=self._versions(request),
            )
            self._report_outcome(request, outcome, _("%(count)d report(s) unassigned."))

    @admin.action(description=_("Re-run the pipeline on selected reports"), permissions=["change"])
    def rerun_pipeline(self, request, queryset):
        ids = self._selected_ids(request, queryset)
        if ids is not None:
            outcome = reports_reprocess(report_ids=ids, actor=request.user)
            self._report_outcome(request, outcome, _("Pipeline re-run on %(count)d report(s)."))

    @admin.action(description=_("Export selected reports as CSV (verifiable)"), permissions=["export"])
    def export_csv(self, request, queryset):
        if request.POST.get("select_across") == "1":
            # "All N matching": the changelist's own filters, which the export shares.
            try:
                filters = parse_report_filters(request.GET, ignore_unknown=True)
            except FilterError as exc:
                raise IncorrectLookupParameters(str(exc)) from exc
        else:
            filters = ReportFilters(ids=tuple(str(pk) for pk in queryset.order_by().values_list("pk", flat=True)))
        stream = reports_export(user=request.user, filters=filters, source=ExportRecord.Source.ADMIN)
        response = StreamingHttpResponse(stream, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{stream.filename}"'
        response["Cache-Control"] = "no-store"
        response["X-Export-Id"] = str(stream.record.pk)
        return response

    # --- The report page ------------------------------------------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("situation/", wrap(self.situation_view), name="reports_incidentreport_situation"),
            path("situation/points.json", wrap(self.situation_points_view), name="reports_incidentreport_situation_points"),
            path("<path:object_id>/triage/", wrap(self.triage_view), name="reports_incidentreport_triage"),
            *super().get_urls(),
        ]

    def _visible_report_id(self, request, object_id):
        try:
            report_id = uuid.UUID(str(object_id))
        except ValueError:
            raise Http404 from None
        if not reports_visible_to(request.user).filter(pk=report_id).exists():
            raise Http404
        return report_id

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The report page. Evidence is read-only: triage happens through the
        panel's forms (triage_view), never by editing the report."""
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET"])
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        try:
            report_id = uuid.UUID(str(object_id))
        except ValueError:
            raise Http404 from None
        detail = report_detail(user=request.user, report_id=report_id)
        if detail is None:
            raise Http404
        report = detail.report
        zone = report.station.district.region.timezone
        may_triage = permissions.may_triage(user=request.user, report=report)
        station = report.station
        photos = [
            {
                "photo": p,
                "url": reverse("web:photo", args=[p.pk]),
                "station_distance_m": (
                    haversine_m(p.exif_latitude, p.exif_longitude, station.latitude, station.longitude)
                    if p.exif_latitude is not None
                    else None
                ),
            }
            for p in detail.photos
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Report %(station)s · %(category)s") % {"station": station.code, "category": report.category.name},
            "subtitle": str(report.pk),
            "detail": detail,
            "report": report,
            "local": {
                "occurred": format_local(report.occurred_at, zone),
                "received": format_local(report.received_at, zone),
                "occurred_utc": format_utc(report.occurred_at),
                "received_utc": format_utc(report.received_at),
                "zone": zone,
            },
            "rejection": [reason_text(r) for r in report.rejection_reasons or []],
            "map_link": _map_link(report.location_latitude, report.location_longitude),
            "station_map_link": _map_link(station.latitude, station.longitude),
            "device_map_link": _map_link(report.latitude, report.longitude),
            "photos": photos,
            "may_triage": may_triage,
            "may_decide_flags": permissions.may_decide_flags(user=request.user, report=report),
            "transitions": [
                (s, TRANSITION_VERBS[s]) for s in TriageStatus.values if s in TRIAGE_TRANSITIONS.get(report.triage_status, set())
            ],
            "triage_url": reverse("admin:reports_incidentreport_triage", args=[report.pk]),
            "changelist_url": reverse("admin:reports_incidentreport_changelist"),
            "severity_rank": SEVERITY_RANK,
        }
        return TemplateResponse(request, "admin/reports/incidentreport/report_detail.html", context)

    def triage_view(self, request, object_id):
        """One POST per button of the report page; each calls a triage service."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        report_id = self._visible_report_id(request, object_id)
        back = redirect("admin:reports_incidentreport_change", report_id)
        post = request.POST
        op = post.get("op", "")
        note = post.get("note", "")
        version = parse_id(post.get("version", ""))
        try:
            if op == "status":
                report_decide(report_id=report_id, actor=request.user, status=post.get("status", ""), note=note, expected_version=version)
                done = gettext("Triage status set to %(status)s.") % {"status": post.get("status")}
            elif op == "assign":
                assignee = _assignee(request, "me" if post.get("assign_me") else post.get("assignee", ""))
                report_assign(report_id=report_id, actor=request.user, assignee=assignee, note=note, expected_version=version)
                done = gettext("Assigned to %(who)s.") % {"who": assignee.get_username()} if assignee else gettext("Unassigned.")
            elif op == "flag":
                flag_id = post.get("flag", "")
                if parse_id(flag_id) is None or not Flag.objects.filter(pk=parse_id(flag_id), report_id=report_id).exists():
                    raise Http404
                flag = flag_decide(
                    flag_id=parse_id(flag_id), actor=request.user, decision=post.get("decision", ""), note=note, expected_version=version
                )
                done = gettext("Flag %(code)s is now %(state)s.") % {"code": flag.code, "state": flag.state}
            elif op == "note":
                report_add_note(report_id=report_id, actor=request.user, note=note)
                done = gettext("Note added.")
            elif op == "reprocess":
                outcome = report_reprocess(report_id=report_id, actor=request.user)
                done = gettext("Pipeline re-run: the report is %(state)s.") % {"state": outcome.state}
            else:
                raise TriageInputError(f"unknown operation {op!r}")
        except TriageConflict as exc:
            messages.error(request, gettext("Not saved: %(reason)s") % {"reason": exc})
        except TriageInputError as exc:
            messages.error(request, gettext("Not saved: %(reason)s") % {"reason": exc})
        else:
            messages.success(request, done)
        return back

    # --- The situation page ---------------------------------------------------------

    def _situation_election(self, request):
        elections = situation_reads.elections_for_situation()
        code = request.GET.get("election") or (elections[0].code if elections else "")
        selected = next((e for e in elections if e.code == code), None)
        if code and selected is None:
            raise Http404
        return elections, selected

    def situation_view(self, request):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        elections, election = self._situation_election(request)
        changelist_url = reverse("admin:reports_incidentreport_changelist")
        situation = (
            situation_reads.situation_for(user=request.user, election=election, changelist_url=changelist_url, now=timezone.now())
            if election
            else None
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Situation"),
            "elections": elections,
            "election": election,
            "situation": situation,
            "refresh_seconds": settings.SITUATION_REFRESH_SECONDS,
            "tile_url": settings.MAP_TILE_URL,
            "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
            "points_url": reverse("admin:reports_incidentreport_situation_points") + (f"?election={election.code}" if election else ""),
            "changelist_url": changelist_url,
        }
        template = "admin/reports/situation_live.html" if request.GET.get("fragment") else "admin/reports/situation.html"
        response = TemplateResponse(request, template, context)
        # django-csp: allow the map's tile host as an image source on this page only.
        response._csp_update = tile_csp()
        return response

    def situation_points_view(self, request):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        _elections, election = self._situation_election(request)
        points = situation_reads.situation_points(user=request.user, election=election) if election else []
        changelist_url = reverse("admin:reports_incidentreport_changelist")
        for point in points:
            point["href"] = f"{changelist_url}?{urlencode({'election': election.code, 'station': point['station']})}"
        response = JsonResponse({"election": election.code if election else None, "points": points})
        response["Cache-Control"] = "no-store"
        return response


def _map_link(latitude, longitude) -> str:
    if latitude is None or longitude is None:
        return ""
    return settings.MAP_LINK_URL.format(lat=f"{latitude:.6f}", lon=f"{longitude:.6f}")


def _assignee(request, value: str):
    if value == "me":
        return request.user
    if value in ("", "none"):
        return None
    if parse_id(value) is None:
        raise TriageInputError("unknown assignee")
    user = get_user_model().objects.filter(pk=parse_id(value), is_active=True).first()
    if user is None:
        raise TriageInputError("unknown assignee")
    return user


@admin.register(ReportEvent)
class ReportEventAdmin(admin.ModelAdmin):
    list_display = ["at", "report", "actor", "action", "from_value", "to_value"]
    list_filter = ["action"]
    list_select_related = ["report__station", "report__category", "actor"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = CappedCountPaginator

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        scope = report_scope(request.user)
        if scope is None:
            return qs
        return qs.filter(report__in=IncidentReport.objects.filter(scope).values("pk"))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ExportRecord)
class ExportRecordAdmin(admin.ModelAdmin):
    """Who exported what: auditors compare a file's rows_sha256 with the one here."""

    list_display = ["pk", "started_at", "requester", "source", "row_count", "finished_at", "rows_sha256"]
    list_filter = ["source"]
    readonly_fields = [f.name for f in ExportRecord._meta.fields]
    show_facets = admin.ShowFacets.NEVER

    def get_queryset(self, request):
        # Who downloaded what is as private as the reports themselves.
        visible = export_records_visible_to(request.user).values("pk")
        return super().get_queryset(request).select_related("requested_by__observer").filter(pk__in=visible)

    @admin.display(description=_("requested by"))
    def requester(self, obj):
        return user_public_label(obj.requested_by) if obj.requested_by_id else gettext("operator (manage.py)")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
