"""PostgreSQL restarted (twice: a fast shutdown, then a crash-like immediate one)
while observers keep submitting through gunicorn: every failure the clients see
is a clean JSON 503 (no traceback, no 500, no dropped connection); retrying
with the same client_uuid succeeds; afterwards there is exactly one report per
client_uuid, every report has all of its photos (rows and files), no photo file
is orphaned, and the election's hash chain is complete and verifies.

Runs on a private PostgreSQL cluster (the shared one is never touched)."""

import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest

from reports import integrity
from testkit.http import post_json, post_multipart
from testkit.images import jpeg_bytes
from testkit.private_services import PrivatePostgres
from testkit.processes import ROOT, child_env, free_port, gunicorn, wait_for

pytestmark = [pytest.mark.integration]

REPORTS = 120
CLIENTS = 6
PHOTOS_EVERY = 3  # every third report carries two photos (multipart)


@pytest.fixture
def private_postgres():
    server = PrivatePostgres().init().start()
    yield server
    server.destroy()


def _prepare(database_url: str) -> dict:
    env = child_env(DATABASE_URL=database_url)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True)
    out = subprocess.run(
        [sys.executable, "-m", "testkit.seed", "--observers", str(CLIENTS)], cwd=ROOT, env=env, check=True, capture_output=True
    )
    return json.loads(out.stdout.decode().strip().splitlines()[-1])


def _logical_reports(seed: dict) -> list[dict]:
    items = []
    for i in range(REPORTS):
        payload = {
            "client_uuid": str(uuid.uuid4()),
            "election": seed["election"],
            "station": seed["stations"][i % len(seed["stations"])],
            "category": "carousel_voting",
            "occurred_at": dt.datetime(2021, 1, 10, 3, 30, tzinfo=dt.UTC).isoformat(),
            "description": f"Report {i} filed while the database restarts.",
            "latitude": 43.2527,
            "longitude": 76.9118,
            "accuracy_m": 12.0,
        }
        photos = []
        if i % PHOTOS_EVERY == 0:
            photos = [("photos", f"p{i}-{k}.jpg", "image/jpeg", jpeg_bytes(colour=(i % 255, k * 90, 40))) for k in range(2)]
        items.append({"token": seed["tokens"][i % len(seed["tokens"])], "payload": payload, "photos": photos})
    return items


def test_postgres_restart_during_submissions(private_postgres, tmp_path, record_property):
    database = "elmon_pgrestart"
    seed = _prepare(private_postgres.create_database(database))
    media = tmp_path / "media"
    env = child_env(
        DATABASE_URL=private_postgres.url(database),
        CELERY_BROKER_URL=f"redis://127.0.0.1:{free_port()}/0",  # no pipeline here: intake only
        CONN_MAX_AGE=60,
        DATABASE_CONNECT_TIMEOUT=2,
        MEDIA_ROOT=media,
    )
    items = _logical_reports(seed)
    answers: list[tuple[int, int, bytes, str]] = []  # (item, status, body, error)
    outcome: dict[int, int] = {}
    lock = threading.Lock()
    queue = list(range(REPORTS))

    def client():
        while True:
            with lock:
                if not queue:
                    return
                index = queue.pop(0)
            item = items[index]
            for _ in range(200):  # retries with the same client_uuid
                if item["photos"]:
                    answer = post_multipart(base, "/api/v1/reports/", item["payload"], item["photos"], token=item["token"])
                else:
                    answer = post_json(base, "/api/v1/reports/", item["payload"], token=item["token"])
                with lock:
                    answers.append((index, answer.status, answer.body, answer.error))
                if answer.status in (200, 201):
                    with lock:
                        outcome[index] = answer.status
                    break
                time.sleep(0.25)

    with gunicorn(tmp_path / "gunicorn.log", env=env, workers=2, threads=4) as base:
        threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
        for t in threads:
            t.start()
        wait_for(lambda: len(outcome) >= 20, timeout=120, message="first submissions")
        private_postgres.restart("fast", down_for=2)
        wait_for(lambda: len(outcome) >= 70, timeout=180, message="submissions after the first restart")
        private_postgres.restart("immediate", down_for=2)
        for t in threads:
            t.join(timeout=300)
        assert not any(t.is_alive() for t in threads)

    statuses = Counter(status for _, status, _, _ in answers)
    unclean = [(i, s, b[:300], e) for i, s, b, e in answers if s not in (200, 201, 503)]
    assert not unclean, unclean[:5]
    for _, status, body, _ in answers:
        if status == 503:
            data = json.loads(body)
            assert data["code"] == "service_unavailable" and "Traceback" not in body.decode(), body[:300]
    assert statuses[503] >= 1, "the restarts were not seen by any request; the test proved nothing"
    assert sorted(outcome) == list(range(REPORTS)), "some submissions never succeeded"

    rows = private_postgres.query(
        database,
        "SELECT r.id::text, r.client_uuid::text, r.chain_seq, r.chain_sha256, r.content_sha256, r.received_at, "
        "(SELECT count(*) FROM reports_attachment a WHERE a.report_id = r.id) FROM reports_submission r ORDER BY r.chain_seq",
    )
    by_uuid = Counter(row[1] for row in rows)
    assert len(rows) == REPORTS and max(by_uuid.values()) == 1
    expected_photos = {items[i]["payload"]["client_uuid"]: len(items[i]["photos"]) for i in range(REPORTS)}
    assert {row[1]: row[6] for row in rows} == expected_photos  # no report without its photos

    stored = private_postgres.query(database, "SELECT file FROM reports_attachment")
    on_disk = {str(p.relative_to(media)) for p in media.rglob("*") if p.is_file()} if media.exists() else set()
    assert {f for (f,) in stored} == on_disk  # every photo file exists; none is orphaned

    # The chain has no gap and every link verifies (a half-written intake would break it).
    from monitoring.localtime import format_utc

    previous = integrity.GENESIS
    for seq, row in enumerate(rows, start=1):
        report_id, _, chain_seq, chain_sha, content_sha, received_at, _ = row
        assert chain_seq == seq
        link = integrity.chain_link(
            previous=previous, seq=seq, report_id=report_id, received_at_utc=format_utc(received_at), content_sha256=content_sha
        )
        assert link == chain_sha, f"chain breaks at {seq}"
        previous = link

    replays = Counter(outcome.values())[200]
    record_property("requests", len(answers))
    record_property("status_counts", dict(statuses))
    print(
        f"\nPostgreSQL restarts: {len(answers)} requests for {REPORTS} reports: {dict(statuses)}; "
        f"{replays} retries answered 200 (already stored); {REPORTS} reports, {sum(expected_photos.values())} photos, chain intact"
    )
    assert os.path.isdir(media) and Path(media).exists()
