"""tools/quick_count.py (standard library only) recomputes the quick count
from a results export, in the export's format as checklists/results_columns.py
defines it, and agrees with the platform's estimator to the precision it
prints."""

import ast
import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from checklists.estimator import NATIONAL, OfficialFigures, StationFigures, quick_count
from checklists.results_columns import FORMAT, QUICK_COUNT_COLUMNS, results_header, votes_column

ROOT = Path(__file__).resolve().parents[3]
TOOL = ROOT / "tools" / "quick_count.py"
PARTIES = ["nur_otan", "ak_zhol", "peoples_party", "auyl", "adal"]
REGIONS = {"almaty": 40, "aktobe": 25, "turkistan": 60, "pavlodar": 30}


def synthetic_protocols(seed=11):
    """Protocols of a stratified sample: 8, 5, 12 and 6 stations sampled; all
    but two reported; plus a station outside the sample and a second
    protocol of a sampled station that the quick count does not count."""
    rng = np.random.default_rng(seed)
    rows, stations, sample = [], [], {"almaty": 8, "aktobe": 5, "turkistan": 12, "pavlodar": 6}
    for r, (region, size) in enumerate(sample.items()):
        for k in range(size):
            code = f"{r:02d}{k:03d}"
            registered = int(rng.integers(400, 2500))
            cast = int(rng.binomial(registered, rng.uniform(0.4, 0.85)))
            invalid = int(rng.binomial(cast, 0.02))
            votes = rng.multinomial(cast - invalid, rng.dirichlet([30, 6, 5, 3, 2])).tolist()
            reported = (region, k) not in {("almaty", 7), ("turkistan", 0)}
            row = protocol_row(code, region, REGIONS[region], size, registered, cast, invalid, votes, counted=reported)
            if reported:
                rows.append(row)
                stations.append(StationFigures(code, region, region, registered, cast, dict(zip(PARTIES, votes, strict=True))))
    rows.append(protocol_row("09001", "almaty", None, None, 900, 500, 5, [300, 100, 50, 30, 15], counted=False))
    duplicate = dict(rows[0], submission_id="second-protocol", counted="0", ballots_cast="1", **{votes_column("nur_otan"): "0"})
    rows.append(duplicate)
    return rows, stations, sample


def protocol_row(code, region, stratum_stations, stratum_sample, registered, cast, invalid, votes, *, counted):
    sampled = stratum_stations is not None
    row = {name: "" for name in results_header(PARTIES)}
    row.update(
        submission_id=f"protocol-{code}", election="kz-majilis-2021", organization="'=Civic Observers", observer_code="OBS-AAAA2222",
        form="counting", form_version="1", station_code=code, region=region, district=f"gn-{code}", received_at_utc="2021-01-10T16:20:00Z",
        sampled="1" if sampled else "0", stratum=region if sampled else "", stratum_stations=str(stratum_stations or ""),
        stratum_sample=str(stratum_sample or ""), counted="1" if counted and sampled else "0", registered_voters=str(registered),
        ballots_received=str(registered + 50), ballots_issued=str(cast + 2), ballots_spoiled="3", ballots_unused=str(registered + 45 - cast - 2),
        ballots_cast=str(cast), ballots_invalid=str(invalid), **{votes_column(p): str(v) for p, v in zip(PARTIES, votes, strict=True)},
    )  # fmt: skip
    return row


def write_export(path: Path, rows, *, bom=True):
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        header = results_header(PARTIES)
        writer.writerow(header)
        for row in rows:
            writer.writerow([row[name] for name in header])
        writer.writerow(["#manifest", "format", FORMAT])
        writer.writerow(["#manifest", "row_count", str(len(rows))])


def run(*args):
    return subprocess.run([sys.executable, str(TOOL), *map(str, args)], capture_output=True, text=True, timeout=60)


@pytest.fixture
def export(tmp_path):
    rows, stations, sample = synthetic_protocols()
    path = tmp_path / "results.csv"
    write_export(path, rows)
    return path, stations, sample


def platform_estimates(stations, sample, official=None):
    return quick_count(stations=stations, strata=REGIONS, parties=PARTIES, sample_size=sum(sample.values()), official=official)


def printed(output: str) -> dict:
    values = {}
    for line in output.splitlines()[2:]:
        parts = line.split()
        if len(parts) >= 4 and parts[0] != "*":
            values[parts[0], parts[1]] = [None if p == "-" else float(p) for p in parts[2:5]]
    return values


def test_the_tool_agrees_with_the_platforms_estimator_to_the_printed_precision(export):
    path, stations, sample = export
    result = run(path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"{path}: 29 of 31 sampled stations counted, 4 strata"
    values = printed(result.stdout)
    estimates = platform_estimates(stations, sample)
    areas = [estimates.national] + list(estimates.regions)
    assert len(values) == len(areas) * (1 + len(PARTIES))
    for area in areas:
        for figure in [area.turnout, *area.parties]:
            estimate, moe = values[area.area, figure.code][:2]
            assert abs(estimate - 100 * figure.interval.estimate) <= 0.005 + 1e-9
            assert abs(moe - 100 * figure.interval.moe) <= 0.005 + 1e-9


def test_the_tools_json_agrees_to_rounding_error(export):
    path, stations, sample = export
    out = json.loads(run(path, "--json").stdout)
    estimates = platform_estimates(stations, sample)
    assert out["counted"] == 29 and out["strata"] == {r: [n, sample[r]] for r, n in REGIONS.items()}
    for area in [estimates.national, *estimates.regions]:
        for figure in [area.turnout, *area.parties]:
            estimate, moe = out["estimates"][area.area][figure.code]
            assert estimate == pytest.approx(figure.interval.estimate, rel=1e-12)
            assert moe == pytest.approx(figure.interval.moe, rel=1e-9)


def test_official_figures_outside_the_margin_are_starred_as_on_the_platform(export, tmp_path):
    path, stations, sample = export
    official_csv = tmp_path / "official.csv"
    totals = {p: sum(s.votes[p] for s in stations) for p in PARTIES}
    forged = dict(totals, nur_otan=totals["nur_otan"] + 40000)
    lines = ["region,party,votes,registered_voters,ballots_cast"]
    lines += [f"national,{p},{forged[p]},100000,55000" for p in PARTIES]
    official_csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run(path, "--official", official_csv)
    starred = {tuple(line.split()[:2]) for line in result.stdout.splitlines() if line.endswith(" *")}
    official = {NATIONAL: OfficialFigures(100000, 55000, forged)}
    platform = platform_estimates(stations, sample, official).national
    expected = {(NATIONAL, f.code) for f in [platform.turnout, *platform.parties] if f.outside_moe}
    assert starred == expected and (NATIONAL, "nur_otan") in starred


def test_a_station_counted_twice_makes_the_file_unreadable(tmp_path):
    rows, _, _ = synthetic_protocols()
    rows.append(dict(rows[0], submission_id="again"))
    path = tmp_path / "results.csv"
    write_export(path, rows, bom=False)
    result = run(path)
    assert result.returncode == 2
    assert result.stderr.strip() == f"UNREADABLE: line {len(rows) + 1}: station 00000 is counted twice (also line 2)"


def test_a_file_that_is_not_a_results_export_is_refused(tmp_path):
    path = tmp_path / "reports.csv"
    path.write_text("report_id,election\nx,y\n", encoding="utf-8")
    result = run(path)
    assert result.returncode == 2 and "not a results export: no column station_code" in result.stderr


def test_the_tool_reads_exactly_the_platforms_results_columns_and_only_the_standard_library():
    source = TOOL.read_text(encoding="utf-8")
    tree = ast.parse(source)
    columns = next(ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == "COLUMNS")
    assert tuple(columns) == QUICK_COUNT_COLUMNS
    assert set(QUICK_COUNT_COLUMNS) <= set(results_header(PARTIES))
    assert f'FORMAT = "{FORMAT}"' in source
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}


def test_every_results_column_is_in_the_data_dictionary():
    documented = set()
    for line in (ROOT / "docs" / "quick-count.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("| `"):
            documented.add(line.split("`")[1])
    fixed = [name for name in results_header(PARTIES) if not name.startswith("votes_")]
    assert [name for name in fixed if name not in documented] == []
    assert "votes_<party>" in documented
