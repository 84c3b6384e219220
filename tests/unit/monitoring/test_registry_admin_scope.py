"""Organization isolation in the registry's admin: coordinators and auditors of
one organization see their own organization's contact and accreditation
(status, reason) only; platform staff (superusers, platform auditors) see every
organization's."""

import pytest

from monitoring.models import Accreditation, ObserverOrganization

ORGANIZATIONS = "/admin/monitoring/observerorganization/"
ACCREDITATIONS = "/admin/monitoring/accreditation/"


@pytest.fixture
def registry(world):
    """Each organization with a contact, and a reason on the revoked accreditation."""
    for organization in ObserverOrganization.objects.all():
        organization.contact = f"hotline of {organization.name}: +7 700 555 {organization.pk:04d}"
        organization.save(update_fields=["contact"])
    Accreditation.objects.filter(pk=world.revoked_accreditation.pk).update(status_reason="Revoked for undeclared party funding")
    return {o.name: o for o in ObserverOrganization.objects.all()}


SEES = {
    "coordinator": {"Civic Observers"},
    "auditor": {"Civic Observers"},
    "other_coordinator": {"Other Mission"},
    "platform_auditor": {"Civic Observers", "Other Mission", "Revoked Union", "Green Future"},
    "superuser": {"Civic Observers", "Other Mission", "Revoked Union", "Green Future"},
}


@pytest.mark.parametrize("role", list(SEES))
def test_contacts_and_accreditations_are_scoped_to_the_users_organization(world, registry, admin_as, role):
    who = getattr(world, role)
    client = admin_as(who)
    organizations = client.get(ORGANIZATIONS).content.decode()
    accreditations = client.get(ACCREDITATIONS).content.decode()
    for name, organization in registry.items():
        visible = name in SEES[role]
        assert (organization.contact in organizations) is visible, (role, name)
        assert (f"/admin/monitoring/observerorganization/{organization.pk}/change/" in organizations) is visible
        for accreditation in organization.accreditations.all():
            assert (f"/admin/monitoring/accreditation/{accreditation.pk}/change/" in accreditations) is visible, (role, name)
            page = client.get(f"{ACCREDITATIONS}{accreditation.pk}/change/")
            assert page.status_code == (200 if visible else 302)  # the admin's "does not exist" redirect
    revoked_reason_shown = (
        "undeclared party funding" in client.get(f"{ACCREDITATIONS}{world.revoked_accreditation.pk}/change/").content.decode()
    )
    assert revoked_reason_shown is ("Revoked Union" in SEES[role])


def test_search_does_not_reach_another_organizations_rows(world, registry, admin_as):
    page = admin_as(world.coordinator).get(f"{ACCREDITATIONS}?q=Revoked").content.decode()
    assert "Revoked Union" not in page
    page = admin_as(world.coordinator).get(f"{ORGANIZATIONS}?q=Mission").content.decode()
    assert registry["Other Mission"].contact not in page
