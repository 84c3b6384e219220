"""surge: the opening hour of election day, compressed in time, through the
whole stack (docs/performance.md, "Surge").

Every observer checks in ("arrived", at their own station) within the first
quarter of the hour; incident reports arrive at the day's rate from the whole
territory; and a hot spot: `surge_hotspot` reports of one organization from
one district spread over the hour. The hour is played in `surge_seconds` of
wall time by 16 keep-alive API clients through gunicorn (config/gunicorn.conf.py),
each request sent at its due time (or at once when the clients fall behind),
while one Celery worker with two processes drains the queue and a coordinator
polls the report list and the coverage API.

Recorded per second: submissions answered 201, the broker's queue length and
the submissions not yet in their final state; per incident report: the lag
from its 201 to its final state (accepted or rejected, and no cluster flags
pending), seen by polling the database every POLL seconds (so a lag is an
upper bound within POLL); and the drain time: from the last 201 until nothing
is pending (no submission received or processing, no cluster flag refresh
waiting)."""

import datetime as dt
import http.client
import json
import os
import random
import sys
import threading
import time
import uuid
import zoneinfo

import redis

from bench.services import Services, child, log
from bench.traffic import percentile
from config.queues import queue_names
from testkit.processes import wait_for_log

QUEUE = "bench-surge"
DATABASE = "bench_surge"
ELECTION = "bench-surge"
CLIENTS = 16
POLL = 0.5
ALMATY = zoneinfo.ZoneInfo("Asia/Almaty")
OPENING = dt.datetime(2021, 1, 10, 7, 0, tzinfo=ALMATY)
CATEGORIES = ["carousel_voting", "ballot_stuffing", "intimidation", "video_camera_off", "unauthorized_persons", "station_opened_late"]
WORDS = ["crowd", "queue", "bus", "officials", "box", "camera", "list", "ink", "booth", "door", "police", "leaflets", "van", "car"]
# What is not final yet: submissions being processed or waiting for their cluster's flags.
PENDING = (
    "SELECT id::text FROM reports_submission WHERE election_id = {election}"
    " AND (state IN ('received', 'processing') OR cluster_flags_pending)"
)
REFRESHES = "SELECT count(*) FROM reports_clusterrefresh"


def run(services: Services, sizes: dict) -> dict:
    env = {**services.database(DATABASE), "CELERY_TASK_DEFAULT_QUEUE": QUEUE}
    began = time.monotonic()
    world = child(env, "surge_territory", stations=sizes["surge_stations"], observers=sizes["surge_observers"])
    log(f"surge: territory and {len(world['observers']):,} tokens in {time.monotonic() - began:.1f} s")
    plan = _plan(world, sizes)
    web, web_log, port = services.web(env, "gunicorn-surge.log")
    worker, worker_log = services.spawn(
        [sys.executable, "-m", "celery", "-A", "bench.celery_app", "worker", "--concurrency", "2", "--pool", "prefork",
         "--queues", ",".join(queue_names(QUEUE)), "--loglevel", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        env,
        "worker-surge.log",
    )  # fmt: skip
    load_before = os.getloadavg()
    try:
        wait_for_log(web_log, "Booting worker", web)
        _warm_up(f"127.0.0.1:{port}", world)
        watch = Watch(services, world["election_id"])
        watch.start()
        coordinator = Coordinator(f"127.0.0.1:{port}", world)
        coordinator.start()
        sent = _play(f"127.0.0.1:{port}", plan, sizes["surge_seconds"], watch)
        last_201 = max((s["acked"] for s in sent if s["status"] == 201), default=time.time())
        drained = watch.wait_drained(timeout=sizes["surge_drain_timeout"], worker=worker)
        coordinator.stop()
        watch.stop()
    finally:
        services.end(worker)
        services.end(web)
    if drained is None:
        log(f"surge: not drained; worker log tail:\n{worker_log.read_text()[-2000:]}")
    return _figures(sizes, world, plan, sent, watch, coordinator, last_201, drained, load_before)


def _warm_up(netloc: str, world: dict, timeout: float = 60) -> None:
    """Until both gunicorn processes answer an authenticated read (Django loaded,
    connections open): the hour starts with a ready server."""
    host, port = netloc.split(":")
    deadline, answered = time.monotonic() + timeout, 0
    while answered < 2 * CLIENTS:
        if time.monotonic() > deadline:
            raise TimeoutError("gunicorn did not answer within the warm-up")
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        try:
            conn.request("GET", "/api/v1/me/", headers={"Authorization": f"Token {world['coordinator_token']}"})
            answered += conn.getresponse().status == 200
        except (OSError, http.client.HTTPException):
            time.sleep(0.3)
        finally:
            conn.close()


def _plan(world: dict, sizes: dict) -> list[dict]:
    """Every request of the hour: (due second of the compressed hour, kind, body, client token)."""
    rng = random.Random(2021)
    seconds = sizes["surge_seconds"]
    plan = []
    for observer in world["observers"]:
        at = rng.uniform(0, 900)  # within the first quarter hour
        plan.append(_request("checkin", at, seconds, observer, observer["station"], rng))
    for _ in range(sizes["surge_reports"]):
        observer = rng.choice(world["observers"])
        plan.append(_request("report", rng.uniform(0, 3600), seconds, observer, observer["station"], rng))
    for _ in range(sizes["surge_hotspot"]):
        observer = rng.choice(world["hot_observers"])
        station = rng.choice(world["hot_stations"])
        plan.append(_request("hotspot", rng.uniform(0, 3600), seconds, observer, station, rng))
    plan.sort(key=lambda p: p["due"])
    return plan


def _request(kind: str, at: float, seconds: float, observer: dict, station: dict, rng: random.Random) -> dict:
    occurred = (OPENING + dt.timedelta(seconds=at)).isoformat()
    body = {
        "client_uuid": str(uuid.uuid4()),
        "election": ELECTION,
        "station": station["code"],
        "occurred_at": occurred,
        "latitude": station["latitude"] + rng.uniform(-0.0004, 0.0004),
        "longitude": station["longitude"] + rng.uniform(-0.0004, 0.0004),
        "accuracy_m": 15.0,
    }
    if kind == "checkin":
        body["kind"] = "arrived"
    else:
        category = rng.choice(CATEGORIES)
        body.update(category=category, description=f"{category.replace('_', ' ')} at the station; {rng.choice(WORDS)} {rng.choice(WORDS)}.")
    path = "/api/v1/checkins/" if kind == "checkin" else "/api/v1/reports/"
    return {"kind": kind, "due": at * seconds / 3600, "path": path, "body": json.dumps(body).encode(), "token": observer["token"]}


def _play(netloc: str, plan: list[dict], seconds: float, watch: "Watch") -> list[dict]:
    """CLIENTS threads take the plan in order, each request at its due time."""
    host, port = netloc.split(":")
    lock = threading.Lock()
    queue = iter(plan)
    sent: list[dict] = []
    start = time.time()
    watch.started_at = start

    def client():
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        while True:
            with lock:
                item = next(queue, None)
            if item is None:
                break
            delay = start + item["due"] - time.time()
            if delay > 0:
                time.sleep(delay)
            headers = {"Content-Type": "application/json", "Accept": "application/json", "Authorization": f"Token {item['token']}"}
            began = time.time()
            try:
                conn.request("POST", item["path"], body=item["body"], headers=headers)
                response = conn.getresponse()
                answer = response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(host, int(port), timeout=60)
                status, answer = 0, b""
            acked = time.time()
            record = {
                "kind": item["kind"],
                "status": status,
                "sent": began,
                "acked": acked,
                "behind_s": max(0.0, began - start - item["due"]),
            }
            if status == 201:
                record["id"] = json.loads(answer)["id"]
                watch.acknowledge(record["id"], acked)
            with lock:
                sent.append(record)
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sent


class Watch(threading.Thread):
    """Every POLL seconds: what is still pending in the database and the
    broker's queue length; the time each acknowledged submission was first
    seen final; one sample per second."""

    def __init__(self, services: Services, election_id: int):
        super().__init__(daemon=True)
        self.pg, self.election_id = services.pg, election_id
        self.broker = redis.Redis.from_url(services.redis.url(0))
        self.queue_keys = {name: [name, *(f"{name}\x06\x16{p}" for p in range(1, 10))] for name in queue_names(QUEUE)}
        self.acked: dict[str, float] = {}
        self.final: dict[str, float] = {}
        self.samples: list[dict] = []
        self.started_at = time.time()
        self.pending_now: int | None = None
        self.lock = threading.Lock()
        self.halt = threading.Event()

    def acknowledge(self, pk: str, at: float) -> None:
        with self.lock:
            self.acked[pk] = at

    def run(self) -> None:
        last_sample = 0.0
        while not self.halt.is_set():
            began = time.time()
            with self.lock:
                known = dict(self.acked)
            pending = {row[0] for row in self.pg.query(DATABASE, PENDING.format(election=self.election_id))}
            refreshes = self.pg.query(DATABASE, REFRESHES)[0][0]
            for pk, acked in known.items():
                # Acknowledged before this snapshot began and not pending in it: final.
                if pk not in self.final and pk not in pending and acked < began:
                    self.final[pk] = began
            self.pending_now = len(pending) + refreshes
            if began - last_sample >= 1:
                last_sample = began
                # Every queue of the deployment (config/queues.py) with its priority steps.
                queues = {
                    name.removeprefix(QUEUE).lstrip(".") or "default": sum(self.broker.llen(k) for k in keys)
                    for name, keys in self.queue_keys.items()
                }
                self.samples.append(
                    {
                        "t": round(began - self.started_at, 1),
                        "queue": sum(queues.values()),
                        "queues": queues,
                        "pending": len(pending),
                        "refreshes": refreshes,
                    }
                )
            self.halt.wait(max(0.0, POLL - (time.time() - began)))

    def wait_drained(self, *, timeout: float, worker) -> float | None:
        """The epoch time nothing acknowledged is pending any more (None on timeout)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                done = len(self.final) == len(self.acked)
            if done and self.pending_now == 0:
                return max(self.final.values(), default=time.time())
            if worker.poll() is not None:
                raise RuntimeError("the surge worker exited")
            time.sleep(POLL / 2)
        return None

    def stop(self) -> None:
        self.halt.set()
        self.join(timeout=10)


class Coordinator(threading.Thread):
    """The hot organization's coordinator watching the queue: the report list
    every 2 s, the coverage API every 10 s; server times recorded."""

    def __init__(self, netloc: str, world: dict):
        super().__init__(daemon=True)
        self.host, self.port = netloc.split(":")
        self.token = world["coordinator_token"]
        self.times: dict[str, list[float]] = {"reports": [], "coverage": []}
        self.statuses: dict[str, int] = {}
        self.halt = threading.Event()

    def run(self) -> None:
        conn = http.client.HTTPConnection(self.host, int(self.port), timeout=60)
        headers = {"Accept": "application/json", "Authorization": f"Token {self.token}"}
        n = 0
        while not self.halt.is_set():
            name, path = ("coverage", f"/api/v1/coverage/?election={ELECTION}") if n % 5 == 4 else ("reports", "/api/v1/reports/?limit=50")
            began = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(self.host, int(self.port), timeout=60)
                status = 0
            self.times[name].append(time.perf_counter() - began)
            self.statuses[str(status)] = self.statuses.get(str(status), 0) + 1
            n += 1
            self.halt.wait(2)
        conn.close()

    def stop(self) -> None:
        self.halt.set()
        self.join(timeout=70)


def _figures(sizes, world, plan, sent, watch, coordinator, last_201, drained, load_before) -> dict:
    lags = {"report": [], "hotspot": [], "checkin": []}
    each = []  # [seconds from the start to its 201, lag, kind] of every submission seen final
    for s in sent:
        if s.get("id") in watch.final:
            lags[s["kind"]].append(watch.final[s["id"]] - s["acked"])
            each.append([round(s["acked"] - watch.started_at, 1), round(watch.final[s["id"]] - s["acked"], 1), s["kind"]])
    reports = lags["report"] + lags["hotspot"]
    per_second: dict[int, int] = {}
    for s in sent:
        if s["status"] == 201:
            second = int(s["acked"] - watch.started_at)
            per_second[second] = per_second.get(second, 0) + 1
    statuses: dict[str, int] = {}
    for s in sent:
        statuses[str(s["status"])] = statuses.get(str(s["status"]), 0) + 1
    submitted_s = last_201 - watch.started_at

    def p(values, q):
        return round(percentile(values, q), 2) if values else None

    samples = watch.samples
    return {
        "observers": sizes["surge_observers"],
        "stations": world["stations"],
        "hotspot_reports": sizes["surge_hotspot"],
        "hotspot_district_stations": len(world["hot_stations"]),
        "background_reports": sizes["surge_reports"],
        "checkins": sizes["surge_observers"],
        "hour_played_in_s": sizes["surge_seconds"],
        "clients": CLIENTS,
        "worker": "one celery worker, --concurrency 2 (prefork), consuming every queue (config/queues.py), CLUSTER_REFRESH_DEBOUNCE_SECONDS at its default",
        "requests": len(plan),
        "statuses": statuses,
        "submitting_s": round(submitted_s, 1),
        "submissions_per_s": round(sum(per_second.values()) / submitted_s, 1) if submitted_s > 0 else None,
        "client_behind_max_s": round(max((s["behind_s"] for s in sent), default=0), 1),
        "lag_p50_s": p(reports, 50),
        "lag_p95_s": p(reports, 95),
        "lag_max_s": round(max(reports), 2) if reports else None,
        "lag_hotspot_p95_s": p(lags["hotspot"], 95),
        "lag_elsewhere_p95_s": p(lags["report"], 95),
        "lag_checkin_p95_s": p(lags["checkin"], 95),
        "reports_final": len(reports),
        "drain_s": round(drained - last_201, 1) if drained else None,
        "drained": drained is not None,
        "queue_max": max((x["queue"] for x in samples), default=0),
        "pending_max": max((x["pending"] for x in samples), default=0),
        "coordinator_reports_p95_ms": round(percentile(coordinator.times["reports"], 95) * 1000) if coordinator.times["reports"] else None,
        "coordinator_coverage_p95_ms": round(percentile(coordinator.times["coverage"], 95) * 1000)
        if coordinator.times["coverage"]
        else None,
        "coordinator_statuses": coordinator.statuses,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "per_second": {"submissions": [per_second.get(i, 0) for i in range(int(submitted_s) + 1)], "samples": samples},
        "lags": sorted(each),
        "ratio": None,
    }


def surge_territory(stations: int, observers: int) -> dict:
    """(child) The election with its stations and observers (once), an API
    token for every observer and for one coordinator of the hot organization,
    and the hot spot: the largest district's stations."""
    from collections import Counter

    from bench.territory import build_territory
    from monitoring.models import Deployment, Observer
    from roster.tokens import token_issue

    territory = build_territory(election_code=ELECTION, stations=stations, observers=observers)
    election = territory.election
    by_id = {s.pk: s for s in territory.stations}

    def where(station) -> dict:
        return {"code": station.code, "latitude": station.latitude, "longitude": station.longitude}

    posts = dict(Deployment.objects.filter(election=election).values_list("observer_id", "station_id"))
    people = []
    for observer in Observer.objects.filter(pk__in=posts).select_related("user").order_by("pk"):
        people.append(
            {
                "token": token_issue(user=observer.user)[1],
                "station": where(by_id[posts[observer.pk]]),
                "organization": observer.organization_id,
            }
        )
    hot_organization = people[0]["organization"]
    district = Counter(s.district_id for s in territory.stations).most_common(1)[0][0]
    coordinator = Observer.objects.filter(organization_id=hot_organization, role=Observer.Role.COORDINATOR).select_related("user").first()
    return {
        "election_id": election.pk,
        "stations": len(territory.stations),
        "observers": people,
        "hot_observers": [p for p in people if p["organization"] == hot_organization],
        "hot_stations": [where(s) for s in territory.stations if s.district_id == district],
        "coordinator_token": token_issue(user=coordinator.user)[1],
    }
