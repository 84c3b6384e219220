"""The polling-station registry import: CSV in, stations out, all or nothing.

Every row is checked before anything is written; the first bad row aborts the
import with its line number and the reason, and the database is left as it was.
Re-importing updates stations by code.
"""

import csv
import math
from dataclasses import dataclass

from django.db import transaction
from django.utils.text import slugify

from .models import District, Election, PollingStation, Region
from .services import station_registry_changed

COLUMNS = ["code", "name", "address", "region", "district", "latitude", "longitude", "registered_voters"]
REQUIRED = {"code", "name", "region", "district", "latitude", "longitude"}
MAX_LENGTHS = {"code": 32, "name": 300, "address": 500, "district": 200}
# No polling station has a million voters; a larger number is a data error.
MAX_REGISTERED_VOTERS = 1_000_000


class StationImportError(Exception):
    def __init__(self, line: int | None, reason: str):
        self.line = line
        self.reason = reason
        super().__init__(f"line {line}: {reason}" if line else reason)


@dataclass
class StationRow:
    line: int
    code: str
    name: str
    address: str
    region: Region
    district_name: str
    latitude: float
    longitude: float
    registered_voters: int


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int
    districts_created: int


def _region_lookup() -> dict[str, Region]:
    lookup: dict[str, Region] = {}
    for region in Region.objects.all():
        for key in [region.code, region.name_en, region.name_ru, region.name_kk, *region.aliases]:
            if key:
                lookup.setdefault(key.strip().casefold(), region)
    return lookup


def _coordinate(value: str, low: float, high: float, what: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{what} {value!r} is not a number") from None
    if not math.isfinite(number) or not low <= number <= high:
        raise ValueError(f"{what} {value!r} is outside {low}..{high}")
    return number


def parse_rows(lines) -> list[StationRow]:
    """Check every row; raise StationImportError at the first bad one."""
    reader = csv.DictReader(lines)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = REQUIRED - set(header)
    if missing:
        raise StationImportError(1, f"missing column(s): {', '.join(sorted(missing))}; expected {','.join(COLUMNS)}")
    reader.fieldnames = header
    regions = _region_lookup()
    rows: list[StationRow] = []
    seen: dict[str, int] = {}
    try:
        for raw in reader:
            line = reader.line_num
            if None in raw:
                raise StationImportError(line, "more cells than columns")
            cell = {k: (v or "").strip() for k, v in raw.items()}
            for column in REQUIRED:
                if not cell.get(column):
                    raise StationImportError(line, f"{column} is empty")
            for column, limit in MAX_LENGTHS.items():
                if len(cell.get(column, "")) > limit:
                    raise StationImportError(line, f"{column} is longer than {limit} characters")
            code = cell["code"]
            if code in seen:
                raise StationImportError(line, f"duplicate station code {code!r} (first on line {seen[code]})")
            seen[code] = line
            region = regions.get(cell["region"].casefold())
            if region is None:
                raise StationImportError(line, f"unknown region {cell['region']!r}")
            try:
                latitude = _coordinate(cell["latitude"], -90, 90, "latitude")
                longitude = _coordinate(cell["longitude"], -180, 180, "longitude")
            except ValueError as exc:
                raise StationImportError(line, str(exc)) from None
            voters_text = cell.get("registered_voters", "") or "0"
            # isascii: str.isdigit() also accepts "²", which int() refuses.
            if not (voters_text.isascii() and voters_text.isdigit() and int(voters_text) <= MAX_REGISTERED_VOTERS):
                raise StationImportError(line, f"registered_voters {voters_text!r} is not a whole number from 0 to {MAX_REGISTERED_VOTERS}")
            rows.append(
                StationRow(
                    line=line,
                    code=code,
                    name=cell["name"],
                    address=cell.get("address", ""),
                    region=region,
                    district_name=cell["district"],
                    latitude=latitude,
                    longitude=longitude,
                    registered_voters=int(voters_text),
                )
            )
    except csv.Error as exc:
        raise StationImportError(reader.line_num, f"malformed CSV: {exc}") from None
    if not rows:
        raise StationImportError(None, "the file has no stations")
    return rows


def _district_code(name: str) -> str:
    return (slugify(name, allow_unicode=True) or "district")[:64]


@transaction.atomic
def stations_import(*, election: Election, lines) -> ImportSummary:
    rows = parse_rows(lines)

    districts: dict[tuple[int, str], District] = {}
    for district in District.objects.filter(region__in={r.region.pk for r in rows}):
        for key in [district.code, district.name_en, district.name_ru, district.name_kk]:
            if key:
                districts.setdefault((district.region_id, key.casefold()), district)
    districts_created = 0
    for row in rows:
        key = (row.region.pk, row.district_name.casefold())
        if key not in districts:
            code, n = _district_code(row.district_name), 1
            while (row.region.pk, code.casefold()) in districts:
                n += 1
                code = f"{_district_code(row.district_name)[:60]}-{n}"
            district = District.objects.create(region=row.region, code=code, name_en=row.district_name)
            districts[key] = districts[(row.region.pk, district.code.casefold())] = district
            districts_created += 1

    existing = {s.code: s for s in PollingStation.objects.filter(election=election, code__in=[r.code for r in rows])}
    to_create, to_update = [], []
    for row in rows:
        fields = dict(
            name=row.name,
            address=row.address,
            district=districts[(row.region.pk, row.district_name.casefold())],
            latitude=row.latitude,
            longitude=row.longitude,
            registered_voters=row.registered_voters,
        )
        station = existing.get(row.code)
        if station is None:
            to_create.append(PollingStation(election=election, code=row.code, **fields))
        else:
            for name, value in fields.items():
                setattr(station, name, value)
            to_update.append(station)
    PollingStation.objects.bulk_create(to_create, batch_size=1000)
    PollingStation.objects.bulk_update(
        to_update, ["name", "address", "district", "latitude", "longitude", "registered_voters", "updated_at"], batch_size=1000
    )
    station_registry_changed(election_id=election.pk)
    return ImportSummary(created=len(to_create), updated=len(to_update), districts_created=districts_created)
