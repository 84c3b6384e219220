"""What the checklist tests share: the demo's forms loaded for the world's
election, and valid answers and payloads for the counting protocol."""

import datetime as dt
import uuid

from checklists.services.forms import form_load
from testkit.factories import ALMATY

from .conftest import demo_document

CHECKLISTS = "/api/v1/checklists/"

# A counting protocol that adds up: 1000 received = 620 issued + 5 spoiled + 375 unused;
# 618 cast = 8 invalid + 610 votes.
PROTOCOL_FIGURES = {
    "registered_voters": 950,
    "ballots_received": 1000,
    "ballots_issued": 620,
    "ballots_spoiled": 5,
    "ballots_unused": 375,
    "ballots_cast": 618,
    "ballots_invalid": 8,
    "votes_nur_otan": 430,
    "votes_ak_zhol": 70,
    "votes_peoples_party": 55,
    "votes_auyl": 33,
    "votes_adal": 22,
}


def counting_answers(**overrides) -> dict:
    """Answers to the demo's counting form: a clean count, the protocol above."""
    answers = {
        "observers_admitted": True,
        "ballots_shown": True,
        "validity_consistent": True,
        "unauthorized_present": False,
        "unauthorized_interfering": False,
        "figures_changed": False,
        **PROTOCOL_FIGURES,
        "protocol_signed": True,
        "protocol_presigned": False,
        "copy_given": True,
        "protocol_posted": True,
        "assessment": "good",
    }
    answers.update(overrides)
    return {k: v for k, v in answers.items() if v is not None}


def forms_load(election) -> None:
    for name in ("opening", "voting", "closing", "counting"):
        form_load(election=election, document=demo_document(name))


def checklist_payload(world, *, answers=None, form="counting", form_version=1, **overrides) -> dict:
    """A counting protocol filed at the observer's station at 20:40 Almaty time
    on voting day, GPS 30 m from the station."""
    payload = {
        "client_uuid": str(uuid.uuid4()),
        "election": world.election.code,
        "station": world.station.code,
        "form": form,
        "form_version": form_version,
        "answers": counting_answers() if answers is None else answers,
        "occurred_at": dt.datetime(2021, 1, 10, 20, 40, tzinfo=ALMATY).isoformat(),
        "latitude": 43.2527,
        "longitude": 76.9118,
        "accuracy_m": 12.0,
    }
    payload.update(overrides)
    return {k: v for k, v in payload.items() if v is not None}
