"""The demo roster: the people of the demo's first organization and their
deployment plan, from roster/data/demo_roster.csv through the same import as
any organization's file (idempotent: a second load changes nothing)."""

from pathlib import Path

from monitoring.models import Election, ObserverOrganization

from .importing import ImportSummary, roster_import

DEMO_ROSTER = Path(__file__).resolve().parent / "data" / "demo_roster.csv"
DEMO_ORGANIZATION = "Civic Observers of Kazakhstan"
DEMO_HOTLINE = "+7 727 355 0000 (24 h)"


def load_demo_roster(*, election: Election) -> ImportSummary:
    organization = ObserverOrganization.objects.get(name=DEMO_ORGANIZATION)
    if not organization.hotline:
        organization.hotline = DEMO_HOTLINE
        organization.save(update_fields=["hotline", "updated_at"])
    with open(DEMO_ROSTER, encoding="utf-8", newline="") as handle:
        return roster_import(organization=organization, election=election, lines=handle)
