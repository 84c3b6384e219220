"""The rules against a labelled set of realistic reports (tests/data/): every
report goes through intake and the pipeline, in a shuffled order, and the
flags raised are compared with the labels. Precision and recall per rule must
be at least 0.95 (see tests/data/make_labelled_set.py for how the set is built)."""

import datetime as dt
import json
import random
import uuid
from collections import Counter
from pathlib import Path

import pytest

from monitoring.demo import load_regions
from monitoring.models import Accreditation, Deployment, District, Election, ObserverOrganization, PollingStation
from reports import rules
from reports.models import Flag, IncidentCategory, IncidentReport
from reports.services.pipeline import report_process
from reports.taxonomy import taxonomy_sync
from testkit.factories import make_observer
from testkit.images import photo_with_exif
from tests.data.make_labelled_set import OUTPUT, build, dumps
from tests.filing import file_report

MINIMUM = 0.95
# Fewer positives than this and a rule's precision/recall would say little.
MIN_POSITIVES = 7


@pytest.fixture(scope="module")
def labelled() -> dict:
    return json.loads(Path(OUTPUT).read_text(encoding="utf-8"))


def test_the_labelled_set_is_large_enough_and_reproducible(labelled):
    assert len(labelled["reports"]) >= 200
    assert dumps(build()) == Path(OUTPUT).read_text(encoding="utf-8"), "regenerate: python -m tests.data.make_labelled_set"


def _load_world(data: dict):
    taxonomy_sync(IncidentCategory)
    regions = load_regions()
    e = data["election"]
    election = Election.objects.create(
        code=e["code"],
        name="Labelled set",
        voting_day=dt.date.fromisoformat(e["voting_day"]),
        polls_open=dt.time.fromisoformat(e["polls_open"]),
        polls_close=dt.time.fromisoformat(e["polls_close"]),
        observation_starts_at=dt.datetime.fromisoformat(e["observation_starts_at"]),
    )
    districts = {}
    for s in data["stations"]:
        if s["district"] not in districts:
            districts[s["district"]] = District.objects.create(region=regions[s["region"]], code=s["district"], name_en=s["settlement"])
    PollingStation.objects.bulk_create(
        PollingStation(
            election=election,
            code=s["code"],
            name=f"Polling station No. {s['code']}",
            settlement=s["settlement"],
            district=districts[s["district"]],
            latitude=s["latitude"],
            longitude=s["longitude"],
        )
        for s in data["stations"]
    )
    stations = {s.code: s for s in PollingStation.objects.filter(election=election).select_related("district__region")}
    organizations = {}
    for key, o in data["organizations"].items():
        organizations[key] = ObserverOrganization.objects.create(name=o["name"])
        Accreditation.objects.create(
            organization=organizations[key],
            election=election,
            number=f"L-{key}",
            valid_from=dt.datetime.fromisoformat(o["valid_from"]),
            valid_until=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
        )
    observers = {}
    for key, o in data["observers"].items():
        observers[key] = make_observer(organizations[o["organization"]], "observer", key)
        for d in o["deployments"]:
            Deployment.objects.create(
                observer=observers[key],
                election=election,
                station=stations[d["station"]] if "station" in d else None,
                district=districts[d["district"]] if "district" in d else None,
            )
    return election, stations, observers


def _photo(p: dict) -> bytes:
    return photo_with_exif(
        latitude=p["latitude"], longitude=p["longitude"], taken_local=dt.datetime.fromisoformat(p["taken_local"]), offset=p["offset"]
    )


def _file_all(data, election, stations, observers) -> dict:
    ids = {}
    for r in data["reports"]:
        gps = r["gps"]
        report = file_report(
            observer=observers[r["observer"]],
            election=election,
            station=stations[r["station"]],
            category=r["category"],
            occurred_at=dt.datetime.fromisoformat(r["occurred_at"]),
            description=r["description"],
            gps=(gps["latitude"], gps["longitude"], gps.get("accuracy_m")) if gps else None,
            photos=[_photo(p) for p in r["photos"]],
            amends=IncidentReport.objects.get(pk=ids[r["amends"]]) if r["amends"] else None,
            client_uuid=uuid.uuid5(uuid.NAMESPACE_URL, r["key"]),
            received_at=dt.datetime.fromisoformat(r["received_at"]),  # the story says when it arrived
            process=False,
        )
        ids[r["key"]] = report.pk
    return ids


def precision_recall(expected: dict[str, set], raised: dict[str, set], code: str) -> tuple[int, int, int, float, float]:
    tp = sum(1 for k in expected if code in expected[k] and code in raised[k])
    fp = sum(1 for k in expected if code not in expected[k] and code in raised[k])
    fn = sum(1 for k in expected if code in expected[k] and code not in raised[k])
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return tp, fp, fn, precision, recall


@pytest.mark.django_db
def test_precision_and_recall_of_every_rule_on_the_labelled_set(labelled, capsys):
    election, stations, observers = _load_world(labelled)
    ids = _file_all(labelled, election, stations, observers)
    order = list(ids.values())
    random.Random(2021).shuffle(order)
    for report_id in order:
        report_process(report_id=report_id)

    reports = {r.pk: r for r in IncidentReport.objects.filter(pk__in=order)}
    raised = {key: set() for key in ids}
    by_pk = {pk: key for key, pk in ids.items()}
    for report_id, code in Flag.objects.filter(report_id__in=order).values_list("report_id", "code"):
        raised[by_pk[report_id]].add(code)
    expected = {r["key"]: set(r["expected_flags"]) for r in labelled["reports"]}
    stories = {r["key"]: r["story"] for r in labelled["reports"]}

    # Validation: the state and reasons are exact.
    for r in labelled["reports"]:
        report = reports[ids[r["key"]]]
        assert report.state == r["expected_state"], (r["key"], r["story"], report.rejection_reasons)
        assert sorted(x["code"] for x in report.rejection_reasons) == sorted(r["expected_rejections"]), r["key"]

    lines = [f"{'rule':<24} {'positives':>9} {'TP':>4} {'FP':>4} {'FN':>4} {'precision':>9} {'recall':>7}"]
    failures = []
    # The labelled set is of incident reports: the checklist rules have their
    # own tests (tests/unit/checklists/test_checklist_flags.py).
    checklist_codes = {rule.__name__ for rule in rules.CHECKLIST_RULES}
    for code in sorted(set(rules.FLAG_TEXT) - checklist_codes):
        tp, fp, fn, precision, recall = precision_recall(expected, raised, code)
        lines.append(f"{code:<24} {tp + fn:>9} {tp:>4} {fp:>4} {fn:>4} {precision:>9.3f} {recall:>7.3f}")
        if tp + fn < MIN_POSITIVES or precision < MINIMUM or recall < MINIMUM:
            failures.append(code)
    misses = [
        f"{key} [{stories[key]}]: expected {sorted(expected[key])}, raised {sorted(raised[key])}"
        for key in sorted(expected)
        if expected[key] != raised[key]
    ]
    table = "\n".join(lines)
    with capsys.disabled():
        print(
            f"\nlabelled set: {len(expected)} reports, {sum(Counter(c for v in expected.values() for c in v).values())} expected flags\n{table}"
        )
        if misses:
            print("disagreements:\n  " + "\n  ".join(misses))
    assert not failures, f"rules below {MINIMUM} (or with fewer than {MIN_POSITIVES} positives): {failures}\n{table}"
