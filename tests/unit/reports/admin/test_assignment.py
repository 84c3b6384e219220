"""Assigning a report from its page: one answer for every assignee who cannot
take it (no such user, an inactive one, an observer, another organization's
coordinator), so the form cannot be used to learn which user ids exist or who
coordinates which organization; and superusers, who may triage any report,
are offered as assignees."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages

from reports.services.triage import ASSIGNEE_REFUSED
from testkit.factories import make_observer
from tests.filing import file_report


@pytest.fixture
def report(world):
    return file_report(world)


def _assign(client, report, assignee) -> str:
    """The message the coordinator sees after the assignment."""
    response = client.post(f"/admin/reports/submission/{report.pk}/triage/assign/", {"assignee": assignee}, follow=True)
    assert response.status_code == 200
    return " | ".join(str(m) for m in get_messages(response.wsgi_request))


def test_every_refused_assignee_gets_the_same_answer(world, report, admin_as):
    inactive = make_observer(world.coordinator.organization, "coordinator", "coordinator-gone")
    get_user_model().objects.filter(pk=inactive.user_id).update(is_active=False)
    refused = {
        "no such user": "987654",
        "inactive coordinator": str(inactive.user_id),
        "an observer": str(world.observer.user_id),
        "another organization's coordinator": str(world.other_coordinator.user_id),
    }
    client = admin_as(world.coordinator)
    answers = {why: _assign(client, report, user_id) for why, user_id in refused.items()}
    assert set(answers.values()) == {f"Not saved: {ASSIGNEE_REFUSED}"}, answers
    report.refresh_from_db()
    assert report.assignee_id is None


def test_superusers_are_offered_and_can_be_assigned(world, report, admin_as):
    client = admin_as(world.coordinator)
    html = client.get(f"/admin/reports/submission/{report.pk}/change/").content.decode()
    select = re.search(r'<select id="assignee" name="assignee">(.*?)</select>', html, re.S).group(1)
    offered = set(re.findall(r'<option value="(\d+)"', select))
    assert offered == {str(world.coordinator.user_id), str(world.superuser.pk)}

    assert _assign(client, report, str(world.superuser.pk)) == f"Assigned to {world.superuser.get_username()}."
    report.refresh_from_db()
    assert report.assignee_id == world.superuser.pk

    queue = client.get("/admin/reports/submission/").content.decode()
    assert f"assignee={world.superuser.pk}" in queue  # and offered in the queue's assignee filter
