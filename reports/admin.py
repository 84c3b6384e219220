"""The coordinators' triage console. Querysets are scoped to the user's
organization; every triage action calls a service that records a ReportEvent."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import StreamingHttpResponse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from .filters import ReportFilters
from .models import Attachment, ExportRecord, Flag, IncidentCategory, IncidentReport, ReportEvent, TriageStatus
from .selectors import can_export, report_scope
from .services import TriageConflict, report_decide
from .services.exports import reports_export

SEVERITY_COLOURS = {"low": "#52606d", "medium": "#8a5a00", "high": "#b42318", "critical": "#7a0916"}


@admin.register(IncidentCategory)
class IncidentCategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name_en", "name_ru", "name_kk", "phase", "default_severity", "critical", "is_active"]
    list_filter = ["phase", "critical", "is_active"]
    search_fields = ["code", "name_en", "name_ru", "name_kk"]


class FlagCodeFilter(admin.SimpleListFilter):
    title = _("flag")
    parameter_name = "flag"

    def lookups(self, request, model_admin):
        from .rules import FLAG_TEXT

        return [(code, code) for code in sorted(FLAG_TEXT)]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(Exists(Flag.objects.filter(report=OuterRef("pk"), code=self.value())))
        return queryset


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class FlagInline(ReadOnlyInline):
    model = Flag
    fields = ["code", "severity", "explanation", "state", "raised_at"]
    readonly_fields = fields


class AttachmentInline(ReadOnlyInline):
    model = Attachment
    fields = ["preview", "sha256", "size", "exif_latitude", "exif_longitude", "exif_taken_at"]
    readonly_fields = fields

    @admin.display(description=_("photo"))
    def preview(self, obj):
        from django.urls import reverse

        url = reverse("web:photo", args=[obj.pk])
        return format_html('<a href="{}"><img src="{}" alt="" style="max-height:80px"></a>', url, url)


class EventInline(ReadOnlyInline):
    model = ReportEvent
    fields = ["at", "actor", "action", "from_value", "to_value", "note"]
    readonly_fields = fields
    ordering = ["at", "id"]


@admin.register(IncidentReport)
class IncidentReportAdmin(admin.ModelAdmin):
    list_display = ["station_code", "region", "category", "severity", "flag_badges", "state", "triage_status", "risk_score", "received_at"]
    list_filter = [
        "state",
        "triage_status",
        "severity",
        ("station__district__region", admin.RelatedOnlyFieldListFilter),
        ("category", admin.RelatedOnlyFieldListFilter),
        FlagCodeFilter,
        ("organization", admin.RelatedOnlyFieldListFilter),
        "election",
    ]
    search_fields = ["station__code", "station__name", "description", "submitted_by__public_code"]
    list_select_related = ["station__district__region", "category", "election", "organization"]
    ordering = ["-risk_score", "-received_at"]
    show_full_result_count = False
    list_per_page = 50
    inlines = [FlagInline, AttachmentInline, EventInline]
    actions = ["verify", "dismiss", "escalate", "export_csv"]
    readonly_fields = [f.name for f in IncidentReport._meta.fields]

    def get_queryset(self, request):
        qs = super().get_queryset(request).prefetch_related("flags")
        scope = report_scope(request.user)
        return qs if scope is None else qs.filter(scope)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("station"), ordering="station__code")
    def station_code(self, obj):
        return obj.station.code

    @admin.display(description=_("region"), ordering="station__district__region__code")
    def region(self, obj):
        return obj.station.district.region

    @admin.display(description=_("flags"))
    def flag_badges(self, obj):
        return format_html_join(
            " ",
            '<span title="{}" style="color:#fff;background:{};padding:1px 6px;border-radius:8px;font-size:11px">{}</span>',
            ((f.explanation, SEVERITY_COLOURS.get(f.severity, "#52606d"), f.code) for f in obj.flags.all()),
        )

    def _decide(self, request, queryset, status):
        done, failed = 0, 0
        for report in queryset:
            try:
                report_decide(report_id=report.pk, actor=request.user, status=status, note=f"bulk action in admin ({status})")
                done += 1
            except (PermissionDenied, TriageConflict):
                failed += 1
        if done:
            self.message_user(request, _("%(count)d report(s) marked %(status)s.") % {"count": done, "status": status}, messages.SUCCESS)
        if failed:
            self.message_user(request, _("%(count)d report(s) could not be changed.") % {"count": failed}, messages.WARNING)

    @admin.action(description=_("Verify selected reports"), permissions=["change"])
    def verify(self, request, queryset):
        self._decide(request, queryset, TriageStatus.VERIFIED)

    @admin.action(description=_("Dismiss selected reports"), permissions=["change"])
    def dismiss(self, request, queryset):
        self._decide(request, queryset, TriageStatus.DISMISSED)

    @admin.action(description=_("Escalate selected reports"), permissions=["change"])
    def escalate(self, request, queryset):
        self._decide(request, queryset, TriageStatus.ESCALATED)

    @admin.action(description=_("Export selected reports as CSV"), permissions=["view"])
    def export_csv(self, request, queryset):
        if not can_export(request.user):
            raise PermissionDenied
        filters = ReportFilters(ids=tuple(str(pk) for pk in queryset.order_by().values_list("pk", flat=True)))
        stream = reports_export(user=request.user, filters=filters, source=ExportRecord.Source.ADMIN)
        response = StreamingHttpResponse(stream, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{stream.filename}"'
        return response


@admin.register(ReportEvent)
class ReportEventAdmin(admin.ModelAdmin):
    list_display = ["at", "report", "actor", "action", "from_value", "to_value"]
    list_filter = ["action"]
    list_select_related = ["report__station", "report__category", "actor"]
    show_full_result_count = False

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
    list_display = ["started_at", "requested_by", "source", "row_count", "rows_sha256"]
    readonly_fields = [f.name for f in ExportRecord._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
