"""Small files that cost a gigabyte: a 4.9 KB PNG of 6,320 × 6,320 one-bit
pixels (40 MPx, under the per-photo cap) decodes into hundreds of megabytes.
Six requests of ten such photos at once, against gunicorn (2 workers × 4
threads) on PostgreSQL, must leave each web process under 300 MB and answer
each request with a 4xx or a stored report. The peak resident set of every
worker (the kernel's VmHWM, read from /proc) is the measure; the photo
decoders the workers start are sampled too and reported."""

import math
import threading
from collections import Counter

import pytest
from django.conf import settings

from roster.tokens import token_issue
from testkit.http import post_multipart
from testkit.images import sparse_png
from testkit.processes import child_env, child_pids, free_port, gunicorn, gunicorn_workers, memory_mb, wait_for
from tests.conftest import report_payload

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

WEB_PROCESS_LIMIT_MB = 300
REQUESTS = 6


class Sampler(threading.Thread):
    """The largest resident set seen of each photo decoder (a child of a worker)
    while the requests run; decoders live for a fraction of a second, so this
    is a lower bound of their peaks."""

    def __init__(self, workers: list[int]):
        super().__init__(daemon=True)
        self.workers = workers
        self.decoders: dict[int, float] = {}
        self.done = threading.Event()

    def run(self):
        while not self.done.wait(0.01):
            for worker in self.workers:
                for pid in child_pids(worker):
                    peak = memory_mb(pid).get("peak", 0)
                    self.decoders[pid] = max(self.decoders.get(pid, 0), peak)


def _at_once(base: str, token: str, world, photos: list[bytes]) -> list:
    barrier = threading.Barrier(REQUESTS)
    answers = [None] * REQUESTS

    def send(i):
        files = [("photos", f"p{n}.png", "image/png", data) for n, data in enumerate(photos)]
        barrier.wait()
        answers[i] = post_multipart(base, "/api/v1/reports/", report_payload(world), files, token=token, timeout=300)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(REQUESTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def _run(world, tmp_path, photos: list[bytes], **settings):
    token = token_issue(user=world.observer.user)[1]
    env = child_env(CELERY_BROKER_URL=f"redis://127.0.0.1:{free_port()}/0", **settings)  # intake only
    with gunicorn(tmp_path / "gunicorn.log", env=env, workers=2, threads=4) as base:
        workers = wait_for(lambda: (w := gunicorn_workers(base)) and len(w) == 2 and w, message="both gunicorn workers")
        sampler = Sampler(workers)
        sampler.start()
        answers = _at_once(base, token, world, photos)
        sampler.done.set()
        sampler.join()
        peaks = {pid: memory_mb(pid)["peak"] for pid in workers}
    return answers, peaks, sampler.decoders


def _report(record_property, name, answers, peaks, decoders):
    statuses = Counter(a.status for a in answers)
    figures = {
        "statuses": dict(statuses),
        "worker_peak_mb": sorted(round(v) for v in peaks.values()),
        "decoders": len(decoders),
        "decoder_peak_mb": round(max(decoders.values(), default=0)),
    }
    record_property(name, figures)
    print(f"\n{name}: {figures}")
    return statuses


def test_six_requests_of_ten_png_bombs_leave_each_web_process_under_300_mb(world, tmp_path, record_property):
    answers, peaks, decoders = _run(world, tmp_path, [sparse_png()] * 10)
    statuses = _report(record_property, "png_bombs", answers, peaks, decoders)
    assert all(400 <= s < 500 or s == 201 for s in statuses), statuses
    assert max(peaks.values()) < WEB_PROCESS_LIMIT_MB, peaks
    # Refused from the headers (too few bytes for so many pixels): nothing was decoded.
    assert statuses == {400: REQUESTS}, [a.body for a in answers]
    assert all("bytes per pixel" in a.json()["photos"][0] for a in answers)
    assert not decoders


def test_bombs_padded_past_the_floor_are_decoded_under_the_memory_cap(world, tmp_path, record_property):
    """The same pixels, padded with a skipped chunk to the bytes-per-pixel floor:
    two per request fit the pixel budget and are decoded, in the capped
    decoder; ten per request do not."""
    padded = sparse_png(pad_to=math.ceil(6320 * 6320 * settings.PHOTO_MIN_BYTES_PER_PIXEL))
    answers, peaks, decoders = _run(world, tmp_path, [padded] * 2)
    statuses = _report(record_property, "padded_bombs", answers, peaks, decoders)
    assert all(400 <= s < 500 or s == 201 for s in statuses), statuses
    assert max(peaks.values()) < WEB_PROCESS_LIMIT_MB, peaks
    assert statuses[201] >= 1, [a.body for a in answers]  # decoded and stored, not merely refused
    assert decoders
