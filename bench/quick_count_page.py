"""The quick count's results page with the full sample reported.

    .venv/bin/python bench/quick_count_page.py                  # 10,000 stations, a sample of 1,000
    .venv/bin/python bench/quick_count_page.py --stations 2000 --sample 400 --runs 5

Builds (once, then reuses) an election of `--stations` polling stations
(`bench/territory.py`) with the demo's counting form and a seeded sample of
`--sample` stations, and one accepted counting protocol of the first
organization at every sampled station (rows written in bulk, with the shape
intake gives them). Then, in this process with production settings, times
the results page as a coordinator of that organization sees it
(`/admin/checklists/sample/results/`, server time through Django's test
client, median of `--runs`) against a baseline measured in the same run: the
estimator alone (`checklists.estimator.quick_count`) over the same protocols'
figures. Prints both and their ratio; `--json FILE` writes them. Uses the
export benchmark's database (`elmon_bench_<checkout>`)."""

import argparse
import json
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.export_memory import _setup, default_database_url, ensure_database  # noqa: E402


def ensure_protocols(stations: int, sample_size: int) -> str:
    import datetime as dt

    from django.db import transaction

    from bench.territory import build_territory
    from checklists.models import FiledAnswers, SampleStation
    from checklists.selectors import protocol_current
    from checklists.services.forms import form_load
    from checklists.services.samples import sample_draw
    from reports.models import Checklist, ReportState, SubmissionSource

    code = f"bench-qc-{stations}-{sample_size}"
    territory = build_territory(election_code=code, stations=stations, observers=max(200, sample_size))
    election = territory.election
    form_load(election=election, document=json.loads((ROOT / "checklists" / "data" / "counting.json").read_text(encoding="utf-8")))
    sample_draw(election=election, size=sample_size, seed=2021)
    version = protocol_current(election=election)
    if FiledAnswers.objects.filter(form_version=version).count() >= sample_size:
        return code
    observer = territory.observers[0]
    sampled = list(SampleStation.objects.filter(sample__election=election).values_list("station_id", flat=True))
    rng = __import__("random").Random(7)
    now = dt.datetime.now(dt.UTC)
    with transaction.atomic():
        rows = []
        for station_id in sampled:
            rows.append(
                Checklist(
                    client_uuid=uuid.uuid4(), source=SubmissionSource.API, election=election, station_id=station_id,
                    occurred_at=now, submitted_by=observer, organization_id=observer.organization_id, received_at=now,
                    content_sha256="0" * 64, state=ReportState.ACCEPTED,
                )
            )  # fmt: skip
        Checklist.objects.bulk_create(rows)
        answers = []
        for row in rows:
            registered = rng.randint(400, 2500)
            cast = int(registered * rng.uniform(0.5, 0.75))
            invalid = rng.randint(0, 20)
            shares = [0.71, 0.11, 0.09, 0.05, 0.04]
            votes = [int((cast - invalid) * s * rng.uniform(0.9, 1.1)) for s in shares]
            votes[0] += cast - invalid - sum(votes)
            figures = dict(zip(["votes_nur_otan", "votes_ak_zhol", "votes_peoples_party", "votes_auyl", "votes_adal"], votes, strict=True))
            answers.append(
                FiledAnswers(
                    submission=row,
                    form_version=version,
                    answers={"registered_voters": registered, "ballots_cast": cast, "ballots_invalid": invalid, **figures},
                )
            )
        FiledAnswers.objects.bulk_create(answers)
    return code


def timed(function, runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stations", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    database_url = default_database_url()
    _setup(database_url)
    ensure_database(database_url)
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)  # production serves hashed static files
    from django.test import Client

    from checklists.estimator import StationFigures, quick_count
    from checklists.selectors import counted_protocols, quick_count_of, sample_of
    from monitoring.models import Election, Observer

    code = ensure_protocols(args.stations, args.sample)
    election = Election.objects.get(code=code)
    coordinator = (
        Observer.objects.filter(role=Observer.Role.COORDINATOR, organization__accreditations__election=election).order_by("pk").first()
    )
    from monitoring.services import observer_set_role

    observer_set_role(observer=coordinator, role=Observer.Role.COORDINATOR)  # the bench's users get no admin access of their own
    user = coordinator.user
    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    url = f"/admin/checklists/sample/results/?election={code}"
    response = client.get(url, secure=True)
    assert response.status_code == 200, response.status_code
    count = quick_count_of(user=user, election=election)
    assert count.reported == args.sample, (count.reported, args.sample)

    sample = sample_of(election=election)
    counted = counted_protocols(user=user, election=election)
    strata = {s.code: s.population for s in sample.strata.all()}
    figures = [
        StationFigures(station=str(station), stratum="all", region="r", registered_voters=f.figures["registered_voters"],
                       ballots_cast=f.figures["ballots_cast"], votes={p: f.figures[f"votes:{p}"] for p in ["nur_otan", "ak_zhol", "peoples_party", "auyl", "adal"]})
        for station, f in counted.items()
    ]  # fmt: skip
    parties = ["nur_otan", "ak_zhol", "peoples_party", "auyl", "adal"]
    page = timed(lambda: client.get(url, secure=True), args.runs)
    read = timed(lambda: quick_count_of(user=user, election=election), args.runs)
    estimator = timed(lambda: quick_count(stations=figures, strata=strata, parties=parties, sample_size=args.sample), args.runs)
    result = {
        "stations": args.stations,
        "sample_reported": f"{count.reported} of {count.sample_size}",
        "page_seconds": round(page, 4),
        "quick_count_read_seconds": round(read, 4),
        "estimator_alone_seconds": round(estimator, 5),
        "page_over_estimator": round(page / estimator, 1),
    }
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
