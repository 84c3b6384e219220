"""The registry's admin: elections, the territory (regions, districts, polling
stations), observer organizations with their accreditations, and observers with
their deployments. Organizations (their contact), accreditations (status and
reason), observers and deployments are scoped to the user's organization
(platform staff see all); an accreditation's status changes through
`accreditation_set_status`, which stamps when and records why."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from .models import Accreditation, Deployment, District, Election, Observer, ObserverOrganization, PollingStation, Region
from .selectors import accreditations_visible_to, observers_visible_to, organizations_visible_to
from .services import AccreditationConflict, accreditation_set_status, observer_set_role


class CodeFixedOnceCreated:
    """A registry code is evidence: reports' content hashes name their election,
    station and category by code, and exports and filters name regions and
    districts by code. Renaming one would make every export holding its reports
    read as altered, so the code is set when the object is created and then
    only shown."""

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return fields if obj is None else [*fields, "code"]


@admin.register(Election)
class ElectionAdmin(CodeFixedOnceCreated, admin.ModelAdmin):
    list_display = ["code", "name", "voting_day", "polls_open", "polls_close", "status"]
    list_filter = ["status"]
    search_fields = ["code", "name"]


@admin.register(Region)
class RegionAdmin(CodeFixedOnceCreated, admin.ModelAdmin):
    list_display = ["code", "name_en", "name_ru", "name_kk", "timezone"]
    search_fields = ["code", "name_en", "name_ru", "name_kk"]


@admin.register(District)
class DistrictAdmin(CodeFixedOnceCreated, admin.ModelAdmin):
    list_display = ["code", "name_en", "region"]
    list_filter = ["region"]
    list_select_related = ["region"]
    search_fields = ["code", "name_en", "name_ru", "name_kk"]


@admin.register(PollingStation)
class PollingStationAdmin(CodeFixedOnceCreated, admin.ModelAdmin):
    list_display = ["code", "name", "settlement", "district", "election", "registered_voters"]
    list_filter = ["election", "district__region"]
    list_select_related = ["district__region", "election"]
    search_fields = ["code", "name", "settlement", "address"]
    raw_id_fields = ["district"]
    show_full_result_count = False


@admin.register(ObserverOrganization)
class ObserverOrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "contact"]
    list_filter = ["kind"]
    search_fields = ["name"]

    def get_queryset(self, request):
        # Another organization's contact is not a coordinator's business.
        return super().get_queryset(request).filter(pk__in=organizations_visible_to(request.user).values("pk"))


@admin.register(Accreditation)
class AccreditationAdmin(admin.ModelAdmin):
    list_display = ["number", "organization", "election", "status", "valid_from", "valid_until", "revoked_at"]
    list_filter = ["status", "election"]
    list_select_related = ["organization", "election"]
    search_fields = ["number", "organization__name"]
    readonly_fields = ["revoked_at"]
    actions = ["suspend", "revoke", "reinstate"]
    VERBS = {
        Accreditation.Status.ACTIVE: "reinstated",
        Accreditation.Status.SUSPENDED: "suspended",
        Accreditation.Status.REVOKED: "revoked",
    }

    def get_queryset(self, request):
        # Whether another organization is suspended, and why, is the commission's and theirs to tell.
        return super().get_queryset(request).filter(pk__in=accreditations_visible_to(request.user).values("pk"))

    def get_readonly_fields(self, request, obj=None):
        # A new accreditation starts active; later changes of status go through the service.
        return self.readonly_fields if obj is not None else [*self.readonly_fields, "status"]

    def save_model(self, request, obj, form, change):
        """A status changed on the form goes through `accreditation_set_status`
        (timestamp and reason), like the actions."""
        if not (change and "status" in form.changed_data):
            return super().save_model(request, obj, form, change)
        status = obj.status
        obj.status = form.initial["status"]
        super().save_model(request, obj, form, change)
        reason = obj.status_reason if "status_reason" in form.changed_data else ""
        verb = self.VERBS[status]
        accreditation_set_status(accreditation=obj, status=status, reason=reason or f"{verb} by {request.user.get_username()} in admin")

    def _set(self, request, queryset, status):
        verb = self.VERBS[status]
        done = 0
        for accreditation in queryset:
            try:
                accreditation_set_status(
                    accreditation=accreditation, status=status, reason=f"{verb} by {request.user.get_username()} in admin"
                )
            except AccreditationConflict as exc:
                self.message_user(
                    request,
                    _("Accreditation %(number)s not set to “%(status)s”: %(reason)s.")
                    % {"number": accreditation.number, "status": Accreditation.Status(status).label, "reason": exc},
                    messages.ERROR,
                )
            else:
                done += 1
        if done:
            self.message_user(
                request,
                _("%(count)d accreditation(s) now “%(status)s”.") % {"count": done, "status": Accreditation.Status(status).label},
                messages.SUCCESS,
            )

    @admin.action(description=_("Suspend selected accreditations"), permissions=["change"])
    def suspend(self, request, queryset):
        self._set(request, queryset, Accreditation.Status.SUSPENDED)

    @admin.action(description=_("Revoke selected accreditations"), permissions=["change"])
    def revoke(self, request, queryset):
        self._set(request, queryset, Accreditation.Status.REVOKED)

    @admin.action(description=_("Reinstate selected accreditations"), permissions=["change"])
    def reinstate(self, request, queryset):
        self._set(request, queryset, Accreditation.Status.ACTIVE)


class DeploymentInline(admin.TabularInline):
    model = Deployment
    extra = 0
    raw_id_fields = ["station", "district"]


@admin.register(Observer)
class ObserverAdmin(admin.ModelAdmin):
    list_display = ["public_code", "user", "organization", "role", "badge_number"]
    list_filter = ["role", "organization"]
    list_select_related = ["user", "organization"]
    search_fields = ["public_code", "badge_number", "user__username"]
    readonly_fields = ["public_code"]
    raw_id_fields = ["user"]
    inlines = [DeploymentInline]

    def get_queryset(self, request):
        # Organization isolation: who observes for another organization is not a coordinator's business.
        return super().get_queryset(request).filter(pk__in=observers_visible_to(request.user).values("pk"))

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        observer_set_role(observer=obj, role=obj.role)


@admin.register(Deployment)
class DeploymentAdmin(admin.ModelAdmin):
    list_display = ["observer", "election", "station", "district"]
    list_filter = ["election"]
    list_select_related = ["observer", "election", "station", "district"]
    raw_id_fields = ["observer", "station", "district"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(observer__in=observers_visible_to(request.user).values("pk"))
