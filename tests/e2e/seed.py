"""The e2e server's data: one open election, stations in Almaty and Astana, an
accredited organization and one observer per scenario (so scenarios sharing the
server never see each other's reports). Run as `python -m tests.e2e.seed` with
the server's environment."""

import django

PASSWORD = "correct horse battery"
OBSERVERS = [
    "e2e-gps",
    "e2e-offline",
    "e2e-toggle",
    "e2e-lang",
    "e2e-nogps",
    "e2e-nojs",
    "e2e-axe",
    "e2e-weight",
    "e2e-tabs",
    "e2e-vaguegps",
    "e2e-checkin",
    "e2e-checkin-nojs",
    # The field test's fixes (tests/e2e/test_field_fixes.py).
    "e2e-fix-logout",
    "e2e-fix-language",
    "e2e-fix-outcome",
    "e2e-fix-thumb",
    "e2e-fix-offline",
    "e2e-fix-mine",
    # Checklists (tests/e2e/test_checklists.py).
    "e2e-checklist",
    # A session that ends while a report waits (tests/e2e/test_session_end.py).
    "e2e-relogin",
]
# Posted at station 02002, so the messages scenario's message (to that station) reaches only them.
MESSAGES_OBSERVER = "e2e-messages"
COORDINATOR = "e2e-coordinator"
STATION = {"code": "02001", "latitude": 43.25249, "longitude": 76.9115}


def main() -> None:
    django.setup()
    from reports.models import IncidentCategory
    from reports.taxonomy import taxonomy_sync
    from testkit.factories import (
        AccreditationFactory,
        DeploymentFactory,
        DistrictFactory,
        ElectionFactory,
        OrganizationFactory,
        PollingStationFactory,
        RegionFactory,
        make_observer,
    )

    taxonomy_sync(IncidentCategory)
    election = ElectionFactory(code="kz-e2e-2021", name="Majilis (e2e)")
    almaty = RegionFactory(code="almaty", name_en="Almaty city", timezone="Asia/Almaty", geonames_admin1=["02"])
    astana = RegionFactory(code="nur-sultan", name_en="Nur-Sultan city", timezone="Asia/Almaty", geonames_admin1=["05"])
    almaly = DistrictFactory(region=almaty, code="almaly")
    station = PollingStationFactory(election=election, district=almaly, name="School No. 12", settlement="Almaty", **STATION)
    lyceum = PollingStationFactory(
        election=election, code="02002", district=almaly, name="Lyceum No. 3", latitude=43.2566, longitude=76.9286
    )
    PollingStationFactory(election=election, code="02003", district=almaly, name="House of Culture", latitude=43.2380, longitude=76.8890)
    PollingStationFactory(
        election=election, code="05001", district=DistrictFactory(region=astana, code="yesil"), name="School No. 1",
        settlement="Astana", latitude=51.1801, longitude=71.44598,
    )  # fmt: skip
    organization = OrganizationFactory(name="Civic Observers (e2e)")
    AccreditationFactory(organization=organization, election=election)
    for username in OBSERVERS:
        observer = make_observer(organization, "observer", username, password=PASSWORD)
        DeploymentFactory(observer=observer, election=election, station=station)
    DeploymentFactory(
        observer=make_observer(organization, "observer", MESSAGES_OBSERVER, password=PASSWORD), election=election, station=lyceum
    )
    make_observer(organization, "coordinator", COORDINATOR, password=PASSWORD)
    _checklists(election)


def _checklists(election) -> None:
    """The demo's four forms, a quick-count sample of every station (02001 among
    them) and a national official result, through the commands' services."""
    import json

    from checklists.demo import DATA, FORM_FILES
    from checklists.official_rows import COLUMNS
    from checklists.services.forms import form_load
    from checklists.services.official import official_results_import
    from checklists.services.samples import sample_draw

    for name in FORM_FILES:
        form_load(election=election, document=json.loads((DATA / name).read_text(encoding="utf-8")))
    sample_draw(election=election, size=4, seed=2021)
    official = {"nur_otan": 1150, "ak_zhol": 180, "peoples_party": 150, "auyl": 90, "adal": 60}
    lines = [",".join(COLUMNS) + "\n"] + [f"national,{p},{v},3000,1700\n" for p, v in official.items()]
    official_results_import(election=election, lines=lines)


if __name__ == "__main__":
    main()
