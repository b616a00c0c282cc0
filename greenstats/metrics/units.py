"""Units of mass and area and their conversions, in one place.

Carbon and green energy are masses: a factor gives grams of CO₂e, `summary` prints carbon
avoided in kg and carbon stored in t, a page shows whichever of kg, t, kt… reads best. Every
conversion between them is `convert(value, from_unit, to_unit)`, for a number or a whole column.
"""

from __future__ import annotations

from typing import TypeVar

import pandas as pd

#: Grams in one of each unit of mass.
GRAMS: dict[str, float] = {"g": 1.0, "kg": 1e3, "t": 1e6, "kt": 1e9, "Mt": 1e12}

#: The strings table's units that are masses, by their unit of mass.
MASS_UNITS: dict[str, str] = {"unit.g_energy": "g", "unit.kg_co2e": "kg", "unit.t_co2e": "t"}

#: The units of measure (a mass or an area), as opposed to the count nouns (trees, actions).
MEASURES: frozenset[str] = frozenset({*MASS_UNITS, "unit.ha"})

Amount = TypeVar("Amount", float, pd.Series)


def convert(value: Amount, from_unit: str, to_unit: str) -> Amount:
    """A mass in another unit, e.g. convert(2500, "kg", "t") == 2.5 (one exact multiplication
    or division by a power of ten, so kg → t is value / 1000, bit for bit)."""
    ratio = GRAMS[from_unit] / GRAMS[to_unit]
    return value * ratio if ratio >= 1 else value / (GRAMS[to_unit] / GRAMS[from_unit])


#: Square metres in one of each unit of area.
SQUARE_METRES: dict[str, float] = {"m2": 1.0, "ha": 1e4, "km2": 1e6}


def convert_area(value: Amount, from_unit: str, to_unit: str) -> Amount:
    """An area in another unit, e.g. convert_area(25_000, "m2", "ha") == 2.5."""
    ratio = SQUARE_METRES[from_unit] / SQUARE_METRES[to_unit]
    if ratio >= 1:
        return value * ratio
    return value / (SQUARE_METRES[to_unit] / SQUARE_METRES[from_unit])
