"""The pipeline service on the database (embedded SQLite): facts gathered,
results stored, neighbours recomputed, re-runs idempotent, the audit trail."""

import datetime as dt
import random

import pytest

from monitoring.models import Accreditation, Deployment, Election
from monitoring.services import accreditation_set_status, station_registry_changed
from reports.models import Flag, IncidentReport, ReportEvent
from reports.rules import SEVERITY_WEIGHT
from reports.services.pipeline import report_process, report_reprocess
from reports.services.sweeper import reports_sweep_stuck
from reports.services.triage import flag_decide
from testkit.factories import ALMATY, ElectionFactory, make_observer
from testkit.images import photo_with_exif
from tests import filing
from tests.unit.reports.pipeline.conftest import at, pipeline_snapshot

CATEGORIES = [
    ("carousel_voting", "Same group of voters came back a second time."),
    ("group_voting", "A family of four went into one booth together."),
    ("voting_without_id", "Voters were given ballots without showing any document."),
    ("campaigning_at_station", "Posters of one party hang at the entrance."),
    ("video_camera_off", "The CCTV camera above the ballot box is dark."),
    ("unauthorized_persons", "Two men without badges give orders to the commission."),
    ("voter_list_problem", "Residents of building 12 are missing from the list."),
]


def flags_of(report) -> dict:
    return {f.code: f for f in Flag.objects.filter(report_id=report.pk)}


def process(*reports):
    return [report_process(report_id=r.pk) for r in reports]


def reprocess(*reports, actor):
    return [report_reprocess(report_id=r.pk, actor=actor) for r in reports]


def test_an_ordinary_report_is_accepted_with_a_registry_geotag_and_no_flags(world, file_report):
    report = file_report()
    outcome = report_process(report_id=report.pk)

    report.refresh_from_db()
    assert outcome.state == report.state == "accepted"
    assert report.location_source == "device_gps"
    assert report.nearest_station == world.station and report.nearest_station_distance_m < 60
    assert report.geo_region.code == "almaty" and report.geo_district == world.station.district
    assert report.geo_settlement == "Almaty" and report.geo_admin_area == "KZ.02"
    assert flags_of(report) == {}
    assert report.risk_score == 30  # high-severity category, no flags
    assert list(report.events.values_list("action", flat=True)) == ["submitted", "processed"]


def test_gps_in_another_region_is_off_site_and_a_region_mismatch(world, file_report):
    # Claims the Almaty station; the phone is in Nur-Sultan.
    report = file_report(gps=(51.1605, 71.4704, 20.0))
    report_process(report_id=report.pk)

    report.refresh_from_db()
    assert report.geo_region.code == "nur-sultan" and report.nearest_station == world.station_far
    assert report.geo_settlement == "Astana" and report.geo_admin_area == "KZ.05"
    flags = flags_of(report)
    assert set(flags) == {"off_site", "region_mismatch"}
    assert flags["region_mismatch"].explanation.startswith("GPS fix is in Nur-Sultan city (near Astana) but claimed station 02001 is in")
    assert flags["off_site"].params["distance_km"] > 900
    assert report.risk_score == 30 + 30 + 30


def test_the_widest_accepted_accuracy_still_shows_a_fix_in_another_region(world, file_report):
    report = file_report(gps=(51.1605, 71.4704, 50_000.0))
    report_process(report_id=report.pk)

    report.refresh_from_db()
    flags = flags_of(report)
    assert set(flags) == {"off_site", "region_mismatch", "low_gps_accuracy"}
    assert flags["off_site"].params["accuracy_m"] == 250


def test_photo_gps_locates_a_report_without_a_device_fix(world, file_report):
    photo = photo_with_exif(latitude=43.2526, longitude=76.9117, taken_local=dt.datetime(2021, 1, 10, 9, 29), offset="+06:00")
    report = file_report(gps=None, photos=[photo])
    report_process(report_id=report.pk)

    report.refresh_from_db()
    assert report.location_source == "photo_exif"
    assert report.location_latitude == pytest.approx(43.2526, abs=1e-6)
    assert flags_of(report) == {}
    attachment = report.attachments.get()
    assert attachment.exif_taken_at == dt.datetime(2021, 1, 10, 3, 29, tzinfo=dt.UTC)


def test_no_location_at_all_uses_the_station_and_says_so(world, file_report):
    report = file_report(gps=None)
    report_process(report_id=report.pk)
    report.refresh_from_db()
    assert report.location_source == "station" and set(flags_of(report)) == {"no_location"}


def test_photo_taken_elsewhere_and_earlier(world, file_report):
    # Device at the station; the photo carries Talgar's GPS and a capture time two days earlier (Almaty wall clock, no offset).
    photo = photo_with_exif(latitude=43.3034, longitude=77.2403, taken_local=dt.datetime(2021, 1, 8, 9, 0))
    report = file_report(photos=[photo_with_exif(), photo])
    report_process(report_id=report.pk)

    flags = flags_of(report)
    assert set(flags) == {"photo_location_mismatch", "photo_time_mismatch"}
    assert flags["photo_location_mismatch"].params["photo"] == 2
    assert flags["photo_time_mismatch"].params == {
        "photo": 2,
        "taken_at": "2021-01-08 09:00",
        "occurred_at": "2021-01-10 09:30",
        "minutes": 2910,
        "variant": "before",
        "threshold_minutes": 120,
    }


def test_outside_polling_hours_in_aktobe_time(world, file_report):
    # 07:30 on an Almaty (UTC+6) phone is 06:30 in Aktobe (UTC+5, January 2021).
    Deployment.objects.create(observer=world.observer_2, election=world.election, station=world.station_west)
    report = file_report(world.observer_2, station=world.station_west, occurred_at=at(7, 30), gps=(50.2797, 57.2072, 10.0))
    report_process(report_id=report.pk)
    flags = flags_of(report)
    assert set(flags) == {"outside_polling_hours"}
    assert flags["outside_polling_hours"].params["local_time"] == "2021-01-10 06:30"


def test_not_deployed_unless_deployed_to_the_station_or_its_district(world, file_report):
    first = file_report(world.observer_2)
    report_process(report_id=first.pk)
    assert set(flags_of(first)) == {"not_deployed"}

    Deployment.objects.create(observer=world.observer_2, election=world.election, district=world.station.district)
    report_reprocess(report_id=first.pk, actor=world.superuser)
    assert flags_of(first) == {}


def test_late_filing_and_low_accuracy(world, file_report):
    report = file_report(received_after=dt.timedelta(hours=30), gps=(43.2527, 76.9118, 800.0))
    report_process(report_id=report.pk)
    assert set(flags_of(report)) == {"late_filing", "low_gps_accuracy"}


def test_critical_category_escalates_triage_once(world, file_report):
    report = file_report(category="ballot_stuffing", description="A man put a stack of ballots into box 2.")
    report_process(report_id=report.pk)
    report_reprocess(report_id=report.pk, actor=world.superuser)

    report.refresh_from_db()
    assert report.triage_status == "escalated"
    assert set(flags_of(report)) == {"critical_category"}
    assert report.events.filter(action="triage").count() == 1
    assert report.risk_score == 10 * 5 + 10 * 5


# --- Rejections ---


def test_revoked_after_submission_before_processing(world, file_report):
    report = file_report()
    accreditation_set_status(accreditation=world.accreditation, status=Accreditation.Status.REVOKED, reason="test")
    report_process(report_id=report.pk)

    report.refresh_from_db()
    assert report.state == "rejected" and report.risk_score == 0 and flags_of(report) == {}
    assert [r["code"] for r in report.rejection_reasons] == ["accreditation_revoked"]
    assert report.rejection_reasons[0]["params"]["variant"] == "revoked"
    event = report.events.get(action="processed")
    assert (event.from_value, event.to_value) == ("processing", "rejected")


@pytest.mark.parametrize(
    "change, code",
    [
        (lambda w: Accreditation.objects.filter(pk=w.accreditation.pk).delete(), "not_accredited"),
        (lambda w: accreditation_set_status(accreditation=w.accreditation, status="suspended", reason="audit"), "accreditation_revoked"),
        (lambda w: Election.objects.filter(pk=w.election.pk).update(status="closed"), "election_closed"),
        (
            lambda w: type(w.station).objects.filter(pk=w.station.pk).update(election=ElectionFactory(code="kz-other")),
            "station_not_in_election",
        ),
    ],
)
def test_what_changed_between_receipt_and_processing_is_rechecked(world, file_report, change, code):
    report = file_report()
    change(world)
    report_process(report_id=report.pk)
    report.refresh_from_db()
    assert report.state == "rejected"
    assert code in [r["code"] for r in report.rejection_reasons]


def test_incident_times_that_cannot_be_accepted(world, file_report):
    future = file_report(received_after=-dt.timedelta(minutes=20))
    early = file_report(occurred_at=dt.datetime(2020, 12, 1, 10, 0, tzinfo=ALMATY))
    Accreditation.objects.filter(pk=world.accreditation.pk).update(valid_from=dt.datetime(2020, 11, 1, tzinfo=ALMATY))
    process(future, early)
    future.refresh_from_db()
    early.refresh_from_db()
    assert future.rejection_reasons == [{"code": "occurred_in_future", "params": {"minutes": 20, "skew_minutes": 5}}]
    assert [r["code"] for r in early.rejection_reasons] == ["outside_observation_window"]


# --- Cross-report flags ---


def _observers(world, n):
    """`n` observers of one organization (cross-report rules stay within it)."""
    return [world.observer, world.observer_2] + [
        make_observer(world.observer.organization, "observer", f"extra-{i}") for i in range(max(0, n - 2))
    ]


def _accreditation_ends(world, at_time):
    """The organization's accreditation expires at `at_time`: its reports
    after that instant are rejected when (re-)run, the earlier ones stay."""
    Accreditation.objects.filter(organization=world.observer.organization, election=world.election).update(valid_until=at_time)


def test_hotspot_appears_on_every_report_of_the_cluster_and_grows(world, file_report):
    observers = _observers(world, 6)
    reports = []
    for i in range(4):
        category, text = CATEGORIES[i]
        reports.append(file_report(observers[i], category=category, description=text, occurred_at=at(10, 10 * i)))
    process(*reports)
    assert all("hotspot" not in flags_of(r) for r in reports)

    category, text = CATEGORIES[4]
    reports.append(file_report(observers[4], category=category, description=text, occurred_at=at(10, 45)))
    process(reports[-1])
    for r in reports:
        hotspot = flags_of(r)["hotspot"]
        assert hotspot.params["count"] == 5
        assert sorted(hotspot.params["related_reports"]) == sorted(str(o.pk) for o in reports if o.pk != r.pk)
        r.refresh_from_db()
        assert r.risk_score >= 30 + 30  # the neighbour's risk follows its new flag

    category, text = CATEGORIES[5]
    reports.append(file_report(observers[5], category=category, description=text, occurred_at=at(10, 50)))
    process(reports[-1])
    assert {flags_of(r)["hotspot"].params["count"] for r in reports} == {6}


def test_duplicate_is_found_within_the_organization_only(world, file_report):
    mine = file_report(world.observer, description="A man put a stack of ballots into box 2.", category="ballot_stuffing")
    theirs = file_report(
        world.other_observer,
        description="Man stuffed a pack of ballots into ballot box 2",
        category="ballot_stuffing",
        occurred_at=at(9, 41),
    )
    process(mine, theirs)
    # Another organization's telling of the same story is no business of ours, nor ours of theirs.
    assert "duplicate" not in flags_of(mine) and "duplicate" not in flags_of(theirs)
    risk_before = IncidentReport.objects.get(pk=theirs.pk).risk_score

    colleague = file_report(
        world.observer_2, description="Man stuffed a pack of ballots into ballot box 2", category="ballot_stuffing", occurred_at=at(9, 41)
    )
    process(colleague)
    assert flags_of(mine)["duplicate"].params["related_reports"] == [str(colleague.pk)]
    assert flags_of(colleague)["duplicate"].params["related_reports"] == [str(mine.pk)]
    assert "other_organizations" not in flags_of(colleague)["duplicate"].params
    assert "duplicate" not in flags_of(theirs) and IncidentReport.objects.get(pk=theirs.pk).risk_score == risk_before


def test_another_organizations_reports_make_no_hotspot_of_ours(world, file_report):
    ours = [
        file_report(o, category=CATEGORIES[i][0], description=CATEGORIES[i][1], occurred_at=at(12, 5 * i))
        for i, o in enumerate(_observers(world, 4))
    ]
    theirs = file_report(world.other_observer, category=CATEGORIES[4][0], description=CATEGORIES[4][1], occurred_at=at(12, 20))
    process(*ours, theirs)
    assert not any("hotspot" in flags_of(r) for r in [*ours, theirs])
    fifth = file_report(make_observer(world.observer.organization, "observer", "fifth"), occurred_at=at(12, 25))
    process(fifth)
    assert {flags_of(r)["hotspot"].params["count"] for r in [*ours, fifth]} == {5}
    assert "hotspot" not in flags_of(theirs)


def test_impossible_travel_flags_both_reports(world, file_report):
    here = file_report(occurred_at=at(10, 5))
    there = file_report(station=world.station_far, occurred_at=at(10, 40), gps=(51.1801, 71.4460, 15.0))
    process(here, there)
    assert flags_of(here)["impossible_travel"].params["related_reports"] == [str(there.pk)]
    travel = flags_of(there)["impossible_travel"]
    assert travel.params["related_reports"] == [str(here.pk)]
    assert travel.explanation == (
        "The same observer reported from station 02001, 972.7 km away, 35 min apart: 1668 km/h, faster than 150 km/h."
    )


def test_a_correction_at_another_station_is_not_travel(world, file_report):
    wrong = file_report(station=world.station_far, occurred_at=at(10, 5))
    right = file_report(occurred_at=at(10, 5), amends=wrong)
    process(wrong, right)
    assert "impossible_travel" not in flags_of(wrong) and "impossible_travel" not in flags_of(right)


def _cluster(world, file_report):
    observers = _observers(world, 5)
    reports = [
        file_report(observers[i], category=CATEGORIES[i][0], description=CATEGORIES[i][1], occurred_at=at(11, 7 * i)) for i in range(5)
    ]
    reports.append(file_report(world.observer, description="Same group of voters came back a second time.", occurred_at=at(11, 3)))
    reports.append(file_report(world.observer, station=world.station_far, occurred_at=at(11, 20), gps=(51.1801, 71.4460, 15.0)))
    return reports


def test_final_flags_do_not_depend_on_processing_order(world, file_report):
    reports = _cluster(world, file_report)
    ids = [r.pk for r in reports]
    process(*reports)
    first = pipeline_snapshot(ids, timestamps=False)
    assert {code for (_, code) in first["flags"]} >= {"hotspot", "duplicate", "impossible_travel"}

    Flag.objects.filter(report_id__in=ids).delete()
    IncidentReport.objects.filter(pk__in=ids).update(state="received", processing_attempts=0, risk_score=0)
    shuffled = list(reports)
    random.Random(4).shuffle(shuffled)
    process(*shuffled)
    assert pipeline_snapshot(ids, timestamps=False) == first


def test_re_running_changes_nothing_and_adds_no_rows(world, file_report):
    reports = _cluster(world, file_report)
    ids = [r.pk for r in reports]
    process(*reports)
    before = pipeline_snapshot(ids)
    events = ReportEvent.objects.count()

    # A redelivered message finds the work done.
    assert [o.changed for o in process(*reports)] == [False] * len(reports)
    assert pipeline_snapshot(ids) == before and ReportEvent.objects.count() == events

    # A forced re-run recomputes everything and writes nothing new but its audit event.
    reprocess(*reports, actor=world.superuser)
    assert pipeline_snapshot(ids) == before
    assert ReportEvent.objects.count() == events + len(reports)
    assert set(ReportEvent.objects.filter(action="reprocessed").values_list("note", flat=True)) == {"flags unchanged"}


def test_a_rejected_re_run_leaves_the_neighbours_clusters(world, file_report):
    observers = _observers(world, 5)
    reports = [
        file_report(observers[i], category=CATEGORIES[i][0], description=CATEGORIES[i][1], occurred_at=at(12, 5 * i)) for i in range(5)
    ]
    process(*reports)
    assert all("hotspot" in flags_of(r) for r in reports)

    # The accreditation turns out to have ended at 12:17; a coordinator re-runs the 12:20 report.
    _accreditation_ends(world, at(12, 17))
    report_reprocess(report_id=reports[4].pk, actor=world.superuser)
    assert all("hotspot" not in flags_of(r) for r in reports)


# --- Coordinator re-run ---


def test_re_run_after_fixing_the_station_location_is_recorded(world, file_report):
    type(world.station).objects.filter(pk=world.station.pk).update(latitude=43.3500, longitude=76.9500)  # a typo in the registry
    station_registry_changed(election_id=world.election.pk)
    report = file_report()
    report_process(report_id=report.pk)
    assert "off_site" in flags_of(report)

    world.station.refresh_from_db()
    world.station.latitude, world.station.longitude = 43.25249, 76.9115
    world.station.save()  # renews the registry revision: the spatial index rebuilds
    outcome = report_reprocess(report_id=report.pk, actor=world.coordinator.user)

    assert outcome.changed and "off_site" not in flags_of(report)
    event = report.events.get(action="reprocessed")
    assert event.actor == world.coordinator.user
    assert (event.from_value, event.to_value, event.note) == ("accepted", "accepted", "flags: -off_site")


def test_a_cleared_flag_stays_cleared_and_stops_counting(world, file_report):
    report = file_report(gps=(43.2700, 76.9500, 10.0))  # 3.3 km away
    report_process(report_id=report.pk)
    Flag.objects.filter(report=report, code="off_site").update(state=Flag.State.CLEARED, note="commission moved the station")
    report_reprocess(report_id=report.pk, actor=world.coordinator.user)

    report.refresh_from_db()
    assert flags_of(report)["off_site"].state == "cleared"
    assert report.risk_score == 30


def decision_of(report, code) -> tuple:
    flag = Flag.objects.get(report_id=report.pk, code=code)
    return (flag.state, flag.note, flag.decided_by_id, flag.decided_at)


def risk_from_flags(report) -> int:
    """The documented formula, worked out here from the stored rows."""
    counted = Flag.objects.filter(report_id=report.pk).exclude(state="cleared")
    return 10 * SEVERITY_WEIGHT[report.severity] + sum(10 * SEVERITY_WEIGHT[f.severity] for f in counted)


def _move_station(world, latitude, longitude):
    world.station.refresh_from_db()
    world.station.latitude, world.station.longitude = latitude, longitude
    world.station.save()  # renews the registry revision: the spatial index rebuilds


def test_a_decision_keeps_its_note_decider_and_time_while_the_explanation_follows_the_data(world, file_report):
    report = file_report(gps=(43.2700, 76.9500, 10.0))  # 3.3 km away
    report_process(report_id=report.pk)
    off_site = flags_of(report)["off_site"]
    flag_decide(flag_id=off_site.pk, actor=world.coordinator.user, decision="confirm", note="seen from the street")
    decision = decision_of(report, "off_site")

    _move_station(world, 43.2400, 76.9000)  # still kilometres from the fix, by another distance
    report_reprocess(report_id=report.pk, actor=world.coordinator.user)

    again = flags_of(report)["off_site"]
    assert again.pk == off_site.pk and again.explanation != off_site.explanation and again.params != off_site.params
    assert decision_of(report, "off_site") == decision
    assert decision[:3] == ("confirmed", "seen from the street", world.coordinator.user.pk)


def test_a_decided_flag_the_rules_no_longer_raise_is_kept(world, file_report):
    type(world.station).objects.filter(pk=world.station.pk).update(latitude=43.3500, longitude=76.9500)  # a typo in the registry
    station_registry_changed(election_id=world.election.pk)
    report = file_report()
    report_process(report_id=report.pk)
    flag_decide(
        flag_id=flags_of(report)["off_site"].pk, actor=world.coordinator.user, decision="confirm", note="checked by phone: not there"
    )
    decision = decision_of(report, "off_site")

    _move_station(world, 43.25249, 76.9115)  # the typo corrected: the rule no longer fires
    report_reprocess(report_id=report.pk, actor=world.coordinator.user)

    assert decision_of(report, "off_site") == decision
    report.refresh_from_db()
    assert report.risk_score == risk_from_flags(report) == 30 + 30  # a confirmed finding keeps counting
    event = report.events.get(action="reprocessed")
    assert event.note == "flags: no longer raised, kept as decided: off_site (confirmed)"

    # Re-running again changes nothing and adds no rows.
    before, rows = pipeline_snapshot([report.pk]), Flag.objects.count()
    report_reprocess(report_id=report.pk, actor=world.coordinator.user)
    assert pipeline_snapshot([report.pk]) == before and Flag.objects.count() == rows

    # Reopened, it is the rules' again: the next run drops it.
    flag_decide(flag_id=flags_of(report)["off_site"].pk, actor=world.coordinator.user, decision="reopen")
    report_reprocess(report_id=report.pk, actor=world.coordinator.user)
    assert "off_site" not in flags_of(report)


def test_decisions_on_neighbours_survive_the_cluster_refresh(world, file_report):
    observers = _observers(world, 5)
    reports = [
        file_report(observers[i], category=CATEGORIES[i][0], description=CATEGORIES[i][1], occurred_at=at(12, 5 * i)) for i in range(5)
    ]
    process(*reports)
    coordinator = world.coordinator.user
    flag_decide(flag_id=flags_of(reports[0])["hotspot"].pk, actor=coordinator, decision="confirm", note="crowd at the gate")
    flag_decide(flag_id=flags_of(reports[1])["hotspot"].pk, actor=coordinator, decision="clear", note="a normal queue")
    decided = {r.pk: decision_of(r, "hotspot") for r in reports[:2]}

    # The cluster grows: every hotspot is rewritten with the new count, the decisions stay.
    late = file_report(observers[0], category=CATEGORIES[5][0], description=CATEGORIES[5][1], occurred_at=at(12, 22))
    process(late)
    flag_decide(flag_id=flags_of(late)["hotspot"].pk, actor=coordinator, decision="confirm", note="confirmed too")
    for r in reports[:2]:
        assert flags_of(r)["hotspot"].params["count"] == 6 and decision_of(r, "hotspot") == decided[r.pk]

    # The accreditation turns out to have ended at 12:17: re-run, the two later reports are rejected and the cluster falls apart.
    _accreditation_ends(world, at(12, 17))
    reprocess(reports[4], late, actor=world.superuser)
    for r in reports[3:]:
        assert "hotspot" not in flags_of(r)
    for r in reports[:2]:
        assert decision_of(r, "hotspot") == decided[r.pk]
        r.refresh_from_db()
        assert r.risk_score == risk_from_flags(r)
    assert reports[0].risk_score >= 10 * SEVERITY_WEIGHT[reports[0].severity] + 30  # the confirmed hotspot counts
    late.refresh_from_db()
    assert late.state == "rejected" and late.risk_score == 0 and decision_of(late, "hotspot")[0] == "confirmed"

    ids = [r.pk for r in [*reports, late]]
    before, rows = pipeline_snapshot(ids), Flag.objects.count()
    reprocess(*reports, late, actor=world.superuser)
    assert pipeline_snapshot(ids) == before and Flag.objects.count() == rows


def test_a_failed_report_can_be_re_run_by_a_coordinator(world, file_report):
    report = file_report()
    IncidentReport.objects.filter(pk=report.pk).update(state="failed", processing_attempts=5)
    assert report_process(report_id=report.pk).changed is False
    report_reprocess(report_id=report.pk, actor=world.coordinator.user)
    report.refresh_from_db()
    assert report.state == "accepted"
    assert report.events.get(action="reprocessed").from_value == "failed"


# --- Sweeper and failures ---


def test_sweeper_re_enqueues_stuck_reports_and_gives_up_on_exhausted_ones(world, file_report, settings):
    stuck = file_report()
    exhausted = file_report()
    long_ago = at(9, 40)
    IncidentReport.objects.filter(pk=stuck.pk).update(received_at=long_ago)
    IncidentReport.objects.filter(pk=exhausted.pk).update(
        received_at=long_ago, state="processing", processing_started_at=long_ago, processing_attempts=settings.PIPELINE.max_attempts
    )

    assert reports_sweep_stuck() == 1  # embedded mode: the enqueued task runs at once

    stuck.refresh_from_db()
    exhausted.refresh_from_db()
    assert stuck.state == "accepted"
    assert exhausted.state == "failed"
    assert exhausted.events.get(action="pipeline_failed").note.startswith("gave up after 5 attempts")
    assert reports_sweep_stuck() == 0


def test_bad_reference_data_is_recorded_and_ends_failed_not_looping(world, file_report, settings):
    from reports.tasks import process_report

    report = file_report()
    type(world.station.district.region).objects.filter(pk=world.station.district.region_id).update(timezone="Mars/Olympus_Mons")
    for attempt in range(1, settings.PIPELINE.max_attempts + 1):
        result = process_report.apply(args=[str(report.pk)])
        assert result.failed()
        report.refresh_from_db()
        assert (report.state, report.processing_attempts) == ("processing", attempt)
        assert report.last_error == "ZoneInfoNotFoundError (see the worker log)"

    process_report.apply(args=[str(report.pk)])
    report.refresh_from_db()
    assert report.state == "failed"
    assert "ZoneInfoNotFoundError" in report.events.get(action="pipeline_failed").note


def _stored(report_id):
    report = IncidentReport.objects.get(pk=report_id)
    flags = sorted(Flag.objects.filter(report=report).values_list("code", "severity", "explanation", "state"))
    return (report.state, report.risk_score, report.triage_status, report.location_source, report.claimed_station_distance_m, flags)


def test_running_the_pipeline_again_leaves_the_same_state_flags_and_events(world):
    # Off site (Nur-Sultan coordinates for an Almaty station, so in another region),
    # after polls closed, and filed years later.
    report = filing.file_report(world, gps=(51.1801, 71.44598, 12.0), occurred_at=at(21, 30))
    before, events = _stored(report.pk), ReportEvent.objects.filter(report=report).count()
    assert {f[0] for f in before[-1]} == {"off_site", "region_mismatch", "outside_polling_hours", "late_filing"}

    outcome = report_process(report_id=report.pk)

    assert outcome.changed is False
    assert _stored(report.pk) == before
    assert ReportEvent.objects.filter(report=report).count() == events


def test_forced_rerun_recomputes_identically_and_records_who(world):
    report = filing.file_report(world, gps=(51.1801, 71.44598, 12.0))
    before = _stored(report.pk)
    report_reprocess(report_id=report.pk, actor=world.coordinator.user)
    assert _stored(report.pk) == before
    rerun = ReportEvent.objects.get(report=report, action="reprocessed")
    assert rerun.actor == world.coordinator.user


def test_outside_polling_hours_is_judged_in_the_stations_own_zone(world):
    aktobe = {"observer": world.observer, "station": world.station_west, "gps": (50.2797, 57.2072, 12.0)}
    # 07:30 in Aktobe (UTC+5 in 2021) is 08:30 in Almaty: inside hours at the Aktobe station.
    inside = filing.file_report(world, occurred_at=dt.datetime(2021, 1, 10, 2, 30, tzinfo=dt.UTC), **aktobe)
    # 06:30 Aktobe time (01:30 UTC) is before polls open there, though 07:30 in Almaty.
    before_open = filing.file_report(world, occurred_at=dt.datetime(2021, 1, 10, 1, 30, tzinfo=dt.UTC), **aktobe)
    assert not inside.flags.filter(code="outside_polling_hours").exists()
    flag = before_open.flags.get(code="outside_polling_hours")
    assert "06:30" in flag.explanation and "Asia/Aqtobe" in flag.explanation


def test_no_gps_falls_back_to_the_station_and_is_flagged(world):
    report = filing.file_report(world, gps=None)
    assert report.location_source == "station"
    assert list(report.flags.order_by("code").values_list("code", flat=True)) == ["late_filing", "no_location"]
