"""Alerts in the admin: an organization's channels (its coordinators edit
their own organization's), and the alerts raised with every delivery and each
attempt's answer, read-only. Scoped to the user's organization (superusers: all)."""

from django.contrib import admin
from django.db.models import Count, Prefetch, Q
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from monitoring.models import ObserverOrganization

from .models import AlertDelivery, AlertEvent, AlertSettings, DeliveryAttempt
from .selectors import coordinated_organization, organization_scope
from .services import coordinators_without_email


class _Scoped:
    scope_field = "organization_id"

    def get_queryset(self, request):
        scope = organization_scope(request.user, self.scope_field)
        qs = super().get_queryset(request)
        return qs.filter(scope) if scope is not None else qs.none()


@admin.register(AlertSettings)
class AlertSettingsAdmin(_Scoped, admin.ModelAdmin):
    list_display = ["organization", "email_enabled", "only_region_coordinators", "webhook_url", "unreachable_coordinators"]
    fields = ["organization", "email_enabled", "only_region_coordinators", "webhook_url", "webhook_secret", "unreachable_coordinators"]
    readonly_fields = ["unreachable_coordinators"]

    @admin.display(description=_("coordinators without an e-mail address"))
    def unreachable_coordinators(self, obj):
        return coordinators_without_email(organization_id=obj.organization_id) if obj.pk else "-"

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "webhook_url":
            kwargs["assume_scheme"] = "https"
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "organization" and not request.user.is_superuser:
            kwargs["queryset"] = ObserverOrganization.objects.filter(pk=coordinated_organization(request.user))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        # An organization's settings never move to another organization.
        return [*self.readonly_fields, "organization"] if obj else self.readonly_fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if "webhook_secret" in form.base_fields:
            form.base_fields["webhook_secret"].help_text = _(
                "Shared with the receiver, which checks X-Signature: sha256=<HMAC-SHA256 of the body>."
            )
        return form


class DeliveryInline(admin.TabularInline):
    model = AlertDelivery
    extra = 0
    can_delete = False
    fields = ["channel", "recipient_label", "state", "attempts", "sent_at", "answers"]
    readonly_fields = fields

    @admin.display(description=_("recipient"))
    def recipient_label(self, obj):
        if obj.user_id is None:
            return obj.recipient
        observer = getattr(obj.user, "observer", None)
        return observer.public_code if observer else f"USER-{obj.user_id}"

    @admin.display(description=_("attempts and answers"))
    def answers(self, obj):
        return format_html_join(
            "",
            "<div>#{} {} {} {}</div>",
            ((t.number, t.at.strftime("%Y-%m-%d %H:%M:%S"), t.status_code or "", t.answer) for t in obj.tries.all()),
        )

    def get_queryset(self, request):
        tries = Prefetch("tries", queryset=DeliveryAttempt.objects.order_by("number"))
        return super().get_queryset(request).select_related("user__observer").prefetch_related(tries)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AlertEvent)
class AlertEventAdmin(_Scoped, admin.ModelAdmin):
    list_display = ["created_at", "kind", "election", "region", "station", "observer", "sent", "failed", "pending"]
    list_filter = ["kind", "election", "region"]
    list_select_related = ["election", "region", "station", "observer"]
    search_fields = ["key", "station__code", "observer__public_code"]
    date_hierarchy = "created_at"
    fields = [
        "kind",
        "key",
        "organization",
        "election",
        "region",
        "station",
        "observer",
        "report",
        "occurred_at",
        "created_at",
        "payload",
    ]
    readonly_fields = fields
    inlines = [DeliveryInline]

    @admin.display(description=_("report"))
    def report(self, obj):
        if obj.submission_id is None:
            return "-"
        url = reverse("admin:reports_submission_change", args=[obj.submission_id])
        return format_html('<a href="{}">{}</a>', url, obj.submission_id)

    def get_queryset(self, request):
        states = AlertDelivery.State
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_sent=Count("deliveries", filter=Q(deliveries__state=states.SENT)),
                n_failed=Count("deliveries", filter=Q(deliveries__state=states.FAILED)),
                n_pending=Count("deliveries", filter=Q(deliveries__state=states.PENDING)),
            )
        )

    @admin.display(description=_("sent"), ordering="n_sent")
    def sent(self, obj):
        return obj.n_sent

    @admin.display(description=_("failed"), ordering="n_failed")
    def failed(self, obj):
        return obj.n_failed

    @admin.display(description=_("pending"), ordering="n_pending")
    def pending(self, obj):
        return obj.n_pending

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
