"""The demo election's checklists: the opening, voting, closing and counting
forms (checklists/data/*.json), the commission's official result
(checklists/data/official_results.csv) and a quick-count sample drawn with a
fixed seed. Loaded through the same services as the commands; idempotent."""

import json
from pathlib import Path

from monitoring.models import Election

from .models import Sample
from .selectors import sample_of
from .services.forms import form_load
from .services.official import official_results_import
from .services.samples import sample_draw

DATA = Path(__file__).resolve().parent / "data"
FORM_FILES = ["opening.json", "voting.json", "closing.json", "counting.json"]
OFFICIAL_RESULTS = DATA / "official_results.csv"
SAMPLE_SIZE = 100
SAMPLE_SEED = 20210110


def load_demo_checklists(*, election: Election) -> str:
    loaded = [form_load(election=election, document=json.loads((DATA / name).read_text(encoding="utf-8"))) for name in FORM_FILES]
    with open(OFFICIAL_RESULTS, encoding="utf-8", newline="") as handle:
        official = official_results_import(election=election, lines=handle)
    sample = sample_of(election=election)
    if sample is None:
        sample = sample_draw(election=election, size=SAMPLE_SIZE, seed=SAMPLE_SEED, stratify=Sample.Stratification.REGION).sample
    forms = ", ".join(f"{r.form.code} v{r.version.number}" for r in loaded)
    return f"Checklists: forms {forms}; {official}; quick-count sample of {sample.size} stations."
