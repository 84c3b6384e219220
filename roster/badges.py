"""The badge sheet (standalone HTML, A4, eight badges a page, each in its
observer's language; with the SMS door open, four, each with its SMS card
beside it) and the CSV of the same codes for an SMS or e-mail merge.

Both carry live activation codes: they are handed to the coordinator once and
never stored. The sheet is one self-contained file (its CSS and the QR codes'
SVG inside), so it prints the same from a browser, a USB stick or e-mail."""

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from monitoring.localtime import to_local

from .credentials import IssuedCode
from .models import RosterEntry
from .selectors import roster_for_badges

CSV_COLUMNS = ["external_id", "public_code", "full_name", "phone", "email", "language", "code", "activation_url", "expires_at"]


@dataclass(frozen=True)
class PlanLine:
    election: str
    place: str
    shift: str
    primary: bool
    mobile: bool


@dataclass(frozen=True)
class Badge:
    language: str
    organization: str
    hotline: str
    full_name: str
    public_code: str
    code: str
    url: str
    host: str
    qr_svg: str
    expires: str
    plan: list[PlanLine]


@dataclass(frozen=True)
class SmsCard:
    """The SMS codes an observer needs, in one language: the number to text
    ("" where none is configured), the codes, one kind of message a line, and
    the categories' short codes with their names."""

    number: str
    lines: list[str]
    categories: list[tuple[str, str]]


# Who makes the SMS card: the sms app, which builds on the roster (the roster
# never imports it), registers a function of no arguments that gives the card
# in the active language, or None while SMS is off.
_SMS_CARD: list[Callable[[], SmsCard | None]] = []


def badge_sms_card_provide(provider: Callable[[], SmsCard | None]) -> None:
    _SMS_CARD[:] = [provider]


def _sms_card_html(language: str, cards: dict[str, str]) -> str:
    """The SMS card in `language`, rendered once per language of the sheet ("" without one)."""
    if language not in cards:
        card = _SMS_CARD[0]() if _SMS_CARD else None
        cards[language] = render_to_string("roster/sms_card.html", {"card": card, "language": language}) if card else ""
    return cards[language]


def activation_url(base_url: str, code: str) -> str:
    """The code goes in the fragment: browsers never send it, so no log holds it."""
    return f"{base_url.rstrip('/')}/activate/#{code}"


def qr_svg(url: str) -> str:
    return segno.make(url, error="m").svg_inline(scale=1, border=4, omitsize=True, svgclass="qr", title=url)


def _plan_lines(entry: RosterEntry) -> list[PlanLine]:
    lines = []
    for d in entry.observer.deployments.all():
        if d.station_id:
            place = f"{d.station.code} · {d.station.name}"
        else:
            place = str(d.district or d.region)
        shift = f"{d.shift_start:%H:%M}–{d.shift_end:%H:%M}" if d.shift_start else ""
        lines.append(PlanLine(d.election.code, place, shift, d.station_id is not None and d.position == 0, d.station_id is None))
    return lines


def _badge(entry: RosterEntry, issued: IssuedCode, base_url: str, zone) -> Badge:
    url = activation_url(base_url, issued.code)
    organization = entry.organization
    return Badge(
        language=entry.language,
        organization=organization.name,
        hotline=organization.hotline or settings.BADGE_HOTLINE,
        full_name=entry.full_name,
        public_code=entry.observer.public_code,
        code=issued.code,
        url=url,
        host=base_url.split("://", 1)[-1].rstrip("/"),
        qr_svg=qr_svg(url),
        expires=f"{to_local(issued.expires_at, zone):%Y-%m-%d %H:%M} ({zone})",
        plan=_plan_lines(entry),
    )


def _zone_of(entry: RosterEntry) -> str:
    for d in entry.observer.deployments.all():
        if d.station_id:
            return d.station.district.region.timezone
        if d.region_id:
            return d.region.timezone
    return "UTC"


def badge_sheet(*, issued: list[IssuedCode], base_url: str) -> tuple[str, str]:
    """(HTML sheet, CSV) for freshly issued codes, in the order of external ids."""
    by_observer = {i.observer.pk: i for i in issued}
    entries = roster_for_badges(observer_ids=list(by_observer))
    badges_html = []
    cards: dict[str, str] = {}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        code = by_observer[entry.observer_id]
        badge = _badge(entry, code, base_url, _zone_of(entry))
        with translation.override(entry.language):
            badges_html.append(render_to_string("roster/badge.html", {"badge": badge}))
            # Beside its badge, in the same row: fold along the line, or cut.
            badges_html.append(_sms_card_html(entry.language, cards))
        writer.writerow(
            [entry.external_id, badge.public_code, entry.full_name, entry.phone, entry.email, entry.language, code.code, badge.url,
             code.expires_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")]
        )  # fmt: skip
    sheet = render_to_string("roster/badge_sheet.html", {"badges": [b for b in badges_html if b], "count": len(entries)})
    return sheet, out.getvalue()


def badge_bundle(*, sheet: str, codes_csv: str) -> bytes:
    """The admin's download: the sheet and the CSV in one ZIP."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("badges.html", sheet)
        archive.writestr("codes.csv", "\ufeff" + codes_csv)
    return buffer.getvalue()
