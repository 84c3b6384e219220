"""The triage console's tests file reports on time."""

import pytest


@pytest.fixture(autouse=True)
def _filed_on_time(settings):
    """The test world's election is in January 2021: left alone, every report
    filed today would also be `late_filing`, which is noise for these tests
    (the rule has its own, in tests/unit/reports/pipeline/)."""
    settings.PIPELINE = {**settings.PIPELINE, "LATE_FILING_HOURS": 24 * 365 * 100}
