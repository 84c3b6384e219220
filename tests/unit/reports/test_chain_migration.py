"""Migration 0011 re-chains the submissions of a database that had one chain
per election: one chain per (election, organization, kind), each numbered from
1 in the old (receipt) order, every link recomputed, and a head per chain."""

import importlib

from django.apps import apps

from monitoring.localtime import format_utc
from reports import integrity
from reports.models import ChainHead, Submission
from tests.filing import file_checkin, file_report

rechain = importlib.import_module("reports.migrations.0011_chain_per_organization_and_kind").rechain


def test_rechaining_gives_each_organization_and_kind_its_own_chain_in_receipt_order(world):
    filed = [
        file_report(world),
        file_report(world, observer=world.other_observer),
        file_checkin(world),
        file_report(world, observer=world.observer_2),
        file_report(world, observer=world.other_observer),
    ]
    # As the database was before: one chain per election, in receipt order (from
    # 101 here: the migration drops the new unique constraint while it runs, this test cannot).
    ChainHead.objects.all().delete()
    for position, submission in enumerate(filed, start=101):
        Submission.objects.filter(pk=submission.pk).update(chain_seq=position, chain_sha256="0" * 64)

    rechain(apps, None)

    rows = {s.pk: s for s in Submission.objects.all()}
    mine = [rows[filed[0].pk], rows[filed[3].pk]]
    others = [rows[filed[1].pk], rows[filed[4].pk]]
    assert [s.chain_seq for s in mine] == [s.chain_seq for s in others] == [1, 2]
    assert rows[filed[2].pk].chain_seq == 1  # the check-ins' chain
    for chain in (mine, others, [rows[filed[2].pk]]):
        previous = integrity.GENESIS
        for s in chain:
            link = integrity.chain_link(
                previous=previous,
                seq=s.chain_seq,
                report_id=str(s.pk),
                received_at_utc=format_utc(s.received_at),
                content_sha256=s.content_sha256,
            )
            assert s.chain_sha256 == link
            previous = link
        head = ChainHead.objects.get(election=world.election, organization=chain[0].organization, kind=chain[0].kind)
        assert (head.seq, head.sha256) == (len(chain), previous)
