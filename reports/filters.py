"""The report filters, shared by the triage queue and every export door.

A coordinator who narrows the admin queue and an auditor who calls
`/exports/reports.csv` or `manage.py export_reports` use the same parameter
names with the same meaning, parsed and applied here, so "export what I see"
is exact. Parameters (all optional, one value each):

| name | value |
|---|---|
| `election` | election code (must exist, like every code below) |
| `organization` | organization id |
| `region`, `district`, `station` | codes (of the claimed polling station) |
| `category`, `phase` | category code, category phase |
| `severity`, `state`, `triage_status` | the report's values; `triage_status=open` means new, under review or escalated, and not rejected by the pipeline |
| `flag` | a flag code the report carries and that was not cleared |
| `assignee` | `me`, `none` or a user id |
| `has_photos` | `yes` / `no` |
| `source` | the door it came in by: `api`, `web`, `sms` |
| `received_within` | `1h`, `6h`, `24h`, `7d` (before now) |
| `received_from`, `received_to` | ISO date or date-time (UTC unless an offset is given); `received_to` is exclusive, a date means the whole day |
| `q` | search: a report id, an observer public code, a station code or name, words of the description |
"""

import datetime as dt
import re
import unicodedata
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from monitoring.models import District, Election, PollingStation, Region

from .models import Attachment, Flag, IncidentCategory, ReportState, Severity, SubmissionSource, TriageStatus, needs_triage
from .rules import FLAG_TEXT


class FilterError(ValueError):
    """A filter parameter has an unusable value (HTTP 400, or the admin's "?e=1")."""


RECEIVED_WINDOWS = {
    "1h": (dt.timedelta(hours=1), _("last hour")),
    "6h": (dt.timedelta(hours=6), _("last 6 hours")),
    "24h": (dt.timedelta(hours=24), _("last 24 hours")),
    "7d": (dt.timedelta(days=7), _("last 7 days")),
}
YES, NO = ("1", "yes", "true"), ("0", "no", "false")
PUBLIC_CODE = re.compile(r"OBS-[A-Z0-9]{8}")
# Registry codes as the registry writes them (election, region, district,
# category: slugs, districts' possibly non-ASCII); station codes are free text
# but never control characters. Anything else is refused before it reaches a
# query, a header or a file name.
SLUG_CODE = re.compile(r"[-\w]{1,64}")
STATION_CODE_MAX = 32
# Database ids are bigint primary keys.
MAX_ID = 2**63 - 1


def parse_id(value: str) -> int | None:
    """A database id typed in a URL or a form, or None when the text is not one.
    `str.isdigit()` alone also accepts "²" (which `int()` refuses), and a
    number past bigint is a database error, not "no such row"."""
    if not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if number <= MAX_ID else None


@dataclass(frozen=True)
class ReportFilters:
    election: str = ""
    organization: int | None = None
    region: str = ""
    district: str = ""
    station: str = ""
    category: str = ""
    phase: str = ""
    severity: str = ""
    state: str = ""
    triage_status: str = ""
    flag: str = ""
    assignee: str = ""
    has_photos: bool | None = None
    source: str = ""
    received_within: str = ""
    received_from: dt.datetime | None = None
    received_to: dt.datetime | None = None
    q: str = ""
    # Explicit selection (the admin's "selected reports"); never parsed from a URL.
    # None: no selection; an empty tuple: a selection of nothing, which exports nothing.
    ids: tuple[str, ...] | None = None

    def resolved(self, now: dt.datetime) -> "ReportFilters":
        """Turn a relative `received_within` into an absolute `received_from`, so an
        export records the exact interval it covered."""
        if not self.received_within:
            return self
        start = now - RECEIVED_WINDOWS[self.received_within][0]
        if self.received_from is None or self.received_from < start:
            return replace(self, received_from=start)
        return self

    def as_json(self) -> dict:
        """The filters that are set, as JSON-able values (for ExportRecord and the manifest)."""
        out = {}
        for name, value in asdict(self).items():
            if value is None or value == "":
                continue
            if isinstance(value, dt.datetime):
                value = value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
            elif isinstance(value, tuple):
                value = list(value)
            out[name] = value
        return out


URL_PARAMETERS = [name for name in ReportFilters.__dataclass_fields__ if name != "ids"]


def _choice(name: str, value: str, choices) -> str:
    if value not in dict(choices):
        raise FilterError(gettext("%(name)s: unknown value %(value)r") % {"name": name, "value": value})
    return value


def _code(name: str, value: str) -> str:
    valid = SLUG_CODE.fullmatch(value) if name != "station" else (len(value) <= STATION_CODE_MAX and value.isprintable())
    if not valid:
        raise FilterError(gettext("%(name)s: %(value)r is not a code") % {"name": name, "value": value})
    return value


def _refuse_unknown_codes(values: dict) -> None:
    """Every code must name something that exists: a misspelt election or
    category would otherwise give an empty export that verifies OK."""
    registries = {
        "election": Election.objects.all(),
        "region": Region.objects.all(),
        "district": District.objects.all(),
        "station": PollingStation.objects.filter(election__code=values["election"])
        if "election" in values
        else PollingStation.objects.all(),
        "category": IncidentCategory.objects.all(),
    }
    for name, registry in registries.items():
        if name in values and not registry.filter(code=values[name]).exists():
            if name == "station" and "election" in values:
                message = gettext("%(name)s: no %(name)s %(value)r in election %(election)r")
            else:
                message = gettext("%(name)s: no %(name)s %(value)r")
            raise FilterError(message % {"name": name, "value": values[name], "election": values.get("election")})


def _moment(name: str, value: str, *, end: bool) -> dt.datetime:
    # A bare date first: parse_datetime would read "2021-01-10" as its midnight.
    try:
        day = parse_date(value) if len(value) == 10 else None
    except ValueError:
        raise FilterError(gettext("%(name)s: %(value)r is not a date") % {"name": name, "value": value}) from None
    try:
        if day is not None:
            if end:
                day += dt.timedelta(days=1)
            return dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC)
        try:
            moment = parse_datetime(value)
        except ValueError:
            moment = None
        if moment is None:
            raise FilterError(gettext("%(name)s: expected an ISO date or date-time, got %(value)r") % {"name": name, "value": value})
        # In UTC, as the database compares it: past year 9999 (or before year 1) this overflows.
        return moment.astimezone(dt.UTC) if timezone.is_aware(moment) else moment.replace(tzinfo=dt.UTC)
    except OverflowError:
        raise FilterError(gettext("%(name)s: %(value)r is beyond the calendar") % {"name": name, "value": value}) from None


def _organization(name: str, value: str) -> int:
    if parse_id(value) is None:
        raise FilterError(gettext("organization: expected an organization id"))
    return parse_id(value)


def _assignee(name: str, value: str) -> str:
    if value not in ("me", "none") and parse_id(value) is None:
        raise FilterError(gettext("assignee: expected 'me', 'none' or a user id"))
    return value


def _yes_no(name: str, value: str) -> bool:
    if value.lower() not in YES + NO:
        raise FilterError(gettext("%(name)s: expected yes or no") % {"name": name})
    return value.lower() in YES


def _search_text(name: str, value: str) -> str:
    # NUL cannot reach PostgreSQL; no control character belongs in a search.
    if any(unicodedata.category(c) == "Cc" for c in value):
        raise FilterError(gettext("%(name)s: control characters (such as NUL) are not allowed in a search") % {"name": name})
    return value[:200]


def _choices(choices) -> Callable[[str, str], str]:
    return lambda name, value: _choice(name, value, choices)


# How each URL parameter's text becomes a filter value (raising FilterError).
PARSERS: dict[str, Callable[[str, str], object]] = {
    "election": _code,
    "organization": _organization,
    "region": _code,
    "district": _code,
    "station": _code,
    "category": _code,
    "phase": _choices(IncidentCategory.Phase.choices),
    "severity": _choices(Severity.choices),
    "state": _choices(ReportState.choices),
    "triage_status": _choices([*TriageStatus.choices, ("open", "open")]),
    "flag": _choices([(code, code) for code in FLAG_TEXT]),
    "assignee": _assignee,
    "has_photos": _yes_no,
    "source": _choices(SubmissionSource.choices),
    "received_within": _choices([(k, k) for k in RECEIVED_WINDOWS]),
    "received_from": lambda name, value: _moment(name, value, end=False),
    "received_to": lambda name, value: _moment(name, value, end=True),
    "q": _search_text,
}


def parse_report_filters(params: Mapping[str, str], *, ignore_unknown: bool = False, check_codes: bool = True) -> ReportFilters:
    """Parse URL-style parameters. Empty values mean "not set". Raises FilterError
    on a bad value, on a code that names nothing (one query per code given;
    `check_codes=False` when the caller has already checked these parameters),
    and on an unknown name unless `ignore_unknown`."""
    values = {}
    for name, raw in params.items():
        if name not in URL_PARAMETERS:
            if ignore_unknown:
                continue
            raise FilterError(gettext("unknown filter %(name)r; known: %(known)s") % {"name": name, "known": ", ".join(URL_PARAMETERS)})
        value = (raw or "").strip()
        if value:
            values[name] = PARSERS[name](name, value)
    if check_codes:
        _refuse_unknown_codes(values)
    return ReportFilters(**values)


def search_reports(qs: QuerySet, term: str) -> QuerySet:
    """The queue's search box: an exact report (or client) id, an observer's public
    code, or else a station code prefix, station name or description words."""
    term = term.strip()
    if not term:
        return qs
    try:
        as_uuid = uuid.UUID(term)
    except ValueError:
        as_uuid = None
    if as_uuid is not None:
        return qs.filter(Q(pk=as_uuid) | Q(client_uuid=as_uuid))
    if PUBLIC_CODE.fullmatch(term.upper()):
        return qs.filter(submitted_by__public_code=term.upper())
    return qs.filter(Q(station__code__istartswith=term) | Q(station__name__icontains=term) | Q(description__icontains=term))


# Filters that compare one report field (or path) with the value as given.
EQUAL_TO = {
    "election": "election__code",
    "organization": "organization_id",
    "region": "station__district__region__code",
    "district": "station__district__code",
    "station": "station__code",
    "category": "category__code",
    "phase": "category__phase",
    "severity": "severity",
    "state": "state",
    "source": "source",
}


def _by_triage_status(qs: QuerySet, f: ReportFilters, user) -> QuerySet:
    if f.triage_status == "open":
        return qs.filter(needs_triage())
    return qs.filter(triage_status=f.triage_status) if f.triage_status else qs


def _by_flag(qs: QuerySet, f: ReportFilters, user) -> QuerySet:
    if not f.flag:
        return qs
    raised = Flag.objects.filter(report=OuterRef("pk"), code=f.flag).exclude(state=Flag.State.CLEARED)
    return qs.filter(Exists(raised))


def _by_assignee(qs: QuerySet, f: ReportFilters, user) -> QuerySet:
    if f.assignee == "none":
        return qs.filter(assignee__isnull=True)
    if f.assignee == "me":
        return qs.filter(assignee_id=getattr(user, "pk", None)) if user is not None else qs.none()
    return qs.filter(assignee_id=int(f.assignee)) if f.assignee else qs


def _by_photos(qs: QuerySet, f: ReportFilters, user) -> QuerySet:
    if f.has_photos is None:
        return qs
    photos = Exists(Attachment.objects.filter(report=OuterRef("pk")))
    return qs.filter(photos if f.has_photos else ~photos)


def _by_received(qs: QuerySet, f: ReportFilters, user) -> QuerySet:
    if f.received_from is not None:
        qs = qs.filter(received_at__gte=f.received_from)
    if f.received_to is not None:
        qs = qs.filter(received_at__lt=f.received_to)
    return qs


def _by_search(qs: QuerySet, f: ReportFilters, user) -> QuerySet:
    return search_reports(qs, f.q) if f.q else qs


NARROWERS = (_by_triage_status, _by_flag, _by_assignee, _by_photos, _by_received, _by_search)


def apply_report_filters(qs: QuerySet, filters: ReportFilters, *, user=None, now: dt.datetime | None = None) -> QuerySet:
    """Narrow `qs` (already scoped to what the user may see) by `filters`."""
    f = filters.resolved(now or timezone.now())
    if f.ids is not None:
        qs = qs.filter(pk__in=list(f.ids))
    equal = {path: getattr(f, name) for name, path in EQUAL_TO.items() if getattr(f, name) not in ("", None)}
    if equal:
        qs = qs.filter(**equal)
    for narrow in NARROWERS:
        qs = narrow(qs, f, user)
    return qs
