"""The accreditation admin: status changes go through the service, which
refuses a second active accreditation with a message, never a 500."""

import pytest
from django.contrib.messages import get_messages

from monitoring.models import Accreditation
from testkit.factories import AccreditationFactory


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
        url = f"/admin/monitoring/accreditation/{revoked.pk}/change/"
        form = client.get(url).context["adminform"].form
        data = {name: form[name].value() for name in form.fields}
        data = {k: ("" if v is None else v) for k, v in data.items()}
        data.update(
            status="active", valid_from_0="2021-01-01", valid_from_1="00:00:00", valid_until_0="2021-01-31", valid_until_1="00:00:00"
        )
        response = client.post(url, data)
        assert response.status_code == 200 and response.context["adminform"].form.errors
    revoked.refresh_from_db()
    assert revoked.status == Accreditation.Status.REVOKED


def test_accreditation_change_form_goes_through_the_service(world, client):
    accreditation = world.accreditation
    client.force_login(world.superuser)
    url = f"/admin/monitoring/accreditation/{accreditation.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    data.update(
        status="suspended", valid_from_0="2021-01-01", valid_from_1="00:00:00", valid_until_0="2021-01-31", valid_until_1="00:00:00"
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    accreditation.refresh_from_db()
    assert accreditation.status == "suspended" and accreditation.revoked_at is not None
    assert "admin" in accreditation.status_reason
