"""quick_count: the quick count's results page with the full sample reported,
against the estimator alone over the same protocols' figures (same run).

Builds (once per database) an election of 10,000 polling stations
(`bench/territory.py`; `--quick`: 2,000) with the demo's counting form and a
seeded sample of 1,000 stations (`--quick`: 200), and one accepted counting
protocol of the first organization at every sampled station (rows written in
bulk, with the shape intake gives them). Then, in a child process on the
benchmark's production settings, times the results page as a coordinator of
that organization sees it (`/admin/checklists/sample/results/`, server time
through Django's test client, median of 7) and the quick count's read,
against the estimator (`checklists.estimator.quick_count`) alone."""

import json
import statistics
import time
import uuid
from pathlib import Path

from bench.services import Services, child, log

ROOT = Path(__file__).resolve().parent.parent
PARTIES = ["nur_otan", "ak_zhol", "peoples_party", "auyl", "adal"]


def run(services: Services, sizes: dict) -> dict:
    env = services.database("bench_quick_count")
    services.collectstatic(env)
    stations, sample = sizes["quick_count_stations"], sizes["quick_count_sample"]
    made = child(env, "quick_count_protocols", stations=stations, sample_size=sample)
    log(f"quick count data: {stations:,} stations, {sample:,} protocols ({made['seconds']} s)")
    measured = child(env, "quick_count_page", election=made["election"], sample_size=sample)
    log(f"quick count page {measured['page_ms']} ms, read {measured['read_ms']} ms, estimator {measured['estimator_ms']} ms")
    return {**measured, "ratio": round(measured["page_ms"] / measured["estimator_ms"], 1)}


def quick_count_protocols(stations: int, sample_size: int) -> dict:
    """(child) The election, its sample and a protocol at every sampled station (once)."""
    started = time.perf_counter()
    code = ensure_protocols(stations, sample_size)
    return {"election": code, "seconds": round(time.perf_counter() - started, 1)}


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


def quick_count_page(election: str, sample_size: int, runs: int = 7) -> dict:
    """(child) Median server time of the results page, of the quick count's
    read and of the estimator alone, for a coordinator of the organization."""
    from django.test import Client

    from checklists.estimator import StationFigures, quick_count
    from checklists.selectors import counted_protocols, quick_count_of, sample_of
    from monitoring.models import Election, Observer
    from monitoring.services import observer_set_role

    election = Election.objects.get(code=election)
    coordinator = (
        Observer.objects.filter(role=Observer.Role.COORDINATOR, organization__accreditations__election=election).order_by("pk").first()
    )
    observer_set_role(observer=coordinator, role=Observer.Role.COORDINATOR)  # the bench's users get no admin access of their own
    user = coordinator.user
    client = Client()
    client.force_login(user)
    url = f"/admin/checklists/sample/results/?election={election.code}"
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url}: {response.status_code}")
    count = quick_count_of(user=user, election=election)
    if count.reported != sample_size:
        raise SystemExit(f"{count.reported} protocols counted of {sample_size}")
    sample = sample_of(election=election)
    counted = counted_protocols(user=user, election=election)
    strata = {s.code: s.population for s in sample.strata.all()}
    figures = [
        StationFigures(station=str(station), stratum="all", region="r", registered_voters=f.figures["registered_voters"],
                       ballots_cast=f.figures["ballots_cast"], votes={p: f.figures[f"votes:{p}"] for p in PARTIES})
        for station, f in counted.items()
    ]  # fmt: skip
    page = timed(lambda: client.get(url), runs)
    read = timed(lambda: quick_count_of(user=user, election=election), runs)
    estimator = timed(lambda: quick_count(stations=figures, strata=strata, parties=PARTIES, sample_size=sample_size), runs)
    return {
        "stations": election.stations.count(),
        "sample_reported": f"{count.reported} of {count.sample_size}",
        "page_ms": round(page * 1000, 1),
        "read_ms": round(read * 1000, 1),
        "estimator_ms": round(estimator * 1000, 2),
    }
