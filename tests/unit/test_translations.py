"""Translations: every catalog compiled from its current .po, nothing left
untranslated or fuzzy, and every text an observer can be shown (rejection
reasons, flag explanations, script texts, category names) exists in Kazakh and
Russian. A new reason or flag added without its translation fails here, by
name."""

import ast
import gettext
from pathlib import Path

import pytest
from django.utils import translation

from reports.models import IncidentCategory, ReportState, Severity
from reports.rules import FLAG_TEXT, FLAG_VARIANT_TEXT
from reports.taxonomy import taxonomy
from reports.validation import REASON_TEXT

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ["kk", "ru"]


def parse_po(path: Path) -> list[dict]:
    """Minimal .po reader (msgid, msgstr or msgid_plural and msgstr[n], flags); enough for our catalogs."""
    entries, current, field = [], None, None
    for raw in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line:
            if current and "msgid" in current:
                entries.append(current)
            current, field = None, None
            continue
        current = current if current is not None else {"flags": []}
        if line.startswith("#,"):
            current["flags"] += [f.strip() for f in line[2:].split(",")]
        elif line.startswith("#"):
            continue
        elif line.startswith(("msgid ", "msgstr ", "msgid_plural ", "msgstr[")):
            field, _, value = line.partition(" ")
            current[field] = ast.literal_eval(value)
        elif line.startswith('"') and field:
            current[field] += ast.literal_eval(line)
    return entries


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_is_complete_and_compiled_from_its_po(language):
    po = ROOT / "locale" / language / "LC_MESSAGES" / "django.po"
    mo = po.with_suffix(".mo")
    entries = [e for e in parse_po(po) if e["msgid"]]
    assert len(entries) > 200
    forms = {e["msgid"]: [v for k, v in e.items() if k.startswith("msgstr")] for e in entries}
    assert [msgid for msgid, translations in forms.items() if not all(translations)] == []
    assert [e["msgid"] for e in entries if "fuzzy" in e["flags"]] == []
    with mo.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)._catalog
    singular = {e["msgid"]: e["msgstr"] for e in entries if "msgstr" in e}
    plural = {(e["msgid"], int(k[7:-1])): v for e in entries for k, v in e.items() if k.startswith("msgstr[")}
    assert singular == {k: v for k, v in compiled.items() if k and isinstance(k, str)}, "run `make messages`"
    assert plural == {k: v for k, v in compiled.items() if isinstance(k, tuple)}, "run `make messages`"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("code", sorted(REASON_TEXT))
def test_every_rejection_reason_is_translated(language, code):
    english = str(REASON_TEXT[code])
    with translation.override(language):
        assert str(REASON_TEXT[code]) != english


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("code", sorted(FLAG_TEXT))
def test_every_flag_explanation_is_translated_with_the_same_placeholders(language, code):
    import re

    english = str(FLAG_TEXT[code])
    with translation.override(language):
        translated = str(FLAG_TEXT[code])
    assert translated != english
    assert sorted(re.findall(r"\{\w+\}", translated)) == sorted(re.findall(r"\{\w+\}", english))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("key", list(FLAG_VARIANT_TEXT), ids=str)
def test_every_variant_wording_is_translated_with_the_same_placeholders(language, key):
    import re

    template = FLAG_VARIANT_TEXT[key]
    english = str(template)
    with translation.override(language):
        translated = str(template)
    assert translated != english
    assert sorted(re.findall(r"\{\w+\}", translated)) == sorted(re.findall(r"\{\w+\}", english))


@pytest.mark.parametrize("language", LANGUAGES)
def test_script_texts_states_severities_and_phases_are_translated(language):
    from reports.views.observer import STATUS_LABELS, _client_strings

    english = {**_client_strings(), **{k: str(v) for k, v in STATUS_LABELS.items()}}
    labels = [str(label) for _, label in [*ReportState.choices, *Severity.choices, *IncidentCategory.Phase.choices]]
    with translation.override(language):
        translated = {**_client_strings(), **{k: str(v) for k, v in STATUS_LABELS.items()}}
        translated_labels = [str(label) for _, label in [*ReportState.choices, *Severity.choices, *IncidentCategory.Phase.choices]]
    assert [k for k in english if english[k] == translated[k]] == []
    assert [a for a, b in zip(labels, translated_labels, strict=True) if a == b] == []


def test_every_category_has_kazakh_and_russian_names():
    assert [c["code"] for c in taxonomy() if not (c["name_kk"] and c["name_ru"])] == []


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("code", sorted(FLAG_TEXT))
def test_every_flag_has_an_observers_wording_translated_from_the_flags_own_params(language, code):
    """The observer's wording may use only params the rule stores (those of the
    coordinators' explanation), and exists for every rule."""
    import re

    from reports.rules import OBSERVER_FLAG_TEXT

    english = str(OBSERVER_FLAG_TEXT[code])
    assert set(re.findall(r"\{\w+\}", english)) <= set(re.findall(r"\{\w+\}", str(FLAG_TEXT[code])))
    with translation.override(language):
        translated = str(OBSERVER_FLAG_TEXT[code])
    assert translated != english
    assert sorted(re.findall(r"\{\w+\}", translated)) == sorted(re.findall(r"\{\w+\}", english))
