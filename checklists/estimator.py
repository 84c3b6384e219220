"""The quick count's estimator (pure; numpy): turnout and each party's share,
with a 95 % margin of error, from the protocols of the sampled stations.

Method (docs/quick-count.md works an example): every figure is a ratio of two
totals, turnout = ballots cast / registered voters, a party's share = its
votes / valid votes (the votes for all parties). Both totals are estimated
from the sample by expanding each stratum's sum by N_h / n_h (stations in the
stratum / stations of it that reported), and their ratio is the combined
ratio estimator R = Y / X. Its variance is the linearized (Taylor) variance
with the finite population correction:

    e_hi = y_hi - R x_hi
    V(R) = 1 / X^2 * sum_h N_h^2 (1 - n_h / N_h) s_h^2 / n_h,  s_h^2 the variance of e within stratum h

and the margin is 1.96 * sqrt(V). A region's estimate is the same estimator
over the domain (y and x are zero outside the region; the strata stay the
sample's), which for a sample stratified by region is the region's own
stratum. Stations that did not report are left out of n_h, which assumes that
within a stratum they vote like those that did.

tools/quick_count.py computes the same with the standard library; a test keeps
the two in agreement.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

Z95 = 1.959963984540054  # the standard normal's 97.5 % quantile
NATIONAL = "national"


@dataclass(frozen=True)
class StationFigures:
    """One sampled station's counting protocol, as the quick count reads it."""

    station: str
    stratum: str
    region: str
    registered_voters: int
    ballots_cast: int
    votes: Mapping[str, int]


@dataclass(frozen=True)
class OfficialFigures:
    """What the commission announced for one area (national or a region)."""

    registered_voters: int
    ballots_cast: int
    votes: Mapping[str, int]

    @property
    def turnout(self) -> float | None:
        return self.ballots_cast / self.registered_voters if self.registered_voters else None

    def share(self, party: str) -> float | None:
        valid = sum(self.votes.values())
        return self.votes.get(party, 0) / valid if valid else None


@dataclass(frozen=True)
class Interval:
    estimate: float | None
    moe: float | None

    @property
    def low(self) -> float | None:
        return None if self.estimate is None or self.moe is None else self.estimate - self.moe

    @property
    def high(self) -> float | None:
        return None if self.estimate is None or self.moe is None else self.estimate + self.moe

    def contains(self, value: float) -> bool:
        return self.estimate is not None and self.moe is not None and abs(value - self.estimate) <= self.moe


@dataclass(frozen=True)
class FigureResult:
    """An estimate, and where the official figure lies against its margin."""

    code: str  # "turnout" or a party code
    interval: Interval
    official: float | None = None

    @property
    def outside_moe(self) -> bool | None:
        if self.official is None or self.interval.estimate is None or self.interval.moe is None:
            return None
        return not self.interval.contains(self.official)

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "estimate": self.interval.estimate,
            "moe": self.interval.moe,
            "official": self.official,
            "outside_moe": self.outside_moe,
        }


@dataclass(frozen=True)
class AreaResult:
    area: str  # NATIONAL or a region code
    reported: int  # sampled stations of the area whose protocol is counted
    turnout: FigureResult
    parties: tuple[FigureResult, ...]
    notes: tuple[str, ...] = ()

    def party(self, code: str) -> FigureResult:
        return next(p for p in self.parties if p.code == code)

    def as_dict(self) -> dict:
        return {
            "area": self.area,
            "reported": self.reported,
            "turnout": self.turnout.as_dict(),
            "parties": [p.as_dict() for p in self.parties],
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class QuickCount:
    sample_size: int
    reported: int
    national: AreaResult
    regions: tuple[AreaResult, ...] = field(default=())

    def region(self, code: str) -> AreaResult:
        return next(r for r in self.regions if r.area == code)


def ratio_estimates(y: np.ndarray, x: np.ndarray, stratum: np.ndarray, populations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Combined ratio estimates sum(y) / sum(x) and their standard errors.

    y: (n, k) numerators, x: (n, k) or (n,) denominators for n reporting
    stations; stratum: (n,) stratum index of each station; populations: (H,)
    stations per stratum. Strata without a reporting station add nothing; a
    stratum with one adds no variance (its variance is unknown). Estimates
    whose denominator total is 0 are NaN."""
    y = np.asarray(y, dtype=float)
    y = y[:, None] if y.ndim == 1 else y
    x = np.asarray(x, dtype=float)
    x = np.broadcast_to(x[:, None] if x.ndim == 1 else x, y.shape)
    populations = np.asarray(populations, dtype=float)
    membership = (stratum[None, :] == np.arange(len(populations))[:, None]).astype(float)  # (H, n)
    n_h = membership.sum(axis=1)
    weight_h = np.divide(populations, n_h, out=np.zeros_like(populations), where=n_h > 0)
    weights = weight_h[stratum]
    total_y = weights @ y
    total_x = weights @ x
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = total_y / total_x
        residual = y - ratio * x  # (n, k)
        mean_h = (membership @ residual) / n_h[:, None]
        spread = residual - mean_h[stratum]
        s2_h = np.where(n_h[:, None] > 1, (membership @ spread**2) / np.maximum(n_h - 1, 1)[:, None], 0.0)
        fpc_h = np.where(n_h > 0, 1 - n_h / populations, 0.0)
        variance = (populations**2 * fpc_h / np.maximum(n_h, 1)) @ s2_h / total_x**2
    return ratio, np.sqrt(variance)


def quick_count(
    *,
    stations: Sequence[StationFigures],
    strata: Mapping[str, int],
    parties: Sequence[str],
    sample_size: int,
    official: Mapping[str, OfficialFigures] | None = None,
    regions: Sequence[str] | None = None,
    z: float = Z95,
) -> QuickCount:
    """National and regional estimates from the reporting sampled stations.

    strata: stations per stratum in the population (every stratum of the
    sample, reported or not); official: the commission's figures by area
    (NATIONAL, region codes), to mark the ones outside the margin; regions:
    the regions to estimate (by default those of the stations and of the
    official figures)."""
    official = official or {}
    codes = sorted(strata)
    index = {h: i for i, h in enumerate(codes)}
    unknown = sorted({s.stratum for s in stations} - set(index))
    if unknown:
        raise ValueError(f"stations in strata the sample does not have: {', '.join(unknown)}")
    stratum = np.array([index[s.stratum] for s in stations], dtype=int)
    populations = np.array([strata[h] for h in codes], dtype=float)
    registered = np.array([s.registered_voters for s in stations], dtype=float)
    cast = np.array([s.ballots_cast for s in stations], dtype=float)
    votes = np.array([[s.votes.get(p, 0) for p in parties] for s in stations], dtype=float).reshape(len(stations), len(parties))
    region_of = np.array([s.region for s in stations], dtype=object)
    if regions is None:
        regions = sorted(({s.region for s in stations} | set(official)) - {NATIONAL})

    def area(code: str, mask: np.ndarray) -> AreaResult:
        m = mask.astype(float)
        turnout, turnout_se = ratio_estimates(cast * m, registered * m, stratum, populations)
        valid = votes.sum(axis=1) * m
        shares, shares_se = ratio_estimates(votes * m[:, None], valid, stratum, populations)
        announced = official.get(code)
        return AreaResult(
            area=code,
            reported=int(mask.sum()),
            turnout=FigureResult("turnout", _interval(turnout[0], turnout_se[0], z), announced.turnout if announced else None),
            parties=tuple(
                FigureResult(p, _interval(shares[i], shares_se[i], z), announced.share(p) if announced else None)
                for i, p in enumerate(parties)
            ),
            notes=_notes(codes, populations, stratum, mask),
        )

    every = np.ones(len(stations), dtype=bool)
    return QuickCount(
        sample_size=sample_size,
        reported=len(stations),
        national=area(NATIONAL, every),
        regions=tuple(area(r, region_of == r) for r in regions),
    )


def _interval(estimate: float, se: float, z: float) -> Interval:
    if not np.isfinite(estimate):
        return Interval(None, None)
    return Interval(float(estimate), float(z * se) if np.isfinite(se) else None)


def _notes(codes: list[str], populations: np.ndarray, stratum: np.ndarray, mask: np.ndarray) -> tuple[str, ...]:
    """Why an area's margin may be too narrow: strata of the area with fewer
    than two reporting stations."""
    if not mask.any():
        return ("no sampled station of this area has reported",)
    counts = np.bincount(stratum, minlength=len(codes))
    involved = set(stratum[mask].tolist()) if len(codes) > 1 and not mask.all() else set(range(len(codes)))
    notes = []
    for i in sorted(involved):
        if counts[i] == 0:
            notes.append(f"stratum {codes[i]}: no station reported ({int(populations[i])} stations unrepresented)")
        elif counts[i] == 1:
            notes.append(f"stratum {codes[i]}: one station reported, its variance is unknown (counted as 0)")
    return tuple(notes)
