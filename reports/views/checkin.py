"""The observer's check-ins, on the first screen (the report form's page): a
large "I have arrived at <station>" button while the plan has a station and
there is no arrival there yet, "All quiet" afterwards, and "Leaving" from half
an hour before the shift ends (right after the arrival when the plan has no
shift).

With JavaScript (static/js/app.js) the buttons put the check-in in the same
offline outbox as reports and it goes through the API; the page also keeps
the state the phone knows (a check-in waiting in the outbox counts). Without
it, the buttons are a form POST to `checkin` below, through the same submit
function.
"""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from monitoring.localtime import to_local
from monitoring.models import Election, Observer
from monitoring.selectors import observer_for

from ..forms import CheckInForm
from ..models import CheckInKind, SubmissionSource
from ..permissions import may_file
from ..selectors import CheckInState, checkin_state
from ..services.intake import IdempotencyConflict, SubmissionRefused, submission_submit

# "Leaving" is offered from this long before the planned end of the shift.
LEAVING_OFFERED_BEFORE = dt.timedelta(minutes=30)


def _epoch_ms(moment: dt.datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


def checkin_panel(*, observer: Observer, election: Election | None, now: dt.datetime) -> dict | None:
    """What the panel shows now (None: the plan has no station for the observer)."""
    state: CheckInState | None = checkin_state(observer=observer, election=election, now=now) if election else None
    if state is None:
        return None
    leaving_from = state.shift_end - LEAVING_OFFERED_BEFORE if state.shift_end else None
    zone = state.station.district.region.timezone
    return {
        "state": state,
        "form": CheckInForm(initial={"election": election.code, "station": state.station.code}),
        "show_arrived": not state.present,
        "show_quiet": state.present,
        "show_leaving": state.present and (leaving_from is None or now >= leaving_from),
        "last_label": CheckInKind(state.last_kind).label if state.last_kind else "",
        "last_local": to_local(state.last_at, zone).strftime("%H:%M") if state.last_at else "",
        "shift_end_local": to_local(state.shift_end, zone).strftime("%H:%M") if state.shift_end else "",
        # For the page script: the same facts, as plain values.
        "data": {
            "station": state.station.code,
            "stationName": state.station.name,
            "tz": zone,
            "last": {"kind": state.last_kind, "at": _epoch_ms(state.last_at)} if state.last_kind else None,
            "leavingFrom": _epoch_ms(leaving_from),
        },
    }


def client_strings() -> dict:
    """The panel's texts for the page script, in the active language."""
    return {
        "checkin_last": _("Last check-in: %(what)s at %(time)s."),
        "checkin_none": _("No check-in at this station yet."),
        "checkin_waiting": _("Check-in saved on this phone. It will be sent automatically."),
        "checkin_arrived": str(CheckInKind.ARRIVED.label),
        "checkin_all_quiet": str(CheckInKind.ALL_QUIET.label),
        "checkin_left": str(CheckInKind.LEFT.label),
        "checkin_summary": _("Check-in: %(what)s"),
    }


@login_required
@require_POST
def checkin(request):
    observer = observer_for(request.user)
    if not may_file(observer):
        raise PermissionDenied
    form = CheckInForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, _("The check-in was not sent: %(reason)s") % {"reason": " ".join(m for ms in form.errors.values() for m in ms)}
        )
        return redirect("web:report-new")
    try:
        result = submission_submit(observer=observer, data=form.to_input(), source=SubmissionSource.WEB)
    except SubmissionRefused as exc:
        messages.error(request, exc.message)
    except IdempotencyConflict:
        messages.error(request, _("This check-in was already sent with different content."))
    else:
        what = CheckInKind(result.submission.checkin_kind).label
        messages.success(request, _("Check-in received: %(what)s.") % {"what": what})
    return redirect(reverse("web:report-new"))
