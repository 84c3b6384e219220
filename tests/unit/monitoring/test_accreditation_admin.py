"""The accreditation admin: status changes go through the service, which
refuses a second active accreditation with a message, never a 500."""

import pytest
from django.contrib.messages import get_messages

from monitoring.models import Accreditation
from testkit.factories import AccreditationFactory


def _post_change_form(client, accreditation, *, status: str):
    """Save the accreditation's change form as shown, with `status` and January 2021 as validity."""
    url = f"/admin/monitoring/accreditation/{accreditation.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {name: "" if form[name].value() is None else form[name].value() for name in form.fields}
    data.update(status=status, valid_from_0="2021-01-01", valid_from_1="00:00:00", valid_until_0="2021-01-31", valid_until_1="00:00:00")
    return client.post(url, data)


@pytest.mark.parametrize("through", ["action", "change form"])
def test_reinstating_an_accreditation_while_another_is_active_is_refused_with_a_message(world, client, through):
    revoked = world.revoked_accreditation
    AccreditationFactory(organization=revoked.organization, election=revoked.election)  # the organization's new, active one
    client.force_login(world.superuser)
    if through == "action":
        response = client.post(
            "/admin/monitoring/accreditation/", {"action": "reinstate", "_selected_action": [str(revoked.pk)], "index": "0"}
        )
        assert response.status_code == 302
        assert "already has an active accreditation" in " ".join(str(m) for m in get_messages(response.wsgi_request))
    else:
        response = _post_change_form(client, revoked, status="active")
        assert response.status_code == 200 and response.context["adminform"].form.errors
    revoked.refresh_from_db()
    assert revoked.status == Accreditation.Status.REVOKED


def test_accreditation_change_form_goes_through_the_service(world, client):
    accreditation = world.accreditation
    client.force_login(world.superuser)
    response = _post_change_form(client, accreditation, status="suspended")
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    accreditation.refresh_from_db()
    assert accreditation.status == "suspended" and accreditation.revoked_at is not None
    assert "admin" in accreditation.status_reason
