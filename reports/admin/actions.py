"""The queue's bulk actions: triage the selected reports, or export them.

Each triage action calls a bulk service, which runs report by report (its own
permission check, row lock, version check and ReportEvent), and says how many
reports were changed, already so, refused as stale, or not the user's to triage.
The version of each row the coordinator saw comes back with the form (the
queue's hidden `v-<id>` inputs), so a report changed meanwhile is not overwritten.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.admin.options import IncorrectLookupParameters
from django.http import StreamingHttpResponse
from django.utils.translation import gettext_lazy as _

from ..filters import FilterError, ReportFilters, parse_id, parse_report_filters
from ..models import ExportRecord, TriageStatus
from ..services.exports import reports_export
from ..services.pipeline import reports_reprocess
from ..services.triage import reports_assign, reports_decide

# Bulk actions run report by report; beyond this many the coordinator is asked
# to narrow the filter rather than wait on one long request.
BULK_LIMIT = 1000


class TriageActionForm(ActionForm):
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.TextInput(attrs={"placeholder": _("note for the audit trail (optional)"), "size": 32}),
    )


def _versions(request) -> dict[str, int]:
    versions = {}
    for key, value in request.POST.items():
        if key.startswith("v-") and parse_id(value) is not None:
            versions[key[2:]] = parse_id(value)
    return versions


def _selected_ids(modeladmin, request, queryset) -> list | None:
    ids = list(queryset.order_by().values_list("pk", flat=True)[: BULK_LIMIT + 1])
    if len(ids) > BULK_LIMIT:
        modeladmin.message_user(
            request,
            _("More than %(limit)d reports selected: narrow the filter first.") % {"limit": BULK_LIMIT},
            messages.ERROR,
        )
        return None
    return ids


def _report_outcome(modeladmin, request, outcome, done_message):
    if outcome.done:
        modeladmin.message_user(request, done_message % {"count": outcome.done}, messages.SUCCESS)
    if outcome.unchanged:
        modeladmin.message_user(request, _("%(count)d report(s) were already so.") % {"count": outcome.unchanged}, messages.INFO)
    if outcome.conflicts:
        modeladmin.message_user(
            request,
            _(
                "%(count)d report(s) were not changed: someone else changed them meanwhile, or the step is not "
                "allowed from their status. Reload and check them."
            )
            % {"count": len(outcome.conflicts)},
            messages.WARNING,
        )
    if outcome.forbidden:
        modeladmin.message_user(
            request, _("%(count)d report(s) are not yours to triage.") % {"count": len(outcome.forbidden)}, messages.ERROR
        )


def _decide(modeladmin, request, queryset, status, done_message):
    ids = _selected_ids(modeladmin, request, queryset)
    if ids is None:
        return
    outcome = reports_decide(
        report_ids=ids, actor=request.user, status=status, note=request.POST.get("note", ""), expected_versions=_versions(request)
    )
    _report_outcome(modeladmin, request, outcome, done_message)


def _assign(modeladmin, request, queryset, assignee, done_message):
    ids = _selected_ids(modeladmin, request, queryset)
    if ids is None:
        return
    outcome = reports_assign(
        report_ids=ids, actor=request.user, assignee=assignee, note=request.POST.get("note", ""), expected_versions=_versions(request)
    )
    _report_outcome(modeladmin, request, outcome, done_message)


@admin.action(description=_("Start review of selected reports"), permissions=["change"])
def start_review(modeladmin, request, queryset):
    _decide(modeladmin, request, queryset, TriageStatus.UNDER_REVIEW, _("%(count)d report(s) under review."))


@admin.action(description=_("Verify selected reports"), permissions=["change"])
def verify(modeladmin, request, queryset):
    _decide(modeladmin, request, queryset, TriageStatus.VERIFIED, _("%(count)d report(s) verified."))


@admin.action(description=_("Dismiss selected reports"), permissions=["change"])
def dismiss(modeladmin, request, queryset):
    _decide(modeladmin, request, queryset, TriageStatus.DISMISSED, _("%(count)d report(s) dismissed."))


@admin.action(description=_("Escalate selected reports"), permissions=["change"])
def escalate(modeladmin, request, queryset):
    _decide(modeladmin, request, queryset, TriageStatus.ESCALATED, _("%(count)d report(s) escalated."))


@admin.action(description=_("Resolve selected reports"), permissions=["change"])
def resolve(modeladmin, request, queryset):
    _decide(modeladmin, request, queryset, TriageStatus.RESOLVED, _("%(count)d report(s) resolved."))


@admin.action(description=_("Assign selected reports to me"), permissions=["change"])
def assign_to_me(modeladmin, request, queryset):
    _assign(modeladmin, request, queryset, request.user, _("%(count)d report(s) assigned to you."))


@admin.action(description=_("Unassign selected reports"), permissions=["change"])
def unassign(modeladmin, request, queryset):
    _assign(modeladmin, request, queryset, None, _("%(count)d report(s) unassigned."))


@admin.action(description=_("Re-run the pipeline on selected reports"), permissions=["change"])
def rerun_pipeline(modeladmin, request, queryset):
    ids = _selected_ids(modeladmin, request, queryset)
    if ids is not None:
        outcome = reports_reprocess(report_ids=ids, actor=request.user)
        _report_outcome(modeladmin, request, outcome, _("Pipeline re-run on %(count)d report(s)."))


@admin.action(description=_("Export selected reports as CSV (verifiable)"), permissions=["export"])
def export_csv(modeladmin, request, queryset):
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
