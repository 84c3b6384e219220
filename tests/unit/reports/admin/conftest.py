"""Fixtures for the triage console tests: a test client logged in as a persona,
and a queue of 500 generated reports (testkit.bulk, the benchmarks' generator)."""

import pytest

from monitoring.models import Observer


@pytest.fixture
def admin_as(client):
    """The Django test client logged in as an Observer persona or a user."""

    def login(who):
        client.force_login(who.user if isinstance(who, Observer) else who)
        return client

    return login


@pytest.fixture
def queue_of(world):
    """`queue_of(n)`: n generated reports of the world's organization (observer and
    observer-2), with flags, photos, assignees and triage decisions."""
    from testkit.bulk import bulk_reports, territory_from

    def make(count: int, seed: int = 5):
        territory = territory_from(world.election, observers=[world.observer, world.observer_2])
        territory.coordinators = {world.coordinator.organization_id: [world.coordinator.user_id]}
        return bulk_reports(territory, count=count, seed=seed)

    return make


@pytest.fixture(autouse=True)
def _filed_on_time(settings):
    """The test world's election is in January 2021: left alone, every report
    filed today would also be `late_filing`, which is noise for these tests
    (the rule has its own, in tests/unit/pipeline/)."""
    settings.PIPELINE = {**settings.PIPELINE, "LATE_FILING_HOURS": 24 * 365 * 100}
