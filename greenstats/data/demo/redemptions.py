"""Redemptions: the catalogue of what users can adopt (each project's species, with the
brands), and how a planter saves energy for an item and adopts it once it is covered."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from greenstats.data.demo.conservation import _Area, _protected_areas
from greenstats.data.demo.people import (
    _CST_US,
    _DAY_US,
    _HOUR_US,
    DEMO_END,
    _brands,
    _Calendar,
    _day_index,
    _rng,
    _Users,
)
from greenstats.data.demo.projects import (
    COASTAL_M2,
    COASTAL_M2_P,
    NEW_PAIR_BOOST,
    PROTECTED,
    SHARE_M2,
    SpeciesSpec,
    _afforestation,
    _coastal,
    _Project,
    _species_table,
    _with_ids,
)

REDEEM_DELAY_H = 3.0  # mean hours from enough energy to the redemption


# --- the catalogue -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Catalog:
    """Species, projects, protected areas, brands and what a user can redeem."""

    species: dict[str, SpeciesSpec]
    projects: list[_Project]
    areas: list[_Area]
    pair_project: np.ndarray  # a redeemable item: (project, species) ...
    pair_species: np.ndarray  # ... species index into `species`
    pair_start: np.ndarray  # ... first day it can be redeemed
    pair_weight: np.ndarray  # ... popularity within its species
    brands: pa.Array  # brand ids
    brand_rows: list[dict]  # brands.csv: brand_id, name, name_zh
    brand_group: np.ndarray  # index into BRAND_GROUPS per brand
    brand_weight: np.ndarray  # Zipf-like popularity within its group
    brand_energy: np.ndarray  # g per efficient appliance (appliance brands)

    @property
    def species_codes(self) -> tuple[str, ...]:
        return tuple(self.species)


def _catalog(seed: int) -> _Catalog:
    """Every fixed thing users and partners deal with: species, projects, areas, brands."""
    rng = _rng(seed, 2)
    species = _species_table()
    areas = _protected_areas(rng)
    conservation = [
        _Project(a.project_id, f"{a.name} Guardianship", f"{a.name_zh}守护", a.partner,
                 "conservation", a.region, a.lat, a.lon, a.established_on, (PROTECTED,))
        for a in areas
    ]  # fmt: skip
    projects = _with_ids(_afforestation(rng), "AF") + _with_ids(_coastal(rng), "CO") + conservation
    codes = list(species)
    pairs = [
        (i, codes.index(s), k) for i, p in enumerate(projects) for k, s in enumerate(p.species)
    ]
    pair_project, pair_species, rank = (np.array(x) for x in zip(*pairs, strict=True))
    pair_start = np.array([_day_index(projects[i].started_on) for i in pair_project])
    pair_weight = rng.lognormal(0.0, 0.5, len(pairs)) * np.where(rank == 0, 1.0, 0.5)
    brands, brand_rows, group, weight, energy = _brands(rng)
    return _Catalog(species, projects, areas, pair_project, pair_species, pair_start,
                    pair_weight, brands, brand_rows, group, weight, energy)  # fmt: skip


# --- redemptions -------------------------------------------------------------------------------


@dataclass
class _Ledger:
    """State carried from chunk to chunk: balances, adoptions, counters."""

    balance: np.ndarray  # energy earned minus spent, per user
    seen: np.ndarray  # user has had an action
    adopted: np.ndarray  # (pairs, months) units redeemed
    target_pair: np.ndarray  # what each user saves for (-1: nothing yet) ...
    target_units: np.ndarray  # ... and how many units of it
    events_written: int = 0
    good_events: int = 0
    redemptions_written: int = 0
    good_redemptions: int = 0
    bad_events: int = 0
    bad_redemptions: int = 0


def _project_weights(cat: _Catalog, day: int, adopted: np.ndarray) -> np.ndarray:
    """How likely each (project, species) pair is to be chosen among its species' on `day`:
    0 if not open yet. The app features the projects nobody has adopted yet (NEW_PAIR_BOOST),
    so that a small sample of users still reaches most projects."""
    featured = np.where(adopted.any(axis=1), 1.0, NEW_PAIR_BOOST)
    return np.where(cat.pair_start <= day, cat.pair_weight * featured, 0.0)


def _choose_projects(
    pair: np.ndarray, weights: np.ndarray, cat: _Catalog, rng: np.random.Generator
) -> np.ndarray:
    """For each pair saved for, a pair of the same species drawn by `weights`: a user saves
    for a species and chooses the project when adopting it."""
    order = np.argsort(cat.pair_species, kind="stable")
    cum = np.cumsum(weights[order])
    species = cat.pair_species[pair]
    first = np.searchsorted(cat.pair_species[order], species, side="left")
    last = np.searchsorted(cat.pair_species[order], species, side="right") - 1
    before = np.where(first > 0, cum[first - 1], 0.0)
    u = before + rng.random(pair.size) * (cum[last] - before)
    return order[np.minimum(np.searchsorted(cum, u, side="right"), last)]


def _open_items(cat: _Catalog, day: int, adopted: np.ndarray) -> np.ndarray:
    """Probability of each (project, species) pair being chosen on `day`: open ones only."""
    open_ = cat.pair_start <= day
    w = _project_weights(cat, day, adopted)
    per_species = np.bincount(cat.pair_species, w, len(cat.species))[cat.pair_species]
    popularity = np.array([s.popularity for s in cat.species.values()])[cat.pair_species]
    p = np.divide(popularity * w, per_species, out=np.zeros_like(w), where=open_)
    return p / p.sum()


def _draw_targets(
    n: int, cdf: np.ndarray, cat: _Catalog, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """What `n` users set out to adopt: a (project, species) pair, and units of it."""
    pair = np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right")  # skips closed pairs
    fixed = np.array([SHARE_M2 if c == PROTECTED else 1 if s.unit == "tree" else 0
                      for c, s in cat.species.items()])  # fmt: skip
    units = fixed[cat.pair_species[pair]]
    drawn = units == 0  # coastal: 1–10 m²
    units[drawn] = rng.choice(COASTAL_M2, int(drawn.sum()), p=COASTAL_M2_P)
    return pair, units


def _cost(pair: np.ndarray, units: np.ndarray, cat: _Catalog) -> np.ndarray:
    """Energy, g, that `units` of a pair's species cost."""
    per_unit = np.array([s.energy_g_per_unit for s in cat.species.values()], np.int64)
    return units.astype(np.int64) * per_unit[cat.pair_species[pair]]


def _redeem(
    user: np.ndarray, t: np.ndarray, credit: np.ndarray, day: int, users: _Users,
    cat: _Catalog, ledger: _Ledger, rng: np.random.Generator,
) -> dict[str, np.ndarray]:  # fmt: skip
    """Redemptions of one chunk: a planter saves for a target and adopts it once it is covered.

    Events are grouped by user; a global non-decreasing key (group offset + balance reached) lets
    one searchsorted find the event at which each user's cumulative spend is first covered.
    """
    order = np.argsort(user, kind="stable")
    u, c, tt = user[order], credit[order], t[order]
    starts = np.flatnonzero(np.r_[True, u[1:] != u[:-1]])
    who = u[starts]
    group = np.repeat(np.arange(who.size), np.diff(np.r_[starts, u.size]))
    opening = ledger.balance[who]
    avail = opening + np.add.reduceat(c, starts)
    offset = np.r_[0, np.cumsum(avail + 1)[:-1]]
    running = np.cumsum(c)
    key = offset[group] + opening[group] + running - (running[starts] - c[starts])[group]
    cdf = np.cumsum(_open_items(cat, day, ledger.adopted))
    weights = _project_weights(cat, day, ledger.adopted)
    spent = np.zeros(who.size, np.int64)
    active = np.flatnonzero(users.planter[who])
    found: list[tuple[np.ndarray, ...]] = []
    while active.size:  # at most one redemption per user per round
        fresh = active[ledger.target_pair[who[active]] < 0]
        pair, units = _draw_targets(fresh.size, cdf, cat, rng)
        ledger.target_pair[who[fresh]], ledger.target_units[who[fresh]] = pair, units
        pair, units = ledger.target_pair[who[active]], ledger.target_units[who[active]]
        cost = _cost(pair, units, cat)
        ok = spent[active] + cost <= avail[active]  # the others keep saving for their target
        active, pair, units, cost = active[ok], pair[ok], units[ok], cost[ok]
        pair = _choose_projects(pair, weights, cat, rng)
        spent[active] += cost
        at = tt[np.searchsorted(key, offset[active] + spent[active], side="left")]
        found.append((who[active], at, pair, units, cost))
        ledger.target_pair[who[active]] = -1
    ledger.balance[who] = avail - spent
    return _redemption_rows(found, cat, rng)


def _redemption_rows(
    found: list[tuple[np.ndarray, ...]], cat: _Catalog, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Columns of redemptions from (user, time earned, pair, units, cost) found per round."""
    user, earned_at, pair, units, cost = (
        np.concatenate([f[i] for f in found]) if found else np.zeros(0, np.int64) for i in range(5)
    )
    last_us = (np.datetime64(DEMO_END, "D").astype(np.int64) + 1) * _DAY_US - _CST_US - 1
    delay = 1_000_000 + (rng.exponential(REDEEM_DELAY_H, user.size) * _HOUR_US).astype(np.int64)
    t = np.minimum(earned_at + delay, last_us)
    n = user.size
    return {
        "user": user, "t": t, "project": cat.pair_project[pair], "species": cat.pair_species[pair],
        "units": units.astype(np.float64), "energy": cost.astype(np.int64), "pair": pair,
        "user_null": np.zeros(n, bool), "t_null": np.zeros(n, bool), "dup": np.zeros(n, bool),
    }  # fmt: skip


def _month_of(t: np.ndarray, cal: _Calendar) -> np.ndarray:
    """Index of the China-time month of UTC µs timestamps."""
    return cal.month_of_day[(t - cal.midnight_us[0]) // _DAY_US]
