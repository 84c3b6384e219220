"""Validation reasons on plain facts, and their texts."""

import dataclasses
import datetime as dt
import zoneinfo

import pytest
from django.utils import translation

from reports import validation
from reports.validation import AccreditationFacts, ValidationFacts

ALMATY = zoneinfo.ZoneInfo("Asia/Almaty")
INCIDENT = dt.datetime(2021, 1, 10, 9, 30, tzinfo=ALMATY)
ACTIVE = AccreditationFacts("active", dt.datetime(2020, 12, 10, tzinfo=ALMATY), dt.datetime(2021, 1, 31, tzinfo=ALMATY))


def facts(**overrides) -> ValidationFacts:
    values = dict(
        occurred_at=INCIDENT,
        received_at=INCIDENT + dt.timedelta(minutes=3),
        election_code="kz-majilis-2021",
        election_status="open",
        observation_starts_at=dt.datetime(2020, 12, 10, tzinfo=ALMATY),
        observation_ends_at=None,
        station_code="02001",
        station_in_election=True,
        accreditations=(ACTIVE,),
        clock_skew_seconds=300,
    )
    values.update(overrides)
    return ValidationFacts(**values)


def reasons(f) -> list[dict]:
    return [r.as_json() for r in validation.validate(f)]


def test_a_valid_report_has_no_reasons():
    assert reasons(facts()) == []


def test_not_accredited():
    assert reasons(facts(accreditations=())) == [{"code": "not_accredited", "params": {}}]


@pytest.mark.parametrize(
    "accreditation, variant, date",
    [
        (
            dataclasses.replace(ACTIVE, status="revoked", revoked_at=dt.datetime(2021, 1, 10, 12, tzinfo=ALMATY)),
            "revoked",
            "2021-01-10 06:00 UTC",
        ),
        (
            dataclasses.replace(ACTIVE, status="suspended", revoked_at=dt.datetime(2021, 1, 9, 6, tzinfo=ALMATY)),
            "suspended",
            "2021-01-09 00:00 UTC",
        ),
        (dataclasses.replace(ACTIVE, valid_from=dt.datetime(2021, 1, 10, 12, tzinfo=ALMATY)), "not_yet_valid", "2021-01-10 06:00 UTC"),
        (dataclasses.replace(ACTIVE, valid_until=dt.datetime(2021, 1, 10, 9, tzinfo=ALMATY)), "expired", "2021-01-10 03:00 UTC"),
    ],
)
def test_accreditation_revoked_says_why(accreditation, variant, date):
    assert reasons(facts(accreditations=(accreditation,))) == [
        {"code": "accreditation_revoked", "params": {"variant": variant, "date": date}}
    ]


def test_a_current_accreditation_next_to_a_revoked_one_is_enough():
    revoked = dataclasses.replace(ACTIVE, status="revoked", revoked_at=dt.datetime(2021, 1, 1, tzinfo=ALMATY))
    assert reasons(facts(accreditations=(revoked, ACTIVE))) == []


def test_station_not_in_election():
    assert reasons(facts(station_in_election=False)) == [
        {"code": "station_not_in_election", "params": {"station": "02001", "election": "kz-majilis-2021"}}
    ]


def test_occurred_in_future_compares_with_receipt_and_allows_clock_skew():
    received = INCIDENT
    assert reasons(facts(received_at=received - dt.timedelta(seconds=300))) == []
    result = reasons(facts(received_at=received - dt.timedelta(seconds=301)))
    assert result == [{"code": "occurred_in_future", "params": {"minutes": 6, "skew_minutes": 5}}]


def test_outside_observation_window_before_and_after():
    longer = dataclasses.replace(ACTIVE, valid_from=dt.datetime(2020, 11, 1, tzinfo=ALMATY))
    early = reasons(facts(occurred_at=dt.datetime(2020, 12, 9, 23, tzinfo=ALMATY), accreditations=(longer,)))
    assert early == [{"code": "outside_observation_window", "params": {"variant": "before", "date": "2020-12-09 18:00 UTC"}}]
    ends = dt.datetime(2021, 1, 10, 9, 0, tzinfo=ALMATY)
    late = reasons(facts(observation_ends_at=ends))
    assert late == [{"code": "outside_observation_window", "params": {"variant": "after", "date": "2021-01-10 03:00 UTC"}}]


def test_election_closed():
    assert reasons(facts(election_status="closed")) == [{"code": "election_closed", "params": {}}]


def test_all_reasons_are_reported_together():
    codes = [r["code"] for r in reasons(facts(election_status="closed", accreditations=(), station_in_election=False))]
    assert codes == ["election_closed", "not_accredited", "station_not_in_election"]


@pytest.mark.parametrize(
    "reason, text",
    [
        ({"code": "not_accredited", "params": {}}, "Your organization is not accredited to observe this election."),
        (
            {"code": "accreditation_revoked", "params": {"variant": "revoked", "date": "2021-01-10 06:00 UTC"}},
            "Your organization's accreditation for this election was revoked on 2021-01-10 06:00 UTC.",
        ),
        (
            {"code": "accreditation_revoked", "params": {"variant": "expired", "date": "2021-01-10 03:00 UTC"}},
            "Your organization's accreditation had expired when the incident occurred (valid until 2021-01-10 03:00 UTC).",
        ),
        (
            {"code": "accreditation_revoked", "params": {"variant": "suspended"}},
            "Your organization's accreditation was not valid for this report.",
        ),
        (
            {"code": "occurred_in_future", "params": {"minutes": 6, "skew_minutes": 5}},
            "The incident time is 6 minutes after the report was received (more than the 5 minutes a phone clock may drift); "
            "check the phone's clock.",
        ),
        (
            {"code": "outside_observation_window", "params": {"variant": "before", "date": "2020-12-09 18:00 UTC"}},
            "The incident time is before the election's observation window opened (2020-12-09 18:00 UTC).",
        ),
        ({"code": "mystery", "params": {}}, "mystery"),
    ],
)
def test_reason_text(reason, text):
    assert validation.reason_text(reason) == text


def test_every_reason_text_is_a_lazy_translation_with_no_english_parameters():
    # The whole sentence goes through gettext; params hold codes, numbers and dates only.
    for template in [*validation.REASON_TEXT.values(), *validation.REASON_VARIANT_TEXT.values()]:
        assert type(template).__name__ == "__proxy__"
    assert "{status}" not in str(validation.REASON_TEXT["accreditation_revoked"])
    with translation.override("ru"):
        assert validation.reason_text({"code": "election_closed"})  # renders in any active language
