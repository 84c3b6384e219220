"""The contact log's admin (read-only: attempts are recorded from the board's
observer page through `contact_record`) and the log on the observer's admin
page. Both scoped to the user's organization."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from monitoring.admin import ObserverAdmin
from monitoring.models import Observer
from monitoring.selectors import observers_visible_to

from ..models import ContactAttempt
from ..permissions import may_view_coverage
from . import board


class ReadOnlyForCoverageStaff:
    """Coordinators and auditors (and platform staff) read; nobody edits here."""

    def has_module_permission(self, request):
        return may_view_coverage(request.user)

    def has_view_permission(self, request, obj=None):
        return may_view_coverage(request.user)

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ContactAttempt)
class ContactAttemptAdmin(ReadOnlyForCoverageStaff, admin.ModelAdmin):
    list_display = ["at", "observer", "outcome", "text", "recorded_by", "election"]
    list_filter = ["outcome", "election"]
    list_select_related = ["observer", "recorded_by", "election"]
    search_fields = ["observer__public_code"]
    date_hierarchy = "at"

    def get_queryset(self, request):
        return super().get_queryset(request).filter(observer__in=observers_visible_to(request.user).values("pk"))

    def get_urls(self):
        return board.urls(self) + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "board_url": reverse("admin:command_board")}
        return super().changelist_view(request, extra_context)


class ContactAttemptInline(ReadOnlyForCoverageStaff, admin.TabularInline):
    model = ContactAttempt
    extra = 0
    fields = ["at", "election", "outcome", "text", "recorded_by"]
    readonly_fields = fields
    ordering = ["-at"]
    verbose_name_plural = _("contact log (record a contact from the coverage board's observer page)")


admin.site.unregister(Observer)


@admin.register(Observer)
class ObserverWithContactsAdmin(ObserverAdmin):
    """The registry's observer page, with the contact log and a link to the observer's coverage."""

    inlines = [*ObserverAdmin.inlines, ContactAttemptInline]
    readonly_fields = [*ObserverAdmin.readonly_fields, "coverage_link"]

    @admin.display(description=_("coverage"))
    def coverage_link(self, obj):
        if obj.pk is None:
            return "-"
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:command_board_observer", args=[obj.public_code]), _("Coverage and contacts")
        )
