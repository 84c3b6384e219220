"""Messages in the admin: a coordinator writes one to the organization's
observers (all, a region's, or chosen stations'), in Kazakh, Russian and
English, and optionally also by SMS to every recipient with a roster phone;
the list shows how many it went to, how many phones fetched it, how many
observers opened it and how many SMS were queued, sent and failed. Sent messages are never changed or deleted.
Scoped to the coordinator's organization (superusers: all)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from monitoring.models import ObserverOrganization

from .models import ObserverMessage
from .selectors import coordinated_organization, messages_with_counts
from .services import message_send


class MessageForm(forms.ModelForm):
    class Meta:
        model = ObserverMessage
        fields = ["organization", "election", "audience", "region", "stations", "text_kk", "text_ru", "text_en", "by_sms"]
        help_texts = {"by_sms": _("Each recipient with a roster phone also gets the text in their language by SMS.")}

    def clean(self):
        data = super().clean()
        if not any((data.get(f) or "").strip() for f in ("text_kk", "text_ru", "text_en")):
            raise ValidationError(_("Write the message in at least one language."))
        if data.get("audience") == "region" and not data.get("region"):
            self.add_error("region", _("Choose the region."))
        if data.get("audience") != "region":
            data["region"] = None
        if data.get("audience") == "stations" and not data.get("stations"):
            self.add_error("stations", _("Choose at least one station."))
        return data


@admin.register(ObserverMessage)
class ObserverMessageAdmin(admin.ModelAdmin):
    form = MessageForm
    list_display = ["sent_at", "short_text", "election", "audience", "region", "sent", "delivered", "read", "sms_delivery"]
    list_filter = ["election", "audience"]
    list_select_related = ["election", "region"]
    search_fields = ["text_kk", "text_ru", "text_en"]
    raw_id_fields = ["stations"]
    readonly_fields = ["sent", "delivered", "read", "sms_delivery"]

    def get_queryset(self, request):
        qs = messages_with_counts(super().get_queryset(request))
        if request.user.is_superuser:
            return qs
        organization_id = coordinated_organization(request.user)
        return qs.filter(Q(organization_id=organization_id)) if organization_id else qs.none()

    def get_fields(self, request, obj=None):
        fields = ["organization", "election", "audience", "region", "stations", "text_kk", "text_ru", "text_en", "by_sms"]
        if obj is not None:
            return [*fields, "sent_by", "sent_at", "sent", "delivered", "read", "sms_delivery"]
        return fields if request.user.is_superuser else fields[1:]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "organization" and not request.user.is_superuser:
            kwargs["queryset"] = ObserverOrganization.objects.filter(pk=coordinated_organization(request.user))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        organization = data.get("organization")
        sent = message_send(
            sender=request.user,
            organization_id=organization.pk if organization else coordinated_organization(request.user),
            election_id=data["election"].pk,
            audience=data["audience"],
            region_id=data["region"].pk if data.get("region") else None,
            station_ids=[s.pk for s in data.get("stations") or []],
            texts={"kk": data.get("text_kk"), "ru": data.get("text_ru"), "en": data.get("text_en")},
            by_sms=bool(data.get("by_sms")),
        )
        obj.pk, obj.organization_id, obj.sent_at, obj.sent_by = sent.pk, sent.organization_id, sent.sent_at, sent.sent_by

    def save_related(self, request, form, formsets, change):
        pass  # message_send wrote the stations and the receipts

    @admin.display(description=_("text"))
    def short_text(self, obj):
        return str(obj)

    @admin.display(description=_("sent to"), ordering="n_sent")
    def sent(self, obj):
        return obj.n_sent

    @admin.display(description=_("delivered"), ordering="n_delivered")
    def delivered(self, obj):
        return obj.n_delivered

    @admin.display(description=_("read"), ordering="n_read")
    def read(self, obj):
        return obj.n_read

    @admin.display(description=_("SMS"))
    def sms_delivery(self, obj):
        if not obj.by_sms:
            return "-"
        return _("%(queued)s queued, %(sent)s sent, %(failed)s failed") % {
            "queued": obj.n_sms_queued,
            "sent": obj.n_sms_sent,
            "failed": obj.n_sms_failed,
        }

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
