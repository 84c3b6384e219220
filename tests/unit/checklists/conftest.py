"""Shared helpers of the checklists tests: the shipped demo forms as data."""

import copy
import json
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[3] / "checklists" / "data"


def demo_document(name: str) -> dict:
    """A fresh copy of a shipped form's document (opening, voting, closing, counting)."""
    return copy.deepcopy(json.loads((DATA / f"{name}.json").read_text(encoding="utf-8")))


@pytest.fixture
def counting_document() -> dict:
    return demo_document("counting")
