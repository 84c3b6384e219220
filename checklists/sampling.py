"""The quick count's sample of polling stations: allocation and draw (pure).

A reproducible draw that anyone can repeat without the platform: each
station's lot is the SHA-256 (hex) of `<seed>:<station code>`, and a stratum's
sample is its n_h stations with the lowest lots. Sorting by a keyed hash is a
simple random sample without replacement (every set of n_h stations is equally
likely), and it depends on no random-number library or its version.

Allocation is proportional to the strata's numbers of stations (largest
remainders), with at least MIN_PER_STRATUM stations in every stratum (the
within-stratum variance needs two) or all of a smaller stratum's stations.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

MIN_PER_STRATUM = 2
ALL = "all"  # the single stratum of an unstratified sample
MAX_PROBLEMS = 50


class SampleError(ValueError):
    """A sample that cannot be drawn or read; `problems` lists why (`line N: column: why` for a file)."""

    def __init__(self, problems: list[str]):
        self.problems = problems[:MAX_PROBLEMS]
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class Drawn:
    code: str  # station code
    stratum: str
    lot: str


def station_lot(seed: int, code: str) -> str:
    return hashlib.sha256(f"{seed}:{code}".encode()).hexdigest()


def allocate(populations: Mapping[str, int], size: int, *, minimum: int = MIN_PER_STRATUM) -> dict[str, int]:
    """Stations to draw per stratum: proportional, summing to `size`."""
    total = sum(populations.values())
    if size < 1:
        raise SampleError(["size: must be at least 1"])
    if size > total:
        raise SampleError([f"size: {size} is more than the {total} stations there are"])
    floors = {h: min(minimum, n) for h, n in populations.items()}
    if size < sum(floors.values()):
        raise SampleError([f"size: {len(populations)} strata need at least {sum(floors.values())} stations ({minimum} each)"])
    quota = {h: Fraction(size * n, total) for h, n in populations.items()}
    sizes = {h: min(populations[h], max(floors[h], int(quota[h]))) for h in populations}
    # Largest remainders first; ties by stratum code, so the allocation is reproducible.
    while sum(sizes.values()) < size:
        h = max((h for h in sizes if sizes[h] < populations[h]), key=lambda h: (quota[h] - sizes[h], _reverse(h)))
        sizes[h] += 1
    while sum(sizes.values()) > size:
        h = min((h for h in sizes if sizes[h] > floors[h]), key=lambda h: (quota[h] - sizes[h], h))
        sizes[h] -= 1
    return sizes


def _reverse(code: str) -> tuple:
    # max() with ties broken towards the alphabetically first stratum.
    return tuple(-ord(c) for c in code)


def draw(stations: Sequence[tuple[str, str]], *, size: int, seed: int) -> tuple[list[Drawn], dict[str, int]]:
    """stations: (code, stratum) of the whole population. Returns the drawn
    stations (by stratum, then lot) and the strata's population sizes."""
    populations: dict[str, int] = {}
    for _code, stratum in stations:
        populations[stratum] = populations.get(stratum, 0) + 1
    sizes = allocate(populations, size)
    drawn = []
    for stratum in sorted(populations):
        lots = sorted((station_lot(seed, code), code) for code, h in stations if h == stratum)
        drawn += [Drawn(code, stratum, lot) for lot, code in lots[: sizes[stratum]]]
    return drawn, populations


def sample_file_read(lines: Iterable[str], known: Mapping[str, str]) -> list[str]:
    """Station codes of a sample file (CSV with a `station` column; other
    columns are ignored), each known to the election (`known`: code → stratum).
    Every problem is collected; any problem refuses the file."""
    reader = csv.DictReader(lines)
    if reader.fieldnames is None:
        raise SampleError(["line 1: header: the file is empty"])
    reader.fieldnames = [name.strip() for name in reader.fieldnames]
    if "station" not in reader.fieldnames:
        raise SampleError(["line 1: header: no 'station' column"])
    problems, codes, seen = [], [], {}
    for row in reader:
        line = reader.line_num
        code = (row.get("station") or "").strip()
        if not code:
            problems.append(f"line {line}: station: empty")
        elif code not in known:
            problems.append(f"line {line}: station: no station {code[:32]!r} in this election")
        elif code in seen:
            problems.append(f"line {line}: station: {code} is already on line {seen[code]}")
        else:
            seen[code] = line
            codes.append(code)
    if not codes and not problems:
        problems.append("line 2: station: the file lists no station")
    if problems:
        raise SampleError(problems)
    return codes
