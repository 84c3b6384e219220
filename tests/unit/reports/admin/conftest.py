"""The triage console's tests file reports on time."""

import dataclasses

import pytest


@pytest.fixture(autouse=True)
def _filed_on_time(settings):
    """The test world's election is in January 2021: left alone, every report
    filed today would also be `late_filing`, which is noise for these tests
    (the rule has its own, in tests/unit/reports/pipeline/)."""
    settings.PIPELINE = dataclasses.replace(settings.PIPELINE, late_filing_hours=24 * 365 * 100)
