"""The queue's "export selected" with a selection that resolves to nothing (the
selected reports are not the user's to see, or are gone) exports nothing: an
empty file with its manifest, recorded as such, never the whole organization."""

import csv
import io
import json

from reports.models import ExportRecord
from tests.filing import file_report

QUEUE = "/admin/reports/submission/"


def _export_selected(client, ids):
    return client.post(QUEUE, {"action": "export_csv", "_selected_action": [str(i) for i in ids], "index": "0"})


def _parse(response):
    records = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8"))))
    rows = [r for r in records[1:] if r[0] != "#manifest"]
    return rows, {r[1]: r[2] for r in records if r[0] == "#manifest"}


def test_a_selection_of_nothing_visible_exports_nothing(world, admin_as):
    own = [file_report(world, description=f"ours {n}") for n in range(3)]
    theirs = file_report(world, observer=world.other_observer, description="theirs")

    response = _export_selected(admin_as(world.coordinator), [theirs.pk])

    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    rows, manifest = _parse(response)
    assert rows == []
    assert manifest["row_count"] == "0" and json.loads(manifest["filters"]) == {"ids": []}
    record = ExportRecord.objects.get()
    assert record.row_count == 0 and record.filters["ids"] == [] and len(own) == 3  # none of the organization's three


def test_a_partly_visible_selection_exports_only_what_is_visible(world, admin_as):
    own = file_report(world, description="ours")
    theirs = file_report(world, observer=world.other_observer, description="theirs")
    file_report(world, description="not selected")

    rows, manifest = _parse(_export_selected(admin_as(world.coordinator), [own.pk, theirs.pk]))
    assert [r[0] for r in rows] == [str(own.pk)]
    assert json.loads(manifest["filters"]) == {"ids": [str(own.pk)]}
