"""The roster file: CSV in, checked rows out (no writes).

Columns: external_id, full_name, phone, email, language, role, stations,
region, shift_start, shift_end. `stations` holds space-separated station codes
of the election (the first is the primary station); empty means a mobile team,
posted to `region` when one is given. `shift_start` and `shift_end` hold either
one time (`07:00`, the same shift at every station of the row) or one time per
station in the order of `stations`; both empty means no shift. Times are the
station's wall clock on voting day; an end before the start ends after midnight.

Every problem is collected as `line N: <column>: <why>` (values are never
echoed: they may be personal data), and any problem refuses the whole file.
"""

import csv
import datetime as dt
from dataclasses import dataclass, field

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

COLUMNS = ["external_id", "full_name", "phone", "email", "language", "role", "stations", "region", "shift_start", "shift_end"]
REQUIRED = ["external_id", "full_name", "phone", "language", "role"]
LANGUAGES = ("kk", "ru", "en")
ROLES = ("observer", "coordinator", "auditor")
MAX_LENGTHS = {"external_id": 64, "full_name": 200, "email": 254}
MAX_STATIONS_PER_ROW = 20
MAX_PROBLEMS = 50


@dataclass(frozen=True)
class Problem:
    line: int
    column: str
    why: str

    def __str__(self):
        return f"line {self.line}: {self.column}: {self.why}"


class RosterFileError(Exception):
    """The file is refused; `problems` lists every bad cell found (up to MAX_PROBLEMS)."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


@dataclass(frozen=True)
class PlannedPlace:
    """One line of the plan: a station (with its position) or a mobile team's region."""

    station_id: int | None
    region_id: int | None
    position: int
    shift_start: dt.time | None
    shift_end: dt.time | None


@dataclass
class RosterRow:
    line: int
    external_id: str
    full_name: str
    phone: str
    email: str
    language: str
    role: str
    plan: list[PlannedPlace] = field(default_factory=list)


def phone_normalize(text: str, region: str) -> str | None:
    """E.164 (`+77011234567`), or None when it is not a possible phone number."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _time(text: str) -> dt.time | None:
    try:
        return dt.datetime.strptime(text, "%H:%M").time()
    except ValueError:
        return None


class _Row:
    """One CSV row being checked: collects its problems."""

    def __init__(self, line: int, cells: dict, problems: list[Problem]):
        self.line, self.cells, self.problems = line, cells, problems

    def bad(self, column: str, why: str) -> None:
        self.problems.append(Problem(self.line, column, why))

    def get(self, column: str) -> str:
        return self.cells.get(column, "")


def _shifts(row: _Row, count: int) -> list[tuple[dt.time | None, dt.time | None]]:
    starts, ends = row.get("shift_start").split(), row.get("shift_end").split()
    if not starts and not ends:
        return [(None, None)] * count
    if bool(starts) != bool(ends):
        row.bad("shift_end" if starts else "shift_start", "give both shift_start and shift_end, or neither")
        return [(None, None)] * count
    pairs = []
    for column, values in (("shift_start", starts), ("shift_end", ends)):
        if len(values) not in (1, count):
            row.bad(column, f"give one time, or one per station ({count})")
            return [(None, None)] * count
        times = [_time(v) for v in values]
        if None in times:
            row.bad(column, "times are HH:MM, e.g. 07:00")
            return [(None, None)] * count
        pairs.append(times * count if len(times) == 1 else times)
    result = list(zip(pairs[0], pairs[1], strict=True))
    if any(start == end for start, end in result):
        row.bad("shift_end", "a shift cannot end when it starts")
    return result


def _plan(row: _Row, stations: dict[str, int], regions: dict[str, int]) -> list[PlannedPlace]:
    codes = row.get("stations").split()
    region_text = row.get("region")
    if not codes:
        if row.get("shift_start") or row.get("shift_end"):
            row.bad("shift_start", "a shift needs stations")
        if not region_text:
            return []
        region_id = regions.get(region_text.casefold())
        if region_id is None:
            row.bad("region", "unknown region")
            return []
        return [PlannedPlace(None, region_id, 0, None, None)]
    if len(codes) > MAX_STATIONS_PER_ROW:
        row.bad("stations", f"more than {MAX_STATIONS_PER_ROW} stations")
        return []
    if len(set(codes)) != len(codes):
        row.bad("stations", "a station is listed twice")
        return []
    unknown = [c for c in codes if c not in stations]
    if unknown:
        row.bad("stations", f"unknown station {unknown[0][:32]} in this election")
        return []
    if region_text:
        row.bad("region", "a region is only for a mobile team (leave stations empty)")
    shifts = _shifts(row, len(codes))
    return [PlannedPlace(stations[c], None, i, s, e) for i, (c, (s, e)) in enumerate(zip(codes, shifts, strict=True))]


def _check_row(row: _Row, *, phone_region: str, stations, regions, election_given: bool) -> RosterRow:
    for column in REQUIRED:
        if not row.get(column):
            row.bad(column, "is empty")
    for column, limit in MAX_LENGTHS.items():
        if len(row.get(column)) > limit:
            row.bad(column, f"longer than {limit} characters")
    phone = ""
    if row.get("phone"):
        phone = phone_normalize(row.get("phone"), phone_region) or ""
        if not phone:
            row.bad("phone", f"not a valid phone number (numbers without +country code are read as {phone_region})")
    email = row.get("email")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            row.bad("email", "not an e-mail address")
    language, role = row.get("language").lower(), row.get("role").lower()
    if language and language not in LANGUAGES:
        row.bad("language", f"must be one of {', '.join(LANGUAGES)}")
    if role and role not in ROLES:
        row.bad("role", f"must be one of {', '.join(ROLES)}")
    plan = []
    if row.get("stations") or row.get("region") or row.get("shift_start") or row.get("shift_end"):
        if not election_given:
            row.bad("stations", "the file plans stations: name the election (--election)")
        else:
            plan = _plan(row, stations, regions)
    return RosterRow(row.line, row.get("external_id"), row.get("full_name"), phone, email.lower(), language, role, plan)


def rows_parse(lines, *, phone_region: str, stations: dict[str, int], regions: dict[str, int], election_given: bool) -> list[RosterRow]:
    """Check every row of the file; raise RosterFileError listing the problems.
    `stations` maps the election's station codes to ids, `regions` casefolded
    region codes and names to ids."""
    reader = csv.DictReader(lines)
    header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise RosterFileError([Problem(1, c, f"missing column; expected {','.join(COLUMNS)}") for c in missing])
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise RosterFileError([Problem(1, h[:40] or "(empty)", "unknown column") for h in unknown])
    reader.fieldnames = header
    problems: list[Problem] = []
    rows: list[RosterRow] = []
    first_line = {"external_id": {}, "phone": {}}
    try:
        for raw in reader:
            line = reader.line_num
            if None in raw:
                problems.append(Problem(line, "(row)", "more cells than columns"))
                continue
            row = _Row(line, {k: (v or "").strip() for k, v in raw.items()}, problems)
            checked = _check_row(row, phone_region=phone_region, stations=stations, regions=regions, election_given=election_given)
            for column in ("external_id", "phone"):
                value = getattr(checked, column)
                if value and value in first_line[column]:
                    row.bad(column, f"duplicate of line {first_line[column][value]}")
                elif value:
                    first_line[column][value] = line
            rows.append(checked)
            if len(problems) >= MAX_PROBLEMS:
                break
    except csv.Error as exc:
        problems.append(Problem(reader.line_num, "(file)", f"malformed CSV: {exc}"))
    if not rows and not problems:
        problems.append(Problem(1, "(file)", "the file has no rows"))
    if problems:
        raise RosterFileError(problems[:MAX_PROBLEMS])
    return rows
