"""The export's rows formatted in Python, by the column table
(`reports.export_columns`) and `reports.export`: the formatter where COPY is
not available (SQLite, the embedded mode, where a long transaction would also
hold the write lock). Rows come in chunks of plain tuples, each chunk with its
reports' flags and photo hashes, so memory stays flat at any size. Only
`reports.services.exports` calls it; it writes the same bytes as
`exports_postgres` (tests/integration/test_export_formatters.py)."""

import itertools
from collections import defaultdict
from collections.abc import Iterator

from .. import export
from ..export_columns import ORM_PATHS, python_cells
from ..models import Attachment, Flag

_PK = ORM_PATHS.index("pk")
_ELECTION = ORM_PATHS.index("election__code")
_CHAIN_SEQ = ORM_PATHS.index("chain_seq")
_CHAIN_SHA256 = ORM_PATHS.index("chain_sha256")
_ORGANIZATION = ORM_PATHS.index("organization__name")
# Read after the cells' paths: which chain the row is a link of.
_CHAIN_PATHS = ("organization_id", "kind")
_CELLS = len(ORM_PATHS)


def _batched(iterable, size):
    iterator = iter(iterable)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _related(ids: list) -> tuple[dict, dict]:
    """The flags (code, state) and photo hashes of these reports."""
    flags, photos = defaultdict(list), defaultdict(list)
    for report_id, code, state in Flag.objects.filter(report_id__in=ids).values_list("report_id", "code", "state").order_by():
        flags[report_id].append((code, state))
    for report_id, sha256 in (
        Attachment.objects.filter(report_id__in=ids).order_by("report_id", "position").values_list("report_id", "sha256")
    ):
        photos[report_id].append(sha256)
    return flags, photos


def python_rows(qs, export_id: str, digest: export.RowsDigest, chains: export.ChainSummary, chunk_size: int) -> Iterator[tuple[bytes, int]]:
    """The rows of `qs`, in its order, as chunks of (bytes, row count); feeds
    each row hash to `digest` and each chain position to `chains`."""
    lines = export.CsvLines()
    row_number = 0
    for batch in _batched(qs.values_list(*ORM_PATHS, *_CHAIN_PATHS).iterator(chunk_size=chunk_size), chunk_size):
        flags, photos = _related([r[_PK] for r in batch])
        out = []
        for r in batch:
            row_number += 1
            cells = python_cells(r[:_CELLS], flags=flags.get(r[_PK], []), photos=photos.get(r[_PK], []), row_number=row_number)
            row_hash = export.row_sha256(export_id, cells)
            cells.append(row_hash)
            digest.update(row_hash)
            chain = export.ChainKey(r[_ELECTION], r[_ORGANIZATION], r[_CELLS], r[_CELLS + 1])
            chains.add(chain, r[_CHAIN_SEQ], r[_CHAIN_SHA256])
            out.append(lines.line(cells))
        yield "".join(out).encode("utf-8"), len(batch)
