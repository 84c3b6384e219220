"""PostgreSQL functions for the two hot paths that the database does faster
than Python (docs/performance.md); SQLite, the embedded mode, keeps the Python
code they mirror, and the integration tests compare the two byte for byte.

- `reports_format_utc`, `reports_format_local`: `monitoring.localtime.format_utc`
  and `format_local` (microseconds only when present; offsets as isoformat()
  writes them).
- `reports_chain_append`: appends a report to its election's hash chain in one
  call. Intake holds the chain head's row lock from this call to COMMIT, and
  that lock bounds intake throughput under concurrency; done here it is held
  for one round trip, not four. The link is `reports.integrity.chain_link`.
- The CSV export (`reports.services.exports`) formats its cells with these."""

from django.db import migrations

CREATE = r"""
-- Single expressions, so the planner inlines them into the export's query.
CREATE OR REPLACE FUNCTION reports_format_utc(moment timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT to_char(moment AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
        || CASE WHEN extract(microseconds FROM moment)::bigint % 1000000 = 0 THEN '' ELSE to_char(moment AT TIME ZONE 'UTC', '.US') END
        || 'Z'
$$;

CREATE OR REPLACE FUNCTION reports_format_offset(shift interval) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN shift < interval '0' THEN '-' ELSE '+' END
        || to_char(CASE WHEN shift < interval '0' THEN -shift ELSE shift END, 'HH24:MI')
        || CASE WHEN extract(second FROM shift) = 0 THEN '' ELSE to_char(CASE WHEN shift < interval '0' THEN -shift ELSE shift END, ':SS') END
$$;

CREATE OR REPLACE FUNCTION reports_format_local(moment timestamptz, zone text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT to_char(moment AT TIME ZONE zone, 'YYYY-MM-DD"T"HH24:MI:SS')
        || CASE WHEN extract(microseconds FROM moment)::bigint % 1000000 = 0 THEN '' ELSE to_char(moment AT TIME ZONE zone, '.US') END
        || reports_format_offset((moment AT TIME ZONE zone) - (moment AT TIME ZONE 'UTC'))
$$;

CREATE OR REPLACE FUNCTION reports_chain_append(p_election bigint, p_report uuid, p_content text)
RETURNS TABLE (chain_seq bigint, chain_sha256 text, received_at timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
    head record;
    moment timestamptz;
    link text;
BEGIN
    SELECT h.seq, h.sha256 INTO head FROM reports_reportchainhead h WHERE h.election_id = p_election FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    -- Taken under the lock, so chain order is receipt order.
    moment := date_trunc('microseconds', clock_timestamp());
    link := encode(sha256(convert_to(
        head.sha256 || E'\n' || (head.seq + 1)::text || E'\n' || p_report::text || E'\n'
        || reports_format_utc(moment) || E'\n' || p_content,
        'UTF8')), 'hex');
    UPDATE reports_reportchainhead SET seq = head.seq + 1, sha256 = link WHERE election_id = p_election;
    UPDATE reports_incidentreport r SET received_at = moment, chain_seq = head.seq + 1, chain_sha256 = link WHERE r.id = p_report;
    RETURN QUERY SELECT head.seq + 1, link, moment;
END
$$;
"""
DROP = """
DROP FUNCTION IF EXISTS reports_chain_append(bigint, uuid, text);
DROP FUNCTION IF EXISTS reports_format_local(timestamptz, text);
DROP FUNCTION IF EXISTS reports_format_offset(interval);
DROP FUNCTION IF EXISTS reports_format_utc(timestamptz);
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("reports", "0003_triage_indexes")]

    operations = [migrations.RunPython(create, drop)]
