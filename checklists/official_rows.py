"""The commission's official results file: CSV in, checked areas out (no writes).

One row per area and party, UTF-8, header required:

    region,party,votes,registered_voters,ballots_cast
    national,nur_otan,2213740,4920000,3114360
    almaty,nur_otan,101234,223000,140500

`region` is a region code of the registry, or `national` for the country;
`party` a party code of the election's results protocol (the counting form);
`votes` the party's votes there; `registered_voters` and `ballots_cast` the
area's figures, repeated on each of its rows (they must agree). Every area
lists every party once. Other columns are refused, so a misnamed one cannot be
silently ignored.

Every problem is collected as `line N: <column>: <why>`; any problem refuses
the whole file.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

COLUMNS = ["region", "party", "votes", "registered_voters", "ballots_cast"]
NATIONAL = "national"
MAX_PROBLEMS = 50
MAX_FIGURE = 10**12
_COUNT = re.compile(r"^[0-9]{1,13}$")


class OfficialResultsError(ValueError):
    def __init__(self, problems: list[str]):
        self.problems = problems[:MAX_PROBLEMS]
        super().__init__("; ".join(self.problems))


@dataclass
class OfficialArea:
    region: str  # a region code or NATIONAL
    registered_voters: int
    ballots_cast: int
    line: int
    votes: dict[str, int] = field(default_factory=dict)


def _count(value: str) -> int | None:
    value = value.strip()
    if not _COUNT.match(value) or int(value) > MAX_FIGURE:
        return None
    return int(value)


def official_results_read(lines: Iterable[str], *, regions: Collection[str], parties: Sequence[str]) -> list[OfficialArea]:
    """The areas of the file, national first, then in file order."""
    reader = csv.DictReader(lines)
    if reader.fieldnames is None:
        raise OfficialResultsError(["line 1: header: the file is empty"])
    reader.fieldnames = [name.strip() for name in reader.fieldnames]
    problems = [f"line 1: header: no column {c!r}" for c in COLUMNS if c not in reader.fieldnames]
    problems += [f"line 1: header: unknown column {c[:40]!r} (columns: {','.join(COLUMNS)})" for c in reader.fieldnames if c not in COLUMNS]
    if problems:
        raise OfficialResultsError(problems)
    areas: dict[str, OfficialArea] = {}
    seen: dict[tuple[str, str], int] = {}
    for row in reader:
        line = reader.line_num
        if None in row:
            problems.append(f"line {line}: row: more cells than the header has")
            continue
        problems += _row(row, line, regions, parties, areas, seen)
        if len(problems) >= MAX_PROBLEMS:
            break
    if not areas and not problems:
        problems.append("line 2: region: the file holds no result")
    for area in areas.values():
        missing = [p for p in parties if p not in area.votes]
        if missing:
            problems.append(f"line {area.line}: party: {area.region} has no row for {', '.join(missing)}")
    if problems:
        raise OfficialResultsError(problems)
    return sorted(areas.values(), key=lambda a: (a.region != NATIONAL, a.line))


def _row(row: dict, line: int, regions: Collection[str], parties: Sequence[str], areas: dict, seen: dict) -> list[str]:
    problems = []
    region = (row.get("region") or "").strip()
    party = (row.get("party") or "").strip()
    if region != NATIONAL and region not in regions:
        problems.append(f"line {line}: region: {region[:40]!r} is neither 'national' nor a region code of the registry")
    if party not in parties:
        problems.append(f"line {line}: party: {party[:40]!r} is not a party of the election ({', '.join(parties)})")
    figures = {}
    for column in ("votes", "registered_voters", "ballots_cast"):
        figures[column] = _count(row.get(column) or "")
        if figures[column] is None:
            problems.append(f"line {line}: {column}: must be a whole number from 0 to {MAX_FIGURE}")
    if problems:
        return problems
    if (region, party) in seen:
        return [f"line {line}: party: {region} {party} is already on line {seen[region, party]}"]
    seen[region, party] = line
    area = areas.get(region)
    if area is None:
        area = areas[region] = OfficialArea(region, figures["registered_voters"], figures["ballots_cast"], line)
    for column in ("registered_voters", "ballots_cast"):
        if figures[column] != getattr(area, column):
            problems.append(
                f"line {line}: {column}: {figures[column]} differs from {getattr(area, column)} on line {area.line} for {region}"
            )
    area.votes[party] = figures["votes"]
    return problems
