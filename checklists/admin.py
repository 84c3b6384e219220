"""Read-only admin pages of forms, samples and official results: they change
only through their commands (load_form, draw_sample, import_official_results),
which check what they load."""

from django.contrib import admin

from . import results_page
from .models import Form, FormVersion, OfficialResult, OfficialVotes, Sample, SampleStratum


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class FormVersionInline(ReadOnlyInline):
    model = FormVersion
    fields = ["number", "document_sha256", "created_at"]
    readonly_fields = fields


@admin.register(Form)
class FormAdmin(ReadOnlyAdmin):
    list_display = ["code", "short_code", "phase", "election"]
    list_filter = ["election", "phase"]
    list_select_related = ["election"]
    inlines = [FormVersionInline]


@admin.register(FormVersion)
class FormVersionAdmin(ReadOnlyAdmin):
    list_display = ["form", "number", "document_sha256", "created_at"]
    list_filter = ["form__election"]
    list_select_related = ["form__election"]
    readonly_fields = ["form", "number", "document", "document_sha256", "created_at"]


class SampleStratumInline(ReadOnlyInline):
    model = SampleStratum
    fields = ["code", "population", "size"]
    readonly_fields = fields


@admin.register(Sample)
class SampleAdmin(ReadOnlyAdmin):
    list_display = ["election", "method", "stratified_by", "seed", "size", "population", "created_at"]
    list_select_related = ["election"]
    inlines = [SampleStratumInline]

    def get_urls(self):
        # The quick count's results page (results_page), before the model's own URLs.
        return results_page.urls(self) + super().get_urls()


class OfficialVotesInline(ReadOnlyInline):
    model = OfficialVotes
    fields = ["party", "votes"]
    readonly_fields = fields


@admin.register(OfficialResult)
class OfficialResultAdmin(ReadOnlyAdmin):
    list_display = ["election", "region", "registered_voters", "ballots_cast"]
    list_filter = ["election"]
    list_select_related = ["election", "region"]
    inlines = [OfficialVotesInline]
