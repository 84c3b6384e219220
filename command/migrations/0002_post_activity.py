"""The coverage board's read model: per (election, organization, observer,
station) the latest arrival, "left" and other submission, kept by PostgreSQL
triggers on reports_submission, and filled from the submissions already there.

Submissions are evidence (reports 0013): on PostgreSQL they are never deleted
and their submitted fields never change, so only two writes move a row:

- an insert (not rejected) raises the row's times with GREATEST in one
  INSERT ... ON CONFLICT DO UPDATE: commutative, and the upsert locks the row,
  so concurrent inserts for the same post never lose one another;
- a submission entering or leaving `rejected` recounts its row from the
  submissions after taking the row's lock (each statement of the function
  reads a fresh snapshot under READ COMMITTED, so the recount sees every
  insert committed before the lock was granted, and a later insert waits
  for the recount and raises on top of it).

SQLite (development) gets the table and no triggers; the coverage reads the
submissions there."""

import django.db.models.deletion
from django.db import migrations, models


TIMES = """
    CASE WHEN {s}.checkin_kind = 'arrived' THEN {s}.occurred_at END,
    CASE WHEN {s}.checkin_kind = 'left' THEN {s}.occurred_at END,
    CASE WHEN {s}.checkin_kind IS DISTINCT FROM 'arrived' THEN {s}.occurred_at END
"""

CREATE = f"""
CREATE OR REPLACE FUNCTION command_postactivity_raise() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO command_postactivity AS p
        (election_id, organization_id, observer_id, station_id, last_arrived_at, last_left_at, last_other_at)
    VALUES (NEW.election_id, NEW.organization_id, NEW.submitted_by_id, NEW.station_id, {TIMES.format(s="NEW")})
    ON CONFLICT (election_id, organization_id, observer_id, station_id) DO UPDATE SET
        last_arrived_at = GREATEST(p.last_arrived_at, EXCLUDED.last_arrived_at),
        last_left_at = GREATEST(p.last_left_at, EXCLUDED.last_left_at),
        last_other_at = GREATEST(p.last_other_at, EXCLUDED.last_other_at);
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION command_postactivity_recount() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO command_postactivity (election_id, organization_id, observer_id, station_id)
    VALUES (NEW.election_id, NEW.organization_id, NEW.submitted_by_id, NEW.station_id)
    ON CONFLICT DO NOTHING;
    PERFORM 1 FROM command_postactivity
    WHERE election_id = NEW.election_id AND organization_id = NEW.organization_id
      AND observer_id = NEW.submitted_by_id AND station_id = NEW.station_id
    FOR UPDATE;
    UPDATE command_postactivity p SET last_arrived_at = a.arrived, last_left_at = a.gone, last_other_at = a.other
    FROM (
        SELECT MAX(s.occurred_at) FILTER (WHERE s.checkin_kind = 'arrived') AS arrived,
               MAX(s.occurred_at) FILTER (WHERE s.checkin_kind = 'left') AS gone,
               MAX(s.occurred_at) FILTER (WHERE s.checkin_kind IS DISTINCT FROM 'arrived') AS other
        FROM reports_submission s
        WHERE s.submitted_by_id = NEW.submitted_by_id AND s.station_id = NEW.station_id
          AND s.election_id = NEW.election_id AND s.organization_id = NEW.organization_id AND s.state <> 'rejected'
    ) a
    WHERE p.election_id = NEW.election_id AND p.organization_id = NEW.organization_id
      AND p.observer_id = NEW.submitted_by_id AND p.station_id = NEW.station_id;
    RETURN NULL;
END
$$;

CREATE TRIGGER command_postactivity_insert AFTER INSERT ON reports_submission
    FOR EACH ROW WHEN (NEW.state <> 'rejected') EXECUTE FUNCTION command_postactivity_raise();
CREATE TRIGGER command_postactivity_rejected AFTER UPDATE OF state ON reports_submission
    FOR EACH ROW WHEN ((OLD.state = 'rejected') IS DISTINCT FROM (NEW.state = 'rejected'))
    EXECUTE FUNCTION command_postactivity_recount();

INSERT INTO command_postactivity
    (election_id, organization_id, observer_id, station_id, last_arrived_at, last_left_at, last_other_at)
SELECT election_id, organization_id, submitted_by_id, station_id,
       MAX(occurred_at) FILTER (WHERE checkin_kind = 'arrived'),
       MAX(occurred_at) FILTER (WHERE checkin_kind = 'left'),
       MAX(occurred_at) FILTER (WHERE checkin_kind IS DISTINCT FROM 'arrived')
FROM reports_submission WHERE state <> 'rejected'
GROUP BY election_id, organization_id, submitted_by_id, station_id;
"""

DROP = """
DROP TRIGGER IF EXISTS command_postactivity_insert ON reports_submission;
DROP TRIGGER IF EXISTS command_postactivity_rejected ON reports_submission;
DROP FUNCTION IF EXISTS command_postactivity_raise();
DROP FUNCTION IF EXISTS command_postactivity_recount();
"""


def _on_postgresql(sql: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(sql)  # no parameters: several statements in one

    return run


class Migration(migrations.Migration):

    dependencies = [
        ('command', '0001_initial'),
        ('monitoring', '0002_deployment_plan_and_hotline'),
        ('reports', '0014_cluster_refresh'),
    ]

    operations = [
        migrations.CreateModel(
            name='PostActivity',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('organization_id', models.IntegerField()),
                ('station_id', models.IntegerField()),
                ('last_arrived_at', models.DateTimeField(null=True)),
                ('last_left_at', models.DateTimeField(null=True)),
                ('last_other_at', models.DateTimeField(null=True)),
                ('election', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='monitoring.election')),
                ('observer', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='monitoring.observer')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('election', 'organization_id', 'observer', 'station_id'), name='postactivity_unique')],
            },
        ),
        migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP)),
    ]
