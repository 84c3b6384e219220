"""The incident taxonomy ships as data (reports/data/categories.json) and is
synced into the database by a migration and by `load_demo`."""

import json
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent / "data" / "categories.json"
FIELDS = ["phase", "default_severity", "critical", "sort_order", "name_en", "name_ru", "name_kk"]


def taxonomy() -> list[dict]:
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def taxonomy_sync(category_model) -> int:
    """Create or update every category of the shipped taxonomy; returns how many
    rows changed. Takes the model so migrations can pass their historical one."""
    changed = 0
    for entry in taxonomy():
        category, created = category_model.objects.get_or_create(code=entry["code"], defaults={k: entry[k] for k in FIELDS})
        if created:
            changed += 1
            continue
        updates = {k: entry[k] for k in FIELDS if getattr(category, k) != entry[k]}
        if updates:
            for key, value in updates.items():
                setattr(category, key, value)
            category.save(update_fields=list(updates))
            changed += 1
    return changed
