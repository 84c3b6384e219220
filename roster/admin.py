"""The roster in the admin: the organization's coordinators (and superusers)
see their people, import the roster file (upload → preview → confirm), issue
activation codes with badges, re-issue after a lost phone, and deactivate.
Nobody else sees this page: personal data stays with the organization."""

import io

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from monitoring.models import Election, ObserverOrganization

from .badges import badge_bundle, badge_sheet
from .credentials import credentials_issue, observer_reissue
from .importing import observers_deactivate, roster_import
from .models import ActivationCode, RosterEntry, RosterImport
from .rows import COLUMNS, RosterFileError
from .selectors import roster_organization_of, roster_visible_to

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class RosterUploadForm(forms.Form):
    file = forms.FileField(label=_("Roster file (CSV, UTF-8)"))
    organization = forms.ModelChoiceField(queryset=ObserverOrganization.objects.all(), label=_("Organization"))
    election = forms.ModelChoiceField(
        queryset=Election.objects.all(), to_field_name="code", required=False, label=_("Election of the stations in the file")
    )
    deactivate_missing = forms.BooleanField(required=False, label=_("Deactivate observers absent from the file"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(_("The file is not UTF-8 text.")) from None


class IssueCodesForm(forms.Form):
    valid_hours = forms.FloatField(min_value=1, max_value=744, label=_("Codes valid for (hours)"))


@admin.register(RosterEntry)
class RosterEntryAdmin(admin.ModelAdmin):
    list_display = ["external_id", "full_name", "phone", "language", "role", "public_code", "active", "plan", "code_status"]
    list_filter = ["active", "language", "observer__role"]
    search_fields = ["external_id", "full_name", "phone", "observer__public_code"]
    readonly_fields = ["observer", "organization", "external_id", "full_name", "phone", "email", "language", "active"]
    fields = readonly_fields
    actions = ["issue_codes", "reissue", "deactivate"]
    show_full_result_count = False

    def get_queryset(self, request):
        # Personal data: the user's own organization only (superusers all).
        return roster_visible_to(request.user).prefetch_related(
            "observer__deployments__station",
            Prefetch("observer__activation_codes", queryset=ActivationCode.objects.order_by("-created_at")),
        )

    def has_add_permission(self, request):
        return False  # people come in through the import

    def has_delete_permission(self, request, obj=None):
        return False  # deactivated, never deleted: their reports stay theirs

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {**(extra_context or {}), "import_url": reverse("admin:roster_rosterentry_import")})

    @admin.display(description=_("role"))
    def role(self, entry):
        return entry.observer.get_role_display()

    @admin.display(description=_("public code"), ordering="observer__public_code")
    def public_code(self, entry):
        return entry.observer.public_code

    @admin.display(description=_("planned stations"))
    def plan(self, entry):
        deployments = entry.observer.deployments.all()
        return " ".join(d.station.code for d in deployments if d.station_id) or "—"

    @admin.display(description=_("activation code"))
    def code_status(self, entry):
        codes = entry.observer.activation_codes.all()
        code = codes[0] if codes else None
        if code is None:
            return "—"
        if code.used_at:
            return _("used %(when)s") % {"when": timezone.localtime(code.used_at).strftime("%Y-%m-%d %H:%M")}
        if code.voided_at:
            return _("voided")
        if code.expires_at <= timezone.now():
            return _("expired")
        return _("issued, unused")

    # --- Codes and badges -----------------------------------------------------------

    def _codes_form(self, request, queryset, action, title, note):
        form = IssueCodesForm(
            request.POST if "valid_hours" in request.POST else None, initial={"valid_hours": settings.ACTIVATION_CODE_TTL_HOURS}
        )
        if form.is_bound and form.is_valid():
            return form.cleaned_data["valid_hours"]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "note": note,
            "form": form,
            "entries": queryset,
            "action": action,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/roster/rosterentry/issue_codes.html", context)

    def _bundle_response(self, request, issued) -> HttpResponse:
        sheet, codes_csv = badge_sheet(issued=issued, base_url=request.build_absolute_uri("/").rstrip("/"))
        response = HttpResponse(badge_bundle(sheet=sheet, codes_csv=codes_csv), content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="badges-{timezone.now():%Y%m%d-%H%M}.zip"'
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description=_("Issue activation codes and badges"), permissions=["change"])
    def issue_codes(self, request, queryset):
        hours = self._codes_form(
            request, queryset, "issue_codes", _("Issue activation codes"), _("A new code voids each observer's earlier unused code.")
        )
        if not isinstance(hours, float):
            return hours
        issued = credentials_issue(observers=[e.observer for e in queryset.filter(active=True)], issued_by=request.user, valid_hours=hours)
        if not issued:
            self.message_user(request, _("No active observer selected (coordinators and auditors use passwords)."), messages.WARNING)
            return None
        return self._bundle_response(request, issued)

    @admin.action(description=_("Re-issue (lost or seized phone): log out everywhere, new badge"), permissions=["change"])
    def reissue(self, request, queryset):
        hours = self._codes_form(
            request,
            queryset,
            "reissue",
            _("Re-issue credentials"),
            _("Every phone and session of these observers is logged out at once; their reports stay. A new badge is printed."),
        )
        if not isinstance(hours, float):
            return hours
        issued = [observer_reissue(observer=e.observer, issued_by=request.user, valid_hours=hours) for e in queryset.filter(active=True)]
        issued = [i for i in issued if i is not None]
        if not issued:
            self.message_user(request, _("No active observer selected (coordinators and auditors use passwords)."), messages.WARNING)
            return None
        return self._bundle_response(request, issued)

    @admin.action(description=_("Deactivate (log out, keep reports)"), permissions=["change"])
    def deactivate(self, request, queryset):
        entries = [e for e in queryset.filter(active=True) if e.observer.user_id != request.user.pk]
        observers_deactivate(entries=entries)
        self.message_user(request, _("%(count)d observer(s) deactivated.") % {"count": len(entries)}, messages.SUCCESS)

    # --- Import: upload → preview → confirm -------------------------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("import/", wrap(self.import_view), name="roster_rosterentry_import"),
            path("import/<int:pk>/", wrap(self.import_confirm_view), name="roster_rosterentry_import_confirm"),
            *super().get_urls(),
        ]

    def _import_allowed(self, request):
        if not self.has_change_permission(request):
            raise PermissionDenied
        if request.user.is_superuser:
            return ObserverOrganization.objects.all()
        organization_id = roster_organization_of(request.user)
        if organization_id is None:
            raise PermissionDenied
        return ObserverOrganization.objects.filter(pk=organization_id)

    def _render_import(self, request, context):
        return TemplateResponse(
            request,
            "admin/roster/rosterentry/import.html",
            {**self.admin_site.each_context(request), "opts": self.opts, "title": _("Import the roster"), "columns": COLUMNS, **context},
        )

    def import_view(self, request):
        organizations = self._import_allowed(request)
        form = RosterUploadForm(request.POST or None, request.FILES or None, initial={"organization": organizations.first()})
        form.fields["organization"].queryset = organizations
        if request.method != "POST" or not form.is_valid():
            return self._render_import(request, {"form": form})
        data = form.cleaned_data
        try:
            summary = roster_import(
                organization=data["organization"], election=data["election"], lines=io.StringIO(data["file"], newline=""),
                deactivate_missing=data["deactivate_missing"], dry_run=True, keep_user_id=request.user.pk,
            )  # fmt: skip
        except RosterFileError as exc:
            return self._render_import(request, {"form": form, "problems": exc.problems})
        pending = RosterImport.objects.create(
            organization=data["organization"], election=data["election"], uploaded_by=request.user, file_name=request.FILES["file"].name[:200],
            content=data["file"], deactivate_missing=data["deactivate_missing"], summary=str(summary),
        )  # fmt: skip
        return self._render_import(request, {"form": form, "preview": summary, "pending": pending})

    def import_confirm_view(self, request, pk):
        organizations = self._import_allowed(request)
        if request.method != "POST":
            return redirect("admin:roster_rosterentry_import")
        pending = get_object_or_404(RosterImport, pk=pk, uploaded_by=request.user, organization__in=organizations)
        # Claim it: a double click or a second tab applies the file once.
        if not RosterImport.objects.filter(pk=pending.pk, state=RosterImport.State.PREVIEWED).update(state=RosterImport.State.APPLIED):
            raise Http404
        if "discard" in request.POST:
            RosterImport.objects.filter(pk=pending.pk).update(state=RosterImport.State.DISCARDED, content="")
            self.message_user(request, _("Import discarded; nothing was written."), messages.INFO)
            return redirect("admin:roster_rosterentry_changelist")
        try:
            summary = roster_import(
                organization=pending.organization, election=pending.election, lines=io.StringIO(pending.content, newline=""),
                deactivate_missing=pending.deactivate_missing, keep_user_id=request.user.pk,
            )  # fmt: skip
        except RosterFileError as exc:
            RosterImport.objects.filter(pk=pending.pk).update(state=RosterImport.State.DISCARDED, content="", summary=str(exc)[:300])
            self.message_user(
                request, _("The roster changed since the preview; nothing was written: %(why)s") % {"why": exc}, messages.ERROR
            )
            return redirect("admin:roster_rosterentry_import")
        RosterImport.objects.filter(pk=pending.pk).update(content="", summary=str(summary))
        self.message_user(request, _("Roster imported: %(summary)s.") % {"summary": summary}, messages.SUCCESS)
        return redirect("admin:roster_rosterentry_changelist")
