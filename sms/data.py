"""The categories' SMS short codes ship as data (sms/data/category_codes.json),
synced into the database by a migration; a coordinator sees them in the admin
and an observer in the HELP reply."""

import json
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent / "data" / "category_codes.json"


def category_codes() -> dict[str, str]:
    """short code -> category code."""
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def category_codes_sync(short_code_model, category_model) -> int:
    """Give every shipped category its short code (created or corrected);
    returns how many rows changed. Takes the models so a migration can pass its
    historical ones. A category the database does not hold is skipped."""
    changed = 0
    categories = {c.code: c for c in category_model.objects.all()}
    for short_code, code in category_codes().items():
        category = categories.get(code)
        if category is None:
            continue
        row, created = short_code_model.objects.get_or_create(category=category, defaults={"short_code": short_code})
        if created:
            changed += 1
        elif row.short_code != short_code:
            row.short_code = short_code
            row.save(update_fields=["short_code"])
            changed += 1
    return changed
