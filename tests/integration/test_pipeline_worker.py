"""The pipeline in depth on real components: reports submitted through the intake
service, processed by a real Celery worker over Redis on PostgreSQL. Every
rejection code, every flag, clusters that grow, concurrent workers on one
cluster ending in the same state as a sequential re-run, a report enqueued
twice processed once, and the sweeper catching up after a broker outage."""

import datetime as dt
import os
import signal
import uuid
import zoneinfo

import psycopg
import pytest
from django.db import transaction
from django.utils import timezone

from monitoring.models import Accreditation, Deployment, Election, PollingStation
from monitoring.services import accreditation_set_status
from reports.models import Flag, IncidentReport, ReportEvent
from reports.services.pipeline import report_reprocess
from reports.services.sweeper import reports_sweep_stuck
from testkit.factories import (
    AccreditationFactory,
    ElectionFactory,
    OrganizationFactory,
    PollingStationFactory,
    make_observer,
)
from testkit.http import post_json
from testkit.images import photo_with_exif
from testkit.processes import child_env, free_port, gunicorn, start_worker, stop, wait_for
from tests.conftest import report_payload
from tests.filing import file_report

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ALMATY = zoneinfo.ZoneInfo("Asia/Almaty")
AKTOBE = zoneinfo.ZoneInfo("Asia/Aqtobe")
DONE = ("accepted", "rejected", "failed")


def at(hour, minute=0, zone=ALMATY, day=10):
    return dt.datetime(2021, 1, day, hour, minute, tzinfo=zone)


def submit(observer, station, *, category="carousel_voting", description=None, gps=None, election=None, **kwargs):
    """File a report through intake (on site with a good fix unless `gps` says
    otherwise; "none": no fix); it goes to the worker when the transaction commits."""
    if gps is None:
        gps = (station.latitude + 0.0002, station.longitude + 0.0002, 15.0)
    return file_report(
        observer=observer,
        election=election or station.election,
        station=station,
        category=category,
        description=description if description is not None else f"Report {uuid.uuid4().hex[:8]} about {category}.",
        gps=None if gps == "none" else gps,
        process=False,
        **kwargs,
    )


def wait_done(reports, timeout=60):
    ids = [r.pk for r in reports]
    wait_for(
        lambda: IncidentReport.objects.filter(pk__in=ids, state__in=DONE, cluster_flags_pending=False).count() == len(ids),
        timeout=timeout,
        message="reports processed, their clusters' flags refreshed",
    )
    return {r.pk: r for r in IncidentReport.objects.filter(pk__in=ids)}


def flag_codes(report) -> set[str]:
    return set(Flag.objects.filter(report_id=report.pk).values_list("code", flat=True))


def observer_at(world, station, name):
    observer = make_observer(world.observer.organization, "observer", name)
    Deployment.objects.create(observer=observer, election=station.election, station=station)
    return observer


def test_every_rejection_code_with_a_real_worker(world, celery_worker):
    def organization_with_observer(name):
        org = OrganizationFactory(name=name)
        accreditation = AccreditationFactory(organization=org, election=world.election)
        observer = make_observer(org, "observer", f"{name}-observer")
        Deployment.objects.create(observer=observer, election=world.election, station=world.station)
        return accreditation, observer

    cases = {}
    # Things that change between receipt and processing: applied in the submitting transaction, before the enqueue.
    accreditation, observer = organization_with_observer("dissolved")
    with transaction.atomic():
        cases["not_accredited"] = submit(observer, world.station)
        Accreditation.objects.filter(pk=accreditation.pk).delete()
    accreditation, observer = organization_with_observer("revoked-later")
    with transaction.atomic():
        cases["accreditation_revoked"] = submit(observer, world.station)
        accreditation_set_status(accreditation=accreditation, status=Accreditation.Status.REVOKED, reason="commission decision")
    moving = PollingStationFactory(election=world.election, code="02999", district=world.station.district)
    with transaction.atomic():
        cases["station_not_in_election"] = submit(world.observer, moving, occurred_at=at(11, 0))
        PollingStation.objects.filter(pk=moving.pk).update(election=ElectionFactory(code="kz-by-election"))
    closing = ElectionFactory(code="kz-closing")
    AccreditationFactory(organization=world.observer.organization, election=closing)
    closing_station = PollingStationFactory(election=closing, district=world.station.district)
    with transaction.atomic():
        cases["election_closed"] = submit(world.observer, closing_station, election=closing)
        Election.objects.filter(pk=closing.pk).update(status=Election.Status.CLOSED)
    # Times that can never be accepted.
    cases["occurred_in_future"] = submit(world.observer, world.station, occurred_at=timezone.now() + dt.timedelta(hours=1))
    cases["outside_observation_window"] = submit(world.observer, world.station, occurred_at=at(10, 0, day=1).replace(month=12, year=2020))

    reports = wait_done(cases.values())
    for code, submitted in cases.items():
        report = reports[submitted.pk]
        assert report.state == "rejected", (code, report.state, report.last_error)
        assert code in [r["code"] for r in report.rejection_reasons], (code, report.rejection_reasons)
        assert flag_codes(report) == set() and report.risk_score == 0
    revoked = reports[cases["accreditation_revoked"].pk].rejection_reasons[0]
    assert revoked["params"]["variant"] == "revoked"


def test_every_flag_with_a_real_worker(world, celery_worker):
    station, far, west = world.station, world.station_far, world.station_west
    almaty_2 = PollingStationFactory(election=world.election, code="02002", district=station.district, latitude=43.2380, longitude=76.8890)
    talgar = (43.3034, 77.2403)
    traveller = observer_at(world, station, "traveller")
    Deployment.objects.create(observer=traveller, election=world.election, station=far)
    cases = {
        # Single-report rules, one hour apart at the observer's own station.
        "off_site+region_mismatch": submit(world.observer, station, occurred_at=at(8, 0), gps=(51.1605, 71.4704, 20.0)),
        "low_gps_accuracy": submit(world.observer, station, occurred_at=at(9, 0), category="group_voting", gps=(43.2530, 76.9120, 900.0)),
        "no_location": submit(world.observer, station, occurred_at=at(10, 0), category="voting_without_id", gps="none"),
        "not_deployed": submit(world.observer_2, station, occurred_at=at(11, 0), category="secrecy_violated"),
        "critical_category": submit(world.observer, station, occurred_at=at(12, 0), category="violence"),
        "photo_location_mismatch+photo_time_mismatch": submit(
            world.observer,
            station,
            occurred_at=at(13, 0),
            category="campaigning_at_station",
            photos=[photo_with_exif(latitude=talgar[0], longitude=talgar[1], taken_local=dt.datetime(2021, 1, 3, 13, 0))],
        ),
        # 07:30 on an Almaty phone is 06:30 in Aktobe (UTC+5 in January 2021).
        "outside_polling_hours": submit(observer_at(world, west, "aktobe-early"), west, occurred_at=at(7, 30), category="vote_buying"),
        # Same observer, 972 km in 35 minutes.
        "impossible_travel/a": submit(traveller, station, occurred_at=at(14, 5), category="intimidation"),
        "impossible_travel/b": submit(traveller, far, occurred_at=at(14, 40), category="intimidation"),
        # Two observers of one organization describe the same ballot stuffing
        # (an observer of another organization telling it too makes no duplicate).
        "duplicate/a": submit(
            observer_at(world, almaty_2, "dup-civic"),
            almaty_2,
            occurred_at=at(15, 0),
            category="ballot_stuffing",
            description="A man put a stack of ballots into box 2.",
        ),
    }
    cases["duplicate/b"] = submit(
        observer_at(world, almaty_2, "dup-civic-2"),
        almaty_2,
        occurred_at=at(15, 9),
        category="ballot_stuffing",
        description="Man stuffed a pack of ballots into ballot box 2",
    )
    other = make_observer(world.other_observer.organization, "observer", "dup-other")
    Deployment.objects.create(observer=other, election=world.election, station=almaty_2)
    cases["not_duplicate/other_organization"] = submit(
        other, almaty_2, occurred_at=at(15, 5), category="ballot_stuffing", description="A man put a stack of ballots into box 2."
    )
    # Five reports at one station in 40 minutes: a hot spot on every one.
    categories = ["carousel_voting", "group_voting", "voting_without_id", "unauthorized_persons", "video_camera_off", "voter_list_problem"]
    crowd = [observer_at(world, west, f"crowd-{i}") for i in range(6)]
    hot = [submit(crowd[i], west, occurred_at=at(11, 10 * i, zone=AKTOBE), category=categories[i]) for i in range(5)]

    reports = wait_done([*cases.values(), *hot])
    assert all(r.state == "accepted" for r in reports.values()), {r.pk: (r.state, r.last_error) for r in reports.values()}
    # The test election is of January 2021, received today: every report is also late.
    expected = {
        "off_site+region_mismatch": {"off_site", "region_mismatch"},
        "low_gps_accuracy": {"low_gps_accuracy"},
        "no_location": {"no_location"},
        "not_deployed": {"not_deployed"},
        "critical_category": {"critical_category"},
        "photo_location_mismatch+photo_time_mismatch": {"photo_location_mismatch", "photo_time_mismatch"},
        "outside_polling_hours": {"outside_polling_hours"},
        "impossible_travel/a": {"impossible_travel"},
        "impossible_travel/b": {"impossible_travel"},
        "duplicate/a": {"duplicate", "critical_category"},
        "duplicate/b": {"duplicate", "critical_category"},
        "not_duplicate/other_organization": {"critical_category"},
    }
    for name, submitted in cases.items():
        assert flag_codes(submitted) == expected[name] | {"late_filing"}, name
    assert Flag.objects.get(report=cases["impossible_travel/a"], code="impossible_travel").params["related_reports"] == [
        str(cases["impossible_travel/b"].pk)
    ]
    assert Flag.objects.get(report=cases["duplicate/b"], code="duplicate").params["related_reports"] == [str(cases["duplicate/a"].pk)]
    assert reports[cases["critical_category"].pk].triage_status == "escalated"
    for report in hot:
        assert flag_codes(report) == {"hotspot", "late_filing"}
        assert Flag.objects.get(report=report, code="hotspot").params["count"] == 5

    # The cluster grows: a sixth report updates the flag on all six.
    sixth = submit(crowd[5], west, occurred_at=at(11, 45, zone=AKTOBE), category=categories[5])
    wait_done([sixth])
    wait_for(
        lambda: set(Flag.objects.filter(report__in=[*hot, sixth], code="hotspot").values_list("params__count", flat=True)) == {6},
        message="the hot spot to grow to six",
    )
    related = Flag.objects.get(report=hot[0], code="hotspot").params["related_reports"]
    assert sorted(related) == sorted(str(r.pk) for r in [*hot[1:], sixth])


def test_concurrent_workers_on_one_cluster_end_as_a_sequential_run_would(world, celery_worker, tmp_path):
    """Many reports of one district and of the same observers, processed at once
    by several worker processes: no deadlock, no duplicate flag, and the stored
    flags equal what a sequential re-run computes."""
    extra = start_worker(tmp_path / "extra-worker.log", concurrency=4, name="itest-extra")
    try:
        station, far = world.station, world.station_far
        second = PollingStationFactory(
            election=world.election, code="02002", district=station.district, latitude=43.2380, longitude=76.8890
        )
        observers = [observer_at(world, s, f"busy-{i}") for i, s in enumerate([station, second] * 4)]
        for o in observers[:3]:
            Deployment.objects.create(observer=o, election=world.election, station=far)
        texts = ["The CCTV camera above the ballot box is dark.", "CCTV camera above the ballot box is dark now."]
        submitted = []
        for i, observer in enumerate(observers):
            for k in range(3):
                submitted.append(
                    submit(
                        observer,
                        [station, second][i % 2],
                        occurred_at=at(10, 3 * i + k),
                        category="video_camera_off" if k == 0 else ["carousel_voting", "group_voting"][k - 1],
                        description=texts[i % 2] if k == 0 else None,
                    )
                )
            if i < 3:
                submitted.append(submit(observer, far, occurred_at=at(10, 30 + i), category="intimidation"))
        reports = wait_done(submitted, timeout=120)
        assert all(r.state == "accepted" for r in reports.values())
    finally:
        stop(extra.proc)
    log = celery_worker.log_text() + extra.log_text()
    assert "deadlock" not in log.lower() and "Retry in" not in log and "raised unexpected" not in log

    ids = [r.pk for r in submitted]

    def snapshot():
        flags = Flag.objects.filter(report_id__in=ids).values_list("report_id", "code", "severity", "params")
        risks = IncidentReport.objects.filter(pk__in=ids).values_list("pk", "risk_score")
        return sorted(map(repr, flags)), sorted(risks)

    concurrent = snapshot()
    codes = {code for _, code, _, _ in Flag.objects.filter(report_id__in=ids).values_list("report_id", "code", "severity", "params")}
    assert {"hotspot", "duplicate", "impossible_travel"} <= codes
    for report_id in reversed(ids):
        report_reprocess(report_id=report_id, actor=world.superuser)
    sequential = snapshot()
    stale = sorted(set(concurrent[0]) ^ set(sequential[0]))
    assert not stale, f"{len(stale)} flag rows differ from a sequential re-run, e.g. {stale[:2]}"
    assert sequential[1] == concurrent[1]


def _children(pid: int) -> list[int]:
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                children.append(int(entry))
    return children


def test_a_worker_killed_mid_report_loses_nothing(world, celery_worker):
    """acks_late + reject_on_worker_lost: the report a dying worker held is
    delivered again and processed once. The test holds the report's cluster
    lock (its organization and district) so the worker is caught mid-task, kills the worker's pool processes
    (which the test started), then lets go."""
    from reports.services.neighbours import _lock_key
    from testkit.processes import database_url_for_tests

    blocker = psycopg.connect(database_url_for_tests(), autocommit=True)
    try:
        cluster = f"{world.observer.organization_id}:{world.station.district_id}"
        blocker.execute("SELECT pg_advisory_lock(%s)", [_lock_key("cluster", cluster)])
        report = submit(world.observer, world.station, occurred_at=at(16, 0))

        def waiting_with(attempts):
            row = IncidentReport.objects.filter(pk=report.pk).values_list("state", "processing_attempts").get()
            waiting = blocker.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ).fetchone()[0]
            return row == ("processing", attempts) and waiting > 0

        wait_for(lambda: waiting_with(1), message="the worker to block on the cluster lock")
        children = _children(celery_worker.proc.pid)
        assert children
        for child in children:
            os.kill(child, signal.SIGKILL)
        wait_for(lambda: waiting_with(2), timeout=60, message="the report to be delivered again")
    finally:
        blocker.close()  # releases the lock
    wait_for(lambda: IncidentReport.objects.get(pk=report.pk).state == "accepted", message="acceptance")
    assert "WorkerLostError" in celery_worker.log_text()
    assert IncidentReport.objects.get(pk=report.pk).events.filter(action="processed").count() == 1


def test_the_worker_keeps_its_database_connection_between_reports(world, celery_worker):
    """Celery's Django fix-up would open a new PostgreSQL session for every task
    (and lose its prepared statements); config.celery keeps Django's rules."""
    from django.db import connection

    def sessions() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
            return cursor.fetchone()[0]

    submit(world.observer, world.station)  # the worker's connection exists from here on
    wait_for(lambda: not IncidentReport.objects.exclude(state__in=DONE).exists(), message="the first report processed")
    before = sessions()
    for _ in range(12):
        submit(world.observer, world.station)
    wait_for(lambda: not IncidentReport.objects.exclude(state__in=DONE).exists(), timeout=60, message="twelve reports processed")
    assert IncidentReport.objects.filter(state="accepted").count() == 13
    assert sessions() - before <= 2  # not one per report (the worker pool has two processes)


def _state(report_id):
    return IncidentReport.objects.filter(pk=report_id).values_list("state", flat=True).first()


def test_broker_down_at_submission_loses_nothing_and_the_sweeper_catches_up(world, celery_worker, tmp_path):
    from roster.tokens import token_issue

    token = token_issue(user=world.observer.user)[1]
    dead_broker = child_env(CELERY_BROKER_URL=f"redis://127.0.0.1:{free_port()}/0")
    with gunicorn(tmp_path / "gunicorn.log", env=dead_broker) as base:
        answer = post_json(base, "/api/v1/reports/", report_payload(world), token=token)
    assert answer.status == 201, answer.body
    body = answer.json()
    assert _state(body["id"]) == "received"

    assert reports_sweep_stuck(older_than_seconds=0) == 1
    wait_for(lambda: _state(body["id"]) == "accepted", message="the swept report to be processed")
    assert ReportEvent.objects.filter(report_id=body["id"], action="processed").count() == 1


def test_same_report_enqueued_twice_is_processed_once(world, celery_worker):
    from rest_framework.test import APIClient

    from reports.enqueue import enqueue_processing

    client = APIClient()
    client.force_authenticate(world.observer.user)
    report_id = client.post("/api/v1/reports/", report_payload(world), format="json").json()["id"]
    for _ in range(3):
        enqueue_processing(report_id)
    wait_for(lambda: _state(report_id) == "accepted", message="acceptance")
    wait_for(lambda: "succeeded" in celery_worker.log_text(), message="worker log")
    assert ReportEvent.objects.filter(report_id=report_id, action="processed").count() == 1
    assert list(IncidentReport.objects.get(pk=report_id).flags.values_list("code", flat=True)) == ["late_filing"]
