"""The SMS log in the admin, read-only: incoming messages with what became of
them, outgoing ones with their delivery (attempts, last error), and the
categories' short codes. Phone numbers are personal data: platform
administrators (superusers) only."""

from django.contrib import admin

from .models import CategoryShortCode, InboundMessage, OutboundMessage


class ReadOnlyForSuperusers(admin.ModelAdmin):
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CategoryShortCode)
class CategoryShortCodeAdmin(ReadOnlyForSuperusers):
    list_display = ["short_code", "category"]
    list_select_related = ["category"]


class ReplyInline(admin.TabularInline):
    model = OutboundMessage
    fk_name = "in_reply_to"
    fields = ["text", "state", "attempts", "last_error", "sent_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(InboundMessage)
class InboundMessageAdmin(ReadOnlyForSuperusers):
    list_display = ["received_at", "sender", "text", "outcome", "problem", "observer", "submission"]
    list_filter = ["outcome", "received_at"]
    search_fields = ["gateway_id", "sender"]
    list_select_related = ["observer", "submission__station", "submission__category"]
    inlines = [ReplyInline]
    date_hierarchy = "received_at"


@admin.register(OutboundMessage)
class OutboundMessageAdmin(ReadOnlyForSuperusers):
    list_display = ["created_at", "recipient", "text", "reason", "state", "attempts", "last_error", "sent_at"]
    list_filter = ["state", "reason", "created_at"]
    search_fields = ["recipient", "gateway_reference"]
    date_hierarchy = "created_at"
