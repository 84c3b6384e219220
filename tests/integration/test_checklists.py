"""Checklists on real components: over HTTP (gunicorn) into PostgreSQL,
through Redis to a real Celery worker. Idempotent and refused exactly like
reports; the worker raises each checklist flag (`checklist_critical`,
`results_arithmetic`, `turnout_over_100`, `results_conflict`) and the location
flags (`off_site`, `no_location`, `low_gps_accuracy`, `not_deployed`), with
their explanations."""

import pytest

from checklists.models import FiledAnswers
from monitoring.models import Election
from reports.models import Checklist, Submission, in_triage_queue
from testkit.http import post_json
from testkit.processes import gunicorn
from tests.conftest import REPORTS, report_payload
from tests.integration.submissions import flags, processed, tokens
from tests.unit.checklists.filing import CHECKLISTS, checklist_payload, counting_answers, forms_load

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]



def test_a_checklist_is_idempotent_and_refused_like_a_report(world, celery_worker, tmp_path):
    forms_load(world.election)
    token = tokens(world, "observer", "revoked_observer", "unaccredited_observer", "auditor")
    with gunicorn(tmp_path / "gunicorn.log") as base:
        payload = checklist_payload(world)
        first = post_json(base, CHECKLISTS, payload, token=token["observer"])
        again = post_json(base, CHECKLISTS, payload, token=token["observer"])
        assert (first.status, again.status) == (201, 200), first.body
        assert again.json()["id"] == first.json()["id"]
        changed = post_json(base, CHECKLISTS, {**payload, "answers": counting_answers(votes_adal=21)}, token=token["observer"])
        assert changed.status == 409 and changed.json()["submission"] == first.json()["id"]
        wrong = post_json(
            base, CHECKLISTS, checklist_payload(world, answers=counting_answers(ballots_cast=-3, extra=1)), token=token["observer"]
        )
        assert wrong.status == 400 and set(wrong.json()["answers"]) == {"ballots_cast", "extra"}

        for who, code in [
            ("revoked_observer", "accreditation_revoked"),
            ("unaccredited_observer", "not_accredited"),
            ("auditor", "not_an_observer"),
        ]:
            refused = post_json(base, CHECKLISTS, checklist_payload(world), token=token[who])
            as_report = post_json(base, REPORTS, report_payload(world), token=token[who])
            assert (refused.status, refused.json()["code"]) == (as_report.status, as_report.json()["code"]) == (403, code)

        Election.objects.filter(pk=world.election.pk).update(status=Election.Status.CLOSED)
        closed = post_json(base, CHECKLISTS, checklist_payload(world), token=token["observer"])
        assert (closed.status, closed.json()["code"]) == (403, "election_closed")

    checklist = processed(first.json()["id"])[first.json()["id"]]
    assert checklist.state == "accepted" and checklist.location_source == "device_gps" and flags(checklist.pk) == {}
    assert Checklist.objects.count() == 1 and FiledAnswers.objects.get().answers == counting_answers()


def test_the_worker_raises_every_checklist_flag_with_its_explanation(world, celery_worker, tmp_path):
    forms_load(world.election)
    token = tokens(world, "observer", "observer_2")
    away = {"latitude": 43.2680, "longitude": 76.9300, "accuracy_m": 30.0}  # 2.2 km from station 02001
    with gunicorn(tmp_path / "gunicorn.log") as base:

        def file(who, **answers):
            response = post_json(base, CHECKLISTS, checklist_payload(world, answers=counting_answers(**answers)), token=token[who])
            assert response.status == 201, response.body
            return response.json()["id"]

        clean = file("observer")
        processed(clean)  # accepted before the next one, which it then conflicts with
        critical = file("observer_2", figures_changed=True)
        # Its figures are the clean one's; accepted before the differing ones below,
        # it conflicts with none of them (the later of two carries results_conflict,
        # and the worker's processes may take the next ones in any order).
        processed(critical)
        arithmetic = file("observer_2", ballots_unused=380)
        turnout = file("observer_2", registered_voters=600)
        conflict = file("observer_2", votes_nur_otan=450, votes_adal=2)
        off_site = post_json(base, CHECKLISTS, checklist_payload(world, **away), token=token["observer"]).json()["id"]
        no_fix = checklist_payload(world, latitude=None, longitude=None, accuracy_m=None)
        no_fix = post_json(base, CHECKLISTS, no_fix, token=token["observer"]).json()["id"]
        vague = post_json(base, CHECKLISTS, checklist_payload(world, accuracy_m=800.0), token=token["observer"]).json()["id"]
    done = processed(clean, critical, arithmetic, turnout, conflict, off_site, no_fix, vague)
    assert {s.state for s in done.values()} == {"accepted"}

    assert flags(clean) == {}
    assert set(flags(critical)) == {"checklist_critical", "not_deployed"}
    assert flags(critical)["checklist_critical"].explanation.startswith("Critical answer in checklist counting (1): figures_changed = yes")
    assert (
        "ballots_received = 1000 vs ballots_issued + ballots_spoiled + ballots_unused = 1005"
        in flags(arithmetic)["results_arithmetic"].explanation
    )
    assert flags(turnout)["turnout_over_100"].explanation == "Turnout 103.3 %: ballots_issued 620 against 600 registered voters."
    assert "votes:adal 2 vs 22; votes:nur_otan 450 vs 430" in flags(conflict)["results_conflict"].explanation
    assert flags(conflict)["results_conflict"].params["other"] == clean
    assert "off_site" in flags(off_site)
    # Located like a report: from the station when the phone gave no fix, and a
    # vaguer fix than the threshold said so (both may also conflict with the
    # differing protocols above, whichever the worker accepted first).
    assert done[no_fix].location_source == "station" and "no_location" in flags(no_fix)
    assert "low_gps_accuracy" in flags(vague) and "low_gps_accuracy" not in flags(clean)
    assert flags(vague)["low_gps_accuracy"].params == {"accuracy_m": 800, "threshold_m": 250}
    queued = set(Submission.objects.filter(in_triage_queue()).values_list("pk", flat=True))
    assert {str(pk) for pk in queued} - {no_fix, vague} == {critical, arithmetic, turnout, conflict, off_site}
