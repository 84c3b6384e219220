"""`manage.py load_form`: a form's versions, immutable once written."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from checklists.formdoc import FormDocumentError
from checklists.models import Form, FormVersion, ImmutableRowError
from checklists.services.forms import form_load
from testkit.factories import ElectionFactory

from .conftest import demo_document

pytestmark = pytest.mark.django_db


@pytest.fixture
def election():
    return ElectionFactory(code="kz-test-2021")


def load(path, election_code="kz-test-2021") -> str:
    out = StringIO()
    call_command("load_form", str(path), "--election", election_code, stdout=out)
    return out.getvalue().strip()


def write(tmp_path, document, name="form.json"):
    path = tmp_path / name
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_form_loads_as_version_1_and_the_same_content_again_changes_nothing(election, tmp_path):
    path = write(tmp_path, demo_document("counting"))
    assert load(path) == "form counting (CN, counting) of kz-test-2021: version 1 loaded"
    # Key order and layout do not make a new version: the content is the same.
    reordered = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=lambda pairs: dict(reversed(pairs)))
    assert (
        load(write(tmp_path, reordered, "again.json")) == "form counting (CN, counting) of kz-test-2021: unchanged (version 1 is current)"
    )
    form = Form.objects.get(election=election, code="counting")
    assert (form.short_code, form.phase) == ("CN", "counting")
    assert list(form.versions.values_list("number", flat=True)) == [1]


def test_a_changed_form_is_a_new_version_and_the_old_one_stays_as_it_was(election, tmp_path):
    load(write(tmp_path, demo_document("counting")))
    first = FormVersion.objects.get(form__code="counting")
    before = (first.document, first.document_sha256, first.created_at)
    changed = demo_document("counting")
    changed["sections"][1]["questions"][0]["max"] = 5000
    assert load(write(tmp_path, changed, "v2.json")) == "form counting (CN, counting) of kz-test-2021: version 2 loaded"
    first.refresh_from_db()
    assert (first.document, first.document_sha256, first.created_at) == before
    assert first.document["sections"][1]["questions"][0]["max"] == 10000
    # Loading the first content again is a change back: version 3, equal to version 1.
    assert load(write(tmp_path, demo_document("counting"), "v3.json")).endswith("version 3 loaded")
    assert FormVersion.objects.get(form__code="counting", number=3).document_sha256 == first.document_sha256


def test_form_versions_can_never_be_changed_or_deleted(election):
    version = form_load(election=election, document=demo_document("opening")).version
    version.document = {"changed": True}
    with pytest.raises(ImmutableRowError):
        version.save()
    with pytest.raises(ImmutableRowError):
        version.delete()
    with pytest.raises(ImmutableRowError):
        FormVersion.objects.filter(pk=version.pk).update(document={})
    with pytest.raises(ImmutableRowError):
        FormVersion.objects.filter(pk=version.pk).delete()
    with pytest.raises(ImmutableRowError):
        FormVersion.objects.bulk_update([version], ["document"])
    assert FormVersion.objects.get(pk=version.pk).document == demo_document("opening")


def test_a_forms_phase_and_short_code_never_change(election):
    form_load(election=election, document=demo_document("closing"))
    moved = demo_document("closing") | {"phase": "counting", "short_code": "CX"}
    with pytest.raises(FormDocumentError) as caught:
        form_load(election=election, document=moved)
    assert caught.value.problems == [
        "phase: form closing is a closing form; its phase never changes (give a new code)",
        "short_code: form closing has short code CL; it never changes (give a new code)",
    ]


def test_forms_of_an_election_have_their_own_short_codes_and_one_results_protocol(election):
    form_load(election=election, document=demo_document("counting"))
    clash = demo_document("opening") | {"short_code": "CN"}
    with pytest.raises(FormDocumentError, match="short_code: CN is already the short code of form counting"):
        form_load(election=election, document=clash)
    second = demo_document("counting") | {"code": "counting_copy", "short_code": "CC"}
    with pytest.raises(FormDocumentError, match="parties: form counting already holds this election's results protocol"):
        form_load(election=election, document=second)
    other = ElectionFactory(code="kz-other-2023")
    assert form_load(election=other, document=demo_document("counting")).version.number == 1


def test_a_bad_document_is_refused_with_every_problem_and_nothing_written(election, tmp_path):
    document = demo_document("counting")
    document["rules"][0]["expression"] = "ballots_received == ballots_isued"
    document["sections"][0]["questions"][0]["code"] = "Bad Code"
    with pytest.raises(CommandError) as caught:
        load(write(tmp_path, document))
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'form.json'} refused, nothing was loaded:\n")
    assert "  sections[0].questions[0].code: 'Bad Code' does not match '^[a-z][a-z0-9_]{0,62}$'" in message
    assert not Form.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"format": 1,', "is not JSON: line 1 column 14: Expecting property name enclosed in double quotes"),
        (b'{"format": NaN}', "is not JSON: NaN is not a number JSON allows"),
        (b"\xff\xfe{}", "is not UTF-8 text (invalid start byte at byte 0)"),
    ],
)
def test_a_file_that_is_not_a_json_document_is_refused(election, tmp_path, content, message):
    path = tmp_path / "form.json"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load(path)


def test_unknown_election_and_missing_file_are_refused(election, tmp_path):
    with pytest.raises(CommandError, match="unknown election 'nope'"):
        load(write(tmp_path, demo_document("opening")), "nope")
    with pytest.raises(CommandError, match="no such file"):
        load(tmp_path / "missing.json")
