"""On PostgreSQL, which refuses NUL in text: a NUL in `?q=` of the export URL,
the admin search and the admin autocomplete is a 400 with a message, not the
500 it was (tests/unit/config/test_control_characters.py covers every door on
the embedded database)."""

import pytest
from django.db import DataError, connection

from reports.models import IncidentReport
from tests.filing import file_report

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_postgresql_refuses_nul_in_a_search(world):
    """Why the guard exists: the same search, let through, fails in the database driver."""
    assert connection.vendor == "postgresql"
    with pytest.raises(DataError, match="NUL"):
        list(IncidentReport.objects.filter(description__icontains="a\x00b"))


@pytest.mark.parametrize(
    "path",
    [
        "/exports/reports.csv?q=a%00b",
        "/admin/reports/submission/?q=a%00b",
        "/admin/monitoring/pollingstation/?q=%00",
        "/admin/autocomplete/?app_label=monitoring&model_name=pollingstation&field_name=district&term=%00",
    ],
)
def test_a_nul_in_a_search_is_a_400_on_postgresql(world, admin_as, path):
    file_report(world, description="Ballot box unsealed")
    response = admin_as(world.coordinator).get(path)
    assert response.status_code == 400 and "control character" in response.content.decode()
    assert admin_as(world.coordinator).get(path.replace("%00", "")).status_code in (200, 403)  # 403: no autocomplete target
