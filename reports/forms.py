"""The observer's web forms. `ReportForm` and `CheckInForm` build the same
inputs the API does (`ReportInput`, `CheckInInput`), so every door goes
through `services.intake.submission_submit`."""

import uuid

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from monitoring.models import Election, PollingStation

from .models import CheckInKind, IncidentCategory, Severity
from .services.intake import CheckInInput, ReportInput
from .validation import MAX_ACCURACY_M, incident_time_in_range, incident_time_range_text

PHASE_ORDER = [phase for phase, _label in IncidentCategory.Phase.choices]


class ObserverLoginForm(AuthenticationForm):
    """Django's login form with our own (translated) wording."""

    error_messages = {
        "invalid_login": _("Wrong username or password. Both are case-sensitive."),
        "inactive": _("This account is inactive. Ask your coordinator."),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("Username")
        self.fields["password"].label = _("Password")
        self.fields["username"].widget.attrs.update({"autocapitalize": "none", "autocomplete": "username", "spellcheck": "false"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


def station_of(form: forms.Form, cleaned: dict) -> PollingStation | None:
    """Resolve the station code typed or posted in `form` within its election
    (into `cleaned["station"]`), or say on the field that there is none."""
    election, code = cleaned.get("election"), cleaned.get("station")
    if not (election and code):
        return None
    station = PollingStation.objects.select_related("district__region").filter(election=election, code=code.strip()).first()
    if station is None:
        form.add_error("station", _("No such polling station in this election."))
        return None
    cleaned["station"] = station
    return station


def grouped_category_choices(categories) -> list:
    """[(phase label, [(code, name), ...]), ...] in the order of the election day,
    names in the active language."""
    by_phase: dict[str, list] = {}
    for category in categories:
        by_phase.setdefault(category.phase, []).append((category.code, category.name))
    labels = dict(IncidentCategory.Phase.choices)
    return [(labels[phase], by_phase[phase]) for phase in PHASE_ORDER if phase in by_phase]


class ReportForm(forms.Form):
    client_uuid = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)
    election = forms.ModelChoiceField(
        queryset=Election.objects.filter(status=Election.Status.OPEN), to_field_name="code", label=_("Election")
    )
    station = forms.CharField(
        max_length=32,
        label=_("Polling station"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "search", "list": "station-list", "spellcheck": "false"}),
    )
    category = forms.ModelChoiceField(
        queryset=IncidentCategory.objects.filter(is_active=True), to_field_name="code", label=_("What kind of incident")
    )
    severity = forms.ChoiceField(choices=[("", _("Category default"))] + list(Severity.choices), required=False, label=_("Severity"))
    occurred_at = forms.DateTimeField(
        label=_("When (local time at the station)"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=5000, required=False, label=_("What happened"))
    latitude = forms.FloatField(widget=forms.HiddenInput, required=False, min_value=-90, max_value=90)
    longitude = forms.FloatField(widget=forms.HiddenInput, required=False, min_value=-180, max_value=180)
    accuracy_m = forms.FloatField(widget=forms.HiddenInput, required=False, min_value=0, max_value=MAX_ACCURACY_M)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        categories = self.fields["category"].queryset
        self.fields["category"].widget.choices = [("", _("Choose…"))] + grouped_category_choices(categories)

    def clean(self):
        cleaned = super().clean()
        station = station_of(self, cleaned)
        if station is not None:
            occurred = cleaned.get("occurred_at")
            if occurred is not None:
                # The form shows wall-clock time at the station; store the instant.
                naive = occurred.replace(tzinfo=None)
                if incident_time_in_range(naive):
                    cleaned["occurred_at"] = naive.replace(tzinfo=station.district.region.tzinfo)
                else:
                    self.add_error("occurred_at", incident_time_range_text())
        if (cleaned.get("latitude") is None) != (cleaned.get("longitude") is None):
            cleaned["latitude"] = cleaned["longitude"] = cleaned["accuracy_m"] = None
        return cleaned

    def to_input(self) -> ReportInput:
        d = self.cleaned_data
        return ReportInput(
            client_uuid=d["client_uuid"],
            election=d["election"],
            station=d["station"],
            category=d["category"],
            severity=d.get("severity") or None,
            occurred_at=d["occurred_at"],
            description=d.get("description", ""),
            latitude=d.get("latitude"),
            longitude=d.get("longitude"),
            accuracy_m=d.get("accuracy_m") if d.get("latitude") is not None else None,
        )


class CheckInForm(forms.Form):
    """The check-in buttons without JavaScript: the moment is the one the page
    was rendered at (so pressing again resends the same check-in), and there
    is no fix (the pipeline flags `no_location`). With JavaScript the page
    sends the phone's moment and fix through the API instead."""

    client_uuid = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)
    election = forms.ModelChoiceField(queryset=Election.objects.filter(status=Election.Status.OPEN), to_field_name="code")
    station = forms.CharField(max_length=32)
    kind = forms.ChoiceField(choices=CheckInKind.choices)
    occurred_at = forms.DateTimeField(widget=forms.HiddenInput, initial=lambda: timezone.now().replace(microsecond=0).isoformat())

    def clean_occurred_at(self):
        moment = self.cleaned_data["occurred_at"]
        if timezone.is_naive(moment) or not incident_time_in_range(moment):
            raise forms.ValidationError(incident_time_range_text())
        return moment

    def clean(self):
        cleaned = super().clean()
        station_of(self, cleaned)
        return cleaned

    def to_input(self) -> CheckInInput:
        d = self.cleaned_data
        return CheckInInput(
            client_uuid=d["client_uuid"], election=d["election"], station=d["station"], occurred_at=d["occurred_at"], checkin_kind=d["kind"]
        )
