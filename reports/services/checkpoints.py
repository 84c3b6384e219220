"""Signed checkpoints of the hash chains: made by beat for every chain whose
head moved since its last checkpoint, and by every export for each chain in
its file (at the file's last link of that chain). A checkpoint is never made
twice for one position: the one already signed there is the checkpoint, even
when the chain no longer passes through it (that is what it is for)."""

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import F, Max, OuterRef, Q, Subquery
from django.utils import timezone

from monitoring.localtime import format_utc
from monitoring.models import Election

from .. import integrity, signing
from ..models import ChainHead, Checkpoint


def checkpoint_as_json(checkpoint: Checkpoint, *, election_code: str) -> dict:
    """A checkpoint as the API lists it and a manifest embeds it: the signed
    statement's fields and the signature."""
    return {
        "format": integrity.CHECKPOINT_FORMAT,
        "election": election_code,
        "organization": checkpoint.organization_id,
        "kind": checkpoint.kind,
        "seq": checkpoint.seq,
        "head": checkpoint.head,
        "time": format_utc(checkpoint.time),
        "signature": checkpoint.signature,
        "public_key_sha256": checkpoint.public_key_sha256,
    }


def checkpoint_make(*, election: Election, organization_id: int, kind: str, seq: int, head: str) -> Checkpoint:
    """The checkpoint of a chain at `seq`: the one already signed there, or a
    new one stating `head`."""
    chain = {"election": election, "organization_id": organization_id, "kind": kind, "seq": seq}
    existing = Checkpoint.objects.filter(**chain).first()
    if existing is not None:
        return existing
    now = timezone.now().replace(microsecond=0)
    statement = integrity.checkpoint_statement(
        election_code=election.code, organization_id=organization_id, kind=kind, seq=seq, head=head, time_utc=format_utc(now)
    )
    try:
        with transaction.atomic():
            return Checkpoint.objects.create(
                **chain, head=head, time=now, signature=signing.sign(statement), public_key_sha256=signing.public_key_sha256()
            )
    except IntegrityError:  # made at the same moment by beat or another export
        return Checkpoint.objects.get(**chain)


def checkpoints_for_moved_chains() -> int:
    """A checkpoint at the head of every chain that moved since its last one
    (beat, every CHECKPOINT_INTERVAL_SECONDS). Returns how many were made."""
    latest = (
        Checkpoint.objects.filter(election_id=OuterRef("election_id"), organization_id=OuterRef("organization_id"), kind=OuterRef("kind"))
        .values("election_id")
        .annotate(seq=Max("seq"))
        .values("seq")
    )
    moved = (
        ChainHead.objects.filter(seq__gt=0)
        .annotate(checkpointed=Subquery(latest))
        .filter(Q(checkpointed__isnull=True) | Q(checkpointed__lt=F("seq")))
        .select_related("election")
    )
    made = 0
    for head in moved:
        checkpoint_make(election=head.election, organization_id=head.organization_id, kind=head.kind, seq=head.seq, head=head.sha256)
        made += 1
    return made


def checkpoints_for_export(chains: Iterable[dict]) -> list[dict]:
    """The checkpoints covering an export's rows: for each chain in the file
    (the manifest's `chains` entries), the checkpoint at the file's last link."""
    elections = {e.code: e for e in Election.objects.filter(code__in={c["election"] for c in chains})}
    out = []
    for chain in chains:
        if chain["last_seq"] is None:
            continue
        checkpoint = checkpoint_make(
            election=elections[chain["election"]],
            organization_id=chain["organization_id"],
            kind=chain["kind"],
            seq=chain["last_seq"],
            head=chain["last_sha256"],
        )
        out.append(checkpoint_as_json(checkpoint, election_code=chain["election"]))
    return out
