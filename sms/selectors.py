"""The reads the SMS door needs: who a number is, where a station code points,
what the codes mean in an election, and whether a number was answered lately."""

import datetime as dt

from django.db.models import Case, Exists, IntegerField, OuterRef, Value, When

from checklists.selectors import form_document, forms_current
from monitoring.models import Accreditation, Election, Observer, PollingStation
from reports.models import IncidentCategory
from roster.models import RosterEntry

from .codes import Vocabulary
from .models import CategoryShortCode, OutboundMessage
from .vocabulary import vocabulary_of


def sender_of(phone: str) -> RosterEntry | None:
    """The active roster entry whose phone is `phone` (E.164), if its user is
    active too: a deactivated observer is nobody's number any more."""
    return (
        RosterEntry.objects.select_related("observer__user", "observer__organization")
        .filter(phone=phone, active=True, observer__user__is_active=True)
        .first()
    )


def station_for(*, observer: Observer, code: str) -> PollingStation | None:
    """The station `code` names for this observer: of an open election before a
    closed one, of an election the organization is accredited for before
    another, of the latest voting day. None when no election has it."""
    accredited = Accreditation.objects.filter(organization_id=observer.organization_id, election_id=OuterRef("election_id"))
    return (
        PollingStation.objects.select_related("election", "district__region")
        .filter(code=code)
        .annotate(
            election_open=Case(When(election__status=Election.Status.OPEN, then=Value(1)), default=Value(0), output_field=IntegerField()),
            accredited=Exists(accredited),
        )
        .order_by("-election_open", "-accredited", "-election__voting_day", "election_id")
        .first()
    )


def election_for(observer: Observer) -> Election | None:
    """The election an observer's codes are read in before a station is known
    (HELP): the open one the organization is accredited for, the latest first."""
    return (
        Election.objects.filter(accreditations__organization_id=observer.organization_id)
        .order_by(
            Case(When(status=Election.Status.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField()),
            "-voting_day",
        )
        .first()
    )


def category_short_codes() -> dict[str, str]:
    """short code -> category code, of the active categories."""
    return dict(CategoryShortCode.objects.filter(category__is_active=True).values_list("short_code", "category__code"))


def category_names() -> dict[str, str]:
    """category code -> name in the active language."""
    return {category.code: category.name for category in IncidentCategory.objects.filter(is_active=True)}


def vocabulary_for(election: Election | None) -> Vocabulary:
    """The codes as they read in `election`: the categories, and its forms' current versions."""
    documents = [form_document(version) for version in forms_current(election=election)] if election is not None else []
    return vocabulary_of(categories=category_short_codes(), documents=documents)


def unknown_sender_answered_since(*, phone: str, since: dt.datetime) -> bool:
    return OutboundMessage.objects.filter(recipient=phone, reason=OutboundMessage.Reason.UNKNOWN_SENDER, created_at__gte=since).exists()
