"""PostgreSQL triggers that refuse rewriting evidence, whoever sends the SQL
(the ORM, `manage.py shell`, psql as the application's role):

- a submission's submitted fields (what the observer sent, who, where, when,
  its content hash) never change, and its place in its chain (`chain_seq`,
  `chain_sha256`, `received_at`) is set once, by the chain append; the
  pipeline's and the coordinators' fields (state, geotag, flags, risk,
  triage) stay writable; a submission is never deleted;
- audit events and signed checkpoints are never updated or deleted;
- a chain head only moves forward (its position grows with every append).

A database superuser can still disable or drop the triggers: docs/export.md
says what the signed checkpoints then show. SQLite (the embedded mode) has no
such triggers; the ORM's append-only guards are all it has."""

from django.db import migrations

SUBMITTED = (
    "id, kind, source, client_uuid, election_id, station_id, occurred_at, latitude, longitude, accuracy_m, "
    "submitted_by_id, organization_id, content_sha256, category_id, severity, description, amends_id, checkin_kind"
)


def _row(prefix: str) -> str:
    return "(" + ", ".join(f"{prefix}.{name.strip()}" for name in SUBMITTED.split(",")) + ")"


CREATE = f"""
CREATE OR REPLACE FUNCTION reports_submission_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'submission % is evidence: it is never deleted', OLD.id USING ERRCODE = 'raise_exception';
    END IF;
    IF {_row("NEW")} IS DISTINCT FROM {_row("OLD")} THEN
        RAISE EXCEPTION 'submission % is evidence: its submitted fields never change', OLD.id USING ERRCODE = 'raise_exception';
    END IF;
    IF OLD.chain_seq IS NOT NULL
       AND (NEW.chain_seq, NEW.chain_sha256, NEW.received_at) IS DISTINCT FROM (OLD.chain_seq, OLD.chain_sha256, OLD.received_at) THEN
        RAISE EXCEPTION 'submission % is evidence: its chain link never changes', OLD.id USING ERRCODE = 'raise_exception';
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION reports_append_only_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'raise_exception';
END
$$;

CREATE OR REPLACE FUNCTION reports_chainhead_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR NEW.seq <= OLD.seq
       OR (NEW.election_id, NEW.organization_id, NEW.kind) IS DISTINCT FROM (OLD.election_id, OLD.organization_id, OLD.kind) THEN
        RAISE EXCEPTION 'a chain head only moves forward: % refused', TG_OP USING ERRCODE = 'raise_exception';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER reports_submission_evidence BEFORE UPDATE OR DELETE ON reports_submission
    FOR EACH ROW EXECUTE FUNCTION reports_submission_guard();
CREATE TRIGGER reports_reportevent_append_only BEFORE UPDATE OR DELETE ON reports_reportevent
    FOR EACH ROW EXECUTE FUNCTION reports_append_only_guard();
CREATE TRIGGER reports_checkpoint_append_only BEFORE UPDATE OR DELETE ON reports_checkpoint
    FOR EACH ROW EXECUTE FUNCTION reports_append_only_guard();
CREATE TRIGGER reports_chainhead_forward BEFORE UPDATE OR DELETE ON reports_chainhead
    FOR EACH ROW EXECUTE FUNCTION reports_chainhead_guard();
"""

DROP = """
DROP TRIGGER IF EXISTS reports_chainhead_forward ON reports_chainhead;
DROP TRIGGER IF EXISTS reports_checkpoint_append_only ON reports_checkpoint;
DROP TRIGGER IF EXISTS reports_reportevent_append_only ON reports_reportevent;
DROP TRIGGER IF EXISTS reports_submission_evidence ON reports_submission;
DROP FUNCTION IF EXISTS reports_chainhead_guard();
DROP FUNCTION IF EXISTS reports_append_only_guard();
DROP FUNCTION IF EXISTS reports_submission_guard();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("reports", "0012_checkpoints")]

    operations = [migrations.RunPython(create, drop)]
