"""The column table (reports/export_columns.py) and what is derived from it or
kept beside it: the header, the stand-alone verifier's copy of the columns,
the ORM paths and the Python formatter's cells. That the SQL formatter writes
the same cells is tests/integration/test_export_formatters.py."""

import datetime as dt
import uuid

from reports import export, export_columns
from reports.models import IncidentReport
from tools import verify_export


def test_the_header_is_the_tables_names():
    assert export.COLUMNS == [column.name for column in export_columns.TABLE]
    assert len(set(export.COLUMNS)) == len(export.COLUMNS)


def test_the_standalone_verifier_has_the_tables_columns_in_order():
    # The verifier runs without the platform, so it keeps its own list: a
    # column added, renamed or moved in one but not the other fails here.
    assert verify_export.COLUMNS == [column.name for column in export_columns.TABLE]


def test_every_row_ends_with_its_number_and_hash():
    # Both formatters and the verifier take the row hash from a row's last cell.
    *_cells, row_number, row_hash = export_columns.TABLE
    assert (row_number.name, row_hash.name) == ("row_number", "row_sha256")
    assert row_hash.python is row_hash.sql is None and not row_hash.guarded
    assert export_columns.HASHED == export_columns.TABLE[:-1]
    assert all(column.python is not None and column.sql for column in export_columns.HASHED)


def test_the_orm_paths_are_the_reports_fields():
    # Compiling the query resolves every path (a misspelt one raises FieldError).
    assert "SELECT" in str(IncidentReport.objects.values_list(*export_columns.ORM_PATHS).query)
    assert len(set(export_columns.ORM_PATHS)) == len(export_columns.ORM_PATHS)


def test_cells_that_may_start_a_formula_are_guarded():
    # Free text, registry names and codes, and numbers that may be negative;
    # the rest the platform writes itself (the SQL formatter skips the test there).
    assert {"description", "organization", "station_name", "latitude", "longitude", "assignee"} <= export_columns.GUARDED
    assert not {"report_id", "severity", "occurred_at_utc", "content_sha256", "chain_seq", "row_number"} & export_columns.GUARDED


def _row(**values):
    """A row of ORM_PATHS values: a plausible report, with `values` changed."""
    moment = dt.datetime(2021, 1, 10, 4, 15, tzinfo=dt.UTC)
    defaults = {
        "pk": uuid.UUID(int=1),
        "occurred_at": moment,
        "received_at": moment,
        "station__district__region__timezone": "Asia/Almaty",
        "decided_at": None,
        "assignee_id": None,
        "decided_by_id": None,
        "amends_id": None,
        "chain_seq": None,
        "latitude": None,
        "longitude": None,
        "accuracy_m": None,
        "claimed_station_distance_m": None,
        "rejection_reasons": [],
        "risk_score": 0,
        "client_uuid": uuid.UUID(int=2),
    }
    defaults.update(values)
    return tuple(defaults.get(path, f"<{path}>") for path in export_columns.ORM_PATHS)


def _cells(row, flags=(), photos=(), row_number=1):
    cells = export_columns.python_cells(row, flags=list(flags), photos=list(photos), row_number=row_number)
    return dict(zip(export.COLUMNS, cells, strict=False))


def test_python_cells_follow_the_data_dictionary():
    values = {
        "latitude": 43.0,
        "longitude": -0.5,
        "accuracy_m": 24.8,
        "claimed_station_distance_m": 1234.5678,
        "rejection_reasons": [{"code": "not_accredited"}, {"params": {}}],
        "assignee_id": 7,
        "assignee__observer__public_code": "OBS-A",
        "decided_by_id": 9,  # a platform administrator: no observer profile
        "decided_by__observer__public_code": None,
        "chain_seq": 11,
        "risk_score": 50,
    }
    cells = _cells(
        _row(**values),
        flags=[("off_site", "cleared"), ("duplicate", "open")],
        photos=["aa", "bb"],
        row_number=6,
    )
    assert len(cells) == len(export.COLUMNS) - 1  # every cell but the row hash
    assert cells["report_id"] == str(uuid.UUID(int=1)) and cells["description"] == "<description>"
    assert (cells["occurred_at_utc"], cells["occurred_at_local"]) == ("2021-01-10T04:15:00Z", "2021-01-10T10:15:00+06:00")
    assert (cells["latitude"], cells["longitude"], cells["accuracy_m"]) == ("43.0", "-0.5", "24.8")
    assert cells["claimed_station_distance_m"] == "1234.6"
    assert cells["rejection_reasons"] == "not_accredited;"
    assert (cells["flags"], cells["flags_cleared"]) == ("duplicate;off_site", "off_site")
    assert (cells["assignee"], cells["decided_by"]) == ("OBS-A", "USER-9")
    assert (cells["photo_count"], cells["photo_sha256s"]) == ("2", "aa;bb")
    assert (cells["chain_seq"], cells["risk_score"], cells["row_number"]) == ("11", "50", "6")


def test_python_cells_leave_what_is_missing_empty():
    cells = _cells(_row())
    for name in ("latitude", "accuracy_m", "claimed_station_distance_m", "rejection_reasons", "flags", "flags_cleared",
                 "assignee", "decided_by", "decided_at", "photo_sha256s", "amends", "chain_seq"):  # fmt: skip
        assert cells[name] == "", name
    assert cells["photo_count"] == "0"
