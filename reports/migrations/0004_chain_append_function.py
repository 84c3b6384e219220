"""PostgreSQL: append a report to its election's hash chain in one statement.

Intake holds the chain head's row lock from this call to COMMIT; doing the
append in the database keeps that to one round trip (it was four), which is
what bounds intake throughput under concurrency (docs/performance.md). The
link is byte for byte `reports.integrity.chain_link` over
`monitoring.localtime.format_utc` text; the integration tests recompute every
link in Python. SQLite (the embedded mode) keeps the Python path."""

from django.db import migrations

CREATE = r"""
CREATE OR REPLACE FUNCTION reports_chain_append(p_election bigint, p_report uuid, p_content text)
RETURNS TABLE (chain_seq bigint, chain_sha256 text, received_at timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
    head record;
    moment timestamptz;
    utc timestamp;
    link text;
BEGIN
    SELECT h.seq, h.sha256 INTO head FROM reports_reportchainhead h WHERE h.election_id = p_election FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    -- Taken under the lock, so chain order is receipt order.
    moment := date_trunc('microseconds', clock_timestamp());
    utc := moment AT TIME ZONE 'UTC';
    link := encode(sha256(convert_to(
        head.sha256 || E'\n' || (head.seq + 1)::text || E'\n' || p_report::text || E'\n'
        || to_char(utc, 'YYYY-MM-DD"T"HH24:MI:SS')
        || CASE WHEN extract(microseconds FROM utc)::bigint % 1000000 = 0 THEN '' ELSE to_char(utc, '.US') END
        || 'Z' || E'\n' || p_content,
        'UTF8')), 'hex');
    UPDATE reports_reportchainhead SET seq = head.seq + 1, sha256 = link WHERE election_id = p_election;
    UPDATE reports_incidentreport r SET received_at = moment, chain_seq = head.seq + 1, chain_sha256 = link WHERE r.id = p_report;
    RETURN QUERY SELECT head.seq + 1, link, moment;
END
$$;
"""
DROP = "DROP FUNCTION IF EXISTS reports_chain_append(bigint, uuid, text);"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("reports", "0003_triage_indexes")]

    operations = [migrations.RunPython(create, drop)]
