"""The export's rows formatted by PostgreSQL: the database writes each whole row
(cells from the column table's SQL, neutralization, row number and row hash)
in one `COPY … TO STDOUT` inside a read-only REPEATABLE READ snapshot; Python
only changes line ends, feeds each row hash to the file digest and batches the
bytes (docs/performance.md has the figures). Only `reports.services.exports`
calls it; it writes the same bytes as `exports_python`
(tests/integration/test_export_formatters.py)."""

from collections.abc import Iterator

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction

from .. import export
from ..export_columns import HASHED

# export.neutralize's first characters (the triggers and the quote itself) as
# SQL literals, from reports.export so the two guards can never drift apart.
_SQL_ESCAPES = {"\\": "\\\\", "'": "\\'", "\t": "\\t", "\r": "\\r", "\n": "\\n"}
_SQL_GUARDED = ", ".join("E'" + "".join(_SQL_ESCAPES.get(ch, ch) for ch in c) + "'" for c in sorted(export.GUARD_STARTS))

# The reports in export order, numbered, before any cell is formatted (so the
# sort moves narrow rows); flags and photo hashes in one grouped pass each.
# The column table's SQL reads these aliases. Its three `{ids}` take the ids
# query, whose parameters therefore come three times.
FROM_SQL = """
FROM (
  SELECT r.*, row_number() OVER (ORDER BY r.election_id, r.organization_id, r.chain_seq, r.received_at, r.id) AS row_number
  FROM reports_submission r WHERE r.id IN ({ids})
) r
JOIN monitoring_election e ON e.id = r.election_id
JOIN monitoring_observerorganization o ON o.id = r.organization_id
JOIN monitoring_observer ob ON ob.id = r.submitted_by_id
JOIN monitoring_pollingstation s ON s.id = r.station_id
JOIN monitoring_district d ON d.id = s.district_id
JOIN monitoring_region rg ON rg.id = d.region_id
JOIN reports_incidentcategory c ON c.id = r.category_id
LEFT JOIN monitoring_observer ao ON ao.user_id = r.assignee_id
LEFT JOIN monitoring_observer dbo ON dbo.user_id = r.decided_by_id
LEFT JOIN (
  SELECT f.report_id,
         string_agg(f.code, ';' ORDER BY f.code COLLATE "C") AS codes,
         string_agg(f.code, ';' ORDER BY f.code COLLATE "C") FILTER (WHERE f.state = 'cleared') AS cleared
  FROM reports_flag f WHERE f.report_id IN ({ids}) GROUP BY f.report_id
) fl ON fl.report_id = r.id
LEFT JOIN (
  SELECT a.report_id, count(*) AS n, string_agg(a.sha256, ';' ORDER BY a.position, a.id) AS hashes
  FROM reports_attachment a WHERE a.report_id IN ({ids}) GROUP BY a.report_id
) ph ON ph.report_id = r.id
"""


def copy_statement(ids_sql: str) -> str:
    """COPY of the export's rows: the column table's cells (guarded ones
    neutralized), then row_sha256 (export.row_sha256: SHA-256 of the JSON array
    [export id, every original cell]). Parameters: the export id, then the ids
    query's three times."""
    cells = list(enumerate(HASHED))
    inner = ",\n".join(f"  {column.sql} AS cell{i}" for i, column in cells)
    # array_to_json() writes the array compactly, escaping each string as
    # json.dumps(ensure_ascii=False) does, in one call.
    every = ", ".join(f"coalesce(cell{i}, '')" for i, _column in cells)
    row_hash = f"encode(sha256(convert_to(array_to_json(ARRAY[%s::text, {every}])::text, 'UTF8')), 'hex')"
    # Empty text goes out as NULL, which COPY writes unquoted (it quotes "").
    out = ",\n".join(
        f"  nullif(CASE WHEN left(cell{i}, 1) IN ({_SQL_GUARDED}) THEN '''' || cell{i} ELSE cell{i} END, '')"
        if column.guarded
        else f"  nullif(cell{i}, '')"
        for i, column in cells
    )
    return (
        f"COPY (SELECT\n{out},\n  {row_hash}\nFROM (SELECT\n{inner}\n{FROM_SQL.format(ids=ids_sql)}"
        "ORDER BY r.row_number) AS row) TO STDOUT WITH (FORMAT csv)"
    )


_CHAINS_SQL = """
SELECT e.code, o.name, r.organization_id, r.kind,
       (array_agg(r.chain_seq ORDER BY r.chain_seq, r.received_at, r.id))[1],
       (array_agg(r.chain_seq ORDER BY r.chain_seq DESC NULLS FIRST, r.received_at DESC, r.id DESC))[1],
       (array_agg(r.chain_sha256 ORDER BY r.chain_seq DESC NULLS FIRST, r.received_at DESC, r.id DESC))[1],
       count(*) = count(r.chain_seq) AND count(*) = max(r.chain_seq) - min(r.chain_seq) + 1
FROM reports_submission r
JOIN monitoring_election e ON e.id = r.election_id
JOIN monitoring_observerorganization o ON o.id = r.organization_id
WHERE r.id IN ({ids_sql})
GROUP BY e.code, o.name, r.organization_id, r.kind
"""


def _set_up_snapshot(cursor, *, own_transaction: bool) -> None:
    # Inside a caller's transaction (tests) its isolation rules, and the SET
    # LOCALs below last until it ends.
    if own_transaction:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    # Shortest round-trip float digits, as Python's repr; and no JIT: it
    # compiles this wide query per process for longer than running it takes.
    cursor.execute("SET LOCAL extra_float_digits = 1")
    cursor.execute("SET LOCAL jit = off")
    cursor.execute("SET LOCAL work_mem = '64MB'")  # sorts the ids in memory up to a few million


def copy_rows(qs, export_id: str, digest: export.RowsDigest, chains: export.ChainSummary, chunk_size: int) -> Iterator[tuple[bytes, int]]:
    """The rows of `qs`, in export order, as chunks of (bytes, row count);
    feeds each row hash to `digest` and fills `chains`. One read-only
    REPEATABLE READ transaction, so the chain summary and the rows are one
    snapshot even while reports keep arriving."""
    try:
        ids_sql, ids_params = qs.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:  # a scope or filter that can match nothing (qs.none(), pk__in=[])
        return
    own_transaction = not connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        _set_up_snapshot(cursor, own_transaction=own_transaction)
        cursor.execute(_CHAINS_SQL.format(ids_sql=ids_sql), ids_params)
        for code, organization, organization_id, kind, first, last, last_sha256, contiguous in cursor.fetchall():
            chain = export.ChainKey(code, organization, organization_id, kind)
            chains.put(chain, first_seq=first, last_seq=last, last_sha256=last_sha256, contiguous=contiguous)
        batch, count = [], 0
        with cursor.cursor.copy(copy_statement(ids_sql), [export_id, *ids_params, *ids_params, *ids_params]) as copy:
            for block in copy:  # one row per block, ending "\n"
                line = bytes(block)
                digest.update(line[-65:-1].decode("ascii"))  # row_sha256, the last cell
                batch.append(line[:-1])
                count += 1
                if count == chunk_size:
                    batch.append(b"")
                    yield b"\r\n".join(batch), count
                    batch, count = [], 0
        if count:
            batch.append(b"")
            yield b"\r\n".join(batch), count
