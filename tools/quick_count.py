#!/usr/bin/env python3
"""Recompute the quick count from a results export of the election
field-reporting platform (`/exports/results.csv`, format
`election-results-csv/2`; `/1`, without the `source` column, reads the same way).

Standard library only (Python 3.8+): anyone holding the export can check the
platform's estimates without the platform.

    python3 quick_count.py results.csv
    python3 quick_count.py results.csv --official official.csv   # mark official figures outside the margin
    python3 quick_count.py results.csv --json

It reads the rows with `counted` = 1 (one protocol per sampled station), their
`stratum`, `stratum_stations` (N_h) and `stratum_sample` (n_h), the figures
`registered_voters` and `ballots_cast`, and one `votes_<party>` column per
party. Turnout is ballots cast / registered voters, a party's share its votes /
the votes for all parties; each is a combined ratio estimator over the strata
with its linearized variance and finite population correction, and the margin
is 1.96 standard errors (docs/quick-count.md). Regions are estimated as
domains of the same sample.

`--official` takes the commission's results in the platform's import format
(`region,party,votes,registered_voters,ballots_cast`, region `national` for
the country) and marks with `*` each official figure outside the margin.

Exit status: 0 done, 2 the file is not a readable results export.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys

# The format it is written for; it reads columns by name, so /1 files (no `source` column) too.
FORMAT = "election-results-csv/2"
MANIFEST_MARK = "#manifest"
VOTES_PREFIX = "votes_"
NATIONAL = "national"
Z95 = 1.959963984540054
# The columns the quick count reads (checklists/results_columns.py; a test keeps the two in step).
COLUMNS = [
    "station_code",
    "region",
    "sampled",
    "stratum",
    "stratum_stations",
    "stratum_sample",
    "counted",
    "registered_voters",
    "ballots_cast",
]

csv.field_size_limit(2**31 - 1)


class Unreadable(Exception):
    pass


def _cell(value: str) -> str:
    # The export's formula guard: one leading ' was added to any cell that starts with one of =+-@, tab, CR, LF or '.
    return value[1:] if value.startswith("'") else value


def _count(row: dict, column: str, line: int) -> int:
    text = row[column]
    try:
        value = int(text)
    except ValueError:
        raise Unreadable(f"line {line}: {column}: {text!r} is not a whole number") from None
    if value < 0:
        raise Unreadable(f"line {line}: {column}: {value} is negative")
    return value


def read_export(path: str):
    """(parties, stations, strata): the counted stations as dicts, and per
    stratum (N_h, n_h)."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise Unreadable("the file is empty")
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            raise Unreadable(f"line 1: not a results export: no column {', '.join(missing)}")
        parties = [name[len(VOTES_PREFIX) :] for name in header if name.startswith(VOTES_PREFIX)]
        stations, strata, seen = [], {}, {}
        for record in reader:
            line = reader.line_num
            if record and record[0] == MANIFEST_MARK:
                continue
            if len(record) != len(header):
                raise Unreadable(f"line {line}: {len(record)} cells, the header has {len(header)}")
            row = {name: _cell(record[i]) for i, name in enumerate(header)}
            if row["sampled"] != "1":
                continue
            _stratum(row, line, strata)
            if row["counted"] != "1":
                continue
            code = row["station_code"]
            if code in seen:
                raise Unreadable(f"line {line}: station {code} is counted twice (also line {seen[code]})")
            seen[code] = line
            stations.append(
                {
                    "stratum": row["stratum"],
                    "region": row["region"],
                    "registered": _count(row, "registered_voters", line),
                    "cast": _count(row, "ballots_cast", line),
                    "votes": [_count(row, VOTES_PREFIX + p, line) for p in parties],
                }
            )
    return parties, stations, strata


def _stratum(row: dict, line: int, strata: dict) -> None:
    name = row["stratum"]
    if not name:
        raise Unreadable(f"line {line}: stratum: empty for a sampled station")
    sizes = (_count(row, "stratum_stations", line), _count(row, "stratum_sample", line))
    if strata.setdefault(name, sizes) != sizes:
        raise Unreadable(f"line {line}: stratum {name}: N_h, n_h {sizes} differ from {strata[name]} on an earlier line")


def ratio(pairs: list, strata_of: list, populations: dict):
    """Combined ratio estimate sum(y) / sum(x) over strata, and its standard
    error (linearized, with the finite population correction). pairs: (y, x)
    per counted station; strata_of: each station's stratum."""
    by_stratum: dict[str, list] = {}
    for i, pair in enumerate(pairs):
        by_stratum.setdefault(strata_of[i], []).append(pair)
    total_y = total_x = 0.0
    for stratum, members in by_stratum.items():
        weight = populations[stratum] / len(members)
        total_y += weight * sum(y for y, _ in members)
        total_x += weight * sum(x for _, x in members)
    if total_x == 0:
        return None, None
    estimate = total_y / total_x
    variance = 0.0
    for stratum, members in by_stratum.items():
        n, big_n = len(members), populations[stratum]
        if n < 2:
            continue
        residuals = [y - estimate * x for y, x in members]
        mean = sum(residuals) / n
        s2 = sum((e - mean) ** 2 for e in residuals) / (n - 1)
        variance += big_n**2 * (1 - n / big_n) * s2 / n
    return estimate, math.sqrt(variance / total_x**2)


def estimates(parties: list, stations: list, strata: dict) -> dict:
    """{area: {figure: (estimate, moe)}} for the nation and each region."""
    populations = {name: sizes[0] for name, sizes in strata.items()}
    strata_of = [s["stratum"] for s in stations]
    areas = {NATIONAL: None}
    for region in sorted({s["region"] for s in stations}):
        areas[region] = region
    result = {}
    for area, region in areas.items():
        # Stations outside the area count as zeros: a domain of the same sample.
        inside = [region is None or s["region"] == region for s in stations]
        figures = {}
        pairs = [(s["cast"], s["registered"]) if inside[k] else (0, 0) for k, s in enumerate(stations)]
        figures["turnout"] = _with_margin(ratio(pairs, strata_of, populations))
        for i, party in enumerate(parties):
            pairs = [(s["votes"][i], sum(s["votes"])) if inside[k] else (0, 0) for k, s in enumerate(stations)]
            figures[party] = _with_margin(ratio(pairs, strata_of, populations))
        result[area] = figures
    return result


def _with_margin(estimate_se):
    estimate, se = estimate_se
    return (None, None) if estimate is None else (estimate, Z95 * se)


def read_official(path: str) -> dict:
    """{area: {figure: official value}} from the commission's results file."""
    areas: dict[str, dict] = {}
    with open(path, encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            area = areas.setdefault(
                row["region"].strip(), {"registered": int(row["registered_voters"]), "cast": int(row["ballots_cast"]), "votes": {}}
            )
            area["votes"][row["party"].strip()] = int(row["votes"])
    official = {}
    for area, figures in areas.items():
        valid = sum(figures["votes"].values())
        official[area] = {"turnout": figures["cast"] / figures["registered"] if figures["registered"] else None}
        official[area].update({p: v / valid if valid else None for p, v in figures["votes"].items()})
    return official


def _percent(value) -> str:
    return "-" if value is None else f"{100 * value:.2f}"


def report(name: str, parties: list, stations: list, strata: dict, results: dict, official: dict) -> str:
    sampled = sum(sizes[1] for sizes in strata.values())
    lines = [
        f"{name}: {len(stations)} of {sampled} sampled stations counted, {len(strata)} strata",
        f"{'area':<20} {'figure':<16} {'estimate %':>10} {'± moe':>7}" + (f" {'official %':>10}" if official else ""),
    ]
    for area, figures in results.items():
        for figure, (estimate, moe) in figures.items():
            line = f"{area:<20} {figure:<16} {_percent(estimate):>10} {_percent(moe):>7}"
            value = official.get(area, {}).get(figure)
            if official:
                outside = value is not None and estimate is not None and abs(value - estimate) > moe
                line += f" {_percent(value):>10}" + (" *" if outside else "")
            lines.append(line)
    if official:
        lines.append("* the official figure lies outside the 95 % margin of the estimate")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Recompute the quick count from a results export (standard library only).")
    parser.add_argument("file", help="the results export (results.csv)")
    parser.add_argument("--official", help="the commission's results (region,party,votes,registered_voters,ballots_cast)")
    parser.add_argument("--json", action="store_true", help="print the estimates as JSON")
    args = parser.parse_args(argv)
    try:
        parties, stations, strata = read_export(args.file)
        official = read_official(args.official) if args.official else {}
    except (OSError, UnicodeDecodeError, csv.Error, KeyError, ValueError, Unreadable) as exc:
        print(f"UNREADABLE: {exc}", file=sys.stderr)
        return 2
    results = estimates(parties, stations, strata)
    if args.json:
        print(json.dumps({"counted": len(stations), "strata": strata, "estimates": results}, indent=2))
    else:
        print(report(args.file, parties, stations, strata, results, official))
    return 0


if __name__ == "__main__":
    sys.exit(main())
