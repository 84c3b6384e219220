"""One hash chain per (election, organization, kind of submission) instead of
one per election (docs/export.md, "The hashes").

Existing submissions are re-chained deterministically: each chain takes its
submissions in their old chain order (receipt order), numbers them from 1 and
recomputes every link with `reports.integrity.chain_link` (the link itself is
unchanged). Their chain positions and links therefore change: a file exported
before this migration still verifies on its own, but not against the platform
(`manage.py verify_export`). `reports_chain_append` takes the chain's key."""

import django.db.models.deletion
from django.db import migrations, models

from monitoring.localtime import format_utc
from reports.integrity import GENESIS, chain_link

BATCH = 2000

FUNCTION = r"""
DROP FUNCTION IF EXISTS reports_chain_append(bigint, uuid, text);
CREATE OR REPLACE FUNCTION reports_chain_append(p_election bigint, p_organization bigint, p_kind text, p_report uuid, p_content text)
RETURNS TABLE (chain_seq bigint, chain_sha256 text, received_at timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
    head record;
    moment timestamptz;
    link text;
BEGIN
    SELECT h.id, h.seq, h.sha256 INTO head FROM reports_chainhead h
    WHERE h.election_id = p_election AND h.organization_id = p_organization AND h.kind = p_kind FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    -- Taken under the lock, so chain order is receipt order.
    moment := date_trunc('microseconds', clock_timestamp());
    link := encode(sha256(convert_to(
        head.sha256 || E'\n' || (head.seq + 1)::text || E'\n' || p_report::text || E'\n'
        || reports_format_utc(moment) || E'\n' || p_content,
        'UTF8')), 'hex');
    UPDATE reports_chainhead SET seq = head.seq + 1, sha256 = link WHERE id = head.id;
    UPDATE reports_submission r SET received_at = moment, chain_seq = head.seq + 1, chain_sha256 = link WHERE r.id = p_report;
    RETURN QUERY SELECT head.seq + 1, link, moment;
END
$$;
"""
DROP_FUNCTION = "DROP FUNCTION IF EXISTS reports_chain_append(bigint, bigint, text, uuid, text);"


def rechain(apps, schema_editor):
    Submission = apps.get_model("reports", "Submission")
    ChainHead = apps.get_model("reports", "ChainHead")
    heads: dict[tuple, list] = {}
    pending = []
    rows = (
        Submission.objects.filter(chain_seq__isnull=False)
        .order_by("election_id", "chain_seq", "received_at", "id")
        .only("id", "election_id", "organization_id", "kind", "received_at", "content_sha256")
    )
    for submission in rows.iterator(chunk_size=BATCH):
        key = (submission.election_id, submission.organization_id, submission.kind)
        head = heads.setdefault(key, [0, GENESIS])
        seq = head[0] + 1
        link = chain_link(
            previous=head[1],
            seq=seq,
            report_id=str(submission.pk),
            received_at_utc=format_utc(submission.received_at),
            content_sha256=submission.content_sha256,
        )
        head[0], head[1] = seq, link
        submission.chain_seq, submission.chain_sha256 = seq, link
        pending.append(submission)
        if len(pending) == BATCH:
            Submission.objects.bulk_update(pending, ["chain_seq", "chain_sha256"])
            pending = []
    Submission.objects.bulk_update(pending, ["chain_seq", "chain_sha256"])
    ChainHead.objects.bulk_create(
        ChainHead(election_id=election, organization_id=organization, kind=kind, seq=seq, sha256=link)
        for (election, organization, kind), (seq, link) in heads.items()
    )


def function_forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0002_deployment_plan_and_hotline"),
        ("reports", "0010_checklist_kind"),
    ]

    operations = [
        migrations.CreateModel(
            name="ChainHead",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(choices=[("incident", "incident report"), ("checkin", "check-in"), ("checklist", "checklist")], max_length=16),
                ),
                ("seq", models.PositiveBigIntegerField(default=0)),
                ("sha256", models.CharField(max_length=64)),
                ("election", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="monitoring.election")),
                (
                    "organization",
                    models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="monitoring.observerorganization"),
                ),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("election", "organization", "kind"), name="chain_head_unique_per_chain")]
            },
        ),
        migrations.RemoveConstraint(model_name="submission", name="report_chain_seq_unique_in_election"),
        migrations.RunPython(rechain, migrations.RunPython.noop, elidable=False),
        migrations.AddConstraint(
            model_name="submission",
            constraint=models.UniqueConstraint(fields=("election", "organization", "kind", "chain_seq"), name="submission_chain_seq_unique_in_chain"),
        ),
        migrations.RunPython(function_forwards, migrations.RunPython.noop),
        migrations.DeleteModel(name="ReportChainHead"),
    ]
