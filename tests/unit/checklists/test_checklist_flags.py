"""The pipeline's checklist rules (run eagerly here; tests/integration has them
on a real worker): each flag with the answers and numbers that raised it, in
the triage queue."""

import pytest

from reports.models import Flag, Submission, in_triage_queue

from .filing import CHECKLISTS, checklist_payload, counting_answers, forms_load


@pytest.fixture
def forms(world):
    forms_load(world.election)
    return world


@pytest.fixture
def file(as_user, django_capture_on_commit_callbacks):
    def send(who, world, **answers):
        with django_capture_on_commit_callbacks(execute=True):
            response = as_user(who).post(CHECKLISTS, checklist_payload(world, answers=counting_answers(**answers)), format="json")
        assert response.status_code == 201, response.json()
        return Submission.objects.get(pk=response.json()["id"])

    return send


def flags_of(submission) -> dict[str, Flag]:
    return {f.code: f for f in Flag.objects.filter(report=submission)}


def test_a_clean_protocol_raises_nothing_and_stays_out_of_the_queue(forms, file):
    checklist = file(forms.observer, forms)
    checklist.refresh_from_db()
    assert checklist.state == "accepted" and flags_of(checklist) == {}
    assert not Submission.objects.filter(in_triage_queue(), pk=checklist.pk).exists()


def test_a_critical_answer_is_flagged_with_the_question_and_joins_the_queue(forms, file):
    checklist = file(forms.observer, forms, figures_changed=True, copy_given=False)
    flag = flags_of(checklist)["checklist_critical"]
    assert flag.severity == "critical" and flag.params["questions"] == ["figures_changed", "copy_given"]
    assert flag.explanation.startswith("Critical answer in checklist counting (2): figures_changed = yes (")
    assert "copy_given = no" in flag.explanation
    assert Submission.objects.filter(in_triage_queue(), pk=checklist.pk).exists()


def test_broken_arithmetic_names_the_rule_and_the_numbers(forms, file):
    checklist = file(forms.observer, forms, ballots_unused=380)  # 620 + 5 + 380 = 1005, not 1000
    flag = flags_of(checklist)["results_arithmetic"]
    assert flag.params["codes"] == ["ballots_accounted"]
    assert flag.explanation == (
        "The protocol's figures break 1 QA rule(s) of form counting: ballots_accounted "
        "(ballots_received == ballots_issued + ballots_spoiled + ballots_unused): "
        "ballots_received = 1000 vs ballots_issued + ballots_spoiled + ballots_unused = 1005."
    )
    assert "turnout_over_100" not in flags_of(checklist)


def test_turnout_over_100_names_the_figures(forms, file):
    checklist = file(forms.observer, forms, registered_voters=600)
    flags = flags_of(checklist)
    assert flags["turnout_over_100"].explanation == "Turnout 103.3 %: ballots_issued 620 against 600 registered voters."
    assert flags["results_arithmetic"].params["codes"] == ["turnout_at_most_100"]


def test_two_protocols_of_one_station_from_one_organization_that_disagree_conflict(forms, file):
    first = file(forms.observer, forms)
    # The same figures again, or another organization's other figures, conflict with nothing.
    assert "results_conflict" not in flags_of(file(forms.observer_2, forms))
    assert "results_conflict" not in flags_of(file(forms.other_observer, forms, votes_nur_otan=1))
    second = file(forms.observer_2, forms, votes_nur_otan=450, votes_adal=2)
    assert "results_conflict" not in flags_of(first)
    flag = flags_of(second)["results_conflict"]
    assert flag.params["figures"] == ["votes:adal", "votes:nur_otan"] and flag.params["other"] == str(first.pk)
    assert "votes:adal 2 vs 22; votes:nur_otan 450 vs 430" in flag.explanation


def test_a_phase_checklist_has_no_figures_to_conflict(forms, as_user, django_capture_on_commit_callbacks):
    answers = {
        "observers_admitted": True, "commission_members_total": 9, "commission_members_present": 9, "unauthorized_present": False,
        "unauthorized_interfering": False, "voter_list_present": True, "ballots_counted": True, "video_camera_working": True,
        "ballot_box_shown_empty": False, "ballot_box_sealed": True, "opened_on_time": True, "assessment": "good",
    }  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(forms.observer).post(CHECKLISTS, checklist_payload(forms, form="opening", answers=answers), format="json")
    assert response.status_code == 201, response.json()
    assert set(flags_of(Submission.objects.get(pk=response.json()["id"]))) == {"checklist_critical"}


def test_a_flagged_checklist_is_in_the_triage_queue_and_its_page_shows_the_explanation(forms, file, admin_as):
    flagged = file(forms.observer, forms, figures_changed=True)
    clean = file(forms.observer, forms)
    client = admin_as(forms.coordinator)
    queue = client.get("/admin/reports/submission/", {"kind": "checklist"})
    assert queue.status_code == 200
    shown = {str(row.pk) for row in queue.context["cl"].result_list}
    assert shown == {str(flagged.pk)} and str(clean.pk) not in shown
    page = client.get(f"/admin/reports/submission/{flagged.pk}/change/")
    assert page.status_code == 200
    assert "Critical answer in checklist counting (1): figures_changed = yes" in page.content.decode()
