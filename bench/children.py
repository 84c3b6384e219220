"""The Django side of bench/run.py: each function runs in a fresh process on the
database of DATABASE_URL and prints its figures as one JSON line.

    python -m bench.children <task> '<json params>'
"""

import json
import os
import sys
import time
from pathlib import Path

from bench.coverage import coverage_board, coverage_dataset  # noqa: F401  (tasks of bench/coverage.py)
from bench.export_memory import _vm  # peak resident memory, in KiB
from bench.quick_count import quick_count_page, quick_count_protocols  # noqa: F401  (tasks of bench/quick_count.py)
from bench.surge import surge_territory  # noqa: F401  (the task of bench/surge.py)

ROOT = Path(__file__).resolve().parent.parent


def dataset(election: str, rows: int, stations: int) -> dict:
    """An election with exactly `rows` generated reports (built once per database)."""
    from django.db import connection

    from bench.territory import build_territory
    from reports.models import IncidentReport
    from testkit.bulk import bulk_reports

    have = IncidentReport.objects.filter(election__code=election).count()
    if have == rows:
        return {"built": False}
    if have:
        raise SystemExit(f"election {election} has {have} reports, not {rows}")
    started = time.perf_counter()
    territory = build_territory(
        election_code=election, stations=min(stations, max(400, rows // 25)), observers=max(200, min(rows // 500, 4000))
    )
    bulk_reports(territory, count=rows, seed=rows)
    with connection.cursor() as cursor:
        # Autovacuum's steady state after a day of inserts (statistics, visibility map).
        cursor.execute("VACUUM ANALYZE")
    seconds = time.perf_counter() - started
    return {"built": True, "seconds": round(seconds, 1), "per_s": round(rows / seconds)}


def intake_seed(observers: int) -> dict:
    """One open election, 20 stations, an accredited organization and observers with tokens."""
    from testkit.seed import seed

    made = seed(observers=observers, stations=20, election_code="bench-intake")
    return {**made, "categories": ["carousel_voting", "ballot_stuffing", "intimidation", "video_camera_off"]}


def sms_seed(observers: int) -> dict:
    """intake_seed's world, each observer with a roster phone (E.164) for the SMS webhook."""
    from monitoring.models import Observer
    from roster.models import RosterEntry
    from testkit.seed import seed as seed_world

    made = seed_world(observers=observers, stations=20, election_code="bench-sms")
    phones = []
    for i, observer in enumerate(Observer.objects.filter(organization__isnull=False, role="observer").order_by("pk")[:observers]):
        phone = f"+7701{i:07d}"
        RosterEntry.objects.get_or_create(
            observer=observer,
            defaults=dict(organization=observer.organization, external_id=f"bench-{i}", full_name="Bench", phone=phone, language="ru"),
        )
        phones.append(RosterEntry.objects.get(observer=observer).phone)
    return {"stations": made["stations"], "phones": phones}


def pipeline_prepare(background: int, reports: int, noops: int, stations: int, checkins: int = 0) -> dict:
    """A realistic day of `background + reports` reports, `reports` of them (and
    the generator's own few `received` ones) put back to `received`; then the
    queues are filled, no-ops first, for a worker that is not running yet; and
    `checkins` observers check in ("arrived" at their station at 07:05), filed
    through intake, which puts them on their own queue: the worker takes them
    after the reports (config/queues.py), so they are timed apart."""
    import random

    from django.db import connection, transaction

    from bench.celery_app import noop
    from bench.territory import build_territory
    from reports.enqueue import enqueue_processing
    from reports.models import Flag, IncidentReport
    from testkit.bulk import bulk_reports

    code = "bench-pipeline"
    territory = build_territory(election_code=code, stations=stations, observers=max(600, stations // 4))
    if not IncidentReport.objects.filter(election=territory.election).exists():
        bulk_reports(territory, count=background + reports, seed=7)
    ids = list(IncidentReport.objects.filter(election=territory.election, state="accepted").values_list("pk", flat=True).order_by("pk"))
    chosen = random.Random(7).sample(ids, reports)
    with transaction.atomic():
        Flag.objects.filter(report_id__in=chosen).delete()
        IncidentReport.objects.filter(pk__in=chosen).update(
            state="received", processed_at=None, processing_started_at=None, processing_attempts=0, risk_score=0, triage_status="new",
            assignee=None, decided_by=None, decided_at=None,
        )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    todo = list(IncidentReport.objects.filter(election=territory.election, state="received").values_list("pk", flat=True))
    key = f"noop-{time.time_ns()}"
    for _ in range(noops):
        noop.delay(key)
    for pk in todo:
        enqueue_processing(pk, "incident")
    _file_checkins(territory, checkins)
    return {"reports": len(todo), "checkins": checkins, "noop_key": key, "since": time.time()}


def _file_checkins(territory, count: int) -> None:
    import datetime as dt
    import uuid
    import zoneinfo

    from reports.services.intake import CheckInInput, submission_submit

    opening = dt.datetime.combine(territory.election.voting_day, dt.time(7, 5), zoneinfo.ZoneInfo("Asia/Almaty"))
    for observer in territory.observers[:count]:
        station = territory.home[observer.pk]
        data = CheckInInput(
            client_uuid=uuid.uuid4(), election=territory.election, station=station, occurred_at=opening,
            latitude=station.latitude + 0.0002, longitude=station.longitude, accuracy_m=15.0, checkin_kind="arrived",
        )  # fmt: skip
        submission_submit(observer=observer, data=data, source="api")


def pipeline_done(key: str, since: float) -> dict:
    import datetime as dt

    import redis
    from django.conf import settings
    from django.db.models import Count

    from reports.models import CheckIn, Flag, IncidentReport

    r = redis.Redis.from_url(settings.BENCH_REDIS_URL)
    first, last, count = r.get(f"{key}:first"), r.get(f"{key}:last"), int(r.get(f"{key}:count") or 0)
    noop_per_s = round((count - 1) / (float(last) - float(first)), 1) if count > 1 and float(last) > float(first) else None
    election = IncidentReport.objects.filter(election__code="bench-pipeline")
    pending = election.filter(state__in=["received", "processing"]).count()
    done = election.filter(processing_started_at__gte=dt.datetime.fromtimestamp(since, dt.UTC), processed_at__isnull=False)
    # The first reports pay the worker's warm-up (the station index and the
    # gazetteer load once per process): time from the tenth on.
    per_s = _per_s(done)
    checkins = CheckIn.objects.filter(election__code="bench-pipeline", processed_at__isnull=False)
    states = dict(done.values_list("state").annotate(n=Count("pk")).order_by())
    flags = dict(Flag.objects.filter(report__in=done).values_list("code").annotate(n=Count("pk")).order_by())
    checkin_per_s = _per_s(checkins)
    return {
        "pending": pending, "per_s": per_s, "noop_count": count, "noop_per_s": noop_per_s, "states": states, "flags": flags,
        "checkins": checkins.count(), "checkin_per_s": checkin_per_s, "checkin_states": dict(checkins.values_list("state").annotate(n=Count("pk")).order_by()),
    }  # fmt: skip


def _per_s(processed) -> float | None:
    times = sorted(processed.values_list("processed_at", flat=True))
    if len(times) > 20 and times[-1] > times[9]:
        return round((len(times) - 10) / (times[-1] - times[9]).total_seconds(), 2)
    return None


# The export's own row set (its query, joins, grouped flags and photos, order),
# unformatted: PostgreSQL printing those values is the floor for formatting them.
BASELINE_COLUMNS = (
    "r.id, e.code, o.name, ob.public_code, s.code, rg.code, d.code, c.code, r.severity, r.occurred_at, r.received_at, "
    "r.latitude, r.longitude, r.state, fl.codes, r.triage_status, r.description, s.name, c.phase, r.accuracy_m, "
    "r.location_source, r.claimed_station_distance_m, r.rejection_reasons, fl.cleared, r.risk_score, ao.public_code, "
    "dbo.public_code, r.decided_at, ph.n, ph.hashes, r.client_uuid, r.amends_id, r.content_sha256, r.chain_seq, "
    "r.chain_sha256, r.row_number"
)


def export(election: str, out_dir: str) -> dict:
    """Our export to a file in a fresh process (rows/s, peak RSS), then COPY of
    the same rows to another file in the same process."""
    from django.db import connection, transaction
    from django.utils import timezone

    from reports.filters import ReportFilters
    from reports.models import ExportRecord, IncidentReport
    from reports.services import exports, exports_postgres
    from reports.services.exports import reports_export

    IncidentReport.objects.filter(election__code=election).exists()  # connect, load the ORM
    baseline_kib = _vm("VmHWM")
    path = Path(out_dir) / f"{election}.csv"
    started = time.perf_counter()
    written = 0
    stream = reports_export(user=None, filters=ReportFilters(election=election), source=ExportRecord.Source.COMMAND)
    with open(path, "wb") as handle:
        for chunk in stream:
            handle.write(chunk)
            written += len(chunk)
    seconds = time.perf_counter() - started
    peak_kib = _vm("VmHWM")
    rows = stream.record.row_count
    os.unlink(path)

    copy_path = Path(out_dir) / f"{election}-copy.csv"
    qs = exports.export_queryset(user=None, filters=ReportFilters(election=election), now=timezone.now())
    ids_sql, ids_params = qs.order_by().values("pk").query.sql_with_params()
    statement = f"COPY (SELECT {BASELINE_COLUMNS} {exports_postgres.FROM_SQL.format(ids=ids_sql)} ORDER BY r.row_number) TO STDOUT WITH (FORMAT csv)"
    copied = 0
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor, open(copy_path, "wb") as handle:
        # The session settings the export itself runs with.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '64MB'")
        with cursor.cursor.copy(statement, [*ids_params, *ids_params, *ids_params]) as copy:
            for block in copy:
                handle.write(block)
                copied += len(block)
    copy_seconds = time.perf_counter() - started
    os.unlink(copy_path)
    return {
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows / seconds),
        "file_mib": round(written / 2**20, 1),
        "copy_seconds": round(copy_seconds, 2),
        "copy_rows_per_s": round(rows / copy_seconds),
        "copy_file_mib": round(copied / 2**20, 1),
        "baseline_rss_mib": round(baseline_kib / 1024, 1),
        "peak_rss_mib": round(peak_kib / 1024, 1),
    }


def admin(election: str, repeats: int = 7) -> dict:
    """Server time of the triage changelist for a superuser: median of `repeats`
    requests after two warm-ups, by the test client in this process (no network)."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from reports.models import Flag, IncidentReport

    user, _ = get_user_model().objects.get_or_create(username="bench-admin", defaults={"is_staff": True, "is_superuser": True})
    client = Client()
    client.force_login(user)
    region = (
        IncidentReport.objects.filter(election__code=election)
        .values_list("station__district__region__code", flat=True)
        .order_by("station__district__region__code")
        .first()
    )
    flag = "off_site" if Flag.objects.filter(code="off_site").exists() else "no_location"
    pages = {"default": "/admin/reports/submission/", "filtered": f"/admin/reports/submission/?region={region}&flag={flag}"}
    out = {"rows": IncidentReport.objects.filter(election__code=election).count()}
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
    out["filtered_url"] = pages["filtered"]
    return out


HOTSPOT_ELECTION = "bench-hotspot"


def hotspot_territory(stations: int, background: int) -> dict:
    """The hot-spot benchmark's election with its day of background reports (once)."""
    from django.db import connection

    from bench.territory import build_territory
    from reports.models import IncidentReport
    from testkit.bulk import bulk_reports

    territory = build_territory(election_code=HOTSPOT_ELECTION, stations=stations, observers=max(600, stations // 4))
    if not IncidentReport.objects.filter(election=territory.election).exists():
        bulk_reports(territory, count=background, seed=11)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    return {"stations": len(territory.stations)}


def hotspot_file(shape: str, size: int, slot: int) -> dict:
    """File `size` reports through the intake service (enqueued for a worker
    that is not running yet): for "hotspot", of one organization in one
    district (the `slot`-th largest) within one hour; for "sparse", of every
    organization at random stations over the day."""
    import datetime as dt
    import random
    import uuid
    from collections import Counter

    from monitoring.models import Election
    from reports.models import IncidentCategory
    from reports.services.intake import ReportInput, submission_submit
    from testkit.bulk import territory_from

    territory = territory_from(Election.objects.get(code=HOTSPOT_ELECTION))
    rng = random.Random(f"{shape}-{size}-{slot}")
    categories = list(IncidentCategory.objects.filter(phase="voting", critical=False))
    observers = territory.observers
    if shape == "hotspot":
        districts = Counter(s.district_id for s in territory.stations).most_common()
        district = districts[slot][0]
        stations = [s for s in territory.stations if s.district_id == district]
        organization = observers[slot % 3].organization_id
        observers = [o for o in observers if o.organization_id == organization]
        start = dt.datetime(2021, 1, 10, 11, 0, tzinfo=dt.UTC)
        times = [start + dt.timedelta(seconds=rng.uniform(0, 3600)) for _ in range(size)]
    else:
        stations = territory.stations
        start = dt.datetime(2021, 1, 10, 2, 0, tzinfo=dt.UTC)
        times = [start + dt.timedelta(seconds=rng.uniform(0, 12 * 3600)) for _ in range(size)]
    batch = []
    for occurred_at in times:
        station = rng.choice(stations)
        category = rng.choice(categories)
        data = ReportInput(
            client_uuid=uuid.uuid4(),
            election=territory.election,
            station=station,
            category=category,
            occurred_at=occurred_at,
            description=f"{category.name_en} at the station, seen at {occurred_at:%H:%M}; {rng.choice(WORDS)} {rng.choice(WORDS)}.",
            latitude=station.latitude + rng.uniform(-0.0005, 0.0005),
            longitude=station.longitude + rng.uniform(-0.0005, 0.0005),
            accuracy_m=15.0,
        )
        result = submission_submit(observer=rng.choice(observers), data=data, source="api")
        batch.append(str(result.submission.pk))
    return {"batch": batch, "district_stations": len(stations) if shape == "hotspot" else None}


WORDS = ["crowd", "queue", "bus", "officials", "box", "camera", "list", "ink", "booth", "door", "police", "leaflets", "van", "car"]


def hotspot_done(batch: list, drained_at: float) -> dict:
    import datetime as dt

    from django.db.models import Count, Min

    from reports.models import Flag, Submission

    reports = Submission.objects.filter(pk__in=batch)
    first = reports.aggregate(first=Min("processing_started_at"))["first"]
    seconds = dt.datetime.fromtimestamp(drained_at, dt.UTC) - first
    flags = dict(Flag.objects.filter(report__in=reports).values_list("code").annotate(n=Count("pk")).order_by())
    return {
        "reports": len(batch),
        "drain_s": round(seconds.total_seconds(), 2),
        "ms_per_report": round(1000 * seconds.total_seconds() / len(batch), 1),
        "states": dict(reports.values_list("state").annotate(n=Count("pk")).order_by()),
        "flags": flags,
    }


def roster_import(rows: int, phone_prefix: str) -> dict:
    """Import `rows` generated people into the demo territory (loaded once):
    the first import, the same file again, a dry run (seconds each)."""
    import io

    from bench.roster import roster_csv
    from monitoring.demo import load_demo_monitoring
    from monitoring.models import ObserverOrganization, PollingStation
    from roster.importing import roster_import as import_roster
    from roster.models import RosterEntry

    election, _logins = load_demo_monitoring(password=None)
    organization, _ = ObserverOrganization.objects.get_or_create(name=f"Roster benchmark {rows}")
    text = roster_csv(rows, list(PollingStation.objects.filter(election=election).values_list("code", flat=True)), phone_prefix=phone_prefix)
    timings = {}
    for label, options in (("first_s", {}), ("again_s", {}), ("dry_run_s", {"dry_run": True})):
        started = time.perf_counter()
        summary = import_roster(organization=organization, election=election, lines=io.StringIO(text), **options)
        timings[label] = round(time.perf_counter() - started, 2)
        timings[label.replace("_s", "_summary")] = str(summary)
    people = RosterEntry.objects.filter(observer__organization=organization).count()
    deployments = sum(len(line.split(",")[6].split()) for line in text.splitlines()[1:])
    return {"rows": rows, "people": people, "deployments": deployments, **timings}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    task, params = sys.argv[1], json.loads(sys.argv[2])
    result = globals()[task](**params)
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
