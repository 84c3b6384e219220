"""The reads the SMS door needs: who a number is, where a station code points,
what the codes mean in an election, and whether a number was answered lately."""

import datetime as dt
from collections.abc import Mapping

from checklists.models import FormVersion
from checklists.selectors import form_document, forms_current
from monitoring.models import Accreditation, Election, Observer, PollingStation
from reports.models import IncidentCategory
from roster.models import RosterEntry

from .codes import Vocabulary, normalize
from .models import CategoryShortCode, OutboundMessage
from .vocabulary import vocabulary_of


def sender_of(phone: str) -> RosterEntry | None:
    """The active roster entry whose phone is `phone` (E.164), if its user is
    active too: a deactivated observer is nobody's number any more."""
    return RosterEntry.objects.select_related("observer__user").filter(phone=phone, active=True, observer__user__is_active=True).first()


def station_for(*, observer: Observer, code: str) -> PollingStation | None:
    """The station `code` names for this observer: of an open election before a
    closed one, of an election the organization is accredited for before
    another, of the latest voting day. None when no election has it."""
    stations = list(PollingStation.objects.select_related("election", "district__region").filter(code=code)[:50])
    if len(stations) <= 1:
        return stations[0] if stations else None
    accredited = set(
        Accreditation.objects.filter(
            organization_id=observer.organization_id, election_id__in=[s.election_id for s in stations]
        ).values_list("election_id", flat=True)
    )
    return min(
        stations, key=lambda s: (not s.election.is_open, s.election_id not in accredited, -s.election.voting_day.toordinal(), s.election_id)
    )


def election_for(observer: Observer) -> Election | None:
    """The election an observer's codes are read in before a station is known
    (HELP, a form's code): the open one the organization is accredited for, the latest first."""
    elections = Election.objects.filter(accreditations__organization_id=observer.organization_id).order_by("-voting_day", "pk")
    return min(elections[:20], key=lambda e: not e.is_open, default=None)


def category_short_codes() -> dict[str, str]:
    """short code -> category code, of the active categories."""
    return dict(CategoryShortCode.objects.filter(category__is_active=True).values_list("short_code", "category__code"))


def category_codes_named() -> list[tuple[str, str]]:
    """(short code, name in the active language) of the active categories, in
    the taxonomy's order (by phase, as the report form lists them)."""
    rows = CategoryShortCode.objects.filter(category__is_active=True).select_related("category")
    return [(row.short_code, row.category.name) for row in rows.order_by("category__sort_order", "category__code")]


def category_names() -> dict[str, str]:
    """category code -> name in the active language."""
    return {category.code: category.name for category in IncidentCategory.objects.filter(is_active=True)}


class _Lazy(Mapping):
    """A mapping read from the database on first use: a check-in needs no
    category and no form, an incident no form."""

    def __init__(self, load):
        self._load, self._data = load, None

    def _loaded(self) -> Mapping:
        if self._data is None:
            self._data = self._load()
        return self._data

    def __getitem__(self, key):
        return self._loaded()[key]

    def __iter__(self):
        return iter(self._loaded())

    def __len__(self):
        return len(self._loaded())


def vocabulary_for(election) -> Vocabulary:
    """The codes as they read in an election: the categories, and the forms'
    current versions. `election`: an Election, None, or a callable giving one
    (called only if a form's code is read)."""

    def forms():
        chosen = election() if callable(election) else election
        documents = [form_document(version) for version in forms_current(election=chosen)] if chosen is not None else []
        return vocabulary_of(categories={}, documents=documents).forms

    return Vocabulary(categories=_Lazy(lambda: {normalize(k): v for k, v in category_short_codes().items()}), forms=_Lazy(forms))


def form_version_current(*, election: Election, code: str) -> FormVersion | None:
    """The version of form `code` that answers by SMS are filed against: the
    current one (a message carries no version; a phone's form may be older)."""
    return next((version for version in forms_current(election=election) if version.form.code == code), None)


def unknown_sender_answered_since(*, phone: str, since: dt.datetime) -> bool:
    return OutboundMessage.objects.filter(recipient=phone, reason=OutboundMessage.Reason.UNKNOWN_SENDER, created_at__gte=since).exists()
