"""The shared test helpers stay true to the code they stand in for: a report
made by the factory hashes as intake would hash it, a flag explains itself in
the rule's words, a photo's hashes are those of its file, and generated
reports extend their election's hash chain."""

import hashlib

from reports import rules
from reports.models import ChainHead, IncidentReport
from testkit.factories import AttachmentFactory, FlagFactory, IncidentReportFactory, ReportEventFactory, report_content_sha256
from tests.filing import file_report


def test_a_factory_report_has_the_content_hash_intake_gives_the_same_content(world):
    filed = file_report(world, process=False)
    made = IncidentReportFactory.build(
        client_uuid=filed.client_uuid,
        election=world.election,
        station=world.station,
        submitted_by=world.observer,
        latitude=filed.latitude,
        longitude=filed.longitude,
        accuracy_m=filed.accuracy_m,
    )
    assert made.content_sha256 == filed.content_sha256


def test_the_content_hash_of_a_stored_report_with_photos_is_intakes(world):
    filed = file_report(world, photos=2, process=False)
    assert report_content_sha256(filed) == filed.content_sha256
    assert report_content_sha256(filed, description="Nothing happened.") != filed.content_sha256


def test_a_factory_report_belongs_to_its_observers_organization_and_an_election_of_its_station(db):
    report = IncidentReportFactory(accepted=True)
    assert report.organization == report.submitted_by.organization
    assert report.station.election == report.election
    assert report.state == "accepted" and report.geo_district == report.station.district
    assert report.chain_seq is None  # not in the election's chain: file through intake for that


def test_a_factory_flag_explains_itself_in_the_rules_words(db):
    flag = FlagFactory(code="low_gps_accuracy", severity="low", params={"accuracy_m": 900, "threshold_m": 250})
    assert flag.explanation == rules.flag_text("low_gps_accuracy", {"accuracy_m": 900, "threshold_m": 250})
    assert "900" in flag.explanation and flag.raised_at == flag.report.received_at


def test_a_factory_photo_is_a_stored_file_with_its_own_hash(db):
    photo = AttachmentFactory()
    with photo.file.open("rb") as stored:
        data = stored.read()
    assert photo.sha256 == photo.stored_sha256 == hashlib.sha256(data).hexdigest()
    assert photo.size == len(data) and (photo.width, photo.height) == (64, 48)


def test_a_factory_event_is_appended_to_the_trail(db):
    event = ReportEventFactory(note="called the observer")
    assert list(event.report.events.values_list("note", flat=True)) == ["called the observer"]


def test_generated_reports_extend_their_organizations_chains(world, queue_of):
    filed = file_report(world)
    assert queue_of(20) == 20
    heads = ChainHead.objects.filter(election=world.election, kind="incident")
    assert sum(head.seq for head in heads) == filed.chain_seq + 20
    for head in heads:
        last = IncidentReport.objects.get(election=world.election, organization=head.organization, chain_seq=head.seq)
        assert last.chain_sha256 == head.sha256
