"""The observer web app's checklist pages: the election's forms, with the one
the station's local time calls for offered first, and each form on one page,
grouped by its sections.

With JavaScript (static/js/checklists.js) a filed form goes into the same
on-phone outbox as reports and check-ins and is sent, with its photos, to
POST /api/v1/checklists/ once the server answers. Without it the form is a
plain multipart POST to `checklist_form` below, checked by the API's own
serializer and filed through the same submit function.
"""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from monitoring.localtime import to_local
from monitoring.models import Election
from monitoring.selectors import observer_for, stations_of_deployments
from reports.models import SubmissionSource
from reports.permissions import may_file
from reports.photos import PhotoBusy, PhotoRejected
from reports.services.intake import IdempotencyConflict, SubmissionRefused, submission_submit
from reports.throttles import PhotoUploadThrottle
from reports.views.observer import _cannot_file, _default_election, _page_data

from .api.serializers import ChecklistCreateSerializer
from .formdoc import localized
from .models import Phase
from .permissions import forms_readable
from .selectors import form_document, forms_current

# The phase an observer is most likely filing, by the hour at the station:
# opening before 08:00, voting until 20:00, closing in the hour after, then counting.
PHASE_HOURS = ((8, Phase.OPENING), (20, Phase.VOTING), (21, Phase.CLOSING), (24, Phase.COUNTING))
ANSWER_PREFIX = "answer-"


def phase_at(hour: int) -> str:
    """The phase suggested at this hour (0-23) of the station's local time."""
    return next(str(phase) for until, phase in PHASE_HOURS if hour < until)


def _context(request):
    """The observer, the election and the stations the page is for, or None when the observer may not file."""
    observer = observer_for(request.user)
    if not may_file(observer):
        return None
    election = _default_election(observer)
    if election is None or not forms_readable(user=request.user, election=election):
        raise Http404(_("No election with checklists for you."))
    stations = stations_of_deployments(observer=observer, election=election)
    return observer, election, stations


def _station_zone(stations):
    return stations[0].district.region.timezone if stations else timezone.get_default_timezone_name()


def _forms(election: Election) -> list[dict]:
    language = (get_language() or "en")[:2]
    return [{**localized(form_document(v), language), "version": v.number} for v in forms_current(election=election)]


def _page(request, observer, election, stations, extra: dict) -> dict:
    data = _page_data(request, observer, election)
    data["checklists"] = {
        "tz": _station_zone(stations),
        "phaseHours": [[until, str(phase)] for until, phase in PHASE_HOURS],
        "list": reverse("checklists-web:list"),
        **extra,
    }
    data["strings"].update(client_strings())
    return data


def client_strings() -> dict:
    return {
        "checklist_queued": _("Checklist saved on this phone. It will be sent automatically."),
        "checklist_sent": _("Checklist sent."),
        "checklist_summary": _("Checklist: %(form)s"),
        "checklist_invalid": _("Some answers are missing or out of range: see the marked questions."),
    }


@login_required
@require_GET
def checklist_list(request):
    context = _context(request)
    if context is None:
        return _cannot_file(request)
    observer, election, stations = context
    zone = _station_zone(stations)
    suggested = phase_at(to_local(timezone.now(), zone).hour)
    forms = _forms(election)
    return render(
        request,
        "checklists/list.html",
        {
            "election": election,
            "forms": forms,
            "suggested": suggested,
            "zone": zone,
            "page_data": _page(request, observer, election, stations, {}),
        },
    )


def _posted(request, observer, election, form: dict):
    """File the plain form's checklist; returns the errors by question (or field) when it was not filed."""
    answers, uploads = {}, []
    for section in form["sections"]:
        for q in section["questions"]:
            if q["type"] == "photo":
                upload = request.FILES.get(ANSWER_PREFIX + q["code"])
                if upload is not None:
                    uploads.append(upload)
                    answers[q["code"]] = upload.name
                continue
            value = request.POST.get(ANSWER_PREFIX + q["code"], "").strip()
            if value != "":
                answers[q["code"]] = value
    data = {
        "client_uuid": request.POST.get("client_uuid") or str(uuid.uuid4()),
        "election": election.code,
        "station": request.POST.get("station", ""),
        "form": form["code"],
        "form_version": form["version"],
        "answers": answers,
        "occurred_at": timezone.now().isoformat(),
        "photos": uploads,
    }
    incoming = ChecklistCreateSerializer(data=data, context={"request": request, "observer": observer})
    if not incoming.is_valid():
        errors = dict(incoming.errors)
        return {**errors.pop("answers", {}), **{k: v for k, v in errors.items()}}
    if not PhotoUploadThrottle().take(request, len(uploads)):
        return {"__all__": [_("Too many photos sent in a short time. Try again later.")]}
    photos = []
    for upload in uploads:
        upload.seek(0)
        photos.append(upload.read())
    try:
        submission_submit(observer=observer, data=incoming.to_input(), source=SubmissionSource.WEB, photos=photos)
    except SubmissionRefused as exc:
        return {"__all__": [exc.message]}
    except IdempotencyConflict:
        return {"__all__": [_("This checklist was already sent with different content.")]}
    except PhotoRejected as exc:
        return {"__all__": [_("Photo rejected: %(reason)s") % {"reason": exc}]}
    except PhotoBusy:
        return {"__all__": [_("The server is busy processing photos. Try again in a minute.")]}
    return None


@login_required
@require_http_methods(["GET", "POST"])
def checklist_form(request, code: str):
    context = _context(request)
    if context is None:
        return _cannot_file(request)
    observer, election, stations = context
    form = next((f for f in _forms(election) if f["code"] == code), None)
    if form is None:
        raise Http404(_("No such form."))
    errors = {}
    if request.method == "POST":
        errors = _posted(request, observer, election, form)
        if errors is None:
            messages.success(request, _("Checklist sent: %(form)s.") % {"form": form["title"]})
            return redirect("checklists-web:list")
    for section in form["sections"]:
        for q in section["questions"]:
            q["errors"] = [str(m) for m in errors.get(q["code"], [])]
            q["value"] = request.POST.get(ANSWER_PREFIX + q["code"], "") if request.method == "POST" else ""
    other_errors = [str(m) for k, ms in errors.items() if k not in {q["code"] for s in form["sections"] for q in s["questions"]} for m in ms]
    page = {"form": {"code": form["code"], "version": form["version"], "title": form["title"]}}
    return render(
        request,
        "checklists/form.html",
        {
            "election": election,
            "form": form,
            "stations": stations,
            "station": request.POST.get("station") or (stations[0].code if stations else ""),
            "client_uuid": request.POST.get("client_uuid") or str(uuid.uuid4()),
            "other_errors": other_errors,
            "page_data": _page(request, observer, election, stations, page),
        },
    )


def offline_pages() -> list[str]:
    """The checklist pages the service worker keeps for offline use: the list and every form of the open elections."""
    codes = sorted(set(Election.objects.filter(status=Election.Status.OPEN).values_list("forms__code", flat=True)) - {None})
    return [reverse("checklists-web:list")] + [reverse("checklists-web:form", args=[c]) for c in codes]

