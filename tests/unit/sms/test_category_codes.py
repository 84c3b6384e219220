"""The categories' SMS short codes: shipped as data, loaded by the migration,
one per category of the taxonomy, unique and readable after normalization."""

from importlib import import_module

import pytest
from django.apps import apps

from reports.models import IncidentCategory
from reports.taxonomy import taxonomy, taxonomy_sync
from sms.codes import normalize
from sms.data import category_codes, category_codes_sync
from sms.models import CategoryShortCode


def test_every_category_of_the_taxonomy_has_one_short_code():
    codes = category_codes()
    assert sorted(codes.values()) == sorted(entry["code"] for entry in taxonomy())
    assert all(normalize(short) == short and short.isalnum() for short in codes)


@pytest.mark.django_db
def test_the_migration_loads_them_and_a_sync_corrects_a_changed_one():
    # (Run here again: a transactional test earlier in the session flushes what the migration loaded.)
    CategoryShortCode.objects.all().delete()
    taxonomy_sync(IncidentCategory)
    import_module("sms.migrations.0002_category_codes").load_category_codes(apps, None)
    assert dict(CategoryShortCode.objects.values_list("short_code", "category__code")) == category_codes()
    CategoryShortCode.objects.filter(short_code="BS").update(short_code="ZZ")
    assert category_codes_sync(CategoryShortCode, IncidentCategory) == 1
    assert CategoryShortCode.objects.get(category__code="ballot_stuffing").short_code == "BS"
    assert category_codes_sync(CategoryShortCode, IncidentCategory) == 0
