"""The queue's list filters.

Each filter's parameter is the export's parameter of the same name, applied by
reports.filters, so "export this view" means exactly what is on screen. The
choices offered are scoped like the queue: a coordinator chooses among their
organization's colleagues, and is not offered other organizations at all.
"""

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from monitoring.models import District, Election, Observer, ObserverOrganization, Region

from ..filters import RECEIVED_WINDOWS, FilterError, apply_report_filters, parse_report_filters
from ..models import IncidentCategory, ReportState, Severity, SubmissionKind, SubmissionSource, TriageStatus
from ..permissions import report_scope
from ..rules import FLAG_TEXT


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


class KindFilter(admin.SimpleListFilter):
    """One kind of submission. The queue's own filter (the CSV export holds
    incident reports only, so it has no such parameter)."""

    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [
            (SubmissionKind.INCIDENT, _("incident reports")),
            (SubmissionKind.CHECKIN, _("check-ins (flagged)")),
            (SubmissionKind.CHECKLIST, _("checklists (flagged)")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if value not in SubmissionKind.values:
            raise IncorrectLookupParameters(f"kind: unknown value {value!r}")
        return queryset.filter(kind=value)


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
        coordinator = Q(observer__role=Observer.Role.COORDINATOR)
        observer = getattr(request.user, "observer", None)
        if not request.user.is_superuser and observer is not None and observer.organization_id:
            coordinator &= Q(observer__organization_id=observer.organization_id)
        # Superusers may be assigned any report too (reports.selectors.assignable_users).
        users = get_user_model().objects.filter(coordinator | Q(is_superuser=True), is_active=True).order_by("username")[:50]
        return [("me", _("me")), ("none", _("nobody")), *[(str(u.pk), u.get_username()) for u in users]]


class HasPhotosFilter(ChoicesFilter):
    title = _("photos")
    parameter_name = "has_photos"
    choices_list = [("yes", _("with photos")), ("no", _("without photos"))]


class SourceFilter(ChoicesFilter):
    """The door a submission came in by (API, web form, SMS)."""

    title = _("received through")
    parameter_name = "source"
    choices_list = SubmissionSource.choices


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
