"""coverage: server time of the coverage board (and of GET /api/v1/coverage/)
for an organization's coordinator at the large size (2,000 observers, 10,000
planned stations, 100,000 check-ins and reports) against the same pages at a
tenth of the size, on the same private PostgreSQL (bench/services.py).

The plan: each observer has five stations of their own, one after the other
through voting day (07:00–20:00 local, 2 h 36 min each). What they sent:
60% incident reports (testkit.bulk, at their primary station) and 40%
check-ins (an arrival at each of their stations, then all-quiet ones).
The API is read at 12:00 Almaty time on voting day (`at`), when the plan is
mid-way; the board at the real clock (after the election: every shift over)."""

import datetime as dt
import random
import time
import zoneinfo

from bench.services import Services, child, log

ALMATY = zoneinfo.ZoneInfo("Asia/Almaty")
POSTS_PER_OBSERVER = 5
REPORT_SHARE = 0.6


def run(services: Services, sizes: dict) -> dict:
    out = {"sizes": []}
    for observers in sizes["coverage_observers"]:
        submissions = observers * 50
        name = f"bench_coverage_{observers}"
        env = services.database(name)
        services.collectstatic(env)
        made = child(env, "coverage_dataset", election=f"bench-coverage-{observers}", observers=observers, submissions=submissions)
        if made.get("built"):
            log(f"coverage data {observers:,} observers: {made['seconds']} s")
        measured = child(env, "coverage_board", election=f"bench-coverage-{observers}")
        log(
            f"coverage {observers:,} observers: board {measured['board_ms']} ms, silent {measured['silent_ms']} ms, API {measured['api_ms']} ms"
        )
        out["sizes"].append(measured)
    small, large = out["sizes"][0], out["sizes"][-1]
    out.update(
        board_ms=large["board_ms"],
        api_ms=large["api_ms"],
        baseline_board_ms=small["board_ms"],
        baseline_api_ms=small["api_ms"],
        ratio=round(max(large["board_ms"] / small["board_ms"], large["api_ms"] / small["api_ms"]), 2),
    )
    return out


def coverage_dataset(election: str, observers: int, submissions: int) -> dict:
    """(child) The election, one organization, `observers` observers with
    five stations each and shifts, `submissions` reports and check-ins."""
    from django.db import connection

    from bench.territory import build_territory
    from monitoring.models import Deployment, Election
    from reports.models import Submission
    from testkit.bulk import bulk_reports, territory_from

    existing = Election.objects.filter(code=election).first()
    if existing is not None and Submission.objects.filter(election=existing).count() == submissions:
        return {"built": False}
    started = time.perf_counter()
    planned = observers * POSTS_PER_OBSERVER
    territory = build_territory(election_code=election, stations=int(planned * 1.15), observers=observers, organizations=1)
    stations = territory.stations[:planned]
    people = sorted(territory.observers, key=lambda o: o.pk)
    Deployment.objects.filter(election=territory.election).delete()
    slots = [(dt.time(7 + (156 * k) // 60, (156 * k) % 60), dt.time(7 + (156 * (k + 1)) // 60, (156 * (k + 1)) % 60)) for k in range(5)]
    Deployment.objects.bulk_create(
        [
            Deployment(
                observer=person,
                election=territory.election,
                station=stations[i * POSTS_PER_OBSERVER + k],
                position=k,
                shift_start=slots[k][0],
                shift_end=slots[k][1],
            )
            for i, person in enumerate(people)
            for k in range(POSTS_PER_OBSERVER)
        ],
        batch_size=5000,
    )
    bulk_reports(territory_from(territory.election), count=int(submissions * REPORT_SHARE), seed=observers)
    _checkins(territory.election, people, stations, slots, submissions - int(submissions * REPORT_SHARE))
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {"built": True, "seconds": round(time.perf_counter() - started, 1)}


def _checkins(election, people, stations, slots, count: int) -> None:
    import uuid

    from reports.models import CheckIn

    rng = random.Random(len(people))
    day = election.voting_day
    rows = []
    per_observer = max(count // len(people), 1)
    for i, person in enumerate(people):
        for n in range(per_observer):
            if len(rows) >= count:
                break
            k = min(n * POSTS_PER_OBSERVER // per_observer, POSTS_PER_OBSERVER - 1)
            station = stations[i * POSTS_PER_OBSERVER + k]
            start = dt.datetime.combine(day, slots[k][0], tzinfo=ALMATY)
            first = n == 0 or min((n - 1) * POSTS_PER_OBSERVER // per_observer, POSTS_PER_OBSERVER - 1) != k
            occurred = start + dt.timedelta(minutes=rng.randint(-20, 10) if first else rng.randint(15, 150))
            rows.append(
                CheckIn(
                    election=election,
                    station=station,
                    submitted_by=person,
                    organization_id=person.organization_id,
                    client_uuid=uuid.uuid4(),
                    source="api",
                    occurred_at=occurred,
                    received_at=occurred + dt.timedelta(seconds=rng.randint(2, 300)),
                    latitude=station.latitude + 0.0002,
                    longitude=station.longitude + 0.0003,
                    accuracy_m=12.0,
                    checkin_kind="arrived" if first else "all_quiet",
                    content_sha256="0" * 64,
                    state="accepted",
                )
            )
    CheckIn.objects.bulk_create(rows, batch_size=5000)


def coverage_board(election: str, repeats: int = 7) -> dict:
    """(child) Median server time of the board, its silent-now view and the
    API for the organization's coordinator, after two warm-ups, by the test
    client in this process (no network)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from monitoring.models import Deployment, Observer
    from reports.models import Submission

    coordinator = Observer.objects.filter(role=Observer.Role.COORDINATOR, organization__accreditations__election__code=election).first()
    coordinator.user.is_staff = True
    coordinator.user.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(coordinator.user)
    noon = dt.datetime(2021, 1, 10, 12, 0, tzinfo=ALMATY).isoformat()
    pages = {
        "board": f"/admin/command/contactattempt/board/?election={election}",
        "silent": f"/admin/command/contactattempt/board/?election={election}&show=silent",
        "api": f"/api/v1/coverage/?election={election}&at={noon.replace('+', '%2B')}",
    }
    out = {
        "observers": Deployment.objects.filter(election__code=election).values("observer").distinct().count(),
        "planned_stations": Deployment.objects.filter(election__code=election).values("station").distinct().count(),
        "submissions": Submission.objects.filter(election__code=election).count(),
    }
    for name, url in pages.items():
        times = []
        for i in range(repeats + 2):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url)
                elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise SystemExit(f"{url}: {response.status_code}")
            if i >= 2:
                times.append(elapsed)
        out[f"{name}_ms"] = round(sorted(times)[len(times) // 2] * 1000, 1)
        out[f"{name}_queries"] = len(queries)
    out["api_totals"] = client.get(pages["api"]).json()["totals"]
    return out
