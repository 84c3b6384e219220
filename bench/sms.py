"""sms: signed gateway deliveries POSTed to /sms/inbound/ through gunicorn
(config/gunicorn.conf.py) + PostgreSQL + Redis at fixed concurrency, each one
a check-in or an incident of one of N observers (looked up by phone, parsed,
filed through the submit function, its reply queued), against the intake
baseline view on the same server (parse the JSON, insert one row)."""

import datetime as dt
import itertools
import json
import time

from bench.services import Services, child
from bench.traffic import post_load
from sms.signature import sign
from testkit.processes import wait_for_log

SECRET = "bench-sms-secret"
JSON = {"Content-Type": "application/json", "Accept": "application/json"}


def run(services: Services, sizes: dict) -> dict:
    clients, seconds = sizes["sms_clients"], sizes["sms_seconds"]
    env = {**services.database("bench_sms"), "SMS_GATEWAY_SECRET": SECRET, "SMS_OUTBOX_DIR": str(services.work / "sms-outbox")}
    seed = child(env, "sms_seed", observers=clients)
    services.baseline_table("bench_sms")
    web, web_log, port = services.web(env, "gunicorn-sms.log")
    try:
        wait_for_log(web_log, "Booting worker", web)
        time.sleep(2)
        base = f"http://127.0.0.1:{port}"
        messages = _messages(seed)
        post_load(base, "/bench/baseline/", messages, JSON, clients, 2)
        post_load(base, "/sms/inbound/", messages, JSON, clients, 2, ok=(200,))
        baseline = post_load(base, "/bench/baseline/", messages, JSON, clients, seconds)
        ours = post_load(base, "/sms/inbound/", messages, JSON, clients, seconds, ok=(200,))
    finally:
        services.end(web)
    counts = services.pg.query(
        "bench_sms",
        "SELECT (SELECT count(*) FROM sms_inboundmessage), (SELECT count(*) FROM sms_inboundmessage WHERE outcome = 'filed'),"
        " (SELECT count(*) FROM reports_submission WHERE source = 'sms'), (SELECT count(*) FROM sms_outboundmessage)",
    )[0]
    return {
        "clients": clients,
        "seconds": seconds,
        **{key: ours[key] for key in ("per_s", "p50_ms", "p95_ms", "p99_ms", "statuses")},
        **{f"baseline_{key}": baseline[key] for key in ("per_s", "p50_ms", "p95_ms", "statuses")},
        "ratio": round(ours["per_s"] / baseline["per_s"], 3) if baseline["per_s"] else None,
        "messages_stored": counts[0],
        "messages_filed": counts[1],
        "submissions_by_sms": counts[2],
        "replies_queued": counts[3],
        "server": "gunicorn with config/gunicorn.conf.py",
    }


_ids = itertools.count()


def _messages(seed: dict):
    """Client n's endless stream of signed deliveries from its observer's phone:
    arrivals, all-quiet check-ins and incidents in turn, each with a new gateway id."""

    def bodies(n: int):
        phone = seed["phones"][n % len(seed["phones"])]
        texts = itertools.cycle(["A {s}", "Q {s}", "R {s} CV 0930 the same group came back a second time"])
        for i in itertools.count():
            station = seed["stations"][(n + i) % len(seed["stations"])]
            body = json.dumps(
                {
                    "id": f"bench-{n}-{next(_ids)}",
                    "from": phone,
                    "to": "7575",
                    "text": next(texts).format(s=station),
                    "received_at": dt.datetime(2021, 1, 10, 4, i % 60, tzinfo=dt.UTC).isoformat(),
                }
            ).encode()
            yield body, {"X-Signature": sign(body, SECRET)}

    return bodies
