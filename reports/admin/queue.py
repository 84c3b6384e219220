"""The queue: the changelist of the submissions hub, worst first. It holds
every incident report and the submissions of other kinds (check-ins) that
carry a flag not cleared (`models.in_triage_queue`); the `kind` filter narrows
it to one kind.

Fast on a big table: the related rows come in the page's own query, the flags
in one prefetch, and the count is capped (CappedCountPaginator), so no page
counts the whole table. Scoped: a coordinator sees their organization's
submissions only. The report page, its triage operations and the situation
page live in their own modules; this ModelAdmin only routes to them.
"""

import datetime as dt
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from monitoring.localtime import format_utc

from ..filters import URL_PARAMETERS, FilterError, parse_report_filters, search_reports
from ..models import Flag, Submission, in_triage_queue
from ..permissions import may_export, report_scope
from ..rules import flag_text
from . import actions, situation_page, triage
from .list_filters import (
    AssigneeFilter,
    CategoryFilter,
    DistrictFilter,
    ElectionFilter,
    FlagCodeFilter,
    HasPhotosFilter,
    KindFilter,
    OrganizationFilter,
    PhaseFilter,
    ReceivedFilter,
    RegionFilter,
    SeverityFilter,
    SourceFilter,
    StateFilter,
    StationFilter,
    TriageStatusFilter,
)
from .report_page import report_page_view

# The order of flag badges: the worst first.
SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}


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


def age_label(received_at: dt.datetime, now: dt.datetime) -> str:
    minutes = max(int((now - received_at).total_seconds() // 60), 0)
    if minutes < 60:
        return gettext("%(minutes)s min") % {"minutes": minutes}
    if minutes < 48 * 60:
        return gettext("%(hours)s h %(minutes)s min") % {"hours": minutes // 60, "minutes": f"{minutes % 60:02d}"}
    return gettext("%(days)s d") % {"days": minutes // (24 * 60)}


def _explanation(flag, category_name: str | None) -> str:
    """In the reader's language (the stored explanation is the English rendering)."""
    text = flag_text(flag.code, flag.params, category_name=category_name) if flag.params is not None else flag.explanation
    return text if flag.state == Flag.State.OPEN else f"{text} [{flag.get_state_display()}]"


def flag_badges(flags, category_name: str | None = None) -> str:
    """Worst first; the explanation (with its numbers) is the badge's tooltip."""
    ordered = sorted(flags, key=lambda f: (SEVERITY_RANK.get(f.severity, 9), f.code))
    return format_html_join(
        " ",
        '<span class="flag-badge sev-{} flag-{}" title="{}">{}{}</span>',
        (
            (
                f.severity,
                f.state,
                _explanation(f, category_name),
                f.code,
                " ✓" if f.state == Flag.State.CONFIRMED else "",
            )
            for f in ordered
        ),
    )


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
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
        "source_column",
        "risk_score",
    ]
    list_display_links = ["station_column"]
    list_filter = [
        KindFilter,
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
        SourceFilter,
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
    action_form = actions.TriageActionForm
    actions = [
        actions.start_review,
        actions.verify,
        actions.dismiss,
        actions.escalate,
        actions.resolve,
        actions.assign_to_me,
        actions.unassign,
        actions.rerun_pipeline,
        actions.export_csv,
    ]

    class Media:
        css = {"all": ["reports/admin/triage.css"]}

    # --- Access -----------------------------------------------------------------

    def get_queryset(self, request):
        qs = (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch(
                    "flags", queryset=Flag.objects.only("id", "report_id", "code", "severity", "state", "explanation", "params").order_by()
                )
            )
        )
        scope = report_scope(request.user)
        qs = qs.filter(in_triage_queue())
        return qs if scope is None else qs.filter(scope)

    def get_search_results(self, request, queryset, search_term):
        return search_reports(queryset, search_term), False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_export_permission(self, request):
        return may_export(request.user)

    # --- Pages behind the queue ----------------------------------------------------

    def get_urls(self):
        # Before the admin's own: its `<path:object_id>/` would catch these.
        return [*situation_page.urls(self), *triage.urls(self), *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # A report is evidence: its page shows it read-only, and triage goes
        # through the operations' own views, never through a change form.
        return report_page_view(self, request, object_id)

    # --- Columns -----------------------------------------------------------------

    @admin.display(description=_("station"), ordering="station__code")
    def station_column(self, obj):
        return format_html('<span class="station-code" title="{}">{}</span>', obj.station.name, obj.station.code)

    @admin.display(description=_("region"), ordering="station__district__region__code")
    def region_column(self, obj):
        return obj.station.district.region.name

    @admin.display(description=_("category"), ordering="category__sort_order")
    def category_column(self, obj):
        return obj.subject_label

    @admin.display(description=_("severity"), ordering="severity")
    def severity_column(self, obj):
        if not obj.severity:
            return "–"
        return format_html('<span class="sev-label sev-{}">{}</span>', obj.severity, obj.get_severity_display())

    @admin.display(description=_("flags"))
    def flags_column(self, obj):
        badges = flag_badges(obj.flags.all(), obj.category.name if obj.category_id else None)
        if obj.cluster_flags_pending:
            # Its cluster's duplicate / hot-spot flags are not computed yet: not "no flags".
            pending = format_html('<span class="flag-badge flag-pending" title="{}">{}</span>', _("cluster flags pending"), _("pending"))
            return format_html("{} {}", badges, pending) if badges else pending
        return badges

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
        return format_html('<span title="{}">{}</span>', format_utc(obj.received_at), age_label(obj.received_at, timezone.now()))

    @admin.display(description=_("received through"), ordering="source")
    def source_column(self, obj):
        # Blank: received before doors were recorded.
        return obj.get_source_display() if obj.source else "–"

    # --- Changelist extras -------------------------------------------------------

    def changelist_view(self, request, extra_context=None):
        try:
            parse_report_filters(request.GET, ignore_unknown=True)
        except FilterError as exc:
            # Say what is wrong (a code that names nothing, a bad value) instead of Django's "?e=1" page.
            self.message_user(request, gettext("Filter not applied: %(reason)s") % {"reason": exc}, messages.ERROR)
            return redirect("admin:reports_submission_changelist")
        extra_context = extra_context or {}
        if may_export(request.user):
            params = [(k, v) for k in request.GET if k in URL_PARAMETERS for v in request.GET.getlist(k)[-1:] if v]
            extra_context["export_url"] = reverse("web:export-csv") + ("?" + urlencode(params) if params else "")
        extra_context["situation_url"] = reverse("admin:reports_submission_situation")
        return super().changelist_view(request, extra_context=extra_context)
