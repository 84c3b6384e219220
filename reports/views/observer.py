"""Server-rendered pages for observers (mobile web). Thin adapters over services
and selectors.

Every page works without JavaScript (plain form POST); with JavaScript the
report form files through the API from an on-phone queue (static/js/app.js),
and a service worker (`service_worker` below, static/js/sw.js) keeps the pages
usable offline.
"""

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache

from django.apps import apps as django_apps
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from monitoring.localtime import to_local
from monitoring.models import Election, PollingStation
from monitoring.selectors import observer_for, stations_of_deployments

from ..forms import ObserverLoginForm, ReportForm
from ..models import Flag, IncidentCategory, IncidentReport, ReportState, SubmissionSource
from ..permissions import may_file
from ..photos import PhotoBusy, PhotoRejected
from ..rules import observer_flag_text
from ..selectors import reports_visible_to, reports_with_details
from ..services.intake import IdempotencyConflict, SubmissionRefused, submission_submit
from ..throttles import PhotoUploadThrottle
from ..validation import MAX_ACCURACY_M, reason_text
from . import checkin, inbox

# Files the service worker keeps for offline use (besides the pages themselves).
SHELL_STATIC = ["css/app.css", "js/app.js", "js/messages.js", "js/checklists.js"]
SERVICE_WORKER_SOURCE = "js/sw.js"
# A phone page of reports stays short even in Kazakh, the longest of the three languages.
MY_REPORTS_PER_PAGE = 10


def _station_json(station: PollingStation) -> dict:
    return {
        "code": station.code,
        "name": station.name,
        "settlement": station.settlement,
        "lat": station.latitude,
        "lon": station.longitude,
        "tz": station.district.region.timezone,
    }


def _client_strings() -> dict:
    """Texts the page script shows, in the active language (no extra request)."""
    return {
        "gps_locating": _("Finding your location…"),
        "gps_fix": _("Location found: accuracy ±%(accuracy)s m."),
        "gps_denied": _("Location permission denied. You can still send the report; it will be marked as having no location."),
        "gps_unavailable": _("No location fix. You can still send the report; it will be marked as having no location."),
        "gps_unsupported": _("This browser cannot share its location. You can still send the report."),
        "gps_retry": _("Try location again"),
        "stations_yours": _("Your stations"),
        "stations_near": _("Nearest stations"),
        "stations_found": _("Stations found"),
        "stations_none": _("No station matches. Check the number."),
        "station_selected": _("Selected: %(station)s"),
        "distance_m": _("%(distance)s m away"),
        "distance_km": _("%(distance)s km away"),
        "time_zone": _("Time at the station: %(zone)s (UTC%(offset)s)"),
        "photos_ready": _("%(count)s photo(s) ready, %(size)s KB in total."),
        "photos_preparing": _("Preparing photos…"),
        "queued": _("Saved on this phone. It will be sent automatically."),
        "sent": _("Report sent."),
        "waiting_none": _("No reports waiting on this phone."),
        "waiting_count": _("Reports waiting on this phone: %(count)s."),
        "last_sync": _("Last successful sending: %(time)s."),
        "last_sync_never": _("Nothing sent from this phone yet."),
        "login_again": _("Your session has ended: log in again to send the waiting reports."),
        "login_link": _("Log in again"),
        "send_now": _("Send now"),
        "state_queued": _("Waiting on this phone"),
        "state_sending": _("Sending…"),
        "state_failed": _("Not accepted by the server"),
        "discard": _("Delete from this phone"),
        "confirm_discard": _("Delete this report from the phone? It has not been received by the server."),
        "conflict": _("This report was already sent with different content."),
        "storage_persistent": _("Reports are stored persistently on this phone."),
        "required": _("Please fill in the station, the kind of incident and the time."),
        "logout_waiting": _("Reports are still waiting on this phone. They will be sent after you log in again. Log out?"),
        "offline_page": _("You are offline: this page was saved earlier."),
        **checkin.client_strings(),
        **inbox.client_strings(),
    }


def _page_data(request, observer, form_election: Election | None, panel: dict | None = None) -> dict:
    data = {
        "user": request.user.get_username(),
        "api": {
            "reports": reverse("api:reports"),
            "checkins": reverse("api:checkins"),
            "checklists": reverse("api:checklists"),
            "stations": reverse("api:stations"),
            **inbox.api_urls(),
        },
        "myReports": reverse("web:my-reports"),
        "login": reverse("web:login"),
        # A small page asked for to learn whether the server can be reached.
        "probe": reverse("web:offline"),
        "strings": _client_strings(),
        "language": request.LANGUAGE_CODE,
        # A fix vaguer than this is refused by the API; the script files without it.
        "maxAccuracyM": MAX_ACCURACY_M,
    }
    if form_election is not None:
        stations = stations_of_deployments(observer=observer, election=form_election)
        data["election"] = form_election.code
        data["stations"] = [_station_json(s) for s in stations]
        data["severityByCategory"] = dict(IncidentCategory.objects.filter(is_active=True).values_list("code", "default_severity"))
    if panel is not None:
        data["checkin"] = panel["data"]
    return data


def _observer_or_403(request):
    observer = observer_for(request.user)
    if observer is None:
        raise PermissionDenied
    return observer


def _default_election(observer) -> Election | None:
    deployed = Election.objects.filter(status=Election.Status.OPEN, deployments__observer=observer).distinct().first()
    return deployed or Election.objects.filter(status=Election.Status.OPEN).first()


@login_required
def home(request):
    return redirect("web:report-new")


class LoginView(auth_views.LoginView):
    template_name = "reports/login.html"
    authentication_form = ObserverLoginForm
    redirect_authenticated_user = True


def login_locked_out(request, original_response=None, credentials=None):
    """django-axes lockout answer (settings.AXES_LOCKOUT_CALLABLE): the login page
    with a clear message in the observer's language; JSON for the API."""
    message = _("Too many failed login attempts. Wait %(minutes)s minutes or ask your coordinator to unlock your account.") % {
        "minutes": round(settings.AXES_COOLOFF_TIME * 60)
    }
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message, "code": "locked_out"}, status=403)
    form = ObserverLoginForm(request)
    return render(request, "reports/login.html", {"form": form, "locked_out_message": message}, status=429)


def _cannot_file(request):
    """For auditors, platform staff and anyone else without filing rights: what
    this page is for and where their own work is, instead of a bare 403."""
    return render(request, "reports/cannot_file.html", {"admin_url": reverse("admin:index") if request.user.is_staff else ""}, status=403)


def _submitted(request, observer, form) -> bool:
    """File the form's report; False, with the reason on the form, when it was not."""
    photos = [f.read() for f in request.FILES.getlist("photos")]
    if not PhotoUploadThrottle().take(request, len(photos)):
        form.add_error(None, _("Too many photos sent in a short time. Try again later."))
        return False
    try:
        submission_submit(observer=observer, data=form.to_input(), source=SubmissionSource.WEB, photos=photos)
    except SubmissionRefused as exc:
        # The same words as the API's answer (with the date of a revocation), in the observer's language.
        form.add_error(None, exc.message)
    except IdempotencyConflict:
        form.add_error(None, _("This report was already sent with different content."))
    except PhotoRejected as exc:
        form.add_error(None, _("Photo rejected: %(reason)s") % {"reason": exc})
    except PhotoBusy:
        form.add_error(None, _("The server is busy processing photos. Try again in a minute."))
    else:
        return True
    return False


@login_required
@require_http_methods(["GET", "POST"])
def report_new(request):
    observer = observer_for(request.user)
    if not may_file(observer):
        return _cannot_file(request)
    if request.method == "POST":
        form = ReportForm(request.POST, request.FILES)
        if form.is_valid() and _submitted(request, observer, form):
            messages.success(request, _("Report sent. Its state is shown below."))
            return redirect("web:my-reports")
        election = form.cleaned_data.get("election") if hasattr(form, "cleaned_data") else None
        election = election or _default_election(observer)
    else:
        election = _default_election(observer)
        stations = stations_of_deployments(observer=observer, election=election) if election else []
        zone = stations[0].district.region.tzinfo if stations else timezone.get_default_timezone()
        initial = {"occurred_at": timezone.localtime(timezone=zone).strftime("%Y-%m-%dT%H:%M")}
        if election:
            initial["election"] = election.code
        if len(stations) == 1:
            initial["station"] = stations[0].code
        form = ReportForm(initial=initial)
    panel = checkin.checkin_panel(observer=observer, election=election, now=timezone.now())
    page_data = _page_data(request, observer, election, panel)
    return render(
        request,
        "reports/report_form.html",
        {
            "form": form,
            "checkin": panel,
            "observer": observer,
            "single_election": form.fields["election"].queryset.count() == 1,
            "stations": page_data.get("stations", []),
            "page_data": page_data,
        },
    )


@dataclass(frozen=True)
class ReportRow:
    """How a received report looks to the observer who filed it."""

    report: IncidentReport
    status: str  # sent / accepted / flagged / rejected
    status_label: str
    occurred_local: str
    zone: str
    reasons: list[str]
    flags: list[str]
    geotag: list[str]


STATUS_LABELS = {
    "sent": gettext_lazy("Sent, being checked"),
    "accepted": gettext_lazy("Accepted"),
    "flagged": gettext_lazy("Accepted, flagged for review"),
    "rejected": gettext_lazy("Rejected"),
}


def observer_status(report: IncidentReport, open_flags: list[Flag]) -> str:
    if report.state == ReportState.REJECTED:
        return "rejected"
    if report.state == ReportState.ACCEPTED:
        return "flagged" if open_flags else "accepted"
    return "sent"  # received, processing, or waiting for a coordinator after a pipeline failure


def _geotag_lines(report: IncidentReport) -> list[str]:
    if not report.location_source:
        return []
    lines = [_("Location: %(source)s") % {"source": report.get_location_source_display()}]
    if report.geo_settlement:
        lines.append(_("Place: %(settlement)s") % {"settlement": report.geo_settlement})
    if report.claimed_station_distance_m is not None:
        lines.append(
            _("%(distance)s m from station %(station)s")
            % {"distance": round(report.claimed_station_distance_m), "station": report.station.code}
        )
    return lines


def report_row(report: IncidentReport) -> ReportRow:
    flags = [f for f in report.flags.all() if f.state != Flag.State.CLEARED]
    zone = report.station.district.region.timezone
    status = observer_status(report, flags)
    return ReportRow(
        report=report,
        status=status,
        status_label=str(STATUS_LABELS[status]),
        occurred_local=to_local(report.occurred_at, zone).strftime("%Y-%m-%d %H:%M"),
        zone=zone,
        reasons=[reason_text(reason) for reason in report.rejection_reasons],
        flags=[observer_flag_text(f.code, f.params) for f in flags],
        geotag=_geotag_lines(report),
    )


@login_required
@require_GET
def my_reports(request):
    observer = _observer_or_403(request)
    reports = reports_with_details(reports_visible_to(request.user).filter(submitted_by=observer)).order_by("-received_at", "-id")
    page = Paginator(reports, MY_REPORTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "reports/my_reports.html",
        {"rows": [report_row(r) for r in page], "page": page, "page_data": _page_data(request, observer, None)},
    )


@require_GET
def offline(request):
    """Shown by the service worker when a page was never saved on the phone."""
    return render(request, "reports/offline.html")


@lru_cache(maxsize=1)
def _shell_version() -> str:
    digest = hashlib.sha256()
    for name in [*SHELL_STATIC, SERVICE_WORKER_SOURCE]:
        path = finders.find(name)
        digest.update(name.encode())
        if path:
            with open(path, "rb") as handle:
                digest.update(handle.read())
    return digest.hexdigest()[:16]


def _app_offline_pages() -> list[str]:
    """Pages other apps add to the web app (e.g. the checklists'), from their AppConfig.offline_pages()."""
    return [page for config in django_apps.get_app_configs() for page in getattr(config, "offline_pages", lambda: [])()]


@never_cache
@require_GET
def service_worker(request):
    """The service worker, served from the site root so it controls every page.
    It is static/js/sw.js preceded by its configuration: the static URLs (hashed
    in production) and a version that changes whenever a shell file changes, so
    phones pick up a new release on their next visit."""
    version = _shell_version() if not settings.DEBUG else _shell_version.__wrapped__()
    config = {
        "version": version,
        "shell": [static(name) for name in SHELL_STATIC],
        "pages": [reverse("web:report-new"), reverse("web:my-reports"), *_app_offline_pages()],
        "offline": reverse("web:offline"),
        "login": reverse("web:login"),
    }
    with open(finders.find(SERVICE_WORKER_SOURCE), encoding="utf-8") as handle:
        source = handle.read()
    body = f"const SW_CONFIG = {json.dumps(config)};\n{source}"
    return HttpResponse(body, content_type="text/javascript; charset=utf-8")
