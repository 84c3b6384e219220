"""`reports_chain_append` (migration 0004) writes the chain position into the
table of submissions now that the reports table was renamed (0006); the link
itself is unchanged (`reports.integrity.chain_link`). Every kind of submission
is appended to its election's one chain."""

from django.db import migrations

FUNCTION = r"""
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
    UPDATE {table} r SET received_at = moment, chain_seq = head.seq + 1, chain_sha256 = link WHERE r.id = p_report;
    RETURN QUERY SELECT head.seq + 1, link, moment;
END
$$;
"""


def _replace(schema_editor, table: str) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION.replace("{table}", table), params=None)


def forwards(apps, schema_editor):
    _replace(schema_editor, "reports_submission")


def backwards(apps, schema_editor):
    _replace(schema_editor, "reports_incidentreport")


class Migration(migrations.Migration):
    dependencies = [("reports", "0006_submission_hub")]

    operations = [migrations.RunPython(forwards, backwards)]
