"""Signed checkpoints of the hash chains (#12 item 2): the key, the beat
task, the API, what an export's manifest carries, and the stand-alone
verifier's checks against them, including the issue's attack: a description
rewritten, re-hashed and re-linked in the database is caught by a checkpoint
an auditor kept from before."""

import base64
import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.core.management import call_command
from django.core.management.base import CommandError

from monitoring.localtime import format_utc
from reports import export, integrity, signing
from reports.models import AppendOnlyError, ChainHead, Checkpoint, IncidentReport
from reports.services.checkpoints import checkpoints_for_moved_chains
from reports.tasks import checkpoint_chains
from testkit.factories import report_content_sha256
from tests.filing import file_report
from tools import verify_export

ROOT = Path(__file__).resolve().parents[4]
TOOL = ROOT / "tools" / "verify_export.py"


def _api(as_user, who, election):
    return as_user(who).get(f"/api/v1/checkpoints/?election={election}")


def _statement_ok(checkpoint: dict, pem: bytes) -> bool:
    key = serialization.load_pem_public_key(pem)
    assert isinstance(key, Ed25519PublicKey)
    try:
        key.verify(base64.b64decode(checkpoint["signature"]), verify_export.checkpoint_statement(checkpoint))
    except Exception:
        return False
    return True


def test_the_public_key_is_served_to_anyone(client):
    response = client.get("/evidence/public-key.pem")
    assert response.status_code == 200 and response.content.decode() == signing.public_key_pem()
    assert response.content.startswith(b"-----BEGIN PUBLIC KEY-----")


def test_beat_signs_only_chains_whose_head_moved(world, as_user, client):
    file_report(world)
    file_report(world, observer=world.other_observer)
    assert checkpoint_chains() == 2  # the beat task: one per organization's chain
    assert checkpoints_for_moved_chains() == 0  # nothing moved since
    file_report(world)
    assert checkpoints_for_moved_chains() == 1

    pem = client.get("/evidence/public-key.pem").content
    listed = _api(as_user, world.coordinator, world.election.code).json()["results"]
    head = ChainHead.objects.get(election=world.election, organization=world.observer.organization, kind="incident")
    assert [(c["seq"], c["head"]) for c in listed] == [
        (1, IncidentReport.objects.get(chain_seq=1, organization=world.observer.organization).chain_sha256),
        (2, head.sha256),
    ]
    assert all(_statement_ok(c, pem) for c in listed)
    # What is signed is the platform's own statement, field for field.
    first = Checkpoint.objects.filter(organization=world.observer.organization).order_by("seq").first()
    assert verify_export.checkpoint_statement(listed[0]) == integrity.checkpoint_statement(
        election_code=world.election.code,
        organization_id=first.organization_id,
        kind="incident",
        seq=1,
        head=first.head,
        time_utc=format_utc(first.time),
    )


def test_checkpoints_are_listed_to_the_organizations_coordinators_and_auditors_only(world, as_user):
    file_report(world)
    file_report(world, observer=world.other_observer)
    checkpoints_for_moved_chains()
    mine, theirs = world.observer.organization_id, world.other_observer.organization_id
    for who in (world.coordinator, world.auditor):
        response = _api(as_user, who, world.election.code)
        assert response.status_code == 200 and {c["organization"] for c in response.json()["results"]} == {mine}
    assert {c["organization"] for c in _api(as_user, world.other_coordinator, world.election.code).json()["results"]} == {theirs}
    assert {c["organization"] for c in _api(as_user, world.platform_auditor, world.election.code).json()["results"]} == {mine, theirs}
    assert _api(as_user, world.observer, world.election.code).status_code == 403
    assert _api(as_user, world.coordinator, "no-such-election").status_code == 400


def test_checkpoints_are_append_only(world):
    file_report(world)
    checkpoints_for_moved_chains()
    checkpoint = Checkpoint.objects.get()
    with pytest.raises(AppendOnlyError):
        checkpoint.save()
    with pytest.raises(AppendOnlyError):
        checkpoint.delete()
    with pytest.raises(AppendOnlyError):
        Checkpoint.objects.update(head="0" * 64)
    with pytest.raises(AppendOnlyError):
        Checkpoint.objects.all().delete()


def test_the_pure_python_ed25519_agrees_with_cryptography():
    for size in (0, 1, 64, 1000):
        key = Ed25519PrivateKey.generate()
        pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        raw = verify_export.read_public_key(pem)
        message = os.urandom(size)
        signature = key.sign(message)
        assert verify_export.ed25519_verify(raw, message, signature)
        assert not verify_export.ed25519_verify(raw, message + b"!", signature)
        flipped = bytes([signature[0] ^ 1]) + signature[1:]
        assert not verify_export.ed25519_verify(raw, message, flipped)
        other = Ed25519PrivateKey.generate().public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        assert not verify_export.ed25519_verify(other, message, signature)


# --- Exports and the stand-alone verifier ---------------------------------------------------------


def _export(download, who, tmp_path, name="reports.csv") -> tuple[Path, dict]:
    _response, text = download(who)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    manifest = {r[1]: export.restore(r[2]) for r in csv.reader(io.StringIO(text)) if r and r[0] == "#manifest"}
    return path, manifest


@pytest.fixture
def key_file(tmp_path) -> Path:
    path = tmp_path / "evidence-public-key.pem"
    path.write_text(signing.public_key_pem(), encoding="ascii")
    return path


def _tool(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-I", str(TOOL), *map(str, args)], capture_output=True, text=True, cwd="/", timeout=120)


def test_an_export_carries_the_key_and_the_checkpoint_at_its_last_link(world, download, tmp_path, key_file):
    reports = [file_report(world) for _ in range(3)]
    path, manifest = _export(download, world.auditor, tmp_path)
    assert manifest["format"] == "election-reports-csv/4" and manifest["public_key"] == signing.public_key_pem()
    (chain,) = json.loads(manifest["chains"])
    (checkpoint,) = json.loads(manifest["checkpoints"])
    assert (checkpoint["seq"], checkpoint["head"]) == (chain["last_seq"], chain["last_sha256"]) == (3, reports[-1].chain_sha256)
    assert chain["complete_from_start"] and checkpoint["organization"] == chain["organization_id"] == world.observer.organization_id
    run = _tool(path, "--public-key", key_file)
    assert run.returncode == 0 and "1 signed checkpoint(s) checked" in run.stdout, run.stdout + run.stderr


def _rewrite_and_relink(report, description: str) -> None:
    """The issue's attack, as an insider with the database would do it: the
    description rewritten, its content hash recomputed, and every later link
    of its chain (and the chain head) recomputed."""
    IncidentReport.objects.filter(pk=report.pk).update(
        description=description, content_sha256=report_content_sha256(IncidentReport.objects.get(pk=report.pk), description=description)
    )
    chain = IncidentReport.objects.filter(election=report.election, organization=report.organization).order_by("chain_seq")
    previous = integrity.GENESIS
    for row in chain:
        link = integrity.chain_link(
            previous=previous,
            seq=row.chain_seq,
            report_id=str(row.pk),
            received_at_utc=format_utc(row.received_at),
            content_sha256=row.content_sha256,
        )
        IncidentReport.objects.filter(pk=row.pk).update(chain_sha256=link)
        previous = link
    ChainHead.objects.filter(election=report.election, organization=report.organization, kind="incident").update(sha256=previous)


def test_a_rewrite_after_a_kept_checkpoint_is_caught_naming_the_first_disagreeing_row(world, download, as_user, tmp_path, key_file):
    reports = [file_report(world, description=f"Report {n}: ballots stuffed.") for n in range(1, 5)]
    checkpoints_for_moved_chains()  # at position 4
    kept = tmp_path / "kept.json"
    kept.write_text(json.dumps(_api(as_user, world.auditor, world.election.code).json()), encoding="utf-8")

    _rewrite_and_relink(reports[1], "Report 2: nothing happened.")
    file_report(world)  # the chain goes on; the new export signs its own, rewritten, head (position 5)
    path, manifest = _export(download, world.auditor, tmp_path)
    assert json.loads(manifest["checkpoints"])[0]["seq"] == 5

    assert verify_export.verify(path).ok  # self-consistent, and signed at its own head
    run = _tool(path, "--public-key", key_file)
    assert run.returncode == 0, run.stdout + run.stderr

    run = _tool(path, "--public-key", key_file, "--checkpoint", kept)
    assert run.returncode == 1
    assert f"row 4 (line 5, report {reports[3].pk}) disagrees with a signed checkpoint" in run.stdout
    assert "rewritten after that checkpoint, at one of positions 1..4" in run.stdout


def test_a_rewrite_is_caught_by_the_checkpoint_the_platform_signed_before(world, download, tmp_path, key_file):
    """Without new reports the export's checkpoint is the one already signed
    at that position: the rewritten chain no longer passes through it."""
    reports = [file_report(world) for _ in range(3)]
    checkpoints_for_moved_chains()
    _rewrite_and_relink(reports[0], "Nothing happened.")
    path, _manifest = _export(download, world.auditor, tmp_path)
    result = verify_export.verify(path, public_key=verify_export.read_public_key(key_file.read_text()))
    assert not result.ok and result.problem.kind == "rewritten" and result.problem.row == 3


def test_a_file_re_signed_with_another_key_is_refused_given_the_platforms_key(world, download, tmp_path, key_file):
    file_report(world)
    path, manifest = _export(download, world.auditor, tmp_path)
    forger = Ed25519PrivateKey.generate()
    (checkpoint,) = json.loads(manifest["checkpoints"])
    checkpoint["signature"] = base64.b64encode(forger.sign(verify_export.checkpoint_statement(checkpoint))).decode()
    text = path.read_text(encoding="utf-8")
    records = list(csv.reader(io.StringIO(text)))
    for r in records:
        if r[:2] == ["#manifest", "checkpoints"]:
            r[2] = json.dumps([checkpoint], ensure_ascii=False, sort_keys=True)
        if r[:2] == ["#manifest", "public_key"]:
            r[2] = forger.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    entries = [(r[1], export.restore(r[2])) for r in records if r and r[0] == "#manifest" and r[1] != "manifest_sha256"]
    next(r for r in records if r[:2] == ["#manifest", "manifest_sha256"])[2] = export.manifest_sha256(entries)
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(records)
    path.write_text(out.getvalue(), encoding="utf-8", newline="")

    assert verify_export.verify(path).ok  # consistent with the key it carries
    run = _tool(path, "--public-key", key_file)
    assert run.returncode == 1 and "is not signed by the platform's key" in run.stdout
    with pytest.raises(CommandError) as failure:  # on the platform: its own key
        call_command("verify_export", str(path))
    assert "is not signed by the platform's key" in str(failure.value)


def test_production_refuses_to_start_without_a_signing_key(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("EVIDENCE_")},
        "DEBUG": "false",
        "SECRET_KEY": "x" * 60,
        "ALLOWED_HOSTS": "example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "ALLOW_SQLITE": "true",
        "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
    }
    run = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and "EVIDENCE_SIGNING_KEY" in run.stderr
    key = tmp_path / "key.pem"
    key.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    run = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**env, "EVIDENCE_SIGNING_KEY_FILE": str(key)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    key.write_text("not a key")
    run = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env={**env, "EVIDENCE_SIGNING_KEY_FILE": str(key)}, capture_output=True, text=True, timeout=120
    )
    assert run.returncode != 0 and "reports.E001" in run.stderr and "evidence signing key cannot be read" in run.stderr
