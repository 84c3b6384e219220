"""Seed a freshly migrated database (DATABASE_URL) for tests and benches that run
on a private PostgreSQL: one open election, a few stations, an accredited
organization and N observers with API tokens. Prints what it made as JSON.

    DATABASE_URL=postgres://… python -m testkit.seed --observers 8
"""

import argparse
import json
import os


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--observers", type=int, default=4)
    parser.add_argument("--stations", type=int, default=5)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    print(json.dumps(seed(observers=args.observers, stations=args.stations)))


def seed(*, observers: int, stations: int, election_code: str = "kz-private-2021") -> dict:
    """The election, stations, organization and observers (with tokens); what was made."""
    from monitoring.services import observer_create
    from roster.tokens import token_issue
    from testkit.factories import (
        AccreditationFactory,
        DistrictFactory,
        ElectionFactory,
        OrganizationFactory,
        PollingStationFactory,
        RegionFactory,
    )

    election = ElectionFactory(code=election_code)
    region = RegionFactory(code="almaty", name_en="Almaty city", timezone="Asia/Almaty", geonames_admin1=["02"])
    district = DistrictFactory(region=region, code="almaly")
    made = [
        PollingStationFactory(election=election, code=f"02{i:03d}", district=district, latitude=43.25249 + i * 0.001, longitude=76.9115)
        for i in range(1, stations + 1)
    ]
    organization = OrganizationFactory(name="Civic Observers")
    AccreditationFactory(organization=organization, election=election)
    tokens = []
    for i in range(observers):
        # No usable password: hashing would dominate the seed time, and tokens are what clients use.
        observer = observer_create(username=f"observer-{i}", password=None, organization=organization, role="observer")
        tokens.append(token_issue(user=observer.user)[1])
    return {"election": election.code, "stations": [s.code for s in made], "tokens": tokens}


if __name__ == "__main__":
    main()
