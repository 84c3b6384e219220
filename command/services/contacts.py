"""Recording a contact with an observer (the contact log is append-only)."""

import datetime as dt

from django.utils import timezone

from monitoring.models import Election, Observer

from ..models import ContactAttempt
from ..permissions import may_record_contact


class ContactDenied(PermissionError):
    """Only the observer's organization's coordinators (and superusers) record contacts."""


def contact_record(
    *, user, observer: Observer, election: Election, outcome: str, text: str = "", at: dt.datetime | None = None
) -> ContactAttempt:
    """Append one attempt. `unreachable` marks the observer on the board until their next check-in."""
    if not may_record_contact(user=user, observer=observer):
        raise ContactDenied
    if outcome not in ContactAttempt.Outcome.values:
        raise ValueError(f"unknown outcome {outcome!r}")
    return ContactAttempt.objects.create(
        election=election, observer=observer, recorded_by=user, outcome=outcome, text=text.strip()[:2000], at=at or timezone.now()
    )
