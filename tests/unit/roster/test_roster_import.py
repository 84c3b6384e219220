"""The roster import (roster.importing) through its command and its service:
idempotency, every refusal with its line and column, plans with shifts,
deactivation, and the import's speed figure (not asserted)."""

import datetime as dt
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from monitoring.models import Deployment, Observer
from roster.importing import roster_import
from roster.models import RosterEntry
from roster.rows import COLUMNS, RosterFileError

HEADER = ",".join(COLUMNS)
ALICE = "A-1,Aigerim Nurlanova,+7 701 555 0101,aigerim@example.org,kk,observer,02001 05001,,07:00 14:00,14:00 21:00"
BORIS = "A-2,Boris Kim,8 701 555 0102,,ru,observer,05001,,07:00,21:00"
MOBILE = "A-3,Dana Omarova,+77015550103,,en,observer,,almaty,,"
CHIEF = "A-4,Zhanna Serikbayeva,+7 701 555 0104,,ru,coordinator,,,,"


def csv_text(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


def run(world, text: str, **kwargs):
    return roster_import(organization=world.observer.organization, election=world.election, lines=io.StringIO(text), **kwargs)


def problems_of(world, text: str) -> list[str]:
    with pytest.raises(RosterFileError) as refused:
        run(world, text)
    return [str(p) for p in refused.value.problems]


def test_import_creates_people_plan_and_roles_and_a_second_run_changes_nothing(world):
    summary = run(world, csv_text(ALICE, BORIS, MOBILE, CHIEF))
    assert (summary.created, summary.updated, summary.unchanged) == (4, 0, 0)
    alice = RosterEntry.objects.select_related("observer__user").get(external_id="A-1")
    assert alice.phone == "+77015550101" and alice.language == "kk" and alice.observer.role == "observer"
    # The user holds no personal data and no usable password: the phone gets in with a code.
    user = alice.observer.user
    assert user.username == alice.observer.public_code.lower() and not user.first_name and not user.email
    assert not user.has_usable_password() and not user.is_staff
    plan = list(Deployment.objects.filter(observer=alice.observer).order_by("position"))
    assert [(d.station.code, d.position, d.shift_start, d.shift_end) for d in plan] == [
        ("02001", 0, dt.time(7), dt.time(14)),
        ("05001", 1, dt.time(14), dt.time(21)),
    ]
    mobile = Deployment.objects.get(observer__roster_entry__external_id="A-3")
    assert mobile.region.code == "almaty" and mobile.station is None
    chief = Observer.objects.get(roster_entry__external_id="A-4")
    assert chief.role == "coordinator" and chief.user.is_staff and chief.user.groups.get().name == "Coordinators"
    assert not Deployment.objects.filter(observer=chief).exists()

    again = run(world, csv_text(ALICE, BORIS, MOBILE, CHIEF))
    assert str(again) == "0 created, 0 updated, 4 unchanged"
    assert RosterEntry.objects.count() == 4 and Deployment.objects.filter(observer__roster_entry__isnull=False).count() == 4


def test_command_reports_counts_and_refuses_with_every_problem(world, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(csv_text(ALICE, BORIS), encoding="utf-8")
    out = io.StringIO()
    call_command("import_observers", str(path), organization="Civic Observers", election=world.election.code, stdout=out)
    assert "2 created, 0 updated, 0 unchanged" in out.getvalue()
    call_command("import_observers", str(path), organization="Civic Observers", election=world.election.code, stdout=out)
    assert "0 created, 0 updated, 2 unchanged" in out.getvalue()
    path.write_text(csv_text(ALICE, "A-9,X,+77015550109,,de,observer,,,,", "A-10,Y,+77015550110,,ru,boss,,,,"), encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        call_command("import_observers", str(path), organization="Civic Observers", election=world.election.code)
    assert "line 3: language: must be one of kk, ru, en" in str(refused.value)
    assert "line 4: role: must be one of observer, coordinator, auditor" in str(refused.value)
    assert RosterEntry.objects.count() == 2


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("A-5,Somebody,+77015550105,,ru,observer,99999,,,", "line 3: stations: unknown station 99999 in this election"),
        ("A-1,Somebody,+77015550105,,ru,observer,,,,", "line 3: external_id: duplicate of line 2"),
        ("A-5,Somebody,+7 701 555 0101,,ru,observer,,,,", "line 3: phone: duplicate of line 2"),
        ("A-5,Somebody,12345,,ru,observer,,,,", "line 3: phone: not a valid phone number (numbers without +country code are read as KZ)"),
        ("A-5,Somebody,+77015550105,,fr,observer,,,,", "line 3: language: must be one of kk, ru, en"),
        ("A-5,Somebody,+77015550105,,ru,king,,,,", "line 3: role: must be one of observer, coordinator, auditor"),
        ("A-5,,+77015550105,,ru,observer,,,,", "line 3: full_name: is empty"),
        ("A-5,Somebody,+77015550105,not-an-email,ru,observer,,,,", "line 3: email: not an e-mail address"),
        ("A-5,Somebody,+77015550105,,ru,observer,,atlantis,,", "line 3: region: unknown region"),
        ("A-5,Somebody,+77015550105,,ru,observer,02001,,7am,14:00", "line 3: shift_start: times are HH:MM, e.g. 07:00"),
        ("A-5,Somebody,+77015550105,,ru,observer,02001,,07:00,", "line 3: shift_end: give both shift_start and shift_end, or neither"),
        (
            "A-5,Somebody,+77015550105,,ru,observer,02001 05001,,07:00 08:00 09:00,21:00",
            "line 3: shift_start: give one time, or one per station (2)",
        ),
        ("A-5,Somebody,+77015550105,,ru,observer,02001,,07:00,07:00", "line 3: shift_end: a shift cannot end when it starts"),
        ("A-5,Somebody,+77015550105,,ru,observer,02001 02001,,,", "line 3: stations: a station is listed twice"),
        (
            "A-5,Somebody,+77015550105,,ru,observer,02001,almaty,,",
            "line 3: region: a region is only for a mobile team (leave stations empty)",
        ),
        ("A-5,Somebody,+77015550105,,ru,observer,02001,,,,extra", "line 3: (row): more cells than columns"),
    ],
)
def test_each_bad_row_refuses_the_whole_file_naming_line_and_column(world, row, expected):
    assert problems_of(world, csv_text(ALICE, row)) == [expected]
    assert not RosterEntry.objects.exists() and not get_user_model().objects.filter(username__startswith="obs-").exists()


def test_a_phone_of_another_organizations_observer_is_refused(world):
    roster_import(organization=world.other_observer.organization, election=world.election, lines=io.StringIO(csv_text(ALICE)))
    assert problems_of(world, csv_text(BORIS, "A-7,Someone,+7 701 555 0101,,ru,observer,,,,")) == [
        "line 3: phone: belongs to an active observer of another organization"
    ]


def test_a_phone_kept_by_an_observer_absent_from_the_file_is_refused_but_phones_may_swap(world):
    run(world, csv_text(ALICE, BORIS))
    assert problems_of(world, csv_text("A-8,New Person,+7 701 555 0101,,ru,observer,,,,")) == [
        "line 2: phone: already the phone of another observer of the organization (not in this file)"
    ]
    swapped = csv_text(ALICE.replace("+7 701 555 0101", "+77015550102"), BORIS.replace("8 701 555 0102", "+77015550101"))
    summary = run(world, swapped)
    assert summary.updated == 2 and {c.fields for c in summary.changes} == {("phone",)}
    assert RosterEntry.objects.get(external_id="A-1").phone == "+77015550102"


def test_missing_observers_are_left_alone_unless_deactivate_missing_and_never_deleted(world, client):
    run(world, csv_text(ALICE, BORIS))
    boris = Observer.objects.select_related("user").get(roster_entry__external_id="A-2")
    assert str(run(world, csv_text(ALICE))) == "0 created, 0 updated, 1 unchanged"
    boris.refresh_from_db()
    assert boris.user.is_active

    summary = run(world, csv_text(ALICE), deactivate_missing=True)
    assert str(summary) == "0 created, 0 updated, 1 unchanged, 1 deactivated"
    boris.user.refresh_from_db()
    entry = RosterEntry.objects.get(external_id="A-2")
    assert not boris.user.is_active and not entry.active and Observer.objects.filter(pk=boris.pk).exists()
    # Back in a later file: active again, with the same observer (and its reports).
    back = run(world, csv_text(ALICE, BORIS))
    assert back.updated == 1 and back.changes[0].fields == ("active",)
    assert Observer.objects.get(roster_entry__external_id="A-2").pk == boris.pk


def test_changes_are_reported_field_by_field_and_the_plan_is_replaced(world):
    run(world, csv_text(ALICE, BORIS))
    moved = "A-1,Aigerim Nurlanova,+7 701 555 0101,aigerim@example.org,ru,coordinator,13001,,07:00,14:00"
    summary = run(world, csv_text(moved, BORIS))
    assert [(c.external_id, c.fields) for c in summary.changes] == [("A-1", ("language", "role", "plan"))]
    alice = Observer.objects.get(roster_entry__external_id="A-1")
    assert alice.role == "coordinator" and alice.user.is_staff
    assert list(Deployment.objects.filter(observer=alice).values_list("station__code", "shift_start", "shift_end")) == [
        ("13001", dt.time(7), dt.time(14))
    ]


def test_dry_run_counts_and_writes_nothing(world):
    summary = run(world, csv_text(ALICE, BORIS), dry_run=True)
    assert str(summary) == "2 created, 0 updated, 0 unchanged (dry run: nothing written)"
    assert not RosterEntry.objects.exists() and not Deployment.objects.filter(observer__roster_entry__isnull=False).exists()


def test_a_file_that_plans_stations_needs_an_election(world):
    with pytest.raises(RosterFileError) as refused:
        roster_import(organization=world.observer.organization, election=None, lines=io.StringIO(csv_text(ALICE)))
    assert [str(p) for p in refused.value.problems] == ["line 2: stations: the file plans stations: name the election (--election)"]
    summary = roster_import(organization=world.observer.organization, election=None, lines=io.StringIO(csv_text(CHIEF)))
    assert summary.created == 1


def test_a_file_without_the_required_columns_is_refused_on_line_1(world):
    assert problems_of(world, "external_id,full_name\nA-1,X\n") == [
        f"line 1: {c}: missing column; expected {HEADER}" for c in ("phone", "language", "role")
    ]
