"""The reports app's other admin pages: the incident taxonomy, the audit trail
and the export records. The trail and the records are append-only here (no add,
change or delete) and scoped like the reports they are about.
"""

from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from monitoring.admin import CodeFixedOnceCreated

from ..models import ExportRecord, IncidentCategory, ReportEvent, Submission
from ..permissions import report_scope, user_public_label
from ..selectors import export_records_visible_to
from .queue import CappedCountPaginator


@admin.register(IncidentCategory)
class IncidentCategoryAdmin(CodeFixedOnceCreated, admin.ModelAdmin):
    list_display = ["code", "name_en", "name_ru", "name_kk", "phase", "default_severity", "critical", "is_active"]
    list_filter = ["phase", "critical", "is_active"]
    search_fields = ["code", "name_en", "name_ru", "name_kk"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReportEvent)
class ReportEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "report", "actor", "action", "from_value", "to_value"]
    list_filter = ["action"]
    list_select_related = ["report__station", "report__category", "actor"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    # The trail grows faster than the reports: never count it whole either.
    paginator = CappedCountPaginator

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        scope = report_scope(request.user)
        if scope is None:
            return qs
        return qs.filter(report__in=Submission.objects.filter(scope).values("pk"))


@admin.register(ExportRecord)
class ExportRecordAdmin(ReadOnlyAdmin):
    """Who exported what: auditors compare a file's manifest_sha256 (which covers
    its rows hash and its labels: filters, scope, requester, time) with the one
    here, and read the manifest the platform wrote."""

    list_display = ["pk", "started_at", "requester", "source", "row_count", "finished_at", "manifest_sha256", "rows_sha256"]
    list_filter = ["source"]
    readonly_fields = [f.name for f in ExportRecord._meta.fields if f.name != "manifest"] + ["manifest_entries"]
    show_facets = admin.ShowFacets.NEVER

    def get_queryset(self, request):
        # Who downloaded what is as private as the reports themselves.
        visible = export_records_visible_to(request.user).values("pk")
        return super().get_queryset(request).select_related("requested_by__observer").filter(pk__in=visible)

    @admin.display(description=_("manifest (as written in the file)"))
    def manifest_entries(self, obj):
        if not obj.manifest:
            return gettext("none: the export did not finish")
        rows = format_html_join("", "<tr><th>{}</th><td><code>{}</code></td></tr>", ((key, text) for key, text in obj.manifest))
        return format_html(
            '<table class="export-manifest">{}<tr><th>manifest_sha256</th><td><code>{}</code></td></tr></table>', rows, obj.manifest_sha256
        )

    @admin.display(description=_("requested by"))
    def requester(self, obj):
        return user_public_label(obj.requested_by) if obj.requested_by_id else gettext("operator (manage.py)")
