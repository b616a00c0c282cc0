"""The metrics table: every headline figure once.

Each row is one key of `greenstats summary --json`, in the order it prints them: its unit, how
it is computed (from the filtered mart rows and the methodology, through
`greenstats.metrics.stats`), whether it counts people (shown as "< k" when small), and whether
it depends on the methodology in force. Its name and its definition in words are
`metric.<key>` and `def.<key>` in `greenstats/ui/i18n/strings.csv`, in English and Chinese;
the data contract (docs/CONTRACT.md, Summary keys) gives the same definitions in its words.

`summary` computes the table; the Overview's cards, the Methodology page's definitions and the
tests of docs/CONTRACT.md read it. Adding a figure is adding a row here and its two strings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from greenstats.data.contract import THREATENED_CATEGORIES
from greenstats.metrics import stats, units
from greenstats.metrics.stats import BANDS, SummaryInputs


@dataclass(frozen=True)
class Parts:
    """What the metrics are computed from: the filtered rows and the methodology, and the
    frames several metrics share, computed once."""

    inputs: SummaryInputs
    carbon: pd.DataFrame  # per action: count, energy and carbon avoided (kg, with its band)
    planted: pd.DataFrame  # per planting: survival, age and carbon stored (t, with its band)

    @property
    def trees(self) -> pd.DataFrame:
        return self.planted[self.planted["is_tree"]]


def parts(inputs: SummaryInputs) -> Parts:
    return Parts(
        inputs=inputs,
        carbon=stats.co2e_avoided_kg(inputs.actions_by_action, inputs.ref_actions),
        planted=stats.plantings_carbon(
            inputs.plantings, inputs.surveys, inputs.ref_species, inputs.as_of
        ),
    )


@dataclass(frozen=True)
class Metric:
    key: str  # as `summary --json` prints it
    unit: str  # what one of it is: a `unit.*` key of the strings table
    compute: Callable[[Parts], int | float]
    people: bool = False  # counts people: never shown below K_ANONYMITY (docs/CONTRACT.md)
    methodology: bool = False  # changes with the methodology (reference tables) in force

    @property
    def name(self) -> str:
        """The key of its name in the strings table."""
        return f"metric.{self.key}"

    @property
    def definition(self) -> str:
        """The key of its definition in words in the strings table."""
        return f"def.{self.key}"


def _sum(frame: Callable[[Parts], pd.DataFrame], column: str) -> Callable[[Parts], float]:
    return lambda p: float(frame(p)[column].sum())


def _banded(key: str, unit: str, frame: Callable[[Parts], pd.DataFrame]) -> list[Metric]:
    """A figure with its low and high ends (the methodology's range)."""
    return [Metric(f"{key}{b}", unit, _sum(frame, f"{key}{b}"), methodology=True) for b in BANDS]


def _threatened(p: Parts) -> int:
    species = p.inputs.area_species
    return int(species.loc[species["iucn_category"].isin(THREATENED_CATEGORIES),
                           "scientific_name"].nunique())  # fmt: skip


def _partners(p: Parts) -> int:
    both = pd.concat([p.inputs.projects["partner"], p.inputs.protected_areas["partner"]])
    return int(both.nunique())


METRICS: tuple[Metric, ...] = (
    Metric("actions", "unit.actions",
           lambda p: int(p.inputs.actions_by_action["count_actions"].sum())),
    Metric("users_active", "unit.users", lambda p: int(p.inputs.users_active), people=True),
    Metric("energy_issued_g", "unit.g_energy",
           lambda p: int(p.inputs.actions_by_action["energy_g"].sum())),
    *_banded("co2e_avoided_kg", "unit.kg_co2e", lambda p: p.carbon),
    Metric("energy_redeemed_g", "unit.g_energy",
           lambda p: int(p.inputs.redemptions["energy_g"].sum())),
    Metric("units_adopted", "unit.units", _sum(lambda p: p.inputs.redemptions, "units")),
    Metric("trees_planted", "unit.trees", _sum(lambda p: p.trees, "units_planted"),
           methodology=True),
    Metric("trees_surviving_est", "unit.trees", _sum(lambda p: p.trees, "units_surviving_est"),
           methodology=True),
    *_banded("sequestration_tco2e", "unit.t_co2e", lambda p: p.planted),
    Metric("area_planted_ha", "unit.ha", _sum(lambda p: p.planted, "area_ha")),
    Metric("coastal_area_ha", "unit.ha",
           _sum(lambda p: p.planted[p.planted["is_coastal"]], "area_ha"), methodology=True),
    Metric("protected_areas", "unit.areas", lambda p: len(p.inputs.protected_areas)),
    Metric("protected_area_ha", "unit.ha", _sum(lambda p: p.inputs.protected_areas, "area_ha")),
    Metric("species_protected", "unit.species",
           lambda p: int(p.inputs.area_species["scientific_name"].nunique())),
    Metric("species_threatened", "unit.species", _threatened),
    Metric("projects", "unit.projects", lambda p: len(p.inputs.projects)),
    Metric("partners", "unit.partners", _partners),
    Metric("brands", "unit.brands", lambda p: int(p.inputs.brands)),
)  # fmt: skip

BY_KEY: dict[str, Metric] = {m.key: m for m in METRICS}
#: Exactly the keys `greenstats summary --json` prints, in order.
SUMMARY_KEYS: tuple[str, ...] = tuple(BY_KEY)


def summary(inputs: SummaryInputs) -> dict[str, int | float]:
    """Every metric of the table for one set of filters, keyed and ordered as `summary --json`."""
    p = parts(inputs)
    return {m.key: m.compute(p) for m in METRICS}


def band(values: dict[str, float], key: str, unit: str) -> tuple[float, float, float]:
    """A banded figure of a summary (its value, low and high ends) in another unit of mass,
    e.g. band(s, "co2e_avoided_kg", "t")."""
    stored = units.MASS_UNITS[BY_KEY[key].unit]
    mid, low, high = (units.convert(float(values[f"{key}{b}"]), stored, unit) for b in BANDS)
    return mid, low, high


def band_columns(frame: pd.DataFrame, key: str, prefix: str, unit: str) -> pd.DataFrame:
    """A frame with a banded figure's columns (e.g. co2e_avoided_kg, _low, _high) also in
    another unit of mass, under a prefix: band_columns(frame, "co2e_avoided_kg", "co2e_t", "t")
    adds co2e_t, co2e_t_low and co2e_t_high."""
    out = frame.copy()
    stored = units.MASS_UNITS[BY_KEY[key].unit]
    for b in BANDS:
        out[f"{prefix}{b}"] = units.convert(out[f"{key}{b}"], stored, unit)
    return out
